"""Export then re-import: a model with sets, surfaces, both couplings, supports, two steps and
interfaces comes back with the same mesh, sets, loads and solution (both deck dialects)."""

from __future__ import annotations

import numpy as np
import pytest

from fea.abaqus import deck_text, read_deck, write_deck
from fea.couplings import coupling_dependencies
from fea.geometry.primitives import box
from fea.linsolve import SolverSettings
from fea.loading import load_vector, prescribed_map
from fea.materials import LinearElastic
from fea.model import (
    Interface, LoadCase, Model, NodalForce, Pressure, RefLoad, RefPoint, Section, Step,
    SurfaceForce, Support, Traction,
)
from fea.static import solve

DIRECT = SolverSettings(backend="direct")


@pytest.fixture(scope="module")
def original():
    mesh = box(12.0, 4.0, 4.0, 2.0, 2)
    centroid_x = mesh.nodes[mesh.cells[:, :4]].mean(axis=1)[:, 0]
    mesh.cell_sets["left"] = np.flatnonzero(centroid_x < 6.0)
    mesh.cell_sets["right"] = np.flatnonzero(centroid_x >= 6.0)
    mesh.node_sets["ridge"] = np.flatnonzero(
        np.isclose(mesh.nodes[:, 1], 4.0) & np.isclose(mesh.nodes[:, 2], 4.0)
        & (mesh.nodes[:, 0] < 11.0))  # off the kinematically coupled end face
    model = Model(
        "roundtrip", mesh,
        {"bone": LinearElastic("bone", 12000.0, 0.3), "ti": LinearElastic("ti", 110000.0, 0.33)},
        [Section("left", "bone"), Section("right", "ti")],
        [Support("xmin", name="clamp"), Support("ridge", (1,), (0.0,))],
        {"tip": RefPoint("tip", np.array([12.0, 2.0, 2.0]), "kinematic", "xmax"),
         "side": RefPoint("side", np.array([6.0, 4.0, 2.0]), "distributing", "ymax")},
        [Interface("glue", "ymin", "zmin", "tied"),
         Interface("slide", "zmax", "ymin", "friction", 0.4, 0.01)],
    )
    lc = LoadCase("two_steps", [
        Step("preload", [RefLoad("tip", np.array([0.0, 0.0, -20.0]), np.array([300.0, 0, 0])),
                         Pressure("zmax", 0.05), NodalForce("ridge", np.array([0.0, 0.1, 0.0]))]),
        Step("bend", [RefLoad("side", np.zeros(3), np.array([0.0, 0.0, 150.0])),
                      Traction("ymin", np.array([0.01, 0.0, 0.02])),
                      SurfaceForce("zmin", np.array([3.0, 0.0, 0.0]))],
             [Support("tip", (3,), (0.002,))], increments=3),
    ])
    return model, lc


def _spread_distributing(model, f):
    """f with the loads on distributing reference points moved onto their surface nodes through
    the coupling (the transpose of its weighted rigid fit): what the solver applies."""
    f = f.copy()
    for dep in coupling_dependencies(model):
        if dep.owner.startswith("distributing"):
            np.add.at(f, dep.cols, dep.vals * f[dep.dep][dep.rows])
            f[dep.dep] = 0.0
    return f


def _applied(model, lc):
    out, active = [], []
    for st in lc.steps:
        active = list(st.loads) if st.replace else active + list(st.loads)
        out.append(load_vector(model, active))
    return out


def _prescribed(model, lc):
    out, active = [], []
    for st in lc.steps:
        active = list(st.displacements) if st.replace else active + list(st.displacements)
        out.append(prescribed_map(model, model.supports + active))
    return out


