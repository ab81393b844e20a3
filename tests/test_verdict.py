"""Design verdicts (fea.metrics.verdict) and the report's opening lines (fea.report.verdicts).

Rows are made the way the study table makes them: per case metrics from the metric functions on
synthetic fields (uniform slip, uniform pressure, uniform stress), flattened by flat_row, so the
verdicts read the real column names. No FE solve.
"""

import json
import os
import re

import numpy as np
import pytest

from fea.metrics import verdict as V
from fea.metrics.columns import flat_row
from fea.metrics.micromotion import micromotion
from fea.metrics.stability import stability
from fea.metrics.strength import strength
from fea.metrics.subsidence import subsidence
from fea.metrics.thresholds import Thresholds
from fea.report import write_report
from fea.summary_table import _apply_rom_reference, read_summary_csv, write_summary_csv

TH = Thresholds()
N = 100  # points of a synthetic interface, 1 mm² each


def case_row(variant, loadcase, *, converged=True, rom_deg=None, ref_deg=None, slip_um=None,
             pressure_MPa=None, over_pct=0.0, yield_MPa=36.7, sf=None, clearance_mm=None):
    """One study-table row. slip_um / pressure_MPa: {interface: value}, uniform over it;
    over_pct: percentage of each pressure interface's area loaded at pressure_MPa (the rest at
    a tenth of it)."""
    m = {"converged": converged, "thresholds": TH.as_dict()}
    if rom_deg is not None:
        m["stability"] = stability([0.0, 0.0, np.deg2rad(rom_deg)], [0.0, 0.0, 1500.0], ref_deg)
    if slip_um:
        m["micromotion"] = {name: micromotion(np.full(N, v / 1000.0), np.ones(N), th=TH)
                            for name, v in slip_um.items()}
    if pressure_MPa:
        k = int(round(N * over_pct / 100))
        m["subsidence"] = {name: subsidence(np.r_[np.full(k, p), np.full(N - k, p / 10)],
                                            np.ones(N), yield_MPa, th=TH)
                           for name, p in pressure_MPa.items()}
    if sf is not None:
        regions = {name: {"role": "implant", "body": "cage", "yield_MPa": 795.0} for name in sf}
        m["strength"] = strength(regions, {n: np.full(8, 795.0 / s) for n, s in sf.items()}, TH)
    if clearance_mm is not None:
        m["screws"] = {name: {"min_mm": c, "canal_mm": c, "foramen_mm": 9.0, "nearest": "canal",
                              "grade": "", "breach": c < 0} for name, c in clearance_mm.items()}
    return {"variant": variant, "loadcase": loadcase, **flat_row(m, TH)}


def judge(rows, reference=None):
    return V.study_verdicts(rows, TH, reference)


@pytest.mark.parametrize("grade, value, expected", [
    # boundaries inclusive on the side the thresholds doc gives them (28 µm is ingrowth,
    # 150 µm fibrous; SF 1 has not yielded; 95 % / 75 % reductions are reached)
    (V.grade_micromotion, 28.0, V.PASS), (V.grade_micromotion, 28.01, V.BORDERLINE),
    (V.grade_micromotion, 149.99, V.BORDERLINE), (V.grade_micromotion, 150.0, V.FAIL),
    (V.grade_rom_reduction, 95.0, V.PASS), (V.grade_rom_reduction, 94.99, V.BORDERLINE),
    (V.grade_rom_reduction, 75.0, V.BORDERLINE), (V.grade_rom_reduction, 74.99, V.FAIL),
    (V.grade_safety_factor, 2.0, V.PASS), (V.grade_safety_factor, 1.99, V.BORDERLINE),
    (V.grade_safety_factor, 1.0, V.BORDERLINE), (V.grade_safety_factor, 0.99, V.FAIL),
    (V.grade_clearance, 2.0, V.PASS), (V.grade_clearance, 0.0, V.BORDERLINE),
    (V.grade_clearance, -0.01, V.FAIL),
])
def test_grade_boundaries(grade, value, expected):
    assert grade(value, TH) == expected


