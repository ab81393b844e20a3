"""[[ligaments]] in model files: laws and library defaults become Model.ligaments with the
file's units; bad entries are named by file, key and set, with a did-you-mean."""

import re
from pathlib import Path

import numpy as np
import pytest

from fea.config import load_model
from fea.errors import ConfigError
from fea.ligaments.fibres import build_fibres
from fea.ligaments.library import library

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models/examples/cantilever.toml"


def with_ligaments(tmp_path, text):
    p = tmp_path / "m.toml"
    p.write_text(MODEL.read_text() + "\n" + text)
    return p


def test_laws_and_units_reach_the_model(tmp_path):
    p = with_ligaments(tmp_path, """
[[ligaments]]
name = "toe"
from = "xmin"
to = "xmax"
fibres = 3
stiffness_N_per_mm = 40.0
toe_strain = 0.08
laxity_mm = 0.5
failure_force_N = 300.0

[[ligaments]]
name = "tab"
from = "zmin"
to = "zmax"
curve = { strain = [0, 0.05, 0.1], force_N = [0, 5, 25] }
prestrain = 0.01
share = "equal"

[[ligaments]]
name = "support"
from = "ymin"
to = "ground"
law = "linear"
stiffness_N_per_mm = 7.5
direction = [0, 1, 0]
""")
    m = load_model(p)
    toe, tab, sup = m.ligaments
    assert (toe.from_set, toe.to_set, toe.fibres) == ("xmin", "xmax", 3)
    assert toe.law.kind == "toe_linear" and toe.law.stiffness == 40.0
    assert toe.law.toe_strain == 0.08 and toe.law.laxity == 0.5
    assert toe.law.failure_force == 300.0
    assert tab.law.kind == "curve" and tab.law.curve_unit == "strain"
    np.testing.assert_array_equal(tab.law.curve_force, [0, 5, 25])
    assert tab.law.prestrain == 0.01 and tab.share == "equal"
    assert sup.to_set is None and sup.law.kind == "linear" and not sup.law.tension_only
    np.testing.assert_array_equal(sup.direction, [0, 1, 0])
    fb = build_fibres(m)
    assert fb.n == 3 + 1 + 1
    np.testing.assert_allclose(fb.L0[:3], 100.0, rtol=1e-9)  # the bar is 100 mm long


def test_library_defaults_fill_unset_keys_and_a_user_law_replaces_the_library_law(tmp_path):
    p = with_ligaments(tmp_path, """
[[ligaments]]
name = "alar"
library = "alar_L"
from = "xmin"
to = "xmax"

[[ligaments]]
name = "stiffer"
library = "ALL"
from = "xmin"
to = "xmax"
stiffness_N_per_mm = 50.0
fibres = 2
""")
    alar, stiffer = load_model(p).ligaments
    lib = library()
    assert alar.library == "alar_L"
    assert alar.law.stiffness == lib["alar_L"]["stiffness_N_per_mm"]
    assert alar.law.failure_force == lib["alar_L"]["failure_force_N"]
    assert alar.fibres == lib["alar_L"]["fibres"]
    # the library's ALL is a curve: a user stiffness replaces it entirely
    assert stiffer.law.kind == "toe_linear" and stiffer.law.stiffness == 50.0
    assert stiffer.law.curve_x is None and stiffer.fibres == 2


def test_force_scale_multiplies_the_library_curve_and_a_user_stiffness(tmp_path):
    p = with_ligaments(tmp_path, """
[[ligaments]]
name = "paom"
library = "PAOM"
from = "xmin"
to = "xmax"
force_scale = 1.7

[[ligaments]]
name = "spring"
from = "xmin"
to = "xmax"
stiffness_N_per_mm = 40.0
force_scale = 0.5
""")
    paom, spring = load_model(p).ligaments
    lib = library()["PAOM"]
    np.testing.assert_allclose(paom.law.curve_force, 1.7 * np.array(lib["curve"]["force_N"]),
                               rtol=1e-12)
    np.testing.assert_array_equal(paom.law.curve_x, lib["curve"]["elongation_mm"])
    assert spring.law.stiffness == 20.0
    bad = with_ligaments(tmp_path, """
[[ligaments]]
name = "paom"
library = "PAOM"
force_scale = 0
""")
    with pytest.raises(ConfigError, match="force_scale"):
        load_model(bad)


def test_every_library_entry_is_a_valid_law_with_a_source():
    from fea.config import LigamentSpec, ligaments_from_spec
    from fea.geometry.primitives import box

    mesh = box(10, 10, 10, 5.0, order=1)
    for name, entry in library().items():
        assert entry["source"] and entry["basis"] and len(entry["sites"]) == 2, name
        spec = LigamentSpec.model_validate({"name": name, "library": name, "from": "zmin",
                                            "to": "zmax"})
        (lig,) = ligaments_from_spec([spec], Path("lib"), mesh, [])
        assert lig.law.kind in ("toe_linear", "curve") and lig.law.tension_only, name


