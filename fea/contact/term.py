"""Contact as a term of the Newton driver (fea.newton): augmented Lagrangian with a soft penalty.

Per contact point the kinematics are y = (g_n, s_1, s_2) = g0 + B u (pairing.py); the law
(law.py) gives the traction, its tangent and a potential whose sum the driver's line search
minimises. What is contact's own and lives here:
  - the multipliers (lam_n, lam_t): the driver's outer passes; points without a known pressure
    start each increment stuck with an unbounded friction bound (the first pass is then a smooth
    convex problem a friction-held body can solve); a pass is settled when the gap/stick-creep
    violation left is below tol_gap_mm (or tol_gap_rel of the increment) and the Coulomb bound
    has settled to tol_bound_rel of mu N; multiplier updates are Aitken-relaxed (_aitken) and
    only made when the penalty error they remove is above tolerance;
  - the Coulomb bound mu * p follows the pressure from one Newton step to the next (held for the
    rest of the pass once the residual grows: hold());
  - the soft penalty eps = penalty_factor E/h, raised x10 (up to penalty_max_factor) where the
    multiplier loop stalls (version bumped: the driver refactors), soft again in each load case;
  - slip is measured from the end of the reference step (default: the first step);
  - interfaces with a penalty law (Interface.penalty, CalculiX's PRESSURE-OVERCLOSURE=LINEAR;
    Interface.overclosure, EXPONENTIAL / TABULAR, and the tied penalty law: overclosure.py)
    keep lam_n = 0 and lam_t = the last increment's traction (return mapping), their Coulomb
    bound follows every Newton step, and they take no part in the multiplier passes: their
    slopes are the law, so their overclosure and elastic slip are part of the answer.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from ..errors import FeaError
from ..newton import Evaluation, NewtonAnalysis, NewtonSettings, PassCheck, TermOutputs
from . import law as L
from .overclosure import PointLaws
from .setup import ContactSetup, penalty_points, point_parameters, prepare

_DEBUG = bool(os.environ.get("FEA_CONTACT_DEBUG"))


@dataclass
class ContactSettings(NewtonSettings):
    """The driver's settings (fea.newton.NewtonSettings) and contact's own."""

    penalty_factor: float = 3.0  # eps = factor * E_softer / h: soft, the multipliers enforce
    # the constraints; a stiff penalty (100) made every stick/slip change a large perturbation
    # of the factored tangent (many CG steps, frequent refactorisations) and the slip front moved
    # one element row per Newton step: 224k-DOF bench 225 s at 100, 84-86 s at 3 (with the
    # Aitken updates; displacements within 1.3e-3 of max |u| of each other)
    tol_gap_mm: float = 1e-6  # multiplier loop: gap / stick-creep violation left (1 nm) ...
    tol_gap_rel: float = 1e-3  # ... or this fraction of the largest displacement increment
    tol_bound_rel: float = 1e-2  # friction bounds mu*p settled: area-weighted change / mu N
    gap_measure: str = "force"  # what of frictionless points' gap violation the tolerance bounds:
    # "force", its mean weighted by each point's force (w max(p, lam_n)), with every point within
    # gap_max_factor x the tolerance; "max", its largest value at any point. The bodies move by
    # the penetration where the force is carried; "max" spent 1-5 extra passes per increment on
    # 1-3 edge points of 864 hovering 4-30 % above the tolerance, where the multiplier updates
    # converge slowest (the C0 sub-model's flexion: 59 -> 39 Newton steps, ROM within 0.05 %;
    # bench/README.md "Where the column's Newton steps go"). Frictional points keep the largest
    # value, of the gap and of the stick creep: micromotion is reported per point, and with the
    # mean a frictional case's answer moved with the iteration path (3e-4 of max |u| between
    # two PCG variants, tests/test_newton_cg_cap.py, against < 1e-5)
    gap_max_factor: float = 10.0  # a guard, not the measure: 2 stalled the same way on the
    # largest value (60 instead of 39 steps on that case)
    reg: float = 1e-8  # tangent regularisation of open points (relative to the penalty)
    coulomb_in_newton: bool = True  # the bound mu*p follows each Newton step (else: AL passes)
    penalty_max_factor: float = 100.0  # the penalty grows x10 up to this when the multiplier
    # updates stall (violation not halved in a pass and still above 3 x tolerance)
    aitken: bool = True  # multiplier updates relaxed by Aitken's secant factor
    reference_step: str | None = None  # slip is measured from the end of this step
    warm_bounds: bool = False  # points closing in an interface that carries pressure start
    # at the Coulomb bound of their own pressure, not unbounded (begin_increment). Off: on
    # aad_cages in flexion it saved 16 of 195 Newton steps (-27 % CPU) with the same ROM (2e-7)
    # and the same cage slip C1 + C2 (0.2 %), but the split of a cage's slip between its C1 and
    # C2 faces moved by up to 20 % (both faces slip: the split is set by the iteration path),
    # and per-face micromotion is a reported answer (bench/README.md, "Constructs")

    def __post_init__(self):
        super().__post_init__()
        if self.gap_measure not in ("force", "max"):
            raise FeaError(f"contact setting gap_measure must be 'force' or 'max', not "
                           f"'{self.gap_measure}'")


@dataclass
class PointState:
    """Converged interface state after an increment (history for the next)."""

    g: np.ndarray  # (p, 3) gap and tangential relative displacement in the point frames
    lam_n: np.ndarray
    lam_t: np.ndarray  # (p, 2)
    status: np.ndarray


class ContactTerm:
    name = "contact"
    block = 3
    outer = True

    def __init__(self, model, cs: ContactSettings, progress=None):
        progress = progress or (lambda phase, detail="": None)
        progress("interfaces", "pairing")
        t = time.perf_counter()
        self.setup: ContactSetup = prepare(model)
        self.cs = cs
        self.model = self.setup.model
        self.dependencies = self.setup.ties
        self.links = self.setup.links
        self.timings = {}
        self.version = 0
        pp = self.setup.points
        self.active = pp is not None
        if self.active:
            self.operator = pp.operator(self.model.n_full)
            self.w = pp.w
            self.eps_n, self.eps_t, self.mu, self.friction = point_parameters(
                self.setup, cs.penalty_factor)
            self._eps0 = (self.eps_n, self.eps_t)  # _stiffen raises eps within a run (new arrays)
            self.pen = penalty_points(self.setup)
            self.normal = PointLaws.of(self.setup)  # nonlinear and tied penalty laws, or None
            self.g0 = np.zeros((len(pp.w), 3))
            self.g0[:, 0] = pp.g0
            # links per point, for the free-body check (slave node, master node)
            self._link_nodes = (pp.slave_conn[:, 0], pp.master_conn[:, 0])
        self.timings["pairing_s"] = time.perf_counter() - t

    # ---- set-up and history ---------------------------------------------------------
    def bonded(self):
        """All points closed and stuck where there is friction; frictionless ones slide (a
        little tangential stiffness keeps a body that only contact holds from being singular)."""
        wd = self.w[:, None] * np.column_stack([
            self.eps_n, *(2 * [np.where(self.friction, self.eps_t, 1e-3 * self.eps_t)])])
        wD = np.zeros((len(wd), 3, 3))
        wD[:, [0, 1, 2], [0, 1, 2]] = wd
        return wD, np.full(len(wd), L.STICK)

    def start_case(self, loadcase) -> None:
        p = len(self.w)
        self.hist = PointState(np.zeros((p, 3)), np.zeros(p), np.zeros((p, 2)), np.zeros(p, int))
        self.hist.g[:, 0] = self.g0[:, 0]
        self.hist_prev = None  # the increment before (predict)
        self.ref_name = self.cs.reference_step or loadcase.steps[0].name
        if self.ref_name not in [s.name for s in loadcase.steps]:
            raise FeaError(f"reference step '{self.ref_name}' for slip is not a step of load case "
                           f"'{loadcase.name}'")
        self.multi = len(loadcase.steps) > 1
        self.g_ref = np.zeros((p, 3)) if self.multi else self.hist.g.copy()
        if self.eps_n is not self._eps0[0]:  # each load case starts at the soft penalty
            self.eps_n, self.eps_t = self._eps0
            self.version += 1

    def case_signature(self, loadcase):
        """What of a load case besides its steps shapes this term's history: the step slip is
        measured from, and whether there is more than one step (fea.newton reuses steps)."""
        return self.cs.reference_step or loadcase.steps[0].name, len(loadcase.steps) > 1

    def snapshot(self):
        """The history at a step's end (restore() puts it back in another load case)."""
        h = self.hist
        return (PointState(h.g.copy(), h.lam_n.copy(), h.lam_t.copy(), h.status.copy()),
                self.g_ref.copy(), self.eps_n, self.eps_t)

    def restore(self, snap) -> None:
        h, g_ref, eps_n, eps_t = snap
        self.hist = PointState(h.g.copy(), h.lam_n.copy(), h.lam_t.copy(), h.status.copy())
        self.g_ref = g_ref.copy()
        self.hist_prev = None
        if eps_n is not self.eps_n:  # a penalty raised in that step: every factor renewed
            self.eps_n, self.eps_t = eps_n, eps_t
            self.version += 1

    def end_step(self, step_name: str) -> None:
        if step_name == self.ref_name and self.multi:
            self.g_ref = self.hist.g.copy()  # later states measure slip from here

    def begin_increment(self) -> None:
        h = self.hist
        self.lam_n, self.lam_t = h.lam_n.copy(), h.lam_t.copy()
        # points without a known pressure start the increment stuck (unbounded friction): the
        # first pass is then a smooth convex problem (tangentially bonded, normally unilateral)
        # that a friction-held body can solve; the multiplier update gives every point its
        # Coulomb bound mu * p (zero where it opened)
        unknown = self.friction & (self.lam_n <= 0)
        if self.cs.warm_bounds:
            # an interface that already carries pressure holds its bodies: its points closing
            # now take the bound of their own pressure (0, then mu p within Newton) at once.
            # Unbounded, they left every increment's first pass unsettled ("bound change inf"),
            # a pass of 7-11 Newton steps per moment increment on aad_cages (bench/README.md)
            iface = self.setup.interface_of_point
            loaded = np.bincount(iface, weights=self.lam_n > 0, minlength=len(self.setup.infos))
            unknown &= loaded[iface] == 0
        self.bound = np.where(unknown & ~self.pen, np.inf, self.mu * self.lam_n)
        self.lam_n[self.pen] = 0.0  # the penalty law: p = eps_n x overclosure
        self.aitken_prev, self.viol_prev = None, np.inf

    def begin_pass(self, tight: bool) -> None:
        self.follow = self.friction & np.isfinite(self.bound) & ~self.pen
        # (not in the last, tight pass: there the bound is settled and a fixed one lets Newton
        # converge quadratically instead of linearly)
        self.following = self.cs.coulomb_in_newton and self.follow.any() and not tight

    def hold(self) -> None:
        # the moving bound made the residual grow (points cycling between open and closed as it
        # follows them): hold it for the rest of this pass (holding it only past 1.5 x the
        # smallest residual let the ccx full-slip case cycle through 1200 Newton steps)
        self.following = False

    # ---- Newton steps ---------------------------------------------------------------
    def _law(self, g, tangent=True):
        return L.evaluate(g[:, 0], g[:, 1:] - self.hist.g[:, 1:], self.lam_n, self.lam_t,
                          self.bound, self.eps_n, self.eps_t, self.friction, self.cs.reg,
                          tangent=tangent, normal=self.normal)

    def evaluate(self, u, it: int) -> Evaluation:
        g = self.g0 + (self.operator @ u).reshape(-1, 3)
        if self.following and it > 0:
            # the Coulomb bound follows the pressure from one Newton step to the next (points
            # whose pressure was known when the pass began), instead of waiting for the
            # multiplier update: a pull's slip zone then settles in one pass
            p_now = L.pressure_of(g[:, 0], self.lam_n, self.eps_n)
            self.bound = np.where(self.follow, self.mu * p_now, self.bound)
        if self.pen.any():  # a penalty law's Coulomb bound is always that of this iterate
            p_pen = L.pressure_of(g[:, 0], self.lam_n, self.eps_n, self.normal)
            self.bound = np.where(self.pen, self.mu * p_pen, self.bound)
        st = self._law(g)
        self.g, self.st = g, st
        return Evaluation((self.w[:, None] * st.traction).ravel(), self.w[:, None, None] * st.D,
                          st.status, float((self.w * st.psi).sum()))

    def slope(self, a: float, dy: np.ndarray) -> float:
        dg = dy.reshape(-1, 3)
        st = self._law(self.g + a * dg, tangent=False)
        return float((self.w * (st.traction * dg).sum(1)).sum())

    def energy_change(self, dy: np.ndarray) -> float:
        st1 = self._law(self.g + dy.reshape(-1, 3), tangent=False)
        return float((self.w * (st1.psi - self.st.psi)).sum())

    # ---- outer passes: multipliers and the Coulomb bound -------------------------------
    def end_pass(self, ev, du_max: float) -> PassCheck:
        cs, st = self.cs, self.st
        p, tau = st.pressure, st.traction[:, 1:]
        v_n = np.where(self.pen, 0.0, np.abs(p - self.lam_n) / self.eps_n)
        v_t = np.where(self.pen, 0.0, np.linalg.norm(tau - self.lam_t, axis=1) / self.eps_t)
        largest = float(max(v_n.max(initial=0), v_t.max(initial=0)))
        violation = largest
        if cs.gap_measure == "force":
            # frictionless points: the force-weighted mean; frictional ones keep the largest
            # value (their Coulomb bound mu p, and so their slip, is a per-point answer)
            free = ~self.friction
            q = np.where(free, self.w * np.maximum(p, self.lam_n), 0.0)  # force carried or given
            mean = float((q * v_n).sum() / q.sum()) if q.sum() > 0 else 0.0
            violation = max(mean, float(v_n[~free].max(initial=0)), float(v_t.max(initial=0)))
        # the Coulomb bound must have settled too where it binds (slipping points, and stuck
        # ones the new bound would no longer hold), as a friction force: the area-weighted
        # bound change against the interfaces' friction capacity mu * N. Its displacement
        # equivalent (/eps) would be far too lax with a stiff penalty; a pointwise maximum
        # kept a construct's preload crawling through 29 multiplier updates (a few edge
        # points creeping) after the gaps had settled in two.
        binding = self.friction & ((st.status == L.SLIP)
                                   | (np.linalg.norm(tau, axis=1) > self.mu * p))
        bound_change = np.where(binding, np.abs(self.mu * p - self.bound), 0.0)
        capacity = (self.w * self.mu * p).sum()
        bound_ok = (self.w * bound_change).sum() <= cs.tol_bound_rel * max(capacity, 1e-300)
        self.tol_gap = max(cs.tol_gap_mm, cs.tol_gap_rel * du_max)
        if _DEBUG:
            # which points hold the violation: closed ones penetrating, or open ones still
            # carrying a multiplier (released), and the force the penalty error carries
            over = v_n > self.tol_gap
            rel = (self.w * np.abs(p - self.lam_n)).sum() / max((self.w * p).sum(), 1e-300)
            print(f"  AL: violation {violation:.2e}, largest {largest:.2e} (tol "
                  f"{self.tol_gap:.2e}; over it: "
                  f"{int((over & (p > 0)).sum())} closed, {int((over & (p <= 0)).sum())} open; "
                  f"force error {rel:.2e} of the normal force), bound change "
                  f"{(self.w * bound_change).sum() / max(capacity, 1e-300):.2e} of mu N")
        self.close = violation <= self.tol_gap and largest <= cs.gap_max_factor * self.tol_gap
        self.violation = violation  # the measure the stall test of next_pass compares
        return PassCheck(bound_ok and self.close, largest)

    def next_pass(self, al: int, check: PassCheck) -> None:
        st = self.st
        p, tau = st.pressure, st.traction[:, 1:]
        # the multipliers move only when the penalty error they remove is above tolerance:
        # otherwise just the Coulomb bound does (the same jump in the tractions again)
        self.bound = self.mu * p
        violation = self.violation
        # a stalled multiplier loop far from its tolerance (a soft penalty on a soft layer):
        # stiffer penalty. Near it (a few points hovering at 1.1 x tolerance on the friction
        # bench) the next passes finish the job at the soft penalty's low cost.
        if (al > 2 and violation > 0.5 * self.viol_prev and violation > 3 * self.tol_gap
                and self._stiffen()):
            self.aitken_prev = None  # (its history is in lam / eps units)
        self.viol_prev = violation
        if not self.close:
            if self.cs.aitken:
                self.lam_n, self.lam_t, self.aitken_prev = self._aitken(p, tau, self.aitken_prev)
            else:
                self.lam_n, self.lam_t = p.copy(), tau.copy()
            self.lam_n[self.pen] = 0.0  # penalty points: no multipliers (their law)
            self.lam_t[self.pen] = self.hist.lam_t[self.pen]

    @property
    def path_independent(self) -> bool:
        """Frictionless contact is a convex problem per increment: one answer from any start."""
        return not self.friction.any()

    def predict(self, ratio: float) -> None:
        """Frictionless points' pressure multipliers extrapolated from the last two increments
        (the driver's predictor): the multiplier passes then start near this increment's
        pressures. Frictional points keep theirs: their bound mu p and stick/slip history would
        move with a predicted pressure, and their answer may depend on the path."""
        prev = self.hist_prev
        if prev is None:
            return
        sel = ~self.friction & ~self.pen
        lam = self.lam_n + ratio * (self.lam_n - prev.lam_n)
        self.lam_n = np.where(sel, np.maximum(lam, 0.0), self.lam_n)

    def commit(self, ev) -> None:
        st = self.st
        self.hist_prev = self.hist
        self.hist = PointState(self.g, st.pressure.copy(), st.traction[:, 1:].copy(), st.status)

    def _aitken(self, p, tau, prev):
        """Multiplier update lam + omega (tau - lam), omega from the last two updates (Aitken's
        secant, Irons-Tuck form, kept in [0.5, 10]), in displacement units (lam / eps). The
        plain update converges linearly, the slower the softer the penalty; this one took the
        50k-DOF bench's pull from 15 to 10 passes. Pressures stay >= 0 and tangential
        multipliers within the Coulomb disc."""
        x = np.concatenate([self.lam_n / self.eps_n, (self.lam_t / self.eps_t[:, None]).ravel()])
        d = np.concatenate([p / self.eps_n, (tau / self.eps_t[:, None]).ravel()]) - x
        d[np.concatenate([self.pen, np.repeat(self.pen, 2)])] = 0.0  # no multipliers there
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
        cap = np.where(self.friction, self.bound, 0.0)
        lt = lt * np.where(nt > cap, cap / np.where(nt > 0, nt, 1.0), 1.0)[:, None]
        if _DEBUG:
            print(f"  aitken omega {omega:.2f}")
        return ln, lt, (d, omega)

    def _stiffen(self) -> bool:
        """Ten times the penalty (up to penalty_max_factor E/h) where the multiplier updates
        stall: a soft penalty on a soft layer (cartilage, 10 MPa) converges too slowly. The
        version bump makes the driver factor every preconditioner again before its next use."""
        grow = self.cs.penalty_max_factor / self.cs.penalty_factor
        cap_n, cap_t = (grow * e for e in self._eps0)
        al = ~self.pen  # a penalty law's slopes are not raised
        if np.all(self.eps_n[al] >= cap_n[al]):
            return False
        self.eps_n = np.where(al, np.minimum(10 * self.eps_n, cap_n), self.eps_n)
        self.eps_t = np.where(al, np.minimum(10 * self.eps_t, cap_t), self.eps_t)
        self.version += 1
        self.timings["penalty_raises"] = self.timings.get("penalty_raises", 0) + 1
        if _DEBUG:
            print(f"  penalty x10: {self.eps_n.max() / self._eps0[0].max():g} x the first")
        return True

    # ---- what the driver and the outputs read ------------------------------------------
    def force(self) -> np.ndarray:
        h = self.hist
        return self.operator.T @ (self.w[:, None] * np.column_stack([-h.lam_n, h.lam_t])).ravel()

    def state(self) -> dict:
        h = self.hist
        return {"g": h.g.copy(), "pressure": h.lam_n.copy(), "tau": h.lam_t.copy(),
                "status": h.status.copy(), "g_ref": self.g_ref.copy(), "force": self.force()}

    def carrying_links(self, ev):
        return None  # a failed iterate's open points say nothing reliable: count them all

    def describe(self, ev) -> str:
        """Status counts per interface and how much moved in the last Newton step."""
        if ev is None:
            return ""
        iface = self.setup.interface_of_point
        parts = []
        for k, info in enumerate(self.setup.infos):
            sel = iface == k
            if not sel.any():
                continue
            c = np.bincount(ev.status[sel], minlength=3)
            parts.append(f"'{info.name}' {c[1]} stick / {c[2]} slip / {c[0]} open")
        return "interfaces " + ", ".join(parts) if parts else ""

    def outputs(self, result, loadcase) -> TermOutputs:
        from .output import interface_summary, per_interface, point_arrays

        ref = self.cs.reference_step or loadcase.steps[0].name
        has_points = result.final.contact is not None
        final = point_arrays(self, result.final) if has_points else None
        out = TermOutputs(
            summary={"interfaces": interface_summary(self, final, ref),
                     "contact_settings": dict(self.cs.__dict__)},
            data={"interfaces": per_interface(self, final)})
        if has_points:
            out.vtu.append(("interfaces", final,
                            [point_arrays(self, st) for st in result.step_ends()]))
        return out


def make_term(model, newton: NewtonSettings | None, progress=None) -> ContactTerm | None:
    """The contact term of a model with interfaces (its settings: ContactSettings, the
    driver's settings with contact's own)."""
    if not model.interfaces:
        return None
    cs = newton if isinstance(newton, ContactSettings) else ContactSettings(
        **(newton.__dict__ if newton is not None else {}))
    return ContactTerm(model, cs, progress)


class ContactAnalysis(NewtonAnalysis):
    """A Newton analysis whose only term is contact (the tests and the contact bench)."""

    def __init__(self, model, settings=None, progress=None, contact: ContactSettings | None = None):
        contact = contact or ContactSettings()
        term = ContactTerm(model, contact, progress)
        super().__init__(term.model, [term], settings, progress, contact)
        self.contact, self.setup, self.cs = term, term.setup, term.cs
