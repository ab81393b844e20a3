"""Injury cases and calibration (fea.calibration, `validate --calibrate`) on a small synthetic
spine: two stiff bone blocks L (below, fixed) and U joined by a soft disc block D, with one
posterior ligament from U to L (tension only). Flexion stretches the ligament, extension slackens
it, so cutting it must raise flexion ROM and leave extension alone; and a ROM target computed
with a known ligament stiffness scale must be recovered by the calibration."""

import json
from pathlib import Path

import pytest

from contact_helpers import _faces_named, _mesh
from fea.calibration import (bind_parameters, held_submodel, load_calibration, split_rows,
                             with_parameters, without_ligaments)
from fea.errors import ConfigError
from fea.gmsh_session import gmsh_session

W, HB, HD = 10.0, 4.0, 2.0  # block width (x, y), bone height, disc height (mm)
K_LIG = 400.0  # N/mm: the ligament's rotational stiffness (~ K * 5^2 N mm/rad) beats the disc's


def _write_mesh(path: Path):
    with gmsh_session() as gmsh:
        occ = gmsh.model.occ
        boxes = {"L": (0, 0, 0, W, W, HB), "D": (0, 0, HB, W, W, HD),
                 "U": (0, 0, HB + HD, W, W, HB)}
        tags = {k: occ.addBox(*b) for k, b in boxes.items()}
        occ.fragment([(3, tags["L"])], [(3, tags["D"]), (3, tags["U"])])
        occ.synchronize()
        for k, (x, y, z, dx, dy, dz) in boxes.items():
            gmsh.model.addPhysicalGroup(3, [tags[k]], name=k)
            _faces_named(gmsh, tags[k], k, (x, y, z, x + dx, y + dy, z + dz))
        _mesh(gmsh, 2.5, 1)
        gmsh.write(str(path))


MODEL = f"""
[model]
name = "blocks"
[mesh]
file = "blocks.msh"
element_order = 1
[materials.bone]
E_MPa = 10000.0
nu = 0.3
[materials.disc]
E_MPa = 10.0
nu = 0.3
[[sections]]
cell_set = "L"
material = "bone"
role = "bone"
body = "L"
[[sections]]
cell_set = "D"
material = "disc"
role = "soft_tissue"
body = "D"
[[sections]]
cell_set = "U"
material = "bone"
role = "bone"
body = "U"
[[supports]]
set = "L_zmin"
[ref_points.load]
position_mm = [{W / 2}, {W / 2}, {2 * HB + HD}]
surface = "U_zmax"
[[ligaments]]
name = "posterior"
from = "U_ymin@U"
to = "L_ymin@L"
stiffness_N_per_mm = {K_LIG}
fibres = 4
"""


def _loadcase(name, moment_x):
    return (f'[loadcase]\nname = "{name}"\n[[steps]]\nname = "preload"\n'
            'loads = [{ ref_point = "load", force_N = [0.0, 0.0, -5.0] }]\n'
            '[[steps]]\nname = "moment"\nincrements = 2\n'
            f'loads = [{{ ref_point = "load", moment_Nm = [{moment_x}, 0.0, 0.0] }}]\n')


@pytest.fixture(scope="module")
def blocks(tmp_path_factory):
    d = tmp_path_factory.mktemp("blocks")
    _write_mesh(d / "blocks.msh")
    (d / "blocks.toml").write_text(MODEL)
    (d / "flexion.toml").write_text(_loadcase("flexion", -0.2))
    (d / "extension.toml").write_text(_loadcase("extension", 0.2))
    return d


def _model(d, scale=1.0):
    from fea.commands.validate import load_model_sized

    m = load_model_sized(d / "blocks.toml", None, None)
    if scale != 1.0:
        p = bind_parameters(m, load_calibration(_cal_table(), "t"), "t")
        m = with_parameters(m, p, {"lig": scale})
    return m


def _cal_table(**kw):
    t = {"directions": ["flexion"], "max_evaluations": 12, "tolerance": 0.003,
         "parameters": [{"name": "lig", "kind": "ligament_stiffness_scale",
                         "targets": ["posterior"], "range": [0.5, 3.0], "initial": 1.0,
                         "source": "synthetic test"}]}
    t.update(kw)
    return t


