"""Stress recovery, von Mises, principal stresses and reactions.

Stresses (MPa, Voigt xx, yy, zz, xy, yz, xz) are computed at the quadrature points (peaks are
read there) and extrapolated to the element nodes; nodal values are averaged only among elements
of the same region (section), so a Ti implant never smears into the bone it touches. Output
meshes therefore carry one copy of each interface node per region (`split_by_region`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from .assembly import (_b_column, _d_times, _gradients, _im_matrices, cell_blocks,
                       centre_jacobian, kernel_args, mode_gradients, point_steps,
                       uniform_gradient)


@njit(parallel=True, cache=True)
def _qp_stress(nodes, cells, mat, step, Ds, dN, w, u, out, kind, pts, dN0):
    m, nn = cells.shape
    nq = dN.shape[0]
    for e in prange(m):
        xe = np.empty((nn, 3))
        ue = np.empty((nn, 3))
        for a in range(nn):
            for d in range(3):
                xe[a, d] = nodes[cells[e, a], d]
                ue[a, d] = u[cells[e, a], d]
        G = np.empty((nn, 3))
        bcol = np.empty(6)
        Dq = Ds[mat[e]:mat[e] + (nq if step[e] else 1)]
        alpha = np.zeros(9)
        inv0 = np.zeros((3, 3))
        det0 = 1.0
        if kind == 1:  # C3D8I: the condensed mode amplitudes of this element's displacement
            Kua = np.empty((3 * nn, 9))
            Kaa = np.empty((9, 9))
            _im_matrices(xe, Dq, dN, w, pts, dN0, Kua, Kaa)
            alpha = -np.linalg.solve(Kaa, Kua.T @ ue.ravel())
            inv0, det0 = centre_jacobian(xe, dN0)
        gm = np.empty((3, 3))
        for q in range(nq):
            if kind == 2:  # C3D8R: its one point's strain is the uniform gradient's
                detJ = uniform_gradient(xe, G)
            else:
                detJ = _gradients(xe, dN[q], G)
            eps = np.zeros(6)
            for a in range(nn):
                for c in range(3):
                    _b_column(G[a], c, bcol)
                    for r in range(6):
                        eps[r] += bcol[r] * ue[a, c]
            if kind == 1:
                mode_gradients(pts[q], inv0, det0, detJ, gm)
                for k in range(3):
                    for c in range(3):
                        _b_column(gm[k], c, bcol)
                        for r in range(6):
                            eps[r] += bcol[r] * alpha[3 * k + c]
            _d_times(Dq[q if Dq.shape[0] > 1 else 0], eps, 1.0, out[e, q])


def qp_stress(nodes, cells, mat_id, Ds, disp, step=None) -> np.ndarray:
    """(m, q, 6) stresses (global axes) at the quadrature points of every element. cells:
    (m, nn) array, a Mesh or its blocks; where blocks have different point counts, an element's
    shorter row repeats its first point (so maxima and the set of values are unchanged).
    mat_id, Ds, step: as fea.assembly.assemble_stiffness."""
    blocks = cell_blocks(cells)
    step = point_steps(step, len(mat_id))
    q = max(len(b.type.points) for b in blocks)
    m = sum(len(b.cells) for b in blocks)
    out = np.empty((m, q, 6))
    disp = np.ascontiguousarray(disp)
    for b in blocks:
        nq = len(b.type.points)
        part = np.empty((len(b.cells), nq, 6))
        rows = slice(b.offset, b.offset + len(b.cells))
        _qp_stress(nodes, np.ascontiguousarray(b.cells), np.ascontiguousarray(mat_id[rows]),
                   np.ascontiguousarray(step[rows]), Ds, b.type.dN(),
                   np.ascontiguousarray(b.type.weights), disp, part, *kernel_args(b.type))
        out[b.offset:b.offset + len(b.cells), :nq] = part
        out[b.offset:b.offset + len(b.cells), nq:] = part[:, :1]
    return out


def von_mises(s: np.ndarray) -> np.ndarray:
    xx, yy, zz, xy, yz, xz = (s[..., i] for i in range(6))
    return np.sqrt(
        0.5 * ((xx - yy) ** 2 + (yy - zz) ** 2 + (zz - xx) ** 2) + 3 * (xy**2 + yz**2 + xz**2)
    )


def principal(s: np.ndarray) -> np.ndarray:
    """Principal stresses, descending (..., 3)."""
    T = np.empty(s.shape[:-1] + (3, 3))
    T[..., 0, 0], T[..., 1, 1], T[..., 2, 2] = s[..., 0], s[..., 1], s[..., 2]
    T[..., 0, 1] = T[..., 1, 0] = s[..., 3]
    T[..., 1, 2] = T[..., 2, 1] = s[..., 4]
    T[..., 0, 2] = T[..., 2, 0] = s[..., 5]
    return np.linalg.eigvalsh(T)[..., ::-1]


@dataclass
class RegionSplit:
    """Output mesh with interface nodes duplicated per region."""

    point_node: np.ndarray  # (p,) original node index of each output point
    cells: np.ndarray  # (m, nn) into output points
    point_region: np.ndarray  # (p,) region index


def split_by_region(cells: np.ndarray, region: np.ndarray) -> RegionSplit:
    nn = cells.shape[1]
    pair = region[:, None].repeat(nn, 1).ravel() * (cells.max() + 1) + cells.ravel()
    uniq, inv = np.unique(pair, return_inverse=True)
    n_total = cells.max() + 1
    return RegionSplit(uniq % n_total, inv.reshape(cells.shape), uniq // n_total)


def nodal_stress(cells, qp: np.ndarray, split: RegionSplit) -> np.ndarray:
    """Per-region averaged nodal stresses (p, 6) on the split output mesh. cells: (m, nn)
    array, a Mesh or its blocks (split.cells then holds padded rows, see Mesh.padded_cells)."""
    p = len(split.point_node)
    acc = np.zeros((p, 6))
    cnt = np.zeros(p)
    for b in cell_blocks(cells):
        E = b.type.extrapolation  # (nn, q)
        rows = slice(b.offset, b.offset + len(b.cells))
        at_nodes = np.einsum("aq,mqc->mac", E, qp[rows, :E.shape[1]])  # (m_b, nn, 6)
        sc = split.cells[rows, :b.type.n_nodes].ravel()
        cnt += np.bincount(sc, minlength=p)
        for c in range(6):
            acc[:, c] += np.bincount(sc, at_nodes[:, :, c].ravel(), p)
    return acc / np.maximum(cnt, 1)[:, None]


def set_reaction(nodes: np.ndarray, node_idx: np.ndarray, reaction_nodal: np.ndarray):
    """Total force (N) and moment (N*mm) about the set's centroid from nodal reactions (n,3)."""
    c = nodes[node_idx].mean(axis=0)
    R = reaction_nodal[node_idx]
    F = R.sum(axis=0)
    M = np.cross(nodes[node_idx] - c, R).sum(axis=0)
    return F, M, c
