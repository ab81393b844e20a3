"""What a result depends on, as hashes, and what produced it (versions, machine).

A case's input hash covers everything that can change its numbers: the validated model spec (after
the variant, grid point, interface state and mesh-size override are applied), the bytes of the
files it reads, the validated load case, the solver settings and the code version. The code
version is a hash of the sources that compute results (solver, geometry, metrics) plus the
versions of the numerical dependencies: an uncommitted edit to the solver invalidates results, an
edit to the report or a documentation commit does not. The git commit is recorded beside it for
people, not hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

PACKAGE = "spinefea"
# the numbers a case produces depend on these; the figures and report do not change them
DEPENDENCIES = ("numpy", "scipy", "numba", "pyamg", "gmsh", "meshio", "pydantic")
RECORDED_ONLY = ("pyvista", "vtk", "matplotlib", "rich", "dask", "distributed", "psutil")
# fea sub-packages that only read finished results (they never change a case's numbers)
NOT_HASHED = ("plot", "report", "study", "commands", "cli.py", "summary_table.py", "progress.py")


def canonical_json(obj) -> str:
    """One text per value: sorted keys, no whitespace, floats by repr (json's default)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_default,
                      allow_nan=True)


def _default(o):
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if hasattr(o, "tolist"):  # numpy scalars and arrays
        return o.tolist()
    raise TypeError(f"cannot hash a {type(o).__name__}")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def hash_of(obj) -> str:
    return sha256_text(canonical_json(obj))


@lru_cache(maxsize=256)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: str | Path) -> str:
    """Content hash of a file (memoised on size and mtime: plans hash the same files often)."""
    st = os.stat(path)
    return _file_digest(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


def _fea_root() -> Path:
    return Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def source_hash() -> str:
    """Hash of the fea sources that compute a case (see NOT_HASHED)."""
    root = _fea_root()
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if rel.parts[0] in NOT_HASHED:
            continue
        h.update(str(rel).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def dependency_versions() -> dict[str, str | None]:
    return {d: _version(d) for d in (*DEPENDENCIES, *RECORDED_ONLY)}


@lru_cache(maxsize=1)
def git_commit() -> dict:
    """{"commit", "dirty"} of the checkout holding the package, or {} outside a git checkout."""
    root = _fea_root().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10)
        if commit.returncode != 0:
            return {}
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "fea"], cwd=root,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"commit": commit.stdout.strip(), "fea_dirty": bool(dirty.stdout.strip())}


def code_version() -> dict:
    """The part of every case hash that names the code (and what is recorded beside it)."""
    deps = dependency_versions()
    return {"package": PACKAGE, "version": _version(PACKAGE), "source_sha": source_hash(),
            "python": platform.python_version(),
            "dependencies": {d: deps[d] for d in DEPENDENCIES}}


def machine() -> dict:
    info = {"host": platform.node(), "platform": platform.platform(),
            "machine": platform.machine(), "cpus": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        import psutil

        info["memory_GB"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # psutil is a dependency; a bare environment still records the rest
        pass
    return info


def versions() -> dict:
    return {"tool": {"package": PACKAGE, "version": _version(PACKAGE), "source_sha":
                     source_hash(), **git_commit()},
            "python": platform.python_version(), "dependencies": dependency_versions()}
