"""Stiffness assembly in numba.

The CSR pattern is built once per mesh (`Pattern`): node adjacency -> 3x3 DOF blocks, int32
indices, plus for each element the position of every (node a, node b) block in row a. Elements are
greedily coloured so that no two elements of one colour share a node; each colour is assembled in
parallel straight into the CSR data with no race and no per-element matrix stored.
DOF numbering: node i owns DOFs 3i, 3i+1, 3i+2 (x, y, z).
A mesh of several cell blocks (element types) shares one pattern; each block has its own block
positions and colouring and is assembled by the same kernel with its type's dN and weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from .elements.registry import type_for_nodes


# ---------------------------------------------------------------- pattern
@njit(cache=True)
def _node_to_cells(cells, n_nodes):
    m, nn = cells.shape
    count = np.zeros(n_nodes + 1, np.int64)
    for e in range(m):
        for a in range(nn):
            count[cells[e, a] + 1] += 1
    ptr = np.cumsum(count)
    fill = ptr[:-1].copy()
    out = np.empty(ptr[-1], np.int64)
    for e in range(m):
        for a in range(nn):
            n = cells[e, a]
            out[fill[n]] = e
            fill[n] += 1
    return ptr, out


@njit(cache=True)
def _node_graph(cells, n_nodes, n2c_ptr, n2c):
    """Sorted neighbour lists (self included) of every node, as CSR. A marker array keeps each
    neighbour once as the node's cells are walked, so only the distinct neighbours are sorted:
    0.04 s CPU for the 37k-node TET10 cantilever of bench_ccx.py against 0.17 s (in parallel)
    for np.unique over every cell's nodes, twice (issue 18)."""
    nn = cells.shape[1]
    mark = np.full(n_nodes, -1, np.int64)
    ptr = np.zeros(n_nodes + 1, np.int64)
    for i in range(n_nodes):
        c = 0
        for p in range(n2c_ptr[i], n2c_ptr[i + 1]):
            for a in range(nn):
                j = cells[n2c[p], a]
                if mark[j] != i:
                    mark[j] = i
                    c += 1
        ptr[i + 1] = ptr[i] + c
    idx = np.empty(ptr[-1], np.int32)
    mark[:] = -1
    for i in range(n_nodes):
        k = ptr[i]
        for p in range(n2c_ptr[i], n2c_ptr[i + 1]):
            for a in range(nn):
                j = cells[n2c[p], a]
                if mark[j] != i:
                    mark[j] = i
                    idx[k] = j
                    k += 1
        idx[ptr[i]:k].sort()
    return ptr, idx


@njit(cache=True)
def _block_positions(cells, gptr, gidx, n2c_ptr, n2c):
    """pos[e, a, b]: where node b of element e sits in node a's neighbour list. Row by row: the
    row's neighbours are marked with their positions once, then read for every element of the
    node (n2c: the node's elements in cells). 0.014 s CPU for the 23.9k-element TET10 cantilever
    of the 110k-DOF deck against 0.065 s for a binary search per (element, a, b) (issue 18)."""
    m, nn = cells.shape
    pos = np.empty((m, nn, nn), np.int32)
    where = np.empty(len(gptr) - 1, np.int32)
    for i in range(len(gptr) - 1):
        lo = gptr[i]
        for k in range(lo, gptr[i + 1]):
            where[gidx[k]] = k - lo
        for p in range(n2c_ptr[i], n2c_ptr[i + 1]):
            e = n2c[p]
            for a in range(nn):
                if cells[e, a] == i:
                    for b in range(nn):
                        pos[e, a, b] = where[cells[e, b]]
    return pos


@njit(parallel=True, cache=True)
def _dof_pattern(gptr, gidx):
    n = len(gptr) - 1
    indptr = np.empty(3 * n + 1, np.int64)
    indptr[0] = 0
    for i in range(n):
        L = 3 * (gptr[i + 1] - gptr[i])
        for c in range(3):
            indptr[3 * i + c + 1] = indptr[3 * i] + (c + 1) * L
    indices = np.empty(indptr[-1], np.int32)
    for i in prange(n):
        L = 3 * (gptr[i + 1] - gptr[i])
        for c in range(3):
            start = indptr[3 * i + c]
            for k in range(gptr[i + 1] - gptr[i]):
                col = gidx[gptr[i] + k]
                for d in range(3):
                    indices[start + 3 * k + d] = 3 * col + d
    return indptr, indices


