"""Current-length ligament kinematics (fea.ligaments.current_length): a block on rollers pulled
across vertical fibres (the cable equation P = k (l - L) u / l + k_g u, against small-displacement
fibres that do not resist at all), the term's tangent against finite differences of its forces,
the elongation of a fibre whose end moves across it (sqrt(L^2 + t^2) - L exactly), and bad
combinations named."""

import numpy as np
import pytest
from scipy.optimize import brentq

from fea.errors import ConfigError
from fea.model import Ligament, LigamentLaw, LoadCase, Step, SurfaceForce, Support
from fea.solve_case import make_analysis, solve_case
from tests.test_ligament_term import hanging_blocks

K, KG, L = 50.0, 1.0, 6.0  # N/mm of the fibres, N/mm of the spring to ground, the gap (mm)


def across(kinematics: str):
    """'hang' on rollers (x free), tied to 'fixed' by vertical fibres and to ground along x."""
    m = hanging_blocks()
    hang = np.unique(m.mesh.cells[m.mesh.cell_sets["hang"]])
    m.mesh.node_sets["hang_nodes"] = hang
    m.ligaments = [
        Ligament("cable", "hang_zmax", "fixed_zmin", LigamentLaw("linear", stiffness=K),
                 fibres=4, kinematics=kinematics),
        Ligament("ground", "hang_zmin", None, LigamentLaw("linear", stiffness=KG),
                 direction=np.array([1.0, 0.0, 0.0]))]
    m.supports = m.supports + [Support("hang_nodes", (1, 2))]
    return m, hang


def sideways(P, increments=4):
    return LoadCase("side", [Step("pull", [SurfaceForce("hang_zmin", np.array([P, 0, 0]))],
                                  increments=increments)])


@pytest.mark.parametrize("kinematics", ["current_length", "co_rotated"])
def test_fibres_pulled_across_resist_as_a_cable(kinematics):
    """A translation: the co-rotated ends (fea.ligaments.co_rotated) read no rotation and give
    the same cable."""
    P = 10.0
    m, hang = across(kinematics)
    case = solve_case(m, sideways(P))
    assert case.result.converged
    ux = case.result.displacement().reshape(-1, 3)[hang, 0]
    # the cable equation (the blocks at 1e5 MPa add ~1e-5 of the fibres' compliance)
    u = brentq(lambda u: K * (np.hypot(L, u) - L) * u / np.hypot(L, u) + KG * u - P, 1e-6, P)
    np.testing.assert_allclose(ux, u, rtol=2e-4)
    assert 1.0 < u < 0.6 * P / KG  # the fibres carry a good part of the pull
    st = case.result.final.terms["ligaments"]
    cable = np.arange(len(st["force_N"])) < 4
    np.testing.assert_allclose(st["elongation_mm"][cable], np.hypot(L, u) - L, rtol=2e-4)
    # small-displacement fibres do not resist a motion across them: the spring to ground alone
    m, hang = across("small")
    res = solve_case(m, sideways(P)).result
    assert res.converged
    np.testing.assert_allclose(res.displacement().reshape(-1, 3)[hang, 0], P / KG, rtol=1e-6)


def check_tangent(term, u, v, rtol, atol_rel):
    """The term's tangent G^T D G v against central differences of its forces G^T s along v, and
    the line search's slope against the force along the step; returns the evaluation at u."""
    G, h = term.operator, 1e-6
    fp = G.T @ term.evaluate(u + h * v, 0).force
    fm = G.T @ term.evaluate(u - h * v, 0).force
    ev = term.evaluate(u, 0)
    Gv = (G @ v).reshape(-1, term.block)
    tangent = G.T @ np.einsum("fij,fj->fi", ev.D, Gv).ravel()
    np.testing.assert_allclose(tangent, (fp - fm) / (2 * h), rtol=rtol,
                               atol=atol_rel * np.abs(tangent).max())
    dy = G @ v
    assert term.slope(0.0, dy) == pytest.approx(float(ev.force @ dy), rel=1e-12)
    return ev


def test_the_tangent_is_the_derivative_of_the_forces():
    m, _ = across("current_length")
    m.ligaments[0] = Ligament("cable", "hang_zmax", "fixed_zmin",
                              LigamentLaw("toe_linear", stiffness=K, toe_strain=0.1), fibres=4,
                              kinematics="current_length")
    term = make_analysis(m).term("ligaments")
    rng = np.random.default_rng(7)
    X = m.mesh.nodes
    u = np.zeros_like(X)
    u[X[:, 2] < 5] = [1.5, -0.7, -0.9]  # stretched and sheared: taut, past the toe
    u = (u + 0.01 * rng.normal(size=X.shape)).ravel()
    ev = check_tangent(term, u, rng.normal(size=u.shape), 1e-5, 1e-7)
    assert np.all(ev.status[:4] == 1)


def test_an_end_moved_across_stretches_the_fibre_by_the_hypotenuse():
    m, _ = across("current_length")
    term = make_analysis(m).term("ligaments")
    X = m.mesh.nodes
    for t in (0.5, 3.0, 8.0):
        u = np.zeros_like(X)
        u[X[:, 2] < 5, 1] = t  # the hanging block moved along y, across the fibres
        term.evaluate(u.ravel(), 0)
        np.testing.assert_allclose(term._delta[:4], np.hypot(L, t) - L, rtol=1e-12)
        assert term._delta[4] == pytest.approx(0.0, abs=1e-12)  # the x spring: not along it


@pytest.mark.parametrize("lig, words", [
    (Ligament("g", "hang_zmin", None, LigamentLaw("linear", stiffness=1.0),
              direction=np.array([1.0, 0, 0]), kinematics="current_length"), "'g'.*own straight"),
    (Ligament("v", "hang_zmax", "fixed_zmin", LigamentLaw("linear", stiffness=1.0),
              via="hang_zmin", kinematics="current_length"), "'v'.*no spring to ground"),
    (Ligament("k", "hang_zmax", "fixed_zmin", LigamentLaw("linear", stiffness=1.0),
              kinematics="large"), "'k'.*kinematics must be one of small, current_length"),
])
def test_bad_current_length_ligaments_are_named(lig, words):
    m = hanging_blocks()
    m.ligaments = [lig]
    with pytest.raises(ConfigError, match=words):
        make_analysis(m)
