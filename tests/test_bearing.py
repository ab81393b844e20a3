"""An implant's bearing on a bone as a whole (fea.metrics.bearing): the normal force of all its faces
over their contact area against the cancellous yield beneath, so that the same load on a smaller
footprint rates worse; its place in the verdict, the flags and the study table."""

import numpy as np
import pytest

from fea.errors import ConfigError
from fea.metrics.bearing import implant_bearing
from fea.metrics.columns import flat_row
from fea.metrics.subsidence import subsidence
from fea.metrics.thresholds import Thresholds
from fea.metrics.verdict import CRITERIA


def _face(p_MPa, area_mm2, n=10, core=1.9, implant="AVB", bone="C3"):
    """A face of n points with a uniform pressure over area_mm2, all in contact (status 1)."""
    s = subsidence(np.full(n, p_MPa), np.full(n, area_mm2 / n), 36.7, status=np.ones(n),
                   core_yield_MPa=core)
    s.update(implant=implant, bone=bone)
    return s


def test_the_faces_of_one_implant_on_one_bone_bear_together():
    """Solid rim 20 mm2 at 1.0 MPa and porous core 30 mm2 at 0.2 MPa: 26 N over 50 mm2, 0.52
    MPa, 0.52 / 1.9 of the core's yield; a cage on another bone stays its own entry."""
    subs = {"AVB_solid-C3": _face(1.0, 20.0), "AVB_porous-C3": _face(0.2, 30.0),
            "cage_L-C1": _face(0.5, 10.0, implant="cage_L", bone="C1")}
    b = implant_bearing(subs)
    assert set(b) == {"AVB on C3", "cage_L on C1"}
    avb = b["AVB on C3"]
    assert avb["faces"] == ["AVB_porous-C3", "AVB_solid-C3"]
    assert avb["normal_force_N"] == pytest.approx(26.0, rel=1e-12)
    assert avb["contact_area_mm2"] == pytest.approx(50.0, rel=1e-12)
    assert avb["mean_MPa"] == pytest.approx(0.52, rel=1e-12)
    assert avb["mean_to_core"] == pytest.approx(0.52 / 1.9, rel=1e-12)
    assert avb["risk"] == "low"
    assert b["cage_L on C1"]["normal_force_N"] == pytest.approx(5.0, rel=1e-12)


def test_the_same_force_on_a_smaller_footprint_rates_worse_and_over_yield_is_high():
    """26 N on 70 % of the area: the mean pressure and its ratio grow by 1 / 0.7 exactly (the
    peak of each face, set by its own pressure, does not see the footprint); at 2x the core's
    yield the bearing is 'high' and a flag names the implant and the bone."""
    base = implant_bearing({"s": _face(1.0, 20.0), "p": _face(0.2, 30.0)})["AVB on C3"]
    small = implant_bearing({"s": _face(1.0 / 0.7, 14.0),
                             "p": _face(0.2 / 0.7, 21.0)})["AVB on C3"]
    assert small["normal_force_N"] == pytest.approx(base["normal_force_N"], rel=1e-12)
    assert small["mean_to_core"] / base["mean_to_core"] == pytest.approx(1 / 0.7, rel=1e-12)
    over = implant_bearing({"s": _face(3.8, 20.0)})["AVB on C3"]
    assert over["mean_to_core"] == pytest.approx(2.0) and over["risk"] == "high"


@pytest.mark.parametrize("p_MPa, risk", [(0.55, "low"), (0.62, "moderate"), (1.85, "moderate"),
                                         (1.95, "high")])
