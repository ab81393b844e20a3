"""Ligament fibres whose force follows their current length (`kinematics = "current_length"`).

A small-displacement fibre stretches by n0 . (u_B - u_A) only: when its ends move across it (a
capsule whose bones turn past each other) it does not stretch at all, where a real one of length
L lengthens by about |du_across|^2 / 2L (docs/validation.md, "The lateral C1-C2 capsules'
wind-up, measured"). Such a fibre here is a geometrically exact truss on the solve's
displacements: its span y = (x_B - x_A) + (u_B - u_A), its elongation |y| - L0, its force F
along y / |y|, and its tangent the truss's, dF/ddelta n n^T + F / |y| (I - n n^T).

The term carries every fibre of the model as an item of three rows (block 3): a current-length
fibre's span, and a small-displacement fibre's elongation (its row of fibres.B) in the first row
of its item with two empty rows, so that both kinds share one Newton term, one summary and one
ligaments.vtu. Only models with a current-length ligament use it (fea.ligaments.term.make_term).

What it leaves out: the bones' own rotation. A small-displacement solve moves a point of a bone
turned by w to x + w x r, which lies |w|^2 |r| / 2 further from the axis than the turned point:
a fibre running radially from the axis (the alar ligaments in axial rotation) would stretch
falsely, so give this kinematics to fibres that run across the motion (joint capsules), not
along a radius; fea.ligaments.co_rotated turns the ends with their bones instead.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError
from ..newton import Evaluation
from .term import SLACK, TAUT, LigamentTerm, heaviest

KINEMATICS = ("small", "current_length", "co_rotated")


def current_fibres(model, fibres, kinds=("current_length", "co_rotated")) -> np.ndarray:
    """(n,) bool: the fibres whose ligament's kinematics is one of `kinds` (the truss on its
    current span; checked: two ends, own line, no via)."""
    flags = []
    for j, lg in enumerate(model.ligaments):
        kin = getattr(lg, "kinematics", "small")
        if kin not in KINEMATICS:
            raise ConfigError(f"{model.source}: ligament '{lg.name}': kinematics must be one of "
                              f"{', '.join(KINEMATICS)}, not '{kin}'")
        if kin != "small" and (lg.to_set is None or lg.direction is not None
                                        or getattr(lg, "via", None) is not None
                                        or (lg.ends is not None and lg.ends[0] is None)):
            raise ConfigError(f"{model.source}: ligament '{lg.name}': kinematics = "
                              f"'{kin}' needs a fibre between two ends along its own "
                              "straight line (no spring to ground, fixed direction or via point)")
        flags.append(kin in kinds)
    return np.asarray(flags, bool)[fibres.ligament] if fibres.n else np.zeros(0, bool)


def _span_rows(W: sp.csr_matrix, fibre_rows: np.ndarray, n_items: int, n_dof: int,
               sign: float) -> sp.csr_matrix:
    """sign * W[f] on the three rows of item f, one per component (3 n_items x n_dof)."""
    Wc = W[fibre_rows].tocoo()
    f = fibre_rows[Wc.row]
    rows = (3 * f[:, None] + np.arange(3)).ravel()
    cols = (3 * Wc.col[:, None] + np.arange(3)).ravel()
    vals = np.repeat(sign * Wc.data, 3)
    return sp.csr_matrix((vals, (rows, cols)), shape=(3 * n_items, n_dof))


def _first_rows(B: sp.csr_matrix, fibre_rows: np.ndarray, n_items: int) -> sp.csr_matrix:
    """B's rows of the given fibres, each on the first row of its item (3 n_items x n_dof)."""
    P = sp.csr_matrix((np.ones(len(fibre_rows)), (3 * fibre_rows, fibre_rows)),
                      shape=(3 * n_items, B.shape[0]))
    return (P @ B).tocsr()


