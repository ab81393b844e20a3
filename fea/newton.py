"""Incremental Newton driver for every nonlinear term (contact, ligaments, ...).

Loads and prescribed motions ramp over each step's increments as in fea.static. The driver owns
the loop, the line search, the cut-backs, the convergence test and the linear algebra; each
nonlinear contribution is a *term* that knows only its own law, as FEBio's domains feed one
Newton loop. Per increment:

  repeat (at most max_al outer passes):
    Newton on  1/2 u K u - f u + sum_terms Pi_t(B_t u)  with a line search: each term gives its
      generalised forces s_t and tangent blocks D_t at y_t = y0_t + B_t u, so the residual is
      K u - f + sum B_t^T s_t and the tangent K + sum B_t^T D_t B_t; the tangent is applied
      matrix-free and solved by PCG, the preconditioner a factor of the tangent the system was
      first set up on (every term "bonded", fea.static's solver) refactored on the current one
      when the terms' status has moved and a factor costs less than carrying on (_stale_check);
    each term checks its own convergence (contact: gaps, Coulomb bounds) and, if it is not
      settled, updates its outer unknowns (contact: multipliers, Coulomb bound, penalty)
  until every term is settled and the force residual is below tol_force (a last, tight Newton
  pass once they are). A failing increment is halved up to max_cutbacks times; then the case
  stops, flagged not converged, with a message saying what the last increment was doing. If a
  body is then held only by links that carry nothing (all its ligaments slack), the case stops
  with a SingularModelError naming that body instead.

The term interface (duck-typed; fea.contact.term.ContactTerm and fea.ligaments.term.LigamentTerm
implement it):

  name                      key of its state in State.terms and of its outputs
  model, dependencies, links   the model it was built on (contact splits nodes), constraint rows
                            it adds (ties) and node pairs it may join (the rigid-body check)
  active                    False when it has no nonlinear unknown (only tied interfaces)
  outer                     True when it has an outer loop (multipliers) to converge
  operator, block           B (p*k x n_full): its kinematics y = y0 + B u, k rows per item
  operator_pre              optional, a sparser B for the factored preconditioner only (the
                            Newton systems are solved with B: only the PCG count can change)
  version                   changes when its tangent changes scale (a raised penalty): every
                            factor made before is renewed
  bonded() -> (D, status)   tangent blocks (p, k, k) and status the first set-up uses
  refactor_on_status        optional, False: its status changes alone never renew the factor
                            (soft items; a slow PCG still does, rebuild_after)
  start_case(loadcase), end_step(step)      history across steps (reference states)
  snapshot(), restore(snap) optional: its history at a step's end and back; with them a load
                            case whose first steps equal those of an earlier case of the same
                            analysis restarts from that case's state (reuse_steps, issue 18)
  case_signature(loadcase)  optional: what of a load case besides its steps its history depends on
  path_independent          optional, True: its converged answer does not depend on where Newton
                            starts (no friction); the predictor below is used only then
  predict(ratio)            optional: after begin_increment, extrapolate its outer unknowns from
                            the last two converged increments (this increment / the last in size)
  begin_increment(), begin_pass(tight)      restart from the converged history / a new pass
  evaluate(u, it) -> Evaluation             forces, tangent blocks, status, energy at u
  slope(a, dy), energy_change(dy)           along the step dy = B dq from the last evaluation
  hold()                    the residual grew: freeze what the term moves between Newton steps
  end_pass(ev, du_max) -> PassCheck         its own convergence measure
  next_pass(al, check)      update its outer unknowns
  commit(ev)                the increment converged: history for the next
  force() -> (n_full,)      the committed internal force B^T s (reactions, equilibrium)
  state() -> dict           what State.terms[name] holds ("external_force", a full vector of
                            forces from outside the model such as springs to ground, counts
                            as reactions in the equilibrium check of fea.results)
  supports                  optional (nodes, directions): elastic supports (springs to ground)
  carrying_links(ev)        (links, supports) that carry load now (None: all of them)
  describe(ev) -> str       its status in words (the not-converged message)
  outputs(result, loadcase) -> TermOutputs  summary entries and arrays for the writers
A nonlinear material would be a term whose operator is the strain-displacement matrix (6 rows
per quadrature point) and whose blocks are its stresses and tangent minus the linear part K
already holds; nothing here changes for it.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from .constraints import check_rigid_modes
from .condense import InterfaceCondensation, substitution_count, woodbury_pays
from .errors import FeaError, SingularModelError
from .linsolve import LinearSolver, SolveInfo, SolverSettings
from .model import LoadCase, Model
from .result_data import Result, State
from .static import StaticAnalysis, body_namer

_DEBUG = bool(os.environ.get("FEA_NEWTON_DEBUG") or os.environ.get("FEA_CONTACT_DEBUG"))


@dataclass
class NewtonSettings:
    tol_force: float = 1e-8  # Newton: |reduced residual| <= tol * force scale
    tol_force_early: float = 1e-5  # ... while a term's outer unknowns are still moving
    max_newton: int = 30
    max_al: int = 30  # outer passes (the contact multiplier updates)
    max_cutbacks: int = 4
    full_steps: bool = True  # take the whole Newton step whenever it lowers the energy enough
    eta_searching: float = 0.2  # PCG tolerance while the terms' status still changes
    refactor_drift: float = 1.0  # refactor whenever the status moved at more than this fraction
    # of the items (1: never on that alone, the cost rule of _stale_check decides)
    rebuild_after: int = 8  # a PCG needing more iterations than this, and longer than the
    # set-up took, triggers a new set-up on the current tangent
    cap_stale_cg: bool = True  # a PCG on a factor of another status stops once it has cost
    # about one refactorisation; the tangent is then factored and the PCG goes on from there
    interface_solver: str = "auto"  # woodbury: every Newton step on the bonded factor and a
    # dense problem on the interface rows (fea.condense), never a refactorisation; refactor:
    # factor the tangent again when its status moves (the rules below); auto: woodbury when
    # fea.condense.woodbury_pays says so from PARDISO's operation counts, at most
    # condense_max_rows interface rows
    reuse_steps: bool = True  # a load case whose first steps equal those of a case this
    # analysis solved before (the same preload) starts from that case's converged state after
    # them: displacements, contact multipliers and status, ligament elongations (issue 18)
    reuse_max: int = 4  # step ends kept for that
    predictor: bool = False  # an increment after the first of its step starts from the last
    # increment's change extrapolated (displacements, and a term's outer unknowns: contact
    # pressures), not from the last converged state. Off: on the intact column (lateral bending,
    # TET10) its moment step took 59 Newton steps / 15 passes / 7 refactorisations against 65 /
    # 17 / 8 without, same ROM, and no less CPU in that one pair of runs: the spine stiffens as
    # its ligaments tighten, so the last increment's change overshoots the next
    # (bench/README.md, "Cost of the column's load cases")
    condense_max_rows: int = 3000  # auto's cap on top of the counts: S is rows^2 doubles and
    # the dense LUs grow as rows^3; measured a gain at 2196 rows (aad_cages, 8 mm TET10,
    # bench/README.md), none measured above

    def __post_init__(self):
        if self.interface_solver not in ("auto", "woodbury", "refactor"):
            raise FeaError("interface_solver must be auto, woodbury or refactor, "
                           f"not '{self.interface_solver}'")


@dataclass
class Evaluation:
    """A term at one displacement: the driver's view (the term may keep more)."""

    force: np.ndarray  # (p*k,) generalised forces s: the residual gets B^T s
    D: np.ndarray  # (p, k, k) tangent blocks (weights included)
    status: np.ndarray  # (p,) small ints; a change counts as the status moving
    energy: float = 0.0