def test_the_footprint_is_moderate_from_the_cyclic_failure_fraction_of_the_core(p_MPa, risk):
    """Moderate from 0.31 of the core's 1.9 MPa (0.589 MPa: human vertebral trabecular bone failed
    in cycles at sigma / E0 0.0026 against a yield strain of 0.84 %), high from 1.9 MPa; a study
    may move the fraction and a fraction outside (0, 1] is refused by name."""
    assert Thresholds().bearing_moderate_fraction == pytest.approx(0.0026 / 0.0084, abs=0.005)
    faces = {"s": _face(p_MPa, 20.0)}
    assert implant_bearing(faces)["AVB on C3"]["risk"] == risk
    grade = CRITERIA["subsidence"].grade(_row(implant_bearing(faces), faces), Thresholds())
    assert grade.grade == {"low": "pass", "moderate": "borderline", "high": "fail"}[risk]
    th = Thresholds(bearing_moderate_fraction=0.5)
    assert implant_bearing({"s": _face(0.9, 20.0)}, th)["AVB on C3"]["risk"] == "low"
    with pytest.raises(ConfigError, match="bearing_moderate_fraction"):
        Thresholds.from_dict({"bearing_moderate_fraction": 1.5})


def test_no_core_under_a_face_gives_no_ratio():
    b = implant_bearing({"s": _face(1.0, 20.0), "p": _face(0.2, 30.0, core=None)})["AVB on C3"]
    assert b["mean_to_core"] is None and b["risk"] == "n/a"
    assert b["normal_force_N"] == pytest.approx(26.0)


def _row(bearing: dict, subs: dict) -> dict:
    return flat_row({"converged": True, "subsidence": subs, "bearing": bearing,
                     "thresholds": Thresholds().as_dict()})


def test_the_verdict_takes_the_worse_of_the_faces_and_the_whole_footprint():
    """Faces 'low' by their peaks but the whole footprint over the core's yield: subsidence fails
    on the bearing, named as the implant on the bone; both low: the larger ratio is the value."""
    th = Thresholds()
    faces = {"AVB_solid-C3": _face(3.0, 5.0), "AVB_porous-C3": _face(2.5, 5.0)}
    row = _row(implant_bearing(faces), faces)
    assert row["bearing_risk_worst"] == "high"
    assert row["bearing_mean_to_core@AVB on C3"] == pytest.approx(2.75 / 1.9)
    g = CRITERIA["subsidence"].grade(row, th)
    assert g.grade == "fail" and g.where == "AVB on C3 (whole footprint)"
    assert g.value == pytest.approx(2.75 / 1.9)
    faces = {"AVB_solid-C3": _face(1.0, 20.0), "AVB_porous-C3": _face(0.2, 30.0)}
    g = CRITERIA["subsidence"].grade(_row(implant_bearing(faces), faces), th)
    assert g.grade == "pass" and g.value == pytest.approx(0.52 / 1.9)
    assert g.where == "AVB on C3 (whole footprint)"  # 0.27 beats the faces' 1.0 / 36.7 peak


def test_a_bearing_over_yield_is_flagged_by_the_case_metrics():
    from fea.metrics import case

    faces = {"AVB_solid-C3": _face(3.0, 5.0)}
    out = {"converged": True, "stability": {}, "micromotion": {}, "subsidence": faces,
           "bearing": implant_bearing(faces),
           "strength": {"regions": {}, "bodies": {}}}
    flags = case._flags(out, Thresholds())
    assert any(f.startswith("bearing of AVB on C3: mean pressure 3 MPa") and "1.9 MPa" in f
               for f in flags), flags


def test_the_report_names_a_bearing_verdict_by_its_ratio_and_shows_no_single_face_map():
    """A verdict decided by a whole footprint reads 'mean p / core yield' and asks for no
    interface pressure map (it spans faces); one decided by a face keeps 'peak / yield' and
    its face's map."""
    from fea.metrics.verdict import Verdict
    from fea.report.verdicts import _figure_name, _value

    whole = Verdict("subsidence", "pass", "flexion", 0.304, "", "AVB on C3 (whole footprint)", "")
    face = Verdict("subsidence", "pass", "flexion", 0.058, "", "AVB_solid-C3", "")
    assert _value(whole) == "mean p / core yield 0.304" and _figure_name(whole) is None
    assert _value(face).startswith("peak / yield") and _figure_name(face)