def _rom(model, d, directions=("flexion", "extension")):
    from fea.config import load_loadcase
    from fea.validation import rom_at_end, solve_directions

    runs = solve_directions(model, {k: load_loadcase(d / f"{k}.toml") for k in directions})
    assert all(r["converged"] for r in runs.values())
    return {k: v for k, v in rom_at_end(runs)["U-L"].items()}


def test_cutting_the_stretched_ligament_raises_flexion_rom_only(blocks):
    intact = _model(blocks)
    cut = without_ligaments(intact, ["posterior"])
    assert not cut.ligaments and len(intact.ligaments) == 1  # the original is untouched
    a, b = _rom(intact, blocks), _rom(cut, blocks)
    print(f"ROM U-L intact {a}, ligament cut {b}")
    # flexion: the ligament carried load, so without it the level is markedly more mobile
    assert b["flexion"] > 1.3 * a["flexion"] > 0
    # extension: the ligament is slack (tension only), cutting it changes nothing
    assert b["extension"] == pytest.approx(a["extension"], rel=1e-3)


def test_a_misspelt_ligament_name_is_refused_naming_it(blocks):
    with pytest.raises(ConfigError, match=r"no ligament named 'posterio'.*'posterior'"):
        without_ligaments(_model(blocks), ["posterio"])


def test_a_level_on_its_held_lower_bone_keeps_its_rom(blocks):
    """held_submodel (the calibration's sub-model of one level): holding every node of the
    lower bone L instead of its bottom face leaves the level's flexion ROM as it was (L is 1000x
    stiffer than the disc, so its own bending is < 1 % of the level's motion); holding the
    upper bone too stops the level; a misspelt set is refused, naming it."""
    m = _model(blocks)
    sub = held_submodel(m, ["L"], [])
    assert [s.target for s in sub.supports] == ["L"] and m.supports[0].target == "L_zmin"
    a, b = _rom(m, blocks, ("flexion",)), _rom(sub, blocks, ("flexion",))
    print(f"flexion ROM U-L: column {a['flexion']:.4f}, on held L {b['flexion']:.4f}")
    assert b["flexion"] == pytest.approx(a["flexion"], rel=0.01)
    both = held_submodel(m, ["L", "U"], [])
    assert abs(_rom(both, blocks, ("flexion",))["flexion"]) < 1e-6 * a["flexion"]
    with pytest.raises(ConfigError, match=r"no cell set named 'Lx'"):
        held_submodel(m, ["Lx"], [])


def test_variant_remove_ligaments(blocks, tmp_path):
    from fea.variants import expand_variants

    text = MODEL.replace('file = "blocks.msh"', f'file = "{blocks}/blocks.msh"')
    p = tmp_path / "m.toml"
    p.write_text(text + '\n[variants.cut]\nremove_ligaments = ["posterior"]\n')
    specs = expand_variants(p)
    assert [lg.name for lg in specs["base"].ligaments] == ["posterior"]
    assert specs["cut"].ligaments == []
    p.write_text(text + '\n[variants.cut]\nremove_ligaments = ["tectorial"]\n')
    with pytest.raises(ConfigError, match=r"variants.cut.remove_ligaments: no ligament named "
                                          r"'tectorial'"):
        expand_variants(p)


def test_calibration_file_errors_name_the_key():
    with pytest.raises(ConfigError, match="missing 'source'"):
        load_calibration(_cal_table(parameters=[{"name": "x", "kind": "material_E_scale",
                                                 "targets": ["disc"], "range": [0.5, 2]}]), "t")
    with pytest.raises(ConfigError, match="unknown kind 'ligament_stifness_scale'.*did you mean "
                                          "'ligament_stiffness_scale'"):
        t = _cal_table()
        t["parameters"][0]["kind"] = "ligament_stifness_scale"
        load_calibration(t, "t")
    with pytest.raises(ConfigError, match="unknown direction 'flexon'"):
        load_calibration(_cal_table(directions=["flexon"]), "t")
    with pytest.raises(ConfigError, match="initial 5 is outside"):
        t = _cal_table()
        t["parameters"][0]["initial"] = 5.0
        load_calibration(t, "t")