@pytest.mark.parametrize("kw, criterion, expected", [
    ({"slip_um": {"cage_C3": 20.0}}, "micromotion", V.PASS),
    ({"slip_um": {"cage_C3": 90.0}}, "micromotion", V.BORDERLINE),
    ({"slip_um": {"cage_C3": 200.0}}, "micromotion", V.FAIL),
    # peak below yield: low; over yield on 2 % of the footprint: moderate; on 30 %: high
    ({"pressure_MPa": {"cage_C3": 30.0}, "over_pct": 30}, "subsidence", V.PASS),
    ({"pressure_MPa": {"cage_C3": 40.0}, "over_pct": 2}, "subsidence", V.BORDERLINE),
    ({"pressure_MPa": {"cage_C3": 40.0}, "over_pct": 30}, "subsidence", V.FAIL),
    ({"sf": {"cage_solid": 3.0}}, "strength", V.PASS),
    ({"sf": {"cage_solid": 1.5}}, "strength", V.BORDERLINE),
    ({"sf": {"cage_solid": 0.8}}, "strength", V.FAIL),
    ({"rom_deg": 0.5, "ref_deg": 20.0}, "stability", V.PASS),  # 97.5 %
    ({"rom_deg": 3.0, "ref_deg": 20.0}, "stability", V.BORDERLINE),  # 85 %
    ({"rom_deg": 8.0, "ref_deg": 20.0}, "stability", V.FAIL),  # 60 %
    ({"clearance_mm": {"C1_L": 3.0}}, "screws", V.PASS),
    ({"clearance_mm": {"C1_L": 1.0}}, "screws", V.BORDERLINE),
    ({"clearance_mm": {"C1_L": -0.5}}, "screws", V.FAIL),
])
def test_each_criterion_from_the_study_rows(kw, criterion, expected):
    v = judge([case_row("d", "flexion", **kw)])["d"].criteria[criterion]
    assert v.grade == expected
    assert v.loadcase == "flexion"


def test_worst_load_case_and_where():
    rows = [case_row("d", "flexion", rom_deg=0.4, ref_deg=16.0, sf={"solid": 5.0, "lattice": 4.0},
                     slip_um={"cage_C3": 20.0, "cage_C1": 10.0}),
            case_row("d", "extension", rom_deg=1.6, ref_deg=8.0, sf={"solid": 3.0, "lattice": 1.5},
                     slip_um={"cage_C3": 25.0, "cage_C1": 90.0}),
            case_row("d", "axial_rotation", rom_deg=1.0, ref_deg=27.0,
                     sf={"solid": 2.5, "lattice": 6.0}, slip_um={"cage_C3": 60.0, "cage_C1": 5.0})]
    c = judge(rows)["d"].criteria
    # 80 % in extension is the smallest reduction (97.5 %, 96.3 % elsewhere)
    assert (c["stability"].grade, c["stability"].loadcase) == (V.BORDERLINE, "extension")
    assert c["stability"].value == pytest.approx(80.0)
    # 90 µm at cage_C1 in extension, not the 60 µm of cage_C3 in axial rotation
    assert (c["micromotion"].grade, c["micromotion"].loadcase, c["micromotion"].where) == \
        (V.BORDERLINE, "extension", "cage_C1")
    assert c["micromotion"].value == pytest.approx(90.0)
    assert (c["strength"].loadcase, c["strength"].where) == ("extension", "lattice")
    assert c["strength"].value == pytest.approx(1.5)
    assert c["micromotion"].cases["axial_rotation"]["grade"] == V.BORDERLINE
    assert c["micromotion"].cases["flexion"]["grade"] == V.PASS
    assert judge(rows)["d"].overall == V.BORDERLINE


def test_not_converged_is_never_a_pass_and_a_shown_fail_stays():
    good = dict(rom_deg=0.2, ref_deg=16.0, slip_um={"cage_C3": 10.0}, sf={"s": 4.0},
                pressure_MPa={"cage_C3": 1.0})
    rows = [case_row("d", "flexion", **good),
            # looks perfect, but did not converge: its numbers are not results
            case_row("d", "extension", converged=False, **good),
            case_row("e", "flexion", **{**good, "slip_um": {"cage_C3": 400.0}}),
            case_row("e", "extension", converged=False, **good),
            {"variant": "f", "loadcase": "flexion", "converged": False}]  # crashed: no summary
    out = judge(rows)
    for k in ("stability", "micromotion", "strength", "subsidence"):
        assert out["d"].criteria[k].grade == V.NOT_CONVERGED
        assert out["d"].criteria[k].loadcase == "extension"
        assert "converged cases alone: pass (flexion)" in out["d"].criteria[k].detail
    assert out["d"].overall == V.NOT_CONVERGED
    # a fail in a converged case is certain whatever the failed case holds
    assert out["e"].criteria["micromotion"].grade == V.FAIL
    assert out["e"].criteria["strength"].grade == V.NOT_CONVERGED
    assert out["e"].overall == V.FAIL
    assert {v.grade for v in out["f"].criteria.values()} == {V.NOT_CONVERGED}
    assert all(V.PASS not in {v.grade for v in out[x].criteria.values()} for x in "df")


