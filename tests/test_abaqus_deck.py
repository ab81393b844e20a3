"""Reading Abaqus/CalculiX decks: the same problem as a deck and in TOML gives the same answer;
Abaqus step semantics (replace per node/face, OP=NEW), couplings, includes and interfaces map as
documented in docs/abaqus.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fea.abaqus import read_deck
from fea.config import load_loadcase, load_model
from fea.linsolve import SolverSettings
from fea.loading import load_vector, prescribed_map
from fea.model import LoadCase, NodalForce, Pressure, RefLoad, Traction
from fea.static import solve

DATA = Path(__file__).parent / "data" / "abaqus"
DIRECT = SolverSettings(backend="direct")  # same factorisation for both: differences are inputs

TET4 = """*NODE, NSET=ALLN
1, 0., 0., 0.
2, 1., 0., 0.
3, 0., 1., 0.
4, 0., 0., 1.
5, 1., 1., 1.
*ELEMENT, TYPE=C3D4, ELSET=SOLID
1, 1, 2, 3, 4
2, 2, 3, 4, 5
*MATERIAL, NAME=Bone
*ELASTIC
1000., 0.3
*SOLID SECTION, ELSET=solid, MATERIAL=bone
"""


def _deck(tmp_path, text: str, name: str = "d.inp"):
    path = tmp_path / name
    path.write_text(text)
    return read_deck(path)


def _applied(model, loadcase) -> list[np.ndarray]:
    """Full load vector at the end of each step, with the solver's step rules."""
    out, active = [], []
    for st in loadcase.steps:
        active = (list(st.loads) if st.replace else active + list(st.loads))
        out.append(load_vector(model, active))
    return out


# ---------------------------------------------------------------------- deck versus TOML
def test_cantilever_deck_equals_toml():
    deck = read_deck(DATA / "cantilever_tet10.inp")
    toml_model = load_model(DATA / "cantilever_tet10.toml")
    toml_lc = load_loadcase(DATA / "cantilever_tet10_lc.toml")
    r_deck = solve(deck.model, deck.loadcase, DIRECT)
    r_toml = solve(toml_model, toml_lc, DIRECT)
    ends_deck, ends_toml = r_deck.step_ends(), r_toml.step_ends()
    assert [s.step for s in ends_deck] == ["bend", "more"] == [s.step for s in ends_toml]
    for a, b in zip(ends_deck, ends_toml):
        ua, ub = r_deck.displacement(a), r_toml.displacement(b)
        assert np.abs(ub).max() > 1e-3  # the loads do bend the beam
        assert np.abs(ua - ub).max() <= 1e-10 * np.abs(ub).max()  # tolerance: 1e-10 relative


def test_cantilever_deck_contents():
    deck = read_deck(DATA / "cantilever_tet10.inp")
    m = deck.model
    mesh = m.mesh
    assert (mesh.n_nodes, mesh.n_cells, mesh.nodes_per_cell) == (117, 36, 10)
    # continuation lines misread would distort or invert elements: the volume is exact
    assert mesh.volume() == pytest.approx(6.0, rel=1e-12)
    # GENERATE sets, names kept as defined (case-insensitive references resolved)
    assert mesh.node_ids[mesh.node_sets["FIXED"]].tolist() == list(range(1, 106, 13))
    assert mesh.node_ids[mesh.node_sets["Tip"]].tolist() == list(range(13, 118, 13))
    assert sorted(mesh.cell_ids[mesh.cell_sets["BOTTOM_E"]]) == sorted(
        list(range(1, 32, 6)) + list(range(3, 34, 6)))
    assert np.array_equal(mesh.face_sets["BOTTOM"], mesh.face_sets["BOTTOM_E_S1"])
    assert list(m.materials) == ["Steel"] and m.sections[0].cell_set == "BEAM"
    assert deck.heading == "TET10 cantilever for the deck-versus-TOML test"
    s1, s2 = deck.loadcase.steps
    assert s2.increments == 2 and not s2.replace  # *STATIC 0.5, 1. -> two increments
    tip = [ld for ld in s2.loads if isinstance(ld, NodalForce)]
    # Abaqus replaces -1.5 by -3.0 on dof 3: the additive step carries the change -1.5
    assert len(tip) == 1 and np.allclose(tip[0].force, [0.0, 0.5, -1.5], rtol=0, atol=1e-15)
    trac = [ld for ld in s2.loads if isinstance(ld, Traction)][0]
    assert np.allclose(trac.traction, [0.0, 2 ** 0.5, 2 ** 0.5], rtol=1e-15)  # direction unit


