"""Annulus fibres (fea.annulus): the fibres' angle measured where they attach on the mesh, the
fibre volume they stand for, the axial and torsional stiffness of the fibre layer against closed
forms, tension only (a twist stretches one family and leaves the other slack), and bad entries
named in the error."""

import numpy as np
import pytest

from fea.annulus import AnnulusFibres, build
from fea.errors import ConfigError
from fea.ligaments.fibres import build_fibres
from fea.ligaments.law import evaluate
from fea.materials import LinearElastic
from fea.model import Model, Section
from tests.helpers import structured_box

A_OUT, B_OUT, K_IN = 8.0, 6.0, 0.5  # elliptic annulus: outer semi-axes (mm), inner fraction
H = 5.0  # disc height, mm
C = np.array([10.0, 10.0])  # the ellipse's centre in the 20 x 20 mm block


def _annulus_faces(mesh, faces, a=A_OUT, b=B_OUT):
    """The faces of `faces` whose centroid lies in the elliptic annulus."""
    xc = mesh.nodes[mesh.face_connectivity(faces, corners_only=True)].mean(axis=1)
    q = ((xc[:, 0] - C[0]) / a) ** 2 + ((xc[:, 1] - C[1]) / b) ** 2
    return faces[(q <= 1.0) & (q >= K_IN ** 2)]


def _disc(a=A_OUT, b=B_OUT):
    """A 20 x 20 x 5 mm block (0.625 mm grid in plane, TET10) standing for the disc; an elliptic
    annulus of faces on its bottom and top: the annulus's faces on the two endplates."""
    m = structured_box((32, 32, 2), (20.0, 20.0, H)).to_tet10()
    m.face_sets["lower"] = _annulus_faces(m, m.face_sets["zmin"], a, b)
    m.face_sets["upper"] = _annulus_faces(m, m.face_sets["zmax"], a, b)
    return Model("disc", m, {"m": LinearElastic("m", 3.4, 0.45)}, [Section("body", "m")])


@pytest.fixture(scope="module")
def disc():
    return _disc()


@pytest.fixture(scope="module")
def round_disc():
    return _disc(8.0, 8.0)


ENTRY = AnnulusFibres("af", "body", "lower", "upper", angle_deg=30.0,
                      fibre_modulus_MPa=450.0, volume_fraction=0.16, rings=2,
                      fibres_per_ring=24, segments=4)


def _built(model, entry=ENTRY):
    ligs, info = build(model.mesh, entry, "test")
    model.ligaments = ligs
    return build_fibres(model), info


def test_fibre_angle_measured_where_the_fibres_attach_is_the_parameter(disc):
    for angle in (25.0, 40.0):
        fb, info = _built(disc, AnnulusFibres(**{**ENTRY.__dict__, "angle_deg": angle}))
        # the attachment points the mesh carries: the weighted element nodes of each end
        xa, xb = fb.WA @ disc.mesh.nodes, fb.WB @ disc.mesh.nodes
        span = xb - xa
        measured = np.degrees(np.arcsin(span[:, 2] / np.linalg.norm(span, axis=1)))
        assert np.abs(measured - angle).max() < 3.0
        # the pieces of a fibre follow each other from endplate to endplate
        assert np.isclose(xa[:, 2].min(), 0.0) and np.isclose(xb[:, 2].max(), H)
        # two families crossing: the horizontal run turns one way for plus, the other for minus
        r = xa[:, :2] - C
        turn = np.sign(r[:, 0] * span[:, 1] - r[:, 1] * span[:, 0])
        plus = fb.ligament == fb.names.index("af_plus")
        assert np.all(turn[plus] > 0) and np.all(turn[~plus] < 0)
        assert info["height_mm"] == pytest.approx(H, abs=1e-9)


def test_fibres_stand_for_the_given_volume_fraction(disc):
    fb, info = _built(disc)
    tri = disc.mesh.nodes[disc.mesh.face_connectivity(disc.mesh.faces("lower"),
                                                      corners_only=True)]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]),
                                axis=1).sum()
    assert info["area_mm2"] == pytest.approx(area, rel=1e-12)
    assert info["semi_axes_mm"][0] == pytest.approx(A_OUT, abs=0.7)  # staircase: one cell
    assert info["semi_axes_mm"][1] == pytest.approx(B_OUT, abs=0.7)
    vol = sum(info["fibre_area_mm2"] * f["length_mm"].sum() for f in info["families"].values())
    assert vol == pytest.approx(0.16 * area * H, rel=1e-9)


