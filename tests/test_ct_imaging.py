"""Patient models from CT (issue 21): image frames, label surfaces -> meshes, CT moduli."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import ConfigError
from fea.geometry.registry import build
from fea.imaging.mapping import CtLaw, map_cells
from fea.imaging.phantom import write_dicom_series, write_nifti
from fea.imaging.volume import Volume, read_image


def _grid(shape, spacing, origin, rot=np.eye(3)):
    A = np.eye(4)
    A[:3, :3] = rot @ np.diag(spacing)
    A[:3, 3] = origin
    return A


def _rot(axis, deg):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    t = np.radians(deg)
    return np.eye(3) + np.sin(t) * K + (1 - np.cos(t)) * K @ K


def _indices(shape):
    return np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1)


def _centres(A, shape):
    """(ni, nj, nk, 3) voxel centres in mm."""
    return _indices(shape) @ A[:3, :3].T + A[:3, 3]


def _labels_of(fn, A, shape):
    return fn(_centres(A, shape)).astype(np.int16)


def _mesh_volume(tmp_path, lab: Volume, size, **params):
    write_nifti(lab, tmp_path / "lab.nii.gz", np.int16)
    m = build("ct", {"image": "lab.nii.gz", "labels": "lab.nii.gz", "bodies": {"B": 1},
                     "model_dir": str(tmp_path), **params}, size, 2)
    return m, m.quality().total_volume


def test_voxelised_sphere_and_cylinder_mesh_volumes_within_2_percent(tmp_path):
    shape = (48, 48, 48)
    A = _grid(shape, (0.5, 0.5, 0.5), (-11.75, -11.75, -11.75))  # faces between centres
    R = 8.0
    sphere = Volume(_labels_of(lambda X: (X ** 2).sum(-1) <= R * R, A, shape), A, "memory")
    _, v = _mesh_volume(tmp_path, sphere, 1.5)
    assert v == pytest.approx(4 / 3 * np.pi * R ** 3, rel=0.02)
    _, v = _mesh_volume(tmp_path, sphere, 1.5, surface_step=2)  # coarser marching cubes
    assert v == pytest.approx(4 / 3 * np.pi * R ** 3, rel=0.02)
    r, h = 8.0, 16.0  # flat ends at +-8 mm, between voxel centres
    cyl = Volume(_labels_of(lambda X: ((X[..., :2] ** 2).sum(-1) <= r * r)
                            & (np.abs(X[..., 2]) < h / 2), A, shape), A, "memory")
    _, v = _mesh_volume(tmp_path, cyl, 1.5)
    assert v == pytest.approx(np.pi * r * r * h, rel=0.02)


def test_anisotropic_rotated_volume_lands_where_it_should_in_nifti_and_dicom(tmp_path):
    """A bright block placed at a known point of the project frame, in a volume with anisotropic
    spacing and an oblique direction matrix, read back from NIfTI and from a DICOM series."""
    shape = (40, 36, 30)
    rot = _rot([1, 2, 3], 25.0)
    sp = (0.45, 0.7, 1.2)
    centre_ijk = np.array([17.0, 20.0, 11.0])
    A = _grid(shape, sp, (0, 0, 0), rot)
    A[:3, 3] = np.array([5.0, -12.0, 40.0]) - A[:3, :3] @ centre_ijk  # block centre at that point
    block = (np.abs(_indices(shape) - centre_ijk) <= [4, 3, 2]).all(-1)
    hu = np.where(block, 900.0, -50.0).astype(np.float32)
    vol = Volume(hu, A, "memory")
    write_nifti(vol, tmp_path / "v.nii.gz")
    write_dicom_series(vol, tmp_path / "dcm", patient={})
    for got in (read_image(tmp_path / "v.nii.gz"), read_image(tmp_path / "dcm")):
        bright = np.argwhere(got.data > 400)
        c = got.points_of(bright.mean(0))
        assert np.linalg.norm(c - [5.0, -12.0, 40.0]) < 0.5 * min(sp)
        assert np.allclose(sorted(got.spacing_mm), sorted(sp), atol=1e-5)
        assert len(bright) == block.sum()
        # every voxel's value at its own project-frame position matches the source volume
        pts = got.points_of(bright.astype(float))
        assert np.allclose(vol.sample(pts, order=0), 900.0)


def _law(**kw):
    d = dict(hu_to_density=(0.0008, 0.02), a=4730.0, b=1.56, E_min_MPa=5.0)
    d.update(kw)
    return CtLaw(**d)


def test_constant_hu_maps_to_the_law_exactly_and_low_density_to_the_floor():
    from fea.geometry.primitives import box

    mesh = box(10.0, 10.0, 10.0, 3.0, 2, (0.0, 0.0, 0.0))
    A = _grid((20, 20, 20), (1.0, 1.0, 1.0), (-4.5, -4.5, -4.5))
    for hu, expect in ((400.0, 4730.0 * (0.0008 * 400 + 0.02) ** 1.56),
                       (-600.0, 5.0)):  # density < 0 -> E_min
        vol = Volume(np.full((20, 20, 20), hu, np.float32), A, "memory")
        E, rho, _ = map_cells(mesh.nodes, mesh.cells, vol, _law(), "t")
        assert np.abs(E / expect - 1).max() < 1e-10
        assert np.allclose(rho, 0.0008 * hu + 0.02, rtol=1e-10)


def test_binning_groups_moduli_and_keeps_each_bin_mean():
    from fea.imaging.mapping import bin_moduli

    E = np.linspace(100.0, 1100.0, 1001)
    Eb, _ = bin_moduli(E, E * 0 + 1, 4)
    assert len(np.unique(Eb)) == 4
    assert Eb.mean() == pytest.approx(E.mean(), rel=1e-12)  # bin means conserve the total
    assert np.abs(Eb - E).max() <= (E.max() - E.min()) / 4


def test_elements_outside_the_image_are_refused_naming_the_material():
    from fea.geometry.primitives import box

    mesh = box(10.0, 10.0, 10.0, 3.0, 2, (0.0, 0.0, 0.0))
    vol = Volume(np.zeros((5, 5, 5), np.float32), _grid((5,) * 3, (1, 1, 1), (0, 0, 0)), "memory")
    with pytest.raises(ConfigError, match=r"materials.bone.ct: \d+ element\(s\) lie outside"):
        map_cells(mesh.nodes, mesh.cells, vol, _law(), "materials.bone.ct")


BAR_MODEL = """
[model]
name = "bar"
[mesh]
builder = "ct"
size_mm = {size}
[mesh.params]
image = "{image}"
labels = "lab.nii.gz"
bodies = {{ BAR = 1 }}
smooth_iterations = 0
[mesh.params.named_surfaces]
bottom = {{ body = "BAR", box_mm = [-3, -3, -0.3, 3, 3, 0.3], normal = [0, 0, -1] }}
top = {{ body = "BAR", box_mm = [-3, -3, 19.7, 3, 3, 20.3], normal = [0, 0, 1] }}
[materials.bone]
nu = 0.0
ct = {{ hu_to_density = [0.0008, 0.0], density_to_E = {{ law = "power", a = 4730.0, b = 1.56 }}, E_min_MPa = 5.0 }}
[[sections]]
cell_set = "BAR"
material = "bone"
role = "bone"
[[supports]]
set = "bottom"
[ref_points.load]
position_mm = [0.0, 0.0, 20.0]
coupling = "kinematic"
surface = "top"
"""

PUSH = """
[loadcase]
name = "push"
[[steps]]
name = "push"
loads = [{ ref_point = "load", force_N = [0.0, 0.0, -100.0] }]
"""


def _bar_stiffness(tmp_path, hu_lo, hu_hi, name):
    """Axial stiffness (N/mm) of a 8 x 8 x 20 mm bar (voxelised, meshed from its label), its
    lower half at hu_lo and upper half at hu_hi; nu = 0, so uniaxial stress is exact."""
    import json

    from fea.cli import main

    shape = (24, 24, 48)
    A = _grid(shape, (0.5, 0.5, 0.5), (-5.75, -5.75, -1.75))  # faces between voxel centres
    inside = lambda X: (np.abs(X[..., :2]) < 4).all(-1) & (X[..., 2] > 0) & (X[..., 2] < 20)  # noqa: E731
    lab = Volume(_labels_of(inside, A, shape), A, "memory")
    z = _centres(A, shape)[..., 2]
    hu = Volume(np.where(z < 10.0, hu_lo, hu_hi).astype(np.float32), A, "memory")
    write_nifti(lab, tmp_path / "lab.nii.gz", np.int16)
    write_nifti(hu, tmp_path / f"{name}.nii.gz")
    (tmp_path / f"{name}.toml").write_text(BAR_MODEL.format(size=1.0, image=f"{name}.nii.gz"))
    (tmp_path / "push.toml").write_text(PUSH)
    assert main(["solve", str(tmp_path / f"{name}.toml"), "--loadcase",
                 str(tmp_path / "push.toml"), "--out", str(tmp_path / name), "--cache",
                 str(tmp_path / "cache"), "-q"]) == 0
    s = json.loads((tmp_path / name / "summary.json").read_text())
    uz = s["steps"][-1]["ref_points"]["load"]["displacement_mm"][2]
    return 100.0 / -uz, s


def test_two_density_bar_matches_two_springs_in_series(tmp_path):
    law = lambda hu: 4730.0 * (0.0008 * hu) ** 1.56  # noqa: E731
    k0, _ = _bar_stiffness(tmp_path, 500.0, 500.0, "uniform")  # E0 A / L: the bar's own A
    k, s = _bar_stiffness(tmp_path, 400.0, 700.0, "two")
    E0, E1, E2 = law(500.0), law(400.0), law(700.0)
    series = k0 / E0 * 2.0 / (1.0 / E1 + 1.0 / E2)
    print(f"two-density bar: k {k:.2f} N/mm, series springs {series:.2f}, error {k / series - 1:+.3%}")
    assert k == pytest.approx(series, rel=0.02)
    # and it is not the stiffness of either half alone, nor of the mean modulus
    assert abs(k / (k0 / E0 * (E1 + E2) / 2) - 1) > 0.05
    assert s["ct_materials"]["BAR"]["E_MPa"]["min"] == pytest.approx(E1, rel=1e-6)
    assert s["ct_materials"]["BAR"]["E_MPa"]["max"] == pytest.approx(E2, rel=1e-6)


@pytest.fixture(scope="module")
def phantom_dir(tmp_path_factory):
    from fea.imaging.phantom import main as write_phantom

    d = tmp_path_factory.mktemp("ct_phantom")
    assert write_phantom([str(d), "--dicom"]) == 0
    return d


def _docs_model() -> str:
    from test_ct_worked_example import _example_toml

    return _example_toml()


def test_dicom_series_and_nifti_give_the_same_mesh_and_moduli(phantom_dir):
    from fea.config import load_model
    from fea.imaging.mapping import cell_fields

    toml = _docs_model()
    (phantom_dir / "a.toml").write_text(toml)
    (phantom_dir / "b.toml").write_text(toml.replace('"ct.nii.gz"', '"ct_dicom"'))
    ma, mb = load_model(phantom_dir / "a.toml"), load_model(phantom_dir / "b.toml")  # no cache
    assert np.array_equal(ma.mesh.cells, mb.mesh.cells)
    assert np.allclose(ma.mesh.nodes, mb.mesh.nodes, atol=1e-9)
    Ea, Eb = cell_fields(ma)["E_MPa"], cell_fields(mb)["E_MPa"]
    # DICOM stores whole HU: 0.5 HU at >= 150 HU moves E by < 0.6 %
    assert np.abs(Eb / Ea - 1).max() < 0.006
    assert ma.materials["bone"].image["format"] == "nifti"
    assert mb.materials["bone"].image["format"] == "dicom"


@pytest.mark.parametrize("edit, message", [
    (("E_min_MPa = 5.0", "E_min = 5.0"),
     r"materials.bone.ct.E_min: unknown key 'E_min'; did you mean 'E_min_MPa'"),
    (('law = "power"', 'law = "linear"'), r"materials.bone.ct.density_to_E.law"),
    (("[0.0008, 0.0]", "[-0.0008, 0.0]"), r"materials.bone.ct.hu_to_density: .*slope"),
    (("nu = 0.3\n# hu", "E_MPa = 100.0\nnu = 0.3\n# hu"), r"materials.bone: .*drop E_MPa"),
    (('image = "ct.nii.gz"', 'image = "nope.nii.gz"'), r"mesh.params.image: 'nope.nii.gz' not found"),
    (("C3 = 1, C2", "C3 = 9, C2"), r"mesh.params.bodies.C3: label 9 does not occur .*\[1, 2, 3, 11, 12\]"),
    (("C3 = 1, C2", "C3 = 1.5, C2"), r"mesh.params.bodies.C3: a label is a positive whole number"),
    (("C3 = 1, C2 = 2", "C3 = 2, C2 = 2"), r"mesh.params.bodies: label 2 is given to more than one"),
])
def test_bad_ct_keys_are_named(phantom_dir, edit, message):
    from fea.config import load_model

    toml = _docs_model()
    assert edit[0] in toml
    (phantom_dir / "bad.toml").write_text(toml.replace(edit[0], edit[1]))
    with pytest.raises(ConfigError, match=message):
        load_model(phantom_dir / "bad.toml")


def test_threshold_with_seed_boxes_segments_the_phantom_like_its_label_map(phantom_dir):
    from fea.config import load_model
    from fea.imaging.phantom import phantom
    from fea.imaging.surface import threshold_labels

    ct, lab = phantom()
    boxes = {"C3": [-15, -15, -2, 15, 15, 9], "C2": [-15, -15, 11, 15, 15, 21],
             "C1": [-15, -15, 23, 15, 15, 33]}
    # cores >= 150 HU, discs 60, fat -100: at 100 HU the bodies are exactly labels 1, 2, 3
    got = threshold_labels(ct, 100.0, boxes)
    assert np.array_equal(got.data, np.where(lab.data <= 3, lab.data, 0))
    toml = _docs_model()
    toml = toml.replace('labels = "labels.nii.gz"', "threshold_HU = 100.0").replace(
        "bodies = { C3 = 1, C2 = 2, C1 = 3, D23 = 11, D12 = 12 }",
        "bodies = { " + ", ".join(f"{n} = {{ box_mm = {b} }}" for n, b in boxes.items()) + " }")
    toml = toml[:toml.index("[materials.disc]")] + "\n".join(
        f'[[sections]]\ncell_set = "{n}"\nmaterial = "bone"' for n in boxes)
    (phantom_dir / "thr.toml").write_text(toml)
    m = load_model(phantom_dir / "thr.toml")
    assert sorted(m.mesh.cell_sets) == ["C1", "C2", "C3"]
    assert "C3_inferior_endplate" in m.mesh.face_sets
    with pytest.raises(ConfigError, match=r"mesh.params.bodies.C3.box_mm: no voxel of 2000 HU"):
        threshold_labels(ct, 2000.0, boxes)
    (phantom_dir / "both.toml").write_text(toml.replace(
        "threshold_HU = 100.0", 'threshold_HU = 100.0\nlabels = "labels.nii.gz"'))
    with pytest.raises(ConfigError, match=r"mesh.params: give labels = .* or threshold_HU"):
        load_model(phantom_dir / "both.toml")


def test_an_implant_stl_in_the_ct_frame_touches_the_bones_it_sits_between(phantom_dir):
    """A cylindrical cage STL filling the C3-C2 disc space (z 8..12 mm) meshes with the bones
    and gets interface face sets on both endplates it touches, and none with C1."""
    import pyvista as pv

    from fea.config import load_model

    pv.Cylinder(center=(0, 0, 10), direction=(0, 0, 1), radius=5.0, height=4.0,
                resolution=48, capping=True).triangulate().clean().save(
        str(phantom_dir / "cage.stl"))
    toml = _docs_model().replace("bodies = { C3 = 1, C2 = 2, C1 = 3, D23 = 11, D12 = 12 }",
                                 'bodies = { C3 = 1, C2 = 2, C1 = 3 }\n'
                                 'implants = { CAGE = "cage.stl" }')
    toml = toml[:toml.index("[materials.disc]")] + (
        '[materials.ti]\nlibrary = "ti6al4v"\n' + "\n".join(
            f'[[sections]]\ncell_set = "{n}"\nmaterial = "{m}"'
            for n, m in (("C1", "bone"), ("C2", "bone"), ("C3", "bone"), ("CAGE", "ti"))))
    (phantom_dir / "cage.toml").write_text(toml)
    m = load_model(phantom_dir / "cage.toml")
    fs = m.mesh.face_sets
    for bone in ("C2", "C3"):
        side = fs[f"{bone}|CAGE@CAGE"]
        x = m.mesh.nodes[m.mesh.face_connectivity(side, corners_only=True)]
        area = 0.5 * np.linalg.norm(np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]), axis=1).sum()
        assert area == pytest.approx(np.pi * 25.0, rel=0.05)  # the cage's end disc, r = 5 mm
        assert len(fs[f"{bone}|CAGE@{bone}"])
    assert not any(k.startswith("C1|CAGE") for k in fs)
    # the cage's modulus is its own, not the CT's
    assert m.materials["ti"].E == 110000.0
    with pytest.raises(ConfigError, match=r"mesh.params.implants.CAGE: file 'nope.stl' not found"):
        (phantom_dir / "cage2.toml").write_text(toml.replace('"cage.stl"', '"nope.stl"'))
        load_model(phantom_dir / "cage2.toml")


def test_dicom_folder_errors_name_the_folder_and_no_patient_tag(tmp_path):
    from fea.imaging.phantom import FAKE_PATIENT, phantom

    ct, _ = phantom()
    two = tmp_path / "two_series"
    write_dicom_series(ct, two)
    for f in write_dicom_series(ct, tmp_path / "other").iterdir():
        f.rename(two / f"B{f.name}")
    gap = write_dicom_series(ct, tmp_path / "gap", shuffle=False)
    (gap / "IM00010.dcm").unlink()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a scan")
    for folder, message in ((two, "holds several DICOM series"),
                            (gap, "not evenly spaced"),
                            (tmp_path / "empty", "holds no DICOM image slices")):
        with pytest.raises(ConfigError, match=message) as e:
            read_image(folder)
        assert folder.name in str(e.value)
        assert not any(v in str(e.value) for v in FAKE_PATIENT.values())


def test_an_exported_deck_keeps_the_ct_moduli_per_element(phantom_dir):
    from fea.abaqus import read_deck
    from fea.cli import main
    from fea.config import load_model
    from fea.imaging.mapping import cell_fields
    from fea.model import material_ids

    toml = _docs_model().replace("E_min_MPa = 5.0 }", "E_min_MPa = 5.0, bins = 12 }")
    (phantom_dir / "binned.toml").write_text(toml)
    m = load_model(phantom_dir / "binned.toml")
    E = cell_fields(m)["E_MPa"]
    assert len(np.unique(E[m.mesh.cell_sets["C2"]])) <= 12
    assert main(["export", str(phantom_dir / "binned.toml"), "--out",
                 str(phantom_dir / "binned.inp")]) == 0
    d = read_deck(phantom_dir / "binned.inp").model
    mat, Ds = material_ids(d)
    lam, mu = Ds[:, 0, 1], Ds[:, 3, 3]
    E_deck = (mu * (3 * lam + 2 * mu) / (lam + mu))[mat]
    by_id = dict(zip(d.mesh.cell_ids.tolist(), E_deck))
    E_back = np.array([by_id[i] for i in m.mesh.cell_ids.tolist()])
    assert np.allclose(E_back, E, rtol=1e-6)


BOX_IN_CT = """
[model]
name = "box_in_ct"
[mesh]
builder = "box"
params = { lx_mm = 4.0, ly_mm = 4.0, lz_mm = 4.0, origin_mm = [-2.0, -2.0, 2.0] }
size_mm = 2.0
[materials.bone]
nu = 0.3
ct = { hu_to_density = [0.0008, 0.0], density_to_E = { law = "power", a = 4730.0, b = 1.56 }, E_min_MPa = 5.0 IMAGE }
[[sections]]
cell_set = "body"
material = "bone"
"""


def test_ct_moduli_on_a_mesh_from_another_builder_need_their_image(phantom_dir):
    """A box inside C3's cancellous core (z 2..6 mm, |x|, |y| <= 2 mm): its moduli come from
    the core's graded HU (150 at the axis, + 200 (r/R)^2), so between the law at 150 HU and at
    the HU of the box's outermost corner; without an image the key is named."""
    from fea.config import load_model
    from fea.imaging.mapping import cell_fields

    law = lambda hu: 4730.0 * (0.0008 * hu) ** 1.56  # noqa: E731
    (phantom_dir / "box.toml").write_text(BOX_IN_CT.replace("IMAGE", ', image = "ct.nii.gz"'))
    m = load_model(phantom_dir / "box.toml")
    E = cell_fields(m)["E_MPa"]
    r2 = (2.0 / 9.0) ** 2 + (2.0 / 7.0) ** 2  # the corner, in the ellipse's radius
    assert E.min() >= law(150.0) * (1 - 1e-6)
    assert E.max() <= law(150.0 + 200.0 * r2) * (1 + 1e-6)
    assert E.max() > E.min() * 1.05  # graded, not one value
    (phantom_dir / "box.toml").write_text(BOX_IN_CT.replace("IMAGE", ""))
    with pytest.raises(ConfigError, match=r"materials.bone.ct.image: no CT image"):
        load_model(phantom_dir / "box.toml")


