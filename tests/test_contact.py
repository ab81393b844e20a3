"""Interfaces: tied, frictionless and Coulomb frictional contact (issue 3 verification)."""

import json
import re

import numpy as np
import pytest

from contact_helpers import block_rollers, stacked_blocks
from fea.contact.term import ContactAnalysis, ContactSettings
from fea.contact.split import split_contact_nodes
from fea.contact.sides import resolve_sides
from fea.materials import LinearElastic
from fea.model import Interface, LoadCase, Model, Pressure, Section, Step, Support, SurfaceForce
from fea.post import set_reaction
from fea.results import state_summary
from fea.static import solve

MATS = {"a": LinearElastic("a", 1000.0, 0.3), "b": LinearElastic("b", 3000.0, 0.2)}
SECTIONS = [Section("lower", "a"), Section("upper", "b")]
SLAVE, MASTER = "upper_zmin@upper", "lower_zmax@lower"
AREA = 4.0  # 2 x 2 mm contact


@pytest.fixture(scope="module")
def conforming():
    return stacked_blocks(0.5, 2, conforming=True)


@pytest.fixture(scope="module")
def nonmatching():
    return stacked_blocks(0.5, 2, conforming=False, size_upper=0.4)


rollers = block_rollers


def model_with(mesh, law, supports, mu=0.0, slave=SLAVE, master=MASTER):
    return Model("blocks", mesh, dict(MATS), list(SECTIONS), supports, {},
                 [Interface("if", slave, master, law, mu)])


def press(p=1.0, inc=1):
    return LoadCase("press", [Step("press", [Pressure("upper_zmax", p)], increments=inc)])


def test_tied_duplicate_nodes_equal_the_bonded_mesh(conforming):
    # give the upper block its own nodes on the interface, then tie them back: the answer must be
    # the shared-node (monolithic) one
    supports = [Support("lower_zmin")]
    lc = LoadCase("shear", [Step("s", [SurfaceForce("upper_zmax", np.array([0.3, -0.2, -1.0]))])])
    bonded = Model("b", conforming, dict(MATS), list(SECTIONS), supports)
    u_ref = solve(bonded, lc).displacement()
    probe = model_with(conforming, "friction", supports, 0.5)
    split = split_contact_nodes(probe, [("if", resolve_sides(probe, probe.interfaces[0]))])
    assert split.model.mesh.n_nodes > conforming.n_nodes  # the interface nodes were duplicated
    tied = model_with(split.model.mesh, "tied", supports)
    an = ContactAnalysis(tied)
    u = an.run(lc).displacement()
    assert an.setup.infos[0].tied_nodes == split.model.mesh.n_nodes - conforming.n_nodes
    u_orig = u[: conforming.n_nodes]
    assert np.abs(u_orig - u_ref).max() < 1e-6 * np.abs(u_ref).max()


def test_tied_nonmatching_close_to_bonded(conforming, nonmatching):
    supports = [Support("lower_zmin")]
    lc = LoadCase("shear", [Step("s", [SurfaceForce("upper_zmax", np.array([0.3, 0.0, -1.0]))])])
    u_ref = solve(Model("b", conforming, dict(MATS), list(SECTIONS), supports), lc).displacement()
    top_ref = u_ref[conforming.nodes_of("upper_zmax")].mean(0)
    tied = model_with(nonmatching, "tied", supports, slave="upper_zmin", master="lower_zmax")
    res = ContactAnalysis(tied).run(lc)
    top = res.displacement()[nonmatching.nodes_of("upper_zmax")].mean(0)
    assert np.linalg.norm(top - top_ref) < 0.01 * np.linalg.norm(top_ref)  # different meshes