# ---------------------------------------------------------------------- step semantics
def test_cload_replaces_per_node_across_steps(tmp_path):
    text = TET4 + """*NSET, NSET=A
2, 3, 4
*NSET, NSET=B
4, 5
*BOUNDARY
1, ENCASTRE
*STEP
*STATIC
*CLOAD
A, 1, 10.
B, 1, 1.
*END STEP
*STEP
*STATIC
*CLOAD
b, 1, 20.
5, 2, 7.
*END STEP
*STEP
*STATIC
*CLOAD, OP=NEW
3, 3, 2.
3, 3, 0.5
*END STEP
"""
    deck = _deck(tmp_path, text)
    f = [v[:15].reshape(5, 3) for v in _applied(deck.model, deck.loadcase)]
    # step 1: loads add inside a step (node 4 in A and B: 11)
    assert np.array_equal(f[0][:, 0], [0, 10, 10, 11, 1])
    # step 2: B's nodes 4 and 5 get 20 in x (node 4 loses A's 10 there), node 5 also 7 in y
    assert np.array_equal(f[1][:, 0], [0, 10, 10, 20, 20])
    assert np.array_equal(f[1][:, 1], [0, 0, 0, 0, 7])
    # step 3: OP=NEW removes every earlier concentrated load; the two lines on node 3 add
    expected = np.zeros((5, 3))
    expected[2, 2] = 2.5
    assert np.array_equal(f[2], expected)
    # encastre on a solid node: its three translations only
    assert deck.model.supports[0].dofs == (0, 1, 2)


def test_pressure_replaces_per_face_and_dload_equals_dsload(tmp_path):
    text = TET4 + """*SURFACE, NAME=F1
1, S1
*ELSET, ELSET=FIRST
1
*BOUNDARY
ALLN, 1, 3
*STEP
*STATIC
*DSLOAD
F1, P, 2.
*END STEP
*STEP
*STATIC
*DLOAD
FIRST, P1, 5.
*END STEP
"""
    deck = _deck(tmp_path, text)
    s1, s2 = deck.loadcase.steps
    assert [type(ld) for ld in s1.loads] == [Pressure]
    f1, f2 = _applied(deck.model, deck.loadcase)
    # face S1 of element 1 carries 5 at the end of step 2, not 2 + 5: totals scale by 5/2
    assert np.allclose(f2, 2.5 * f1, rtol=0, atol=1e-12)
    assert np.abs(f1).max() > 0


def test_boundary_op_new_removes_model_level_supports(tmp_path):
    text = TET4 + """*NSET, NSET=BASE
1, 2, 3
*BOUNDARY
BASE, 1, 3
*STEP
*STATIC
*CLOAD
5, 3, -1.
*END STEP
*STEP
*STATIC
*BOUNDARY, OP=NEW
ALLN, 1, 2
BASE, 3, 3
*END STEP
"""
    deck = _deck(tmp_path, text)
    m, (s1, s2) = deck.model, deck.loadcase.steps
    assert m.supports == [] and not s1.replace and s2.replace
    n = m.mesh.n_nodes
    p1 = prescribed_map(m, m.supports + s1.displacements)
    p2 = prescribed_map(m, m.supports + s2.displacements)
    assert len(p1) == 9  # BASE fixed in x, y, z through step 1
    assert len(p2) == 2 * n + 3  # all x, y and BASE z: BASE's x/y no longer doubled
    # the replace step restates the load still active (ccx keeps it too)
    assert [(type(ld), ld.target) for ld in s2.loads] == [(NodalForce, "_N5")]


def test_coupling_include_orphans(tmp_path):
    (tmp_path / "nodes.inp").write_text("7, 2., 2., 2.\n8, 0.3, 0.3, 2.5\n")
    text = TET4.replace("5, 1., 1., 1.\n", "5, 1., 1., 1.\n*INCLUDE, INPUT=nodes.inp\n") + """
*SURFACE, NAME=TOP
1, S1
*NSET, NSET=RP
8
*COUPLING, CONSTRAINT NAME=Head, REF NODE=8, SURFACE=top
*KINEMATIC
1, 3
*BOUNDARY
4, 1, 3
5, 1, 3
*STEP, NAME=twist
*STATIC
*CLOAD
rp, 6, 500.
8, 3, -4.
*BOUNDARY
RP, 4, 5, 0.01
*END STEP
"""
    deck = _deck(tmp_path, text)
    m = deck.model
    assert m.mesh.n_nodes == 5  # orphan node 7 and reference node 8 left the mesh
    assert "RP" not in m.mesh.node_sets  # it only named the reference node
    ref = m.ref_points["Head"]
    assert ref.coupling == "kinematic" and ref.surface == "TOP"
    assert np.array_equal(ref.position, [0.3, 0.3, 2.5])
    (step,) = deck.loadcase.steps
    (load,) = step.loads
    assert isinstance(load, RefLoad) and load.target == "Head"
    assert np.array_equal(load.force, [0, 0, -4.0]) and np.array_equal(load.moment, [0, 0, 500])
    (disp,) = step.displacements
    assert disp.target == "Head" and disp.dofs == (3, 4) and disp.values == (0.01, 0.01)
    r = solve(m, deck.loadcase, DIRECT)
    assert np.allclose(r.ref_motion("Head")[3:5], 0.01, rtol=0, atol=1e-12)