@dataclass
class PassCheck:
    settled: bool
    violation: float = 0.0  # mm: what the outer loop has left (contact gaps), 0 without one


@dataclass
class TermOutputs:
    summary: dict = field(default_factory=dict)  # summary.json entries
    data: dict = field(default_factory=dict)  # CaseOutput attributes for the metrics
    # (file stem, final arrays, [arrays per step end][, writer(path, arrays)]): the case writer
    # calls the writer (default fea.results.write_term_vtu: points, or lines with "lines")
    vtu: list = field(default_factory=list)


@dataclass
class _System:
    """Per constraint set: the terms' reduced operators and the preconditioner's history."""

    Bq: list  # B_t T per term
    Bp: list  # the same for the factored tangent (a term's sparser operator_pre, if it has one)
    free: np.ndarray  # the system's free DOFs
    prec: LinearSolver | None = None  # set up on a recent tangent (first: the system's solver)
    base: LinearSolver | None = None  # the system's own solver (fea.static's cache owns it)
    built_for: np.ndarray | None = None  # terms' status it was set up for (None: bonded)
    version: tuple = ()  # the terms' versions it was set up with
    last_its: int = 1  # CG iterations the last solve took
    last_cg_s: float = 0.0  # ... and its time
    cg_since_s: float = 0.0  # CG time spent since the set-up
    D_bonded: list = field(default_factory=list)  # the blocks the first factor was made with
    condensed: InterfaceCondensation | None | bool = None  # False: refactor instead