def test_axial_strain_stretches_every_piece_by_sin2_alpha_and_compression_none(disc):
    fb, info = _built(disc)
    x = disc.mesh.nodes
    for eps in (1e-3, -1e-3):
        u = np.zeros_like(x)
        u[:, 2] = eps * x[:, 2]  # uniform axial strain of the disc
        delta = fb.B @ u.ravel()
        F, _ = evaluate(fb.law, delta)
        # a piece at alpha to the transverse plane strains by eps sin^2(alpha)
        np.testing.assert_allclose(delta / fb.L0, eps * np.sin(np.radians(30.0)) ** 2,
                                   rtol=1e-9)
        k = 450.0 * info["fibre_area_mm2"] / fb.L0
        np.testing.assert_allclose(F, k * np.maximum(delta, 0.0), rtol=1e-9, atol=1e-15)
        assert (eps > 0 and np.all(F > 0)) or (eps < 0 and np.all(F == 0))


def test_twist_strains_one_family_as_a_helix_in_torsion_and_leaves_the_other_slack(round_disc):
    fb, info = _built(round_disc)
    x = round_disc.mesh.nodes
    gamma = 1e-3 / H  # twist per mm of height: u = gamma z (e_z x r)
    plus = fb.ligament == fb.names.index("af_plus")
    r = np.linalg.norm(fb.end_a[:, :2] - C, axis=1)  # each piece's lamella radius
    s, c = np.sin(np.radians(30.0)), np.cos(np.radians(30.0))
    for sign, taut in ((1.0, plus), (-1.0, ~plus)):
        u = np.zeros_like(x)
        u[:, 0] = -sign * gamma * x[:, 2] * (x[:, 1] - C[1])
        u[:, 1] = sign * gamma * x[:, 2] * (x[:, 0] - C[0])
        delta = fb.B @ u.ravel()
        F, _ = evaluate(fb.law, delta)
        assert np.all(F[~taut] == 0.0) and np.all(F[taut] > 0)
        # a straight piece between (r, t, z) and (r, t + dt, z + dz) on the cylinder stretches
        # by gamma r^2 dz sin(dt) / l (the twist field's difference along the chord) ...
        ra, rb = fb.end_a[:, :2] - C, fb.end_b[:, :2] - C
        sin_dt = (ra[:, 0] * rb[:, 1] - ra[:, 1] * rb[:, 0]) / (r * r)
        dz = fb.end_b[:, 2] - fb.end_a[:, 2]
        exact = sign * gamma * r ** 2 * dz * sin_dt / fb.L0
        np.testing.assert_allclose(delta[taut], exact[taut], rtol=1e-6)
        # ... which tends to a helix's strain at alpha, gamma r sin(alpha) cos(alpha), as the
        # pieces shorten: the ratio is cos(dt / 2), above 0.96 for four pieces here
        np.testing.assert_allclose(delta[taut] / fb.L0[taut], gamma * r[taut] * s * c,
                                   rtol=4e-2)


def test_bad_entries_are_named(disc):
    with pytest.raises(ConfigError, match="lowr.*Did you mean 'lower'"):
        build(disc.mesh, AnnulusFibres(**{**ENTRY.__dict__, "from_set": "lowr"}), "e")
    with pytest.raises(ConfigError, match="angle_deg"):
        build(disc.mesh, AnnulusFibres(**{**ENTRY.__dict__, "angle_deg": 95.0}), "e")
    with pytest.raises(ConfigError, match="steeper angle_deg"):
        build(disc.mesh, AnnulusFibres(**{**ENTRY.__dict__, "angle_deg": 2.0}), "e")
    with pytest.raises(ConfigError, match="volume_fraction"):
        build(disc.mesh, AnnulusFibres(**{**ENTRY.__dict__, "volume_fraction": 1.5}), "e")