@njit(cache=True)
def _color_cells(cells, n_nodes, nc):
    """Greedy colouring on the nc corner nodes (mid-edge nodes are shared only with
    corner-sharers)."""
    m = cells.shape[0]
    words = 8  # up to 512 colours
    used = np.zeros((n_nodes, words), np.uint64)
    color = np.empty(m, np.int64)
    for e in range(m):
        chosen = -1
        for w in range(words):
            mask = np.uint64(0)
            for a in range(nc):
                mask |= used[cells[e, a], w]
            if mask != np.uint64(0xFFFFFFFFFFFFFFFF):
                for bit in range(64):
                    if (mask >> np.uint64(bit)) & np.uint64(1) == 0:
                        chosen = w * 64 + bit
                        break
                break
        if chosen < 0:
            raise ValueError("element colouring needs more than 512 colours")
        color[e] = chosen
        w, bit = chosen // 64, chosen % 64
        for a in range(nc):
            used[cells[e, a], w] |= np.uint64(1) << np.uint64(bit)
    return color


@dataclass
class BlockPattern:
    """Where one cell block's element blocks go, and its colouring."""

    block_pos: np.ndarray  # (m_b, nn, nn) int32: position of node b within node row a
    color_ptr: np.ndarray  # (ncolors+1,)
    color_cells: np.ndarray  # element indices (within the block) grouped by colour


@dataclass
class Pattern:
    """Sparsity of the global stiffness of one mesh, reused for every assembly."""

    indptr: np.ndarray  # (3n+1,) int64
    indices: np.ndarray  # (nnz,) int32
    blocks: list[BlockPattern]

    @property
    def block_pos(self) -> np.ndarray:  # the first (for a single-type mesh: the) block's
        return self.blocks[0].block_pos

    @property
    def color_ptr(self) -> np.ndarray:
        return self.blocks[0].color_ptr

    @property
    def color_cells(self) -> np.ndarray:
        return self.blocks[0].color_cells

    @property
    def n_dof(self) -> int:
        return len(self.indptr) - 1

    @property
    def nnz(self) -> int:
        return len(self.indices)

    def matrix(self, data: np.ndarray) -> sp.csr_matrix:
        n = self.n_dof
        idxptr = self.indptr.astype(np.int32) if self.nnz < 2**31 - 1 else self.indptr
        K = sp.csr_matrix((data, self.indices, idxptr), shape=(n, n))
        K.has_sorted_indices = True
        return K


def cell_blocks(cells) -> list:
    """A Mesh's blocks, a list of blocks, or a bare (m, nn) array (type from its node count)."""
    from .mesh import CellBlock

    if hasattr(cells, "blocks"):
        return cells.blocks
    if isinstance(cells, list):
        return cells
    cells = np.ascontiguousarray(cells, dtype=np.int64)
    return [CellBlock(type_for_nodes(cells.shape[1]), cells, 0)]


def build_pattern(cells, n_nodes: int) -> Pattern:
    """cells: (m, nn) array, a Mesh, or its list of CellBlock."""
    blocks = cell_blocks(cells)
    if len(blocks) == 1:
        allc = blocks[0].cells
    else:  # node graph of all blocks: short cells padded with their own first node
        w = max(b.cells.shape[1] for b in blocks)
        allc = np.vstack([np.hstack([b.cells, np.repeat(b.cells[:, :1], w - b.cells.shape[1], 1)])
                          for b in blocks])
    allc = np.ascontiguousarray(allc, dtype=np.int64)
    ptr, n2c = _node_to_cells(allc, n_nodes)
    gptr, gidx = _node_graph(allc, n_nodes, ptr, n2c)
    indptr, indices = _dof_pattern(gptr, gidx)
    out = []
    for b in blocks:
        c = np.ascontiguousarray(b.cells, dtype=np.int64)
        bptr, bn2c = (ptr, n2c) if len(blocks) == 1 else _node_to_cells(c, n_nodes)
        pos = _block_positions(c, gptr, gidx, bptr, bn2c)
        color = _color_cells(c, n_nodes, b.type.n_corners)
        order = np.argsort(color, kind="stable")
        color_ptr = np.searchsorted(color[order], np.arange(color.max() + 2)) if len(c) else \
            np.zeros(1, np.int64)
        out.append(BlockPattern(pos, color_ptr, order))
    return Pattern(indptr, indices, out)


