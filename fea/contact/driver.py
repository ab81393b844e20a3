"""Incremental solution with interfaces: augmented Lagrangian outer loop, semismooth Newton inner
loop, conjugate gradients preconditioned by a factor (or AMG hierarchy) of the Newton tangent.

Per increment (loads ramped as in fea.static):
  repeat (at most max_al passes):
    Newton on the convex energy  1/2 u K u - f u + sum_p w_p psi_p(g_p(u))  with a line search;
      the Coulomb bound mu * p follows the pressure from step to step (held for the rest of the
      pass once the residual grows); each Newton system K + B^T W D B is applied matrix-free and
      solved by PCG, the preconditioner set up first on the bonded system K + eps B^T W B and
      refactored (same pattern, numerical phase only) on the current tangent when the contact
      status has moved (see _stale_check);
    bound <- mu * pressure; multipliers lam <- tractions (Aitken-relaxed, see _aitken) only if
      the penalty error is above tolerance
  until the gap/stick-creep violation left is below tol_gap_mm (or tol_gap_rel of the
  increment), the friction bound has settled (tol_bound_rel of mu N) and the force residual is
  below tol_force (a last Newton pass on the same multipliers). A failing increment is halved
  (cut-back) up to max_cutbacks times; then the case stops, flagged not converged with its last
  residual.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from ..errors import FeaError
from ..linsolve import SolveInfo, SolverSettings
from ..model import LoadCase
from ..static import Result, State, StaticAnalysis
from . import law as L
from .setup import ContactSetup, point_parameters, prepare

_DEBUG = bool(os.environ.get("FEA_CONTACT_DEBUG"))


@dataclass
class ContactSettings:
    penalty_factor: float = 3.0  # eps = factor * E_softer / h: soft, the multipliers enforce
    # the constraints; a stiff penalty (100) made every stick/slip change a large perturbation
    # of the factored tangent (many CG steps, frequent refactorisations) and the slip front moved
    # one element row per Newton step: 224k-DOF bench 225 s at 100, 84-86 s at 3 (with the
    # Aitken updates; displacements within 1.3e-3 of max |u| of each other)
    tol_force: float = 1e-8  # Newton: |reduced residual| <= tol * force scale
    tol_force_early: float = 1e-5  # ... while the multipliers are still moving
    tol_gap_mm: float = 1e-6  # multiplier loop: gap / stick-creep violation left (1 nm) ...
    tol_gap_rel: float = 1e-3  # ... or this fraction of the largest displacement increment
    tol_bound_rel: float = 1e-2  # friction bounds mu*p settled: area-weighted change / mu N
    max_newton: int = 30
    max_al: int = 30
    max_cutbacks: int = 4
    reg: float = 1e-8  # tangent regularisation of open points (relative to the penalty)
    coulomb_in_newton: bool = True  # the bound mu*p follows each Newton step (else: AL passes)
    full_steps: bool = True  # take the whole Newton step whenever it lowers the energy enough
    eta_searching: float = 0.2  # PCG tolerance while the contact status still changes
    penalty_max_factor: float = 100.0  # the penalty grows x10 up to this when the multiplier
    # updates stall (violation not halved in a pass and still above 3 x tolerance)
    aitken: bool = True  # multiplier updates relaxed by Aitken's secant factor
    reference_step: str | None = None  # slip is measured from the end of this step
    refactor_drift: float = 1.0  # refactor whenever the status moved at more than this fraction
    # of the points (1: never on that alone, the cost rule of _stale_check decides)
    rebuild_after: int = 8  # a PCG needing more iterations than this, and longer than the
    # set-up took, triggers a new set-up on the current tangent


@dataclass
class PointState:
    """Converged interface state after an increment (history for the next)."""

    g: np.ndarray  # (p, 3) gap and tangential relative displacement in the point frames
    lam_n: np.ndarray
    lam_t: np.ndarray  # (p, 2)
    status: np.ndarray


class ContactAnalysis(StaticAnalysis):
    def __init__(self, model, settings: SolverSettings | None = None, progress=None,
                 contact: ContactSettings | None = None):
        progress = progress or (lambda phase, detail="": None)
        progress("interfaces", "pairing")
        t = time.perf_counter()
        self.setup: ContactSetup = prepare(model)
        self.cs = contact or ContactSettings()
        super().__init__(self.setup.model, settings, progress, self.setup.ties, self.setup.links)
        self.timings["pairing_s"] = time.perf_counter() - t
        self._precond = {}  # constraint set -> solver set up on a recent tangent
        self._prec_status = {}  # ... and the contact status it was set up for
        self._last_its = {}  # ... and the CG iterations its last solve took
        self._last_cg_s = {}  # ... and that solve's time
        self._cg_since_s = {}  # ... and the CG time spent since it was set up
        self._prec_eps = {}  # ... and the penalty (version) it was set up with
        pp = self.setup.points
        self.has_points = pp is not None
        if self.has_points:
            self.B = pp.operator(self.model.n_full)
            self.w = pp.w
            self.eps_n, self.eps_t, self.mu, self.friction = point_parameters(
                self.setup, self.cs.penalty_factor)
            self._eps0 = (self.eps_n, self.eps_t)  # _stiffen raises eps within a run (new arrays)
            self._eps_version = 0
            self.g0 = np.zeros((len(pp.w), 3))
            self.g0[:, 0] = pp.g0

    # ---- preconditioner on the bonded system: K + eps B^T W B (all points closed and stuck)
    def preconditioner_matrix(self, cons, Kr):
        if not self.has_points:
            return Kr
        Bq = (self.B @ cons.T).tocsr()
        cons.Bq = Bq
        self._prec_eps[id(cons)] = self._eps_version
        # closed points, stuck where there is friction; frictionless ones slide (a little
        # tangential stiffness keeps a body that only contact holds from being singular here)
        wd = self.w[:, None] * np.column_stack([
            self.eps_n, *(2 * [np.where(self.friction, self.eps_t, 1e-3 * self.eps_t)])])
        wD = np.zeros((len(wd), 3, 3))
        wD[:, [0, 1, 2], [0, 1, 2]] = wd
        return _tangent_matrix(Kr, Bq, wD)

    # ---- one increment ---------------------------------------------------------------
    def _gaps(self, u):
        return self.g0 + (self.B @ u).reshape(-1, 3)

    def _contact_force(self, traction):
        return self.B.T @ (self.w[:, None] * traction).ravel()

    def _solve_increment(self, cons, solver, f, u0, u_start, hist: PointState):
        cs = self.cs
        T = cons.T
        Kr, Bq = cons.Kr, cons.Bq
        q = u_start[cons.free].copy()
        lam_n, lam_t = hist.lam_n.copy(), hist.lam_t.copy()
        # points without a known pressure start the increment stuck (unbounded friction): the
        # first pass is then a smooth convex problem (tangentially bonded, normally unilateral)
        # that a friction-held body can solve; the multiplier update gives every point its
        # Coulomb bound mu * p (zero where it opened)
        bound = np.where(self.friction & (lam_n <= 0), np.inf, self.mu * lam_n)
        fr = T.T @ f
        ku0 = T.T @ (self.K @ u0)
        cg_its = newton = 0
        violation = np.inf
        res_rel = np.inf
        tight = False  # inner Newton to tol_force only once the multipliers are nearly settled
        aitken, viol_prev = None, np.inf
        for al in range(1, cs.max_al + 1):
            inner_tol = cs.tol_force if tight else max(cs.tol_force, cs.tol_force_early)
            follow = self.friction & np.isfinite(bound)
            # (not in the last, tight pass: there the bound is settled and a fixed one lets
            # Newton converge quadratically instead of linearly)
            following = cs.coulomb_in_newton and follow.any() and not tight
            res_min, status_prev = np.inf, None  # the first step carries the load: accurate
            for it in range(cs.max_newton):
                u = T @ q + u0
                g = self._gaps(u)
                if following and it > 0:
                    # the Coulomb bound follows the pressure from one Newton step to the next
                    # (points whose pressure was known when the pass began), instead of waiting
                    # for the multiplier update: a pull's slip zone then settles in one pass
                    p_now = L.pressure_of(g[:, 0], lam_n, self.eps_n)
                    bound = np.where(follow, self.mu * p_now, bound)
                st = L.evaluate(g[:, 0], g[:, 1:] - hist.g[:, 1:], lam_n, lam_t, bound,
                                self.eps_n, self.eps_t, self.friction, cs.reg)
                fc = T.T @ self._contact_force(st.traction)
                ku = Kr @ q + ku0
                R = ku - fr + fc
                scale = max(np.linalg.norm(fr), np.linalg.norm(fc), np.linalg.norm(ku0), 1e-12)
                res_rel = np.linalg.norm(R) / scale
                # the residual is evaluated with the status at this point, so a small residual
                # is an equilibrium even if degenerate points (p = 0 and g = 0) just flipped
                if res_rel <= inner_tol:
                    break
                if res_rel > res_min:
                    # the moving bound made the residual grow (points cycling between open and
                    # closed as it follows them): hold it for the rest of this pass, whose
                    # energy is then fixed and the line search's descent guaranteed (holding it
                    # only past 1.5 x the smallest residual let the ccx full-slip case cycle
                    # through 1200 Newton steps)
                    following = False
                res_min = min(res_min, res_rel)
                wD = self.w[:, None, None] * st.D
                Dm = sp.block_diag(list(wD), format="csr") if len(wD) < 64 else _block_diag(wD)
                A = sla.LinearOperator(Kr.shape, matvec=lambda x: Kr @ x + Bq.T @ (Dm @ (Bq @ x)),
                                       dtype=float)
                eta = min(1e-2, max(1e-10, 0.1 * inner_tol / max(res_rel, 1e-300)))
                searching = status_prev is not None and (st.status != status_prev).any()
                if searching:
                    # the stick/slip/open set is still moving: this step only explores, a rough
                    # direction does (any PCG iterate is a descent direction)
                    eta = max(eta, cs.eta_searching)
                status_prev = st.status
                prec = self._stale_check(cons, solver, st.status, Kr, Bq, wD)
                t_cg = time.perf_counter()
                dq, its = prec.pcg(A, -R, rtol=eta)
                t_cg = time.perf_counter() - t_cg
                self._last_its[id(cons)] = its
                self._last_cg_s[id(cons)] = t_cg
                self._cg_since_s[id(cons)] = self._cg_since_s.get(id(cons), 0.0) + t_cg
                # the interface state moved far from the set-up: set up on the current tangent
                # when that is cheaper than carrying on with the old one
                if its > cs.rebuild_after and t_cg > (prec.refactor_s or prec.setup_s):
                    self._rebuild(cons, solver, Kr, Bq, wD, st.status)
                if _DEBUG:
                    lin = np.linalg.norm(A @ dq + R) / np.linalg.norm(R)
                    print(f"  al {al} newton {newton} res {res_rel:.2e} its {its} lin {lin:.1e} "
                          f"status {np.bincount(st.status, minlength=3)}")
                cg_its += its
                newton += 1
                alpha = self._line_search(dq, R, fc, Kr, Bq, g, hist, lam_n, lam_t, bound, st.psi)
                q = q + alpha * dq
                if _DEBUG:
                    print(f"    alpha {alpha}")
            else:
                return None, dict(cg=cg_its, newton=newton, al=al, residual=res_rel,
                                  violation=violation, why="Newton iterations exhausted")
            # multiplier update (and the Coulomb bound), measure what is left
            p, tau = st.pressure, st.traction[:, 1:]
            v_n = np.abs(p - lam_n) / self.eps_n
            v_t = np.linalg.norm(tau - lam_t, axis=1) / self.eps_t
            violation = float(max(v_n.max(initial=0), v_t.max(initial=0)))
            # the Coulomb bound must have settled too where it binds (slipping points, and stuck
            # ones the new bound would no longer hold), as a friction force: the area-weighted
            # bound change against the interfaces' friction capacity mu * N. Its displacement
            # equivalent (/eps) would be far too lax with a stiff penalty; a pointwise maximum
            # kept a construct's preload crawling through 29 multiplier updates (a few edge
            # points creeping) after the gaps had settled in two.
            binding = self.friction & ((st.status == L.SLIP)
                                       | (np.linalg.norm(tau, axis=1) > self.mu * p))
            bound_change = np.where(binding, np.abs(self.mu * p - bound), 0.0)
            capacity = (self.w * self.mu * p).sum()
            bound_ok = (self.w * bound_change).sum() <= cs.tol_bound_rel * max(capacity, 1e-300)
            if _DEBUG:
                print(f"  AL {al}: violation {violation:.2e}, bound change "
                      f"{(self.w * bound_change).sum() / max(capacity, 1e-300):.2e} of mu N")
            du_max = float(np.abs(u - u_start).max())
            tol_gap = max(cs.tol_gap_mm, cs.tol_gap_rel * du_max)
            close = violation <= tol_gap
            settled = bound_ok and close
            if settled and not tight:
                # converge the forces fully on this same problem: updating the multipliers now
                # would double the penalty part of every traction (tau = lam + eps dg with lam
                # = tau) and send Newton through slip states it then undoes (measured at 50k
                # DOF: 7 Newton steps, 210 CG iterations to come back to the all-stuck press)
                tight = True
                continue
            if settled:
                new = PointState(g, p.copy(), tau.copy(), st.status)
                return (u, new, st), dict(cg=cg_its, newton=newton, al=al, residual=res_rel,
                                          violation=violation)
            # the multipliers move only when the penalty error they remove is above tolerance:
            # otherwise just the Coulomb bound does (the same jump in the tractions again)
            bound = self.mu * p
            # a stalled multiplier loop far from its tolerance (a soft penalty on a soft
            # layer): stiffer penalty. Near it (a few points hovering at 1.1 x tolerance on the
            # friction bench) the next passes finish the job at the soft penalty's low cost.
            if (al > 2 and violation > 0.5 * viol_prev and violation > 3 * tol_gap
                    and self._stiffen()):
                aitken = None  # (its history is in lam / eps units)
            viol_prev = violation
            if not close:
                if cs.aitken:
                    lam_n, lam_t, aitken = self._aitken(lam_n, lam_t, p, tau, bound, aitken)
                else:
                    lam_n, lam_t = p.copy(), tau.copy()
        return None, dict(cg=cg_its, newton=newton, al=cs.max_al, residual=res_rel,
                          violation=violation, why="multiplier updates exhausted")

    def _aitken(self, lam_n, lam_t, p, tau, bound, prev):
        """Multiplier update lam + omega (tau - lam), omega from the last two updates (Aitken's
        secant, Irons-Tuck form, kept in [0.5, 10]), in displacement units (lam / eps). The
        plain update converges linearly, the slower the softer the penalty; this one took the
        50k-DOF bench's pull from 15 to 10 passes. Pressures stay >= 0 and tangential
        multipliers within the Coulomb disc."""
        x = np.concatenate([lam_n / self.eps_n, (lam_t / self.eps_t[:, None]).ravel()])
        d = np.concatenate([p / self.eps_n, (tau / self.eps_t[:, None]).ravel()]) - x
        omega = 1.0
        if prev is not None:
            d_prev, om_prev = prev
            dd = d - d_prev
            den = dd @ dd
            if den > 0:
                omega = float(np.clip(-om_prev * (d_prev @ dd) / den, 0.5, 10.0))
        x = x + omega * d
        n = len(p)
        ln = np.maximum(x[:n] * self.eps_n, 0.0)
        lt = x[n:].reshape(-1, 2) * self.eps_t[:, None]
        nt = np.linalg.norm(lt, axis=1)
        cap = np.where(self.friction, bound, 0.0)
        lt = lt * np.where(nt > cap, cap / np.where(nt > 0, nt, 1.0), 1.0)[:, None]
        if _DEBUG:
            print(f"  aitken omega {omega:.2f}")
        return ln, lt, (d, omega)

    def _stiffen(self) -> bool:
        """Ten times the penalty (up to penalty_max_factor E/h) where the multiplier updates
        stall: a soft penalty on a soft layer (cartilage, 10 MPa) converges too slowly. Every
        preconditioner is then factored again before its next use."""
        grow = self.cs.penalty_max_factor / self.cs.penalty_factor
        cap_n, cap_t = (grow * e for e in self._eps0)
        if np.all(self.eps_n >= cap_n):
            return False
        self.eps_n = np.minimum(10 * self.eps_n, cap_n)
        self.eps_t = np.minimum(10 * self.eps_t, cap_t)
        self._eps_version += 1
        self.timings["penalty_raises"] = self.timings.get("penalty_raises", 0) + 1
        if _DEBUG:
            print(f"  penalty x10: {self.eps_n.max() / self._eps0[0].max():g} x the first")
        return True

    def _stale_check(self, cons, solver, status, Kr, Bq, wD):
        """The preconditioner for this Newton step. The current tangent is factored again (on
        the first factor's analysis) when the contact status differs from the one the factor was
        built for and either the CG time spent with the old factor since it was built exceeds
        what a new factor costs (ski rental: never more than twice the better of the two
        choices), or a factor costs less than 20 CG iterations (small models): a stale factor
        costs tens of CG iterations per step, a fresh one of the exact tangent one or two.
        Forcing a factorisation whenever the status had moved at more than 10 % of the points
        (refactor_drift 0.1) gave the same time at 224k DOF with one factorisation more. A factor
        made before the penalty last changed (_stiffen, or the soft start of a new run) is
        always renewed."""
        prec = self._precond.get(id(cons), solver)
        built_for = self._prec_status.get(id(cons))
        if built_for is None:  # the bonded set-up: every point closed and stuck
            built_for = np.full(len(status), L.STICK)
        drift = (status != built_for).mean()
        last_s, last_its = self._last_cg_s.get(id(cons), 0.0), self._last_its.get(id(cons), 1)
        renew_s = prec.refactor_s or prec.setup_s  # what a new factor costs
        slow = self._cg_since_s.get(id(cons), 0.0) > renew_s
        cheap = renew_s < 20 * last_s / max(last_its, 1)  # a factor < 20 CG iterations
        if prec.backend in ("pardiso", "direct") and (
                self._prec_eps.get(id(cons), 0) != self._eps_version
                or drift > self.cs.refactor_drift
                or (drift > 0 and (slow or cheap))):
            self._rebuild(cons, solver, Kr, Bq, wD, status)
            prec = self._precond[id(cons)]
        return prec

    def _rebuild(self, cons, solver, Kr, Bq, wD, status=None):
        from ..linsolve import LinearSolver

        t = time.perf_counter()
        Kt = _tangent_matrix(Kr, Bq, wD)
        prec = self._precond.get(id(cons), solver)
        # same pattern as the matrix the factor was made for (every tangent has it): only the
        # numerical factorisation is redone, on the factor's own memory
        if not prec.refactor(Kt):
            old = self._precond.pop(id(cons), None)
            if old is not None:
                old.release()  # before the new factor is built: never two at once
            prec = LinearSolver(Kt, self._rigid[cons.free], self.settings)
        self._precond[id(cons)] = prec
        self._prec_status[id(cons)] = status
        self._cg_since_s[id(cons)] = 0.0
        self._prec_eps[id(cons)] = self._eps_version
        self.timings["preconditioner_rebuilds"] = self.timings.get("preconditioner_rebuilds", 0) + 1
        self.timings["rebuild_s"] = self.timings.get("rebuild_s", 0.0) + time.perf_counter() - t
        if _DEBUG:
            print(f"    rebuild {time.perf_counter() - t:.2f} s")

    def _line_search(self, dq, R, fc, Kr, Bq, g, hist, lam_n, lam_t, bound, psi0):
        """Exact line search on the convex energy along dq, restricted to (0, 1].

        The energy's slope phi'(a) = (K q + K u0 - f).dq + a dq.K.dq + sum w t(g + a dg).dg is
        monotone and costs no matrix product, so the minimiser is found by a safeguarded
        regula falsi on phi'. Backtracking (Armijo) cut the steps across stick/slip kinks too
        much and Newton crawled."""
        bulk = (R - fc) @ dq  # (K q + K u0 - f) . dq
        quad = dq @ (Kr @ dq)
        dg = (Bq @ dq).reshape(-1, 3)

        def slope(a):
            gn = g + a * dg
            st = L.evaluate(gn[:, 0], gn[:, 1:] - hist.g[:, 1:], lam_n, lam_t, bound,
                            self.eps_n, self.eps_t, self.friction, tangent=False)
            return bulk + a * quad + (self.w * (st.traction * dg).sum(1)).sum()

        lo, hi = 0.0, 1.0
        f_lo, f_hi = slope(lo), slope(hi)
        if f_lo >= 0 or f_hi <= 0:
            return 1.0  # not a descent direction to refine, or the minimum lies beyond a = 1
        if self.cs.full_steps:
            # the whole Newton step when it still lowers the energy enough (Armijo): its status
            # (the points it overloads slip) then moves the stick/slip front further per step
            # than the energy's minimiser along the step would
            st1 = L.evaluate(g[:, 0] + dg[:, 0], g[:, 1:] + dg[:, 1:] - hist.g[:, 1:], lam_n,
                             lam_t, bound, self.eps_n, self.eps_t, self.friction, tangent=False)
            if bulk + 0.5 * quad + (self.w * (st1.psi - psi0)).sum() <= 1e-4 * f_lo:
                return 1.0
        side, s0 = 0, abs(f_lo)
        for _ in range(30):
            a = hi - f_hi * (hi - lo) / (f_hi - f_lo)
            fa = slope(a)
            if abs(fa) <= 1e-3 * s0 or hi - lo < 1e-6:
                return a
            if fa > 0:
                hi, f_hi = a, fa
                if side == -1:
                    f_lo *= 0.5  # Illinois: keep the bracket shrinking from both ends
                side = -1
            else:
                lo, f_lo = a, fa
                if side == 1:
                    f_hi *= 0.5
                side = 1
        return 0.5 * (lo + hi)

    # ---- the load case -----------------------------------------------------------------
    def run(self, loadcase: LoadCase) -> Result:
        if not self.has_points:
            return super().run(loadcase)
        model = self.model
        cs = self.cs
        result = Result(model, loadcase, timings=self.timings, warnings=self.warnings)
        p = len(self.w)
        hist = PointState(np.zeros((p, 3)), np.zeros(p), np.zeros((p, 2)), np.zeros(p, int))
        hist.g[:, 0] = self.g0[:, 0]
        u = np.zeros(model.n_full)
        ref_name = cs.reference_step or loadcase.steps[0].name
        if ref_name not in [s.name for s in loadcase.steps]:
            raise FeaError(f"reference step '{ref_name}' for slip is not a step of load case "
                           f"'{loadcase.name}'")
        g_ref = np.zeros((p, 3)) if len(loadcase.steps) > 1 else hist.g.copy()
        if self.eps_n is not self._eps0[0]:  # each load case starts at the soft penalty
            self.eps_n, self.eps_t = self._eps0
            self._eps_version += 1
        t_solve = 0.0
        for si, step, path in self.step_paths(loadcase):
            cons, solver = path.cons, path.solver
            n_inc = step.increments
            frac = 0.0
            for inc in range(1, n_inc + 1):
                target = inc / n_inc
                cut, stats_total = 0, dict(cg=0, newton=0, al=0)
                t = time.perf_counter()
                d = target - frac  # halved on each cut-back, then kept: 2**cut sub-increments
                while frac < target - 1e-12:
                    nxt = min(frac + d, target)
                    fx, u0 = path.at(nxt)
                    self.progress("solve", f"step {si + 1}/{len(loadcase.steps)} '{step.name}' "
                                  f"increment {inc}/{n_inc}"
                                  + (f" (cut-back {cut})" if cut else ""))
                    out, stats = self._solve_increment(cons, solver, fx, u0, u, hist)
                    for k in ("cg", "newton", "al"):
                        stats_total[k] += stats[k]
                    if out is None:
                        cut += 1
                        d /= 2
                        if cut > cs.max_cutbacks:
                            t_solve += time.perf_counter() - t
                            info = self._info(cons, solver, stats_total, stats, cut - 1, False, t)
                            result.states.append(self._state(step.name, si, inc, n_inc, u, fx,
                                                             cons, hist, None, g_ref, info))
                            self.timings["solve_s"] = t_solve
                            result.n_dof_free = len(cons.free)
                            return result
                        continue
                    u, hist, st = out
                    frac = nxt
                t_solve += time.perf_counter() - t
                info = self._info(cons, solver, stats_total, stats, cut, True, t)
                result.states.append(self._state(step.name, si, inc, n_inc, u, fx, cons, hist, st,
                                                 g_ref, info))
            if step.name == ref_name and len(loadcase.steps) > 1:
                g_ref = hist.g.copy()  # later states measure slip from here
        self.timings["solve_s"] = t_solve
        result.n_dof_free = max(len(c.free) for c, _ in self._cache.values())
        return result

    def _info(self, cons, solver, tot, last, cut, ok, t0) -> SolveInfo:
        return SolveInfo(solver.backend, len(cons.free), tot["cg"], float(last["residual"]), ok,
                         solver.setup_s, time.perf_counter() - t0, tot["newton"], tot["al"], cut,
                         float(last["violation"]), solver.condition)

    def _state(self, name, si, inc, n_inc, u, f, cons, hist, st, g_ref, info) -> State:
        fc = self._contact_force(np.column_stack([-hist.lam_n, hist.lam_t]))
        reaction = np.zeros_like(u)
        r_all = cons.T_all.T @ (self.K @ u - f + fc)
        reaction[cons.prescribed] = r_all[len(cons.free):]
        contact = {
            "g": hist.g.copy(), "pressure": hist.lam_n.copy(), "tau": hist.lam_t.copy(),
            "status": hist.status.copy(), "g_ref": g_ref.copy(), "force": fc,
        }
        return State(name, si, inc, n_inc, u.copy(), f.copy(), reaction, info, contact)


def _tangent_matrix(Kr, Bq, wD: np.ndarray) -> sp.csr_matrix:
    """K + B^T W D B with a pattern that does not depend on D: each 3x3 block gets 1e-20 of its
    largest entry on all nine places (a positive semi-definite rank-one term, numerically
    nothing), so the zeros of a stuck or open point's block are not dropped by the sparse
    product and every tangent can reuse the first one's PARDISO analysis."""
    tiny = 1e-20 * np.abs(wD).max(initial=0.0)
    return (Kr + Bq.T @ _block_diag(wD + tiny) @ Bq).tocsr()


def _block_diag(blocks: np.ndarray) -> sp.csr_matrix:
    p = len(blocks)
    return sp.bsr_matrix((blocks, np.arange(p), np.arange(p + 1)), shape=(3 * p, 3 * p)).tocsr()
