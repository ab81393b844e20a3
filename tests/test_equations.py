"""Linear multi-point constraints (*EQUATION, fea.equations): eliminated exactly, read and written
in decks, and solved as CalculiX solves them."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from fea.abaqus import read_deck, write_deck
from fea.equations import Equation
from fea.errors import ConfigError, FeaError
from fea.geometry.primitives import box
from fea.linsolve import SolverSettings
from fea.materials import LinearElastic
from fea.mesh import Mesh
from fea.model import LoadCase, Model, RefLoad, RefPoint, Section, Step, Support, SurfaceForce
from fea.static import solve

DIRECT = SolverSettings(backend="direct")


@pytest.fixture(scope="module")
def bar():
    return box(30.0, 6.0, 6.0, 3.0, 2)


def _cut(mesh: Mesh, x_cut: float):
    """The mesh cut between the elements left and right of x = x_cut (a zig-zag surface of
    element faces) into two bodies with their own nodes on the cut; returns the cut mesh and the
    (node on the left, its copy on the right) pairs."""
    right = mesh.nodes[mesh.cells[:, :4]].mean(axis=1)[:, 0] > x_cut
    on = np.zeros(mesh.n_nodes, bool)
    on[np.intersect1d(mesh.cells[right], mesh.cells[~right])] = True
    old = np.flatnonzero(on)
    copy = np.full(mesh.n_nodes, -1)
    copy[old] = mesh.n_nodes + np.arange(len(old))
    cells = mesh.cells.copy()
    sub = cells[right]
    sub[on[sub]] = copy[sub[on[sub]]]
    cells[right] = sub
    nodes = np.vstack([mesh.nodes, mesh.nodes[old]])
    cut = Mesh(nodes, cells, mesh.cell_sets, mesh.face_sets, mesh.node_sets)
    return cut, np.stack([old, copy[old]], axis=1)


def _glue(pairs) -> list[Equation]:
    """u_copy - u_original = 0 in each direction: the cut closed again by equations."""
    return [Equation([b, a], (None, None), [c, c], [1.0, -1.0], f"glue {a}/{c}")
            for a, b in pairs.tolist() for c in range(3)]


def _model(mesh, equations=(), refs=None) -> Model:
    m = Model("eq", mesh, {"ti": LinearElastic("ti", 110000.0, 0.3)}, [Section("body", "ti")],
              [Support("xmin", name="clamp")], refs or {})
    m.equations = list(equations)
    return m


LOAD = LoadCase("bend", [Step("tip", [SurfaceForce("xmax", np.array([0.0, 40.0, -200.0]))])])


def test_a_cut_closed_by_equations_is_the_uncut_bar_to_round_off(bar):
    """Eliminating u_copy = u_original gives back the uncut stiffness exactly; without the
    equations the right half has no support and the model is refused by name."""
    whole = solve(_model(bar), LOAD, DIRECT).displacement()
    cut, pairs = _cut(bar, 15.0)
    assert len(pairs) > 20
    glued = solve(_model(cut, _glue(pairs)), LOAD, DIRECT).displacement()
    assert np.abs(whole).max() > 1e-3
    assert np.abs(glued[:bar.n_nodes] - whole).max() <= 1e-9 * np.abs(whole).max()
    assert np.allclose(glued[pairs[:, 1]], glued[pairs[:, 0]], rtol=0, atol=1e-12)
    with pytest.raises(FeaError, match="rigid|free|support"):
        solve(_model(cut), LOAD, DIRECT)


def test_an_equation_with_coefficients_holds_and_carries_its_reaction(bar):
    """u_z(tip corner) = 0.5 u_z(mid node): a lever ratio held exactly by the solve."""
    tip = int(np.flatnonzero(np.all(np.isclose(bar.nodes, [30.0, 6.0, 6.0]), axis=1))[0])
    mid = int(np.argmin(np.linalg.norm(bar.nodes - [15.0, 3.0, 6.0], axis=1)))
    eq = Equation([tip, mid], (None, None), [2, 2], [2.0, -1.0], "lever")
    u = solve(_model(bar, [eq]), LOAD, DIRECT).displacement()
    free = solve(_model(bar), LOAD, DIRECT).displacement()
    assert abs(u[tip, 2] - 0.5 * u[mid, 2]) <= 1e-12 * abs(u[mid, 2])
    assert abs(u[tip, 2] - free[tip, 2]) > 0.2 * abs(free[tip, 2])  # it really constrains


def test_an_equation_on_a_reference_point_uses_its_dofs(bar):
    """A rigid cap's rotation about x tied to zero through an equation with a node's uz - its
    DOFs are the reference point's, so the cap cannot twist under a torque on it."""
    refs = {"tip": RefPoint("tip", np.array([30.0, 3.0, 3.0]), "kinematic", "xmax")}
    far = int(np.argmin(np.linalg.norm(bar.nodes - [0.0, 0.0, 0.0], axis=1)))  # clamped: u = 0
    lc = LoadCase("twist", [Step("t", [RefLoad("tip", np.zeros(3), np.array([5000.0, 0, 0]))])])
    free = solve(_model(bar, refs=refs), lc, DIRECT)
    held = solve(_model(bar, [Equation([-1, far], ("tip", None), [3, 0], [1.0, 1.0], "no twist")],
                        refs=refs), lc, DIRECT)
    assert abs(free.ref_motion("tip")[3]) > 1e-4
    assert abs(held.ref_motion("tip")[3]) < 1e-12