class NewtonAnalysis(StaticAnalysis):
    """Assembly, set-up and the incremental Newton solution with the given terms."""

    def __init__(self, model: Model, terms: list, settings: SolverSettings | None = None,
                 progress=None, newton: NewtonSettings | None = None):
        self.terms = list(terms)
        self.ns = newton or NewtonSettings()
        if self.terms:
            model = self.terms[-1].model  # each term was built on the previous one's model
        deps = [d for t in self.terms for d in t.dependencies]
        links = [lk for t in self.terms for lk in t.links]
        supports = [sp_ for t in self.terms for sp_ in getattr(t, "supports", ())]
        self._systems: dict[int, _System] = {}
        self.interface_choice: list[dict] = []  # auto's cost estimates, one per system
        self._restarts: dict[bytes, _Restart] = {}  # converged step ends by step key
        self.active = [t for t in self.terms if t.active]
        # per increment attempt, per Newton evaluation: (pass, relative residual, items whose
        # status changed since the last evaluation); where the steps go (bench/newton_trace.py
        # reads the same from the debug log), and what the convergence-rate tests check
        self.trace: list[list[tuple[int, float, int]]] = []
        super().__init__(model, settings, progress, deps, links, supports)
        for t in self.terms:
            self.timings.update(getattr(t, "timings", {}))
            t.timings = self.timings  # terms count their own events (penalty raises) here

    def term(self, name: str):
        return next((t for t in self.terms if t.name == name), None)

    # ---- preconditioner on the bonded system: K + sum B^T D_bonded B
    def preconditioner_matrix(self, cons, Kr):
        if not self.active:
            return Kr
        Bq = [(t.operator @ cons.T).tocsr() for t in self.active]
        Bp = [B if getattr(t, "operator_pre", None) is None else
              (t.operator_pre @ cons.T).tocsr() for t, B in zip(self.active, Bq)]
        sysd = _System(Bq, Bp, cons.free, version=self._versions(),
                       D_bonded=[t.bonded()[0] for t in self.active])
        self._systems[id(cons)] = sysd
        return _tangent_matrix(Kr, Bp, sysd.D_bonded)

    def _versions(self) -> tuple:
        return tuple(t.version for t in self.active)

    def _system(self, cons, solver) -> _System:
        s = self._systems[id(cons)]
        if s.prec is None:
            s.prec = s.base = solver
        return s

    # ---- one increment ---------------------------------------------------------------
    def _solve_increment(self, cons, sysd: _System, f, u0, u_start, guess=None, ratio=None):
        """guess: where Newton starts (the predictor; default u_start, the last converged
        state); ratio: this increment's size over the last one's, for the terms' own predictors."""
        ns = self.ns
        T, Kr, Bq = cons.T, cons.Kr, sysd.Bq
        terms = self.active
        q = (u_start if guess is None else guess)[cons.free].copy()
        for t in terms:
            t.begin_increment()
            if ratio is not None and hasattr(t, "predict"):
                t.predict(ratio)
        fr = T.T @ f
        ku0 = T.T @ (self.K @ u0)
        cg_its = newton = 0
        violation, res_rel = np.inf, np.inf
        # inner Newton to tol_force only once the outer unknowns are nearly settled
        tight = not any(t.outer for t in terms)
        evs, churn = [], []
        trace = []
        self.trace.append(trace)
        for al in range(1, ns.max_al + 1):
            inner_tol = ns.tol_force if tight else max(ns.tol_force, ns.tol_force_early)
            for t in terms:
                t.begin_pass(tight)
            res_min, status_prev = np.inf, None  # the first step carries the load: accurate
            for it in range(ns.max_newton):
                u = T @ q + u0
                prev, evs = evs, [t.evaluate(u, it) for t in terms]
                # status changes since the last Newton step, per term (the failure message)
                churn = [int((ev.status != pv.status).sum()) if pv is not None else 0
                         for ev, pv in zip(evs, prev or [None] * len(evs))]
                fc = _sum(B.T @ ev.force for B, ev in zip(Bq, evs))
                ku = Kr @ q + ku0
                R = ku - fr + fc
                scale = max(np.linalg.norm(fr), np.linalg.norm(fc), np.linalg.norm(ku0), 1e-12)
                res_rel = np.linalg.norm(R) / scale
                trace.append((al, float(res_rel), sum(churn)))
                # the residual is evaluated with the status at this point, so a small residual
                # is an equilibrium even if degenerate items (contact p = 0 and g = 0) just flipped
                if res_rel <= inner_tol:
                    if _DEBUG:  # (a pass may end here with no step: the trace must see it)
                        print(f"  al {al} newton {newton} res {res_rel:.2e} settled")
                    break
                if res_rel > res_min:
                    # what a term moves between Newton steps (the Coulomb bound) made the
                    # residual grow: it holds it for the rest of the pass, whose energy is then
                    # fixed and the line search's descent guaranteed
                    for t in terms:
                        t.hold()
                res_min = min(res_min, res_rel)
                Dm = [_block_diag(ev.D) for ev in evs]
                A = sla.LinearOperator(
                    Kr.shape, dtype=float,
                    matvec=lambda x: Kr @ x + _sum(B.T @ (D @ (B @ x)) for B, D in zip(Bq, Dm)))
                eta = min(1e-2, max(1e-10, 0.1 * inner_tol / max(res_rel, 1e-300)))
                status = np.concatenate([ev.status for ev in evs])
                searching = status_prev is not None and (status != status_prev).any()
                if searching:
                    # the status is still moving: this step only explores, a rough direction
                    # does (any PCG iterate is a descent direction)
                    eta = max(eta, ns.eta_searching)
                status_prev = status
                cond = self._condensation(sysd)
                prec = sysd.prec if cond else self._stale_check(sysd, status, Kr, evs)
                t_cg = time.perf_counter()
                cap = None if cond else self._cg_cap(sysd, status)
                rebuilt = bool(cond)  # (the Woodbury path never refactors)
                if cond:
                    dq, its = self._solve_condensed(sysd, A, R, eta, evs)
                elif cap is None:
                    dq, its = prec.pcg(A, -R, rtol=eta)
                else:
                    dq, ok, its = prec.pcg_capped(A, -R, eta, cap)
                    if not ok:
                        # ski rental within one solve: the stale factor has cost a new one's
                        # time; factor the current tangent and go on from this iterate (one
                        # PCG of a construct's first moment increment ran 1049 iterations on
                        # the preload's factor, about 60 refactorisations' worth)
                        t_rb = time.perf_counter()
                        self._rebuild(sysd, Kr, evs, status)
                        t_cg += time.perf_counter() - t_rb  # PCG time only, below
                        rebuilt, prec = True, sysd.prec
                        dq, more = prec.pcg(A, -R, rtol=eta, x0=dq)
                        its += more
                t_cg = time.perf_counter() - t_cg
                sysd.last_its, sysd.last_cg_s = its, t_cg
                sysd.cg_since_s += t_cg
                # the state moved far from the set-up: set up on the current tangent when that
                # is cheaper than carrying on with the old one
                if not rebuilt and its > ns.rebuild_after and t_cg > (prec.refactor_s
                                                                      or prec.setup_s):
                    self._rebuild(sysd, Kr, evs, status)
                if _DEBUG:
                    lin = np.linalg.norm(A @ dq + R) / np.linalg.norm(R)
                    print(f"  al {al} newton {newton} res {res_rel:.2e} its {its} lin {lin:.1e} "
                          + " ".join(f"{t.name} {np.bincount(ev.status, minlength=3)}"
                                     for t, ev in zip(terms, evs)))
                cg_its += its
                newton += 1
                alpha = self._line_search(dq, R, fc, Kr, Bq, evs)
                q = q + alpha * dq
                if _DEBUG:
                    print(f"    alpha {alpha}")
            else:
                return None, dict(cg=cg_its, newton=newton, al=al, residual=res_rel,
                                  violation=violation, why="Newton iterations exhausted",
                                  evs=evs, churn=churn, u=T @ q + u0, u_start=u_start)
            du_max = float(np.abs(u - u_start).max())
            checks = [t.end_pass(ev, du_max) for t, ev in zip(terms, evs)]
            violation = max((c.violation for c in checks), default=0.0)
            settled = all(c.settled for c in checks)
            if settled and not tight:
                # converge the forces fully on this same problem before anything moves again
                # (contact: updating the multipliers now would double the penalty part of every
                # traction and send Newton through slip states it then undoes)
                tight = True
                continue
            if settled:
                for t, ev in zip(terms, evs):
                    t.commit(ev)
                return u, dict(cg=cg_its, newton=newton, al=al, residual=res_rel,
                               violation=violation)
            for t, c in zip(terms, checks):
                t.next_pass(al, c)
        return None, dict(cg=cg_its, newton=newton, al=ns.max_al, residual=res_rel,
                          violation=violation, why="outer (multiplier) updates exhausted", evs=evs,
                          churn=[0] * len(evs), u=u, u_start=u_start)

    def _condensation(self, sysd: _System) -> InterfaceCondensation | None:
        """The system's Woodbury solver (fea.condense), made on first use; None when the
        setting or the system's size says refactor."""
        if sysd.condensed is None:
            base = sysd.base
            parts = self._parts(sysd)
            rows = sum(B.shape[0] for B, _ in parts)
            mode = self.ns.interface_solver
            # auto: measured on contact only; a term factored with a sparser operator
            # (ligaments' operator_pre) doubles its rows here, so it keeps refactoring
            plain = all(Bp is Bq for Bq, Bp in zip(sysd.Bq, sysd.Bp))
            use = mode == "woodbury" or (mode == "auto" and rows <= self.ns.condense_max_rows
                                         and plain and self._woodbury_pays(base, parts, rows))
            if use and base.backend not in ("pardiso", "direct"):
                raise FeaError("interface_solver 'woodbury' needs a factoring linear solver "
                               f"(backend pardiso or direct), not '{base.backend}'")
            sysd.condensed = InterfaceCondensation(base, parts) if use else False
            if use:
                self.timings["condense_setup_s"] = (self.timings.get("condense_setup_s", 0.0)
                                                    + sysd.condensed.setup_s)
                self.timings["interface_rows"] = rows
        return sysd.condensed or None

    def _woodbury_pays(self, base: LinearSolver, parts: list, rows: int) -> bool:
        """auto: the operation-count criterion of fea.condense.woodbury_pays on this system's
        factor (PARDISO's counts; without them, as for the small models the dense backend
        takes, refactor). The estimate is kept in `interface_choice` per system."""
        counts = base.factor_counts()
        if counts is None:
            return False
        B = sp.vstack([B for B, _ in parts]).tocsr()
        est = woodbury_pays(*counts, substitution_count(B), rows)
        self.interface_choice.append(est)
        return est["use"]

    def _parts(self, sysd: _System) -> list:
        """(operator, blocks the factor holds for it) per term: A - K0 = sum B^T (D - D0) B.
        A term factored with a sparser operator (operator_pre) gives its Newton operator with
        nothing factored and its factored operator with the bonded blocks, taken away."""
        parts = []
        for Bq, Bp, Db in zip(sysd.Bq, sysd.Bp, sysd.D_bonded):
            if Bp is Bq:
                parts.append((Bq, Db))
            else:
                parts += [(Bq, np.zeros_like(Db)), (Bp, Db)]
        return parts

    def _solve_condensed(self, sysd: _System, A, R, eta, evs):
        """One Newton system by PCG preconditioned with the Woodbury-updated bonded factor."""
        cond = sysd.condensed
        Ds = []
        for Bq, Bp, ev in zip(sysd.Bq, sysd.Bp, evs):
            Ds += [ev.D] if Bp is Bq else [ev.D, np.zeros_like(ev.D)]
        n0 = cond.factorisations
        cond.update(Ds)
        self.timings["interface_factorisations"] = (
            self.timings.get("interface_factorisations", 0) + cond.factorisations - n0)
        self.timings["interface_lu_s"] = cond.lu_s
        dq, ok, its = cond.pcg(A, -R, eta)
        if not ok and cond.factor_precision == "single":
            # a single-precision factor too coarse for the updated inverse (stiff penalties):
            # factor in double, the interface matrix again, and go on from this iterate
            cond.solver._promote("Woodbury-preconditioned CG not converged")
            sysd.condensed = None
            cond = self._condensation(sysd)
            cond.update(Ds)
            dq, ok, more = cond.pcg(A, -R, eta, x0=dq)
            its += more
        return dq, its

    def _stale_check(self, sysd: _System, status, Kr, evs):
        """The preconditioner for this Newton step. The current tangent is factored again (on
        the first factor's analysis) when the status differs from the one the factor was built
        for and either the CG time spent with the old factor since it was built exceeds what a
        new factor costs (ski rental: never more than twice the better of the two choices), or
        a factor costs less than 20 CG iterations (small models): a stale factor costs tens of
        CG iterations per step, a fresh one of the exact tangent one or two. Forcing a
        factorisation whenever the status had moved at more than 10 % of the items
        (refactor_drift 0.1) gave the same time at 224k DOF with one factorisation more. A factor
        made before a term last changed its tangent's scale (a contact penalty raised, or its
        soft start in a new load case) is always renewed."""
        prec = sysd.prec
        built_for, counts = self._built_for(sysd)
        drift = ((status != built_for) & counts).sum() / max(counts.sum(), 1)
        renew_s = prec.refactor_s or prec.setup_s  # what a new factor costs
        slow = sysd.cg_since_s > renew_s
        cheap = renew_s < 20 * sysd.last_cg_s / max(sysd.last_its, 1)  # < 20 CG iterations
        if prec.backend in ("pardiso", "direct") and (
                sysd.version != self._versions()
                or drift > self.ns.refactor_drift
                or (drift > 0 and (slow or cheap))):
            self._rebuild(sysd, Kr, evs, status)
        return sysd.prec

    def _built_for(self, sysd: _System):
        """(status the factor was made for, which items' status changes count for it)."""
        built_for = sysd.built_for
        if built_for is None:  # the bonded set-up
            built_for = np.concatenate([t.bonded()[1] for t in self.active])
        counts = np.concatenate([np.full(len(t.bonded()[1]), getattr(t, "refactor_on_status", True))
                                 for t in self.active])
        return built_for, counts

    def _cg_cap(self, sysd: _System, status) -> int | None:
        """PCG iterations that cost about one refactorisation (from the last solve's time per
        iteration), when the factor was made for another status; None: no cap (a factor of
        this status, an iterative backend, or no timing yet)."""
        prec = sysd.prec
        if not self.ns.cap_stale_cg or prec.backend not in ("pardiso", "direct"):
            return None
        built_for, counts = self._built_for(sysd)
        per_it = sysd.last_cg_s / max(sysd.last_its, 1)
        if not ((status != built_for) & counts).any() or per_it <= 0:
            return None
        return max(self.ns.rebuild_after, int((prec.refactor_s or prec.setup_s) / per_it))

    def _rebuild(self, sysd: _System, Kr, evs, status):
        t = time.perf_counter()
        Kt = _tangent_matrix(Kr, sysd.Bp, [ev.D for ev in evs])
        prec = sysd.prec
        # same pattern as the matrix the factor was made for (every tangent has it): only the
        # numerical factorisation is redone, on the factor's own memory
        if not prec.refactor(Kt):
            if prec is not sysd.base:
                prec.release()  # before the new factor is built: never two at once
            prec = LinearSolver(Kt, self._rigid[sysd.free], self.settings)
        sysd.prec = prec
        sysd.built_for = status
        sysd.cg_since_s = 0.0
        sysd.version = self._versions()
        self.timings["preconditioner_rebuilds"] = self.timings.get("preconditioner_rebuilds", 0) + 1
        self.timings["rebuild_s"] = self.timings.get("rebuild_s", 0.0) + time.perf_counter() - t
        if _DEBUG:
            print(f"    rebuild {time.perf_counter() - t:.2f} s")

    def _line_search(self, dq, R, fc, Kr, Bq, evs):
        """Exact line search on the energy along dq, restricted to (0, 1].

        The energy's slope phi'(a) = (K q + K u0 - f).dq + a dq.K.dq + sum_t s_t(y + a dy).dy
        is monotone for convex terms and costs no matrix product, so the minimiser is found by a
        safeguarded regula falsi on phi'. Backtracking (Armijo) cut the steps across contact's
        stick/slip kinks too much and Newton crawled."""
        terms = self.active
        bulk = (R - fc) @ dq  # (K q + K u0 - f) . dq
        quad = dq @ (Kr @ dq)
        dy = [B @ dq for B in Bq]

        def slope(a):
            return bulk + a * quad + sum(t.slope(a, d) for t, d in zip(terms, dy))

        lo, hi = 0.0, 1.0
        f_lo, f_hi = slope(lo), slope(hi)
        if f_lo >= 0 or f_hi <= 0:
            return 1.0  # not a descent direction to refine, or the minimum lies beyond a = 1
        if self.ns.full_steps:
            # the whole Newton step when it still lowers the energy enough (Armijo): its status
            # (contact: the points it overloads slip) then moves further per step than the
            # energy's minimiser along the step would
            de = sum(t.energy_change(d) for t, d in zip(terms, dy))
            if bulk + 0.5 * quad + de <= 1e-4 * f_lo:
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
        if not self.active:
            return super().run(loadcase)
        ns = self.ns
        result = Result(self.model, loadcase, timings=self.timings, warnings=self.warnings)
        for t in self.active:
            t.start_case(loadcase)
        u = np.zeros(self.model.n_full)
        t_solve = 0.0
        key = self._case_key(loadcase)
        # only where the converged answer does not depend on the iteration path: friction's
        # may (which face of a cage slips, bench/README.md "Constructs"), so there Newton
        # starts where it always did
        predict = ns.predictor and all(getattr(t, "path_independent", False) for t in self.active)
        for si, step, path in self.step_paths(loadcase):
            cons, solver = path.cons, path.solver
            sysd = self._system(cons, solver)
            key = _step_key(key, step, path)
            hit = self._restarts.pop(key, None) if key is not None else None
            if hit is not None:
                self._restarts[key] = hit  # the most recently used: dropped last
                self.progress("solve", f"step {si + 1}/{len(loadcase.steps)} '{step.name}' "
                              f"taken from load case '{hit.case}' (same steps so far)")
                u = self._restore(hit, result, step)
                continue
            n_inc = step.increments
            frac = 0.0
            last = None  # (displacement change, size) of the step's last converged increment
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
                    guess = ratio = None
                    if last is not None and predict:
                        # the load ramps linearly within a step: the last increment's change,
                        # scaled, predicts this one's (and where contact and ligaments switch)
                        ratio = (nxt - frac) / last[1]
                        guess = u + ratio * last[0]
                    u_new, stats = self._solve_increment(cons, sysd, fx, u0, u, guess, ratio)
                    for k in ("cg", "newton", "al"):
                        stats_total[k] += stats[k]
                    if u_new is None:
                        cut += 1
                        d /= 2
                        if cut > ns.max_cutbacks:
                            t_solve += time.perf_counter() - t
                            self._check_free_body(cons, stats["evs"], step.name, inc)
                            info = self._info(cons, solver, stats_total, stats, cut - 1, False, t)
                            info.note = self._why(step.name, inc, nxt, stats, cut - 1)
                            result.states.append(self._state(step.name, si, inc, n_inc, u, fx,
                                                             cons, info))
                            self.timings["solve_s"] = t_solve
                            result.n_dof_free = len(cons.free)
                            return result
                        continue
                    last = (u_new - u, nxt - frac)
                    u = u_new
                    frac = nxt
                t_solve += time.perf_counter() - t
                info = self._info(cons, solver, stats_total, stats, cut, True, t)
                result.states.append(self._state(step.name, si, inc, n_inc, u, fx, cons, info))
            if key is not None:
                self._remember(key, loadcase.name, u, result.states[-n_inc:])
            for t in self.active:
                t.end_step(step.name)
        self.timings["solve_s"] = t_solve
        result.n_dof_free = max(len(c.free) for c, _ in self._cache.values())
        return result

    # ---- steps shared by load cases (issue 18) -----------------------------------------
    def _case_key(self, loadcase: LoadCase) -> bytes | None:
        """The start of the chain of step keys: None when steps are not reused (the setting,
        or a term that cannot snapshot its history), else what of the load case besides its
        steps changes a term's history (contact: the step slip is measured from)."""
        if not self.ns.reuse_steps or not all(hasattr(t, "snapshot") for t in self.active):
            return None
        h = hashlib.sha1(b"case")
        for t in self.active:
            h.update(repr(getattr(t, "case_signature", lambda lc: None)(loadcase)).encode())
        return h.digest()

    def _remember(self, key: bytes, case: str, u, states: list) -> None:
        """Keep the converged end of a step, to restart any later load case whose steps up to
        this one are the same. A few entries at most (each holds the step's states), the least
        recently used dropped first: a preload every case reuses stays (dropping the oldest
        lost the column's preload after four cases)."""
        self._restarts[key] = _Restart(case, u.copy(), states,
                                       [t.snapshot() for t in self.active])
        while len(self._restarts) > self.ns.reuse_max:
            self._restarts.pop(next(iter(self._restarts)))

    def _restore(self, hit: "_Restart", result: Result, step) -> np.ndarray:
        """A step another load case solved with the same loads, prescribed motions and history:
        its converged states (marked as taken from that case, no solve time) and the terms'
        history at its end, as if solved here."""
        for t, snap in zip(self.active, hit.terms):
            t.restore(snap)
            t.end_step(step.name)
        for st in hit.states:
            info = replace(st.solve, solve_s=0.0, reused_from=hit.case)
            result.states.append(replace(st, solve=info))
        self.timings["steps_reused"] = self.timings.get("steps_reused", 0) + 1
        if _DEBUG:
            print(f"  step '{step.name}' reused from load case '{hit.case}'")
        return hit.u.copy()

    def _why(self, step, inc, frac, stats, cuts) -> str:
        """What the last attempt of a failed increment was doing, in words (issue 17)."""
        evs = stats.get("evs") or []
        parts = []
        for t, ev, ch in zip(self.active, evs, stats.get("churn") or [0] * len(evs)):
            d = t.describe(ev)
            if d and ch:
                d += f" ({ch} changed status in the last Newton step)"
            parts.append(d)
        where = ""
        if "u" in stats:
            # the body that moved most in the failed attempt: where it stopped converging
            n = self.model.mesh.n_nodes
            du = np.linalg.norm((stats["u"] - stats["u_start"])[: 3 * n].reshape(-1, 3), axis=1)
            k = int(np.argmax(du))
            where = "" if du[k] == 0 else (f"; largest motion in the last attempt {du[k]:.3g} mm, in the "
                     f"{body_namer(self.model)(np.array([k]))}")
        return (f"step '{step}' increment {inc} stopped at {100 * frac:.3g} % of the step after "
                f"{cuts} cut-back(s): {stats.get('why', '')} (relative residual "
                f"{stats['residual']:.2e}); " + "; ".join(p for p in parts if p) + where)

    def _check_free_body(self, cons, evs, step, inc) -> None:
        """A failed increment whose bodies are held only by links that carry nothing now (all
        of a body's ligaments slack): say which body is free rather than 'not converged'."""
        links, supports = [], []
        for t, ev in zip(self.active, evs or [None] * len(self.active)):
            lk = t.carrying_links(ev) if ev is not None else None
            links += t.links if lk is None else lk[0]
            supports += getattr(t, "supports", []) if lk is None else lk[1]
        passive = [lk for t in self.terms if not t.active for lk in t.links]
        try:
            check_rigid_modes(self.model.mesh.nodes, self.model.mesh.padded_cells(),
                              self.model.ref_positions(), cons, body_namer(self.model),
                              links + passive, supports)
        except SingularModelError as exc:
            raise SingularModelError(
                f"step '{step}' increment {inc}: no equilibrium: {str(exc).rstrip('.')}. The "
                "links that could "
                "hold it carry nothing in this state: "
                + "; ".join(d for d in (t.describe(ev) for t, ev in zip(self.active, evs)) if d)
                + ". Support the body, or load it so that its ligaments are in tension") from None

    def _info(self, cons, solver, tot, last, cut, ok, t0) -> SolveInfo:
        return SolveInfo(solver.backend, len(cons.free), tot["cg"], float(last["residual"]), ok,
                         solver.setup_s, time.perf_counter() - t0, tot["newton"], tot["al"], cut,
                         float(last["violation"]), solver.condition)

    def _state(self, name, si, inc, n_inc, u, f, cons, info) -> State:
        fint = _sum(t.force() for t in self.active)
        reaction = cons.reaction_vector(cons.T_all.T @ (self.K @ u - f + fint))
        return State(name, si, inc, n_inc, u.copy(), f.copy(), reaction, info,
                     {t.name: t.state() for t in self.active})


