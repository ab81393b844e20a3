"""summary.csv per study and the `compare` ranking: order, direction, non-converged rows apart."""

import csv

import pytest
from synthetic_study import make_study

from fea.cli import main
from fea.errors import FeaError
from fea.summary_table import load_or_build, rank, read_summary_csv, write_summary_csv

VARIANTS = {"stiff": {}, "soft": {"E_implant": 2000.0, "slip_um": 90.0},
            "softest": {"E_implant": 300.0}, "intact": {"E_implant": 450.0}}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    make_study(root, VARIANTS, not_converged={("softest", "extension")})
    (root / "ghost" / "flexion").mkdir(parents=True)  # a case that never finished
    return root


def test_summary_csv_rows_columns_and_atomic_write(study):
    path = write_summary_csv(study)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted((r["variant"], r["loadcase"]) for r in rows) == sorted(
        [(v, lc) for v in VARIANTS for lc in ("flexion", "extension")] + [("ghost", "flexion")])
    cols = rows[0].keys()
    for c in ("converged", "rom_deg", "stiffness_Nm_per_deg", "rom_reduction_pct",
              "micromotion_p95_um_max", "micromotion_area_below_28um_pct_min",
              "micromotion_area_above_150um_pct_max", "subsidence_peak_to_yield_max",
              "implant_safety_factor_min", "solver_dofs", "micromotion_p95_um@cage_C3"):
        assert c in cols
    ghost = next(r for r in rows if r["variant"] == "ghost")
    assert ghost["converged"] == "False" and "no summary.json" in ghost["flags"]
    assert not list(study.glob(".summary.csv.*"))  # no temporary left behind
    # the variant named 'intact' is the ROM reference of the others, per load case
    parsed = read_summary_csv(path)
    intact = {r["loadcase"]: r["rom_deg"] for r in parsed if r["variant"] == "intact"}
    stiff = next(r for r in parsed if r["variant"] == "stiff" and r["loadcase"] == "flexion")
    assert stiff["rom_reduction_pct"] == pytest.approx(
        100 * (1 - stiff["rom_deg"] / intact["flexion"]), rel=1e-9)
    assert stiff["rom_reduction_pct"] > 0


def test_rank_by_rom_and_stiffness_flags_non_converged(study):
    rows = load_or_build(study)
    r = rank(rows, "rom_deg")
    assert [e["variant"] for e in r["ranked"]] == ["stiff", "soft", "intact"]
    unranked = {e["variant"]: e["reason"] for e in r["unranked"]}
    assert set(unranked) == {"softest", "ghost"}
    assert "not converged: extension" in unranked["softest"]
    # lower stiffness is worse: the same order, by the opposite sign
    s = rank(rows, "stiffness_Nm_per_deg")
    assert [e["variant"] for e in s["ranked"]] == ["stiff", "soft", "intact"]
    assert s["higher_is_worse"] is False
    for e in s["ranked"]:  # worst load case first within a variant
        vals = [x["stiffness_Nm_per_deg"] for x in e["rows"]]
        assert vals == sorted(vals)
    with pytest.raises(FeaError, match="Did you mean 'stiffness_Nm_per_deg'"):
        rank(rows, "stiffnes")


def test_compare_command_prints_ranking_and_flags(study, capsys):
    assert main(["compare", str(study), "--metric", "micromotion_p95_um_max", "--worst"]) == 0
    out = capsys.readouterr().out
    assert out.index("stiff") < out.index("soft ")  # 28.75 um ranks before 129 um
    assert "NOT CONVERGED" in out and "not ranked" in out and "softest" in out
    table = out[: out.index("not ranked")]
    assert table.count("extension") + table.count("flexion") == 5  # --worst: a row per variant
    # the unranked variant shows the case that failed
    softest = next(line for line in table.splitlines() if "softest" in line)
    assert "extension" in softest and "NOT CONVERGED" in softest


def test_a_folder_of_studies_is_named_not_misread(study, tmp_path):
    import shutil

    shutil.copytree(study / "stiff" / "flexion", tmp_path / "results" / "s1" / "stiff" / "flexion")
    with pytest.raises(FeaError, match="holds studies, not cases: give one of .*s1"):
        load_or_build(tmp_path / "results")