def _deck_with(tmp_path, mesh: Mesh, text: str):
    """A deck of the bar written by our exporter with `text` added to its model data."""
    p = tmp_path / "bad.inp"
    write_deck(_model(mesh), LOAD, p)
    deck = p.read_text()
    k = deck.index("*STEP")
    p.write_text(deck[:k] + text + deck[k:])
    return p


@pytest.mark.parametrize("text, message", [
    ("*EQUATION\n2\n99999, 1, 1.0, 1, 1, -1.0\n", "node 99999 is in no element"),
    ("*EQUATION\n2\n1, 4, 1.0, 2, 1, -1.0\n", "node 1 dof 4: solid nodes have dofs 1-3"),
    ("*EQUATION\n2\n1, 1, 0.0, 2, 1, -1.0\n", "first term's coefficient is zero"),
    ("*EQUATION\n2\n1, 1, 1.0, 2, 1\n", "needs 6 entries"),
    ("*EQUATION\n2\nleft, 1, 1.0, 2, 1, -1.0\n", "'left'.*node sets are not read"),
    ("*EQUATION\n2\n5, 1, 1.0, 6, 1, -1.0\n2\n5, 1, 1.0, 7, 1, -1.0\n", "node 5 ux is driven by both"),
])
def test_bad_equations_are_refused_with_file_line_and_node(tmp_path, bar, text, message):
    p = _deck_with(tmp_path, bar, text)
    with pytest.raises((ConfigError, FeaError), match=message) as err:
        d = read_deck(p)
        solve(d.model, d.loadcase, DIRECT)
    assert "bad.inp" in str(err.value)


def test_equations_round_trip_through_export(tmp_path, bar):
    cut, pairs = _cut(bar, 15.0)
    model = _model(cut, _glue(pairs)[:5] + [Equation([3, 4, 5], (None,) * 3, [0, 1, 2],
                                                      [1.5, -0.25, 2e-3], "three terms")])
    write_deck(model, LOAD, tmp_path / "a.inp")
    back = read_deck(tmp_path / "a.inp").model
    assert len(back.equations) == len(model.equations)
    for a, b in zip(model.equations, back.equations):
        assert np.array_equal(back.mesh.node_ids[b.nodes], cut.node_ids[a.nodes])
        assert np.array_equal(a.comps, b.comps)
        assert np.allclose(a.coefs, b.coefs, rtol=1e-12)


@pytest.mark.ccx
@pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
def test_equations_solved_as_calculix_solves_them(tmp_path, bar):
    """The glued cut plus a lever equation across it, exported and run by ccx 2.20: both eliminate
    the first term's DOF, so the answers agree to ccx's printed digits (tolerance 1e-5 of the
    largest displacement)."""
    from fea.abaqus.ccx import read_dat_displacements, run_ccx

    cut, pairs = _cut(bar, 15.0)
    tip = int(np.flatnonzero(np.all(np.isclose(cut.nodes, [30.0, 6.0, 6.0]), axis=1))[0])
    glue = _glue(pairs)
    q = int(np.argmin(np.linalg.norm(cut.nodes - [22.5, 3.0, 6.0], axis=1)))
    lever = Equation([tip, q], (None, None), [1, 1], [1.0, -3.0], "lever")
    model = _model(cut, glue + [lever])
    deck = tmp_path / "eq.inp"
    write_deck(model, LOAD, deck)
    assert deck.read_text().count("*EQUATION") == len(glue) + 1
    run = run_ccx(deck, threads=1)
    back = read_deck(deck)
    ours = solve(back.model, back.loadcase, DIRECT).displacement()
    (labels, u_ccx), = [(lab, u) for name, t, lab, u in read_dat_displacements(run.dat)
                        if name == "NALL"]
    u = ours[np.searchsorted(cut.node_ids, labels)]
    rel = np.abs(u - u_ccx).max() / np.abs(u).max()
    print(f"max |ours - ccx| / max |u| = {rel:.2e}")
    assert abs(u_ccx[np.searchsorted(labels, cut.node_ids[tip]), 1]
               - 3.0 * u_ccx[np.searchsorted(labels, cut.node_ids[q]), 1]) < 1e-5 * np.abs(u).max()
    assert rel <= 1e-5
