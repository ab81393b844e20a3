"""Screw safety: every screw's clearance (mm) to the keep-out face sets of the mesh, the spinal
canal and the transverse foramina (fea.geometry.keepout), measured on the meshed surfaces.

clearance = the smallest distance from a node on the screw's surface to the keep-out's wall
(exact point-to-triangle distance; TET10 faces split into four flat triangles through their
mid-edge nodes). A screw node inside the lumen is a breach: within the convex hull of the wall's
nodes (which closes the open ends of a foramen or a canal), on the lumen side of the nearest
wall face (outward normal of the bone) and not inside the keep-out's bone (located in its
elements: the lumen is empty space). The clearance is then negative: minus the depth of the
deepest node behind the wall (its distance to the hull, which bridges the hole the screw cut in
the wall, or to the wall where that is nearer). A screw's head (node set `<screw>_head`) outside
the bone is not measured: the perforation gradings grade the shaft breaking through the wall,
and a polyaxial head stands on the bone by design. Breaches are graded like cervical pedicle
perforations (Neo et al. 2005: grade 1 < 2 mm, grade 2 2-4 mm, grade 3 >= 4 mm); a clearance
below `Thresholds.screw_clearance_mm` (2 mm, docs/screw_safety.md) is flagged too.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import MeshError
from .hardware import HEAD_SUFFIX
from .keepout import NAME as KEEPOUT_NAME
from .keepout import boundary_faces

SCREW = re.compile(r"(^|_)screw_")
# A screw closer than this to a keep-out is flagged: 2 mm is the first step of the perforation
# gradings used for cervical and C2 screws (Gertzbein & Robbins 1990 Spine 15:11, grade I < 2 mm;
# Neo et al. 2005 Spine 30:2800, grade 1 < 2 mm; both tabulated in the C2 screw meta-analysis of
# J Orthop Surg Res 2020, doi 10.1186/s13018-020-01798-0): a placement error of one grade step
# would reach the keep-out. Thresholds.screw_clearance_mm overrides it in a study.
CLEARANCE_FLAG_MM = (2.0, "perforation grade step: Gertzbein & Robbins 1990 Spine 15:11; Neo et "
                          "al. 2005 Spine 30:2800 (grade 1 < 2 mm)")
GRADE_STEPS_MM = (2.0, 4.0)  # Neo et al. 2005 perforation grades 1 | 2 | 3
BREACH_TOL_MM = 1e-3  # a node this far inside the hull is still on the wall


def screw_bodies(mesh) -> list[str]:
    """Screw bodies: cell sets named `screw_*` or `*_screw_*` (fea.geometry.hardware)."""
    return sorted(k for k in mesh.cell_sets if SCREW.search(k))


def keepout_sets(mesh) -> list[str]:
    return sorted(k for k in mesh.face_sets if KEEPOUT_NAME.match(k))


def _check_names(kind: str, names, pool, where: str) -> None:
    from ..config import suggest

    for n in names:
        if n not in pool:
            hint = suggest(n, pool)
            did = f" Did you mean '{hint}'?" if hint else ""
            known = ", ".join(pool) or "none"
            raise MeshError(f"{where}: {kind} '{n}' is not in the mesh.{did} Known: {known}")


def _surface_nodes(mesh, cells: np.ndarray) -> np.ndarray:
    """Node indices on the boundary of a set of cells (every face node, mid-edge ones too)."""
    from ..elements import faces_of

    faces, _ = boundary_faces(mesh, cells)
    return np.unique(mesh.cells[faces[:, 0][:, None], faces_of(mesh.nodes_per_cell)[faces[:, 1]]])


def wall_triangles(mesh, name: str) -> np.ndarray:
    """(k, 3, 3) flat triangles of a face set (a TRI6 face as four)."""
    from ..elements import faces_of

    fs = mesh.face_sets[name]
    nodes = mesh.cells[fs[:, 0][:, None], faces_of(mesh.nodes_per_cell)[fs[:, 1]]]
    if nodes.shape[1] == 3:
        return mesh.nodes[nodes]
    sub = np.array([[0, 3, 5], [3, 1, 4], [5, 4, 2], [3, 4, 5]])
    return mesh.nodes[nodes[:, sub].reshape(-1, 3)]


def closest_on_triangles(p: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Closest points on triangles tri (n, 3, 3) to points p (n, 3), pairwise (the Voronoi-region
    method of Ericson, Real-Time Collision Detection, 5.1.5), vectorised."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    ab, ac, ap = b - a, c - a, p - a
    dot = lambda u, v: np.einsum("ij,ij->i", u, v)  # noqa: E731
    d1, d2 = dot(ab, ap), dot(ac, ap)
    bp, cp = p - b, p - c
    d3, d4 = dot(ab, bp), dot(ac, bp)
    d5, d6 = dot(ab, cp), dot(ac, cp)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    den = va + vb + vc
    den = np.where(np.abs(den) > 1e-300, den, 1e-300)
    out = a + (vb / den)[:, None] * ab + (vc / den)[:, None] * ac  # inside the face

    def put(mask, val):
        out[mask] = val[mask]

    # edges (later assignments win: vertices after edges)
    m = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    put(m, a + (d1 / np.where(m, d1 - d3, 1.0))[:, None] * ab)
    m = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    put(m, a + (d2 / np.where(m, d2 - d6, 1.0))[:, None] * ac)
    e43, e56 = d4 - d3, d5 - d6
    m = (va <= 0) & (e43 >= 0) & (e56 >= 0)
    put(m, b + (e43 / np.where(m, e43 + e56, 1.0))[:, None] * (c - b))
    put((d1 <= 0) & (d2 <= 0), a)
    put((d3 >= 0) & (d4 <= d3), b)
    put((d6 >= 0) & (d5 <= d6), c)
    return out


def distance_to_surface(points: np.ndarray, tri: np.ndarray, k: int = 12):
    """(distance, nearest triangle, closest point) of each point to a triangle soup, exact.
    Candidates: the k triangles with the nearest centres (cKDTree); a point whose best candidate
    could be beaten by a triangle further away (centre distance minus the largest triangle
    radius) is checked against all of them."""
    from scipy.spatial import cKDTree

    n, cen = len(points), tri.mean(axis=1)
    rad = float(np.linalg.norm(tri - cen[:, None], axis=2).max())
    k = min(k, len(tri))
    dc, idx = cKDTree(cen).query(points, k=k)
    dc, idx = dc.reshape(n, k), idx.reshape(n, k)
    best, near, q = _nearest_of(points, tri, idx)
    unsure = np.flatnonzero(best > dc[:, -1] - rad) if k < len(tri) else np.array([], int)
    for chunk in np.array_split(unsure, len(unsure) * len(tri) // 200_000 + 1):
        if len(chunk):
            all_idx = np.broadcast_to(np.arange(len(tri)), (len(chunk), len(tri)))
            best[chunk], near[chunk], q[chunk] = _nearest_of(points[chunk], tri, all_idx)
    return best, near, q


def _nearest_of(points: np.ndarray, tri: np.ndarray, idx: np.ndarray):
    n, k = idx.shape
    rep = np.repeat(points, k, axis=0)
    q = closest_on_triangles(rep, tri[idx.ravel()]).reshape(n, k, 3)
    d = np.linalg.norm(points[:, None] - q, axis=2)
    j = d.argmin(axis=1)
    r = np.arange(n)
    return d[r, j], idx[r, j], q[r, j]


def normals(tri: np.ndarray) -> np.ndarray:
    """Unit normals by the right-hand rule (face sets are ordered outward of their element)."""
    nrm = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return nrm / np.maximum(np.linalg.norm(nrm, axis=1), 1e-300)[:, None]


def hull_planes(points: np.ndarray, where: str) -> np.ndarray:
    """(f, 4) facet planes (unit outward normal, offset) of the convex hull of points."""
    from scipy.spatial import ConvexHull, QhullError

    try:
        return ConvexHull(points).equations
    except QhullError as exc:
        raise MeshError(f"{where}: its wall nodes span no volume ({str(exc).splitlines()[0]})") \
            from None


def hull_depth(points: np.ndarray, planes: np.ndarray) -> np.ndarray:
    """Depth (mm, > 0 inside) of points in a convex hull: the distance to its nearest facet
    plane."""
    return -(points @ planes[:, :3].T + planes[:, 3]).max(axis=1)


def _in_bones(mesh, nodes: np.ndarray, bones) -> dict:
    """{bone: mask of `nodes` (indices) inside that bone's elements} for each bone with a cell
    set (a patient mesh may name only the keep-out: that bone is left out)."""
    from ..embedded import locate

    out = {}
    for b in sorted(bones):
        if b in mesh.cell_sets:
            host, _ = locate(mesh.nodes, mesh.cells[mesh.elements(b)], mesh.nodes[nodes])
            out[b] = host >= 0
    return out


def grade(clearance_mm: float) -> int:
    """Perforation grade of Neo et al. 2005 from a clearance (negative: breach depth)."""
    if clearance_mm >= 0:
        return 0
    depth = -clearance_mm
    return 1 + sum(depth >= s for s in GRADE_STEPS_MM)


def screw_clearance(mesh, screws=None, keepouts=None, threshold_mm: float | None = None,
                    where: str = "mesh") -> dict:
    """{screw: {"keepouts": {name: clearance_mm}, "canal_mm", "foramen_mm", "min_mm",
    "nearest", "breach", "breach_mm", "grade", "below_threshold"}} for every screw body and every
    keep-out face set (or the ones named; a name not in the mesh is an error)."""
    all_screws, all_kos = screw_bodies(mesh), keepout_sets(mesh)
    if screws is not None:
        _check_names("screw body", screws, sorted(mesh.cell_sets), where)
    if keepouts is not None:
        _check_names("keep-out face set", keepouts, sorted(mesh.face_sets), where)
    screws = all_screws if screws is None else list(screws)
    keepouts = all_kos if keepouts is None else list(keepouts)
    if not screws or not keepouts:
        return {}
    walls = {k: wall_triangles(mesh, k) for k in keepouts}
    hulls = {k: hull_planes(t.reshape(-1, 3), f"{where}: keep-out '{k}'") for k, t in walls.items()}
    bone_of = {k: KEEPOUT_NAME.match(k)["bone"] for k in keepouts}
    surfs = {s: _surface_nodes(mesh, mesh.elements(s)) for s in screws}
    every = np.unique(np.concatenate(list(surfs.values())))
    in_bone = _in_bones(mesh, every, bone_of.values())
    out = {}
    for s in screws:
        surf = surfs[s]
        at = np.searchsorted(every, surf)
        head = np.isin(surf, mesh.node_sets.get(s + HEAD_SUFFIX, np.zeros(0, np.int64)))
        per = {}
        for k, tri in walls.items():
            b = bone_of[k]
            inside = in_bone[b][at] if b in in_bone else np.zeros(len(surf), bool)
            # a head standing out of the bone perforates nothing (the gradings grade the shaft
            # breaking through the wall); without the bone's cell set it is measured too
            keep = ~head | inside | (b not in in_bone)
            p, inside = mesh.nodes[surf[keep]], inside[keep]
            d, near, q = distance_to_surface(p, tri)
            # inside the lumen: within the wall's hull (which bounds the open ends), on the
            # lumen side of the nearest wall face (the hull alone would swallow bone that bulges
            # into the lumen, e.g. the back of a vertebral body) and not in the bone (where the
            # wall's face set ends at an edge of the bone, the nearest wall face can face a
            # point inside the bone, e.g. under a lamina's inferior edge)
            side = np.einsum("ij,ij->i", p - q, normals(tri)[near])
            depth = hull_depth(p, hulls[k])
            breach = (depth > BREACH_TOL_MM) & (side > BREACH_TOL_MM) & ~inside
            # depth of a node behind the wall: the hull closes the hole the screw itself cut in
            # the wall; the distance to the wall bounds it where bone bulges into the lumen
            behind = np.minimum(depth, d)
            per[k] = float(-behind[breach].max()) if breach.any() else float(d.min())
        canal = [v for k, v in per.items() if k.endswith("_canal")]
        foramen = [v for k, v in per.items() if "_transverse_foramen_" in k]
        nearest = min(per, key=per.get)
        low = per[nearest]
        out[s] = {"keepouts": {k: round(v, 3) for k, v in sorted(per.items())},
                  "canal_mm": round(min(canal), 3) if canal else None,
                  "foramen_mm": round(min(foramen), 3) if foramen else None,
                  "min_mm": round(low, 3), "nearest": nearest, "breach": low < 0,
                  "breach_mm": round(-low, 3) if low < 0 else 0.0, "grade": grade(low)}
        if threshold_mm is not None:
            out[s]["below_threshold"] = bool(low < threshold_mm)
    return out


def warnings(clearance: dict) -> list[str]:
    """summary.json warnings: one per breaching screw (threshold-independent: it is geometry)."""
    return [f"screw safety: {s} breaches {c['nearest']} by {c['breach_mm']:.2f} mm "
            f"(perforation grade {c['grade']}, Neo et al. 2005); the case was solved as built"
            for s, c in clearance.items() if c["breach"]]


_LAST: list = [lambda: None, None]  # (weak ref to the mesh, its clearance)


def of_mesh(mesh) -> dict:
    """screw_clearance of a mesh, computed once per mesh object (a study solves one model under
    several load cases); the mesh is held weakly, so it is not kept alive for this."""
    import weakref

    if _LAST[0]() is not mesh:
        _LAST[:] = [weakref.ref(mesh), screw_clearance(mesh, where=mesh.source)]
    return _LAST[1]