def test_split_rows_calibration_and_held_out():
    rows = [{"kind": "in_vitro", "error_pct": 10.0, "series": "s", "direction": d}
            for d in ("flexion", "extension", "flexion_extension", "axial_rotation")]
    cal, held = split_rows(rows, ["flexion"])
    assert [r["direction"] for r in cal] == ["flexion"]
    # flexion + extension mixes both sets: in neither
    assert [r["direction"] for r in held] == ["extension", "axial_rotation"]


def _write_study(d, target_deg, injury_pct=None):
    (d / "ref.toml").write_text(
        '[[series]]\nkey = "synthetic"\nkind = "in_vitro"\nlabel = "synthetic target"\n'
        'citation = "ROM of this model with the ligament stiffness scaled by a known factor"\n'
        f'levels."U-L" = {{ flexion = {{ mean_deg = {target_deg!r} }} }}\n'
        '[[injuries]]\nkey = "cut_posterior"\nlevel = "U-L"\ncut = "posterior ligament"\n'
        f'increase_deg = {{ flexion = 1.0 }}\n')
    (d / "val.toml").write_text(
        '[validation]\nmodel = "blocks.toml"\nreference = "ref.toml"\n'
        'loadcases = { flexion = "flexion.toml", extension = "extension.toml" }\n'
        '[[validation.injuries]]\nkey = "cut_posterior"\nremove_ligaments = ["posterior"]\n'
        '[validation.calibration]\ndirections = ["flexion"]\nmax_evaluations = 12\n'
        'tolerance = 0.003\n'
        '[[validation.calibration.parameters]]\nname = "lig"\n'
        'kind = "ligament_stiffness_scale"\ntargets = ["posterior"]\nrange = [0.5, 3.0]\n'
        'initial = 1.0\nsource = "synthetic test"\n')


@pytest.mark.slow
def test_calibrate_recovers_a_known_stiffness_scale_end_to_end(blocks, capsys):
    """The flexion ROM of the model with the ligament 1.7x stiffer is the target; `validate
    --calibrate` from scale 1.0 must find 1.7 within 3 %, write it to the fragment with its
    range and source, and run the injury case (ligament cut: flexion ROM rises)."""
    from fea.cli import main

    s_true = 1.7
    target = _rom(_model(blocks, s_true), blocks, ("flexion",))["flexion"]
    _write_study(blocks, target)
    out = blocks / "out"
    rc = main(["validate", str(blocks / "val.toml"), "--calibrate", "--out", str(out), "-q"])
    assert rc == 0
    cal = json.loads((out / "calibration.json").read_text())
    s = cal["values"]["lig"]
    print(f"target flexion ROM {target:.4f} deg; recovered scale {s:.4f} (true {s_true}) "
          f"in {cal['evaluations']} evaluations; objective {cal['objective_initial']:.3g} -> "
          f"{cal['objective_final']:.3g}")
    assert s == pytest.approx(s_true, rel=0.03)
    assert cal["evaluations"] <= 12 and cal["held_out"] == ["extension"]
    frag = (out / "calibrated.toml").read_text()
    assert f"stiffness_N_per_mm = {K_LIG * s:.6g}" in frag
    assert "range [0.5, 3]" in frag and "synthetic test" in frag
    # the tuned model was validated, so its flexion row matches the target closely
    row = cal["calibration_rows"][0]
    assert abs(row["error_pct"]) < 1.0
    inj = json.loads((out / "validation.json").read_text())["injuries"]
    assert len(inj) == 1 and inj[0]["removed"] == ["posterior"] and inj[0]["increase_deg"] > 0
    assert "Injury cases" in (out / "comparison.md").read_text()


