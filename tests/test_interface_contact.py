"""One definition of "in contact" for every interface output (fea.contact.status): the status
after the pressure floor decides contact area, subsidence area, micromotion and the maps; open
points are gaps, judged against the bone-apposition distance, never ingrowth classes; the bone
yield comes from the material the implant bears on, not from a name."""

import numpy as np
import pytest
from synthetic_study import block_model, write_block_case

from fea.materials import library_material
from fea.metrics.case_files import metrics_from_case_dir
from fea.metrics.micromotion import FAVOURABLE, micromotion
from fea.metrics.subsidence import subsidence
from fea.metrics.thresholds import Thresholds

OPEN, STICK, SLIP = 0, 1, 2  # CSTATUS
GAP_BRIDGEABLE, GAP_WIDE = "open: gap within bone apposition", "open: gap beyond bone apposition"


def test_pressure_below_the_floor_is_open_so_identical_runs_give_identical_areas():
    from fea.contact.status import in_contact, pressure_floor, settle

    # two runs of one case that differ only in the last bits of a converged multiplier: one left
    # 2.4e-7 MPa at a point the other left at 0 (the 20 mm² that came and went)
    eps_n = np.full(4, 3 * 450.0 / 2.0)  # 3 E/h, cancellous bone, 2 mm faces
    floor = pressure_floor(eps_n, 1e-6)
    assert floor == pytest.approx(6.75e-4)  # what a 1 nm gap tolerance means in pressure
    area = np.array([20.0, 5.0, 5.0, 5.0])
    run_a = settle([STICK, STICK, SLIP, OPEN], [2.4e-7, 0.3, 0.2, 0.0], floor)
    run_b = settle([OPEN, STICK, SLIP, OPEN], [0.0, 0.3, 0.2, 0.0], floor)
    for st, p in (run_a, run_b):
        assert list(st) == [OPEN, STICK, SLIP, OPEN]
        assert area[in_contact(st)].sum() == 10.0
        assert p[0] == 0.0 and p[3] == 0.0
    # and an open point never carries pressure, whatever its multiplier
    st, p = settle([OPEN], [5.0], np.zeros(1))
    assert st[0] == OPEN and p[0] == 0.0


def test_open_face_is_a_gap_not_ingrowth():
    # the cage face: every point open, 2-10 µm of relative motion, zero pressure
    a = np.full(40, 2.0)
    slip = np.linspace(2e-3, 10e-3, 40)
    m = micromotion(slip, a, gap_mm=np.full(40, 6e-3), status=np.zeros(40, int))
    assert m["class"] == GAP_BRIDGEABLE and m["class"] != FAVOURABLE
    assert m["contact_area_mm2"] == 0.0 and m["open_area_pct"] == 100.0
    assert np.isnan(m["peak_um"]) and np.isnan(m["p95_um"])
    assert m["area_below_28um_pct"] == 0.0  # an open face is not "below the ingrowth threshold"
    assert m["max_gap_um"] == pytest.approx(6.0)
    wide = micromotion(slip, a, gap_mm=np.full(40, 0.2), status=np.zeros(40, int))
    assert wide["class"] == GAP_WIDE and wide["gap_over_50um_pct"] == 100.0
    # half in contact: the slip statistics are those of the contact half only
    st = np.r_[np.ones(20, int), np.zeros(20, int)]
    half = micromotion(slip, a, gap_mm=np.r_[np.zeros(20), np.full(20, 0.08)], status=st)
    assert half["peak_um"] == pytest.approx(slip[19] * 1e3)
    assert half["contact_area_mm2"] == 40.0 and half["open_area_pct"] == 50.0
    assert half["area_below_28um_pct"] == 50.0 and half["gap_over_50um_pct"] == 50.0
    # classes and fractions move with the threshold
    th = Thresholds(bone_apposition_um=100.0)
    assert micromotion(slip, a, np.full(40, 0.08), np.zeros(40, int), th)["class"] == \
        GAP_BRIDGEABLE


def test_subsidence_contact_is_the_status_not_a_smoothed_pressure():
    # a smoothed field leaves 0.5 MPa on two open points: no contact area there, no pressure
    p = np.array([0.5, 0.5, 2.0, 3.0])
    s = subsidence(p, np.ones(4), 1.9, status=[OPEN, OPEN, STICK, SLIP])
    assert s["contact_area_mm2"] == 2.0 and s["area_over_yield_pct"] == 50.0
    s = subsidence(p, np.ones(4), 1.9, status=np.zeros(4, int))
    assert s["contact_area_mm2"] == 0.0 and s["peak_MPa"] == 0.0 and s["risk"] == "low"
    with pytest.raises(Exception, match="3 status values but 4"):
        subsidence(p, np.ones(4), 1.9, status=[0, 1, 1])


def test_open_case_metrics_and_map(tmp_path):
    d = tmp_path / "open" / "flexion"
    write_block_case(d, "flexion", slip_um=8.0, open_gap_um=120.0)
    m = metrics_from_case_dir(d)
    mm, sub = m["micromotion"]["cage_C3"], m["subsidence"]["cage_C3"]
    assert mm["class"] == GAP_WIDE and mm["contact_area_mm2"] == 0.0
    assert sub["contact_area_mm2"] == 0.0
    assert any("no contact at 'cage_C3'" in f for f in m["flags"])

    from test_plot import _band_pixels, _img

    from fea.plot.figures import case_figures

    paths = case_figures(d)
    green, red = _band_pixels(_img(next(p for p in paths if p.name.startswith("micromotion"))))
    assert green < 200 and red < 200  # 4-12 µm of slip, but open: grey, not green


def test_bone_yield_from_the_material_not_the_names(tmp_path):
    # the README patient model: one bone material from library cortical_bone on cell sets named
    # after the vertebra; the face set names an endplate. Cortical it is (133 MPa), not the
    # cancellous default nor an endplate guessed from a name.
    model = block_model()
    model.materials["cancellous"] = library_material("cortical_bone", "cancellous")
    write_block_case(tmp_path / "c", "flexion", model=model)
    sub = metrics_from_case_dir(tmp_path / "c")["subsidence"]["cage_C3"]
    assert sub["bone_yield_MPa"] == 133.0
    assert "cortical_bone" in sub["bone_yield_source"]
