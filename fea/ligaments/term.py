"""Ligaments as a term of the Newton driver (fea.newton).

Kinematics (fibres.py): every fibre's elongation delta = B u (small displacements, direction
fixed in the reference configuration). Law (law.py): F(delta) and dF/ddelta per fibre, tension
only (zero when slack). The term gives the driver
    residual   B^T F(B u)
    tangent    B^T diag(dF/ddelta) B      (consistent: the law's own slope, zero in the toe's
               start and when slack; slack fibres add 1e-8 E h to the tangent only, as
               open contact points do, so a body that only slack ligaments
               hold stays solvable while they tighten; the answer is untouched)
    status     1 taut / 0 slack per fibre: a change counts like a contact status change (rough
               PCG while it moves, the factor refreshed on the ski-rental rule)
    energy     the integral of F along a line search step (Simpson's rule on the slope).
No outer loop: a Newton solve whose force residual is below tolerance is converged (each
fibre's law is exact at the converged elongation, unlike a penalty). The first preconditioner
is set up with every fibre taut at its stiffest slope ("bonded", like contact's closed points).
Springs to ground exert external forces; their sum is stored as the state's external_force so
that the equilibrium check counts them like reactions.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..newton import Evaluation, NewtonSettings, PassCheck, TermOutputs
from .fibres import Fibres, _elongation_operator, build_fibres
from .law import LINEAR, TABLE, evaluate, taut

TAUT, SLACK = 1, 0
REG = 1e-8  # tangent regularisation of slack fibres, relative to E h (see __init__)


class LigamentTerm:
    name = "ligaments"
    block = 1
    outer = False
    active = True
    version = 0  # the tangent never changes scale
    # a fibre is soft against the bodies it joins: its taut/slack change barely moves the
    # tangent, and refactoring on it (as on contact's) doubled the factorisations of
    # bench_ligaments; a stale factor that slows PCG down is still renewed (rebuild_after)
    refactor_on_status = False
    path_independent = True  # elastic: the force is a function of the elongation
    dependencies: list = []

    def __init__(self, model, fibres: Fibres):
        self.model = model
        self.fibres = fibres
        self.operator = fibres.B
        # the factored tangent sees each fibre end on its heaviest node: a patch's full
        # coupling (every node of one end with every node of the other) more than doubled the
        # matrix of a 10k-DOF case with 200 fibres (0.95 M entries beside K's 0.70 M) and each
        # factorisation's cost with it; PCG with the exact operator makes up the difference
        self.operator_pre = _lumped_ends(fibres)
        self.k_lin = _stiffest_slope(fibres)
        # slack fibres' tangent regularisation, on the scale of the bodies (E h of the stiffest
        # material, h the mean element edge) like contact's (reg x E/h x area): relative to a
        # soft fibre it left K + reg B^T B not positive definite in double precision
        mesh = model.mesh
        h = float(np.linalg.norm(mesh.nodes[mesh.cells[:, 1]] - mesh.nodes[mesh.cells[:, 0]],
                                 axis=1).mean())
        E = max(mat.E for mat in model.materials.values())
        self.k_reg = REG * np.maximum(self.k_lin, E * h)
        self.links = [_row_links(fibres.B, model.mesh.n_nodes)]
        self.timings = {}
        # springs to ground (no 'to' set, or a deck spring with one free end): external forces
        ground = np.array([lg.to_set is None or (getattr(lg, "ends", None) is not None
                                                 and lg.ends[0] is None)
                           for lg in model.ligaments], bool)
        self.grounded = ground[fibres.ligament] if fibres.n else np.zeros(0, bool)
        self.supports = [_ground_supports(fibres, self.grounded, model.mesh.n_nodes)]

    # ---- set-up and history ---------------------------------------------------------
    def bonded(self):
        return self.k_lin[:, None, None].copy(), np.full(self.fibres.n, TAUT)

    def start_case(self, loadcase) -> None:
        self.delta = np.zeros(self.fibres.n)  # converged elongation (history: none needed)
        self.F, _ = evaluate(self.fibres.law, self.delta)

    def snapshot(self):
        return self.delta.copy(), self.F.copy()

    def restore(self, snap) -> None:
        self.delta, self.F = (a.copy() for a in snap)

    def end_step(self, step_name: str) -> None:
        pass

    def begin_increment(self) -> None:
        pass

    def begin_pass(self, tight: bool) -> None:
        pass

    def hold(self) -> None:
        pass

    # ---- Newton steps ---------------------------------------------------------------
    def _eval(self, delta):
        F, dF = evaluate(self.fibres.law, delta)
        is_taut = taut(self.fibres.law, delta)
        return F, dF, is_taut

    def evaluate(self, u, it: int) -> Evaluation:
        delta = self.operator @ u
        F, dF, is_taut = self._eval(delta)
        self._delta, self._F, self._taut = delta, F, is_taut
        D = np.where(is_taut, dF, dF + self.k_reg)
        return Evaluation(F, D[:, None, None], np.where(is_taut, TAUT, SLACK).astype(np.int64))

    def slope(self, a: float, dy: np.ndarray) -> float:
        F, _ = evaluate(self.fibres.law, self._delta + a * dy)
        return float(F @ dy)

    def energy_change(self, dy: np.ndarray) -> float:
        # Simpson's rule on 4 intervals: exact for the quadratic toe and linear parts within
        # one piece; an Armijo test only needs the sign and the rough size
        a = np.linspace(0.0, 1.0, 5)
        s = np.array([self._generalised(last=True) @ dy] + [self.slope(x, dy) for x in a[1:]])
        return float((s[0] + 4 * s[1] + 2 * s[2] + 4 * s[3] + s[4]) / 12.0)

    def end_pass(self, ev, du_max: float) -> PassCheck:
        return PassCheck(True, 0.0)

    def next_pass(self, al: int, check: PassCheck) -> None:
        pass

    def commit(self, ev) -> None:
        self.delta, self.F = self._delta, self._F

    # ---- what the driver and the outputs read ------------------------------------------
    def _generalised(self, last: bool = False) -> np.ndarray:
        """The forces on the operator's rows: committed, or at the last evaluation (one per
        fibre here; fea.ligaments.current_length carries three)."""
        return self._F if last else self.F

    def force(self) -> np.ndarray:
        return self.operator.T @ self._generalised()

    def state(self) -> dict:
        g = np.flatnonzero(self.grounded)
        rows = (self.block * g[:, None] + np.arange(self.block)).ravel()
        ext = self.operator[rows].T @ self._generalised()[rows]
        return {"elongation_mm": self.delta.copy(), "force_N": self.F.copy(),
                "taut": taut(self.fibres.law, self.delta), "external_force": -ext}

    def carrying_links(self, ev):
        """Links of the taut fibres only: a body whose fibres are all slack is free."""
        if ev is None:
            return None
        on = ev.status == TAUT
        a, b = self.links[0]
        keep = on[self._link_fibre]
        nodes, dirs = _ground_supports(self.fibres, self.grounded & on, self.model.mesh.n_nodes)
        return [(a[keep], b[keep])], [(nodes, dirs)]

    @property
    def _link_fibre(self):
        B = self.fibres.B
        return np.repeat(np.arange(B.shape[0]), np.diff(B.indptr))

    def describe(self, ev) -> str:
        if ev is None:
            return ""
        fb = self.fibres
        on = ev.status == TAUT
        n_lig = len(fb.names)
        taut_per = np.bincount(fb.ligament, on.astype(float), n_lig)
        slack = [fb.names[j] for j in range(n_lig) if taut_per[j] == 0]
        text = f"ligaments {int(on.sum())} of {fb.n} fibres taut"
        if slack:
            text += f" (all slack: {', '.join(repr(s) for s in slack)})"
        return text

    def outputs(self, result, loadcase) -> TermOutputs:
        from .summary import fibre_fields, ligament_summary, slack_ligaments

        fb = self.fibres

        def fields(st):
            c = st.terms.get(self.name)
            return fibre_fields(fb, c["elongation_mm"], c["force_N"], c["taut"])

        final = result.final.terms.get(self.name)
        out = TermOutputs()
        if final is None:
            return out
        out.summary["ligaments"] = ligament_summary(
            fb, final["elongation_mm"], final["force_N"], final["taut"], result.final.converged)
        # named, so that a ligament that never tightened is not mistaken for a weak one
        out.summary["slack_ligaments"] = slack_ligaments(out.summary["ligaments"])
        out.vtu.append(("ligaments", fields(result.final),
                        [fields(st) for st in result.step_ends()], self._writer))
        return out

    def _writer(self, path, fields) -> None:
        from ..ligament_output import write_ligaments_vtu

        write_ligaments_vtu(path, self.fibres, fields)


def _stiffest_slope(fb: Fibres) -> np.ndarray:
    """dF/ddelta of every fibre where its law is stiffest (the linear part; a table's steepest
    segment), the tangent the first preconditioner is set up on."""
    law = fb.law
    k = law.share * law.c * np.abs(law.K)
    for j in range(len(law.tab_start) - 1):  # one per curve ligament, not per fibre
        x = law.tab_x[law.tab_start[j]:law.tab_start[j + 1]]
        f = law.tab_f[law.tab_start[j]:law.tab_start[j + 1]]
        sel = (law.kind == TABLE) & (law.table == j)
        k[sel] = law.share[sel] * law.c[sel] * np.abs(np.diff(f) / np.diff(x)).max()
    k = np.where(law.kind == LINEAR, law.share * law.c * np.abs(law.K), k)
    return np.where(k > 0, k, 1e-12 * max(k.max(initial=0.0), 1e-30))


def _row_links(B, n_nodes: int):
    """(node, node) pairs joining every node a fibre touches to the first one of its row: the
    fibre links its two attachment bodies for the rigid-body check."""
    node = np.minimum(B.indices // 3, n_nodes - 1)  # (reference-point DOFs: none expected)
    first = node[np.repeat(B.indptr[:-1], np.diff(B.indptr))]
    return first, node


def heaviest(W: sp.csr_matrix) -> sp.csr_matrix:
    """Each row's weight moved onto its heaviest node (rows sum to one as before; empty rows
    stay empty)."""
    has = np.diff(W.indptr) > 0
    r = np.flatnonzero(has)
    node = np.asarray(W.argmax(axis=1)).ravel()[r]
    return sp.csr_matrix((np.ones(len(r)), (r, node)), shape=W.shape)


def _lumped_ends(fb: Fibres) -> sp.csr_matrix:
    """B with each fibre end (and via point) moved onto the node that carries most of it: +n_f
    at end B, -n_A at end A, n_A - n_f at the via point (none for springs to ground)."""
    return _elongation_operator([(heaviest(fb.WB), fb.direction),
                                 (heaviest(fb.WA), -fb.direction_a),
                                 (heaviest(fb.WV), fb.direction_a - fb.direction)],
                                fb.B.shape[1])


def _ground_supports(fb: Fibres, which: np.ndarray, n_nodes: int):
    """(nodes, directions) of the given springs to ground: each node of their end stops motion
    along the spring (the rigid-body check counts them as elastic supports)."""
    B = fb.B[np.flatnonzero(which)].tocsr() if fb.n else fb.B
    rows = np.flatnonzero(which)[np.repeat(np.arange(B.shape[0]), np.diff(B.indptr))]
    node = B.indices // 3
    keep = node < n_nodes
    return node[keep], fb.direction[rows[keep]]


def make_term(model, newton: NewtonSettings | None = None, progress=None):
    """The ligament term of a model with ligaments (or springs)."""
    if not model.ligaments:
        return None
    if progress is not None:
        progress("ligaments", f"{len(model.ligaments)} ligament(s)")
    fibres = build_fibres(model)
    from .current_length import CurrentLengthTerm, current_fibres

    rotated = current_fibres(model, fibres, ("co_rotated",))
    if rotated.any():  # the bones' relative twist: six rows a fibre
        from .co_rotated import CoRotatedTerm

        return CoRotatedTerm(model, fibres, rotated)
    if current_fibres(model, fibres).any():  # the truss kinematics needs three rows a fibre
        return CurrentLengthTerm(model, fibres)
    return LigamentTerm(model, fibres)
