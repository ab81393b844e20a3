"""Contact and ties on quadrilateral faces (QUAD4 of C3D8 / C3D8I, QUAD8 of C3D20 / C3D20R) as
slave and master surfaces (fea.contact.pairing).

Exact check: two hexahedral blocks with matching faces (separate nodes) pressed by 1 MPa through
a frictionless penalty law (K 200 N/mm^3): pressure 1 MPa and overclosure 1 / K at every point.
CalculiX 2.20 on the exported deck, read back by us: non-matching blocks (4 x 4 faces on 3 x 3)
pressed (frictionless penalty) and pressed then pulled (friction, mu 0.5, stick slope 400),
nodal displacements within 0.5 % of the largest (measured 0.16-0.21 %: our points integrate the
master's shape functions, ccx the face intersections; the points per quad face are chosen from
this convergence, fea/contact/pairing.py); a tet bar tied to a hex bar's QUAD4 / QUAD8 faces
(hex side master): ccx's tie is the same node-to-face constraint.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from contact_helpers import block_rollers, ccx_agreement
from helpers import hex_box, structured_box

from fea.contact.term import ContactAnalysis
from fea.materials import LinearElastic
from fea.mesh import Mesh
from fea.model import Interface, LoadCase, Model, Pressure, Section, Step, Support

needs_ccx = pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
MATS = {"base": LinearElastic("base", 1000.0, 0.3), "block": LinearElastic("block", 3000.0, 0.2)}
K, STICK, MU = 200.0, 400.0, 0.5
TOL = 5e-3
PRESS = LoadCase("press", [Step("press", [Pressure("upper_zmax", 1.0)])])


def hex_blocks(cell_type: str, n_low=(4, 4, 2), n_up=(3, 3, 2)) -> Mesh:
    """Lower block [0,2]^2 x [-1,0], upper [0,2]^2 x [0,1] of hexahedra with their own nodes;
    cell sets lower / upper, face sets lower_* / upper_* as stacked_blocks."""
    low = hex_box(n_low, (2.0, 2.0, 1.0), cell_type)
    up = hex_box(n_up, (2.0, 2.0, 1.0), cell_type)
    off, coff = low.n_nodes, low.n_cells
    fs = {f"lower_{k}": v for k, v in low.face_sets.items()}
    fs.update({f"upper_{k}": v + [coff, 0] for k, v in up.face_sets.items()})
    return Mesh(np.vstack([low.nodes - [0, 0, 1.0], up.nodes]),
                np.vstack([low.cells, up.cells + off]),
                {"lower": np.arange(coff), "upper": coff + np.arange(up.n_cells)}, fs,
                cell_type=cell_type)


def _model(mesh, supports, law="frictionless", mu=0.0, stick=None) -> Model:
    return Model("quads", mesh, dict(MATS), [Section("lower", "base"), Section("upper", "block")],
                 supports, {}, [Interface("if", "upper_zmin", "lower_zmax", law, mu, 0.0, K,
                                          stick)])


@pytest.mark.ccx
@needs_ccx
@pytest.mark.parametrize("cell_type", ["C3D8", "C3D8I", "C3D20", "C3D20R"])
def test_ccx_penalty_contact_on_non_matching_quad_faces(cell_type, tmp_path):
    rel = ccx_agreement(tmp_path, _model(hex_blocks(cell_type), block_rollers()), PRESS)
    print(f"\n{cell_type} frictionless penalty: max |ours - ccx| / max |u| = {rel[0]:.2e}")
    assert rel[0] <= TOL


@pytest.mark.ccx
@needs_ccx
@pytest.mark.parametrize("cell_type", ["C3D8I", "C3D20"])
def test_ccx_friction_press_and_pull_on_quad_faces(cell_type, tmp_path):
    lc = LoadCase("press_pull", [
        Step("press", [Pressure("upper_zmax", 1.0)]),
        Step("pull", [], [Support("upper_xmin", (0,), (0.003,))], increments=2)])
    rel = ccx_agreement(tmp_path, _model(hex_blocks(cell_type), [Support("lower_zmin")],
                                         "friction", MU, STICK), lc)
    print(f"\n{cell_type} friction press, pull: max |ours - ccx| / max |u| per step = "
          f"{', '.join(f'{r:.2e}' for r in rel)}")
    assert max(rel) <= TOL


@pytest.mark.ccx
@needs_ccx
@pytest.mark.parametrize("hex_type", ["C3D8", "C3D20"])
def test_ccx_tet_tied_onto_hex_master(hex_type, tmp_path):
    """A C3D4 bar's end (slave nodes) tied to a C3D8 / C3D20 bar's end faces (master), pulled
    off-axis; the supports on the hex body, so that no slave node is supported."""
    from fea.abaqus import write_deck
    from fea.abaqus.ccx import read_dat_displacements, run_ccx
    from fea.linsolve import SolverSettings
    from fea.solve_case import solve_case
    from fea.model import SurfaceForce

    hx = hex_box((2, 2, 2), size=(2.0, 1.0, 1.0), cell_type=hex_type)
    tt = structured_box((2, 4, 4), size=(2.0, 1.0, 1.0))
    nh, mh = hx.n_nodes, hx.n_cells
    fs = {f"hex_{k}": v for k, v in hx.face_sets.items()}
    fs.update({f"tet_{k}": v + [mh, 0] for k, v in tt.face_sets.items()})
    mesh = Mesh(np.vstack([hx.nodes, tt.nodes + [2.0, 0, 0]]),
                [(hex_type, hx.cells), ("C3D4", tt.cells + nh)],
                cell_sets={"hexes": np.arange(mh), "tets": mh + np.arange(tt.n_cells)},
                face_sets=fs)
    model = Model("tie", mesh, {"m": LinearElastic("m", 1000.0, 0.3)},
                  [Section("hexes", "m"), Section("tets", "m")],
                  [Support("hex_xmin", (0,)), Support("hex_ymin", (1,)), Support("hex_zmin", (2,))],
                  interfaces=[Interface("glue", "tet_xmin", "hex_xmax", "tied")])
    lc = LoadCase("pull", [Step("s", [SurfaceForce("tet_xmax", np.array([1.0, 0.2, 0.1]))])])
    deck = tmp_path / "job.inp"
    write_deck(model, lc, deck)
    assert "*TIE" in deck.read_text()
    run = run_ccx(deck, threads=2)
    ours = solve_case(model, lc, SolverSettings(backend="direct")).result
    (labels, u_ccx), = [(lab, u) for name, t, lab, u in read_dat_displacements(run.dat)
                        if name == "NALL"]
    u = ours.displacement()[np.searchsorted(mesh.node_ids, labels)]
    rel = float(np.abs(u - u_ccx).max() / np.abs(u).max())
    print(f"\ntet on {hex_type} master tie: max |ours - ccx| / max |u| = {rel:.2e}")
    assert rel <= 1e-5  # the same constraint: ccx's printed digits


def wedge_blocks(cell_type: str, n_left=(2, 4, 4), n_right=(2, 3, 3)) -> Mesh:
    """Wedge blocks side by side in x ([-1,0] and [0,1], x 2 x 2), their own nodes, touching on
    the wedges' quadrilateral side faces; cell sets left / right, face sets left_* / right_*."""
    from helpers import wedge_box

    a = wedge_box(n_left, (1.0, 2.0, 2.0), cell_type)
    b = wedge_box(n_right, (1.0, 2.0, 2.0), cell_type)
    off, coff = a.n_nodes, a.n_cells
    fs = {f"left_{k}": v for k, v in a.face_sets.items()}
    fs.update({f"right_{k}": v + [coff, 0] for k, v in b.face_sets.items()})
    return Mesh(np.vstack([a.nodes - [1.0, 0, 0], b.nodes]), np.vstack([a.cells, b.cells + off]),
                {"left": np.arange(coff), "right": coff + np.arange(b.n_cells)}, fs,
                cell_type=cell_type)


