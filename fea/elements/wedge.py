"""Wedges (triangular prisms) C3D6 and C3D15, as CalculiX integrates them.

Reference cell: the unit triangle (xi, eta) times zeta in [-1, 1]. Node order (Abaqus):

    corners 0,1,2 on zeta = -1 at (0,0), (1,0), (0,1); 3,4,5 above them on zeta = +1;
    C3D15 mid-edge nodes 6:(0,1) 7:(1,2) 8:(2,0) 9:(3,4) 10:(4,5) 11:(5,3) 12:(0,3) 13:(1,4)
    14:(2,5).

Faces (Abaqus S1..S5, outward by the right-hand rule): S1 (0,2,1) and S2 (3,4,5) are
triangles, S3 (0,1,4,3), S4 (1,2,5,4), S5 (2,0,3,5) quadrilaterals, so a wedge's face set mixes
face types (fea.mesh.Mesh.face_groups splits them).
Quadrature (CalculiX): C3D6 the triangle centroid times 2 Gauss points; C3D15 the 3-point
triangle rule times 3 Gauss points.
VTK numbers a wedge's base the other way round (its (0,1,2) normal points out): meshio swaps
the linear wedge itself, the 15-node one takes `vtk_order`.
"""

from __future__ import annotations

import numpy as np

from .hexa import _with_mid_nodes
from .registry import FACES, ElementType, gauss_line, linear_extrapolation, register
from .tet import tri_quadrature

_TRI_REF = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
WEDGE6_REF = np.vstack([np.column_stack([_TRI_REF, -np.ones(3)]),
                        np.column_stack([_TRI_REF, np.ones(3)])])
WEDGE15_EDGES = np.array([[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 3], [0, 3], [1, 4],
                          [2, 5]], dtype=np.int64)
WEDGE15_REF = np.vstack([WEDGE6_REF, 0.5 * (WEDGE6_REF[WEDGE15_EDGES[:, 0]]
                                            + WEDGE6_REF[WEDGE15_EDGES[:, 1]])])
_CORNER_FACES = [[0, 2, 1], [3, 4, 5], [0, 1, 4, 3], [1, 2, 5, 4], [2, 0, 3, 5]]


def _padded(rows: list[list[int]]) -> np.ndarray:
    w = max(len(r) for r in rows)
    return np.array([r + [-1] * (w - len(r)) for r in rows], dtype=np.int64)


WEDGE6_FACES = _padded(_CORNER_FACES)
WEDGE15_FACES = _padded([_with_mid_nodes(np.array([f]), WEDGE15_EDGES, 6)[0].tolist()
                         for f in _CORNER_FACES])


def wedge_shape(nn: int, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """N (q, nn) and dN/dxi (q, nn, 3) of the 6-node or 15-node wedge."""
    pts = np.atleast_2d(pts)
    xi, eta, z = pts[:, 0], pts[:, 1], pts[:, 2]
    L = np.stack([1.0 - xi - eta, xi, eta], 1)  # (q, 3)
    dL = np.array([[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0]])  # dL_i / d(xi, eta)
    q = len(pts)
    N, dN = np.empty((q, nn)), np.empty((q, nn, 3))
    for i in range(6):
        c, s = i % 3, (-1.0 if i < 3 else 1.0)  # triangle corner, side of zeta
        h, dh = 0.5 * (1 + s * z), 0.5 * s  # linear in zeta
        if nn == 6:
            N[:, i] = L[:, c] * h
            dN[:, i, :2] = dL[c][None, :] * h[:, None]
            dN[:, i, 2] = L[:, c] * dh
        else:  # 0.5 L (2L - 1)(1 + s z) - 0.5 L (1 - z^2)
            a = 2 * L[:, c] - 1
            N[:, i] = L[:, c] * a * h - 0.5 * L[:, c] * (1 - z * z)
            dNdL = (4 * L[:, c] - 1) * h - 0.5 * (1 - z * z)
            dN[:, i, :2] = dL[c][None, :] * dNdL[:, None]
            dN[:, i, 2] = L[:, c] * a * dh + L[:, c] * z
    if nn == 6:
        return N, dN
    for k, (a, b) in enumerate(WEDGE15_EDGES):
        i = 6 + k
        ca, cb = a % 3, b % 3
        if ca != cb:  # an edge of a triangle: 2 La Lb (1 + s z)
            s = -1.0 if a < 3 else 1.0
            N[:, i] = 2 * L[:, ca] * L[:, cb] * (1 + s * z)
            dN[:, i, :2] = 2 * (1 + s * z)[:, None] * (L[:, ca][:, None] * dL[cb]
                                                       + L[:, cb][:, None] * dL[ca])
            dN[:, i, 2] = 2 * L[:, ca] * L[:, cb] * s
        else:  # a vertical edge: L (1 - z^2)
            N[:, i] = L[:, ca] * (1 - z * z)
            dN[:, i, :2] = dL[ca][None, :] * (1 - z * z)[:, None]
            dN[:, i, 2] = -2 * L[:, ca] * z
    return N, dN


def _rule(n_tri: int, n_line: int) -> tuple[np.ndarray, np.ndarray]:
    """Triangle rule times Gauss-Legendre in zeta (triangle points fastest, as CalculiX)."""
    tp, tw = tri_quadrature(n_tri)
    lp, lw = gauss_line(n_line)
    pts = np.array([[a, b, z] for z in lp for a, b in tp])
    w = np.array([u * v for v in lw for u in tw])
    return pts, w


def _wedge(name: str, nn: int, n_tri: int, n_line: int, vtk_order=None) -> ElementType:
    pts, w = _rule(n_tri, n_line)
    ref = WEDGE6_REF if nn == 6 else WEDGE15_REF
    tri, quad = (FACES["TRI3"], FACES["QUAD4"]) if nn == 6 else (FACES["TRI6"], FACES["QUAD8"])
    return ElementType(
        name, nn, 6, ref, lambda p: wedge_shape(nn, p), pts, w,
        WEDGE6_FACES if nn == 6 else WEDGE15_FACES, (tri, tri, quad, quad, quad),
        "wedge" if nn == 6 else "wedge15",
        linear_extrapolation(ref, pts, lambda p: wedge_shape(6, p)),
        np.zeros((0, 2), np.int64) if nn == 6 else WEDGE15_EDGES,
        vtk_order=vtk_order)


C3D6 = register(_wedge("C3D6", 6, 1, 2), default_for_nodes=True)
# meshio passes wedge15 to VTK unchanged: base triangles reversed here, mid nodes with them
C3D15 = register(_wedge("C3D15", 15, 3, 3, np.array([0, 2, 1, 3, 5, 4, 8, 7, 6, 11, 10, 9,
                                                       12, 14, 13])), default_for_nodes=True)