# ---------------------------------------------------------------- element kernel
@njit(cache=True, inline="always")
def _gradients(xe, dN, G):
    """Fill G (nn,3) with dN/dx at one point; return detJ."""
    nn = xe.shape[0]
    J = np.zeros((3, 3))
    for n in range(nn):
        for a in range(3):
            for b in range(3):
                J[a, b] += xe[n, a] * dN[n, b]
    det = (
        J[0, 0] * (J[1, 1] * J[2, 2] - J[1, 2] * J[2, 1])
        - J[0, 1] * (J[1, 0] * J[2, 2] - J[1, 2] * J[2, 0])
        + J[0, 2] * (J[1, 0] * J[2, 1] - J[1, 1] * J[2, 0])
    )
    inv = np.empty((3, 3))
    inv[0, 0] = (J[1, 1] * J[2, 2] - J[1, 2] * J[2, 1]) / det
    inv[0, 1] = (J[0, 2] * J[2, 1] - J[0, 1] * J[2, 2]) / det
    inv[0, 2] = (J[0, 1] * J[1, 2] - J[0, 2] * J[1, 1]) / det
    inv[1, 0] = (J[1, 2] * J[2, 0] - J[1, 0] * J[2, 2]) / det
    inv[1, 1] = (J[0, 0] * J[2, 2] - J[0, 2] * J[2, 0]) / det
    inv[1, 2] = (J[0, 2] * J[1, 0] - J[0, 0] * J[1, 2]) / det
    inv[2, 0] = (J[1, 0] * J[2, 1] - J[1, 1] * J[2, 0]) / det
    inv[2, 1] = (J[0, 1] * J[2, 0] - J[0, 0] * J[2, 1]) / det
    inv[2, 2] = (J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]) / det
    for n in range(nn):
        for a in range(3):
            s = 0.0
            for b in range(3):
                s += dN[n, b] * inv[b, a]
            G[n, a] = s
    return det


@njit(cache=True, inline="always")
def _b_column(g, c, out):
    """Column c (0,1,2) of a node's 6x3 strain-displacement block, Voigt xx,yy,zz,xy,yz,xz."""
    out[:] = 0.0
    if c == 0:
        out[0] = g[0]
        out[3] = g[1]
        out[5] = g[2]
    elif c == 1:
        out[1] = g[1]
        out[3] = g[0]
        out[4] = g[2]
    else:
        out[2] = g[2]
        out[4] = g[1]
        out[5] = g[0]


@njit(cache=True, inline="always")
def _d_times(D, v, f, out):
    """out = f * D @ v for a 6x6 D (the one D.b product of every kernel)."""
    for r in range(6):
        s = 0.0
        for k in range(6):
            s += D[r, k] * v[k]
        out[r] = s * f


@njit(cache=True, inline="always")
def _dot6(a, b):
    """a . b of two Voigt 6-vectors (a strain column against a D.b column)."""
    s = 0.0
    for r in range(6):
        s += a[r] * b[r]
    return s


@njit(cache=True)
def element_stiffness(xe, Dq, dN, w, Ke):
    """Ke (3nn, 3nn) of one element: sum over points of B^T D B detJ w. Dq (k, 6, 6): one D
    for the element (k = 1) or one per quadrature point (a cylindrical orientation)."""
    nq, nn = dN.shape[0], dN.shape[1]
    Ke[:, :] = 0.0
    G = np.empty((nn, 3))
    DB = np.empty((nn, 3, 6))
    bcol = np.empty(6)
    for q in range(nq):
        D = Dq[q if Dq.shape[0] > 1 else 0]
        detJ = _gradients(xe, dN[q], G)
        f = detJ * w[q]
        for b in range(nn):
            for c in range(3):
                _b_column(G[b], c, bcol)
                _d_times(D, bcol, f, DB[b, c])
        for a in range(nn):
            for ca in range(3):
                _b_column(G[a], ca, bcol)
                ia = 3 * a + ca
                for b in range(a, nn):
                    for cb in range(3):
                        s = 0.0
                        for r in range(6):
                            s += bcol[r] * DB[b, cb, r]
                        Ke[ia, 3 * b + cb] += s
    for a in range(nn):  # mirror the lower node blocks
        for b in range(a + 1, nn):
            for ca in range(3):
                for cb in range(3):
                    Ke[3 * b + cb, 3 * a + ca] = Ke[3 * a + ca, 3 * b + cb]


