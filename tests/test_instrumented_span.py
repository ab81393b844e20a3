"""Stability over a construct's instrumented span (fea.metrics.instrumented): the rotation of the
span's end bones from the rigid fits, its reduction against the intact model's rotation over the
same bones, and the verdict that grades it. Synthetic rigid motions, no FE solve; the bundled
construct files are checked for a span their bones have."""

from pathlib import Path

import numpy as np
import pytest

from fea.errors import ConfigError, FeaError
from fea.metrics import verdict as V
from fea.metrics.columns import flat_row
from fea.metrics.instrumented import check_span, parse_span, span_metrics
from fea.metrics.segmental import segmental_rom
from fea.metrics.stability import stability
from fea.metrics.thresholds import Thresholds
from fea.summary_table import _apply_rom_reference

TH = Thresholds()
Z = {"C0": 70.0, "C1": 52.0, "C2": 30.0, "C3": 8.0}  # block centres, mm (+z cranial)


def _blocks(bones):
    g = np.linspace(-5.0, 5.0, 4)
    cube = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    x = np.concatenate([cube + [0.0, 0.0, Z[b]] for b in bones])
    body = np.repeat(bones, len(cube))
    return x, body


def _flexion(x, body, deg_by_bone):
    """Each bone turned in flexion (about -x) by its angle (deg) about its own centre, as the
    small-displacement field of the solver (u = w x (x - c))."""
    u = np.zeros_like(x)
    for b, deg in deg_by_bone.items():
        m = body == b
        c = np.array([0.0, 0.0, Z[b]])
        u[m] = np.cross([-np.deg2rad(deg), 0.0, 0.0], x[m] - c)
    return u


M_FLEX = np.array([-1500.0, 0.0, 0.0])  # 1.5 Nm flexion (about -x), N mm


def _row(variant, bones, deg_by_bone, span=None, whole_ref=None):
    """A study-table row as fea.metrics.case makes it: the whole-model ROM is C0's rotation, the
    levels and spans from the rigid fits."""
    x, body = _blocks(bones)
    pairs = segmental_rom(x, _flexion(x, body, deg_by_bone), body, bones, moment_Nmm=M_FLEX,
                          all_pairs=True)
    top = deg_by_bone.get(bones[0], 0.0)
    m = {"converged": True, "thresholds": TH.as_dict(),
         "stability": stability([-np.deg2rad(top), 0, 0], M_FLEX, whole_ref),
         "segmental": {k: v for k, v in pairs.items() if v["adjacent"]},
         "spans": {k: v for k, v in pairs.items() if not v["adjacent"]},
         "instrumented": span_metrics(span, pairs)}
    return {"variant": variant, "loadcase": "flexion", **flat_row(m, TH)}


def test_all_pairs_give_span_rotations_and_mark_the_levels():
    bones = ["C0", "C1", "C2", "C3"]
    x, body = _blocks(bones)
    # C3 still, C2 4 deg, C1 7 deg, C0 10 deg of flexion: C1-C3 7, C0-C2 6, C0-C3 10
    pairs = segmental_rom(x, _flexion(x, body, {"C2": 4.0, "C1": 7.0, "C0": 10.0}), body,
                          bones, moment_Nmm=M_FLEX, all_pairs=True)
    assert [k for k, v in pairs.items() if v["adjacent"]] == ["C0-C1", "C1-C2", "C2-C3"]
    assert set(pairs) == {"C0-C1", "C0-C2", "C0-C3", "C1-C2", "C1-C3", "C2-C3"}
    for span, deg in [("C1-C3", 7.0), ("C0-C2", 6.0), ("C0-C3", 10.0), ("C1-C2", 3.0)]:
        assert pairs[span]["rom_deg"] == pytest.approx(deg, abs=1e-9)
    # without all_pairs: the levels alone, as before
    assert list(segmental_rom(x, _flexion(x, body, {"C0": 1.0}), body, bones)) == \
        ["C0-C1", "C1-C2", "C2-C3"]


def test_span_reduction_against_the_intact_span_decides_stability():
    """A C2 replacement that stops C1-C3 but leaves C0-C1 free: graded on C1-C3, it passes; on
    the whole model it would fail."""
    intact = _row("intact", ["C0", "C1", "C2", "C3"], {"C2": 3.0, "C1": 7.0, "C0": 10.5})
    avb = _row("avb", ["C0", "C1", "C3"], {"C1": 0.14, "C0": 3.6}, span="C1-C3")
    rows = [intact, avb]
    _apply_rom_reference(rows, {})  # the variant named intact is the reference
    assert intact["span_rom_deg@C1-C3"] == pytest.approx(7.0, abs=1e-9)
    assert avb["instrumented_span"] == "C1-C3"
    assert avb["instrumented_rom_reference_deg"] == pytest.approx(7.0, abs=1e-9)
    assert avb["instrumented_rom_reduction_pct"] == pytest.approx(98.0, abs=1e-6)
    assert avb["rom_reduction_pct"] == pytest.approx(100 * (1 - 3.6 / 10.5), abs=1e-6)  # 65.7
    st = V.study_verdicts(rows, TH, "intact")["avb"].criteria["stability"]
    assert (st.grade, st.where) == (V.PASS, "C1-C3")
    assert st.value == pytest.approx(98.0, abs=1e-6)


