"""Stability metrics on analytic rigid motions: the ROM must come out exactly."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from fea.metrics.stability import (
    relative_rotation,
    rigid_fit,
    rom_reduction_pct,
    rotation_increment,
    stability,
)


def _cloud(n=50, seed=3):
    return np.random.default_rng(seed).uniform(-10, 10, (n, 3)) + [0, 0, 30]


@pytest.mark.parametrize("angle_deg", [0.01, 2.5, 25.0])
def test_rigid_rotation_field_gives_rom_exactly(angle_deg):
    # a finite rigid rotation about an oblique axis through an off-origin centre, plus translation
    axis = np.array([-1.0, 0.3, 0.2])
    axis /= np.linalg.norm(axis)
    R = Rotation.from_rotvec(np.deg2rad(angle_deg) * axis)
    x = _cloud()
    c = np.array([1.0, -2.0, 25.0])
    t = np.array([0.1, -0.05, 0.02])
    u = R.apply(x - c) + c + t - x
    rotvec, _ = rigid_fit(x, u)
    st = stability(rotvec, 1500.0 * axis)
    assert st["rom_deg"] == pytest.approx(angle_deg, rel=1e-9, abs=1e-12)
    assert st["coupled_rotation_deg"] == pytest.approx(0.0, abs=1e-9 * max(angle_deg, 1))
    assert st["stiffness_Nm_per_deg"] == pytest.approx(1.5 / angle_deg, rel=1e-9)


def test_sign_is_positive_in_the_loaded_direction():
    # flexion = moment about -x; the body turning about -x by 3 deg is +3 deg of flexion
    rot = np.deg2rad([-3.0, 0.0, 0.0])
    assert stability(rot, [-1500.0, 0, 0])["rom_deg"] == pytest.approx(3.0)
    # the same rotation under an extension moment (+x) is a rotation against the load
    assert stability(rot, [1500.0, 0, 0])["rom_deg"] == pytest.approx(-3.0)
    assert stability(rot, [1500.0, 0, 0])["stiffness_Nm_per_deg"] is None


def test_coupled_rotation_and_full_vector():
    rot = np.deg2rad([0.0, 0.4, 5.0])  # axial rotation about +z with 0.4 deg coupled bending
    st = stability(rot, [0, 0, 1500.0])
    assert st["rom_deg"] == pytest.approx(5.0)
    assert st["coupled_rotation_deg"] == pytest.approx(0.4)
    assert [st["rotation_x_deg"], st["rotation_y_deg"], st["rotation_z_deg"]] == \
        pytest.approx([0.0, 0.4, 5.0])
    assert st["moment_Nm"] == pytest.approx(1.5)


def test_relative_to_a_moving_fixed_body_and_reference_state():
    a, b = Rotation.from_rotvec([0.02, 0.0, 0.0]), Rotation.from_rotvec([0.0, 0.01, 0.03])
    rel = relative_rotation((b * a).as_rotvec(), b.as_rotvec())  # loaded = b*a, fixed = b
    assert rel == pytest.approx([0.02, 0.0, 0.0], abs=1e-12)
    # increment from a preloaded state rotated by 0.005 rad about x
    inc = rotation_increment([0.025, 0, 0], [0.005, 0, 0])
    assert inc == pytest.approx([0.02, 0, 0], abs=1e-12)


def test_no_moment_gives_no_rom_and_reduction_formula():
    st = stability(np.deg2rad([0.1, 0, 0]), [0, 0, 0])
    assert st["rom_deg"] is None and st["stiffness_Nm_per_deg"] is None
    assert st["rotation_magnitude_deg"] == pytest.approx(0.1)
    assert rom_reduction_pct(0.5, 10.0) == pytest.approx(95.0)
    assert rom_reduction_pct(0.5, None) is None
    st = stability(np.deg2rad([-0.5, 0, 0]), [-1500.0, 0, 0], rom_reference_deg=11.5,
                   reference_name="Panjabi 1988")
    assert st["rom_reduction_pct"] == pytest.approx(100 * (1 - 0.5 / 11.5))
