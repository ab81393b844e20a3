"""Patient geometry from surfaces: a closed STL meshes inside its surface, an open one is refused
with a message naming the file, touching bodies get interface face sets."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import ConfigError, MeshError
from fea.geometry.registry import build
from fea.geometry.stl import write_stl

CUBE_TRI = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
                     [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]])


def cube(origin, edge):
    o = np.asarray(origin, float)
    pts = o + edge * np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
                               [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], float)
    return pts, CUBE_TRI


def test_closed_surfaces_mesh_with_interfaces_and_named_surfaces(tmp_path):
    write_stl(tmp_path / "lower.stl", *cube((0, 0, 0), 10.0))
    write_stl(tmp_path / "upper.stl", *cube((2, 2, 10), 6.0))
    mesh = build("surfaces", {
        "bodies": {"lower": "lower.stl", "upper": "upper.stl"}, "model_dir": str(tmp_path),
        "named_surfaces": {"base": {"body": "lower", "box_mm": [-1, -1, -1, 11, 11, 0.1],
                                    "normal": [0, 0, -1]}},
    }, 2.5, 2)
    assert abs(mesh.volume("lower") - 1000.0) < 1e-6 * 1000
    assert abs(mesh.volume("upper") - 216.0) < 1e-6 * 216
    # the 6 x 6 mm contact patch is found on both sides, each side on its own body; the meshes
    # do not match, so the larger face's patch is exact only up to the triangles on its rim
    for side, body, tol in (("lower|upper@lower", "lower", 0.15), ("lower|upper@upper", "upper",
                                                                     1e-9)):
        fs = mesh.face_sets[side]
        assert np.isin(fs[:, 0], mesh.cell_sets[body]).all()
        x = mesh.nodes[mesh.face_connectivity(fs, corners_only=True)]
        assert np.allclose(x[:, :, 2], 10.0), side
        area = 0.5 * np.linalg.norm(np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]), axis=1).sum()
        assert abs(area - 36.0) <= tol * 36.0, (side, area)
    assert "lower_surface" in mesh.face_sets and "upper_surface" in mesh.face_sets
    base = mesh.face_sets["base"]
    assert np.allclose(mesh.nodes[mesh.face_connectivity(base)][:, :, 2], 0.0)


def test_open_surface_is_refused_naming_the_file(tmp_path):
    pts, tri = cube((0, 0, 0), 10.0)
    write_stl(tmp_path / "holey.stl", pts, tri[:-1])  # one triangle missing
    with pytest.raises(MeshError, match=r"holey\.stl: the surface is not closed.*3 open edge"):
        build("surfaces", {"bodies": {"bone": "holey.stl"}, "model_dir": str(tmp_path)}, 3.0, 1)


def test_missing_file_and_bad_selection_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"bodies\.C3: file 'nope\.stl' not found"):
        build("surfaces", {"bodies": {"C3": "nope.stl"}, "model_dir": str(tmp_path)}, 3.0, 1)
    write_stl(tmp_path / "c.stl", *cube((0, 0, 0), 10.0))
    with pytest.raises(ConfigError, match=r"named_surfaces\.top: selects no face"):
        build("surfaces", {"bodies": {"C3": "c.stl"}, "model_dir": str(tmp_path),
                           "named_surfaces": {"top": {"body": "C3",
                                                      "box_mm": [0, 0, 20, 1, 1, 21]}}},
              3.0, 1)


def test_patient_geometry_tutorial_meshes(tmp_path, monkeypatch):
    """docs/patient_geometry.md at a coarse size: export the c2_avb bodies as STL, import them
    with its model file; the bodies and interface sets it describes (tests/test_tutorial.py runs
    the whole tutorial, solve included, as written)."""
    import re
    from pathlib import Path

    from fea.cli import main
    from fea.config import load_model

    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs/patient_geometry.md").read_text()
    toml = re.search(r"```toml\n(.*?)```", doc, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    assert main(["mesh", str(root / "models/examples/c2_avb_boxes.toml"), "--variant", "no_rods",
                 "--size", "8", "--order", "1", "--out", "mesh", "--export-stl", "stl",
                 "--no-picture", "--cache", str(tmp_path / "cache")]) == 0
    assert {"AVB.stl", "C1.stl", "C3.stl"} <= {p.name for p in (tmp_path / "stl").iterdir()}
    (tmp_path / "patient_avb.toml").write_text(toml.replace("size_mm = 4.0", "size_mm = 6.0"))
    model = load_model(tmp_path / "patient_avb.toml")
    mesh = model.mesh
    for body, cm3 in (("C1", 9.5), ("C3", 8.0), ("AVB", 6.9)):  # the volumes the doc states
        assert abs(mesh.volume(body) / 1000 - cm3) < 0.35, body
    for it in model.interfaces:
        for side in (it.slave, it.master):
            body = side.partition("@")[2]
            faces = mesh.face_sets[side]  # the builder names both sides explicitly
            assert len(faces) > 10 and np.isin(faces[:, 0], mesh.cell_sets[body]).all(), side


def _write_step(path, lo, hi):
    from fea.gmsh_session import gmsh_session

    with gmsh_session() as gmsh:
        gmsh.model.add("step")
        gmsh.model.occ.addBox(*lo, *(np.asarray(hi) - np.asarray(lo)))
        gmsh.model.occ.synchronize()
        gmsh.write(str(path))


def test_step_bodies_are_fragmented_into_a_conforming_pair(tmp_path):
    _write_step(tmp_path / "block.step", (0, 0, 0), (10, 10, 5))
    _write_step(tmp_path / "cage.step", (2, 2, 5), (8, 8, 9))
    mesh = build("surfaces", {"bodies": {"block": "block.step", "cage": "cage.step"},
                              "model_dir": str(tmp_path)}, 2.0, 2)
    assert abs(mesh.volume("block") - 500.0) < 1e-6 * 500
    assert abs(mesh.volume("cage") - 144.0) < 1e-6 * 144
    a, b = mesh.face_sets["block|cage@block"], mesh.face_sets["block|cage@cage"]
    assert np.isin(a[:, 0], mesh.cell_sets["block"]).all()
    assert np.isin(b[:, 0], mesh.cell_sets["cage"]).all()
    # conforming: the same nodes on both sides (STEP bodies share their contact faces)
    assert np.array_equal(np.unique(mesh.face_connectivity(a)),
                          np.unique(mesh.face_connectivity(b)))
