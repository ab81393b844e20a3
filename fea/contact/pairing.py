"""Pair an interface once, in the reference configuration (small sliding).

Contact points are the quadrature points of the slave faces (CONTACT_POINTS per face). Each is
projected onto the master surface (closest point: a k-d tree over master face centres proposes
candidates, a vectorised Newton iteration finds the point on each candidate face: TRI3, TRI6,
QUAD4 or QUAD8; fea.contact.sides gives each side faces of one shape). A point gives three rows of the gap operator: g = g0 + B u with g = (normal gap, slip
along t1, slip along t2) in the frame (n, t1, t2), n the master's outward normal, so a positive
normal gap is open.
Points whose projection falls outside the master surface are reported, not silently kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..mesh import Mesh
from ..errors import MeshError
from ..surface import surface_quadrature


# points per slave face: TRI3 -> 7 (degree 5), TRI6 -> 6 (degree 4), QUAD4 -> 6 x 6, QUAD8 -> 8 x 8.
# Quads: the points integrate the master's shape functions, which kink inside a slave face where
# the meshes do not match; ccx integrates on the slave/master face intersections. On two
# non-matching hex blocks (4 x 4 on 3 x 3 faces, penalty law, tests/test_ccx_quad_contact.py) ours
# differed from ccx 2.20 by 1.5 / 0.32 / 0.16 % of max |u| with 3x3 / 4x4 / 6x6 points on QUAD4
# faces, and by 0.80 / 0.45 / 0.20 % with 4x4 / 6x6 / 8x8 on QUAD8 faces. The 3-point rule that
# integrates a flat face's loads exactly samples unilateral contact too coarsely where a joint
# closes on a few faces: on the coarse TET4 aad_cages construct (8 mm, its C2-C3 facets carry
# flexion on a handful of faces) max |u| was 256.8 / 252.7 / 250.9 / 250.2 um with 1 / 3 / 6 / 7
# points, and CalculiX's face-to-face contact on the exported deck differed from ours by
# 0.86 % of max |u| with 3 points and 0.15 % with 7 (tests/test_ccx_constructs.py)
CONTACT_POINTS = {"TRI3": 7, "TRI6": 6, "QUAD4": 36, "QUAD8": 64}


@dataclass
class PairedPoints:
    x: np.ndarray  # (p, 3) slave point coordinates
    w: np.ndarray  # (p,) area weights, mm^2
    frame: np.ndarray  # (p, 3, 3) rows n, t1, t2
    g0: np.ndarray  # (p,) initial normal gap, mm (negative = initial overclosure)
    slave_conn: np.ndarray  # (p, nf) slave face nodes
    slave_N: np.ndarray  # (p, nf)
    slave_L: np.ndarray  # (p, 3) linear (corner) functions of the slave face at the point
    master_conn: np.ndarray  # (p, nf)
    master_N: np.ndarray  # (p, nf)
    h: np.ndarray  # (p,) size of the slave face (sqrt of its area), mm
    slave_elem: np.ndarray  # (p,) element of the slave face
    master_elem: np.ndarray  # (p,)
    unmatched: np.ndarray  # (u, 3) slave points that found no master face

    def operator(self, n_full: int) -> sp.csr_matrix:
        """B (3p x n_full): rows (n, t1, t2) . (u_slave - u_master) at every point."""
        p, nf = self.slave_conn.shape
        rows = np.arange(3 * p).reshape(p, 3)
        cols, vals, rr = [], [], []
        for conn, N, sign in ((self.slave_conn, self.slave_N, 1.0),
                              (self.master_conn, self.master_N, -1.0)):
            # value(point, r, node, c) = sign * N[node] * frame[r, c]
            v = sign * np.einsum("pn,prc->prnc", N, self.frame)
            c = np.broadcast_to((3 * conn)[:, None, :, None] + np.arange(3), v.shape)
            r = np.broadcast_to(rows[:, :, None, None], v.shape)
            cols.append(c.ravel())
            vals.append(v.ravel())
            rr.append(r.ravel())
        B = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rr), np.concatenate(cols))),
                          shape=(3 * p, n_full))
        B.sum_duplicates()
        B.eliminate_zeros()  # the padding of mixed face shapes (concat)
        return B


def _frames(n: np.ndarray) -> np.ndarray:
    """Orthonormal (n, t1, t2) rows from unit normals (p, 3)."""
    helper = np.where(np.abs(n[:, [0]]) < 0.9, [[1.0, 0, 0]], [[0, 1.0, 0]])
    t1 = np.cross(n, helper)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    t2 = np.cross(n, t1)
    return np.stack([n, t1, t2], axis=1)


def _project(xm: np.ndarray, pts: np.ndarray, ft, iters: int = 8):
    """Closest points of pts (p,3) on faces of face type `ft` (TRI3/TRI6 on the unit triangle,
    QUAD4/QUAD8 on [-1, 1]^2) with node coords xm (p,nf,3).

    Returns local coords (p,2), the surface point (p,3), the unit normal (p,3) there, the shape
    functions (p,nf), and how far outside the reference face the unclamped solution lies (0
    inside; a quad's half side is the unit, as a triangle's side).
    """
    quad = ft.n_corners == 4
    st = np.full((len(pts), 2), 0.0 if quad else 1.0 / 3.0)
    for _ in range(2 if ft.name == "TRI3" else iters):  # a flat triangle: exact in one step
        N, dN = ft.shape(st)  # evaluated per point: the shape functions are vectorised
        x = np.einsum("pn,pnc->pc", N, xm)
        a1 = np.einsum("pn,pnc->pc", dN[:, :, 0], xm)
        a2 = np.einsum("pn,pnc->pc", dN[:, :, 1], xm)
        r = pts - x
        # Gauss-Newton on |r|^2: solve [a1 a2]^T [a1 a2] d = [a1 a2]^T r
        g11, g12, g22 = (a1 * a1).sum(1), (a1 * a2).sum(1), (a2 * a2).sum(1)
        b1, b2 = (a1 * r).sum(1), (a2 * r).sum(1)
        det = g11 * g22 - g12**2
        st = st + np.stack([(g22 * b1 - g12 * b2) / det, (g11 * b2 - g12 * b1) / det], 1)
    if quad:
        outside = np.maximum(np.abs(st).max(axis=1) - 1.0, 0.0)
        st = np.clip(st, -1.0, 1.0)
    else:
        outside = np.maximum.reduce([-st[:, 0], -st[:, 1], st.sum(1) - 1.0, np.zeros(len(st))])
        # clamp into the triangle (projection onto the simplex is enough for small excursions)
        s, t = np.clip(st[:, 0], 0, 1), np.clip(st[:, 1], 0, 1)
        over = s + t > 1
        s[over], t[over] = s[over] / (s + t)[over], t[over] / (s + t)[over]
        st = np.stack([s, t], 1)
    N, dN = ft.shape(st)
    x = np.einsum("pn,pnc->pc", N, xm)
    a1 = np.einsum("pn,pnc->pc", dN[:, :, 0], xm)
    a2 = np.einsum("pn,pnc->pc", dN[:, :, 1], xm)
    n = np.cross(a1, a2)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    return st, x, n, N, outside


def corner_functions(ft, st: np.ndarray) -> np.ndarray:
    """The face's linear (triangle) or bilinear (quad) corner functions at local points (q, 2):
    what the output smoothing spreads point values with."""
    if ft.n_corners == 4:
        from ..elements.hexa import quad_shape

        return quad_shape(4, st)[0]
    return np.column_stack([1.0 - st.sum(1), st])


def pair_surfaces(mesh: Mesh, slave: np.ndarray, master: np.ndarray,
                  npts: int | None = None, outside_tol: float = 1e-3, k: int = 8
                  ) -> PairedPoints:
    groups = mesh.face_groups(master)
    if len(groups) > 1:
        raise MeshError(f"{mesh.source}: a contact master surface of one face shape is needed; "
                        f"this one mixes {', '.join(ft.name for ft, _ in groups)} faces (split "
                        "it into one interface per shape)")
    parts = [_pair_group(mesh, slave[i], master, ft, groups[0][0], npts, outside_tol, k)
             for ft, i in mesh.face_groups(slave)]
    return parts[0] if len(parts) == 1 else concat(parts)


def _pair_group(mesh, slave, master, fts, ftm, npts, outside_tol, k) -> PairedPoints:
    """pair_surfaces for slave faces of one face type fts on a master of face type ftm."""
    sq = surface_quadrature(mesh, slave, npts or CONTACT_POINTS[fts.name])
    nk, nq = sq.x.shape[:2]
    pts = sq.x.reshape(-1, 3)
    w = sq.dA().ravel()
    slave_conn = np.repeat(sq.conn, nq, axis=0)
    slave_N = np.tile(sq.N, (nk, 1))
    st_q, _ = fts.rule(npts or CONTACT_POINTS[fts.name])
    slave_L = np.tile(corner_functions(fts, st_q), (nk, 1))
    h = np.repeat(np.sqrt(np.linalg.norm(sq.da, axis=2).sum(1)), nq)

    mconn = mesh.face_connectivity(master)
    mx = mesh.nodes[mconn]
    from scipy.spatial import cKDTree  # here: a solve without interfaces never loads it

    tree = cKDTree(mx[:, :3].mean(axis=1))
    k = min(k, len(master))
    _, cand = tree.query(pts, k=k)
    cand = cand.reshape(len(pts), k)
    best_d = np.full(len(pts), np.inf)
    best = {}
    for j in range(k):  # k candidates, each a vectorised projection of all points
        c = cand[:, j]
        st, x, n, N, outside = _project(mx[c], pts, ftm)
        d = np.linalg.norm(pts - x, axis=1) + 1e3 * outside * h  # prefer faces that contain it
        better = d < best_d
        best_d[better] = d[better]
        for key, val in (("face", c), ("x", x), ("n", n), ("N", N), ("out", outside)):
            if key not in best:
                best[key] = val.copy()
            else:
                best[key][better] = val[better]
    ok = best["out"] <= outside_tol
    frame = _frames(best["n"])
    g0 = np.einsum("pc,pc->p", pts - best["x"], best["n"])
    g0[np.abs(g0) < 1e-8 * h] = 0.0  # coincident surfaces: round-off must not open them
    sel = np.flatnonzero(ok)
    return PairedPoints(
        x=pts[sel], w=w[sel], frame=frame[sel], g0=g0[sel], slave_conn=slave_conn[sel],
        slave_N=slave_N[sel], slave_L=slave_L[sel], master_conn=mconn[best["face"][sel]], master_N=best["N"][sel],
        h=h[sel], slave_elem=np.repeat(slave[:, 0], nq)[sel],
        master_elem=master[best["face"][sel], 0], unmatched=pts[~ok],
    )


def concat(parts: list[PairedPoints]) -> PairedPoints:
    """Points of several face groups or interfaces in one set: connectivities of different widths
    padded with their first node and zero shape functions (no entry in the gap operator)."""
    out = {}
    for f in PairedPoints.__dataclass_fields__:
        arrs = [getattr(p, f) for p in parts]
        if arrs[0].ndim == 2 and f != "unmatched" and f != "x":
            width = max(a.shape[1] for a in arrs)
            fill = (lambda a: np.repeat(a[:, :1], width - a.shape[1], axis=1)) if f.endswith(
                "conn") else (lambda a: np.zeros((len(a), width - a.shape[1])))
            arrs = [np.hstack([a, fill(a)]) if a.shape[1] < width else a for a in arrs]
        out[f] = np.concatenate(arrs)
    return PairedPoints(**out)
