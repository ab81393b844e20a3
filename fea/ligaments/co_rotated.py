"""Ligament fibres whose ends follow their bone's finite rotation (`kinematics = "co_rotated"`).

A small-displacement solve moves a bone turned by w as u(x) = t + w x (x - c): a point at
distance r from the axis ends |w|^2 r / 2 further out than the turned point. A fibre that runs
radially from the axis (the alar ligaments in axial rotation) then stretches by that growth,
and a fibre across the motion (a joint capsule) by the hypotenuse of the false path
(docs/validation.md, "The lateral C1-C2 capsules' wind-up, measured"). Here each fibre end
reads its bone's motion as a twist (t, w) of its attachment set, fitted to the solve's
displacements (linear in u), and a twist (t, w) moves a point at c to c + V(w) t, its
exponential, V(w) = a I + b [w]x + c w w^T with a = sin th / th, b = (1 - cos th) / th^2,
c = (th - sin th) / th^3, th = |w|. To first order that is c + t (the small-displacement
motion); at any rotation it is the point turned on its circle about the twist's own axis. The
fibre places end B by the relative twist of its two bones (below), so a fibre between two
bones that turn together does not stretch at all, and is then the truss of
fea.ligaments.current_length on that span.

Each item has six rows: the relative twist of end B's bone with respect to end A's, read at c_B,
    t_r = u_B(c_B) - u_A(c_B) = t_B - t_A + [d0]x w_A,    w_r = w_B - w_A,    d0 = c_B - c_A,
and the span is y = d0 + V(w_r) t_r: end B placed by the relative motion, in A's frame. Both are
linear in u, and both vanish for any rigid motion of the linear field, so the fibre's energy is
unchanged by it: its forces have no resultant force or moment (the ligament pulls its two bones
equally and oppositely), which placing each end by its own bone's twist does not give. Swapping
A and B gives the inverse motion and the same length. The ends' translations are the fibre's
patch displacements (WA u, WB u); their rotation is the least-squares rotation of the
ligament's whole attachment set on that side (one per ligament side, so that a patch of a few
nodes is not asked for a rotation). A current-length fibre keeps w_r = 0 (empty rows: V = I), a
small-displacement fibre its elongation in the first row, so all three kinds share one term.

The tangent: J^T (k n n^T + F / l (I - n n^T)) J plus the second derivative of the span along
the force, sum_k f_k d2y_k / dq2 (the twist's own geometric stiffness). J is
taken by complex step (exact to round-off), the second derivative by central differences of it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..newton import Evaluation
from .current_length import CurrentLengthTerm
from .term import SLACK, TAUT

BLOCK = 6
_CS = 1e-30  # complex step
_FD = 1e-6  # central differences of the complex-step Jacobian (relative to the end's scale)


# ---- the twist's exponential on an end's translation --------------------------------------
def _coefficients(s):
    """a, b, c of V(w) as functions of s = |w|^2 (analytic, so complex steps pass through)."""
    small = np.abs(s) < 1e-4
    ss = np.where(small, 1.0, s)
    th = np.sqrt(ss)
    a = np.where(small, 1 - s / 6 + s * s / 120 - s ** 3 / 5040, np.sin(th) / th)
    b = np.where(small, 0.5 - s / 24 + s * s / 720 - s ** 3 / 40320, (1 - np.cos(th)) / ss)
    c = np.where(small, 1 / 6 - s / 120 + s * s / 5040 - s ** 3 / 362880,
                 (th - np.sin(th)) / (ss * th))
    return a, b, c


def end_motion(z: np.ndarray) -> np.ndarray:
    """V(w) t of ends z = (t, w) (m, 6): where the end moves (m, 3)."""
    t, w = z[:, :3], z[:, 3:]
    a, b, c = _coefficients(np.einsum("mi,mi->m", w, w))
    return (a[:, None] * t + b[:, None] * np.cross(w, t)
            + c[:, None] * w * np.einsum("mi,mi->m", w, t)[:, None])


def end_jacobian(z: np.ndarray) -> np.ndarray:
    """d(V(w) t) / d(t, w) (m, 3, 6), by complex step."""
    J = np.empty((len(z), 3, 6))
    for k in range(6):
        zc = z.astype(complex)
        zc[:, k] += 1j * _CS
        J[:, :, k] = end_motion(zc).imag / _CS
    return J


def end_hessian(z: np.ndarray, f: np.ndarray) -> np.ndarray:
    """d2 (f . V(w) t) / d(t, w)2 (m, 6, 6) at fixed f (m, 3): central differences of the
    complex-step gradient J^T f."""
    scale = np.maximum(1.0, np.abs(z).max(axis=1))
    H = np.empty((len(z), 6, 6))
    for k in range(6):
        h = _FD * scale
        zp, zm = z.copy(), z.copy()
        zp[:, k] += h
        zm[:, k] -= h
        gp = np.einsum("mij,mi->mj", end_jacobian(zp), f)
        gm = np.einsum("mij,mi->mj", end_jacobian(zm), f)
        H[:, :, k] = (gp - gm) / (2 * h[:, None])
    return 0.5 * (H + H.transpose(0, 2, 1))


# ---- the rotation of an attachment set, linear in u -----------------------------------------
def rotation_fit(W: sp.csr_matrix, nodes: np.ndarray, where: str) -> sp.csr_matrix:
    """(3, 3 n_nodes) G with w = G u the least-squares rotation of the weighted nodes of W's
    summed rows: w = M^-1 sum_i w_i r_i x u_i, M = sum_i w_i (|r_i|^2 I - r_i r_i^T), r_i from
    the weighted centroid (a translation gives w = 0, a rotation w0 x r gives w0)."""
    wsum = np.asarray(W.sum(axis=0)).ravel()
    idx = np.flatnonzero(wsum > 0)
    w = wsum[idx] / wsum[idx].sum()
    x = nodes[idx]
    r = x - w @ x
    M = np.einsum("i,ij,ik->jk", w, r, r)
    M = np.trace(M) * np.eye(3) - M
    ev = np.linalg.eigvalsh(M)
    if ev[0] <= 1e-8 * max(ev[-1], 1e-300):
        raise ConfigError(f"{where}: kinematics = 'co_rotated' needs an attachment set spread "
                          "over an area to read its bone's rotation; this one is a point or a "
                          "line of nodes")
    Minv = np.linalg.inv(M)
    # [r]x as a (3, 3) block per node: (r x u)_j = eps_jkl r_k u_l
    eps = np.zeros((3, 3, 3))
    eps[0, 1, 2] = eps[1, 2, 0] = eps[2, 0, 1] = 1.0
    eps[0, 2, 1] = eps[2, 1, 0] = eps[1, 0, 2] = -1.0
    blocks = np.einsum("jm,mkl,ik,i->ijl", Minv, eps, r, w)  # (p, 3, 3): rows j, columns l
    rows = np.broadcast_to(np.arange(3)[None, :, None], blocks.shape).ravel()
    cols = (3 * idx[:, None, None] + np.arange(3)[None, None, :])
    cols = np.broadcast_to(cols, blocks.shape).ravel()
    return sp.csr_matrix((blocks.ravel(), (rows, cols)), shape=(3, 3 * len(nodes)))


def _rotation_rows(fibres, which: np.ndarray, W: sp.csr_matrix, offset: int, n_dof: int,
                   model, left=None) -> sp.csr_matrix:
    """Rows offset..offset+2 of each co-rotated item: its ligament side's fitted rotation w (the
    same for every fibre of that ligament), or left[f] @ w with a (3, 3) matrix per fibre."""
    n = fibres.n
    parts = []
    for j in np.unique(fibres.ligament[which]):
        mine = np.flatnonzero(which & (fibres.ligament == j))
        G = rotation_fit(W[mine], model.mesh.nodes,
                         f"{model.source}: ligament '{fibres.names[j]}'").tocsr()
        cols = np.unique(G.indices)  # the set's DOFs only: G is dense on them
        L = np.broadcast_to(np.eye(3), (len(mine), 3, 3)) if left is None else left[mine]
        rows_of = L @ G[:, cols].toarray()  # (m, 3, k)
        f, r, c = np.nonzero(rows_of)
        parts.append((BLOCK * mine[f] + offset + r, cols[c], rows_of[f, r, c]))
    if not parts:
        return sp.csr_matrix((BLOCK * n, n_dof))
    r, c, v = (np.concatenate(p) for p in zip(*parts))
    return sp.csr_matrix((v, (r, c)), shape=(BLOCK * n, n_dof))


def _cross_matrices(d: np.ndarray) -> np.ndarray:
    """[d]x per row of d (m, 3): [d]x w = d x w."""
    out = np.zeros((len(d), 3, 3))
    out[:, 0, 1], out[:, 0, 2] = -d[:, 2], d[:, 1]
    out[:, 1, 0], out[:, 1, 2] = d[:, 2], -d[:, 0]
    out[:, 2, 0], out[:, 2, 1] = -d[:, 1], d[:, 0]
    return out


def _spread(M3: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Rows of a three-rows-per-item operator moved to the first three rows of BLOCK."""
    rows = np.arange(3 * n)
    to = BLOCK * (rows // 3) + rows % 3
    P = sp.csr_matrix((np.ones(3 * n), (to, rows)), shape=(BLOCK * n, 3 * n))
    return (P @ M3).tocsr()


class CoRotatedTerm(CurrentLengthTerm):
    block = BLOCK

    def __init__(self, model, fibres, co_rotated: np.ndarray):
        # the current-length layout (three rows an item: a small item's elongation, or the span
        # t_B - t_A) becomes the first three rows here; the rotation rows are added to it
        super().__init__(model, fibres)
        n, n_dof = fibres.n, model.n_full
        self.co_rotated = co_rotated
        d0 = fibres.end_b - fibres.end_a
        self.operator = (_spread(self.operator, n)
                         + _rotation_rows(fibres, co_rotated, fibres.WA, 0, n_dof, model,
                                          left=_cross_matrices(d0))
                         + _rotation_rows(fibres, co_rotated, fibres.WB, 3, n_dof, model)
                         - _rotation_rows(fibres, co_rotated, fibres.WA, 3, n_dof, model)
                         ).tocsr()
        # the factored tangent: the ends' translations on their heaviest nodes, no rotation
        self.operator_pre = _spread(self.operator_pre, n)

    # ---- the span and its derivatives at q ---------------------------------------------
    def _y(self, u) -> np.ndarray:
        return (self.operator @ u).reshape(-1, BLOCK)

    def _span(self, q: np.ndarray):
        """y (n, 3) and J = dy/dq (n, 3, 6) of the current-length items (zeros elsewhere)."""
        cur = self.current
        y = np.zeros((len(q), 3))
        J = np.zeros((len(q), 3, BLOCK))
        y[cur] = self.y0[cur] + end_motion(q[cur])
        J[cur] = end_jacobian(q[cur])
        return y, J

    def _state_at(self, q: np.ndarray):
        y, J = self._span(q)
        y[~self.current, 0] = q[~self.current, 0]  # small items: the elongation, first row
        delta, nvec, length, F, dF, is_taut = self._forces(y)
        return y, J, delta, nvec, length, F, dF, is_taut

    def _generalised_forces(self, J, F, nvec) -> np.ndarray:
        s = np.zeros((len(F), BLOCK))
        cur = self.current
        s[~cur, 0] = F[~cur]
        s[cur] = np.einsum("fij,fi->fj", J[cur], F[cur, None] * nvec[cur])
        return s

    # ---- set-up and history --------------------------------------------------------------
    def bonded(self):
        D3, status = super().bonded()  # at q = 0 the span's Jacobian is [I, 0]
        D = np.zeros((self.fibres.n, BLOCK, BLOCK))
        D[:, :3, :3] = D3
        return D, status

    def start_case(self, loadcase) -> None:
        super().start_case(loadcase)
        s = np.zeros((self.fibres.n, BLOCK))
        s[:, :3] = self.s  # F n0: at rest no end has turned
        self.s = s

    # ---- Newton steps -------------------------------------------------------------------
    def evaluate(self, u, it: int) -> Evaluation:
        q = self._y(u)
        _, J, delta, nvec, length, F, dF, is_taut = self._state_at(q)
        self._y_last, self._delta, self._F, self._taut = q, delta, F, is_taut
        self._s = self._generalised_forces(J, F, nvec)
        k = np.where(is_taut, dF, dF + self.k_reg)
        cur = self.current & (length > 0)
        n = len(F)
        D = np.zeros((n, BLOCK, BLOCK))
        D[~cur, 0, 0] = k[~cur]
        if cur.any():
            nn = np.einsum("fi,fj->fij", nvec[cur], nvec[cur])
            Kt = k[cur, None, None] * nn + (F[cur] / length[cur])[:, None, None] * (np.eye(3) - nn)
            D[cur] = np.einsum("fia,fij,fjb->fab", J[cur], Kt, J[cur])
            rot = cur & self.co_rotated  # only these move w away from zero
            if rot.any():
                D[rot] += end_hessian(q[rot], F[rot, None] * nvec[rot])
        return Evaluation(self._s.ravel(), D, np.where(is_taut, TAUT, SLACK).astype(np.int64))

    def slope(self, a: float, dy: np.ndarray) -> float:
        d = dy.reshape(-1, BLOCK)
        q = self._y_last + a * d
        _, J, _, nvec, _, F, _, _ = self._state_at(q)
        return float(np.einsum("fi,fi->", self._generalised_forces(J, F, nvec), d))
