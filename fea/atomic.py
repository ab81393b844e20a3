"""Atomic writes: a crash or a kill never leaves a file (or folder) that looks finished.

Files go to a temporary name in the same folder and are renamed into place; a whole result folder
is staged under a hidden sibling name and swapped in only when everything in it is written. A
folder is replaced only when everything in it is the tool's own (fea.manifest): other files make
the write stop, listed, and are never deleted.

Temporary files and folders are created owner-only (tempfile); the finished ones get the modes
an ordinary write would give (0666 / 0777 less the umask), so every output file of a run has the
same permissions (on a shared Dask file system too).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def umask() -> int:
    """The process umask, read without changing it where Linux allows (threads may be writing)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def file_mode() -> int:
    return 0o666 & ~umask()


def dir_mode() -> int:
    return 0o777 & ~umask()


def write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


def _json_default(o):
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def write_with(path: str | Path, writer) -> None:
    """writer(tmp_path) writes a file (e.g. meshio); it is renamed to `path` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        writer(tmp)
        os.chmod(tmp, file_mode())
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def staged_dir(final: str | Path):
    """Yield a hidden staging folder; on success it replaces `final` in one rename.

    Refused (FeaError, nothing written or deleted) when `final` holds files the tool did not
    write: checked on entry and again just before the swap. The staged folder gets a manifest.
    """
    from . import manifest

    final = Path(final)
    refuse_foreign(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    try:
        yield stage
        manifest.write(stage)
        _set_modes(stage)
        refuse_foreign(final)  # a file put there while the work ran
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _fsync_dir(stage)
    if final.exists():
        if _exchange(stage, final):  # one atomic step: `final` is never missing
            shutil.rmtree(stage, ignore_errors=True)  # now holds the old content
        else:  # two renames; a kill between them leaves the old folder in .<name>.old-*/x,
            # which fea.study.workspace.remove_leftovers puts back
            trash = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
            os.replace(final, trash / "x")
            os.replace(stage, final)
            shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(stage, final)
    _fsync_dir(final.parent)


def _set_modes(folder: Path) -> None:
    """mkdtemp made the stage owner-only: give it (and its subfolders) the ordinary mode."""
    mode = dir_mode()
    os.chmod(folder, mode)
    for p in folder.rglob("*"):
        if p.is_dir() and not p.is_symlink():
            os.chmod(p, mode)


def refuse_foreign(final: Path, option: str | None = None) -> None:
    """FeaError listing the files in `final` that a swap would remove but the tool did not write."""
    from . import manifest
    from .errors import ConfigError

    others = manifest.foreign(final)
    if others:
        where = f"{option} {final}" if option else str(final)
        raise ConfigError(
            f"{where}: holds files this tool did not write ({manifest.describe(others)}); a "
            "re-run replaces only the tool's own files (listed in its manifest.json) and never "
            "deletes others: move them elsewhere, or give another folder")


def check_replaceable(final: str | Path, option: str = "--out") -> None:
    """Refuse an output folder that staged_dir must not replace: a file, the current folder (or
    one holding it), or a folder holding files the tool did not write (fea.manifest). Called
    before the work starts, so nothing is lost and no time is wasted."""
    from .errors import ConfigError

    final = Path(final)
    if not final.exists():
        return
    if not final.is_dir():
        raise ConfigError(f"{option} {final}: exists and is not a folder; give a folder name")
    here = Path.cwd().resolve()
    if final.resolve() == here or final.resolve() in here.parents:
        raise ConfigError(f"{option} {final}: is the current folder (or holds it); the results "
                          "replace the whole folder, so give a new folder such as results/case")
    refuse_foreign(final, option)


_RENAME_EXCHANGE, _AT_FDCWD = 2, -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported
    (another OS, an old glibc or kernel, a file system without it)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0
