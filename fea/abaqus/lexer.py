"""Splitting an Abaqus/CalculiX deck into keyword blocks, and reading their data lines.

A keyword line starts with '*', a comment line with '**'; a keyword line that ends with a comma
continues on the next line. `*INCLUDE, INPUT=file` splices another file's text in place (a
relative path is taken from the folder of the file that includes it), so an included file may hold
only data lines of the keyword before it; a line map keeps messages pointing at the right file. Keywords and parameter names are
case-insensitive and may contain spaces ("SOLID SECTION", "REF NODE").

Each block keeps its data lines as one raw text chunk: big blocks (*NODE, *ELEMENT, sets) are
parsed in bulk by numpy (`numeric`, `table`), small ones line by line (`lines`). Every error names
the file, the line and the keyword.
"""

from __future__ import annotations

import bisect
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError

_KEYWORD_LINE = re.compile(r"^[ \t]*\*(?!\*)[^\n]*", re.M)
_COMMENT_LINE = re.compile(r"^[ \t]*\*\*[^\n]*$", re.M)
_BLANKS = str.maketrans("", "", " \t\r")  # data lines never need blanks: names have none


@dataclass
class Block:
    keyword: str  # upper case, single spaces: "SOLID SECTION"
    params: dict[str, str | None]  # upper-case parameter name -> value as written (or None)
    data: str  # raw data text, comment and blank lines included (line numbers stay exact)
    line: int  # keyword line, counted in the text with *INCLUDE files spliced in
    data_line: int  # first line of `data`, counted the same way
    lines_of: LineMap  # spliced line -> (file, line in that file)

    @property
    def file(self) -> str:
        return self.lines_of(self.line)[0]

    # ------------------------------------------------------------------ messages
    def loc(self, line: int | None = None) -> str:
        file, ln = self.lines_of(line or self.line)
        return f"{file}, line {ln}"

    def error(self, msg: str, line: int | None = None) -> ConfigError:
        return ConfigError(f"{self.loc(line)}: *{self.keyword}: {msg}")

    # ------------------------------------------------------------------ parameters
    def check_params(self, allowed: set[str]) -> None:
        for key in self.params:
            if key not in allowed:
                ok = ", ".join(sorted(allowed)) or "none"
                raise self.error(f"parameter {key} is not supported (supported: {ok})")

    def param(self, key: str, required: bool = False) -> str | None:
        value = self.params.get(key)
        if required and not value:
            raise self.error(f"needs the parameter {key}=")
        return value

    def flag(self, key: str) -> bool:
        return key in self.params

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.params.get(key)
        if value is None:
            return default
        up = " ".join(value.split()).upper()
        if up not in options:
            raise self.error(f"{key}={value} is not supported (supported: {', '.join(options)})")
        return up

    def float_param(self, key: str) -> float | None:
        value = self.params.get(key)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            raise self.error(f"{key}={value} is not a number") from None

    # ------------------------------------------------------------------ data lines
    def lines(self) -> list[tuple[int, list[str]]]:
        """(line number, fields) of every data line; a trailing comma adds no field.

        For small blocks only (materials, steps, couplings): this is a Python loop over lines.
        """
        out = []
        for i, raw in enumerate(self.data.split("\n")):
            text = raw.translate(_BLANKS)
            if not text or text.startswith("**"):
                continue
            out.append((self.data_line + i, text.removesuffix(",").split(",")))
        return out

    def one_line(self, msg: str) -> tuple[int, list[str]]:
        """(line number, fields) of the block's only data line; `msg` is the error otherwise
        (at the second data line, or at the keyword when there is none)."""
        rows = self.lines()
        if len(rows) != 1:
            raise self.error(msg, rows[1][0] if rows else None)
        return rows[0]

    def no_data(self) -> None:
        rows = self.lines()
        if rows:
            raise self.error("takes no data lines", rows[0][0])

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """All data lines as a string array (k, w) padded with '' and their line numbers (k,).

        Vectorised: the lines are split with numpy string functions, one join per line width.
        """
        raw = np.array(self.data.translate(_BLANKS).split("\n"))
        lineno = self.data_line + np.arange(len(raw))
        keep = (np.char.str_len(raw) > 0) & ~np.char.startswith(raw, "**")
        raw, lineno = raw[keep], lineno[keep]
        if not len(raw):
            return np.zeros((0, 0), dtype="U1"), lineno
        raw = np.char.rstrip(raw, ",")
        width = np.char.count(raw, ",") + 1
        fields = np.full((len(raw), int(width.max())), "", dtype=raw.dtype)
        for w in np.unique(width):
            sel = width == w
            parts = ",".join(raw[sel].tolist()).split(",")
            fields[sel, :w] = np.array(parts, dtype=raw.dtype).reshape(-1, w)
        return fields, lineno

    def numeric(self, width: int, dtype, what: str, continuation: bool = False,
                min_width: int | None = None) -> np.ndarray:
        """Records of `width` numbers, parsed in bulk: (k, width) array.

        continuation=True joins a line that ends with a comma to the next one (an element whose
        nodes continue on the next line). min_width: shorter records are padded with zeros (a
        node line may omit trailing coordinates). A malformed record is reported by its line.
        """
        text = self.data
        if "**" in text:  # the regex passes cost a full scan: only when needed
            text = _COMMENT_LINE.sub("", text)
        text = text.translate(_BLANKS)
        if "\n\n" in text:
            text = re.sub(r"\n{2,}", "\n", text)
        text = text.strip("\n")
        if not text:
            return np.zeros((0, width), dtype=dtype)
        text = text.replace(",\n", "," if continuation else "\n").removesuffix(",")
        if not text.isascii():  # numbers are ASCII; numpy's loadtxt can crash (segmentation
            # fault) on characters beyond the BMP, so the record is reported before it is called
            self._locate_bad_record(width, dtype, what, continuation, min_width)
        try:
            arr = np.loadtxt(io.StringIO(text), delimiter=",", dtype=dtype, ndmin=2)
        except (ValueError, OverflowError):  # overflow: a whole number beyond 64 bits
            arr = None
        if (arr is None or arr.shape[1] != width) and min_width is not None:
            arr = self._padded(text, width, min_width, dtype)
        if arr is None or arr.shape[1] != width:
            self._locate_bad_record(width, dtype, what, continuation, min_width)
            raise self.error(f"could not read the data lines as {what}")  # not reached
        return arr

    @staticmethod
    def _padded(text: str, width: int, min_width: int, dtype) -> np.ndarray | None:
        """Records of min_width..width entries, missing trailing entries as zeros (vectorised)."""
        lines = np.array(text.split("\n"))
        count = np.char.count(lines, ",") + 1
        if count.min() < min_width or count.max() > width:
            return None
        fields = np.full((len(lines), width), "0", dtype=lines.dtype)
        for w in np.unique(count):
            sel = count == w
            fields[sel, :w] = np.array(",".join(lines[sel].tolist()).split(","),
                                       dtype=lines.dtype).reshape(-1, w)
        try:
            return fields.astype(dtype)
        except (ValueError, OverflowError):
            return None

    def _locate_bad_record(self, width: int, dtype, what: str, continuation: bool,
                           min_width: int | None = None) -> None:
        """Slow path, only after the bulk parse failed: find and report the first bad record."""
        record: list[str] = []
        start = None
        for i, raw in enumerate(self.data.split("\n")):
            text = raw.translate(_BLANKS)
            if not text or text.startswith("**"):
                continue
            lineno = self.data_line + i
            start = start or lineno
            more = continuation and text.endswith(",")
            record += text.removesuffix(",").split(",")
            if more:
                continue
            if not (min_width or width) <= len(record) <= width:
                need = f"{min_width} to {width}" if min_width else f"{width}"
                raise self.error(f"expected {need} entries ({what}), found {len(record)}", start)
            for item in record:
                if not item.isascii():  # '²' or a Unicode digit that numpy would read as one
                    kind = "an integer" if np.issubdtype(dtype, np.integer) else "a number"
                    raise self.error(f"'{item}' is not {kind} ({what})", start)
                try:
                    np.array([item]).astype(dtype)
                except ValueError:
                    kind = "an integer" if np.issubdtype(dtype, np.integer) else "a number"
                    raise self.error(f"'{item}' is not {kind} ({what})", start) from None
                except OverflowError:
                    raise self.error(f"'{item}' is too large ({what})", start) from None
            record, start = [], None
        if record:
            raise self.error(f"the last record ends with a comma but nothing follows ({what})",
                             start)