def test_not_computed_and_the_reference_variant():
    rows = [case_row("intact", "flexion", rom_deg=16.0),
            case_row("d", "flexion", rom_deg=0.3, ref_deg=16.0, sf={"s": 4.0})]
    out = judge(rows, reference="intact")
    assert set(out) == {"d"}  # the reference is not a design
    c = out["d"].criteria
    assert c["micromotion"].grade == V.NOT_COMPUTED and c["micromotion"].loadcase is None
    assert c["screws"].grade == V.NOT_COMPUTED
    assert c["stability"].grade == V.PASS
    # the overall grade counts the judged criteria; not computed ones are listed, not passed
    assert out["d"].overall == V.PASS
    nothing = judge([case_row("g", "flexion")])["g"]
    assert nothing.overall == V.NOT_COMPUTED


def test_csv_round_trip_gives_the_same_verdicts(tmp_path):
    rows = [case_row("d", lc, rom_deg=r, ref_deg=16.0, slip_um={"cage_C3": s}, sf={"s": f},
                     pressure_MPa={"cage_C3": 40.0}, over_pct=2)
            for lc, r, s, f in (("flexion", 0.5, 30.0, 3.0), ("extension", 2.0, 160.0, 1.2))]
    rows.append(case_row("d", "axial_rotation", converged=False))
    (tmp_path / "d").mkdir()
    back = read_summary_csv(write_summary_csv(tmp_path, rows))
    assert V.as_json(judge(back), TH, None) == V.as_json(judge(rows), TH, None)
    assert judge(back)["d"].criteria["micromotion"].grade == V.FAIL  # 160 µm in extension


