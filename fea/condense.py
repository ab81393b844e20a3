"""The Newton driver's tangent solved on the interface: a Woodbury update of the bonded factor.

Every tangent of a constraint set is  A = K0 + B^T E B : K0 the bonded matrix factored once
(fea.static's solver: K plus each term's bonded blocks), B the terms' stacked operators (m rows,
3 per contact point) and E = D - D_bonded block-diagonal, non-zero only at the items whose
tangent differs from the bonded one (contact: open, slipping and frictionless points, and every
point once the penalty was raised). With S = B K0^-1 B^T (dense m x m, one multi-RHS solve of
the factor per constraint set) and J the non-zero blocks of E,

    A^-1 r = K0^-1 (r - B_J^T E_J w),   (I + S_JJ E_J) w = B_J K0^-1 r,

exact whatever the status: two substitutions with the bonded factor and a dense LU of |J| rows
per Newton step, in place of a sparse refactorisation of the whole tangent each time the status
moves. The factor is single precision (fea.linsolve), so this is used as the PCG preconditioner
of the exact (matrix-free) tangent: one or two CG steps per Newton step, and the Newton
iterates are those of the refactoring path within the PCG tolerance.

Chosen over refactoring on status changes (measured on aad_cages, bench/README.md), and over
an explicit Schur complement on the interface DOFs (PARDISO's partial factorisation needs its
own ordering and a second factor of the same matrix; S here comes from the factor the system
has anyway). The default "auto" takes this path when it pays by operation counts
(woodbury_pays: the dense LU grows as rows^3, the set-up as rows x factor size, a refactorisation
as PARDISO's count) and at most `NewtonSettings.condense_max_rows` rows; else it refactors.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.linalg as sla

CHUNK = 256  # right-hand sides per multi-RHS substitution (memory: n x CHUNK doubles)
# What a contact case does per constraint set, counted on the benches (bench/README.md): the
# refactoring path factored the tangent 33-52 times per case (c2_avb 33, aad_cages 47-52,
# bench_contact 37-39), the Woodbury path made 9-15 dense interface LUs
EXPECTED_REFACTORS = 30
EXPECTED_LUS = 10


def woodbury_pays(factor_nnz: int, factor_flops: float, n_sub: int, rows: int) -> dict:
    """Whether the Woodbury path should beat refactoring, from operation counts (no timing,
    so the choice does not depend on the machine's load): the set-up S costs n_sub forward and
    backward substitutions (4 flops per factor non-zero each), a dense LU of the interface rows
    2/3 rows^3 flops, a refactorisation PARDISO's own count. Woodbury when a dense LU is
    cheaper than the refactorisation it replaces and the set-up with EXPECTED_LUS LUs is cheaper
    than EXPECTED_REFACTORS refactorisations. Measured times follow these counts within 1.5x
    (the substitutions run slower per flop than the factorisation, the dense LU faster):
    aad_cages 8 mm (70k DOF, 2196 rows) counts S 13 and an LU 0.55 refactorisations, timed 16-18
    and 0.3: Woodbury; bench_contact --size 0.5 (10k DOF, 2124 rows) counts 13 and 4.2, timed
    19 and 3.5: refactoring (a dense LU of its interface costs more than its sparse factor)."""
    setup = 4.0 * factor_nnz * n_sub
    lu = 2.0 / 3.0 * float(rows) ** 3
    woodbury = setup + EXPECTED_LUS * lu
    refactor = EXPECTED_REFACTORS * factor_flops
    return {"use": bool(lu < factor_flops and woodbury <= refactor),
            "woodbury_flops": woodbury, "refactor_flops": refactor,
            "lu_per_refactor": lu / factor_flops, "setup_per_refactor": setup / factor_flops}


def substitution_count(B: sp.csr_matrix) -> int:
    """Substitutions S = B K0^-1 B^T needs: the rows of B or the DOFs it touches if fewer."""
    return int(min(B.shape[0], len(np.unique(B.indices))))


class InterfaceCondensation:
    """The tangent's inverse from the bonded factor and the interface's small dense problem.

    parts: [(B (m_i x n) csr, D_bonded (p_i, k, k))] per term operator, as the factor has them
    (a term whose factored operator differs from its Newton operator gives two parts, see
    NewtonAnalysis._condensation)."""

    def __init__(self, solver, parts: list, drift: float = 0.3):
        t0 = time.perf_counter()
        self.solver = solver
        self.drift = drift  # a block that moved less than this (of the bonded block) since
        # the last LU is kept at its value there (slipping points move a little every step)
        self.backend = solver.backend
        self.factor_precision = solver.factor_precision
        self.k = [D.shape[1] for _, D in parts]
        self.Db = [D for _, D in parts]
        self.B = sp.vstack([B for B, _ in parts]).tocsr() if parts else None
        m, n = self.B.shape
        # S = B K0^-1 B^T from the factor's substitutions on whichever is fewer: the m rows of
        # B, or the interface DOFs B touches (G = K0^-1 restricted to them, S = B_I G B_I^T)
        dofs = np.unique(self.B.indices)
        if len(dofs) < m:
            BI = self.B[:, dofs]
            G = np.empty((len(dofs), len(dofs)))
            for c0 in range(0, len(dofs), CHUNK):
                c1 = min(c0 + CHUNK, len(dofs))
                e = np.zeros((n, c1 - c0))
                e[dofs[c0:c1], np.arange(c1 - c0)] = 1.0
                G[:, c0:c1] = solver._apply(e).reshape(n, c1 - c0)[dofs]
            S = (BI @ (BI @ G).T).T
        else:
            BT = self.B.T.tocsc()
            S = np.empty((m, m))
            for c0 in range(0, m, CHUNK):
                c1 = min(c0 + CHUNK, m)
                X = solver._apply(BT[:, c0:c1].toarray())  # K0^-1 B^T, a block of columns
                S[:, c0:c1] = self.B @ X.reshape(n, c1 - c0)
        self.S = 0.5 * (S + S.T)  # symmetric up to the factor's rounding
        self.setup_s = time.perf_counter() - t0
        self.offsets = np.cumsum([0] + [k * len(D) for D, k in zip(self.Db, self.k)])
        self.E_ref = None  # E at the last dense LU
        self.E_now = None  # E of the current tangent (sparse, m x m)
        self.K_rows = np.zeros(0, np.int64)  # rows whose E differs from E_ref
        self.lu_s = 0.0
        self.factorisations = 0  # dense LUs of the interface matrix
        self.low_rank = 0  # Newton steps served by a low-rank update of the last LU

    @property
    def m(self) -> int:
        return self.S.shape[0]

    def _changed(self, E: list, ref: list | None, rel: float = 1e-14) -> list:
        """Per part, the blocks where E differs from ref (None: from zero) by more than rel
        of the largest bonded block of the part."""
        out = []
        for i, Ei in enumerate(E):
            d = Ei if ref is None else Ei - ref[i]
            scale = np.abs(self.Db[i]).max(initial=0.0) or np.abs(Ei).max(initial=0.0)
            out.append(np.abs(d).reshape(len(d), -1).max(axis=1, initial=0.0) > rel * scale
                       if scale > 0 else np.zeros(len(d), bool))
        return out

    def _rows(self, masks: list) -> np.ndarray:
        return np.concatenate([self.offsets[i] + (k * np.flatnonzero(mk)[:, None]
                                                  + np.arange(k)).ravel()
                               for i, (mk, k) in enumerate(zip(masks, self.k))])

    def _blockdiag(self, E: list) -> sp.csr_matrix:
        mats = [sp.bsr_matrix((Ei, np.arange(len(Ei)), np.arange(len(Ei) + 1)),
                              shape=(k * len(Ei),) * 2) for Ei, k in zip(E, self.k)]
        return sp.block_diag(mats, format="csr")

    def update(self, Ds: list) -> None:
        """The interface problem (I + S E) w = y for the tangent whose blocks are Ds (one per
        part). Ordered with J = rows where E is non-zero first, I + S E is block lower
        triangular with the identity on the rest, so only I + S_JJ E_J is factored (dense LU).
        A later tangent is served by a low-rank (Woodbury) update of that LU on the rows whose
        E moved since (the status churn and the slipping points) until they reach a third of
        |J|, where the updates start to cost what a new LU does."""
        t0 = time.perf_counter()
        E = [D - Db for D, Db in zip(Ds, self.Db)]
        if self.E_ref is not None:
            moved = self._changed(E, self.E_ref, self.drift)
            K = self._rows(moved)
            if len(K) <= len(self.J) // 3:
                # the blocks that moved less than `drift` keep their reference values: this is
                # then the exact inverse of a nearby tangent, which the PCG corrects
                E_eff = [np.where(mk[:, None, None], Ei, Er)
                         for mk, Ei, Er in zip(moved, E, self.E_ref)]
                self.E_eff, self.E_now = E_eff, self._blockdiag(E_eff)
                self._low_rank(K)
                self.lu_s += time.perf_counter() - t0
                return
        self.E_ref = self.E_eff = E
        self.E_now = self._E_ref_sparse = self._blockdiag(E)
        self.J = self._rows(self._changed(E, None))
        self.N = np.setdiff1d(np.arange(self.m), self.J)
        self.EJ = self.E_now[self.J][:, self.J]
        self.K_rows = np.zeros(0, np.int64)
        if len(self.J):
            SJ = self.S[np.ix_(self.J, self.J)]
            self.lu = la.lu_factor(np.eye(len(self.J)) + (self.EJ.T @ SJ.T).T,
                                   check_finite=False)
            self.SNJ = self.S[np.ix_(self.N, self.J)]
            self.factorisations += 1
        self.lu_s += time.perf_counter() - t0

    def effective_blocks(self) -> list:
        """E per part as the last update() inverts it (blocks that moved less than `drift`
        since the last LU at their value there)."""
        return self.E_eff

    def _ref_solve(self, y: np.ndarray) -> np.ndarray:
        """(I + S E_ref)^-1 y, y (m,) or (m, r)."""
        if not len(self.J):
            return y.copy()
        w = np.empty_like(y)
        wJ = la.lu_solve(self.lu, y[self.J], check_finite=False)
        w[self.J] = wJ
        w[self.N] = y[self.N] - self.SNJ @ (self.EJ @ wJ)
        return w

    def _low_rank(self, K: np.ndarray) -> None:
        """I + S E = (I + S E_ref) + S[:, K] dE_KK P_K: Woodbury on the last LU."""
        self.K_rows = K
        if not len(K):
            return
        dE = self.E_now[K][:, K] - self._E_ref_sparse[K][:, K]
        self.dE = dE.tocsr()
        self.Z = self._ref_solve(self.S[:, K])
        self.luC = la.lu_factor(np.eye(len(K)) + self.dE @ self.Z[K], check_finite=False)
        self.low_rank += 1

    def _interface_solve(self, y: np.ndarray) -> np.ndarray:
        w = self._ref_solve(y)
        K = self.K_rows
        if len(K):
            w = w - self.Z @ la.lu_solve(self.luC, self.dE @ w[K], check_finite=False)
        return w

    def apply(self, r: np.ndarray) -> np.ndarray:
        """A^-1 r = K0^-1 (r - B^T E w), (I + S E) w = B K0^-1 r."""
        x = self.solver._apply(r)
        if self.E_now is None or not self.E_now.nnz:
            return x
        w = self._interface_solve(self.B @ x)
        return self.solver._apply(r - self.B.T @ (self.E_now @ w))

    def preconditioner(self):
        n = self.B.shape[1]
        return sla.LinearOperator((n, n), matvec=self.apply, dtype=float)

    def pcg(self, A, b, rtol, x0=None, maxiter=None):
        """CG on A preconditioned by the updated inverse: (x, converged, iterations)."""
        return self.solver._cg(A, b, x0, rtol, maxiter or self.solver.settings.maxiter,
                               M=self.preconditioner())
