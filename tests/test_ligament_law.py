"""Ligament force-elongation laws: the force against the law written out by hand (tension to
1e-10 relative, zero in compression), the toe point by point, the tangent against a central
finite difference, laxity / prestrain shifts, and bad laws named in the error."""

import numpy as np
import pytest

from fea.errors import ConfigError
from fea.ligaments.law import check_law, evaluate, fibre_curve, fibre_law_arrays, taut
from fea.model import LigamentLaw


def _one_fibre(law, L0=20.0, share=1.0, Llig=None):
    return fibre_law_arrays([law], np.zeros(1, int), np.array([L0]), np.array([share]),
                            np.array([Llig or L0]))


def _many(law, delta, L0=20.0):
    n = len(delta)
    la = fibre_law_arrays([law], np.zeros(n, int), np.full(n, L0), np.ones(n), np.array([L0]))
    return evaluate(la, np.asarray(delta, float))


def test_toe_linear_matches_the_written_law():
    k, t, L = 50.0, 0.1, 20.0  # N/mm, toe strain, mm
    law = LigamentLaw("toe_linear", stiffness=k, toe_strain=t)
    delta = np.array([-3.0, -1e-9, 0.0, 0.3, 1.0, 1.999, 2.0, 2.5, 7.0])
    F, _ = _many(law, delta, L0=L)
    eps = delta / L
    K = k * L  # N per unit strain
    expect = np.where(eps <= 0, 0.0, np.where(eps < t, K * eps**2 / (2 * t), K * (eps - t / 2)))
    tension = delta > 0
    assert np.all(F[~tension] == 0.0)
    np.testing.assert_allclose(F[tension], expect[tension], rtol=1e-10)
    # beyond the toe the stiffness is the ligament's N/mm
    assert F[-1] - F[-2] == pytest.approx(k * 4.5, rel=1e-12)


def test_tangent_equals_finite_difference_everywhere():
    laws = [LigamentLaw("toe_linear", stiffness=30.0, toe_strain=0.15, laxity=0.4),
            LigamentLaw("toe_linear", stiffness=30.0, toe_strain=0.0, prestrain=0.02),
            LigamentLaw("curve", curve_x=np.array([0, .05, .1, .2]),
                        curve_force=np.array([0, 4.0, 20.0, 70.0])),
            LigamentLaw("linear", stiffness=12.0)]
    rng = np.random.default_rng(1)
    for law in laws:
        d = rng.uniform(-2, 6, 200)
        la = fibre_law_arrays([law], np.zeros(len(d), int), np.full(len(d), 17.0),
                              np.full(len(d), 0.25), np.array([17.0]))
        F, dF = evaluate(la, d)
        h = 1e-6
        Fp, _ = evaluate(la, d + h)
        Fm, _ = evaluate(la, d - h)
        fd = (Fp - Fm) / (2 * h)
        # away from kinks (a table is only C0 there) the two agree to FD accuracy
        ok = np.abs(fd - dF) <= 1e-6 * (1 + np.abs(dF))
        kinks = np.zeros_like(ok)
        if law.kind == "curve":
            xk = la.tab_x[:, None] / la.c[0] + la.slack[0]
            kinks = (np.abs(d[None, :] - xk) < 2 * h).any(axis=0)
        assert np.all(ok | kinks), law.kind


def test_toe_is_c1_and_monotone():
    law = LigamentLaw("toe_linear", stiffness=80.0, toe_strain=0.12)
    L = 10.0
    t_mm = 0.12 * L
    d = np.array([t_mm - 1e-9, t_mm + 1e-9])
    la = fibre_law_arrays([law], np.zeros(2, int), np.full(2, L), np.ones(2), np.array([L]))
    F, dF = evaluate(la, d)
    assert F[1] - F[0] == pytest.approx(80.0 * 2e-9, rel=1e-3)  # value continuous
    assert dF[0] == pytest.approx(dF[1], rel=1e-6)  # slope continuous
    d = np.linspace(-1, 3, 1001)
    la = fibre_law_arrays([law], np.zeros(len(d), int), np.full(len(d), L), np.ones(len(d)),
                          np.array([L]))
    F, dF = evaluate(la, d)
    assert np.all(np.diff(F) >= 0) and np.all(dF >= 0)