# ---------------------------------------------------------------- the report
def _png(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(path, np.linspace(0, 1, 64).reshape(8, 8))


@pytest.fixture()
def study(tmp_path):
    """A study folder as a run leaves it: case folders with summary.json, summary.csv newer."""
    lcs = {"flexion": 16.0, "axial_rotation": 27.0}
    rows = [case_row("intact", lc, rom_deg=ref) for lc, ref in lcs.items()]
    rows += [case_row("cage_a", lc, rom_deg=0.02 * ref,
                      slip_um={"cage_C3": 40.0 if lc == "axial_rotation" else 10.0},
                      sf={"s": 3.0}) for lc, ref in lcs.items()]
    rows += [case_row("cage_b", "flexion", rom_deg=6.0, slip_um={"cage_C3": 10.0},
                      sf={"s": 3.0}),
             case_row("cage_b", "axial_rotation", converged=False)]
    _apply_rom_reference(rows, {})  # as the study table does: the variant named intact
    for r in rows:
        case = tmp_path / r["variant"] / r["loadcase"]
        case.mkdir(parents=True)
        (case / "summary.json").write_text(json.dumps({"converged": r["converged"]}))
    old = (tmp_path / "intact" / "flexion" / "summary.json").stat().st_mtime
    write_summary_csv(tmp_path, rows)
    os.utime(tmp_path / "summary.csv", (old + 10, old + 10))
    (tmp_path / "study.json").write_text(json.dumps({"name": "verdicts"}))
    return tmp_path


def test_report_opens_with_the_verdicts_before_any_table(study):
    _png(study / "cage_a" / "axial_rotation" / "figures" / "micromotion_cage_C3.png")
    text = write_report(study, with_figures=False).read_text()
    start, first_table = text.index("<h2>Verdicts"), text.index("<table")
    assert text.index("</h1>") < start < text.index('class="verdict"') < first_table
    assert first_table < text.index("<h2>Flags")
    lines = dict(re.findall(r'<div class="verdict" data-variant="([^"]+)" '
                            r'data-overall="([^"]+)"', text))
    # cage_a: 98 % reduction passes, 40 µm p95 in axial rotation is borderline
    # cage_b: 62.5 % reduction fails in flexion, though axial rotation did not converge
    assert lines == {"cage_a": V.BORDERLINE, "cage_b": V.FAIL}
    a = text[text.index('data-variant="cage_a"'):text.index('data-variant="cage_b"')]
    assert re.search(r'micromotion <span class="v v-borderline">borderline</span> '
                     r"<small>\(40 µm at cage_C3; worst: axial_rotation\)", a)
    # the picture of where: the deciding case's own figure, embedded
    assert 'alt="micromotion: cage_a / axial_rotation at cage_C3"' in a
    assert "data:image/png;base64,iVBORw0KGgo" in a
    # intact beside each construct, per load case
    side = text[text.index("<h3>Intact vs construct"):text.index("<h2>Flags")]
    assert re.search(r"<b>intact</b> \(variant &#x27;intact&#x27; \(same study\)\)", side)
    assert ">16<" in side and ">27<" in side and "(−98 %)" in side
    assert "NOT CONVERGED" in side
    # the machine-readable copy agrees
    data = json.loads((study / "verdicts.json").read_text())
    assert data["variants"]["cage_b"]["criteria"]["stability"]["grade"] == V.FAIL
    assert data["variants"]["cage_b"]["criteria"]["stability"]["loadcase"] == "flexion"
    assert data["variants"]["cage_b"]["criteria"]["micromotion"]["grade"] == V.NOT_CONVERGED
    assert data["variants"]["cage_a"]["criteria"]["micromotion"]["value"] == pytest.approx(40.0)
    assert "intact" not in data["variants"]


def test_a_stale_figure_is_not_shown(study):
    png = study / "cage_a" / "axial_rotation" / "figures" / "micromotion_cage_C3.png"
    _png(png)
    summary = study / "cage_a" / "axial_rotation" / "summary.json"
    t = summary.stat().st_mtime
    os.utime(png, (t - 100, t - 100))  # from an earlier run of the case
    text = write_report(study, with_figures=False).read_text()
    assert "data:image/png" not in text[:text.index("<h2>Flags")]


def test_console_prints_one_verdict_line_per_design(study):
    from rich.console import Console

    from fea.study.show import print_verdicts

    write_report(study, with_figures=False)
    console = Console(record=True, width=300)
    print_verdicts(study, console)
    lines = console.export_text().splitlines()
    assert len(lines) == 2  # cage_a, cage_b; the intact reference is not judged
    assert lines[1].startswith("cage_b fail: stability over the whole model fail (flexion), "
                               "micromotion not converged "
                               "(axial_rotation)")
    assert "screws not computed" in lines[0]


def test_study_thresholds_move_the_verdict_and_are_printed_with_sources(study):
    text = write_report(study, with_figures=False).read_text()
    assert "Erbulut et al. 2022 Asian Spine J 16:831" in text and "project default" in text
    a = json.loads((study / "verdicts.json").read_text())["variants"]["cage_a"]["criteria"]
    assert a["stability"]["grade"] == V.PASS  # 98 %
    (study / "study.json").write_text(json.dumps({"thresholds": {"rom_reduction_pass_pct": 99}}))
    write_report(study, with_figures=False)
    a = json.loads((study / "verdicts.json").read_text())["variants"]["cage_a"]["criteria"]
    assert a["stability"]["grade"] == V.BORDERLINE


@pytest.mark.parametrize("bad, key", [
    ({"rom_reduction_fail_pct": 96.0}, "rom_reduction_pass_pct"),
    ({"rom_reduction_pass_pct": 120.0}, "rom_reduction_pass_pct"),
    ({"pass_safety_factor": 0.5}, "pass_safety_factor"),
    ({"rom_reduction_pass_pct_typo": 90.0}, "Did you mean 'rom_reduction_pass_pct'"),
])
def test_bad_verdict_thresholds_are_named(bad, key):
    from fea.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(key)):
        Thresholds.from_dict(bad)


def test_verdict_picture_names_the_file_the_case_figures_write():
    """The report links a micromotion / subsidence verdict to the interface's case figure: the
    name comes from the same helper fea.plot.figures saves it under (tests/test_plot.py checks
    micromotion_cage_C3.png is written), also for a name that is not file-safe."""
    from fea.report.verdicts import _figure_name

    def v(criterion, where):
        return V.Verdict(criterion, V.FAIL, "flexion", 1.0, "um", where, "")

    assert _figure_name(v("micromotion", "cage_C3")) == "micromotion_cage_C3.png"
    assert _figure_name(v("subsidence", "cage C3 / upper")) == "pressure_cage_C3_upper.png"
    assert _figure_name(v("micromotion", "//")) == "micromotion_interface.png"
    assert _figure_name(v("stability", None)) == "von_mises.png"