def test_the_scanner_is_named_only_when_the_user_allows_it(phantom_dir):
    from fea.config import load_model

    toml = _docs_model().replace('"ct.nii.gz"', '"ct_dicom"')
    (phantom_dir / "scan.toml").write_text(toml)
    assert "scanner" not in load_model(phantom_dir / "scan.toml").materials["bone"].image
    (phantom_dir / "scan.toml").write_text(toml.replace("E_min_MPa = 5.0 }",
                                                        "E_min_MPa = 5.0, show_scanner = true }"))
    img = load_model(phantom_dir / "scan.toml").materials["bone"].image
    assert img["scanner"] == "SynthScan Phantom-9000"  # what the phantom's headers say


def test_sampling_at_the_edge_of_the_field_of_view():
    """Half a voxel beyond the outer voxel centres still samples (a bone cut by the scan's
    field of view meshes to there); beyond that it is outside."""
    A = _grid((4, 4, 4), (1.0, 2.0, 0.5), (10.0, 20.0, 30.0))
    vol = Volume(np.arange(64, dtype=np.float32).reshape(4, 4, 4), A, "memory")
    corner = vol.points_of(np.array([[3.0, 3.0, 3.0]]))[0]
    step = np.array([1.0, 2.0, 0.5])
    assert vol.sample(corner + 0.49 * step)[0] == 63.0
    assert np.isnan(vol.sample(corner + 0.51 * step)[0])
    assert vol.sample(vol.points_of(np.array([[1.5, 2.0, 0.0]])))[0] == pytest.approx(
        (16 * 1 + 4 * 2 + 0 + 16 * 2 + 4 * 2) / 2)  # trilinear between (1,2,0) and (2,2,0)


