"""Ligament fibres: the elongation operator B against rigid motions and a uniform stretch
(analytic), the distributing end weights (sum to one per end), equal-area patches, point ends,
springs to ground, and bad attachment sets named in the error."""

import numpy as np
import pytest

from fea.errors import ConfigError
from fea.ligaments.fibres import build_fibres
from fea.model import Ligament, LigamentLaw
from tests.helpers import structured_box

LAW = LigamentLaw("toe_linear", stiffness=20.0, toe_strain=0.1)


def _model(ligs, n=(4, 4, 6), size=(10.0, 8.0, 12.0)):
    from fea.materials import LinearElastic
    from fea.model import Model, Section

    mesh = structured_box(n, size).to_tet10()
    return Model("fibres", mesh, {"m": LinearElastic("m", 100.0, 0.3)}, [Section("body", "m")],
                 ligaments=ligs)


def _u(model, field):
    return field(model.mesh.nodes).ravel()


def two_blocks(shift=(3.0, 2.0, 10.0)):
    """Two 10 x 8 x 4 blocks, the upper one shifted: a gap spanned by oblique fibres."""
    from fea.materials import LinearElastic
    from fea.mesh import Mesh
    from fea.model import Model, Section

    a = structured_box((4, 4, 2), (10.0, 8.0, 4.0)).to_tet10()
    n = a.n_nodes
    mesh = Mesh(np.vstack([a.nodes, a.nodes + shift]), np.vstack([a.cells, a.cells + n]),
                cell_sets={"lower": np.arange(a.n_cells),
                           "upper": a.n_cells + np.arange(a.n_cells)},
                face_sets={"lower_top": a.face_sets["zmax"],
                           "upper_bottom": a.face_sets["zmin"] + [a.n_cells, 0],
                           "upper_top": a.face_sets["zmax"] + [a.n_cells, 0]})
    return Model("blocks", mesh, {"m": LinearElastic("m", 100.0, 0.3)},
                 [Section("lower", "m"), Section("upper", "m")])


def test_rigid_translation_gives_n_dot_t():
    m = two_blocks()
    m.ligaments = [Ligament("oblique", "lower_top", "upper_bottom", LAW, fibres=5)]
    fb = build_fibres(m)
    t = np.array([0.3, -0.2, 0.7])
    upper = m.mesh.nodes[:, 2] > 5
    u = np.zeros((m.mesh.n_nodes, 3))
    u[upper] = t  # the insertion body moved by t: delta = n . t
    np.testing.assert_allclose(fb.B @ u.ravel(), fb.direction @ t, rtol=1e-12)
    n_expect = np.array([3.0, 2.0, 6.0]) / 7.0  # patches face each other across the shift
    np.testing.assert_allclose(fb.direction, np.tile(n_expect, (5, 1)), atol=1e-9)
    np.testing.assert_allclose(fb.L0, 7.0, rtol=1e-12)
    # both moved together: no elongation
    delta = fb.B @ _u(m, lambda x: np.broadcast_to(t, x.shape))
    assert np.abs(delta).max() < 1e-14


def test_rigid_rotation_gives_zero_elongation():
    m = _model([Ligament("oblique", "xmin", "zmax", LAW, fibres=6),
                Ligament("straight", "zmin", "zmax", LAW, fibres=4)])
    fb = build_fibres(m)
    rng = np.random.default_rng(3)
    for _ in range(3):
        w = rng.normal(size=3) * 1e-3
        c = rng.normal(size=3) * 5
        delta = fb.B @ _u(m, lambda x: np.cross(w, x - c))
        # linearised rotation: exactly zero (each end is the patch's weighted mean)
        assert np.abs(delta).max() <= 1e-14 * 20


def test_uniform_stretch_gives_strain_times_length():
    eps = 2e-3
    m = _model([Ligament("axial", "zmin", "zmax", LAW, fibres=4)])
    fb = build_fibres(m)
    delta = fb.B @ _u(m, lambda x: np.stack([0 * x[:, 0], 0 * x[:, 0], eps * x[:, 2]], 1))
    np.testing.assert_allclose(fb.L0, 12.0, rtol=1e-12)
    np.testing.assert_allclose(delta, eps * 12.0, rtol=1e-12)
    np.testing.assert_allclose(fb.direction, [[0, 0, 1]] * 4, atol=1e-12)


