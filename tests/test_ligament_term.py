"""The ligament term of the Newton driver: a single fibre pulled and pushed (the law in tension,
zero in compression, the coupled elongation against a scalar equation from the block's own
flexibility), a block hung from fibres against the analytic stiffness, the toe region increment
by increment, global equilibrium with ligament forces (and springs to ground) in every converged
increment, a slack ligament reported, and a body that only slack ligaments hold named in the
error."""

import numpy as np
import pytest
from scipy.optimize import brentq

from fea.errors import SingularModelError
from fea.materials import LinearElastic
from fea.mesh import Mesh
from fea.model import (
    Interface, Ligament, LigamentLaw, LoadCase, Model, NodalForce, Pressure, Section, Step,
    SurfaceForce, Support,
)
from fea.results import state_summary, write_case
from fea.solve_case import make_analysis, solve_case
from fea.static import solve
from tests.helpers import structured_box

STIFF, TOE = 20.0, 0.1  # N/mm of the whole ligament, toe strain


def hanging_blocks(E_hang=1e5, E_fixed=1e5):
    """'hang' (10 x 8 x 4 mm, z 0..4) below 'fixed' (its mirror image, z 10..14): a 6 mm gap
    that only ligaments cross; the facing faces are triangulated alike, so fibres between them
    are vertical. Face sets hang_*/fixed_*, node sets p (hang top centre) and q (fixed bottom,
    offset so that a fibre p-q is oblique)."""
    a = structured_box((4, 4, 2), (10.0, 8.0, 4.0))
    n, m = a.n_nodes, a.n_cells
    mirror = a.nodes * [1.0, 1.0, -1.0] + [0.0, 0.0, 14.0]
    nodes = np.vstack([a.nodes, mirror])
    cells = np.vstack([a.cells, a.cells[:, [0, 2, 1, 3]] + n])  # mirrored: reorient

    def at(x):
        return np.flatnonzero(np.linalg.norm(nodes - x, axis=1) < 1e-9)

    mesh = Mesh(nodes, cells, cell_sets={"hang": np.arange(m), "fixed": m + np.arange(m)},
                node_sets={"p": at([5.0, 4.0, 4.0]), "q": at([7.5, 6.0, 10.0])})
    bf = mesh.boundary_faces()
    fc = nodes[mesh.face_connectivity(bf, corners_only=True)]
    for body, lo, hi, cell_range in (("hang", 0.0, 4.0, bf[:, 0] < m),
                                     ("fixed", 10.0, 14.0, bf[:, 0] >= m)):
        for name, val in (("zmin", lo), ("zmax", hi)):
            on = np.all(np.abs(fc[:, :, 2] - val) < 1e-9, axis=1) & cell_range
            mesh.face_sets[f"{body}_{name}"] = bf[on]
    mats = {"h": LinearElastic("h", E_hang, 0.3), "f": LinearElastic("f", E_fixed, 0.3)}
    return Model("hung", mesh, mats, [Section("hang", "h"), Section("fixed", "f")],
                 [Support("fixed_zmax")])


def toe_law(x, K_strain, t):
    """The written toe-linear law (Blankevoort 1991), N at strain x."""
    return np.where(x <= 0, 0.0, np.where(x < t, K_strain * x**2 / (2 * t),
                                          K_strain * (x - t / 2)))


# ---------------------------------------------------------------- a single fibre
@pytest.fixture(scope="module")
def single():
    m = hanging_blocks(E_hang=100.0, E_fixed=200.0)
    law = LigamentLaw("toe_linear", stiffness=STIFF, toe_strain=TOE)
    m.ligaments = [Ligament("one", "p", "q", law)]
    p, q = m.mesh.nodes[m.mesh.node_sets["p"][0]], m.mesh.nodes[m.mesh.node_sets["q"][0]]
    L0 = np.linalg.norm(q - p)
    n = (q - p) / L0
    # flexibility of the fixed block at q along n (the hanging block is moved rigidly)
    plain = Model("plain", m.mesh, m.materials, m.sections, m.supports + [Support("hang")])
    r = solve(plain, LoadCase("unit", [Step("f", [NodalForce("q", n)])]))
    c = float(r.displacement()[m.mesh.node_sets["q"][0]] @ n)
    return m, n, L0, c, make_analysis(m)


