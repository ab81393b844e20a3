"""Shape functions and quadrature for TET4/TET10 solids (C3D4, C3D10) and their TRI3/TRI6 faces.

Node ordering (the VTK order, identical to Abaqus C3D4/C3D10):

    corners 0..3 at reference points (0,0,0), (1,0,0), (0,1,0), (0,0,1);
    TET10 mid-edge nodes 4:(0,1) 5:(1,2) 6:(0,2) 7:(0,3) 8:(1,3) 9:(2,3).

gmsh's 10-node tetrahedron swaps the last two (8:(2,3), 9:(1,3)); readers permute on input.

Faces are numbered like Abaqus S1..S4 (index 0..3) but listed here with an outward normal by the
right-hand rule, so that (x1-x0) x (x2-x0) points out of the element:

    face 0 = S1 (0,2,1)   face 1 = S2 (0,1,3)   face 2 = S3 (1,2,3)   face 3 = S4 (0,3,2)

TRI6 faces append the mid-edge nodes of (c0,c1), (c1,c2), (c2,c0).
"""

from __future__ import annotations

import numpy as np

# local face -> element node indices, outward ordering (see module docstring)
TET4_FACES = np.array([[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]], dtype=np.int64)
TET10_FACES = np.array(
    [[0, 2, 1, 6, 5, 4], [0, 1, 3, 4, 8, 7], [1, 2, 3, 5, 9, 8], [0, 3, 2, 7, 9, 6]],
    dtype=np.int64,
)
# mid-edge node -> its two corner nodes (TET10)
TET10_EDGES = np.array([[0, 1], [1, 2], [0, 2], [0, 3], [1, 3], [2, 3]], dtype=np.int64)

GMSH_TET10_TO_VTK = np.array([0, 1, 2, 3, 4, 5, 6, 7, 9, 8], dtype=np.int64)


def faces_of(nodes_per_cell: int) -> np.ndarray:
    return TET4_FACES if nodes_per_cell == 4 else TET10_FACES


# ---------------------------------------------------------------- quadrature (reference tet)
def tet_quadrature(npts: int) -> tuple[np.ndarray, np.ndarray]:
    """Points (q,3) and weights (q,) on the unit reference tetrahedron (volume 1/6)."""
    if npts == 1:
        return np.array([[0.25, 0.25, 0.25]]), np.array([1.0 / 6.0])
    if npts == 4:  # degree 2: exact for the stiffness of straight-sided TET10
        a, b = 0.5854101966249685, 0.1381966011250105
        pts = np.array([[b, b, b], [a, b, b], [b, a, b], [b, b, a]])
        return pts, np.full(4, 1.0 / 24.0)
    if npts == 11:  # Keast degree 4 (has one negative weight)
        a, b = 0.0714285714285714, 0.785714285714286
        c, d = 0.399403576166799, 0.100596423833201
        pts = [[0.25, 0.25, 0.25], [a, a, a], [b, a, a], [a, b, a], [a, a, b]]
        pts += [[c, c, d], [c, d, c], [c, d, d], [d, c, c], [d, c, d], [d, d, c]]
        w = [-0.01315555555555556] + [0.007622222222222222] * 4 + [0.02488888888888889] * 6
        return np.array(pts), np.array(w)
    raise ValueError(f"no {npts}-point tetrahedron rule (have 1, 4, 11)")


def tri_quadrature(npts: int) -> tuple[np.ndarray, np.ndarray]:
    """Points (q,2) and weights (q,) on the unit reference triangle (area 1/2)."""
    if npts == 1:
        return np.array([[1 / 3, 1 / 3]]), np.array([0.5])
    if npts == 3:  # degree 2
        p = np.array([[1 / 6, 1 / 6], [2 / 3, 1 / 6], [1 / 6, 2 / 3]])
        return p, np.full(3, 1 / 6)
    if npts == 6:  # degree 4 (Dunavant)
        a1, b1, w1 = 0.445948490915965, 0.108103018168070, 0.223381589678011
        a2, b2, w2 = 0.091576213509771, 0.816847572980459, 0.109951743655322
        p = [[a1, a1], [b1, a1], [a1, b1], [a2, a2], [b2, a2], [a2, b2]]
        return np.array(p), np.array([w1] * 3 + [w2] * 3) * 0.5
    if npts == 7:  # degree 5 (Dunavant)
        a1, b1, w1 = 0.470142064105115, 0.059715871789770, 0.132394152788506
        a2, b2, w2 = 0.101286507323456, 0.797426985353087, 0.125939180544827
        p = [[1 / 3, 1 / 3], [a1, a1], [b1, a1], [a1, b1], [a2, a2], [b2, a2], [a2, b2]]
        return np.array(p), np.array([0.225] + [w1] * 3 + [w2] * 3) * 0.5
    raise ValueError(f"no {npts}-point triangle rule (have 1, 3, 6, 7)")


