"""Reference-point couplings as dependency rows of the constraint transformation.

Kinematic (rigid): every coupled node follows the reference point,
    u_i = u_ref + theta x (x_i - x_ref)          (the surface cannot deform).
Distributing: the reference point follows the area-weighted rigid fit of the surface,
    u_ref = (1/A) int u dA + theta x (x_ref - x_c),   theta = J^-1 int (x - x_c) x u dA,
    J = int |r|^2 I - r r^T dA,
so a force/moment on the reference point reaches the surface as the consistent traction
F/A + (J^-1 M_c) x r (the transpose of the same rows) and the surface stays free to deform.
"""

from __future__ import annotations

import numpy as np

from .constraints import LinearDependency
from .errors import FeaError
from .mesh import Mesh
from .model import Model, RefPoint
from .surface import check_one_sided, surface_quadrature


def _cross_matrix(r: np.ndarray) -> np.ndarray:
    """(k,3,3) matrices [r]x with [r]x a = r x a."""
    z = np.zeros(len(r))
    return np.stack(
        [np.stack([z, -r[:, 2], r[:, 1]], 1), np.stack([r[:, 2], z, -r[:, 0]], 1),
         np.stack([-r[:, 1], r[:, 0], z], 1)], 1,
    )


def kinematic_coupling(mesh: Mesh, ref: RefPoint, ref_dof0: int) -> LinearDependency:
    nodes = mesh.nodes_of(ref.surface)
    r = mesh.nodes[nodes] - ref.position
    _require_spread(mesh, ref, mesh.nodes[nodes])
    # u_i,a = u_ref,a + sum_b (theta x r)_a:  theta x r = -[r]x theta
    C = -_cross_matrix(r)  # (k,3,3) coefficient of theta_b in u_i,a
    k = len(nodes)
    dep = (3 * nodes[:, None] + np.arange(3)).ravel()  # (3k,)
    row_t = np.arange(3 * k)
    cols_t = ref_dof0 + np.tile(np.arange(3), k)
    row_r = np.repeat(np.arange(3 * k), 3)
    cols_r = ref_dof0 + 3 + np.tile(np.arange(3), 3 * k)
    vals_r = C.reshape(-1)
    keep = vals_r != 0
    return LinearDependency(
        dep=dep,
        rows=np.concatenate([row_t, row_r[keep]]),
        cols=np.concatenate([cols_t, cols_r[keep]]),
        vals=np.concatenate([np.ones(3 * k), vals_r[keep]]),
        owner=f"kinematic coupling of reference point '{ref.name}'",
    )


def distributing_coupling(mesh: Mesh, ref: RefPoint, ref_dof0: int) -> LinearDependency:
    if ref.surface not in mesh.face_sets:
        raise FeaError(
            f"reference point '{ref.name}': a distributing coupling needs a face set, and "
            f"'{ref.surface}' is not one"
        )
    check_one_sided(mesh, ref.surface)
    sq = surface_quadrature(mesh, mesh.faces(ref.surface))
    dA = sq.dA()  # (k,q)
    A = dA.sum()
    xc = (sq.x * dA[:, :, None]).sum(axis=(0, 1)) / A
    r = sq.x - xc  # (k,q,3)
    rr = (r**2).sum(-1)
    J = np.einsum("kq,kq->", dA, rr) * np.eye(3) - np.einsum("kq,kqa,kqb->ab", dA, r, r)
    _require_spread(mesh, ref, sq.x.reshape(-1, 3))
    Jinv = np.linalg.inv(J)
    d = ref.position - xc
    # coefficient of nodal DOF (node n, comp c) in theta: Jinv [r]x  weighted by N dA
    Rx = _cross_matrix(r.reshape(-1, 3)).reshape(r.shape[0], r.shape[1], 3, 3)
    w = np.einsum("qn,kq->kqn", sq.N, dA)  # (k,q,nf)
    theta = np.einsum("ab,kqbc,kqn->knac", Jinv, Rx, w)  # (k,nf,3theta,3comp)
    trans = np.einsum("kqn->kn", w) / A  # (k,nf)
    # u_ref = trans-average - [d]x theta
    Dx = _cross_matrix(d[None])[0]
    u_ref = np.einsum("kn,ac->knac", trans, np.eye(3)) - np.einsum("ab,knbc->knac", Dx, theta)
    coef = np.concatenate([u_ref, theta], axis=2)  # (k,nf,6,3)
    k, nf = sq.conn.shape
    rows = np.broadcast_to(np.arange(6)[None, None, :, None], coef.shape)
    cols = 3 * sq.conn[:, :, None, None] + np.arange(3)[None, None, None, :]
    cols = np.broadcast_to(cols, coef.shape)
    keep = coef != 0
    return LinearDependency(
        dep=ref_dof0 + np.arange(6),
        rows=rows[keep].ravel(),
        cols=cols[keep].ravel(),
        vals=coef[keep].ravel(),
        owner=f"distributing coupling of reference point '{ref.name}'",
    )


def _require_spread(mesh: Mesh, ref: RefPoint, pts: np.ndarray) -> None:
    """A coupling on collinear points cannot carry a moment about their line."""
    c = pts - pts.mean(axis=0)
    s = np.linalg.svd(c, compute_uv=False) if len(pts) >= 3 else np.zeros(3)
    if len(pts) < 3 or s[1] <= 1e-9 * max(s[0], 1e-300):
        raise FeaError(
            f"reference point '{ref.name}': coupling surface '{ref.surface}' has "
            f"{len(pts)} point(s) on a line; a coupling needs a surface, not a line"
        )


def coupling_dependencies(model: Model) -> list[LinearDependency]:
    out = []
    n = model.mesh.n_nodes
    for j, ref in enumerate(model.ref_points.values()):
        dof0 = 3 * n + 6 * j
        if ref.coupling == "kinematic":
            out.append(kinematic_coupling(model.mesh, ref, dof0))
        elif ref.coupling == "distributing":
            out.append(distributing_coupling(model.mesh, ref, dof0))
        else:
            raise FeaError(
                f"reference point '{ref.name}': coupling must be 'kinematic' or 'distributing', "
                f"not '{ref.coupling}'"
            )
    return out
