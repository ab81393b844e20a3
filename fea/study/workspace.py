"""The study's results folder: one run at a time (a lock the OS drops when its process dies,
even by SIGKILL; its .lock file is removed when the run ends), leftovers of a killed run
removed, folders of cases no longer in the study moved aside so the summary and report show only
this study's cases.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from pathlib import Path

from ..errors import FeaError

LOCK = ".lock"
SUPERSEDED = ".superseded"
# hidden names fea.atomic leaves behind when a process dies mid-write
_LEFTOVERS = (".partial-", ".old-")


@contextlib.contextmanager
def locked(out_dir: Path):
    out_dir.mkdir(parents=True, exist_ok=True)
    fh = open(out_dir / LOCK, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        who = fh.read().strip() or "another process"
        fh.close()
        raise FeaError(f"{out_dir} is being written by {who}; wait for it to finish, or give "
                       "this run another folder with --out") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    fh.flush()
    try:
        yield
    finally:
        # removed while still held, so no other run can hold a lock on this name meanwhile; a
        # killed run leaves it, harmless: the OS dropped the lock with the process
        with contextlib.suppress(OSError):
            os.unlink(out_dir / LOCK)
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def remove_leftovers(out_dir: Path) -> list[Path]:
    """Staging folders and temporary files of a killed run (only called under the lock)."""
    gone = []
    for variant in (p for p in out_dir.iterdir() if p.is_dir() and p.name != SUPERSEDED):
        for p in variant.iterdir():
            # killed between the two renames of a folder swap: the finished old folder is the
            # only copy, put it back (fea.atomic.staged_dir without RENAME_EXCHANGE)
            final = variant / p.name[1:].rsplit(".old-", 1)[0]
            if ".old-" in p.name and (p / "x").is_dir() and not final.exists():
                os.replace(p / "x", final)
            if p.name.startswith(".") and any(k in p.name for k in _LEFTOVERS):
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p)
    for p in out_dir.glob(".*.tmp"):
        p.unlink(missing_ok=True)
        gone.append(p)
    return gone


def move_stale(out_dir: Path, keep: set[tuple[str, str]]) -> list[str]:
    """Move <variant>/<loadcase> folders not in `keep` to .superseded/<time>/ (never deleted:
    they may be the only copy of an earlier study's results)."""
    moved = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    variants = {v for v, _ in keep}
    for vdir in sorted(p for p in out_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if vdir.name == "figures":
            continue
        for cdir in sorted(p for p in vdir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if cdir.name in ("figures", "steps") or (vdir.name, cdir.name) in keep:
                continue
            dest = out_dir / SUPERSEDED / stamp / vdir.name / cdir.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(cdir, dest)
            moved.append(f"{vdir.name}/{cdir.name}")
        if vdir.name not in variants and not any(vdir.iterdir()):
            vdir.rmdir()
    return moved