# ---------------------------------------------------------------- shape functions
# mid-edge node -> its two corners, per simplex dimension (TRI6: edges (c0,c1), (c1,c2), (c2,c0))
SIMPLEX_EDGES = {2: np.array([[0, 1], [1, 2], [2, 0]], dtype=np.int64), 3: TET10_EDGES}


def simplex_shape(nn: int, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """N (q,nn) and dN/dxi (q,nn,d) of the linear or quadratic simplex of dimension d = pts'
    width: TRI3 / TRI6 (d 2, nn 3 / 6) and TET4 / TET10 (d 3, nn 4 / 10). One function: the
    quadratic basis is the same product of barycentrics L_i (2 L_i - 1), 4 L_a L_b in both."""
    pts = np.atleast_2d(pts)
    q, d = pts.shape
    L = np.concatenate([1.0 - pts.sum(axis=1, keepdims=True), pts], axis=1)  # barycentric
    dL = np.vstack([-np.ones(d), np.eye(d)])  # dL_i/dxi (d+1, d)
    if nn == d + 1:
        return L, np.broadcast_to(dL, (q, d + 1, d)).copy()
    edges = SIMPLEX_EDGES.get(d)
    if edges is None or nn != d + 1 + len(edges):
        raise ValueError(f"a {d}-D simplex has {d + 1} or {(d + 1) * (d + 2) // 2} nodes, "
                         f"not {nn}")
    N = np.empty((q, nn))
    dN = np.empty((q, nn, d))
    N[:, :d + 1] = L * (2 * L - 1)
    dN[:, :d + 1] = (4 * L - 1)[:, :, None] * dL[None]
    a, b = edges[:, 0], edges[:, 1]
    N[:, d + 1:] = 4 * L[:, a] * L[:, b]
    dN[:, d + 1:] = 4 * (L[:, a, None] * dL[b][None] + L[:, b, None] * dL[a][None])
    return N, dN


# the historical names: a tetrahedron's (points (q, 3)) and a triangle's (points (q, 2))
tet_shape = tri_shape = simplex_shape


def default_tet_rule(nn: int) -> int:
    """Quadrature points used for stiffness and stress: 1 for TET4, 4 for TET10 (as C3D10)."""
    return 1 if nn == 4 else 4


def corner_extrapolation(nn: int) -> np.ndarray:
    """Matrix (nn, q) taking quadrature-point values to element nodes.

    TET4: the constant value. TET10 (4-point rule): the linear field through the four points,
    evaluated at the corners; mid-edge nodes take the mean of their two corners.
    """
    q = default_tet_rule(nn)
    if nn == 4:
        return np.ones((4, 1))
    pts, _ = tet_quadrature(q)
    L_at_q, _ = tet_shape(4, pts)  # (q, 4): value at qp of corner basis
    to_corners = np.linalg.inv(L_at_q)  # corner values = inv * qp values
    E = np.zeros((10, q))
    E[:4] = to_corners
    for k, (a, b) in enumerate(TET10_EDGES):
        E[4 + k] = 0.5 * (to_corners[a] + to_corners[b])
    return E


# ---------------------------------------------------------------- registry entries
def _register() -> None:
    from .registry import ElementType, FaceType, register, register_face

    tri3 = register_face(FaceType("TRI3", 3, 3, lambda p: tri_shape(3, p), tri_quadrature, 3,
                                  "triangle"))
    tri6 = register_face(FaceType("TRI6", 6, 3, lambda p: tri_shape(6, p), tri_quadrature, 6,
                                  "triangle6"))
    ref4 = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    ref10 = np.vstack([ref4, 0.5 * (ref4[TET10_EDGES[:, 0]] + ref4[TET10_EDGES[:, 1]])])
    for name, nn, ref, faces, ft in (("C3D4", 4, ref4, TET4_FACES, tri3),
                                     ("C3D10", 10, ref10, TET10_FACES, tri6)):
        pts, w = tet_quadrature(default_tet_rule(nn))
        register(ElementType(
            name, nn, 4, ref, lambda p, nn=nn: tet_shape(nn, p), pts, w, faces, (ft,) * 4,
            "tetra" if nn == 4 else "tetra10", corner_extrapolation(nn),
            TET10_EDGES if nn == 10 else np.zeros((0, 2), np.int64)), default_for_nodes=True)
