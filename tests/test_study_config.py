"""Study files: validation messages naming file and key, the job matrix, names and hashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from studyfiles import write_files

from fea.cli import main
from fea.errors import ConfigError
from fea.study import grid as G
from fea.study.config import load_study
from fea.study.convergence import change_pct, compare_runs
from fea.study.plan import build_plan
from fea.study.states import apply_state, to_tie


def plan_of(path, out=None):
    study = load_study(path)
    return build_plan(study, out or path.parent / "out")


@pytest.mark.parametrize("extra_study, extra, message", [
    ('nmae = "x"', "", r"study\.nmae: unknown key 'nmae'; did you mean 'name'\?"),
    ("", 'variant = ["soft"]', r"models\[0\]\.variant: unknown key 'variant'; did you mean "
                               r"'variants'\?"),
    ('states = ["fussed"]', "", r"study\.states\[0\]"),
    ("", '[reference]\npublished_deg = { flexion = 5.0 }',
     r"reference: published_deg needs 'source'"),
    ("", '[models.grid]\n"materials.ti.E_MPa" = []',
     r"models\[0\]\.grid\.\"materials\.ti\.E_MPa\": an empty list expands to zero variants"),
])
def test_bad_study_keys_name_file_and_key(tmp_path, extra_study, extra, message):
    path = write_files(tmp_path, extra_study=extra_study, extra=extra)
    with pytest.raises(ConfigError, match=message) as exc:
        plan_of(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("variants, extra, message", [
    ('["base", "sotf"]', "", r"models\[0\]\.variants: the model file has no variant 'sotf'\. "
                              r"Did you mean 'soft'\?"),
    ("[]", "", r"models\[0\]\.variants: an empty list runs nothing"),
    ('["base"]', '[models.grid]\n"materials.tii.E_MPa" = [1.0]',
     r"no key 'tii' under 'materials'; did you mean 'ti'\?"),
    ('["base"]', '[models.grid]\n"interfaces.*cage*.mu" = [0.5]', r"no interface matches"),
    ('["base"]', '[models.grid]\n"sections.body" = [1]', r"a grid varies materials"),
    ('["base"]', '[reference]\nmodel = "baar"', r"reference\.model: no \[\[models\]\] entry "
                                                  r"named 'baar'.*Did you mean"),
])
def test_cross_checks_against_the_model_file(tmp_path, variants, extra, message):
    path = write_files(tmp_path, variants=variants, extra=extra)
    with pytest.raises(ConfigError, match=message) as exc:
        plan_of(path)
    assert str(path) in str(exc.value)


def test_missing_files_are_named(tmp_path):
    path = write_files(tmp_path)
    (tmp_path / "bar.toml").unlink()
    with pytest.raises(ConfigError, match=r"models\[0\]\.file: 'bar\.toml' not found"):
        plan_of(path)
    path = write_files(tmp_path)
    path.write_text(path.read_text().replace('"extension.toml"', '"ext*.tml"'))
    with pytest.raises(ConfigError, match=r"study\.loadcases\[1\]: 'ext\*\.tml' matches no file"):
        plan_of(path)


def test_bad_study_file_from_the_cli_exits_1_naming_the_key(tmp_path, capsys):
    path = write_files(tmp_path, extra_study='outptu_dir = "x"')
    assert main(["run", str(path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "study.outptu_dir" in " ".join(err.split()) and "output_dir" in err


def test_matrix_names_grid_and_states(tmp_path):
    path = write_files(tmp_path, variants='["base", "soft"]', extra=(
        'states = ["immediate", "fused"]\n[models.grid]\n"materials.ti.nu" = [0.3, 0.25]\n'))
    plan = plan_of(path)
    # the bar has no interface: "fused" would be the same model, so it is skipped with a note
    assert [g.variant for g in plan.groups] == ["bar+nu=0.3", "bar+nu=0.25", "bar.soft+nu=0.3",
                                                "bar.soft+nu=0.25"]
    assert len(plan.notes) == 4 and "no interface to tie" in plan.notes[0]
    assert len(plan.jobs) == 8
    assert plan.groups[3].spec["materials"]["ti"]["E_MPa"] == 20000.0  # variant kept
    assert plan.groups[3].spec["materials"]["ti"]["nu"] == 0.25  # grid applied
    assert len({j.input_hash for j in plan.jobs}) == 8


def test_hash_follows_inputs_not_comments(tmp_path):
    path = write_files(tmp_path)
    before = {j.key: j.input_hash for j in plan_of(path).jobs}
    lc = tmp_path / "extension.toml"
    lc.write_text("# a comment does not change a result\n" + lc.read_text())
    assert {j.key: j.input_hash for j in plan_of(path).jobs} == before
    lc.write_text(lc.read_text().replace("-50.0", "-60.0"))
    after = {j.key: j.input_hash for j in plan_of(path).jobs}
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"bar/extension", "bar.soft/extension"}
    path.write_text(path.read_text().replace("[[models]]", "[mesh]\nsize_mm = 4.0\n\n[[models]]"))
    assert all(plan_of(path).jobs[i].input_hash != j for i, j in enumerate(after.values()))


def test_grid_labels_and_points():
    names = G.labels(["materials.a.lattice.porosity", "interfaces.x.mu", "interfaces.y.mu"])
    assert names == {"materials.a.lattice.porosity": "porosity", "interfaces.x.mu": "x_mu",
                     "interfaces.y.mu": "y_mu"}
    pts = G.points({"a": [1, 2], "b": [0.5, 0.8, 1.0]})
    assert len(pts) == 6 and pts[0] == {"a": 1, "b": 0.5} and pts[-1] == {"a": 2, "b": 1.0}
    assert G.points({}) == [{}]
    assert G.point_suffix({"p": 0.6, "q": "ellipse"}, {"p": "porosity", "q": "shape"}) == \
        "+porosity=0.6+shape=ellipse"


def test_fused_state_ties_implant_interfaces_only():
    data = {"sections": [{"cell_set": "cage_porous", "role": "implant", "body": "cage"},
                         {"cell_set": "C2_cortical", "role": "bone", "body": "C2"}],
            "interfaces": [
                {"name": "cage-C2", "slave": "C2_cortical|cage_porous@cage_porous",
                 "master": "C2_cortical|cage_porous@C2_cortical", "law": "friction", "mu": 0.8},
                {"name": "facet", "slave": "C2|facet@facet", "master": "C2|facet@C2",
                 "law": "frictionless", "mu": None},
                {"name": "screw", "slave": "C2|screw@screw", "master": "C2|screw@C2",
                 "law": "tied", "mu": None}]}
    assert to_tie(data, "implant") == [0]
    assert to_tie(data, "all") == [0, 1]
    fused = apply_state(data, "fused", "implant")
    assert [i["law"] for i in fused["interfaces"]] == ["tied", "frictionless", "tied"]
    assert data["interfaces"][0]["law"] == "friction"  # the input is not modified
    assert apply_state(data, "immediate") is data


def test_convergence_change_and_flags():
    assert change_pct(10.0, 10.4) == pytest.approx(100 * 0.4 / 10.4)
    assert change_pct(0.0, 0.0) is None
    assert change_pct(1.0, -1.0) == pytest.approx(200.0)
    coarse = [{"variant": "v", "loadcase": "f", "converged": True, "rom_deg": 2.0,
               "stiffness_Nm_per_deg": 0.75, "solver_dofs": 100, "micromotion_class_worst": "x",
               "coupled_rotation_deg": 0.001},
              {"variant": "w", "loadcase": "f", "converged": False, "rom_deg": 9.0}]
    fine = [{"variant": "v", "loadcase": "f", "converged": True, "rom_deg": 2.3,
             "stiffness_Nm_per_deg": 0.76, "solver_dofs": 300, "coupled_rotation_deg": 0.0015},
            {"variant": "w", "loadcase": "f", "converged": True, "rom_deg": 9.0}]
    r = compare_runs(coarse, fine, 5.0)
    assert {e["metric"] for e in r["entries"]} == {"rom_deg", "stiffness_Nm_per_deg",
                                                   "coupled_rotation_deg"}
    # a coupled rotation is judged against the ROM: +50 % of a millidegree is no mesh problem
    coupled = next(e for e in r["entries"] if e["metric"] == "coupled_rotation_deg")
    assert coupled["change_pct"] == pytest.approx(100 * 0.0005 / 2.0)
    assert [e["metric"] for e in r["flagged"]] == ["rom_deg"]
    assert r["not_compared"] == ["w/f"]


def test_convergence_judges_near_zero_metrics_against_an_absolute_floor():
    # the issue: 5.6e-9 -> 4.6e-9 MPa was flagged as a 17.6 % change (357 of 602 values flagged)
    row = {"variant": "v", "loadcase": "f", "converged": True}
    coarse = [{**row, "subsidence_peak_MPa@a": 5.6e-9, "subsidence_peak_MPa@b": 2.0,
               "micromotion_p95_um@a": 0.5, "micromotion_p95_um@b": 40.0,
               "micromotion_area_below_28um_pct_min": 0.2, "subsidence_contact_area_mm2@a": 0.1,
               "safety_factor@cage": 4.0}]
    fine = [{**row, "subsidence_peak_MPa@a": 4.6e-9, "subsidence_peak_MPa@b": 2.3,
             "micromotion_p95_um@a": 0.7, "micromotion_p95_um@b": 46.0,
             "micromotion_area_below_28um_pct_min": 0.5, "subsidence_contact_area_mm2@a": 0.2,
             "safety_factor@cage": 4.4}]
    r = compare_runs(coarse, fine, 5.0)
    pct = {e["metric"]: e["change_pct"] for e in r["entries"]}
    assert pct["subsidence_peak_MPa@a"] == pytest.approx(100 * 1e-9 / 1.9)  # of the yield
    assert pct["micromotion_p95_um@a"] == pytest.approx(100 * 0.2 / 28.0)  # of 28 µm
    assert pct["micromotion_area_below_28um_pct_min"] == pytest.approx(100 * 0.3 / 5.0)
    assert pct["subsidence_peak_MPa@b"] == pytest.approx(100 * 0.3 / 2.3)  # above the floor
    assert pct["safety_factor@cage"] == pytest.approx(100 * 0.4 / 4.4)  # no unit, no floor
    assert sorted(e["metric"] for e in r["flagged"]) == [
        "micromotion_area_below_28um_pct_min", "micromotion_p95_um@b", "safety_factor@cage",
        "subsidence_contact_area_mm2@a", "subsidence_peak_MPa@b"]


def test_exit_status_says_what_went_wrong():
    from fea.study.runner import exit_code

    done, nc, failed = ("done", None), ("not_converged", "step 'moment'"), ("failed", "boom")
    assert exit_code({"a": done, "b": done}) == 0
    assert exit_code({"a": done, "b": nc}) == 3
    assert exit_code({"a": nc, "b": failed}) == 1  # a failure outranks a non-convergence
    assert exit_code({"a": ("missing", None)}) == 1  # a case that never wrote its folder
    assert exit_code({"a": done}, report_ok=False) == 1


@pytest.mark.parametrize("name", ["default.toml", "examples/full_demo.toml",
                                  "examples/demo_boxes.toml", "examples/grid.toml",
                                  "examples/published_reference.toml", "examples/postop.toml"])
def test_bundled_studies_expand_without_errors(name, tmp_path):
    root = Path(__file__).resolve().parents[1] / "studies"
    plan = plan_of(root / name, tmp_path)
    assert plan.jobs and not [g.error for g in plan.groups if g.error]
    if name in ("default.toml", "examples/full_demo.toml"):
        # issue 19's demo: the intact occiput-C3 and both constructs built on it, TET10, ROM
        # reduction against that intact model (not published C1-C3 stand-ins)
        builders = {g.model_label: g.spec["mesh"]["builder"] for g in plan.groups}
        assert builders == {"intact": "occiput_c3", "c2_avb": "anatomy_c2_avb",
                            "aad_cages": "anatomy_aad_cages"}
        assert all(g.spec["mesh"]["element_order"] == 2 for g in plan.groups)
        assert plan.reference == {"variant": "intact"}
        states = {(g.model_label, g.state) for g in plan.groups}
        assert ("c2_avb", "immediate") in states and ("aad_cages", "immediate") in states
    if name == "default.toml":  # the undersized AVB footprint beside the base (issue 19)
        assert sorted({j.variant for j in plan.jobs}) == [
            "aad_cages", "c2_avb", "c2_avb.footprint_small", "intact"]
        # the atlantoaxial joint's main motion beside flexion (s20: flexion alone rated the AVB
        # footprints' subsidence too kindly)
        assert [lc.name for lc in plan.loadcases] == ["flexion", "axial_rotation_left"]
    if name == "examples/full_demo.toml":  # six directions, both states: 3 x 6 + 2 x 6 cases
        assert {lc.name for lc in plan.loadcases} == {
            "flexion", "extension", "lateral_bending_left", "lateral_bending_right",
            "axial_rotation_left", "axial_rotation_right"}
        assert len(plan.jobs) == 30
    if name == "examples/demo_boxes.toml":  # the former demo: box-bone constructs, TET4
        assert {g.model_label for g in plan.groups} == {
            "c2_avb", "aad_cages", "c2_avb_postop", "aad_cages_postop"}
        postop = [g for g in plan.groups if g.model_label.endswith("_postop")]
        assert [g.state for g in postop] == ["immediate"] * 2  # micromotion needs friction
        assert set(plan.reference["published_deg"]) == {"flexion", "extension",
                                                         "axial_rotation_left"}
        assert all(g.spec["mesh"]["element_order"] == 1 for g in plan.groups)
