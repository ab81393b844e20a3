"""Micromotion and subsidence statistics on fields with known answers, and class boundaries."""

import numpy as np
import pytest

from fea.errors import FeaError
from fea.metrics.micromotion import (
    FAVOURABLE,
    FIBROUS,
    UNCERTAIN,
    classify_micromotion,
    micromotion,
)
from fea.metrics.stats import weighted_percentile
from fea.metrics.subsidence import classify_subsidence, subsidence
from fea.metrics.thresholds import Thresholds


@pytest.mark.parametrize("slip_um", [5.0, 28.0, 90.0, 150.0, 400.0])
def test_uniform_slip_gives_that_micromotion_in_every_statistic(slip_um):
    rng = np.random.default_rng(0)
    p = 200
    area = rng.uniform(0.01, 0.5, p)  # unequal areas must not matter for a uniform field
    direction = rng.standard_normal((p, 3))
    direction[:, 2] = 0
    slip = direction / np.linalg.norm(direction, axis=1)[:, None] * slip_um * 1e-3
    m = micromotion(np.linalg.norm(slip, axis=1), area, gap_mm=np.zeros(p))
    for k in ("peak_um", "mean_um", "p95_um"):
        assert m[k] == pytest.approx(slip_um, rel=1e-12)
    # thresholds are inclusive: exactly 28 µm counts as "below 28" (ingrowth), whatever rounding
    assert m["area_below_28um_pct"] == (100.0 if slip_um <= 28 else 0.0)
    assert m["area_below_50um_pct"] == (100.0 if slip_um <= 50 else 0.0)
    assert m["area_above_150um_pct"] == (100.0 if slip_um >= 150 else 0.0)
    assert m["area_mm2"] == pytest.approx(area.sum())
    assert m["max_gap_um"] == 0.0


def test_known_distribution_percentile_and_fractions():
    # 100 equal-area points valued 1..100 µm: p95 = 95, 28 % at/below 28, 50 % at/below 50
    s = np.arange(1, 101) * 1e-3
    m = micromotion(s[::-1], np.ones(100))  # order must not matter
    assert m["p95_um"] == pytest.approx(95.0)
    assert m["mean_um"] == pytest.approx(50.5)
    assert m["peak_um"] == pytest.approx(100.0)
    assert m["area_below_28um_pct"] == pytest.approx(28.0)  # 1..28 inclusive
    assert m["area_below_50um_pct"] == pytest.approx(50.0)
    assert m["area_above_150um_pct"] == 0.0
    # area weighting: one point with 10 % of the area at 200 µm, the rest at 10 µm
    m = micromotion([0.2, 0.01], [1.0, 9.0])
    assert m["area_above_150um_pct"] == pytest.approx(10.0)
    assert m["mean_um"] == pytest.approx(0.1 * 200 + 0.9 * 10)
    assert m["p95_um"] == pytest.approx(200.0)
    assert weighted_percentile([0.2, 0.01], [1.0, 9.0], 90.0) == pytest.approx(0.01)


def test_micromotion_class_boundaries():
    th = Thresholds()
    assert classify_micromotion(28.0, th) == FAVOURABLE
    assert classify_micromotion(28.0001, th) == UNCERTAIN
    assert classify_micromotion(149.999, th) == UNCERTAIN
    assert classify_micromotion(150.0, th) == FIBROUS
    th40 = Thresholds(ingrowth_um=40.0)
    assert classify_micromotion(35.0, th40) == FAVOURABLE
    assert micromotion([0.035], [1.0], th=th40)["area_below_40um_pct"] == 100.0
    with pytest.raises(FeaError, match="ingrowth_um"):
        Thresholds(ingrowth_um=200.0)


def test_status_areas():
    m = micromotion([0.0, 0.01, 0.05], [1.0, 1.0, 2.0], status=[0, 1, 2])
    assert m["open_area_pct"] == pytest.approx(25.0)
    assert m["slipping_area_pct"] == pytest.approx(50.0)


