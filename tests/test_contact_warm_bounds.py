"""Points that close in a later increment of an interface already carrying pressure start at
the Coulomb bound of their own pressure (ContactSettings.warm_bounds, issue 18), not unbounded:
the same converged answer, and no increment after the first starts with an unbounded point
there. A frictional hemisphere pressed onto a block in three increments: the contact radius
grows, so every increment closes new points."""

import numpy as np
import pytest
from contact_helpers import hertz_quarter

from fea.contact.term import ContactAnalysis, ContactSettings
from fea.materials import LinearElastic
from fea.model import Interface, LoadCase, Model, Section, Step, Support, SurfaceForce

R, E, NU, A = 10.0, 1000.0, 0.3, 1.5
F = 4 * E / (2 * (1 - NU**2)) * A**3 / (3 * R)  # Hertz load for a 1.5 mm contact radius


@pytest.fixture(scope="module")
def runs():
    mesh = hertz_quarter(R=R, h_contact=0.5, growth=0.3)
    sup = [Support("block_bottom"), Support("block_x0", (0,)), Support("block_y0", (1,)),
           Support("sphere_x0", (0,)), Support("sphere_y0", (1,))]
    model = Model("hz", mesh, {"e": LinearElastic("e", E, NU)},
                  [Section("sphere", "e"), Section("block", "e")], sup, {},
                  [Interface("hz", "sphere_surface", "block_top", "friction", 0.3)])
    lc = LoadCase("press", [Step("press", [SurfaceForce("sphere_top", np.array([0, 0, -F / 4]))],
                                 increments=3)])
    out = {}
    for warm in (False, True):
        an = ContactAnalysis(model, contact=ContactSettings(warm_bounds=warm))
        unbounded = []
        begin = an.contact.begin_increment

        def counted(begin=begin, an=an, unbounded=unbounded):
            begin()
            unbounded.append(int(np.isinf(an.contact.bound).sum()))

        an.contact.begin_increment = counted
        out[warm] = an.run(lc), unbounded
    return out


def test_warm_bounds_keep_the_answer(runs):
    (cold, n_cold), (warm, n_warm) = runs[False], runs[True]
    assert cold.converged and warm.converged
    u0, u1 = cold.displacement(), warm.displacement()
    # both stop at the same gap (1e-3 of the increment) and Coulomb-bound (1 % of mu N)
    # tolerances; measured 1e-5 of max |u| apart on a finer mesh of this problem
    assert np.abs(u1 - u0).max() <= 1e-3 * np.abs(u0).max()
    # the first increment knows no pressure anywhere: every point starts unbounded in both
    assert n_cold[0] == n_warm[0] > 0
    # later increments: the cold start leaves the points that close now unbounded, the warm
    # one none (the interface carries pressure)
    assert min(n_cold[1:]) > 0 and max(n_warm[1:]) == 0