class CurrentLengthTerm(LigamentTerm):
    block = 3

    def __init__(self, model, fibres):
        super().__init__(model, fibres)
        n, n_dof = fibres.n, model.n_full
        self.current = current_fibres(model, fibres)
        cur, lin = np.flatnonzero(self.current), np.flatnonzero(~self.current)
        self.operator = (_first_rows(fibres.B, lin, n)
                         + _span_rows(fibres.WB, cur, n, n_dof, 1.0)
                         + _span_rows(fibres.WA, cur, n, n_dof, -1.0)).tocsr()
        self.operator_pre = (_first_rows(self.operator_pre, lin, n)
                             + _span_rows(heaviest(fibres.WB), cur, n, n_dof, 1.0)
                             + _span_rows(heaviest(fibres.WA), cur, n, n_dof, -1.0)).tocsr()
        self.y0 = np.zeros((n, 3))
        self.y0[cur] = fibres.end_b[cur] - fibres.end_a[cur]
        self.n0 = np.zeros((n, 3))
        self.n0[:, 0] = 1.0  # a small-displacement item's force sits in its first row
        self.n0[cur] = fibres.direction[cur]

    # ---- kinematics and law at a span -------------------------------------------------
    def _at(self, y: np.ndarray):
        """(delta, unit vectors, length) of every item at y (n, 3)."""
        cur = self.current
        length = np.linalg.norm(y, axis=1)
        delta = y[:, 0].copy()
        delta[cur] = length[cur] - self.fibres.L0[cur]
        nvec = self.n0.copy()
        ok = cur & (length > 0)
        nvec[ok] = y[ok] / length[ok, None]
        return delta, nvec, length

    def _forces(self, y: np.ndarray):
        delta, nvec, length = self._at(y)
        F, dF, is_taut = self._eval(delta)
        return delta, nvec, length, F, dF, is_taut

    def _y(self, u) -> np.ndarray:
        return self.y0 + (self.operator @ u).reshape(-1, 3)

    # ---- set-up and history --------------------------------------------------------------
    def bonded(self):
        D = self.k_lin[:, None, None] * np.einsum("fi,fj->fij", self.n0, self.n0)
        return D, np.full(self.fibres.n, TAUT)

    def start_case(self, loadcase) -> None:
        super().start_case(loadcase)
        self.s = self.F[:, None] * self.n0

    def snapshot(self):
        return self.delta.copy(), self.F.copy(), self.s.copy()

    def restore(self, snap) -> None:
        self.delta, self.F, self.s = (a.copy() for a in snap)

    # ---- Newton steps -------------------------------------------------------------------
    def evaluate(self, u, it: int) -> Evaluation:
        y = self._y(u)
        delta, nvec, length, F, dF, is_taut = self._forces(y)
        self._y_last, self._delta, self._F, self._taut = y, delta, F, is_taut
        self._s = F[:, None] * nvec
        k = np.where(is_taut, dF, dF + self.k_reg)
        D = k[:, None, None] * np.einsum("fi,fj->fij", nvec, nvec)
        cur = self.current & (length > 0)
        geo = np.where(cur, F / np.where(length > 0, length, 1.0), 0.0)
        D[cur] += geo[cur, None, None] * (np.eye(3) - np.einsum("fi,fj->fij", nvec[cur],
                                                                nvec[cur]))
        return Evaluation(self._s.ravel(), D, np.where(is_taut, TAUT, SLACK).astype(np.int64))

    def slope(self, a: float, dy: np.ndarray) -> float:
        d = dy.reshape(-1, 3)
        _, nvec, _, F, _, _ = self._forces(self._y_last + a * d)
        return float(np.einsum("fi,fi->", F[:, None] * nvec, d))

    def commit(self, ev) -> None:
        super().commit(ev)
        self.s = self._s

    # ---- what the driver and the outputs read ------------------------------------------
    def _generalised(self, last: bool = False) -> np.ndarray:
        return (self._s if last else self.s).ravel()