@pytest.mark.parametrize("d_mm", [0.15, 0.6, 2.0, -0.4])  # toe, linear twice, compression
def test_single_fibre_force_is_the_law_in_tension_and_zero_in_compression(single, d_mm):
    m, n, L0, c, an = single
    # the hanging block moves rigidly away from q by d (a push for d < 0)
    t = -d_mm * n
    lc = LoadCase("pull", [Step("s", [], [Support("hang", (0, 1, 2), tuple(t))])])
    res = an.run(lc)
    assert res.converged
    st = res.final.terms["ligaments"]
    delta, F = st["elongation_mm"][0], st["force_N"][0]
    K_strain = STIFF * L0  # the ligament's N/mm over its length: N per unit strain
    if d_mm < 0:
        assert F == 0.0 and not st["taut"][0]
        assert delta == pytest.approx(d_mm, rel=1e-12)  # nothing moves the fixed block
        fixed = np.unique(m.mesh.cells[m.mesh.cell_sets["fixed"]])
        assert np.abs(res.displacement()[fixed]).max() < 1e-12 * abs(d_mm)
    else:
        assert F == pytest.approx(float(toe_law(delta / L0, K_strain, TOE)), rel=1e-10)
        assert F > 0 and st["taut"][0]
        # the coupled elongation: delta = d - c F(delta), c the fixed block's flexibility
        exact = brentq(lambda x: x - d_mm + c * toe_law(x / L0, K_strain, TOE), 0.0, d_mm,
                       xtol=1e-14)
        assert delta == pytest.approx(exact, rel=1e-7)
    # the hanging block (all prescribed) takes exactly the fibre force
    hang = np.unique(m.mesh.cells[m.mesh.cell_sets["hang"]])
    R = res.final.reaction[: 3 * m.mesh.n_nodes].reshape(-1, 3)[hang].sum(0)
    np.testing.assert_allclose(R, -F * n, rtol=1e-10, atol=1e-10 * max(F, 1.0))


# ---------------------------------------------------------------- a hung block
def hung_model(law, extra=()):
    m = hanging_blocks()
    m.ligaments = [Ligament("bundle", "hang_zmax", "fixed_zmin", law, fibres=8), *extra]
    m.supports = m.supports + [Support("hang_zmin", (0, 1))]  # rollers: z and tilts free
    return m


def pull(P, increments=1):
    return LoadCase("hang", [Step("load", [SurfaceForce("hang_zmin", np.array([0, 0, -P]))],
                                  increments=increments)])


def test_block_hung_from_fibres_has_the_analytic_stiffness(tmp_path):
    lax = LigamentLaw("toe_linear", stiffness=5.0, laxity=5.0)  # stays slack at 0.5 mm
    m = hung_model(LigamentLaw("toe_linear", stiffness=STIFF), [
        Ligament("lax", "hang_zmax", "fixed_zmin", lax, fibres=4)])
    P = 10.0
    case = solve_case(m, pull(P))
    res = case.result
    assert res.converged
    uz = res.displacement()[np.unique(m.mesh.cells[m.mesh.cell_sets["hang"]]), 2]
    # parallel fibres of one ligament: its stiffness, 20 N/mm. The blocks (1e5 MPa, 80 mm^2,
    # 4 mm: 2e6 N/mm each) add their compliance, 2 x 1e-5 of the fibres'
    np.testing.assert_allclose(uz, -P / STIFF, rtol=3e-5)
    st = res.final.terms["ligaments"]
    bundle = np.arange(len(st["force_N"])) < 8  # the first ligament's fibres
    np.testing.assert_allclose(st["elongation_mm"][bundle], P / STIFF, rtol=2e-6)
    ligs = {r["name"]: r for r in case.extra["ligaments"]}
    assert ligs["bundle"]["force_N"] == pytest.approx(P, rel=1e-8)
    assert ligs["bundle"]["taut_fraction"] == 1.0
    # the lax ligament is reported slack and carries nothing
    assert ligs["lax"]["taut_fraction"] == 0.0 and ligs["lax"]["force_N"] == 0.0
    assert case.extra["slack_ligaments"] == ["lax"]
    eq = state_summary(res, res.final)["equilibrium"]
    assert eq["force_rel_error"] < 1e-6 and eq["moment_rel_error"] < 1e-6
    # the case folder: ligaments.vtu (one line per fibre) and per step, summary per ligament
    import json

    import meshio

    write_case(res, tmp_path / "case", case.writers, case.extra)
    vtu = meshio.read(tmp_path / "case" / "ligaments.vtu")
    assert len(vtu.cells_dict["line"]) == 12
    np.testing.assert_allclose(vtu.cell_data["force_N"][0][:8].sum(), P, rtol=1e-8)
    assert (tmp_path / "case" / "steps" / "01_load_ligaments.vtu").exists()
    on_disk = json.loads((tmp_path / "case" / "summary.json").read_text())
    assert [r["name"] for r in on_disk["ligaments"]] == ["bundle", "lax"]