@pytest.mark.parametrize("dialect", ["abaqus", "calculix"])
def test_export_reimport_round_trip(original, tmp_path, dialect):
    model, lc = original
    path = tmp_path / f"rt_{dialect}.inp"
    write_deck(model, lc, path, dialect=dialect)
    deck = read_deck(path)
    back, lc2 = deck.model, deck.loadcase
    m0, m1 = model.mesh, back.mesh

    # mesh: same labels, same order, coordinates to the 14 digits ccx reads (5e-14 relative)
    assert np.array_equal(m0.node_ids, m1.node_ids) and np.array_equal(m0.cell_ids, m1.cell_ids)
    assert np.array_equal(m0.cells, m1.cells)
    assert np.abs(m0.nodes - m1.nodes).max() <= 1e-13 * np.abs(m0.nodes).max()
    for kind in ("cell_sets", "node_sets", "face_sets"):
        a, b = getattr(m0, kind), getattr(m1, kind)
        for name, members in a.items():
            assert name in b, (kind, name)
            assert np.array_equal(np.unique(members, axis=0), np.unique(b[name], axis=0)), name
    # what the deck adds: a node set of all nodes, node sets of faces used as supports and, in
    # the calculix dialect, automatic sets ('_...') for tractions written as nodal forces
    extra = set(m1.node_sets) - set(m0.node_sets) - {"NALL", "xmin"}
    assert all(n.startswith("_") for n in extra) and (dialect == "calculix") == bool(extra)

    assert {n: (m.E, m.nu) for n, m in back.materials.items()} == {"bone": (12000.0, 0.3),
                                                                   "ti": (110000.0, 0.33)}
    assert [(s.cell_set, s.material) for s in back.sections] == [("left", "bone"),
                                                                ("right", "ti")]
    assert {n: (r.coupling, r.surface, tuple(r.position)) for n, r in back.ref_points.items()} \
        == {n: (r.coupling, r.surface, tuple(r.position)) for n, r in model.ref_points.items()}
    assert [(i.name, i.slave, i.master, i.law, i.mu, i.adjust) for i in back.interfaces] == \
        [(i.name, i.slave, i.master, i.law, i.mu, i.adjust) for i in model.interfaces]

    # steps: names, increments; supports and loads give the same prescribed values and vectors
    assert [(s.name, s.increments, s.replace) for s in lc2.steps] == \
        [("preload", 1, False), ("bend", 3, False)]
    assert _prescribed(model, lc) == _prescribed(back, lc2)
    for f0, f1 in zip(_applied(model, lc), _applied(back, lc2)):
        if dialect == "calculix":  # loads on the distributing point come back as nodal forces
            f0 = _spread_distributing(model, f0)
        assert np.abs(f0 - f1).max() <= 1e-12 * np.abs(f0).max()  # tolerance: 1e-12 relative
    kinds = {type(ld).__name__ for st in lc2.steps for ld in st.loads}
    if dialect == "abaqus":  # a total surface force comes back as its traction
        assert kinds == {"RefLoad", "Pressure", "NodalForce", "Traction"}
    else:  # tractions came back as nodal forces on automatic node sets
        assert kinds == {"RefLoad", "Pressure", "NodalForce"}

    # and the same solution (interfaces are not solved by fea.static: same for both)
    r0, r1 = solve(model, lc, DIRECT), solve(back, lc2, DIRECT)
    for a, b in zip(r0.step_ends(), r1.step_ends()):
        u0, u1 = r0.displacement(a), r1.displacement(b)
        assert np.abs(u0 - u1).max() <= 1e-10 * np.abs(u0).max()  # tolerance: 1e-10 relative
        assert np.allclose(r0.ref_motion("side", a), r1.ref_motion("side", b), rtol=1e-10,
                           atol=1e-14)


def test_replace_step_and_restated_loads_round_trip(original, tmp_path):
    """Step.replace (OP=NEW) and a load changed in a later step survive the Abaqus semantics."""
    model, _ = original
    lc = LoadCase("replace", [
        Step("a", [Pressure("zmax", 0.1), RefLoad("tip", np.array([1.0, 0, 0]), np.zeros(3))]),
        Step("b", [Pressure("zmax", 0.1)]),  # adds: 0.2 in total, restated as such in the deck
        Step("c", [RefLoad("tip", np.array([0.0, 2.0, 0.0]), np.zeros(3))],
             [Support("tip", (5,), (0.0,))], replace=True),
    ])
    path = tmp_path / "replace.inp"
    write_deck(model, lc, path)
    text = path.read_text()
    assert "*BOUNDARY, OP=NEW" in text and "zmax, P, 0.2" in text and "zmax, P, 0.0" in text
    deck = read_deck(path)
    assert [s.replace for s in deck.loadcase.steps] == [False, False, True]
    assert _prescribed(model, lc) == _prescribed(deck.model, deck.loadcase)
    for f0, f1 in zip(_applied(model, lc), _applied(deck.model, deck.loadcase)):
        assert np.abs(f0 - f1).max() <= 1e-12 * np.abs(f0).max()


def test_writer_refuses_names_abaqus_cannot_read(original):
    model, _ = original
    model.mesh.node_sets["two words"] = np.array([0])
    try:
        with pytest.raises(Exception, match="'two words' cannot be written"):
            deck_text(model)
    finally:
        del model.mesh.node_sets["two words"]