def test_a_mirrored_image_gives_an_outward_surface_of_the_same_volume():
    """RAS NIfTI with a positive diagonal maps to the project frame with det < 0: marching
    cubes' triangles come out inside out unless flipped."""
    from fea.imaging.surface import _signed_volume, label_surface

    shape = (30, 30, 30)
    A = _grid(shape, (0.5, 0.5, 0.5), (-7.25, -7.25, -7.25))
    ball = _labels_of(lambda X: (X ** 2).sum(-1) <= 36.0, A, shape)
    v = _signed_volume(label_surface(Volume(ball, A, "memory"), 1, "t"))
    M = A.copy()
    M[0, :] *= -1  # x negated: a mirror
    vm = _signed_volume(label_surface(Volume(ball, M, "memory"), 1, "t"))
    assert v > 0 and vm > 0
    assert vm == pytest.approx(v, rel=1e-9)
    assert v == pytest.approx(4 / 3 * np.pi * 216.0, rel=0.02)


def test_subsidence_with_a_local_yield_compares_point_by_point():
    from fea.metrics.subsidence import subsidence

    s = subsidence([1.0, 2.0, 0.5], [1.0, 1.0, 2.0], [2.0, 1.0, 4.0])
    assert s["peak_to_yield"] == pytest.approx(2.0)  # the second point, not 2 / mean(y)
    assert s["area_over_yield_pct"] == pytest.approx(25.0)  # only it: 1 of 4 mm^2
    assert s["bone_yield_MPa"] == pytest.approx((2 + 1 + 8) / 4)  # area-weighted mean
    assert s["risk"] == "moderate" or s["risk"] == "high"
    with pytest.raises(Exception, match="2 yield values but 3 pressures"):
        subsidence([1.0, 2.0, 0.5], [1.0, 1.0, 2.0], [2.0, 1.0])