def test_end_weights_sum_to_one_per_end():
    m = _model([Ligament("axial", "zmin", "zmax", LAW, fibres=3)])
    fb = build_fibres(m)
    t = np.array([1.0, 2.0, 3.0])
    for name, sign in (("zmax", 1.0), ("zmin", -1.0)):
        nodes = m.mesh.nodes_of(name)
        u = np.zeros((m.mesh.n_nodes, 3))
        u[nodes] = t
        np.testing.assert_allclose(fb.B @ u.ravel(), sign * fb.direction @ t, rtol=1e-12)
    # no fibre pulls on a single node: every end spreads over many nodes
    counts = np.diff(fb.B.indptr) // 3
    assert counts.min() > 10


def test_patches_have_about_equal_area_and_shares_sum_to_one():
    m = _model([Ligament("a", "zmin", "zmax", LAW, fibres=4),
                Ligament("b", "xmin", "xmax", LAW, fibres=3, share="equal")], n=(6, 6, 6))
    fb = build_fibres(m)
    for j in range(2):
        s = fb.share[fb.ligament == j]
        assert s.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.abs(s * len(s) - 1).max() < 0.1  # patches of about equal area
    # the four patches of a face are its quadrants: ends near the quadrant centres
    a = fb.end_a[fb.ligament == 0]
    centres = np.array([[2.5, 2.0], [7.5, 2.0], [2.5, 6.0], [7.5, 6.0]])
    for p in centres:
        assert np.linalg.norm(a[:, :2] - p, axis=1).min() < 0.6
    np.testing.assert_allclose(fb.end_a[fb.ligament == 0, 2], 0.0, atol=1e-12)


def test_point_ends_and_ground_springs():
    m = _model([])
    nodes = m.mesh.nodes
    i = int(np.argmin(np.linalg.norm(nodes - [0, 0, 0], axis=1)))
    k = int(np.argmin(np.linalg.norm(nodes - [10, 8, 12], axis=1)))
    m.mesh.node_sets.update({"p": np.array([i]), "q": np.array([k])})
    m.ligaments = [Ligament("springa", "p", "q", LAW),
                   Ligament("ground", "zmax", None, LigamentLaw("linear", stiffness=5.0),
                            fibres=2, direction=np.array([0, 0, 2.0]))]
    fb = build_fibres(m)
    L = np.linalg.norm(nodes[k] - nodes[i])
    assert fb.L0[0] == pytest.approx(L, rel=1e-14)
    row = fb.B[0].toarray().ravel()
    n = (nodes[k] - nodes[i]) / L
    np.testing.assert_allclose(row[3 * k:3 * k + 3], n)
    np.testing.assert_allclose(row[3 * i:3 * i + 3], -n)
    assert np.count_nonzero(row) == 6
    # ground: elongation = direction . u of the set; no length
    u = _u(m, lambda x: np.broadcast_to([0.1, 0.2, 0.3], x.shape))
    np.testing.assert_allclose(fb.B[1:] @ u, 0.3, rtol=1e-12)
    assert np.all(np.isnan(fb.L0[1:])) and np.isnan(fb.lig_length[1])


@pytest.mark.parametrize("lig, match", [
    (Ligament("a", "zmn", "zmax", LAW), "Did you mean 'zmin'"),
    (Ligament("a", "zmax", None, LAW), "direction"),
    (Ligament("a", "zmin", "zmax", LAW, fibres=0), "fibres"),
    (Ligament("a", "zmin", "zmax", LAW, share="volume"), "share"),
    (Ligament("a", "zmin", "zmax@nobody", LAW), "neither a cell set nor a body"),
    (Ligament("a", "zmax", None, LigamentLaw("toe_linear", stiffness=1.0, toe_strain=0.1),
              direction=np.array([0, 0, 1.0])), "no length"),
])
def test_bad_ligaments_are_named(lig, match):
    with pytest.raises(ConfigError, match=match) as exc:
        build_fibres(_model([lig]))
    assert "'a'" in str(exc.value) or "ligament" in str(exc.value)


def test_coincident_ends_need_a_direction():
    m = _model([])
    m.mesh.node_sets.update({"p": np.array([0]), "q": np.array([0])})
    m.ligaments = [Ligament("zero", "p", "q", LAW)]
    with pytest.raises(ConfigError, match="same centroid; give a direction"):
        build_fibres(m)


