"""Per-element material orientations (*DISTRIBUTION named on an *ORIENTATION, CalculiX 2.20's
distributions.f): the same answer as one section per element with its own orientation (1e-12),
written back by export and solved by ccx to its printed digits (1e-5 of max |u|)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from fea.abaqus import read_deck, write_deck
from fea.abaqus.ccx import read_dat_displacements, run_ccx
from fea.anisotropy import AnisotropicElastic, DistributedOrientation, Orientation
from fea.linsolve import SolverSettings
from fea.model import LoadCase, Model, Pressure, Section, Step, Support, SurfaceForce
from fea.static import solve
from helpers import CUBE_NODES, deck_error, hex_box

DIRECT = SolverSettings(backend="direct")
ENG = (9000.0, 14000.0, 21000.0, 0.32, 0.21, 0.27, 4100.0, 5200.0, 6300.0)
LOAD = LoadCase("bend", [Step("bend", [SurfaceForce("xmax", np.array([30.0, -40.0, -200.0])),
                                       Pressure("ymax", 0.5)])])


def _mesh(etype="C3D8"):
    return hex_box((8, 2, 2), size=(40.0, 6.0, 6.0), cell_type=etype, jitter=0.15)


def _entries(mesh, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Every element but those of the first column its own (a, b): rectangular, fibres turned
    about z by 15 degrees per column; cylindrical, an axis along x moved and tilted per column."""
    x = mesh.nodes[mesh.cells[:, :8]].mean(axis=1)
    cells = np.flatnonzero(x[:, 0] > 5.0)
    col = np.floor(x[cells, 0] / 5.0)
    if system == "rectangular":
        t = np.radians(15.0 * col)
        ab = np.column_stack([np.cos(t), np.sin(t), 0 * t, -np.sin(t), np.cos(t), 0.3 + 0 * t])
    else:
        ab = np.column_stack([0 * col, 1.0 + 3.0 * col, -3.0 + 2.0 * col,
                              40.0 + 0 * col, 4.0 + 5.0 * col, -1.0 - 5.0 * col])
    return cells, ab


DEFAULT = {"rectangular": (0.6, 0.8, 0.0, -0.2, 0.3, 1.0),
           "cylindrical": (0.0, 3.0, -3.0, 40.0, 4.0, -1.0)}


def _distributed(mesh, system: str, rotation=None) -> DistributedOrientation:
    cells, ab = _entries(mesh, system)
    d = DEFAULT[system]
    return DistributedOrientation("fib", system, d[:3], d[3:], rotation, cells, ab, "fib_d")


def _model(mesh, sections) -> Model:
    return Model("dist", mesh, {"bone": AnisotropicElastic("bone", "engineering", ENG)},
                 sections, [Support("xmin", name="clamp")])


@pytest.mark.parametrize("system, rotation", [("rectangular", None), ("rectangular", (3, 25.0)),
                                              ("cylindrical", None)])
def test_distribution_equals_one_section_per_element(system, rotation):
    mesh = _mesh()
    o = _distributed(mesh, system, rotation)
    ours = solve(_model(mesh, [Section("body", "bone", orientation=o)]), LOAD, DIRECT)
    entry = {int(c): ab for c, ab in zip(o.cells, o.ab)}
    split = _mesh()  # the same mesh (fixed jitter seed), one cell set per element
    sections = []
    for c in range(mesh.n_cells):
        split.cell_sets[f"e{c}"] = np.array([c])
        ab = entry.get(c, np.array([*o.a, *o.b]))
        sections.append(Section(f"e{c}", "bone", orientation=Orientation(
            f"o{c}", system, tuple(ab[:3]), tuple(ab[3:]), rotation)))
    ref = solve(_model(split, sections), LOAD, DIRECT)
    u, u_ref = ours.displacement(), ref.displacement()
    assert np.abs(u - u_ref).max() <= 1e-12 * np.abs(u_ref).max()
    # the per-element axes matter: the plain default orientation differs by more than 1 %
    plain = solve(_model(mesh, [Section("body", "bone", orientation=Orientation(
        "d", system, o.a, o.b, rotation))]), LOAD, DIRECT).displacement()
    assert np.abs(plain - u_ref).max() > 1e-2 * np.abs(u_ref).max()