# ---------------------------------------------------------------------- scanning
class LineMap:
    """Line numbers of the spliced text (includes expanded) back to (file, line)."""

    def __init__(self):
        self.starts: list[int] = []  # first spliced line of each segment
        self.files: list[str] = []
        self.offsets: list[int] = []  # file line = spliced line - start + offset

    def add(self, start: int, file: str, first_line: int) -> None:
        self.starts.append(start)
        self.files.append(file)
        self.offsets.append(first_line)

    def __call__(self, line: int) -> tuple[str, int]:
        k = bisect.bisect_right(self.starts, line) - 1
        return self.files[k], line - self.starts[k] + self.offsets[k]


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"deck '{path}' does not exist") from None
    except OSError as exc:
        raise ConfigError(f"deck '{path}' cannot be read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # old decks: never fail on a stray byte in a comment


def _parse_keyword_line(text: str, where: str) -> tuple[str, dict[str, str | None]]:
    parts = text.strip()[1:].split(",")
    keyword = " ".join(parts[0].split()).upper()
    if not keyword:
        raise ConfigError(f"{where}: a '*' line without a keyword")
    params: dict[str, str | None] = {}
    for part in parts[1:]:
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        key = " ".join(key.split()).upper()
        params[key] = value.strip().strip('"').strip() if eq else None
    return keyword, params


def digits(a: np.ndarray) -> np.ndarray:
    """Mask of the entries that are plain whole numbers ('12'): numpy's isdigit also accepts '²'
    and other Unicode digits, which a conversion then fails on (or reads as another number)."""
    a = np.asarray(a)
    if not a.size:
        return np.zeros(a.shape, bool)
    plain = np.char.str_len(np.char.encode(a, "ascii", errors="ignore")) == np.char.str_len(a)
    return np.char.isdigit(a) & plain


_INCLUDE_LINE = re.compile(r"^[ \t]*\*[ \t]*INCLUDE\b[^\n]*(?:\n|$)", re.M | re.I)


def _splice(path: Path, lmap: LineMap, parts: list[str], line: int,
            stack: tuple[Path, ...]) -> int:
    """Append the text of `path` to parts with its *INCLUDE files expanded in place (Abaqus
    inserts an included file where the keyword stands, so it may hold just data lines of the
    keyword before it). Returns the next spliced line number."""
    resolved = path.resolve()
    if resolved in stack:
        chain = " -> ".join(str(p) for p in (*stack, resolved))
        raise ConfigError(f"*INCLUDE loop: {chain}")
    text = _read_text(path)
    if not text.endswith("\n"):
        text += "\n"
    pos, file_line = 0, 1
    for m in _INCLUDE_LINE.finditer(text):
        chunk = text[pos:m.start()]
        lmap.add(line, str(path), file_line)
        parts.append(chunk)
        line += chunk.count("\n")
        file_line += chunk.count("\n")
        kw_line = m.group(0).rstrip("\n")
        where = f"{path}, line {file_line}"
        _, params = _parse_keyword_line(kw_line, where)
        unknown = set(params) - {"INPUT"}
        if unknown or not params.get("INPUT"):
            raise ConfigError(f"{where}: *INCLUDE: needs INPUT=file and takes no other "
                              "parameter")
        target = Path(params["INPUT"])
        if not target.is_absolute():
            target = path.parent / target
        if not target.exists():
            raise ConfigError(f"{where}: *INCLUDE: INPUT file '{target}' does not exist")
        line = _splice(target, lmap, parts, line, (*stack, resolved))
        pos = m.end()
        file_line += 1
    lmap.add(line, str(path), file_line)
    parts.append(text[pos:])
    return line + text[pos:].count("\n")


def scan(path: str | Path) -> list[Block]:
    """Keyword blocks of a deck in file order, with *INCLUDE files spliced in."""
    path = Path(path)
    lmap = LineMap()
    parts: list[str] = []
    _splice(path, lmap, parts, 1, ())
    text = "".join(parts)
    matches = list(_KEYWORD_LINE.finditer(text))
    head = text[: matches[0].start()] if matches else text
    stray = _COMMENT_LINE.sub("", head).strip()
    if stray:
        first = next(i for i, ln in enumerate(head.split("\n"), 1)
                     if ln.strip() and not ln.strip().startswith("**"))
        file, ln = lmap(first)
        raise ConfigError(f"{file}, line {ln}: data line before the first keyword")
    blocks: list[Block] = []
    line = 1 + text.count("\n", 0, matches[0].start()) if matches else 1
    for k, m in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
        kw_text = m.group(0)
        chunk = text[m.end() + 1: end] if m.end() < len(text) else ""
        kw_lines = 1
        while kw_text.rstrip().endswith(",") and chunk:
            nxt, _, chunk = chunk.partition("\n")  # parameters continue on the next line
            kw_text = kw_text.rstrip() + nxt
            kw_lines += 1
        file, ln = lmap(line)
        keyword, params = _parse_keyword_line(kw_text, f"{file}, line {ln}")
        blocks.append(Block(keyword, params, chunk, line, line + kw_lines, lmap))
        line += text.count("\n", m.start(), end)
    return blocks