def _tent(fibres=3):
    """A fibre from the box's -x face over its top (the via set) to its +x face."""
    return _model([Ligament("tent", "xmin", "xmax", LAW, fibres=fibres, via="zmax")])


def _path_length(fb, u):
    """Each fibre's length A -> V -> B with its ends and via point moved by u (exact)."""
    U = u.reshape(-1, 3)
    a, b, v = (fb.end_a + fb.WA @ U, fb.end_b + fb.WB @ U, fb.end_v + fb.WV @ U)
    return np.linalg.norm(v - a, axis=1) + np.linalg.norm(b - v, axis=1)


def test_a_via_point_fibre_stretches_as_its_path_length():
    m = _tent()
    fb = build_fibres(m)
    # reference length: the two segments over the top (each end a patch centroid)
    np.testing.assert_allclose(fb.L0, _path_length(fb, np.zeros(3 * m.mesh.n_nodes)),
                               rtol=1e-12)
    np.testing.assert_allclose(fb.end_v[:, 2], 12.0, atol=1e-12)  # via points on the top face
    assert np.all(fb.L0 > np.linalg.norm(fb.end_b - fb.end_a, axis=1) + 1.0)  # longer than straight
    # a general smooth field: B u is the derivative of the path length at the reference
    # (central difference: error O(h^2), far below the 1e-3 mm elongations)
    u = _u(m, lambda x: 1e-3 * np.stack([x[:, 2] ** 2 / 12, x[:, 0] * x[:, 1] / 10,
                                         np.sin(x[:, 0] / 3) * x[:, 2]], 1))
    h = 1e-4
    fd = (_path_length(fb, h * u) - _path_length(fb, -h * u)) / (2 * h)
    assert np.abs(fd).min() > 1e-4
    np.testing.assert_allclose(fb.B @ u, fd, rtol=1e-6)
    # lifting the top face 0.01 mm (with the nodes of the ends' top edge) lengthens the path as
    # the exact path length does, to first order
    lift = np.zeros((m.mesh.n_nodes, 3))
    lift[m.mesh.nodes_of("zmax"), 2] = 0.01
    np.testing.assert_allclose(fb.B @ lift.ravel(), _path_length(fb, lift.ravel()) - fb.L0,
                               rtol=1e-3)
    assert np.all(fb.B @ lift.ravel() > 0)


def test_a_via_point_fibre_is_in_equilibrium_and_rotates_freely():
    m = _tent(fibres=4)
    fb = build_fibres(m)
    X = m.mesh.nodes
    f = (fb.B.T @ np.ones(fb.n)).reshape(-1, 3)  # unit tension in every fibre
    # the band's pull on its ends and the via point: no resultant force or moment on the body
    assert np.abs(f.sum(axis=0)).max() < 1e-12
    assert np.abs(np.cross(X, f).sum(axis=0)).max() < 1e-10
    # the band presses its via point into the top face: the force on the body, -B^T F, is
    # F (n_B - n_A) there, downward
    assert (fb.direction - fb.direction_a)[:, 2].max() < 0
    assert np.count_nonzero(fb.WV.T @ np.ones(fb.n)) > 4  # spread over the via patch's nodes
    rng = np.random.default_rng(5)
    w, c = rng.normal(size=3) * 1e-3, rng.normal(size=3) * 5
    assert np.abs(fb.B @ _u(m, lambda x: np.cross(w, x - c))).max() < 1e-13


def test_bad_via_points_are_named():
    m = _model([Ligament("v", "xmin", "xmax", LAW, via="zmx")])
    with pytest.raises(ConfigError, match=r"'v'.*no face or node set named 'zmx'.*'zmax'"):
        build_fibres(m)
    m = _model([Ligament("g", "zmax", None, LAW, direction=np.array([0, 0, 1.0]), via="xmin")])
    with pytest.raises(ConfigError, match=r"'g'.*via 'xmin' needs a fibre between two sets"):
        build_fibres(m)
    m = _model([])
    m.mesh.node_sets.update({"p": np.array([0]), "q": np.array([5])})
    m.ligaments = [Ligament("z", "p", "q", LAW, via="p")]
    with pytest.raises(ConfigError, match=r"'z'.*zero-length segment \(its via point lies on"):
        build_fibres(m)