CAGE_ON_BONE = """
[model]
name = "cage_on_bone"
[mesh]
builder = "ct"
size_mm = 2.0
[mesh.params]
image = "cb_ct.nii.gz"
labels = "cb_lab.nii.gz"
bodies = {{ BONE = 1, CAGE = 2 }}
smooth_iterations = 0
[mesh.params.named_surfaces]
bottom = {{ body = "BONE", box_mm = [-9, -9, -0.3, 9, 9, 0.3], normal = [0, 0, -1] }}
top = {{ body = "CAGE", box_mm = [-9, -9, 13.7, 9, 9, 14.3], normal = [0, 0, 1] }}
[materials.bone]
nu = 0.3
ct = {{ hu_to_density = [0.0008, 0.0], density_to_E = {{ law = "power", a = 4730.0, b = 1.56 }}, E_min_MPa = 5.0{yield_law} }}
[materials.ti]
library = "ti6al4v"
[[sections]]
cell_set = "BONE"
material = "bone"
role = "bone"
[[sections]]
cell_set = "CAGE"
material = "ti"
role = "implant"
[[supports]]
set = "bottom"
[ref_points.load]
position_mm = [0.0, 0.0, 14.0]
coupling = "kinematic"
surface = "top"
[[interfaces]]
slave = "BONE|CAGE@CAGE"
master = "BONE|CAGE@BONE"
law = "frictionless"
"""