@pytest.mark.parametrize("which", ["conforming", "nonmatching"])
def test_frictionless_compression_gives_uniform_pressure(which, request):
    mesh = request.getfixturevalue(which)
    names = (SLAVE, MASTER) if which == "conforming" else ("upper_zmin", "lower_zmax")
    an = ContactAnalysis(model_with(mesh, "frictionless", rollers(), slave=names[0],
                                    master=names[1]))
    res = an.run(press(1.0))
    p = res.final.contact["pressure"]
    assert res.converged
    assert np.abs(p / 1.0 - 1).max() < 0.005  # load / area = 1 MPa at every point
    assert (an.contact.w * p).sum() == pytest.approx(AREA * 1.0, rel=1e-6)
    eq = state_summary(res, res.final)["equilibrium"]
    assert eq["force_rel_error"] < 1e-6


def test_frictionless_tension_separates(conforming):
    sup = rollers() + [Support("upper_zmax", (2,), (0.01,))]  # pull the top up by 10 um
    an = ContactAnalysis(model_with(conforming, "frictionless", sup))
    res = an.run(LoadCase("pull", [Step("pull")]))
    c = res.final.contact
    assert res.converged
    assert np.all(c["pressure"] == 0.0) and np.all(c["status"] == 0)
    assert c["g"][:, 0].min() > 0.009  # the gap opened by the prescribed 10 um (rigid lift)


def test_friction_pull_plateaus_at_mu_n(conforming):
    mu = 0.3
    lc = LoadCase("pull", [
        Step("press", [Pressure("upper_zmax", 1.0)]),
        Step("pull", [], [Support("upper_xmin", (0,), (0.02,))], increments=2)])
    an = ContactAnalysis(model_with(conforming, "friction", [Support("lower_zmin")], mu))
    res = an.run(lc)
    assert res.converged
    n = an.model.mesh.n_nodes
    forces = [set_reaction(an.model.mesh.nodes, an.model.mesh.nodes_of("upper_xmin"),
                           s.reaction[: 3 * n].reshape(-1, 3))[0][0] for s in res.states]
    assert abs(forces[-1] / (mu * AREA) - 1) < 0.01  # plateau at mu N (the pull is +x)
    assert np.all(res.final.contact["status"] == 2)  # everything slides
    for s in res.states:
        assert state_summary(res, s)["equilibrium"]["force_rel_error"] < 1e-6


def test_friction_below_mu_n_sticks_with_edge_slip_only(conforming):
    mu = 0.5
    shear = 0.3 * mu * AREA  # 30 % of the friction capacity
    lc = LoadCase("push", [
        Step("press", [Pressure("upper_zmax", 1.0)]),
        Step("shear", [SurfaceForce("upper_xmin", np.array([shear, 0.0, 0.0]))], increments=2)])
    an = ContactAnalysis(model_with(conforming, "friction", [Support("lower_zmin")], mu))
    res = an.run(lc)
    assert res.converged
    c = res.final.contact
    stick = c["status"] == 1
    assert stick.mean() > 0.6  # mostly stuck
    x = an.setup.points.x
    edge = (np.minimum(x[:, 0], 2 - x[:, 0]) < 0.5) | (np.minimum(x[:, 1], 2 - x[:, 1]) < 0.5)
    assert np.all(edge[c["status"] == 2])  # slip only near the edges
    slip = np.linalg.norm(c["g"][:, 1:] - c["g_ref"][:, 1:], axis=1)
    u_scale = np.abs(res.displacement()).max()
    assert slip.max() < 0.05 * u_scale  # bounded: far below the block's own motion


def test_floating_body_held_only_by_contact_solves(conforming):
    # the upper block has no support at all: friction and contact hold it once pressed
    an = ContactAnalysis(model_with(conforming, "friction", [Support("lower_zmin")], 0.5))
    res = an.run(press(1.0))
    assert res.converged
    assert res.final.contact["pressure"].mean() == pytest.approx(1.0, rel=0.05)