@pytest.mark.ccx
@pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
@pytest.mark.parametrize("etype, system, rotation", [("C3D8", "rectangular", None),
                                                     ("C3D8", "rectangular", (1, 30.0)),
                                                     ("C3D20R", "cylindrical", None)])
def test_ccx_distributed_orientation(tmp_path, etype, system, rotation):
    """The exported deck (*DISTRIBUTION TABLE, *DISTRIBUTION with a default line and one line
    per element, *ORIENTATION naming it; a rotation is written as turned axes) solved by ccx
    2.20 agrees to 1e-5 of max |u| (measured 2.0e-7 / 2.4e-7 without a rotation); read back,
    it gives the same solution (1e-12)."""
    mesh = _mesh(etype)
    model = _model(mesh, [Section("body", "bone", orientation=_distributed(mesh, system,
                                                                           rotation))])
    deck = tmp_path / "job.inp"
    write_deck(model, LOAD, deck)
    text = deck.read_text()
    assert re.search(r"^\*DISTRIBUTION, NAME=fib_distribution", text, re.M)
    assert re.search(r"^\*ORIENTATION, NAME=fib, SYSTEM=\w+\nfib_distribution\n", text, re.M)
    ours = solve(model, LOAD, DIRECT)
    run = run_ccx(deck, threads=2)
    (labels, u_ccx), = [(lab, u) for name, _, lab, u in read_dat_displacements(run.dat)
                        if name == "NALL"]
    u = ours.displacement()[np.searchsorted(mesh.node_ids, labels)]
    rel = float(np.abs(u - u_ccx).max() / np.abs(u).max())
    print(f"{etype} {system} distribution: max |ours - ccx| / max |u| = {rel:.2e}")
    assert rel <= 1e-5
    back = read_deck(deck)
    o = back.model.sections[0].orientation
    assert isinstance(o, DistributedOrientation) and len(o.cells) == len(_entries(mesh,
                                                                                   system)[0])
    again = solve(back.model, back.loadcase, DIRECT).displacement()
    assert np.abs(again - ours.displacement()).max() <= 1e-12 * np.abs(u).max()


@pytest.mark.ccx
@pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
def test_ccx_turns_later_distribution_entries_by_almost_nothing(tmp_path):
    """Why export writes turned axes instead of the rotation line: given '1, 30.' under an
    *ORIENTATION naming a distribution, ccx 2.20 turns the distribution's first entry by 30
    degrees and the others by almost nothing (its orientations.f converts the angle to radians
    again inside its loop over the entries): its answer is ours with those angles (1e-5), and
    1 % off ours with every entry turned by 30 degrees."""
    mesh = _mesh()
    plain = _distributed(mesh, "rectangular")
    deck = tmp_path / "job.inp"
    write_deck(_model(mesh, [Section("body", "bone", orientation=plain)]), LOAD, deck)
    deck.write_text(deck.read_text().replace("fib_distribution\n*", "fib_distribution\n1, 30.\n*"))
    (labels, u_ccx), = [(lab, u) for name, _, lab, u in
                        read_dat_displacements(run_ccx(deck, threads=2).dat) if name == "NALL"]
    # entry k (k = 1 the default line, then the element lines in order) is turned by
    # 30 (pi / 180)^k radians: 30 degrees, then 0.52, 0.009, ... degrees
    entries = np.vstack([[*plain.a, *plain.b], plain.ab])
    turned = np.array([np.concatenate(Orientation(
        "e", "rectangular", tuple(ab[:3]), tuple(ab[3:]),
        (1, np.degrees(30.0 * (np.pi / 180) ** k))).axes()[0].T[:2]) for k, ab in
        enumerate(entries, 1)])
    ccx_like = DistributedOrientation("fib", "rectangular", tuple(turned[0, :3]),
                                      tuple(turned[0, 3:]), None, plain.cells, turned[1:],
                                      "fib_d")
    everywhere = _distributed(mesh, "rectangular", (1, 30.0))
    pos = np.searchsorted(mesh.node_ids, labels)
    rel = []
    for o in (ccx_like, everywhere):
        u = solve(_model(mesh, [Section("body", "bone", orientation=o)]), LOAD,
                  DIRECT).displacement()[pos]
        rel.append(float(np.abs(u - u_ccx).max() / np.abs(u).max()))
    print(f"ccx against ccx's angles: {rel[0]:.2e}, against all turned: {rel[1]:.2e}")
    assert rel[0] <= 1e-5 and rel[1] > 1e-3