def test_validate_refuses_a_misspelt_injury_ligament_before_solving(blocks, tmp_path, capsys):
    from fea.cli import main

    _write_study(blocks, 1.0)
    v = blocks / "val_bad.toml"
    v.write_text((blocks / "val.toml").read_text().replace('["posterior"]\n[validation.cal',
                                                           '["posteror"]\n[validation.cal'))
    assert main(["validate", str(v), "--out", str(tmp_path / "o"), "-q"]) == 1
    assert "no ligament named 'posteror'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_bundled_occiput_file_names_library_ligaments_and_injuries():
    """The occiput-C3 validation file loads, names an [[injuries]] entry of the reference file
    with ROM increases, and every ligament it cuts or tunes is a library ligament (the column
    names its [[ligaments]] after their library entries)."""
    import fnmatch

    from fea.ligaments.library import library
    from fea.validation import check_injury, load_reference, load_validation

    root = Path(__file__).resolve().parents[1]
    cfg = load_validation(root / "studies/validation/occiput_c3.toml")
    ref = load_reference(cfg["reference"])
    lib = list(library())
    published = {inj["key"]: check_injury(ref, inj, "t") for inj in cfg["injuries"]}
    assert published["oda1992_tectorial"]["increase_deg"]["flexion"] == 6.7
    assert published["panjabi1991_alar"]["increase_deg"]["axial_rotation"] == 1.9
    for inj in cfg["injuries"]:
        assert all(n in lib for n in inj["remove_ligaments"])
    cal = cfg["calibration"]
    assert set(cal["directions"]).isdisjoint({"lateral_bending_left", "axial_rotation_left"})
    for p in cal["parameters"]:
        assert p["source"] and p["range"][0] < p["initial"] < p["range"][1]
        for t in p["targets"]:
            assert fnmatch.filter(lib, t), t


def test_material_and_laxity_parameters_act_on_the_model(blocks):
    """material_E_scale: halving the disc's modulus doubles extension ROM (the ligament is slack
    there and the bone blocks are 1000x stiffer, so the disc's compliance is all there is, within
    2 %); ligament_laxity_mm: slack before the ligament pulls (flexion ROM rises, the original
    model is untouched); the fragment states the modulus and the laxity."""
    from fea.calibration import fragment_toml

    m = _model(blocks)
    t = _cal_table(parameters=[
        {"name": "disc_E", "kind": "material_E_scale", "targets": ["disc"], "range": [0.25, 4.0],
         "initial": 1.0, "source": "s1"},
        {"name": "lax", "kind": "ligament_laxity_mm", "targets": ["posterior"],
         "range": [0.0, 0.5], "initial": 0.0, "source": "s2"}])
    params = bind_parameters(m, load_calibration(t, "t"), "t")
    soft = with_parameters(m, params, {"disc_E": 0.5, "lax": 0.0})
    assert soft.materials["disc"].E == 5.0 and m.materials["disc"].E == 10.0
    a, b = _rom(m, blocks, ("extension",)), _rom(soft, blocks, ("extension",))
    print(f"extension ROM disc E 10 MPa {a['extension']:.4f}, 5 MPa {b['extension']:.4f}")
    assert b["extension"] / a["extension"] == pytest.approx(2.0, rel=0.02)
    lax = with_parameters(m, params, {"disc_E": 1.0, "lax": 0.05})
    assert lax.ligaments[0].law.laxity == 0.05 and m.ligaments[0].law.laxity == 0.0
    fa, fl = _rom(m, blocks, ("flexion",)), _rom(lax, blocks, ("flexion",))
    assert fl["flexion"] > fa["flexion"]
    frag = fragment_toml(m, params, {"disc_E": 0.5, "lax": 0.05},
                         {"directions": ["flexion"], "held_out": [], "objective_initial": 1.0,
                          "objective_final": 0.5, "evaluations": 3})
    assert "[materials.disc]" in frag and "E_MPa = 5" in frag and "laxity_mm = 0.05" in frag
    assert "range [0.25, 4]" in frag and "s2" in frag
    with pytest.raises(ConfigError, match="no material named 'disk'.*'disc'"):
        t["parameters"][0]["targets"] = ["disk"]
        bind_parameters(m, load_calibration(t, "t"), "t")