def test_nonconverged_increment_is_flagged_everywhere(conforming, tmp_path):
    from fea.results import write_case

    bad = ContactSettings(max_newton=1, max_al=1, max_cutbacks=1)
    an = ContactAnalysis(model_with(conforming, "friction", [Support("lower_zmin")], 0.3),
                         contact=bad)
    lc = LoadCase("pull", [Step("press", [Pressure("upper_zmax", 1.0)]),
                           Step("pull", [], [Support("upper_xmin", (0,), (0.02,))])])
    res = an.run(lc)
    assert not res.converged
    assert res.final.solve.cutbacks == 1 and np.isfinite(res.final.solve.residual)
    summary = write_case(res, tmp_path / "case")
    on_disk = json.loads((tmp_path / "case" / "summary.json").read_text())
    assert summary["converged"] is False and on_disk["converged"] is False
    assert "relative residual" in on_disk["not_converged"]
    # it says what the last increment was doing (issue 17): where it stopped, why, and the
    # interface's status counts, which add up to its points
    msg = on_disk["not_converged"]
    assert "step 'press' increment 1" in msg and "Newton iterations exhausted" in msg
    counts = re.search(r"'if' (\d+) stick / (\d+) slip / (\d+) open", msg)
    assert counts and sum(map(int, counts.groups())) == len(an.contact.w)
    assert "largest motion in the last attempt" in msg and "'upper'" in msg  # the pressed block


def test_interface_files_and_totals(conforming, tmp_path):
    import meshio

    from fea.results import write_case
    from fea.solve_case import case_metrics_hook, solve_case

    model = model_with(conforming, "friction", [Support("lower_zmin")], 0.5)
    lc = LoadCase("push", [Step("preload", [Pressure("upper_zmax", 1.0)]),
                           Step("shear", [SurfaceForce("upper_xmin", np.array([1.0, 0, 0]))])])
    case = solve_case(model, lc)
    summary = write_case(case.result, tmp_path / "case", case.writers, case.extra,
                         case_metrics_hook(case))
    m = meshio.read(tmp_path / "case" / "interfaces.vtu")
    for key in ("pressure", "gap", "slip", "slip_magnitude", "status", "area", "normal"):
        assert key in m.point_data
    assert (tmp_path / "case" / "steps" / "02_shear_interfaces.vtu").exists()
    tot = summary["interfaces"]["if"]
    assert tot["normal_force_N"] == pytest.approx(AREA * 1.0, rel=1e-6)
    assert tot["tangential_force_N"] == pytest.approx(1.0, rel=1e-6)
    assert tot["reference_step"] == "preload"
    mm = summary["metrics"]["micromotion"]["if"]
    assert mm["peak_um"] == pytest.approx(1e3 * m.point_data["slip_magnitude"].max(), rel=1e-9)


def test_stalled_multiplier_loop_stiffens_the_penalty_and_each_run_starts_soft(nonmatching):
    """A penalty far too soft (0.03 E/h) stalls the multiplier updates: the solver raises it x10
    per stalled pass (up to penalty_max_factor) and converges to the default settings' answer;
    held at 0.03 the same case runs out of multiplier updates. A second run of the analysis
    starts soft again (and stiffens as often)."""
    lc = LoadCase("pull", [Step("press", [Pressure("upper_zmax", 1.0)]),
                           Step("pull", [], [Support("upper_xmin", (0,), (0.002,))],
                                increments=2)])

    def analysis(**kw):
        return ContactAnalysis(model_with(nonmatching, "friction", [Support("lower_zmin")], 0.5,
                                          slave="upper_zmin", master="lower_zmax"),
                               contact=ContactSettings(**kw))

    ref = analysis().run(lc)
    an = analysis(penalty_factor=0.03, reuse_steps=False)  # (else the second run below is
    # the first one's steps, taken whole: fea.newton reuse_steps)
    res = an.run(lc)
    assert res.converged
    assert an.contact.eps_n.max() > 10 * an.contact._eps0[0].max()  # it did stiffen
    u_ref, u = ref.displacement(), res.displacement()
    assert np.abs(u - u_ref).max() < 5e-3 * np.abs(u_ref).max()
    raises = an.timings["penalty_raises"]
    again = an.run(lc)  # (its factors differ: they were made for the stiffened penalty)
    assert an.timings["penalty_raises"] == 2 * raises
    assert np.abs(again.displacement() - u).max() <= 5e-3 * np.abs(u).max()

    held = analysis(penalty_factor=0.03, penalty_max_factor=0.03, max_cutbacks=0).run(lc)
    assert not held.converged