def test_tabulated_toe_reproduced_point_by_point():
    strain = np.array([0.0, 0.02, 0.05, 0.08, 0.12, 0.2])
    force = np.array([0.0, 1.5, 6.0, 14.0, 30.0, 65.0])
    law = LigamentLaw("curve", curve_x=strain, curve_force=force)
    L = 25.0
    n = len(strain)
    la = fibre_law_arrays([law], np.zeros(n, int), np.full(n, L), np.ones(n), np.array([L]))
    F, _ = evaluate(la, strain * L)
    np.testing.assert_allclose(F, force, rtol=1e-12, atol=1e-12)
    # midpoints: linear interpolation; beyond the end: the last slope goes on; compression: 0
    mid = 0.5 * (strain[1:] + strain[:-1])
    la = fibre_law_arrays([law], np.zeros(n, int), np.full(n, L), np.ones(n),
                          np.array([L]))
    F, _ = evaluate(la, np.append(mid, [0.3]) * L)
    np.testing.assert_allclose(F[:-1], 0.5 * (force[1:] + force[:-1]), rtol=1e-12)
    assert F[-1] == pytest.approx(65.0 + (65.0 - 30.0) / 0.08 * 0.1, rel=1e-12)
    la1 = fibre_law_arrays([law], np.zeros(1, int), np.array([L]), np.ones(1), np.array([L]))
    assert evaluate(la1, np.array([-2.0]))[0][0] == 0.0


def test_ccx_table_holds_its_end_values():
    law = LigamentLaw("curve", curve_x=np.array([-1.0, 0.0, 0.5, 1.0]),
                      curve_force=np.array([0.0, 0.0, 10.0, 40.0]), curve_unit="mm",
                      extrapolate="constant")
    la = fibre_law_arrays([law], np.zeros(3, int), np.full(3, 7.0), np.ones(3), np.array([7.0]))
    F, dF = evaluate(la, np.array([-5.0, 0.75, 3.0]))
    np.testing.assert_allclose(F, [0.0, 25.0, 40.0])
    np.testing.assert_allclose(dF, [0.0, 60.0, 0.0])


def test_laxity_and_prestrain_shift_the_zero_force_point():
    L = 20.0
    lax = LigamentLaw("toe_linear", stiffness=10.0, toe_strain=0.0, laxity=1.5)
    pre = LigamentLaw("toe_linear", stiffness=10.0, toe_strain=0.0, prestrain=0.05)
    la = fibre_law_arrays([lax, pre], np.array([0, 0, 1, 1]), np.full(4, L), np.ones(4),
                          np.array([L, L]))
    F, _ = evaluate(la, np.array([1.4, 2.5, 0.0, -0.5]))
    np.testing.assert_allclose(F, [0.0, 10.0, 10.0 * 0.05 * L, 10.0 * 0.5])
    assert list(taut(la, np.array([1.4, 2.5, 0.0, -1.01]))) == [False, True, True, False]


def test_fibres_share_the_ligament_force():
    # 4 fibres of one ligament at the same strain carry the whole ligament's force together
    law = LigamentLaw("toe_linear", stiffness=40.0, toe_strain=0.1)
    L0 = np.array([10.0, 12.0, 8.0, 10.0])
    share = np.array([0.1, 0.2, 0.3, 0.4])
    Llig = float(share @ L0)
    la = fibre_law_arrays([law], np.zeros(4, int), L0, share, np.array([Llig]))
    eps = 0.25
    F, _ = evaluate(la, eps * L0)
    Fone, _ = evaluate(_one_fibre(law, L0=Llig), np.array([eps * Llig]))
    assert F.sum() == pytest.approx(Fone[0], rel=1e-12)
    np.testing.assert_allclose(F / F.sum(), share, rtol=1e-12)


def test_fibre_curve_reproduces_the_law():
    law = LigamentLaw("toe_linear", stiffness=25.0, toe_strain=0.1, laxity=0.5)
    la = _one_fibre(law, L0=15.0)
    d, f = fibre_curve(la, 0)
    F, _ = _many(law, d, L0=15.0)
    np.testing.assert_allclose(f, F, rtol=1e-12)
    assert f[0] == 0.0 and d[0] == pytest.approx(0.5)  # starts where the slack ends
    assert np.all(np.diff(f) > 0)


@pytest.mark.parametrize("law, key", [
    (LigamentLaw("toe_linear", stiffness=-1.0), "stiffness_N_per_mm"),
    (LigamentLaw("toe_linear", stiffness=1.0, laxity=1.0, prestrain=0.1), "not both"),
    (LigamentLaw("curve", curve_x=np.array([0, .1, .1]), curve_force=np.array([0, 1, 2.0])),
     "ascending"),
    (LigamentLaw("curve", curve_x=np.array([0, .1]), curve_force=np.array([0, 1, 2.0])),
     "equally long"),
    (LigamentLaw("toe_linear", stiffness=1.0, failure_force=0.0), "failure_force_N"),
])
def test_bad_laws_are_named(law, key):
    with pytest.raises(ConfigError, match=key) as exc:
        check_law(law, "model.toml: ligaments[2] 'alar_L'")
    assert "alar_L" in str(exc.value)
