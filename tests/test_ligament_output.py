"""Ligament outputs: per-ligament summary against the law (two blocks pulled apart: every fibre
at the same strain), taut fractions under a rotation, the failure flag, and ligaments.vtu read
back by meshio (a fibre over a via point as its two segments)."""

import meshio
import numpy as np
import pytest

from fea.ligament_output import write_ligaments_vtu
from fea.ligaments.fibres import build_fibres
from fea.ligaments.summary import (
    failed_ligaments, fibre_fields, ligament_summary, slack_ligaments,
)
from fea.model import Ligament, LigamentLaw
from tests.test_ligament_fibres import two_blocks


def _pulled(model, t):
    u = np.zeros((model.mesh.n_nodes, 3))
    u[model.mesh.nodes[:, 2] > 5] = t
    return u.ravel()


def test_summary_force_equals_the_ligament_law():
    m = two_blocks(shift=(0.0, 0.0, 10.0))  # fibres straight up, 6 mm long
    k, toe = 30.0, 0.1
    m.ligaments = [Ligament("lig", "lower_top", "upper_bottom",
                            LigamentLaw("toe_linear", stiffness=k, toe_strain=toe,
                                        failure_force=20.0), fibres=4),
                   Ligament("loose", "lower_top", "upper_bottom",
                            LigamentLaw("toe_linear", stiffness=k, laxity=2.0), fibres=2)]
    fb = build_fibres(m)
    dz = 1.2  # mm: strain 0.2, beyond the toe
    delta = fb.B @ _pulled(m, [0, 0, dz])
    rec, loose = ligament_summary(fb, delta)
    eps, L = dz / 6.0, 6.0
    assert rec["force_N"] == pytest.approx(k * L * (eps - toe / 2), rel=1e-10)
    assert rec["elongation_mm"] == pytest.approx(dz, rel=1e-12)
    assert rec["strain_pct"] == pytest.approx(100 * eps, rel=1e-12)
    assert rec["taut_fraction"] == 1.0 and rec["over_failure"]  # 27 N > 20 N
    assert rec["peak_fibre_force_N"] == pytest.approx(rec["force_N"] * fb.share[:4].max())
    assert loose["force_N"] == 0.0 and loose["taut_fraction"] == 0.0
    assert not loose["over_failure"] and loose["failure_force_N"] is None
    assert slack_ligaments([rec, loose]) == ["loose"]
    assert failed_ligaments([rec, loose]) == ["lig"]
    assert all(r["converged"] for r in (rec, loose))
    assert not ligament_summary(fb, delta, converged=False)[0]["converged"]


def test_taut_fraction_under_a_rotation():
    m = two_blocks(shift=(0.0, 0.0, 10.0))
    m.ligaments = [Ligament("lig", "lower_top", "upper_bottom",
                            LigamentLaw("toe_linear", stiffness=10.0), fibres=8)]
    fb = build_fibres(m)
    # the upper block tilts about the y axis through its bottom centre: one half stretches
    x = m.mesh.nodes
    w = np.array([0.0, 0.01, 0.0])
    u = np.where((x[:, 2] > 5)[:, None], np.cross(w, x - [5.0, 4.0, 10.0]), 0.0).ravel()
    delta = fb.B @ u
    (rec,) = ligament_summary(fb, delta)
    assert rec["taut_fraction"] == pytest.approx(np.mean(delta > 0))
    assert 0 < rec["taut_fraction"] < 1
    f = fibre_fields(fb, delta)
    assert np.all(f["force_N"][delta <= 0] == 0) and np.all(f["force_N"][delta > 0] > 0)


def test_ligaments_vtu_reads_back(tmp_path):
    m = two_blocks()
    m.ligaments = [Ligament("a", "lower_top", "upper_bottom",
                            LigamentLaw("toe_linear", stiffness=10.0), fibres=3),
                   Ligament("g", "upper_bottom", None, LigamentLaw("linear", stiffness=2.0),
                            direction=np.array([1.0, 0, 0]))]
    fb = build_fibres(m)
    delta = fb.B @ _pulled(m, [0.2, 0.1, 0.5])
    fields = fibre_fields(fb, delta)
    write_ligaments_vtu(tmp_path / "ligaments.vtu", fb, fields)
    back = meshio.read(tmp_path / "ligaments.vtu")
    lines = back.cells_dict["line"]
    assert lines.shape == (4, 2)
    np.testing.assert_allclose(back.points[lines[:, 0]], fb.end_a)
    np.testing.assert_allclose(back.points[lines[:, 1]], fb.end_b)
    np.testing.assert_allclose(back.cell_data["force_N"][0], fields["force_N"])
    np.testing.assert_array_equal(back.cell_data["ligament_id"][0], [0, 0, 0, 1])
    assert np.isnan(back.cell_data["strain_pct"][0][3])  # a spring to ground has no length
    assert list(back.cell_data["taut"][0]) == [1, 1, 1, 1]


def test_a_wrapped_fibre_is_written_as_two_segments(tmp_path):
    from tests.helpers import structured_box

    m = two_blocks()
    m.mesh.face_sets["lower_xmax"] = structured_box((4, 4, 2), (10.0, 8.0, 4.0)).face_sets["xmax"]
    m.ligaments = [Ligament("straight", "lower_top", "upper_bottom",
                            LigamentLaw("toe_linear", stiffness=10.0), fibres=2),
                   Ligament("wrap", "lower_top", "upper_bottom",
                            LigamentLaw("toe_linear", stiffness=10.0), fibres=2,
                            via="lower_xmax")]
    fb = build_fibres(m)
    fields = fibre_fields(fb, fb.B @ _pulled(m, [0.2, 0.1, 0.5]))
    write_ligaments_vtu(tmp_path / "ligaments.vtu", fb, fields)
    back = meshio.read(tmp_path / "ligaments.vtu")
    lines, fibre = back.cells_dict["line"], back.cell_data["fibre"][0]
    np.testing.assert_array_equal(fibre, [0, 1, 2, 2, 3, 3])  # one segment, or two over V
    p = back.points
    np.testing.assert_allclose(p[lines[2:, 0]][::2], fb.end_a[2:])  # A -> V
    np.testing.assert_allclose(p[lines[2:, 1]][::2], fb.end_v[2:])
    np.testing.assert_allclose(p[lines[2:, 0]][1::2], fb.end_v[2:])  # V -> B
    np.testing.assert_allclose(p[lines[2:, 1]][1::2], fb.end_b[2:])
    np.testing.assert_allclose(back.cell_data["force_N"][0], fields["force_N"][fibre])
    seg = np.linalg.norm(p[lines[:, 1]] - p[lines[:, 0]], axis=1)
    np.testing.assert_allclose(np.bincount(fibre, seg), fb.L0, rtol=1e-12)  # path lengths
