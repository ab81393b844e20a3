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


LAW = 'pressure_overclosure = { type = "exponential", c0_mm = 0.01, p0_MPa = 0.1 }\n'


@pytest.mark.parametrize("lines,expect", [
    ('law = "frictionless"\npressure_overclosure = { type = "linear", slope_N_per_mm3 = 200.0 }',
     ("frictionless", 200.0, None, None)),
    ('law = "frictionless"\n' + LAW, ("frictionless", None, None, "exponential")),
    ('law = "tied"\npressure_overclosure = { type = "linear", slope_N_per_mm3 = 200.0 }\n'
     'stick_slope_N_per_mm3 = 400.0', ("tied", 200.0, 400.0, None)),
    ('law = "friction"\nmu = 0.8\n' + LAW + 'stick_slope_N_per_mm3 = 50.0',
     ("friction", None, 50.0, "exponential")),
])
def test_penalty_law_from_the_model_file(files, lines, expect):
    """[[interfaces]] pressure_overclosure: CalculiX's penalty laws from a model file."""
    p = files / "law.toml"
    p.write_text(MODEL.replace('law = "friction"\nmu = 0.8\n', lines + "\n"))
    it = load_model(p).interfaces[0]
    assert (it.law, it.penalty, it.stick_slope,
            it.overclosure.kind if it.overclosure else None) == expect


@pytest.mark.parametrize("lines,match", [
    ('law = "frictionless"\npressure_overclosure = { type = "linear" }',
     r"interfaces\[0\]\.pressure_overclosure.*type 'linear' needs slope_N_per_mm3"),
    ('law = "frictionless"\npressure_overclosure = { type = "cubic", slope_N_per_mm3 = 1.0 }',
     r"interfaces\[0\]\.pressure_overclosure\.type.*'linear', 'exponential' or 'tabular'"),
    ('law = "frictionless"\npressure_overclosure = { type = "linear", slope_N_per_mm3 = 1.0, '
     'c0_mm = 0.1 }', "type 'linear' takes slope_N_per_mm3, not c0_mm"),
    ('law = "frictionless"\npressure_overclosure = { type = "tabular", pressure_MPa = [0, 1], '
     'overclosure_mm = [0.01, 0.0] }', r"overclosures \[0.01, 0.0\] mm: must rise strictly"),
    ('law = "friction"\nmu = 0.8\n' + LAW, "needs stick_slope_N_per_mm3"),
    ('law = "tied"\n' + LAW, "a tied penalty law is linear"),
    ('law = "frictionless"\nstick_slope_N_per_mm3 = 5.0', "stick_slope_N_per_mm3 belongs to"),
])
def test_penalty_law_errors_name_the_key(files, lines, match):
    p = files / "bad.toml"
    p.write_text(MODEL.replace('law = "friction"\nmu = 0.8\n', lines + "\n"))
    with pytest.raises(ConfigError, match=match):
        load_model(p)
