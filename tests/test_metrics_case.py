"""case_metrics on a solved (bonded) block and on synthetic summaries; strength factors."""

import numpy as np
import pytest
from synthetic_study import (
    block_model,
    interface_arrays,
    interface_meta,
    loadcase,
    write_block_case,
)

from fea.metrics import Thresholds, case_metrics, flat_row
from fea.metrics.case_files import metrics_from_case_dir, read_interfaces
from fea.metrics.strength import strength
from fea.static import solve


@pytest.fixture(scope="module")
def flexion_case(tmp_path_factory):
    d = tmp_path_factory.mktemp("case") / "flexion"
    write_block_case(d, "flexion")
    return d


def test_rom_of_solved_case_is_the_load_point_rotation_since_preload(flexion_case):
    res = solve(block_model(), loadcase("flexion"))
    ip = res.model.ref_dof("load", 3)
    pre = res.step_ends()[0].u[ip: ip + 3]
    fin = res.final.u[ip: ip + 3]
    expected = np.rad2deg(-(fin[0] - pre[0]))  # flexion: about -x
    m = metrics_from_case_dir(flexion_case)
    st = m["stability"]
    assert m["reference_step"] == "preload"
    assert st["rom_deg"] == pytest.approx(expected, rel=1e-6)
    assert st["rom_deg"] > 0
    assert st["moment_Nm"] == pytest.approx(1.5, rel=1e-9)  # preload cancels in the difference
    assert st["stiffness_Nm_per_deg"] == pytest.approx(1.5 / expected, rel=1e-6)


def test_bonded_implant_does_not_move_against_bone_and_interfaces_read_back(flexion_case):
    m = metrics_from_case_dir(flexion_case)
    tr = m["implant_translation"]["cage|C3"]
    assert tr["n_nodes"] == 16 and tr["max_um"] == pytest.approx(0.0, abs=1e-9)
    ifs = read_interfaces(flexion_case)
    ref = interface_arrays()
    assert set(ifs) == {"cage_C3"}
    assert np.allclose(ifs["cage_C3"]["slip_magnitude"], ref["slip_magnitude"])
    assert m["micromotion"]["cage_C3"]["p95_um"] == pytest.approx(28.75)
    assert m["subsidence"]["cage_C3"]["bone_yield_MPa"] == 1.9  # the bone material's yield


def test_case_without_interfaces_and_columns(tmp_path):
    d = tmp_path / "c"
    s = write_block_case(d, "axial_rotation", with_interface=False)
    m = case_metrics(s, {}, s["stress_peaks"])
    assert m["micromotion"] == {} and m["subsidence"] == {}
    assert m["stability"]["rom_deg"] > 0
    row = flat_row(m)
    assert row["micromotion_p95_um_max"] is None
    assert row["implant_safety_factor_min"] == pytest.approx(795.0 / row[
        "implant_von_mises_peak_MPa_max"])
    assert row["converged"] is True


def _synthetic_summary(rot_final_deg, rot_pre_deg, M_final, M_pre, converged=True):
    def step(name, rot, M):
        return {"step": name, "ref_points": {"load": {"rotation_deg": rot}},
                "equilibrium": {"applied_moment_Nmm": M}}
    return {"model": "m", "loadcase": "lc", "converged": converged,
            "steps": [step("preload", rot_pre_deg, M_pre), step("moment", rot_final_deg, M_final)],
            "regions": ["cage", "lattice", "rod", "C3"],
            "materials": {"cage": {"material": "ti", "role": "implant", "body": "avb",
                                   "yield_MPa": 795.0},
                          "lattice": {"material": "ti_lattice", "role": "implant", "body": "avb",
                                      "yield_MPa": 40.0},
                          "rod": {"material": "ti", "role": "hardware", "body": "rod_left",
                                  "yield_MPa": 795.0},
                          "C3": {"material": "bone", "role": "bone", "body": "C3",
                                 "library": "bony_endplate"}},
            "interfaces": {"avb_C3": {**interface_meta(), "slave_body": "avb",
                                      "master": "C3_sup_endplate"}}}


