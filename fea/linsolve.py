"""Linear solver backends for the reduced SPD system K q = b.

- "amg": conjugate gradients preconditioned by pyamg smoothed aggregation with the rigid-body modes
  as near-null space (settings measured on TET10 in DESIGN.md);
- "pardiso": sparse Cholesky (MKL PARDISO through pypardiso, SPD mode), polished by a few CG
  steps preconditioned with the factor. On the cervical constructs (distributing couplings, tied
  screws, Ti next to cancellous bone) smoothed aggregation needed ~200 CG iterations while PARDISO
  factored the 80k-DOF system in ~3 s: the default up to `pardiso_max_dof`;
- "direct": sparse LU (SuperLU), the fallback when PARDISO is not installed, for small systems
  only: fill-in grows fast in 3D, so it is refused above `direct_max_dof`;
- "auto": PARDISO up to `pardiso_max_dof` (else SuperLU below `auto_direct_below`), AMG above.
Every solve reports backend, iterations, true relative residual (||b - K q|| / ||b||, checked
after every solve: above max(residual_tol, 10 rtol) the solve is not converged), time, a converged
flag and, for the factorising backends, a 1-norm condition estimate of K (fea.static warns above
`ill_conditioned`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
import weakref
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from .errors import FeaError


@dataclass
class SolverSettings:
    backend: str = "auto"  # auto | amg | pardiso | direct
    rtol: float = 1e-8
    maxiter: int = 3000
    auto_direct_below: int = 20000
    direct_max_dof: int = 150000
    pardiso_max_dof: int = 600000  # above: memory of the factor grows past a few GB
    residual_tol: float = 1e-6  # a solve whose true residual exceeds this is not converged
    ill_conditioned: float = 1e12  # warn above this condition estimate: K q = b then loses up
    # to cond x 1e-16 relative accuracy (a body held by a far too soft spring, a 1e6 modulus jump)
    memory_check: bool = True  # refuse a model whose estimated memory exceeds what is free

    def __post_init__(self):
        if self.backend not in ("auto", "amg", "pardiso", "direct"):
            raise FeaError("solver backend must be auto, amg, pardiso or direct, "
                           f"not '{self.backend}'")


def pardiso_available() -> bool:
    try:
        import pypardiso  # noqa: F401
    except Exception:  # missing wheel or MKL that cannot load
        return False
    return True


@dataclass
class SolveInfo:
    backend: str
    n_dof: int
    iterations: int
    residual: float  # ||b - K q|| / ||b||
    converged: bool
    setup_s: float
    solve_s: float
    newton_iterations: int = 0  # interface solver: Newton steps in this increment
    al_iterations: int = 0  # interface solver: multiplier updates
    cutbacks: int = 0  # interface solver: increment halvings needed
    violation_mm: float = 0.0  # interface solver: largest gap/stick-creep violation left
    condition_estimate: float | None = None  # 1-norm condition number of K (direct backends)

    def as_dict(self) -> dict:
        return asdict(self)


def _free_pardiso(ps) -> None:
    with contextlib.suppress(Exception):  # at interpreter exit MKL may already be gone
        ps.free_memory(everything=True)


class LinearSolver:
    """Set up once per reduced matrix (factorisation or AMG hierarchy), then solve many RHS."""

    def __init__(self, K: sp.csr_matrix, near_null: np.ndarray | None, settings: SolverSettings):
        self.K = K
        self.settings = settings
        n = K.shape[0]
        backend = settings.backend
        if backend == "auto":
            if pardiso_available() and n <= settings.pardiso_max_dof:
                backend = "pardiso"
            else:
                backend = "direct" if n < settings.auto_direct_below else "amg"
        if backend == "pardiso" and not pardiso_available():
            raise FeaError("backend 'pardiso' needs the pypardiso package (pip install pypardiso)")
        if backend == "direct" and n > settings.direct_max_dof:
            raise FeaError(
                f"direct solver refused for {n} DOFs (limit {settings.direct_max_dof}): sparse LU "
                "fill-in in 3D would need too much memory; use backend 'amg'"
            )
        self.backend = backend
        self.condition: float | None = None  # set by condition_estimate()
        t0 = time.perf_counter()
        if n == 0:
            self._solve = lambda b: (np.zeros(0), 0)
        elif backend == "direct":
            lu = sla.splu(K.tocsc(), permc_spec="MMD_AT_PLUS_A")
            self._apply = lu.solve
            self._solve = lambda b: (lu.solve(b), 1)
        elif backend == "pardiso":
            self._solve = self._pardiso_setup(K)
        else:
            self._solve = self._amg_setup(K, near_null)
        self.setup_s = time.perf_counter() - t0

    def condition_estimate(self) -> float | None:
        """||K||_1 ||K^-1||_1 estimated with a few solves by the factor (Hager-Higham 1-norm
        estimator, one column: ~4 solves, a fraction of the factorisation); None for AMG, where
        each solve would be a full CG. Stored in `self.condition`, reported with every solve."""
        n = self.K.shape[0]
        if self.backend not in ("direct", "pardiso") or n == 0:
            return None
        inv = sla.LinearOperator((n, n), matvec=self._apply, rmatvec=self._apply, dtype=float)
        norm_k = float(abs(self.K).sum(axis=0).max())
        with np.errstate(all="ignore"):
            self.condition = float(norm_k * sla.onenormest(inv, t=1, itmax=2))
        return self.condition

    def preconditioner(self):
        """A LinearOperator applying the set-up solver (AMG V-cycle or the factor's solve)."""
        n = self.K.shape[0]
        if self.backend in ("direct", "pardiso"):
            return sla.LinearOperator((n, n), matvec=self._apply, dtype=float)
        return self._M

    def _pardiso_setup(self, K):
        import pypardiso

        _locate_mkl_once()
        upper = sp.triu(K, format="csr")
        upper.sort_indices()
        ps = pypardiso.PyPardisoSolver(mtype=2)  # real symmetric positive definite
        ps.set_statistical_info_off()
        ps.factorize(upper)
        self._pardiso = ps
        # pypardiso never frees MKL's factor by itself: without this every dropped solver leaked
        # its factor (measured: 2 MB per set-up of a 1.3k-DOF model, the whole factor of a
        # construct), so a long in-process study or the interface solver's rebuilds grew
        weakref.finalize(self, _free_pardiso, ps)
        self._apply = lambda b: ps.solve(upper, np.ascontiguousarray(b, dtype=float))
        s = self.settings

        def solve(b):
            # the factor alone leaves ~1e-9 on ill-conditioned constructs: a few CG steps with
            # the factor as preconditioner bring the residual to rtol
            count = [0]

            def cb(_):
                count[0] += 1

            x, _ = sla.cg(K, b, x0=self._apply(b), rtol=s.rtol, atol=0.0, maxiter=50,
                          M=self.preconditioner(), callback=cb)
            return x, 1 + count[0]

        return solve

    def pcg(self, A, b, rtol, x0=None, maxiter=None):
        """CG on operator A preconditioned by this solver; returns (x, iterations)."""
        count = [0]

        def cb(_):
            count[0] += 1

        x, _ = sla.cg(A, b, x0=x0, rtol=rtol, atol=0.0, maxiter=maxiter or self.settings.maxiter,
                      M=self.preconditioner(), callback=cb)
        return x, count[0]

    def _amg_setup(self, K, B):
        import pyamg

        if B is None:
            B = np.ones((K.shape[0], 1))
        ml = pyamg.smoothed_aggregation_solver(
            K, B=B, symmetry="hermitian", strength=("symmetric", {"theta": 0.0}),
            smooth="jacobi", max_coarse=1000,
        )
        M = ml.aspreconditioner(cycle="V")
        self._M = M
        s = self.settings

        def solve(b):
            count = [0]

            def cb(_):
                count[0] += 1

            x, _ = sla.cg(K, b, rtol=s.rtol, atol=0.0, maxiter=s.maxiter, M=M, callback=cb)
            return x, count[0]

        return solve

    def solve(self, b: np.ndarray) -> tuple[np.ndarray, SolveInfo]:
        t0 = time.perf_counter()
        nb = float(np.linalg.norm(b))
        if nb == 0.0:
            x, it, res = np.zeros_like(b), 0, 0.0
        else:
            x, it = self._solve(b)
            res = float(np.linalg.norm(b - self.K @ x) / nb)
        tol = max(self.settings.residual_tol, 10 * self.settings.rtol)
        ok = bool(np.isfinite(res) and res <= tol and np.all(np.isfinite(x)))
        info = SolveInfo(self.backend, self.K.shape[0], int(it), res, ok, self.setup_s,
                         time.perf_counter() - t0, condition_estimate=self.condition)
        return x, info


@functools.cache
def _locate_mkl_once() -> None:
    """pypardiso looks for libmkl_rt by a recursive glob of the environment on every solver it
    creates (~1 s each; the interface solver creates one per refactorisation): look once and
    hand the path over through PYPARDISO_MKL_RT."""
    import glob
    import sys
    from ctypes.util import find_library

    if os.environ.get("PYPARDISO_MKL_RT") or find_library("mkl_rt"):
        return
    found = sorted(glob.glob(f"{sys.prefix}/[Ll]ib*/**/*mkl_rt*", recursive=True), key=len)
    if found:
        os.environ["PYPARDISO_MKL_RT"] = found[0]
