"""CalculiX's other pressure-overclosure laws (*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=
EXPONENTIAL / TABULAR / TIED) solved by our contact driver as laws (fea.contact.overclosure).

Exact checks: a block on rollers pressed by 1 MPa onto a base through the law: the pressure is
1 MPa at every contact point and the overclosure h solves p(h) = 1 MPa (exponential:
p0 exp(ln(100) h / c0); tabular: the table inverted); a tied penalty law pulled by 1 MPa opens by
1 / K (tension too). CalculiX 2.20 on the exported deck, read back by us (it carries the law):
nodal displacements within 0.5 % of the largest. ccx 2.20's face-to-face TABULAR finds no
stiffness (its springstiff_f2f.f reads the table length from plconloc(81), materialdata_sp.f
stores it in plconloc(801): every point gets the first pressure and zero slope; the block deck
ran 600 s without equilibrium, a two-point linear table diverged to 3.5e11 mm), so the tabular
law is checked against ccx's LINEAR law with the table's slope.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from contact_helpers import block_rollers, ccx_agreement, stacked_blocks

from fea.abaqus import read_deck, write_deck
from fea.contact.overclosure import Exponential, Tabular
from fea.contact.term import ContactAnalysis
from fea.errors import ConfigError, FeaError
from fea.materials import LinearElastic
from fea.model import Interface, LoadCase, Model, Pressure, Section, Step, Support

needs_ccx = pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
MATS = {"base": LinearElastic("base", 1000.0, 0.3), "block": LinearElastic("block", 3000.0, 0.2)}
EXP = Exponential(0.01, 0.1)  # c0 mm, p0 MPa: 1 MPa at h = c0 ln(10) / ln(100) = c0 / 2
TAB = Tabular((0.0, 0.5, 2.0), (0.0, 0.002, 0.004))  # 1 MPa at h = 0.002 + 0.5 / 750
TOL = 5e-3


@pytest.fixture(scope="module")
def blocks():
    return stacked_blocks(0.5, 2, conforming=False, size_upper=0.4)


def _model(mesh, supports, law="frictionless", over=None, K=None, stick=None, mats=MATS):
    return Model("overclosure", mesh, dict(mats), [Section("lower", "base"),
                                                   Section("upper", "block")], supports, {},
                 [Interface("if", "upper_zmin", "lower_zmax", law, 0.0, 0.0, K, stick, over)])


def _press(p=1.0):
    return LoadCase("press", [Step("press", [Pressure("upper_zmax", p)])])


@pytest.mark.parametrize("law,h", [(EXP, 0.005), (TAB, 0.002 + 0.5 / 750)])
def test_nonlinear_law_pressure_and_overclosure_exact(blocks, law, h):
    res = ContactAnalysis(_model(blocks, block_rollers(), over=law)).run(_press())
    c = res.final.contact
    assert res.converged
    assert np.abs(c["pressure"] - 1.0).max() < 1e-8
    assert np.abs(c["g"][:, 0] + h).max() < 1e-8 * h


def test_tied_penalty_law_carries_tension(blocks):
    """Pulled by 1 MPa, the tied law opens the interface by 1 / K and holds it (one material,
    so the stress is uniform and there is no shear at the interface)."""
    same = {"base": MATS["base"], "block": LinearElastic("block", 1000.0, 0.3)}
    K = 200.0
    res = ContactAnalysis(_model(blocks, block_rollers(), "tied", None, K, 400.0, same)).run(
        _press(-1.0))
    c = res.final.contact
    assert res.converged
    assert np.abs(c["pressure"] + 1.0).max() < 1e-8
    assert np.abs(c["g"][:, 0] - 1.0 / K).max() < 1e-8 / K


def _tie_metrics(analysis, res):
    from fea.contact.output import interface_summary, per_interface, point_arrays
    from fea.metrics.case import interface_metrics
    from fea.metrics.thresholds import Thresholds

    arrays = point_arrays(analysis, res.final)
    meta = interface_summary(analysis, arrays, res.loadcase.steps[0].name)
    micro, subs = interface_metrics(per_interface(analysis, arrays), meta, {}, Thresholds())
    return micro["if"], subs


def test_tied_penalty_metrics_report_its_elastic_slip_and_opening(blocks):
    """A TIED interface is bonded through a penalty: the metrics report its elastic slip, not
    zero (a bonded tie's entry) and not sliding. Pressed, then sheared by tau = 0.2 MPa with a
    stick slope of 400 N/mm^3, the area-weighted mean slip since the press is tau / 400 = 0.5 um
    (2 %: the slip's small transverse part adds to its magnitude); pulled by 1 MPa it opens by
    1 / K = 5 um."""
    from fea.contact.term import ContactAnalysis as CA
    from fea.model import Traction

    model = _model(blocks, [Support("lower_zmin")], "tied", None, 200.0, 400.0)
    an = CA(model)
    res = an.run(LoadCase("shear", [Step("press", [Pressure("upper_zmax", 0.1)]),
                                    Step("shear", [Traction("upper_zmax",
                                                            np.array([0.2, 0.0, 0.0]))])]))
    assert res.converged
    m, subs = _tie_metrics(an, res)
    assert m["class"] == "bonded (tied penalty)" and "elastic" in m["slip_kind"]
    assert m["law"] == "tied" and not subs
    print(f"tied penalty: mean slip {m['mean_um']:.6g} um, peak {m['peak_um']:.4g} um")
    assert 0.5 <= m["mean_um"] <= 0.5 * 1.02, m["mean_um"]
    assert m["peak_um"] >= m["mean_um"] and m["open_area_pct"] == 0.0
    same = {"base": MATS["base"], "block": LinearElastic("block", 1000.0, 0.3)}
    pulled = ContactAnalysis(_model(blocks, block_rollers(), "tied", None, 200.0, 400.0, same))
    res = pulled.run(LoadCase("pull", [Step("rest", []), Step("pull", [Pressure("upper_zmax",
                                                                               -1.0)])]))
    m, _ = _tie_metrics(pulled, res)
    assert abs(m["max_opening_um"] - 5.0) < 1e-6 and m["class"] == "bonded (tied penalty)"


def test_deck_round_trip_and_errors(blocks, tmp_path):
    deck = tmp_path / "ovc.inp"
    for over in (EXP, TAB):
        write_deck(_model(blocks, block_rollers(), over=over), _press(), deck)
        it = read_deck(deck).model.interfaces[0]
        assert (it.law, it.penalty, it.overclosure) == ("frictionless", None, over)
    write_deck(_model(blocks, [Support("lower_zmin")], "tied", None, 200.0, 400.0), _press(), deck)
    it = read_deck(deck).model.interfaces[0]
    assert (it.law, it.penalty, it.stick_slope, it.overclosure) == ("tied", 200.0, 400.0, None)
    text = deck.read_text()
    deck.write_text(text.replace("*FRICTION\n1, 400.0\n", ""))
    with pytest.raises(ConfigError, match=r"ovc.inp, line \d+: \*SURFACE INTERACTION: surface "
                                          r"interaction 'if' is PRESSURE-OVERCLOSURE=TIED"):
        read_deck(deck)
    write_deck(_model(blocks, block_rollers(), over=TAB), _press(), deck)
    text = deck.read_text()
    deck.write_text(text.replace("0.5, 0.002\n", "0.5, 0.0\n"))
    with pytest.raises(ConfigError, match=r"ovc.inp, line \d+: \*SURFACE BEHAVIOR: overclosures "
                                          r"\[0.0, 0.0, 0.004\] mm: must rise strictly"):
        read_deck(deck)
    deck.write_text(text.replace("TABULAR\n0.0, 0.0\n0.5, 0.002\n2.0, 0.004",
                                 "EXPONENTIAL\n0.01, -1"))
    with pytest.raises(ConfigError, match=r"line \d+: \*SURFACE BEHAVIOR: p0 = -1.0 MPa: must "
                                          r"be > 0"):
        read_deck(deck)
    with pytest.raises(FeaError, match="PRESSURE-OVERCLOSURE=EXPONENTIAL is written with "
                                       "CalculiX's meaning"):
        write_deck(_model(blocks, block_rollers(), over=EXP), _press(), deck, dialect="abaqus")


@pytest.mark.ccx
@needs_ccx
def test_ccx_exponential(blocks, tmp_path):
    rel = ccx_agreement(tmp_path, _model(blocks, block_rollers(), over=EXP), _press())
    print(f"\nexponential c0 {EXP.c0_mm} mm, p0 {EXP.p0_MPa} MPa: max |ours - ccx| / max |u| = "
          f"{rel[0]:.2e}")
    assert rel[0] <= TOL


@pytest.mark.ccx
@needs_ccx
def test_ccx_tied_press_and_shear(blocks, tmp_path):
    """Pressed by 1 MPa, then the block's -x face pulled by 3 um: normal and elastic shear
    springs of the tied law (no slip), with the materials' Poisson mismatch."""
    lc = LoadCase("press_pull", [
        Step("press", [Pressure("upper_zmax", 1.0)]),
        Step("pull", [], [Support("upper_xmin", (0,), (0.003,))])])
    rel = ccx_agreement(tmp_path, _model(blocks, [Support("lower_zmin")], "tied", None, 200.0,
                                         400.0), lc)
    print(f"\ntied K 200, stick slope 400: max |ours - ccx| / max |u| per step = "
          f"{', '.join(f'{r:.2e}' for r in rel)}")
    assert max(rel) <= TOL


@pytest.mark.ccx
@needs_ccx
def test_ccx_tabular_against_calculix_linear(blocks, tmp_path):
    """A linear table p = 200 h solved by us against ccx's LINEAR law K = 200 (ccx 2.20's
    face-to-face TABULAR is broken, see the module docstring)."""
    from contact_helpers import ccx_agreement as agree

    table = Tabular((0.0, 2.0), (0.0, 0.01))
    lin = _model(blocks, block_rollers(), K=200.0)
    ours = ContactAnalysis(_model(blocks, block_rollers(), over=table)).run(_press())
    rel_lin = agree(tmp_path, lin, _press())  # ccx's LINEAR against our LINEAR
    u_tab, u_lin = ours.displacement(ours.final), ContactAnalysis(lin).run(_press())
    u_lin = u_lin.displacement(u_lin.final)
    rel = float(np.abs(u_tab - u_lin).max() / np.abs(u_lin).max())
    print(f"\ntabular (linear table) vs linear: {rel:.2e}; linear vs ccx: {rel_lin[0]:.2e}")
    assert rel < 1e-8 and rel_lin[0] <= TOL