def test_toe_region_point_by_point_with_equilibrium_in_every_increment():
    m = hung_model(LigamentLaw("toe_linear", stiffness=STIFF, toe_strain=TOE))
    L = 6.0  # fibre length (the gap)
    K_strain = STIFF * L
    P_end, n_inc = 1.2 * K_strain * TOE / 2, 12  # through the toe into the linear part
    res = solve_case(m, pull(P_end, n_inc)).result
    assert res.converged and len(res.states) == n_inc
    hang = np.unique(m.mesh.cells[m.mesh.cell_sets["hang"]])
    share = make_analysis(m).term("ligaments").fibres.share
    for k, st in enumerate(res.states, start=1):
        P = P_end * k / n_inc
        # the law inverted: strain in the toe, or beyond it
        x = np.sqrt(2 * TOE * P / K_strain) if P < K_strain * TOE / 2 else P / K_strain + TOE / 2
        # the fibres' elongation (the blocks' compliance, ~1e-5 of the fibres', spreads them
        # by < 1e-6) and the hanging block's displacement (plus that compliance)
        lg = st.terms["ligaments"]
        np.testing.assert_allclose(lg["elongation_mm"], x * L, rtol=1e-6)
        np.testing.assert_allclose(-res.displacement(st)[hang, 2], x * L, rtol=2e-5)
        # every fibre's force is the law at its own elongation
        np.testing.assert_allclose(lg["force_N"], toe_law(lg["elongation_mm"] / L, K_strain, TOE)
                                   * share, rtol=1e-10)
        assert st.terms["ligaments"]["force_N"].sum() == pytest.approx(P, rel=1e-8)
        eq = state_summary(res, st)["equilibrium"]
        assert eq["force_rel_error"] < 1e-6 and eq["moment_rel_error"] < 1e-6


def test_springs_to_ground_count_in_the_equilibrium():
    """A block held up only by 4 vertical springs to ground: their forces are external."""
    m = hanging_blocks()
    law = LigamentLaw("linear", stiffness=50.0)
    m.ligaments = [Ligament("ground", "hang_zmin", None, law, fibres=4,
                            direction=np.array([0.0, 0.0, 1.0]))]
    m.supports = [Support("fixed_zmax"), Support("hang_zmin", (0, 1))]
    res = solve_case(m, pull(20.0)).result
    assert res.converged
    hang = np.unique(m.mesh.cells[m.mesh.cell_sets["hang"]])
    np.testing.assert_allclose(res.displacement()[hang, 2], -20.0 / 50.0, rtol=1e-5)
    eq = state_summary(res, res.final)["equilibrium"]
    assert eq["force_rel_error"] < 1e-6 and eq["moment_rel_error"] < 1e-6


def test_a_body_that_only_slack_ligaments_hold_is_named():
    m = hung_model(LigamentLaw("toe_linear", stiffness=STIFF, toe_strain=TOE))
    with pytest.raises(SingularModelError) as exc:
        solve_case(m, pull(-5.0))  # pushed up: every fibre slack, nothing holds it in z
    msg = str(exc.value)
    assert "'hang'" in msg and "'bundle'" in msg and "slack" in msg