CUBE = CUBE_NODES + """*ELEMENT, TYPE=C3D8, ELSET=body
1, 1, 2, 3, 4, 5, 6, 7, 8
*MATERIAL, NAME=m
*ELASTIC, TYPE=ENGINEERING CONSTANTS
9000., 14000., 21000., 0.32, 0.21, 0.27, 4100., 5200.
6300.
{dist}*SOLID SECTION, ELSET=body, MATERIAL=m, ORIENTATION=ori
*BOUNDARY
1, 1, 3
"""
GOOD_DIST = "*DISTRIBUTION, NAME=d\n, 1, 0, 0, 0, 1, 0\n1, 0, 1, 0, -1, 0, 0\n"


def test_good_distribution_deck_reads(tmp_path):
    deck = tmp_path / "d.inp"
    deck.write_text(CUBE.format(dist=GOOD_DIST + "*ORIENTATION, NAME=ori\nd\n"))
    o = read_deck(deck).model.sections[0].orientation
    R = o.axes(np.zeros((1, 3)), np.array([0]))[0]
    assert np.allclose(R[:, 0], [0, 1, 0]) and np.allclose(R[:, 1], [-1, 0, 0])


@pytest.mark.parametrize("dist, line, expect", [
    (GOOD_DIST + "*ORIENTATION, NAME=ori\nnope\n", 20, r"distribution 'nope' is not defined"),
    ("*DISTRIBUTION, NAME=d\n7, 1, 0, 0, 0, 1, 0\n*ORIENTATION, NAME=ori\nd\n", 17,
     r"element 7 is not defined"),
    ("*DISTRIBUTION, NAME=d\nhead, 1, 0, 0, 0, 1, 0\n*ORIENTATION, NAME=ori\nd\n", 17,
     r"element set 'head' is not defined"),
    ("*DISTRIBUTION, NAME=d\n1, 1, 0, 0, 2, 0, 0\n*ORIENTATION, NAME=ori\nd\n", 17,
     r"a must be non-zero and b not parallel"),
    ("*DISTRIBUTION, NAME=d\n1, 1, 0, 0, 0, x, 0\n*ORIENTATION, NAME=ori\nd\n", 17,
     r"must be numbers"),
    ("*DISTRIBUTION, NAME=d\n1, 1, 0, 0, 0, 1\n*ORIENTATION, NAME=ori\nd\n", 17,
     r"a line is 'element or element set, a1"),
    ("*DISTRIBUTION, NAME=d, LOCATION=NODE\n1, 1, 0, 0, 0, 1, 0\n*ORIENTATION, NAME=ori\nd\n",
     16, r"LOCATION=NODE is not supported"),
    (GOOD_DIST + "*ORIENTATION, NAME=ori, SYSTEM=C\nd\n3, 10.\n", 21,
     r"rotation is only allowed for rectangular"),
    (GOOD_DIST + "*ORIENTATION, NAME=ori\nd\n4, 10.\n", 20, r"rotation axis is 1, 2 or 3"),
])
def test_bad_distribution_names_file_and_line(tmp_path, dist, line, expect):
    msg = deck_error(tmp_path / "d.inp", CUBE.format(dist=dist))
    assert re.search(rf"d\.inp, line {line}: \*(DISTRIBUTION|ORIENTATION|SOLID SECTION)",
                     msg), msg
    assert re.search(expect, msg), msg
