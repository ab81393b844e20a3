"""Co-rotated ligament ends (fea.ligaments.co_rotated): the twist's exponential puts an end on
its circle exactly, the fitted rotation of an attachment set is exact for a linear rotation
field, a fibre between two blocks that turn together does not stretch (a current-length one
does, by the small-displacement field's radial growth), a block turned about its own axis
stretches the fibres by the exact chord geometry (a translation is the cable equation of
tests/test_ligament_current_length.py), the fibres' forces have no resultant force or moment,
the tangent is the derivative of the forces, and a point end is refused by name."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from fea.errors import ConfigError
from fea.ligaments.co_rotated import end_hessian, end_jacobian, end_motion, rotation_fit
from fea.model import Ligament, LigamentLaw
from fea.solve_case import make_analysis
from tests.test_ligament_current_length import K, L, check_tangent
from tests.test_ligament_term import hanging_blocks

RNG = np.random.default_rng(3)


def linear_rotation(x, w, a):
    """The small-displacement field of a turn w (rad, vector) about an axis through a."""
    return np.cross(w, x - a)


def test_the_twist_puts_an_end_on_its_circle():
    a = np.array([2.0, -1.0, 4.0])
    c = RNG.normal(size=(5, 3)) * 10
    # 1.07 rad, and a turn small enough (|w|^2 = 5e-5) for the series branch
    for w in (np.array([0.3, -0.5, 0.9]), np.array([0.3, -0.5, 0.9]) * 0.0066):
        t = linear_rotation(c, w, a)  # what a linear solve gives the end
        p = c + end_motion(np.hstack([t, np.tile(w, (5, 1))]))
        exact = a + Rotation.from_rotvec(w).apply(c - a)
        np.testing.assert_allclose(p - c, exact - c, rtol=1e-12, atol=1e-13)


def test_the_jacobian_and_hessian_of_the_end_motion():
    z = np.hstack([RNG.normal(size=(4, 3)) * 5, RNG.normal(size=(4, 3))])
    f = RNG.normal(size=(4, 3))
    h = 1e-6
    J = end_jacobian(z)
    for k in range(6):
        dz = np.zeros(6)
        dz[k] = h
        fd = (end_motion(z + dz) - end_motion(z - dz)) / (2 * h)
        np.testing.assert_allclose(J[:, :, k], fd, rtol=1e-7, atol=1e-8)
    H = end_hessian(z, f)
    for k in range(6):
        dz = np.zeros(6)
        dz[k] = 1e-5
        g = lambda zz: np.einsum("mij,mi->mj", end_jacobian(zz), f)  # noqa: E731
        np.testing.assert_allclose(H[:, :, k], (g(z + dz) - g(z - dz)) / 2e-5, rtol=1e-5,
                                   atol=1e-7)
    assert np.all(H[:, :3, :3] == 0) or np.abs(H[:, :3, :3]).max() < 1e-6  # linear in t


def test_the_fitted_rotation_of_a_set_is_exact_for_a_rotation_field():
    import scipy.sparse as sp

    nodes = RNG.normal(size=(30, 3)) * 4
    W = sp.csr_matrix(np.abs(RNG.normal(size=(3, 30))) * (RNG.random((3, 30)) < 0.5))
    G = rotation_fit(W, nodes, "here")
    w0 = np.array([0.2, 0.7, -0.4])
    u = np.array([1.0, -2.0, 0.5]) + linear_rotation(nodes, w0, np.array([3.0, 1.0, -2.0]))
    np.testing.assert_allclose(G @ u.ravel(), w0, rtol=1e-12)
    np.testing.assert_allclose(G @ np.tile([4.0, 5.0, 6.0], 30), 0.0, atol=1e-12)
    line = np.zeros((30, 3))
    line[:, 0] = np.arange(30.0)
    with pytest.raises(ConfigError, match="here.*spread over an area"):
        rotation_fit(W, line, "here")


def blocks(kinematics):
    m = hanging_blocks()
    m.ligaments = [Ligament("band", "hang_zmax", "fixed_zmin",
                            LigamentLaw("linear", stiffness=K), fibres=4,
                            kinematics=kinematics)]
    return m


def fibre_lengths_exact(term, R, a, moving):
    """Lengths of the term's fibres with their ends on the nodes `moving` turned by R about a."""
    fb = term.fibres
    ends = []
    for e, W in ((fb.end_a, fb.WA), (fb.end_b, fb.WB)):
        turn = np.isin(np.asarray(W.argmax(axis=1)).ravel(), moving)
        e = e.copy()
        e[turn] = a + R.apply(e[turn] - a)
        ends.append(e)
    return np.linalg.norm(ends[1] - ends[0], axis=1)