@dataclass
class _Restart:
    case: str  # the load case that solved the step
    u: np.ndarray
    states: list  # its increments' states
    terms: list  # each active term's snapshot() at the step's end


def _step_key(prev: bytes | None, step, path) -> bytes | None:
    """A step's key, chained on the keys of the steps before it: equal keys mean equal loads,
    prescribed DOFs and values, increments and name from the start of the load case on (the
    name: a term may measure from a named step)."""
    if prev is None:
        return None
    h = hashlib.sha1(prev)
    h.update(repr((step.name, step.increments, step.replace)).encode())
    for a in (path.cons.prescribed, path.f_start, path.f_end, path.v_start, path.v_end):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.digest()


def _sum(vectors):
    out = None
    for v in vectors:
        out = v if out is None else out + v
    return out if out is not None else 0.0


def _tangent_matrix(Kr, Bq: list, Ds: list) -> sp.csr_matrix:
    """K + sum B^T D B with a pattern that does not depend on D: each block gets 1e-20 of its
    term's largest entry on all places (a positive semi-definite rank-one term, numerically
    nothing), so the zeros of a stuck, open or slack item's block are not dropped by the sparse
    product and every tangent can reuse the first one's PARDISO analysis."""
    Kt = Kr
    for B, D in zip(Bq, Ds):
        tiny = 1e-20 * np.abs(D).max(initial=0.0)
        Kt = Kt + B.T @ _block_diag(D + tiny) @ B
    return Kt.tocsr()


def _block_diag(blocks: np.ndarray) -> sp.csr_matrix:
    p, k = blocks.shape[:2]
    if p < 64:
        return sp.block_diag(list(blocks), format="csr") if p else sp.csr_matrix((0, 0))
    return sp.bsr_matrix((blocks, np.arange(p), np.arange(p + 1)), shape=(k * p, k * p)).tocsr()
