"""How the Newton driver converges (issue 18): once the status (contact open/closed, fibres
taut/slack) has stopped moving, the residual falls quadratically, which it does only with the
terms' consistent tangents (the ligament tangent scaled by 0.6 fails the toe test: a linear
rate); a contact + ligament problem converges quadratically in a bounded number of steps with
the right forces; the gap measure of the multiplier loop is checked for bad input."""

import numpy as np
import pytest

from fea.contact.term import ContactSettings
from fea.errors import FeaError
from fea.materials import LinearElastic
from fea.model import (
    Interface, Ligament, LigamentLaw, LoadCase, Model, Section, Step, SurfaceForce, Support,
)
from fea.solve_case import make_analysis
from tests.contact_helpers import stacked_blocks
from tests.test_ligament_term import STIFF, TOE, hung_model, pull


FLOOR = 1e-9  # relative residual at round-off (tol_force is 1e-8): no rate below it


def quadratic(r0, r1) -> bool:
    return r1 <= max(r0**1.5, FLOOR)


def quadratic_tail(trace, below=0.2):
    """(res_k, res_k+1) of consecutive evaluations in one pass with no status change between
    them and res_k below `below` (where Newton's local rate shows)."""
    pairs = []
    for attempt in trace:
        for (al0, r0, _), (al1, r1, changed) in zip(attempt, attempt[1:]):
            if al0 == al1 and changed == 0 and r0 < below and r1 > 0:
                pairs.append((r0, r1))
    return pairs


def test_toe_ligament_converges_quadratically():
    """A block hung from toe-region fibres (F ~ delta^2): the law is smooth, so Newton with its
    exact slope must reach res_k+1 <= res_k^1.5 at every step after the status settled (a
    linear rate of 0.5 gives 0.5 res_k, above res_k^1.5 for res_k < 0.25)."""
    m = hung_model(LigamentLaw("toe_linear", stiffness=STIFF, toe_strain=TOE))
    an = make_analysis(m)
    res = an.run(pull(0.5 * STIFF * 6.0 * TOE / 2))  # half way up the toe
    assert res.converged
    pairs = quadratic_tail(an.trace)
    assert len(pairs) >= 2
    assert all(quadratic(r0, r1) for r0, r1 in pairs), pairs


def blocks_held_by_a_prestrained_ligament():
    """The upper block of the stacked pair pulled onto the lower one by a prestrained ligament
    (top face of the upper block to the bottom face of the lower, 2 mm, in its toe), contact
    frictionless, the upper block on rollers in x and y: contact and the ligament alone hold it
    in z."""
    mesh = stacked_blocks(0.5, 2, conforming=True)
    mats = {"a": LinearElastic("a", 1000.0, 0.3), "b": LinearElastic("b", 3000.0, 0.2)}
    law = LigamentLaw("toe_linear", stiffness=50.0, toe_strain=0.1, prestrain=0.04)
    return Model("blocks", mesh, mats, [Section("lower", "a"), Section("upper", "b")],
                 [Support("lower_zmin"), Support("upper_xmin", (0,)), Support("upper_ymin", (1,))],
                 {}, [Interface("if", "upper_zmin@upper", "lower_zmax@lower", "frictionless")],
                 ligaments=[Ligament("tie", "upper_zmax", "lower_zmin", law, fibres=4)])


def test_contact_and_toe_ligament_converge_quadratically_in_few_steps():
    """The ligament's prestrain presses the blocks together; an upward pull on the upper block
    unloads the contact. Equilibrium of the upper block: ligament force = contact force + pull.
    Newton's last steps are quadratic (the fibres stay in the toe, the contact closed), and the
    whole case takes a bounded number of steps: two increments, each a status search of a few
    steps, a multiplier pass or two (a uniform pressure: one update is nearly exact) and the
    tight pass; 25 steps would be a driver regression (a lagged tangent alone needs more)."""
    m = blocks_held_by_a_prestrained_ligament()
    P = 0.4  # N upward, below the prestrain force: 50 N/mm x 2 mm x 0.04^2 / (2 x 0.1) = 0.8 N
    lc = LoadCase("pull", [Step("pull", [SurfaceForce("upper_zmax", np.array([0, 0, P]))],
                                increments=2)])
    an = make_analysis(m, contact=ContactSettings())
    res = an.run(lc)
    assert res.converged
    F_lig = res.final.terms["ligaments"]["force_N"].sum()
    N = (an.term("contact").w * res.final.terms["contact"]["pressure"]).sum()
    assert F_lig > P and N > 0
    assert F_lig == pytest.approx(N + P, rel=1e-5)
    pairs = quadratic_tail(an.trace)
    assert pairs and all(quadratic(r0, r1) for r0, r1 in pairs), pairs
    steps = sum(st.solve.newton_iterations for st in res.states)
    assert steps <= 25, steps


def test_gap_measure_must_be_known():
    with pytest.raises(FeaError, match="gap_measure"):
        ContactSettings(gap_measure="mean")


def test_trace_tool_counts_what_the_solver_counts(monkeypatch, capsys):
    """bench/newton_trace.py reads the debug log into increments and passes: its Newton steps
    and passes per increment must be the solver's own counts (SolveInfo), and the driver's
    trace must hold one residual per evaluation (one more than the steps in each pass)."""
    import sys
    from pathlib import Path

    import fea.contact.term as contact_term
    import fea.newton as newton

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from newton_trace import parse

    monkeypatch.setattr(newton, "_DEBUG", True)
    monkeypatch.setattr(contact_term, "_DEBUG", True)
    m = blocks_held_by_a_prestrained_ligament()
    lc = LoadCase("pull", [Step("pull", [SurfaceForce("upper_zmax", np.array([0, 0, 0.4]))],
                                increments=2)])
    an = make_analysis(m, contact=ContactSettings())
    res = an.run(lc)
    assert res.converged
    incs = parse(capsys.readouterr().out.splitlines())
    assert [(sum(p["steps"] for p in inc), len(inc)) for inc in incs] == [
        (st.solve.newton_iterations, st.solve.al_iterations) for st in res.states]
    for inc, tr in zip(incs, an.trace):
        per_pass = np.bincount([al for al, _, _ in tr])[1:]
        assert list(per_pass) == [p["steps"] + 1 for p in inc]
