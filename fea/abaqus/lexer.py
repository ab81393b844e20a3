"""Splitting an Abaqus/CalculiX deck into keyword blocks, and reading their data lines.

A keyword line starts with '*', a comment line with '**'; a keyword line that ends with a comma
continues on the next line. `*INCLUDE, INPUT=file` splices another file in place (a relative path
is taken from the folder of the file that includes it). Keywords and parameter names are
case-insensitive and may contain spaces ("SOLID SECTION", "REF NODE").

Each block keeps its data lines as one raw text chunk: big blocks (*NODE, *ELEMENT, sets) are
parsed in bulk by numpy (`numeric`, `table`), small ones line by line (`lines`). Every error names
the file, the line and the keyword.
"""

from __future__ import annotations

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
    file: str
    line: int  # keyword line (1-based)
    data_line: int  # first line of `data`

    # ------------------------------------------------------------------ messages
    def error(self, msg: str, line: int | None = None) -> ConfigError:
        return ConfigError(f"{self.file}, line {line or self.line}: *{self.keyword}: {msg}")

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

    def numeric(self, width: int, dtype, what: str, continuation: bool = False) -> np.ndarray:
        """Records of exactly `width` numbers, parsed in bulk: (k, width) array.

        continuation=True joins a line that ends with a comma to the next one (an element whose
        nodes continue on the next line). A malformed record is reported by its line number.
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
        try:
            arr = np.loadtxt(io.StringIO(text), delimiter=",", dtype=dtype, ndmin=2)
        except ValueError:
            arr = None
        if arr is None or arr.shape[1] != width:
            self._locate_bad_record(width, dtype, what, continuation)
            raise self.error(f"could not read the data lines as {what}")  # not reached
        return arr

    def _locate_bad_record(self, width: int, dtype, what: str, continuation: bool) -> None:
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
            if len(record) != width:
                raise self.error(f"expected {width} entries ({what}), found {len(record)}", start)
            for item in record:
                try:
                    np.array([item]).astype(dtype)
                except ValueError:
                    kind = "an integer" if np.issubdtype(dtype, np.integer) else "a number"
                    raise self.error(f"'{item}' is not {kind} ({what})", start) from None
            record, start = [], None
        if record:
            raise self.error(f"the last record ends with a comma but nothing follows ({what})",
                             start)


# ---------------------------------------------------------------------- scanning
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


def scan(path: str | Path, _stack: tuple[Path, ...] = ()) -> list[Block]:
    """Keyword blocks of a deck in file order, with *INCLUDE files spliced in."""
    path = Path(path)
    resolved = path.resolve()
    if resolved in _stack:
        chain = " -> ".join(str(p) for p in (*_stack, resolved))
        raise ConfigError(f"*INCLUDE loop: {chain}")
    text = _read_text(path)
    name = str(path)
    blocks: list[Block] = []
    matches = list(_KEYWORD_LINE.finditer(text))
    head = text[: matches[0].start()] if matches else text
    stray = _COMMENT_LINE.sub("", head).strip()
    if stray:
        first = next(i for i, ln in enumerate(head.split("\n"), 1)
                     if ln.strip() and not ln.strip().startswith("**"))
        raise ConfigError(f"{name}, line {first}: data line before the first keyword")
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
        where = f"{name}, line {line}"
        keyword, params = _parse_keyword_line(kw_text, where)
        block = Block(keyword, params, chunk, name, line, line + kw_lines)
        if keyword == "INCLUDE":
            blocks += _include(block, path, (*_stack, resolved))
        else:
            blocks.append(block)
        line += text.count("\n", m.start(), end)
    return blocks


def _include(block: Block, path: Path, stack: tuple[Path, ...]) -> list[Block]:
    block.check_params({"INPUT"})
    block.no_data()
    target = Path(block.param("INPUT", required=True))
    if not target.is_absolute():
        target = path.parent / target
    if not target.exists():
        raise block.error(f"INPUT file '{target}' does not exist")
    return scan(target, stack)
