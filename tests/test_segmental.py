"""ROM per level (fea.metrics.segmental) against analytic rigid motions and least squares."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from fea.errors import FeaError
from fea.metrics.segmental import segmental_rom


def _block(centre, n=4, size=10.0):
    g = np.linspace(-size / 2, size / 2, n)
    return np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3) + centre


def _column():
    """Three bone blocks stacked along z (C1 on top) and a disc block between C2 and C3."""
    parts = {"C1": _block([0, 0, 40]), "C2": _block([0, 0, 22]), "C3": _block([0, 0, 4]),
             "disc": _block([0, 0, 13], n=3, size=4.0)}
    x = np.concatenate(list(parts.values()))
    body = np.concatenate([[b] * len(p) for b, p in parts.items()])
    return x, body


def _move(x, body, motions, finite=False):
    """Displacements of a rigid motion per body: {body: (rotvec rad, centre mm, translation)}:
    the small-displacement field t + w x (x - c) of the solver, or a finite rotation."""
    u = np.zeros_like(x)
    for b, (rv, c, t) in motions.items():
        m = body == b
        if finite:
            u[m] = Rotation.from_rotvec(rv).apply(x[m] - c) + c + t - x[m]
        else:
            u[m] = np.asarray(t, float) + np.cross(rv, x[m] - np.asarray(c, float))
    return u


def test_known_rigid_rotations_per_body_give_the_angles_back():
    x, body = _column()
    d = np.deg2rad
    # C2 turns 8 deg in flexion (about -x) about a centre off its centroid and translates;
    # C1 turns 20 deg in flexion about the same axis: C1-C2 flexion 12, C2-C3 flexion 8
    u = _move(x, body, {"C2": ([-d(8), 0, 0], [0, 5, 15], [0.3, -0.2, 0.1]),
                        "C1": ([-d(20), 0, 0], [0, -3, 30], [1.0, 2.0, -0.5]),
                        "disc": ([0.01, 0.02, 0.0], [0, 0, 13], [0, 0, 0])})
    lv = segmental_rom(x, u, body, ["C1", "C2", "C3"])
    assert list(lv) == ["C1-C2", "C2-C3"]
    assert lv["C1-C2"]["flexion_deg"] == pytest.approx(12.0, abs=1e-9)
    assert lv["C2-C3"]["flexion_deg"] == pytest.approx(8.0, abs=1e-9)
    for k in ("lateral_bending_left_deg", "axial_rotation_left_deg"):
        assert abs(lv["C1-C2"][k]) < 1e-9 and abs(lv["C2-C3"][k]) < 1e-9
    assert lv["C1-C2"]["fit_rms_um"] < 1e-6


@pytest.mark.parametrize("rotvec_deg, key, value", [
    ([0, 15, 0], "lateral_bending_left_deg", 15.0),     # about +y: +z toward +x (left)
    ([0, -6, 0], "lateral_bending_left_deg", -6.0),     # right bending
    ([0, 0, -35], "axial_rotation_left_deg", 35.0),     # about -z: anterior toward left
    ([4, 0, 0], "flexion_deg", -4.0),                   # extension
])
def test_anatomical_signs(rotvec_deg, key, value):
    x, body = _column()
    u = _move(x, body, {"C2": (np.deg2rad(rotvec_deg), [0, 0, 20], [0, 0, 0])})
    lv = segmental_rom(x, u, body, ["C2", "C3"])
    assert lv["C2-C3"][key] == pytest.approx(value, abs=1e-9)


def test_finite_relative_rotation_is_composed_not_subtracted():
    """Finite rotations about different axes: C1 seen from C2 is R2^-1 R1, not rv1 - rv2."""
    x, body = _column()
    r2 = Rotation.from_euler("z", 30, degrees=True)
    rel = Rotation.from_euler("x", -10, degrees=True)  # 10 deg flexion in C2's frame
    r1 = r2 * rel
    u = _move(x, body, {"C2": (r2.as_rotvec(), [0, 0, 22], [0, 0, 0]),
                        "C1": (r1.as_rotvec(), [0, 0, 40], [0, 0, 0])}, finite=True)
    lv = segmental_rom(x, u, body, ["C1", "C2", "C3"], rotation_measure="finite")
    assert lv["C1-C2"]["flexion_deg"] == pytest.approx(10.0, abs=1e-9)
    assert lv["C1-C2"]["axial_rotation_left_deg"] == pytest.approx(0.0, abs=1e-9)
    assert lv["C2-C3"]["axial_rotation_left_deg"] == pytest.approx(-30.0, abs=1e-9)


def test_measured_from_the_preloaded_state():
    x, body = _column()
    pre = _move(x, body, {"C1": ([0.05, 0, 0], [0, 0, 40], [0, 0, -0.2]),
                          "C2": ([0.02, 0, 0], [0, 0, 22], [0, 0, -0.1])})
    # linear: increments add on the undeformed positions; C1 turns 5 deg more, C2 stays
    step = _move(x, body, {"C1": ([-np.deg2rad(5), 0, 0], [0, 0, 40], [0, 0, 0])})
    lv = segmental_rom(x, pre + step, body, ["C1", "C2", "C3"], reference_displacement=pre)
    assert lv["C1-C2"]["flexion_deg"] == pytest.approx(5.0, abs=1e-9)
    assert lv["C2-C3"]["flexion_deg"] == pytest.approx(0.0, abs=1e-9)
    # finite: from the preloaded positions
    pre = _move(x, body, {"C1": ([0.05, 0, 0], [0, 0, 40], [0, 0, -0.2]),
                          "C2": ([0.02, 0, 0], [0, 0, 22], [0, 0, -0.1])}, finite=True)
    step = _move(x + pre, body, {"C1": ([-np.deg2rad(5), 0, 0], [0, 0, 40], [0, 0, 0])},
                 finite=True)
    lv = segmental_rom(x, pre + step, body, ["C1", "C2", "C3"], reference_displacement=pre,
                       rotation_measure="finite")
    assert lv["C1-C2"]["flexion_deg"] == pytest.approx(5.0, abs=1e-9)
    assert lv["C2-C3"]["flexion_deg"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("big_deg", [10.0, 45.0, 68.0])
def test_linear_measure_recovers_a_small_rotation_riding_on_a_large_one(big_deg):
    """The C0-C1-on-C1-C2 axial-rotation case: in a small-displacement field C2 is fixed, C1 turns
    big_deg about z and C0 3 deg more. The linear measure gives 3 and big_deg back exactly and the
    levels add to the span; the finite (Kabsch) fit reads atan: C1-C2 = atan(big) and C0-C1 =
    atan(big + 3) - atan(big), about 3 / (1 + tan(big)^2) (docs/validation.md)."""
    parts = {"C0": _block([0, 0, 58]), "C1": _block([0, 0, 40]), "C2": _block([0, 0, 22])}
    x = np.concatenate(list(parts.values()))
    body = np.concatenate([[b] * len(p) for b, p in parts.items()])
    d = np.deg2rad
    u = _move(x, body, {"C1": ([0, 0, -d(big_deg)], [0, 0, 40], [0, 0, 0]),
                        "C0": ([0, 0, -d(big_deg + 3)], [0, 0, 58], [0, 0, 0])})
    M = [0, 0, -1500.0]  # axial rotation left
    lin = segmental_rom(x, u, body, ["C0", "C1", "C2"], moment_Nmm=M, all_pairs=True)
    assert lin["C0-C1"]["rom_deg"] == pytest.approx(3.0, abs=1e-9)
    assert lin["C1-C2"]["rom_deg"] == pytest.approx(big_deg, abs=1e-9)
    assert lin["C0-C2"]["rom_deg"] == pytest.approx(big_deg + 3.0, abs=1e-9)
    assert lin["C0-C1"]["fit_rms_um"] < 1e-6
    fin = segmental_rom(x, u, body, ["C0", "C1", "C2"], moment_Nmm=M, rotation_measure="finite")
    assert fin["C1-C2"]["rom_deg"] == pytest.approx(np.rad2deg(np.arctan(d(big_deg))), rel=1e-9)
    assert fin["C0-C1"]["rom_deg"] == pytest.approx(
        np.rad2deg(np.arctan(d(big_deg + 3)) - np.arctan(d(big_deg))), rel=1e-9)
    assert fin["C0-C1"]["rom_deg"] < 3.0 / (1 + d(big_deg) ** 2) * 1.05


def test_linear_fit_of_a_solver_field_matches_the_reference_point_rotation():
    """A small-displacement field and a reference-point rotation of the same motion agree: the
    relative rotation is the difference of the rotation vectors (what fea.metrics.stability
    reports for the whole model), not their composition."""
    x, body = _column()
    w1, w2 = np.deg2rad([-20.0, 5.0, 30.0]), np.deg2rad([4.0, -8.0, 12.0])
    u = _move(x, body, {"C1": (w1, [1, 2, 41], [0.5, 0, 0]), "C2": (w2, [0, -1, 20], [0, 0.2, 0])})
    lv = segmental_rom(x, u, body, ["C1", "C2", "C3"], all_pairs=True)
    got = {k: np.array([lv[k][f"rotation_{a}_deg"] for a in "xyz"]) for k in lv}
    assert got["C1-C2"] == pytest.approx(np.rad2deg(w1 - w2), abs=1e-9)
    assert got["C2-C3"] == pytest.approx(np.rad2deg(w2), abs=1e-9)
    assert got["C1-C3"] == pytest.approx(got["C1-C2"] + got["C2-C3"], abs=1e-9)


def test_non_rigid_field_gives_the_least_squares_rotation():
    """Simple shear u = (g y, 0, 0) of a symmetric block: the best small rotation about z is
    -g Sy2 / (Sx2 + Sy2) (= -g/2 for a cube), checked against an independent linear least squares
    over all three small-rotation components and the translation."""
    x, body = _column()
    g = 1e-4
    m = body == "C2"
    u = np.zeros_like(x)
    c = x[m].mean(axis=0)
    u[m, 0] = g * (x[m, 1] - c[1])
    lv = segmental_rom(x, u, body, ["C1", "C2", "C3"])
    theta = np.deg2rad([lv["C2-C3"][f"rotation_{a}_deg"] for a in "xyz"])
    # independent: u ~ t + w x (x - c) by linear least squares
    r = x[m] - c
    A = np.zeros((3 * len(r), 6))
    A[0::3, 0] = A[1::3, 1] = A[2::3, 2] = 1.0
    # w x r = (wy rz - wz ry, wz rx - wx rz, wx ry - wy rx)
    A[0::3, 4], A[0::3, 5] = r[:, 2], -r[:, 1]
    A[1::3, 3], A[1::3, 5] = -r[:, 2], r[:, 0]
    A[2::3, 3], A[2::3, 4] = r[:, 1], -r[:, 0]
    w = np.linalg.lstsq(A, u[m].reshape(-1), rcond=None)[0][3:]
    assert w[2] == pytest.approx(-g / 2, rel=1e-6)
    assert theta == pytest.approx(w, rel=1e-3, abs=1e-12)
    # C1 did not move relative to C3, but relative to the sheared C2 it did
    assert lv["C1-C2"]["rotation_z_deg"] == pytest.approx(-np.rad2deg(w[2]), rel=1e-3)
    assert lv["C2-C3"]["fit_rms_um"] > 0.1  # the shear is not a rigid motion


def test_rom_along_the_moment_and_coupled_motion():
    x, body = _column()
    d = np.deg2rad
    u = _move(x, body, {"C1": ([0, d(12), d(-3)], [0, 0, 40], [0, 0, 0])})
    lv = segmental_rom(x, u, body, ["C1", "C2", "C3"], moment_Nmm=[0, 1500.0, 0])  # LB left
    assert lv["C1-C2"]["rom_deg"] == pytest.approx(12.0, rel=1e-6)
    assert lv["C1-C2"]["coupled_rotation_deg"] == pytest.approx(3.0, rel=1e-3)
    assert lv["C1-C2"]["axial_rotation_left_deg"] == pytest.approx(3.0, rel=1e-3)
    assert lv["C2-C3"]["rom_deg"] == pytest.approx(0.0, abs=1e-9)


def test_levels_follow_the_bodies_present_cranial_first():
    x, body = _column()
    keep = body != "C2"
    lv = segmental_rom(x[keep], np.zeros((keep.sum(), 3)), body[keep], ["C3", "C1"])
    assert list(lv) == ["C1-C3"]


def test_bad_input_names_the_problem():
    x, body = _column()
    with pytest.raises(FeaError, match="bone 'C0' has no points"):
        segmental_rom(x, np.zeros_like(x), body, ["C0", "C1"])
    with pytest.raises(FeaError, match="rotation_measure 'euler' is not one of linear, finite"):
        segmental_rom(x, np.zeros_like(x), body, ["C1", "C2"], rotation_measure="euler")
    with pytest.raises(FeaError, match="collinear"):
        line = np.c_[np.zeros(4), np.zeros(4), np.arange(4.0)]
        segmental_rom(np.r_[line, line + 10], np.zeros((8, 3)), np.array(["C1"] * 4 + ["C2"] * 4),
                      ["C1", "C2"])
    with pytest.raises(FeaError, match="do not match"):
        segmental_rom(x, np.zeros((3, 3)), body, ["C1", "C2"])


def test_an_occiput_adds_the_c0_c1_level():
    x, body = _column()
    c0 = _block([0, 0, 58])
    x = np.concatenate([x, c0])
    body = np.concatenate([body, ["C0"] * len(c0)])
    u = _move(x, body, {"C0": ([0, 0, -np.deg2rad(7)], [0, 0, 58], [0, 0, 0])})
    lv = segmental_rom(x, u, body, ["C0", "C1", "C2", "C3"])
    assert list(lv) == ["C0-C1", "C1-C2", "C2-C3"]
    assert lv["C0-C1"]["axial_rotation_left_deg"] == pytest.approx(7.0, abs=1e-9)
