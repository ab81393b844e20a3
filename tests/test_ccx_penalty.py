"""CalculiX's penalty contact law (*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=LINEAR, slope K; with
*FRICTION, a stick slope lambda) solved by our contact driver as a law, not as hard contact:
pressure = K x overclosure, shear stress = lambda x elastic slip up to mu p.

Exact check: two blocks on rollers pressed by 1 MPa through a frictionless penalty interface:
the pressure is 1 MPa and the overclosure 1/K at every contact point.
CalculiX 2.20 (face-to-face penalty contact) on the same exported deck, with slopes soft enough
that the overclosure and the elastic slip are a large part of the displacements compared, and the
deck read back by us (it carries the law): nodal displacements within 0.5 % of the largest.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from contact_helpers import block_rollers, ccx_agreement, stacked_blocks

from fea.abaqus import read_deck, write_deck
from fea.contact.term import ContactAnalysis
from fea.errors import ConfigError
from fea.materials import LinearElastic
from fea.model import Interface, LoadCase, Model, Pressure, Section, Step, Support

needs_ccx = pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
MATS = {"base": LinearElastic("base", 1000.0, 0.3), "block": LinearElastic("block", 3000.0, 0.2)}
K, STICK, MU = 200.0, 400.0, 0.5  # N/mm^3, N/mm^3, -
TOL = 5e-3


@pytest.fixture(scope="module")
def blocks():
    return stacked_blocks(0.5, 2, conforming=False, size_upper=0.4)


def _model(mesh, law, supports, mu=0.0, stick=None) -> Model:
    return Model("penalty", mesh, dict(MATS), [Section("lower", "base"),
                                               Section("upper", "block")], supports, {},
                 [Interface("if", "upper_zmin", "lower_zmax", law, mu, 0.0, K, stick)])


PRESS = LoadCase("press", [Step("press", [Pressure("upper_zmax", 1.0)])])


def test_penalty_law_pressure_and_overclosure_exact(blocks):
    res = ContactAnalysis(_model(blocks, "frictionless", block_rollers())).run(PRESS)
    c = res.final.contact
    assert res.converged
    assert np.abs(c["pressure"] - 1.0).max() < 1e-9
    assert np.abs(c["g"][:, 0] + 1.0 / K).max() < 1e-9 / K  # overclosure p / K everywhere


def test_deck_reads_the_law_and_calculix_defaults(blocks, tmp_path):
    """The slopes come back from the deck; a friction pair without a stick slope takes
    CalculiX's default, the deck's first elastic constant / 2."""
    deck = tmp_path / "pen.inp"
    write_deck(_model(blocks, "friction", [Support("lower_zmin")], MU, STICK), PRESS, deck)
    it = read_deck(deck).model.interfaces[0]
    assert (it.law, it.mu, it.penalty, it.stick_slope) == ("friction", MU, K, STICK)
    text = deck.read_text().replace(f"{MU}, {STICK}\n", f"{MU}\n")
    deck.write_text(text)
    assert read_deck(deck).model.interfaces[0].stick_slope == 0.5 * 1000.0
    deck.write_text(text.replace(f"LINEAR\n{K}\n", "LINEAR\n-5.0\n"))
    with pytest.raises(ConfigError, match=r"pen.inp, line \d+: \*SURFACE BEHAVIOR: slope K = "
                                          r"-5.0: must be > 0"):
        read_deck(deck)


@pytest.mark.ccx
@needs_ccx
def test_ccx_frictionless_penalty(blocks, tmp_path):
    rel = ccx_agreement(tmp_path, _model(blocks, "frictionless", block_rollers()), PRESS)
    print(f"\nfrictionless penalty K = {K}: max |ours - ccx| / max |u| = {rel[0]:.2e}")
    assert rel[0] <= TOL


@pytest.mark.ccx
@needs_ccx
def test_ccx_friction_penalty_press_and_pull(blocks, tmp_path):
    """Press 1 MPa, then pull the block's -x face by 3 um: elastic slip (tau / lambda up to
    1.25 um) and slip, as CalculiX's law has them."""
    lc = LoadCase("press_pull", [
        Step("press", [Pressure("upper_zmax", 1.0)]),
        Step("pull", [], [Support("upper_xmin", (0,), (0.003,))], increments=2)])
    rel = ccx_agreement(tmp_path, _model(blocks, "friction", [Support("lower_zmin")], MU, STICK), lc)
    print(f"\nfriction penalty K = {K}, stick slope {STICK}: max |ours - ccx| / max |u| per "
          f"step = {', '.join(f'{r:.2e}' for r in rel)}")
    assert max(rel) <= TOL