def test_injury_rows_span_levels_and_either_side():
    """Oda's C0-C2 is the sum of C0-C1 and C1-C2; 'axial_rotation' (either side) the mean of
    left and right; a level the model lacks gives no value rather than a wrong one."""
    from fea.validation import injury_rows, span_value

    intact = {"C0-C1": {"flexion": 3.0, "axial_rotation_left": 4.0,
                        "axial_rotation_right": 6.0},
              "C1-C2": {"flexion": 10.0, "axial_rotation_left": 30.0,
                        "axial_rotation_right": 34.0}}
    injured = {"C0-C1": {"flexion": 5.0, "axial_rotation_left": 5.0,
                         "axial_rotation_right": 7.0},
               "C1-C2": {"flexion": 14.0, "axial_rotation_left": 31.0,
                         "axial_rotation_right": 35.0}}
    assert span_value(intact, "C0-C2", "flexion") == 13.0
    assert span_value(intact, "C1-C3", "flexion") is None
    entry = {"key": "oda", "level": "C0-C2",
             "increase_deg": {"flexion": 6.7, "axial_rotation": 5.9},
             "increase_pct": {"flexion": 28.4}}
    rows = {r["direction"]: r for r in injury_rows(entry, intact, injured)}
    assert rows["flexion"]["increase_deg"] == pytest.approx(6.0)
    assert rows["flexion"]["increase_pct"] == pytest.approx(100 * 6.0 / 13.0)
    assert rows["flexion"]["difference_deg"] == pytest.approx(6.0 - 6.7)
    assert rows["axial_rotation"]["intact_deg"] == pytest.approx(37.0)  # (34 + 40) / 2
    assert rows["axial_rotation"]["increase_deg"] == pytest.approx(2.0)
    assert rows["axial_rotation"]["published_increase_pct"] is None
    # only the left side run (as the occiput file's Oda case): the left side stands for it
    left = {lv: {k: v for k, v in d.items() if not k.endswith("_right")}
            for lv, d in injured.items()}
    lrow = {r["direction"]: r for r in injury_rows(entry, intact, left)}["axial_rotation"]
    assert lrow["intact_deg"] == 34.0 and lrow["increase_deg"] == pytest.approx(2.0)
    assert lrow["ours_basis"] == "left side only"


def test_injury_rows_per_level_list_and_bad_level_refused(tmp_path):
    """A list of levels (Panjabi 1991: the same increase at each level) gives one row per level,
    each from that level alone; a level that is neither a name nor a list of names is refused,
    naming the file and the entry."""
    from fea.validation import Reference, check_injury, injury_rows

    intact = {"C0-C1": {"axial_rotation_left": 4.0, "axial_rotation_right": 6.0},
              "C1-C2": {"axial_rotation_left": 30.0, "axial_rotation_right": 34.0}}
    injured = {"C0-C1": {"axial_rotation_left": 7.0, "axial_rotation_right": 7.0},
               "C1-C2": {"axial_rotation_left": 31.0, "axial_rotation_right": 34.0}}
    entry = {"key": "alar", "level": ["C0-C1", "C1-C2"], "increase_deg": {"axial_rotation": 1.9}}
    rows = {r["level"]: r for r in injury_rows(entry, intact, injured)}
    assert set(rows) == {"C0-C1", "C1-C2"}
    assert rows["C0-C1"]["increase_deg"] == pytest.approx(2.0)   # (3 + 1) / 2
    assert rows["C1-C2"]["increase_deg"] == pytest.approx(0.5)   # (1 + 0) / 2
    assert rows["C1-C2"]["difference_deg"] == pytest.approx(0.5 - 1.9)
    ref = Reference(tmp_path / "ref.toml", injuries=[{**entry, "level": 3}])
    with pytest.raises(ConfigError, match=r"ref.toml: \[\[injuries\]\] alar: level must be"):
        check_injury(ref, {"key": "alar"}, "v")
    ref.injuries[0]["level"] = []
    with pytest.raises(ConfigError, match="non-empty list"):
        check_injury(ref, {"key": "alar"}, "v")


def test_calibrate_without_a_calibration_table_is_refused(tmp_path, capsys):
    from fea.cli import main

    root = Path(__file__).resolve().parents[1]
    assert main(["validate", str(root / "studies/validation/validation.toml"), "--calibrate",
                 "--out", str(tmp_path / "o"), "-q"]) == 1
    assert "--calibrate needs a [validation.calibration] table" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
