"""Hertz: an elastic hemisphere pressed on an elastic block, non-matching meshes (quarter model).

Measured on this mesh (README table): see the assertions' messages. The pressure used is the
smoothed (nodal, like Abaqus CPRESS) field; raw point values oscillate on quadratic faces.
"""

import numpy as np
import pytest

from contact_helpers import hertz_fit, hertz_quarter
from fea.contact.term import ContactAnalysis
from fea.contact.output import point_arrays
from fea.materials import LinearElastic
from fea.model import Interface, LoadCase, Model, Section, Step, Support, SurfaceForce

R, E, NU, A_TARGET = 10.0, 1000.0, 0.3, 1.5
E_STAR = E / (2 * (1 - NU**2))
F = 4 * E_STAR * A_TARGET**3 / (3 * R)  # full-sphere load giving contact radius 1.5 mm
P0 = 3 * F / (2 * np.pi * A_TARGET**2)


@pytest.fixture(scope="module")
def mesh():
    return hertz_quarter(R=R, h_contact=0.15, growth=0.2)


def solve_hertz(mesh, sphere_is_slave: bool):
    sup = [Support("block_bottom"), Support("block_x0", (0,)), Support("block_y0", (1,)),
           Support("sphere_x0", (0,)), Support("sphere_y0", (1,))]
    pair = ("sphere_surface", "block_top") if sphere_is_slave else ("block_top", "sphere_surface")
    model = Model("hertz", mesh, {"e": LinearElastic("e", E, NU)},
                  [Section("sphere", "e"), Section("block", "e")], sup, {},
                  [Interface("hz", *pair, "frictionless")])
    lc = LoadCase("press", [Step("press", [SurfaceForce("sphere_top", np.array([0, 0, -F / 4]))])])
    an = ContactAnalysis(model)
    res = an.run(lc)
    assert res.converged
    arr = point_arrays(an, res.final)
    total_z = 4 * (arr["area"] * arr["pressure_qp"] * np.abs(arr["normal"][:, 2])).sum()
    assert total_z == pytest.approx(F, rel=1e-6)  # contact force balances the load
    p0, a = hertz_fit(arr["points"], arr["pressure"])
    return p0, a, arr["pressure"].max()


@pytest.mark.slow
def test_hertz_peak_pressure_and_radius_within_5_percent(mesh):
    p0, a, peak = solve_hertz(mesh, sphere_is_slave=True)
    assert abs(a / A_TARGET - 1) < 0.05, f"contact radius {a:.3f} vs {A_TARGET}"
    assert abs(p0 / P0 - 1) < 0.05, f"fitted peak {p0:.2f} vs {P0:.2f} MPa"
    assert abs(peak / P0 - 1) < 0.05, f"largest smoothed pressure {peak:.2f} vs {P0:.2f} MPa"


@pytest.mark.slow
def test_hertz_independent_of_the_slave_side(mesh):
    p0_s, a_s, _ = solve_hertz(mesh, sphere_is_slave=True)
    p0_b, a_b, _ = solve_hertz(mesh, sphere_is_slave=False)
    assert abs(a_b / a_s - 1) < 0.02 and abs(p0_b / p0_s - 1) < 0.02, (a_s, a_b, p0_s, p0_b)
