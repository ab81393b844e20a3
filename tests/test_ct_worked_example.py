"""The CT worked example of docs/patient_geometry.md, end to end, on the DICOM series and the
DICOM-SEG that carry fake patient tags: converges, maps the law, and leaks no identifying tag
(issue 21)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np

from fea.cli import main
from fea.imaging.phantom import FAKE_PATIENT, main as write_phantom

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "patient_geometry.md"


def _example_toml() -> str:
    text = DOC.read_text()
    part = text[text.index("### Worked example: a synthetic CT phantom"):]
    return re.search(r"```toml\n(.*?)```", part, re.S).group(1)


def _dicom_lines() -> dict[str, str]:
    """The page's lines that switch the example to the DICOM series and its DICOM-SEG."""
    text = DOC.read_text()
    part = text[text.index("### Worked example: a synthetic CT phantom"):]
    block = re.findall(r"```toml\n(.*?)```", part, re.S)[1]
    return {ln.split("=")[0].strip(): ln for ln in block.splitlines() if "=" in ln}


def _dicom_toml() -> str:
    """The example's model with those lines in place of its NIfTI ones."""
    lines = _dicom_lines()
    out = [lines.get(ln.split("=")[0].strip(), ln) if "=" in ln else ln
           for ln in _example_toml().splitlines()]
    return "\n".join(out) + "\n"


def _needles() -> list[str]:
    """Every fake tag value, and the patient name's components (family, given)."""
    name = FAKE_PATIENT["PatientName"].split("^")
    return sorted(set(FAKE_PATIENT.values()) | {n for n in name if len(n) >= 4})


def test_ct_worked_example_from_dicom_converges_maps_the_law_and_leaks_nothing(
        tmp_path, monkeypatch, caplog, capsys):
    (tmp_path / "loadcases").symlink_to(ROOT / "loadcases")
    work = tmp_path / "ct_demo"
    work.mkdir()
    monkeypatch.chdir(work)
    assert write_phantom([".", "--dicom"]) == 0
    assert sorted(_dicom_lines()) == ["bodies", "image", "labels"]
    toml = _dicom_toml()  # the DICOM series and its DICOM-SEG, as the page says
    assert 'image = "ct_dicom"' in toml and 'labels = "labels_seg.dcm"' in toml
    Path("ct_phantom.toml").write_text(toml)
    caplog.set_level(logging.DEBUG)
    code = main(["solve", "ct_phantom.toml", "--loadcase", "../loadcases/compression.toml",
                 "--out", "compression", "--cache", str(tmp_path / "cache")])
    assert code == 0
    s = json.loads(Path("compression/summary.json").read_text())
    assert s["converged"] is True
    eq = s["steps"][-1]["equilibrium"]
    assert eq["force_rel_error"] < 1e-6

    law = lambda hu: 4730.0 * (0.0008 * hu) ** 1.56  # noqa: E731  (the block's law)
    for bone in ("C1", "C2", "C3"):
        ct = s["ct_materials"][bone]
        assert ct["image"]["format"] == "dicom"
        assert ct["image"]["spacing_mm"] == [0.6, 0.6, 0.8]
        # the rim (1200 HU) is the densest material; DICOM stores whole HU (0.5 HU rounding)
        assert abs(ct["E_MPa"]["max"] / law(1200.0) - 1) < 0.01
        assert ct["E_MPa"]["min"] >= law(150.0) * 0.99  # never below the core's centre
        assert ct["distinct_moduli"] > 50  # per element, not one per bone

    import meshio

    m = meshio.read("compression/result.vtu")
    E = np.concatenate(m.cell_data["E_MPa"])
    rho = np.concatenate(m.cell_data["density_g_cm3"])
    region = np.concatenate(m.cell_data["region"])
    disc = np.isin(region, [s["regions"].index("D12"), s["regions"].index("D23")])
    assert np.all(E[disc] == 10.0) and np.all(np.isnan(rho[disc]))
    # E is the mean of the law over the element's points, density the mean density: the law
    # is convex (b > 1), so E >= law(mean density) (Jensen), and never above the rim's
    assert np.all(E[~disc] >= law(rho[~disc] / 0.0008) * (1 - 1e-9))
    assert np.all(E[~disc] <= law(1200.0) * 1.01)

    # the mesh command (report, picture) on the same model
    assert main(["mesh", "ct_phantom.toml", "--out", "meshout", "--cache",
                 str(tmp_path / "cache")]) == 0
    assert Path("meshout/mesh_report.json").exists()

    # the same model as a one-case study: the report shows the mapped moduli per bone
    Path("study.toml").write_text('[study]\nname = "ct_demo"\nloadcases = '
                                  '["../loadcases/compression.toml"]\n\n[[models]]\n'
                                  'file = "ct_phantom.toml"\n')
    assert main(["run", "study.toml", "--out", "study"]) == 0
    report = Path("study/report.html").read_text()
    ct_part = report[report.index("<h2>CT bone moduli</h2>"):]
    for bone in ("C1", "C2", "C3"):
        assert f">{bone}</td>" in ct_part[:ct_part.index("<h2>", 10)]
    assert "dicom 45 x 38 x 51 voxels, 0.6 x 0.6 x 0.8 mm" in ct_part

    # privacy: no output, cache file, log record or printed line holds a tag value
    text = caplog.text + "".join(capsys.readouterr())
    inputs = {work / "ct_dicom", work / "ct.nii.gz", work / "labels.nii.gz",
              work / "labels_seg.dcm"}
    files = [p for d in (work, tmp_path / "cache") for p in d.rglob("*")
             if p.is_file() and not any(p == i or i in p.parents for i in inputs)]
    assert any(p.name == "report.html" for p in files) and any(p.suffix == ".npz" for p in files)
    for needle in _needles():
        assert needle not in text, needle
        for f in files:  # case as written: lowered base64 in result.vtu spells words by chance
            assert needle.encode() not in f.read_bytes(), (needle, f)
    # ...while the DICOM files themselves do carry them (the test would see a leak)
    for f in (next((work / "ct_dicom").iterdir()), work / "labels_seg.dcm"):
        assert FAKE_PATIENT["PatientID"].encode() in f.read_bytes()
