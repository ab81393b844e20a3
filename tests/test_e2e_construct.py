"""End to end on the box-bone constructs (coarse TET4, flexion): a study run as a user runs it,
and the metrics read back from what it wrote.

- aad_cages, immediate state: the cages sit in the C1-C2 joints in Coulomb contact (mu 0.3 / 0.8),
  screws are tied to bone. Micromotion must be positive on every cage face in contact (a face
  that opens is a gap, not micromotion) and exactly zero on
  every tied screw-bone interface; the natural C2-C3 facet joints slide too, but they are not a
  bone-implant interface and must not be judged against the ingrowth thresholds.
- aad_cages, fused state: the cage faces are tied, so their micromotion is zero and the construct
  rotates less than in the immediate state.
- c2_avb with and without the posterior screw-rod fixation (fused): the rods make it stiffer.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from fea.cli import main
from studyfiles import coarse_construct_study

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

STUDY = coarse_construct_study("e2e", [f"{ROOT}/loadcases/flexion.toml"],
                               ["immediate", "fused"], f"""
[[models]]
file = "{ROOT}/models/examples/aad_cages_boxes.toml"
name = "aad_cages"

[[models]]
file = "{ROOT}/models/examples/c2_avb_boxes.toml"
name = "c2_avb"
variants = ["base", "no_rods"]
states = ["fused"]
""")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    (base / "study.toml").write_text(STUDY)
    out = base / "out"
    assert main(["run", str(base / "study.toml"), "--out", str(out), "--workers", "0"]) == 0
    with open(out / "summary.csv", newline="") as fh:
        rows = {r["variant"]: r for r in csv.DictReader(fh)}
    return out, rows


def _metrics(out: Path, variant: str) -> dict:
    return json.loads((out / variant / "flexion" / "summary.json").read_text())["metrics"]


def test_every_case_has_its_metrics(study):
    out, rows = study
    assert set(rows) == {"aad_cages", "aad_cages@fused", "c2_avb@fused", "c2_avb.no_rods@fused"}
    for variant, r in rows.items():
        assert r["status"] == "done" and r["converged"] == "True", variant
        assert float(r["rom_deg"]) > 0 and float(r["stiffness_Nm_per_deg"]) > 0, variant
    report = (out / "report.html").read_text()
    assert all(v in report for v in rows)


def test_friction_gives_micromotion_tied_gives_none(study):
    out, _ = study
    immediate = _metrics(out, "aad_cages")["micromotion"]
    cages = {n: m for n, m in immediate.items() if n.startswith("cage_")}
    screws = {n: m for n, m in immediate.items() if n.startswith("screw_")}
    assert len(cages) == 8 and len(screws) == 4
    for name, m in cages.items():
        assert m["law"] == "friction" and m["n_points"] > 0, name
        if m["contact_area_mm2"] > 0:  # micromotion is the slip of the points touching bone
            assert m["peak_um"] > 0.1 and m["mean_um"] > 0, name  # measured 1.4-10.9 um
        else:  # a face that touches no bone is a gap, not an ingrowth class
            assert m["peak_um"] is None and m["class"].startswith("open"), name
    assert sum(m["contact_area_mm2"] > 0 for m in cages.values()) >= 4  # the solid rims bear
    for name, m in screws.items():
        assert m["law"] == "tied" and m["peak_um"] == 0 and m["class"] == "bonded (tied)", name
    assert not [n for n in immediate if n.startswith("facet_")]  # bone-bone: not micromotion
    assert (out / "aad_cages" / "flexion" / "figures"
            / "micromotion_cage_L_porous-C2.png").stat().st_size > 10_000

    fused = _metrics(out, "aad_cages@fused")["micromotion"]
    assert {n for n in fused if n.startswith("cage_")} == set(cages)
    assert all(fused[n]["law"] == "tied" and fused[n]["peak_um"] == 0 for n in cages)


def test_fusion_and_rods_stiffen(study):
    _, rows = study
    k = {v: float(r["stiffness_Nm_per_deg"]) for v, r in rows.items()}
    assert k["c2_avb@fused"] > 1.5 * k["c2_avb.no_rods@fused"]  # measured 23.5 vs 8.6 Nm/deg
    assert k["aad_cages@fused"] > k["aad_cages"]


def test_every_interface_output_agrees_on_contact(study):
    """Issue 17 item 3 on the coarse cage construct in flexion: interfaces.vtu, the summary's
    interface totals, subsidence and micromotion give one contact area per interface (the
    status's), open points carry no pressure, and a face with no point in contact is a gap."""
    import numpy as np

    from fea.metrics.case_files import read_interfaces

    case = study[0] / "aad_cages" / "flexion"
    summary = json.loads((case / "summary.json").read_text())
    m, meta = summary["metrics"], summary["interfaces"]
    arrays = read_interfaces(case, summary)
    n_open_faces = 0
    for name, sub in m["subsidence"].items():
        a = arrays[name]
        closed = a["status"] > 0
        area = float(a["area"][closed].sum())
        assert np.all(a["pressure"][~closed] == 0), name
        assert meta[name]["contact_area_mm2"] == pytest.approx(area, abs=1e-9), name
        assert sub["contact_area_mm2"] == pytest.approx(area, abs=1e-9), name
        assert m["micromotion"][name]["contact_area_mm2"] == pytest.approx(area, abs=1e-9), name
        if not closed.any():
            n_open_faces += 1
            assert meta[name]["normal_force_N"] == 0.0, name
            assert m["micromotion"][name]["class"].startswith("open"), name
    assert n_open_faces >= 1  # measured: the four porous faces open in flexion (coarse mesh)

    # the section view cuts both lateral cages (a midline sagittal cut misses both)
    from fea.plot.backend import pyvista
    from fea.plot.case_data import load_case
    from fea.plot.figures import section_cut

    data = load_case(case, pyvista())
    imp, normal, centre = section_cut(data)
    for cage in data.bodies_of(("implant",)):
        assert cage.slice(normal=normal, origin=centre).n_points > 0
    assert len(data.bodies_of(("implant",))) == 2