def _wedge_model(mesh) -> Model:
    rollers = [Support("left_xmin", (0,))] + [Support(f"{s}_{a}min", (d,))
                                                for s in ("left", "right")
                                                for a, d in (("y", 1), ("z", 2))]
    return Model("wedges", mesh, dict(MATS), [Section("left", "base"), Section("right", "block")],
                 rollers, {}, [Interface("if", "right_xmin", "left_xmax", "frictionless", 0.0,
                                         0.0, K)])


WEDGE_PUSH = LoadCase("push", [Step("push", [Pressure("right_xmax", 1.0)])])


@pytest.mark.ccx
@needs_ccx
@pytest.mark.parametrize("cell_type", ["C3D6", "C3D15"])
def test_ccx_penalty_contact_on_wedge_quad_faces(cell_type, tmp_path):
    rel = ccx_agreement(tmp_path, _wedge_model(wedge_blocks(cell_type)), WEDGE_PUSH)
    print(f"\n{cell_type} quad faces, frictionless penalty: max |ours - ccx| / max |u| = "
          f"{rel[0]:.2e}")
    assert rel[0] <= TOL


@pytest.mark.parametrize("cell_type", ["C3D8", "C3D20", "C3D6", "C3D15"])
def test_matching_quad_faces_pressure_and_overclosure_exact(cell_type):
    """Hex blocks on their QUAD faces, wedge blocks on their quad side faces, matching meshes."""
    if cell_type in ("C3D6", "C3D15"):
        model, lc = _wedge_model(wedge_blocks(cell_type, (2, 3, 3), (2, 3, 3))), WEDGE_PUSH
    else:
        model, lc = _model(hex_blocks(cell_type, (3, 3, 2), (3, 3, 2)), block_rollers()), PRESS
    res = ContactAnalysis(model).run(lc)
    c = res.final.contact
    assert res.converged and len(c["pressure"]) > 0
    assert np.abs(c["pressure"] - 1.0).max() < 1e-8
    assert np.abs(c["g"][:, 0] + 1.0 / K).max() < 1e-8 / K
