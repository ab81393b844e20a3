"""Model variants: [variants.NAME] tables patch [mesh].params and [materials]; remove_bodies
drops sections and interfaces; mistakes are reported with the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from fea.errors import ConfigError
from fea.variants import expand_variants, load_variant

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_variants_expand_and_patch_what_they_say():
    avb = expand_variants(ROOT / "models/examples/c2_avb_boxes.toml")
    assert {"base", "footprint_small", "porosity_60", "porosity_80", "no_rods"} <= set(avb)
    base, p60 = avb["base"], avb["porosity_60"]
    assert base.materials["implant_lattice"].lattice.porosity == 0.70
    assert p60.materials["implant_lattice"].lattice.porosity == 0.60
    lattice = base.materials["implant_lattice"].lattice
    assert p60.materials["implant_lattice"].lattice.C1 == lattice.C1
    assert p60.mesh == base.mesh  # same geometry: the mesh cache serves both
    small = avb["footprint_small"].mesh.params["avb"]
    assert small["footprint_width_mm"] == 12.0 and small["shell_mm"] == 1.0  # merged, not replaced
    no_rods = avb["no_rods"]
    assert no_rods.mesh.params["posterior"]["enabled"] is False
    cells = {s.cell_set for s in no_rods.sections}
    assert not any(c.startswith(("rod_", "screw_")) for c in cells)
    assert "avb_screw_C1_L" in cells  # the AVB's own screws stay
    assert all("rod_" not in i.slave and "screw_C" not in i.slave.split("|")[0]
               for i in no_rods.interfaces)
    assert no_rods.model.name == "c2_avb_boxes.no_rods"
    aad = expand_variants(ROOT / "models/examples/aad_cages_boxes.toml")
    assert aad["peek"].materials["implant_solid"].library == "peek"
    assert aad["cage_height_8"].mesh.params["cage"]["height_mm"] == 8.0
    assert expand_variants(ROOT / "models/intact.toml").keys() == {"base"}


def _model(tmp_path, variants: str) -> Path:
    text = (ROOT / "models/examples/c2_avb_boxes.toml").read_text()
    text = text[: text.index("\n[variants.")] + "\n"  # the base model, its variants cut off
    p = tmp_path / "m.toml"
    p.write_text(text + variants)
    return p


MISTAKES = [
    ("[variants.x]\nparms.avb = { shell_mm = 2.0 }\n",
     r"m\.toml: variants\.x\.parms: unknown key\. Did you mean 'params'"),
    ("[variants.x]\nmaterials.implant_latice.E_MPa = 1.0\n",
     r"variants\.x\.materials\.implant_latice: not in the base model\. "
     r"Did you mean 'implant_lattice'"),
    ("[variants.x]\nremove_bodies = [\"bolt_*\"]\n",
     r"variants\.x\.remove_bodies: pattern 'bolt_\*' matches no body"),
    ("[variants.x]\nremove_bodies = [\"C1*\"]\n",
     r"variants\.x\.remove_bodies: removes the surface of reference point 'load'"),
    ("[variants.base]\ndescription = \"\"\n",
     r"variants\.base: the name 'base' is the unmodified model"),
    ("[variants.x]\nmaterials.implant_lattice.lattice.porosity = 1.5\n",
     r"m\.toml: variants\.x: the model patched by \[variants\.x\] is invalid:\n"
     r"  materials\.implant_lattice\.lattice\.porosity"),
]


@pytest.mark.parametrize("variants, message", MISTAKES)
def test_variant_mistakes_name_file_and_key(tmp_path, variants, message):
    with pytest.raises(ConfigError, match=message):
        expand_variants(_model(tmp_path, variants))


def test_builder_parameter_mistake_names_file_and_key(tmp_path):
    p = _model(tmp_path, "[variants.x]\nparams.avb = { shell_thickness_mm = 2.0 }\n")
    with pytest.raises(ConfigError, match=r"m\.toml: mesh\.params\.avb\.shell_thickness_mm: "
                                          r"unknown parameter\. Did you mean 'shell_mm'"):
        load_variant(p, "x")
    with pytest.raises(ConfigError, match=r"no variant 'y'.*Variants: base, x"):
        load_variant(p, "y")


def _intact_with(tmp_path, variants: str) -> Path:
    p = tmp_path / "intact.toml"
    p.write_text((ROOT / "models/intact.toml").read_text() + "\n" + variants)
    return p


def test_a_variant_sets_keys_on_named_ligaments(tmp_path):
    p = _intact_with(tmp_path, '[variants.cl]\nligaments."capsule_C1C2_*" = '
                               '{ kinematics = "current_length", laxity_mm = 5.0 }\n'
                               'ligaments.PAOM = { force_scale = 1.2 }\n')
    specs = expand_variants(p)
    base = {lg.name: lg for lg in specs["base"].ligaments}
    cl = {lg.name: lg for lg in specs["cl"].ligaments}
    for side in "LR":
        lg = cl[f"capsule_C1C2_{side}"]
        assert lg.kinematics == "current_length" and lg.laxity_mm == 5.0
        assert base[f"capsule_C1C2_{side}"].kinematics == "co_rotated"
        assert base[f"capsule_C1C2_{side}"].laxity_mm == 7.0
    assert cl["PAOM"].force_scale == 1.2 and base["PAOM"].force_scale == 1.7
    assert [n for n in cl if cl[n] != base[n]] == ["PAOM", "capsule_C1C2_L", "capsule_C1C2_R"]


@pytest.mark.parametrize("text, words", [
    ('ligaments.PAOMM = { laxity_mm = 1.0 }',
     r"variants.cl.ligaments: no ligament named 'PAOMM' \(did you mean 'PAOM'"),
    ('ligaments.PAOM = { laxity = 1.0 }', r"variants.cl: the model patched by \[variants.cl\] is "
     r"invalid:\n  ligaments\[6\]\.laxity: unknown key 'laxity'; did you mean 'laxity_mm'"),
    ('ligaments.PAOM = 1.0', r"variants.cl.ligaments: expected tables of keys per ligament"),
])
def test_bad_ligament_patches_in_variants_are_named(tmp_path, text, words):
    p = _intact_with(tmp_path, f"[variants.cl]\n{text}\n")
    with pytest.raises(ConfigError, match=words) as exc:
        expand_variants(p)
    assert str(p) in str(exc.value)