# ---------------------------------------------------------------- incompatible modes (C3D8I)
@njit(cache=True)
def centre_jacobian(xe, dN0):
    """(inverse, determinant) of the Jacobian at the cell centre (dN0: dN/dxi there)."""
    J0 = np.zeros((3, 3))
    for n in range(xe.shape[0]):
        for a in range(3):
            for b in range(3):
                J0[a, b] += xe[n, a] * dN0[n, b]
    return np.linalg.inv(J0), np.linalg.det(J0)


@njit(cache=True, inline="always")
def mode_gradients(pt, inv0, det0, detJ, gm):
    """gm[k] = d(1 - xi_k^2)/dx at reference point pt, in Taylor's form (centre Jacobian,
    scaled by det J0 / det J: the modes then carry no constant strain)."""
    for k in range(3):
        for a in range(3):
            gm[k, a] = -2.0 * pt[k] * inv0[k, a] * det0 / detJ


@njit(cache=True)
def _im_matrices(xe, Dq, dN, w, pts, dN0, Kua, Kaa):
    """Coupling Kua (24, 9) and mode block Kaa (9, 9) of the three Wilson bubble modes
    1 - xi_k^2 per direction, with Taylor's correction: mode gradients from the centre
    Jacobian J0, scaled by det J0 / det J, so that a constant strain passes the patch test."""
    nq, nn = dN.shape[0], dN.shape[1]
    inv0, det0 = centre_jacobian(xe, dN0)
    G = np.empty((nn, 3))
    gm = np.empty((3, 3))  # d(mode k)/dx
    bi = np.empty(6)
    bj = np.empty(6)
    Kua[:, :] = 0.0
    Kaa[:, :] = 0.0
    for q in range(nq):
        D = Dq[q if Dq.shape[0] > 1 else 0]
        detJ = _gradients(xe, dN[q], G)
        f = detJ * w[q]
        mode_gradients(pts[q], inv0, det0, detJ, gm)
        for k in range(3):
            for c in range(3):
                _b_column(gm[k], c, bj)
                _d_times(D, bj, f, bi)  # D b_mode * dV
                for a in range(nn):
                    for ca in range(3):
                        _b_column(G[a], ca, bj)
                        Kua[3 * a + ca, 3 * k + c] += _dot6(bj, bi)
                for l in range(3):
                    for cl in range(3):
                        _b_column(gm[l], cl, bj)
                        Kaa[3 * l + cl, 3 * k + c] += _dot6(bj, bi)


@njit(cache=True)
def element_stiffness_im(xe, Dq, dN, w, pts, dN0, Ke):
    """Ke (24, 24) of C3D8I: the C3D8 stiffness minus the statically condensed modes."""
    element_stiffness(xe, Dq, dN, w, Ke)
    Kua = np.empty((3 * dN.shape[1], 9))
    Kaa = np.empty((9, 9))
    _im_matrices(xe, Dq, dN, w, pts, dN0, Kua, Kaa)
    X = np.linalg.solve(Kaa, Kua.T.copy())  # (9, 24)
    Ke -= Kua @ X


# ---------------------------------------------------------------- hourglass control (C3D8R)
# corner signs of the 8-node brick (Abaqus order) and its four hourglass base vectors
# (eta zeta, xi zeta, xi eta, xi eta zeta at the corners: the trilinear modes that a one-point
# rule does not see), after Flanagan and Belytschko (1981, Int J Numer Meth Eng 17:679-706)
_HEX8_SIGNS = np.array([[-1.0, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1],
                        [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]])
_HOURGLASS = np.stack([_HEX8_SIGNS[:, 1] * _HEX8_SIGNS[:, 2], _HEX8_SIGNS[:, 0] * _HEX8_SIGNS[:, 2],
                       _HEX8_SIGNS[:, 0] * _HEX8_SIGNS[:, 1], _HEX8_SIGNS.prod(axis=1)], axis=1)
