"""TOML formats: validation messages name file and key; the solve command end to end."""

import json
import textwrap
from pathlib import Path

import meshio
import numpy as np
import pytest

from fea.cli import main
from fea.config import load_loadcase, load_model
from fea.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models/examples/cantilever.toml"
LOADCASE = ROOT / "loadcases/examples/tip_shear.toml"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def cantilever_with(tmp_path, old, new):
    text = MODEL.read_text().replace(old, new)
    assert text != MODEL.read_text(), "replacement did not apply"
    return write(tmp_path, "m.toml", text)


def test_bundled_example_loads():
    model = load_model(MODEL)
    assert model.mesh.element_type == "tet10"
    assert model.materials["steel"].E == 210000.0
    lc = load_loadcase(LOADCASE)
    assert lc.steps[0].loads[0].force[2] == -100.0


def test_unknown_key_gets_did_you_mean(tmp_path):
    p = cantilever_with(tmp_path, "E_MPa = 210000.0", "E_Mpa = 210000.0")
    with pytest.raises(ConfigError) as e:
        load_model(p)
    msg = str(e.value)
    assert str(p) in msg and "materials.steel.E_Mpa" in msg and "did you mean 'E_MPa'" in msg


def test_poisson_ratio_out_of_range_names_key(tmp_path):
    p = cantilever_with(tmp_path, "nu = 0.3", "nu = 0.5")
    with pytest.raises(ConfigError, match=r"materials\.steel\.nu"):
        load_model(p)


def test_malformed_toml_names_file(tmp_path):
    p = write(tmp_path, "bad.toml", "[model\nname = 'x'\n")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_model(p)


def test_missing_set_is_named_with_suggestion(tmp_path):
    p = cantilever_with(tmp_path, 'set = "xmin"', 'set = "xmn"')
    with pytest.raises(ConfigError, match=r"supports\[0\]\.set.*'xmn'.*Did you mean 'xmin'"):
        load_model(p)


def test_missing_mesh_file_is_named(tmp_path):
    p = write(tmp_path, "m.toml", """
        [model]
        name = "x"
        [mesh]
        file = "nothere.msh"
        [materials.a]
        E_MPa = 1.0
        nu = 0.3
        [[sections]]
        cell_set = "body"
        material = "a"
    """)
    with pytest.raises(ConfigError, match="mesh.file: 'nothere.msh' not found"):
        load_model(p)


def test_loadcase_load_on_wrong_target_kind(tmp_path):
    p = write(tmp_path, "lc.toml", """
        [loadcase]
        name = "x"
        [[steps]]
        name = "a"
        [[steps.loads]]
        surface = "top"
        moment_Nm = [1, 0, 0]
    """)
    with pytest.raises(ConfigError, match=r"steps\[0\]\.loads\[0\].*cannot act on a surface"):
        load_loadcase(p)


def test_zero_increments_rejected(tmp_path):
    p = write(tmp_path, "lc.toml", """
        [loadcase]
        name = "x"
        [[steps]]
        name = "a"
        increments = 0
    """)
    with pytest.raises(ConfigError, match=r"steps\[0\]\.increments"):
        load_loadcase(p)


def test_solve_command_writes_fields_and_summary(tmp_path):
    out = tmp_path / "out"
    rc = main(["solve", str(MODEL), "--loadcase", str(LOADCASE), "--out", str(out), "-q"])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["converged"] is True
    m = meshio.read(out / "result.vtu")
    n = len(m.points)
    assert m.point_data["displacement"].shape == (n, 3)
    assert m.point_data["stress"].shape == (n, 6)
    assert m.point_data["von_mises"].shape == (n,)
    assert (out / "steps" / "01_shear.vtu").exists()
    # the tip deflection in the file matches beam theory with shear within 1 %
    I, A, G = 4 * 10**3 / 12, 40.0, 210000 / 2.6
    exact = 100 * 100**3 / (3 * 210000 * I) + 100 * 100 / (5 / 6 * G * A)
    tip = np.isclose(m.points[:, 0], 100.0)
    assert abs(-m.point_data["displacement"][tip, 2].mean() / exact - 1) < 0.01
    eq = summary["steps"][0]["equilibrium"]
    assert eq["force_rel_error"] < 1e-8


def test_failed_solve_leaves_no_result_folder(tmp_path, capsys):
    bad_lc = write(tmp_path, "lc.toml", """
        [loadcase]
        name = "x"
        [[steps]]
        name = "a"
        [[steps.loads]]
        ref_point = "nosuch"
        force_N = [1, 0, 0]
    """)
    out = tmp_path / "out"
    rc = main(["solve", str(MODEL), "--loadcase", str(bad_lc), "--out", str(out), "-q"])
    assert rc == 1
    assert "no reference point named 'nosuch'" in capsys.readouterr().err
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())
