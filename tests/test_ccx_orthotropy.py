"""CalculiX cross-check of orthotropic and anisotropic elasticity with *ORIENTATION: our exporter's
deck (TYPE=ORTHO / ENGINEERING CONSTANTS / ANISO, rectangular and cylindrical systems) solved by
ccx 2.20 and by us, then read back by us.

The formulation is CalculiX's (the same elements and quadrature, material axes evaluated at each
quadrature point for a cylindrical system, D rotated as a fourth-order tensor), so nodal
displacements agree to ccx's printed digits: tolerance 1e-5 of the largest displacement
(measured 1.3e-7 to 3.2e-7). C3D8I on distorted elements is the known exception of
tests/test_ccx_hex.py (ccx leaves out Taylor's det J0 / det J factor of the bubble modes): 0.5 %
there, 1e-5 on undistorted bricks.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from fea.abaqus import read_deck, write_deck
from fea.abaqus.ccx import read_dat_displacements, run_ccx
from fea.anisotropy import (AnisotropicElastic, Orientation, aniso_constants, ortho_constants,
                            rotate_stiffness)
from fea.linsolve import SolverSettings
from fea.model import LoadCase, Model, Pressure, Section, Step, Support, SurfaceForce
from fea.static import solve
from helpers import hex_box, structured_box

pytestmark = [pytest.mark.ccx,
              pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")]
TOL = 1e-5
DIRECT = SolverSettings(backend="direct")
ENG = (9000.0, 14000.0, 21000.0, 0.32, 0.21, 0.27, 4100.0, 5200.0, 6300.0)


def _material(kind: str) -> AnisotropicElastic:
    eng = AnisotropicElastic("bone", "engineering", ENG)
    if kind == "engineering":
        return eng
    if kind == "ortho":
        return AnisotropicElastic("bone", "ortho", ortho_constants(eng.C))
    # a fully anisotropic C: the orthotropic one seen in a rotated frame
    C = rotate_stiffness(eng.C, Orientation("t", "rectangular", (1, 0.4, 0.2),
                                            (-0.5, 1, 0.3)).axes())[0]
    return AnisotropicElastic("bone", "aniso", aniso_constants(C))


ORIENTATIONS = {
    "none": None,
    "rectangular": Orientation("RECT", "rectangular", (0.6, 0.8, 0.0), (-0.2, 0.3, 1.0)),
    "rect_rotated": Orientation("RROT", "rectangular", (0.0, 1.0, 0.0), (0.0, 0.0, 1.0),
                                (1, 30.0)),
    "cylindrical": Orientation("CYL", "cylindrical", (0.0, 3.0, -3.0), (40.0, 4.0, -1.0)),
    # the axis through the centroids of a row of bricks: C3D8R's one point lies on it, where
    # the radial direction is CalculiX's convention (transformatrix.f)
    "cyl_on_axis": Orientation("CYLA", "cylindrical", (0.0, 1.5, 1.5), (40.0, 1.5, 1.5)),
}


def _mesh(etype: str, jitter: float):
    if etype == "C3D10":
        return structured_box((8, 2, 2), (40.0, 6.0, 6.0), jitter=jitter).to_tet10()
    return hex_box((8, 2, 2), size=(40.0, 6.0, 6.0), cell_type=etype, jitter=jitter)


CASES = [(e, k, o, 0.15, TOL) for e, k, o in [
    ("C3D10", "ortho", "rectangular"), ("C3D10", "engineering", "cylindrical"),
    ("C3D10", "aniso", "none"), ("C3D8", "engineering", "cylindrical"),
    ("C3D8", "ortho", "rect_rotated"), ("C3D20", "aniso", "rectangular"),
    ("C3D20", "ortho", "cylindrical"), ("C3D20R", "engineering", "rectangular")]] + [
    ("C3D8I", "engineering", "cylindrical", 0.0, TOL),
    ("C3D8I", "engineering", "cylindrical", 0.15, 5e-3),
    ("C3D8R", "engineering", "rect_rotated", 0.0, TOL), ("C3D8R", "aniso", "cylindrical", 0.0, TOL),
    ("C3D8R", "engineering", "cyl_on_axis", 0.0, TOL)]


@pytest.mark.parametrize("etype, kind, orient, jitter, tol", CASES)
def test_ccx_orthotropic_deck(tmp_path, etype, kind, orient, jitter, tol):
    model = Model("ortho_check", _mesh(etype, jitter), {"bone": _material(kind)},
                  [Section("body", "bone", orientation=ORIENTATIONS[orient])],
                  [Support("xmin", name="clamp")])
    lc = LoadCase("bend", [Step("bend", [SurfaceForce("xmax", np.array([30.0, -40.0, -200.0])),
                                         Pressure("ymax", 0.5)])])
    deck = tmp_path / "job.inp"
    write_deck(model, lc, deck)
    text = deck.read_text()
    assert "*ELASTIC, TYPE=" in text and (orient == "none") == ("*ORIENTATION" not in text)
    run = run_ccx(deck, threads=2)
    ours = solve(model, lc, DIRECT)
    (labels, u_ccx), = [(lab, u) for name, t, lab, u in read_dat_displacements(run.dat)
                        if name == "NALL"]
    mesh = model.mesh
    u = ours.displacement()[np.searchsorted(mesh.node_ids, labels)]
    rel = float(np.abs(u - u_ccx).max() / np.abs(u).max())
    print(f"{etype} {kind} {orient}: max |ours - ccx| / max |u| = {rel:.2e}")
    assert np.abs(u).max() > 1e-2
    assert rel <= tol
    back = read_deck(deck)
    again = solve(back.model, back.loadcase, DIRECT)
    assert np.abs(again.displacement() - ours.displacement()).max() \
        <= 1e-12 * np.abs(ours.displacement()).max()