def test_distributing_coupling_and_interfaces(tmp_path):
    text = TET4 + """*SURFACE, NAME=S_A
1, S1
*SURFACE, NAME=S_B
2, S3
*NODE
9, 0.5, 0.5, 3.
*COUPLING, CONSTRAINT NAME=C9, REF NODE=9, SURFACE=S_B
*DISTRIBUTING
1, 6
*TIE, NAME=bond, POSITION TOLERANCE=0.05
s_a, s_b
*SURFACE INTERACTION, NAME=ROUGH_TI
*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=HARD
*FRICTION
0.8, 5000.
*CONTACT PAIR, INTERACTION=rough_ti, TYPE=SURFACE TO SURFACE, SMALL SLIDING, ADJUST=0.01
S_B, S_A
*SURFACE INTERACTION, NAME=SLICK
*CONTACT PAIR, INTERACTION=SLICK
S_A, S_B
"""
    m = _deck(tmp_path, text).model
    assert m.ref_points["C9"].coupling == "distributing"
    got = [(i.name, i.slave, i.master, i.law, i.mu, i.adjust) for i in m.interfaces]
    assert got == [("bond", "S_A", "S_B", "tied", 0.0, 0.05),
                   ("rough_ti", "S_B", "S_A", "friction", 0.8, 0.01),
                   ("SLICK", "S_A", "S_B", "frictionless", 0.0, 0.0)]


def test_numbered_loads_become_few_sets(tmp_path):
    text = TET4 + """*BOUNDARY
1, 1, 3
*STEP
*STATIC
*CLOAD
2, 1, 1.5
3, 1, 1.5
4, 1, 1.5
5, 2, -1.
*DLOAD
1, P2, 0.5
2, P2, 0.5
*END STEP
"""
    deck = _deck(tmp_path, text)
    mesh = deck.model.mesh
    loads = deck.loadcase.steps[0].loads
    nodal = [ld for ld in loads if isinstance(ld, NodalForce)]
    assert sorted(mesh.node_ids[mesh.node_sets[ld.target]].tolist() for ld in nodal) == \
        [[2, 3, 4], [5]]
    (pres,) = [ld for ld in loads if isinstance(ld, Pressure)]
    assert mesh.face_sets[pres.target].tolist() == [[0, 1], [1, 1]]


def test_kinematic_coupling_on_node_surface(tmp_path):
    text = TET4 + """*NSET, NSET=TopN
3, 4, 5
*SURFACE, NAME=TOPNODES, TYPE=NODE
topn
*NODE
9, 0.5, 0.5, 1.5
*COUPLING, CONSTRAINT NAME=R9, REF NODE=9, SURFACE=TOPNODES
*KINEMATIC
*BOUNDARY
1, 1, 3
2, 1, 3
9, 4
*STEP
*STATIC
*CLOAD
9, 3, -1.
*END STEP
*STEP
*STATIC
*BOUNDARY, OP=NEW
*END STEP
"""
    deck = _deck(tmp_path, text)
    ref = deck.model.ref_points["R9"]
    mesh = deck.model.mesh
    assert ref.coupling == "kinematic" and ref.surface == "TOPNODES"  # now a node set
    assert np.array_equal(mesh.node_sets["TOPNODES"], mesh.node_sets["TopN"])
    s1, s2 = deck.loadcase.steps
    # the model-level lines (one automatic set for both nodes) moved into step 1, since step
    # 2's OP=NEW removes them (as in ccx)
    bc, rx = s1.displacements
    assert deck.model.supports == [] and mesh.node_ids[mesh.node_sets[bc.target]].tolist() == [1, 2]
    assert (rx.target, rx.dofs, rx.values) == ("R9", (3,), (0.0,))
    assert s2.replace and s2.displacements == []
    r = solve(deck.model, _first_step(deck.loadcase), DIRECT)
    # the coupled nodes follow the reference point rigidly: u = u_ref + theta x (x - x_ref)
    u = r.displacement()
    motion = r.ref_motion("R9")
    for i in mesh.node_sets["TopN"]:
        expected = motion[:3] + np.cross(motion[3:], mesh.nodes[i] - ref.position)
        assert np.allclose(u[i], expected, rtol=0, atol=1e-12 * np.abs(u).max())


def _first_step(lc):
    """The load case up to its first step (the second one frees the model on purpose)."""
    return LoadCase(lc.name, lc.steps[:1], lc.source)


def test_node_lines_may_omit_trailing_coordinates(tmp_path):
    text = TET4.replace("1, 0., 0., 0.", "1, 0.").replace("2, 1., 0., 0.", "2, 1., 0.")
    deck = _deck(tmp_path, text)
    assert deck.model.mesh.nodes[:2].tolist() == [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