def test_synthetic_case_flags_and_lattice_governs():
    s = _synthetic_summary([0, 0, 2.0], [0, 0, 0.5], [0, 0, 1500.0], [0, 0, 0])
    vm = {"cage": np.full((10, 4), 100.0), "lattice": np.full((5, 4), 50.0),
          "rod": np.linspace(0, 900.0, 100), "C3": np.ones(3)}
    ifs = {"avb_C3": interface_arrays(slip_um=200.0, pressure_MPa=30.0)}
    m = case_metrics(s, ifs, vm)
    assert m["stability"]["rom_deg"] == pytest.approx(1.5)
    body = m["strength"]["bodies"]["avb"]
    assert body["peak_MPa"] == 100.0
    assert body["sf_min"] == pytest.approx(40.0 / 50.0)  # the lattice, although less stressed
    assert m["strength"]["regions"]["rod"]["sf_peak"] == pytest.approx(795.0 / 900.0)
    assert "C3" not in m["strength"]["regions"]
    # the bone material (library bony_endplate) decides the bone yield;
    # 30 MPa * 1.5 > 36.7 on part of the area
    sub = m["subsidence"]["avb_C3"]
    assert sub["bone_yield_MPa"] == 36.7 and sub["risk"] in ("moderate", "high")
    assert m["micromotion"]["avb_C3"]["class"] == "fibrous likely"
    text = " | ".join(m["flags"])
    assert "fibrous tissue likely" in text and "lattice" in text and "rod" in text
    assert "not converged" not in text
    s_bad = _synthetic_summary([0, 0, 2.0], [0, 0, 0.5], [0, 0, 1500.0], [0, 0, 0], False)
    assert "not converged" in case_metrics(s_bad, {}, vm)["flags"]


def test_thresholds_change_the_outcome_and_intact_reference():
    s = _synthetic_summary([-1.0, 0, 0], [0, 0, 0], [-1500.0, 0, 0], [0, 0, 0])
    s["loadcase"] = "flexion"
    th = Thresholds(intact_rom_deg={"flexion": 11.5}, intact_rom_source="Panjabi 1988 C1-C2")
    m = case_metrics(s, {}, {"cage": [1.0], "lattice": [1.0], "rod": [1.0]}, th)
    assert m["stability"]["rom_reduction_pct"] == pytest.approx(100 * (1 - 1.0 / 11.5))
    assert m["stability"]["rom_reference"] == "Panjabi 1988 C1-C2"


def test_strength_without_yield_is_flagged_not_invented():
    out = strength({"peek_cage": {"role": "implant", "material": "peek"}}, {"peek_cage": [10.0]})
    r = out["regions"]["peek_cage"]
    assert r["sf_peak"] is None and r["peak_MPa"] == 10.0


def test_in_memory_inputs_match_the_case_folder(tmp_path):
    from fea.metrics.from_result import result_inputs
    from fea.results import state_fields, write_case

    res = solve(block_model(), loadcase("extension"))
    summary = write_case(res, tmp_path / "c")
    vm, kw = result_inputs(res, state_fields(res, res.final), summary)
    assert kw["nodal"]["reference_displacement"].shape == kw["nodal"]["displacement"].shape
    mem = case_metrics(summary, {}, vm, **kw)
    disk = metrics_from_case_dir(tmp_path / "c")
    assert mem["stability"] == disk["stability"]
    assert mem["implant_translation"] == disk["implant_translation"]
    r_mem, r_disk = mem["strength"]["regions"]["cage"], disk["strength"]["regions"]["cage"]
    assert r_mem["peak_MPa"] == pytest.approx(r_disk["peak_MPa"], rel=1e-12)
    assert r_mem["p99_MPa"] == pytest.approx(r_disk["p99_MPa"], rel=1e-12)