def test_contact_and_ligaments_in_one_newton_solve():
    """A block pressed onto another through frictionless contact and pushed sideways: contact
    carries no shear, so a spring to ground on its far side takes the whole side force."""
    from tests.contact_helpers import stacked_blocks

    mesh = stacked_blocks(0.5, 2, conforming=True)
    mats = {"a": LinearElastic("a", 1000.0, 0.3), "b": LinearElastic("b", 3000.0, 0.2)}
    spring = LigamentLaw("toe_linear", stiffness=50.0)  # tension only, no toe
    m = Model("blocks", mesh, mats, [Section("lower", "a"), Section("upper", "b")],
              [Support("lower_zmin"), Support("upper_ymin", (1,))], {},
              [Interface("if", "upper_zmin@upper", "lower_zmax@lower", "frictionless")],
              ligaments=[Ligament("side", "upper_xmin", None, spring, fibres=4,
                                  direction=np.array([-1.0, 0.0, 0.0]))])
    Fx = -2.0  # pushes the upper block along -x: the spring on its -x face stretches
    lc = LoadCase("push", [Step("press", [Pressure("upper_zmax", 1.0)]),
                           Step("push", [SurfaceForce("upper_xmax", np.array([Fx, 0, 0]))],
                                increments=2)])
    case = solve_case(m, lc)
    res = case.result
    assert res.converged and set(res.final.terms) == {"contact", "ligaments"}
    side = case.extra["ligaments"][0]
    assert side["force_N"] == pytest.approx(abs(Fx), rel=1e-6) and side["taut_fraction"] == 1.0
    assert case.extra["interfaces"]["if"]["tangential_force_N"] < 1e-9
    assert case.extra["interfaces"]["if"]["normal_force_N"] == pytest.approx(4.0, rel=1e-4)
    for st in res.states:
        eq = state_summary(res, st)["equilibrium"]
        assert eq["force_rel_error"] < 1e-6 and eq["moment_rel_error"] < 1e-6


def test_a_nonconverged_ligament_case_says_what_it_was_doing():
    from fea.newton import NewtonSettings

    m = hung_model(LigamentLaw("toe_linear", stiffness=STIFF, toe_strain=TOE))
    an = make_analysis(m, contact=NewtonSettings(max_newton=2, max_cutbacks=1))
    res = an.run(pull(50.0))
    assert not res.converged
    msg = res.final.solve.note
    assert "step 'load' increment 1" in msg and "Newton iterations exhausted" in msg
    assert "ligaments 8 of 8 fibres taut" in msg  # pulled: the bundle is taut, the toe is not done
    assert "largest motion in the last attempt" in msg and "'hang'" in msg


def test_solve_command_with_a_spring_to_ground(tmp_path):
    """The cantilever of the verification table with a linear spring to ground on its end face
    (model file [[ligaments]], the solve command): the spring and the beam share the end load in
    proportion to their stiffness, k_beam from the same model without the spring."""
    import json
    from pathlib import Path

    from fea.cli import main

    root = Path(__file__).resolve().parents[1]
    text = (root / "models/examples/cantilever.toml").read_text()
    lc = root / "loadcases/examples/tip_shear.toml"
    k = 150.0
    (tmp_path / "plain.toml").write_text(text)
    (tmp_path / "spring.toml").write_text(text + f"""
[[ligaments]]
name = "tip_spring"
from = "xmax"
to = "ground"
law = "linear"
stiffness_N_per_mm = {k}
direction = [0, 0, -1]
""")
    tips = {}
    for name in ("plain", "spring"):
        out = tmp_path / f"out_{name}"
        assert main(["solve", str(tmp_path / f"{name}.toml"), "-l", str(lc), "-o", str(out),
                     "-q"]) == 0
        s = json.loads((out / "summary.json").read_text())
        tips[name] = s["steps"][-1]["ref_points"]["tip"]["displacement_mm"][2]
        eq = s["steps"][-1]["equilibrium"]
        assert eq["force_rel_error"] < 1e-6 and eq["moment_rel_error"] < 1e-6
    k_beam = 100.0 / -tips["plain"]
    assert tips["spring"] == pytest.approx(tips["plain"] * k_beam / (k_beam + k), rel=1e-6)
    assert s["ligaments"][0]["force_N"] == pytest.approx(-k * tips["spring"], rel=1e-6)
    assert (tmp_path / "out_spring" / "ligaments.vtu").exists()