# CalculiX 2.20's hourglass stiffness factor (shape8hr.f of 2022; ccx's sources raised it to
# 0.005, Abaqus's default, in October 2025): K_hg scales with 0.0005 E V sum|B|^2
HOURGLASS_SCALE = 0.0005


@njit(cache=True)
def uniform_gradient(xe, B):
    """Fill B (8, 3) with the volume average of dN/dx over the element, (1/V) int dN/dx dV
    (Flanagan-Belytschko's uniform gradient, = (1/V) dV/dx_node); return V. The integrand is of
    degree <= 3 in each reference coordinate, so 2x2x2 Gauss points integrate it exactly."""
    g = 1.0 / np.sqrt(3.0)
    dN = np.empty((8, 3))
    G = np.empty((8, 3))
    B[:, :] = 0.0
    V = 0.0
    for p in range(8):
        pt = _HEX8_SIGNS[p] * g
        for n in range(8):
            s0, s1, s2 = _HEX8_SIGNS[n, 0], _HEX8_SIGNS[n, 1], _HEX8_SIGNS[n, 2]
            l0, l1, l2 = 1.0 + s0 * pt[0], 1.0 + s1 * pt[1], 1.0 + s2 * pt[2]
            dN[n, 0] = s0 * l1 * l2 / 8.0
            dN[n, 1] = l0 * s1 * l2 / 8.0
            dN[n, 2] = l0 * l1 * s2 / 8.0
        detJ = _gradients(xe, dN, G)
        V += detJ
        for n in range(8):
            for a in range(3):
                B[n, a] += G[n, a] * detJ
    for n in range(8):
        for a in range(3):
            B[n, a] /= V
    return V


@njit(cache=True)
def element_stiffness_hg(xe, Dq, modulus, Ke):
    """Ke (24, 24) of C3D8R as CalculiX builds it: one point with the uniform gradient (V B^T D
    B) plus a hourglass stiffness on the four Flanagan-Belytschko hourglass vectors gamma_k =
    h_k - B (x^T h_k) (orthogonal to every linear field, so the patch test holds), the same in
    each direction: K_hg = modulus * 0.0005 * V sum|B|^2 * sum_k gamma_k gamma_k^T, modulus
    CalculiX 2.20 takes it (E; D1111 in global axes if anisotropic, fea.model.hourglass_moduli)."""
    D = Dq[0]
    B = np.empty((8, 3))
    V = uniform_gradient(xe, B)
    Ke[:, :] = 0.0
    DB = np.empty((8, 3, 6))
    bcol = np.empty(6)
    for b in range(8):
        for c in range(3):
            _b_column(B[b], c, bcol)
            _d_times(D, bcol, V, DB[b, c])
    for a in range(8):
        for ca in range(3):
            _b_column(B[a], ca, bcol)
            for b in range(8):
                for cb in range(3):
                    Ke[3 * a + ca, 3 * b + cb] = _dot6(bcol, DB[b, cb])
    # hourglass vectors gamma (8, 4)
    xh = np.zeros((3, 4))  # x^T h_k
    for n in range(8):
        for a in range(3):
            for k in range(4):
                xh[a, k] += xe[n, a] * _HOURGLASS[n, k]
    gam = np.empty((8, 4))
    for n in range(8):
        for k in range(4):
            gam[n, k] = _HOURGLASS[n, k] - (B[n, 0] * xh[0, k] + B[n, 1] * xh[1, k]
                                            + B[n, 2] * xh[2, k])
    bb = 0.0
    for n in range(8):
        for a in range(3):
            bb += B[n, a] * B[n, a]
    f = modulus * HOURGLASS_SCALE * V * bb
    for a in range(8):
        for b in range(8):
            s = 0.0
            for k in range(4):
                s += gam[a, k] * gam[b, k]
            for c in range(3):
                Ke[3 * a + c, 3 * b + c] += f * s


