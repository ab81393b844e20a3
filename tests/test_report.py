"""The study report: a row per (variant, load case), flags, embedded figures, nothing external."""

import base64
import json
import re

import pytest
from synthetic_study import make_study

from fea.report import document, write_report

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(|@import|<script|<link""",
                      re.IGNORECASE)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    make_study(root, {"avb_rods": {}, "avb_no_rods": {"E_implant": 2000.0, "slip_um": 200.0}},
               loadcases=("flexion", "axial_rotation"),
               not_converged={("avb_no_rods", "axial_rotation")},
               study_json={"name": "C2 reconstruction", "models": ["avb.toml"],
                           "thresholds": {"fibrous_um": 150.0}})
    (root / "avb_plate" / "flexion").mkdir(parents=True)  # crashed case: no summary.json
    return root


def test_report_rows_flags_figures_and_no_external_resources(study, monkeypatch):
    monkeypatch.setattr(document, "MAX_CASES_WITH_FIGURES", 2)  # worst case of each variant
    path = write_report(study)
    text = path.read_text()
    rows = set(re.findall(r'<tr data-variant="([^"]+)" data-loadcase="([^"]+)"', text))
    assert rows == {(v, lc) for v in ("avb_rods", "avb_no_rods") for lc in
                    ("flexion", "axial_rotation")} | {("avb_plate", "flexion")}
    assert not EXTERNAL.search(text)
    assert "http://" not in text and "https://" not in text
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in imgs)
    # the verdict lines: a picture of where each judged variant's worst criterion was decided
    # (avb_no_rods: 200 µm slip fails micromotion in its converged case); the crashed variant
    # has nothing to show
    head = text[:text.index("<h2>Flags")]
    assert len(re.findall(r'src="data:image/png', head)) == 2
    assert 'alt="micromotion: avb_no_rods / flexion at cage_C3"' in head
    # two charts, then four figures of each variant's worst ROM case and of each case a verdict
    # line shows
    figs = text[text.index("<h2>Figures"):]
    cases = set(re.findall(r"<h3>([^<]+) / ([^<]+)</h3>", figs))
    assert ("avb_no_rods", "flexion") in cases and len(cases) <= 4
    assert len(imgs) == 2 + 2 + 4 * len(cases)
    assert "NOT CONVERGED: avb_no_rods / axial_rotation" in text
    assert "no summary.json" in text
    assert "fibrous tissue likely" in text  # 200 µm slip crosses the 150 µm threshold
    assert "C2 reconstruction" in text and "avb.toml" in text
    for source in ("Pilliar et al. 1986", "Kopperdahl &amp; Keaveny 1998", "Linear elastic"):
        assert source in text
    # the failed case is never ranked among the good ones
    rom_rank = text[text.index("<h3>ROM"):text.index("<h3>stiffness")]
    assert "not ranked: not converged: axial_rotation" in rom_rank


def test_report_without_study_json_or_figures(tmp_path):
    root = make_study(tmp_path / "s", {"only": {}}, loadcases=("flexion",))
    text = write_report(root, with_figures=False).read_text()
    assert "No study.json" in text
    assert 'data-variant="only" data-loadcase="flexion"' in text
    assert "data:image/png" not in text
    assert (root / "summary.csv").exists()
    json.dumps(text)  # plain text, nothing binary
