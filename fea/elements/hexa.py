"""Hexahedra C3D8 (2x2x2 Gauss), C3D8I, C3D20 (3x3x3), C3D20R (2x2x2, as CalculiX); QUAD4/QUAD8 faces.

Reference cell [-1, 1]^3. Node order (Abaqus == VTK hexahedron / hexahedron20):

    corners 0..3 on zeta = -1 counter-clockwise seen from +zeta, 4..7 above them on zeta = +1;
    C3D20 mid-edge nodes 8:(0,1) 9:(1,2) 10:(2,3) 11:(3,0) 12:(4,5) 13:(5,6) 14:(6,7) 15:(7,4)
    16:(0,4) 17:(1,5) 18:(2,6) 19:(3,7).

Faces are Abaqus S1..S6 (index 0..5), listed with an outward normal by the right-hand rule:

    S1 (0,3,2,1) zeta=-1   S2 (4,5,6,7) zeta=+1   S3 (0,1,5,4) eta=-1
    S4 (1,2,6,5) xi=+1     S5 (2,3,7,6) eta=+1    S6 (3,0,4,7) xi=-1

QUAD8 faces append the mid-edge nodes of (c0,c1), (c1,c2), (c2,c3), (c3,c0).
C3D8I is C3D8 enriched with Wilson's three bubble modes (1 - xi^2, 1 - eta^2, 1 - zeta^2 per
displacement component) in Taylor's form (mode gradients from the centre Jacobian, scaled by
det J0 / det J, which passes the patch test on distorted elements), condensed per element in the
numba kernel (fea.assembly.element_stiffness_im): bending without C3D8's shear locking.
C3D8R is CalculiX's reduced brick: one point with Flanagan and Belytschko's uniform gradient and
their hourglass stiffness, scaled as ccx does (fea.assembly.element_stiffness_hg).
C3D20R is C3D20 integrated with 2x2x2 points (CalculiX's reduced rule, no hourglass control:
the quadratic element's spurious mode does not spread through a mesh of two or more elements).
"""

from __future__ import annotations

import numpy as np

from .registry import (ElementType, FaceType, gauss_box, linear_extrapolation, register,
                       register_face)

HEX8_REF = np.array([[-1.0, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1],
                     [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]])
HEX20_EDGES = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4],
                        [0, 4], [1, 5], [2, 6], [3, 7]], dtype=np.int64)
HEX20_REF = np.vstack([HEX8_REF, 0.5 * (HEX8_REF[HEX20_EDGES[:, 0]] + HEX8_REF[HEX20_EDGES[:, 1]])])
HEX8_FACES = np.array([[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6],
                       [3, 0, 4, 7]], dtype=np.int64)


def _with_mid_nodes(corner_faces: np.ndarray, edges: np.ndarray, first_mid: int) -> np.ndarray:
    """Quadratic face tables: corners, then the mid node of each face edge in turn."""
    lookup = {frozenset(map(int, e)): first_mid + k for k, e in enumerate(edges)}
    k = corner_faces.shape[1]
    mids = [[lookup[frozenset((int(f[i]), int(f[(i + 1) % k])))] for i in range(k)]
            for f in corner_faces]
    return np.hstack([corner_faces, np.array(mids, dtype=np.int64)])


HEX20_FACES = _with_mid_nodes(HEX8_FACES, HEX20_EDGES, 8)