def test_an_adjacent_span_reads_the_level_column_and_without_it_the_whole_model_grades():
    intact = _row("intact", ["C0", "C1", "C2", "C3"], {"C2": 3.0, "C1": 7.0, "C0": 10.5})
    cages = _row("cages", ["C0", "C1", "C2", "C3"], {"C2": 2.9, "C1": 3.3, "C0": 6.8},
                 span="C1-C2")
    plain = _row("plain", ["C0", "C1", "C2", "C3"], {"C2": 2.9, "C1": 3.3, "C0": 6.8})
    rows = [intact, cages, plain]
    _apply_rom_reference(rows, {})
    # C1-C2: 0.4 deg against the intact 4.0 -> 90 %
    assert cages["instrumented_rom_reduction_pct"] == pytest.approx(90.0, abs=1e-6)
    out = V.study_verdicts(rows, TH, "intact")
    assert (out["cages"].criteria["stability"].grade,
            out["cages"].criteria["stability"].where) == (V.BORDERLINE, "C1-C2")
    # no span named: the whole model (6.8 against 10.5: 35 %)
    st = out["plain"].criteria["stability"]
    assert (st.grade, st.where) == (V.FAIL, "the whole model")
    assert st.value == pytest.approx(100 * (1 - 6.8 / 10.5), abs=1e-6)


def test_a_reference_without_the_span_falls_back_to_the_whole_model():
    # the reference has no C0: its rows hold no C0-C2, so the construct is graded as a whole
    intact = _row("intact", ["C1", "C2", "C3"], {"C2": 3.0, "C1": 7.0})
    occ = _row("occ", ["C0", "C1", "C2", "C3"], {"C0": 0.2, "C1": 0.1}, span="C0-C2")
    rows = [intact, occ]
    _apply_rom_reference(rows, {})
    assert "instrumented_rom_reduction_pct" not in occ
    assert V.study_verdicts(rows, TH, "intact")["occ"].criteria["stability"].where == \
        "the whole model"


@pytest.mark.parametrize("span, msg", [
    ("C1C3", "not a span of two bones"), ("C1-C1", "not a span of two bones"),
    ("C1-C4", "'C4' of span 'C1-C4' is not a bone body"),
    ("C3-C1", "C3 lies below C1; write 'C1-C3'"),
])
def test_bad_spans_are_explained(span, msg):
    with pytest.raises(FeaError, match=msg):
        check_span(span, {"C0": 70.0, "C1": 52.0, "C3": 8.0}, "model.instrumented_span")


def test_parse_span():
    assert parse_span(" C0 - C3 ", "x") == ("C0", "C3")


def test_a_model_file_with_a_wrong_span_names_the_file_and_key(tmp_path):
    from fea.config import load_model

    src = (Path(__file__).parents[1] / "models" / "examples" / "c2_avb_boxes.toml").read_text()
    bad = src.replace('instrumented_span = "C1-C3"', 'instrumented_span = "C1-C2"')
    assert bad != src
    p = tmp_path / "c2_avb_bad.toml"
    p.write_text(bad)
    with pytest.raises(ConfigError, match=r"c2_avb_bad.toml: model.instrumented_span: 'C2' of "
                                          r"span 'C1-C2' is not a bone body"):
        load_model(p)


def test_the_bundled_constructs_name_a_span_of_their_own_bones():
    import tomllib

    root = Path(__file__).parents[1] / "models"
    expected = {"c2_avb": "C1-C3", "c2_avb_occipital": "C0-C3", "aad_cages": "C1-C2",
                "aad_cages_occipital": "C0-C2", "c2_avb_boxes": "C1-C3",
                "aad_cages_boxes": "C1-C2", "harms_c1c2": "C1-C2"}
    for f in (sorted(root.glob("*.toml")) + sorted(root.glob("examples/*.toml"))
              + sorted(root.glob("validation/*.toml"))):
        spec = tomllib.loads(f.read_text())
        name = spec["model"]["name"]
        span = spec["model"].get("instrumented_span")
        assert span == expected.get(name), f"{f}: instrumented_span {span!r}"
        if span:
            bones = {s["body"] for s in spec["sections"] if s.get("role") == "bone"}
            assert set(parse_span(span, str(f))) <= bones, f"{f}: {span} not in {bones}"


def test_the_report_line_and_table_cell_say_over_which_span():
    from fea.report.verdicts import _item, _rom_cell

    intact = _row("intact", ["C0", "C1", "C2", "C3"], {"C2": 3.0, "C1": 7.0, "C0": 10.5})
    avb = _row("avb", ["C0", "C1", "C3"], {"C1": 0.14, "C0": 3.6}, span="C1-C3")
    rows = [intact, avb]
    _apply_rom_reference(rows, {})
    st = V.study_verdicts(rows, TH, "intact")["avb"].criteria["stability"]
    assert "98 % ROM reduction over C1-C3" in _item(st)
    cell = _rom_cell(avb)
    assert "0.14 vs 7 over C1-C3" in cell and "(−98 %)" in cell
    assert "whole model 3.6 (−65.7 %)" in cell
