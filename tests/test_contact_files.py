"""Interfaces from model files: TOML validation and the solve command end to end."""

import json

import meshio
import pytest
from contact_helpers import BLOCKS_MODEL_TOML as MODEL
from contact_helpers import stacked_blocks

from fea.cli import main
from fea.config import load_model
from fea.errors import ConfigError

LOADCASE = """
[loadcase]
name = "push"
[[steps]]
name = "preload"
[[steps.loads]]
surface = "upper_zmax"
total_force_N = [0.0, 0.0, -40.0]
[[steps]]
name = "shear"
increments = 2
[[steps.loads]]
surface = "upper_xmin"
total_force_N = [5.0, 0.0, 0.0]
"""


@pytest.fixture()
def files(tmp_path):
    stacked_blocks(0.6, 2, conforming=True, write_to=tmp_path / "blocks.msh")
    (tmp_path / "m.toml").write_text(MODEL)
    (tmp_path / "lc.toml").write_text(LOADCASE)
    return tmp_path


def test_solve_command_with_a_frictional_interface(files):
    out = files / "out"
    rc = main(["solve", str(files / "m.toml"), "-l", str(files / "lc.toml"), "-o", str(out), "-q"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text())
    it = s["interfaces"]["implant|bone"]
    assert it["law"] == "friction" and it["mu"] == 0.8
    assert it["normal_force_N"] == pytest.approx(40.0, rel=1e-5)
    assert it["tangential_force_N"] == pytest.approx(5.0, rel=1e-5)
    assert it["slave_role"] == "implant" and it["master_role"] == "bone"
    pts = meshio.read(out / "interfaces.vtu")
    assert len(pts.points) == it["n_points"] > 0
    assert s["metrics"]["micromotion"]["implant|bone"]["peak_um"] > 0


@pytest.mark.parametrize("old,new,match", [
    ("mu = 0.8", "mu = 2.5", r"interfaces\[0\]\.mu"),
    ('law = "friction"', 'law = "glued"', r"interfaces\[0\]\.law"),
    ("mu = 0.8", "", "law 'friction' needs mu"),
    ('slave = "upper_zmin@upper"', 'slave = "upper_zmn@upper"', "Did you mean 'upper_zmin'"),
])
def test_interface_errors_name_the_key(files, old, new, match):
    p = files / "bad.toml"
    text = MODEL.replace(old, new)
    assert text != MODEL
    p.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_model(p)


def test_surface_inside_the_mesh_needs_a_side(files, capsys):
    p = files / "bad.toml"
    p.write_text(MODEL.replace("@upper", "").replace("@lower", ""))
    rc = main(["solve", str(p), "-l", str(files / "lc.toml"), "-o", str(files / "o"), "-q"])
    assert rc == 1
    assert "lies inside the mesh" in capsys.readouterr().err
    assert not (files / "o").exists()