def hex_shape(nn: int, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """N (q, nn) and dN/dxi (q, nn, 3) of the 8-node (trilinear) or 20-node (serendipity) brick."""
    pts = np.atleast_2d(pts)
    ref = {8: HEX8_REF, 20: HEX20_REF}[nn]
    x = pts[:, None, :]  # (q, 1, 3)
    r = ref[None, :, :]  # (1, nn, 3)
    lin = 1.0 + r * x  # (q, nn, 3): 1 + a xi, 1 + b eta, 1 + c zeta
    if nn == 8:
        N = lin.prod(axis=2) / 8.0
        dN = np.stack([r[..., 0] * lin[..., 1] * lin[..., 2], lin[..., 0] * r[..., 1] *
                       lin[..., 2], lin[..., 0] * lin[..., 1] * r[..., 2]], axis=2) / 8.0
        return N, dN
    q = len(pts)
    N = np.empty((q, 20))
    dN = np.empty((q, 20, 3))
    # corners: (1+a xi)(1+b eta)(1+c zeta)(a xi + b eta + c zeta - 2) / 8
    s = (r[:, :8] * x).sum(axis=2) - 2.0
    p = lin[:, :8]
    N[:, :8] = p.prod(axis=2) * s / 8.0
    for d in range(3):
        o1, o2 = [k for k in range(3) if k != d]
        dN[:, :8, d] = r[:, :8, d] * p[..., o1] * p[..., o2] * (s + p[..., d]) / 8.0
    # mid-edge nodes: the coordinate that is 0 there gives (1 - t^2), the other two are linear
    for i in range(8, 20):
        d = int(np.flatnonzero(ref[i] == 0)[0])
        o1, o2 = [k for k in range(3) if k != d]
        bub = 1.0 - pts[:, d] ** 2
        l1, l2 = 1.0 + ref[i, o1] * pts[:, o1], 1.0 + ref[i, o2] * pts[:, o2]
        N[:, i] = 0.25 * bub * l1 * l2
        dN[:, i, d] = -0.5 * pts[:, d] * l1 * l2
        dN[:, i, o1] = 0.25 * bub * ref[i, o1] * l2
        dN[:, i, o2] = 0.25 * bub * l1 * ref[i, o2]
    return N, dN


QUAD4_REF = np.array([[-1.0, -1], [1, -1], [1, 1], [-1, 1]])
QUAD8_REF = np.vstack([QUAD4_REF, [[0.0, -1], [1, 0], [0, 1], [-1, 0]]])


def quad_shape(nn: int, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """N (q, nn) and dN/dxi (q, nn, 2) of QUAD4 (bilinear) or QUAD8 (serendipity)."""
    pts = np.atleast_2d(pts)
    ref = {4: QUAD4_REF, 8: QUAD8_REF}[nn]
    x, r = pts[:, None, :], ref[None, :, :]
    lin = 1.0 + r * x
    if nn == 4:
        N = lin.prod(axis=2) / 4.0
        dN = np.stack([r[..., 0] * lin[..., 1], lin[..., 0] * r[..., 1]], axis=2) / 4.0
        return N, dN
    q = len(pts)
    N, dN = np.empty((q, 8)), np.empty((q, 8, 2))
    s = (r[:, :4] * x).sum(axis=2) - 1.0
    p = lin[:, :4]
    N[:, :4] = p.prod(axis=2) * s / 4.0
    dN[:, :4, 0] = r[:, :4, 0] * p[..., 1] * (s + p[..., 0]) / 4.0
    dN[:, :4, 1] = r[:, :4, 1] * p[..., 0] * (s + p[..., 1]) / 4.0
    for i in range(4, 8):
        d = int(np.flatnonzero(ref[i] == 0)[0])
        o = 1 - d
        bub, lo = 1.0 - pts[:, d] ** 2, 1.0 + ref[i, o] * pts[:, o]
        N[:, i] = 0.5 * bub * lo
        dN[:, i, d] = -pts[:, d] * lo
        dN[:, i, o] = 0.5 * bub * ref[i, o]
    return N, dN


def quad_rule(npts: int) -> tuple[np.ndarray, np.ndarray]:
    n = int(round(np.sqrt(npts)))
    if n * n != npts or n < 1:
        raise ValueError(f"no {npts}-point quadrilateral rule (have n*n Gauss points)")
    return gauss_box(n, 2)


QUAD4 = register_face(FaceType("QUAD4", 4, 4, lambda p: quad_shape(4, p), quad_rule, 4, "quad"))
QUAD8 = register_face(FaceType("QUAD8", 8, 4, lambda p: quad_shape(8, p), quad_rule, 9, "quad8"))


def _hex(name: str, nn: int, n_gauss: int, kernel: str = "isoparametric") -> ElementType:
    pts, w = gauss_box(n_gauss, 3)
    ref = HEX8_REF if nn == 8 else HEX20_REF
    return ElementType(
        name, nn, 8, ref, lambda p: hex_shape(nn, p), pts, w,
        HEX8_FACES if nn == 8 else HEX20_FACES, (QUAD4 if nn == 8 else QUAD8,) * 6,
        "hexahedron" if nn == 8 else "hexahedron20",
        linear_extrapolation(ref, pts, lambda p: hex_shape(8, p)),
        np.zeros((0, 2), np.int64) if nn == 8 else HEX20_EDGES, kernel)


C3D8 = register(_hex("C3D8", 8, 2), default_for_nodes=True)
C3D20 = register(_hex("C3D20", 20, 3), default_for_nodes=True)
C3D20R = register(_hex("C3D20R", 20, 2))
C3D8I = register(_hex("C3D8I", 8, 2, "incompatible"))
# C3D8R: one point at the centre (its orientation and stress are taken there), the uniform
# gradient and CalculiX's hourglass stiffness (fea.assembly.element_stiffness_hg)
C3D8R = register(ElementType(
    "C3D8R", 8, 8, HEX8_REF, lambda p: hex_shape(8, p), np.zeros((1, 3)), np.array([8.0]),
    HEX8_FACES, (QUAD4,) * 6, "hexahedron",
    linear_extrapolation(HEX8_REF, np.zeros((1, 3)), lambda p: hex_shape(8, p)),
    np.zeros((0, 2), np.int64), "hourglass"))
