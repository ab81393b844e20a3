"""Which files in a result folder the tool wrote: `manifest.json` lists them (paths relative to
the folder). A re-run replaces a folder only when everything in it is the tool's own; any other
file (a user's `my_notes.txt`) makes the run stop before it starts, with the list, and nothing is
ever deleted (fea.atomic.staged_dir checks it again just before the swap).

Folders written before manifests existed are recognised by their marker file (e.g.
summary.json): then the names such folders held (LEGACY_OWN) count as the tool's.
"""

from __future__ import annotations

import json
from pathlib import Path

NAME = "manifest.json"
# what result, case and mesh folders held before manifests (case folders: fea.results,
# fea.study.worker; mesh folders: fea.commands.mesh)
LEGACY_OWN = frozenset({"summary.json", "result.vtu", "interfaces.vtu", "steps", "figures",
                        "error.txt", "failed.json", "mesh.vtu", "mesh.png", "mesh_report.json"})
LEGACY_MARKERS = ("summary.json", "failed.json", "mesh_report.json")


def files_under(folder: Path) -> list[str]:
    """Every file (and empty folder) below `folder`, as sorted relative POSIX paths."""
    out = []
    for p in folder.rglob("*"):
        if p.is_file() or p.is_symlink() or (p.is_dir() and not any(p.iterdir())):
            out.append(p.relative_to(folder).as_posix())
    return sorted(out)


def write(folder: str | Path) -> None:
    """List everything in `folder` (a staged result folder about to be swapped in)."""
    from . import atomic

    folder = Path(folder)
    files = [f for f in files_under(folder) if f != NAME]
    atomic.write_json(folder / NAME, {"written_by": "spinefea", "files": files})


def read(folder: str | Path) -> set[str] | None:
    path = Path(folder) / NAME
    try:
        data = json.loads(path.read_text())
        return {str(f) for f in data["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def add(folder: str | Path, paths) -> None:
    """Record files the tool added to a finished folder later (figures of `plot` and reports)."""
    from . import atomic

    folder = Path(folder)
    own = read(folder)
    if own is None:
        return  # a folder without manifest (not ours, or written before manifests) stays so
    new = {Path(p).resolve().relative_to(folder.resolve()).as_posix() for p in paths
           if Path(p).resolve().is_relative_to(folder.resolve())}
    if not new <= own:
        atomic.write_json(folder / NAME, {"written_by": "spinefea", "files": sorted(own | new)})


def foreign(folder: str | Path) -> list[str]:
    """Files in `folder` the tool did not write (empty when it may be replaced)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    present = [f for f in files_under(folder) if f != NAME]
    own = read(folder)
    if own is None:
        top = {p.name for p in folder.iterdir()}
        legacy = LEGACY_OWN if top & set(LEGACY_MARKERS) else frozenset()
        return [f for f in present if f.split("/", 1)[0] not in legacy]
    # hidden temporary names of an interrupted atomic write are the tool's too
    return [f for f in present if f not in own and not _temporary(f)]


def _temporary(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name.startswith(".") and (name.endswith(".tmp") or ".partial-" in name
                                     or ".old-" in name)


def describe(files: list[str], limit: int = 8) -> str:
    shown = ", ".join(files[:limit])
    return shown + (f", ... ({len(files)} in all)" if len(files) > limit else "")