def test_known_pressure_distribution():
    # footprint 10 points of 2 mm^2; 2 open; contact pressures 0.5 .. 4.0 MPa
    p = np.array([0, 0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0])
    s = subsidence(p, np.full(10, 2.0), bone_yield_MPa=1.9, penetration_mm=np.full(10, 1e-3))
    assert s["footprint_mm2"] == pytest.approx(20.0)
    assert s["contact_area_mm2"] == pytest.approx(16.0)
    assert s["contact_area_pct"] == pytest.approx(80.0)
    assert s["peak_MPa"] == pytest.approx(4.0)
    assert s["p95_MPa"] == pytest.approx(4.0)  # 95 % of 8 contact points lies in the last
    assert s["peak_to_yield"] == pytest.approx(4.0 / 1.9)
    assert s["area_over_yield_pct"] == pytest.approx(50.0)  # 2.0 .. 4.0 over 1.9 (5 of 10)
    assert s["max_penetration_um"] == pytest.approx(1.0)
    assert s["risk"] == "high"
    # the endplate is 20x stronger: nothing over yield
    s = subsidence(p, np.full(10, 2.0), bone_yield_MPa=36.7)
    assert s["area_over_yield_pct"] == 0.0 and s["risk"] == "low"
    assert s["p95_to_yield"] == pytest.approx(4.0 / 36.7)


def test_subsidence_class_boundaries_and_bad_input():
    th = Thresholds()
    assert classify_subsidence(0.999, 0.0, th) == "low"
    assert classify_subsidence(1.0, 4.99, th) == "moderate"
    assert classify_subsidence(1.0, 5.0, th) == "high"
    with pytest.raises(FeaError, match="pressure must be >= 0"):
        subsidence([1.0, -0.5], [1.0, 1.0], 1.9, where="interface 'x'")
    with pytest.raises(FeaError, match="2 values but 1 area"):
        subsidence([1.0, 0.5], [1.0], 1.9)


def test_bone_yield_lookup_order():
    # override > the material's own yield > its library bone type > the default (said assumed);
    # names never decide: a cell set called 'C3_sup_endplate' of plain cortical bone is cortical
    th = Thresholds(interface_bone_yield_MPa={"special": 5.0})
    assert th.bone_yield("special", "bony_endplate")[0] == 5.0
    assert th.bone_yield("a", "cancellous_bone", material_yield=2.5)[0] == 2.5
    assert th.bone_yield("a", "bony_endplate")[0] == 36.7
    assert th.bone_yield("a", "cortical_bone", material="C3_sup_endplate")[0] == 133.0
    assert th.bone_yield("a", "posterior_elements")[0] == 133.0
    y, src = th.bone_yield("a", None, material="trabecular_core")
    assert y == 1.9 and "assumed" in src and "trabecular_core" in src
    changed = Thresholds.from_dict({"bone_yield_MPa": {"cancellous": 1.2}})
    assert changed.bone_yield("a", "cancellous_bone")[0] == 1.2
    assert changed.bone_yield_MPa["endplate"] == 36.7  # partial override keeps the rest
    with pytest.raises(FeaError, match="Did you mean 'fibrous_um'"):
        Thresholds.from_dict({"fibrous_mu": 100})


