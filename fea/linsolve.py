"""Linear solver backends for the reduced SPD system K q = b.

- "amg": conjugate gradients preconditioned by pyamg smoothed aggregation with the rigid-body modes
  as near-null space (settings measured on TET10 in DESIGN.md);
- "pardiso": sparse Cholesky (MKL PARDISO, SPD mode, fea.pardiso), factored in single precision
  and polished to double-precision accuracy by a few CG steps preconditioned with the factor
  (half the factorisation time and memory; factored again in double when CG stalls or the
  single factor proves untrustworthy, see condition_estimate; `pardiso_precision = "double"`
  forces double). On
  the cervical constructs (distributing couplings, tied screws, Ti next to cancellous bone)
  smoothed aggregation needed ~200 CG iterations while PARDISO factored the 80k-DOF system in
  ~3 s: the default up to `pardiso_max_dof`;
- "direct": sparse LU (SuperLU), the fallback when PARDISO is not installed, for small systems
  only: fill-in grows fast in 3D, so it is refused above `direct_max_dof`;
- "auto": PARDISO up to `pardiso_max_dof` (else SuperLU below `auto_direct_below`), AMG above.
Every solve reports backend, iterations, true relative residual (||b - K q|| / ||b||, checked
after every solve: above max(residual_tol, 10 rtol) the solve is not converged), time, a converged
flag and, for the factorising backends, a 1-norm condition estimate of K (fea.static warns above
`ill_conditioned`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from .errors import FeaError
from .pardiso import PardisoCholesky, PardisoError
from .pardiso import available as _mkl_pardiso_available

log = logging.getLogger(__name__)

# mixed precision (PARDISO factor in single precision, CG in double): the factor is redone in
# double when CG needs more than MIXED_MAX_CG steps or the condition estimate exceeds
# MIXED_MAX_COND (single precision keeps ~7 digits: beyond ~1e9 the factor stops preconditioning);
# above MIXED_CHECK_COND the single factor is checked against a CG-polished solve
MIXED_MAX_CG = 20
MIXED_CHECK_COND = 1e6
MIXED_FAITHFUL = 0.5
MIXED_MAX_COND = 1e9


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
    pardiso_precision: str = "mixed"  # mixed: factor in single precision, CG polish in double

    def __post_init__(self):
        if self.backend not in ("auto", "amg", "pardiso", "direct"):
            raise FeaError("solver backend must be auto, amg, pardiso or direct, "
                           f"not '{self.backend}'")
        if self.pardiso_precision not in ("mixed", "double"):
            raise FeaError("pardiso_precision must be mixed or double, "
                           f"not '{self.pardiso_precision}'")


def pardiso_available() -> bool:
    return _mkl_pardiso_available()


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
    factor_precision: str | None = None  # PARDISO: single (mixed precision) or double
    note: str = ""  # nonlinear solver: what a failed increment was doing (fea.newton)
    reused_from: str = ""  # nonlinear solver: the load case this state was solved in, when a
    # later case with the same first steps restarted from it (fea.newton; solve_s is then 0)

    def as_dict(self) -> dict:
        return asdict(self)


def _one_norm(K: sp.spmatrix, chunk: int = 1 << 20) -> float:
    """||K||_1, the largest column sum of |K|, a million stored entries at a time: |K.data| and
    the int64 column indices of the whole matrix at once were 133 MB of fresh pages (0.1 s at
    110k DOF, issue 18) for n sums."""
    K = sp.csr_matrix(K)  # no copy of a CSR matrix
    n = K.shape[1]
    sums = np.zeros(n)
    for a in range(0, K.nnz, chunk):
        sums += np.bincount(K.indices[a:a + chunk], weights=np.abs(K.data[a:a + chunk]),
                            minlength=n)
    return float(sums.max()) if n else 0.0


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
            raise FeaError("backend 'pardiso' needs MKL's libmkl_rt (pip install mkl)")
        if backend == "direct" and n > settings.direct_max_dof:
            raise FeaError(
                f"direct solver refused for {n} DOFs (limit {settings.direct_max_dof}): sparse LU "
                "fill-in in 3D would need too much memory; use backend 'amg'"
            )
        self.backend = backend
        self.condition: float | None = None  # set by condition_estimate()
        self.factor_precision: str | None = None  # single | double (PARDISO)
        self.refactor_s: float | None = None  # the last refactor()'s time
        t0 = time.perf_counter()
        if n == 0:
            self._solve = lambda b: (np.zeros(0), 0)
        elif backend == "direct":
            lu = sla.splu(K.tocsc(), permc_spec="MMD_AT_PLUS_A")
            self._apply = lu.solve
            self._solve = lambda b: (lu.solve(b), 1)
        elif backend == "pardiso":
            self._pardiso_setup(K)
            # a method, not a closure kept on self: no reference cycle, so dropping the solver
            # frees its factor at once (cycles wait for the cyclic garbage collector)
            self._solve = None
        else:
            self._solve = self._amg_setup(K, near_null)
        self.setup_s = time.perf_counter() - t0

    def condition_estimate(self) -> float | None:
        """||K||_1 ||K^-1||_1 estimated with a few solves by the factor (Hager-Higham 1-norm
        estimator, one column: ~4 solves, a fraction of the factorisation); None for AMG, where
        each solve would be a full CG. Stored in `self.condition`, reported with every solve.
        A single-precision factor factors K rounded to single precision, which loses modes
        softer than ~1e-7 ||K|| (measured on a spring chain: 2.5e8 estimated, 8e11 true): above
        MIXED_CHECK_COND its answer to a random load is checked against the CG-polished one
        (within MIXED_FAITHFUL),
        and K is factored in double (and estimated again) when they differ or the estimate
        passes MIXED_MAX_COND."""
        n = self.K.shape[0]
        if self.backend not in ("direct", "pardiso") or n == 0:
            return None
        inv = sla.LinearOperator((n, n), matvec=self._apply, rmatvec=self._apply, dtype=float)
        norm_k = _one_norm(self.K)
        with np.errstate(all="ignore"):
            self.condition = float(norm_k * sla.onenormest(inv, t=1, itmax=2))
        if self.factor_precision == "single" and not self.condition < MIXED_CHECK_COND:
            why = None
            if not self.condition < MIXED_MAX_COND:
                why = f"condition estimate {self.condition:.1e} above {MIXED_MAX_COND:.0e}"
            elif not self._single_factor_faithful():
                why = ("its answer to a random load is off the CG-polished one by over "
                       f"{MIXED_FAITHFUL:.0%} (condition estimate {self.condition:.1e})")
            if why:
                self._promote(why)
                return self.condition_estimate()
        return self.condition

    def _single_factor_faithful(self) -> bool:
        """A random load excites every mode, the softest most: the single-precision factor's
        answer must be within MIXED_FAITHFUL of the CG-polished one. (A factor that lost the
        softest modes is off by ~100 %: 2.5e8 estimated against 8e11 on the spring chain; a
        benign 1.14M-DOF cantilever, condition 1.1e8, was off by 22 %, which two CG steps
        remove and which moves a condition estimate by as much: kept.)"""
        b = np.random.default_rng(0).standard_normal(self.K.shape[0])
        x0 = self._apply(b)  # the factor's own answer, and CG's start (cg copies x0)
        x, ok, _ = self._cg(self.K, b, x0, 1e-4, MIXED_MAX_CG)
        return ok and np.linalg.norm(x - x0) <= MIXED_FAITHFUL * np.linalg.norm(x)

    def _cg(self, A, b, x0, rtol: float, maxiter: int, M=None):
        """CG on A preconditioned by this solver (or by M): (x, converged, CG iterations)."""
        count = [0]

        def cb(_):
            count[0] += 1

        x, status = sla.cg(A, b, x0=x0, rtol=rtol, atol=0.0, maxiter=maxiter,
                           M=self.preconditioner() if M is None else M, callback=cb)
        return x, status == 0, count[0]

    def _polished(self, b, rtol: float, maxiter: int):
        """CG on K from the factor's solution: (x, converged, CG iterations)."""
        return self._cg(self.K, b, self._apply(b), rtol, maxiter)

    def preconditioner(self):
        """A LinearOperator applying the set-up solver (AMG V-cycle or the factor's solve)."""
        n = self.K.shape[0]
        if self.backend in ("direct", "pardiso"):
            return sla.LinearOperator((n, n), matvec=self._apply, dtype=float)
        return self._M

    def _pardiso_setup(self, K):
        single = self.settings.pardiso_precision == "mixed"
        try:
            self._factor(K, single)
        except PardisoError as e:
            if not (single and e.code == -4):
                raise
            self._promote("not positive definite in single precision")

    def _pardiso_solve(self, b):
        # the factor alone leaves ~1e-7 (single) or ~1e-9 (double, ill-conditioned
        # constructs): CG steps with the factor as preconditioner bring the residual to rtol
        rtol = self.settings.rtol
        single = self.factor_precision == "single"
        x, ok, its = self._polished(b, rtol, MIXED_MAX_CG if single else 50)
        if not ok and single:  # single precision too coarse for this matrix
            self._promote(f"CG not converged in {MIXED_MAX_CG} steps")
            x, ok, more = self._polished(b, rtol, 50)
            its += 1 + more
        return x, 1 + its

    def _promote(self, why: str) -> None:
        log.info("PARDISO, %d DOF: single-precision factor given up (%s), factoring in double",
                 self.K.shape[0], why)
        self._factor(self.K, False)

    def _factor(self, K, single: bool) -> None:
        """(Re)factor K with PARDISO, freeing any previous factor first (memory)."""
        t0 = time.perf_counter()
        if getattr(self, "_pardiso", None) is not None:
            self._pardiso.free()
        f = PardisoCholesky(K, single)
        if hasattr(self, "setup_s"):  # a promotion after set-up counts as set-up time
            self.setup_s += time.perf_counter() - t0
        self._pardiso = f
        self.factor_precision = "single" if single else "double"
        self._apply = f.solve

    def refactor(self, K: sp.csr_matrix) -> bool:
        """Set up again on K with the same sparsity pattern as the matrix set up before: for
        PARDISO the numerical factorisation alone (METIS ordering and symbolic analysis kept;
        0.74 s instead of 1.24 s on a 50k-DOF contact tangent). False if that is not possible
        (other backend, other pattern): then make a new solver. `condition` still refers to the
        first matrix; the time taken is `refactor_s`."""
        if self.backend != "pardiso" or getattr(self, "_pardiso", None) is None:
            return False
        t0 = time.perf_counter()
        try:
            if not self._pardiso.refactor(K):
                return False
        except PardisoError as e:
            if not (e.code == -4 and self.factor_precision == "single"):
                raise
            self.K = K
            self._promote("refactorisation not positive definite in single precision")
        self.K = K
        self._apply = self._pardiso.solve
        self.refactor_s = time.perf_counter() - t0
        return True

    def factor_counts(self) -> tuple[int, float] | None:
        """(non-zeros of the factor, flops of one numerical factorisation) as PARDISO's
        analysis reports them; None for other backends (no count to read)."""
        f = getattr(self, "_pardiso", None) if self.backend == "pardiso" else None
        if f is None or f.factor_nnz <= 0 or f.iparm[18] <= 0:
            return None
        return f.factor_nnz, 1e6 * float(f.iparm[18])

    def release(self) -> None:
        """Free the factor now (the object must not be used for solving afterwards)."""
        if getattr(self, "_pardiso", None) is not None:
            self._pardiso.free()
            self._pardiso = None
        self._apply = self._solve = self._M = None

    def pcg(self, A, b, rtol, x0=None, maxiter=None):
        """CG on operator A preconditioned by this solver; returns (x, iterations)."""
        maxiter = maxiter or self.settings.maxiter
        x, ok, its = self._cg(A, b, x0, rtol, maxiter)
        if not ok and self.factor_precision == "single":
            # a single-precision factor too coarse to precondition A: once more from there
            # with a double one (the interface solver's tangents carry stiff penalty springs)
            self._promote(f"interface CG not converged in {maxiter} steps")
            x, ok, more = self._cg(A, b, x, rtol, maxiter)
            its += more
        return x, its

    def pcg_capped(self, A, b, rtol, maxiter: int, x0=None):
        """CG on A preconditioned by this solver, at most maxiter iterations and no promotion
        when they run out (the caller sets up on a better matrix instead): (x, converged,
        iterations)."""
        return self._cg(A, b, x0, rtol, maxiter)

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
            x, it = self._pardiso_solve(b) if self.backend == "pardiso" else self._solve(b)
            res = float(np.linalg.norm(b - self.K @ x) / nb)
        tol = max(self.settings.residual_tol, 10 * self.settings.rtol)
        ok = bool(np.isfinite(res) and res <= tol and np.all(np.isfinite(x)))
        info = SolveInfo(self.backend, self.K.shape[0], int(it), res, ok, self.setup_s,
                         time.perf_counter() - t0, condition_estimate=self.condition,
                         factor_precision=self.factor_precision)
        return x, info