# attachment sites agreed with the anatomy (docs/constructs.md, docs/ligaments.md):
# <ligament>_<bone>[_<side>]; a ligament spanning two levels names its joint too
# (capsule_C1C2_C2_L, LF_C2C3_C3), since one bone carries both borders
AGREED_SITES = {
    "transverse_C1_L", "transverse_C1_R", "alar_C2", "alar_C0_L", "alar_C0_R", "apical_C2",
    "apical_C0", "tectorial_C2", "tectorial_C0", "AAOM_C0", "AAOM_C1", "PAOM_C0", "PAOM_C1",
    "AAAM_C1", "AAAM_C2", "PAAM_C1", "PAAM_C2",
    *(f"capsule_{j}_{b}_{s}" for j, bones in (("C0C1", "C0 C1"), ("C1C2", "C1 C2"),
                                              ("C2C3", "C2 C3"))
      for b in bones.split() for s in "LR"),
    "ALL_C2", "ALL_C3", "PLL_C2", "PLL_C3", "LF_C1C2_C1", "LF_C1C2_C2", "LF_C2C3_C2",
    "LF_C2C3_C3", "ISL_C2", "ISL_C3",
}
# sets a ligament passes over: the back of the dens (tectorial membrane, transverse ligament)
AGREED_VIA = {"tectorial_dens", "transverse_dens"}


def test_library_sites_are_the_agreed_face_sets():
    sites = [s for e in library().values() for s in e["sites"]]
    assert set(sites) == AGREED_SITES
    assert {e["via"] for e in library().values() if "via" in e} == AGREED_VIA
    for s in sites:
        m = re.fullmatch(r"[A-Za-z]+_(C[0-3]C[0-3]_)?(C[0-3])(_[LR])?", s)
        assert m, s
        if m.group(1):  # the site's bone is one of its joint's two bones
            assert m.group(2) in m.group(1), s


@pytest.mark.parametrize("text, match", [
    ('from = "xmn"\nto = "xmax"\nstiffness_N_per_mm = 1.0', r"ligaments\[0\] 'l': from: no face "
     r"or node set named 'xmn'. Did you mean 'xmin'"),
    ('from = "xmin"\nto = "xmax@bdy"\nstiffness_N_per_mm = 1.0', r"'@bdy' is neither a body.*"
     r"Did you mean 'body'"),
    ('from = "xmin"\nto = "xmax"', r"give stiffness_N_per_mm"),
    ('from = "xmin"\nto = "ground"\nstiffness_N_per_mm = 1.0', r"direction"),
    ('from = "xmin"\nto = "xmax"\nvia = "ymn"\nstiffness_N_per_mm = 1.0',
     r"via: no face or node set named 'ymn'. Did you mean 'ymin'"),
    ('from = "xmin"\nto = "ground"\nvia = "ymin"\ndirection = [1, 0, 0]\n'
     'stiffness_N_per_mm = 1.0', r"via 'ymin' needs a fibre between two sets"),
    ('from = "xmin"\nto = "xmax"\nlibrary = "alar"', r"unknown ligament library entry 'alar'. "
     r"Did you mean 'alar_[LR]'"),
    ('from = "xmin"\nto = "xmax"\nstifness_N_per_mm = 1.0', r"unknown key 'stifness_N_per_mm'; "
     r"did you mean 'stiffness_N_per_mm'"),
    ('form = "xmin"\nto = "xmax"\nstiffness_N_per_mm = 1.0', r"did you mean 'from'"),
    ('from = "xmin"\nto = "xmax"\nstiffness_N_per_mm = "40 N/mm"', r"write a plain number"),
    ('from = "xmin"\nto = "xmax"\ncurve = { strain = [0, 0.1], force_N = [1, 5] }',
     r"starts at \(0, 0\)"),
    ('from = "xmin"\nto = "xmax"\nstiffness_N_per_mm = 1.0\nlaxity_mm = 1\nprestrain = 0.1',
     r"not both"),
])
def test_bad_ligament_entries_are_named(tmp_path, text, match):
    p = with_ligaments(tmp_path, f'[[ligaments]]\nname = "l"\n{text}\n')
    with pytest.raises(ConfigError, match=match) as exc:
        load_model(p)
    assert str(p) in str(exc.value)


