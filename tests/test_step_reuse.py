"""Load cases that share their first steps (the same preload) on one analysis: the later case
restarts from the earlier one's converged state after those steps (fea.newton, reuse_steps,
issue 18). Its answer must be the one a fresh analysis gives within the solver's tolerances,
including what depends on the history (frictional slip measured from the end of the preload,
ligament forces), and steps that differ in any load are solved again."""

import numpy as np
import pytest

from fea.contact.term import ContactSettings
from fea.materials import LinearElastic
from fea.model import (
    Interface, Ligament, LigamentLaw, LoadCase, Model, Pressure, Section, Step, SurfaceForce,
    Support,
)
from fea.results import write_case
from fea.solve_case import make_analysis, solve_case
from tests.contact_helpers import block_rollers, stacked_blocks

TOL = 1e-5  # the multiplier loop's tolerance: gap and stick-creep error / increment
MATS = {"a": LinearElastic("a", 1000.0, 0.3), "b": LinearElastic("b", 3000.0, 0.2)}


@pytest.fixture(scope="module")
def mesh():
    return stacked_blocks(0.5, 2, conforming=True)


def friction_model(mesh):
    return Model("press_pull", mesh, dict(MATS), [Section("lower", "a"), Section("upper", "b")],
                 [Support("lower_zmin")], {},
                 [Interface("if", "upper_zmin@upper", "lower_zmax@lower", "friction", 0.3)])


def press_shift_pull(name, dy):
    """Pressed, slid 8 um along x (the face slips: the contact history is far from its start),
    then pulled along y by dy with x held."""
    return LoadCase(name, [Step("press", [Pressure("upper_zmax", 1.0)]),
                           Step("shift", [], [Support("upper_xmin", (0,), (0.008,))],
                                increments=2),
                           Step("pull", [], [Support("upper_xmin", (0, 1), (0.008, dy))],
                                increments=2)])


def slip(res):
    c = res.final.contact
    return np.linalg.norm(c["g"][:, 1:] - c["g_ref"][:, 1:], axis=1)


def test_a_case_restarted_from_shared_steps_equals_a_fresh_solve(mesh):
    """Friction (mu 0.3): two cases share a press and a slide and differ in the last step; the
    second restarts from the first's state after the slide, and its last step's answer depends
    on the contact history left there (multipliers, stick/slip status, the slip reference: a
    restart without it is 7-12 % of the step off)."""
    m = friction_model(mesh)
    cs = ContactSettings(tol_gap_rel=TOL, tol_bound_rel=TOL)  # tight: the multiplier loop's
    # error (gaps, stick creep and the Coulomb bound) well below the history's effect
    an = make_analysis(m, contact=cs)
    an.run(press_shift_pull("first", 0.004))
    reused = an.run(press_shift_pull("second", -0.006))
    fresh = make_analysis(m, contact=cs).run(press_shift_pull("second", -0.006))
    assert reused.converged and fresh.converged
    assert an.timings["steps_reused"] == 2
    assert [s.solve.reused_from for s in reused.states] == ["first"] * 3 + ["", ""]
    assert all(s.solve.solve_s == 0.0 for s in reused.states[:3])
    assert all(s.solve.reused_from == "" for s in fresh.states)
    # Two solves of the same frictional case agree to about the multiplier loop's tolerance
    # only: PARDISO's threaded sums move the rough PCG steps and the friction path with them
    # (the slide's end differs by up to 1.1e-5 of max |u| between two fresh runs). So: 10 TOL,
    # against 0.07-0.12 for a restart that loses the contact history.
    u0 = fresh.states[2].u  # the shared steps' end: the first case's solve against a fresh one
    assert np.abs(reused.states[2].u - u0).max() <= 10 * TOL * np.abs(u0).max()
    u_r, u_f = reused.displacement(), fresh.displacement()
    du = np.abs(fresh.states[-1].u - fresh.states[-2].u).max()  # the last increment's
    assert np.abs(u_r - u_f).max() <= 10 * TOL * du
    s_r, s_f = slip(reused), slip(fresh)
    assert s_f.max() > 5e-3  # slid: a history-dependent answer
    assert np.abs(s_r - s_f).max() <= 10 * TOL * du
    r_r = reused.final.reaction.reshape(-1, 3)[:mesh.n_nodes].sum(0)
    r_f = fresh.final.reaction.reshape(-1, 3)[:mesh.n_nodes].sum(0)
    assert np.abs(r_r - r_f).max() <= 1e-3 * np.abs(r_f).max()


def blocks_with_spring(mesh):
    spring = LigamentLaw("toe_linear", stiffness=50.0)
    return Model("blocks", mesh, dict(MATS), [Section("lower", "a"), Section("upper", "b")],
                 [Support("lower_zmin"), Support("upper_ymin", (1,))], {},
                 [Interface("if", "upper_zmin@upper", "lower_zmax@lower", "frictionless")],
                 ligaments=[Ligament("side", "upper_xmin", None, spring, fibres=4,
                                     direction=np.array([-1.0, 0.0, 0.0]))])


def press_push(name, Fx, p=1.0):
    return LoadCase(name, [Step("press", [Pressure("upper_zmax", p)]),
                           Step("push", [SurfaceForce("upper_xmax", np.array([Fx, 0, 0]))],
                                increments=2)])