def test_implant_on_a_shell_is_judged_as_on_an_endplate_over_its_core():
    """An implant on C3's cortical shell (its endplate face) over the cancellous core: the
    pressure is judged by the bony endplate (36.7 MPa), not compact bone (133 MPa), and the
    patch's mean by the core (1.9 MPa); shell_bearing picks the other rules; a body without a
    cancellous section and a per-interface override keep theirs."""
    from fea.metrics.case import bone_yield_for, core_yield_for

    regions = {"C3_cortical": {"library": "cortical_bone", "body": "C3", "role": "bone",
                               "material": "cortical", "yield_MPa": None},
               "C3_cancellous": {"library": "cancellous_bone", "body": "C3", "role": "bone",
                                 "material": "cancellous", "yield_MPa": None},
               "C1_cortical": {"library": "cortical_bone", "body": "C1", "role": "bone",
                               "material": "cortical", "yield_MPa": None},
               "avb": {"library": "ti6al4v", "body": "AVB", "role": "implant",
                       "material": "ti", "yield_MPa": 795.0}}
    meta = {"slave_role": "implant", "master_role": "bone", "slave_body": "AVB",
            "master_body": "C3", "master_regions": {"C3_cortical": 12.0, "C3_cancellous": 1.0}}
    y, src = bone_yield_for("avb_C3", meta, regions, Thresholds())
    assert y == 36.7 and "bony endplate" in src and "'C3_cancellous'" in src
    assert core_yield_for("avb_C3", meta, regions, Thresholds()) == 1.9
    y, src = bone_yield_for("avb_C3", meta, regions, Thresholds(shell_bearing="core"))
    assert y == 1.9 and "cancellous core 'C3_cancellous'" in src
    assert bone_yield_for("avb_C3", meta, regions, Thresholds(shell_bearing="shell"))[0] == 133.0
    over = Thresholds(interface_bone_yield_MPa={"avb_C3": 7.0})
    assert bone_yield_for("avb_C3", meta, regions, over)[0] == 7.0
    c1 = {**meta, "master_body": "C1", "master_regions": {"C1_cortical": 5.0}}
    assert bone_yield_for("avb_C1", c1, regions, Thresholds())[0] == 133.0  # no core: the shell
    assert core_yield_for("avb_C1", c1, regions, Thresholds()) is None
    with pytest.raises(FeaError, match="shell_bearing: 'cortex'"):
        Thresholds(shell_bearing="cortex")


def test_implant_on_a_membrane_cortex_is_judged_as_on_an_endplate_over_its_core():
    """A bone meshed as one cancellous solid whose cortex is a membrane (summary "membranes"):
    the contact points lie in the cancellous solid, yet the implant bears on the membrane over
    it, so the bony-endplate rule holds (36.7 MPa, patch mean against the core's 1.9 MPa) as
    for a resolved shell; without the membrane the same contact is on cancellous bone (1.9)."""
    from fea.metrics.case import bone_yield_for, core_yield_for, region_info

    summary = {"regions": ["C3_cancellous", "avb"],
               "materials": {"C3_cancellous": {"material": "cancellous", "role": "bone",
                                               "body": "C3", "library": "cancellous_bone"},
                             "avb": {"material": "ti", "role": "implant", "body": "AVB",
                                     "library": "ti6al4v", "yield_MPa": 795.0}},
               "membranes": {"C3_cortical": {"body": "C3", "role": "bone", "material": "cortical",
                                             "library": "cortical_bone", "yield_MPa": None,
                                             "thickness_mm": 0.5, "max_von_mises_MPa": 3.0,
                                             "p99_von_mises_MPa": 2.0}}}
    regions = region_info(summary)
    assert regions["C3_cortical"]["membrane"] and list(regions)[:2] == summary["regions"]
    meta = {"slave_role": "implant", "master_role": "bone", "slave_body": "AVB",
            "master_body": "C3", "master_regions": {"C3_cancellous": 9.0}}
    y, src = bone_yield_for("avb_C3", meta, regions, Thresholds())
    assert y == 36.7 and "'C3_cortical'" in src and "'C3_cancellous'" in src
    assert core_yield_for("avb_C3", meta, regions, Thresholds()) == 1.9
    assert bone_yield_for("avb_C3", meta, regions, Thresholds(shell_bearing="shell"))[0] == 133.0
    no_meta_regions = {**meta, "master_regions": {}}  # fall back on the body's one section
    assert bone_yield_for("avb_C3", no_meta_regions, regions, Thresholds())[0] == 36.7
    bare = region_info({k: v for k, v in summary.items() if k != "membranes"})
    assert bone_yield_for("avb_C3", meta, bare, Thresholds())[0] == 1.9
    assert core_yield_for("avb_C3", meta, bare, Thresholds()) is None


def test_mean_contact_pressure_is_force_over_contact_area():
    p = np.array([0.0, 1.0, 3.0])
    s = subsidence(p, np.array([5.0, 1.0, 2.0]), bone_yield_MPa=36.7, core_yield_MPa=2.0)
    assert s["mean_contact_MPa"] == pytest.approx((1.0 * 1 + 3.0 * 2) / 3.0)
    assert s["mean_contact_to_core"] == pytest.approx(7.0 / 3.0 / 2.0)
    assert subsidence(p, np.ones(3), 36.7)["mean_contact_to_core"] is None