@pytest.mark.slow
def test_subsidence_uses_the_ct_strength_of_the_bone_under_the_implant(tmp_path):
    """A 12 x 12 x 4 mm cage pressed (200 N, frictionless) on a 16 x 16 x 10 mm bone block at
    400 HU with a strength law: the subsidence ratio is against the law's yield there."""
    import json

    from fea.cli import main

    shape = (40, 40, 32)
    A = _grid(shape, (0.5, 0.5, 0.5), (-9.75, -9.75, -1.75))
    X = _centres(A, shape)
    bone = (np.abs(X[..., :2]) < 8).all(-1) & (X[..., 2] > 0) & (X[..., 2] < 10)
    cage = (np.abs(X[..., :2]) < 6).all(-1) & (X[..., 2] > 10) & (X[..., 2] < 14)
    write_nifti(Volume(np.where(bone, 1, np.where(cage, 2, 0)).astype(np.int16), A, "memory"),
                tmp_path / "cb_lab.nii.gz", np.int16)
    write_nifti(Volume(np.full(shape, 400.0, np.float32), A, "memory"), tmp_path / "cb_ct.nii.gz")
    lc = tmp_path / "push.toml"
    lc.write_text(PUSH.replace("-100.0", "-200.0"))
    a, b = 30.0, 1.8  # a made-up strength law for the test only (MPa, g/cm^3)
    law = f', density_to_yield = {{ law = "power", a = {a}, b = {b} }}'
    (tmp_path / "law.toml").write_text(CAGE_ON_BONE.format(yield_law=law))
    assert main(["solve", str(tmp_path / "law.toml"), "--loadcase", str(lc), "--out",
                 str(tmp_path / "law"), "-q", "--no-cache"]) == 0
    out = json.loads((tmp_path / "law" / "summary.json").read_text())
    (s,) = out["metrics"]["subsidence"].values()
    y = a * (0.0008 * 400.0) ** b
    assert s["bone_yield_MPa"] == pytest.approx(y, rel=1e-6)
    assert s["peak_to_yield"] == pytest.approx(s["peak_MPa"] / y, rel=1e-6)
    assert s["bone_yield_source"].startswith("CT density")
    assert out["ct_materials"]["BONE"]["yield_MPa"]["median"] == pytest.approx(y, rel=1e-9)
