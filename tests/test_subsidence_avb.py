"""Subsidence that discriminates (issue 19 item 4): the C2 AVB with its deliberately undersized
footprint (variant footprint_small, 12 x 10 mm against 14 x 12 mm) must rate a higher subsidence
risk than the base design on the same load case, now that an implant on C3's endplate is judged
as on the bony endplate (36.7 MPa) over the cancellous bone beneath (1.9 MPa, the patch's mean
pressure) instead of compact bone's 133 MPa, under which both rated 'low'. Immediate
post-operative state (frictional faces), flexion, coarse TET4 as the demo.
"""

import csv
from pathlib import Path

import pytest

from fea.metrics.columns import CLASS_RANK
from studyfiles import coarse_construct_study

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_undersized_avb_footprint_rates_a_higher_subsidence_risk(tmp_path):
    from fea.cli import main

    study = tmp_path / "s.toml"
    study.write_text(coarse_construct_study(
        "subsidence_avb", [f"{ROOT}/loadcases/flexion.toml"], ["immediate"], f"""
[[models]]
file = "{ROOT}/models/examples/c2_avb_boxes.toml"
name = "c2_avb"
variants = ["base", "footprint_small"]
"""))
    assert main(["run", str(study), "--out", str(tmp_path / "out"), "--no-figures", "-q"]) == 0
    rows = {r["variant"]: r for r in csv.DictReader(open(tmp_path / "out" / "summary.csv"))}
    base, small = rows["c2_avb"], rows["c2_avb.footprint_small"]
    keys = ("peak_MPa", "p95_MPa", "mean_contact_MPa", "peak_to_yield", "p95_to_yield",
            "mean_contact_to_core", "area_over_yield_pct", "contact_area_mm2", "bone_yield_MPa",
            "risk")
    c3 = ("AVB_porous-C3", "AVB_solid-C3")
    for name, r in (("base 14 x 12 mm", base), ("footprint_small 12 x 10 mm", small)):
        print(name, "worst:", r["subsidence_risk_worst"], {
            i: {k: r[f"subsidence_{k}@{i}"] for k in keys} for i in c3})
    for i in c3:  # the AVB bears on C3's endplate over its cancellous core
        assert float(base[f"subsidence_bone_yield_MPa@{i}"]) == 36.7

    def worst(r, key):
        return max(float(r[f"subsidence_{key}@{i}"]) for i in c3)

    # the smaller footprint carries the same load on a smaller patch: higher pressures against
    # the endplate and, on average, against the bone beneath, and a worse risk class
    assert worst(small, "p95_to_yield") > 1.5 * worst(base, "p95_to_yield")
    assert worst(small, "mean_contact_to_core") > 1.5 * worst(base, "mean_contact_to_core")
    rank = {v: max(CLASS_RANK[r[f"subsidence_risk@{i}"]] for i in c3)
            for v, r in (("base", base), ("small", small))}
    print("risk rank (0 low, 1 moderate, 2 high):", rank)
    assert rank["small"] > rank["base"]
