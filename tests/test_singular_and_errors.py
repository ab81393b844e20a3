"""A model that can still move must stop with a message naming the body; bad input is named."""

import numpy as np
import pytest

from fea.errors import ConfigError, FeaError, MeshError, SingularModelError
from fea.materials import LinearElastic
from fea.mesh import Mesh
from fea.model import LoadCase, Model, RefLoad, RefPoint, Section, Step, Support, SurfaceForce
from fea.static import solve
from helpers import structured_box

LC = LoadCase("push", [Step("s", [SurfaceForce("xmax", np.array([1.0, 0, 0]))])])


def two_bodies():
    a = structured_box((2, 2, 2))
    b = structured_box((2, 2, 2))
    nodes = np.vstack([a.nodes, b.nodes + [3.0, 0, 0]])
    cells = np.vstack([a.cells, b.cells + a.n_nodes])
    m = Mesh(nodes, cells, cell_sets={"bone": np.arange(a.n_cells),
                                      "implant": a.n_cells + np.arange(b.n_cells)},
             face_sets={"xmin": a.face_sets["xmin"], "xmax": a.face_sets["xmax"]})
    mats = {"b": LinearElastic("b", 100.0, 0.3), "t": LinearElastic("t", 1e5, 0.3)}
    return Model("two", m, mats, [Section("bone", "b"), Section("implant", "t")],
                 [Support("xmin")])


def test_floating_body_is_named():
    with pytest.raises(SingularModelError) as e:
        solve(two_bodies(), LC)
    msg = str(e.value)
    assert "'implant'" in msg and "'bone'" not in msg
    assert "translation along x" in msg and "rotation about z" in msg


def test_forgotten_support_lists_the_free_motions():
    m = structured_box((2, 2, 2))
    model = Model("p", m, {"m": LinearElastic("m", 1.0, 0.3)}, [Section("body", "m")],
                  [Support("zmin", (2,))])  # only uz fixed: x, y translation and z rotation free
    with pytest.raises(SingularModelError) as e:
        solve(model, LC)
    msg = str(e.value)
    for motion in ("translation along x", "translation along y", "rotation about z"):
        assert motion in msg
    assert "translation along z" not in msg


def test_reference_point_with_free_rotation_is_reported():
    m = structured_box((2, 2, 2))
    ref = RefPoint("top", np.array([0.5, 0.5, 1.0]), "kinematic", "zmax")
    model = Model("p", m, {"m": LinearElastic("m", 1.0, 0.3)}, [Section("body", "m")], [],
                  {"top": ref})
    with pytest.raises(SingularModelError, match="reference point"):
        solve(model, LoadCase("t", [Step("s", [RefLoad("top", np.zeros(3), np.ones(3))])]))


def test_support_on_a_kinematically_coupled_node_is_an_overconstraint():
    m = structured_box((2, 2, 2))
    ref = RefPoint("top", np.array([0.5, 0.5, 1.0]), "kinematic", "zmax")
    model = Model("p", m, {"m": LinearElastic("m", 1.0, 0.3)}, [Section("body", "m")],
                  [Support("zmin"), Support("xmax")], {"top": ref})
    with pytest.raises(FeaError, match="kinematic coupling of reference point 'top'"):
        solve(model, LoadCase("t", [Step("s")]))


def test_inverted_element_is_named_by_id():
    nodes = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, -1]], float)
    cells = np.array([[0, 1, 2, 3], [0, 1, 2, 4]])  # second one is inside out
    with pytest.raises(MeshError, match=r"inverted element\(s\): ids 12"):
        Mesh(nodes, cells, cell_ids=np.array([11, 12])).check()


def test_material_validation_names_the_material():
    with pytest.raises(ConfigError, match="material 'soft'.*Poisson"):
        LinearElastic("soft", 10.0, 0.5)
    with pytest.raises(ConfigError, match="material 'neg'.*E must be > 0"):
        LinearElastic("neg", -1.0, 0.3)


def test_element_without_material_is_named():
    m = structured_box((2, 2, 2))
    m.cell_sets["half"] = np.arange(m.n_cells // 2)
    model = Model("p", m, {"m": LinearElastic("m", 1.0, 0.3)}, [Section("half", "m")],
                  [Support("xmin")])
    with pytest.raises(FeaError, match="have no material"):
        solve(model, LC)


def test_unknown_set_suggests_the_near_name():
    m = structured_box((2, 2, 2))
    with pytest.raises(MeshError, match="Did you mean 'xmax'"):
        m.faces("xmx")
