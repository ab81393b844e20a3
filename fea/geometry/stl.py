"""Reading and writing triangulated surfaces (STL), and the watertight check done before meshing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MeshError


def read_stl(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(points (n,3), triangles (k,3)) with coincident vertices merged."""
    import meshio

    path = Path(path)
    if not path.exists():
        raise MeshError(f"surface file '{path}' does not exist")
    try:
        with np.errstate(over="ignore"):  # meshio's binary-size probe overflows on ASCII files
            m = meshio.read(path, file_format="stl")
    except Exception as exc:  # meshio raises many types for a bad file
        raise MeshError(f"{path}: not a readable STL file ({type(exc).__name__}: {exc})") from None
    tris = [c.data for c in m.cells if c.type == "triangle"]
    if not tris:
        raise MeshError(f"{path}: no triangles in the file")
    pts = np.asarray(m.points, float)[:, :3]
    tri = np.vstack(tris).astype(np.int64)
    scale = max(float(np.ptp(pts, axis=0).max()), 1e-12)
    key = np.round(pts / (scale * 1e-9)).astype(np.int64)
    _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return pts[first], inv.ravel()[tri]


def check_watertight(path: str | Path, pts: np.ndarray, tri: np.ndarray) -> None:
    """Every edge must join exactly two triangles, and no triangle may be degenerate."""
    tri = tri[(tri[:, 0] != tri[:, 1]) & (tri[:, 1] != tri[:, 2]) & (tri[:, 0] != tri[:, 2])]
    e = np.sort(np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    uniq, counts = np.unique(e, axis=0, return_counts=True)
    open_e = uniq[counts == 1]
    multi = uniq[counts > 2]
    if len(open_e):
        where = np.round(pts[open_e[0]].mean(axis=0), 2).tolist()
        raise MeshError(
            f"{path}: the surface is not closed (not watertight): {len(open_e)} open edge(s), "
            f"e.g. near {where} mm. A volume can only be meshed inside a closed surface: fill "
            "the holes and export it again")
    if len(multi):
        where = np.round(pts[multi[0]].mean(axis=0), 2).tolist()
        raise MeshError(f"{path}: {len(multi)} edge(s) shared by more than two triangles "
                        f"(non-manifold), e.g. near {where} mm; export each body as its own "
                        "closed surface")


def write_stl(path: str | Path, pts: np.ndarray, tri: np.ndarray, name: str = "body") -> None:
    """Binary STL, triangles oriented as given (outward)."""
    from .. import atomic

    v = pts[tri]
    n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)
    rec = np.zeros(len(tri), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["n"], rec["v"] = n, v
    header = f"spinefea {name}".encode()[:80].ljust(80, b" ")
    atomic.write_bytes(path, header + np.uint32(len(tri)).tobytes() + rec.tobytes())


def body_surface(mesh, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outer surface (points, outward triangles) of the elements `cells` of a Mesh."""
    allf = np.stack(np.meshgrid(cells, np.arange(4), indexing="ij"), -1).reshape(-1, 2)
    fc = mesh.face_connectivity(allf, corners_only=True)
    _, inv, cnt = np.unique(np.sort(fc, axis=1), axis=0, return_inverse=True,
                            return_counts=True)
    tri = fc[cnt[inv.ravel()] == 1]
    used, local = np.unique(tri, return_inverse=True)
    return mesh.nodes[used], local.reshape(-1, 3)


def export_bodies(model, folder) -> list:
    """Write each body's outer surface (its sections' elements) as folder/<body>.stl."""
    from pathlib import Path

    folder = Path(folder)
    bodies: dict[str, list[str]] = {}
    for s in model.sections:
        bodies.setdefault(s.body_name, []).append(s.cell_set)
    out = []
    for body, sets in bodies.items():
        cells = np.unique(np.concatenate([model.mesh.elements(c) for c in sets]))
        pts, tri = body_surface(model.mesh, cells)
        path = folder / f"{body}.stl"
        write_stl(path, pts, tri, body)
        out.append(path)
    return out
