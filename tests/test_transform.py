"""*TRANSFORM (local nodal axes, fea.transforms): supports and nodal forces in local axes.

Analytic checks on linear displacement fields (exact for C3D8, so to 1e-10):
- a box turned in space, held by rollers on its three inclined back faces (local dof 1, 2, 3 =
  0 in a rectangular system along its edges), pulled along its own axis by a prescribed local
  displacement or by local nodal forces: uniaxial stress, u' = (d x'/L, -nu d y'/L, -nu d z'/L);
- a box whose side nodes get u_r = eps r and u_theta = 0 in a cylindrical system: a uniform
  in-plane expansion, u = eps (x, y) in the plane and eps_zz = -2 nu eps / (1 - nu) along z.
Bad input stops with the deck's file and line.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from fea.abaqus import read_deck, write_deck
from fea.abaqus.ccx import read_dat_displacements, run_ccx
from fea.anisotropy import Orientation
from fea.errors import ConfigError, FeaError
from fea.linsolve import SolverSettings
from fea.materials import LinearElastic
from fea.mesh import Mesh
from fea.model import LoadCase, Model, NodalForce, Pressure, Section, Step, Support
from fea.static import solve
from fea.transforms import Transform, node_frames
from helpers import hex_box

DIRECT = SolverSettings(backend="direct")
E, NU = 2000.0, 0.3
SIZE = (10.0, 4.0, 3.0)


def _axes() -> np.ndarray:
    """A rectangular system tilted in all three planes (CalculiX's a, b construction)."""
    o = Orientation("t", "rectangular", (1.0, 1.0, 0.5), (-1.0, 1.0, 0.3))
    return o.axes()[0]


def turned_box(cell_type="C3D8") -> tuple[Model, np.ndarray]:
    """hex_box with its points turned into the tilted axes: node x = R x'."""
    R = _axes()
    box = hex_box((5, 2, 2), SIZE, cell_type, jitter=0.15)
    mesh = Mesh(box.nodes @ R.T, box.cells, cell_sets=box.cell_sets, face_sets=box.face_sets,
                cell_type=cell_type)
    mesh.node_sets["all"] = np.arange(mesh.n_nodes)
    model = Model("turned", mesh, {"m": LinearElastic("m", E, NU)}, [Section("body", "m")])
    model.transforms = [Transform("all", Orientation("tr", "rectangular", tuple(R[:, 0]),
                                                     tuple(R[:, 1])))]
    # rollers on the inclined faces x' = 0, y' = 0, z' = 0: each holds its local normal
    model.supports = [Support("xmin", (0,)), Support("ymin", (1,)), Support("zmin", (2,))]
    return model, R


def _uniaxial(mesh, R, strain):
    xl = mesh.nodes @ R  # local coordinates x'
    ul = np.stack([strain * xl[:, 0], -NU * strain * xl[:, 1], -NU * strain * xl[:, 2]], 1)
    return ul @ R.T  # back to global axes


def test_inclined_rollers_prescribed_local_displacement():
    model, R = turned_box()
    d = 0.02
    lc = LoadCase("pull", [Step("pull", displacements=[Support("xmax", (0,), (d,))])])
    res = solve(model, lc, DIRECT)
    u = res.displacement()
    exact = _uniaxial(model.mesh, R, d / SIZE[0])
    assert np.abs(u - exact).max() <= 1e-10 * np.abs(exact).max()
    # reactions come back in global axes: the pulled face carries E A d / L along axis X'
    state = res.states[-1]
    F = state.reaction[: 3 * model.mesh.n_nodes].reshape(-1, 3)[model.mesh.nodes_of("xmax")]
    expect = E * SIZE[1] * SIZE[2] * d / SIZE[0] * R[:, 0]
    assert np.abs(F.sum(axis=0) - expect).max() <= 1e-9 * np.linalg.norm(expect)


def test_local_nodal_forces_and_deck_round_trip(tmp_path):
    """Nodal forces along local X' on the x' = L face (each node its share of a uniform
    traction): the same uniaxial field; written by export and read back, the same answer."""
    model, R = turned_box()
    mesh = model.mesh
    sigma = 5.0
    faces = mesh.face_connectivity(mesh.face_sets["xmax"], corners_only=True)
    share = np.zeros(mesh.n_nodes)
    xl = mesh.nodes @ R
    for f in faces:  # four corners a face, each a quarter of its area (a flat rectangle)
        p = xl[f]
        area = np.linalg.norm(np.cross(p[2] - p[0], p[3] - p[1])) / 2
        share[f] += area / 4
    loads = []
    for k, i in enumerate(np.flatnonzero(share)):
        mesh.node_sets[f"f{k}"] = np.array([i])
        loads.append(NodalForce(f"f{k}", np.array([sigma * share[i], 0.0, 0.0])))
    lc = LoadCase("pull", [Step("pull", loads)])
    u = solve(model, lc, DIRECT).displacement()
    exact = _uniaxial(mesh, R, sigma / E)
    assert np.abs(u - exact).max() <= 1e-10 * np.abs(exact).max()

    deck = tmp_path / "turned.inp"
    write_deck(model, lc, deck)
    text = deck.read_text()
    assert "*TRANSFORM, NSET=all, TYPE=R" in text and "GLOBAL=YES" in text
    back = read_deck(deck)
    assert len(back.model.transforms) == 1 and back.model.transforms[0].kind == "R"
    u2 = solve(back.model, back.loadcase, DIRECT).displacement()
    order = np.argsort(back.model.mesh.node_ids)
    assert np.abs(u2[order] - u).max() <= 1e-10 * np.abs(u).max()


def test_cylindrical_radial_expansion(tmp_path):
    """Side nodes of a box: u_r = eps r, u_theta = 0 (cylindrical system about the box's
    vertical centre line, TYPE=C); bottom held along the axis. A read deck, per-node values."""
    box = hex_box((3, 3, 2), (6.0, 6.0, 4.0), "C3D8", jitter=0.15)
    centre = np.array([3.0, 3.0, 0.0])
    sides = np.unique(np.concatenate([box.nodes_of(s) for s in ("xmin", "xmax", "ymin",
                                                                "ymax")]))
    bottom = box.nodes_of("zmin")
    eps = 1e-3
    r = np.linalg.norm(box.nodes[sides, :2] - centre[:2], axis=1)
    lines = ["*NODE"] + [f"{i + 1}, {x:.17g}, {y:.17g}, {z:.17g}" for i, (x, y, z) in
                         enumerate(box.nodes)]
    lines += ["*ELEMENT, TYPE=C3D8, ELSET=body"] + [
        ", ".join(str(v + 1) for v in (k, *c)) for k, c in enumerate(box.cells)]
    lines += ["*NSET, NSET=sides"] + [f"{i + 1}," for i in sides]
    lines += ["*NSET, NSET=bottom"] + [f"{i + 1}," for i in bottom]
    lines += ["*TRANSFORM, NSET=sides, TYPE=C", "3., 3., 0., 3., 3., 1.",
              "*MATERIAL, NAME=m", "*ELASTIC", f"{E}, {NU}", "*SOLID SECTION, ELSET=body, "
              "MATERIAL=m", "*BOUNDARY", "bottom, 3, 3", "sides, 2, 2",
              "*STEP", "*STATIC", "*BOUNDARY"]
    lines += [f"{i + 1}, 1, 1, {eps * ri:.17g}" for i, ri in zip(sides, r)]
    lines += ["*END STEP"]
    deck = tmp_path / "radial.inp"
    deck.write_text("\n".join(lines) + "\n")
    d = read_deck(deck)
    u = solve(d.model, d.loadcase, DIRECT).displacement()
    x = d.model.mesh.nodes
    exact = np.stack([eps * (x[:, 0] - 3.0), eps * (x[:, 1] - 3.0),
                      -2 * NU / (1 - NU) * eps * x[:, 2]], 1)
    assert np.abs(u - exact).max() <= 1e-10 * np.abs(exact).max()
    # the frames are CalculiX's: X' radial (outward), Y' = Z' x X', Z' along +z
    idx, R = node_frames(d.model)
    rad = x[idx, :2] - 3.0
    assert np.allclose(R[:, :2, 0] * np.linalg.norm(rad, axis=1)[:, None], rad)
    assert np.allclose(R[:, :, 2], [0, 0, 1])


def _deck(tmp_path, transform: str, extra: str = "") -> str:
    box = hex_box((1, 1, 1), (1.0, 1.0, 1.0), "C3D8")
    text = "*NODE\n" + "".join(f"{i + 1}, {x}, {y}, {z}\n" for i, (x, y, z) in
                               enumerate(box.nodes))
    text += "*ELEMENT, TYPE=C3D8, ELSET=body\n1, " + ", ".join(
        str(v + 1) for v in box.cells[0]) + "\n*NSET, NSET=top\n5, 6, 7, 8\n"
    text += transform + ("*MATERIAL, NAME=m\n*ELASTIC\n1000., 0.3\n*SOLID SECTION, ELSET=body, "
                         "MATERIAL=m\n") + extra
    path = tmp_path / "bad.inp"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("transform, expect", [
    ("*TRANSFORM, TYPE=R\n1, 0, 0, 0, 1, 0\n", "NSET"),
    ("*TRANSFORM, NSET=tpo\n1, 0, 0, 0, 1, 0\n", "top"),
    ("*TRANSFORM, NSET=top, TYPE=S\n1, 0, 0, 0, 1, 0\n", "TYPE"),
    ("*TRANSFORM, NSET=top\n1, 0, 0, 0, 1\n", "5 entries"),
    ("*TRANSFORM, NSET=top\n1, 0, 0, 2, 0, 0\n", "parallel"),
    ("*TRANSFORM, NSET=top, TYPE=C\n1, 1, 1, 1, 1, 1\n", "same point"),
    ("*TRANSFORM, NSET=top\n1, 0, x, 0, 1, 0\n", "six numbers"),
    ("*TRANSFORM, NSET=top\n", "data line"),
])
def test_bad_transform_names_file_and_line(tmp_path, transform, expect):
    path = _deck(tmp_path, transform)
    with pytest.raises(ConfigError) as exc:
        read_deck(path)
    msg = str(exc.value)  # the keyword is on line 14, its data line 15
    assert re.search(r"bad\.inp, line 1[45]: \*TRANSFORM", msg) and expect in msg, msg


def test_transformed_node_may_not_be_driven_by_a_coupling(tmp_path):
    """A kinematic coupling writes its surface nodes' motion in global axes: a transformed
    surface node is refused at the solve, naming the node."""
    extra = ("*NODE\n100, 0.5, 0.5, 2.0\n*SURFACE, NAME=topn, TYPE=NODE\ntop\n*COUPLING, "
             "CONSTRAINT NAME=c, REF NODE=100, SURFACE=topn\n*KINEMATIC\n1, 3\n*BOUNDARY\n"
             "1, 1, 3\n2, 2, 3\n4, 3, 3\n*STEP\n*STATIC\n*CLOAD\n100, 3, 1.0\n*END STEP\n")
    path = _deck(tmp_path, "*TRANSFORM, NSET=top\n1, 1, 0, -1, 1, 0\n", extra)
    d = read_deck(path)
    with pytest.raises(FeaError, match=r"node [5-8] .*TRANSFORM.*kinematic coupling"):
        solve(d.model, d.loadcase, DIRECT)


# ---------------------------------------------------------------- CalculiX cross-check
@pytest.mark.ccx
@pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
def test_ccx_transformed_deck(tmp_path):
    """The turned box with a cylindrical system (axis X' through the end face's centre, whose
    centre node lies on the axis) on the end nodes over the rectangular one: local nodal forces
    (radial and tangential: a twist), a pressure, then a prescribed local displacement. Our
    exported deck solved by ccx agrees to its printed digits (1e-5 of max |u|). ccx's .dat gives
    a transformed node's U in its local axes (marked 'L') unless *NODE PRINT has GLOBAL=YES,
    which the exporter writes: both are checked against our global answer."""
    model, R = turned_box()
    mesh = model.mesh
    ends = mesh.nodes_of("xmax")
    mesh.node_sets["ends"] = ends
    centre = R @ np.array([SIZE[0], SIZE[1] / 2, SIZE[2] / 2])
    model.transforms.append(Transform("ends", Orientation(
        "cyl", "cylindrical", tuple(centre - R[:, 0]), tuple(centre))))
    lc = LoadCase("mixed", [
        Step("twist", [NodalForce("ends", np.array([0.5, 2.0, 0.0])), Pressure("ymax", 0.05)]),
        Step("push", displacements=[Support("zmax", (2,), (-0.01,))]),
    ])
    deck = tmp_path / "job.inp"
    write_deck(model, lc, deck)
    ours = solve(model, lc, DIRECT)
    idx, Rn = node_frames(model)
    on_axis = np.linalg.norm(np.cross(mesh.nodes[ends] - centre, R[:, 0]), axis=1) < 1e-9
    assert on_axis.sum() == 1  # CalculiX's radial direction for a node on the axis is checked

    run = run_ccx(deck, threads=2)
    local_lines = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+L\s*$", re.M)
    assert not local_lines.search(run.dat.read_text())  # GLOBAL=YES: all global
    tables = [(t, lab, u) for name, t, lab, u in read_dat_displacements(run.dat)
              if name == "NALL"]
    rel = []
    for k, state in enumerate(ours.step_ends(), 1):
        (lab, u_ccx), = [(lab, u) for t, lab, u in tables if t == float(k)]
        u = ours.displacement(state)[np.searchsorted(mesh.node_ids, lab)]
        rel.append(float(np.abs(u - u_ccx).max() / np.abs(u).max()))
    print("max |ours - ccx| / max |u| per step:", ", ".join(f"{r:.2e}" for r in rel))
    assert max(rel) <= 1e-5

    # ccx's default .dat convention: local components, each line marked 'L'
    (tmp_path / "loc").mkdir()
    plain = tmp_path / "loc" / "job.inp"
    plain.write_text(deck.read_text().replace(", GLOBAL=YES", ""))
    text = run_ccx(plain, threads=2).dat.read_text()
    first = text[:text.find("displacements", text.find("displacements") + 1)] \
        if text.count("displacements") > 1 else text
    rows = np.array(local_lines.findall(first), float)
    assert len(rows) == len(idx)
    u1 = ours.displacement(ours.step_ends()[0])
    pos = np.searchsorted(mesh.node_ids, rows[:, 0].astype(np.int64))
    frame = np.zeros((mesh.n_nodes, 3, 3))
    frame[idx] = Rn
    expect = np.einsum("kji,kj->ki", frame[pos], u1[pos])
    assert np.abs(rows[:, 1:] - expect).max() <= 1e-5 * np.abs(u1).max()