@njit(parallel=True, cache=True)
def _assemble(nodes, cells, mat, step, Ds, dN, w, pos, indptr, color_ptr, color_cells, data,
              kind, pts, dN0, hg):
    """kind 0: isoparametric; 1: incompatible modes (C3D8I); 2: hourglass control (C3D8R).
    Element e's D: Ds[mat[e]], or per point Ds[mat[e] + q] where step[e] is 1; hg[e] its
    hourglass modulus (kind 2)."""
    nn = cells.shape[1]
    nq = dN.shape[0]
    for c in range(len(color_ptr) - 1):
        lo, hi = color_ptr[c], color_ptr[c + 1]
        for k in prange(hi - lo):
            e = color_cells[lo + k]
            xe = np.empty((nn, 3))
            for a in range(nn):
                for d in range(3):
                    xe[a, d] = nodes[cells[e, a], d]
            Ke = np.empty((3 * nn, 3 * nn))
            Dq = Ds[mat[e]:mat[e] + (nq if step[e] else 1)]
            if kind == 1:
                element_stiffness_im(xe, Dq, dN, w, pts, dN0, Ke)
            elif kind == 2:
                element_stiffness_hg(xe, Dq, hg[e], Ke)
            else:
                element_stiffness(xe, Dq, dN, w, Ke)
            for a in range(nn):
                na = cells[e, a]
                rowlen = indptr[3 * na + 1] - indptr[3 * na]
                for b in range(nn):
                    p = 3 * pos[e, a, b]
                    for i in range(3):
                        # rows 3na, 3na+1, 3na+2 have equal length: row 3na+i starts i*rowlen on
                        base = indptr[3 * na] + i * rowlen + p
                        for j in range(3):
                            data[base + j] += Ke[3 * a + i, 3 * b + j]


def kernel_args(et) -> tuple:
    """(kind, quadrature points, dN at the cell centre) for the numba kernels."""
    if et.kernel == "incompatible":
        return 1, np.ascontiguousarray(et.points), np.ascontiguousarray(
            et.shape(np.zeros((1, 3)))[1][0])
    return (2 if et.kernel == "hourglass" else 0), np.zeros((1, 3)), np.zeros((1, 3))


def point_steps(step, m: int) -> np.ndarray:
    """(m,) int64: 1 where an element has one D per quadrature point (None: none has)."""
    return np.zeros(m, np.int64) if step is None else np.ascontiguousarray(step, np.int64)


def isotropic_modulus(D: np.ndarray) -> np.ndarray:
    """E of isotropic stiffness matrices D (..., 6, 6): mu (3 lambda + 2 mu) / (lambda + mu)."""
    lam, mu = D[..., 0, 1], D[..., 3, 3]
    return mu * (3 * lam + 2 * mu) / (lam + mu)


def assemble_stiffness(nodes: np.ndarray, cells, mat_id: np.ndarray, Ds: np.ndarray,
                       pattern: Pattern, step: np.ndarray | None = None,
                       hourglass: np.ndarray | None = None) -> sp.csr_matrix:
    """Global stiffness (3n x 3n CSR, N/mm). cells: (m, nn) array, a Mesh or its blocks;
    mat_id: (m,) index into Ds (nmat, 6, 6), elements numbered across blocks; step (m,): 1 where
    an element's quadrature point q uses Ds[mat_id + q] (fea.model.element_D); hourglass (m,):
    the modulus of C3D8R's hourglass stiffness (fea.model.hourglass_moduli; None: the E of an
    isotropic Ds[mat_id])."""
    data = np.zeros(pattern.nnz)
    nodes = np.ascontiguousarray(nodes)
    mat_id = np.ascontiguousarray(mat_id, dtype=np.int64)
    step = point_steps(step, len(mat_id))
    Ds = np.ascontiguousarray(Ds)
    hg = np.ascontiguousarray(isotropic_modulus(Ds)[mat_id] if hourglass is None else hourglass,
                              dtype=np.float64)
    for b, bp in zip(cell_blocks(cells), pattern.blocks):
        if not len(b.cells):
            continue
        rows = slice(b.offset, b.offset + len(b.cells))
        _assemble(
            nodes, np.ascontiguousarray(b.cells, dtype=np.int64),
            np.ascontiguousarray(mat_id[rows]), np.ascontiguousarray(step[rows]), Ds,
            b.type.dN(), np.ascontiguousarray(b.type.weights), bp.block_pos, pattern.indptr,
            bp.color_ptr, bp.color_cells, data, *kernel_args(b.type), hg[rows],
        )
    return pattern.matrix(data)