def test_contact_and_ligaments_restarted_carry_the_second_steps_load(mesh, tmp_path):
    """Frictionless contact and a tension-only spring: restarted from the first case's press,
    the spring takes the whole side force of the second case (contact carries no shear); the
    case's summary.json says which increments were taken from where."""
    import json

    m = blocks_with_spring(mesh)
    an = make_analysis(m)
    solve_case(m, press_push("one", -1.0), analysis=an)
    case = solve_case(m, press_push("two", -2.0), analysis=an)
    res = case.result
    assert res.converged and res.states[0].solve.reused_from == "one"
    assert case.extra["ligaments"][0]["force_N"] == pytest.approx(2.0, rel=1e-6)
    assert case.extra["interfaces"]["if"]["normal_force_N"] == pytest.approx(4.0, rel=1e-4)
    write_case(res, tmp_path / "case", case.writers, case.extra)
    inc = json.loads((tmp_path / "case" / "summary.json").read_text())["increments"]
    assert [(i["step"], i["reused_from"]) for i in inc] == [("press", "one"), ("push", ""),
                                                           ("push", "")]
    assert all(i["newton_iterations"] > 0 for i in inc[1:])


@pytest.mark.parametrize("other", [press_push("p_half", -2.0, p=0.5),  # another preload
                                   LoadCase("renamed", [Step("squeeze", [Pressure("upper_zmax",
                                                                                  1.0)])])])
def test_steps_that_differ_are_solved_again(mesh, other):
    m = blocks_with_spring(mesh)
    an = make_analysis(m)
    an.run(press_push("one", -1.0))
    res = an.run(other)
    assert res.converged and an.timings.get("steps_reused", 0) == 0
    assert all(s.solve.reused_from == "" and s.solve.newton_iterations > 0 for s in res.states)


def test_reuse_can_be_switched_off(mesh):
    m = blocks_with_spring(mesh)
    an = make_analysis(m, contact=ContactSettings(reuse_steps=False))
    an.run(press_push("one", -1.0))
    res = an.run(press_push("two", -2.0))
    assert an.timings.get("steps_reused", 0) == 0 and res.states[0].solve.reused_from == ""


# ---------------------------------------------------------------- the predictor
def press_in(n, p=1.0):
    return LoadCase("press", [Step("press", [Pressure("upper_zmax", p)], increments=n)])


def frictionless_blocks(mesh):
    return Model("blocks", mesh, dict(MATS), [Section("lower", "a"), Section("upper", "b")],
                 block_rollers(), {},
                 [Interface("if", "upper_zmin@upper", "lower_zmax@lower", "frictionless")])


def test_the_predictor_starts_a_linear_increment_at_its_answer(mesh):
    """A block pressed onto another (frictionless, the contact area fixed: a linear problem) in
    three increments: from the last increment's change, the next one's displacements and
    pressures are extrapolated exactly, so it needs fewer Newton steps (and no more multiplier
    passes) than without the predictor, and ends at the same answer."""
    m = frictionless_blocks(mesh)
    on = make_analysis(m, contact=ContactSettings(predictor=True)).run(press_in(3))
    off = make_analysis(m, contact=ContactSettings(predictor=False)).run(press_in(3))
    assert on.converged and off.converged
    n_on = [(s.solve.newton_iterations, s.solve.al_iterations) for s in on.states]
    n_off = [(s.solve.newton_iterations, s.solve.al_iterations) for s in off.states]
    assert n_on[0] == n_off[0]  # the first increment: nothing to predict from
    for (nw, al), (nw0, al0) in zip(n_on[1:], n_off[1:]):
        assert nw < nw0 and al <= al0
    u_on, u_off = on.displacement(), off.displacement()
    assert np.abs(u_on - u_off).max() <= 2 * ContactSettings().tol_gap_rel * np.abs(
        off.states[2].u - off.states[1].u).max()
    # on rollers the pressure is uniform: load / area = 1 MPa at every point
    assert np.abs(on.final.contact["pressure"] - 1.0).max() < 0.005


def test_no_predictor_with_friction(mesh):
    """Friction's converged answer may depend on the iteration path: Newton starts from the
    last converged state there, as before."""
    an = make_analysis(friction_model(mesh), contact=ContactSettings(predictor=True))
    assert an.term("contact").path_independent is False
    fl = make_analysis(frictionless_blocks(mesh), contact=ContactSettings(predictor=True))
    assert fl.term("contact").path_independent is True


def test_a_preload_every_case_reuses_outlives_the_other_step_ends(mesh):
    """More load cases than step ends kept (reuse_max 2): the preload each case takes is the
    most recently used entry, so it is never the one dropped."""
    m = blocks_with_spring(mesh)
    an = make_analysis(m, contact=ContactSettings(reuse_max=2))
    runs = [an.run(press_push(f"c{k}", -0.5 * (k + 1))) for k in range(4)]
    assert all(r.converged for r in runs)
    assert an.timings["steps_reused"] == 3
    assert [r.states[0].solve.reused_from for r in runs] == ["", "c0", "c0", "c0"]
