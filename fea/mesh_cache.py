"""A disk cache of built meshes, so variants and load cases that share geometry mesh it once.

Key: sha256 of (builder name, its parameters, size, element order, the builder code version).
The code version is the hash of the geometry package's sources, the gmsh session (its options)
and the gmsh version, so editing a builder (or upgrading gmsh) never serves a stale mesh. A
builder may add `cache_inputs(params)` (e.g. hashes of the STL files it reads) to the key.

Entry: `<root>/<key>.npz` holding the mesh arrays, the set names and a sha256 of the content.
Written atomically (fea.atomic); on load the content hash is checked, and a corrupt or unreadable
entry is reported (warning + `stats["corrupt"]`) and rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from . import atomic
from .mesh import Mesh

log = logging.getLogger(__name__)
FORMAT = 1


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of fea/geometry/**/*.py, fea/mesh.py, fea/mesh_io.py, fea/gmsh_session.py (the
    session's options decide the mesh too) and the gmsh version."""
    import gmsh

    root = Path(__file__).parent
    h = hashlib.sha256(f"format{FORMAT}:gmsh{gmsh.__version__}".encode())
    for p in sorted([*(root / "geometry").rglob("*.py"), root / "mesh.py", root / "mesh_io.py",
                     root / "gmsh_session.py"]):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _canonical(obj):
    """JSON-able canonical form: dict keys sorted, tuples as lists, floats as repr."""
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items())}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, float):
        return repr(float(obj))
    if isinstance(obj, (np.integer, np.floating)):
        return _canonical(obj.item())
    return obj


def cache_key(name: str, params: dict, size_mm: float, order: int, extra=None) -> str:
    blob = json.dumps(_canonical({"builder": name, "params": params, "size_mm": float(size_mm),
                                  "order": int(order), "code": code_version(),
                                  "inputs": extra}), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class MeshCache:
    def __init__(self, root: str | Path = Path(".cache/meshes")):
        self.root = Path(root)
        self.stats = {"hits": 0, "misses": 0, "corrupt": 0}

    def path(self, key: str) -> Path:
        return self.root / f"{key}.npz"

    def get_or_build(self, name: str, params: dict, size_mm: float, order: int,
                     build_fn: Callable[[], Mesh]) -> Mesh:
        from .geometry.registry import BUILDERS

        extra_fn = getattr(BUILDERS.get(name), "cache_inputs", None)
        key = cache_key(name, params, size_mm, order, extra_fn(params) if extra_fn else None)
        path = self.path(key)
        if path.exists():
            try:
                mesh = load_mesh(path)
                self.stats["hits"] += 1
                return mesh
            except CacheCorrupt as exc:
                self.stats["corrupt"] += 1
                log.warning("mesh cache entry %s is corrupt (%s); rebuilding it", path, exc)
        self.stats["misses"] += 1
        mesh = build_fn()
        save_mesh(path, mesh)
        return mesh


class CacheCorrupt(Exception):
    pass


def _arrays(mesh: Mesh) -> tuple[dict, dict]:
    index = {"source": mesh.source, "cell_sets": sorted(mesh.cell_sets),
             "face_sets": sorted(mesh.face_sets), "node_sets": sorted(mesh.node_sets)}
    arrays = {"nodes": mesh.nodes, "cells": mesh.cells, "node_ids": mesh.node_ids,
              "cell_ids": mesh.cell_ids}
    for kind in ("cell_sets", "face_sets", "node_sets"):
        sets = getattr(mesh, kind)
        for i, n in enumerate(index[kind]):
            arrays[f"{kind}_{i}"] = sets[n]
    return index, arrays


def _content_hash(index: dict, arrays: dict) -> str:
    h = hashlib.sha256(json.dumps(index, sort_keys=True).encode())
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h.update(f"{k}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def mesh_hash(mesh: Mesh) -> str:
    """Hash of a mesh's content (nodes, cells, ids and every named set)."""
    return _content_hash(*_arrays(mesh))


def save_mesh(path: str | Path, mesh: Mesh) -> None:
    index, arrays = _arrays(mesh)
    meta = dict(index, sha256=_content_hash(index, arrays), format=FORMAT)
    buf = io.BytesIO()
    np.savez(buf, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    atomic.write_bytes(path, buf.getvalue())


def load_mesh(path: str | Path) -> Mesh:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            arrays = {k: z[k] for k in z.files if k != "meta"}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError,
            json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CacheCorrupt(f"unreadable: {type(exc).__name__}: {exc}") from None
    index = {k: meta[k] for k in ("source", "cell_sets", "face_sets", "node_sets")}
    if meta.get("format") != FORMAT or _content_hash(index, arrays) != meta.get("sha256"):
        raise CacheCorrupt("content hash does not match")
    sets = {kind: {n: arrays[f"{kind}_{i}"] for i, n in enumerate(index[kind])}
            for kind in ("cell_sets", "face_sets", "node_sets")}
    return Mesh(arrays["nodes"], arrays["cells"], sets["cell_sets"], sets["face_sets"],
                sets["node_sets"], arrays["node_ids"], arrays["cell_ids"], index["source"])