@pytest.mark.parametrize("kinematics", ["co_rotated", "current_length"])
def test_blocks_that_turn_together_do_not_stretch_the_fibres(kinematics):
    m = blocks(kinematics)
    term = make_analysis(m).term("ligaments")
    X = m.mesh.nodes
    w = np.array([0.2, 0.3, 0.9])  # 0.97 rad about an axis through the gap's centre
    u = linear_rotation(X, w, np.array([5.0, 4.0, 7.0]))
    term.evaluate(u.ravel(), 0)
    if kinematics == "co_rotated":
        np.testing.assert_allclose(term._delta, 0.0, atol=1e-9)
    else:  # the linear field's growth stretches them, by L (|(I + [w]x) n| - 1) exactly
        grown = L * (np.linalg.norm(np.array([0, 0, 1.0]) + np.cross(w, [0, 0, 1.0])) - 1)
        np.testing.assert_allclose(term._delta, grown, rtol=1e-12)
        assert grown > 0.3


def test_a_block_turned_about_its_axis_stretches_the_fibres_by_the_chord():
    m = blocks("co_rotated")
    term = make_analysis(m).term("ligaments")
    X = m.mesh.nodes
    hang = np.unique(m.mesh.cells[m.mesh.cell_sets["hang"]])
    a = np.array([5.0, 4.0, 2.0])  # the hanging block's vertical axis
    for angle in (0.3, 0.8):
        w = np.array([0.0, 0.0, angle])
        u = np.zeros_like(X)
        u[hang] = linear_rotation(X[hang], w, a)
        term.evaluate(u.ravel(), 0)
        exact = fibre_lengths_exact(term, Rotation.from_rotvec(w), a, hang)
        np.testing.assert_allclose(term._delta, exact - term.fibres.L0, rtol=1e-6, atol=1e-9)
        assert term._delta.min() > 0.0


def test_the_tangent_is_the_derivative_of_the_forces():
    m = blocks("co_rotated")
    m.ligaments[0] = Ligament("band", "hang_zmax", "fixed_zmin",
                              LigamentLaw("toe_linear", stiffness=K, toe_strain=0.1), fibres=4,
                              kinematics="co_rotated")
    term = make_analysis(m).term("ligaments")
    X = m.mesh.nodes
    hang = np.unique(m.mesh.cells[m.mesh.cell_sets["hang"]])
    u = np.zeros_like(X)
    u[hang] = linear_rotation(X[hang], np.array([0.1, -0.2, 0.7]), np.array([5.0, 4.0, 2.0]))
    u[hang] += [0.5, -0.3, -1.2]
    u = (u + 0.01 * RNG.normal(size=X.shape)).ravel()
    # the rotation's second derivative is taken by central differences: 1e-4
    ev = check_tangent(term, u, RNG.normal(size=u.shape), 1e-4, 1e-6)
    assert np.all(ev.status == 1)


def test_the_fibres_pull_their_two_bodies_equally_and_oppositely():
    """At a general state (each block turned and moved its own way) the term's nodal forces have
    no resultant force or moment: the fibre reads only the relative motion of its bones, so the
    equilibrium of the reactions holds (an end placed by its own bone's twist alone left 0.4 %
    of the column's 50 N preload unbalanced)."""
    m = blocks("co_rotated")
    term = make_analysis(m).term("ligaments")
    X = m.mesh.nodes
    hang = np.unique(m.mesh.cells[m.mesh.cell_sets["hang"]])
    fixed = np.setdiff1d(np.arange(len(X)), hang)
    u = np.zeros_like(X)
    u[hang] = linear_rotation(X[hang], np.array([0.2, -0.1, 0.8]), np.array([5.0, 4.0, 2.0]))
    u[fixed] = linear_rotation(X[fixed], np.array([-0.1, 0.3, 0.2]), np.array([1.0, 2.0, 12.0]))
    u[hang] += [0.4, -0.2, -1.5]
    ev = term.evaluate(u.ravel(), 0)
    f = (term.operator.T @ ev.force).reshape(-1, 3)
    assert ev.status.sum() >= 3 and np.abs(f).max() > 1.0
    np.testing.assert_allclose(f.sum(axis=0), 0.0, atol=1e-10 * np.abs(f).sum())
    np.testing.assert_allclose(np.cross(X, f).sum(axis=0), 0.0,
                               atol=1e-10 * np.abs(f).sum() * np.abs(X).max())


def test_a_point_end_is_refused_by_name():
    m = hanging_blocks()
    m.ligaments = [Ligament("pin", "p", "q", LigamentLaw("linear", stiffness=1.0),
                            kinematics="co_rotated")]
    with pytest.raises(ConfigError, match="'pin'.*spread over an area"):
        make_analysis(m)