def test_a_variant_removing_a_body_drops_its_ligaments():
    from fea.variants import _drop_bodies

    data = {"sections": [{"cell_set": "C2"}, {"cell_set": "rod_L"}],
            "ligaments": [{"name": "keep", "from": "ALL_C2", "to": "ALL_C3"},
                          {"name": "on_rod", "from": "tip@rod_L", "to": "ground"},
                          {"name": "lib_only", "library": "ISL"}]}
    out = _drop_bodies(data, ["rod_*"], "m.toml: variants.x.remove_bodies")
    assert [lg["name"] for lg in out["ligaments"]] == ["keep", "lib_only"]
    # annulus fibres go with their disc
    data = {"sections": [{"cell_set": "C2_cancellous", "body": "C2"},
                         {"cell_set": "disc_C2C3_annulus", "body": "disc_C2C3"}],
            "annulus_fibres": [{"name": "af", "cell_set": "disc_C2C3_annulus",
                                "from": "C3_cancellous|disc_C2C3_annulus",
                                "to": "C2_cancellous|disc_C2C3_annulus"}]}
    assert _drop_bodies(data, ["disc_*"], "w")["annulus_fibres"] == []
    assert _drop_bodies(data, ["C2"], "w")["annulus_fibres"] == []


@pytest.mark.parametrize("name", ["transverse", "alar_L", "alar_R"])
def test_estimated_stiffness_follows_the_stated_rule(name):
    # docs/ligaments.md: k = F_fail / (L (eps_fail - eps_toe / 2)), eps_fail = 0.25 assumed
    e = library()[name]
    k = e["failure_force_N"] / (e["length_mm"] * (0.25 - e["toe_strain"] / 2))
    assert e["stiffness_N_per_mm"] == pytest.approx(k, rel=0.01)
    assert "estimated" in e["basis"]


def test_a_study_s_dumped_spec_keeps_the_library_defaults(tmp_path):
    """A study passes each model spec as dumped (every key present, unset ones None): the
    library still fills them (its failure force and fibre count, not None or the defaults)."""
    from fea.config import ModelFile, model_from_spec, read_toml, validate

    p = with_ligaments(tmp_path, """
[[ligaments]]
name = "alar"
library = "alar_L"
from = "xmin"
to = "xmax"
""")
    spec = validate(p, read_toml(p), ModelFile)
    dumped = ModelFile.model_validate(spec.model_dump(mode="json"))
    (alar,) = model_from_spec(dumped, p).ligaments
    lib = library()["alar_L"]
    assert alar.fibres == lib["fibres"] != 1
    assert alar.law.failure_force == lib["failure_force_N"]


def _bundled_model_files() -> tuple[dict, dict]:
    """models/intact.toml and the bundled constructs built on it (path -> file), as parsed TOML:
    those beside it and the validation constructs in models/validation/."""
    import tomllib

    root = Path(__file__).resolve().parents[1] / "models"
    with open(root / "intact.toml", "rb") as fh:
        intact = tomllib.load(fh)
    constructs = {}
    paths = sorted(p for p in root.glob("*.toml") if p.name != "intact.toml")
    for path in paths + sorted(root.glob("validation/*.toml")):
        with open(path, "rb") as fh:
            constructs[path] = tomllib.load(fh)
    return intact, constructs


def test_the_anatomy_constructs_keep_the_intact_model_s_calibrated_ligament_laws():
    """A construct's ligament that the intact occiput-C3 also has carries the same law keys
    (force_scale, laxity, curve, kinematics ...): calibrating models/intact.toml must reach every construct
    built on it, or the construct's ROM reduction compares two different spines."""
    law_keys = ("library", "law", "stiffness_N_per_mm", "toe_strain", "curve", "laxity_mm",
                "prestrain", "force_scale", "fibres", "share", "kinematics")
    intact_file, constructs = _bundled_model_files()
    intact = {lg["name"]: lg for lg in intact_file["ligaments"]}
    assert len(constructs) == 5  # the four paper constructs and harms_c1c2
    for path, data in constructs.items():
        # a construct removes ligaments (with the tissue it replaces), it never adds one
        extra = [lg["name"] for lg in data.get("ligaments", []) if lg["name"] not in intact]
        assert not extra, (path.name, extra)
        shared = [lg for lg in data.get("ligaments", []) if lg["name"] in intact]
        assert shared, path
        for lg in shared:
            ref = intact[lg["name"]]
            for key in law_keys:
                assert lg.get(key) == ref.get(key), (path.name, lg["name"], key)


def test_the_constructs_with_the_c2c3_disc_carry_the_intact_model_s_annulus_fibres():
    """A construct that keeps the C2-C3 disc (its annulus section) carries the intact model's
    [[annulus_fibres]] entry unchanged, key for key: the disc of the construct and of its intact
    reference is one disc."""
    intact_file, constructs = _bundled_model_files()
    (ref,) = intact_file["annulus_fibres"]
    with_disc = 0
    for path, data in constructs.items():
        if not any(s["cell_set"] == ref["cell_set"] for s in data["sections"]):
            assert not data.get("annulus_fibres"), path.name  # no disc, no fibres
            continue
        with_disc += 1
        assert data.get("annulus_fibres") == [ref], path.name
    assert with_disc >= 2  # aad_cages and aad_cages_occipital keep the disc
