"""DICOM-SEG label maps (issue 21): a SEG written by highdicom from the phantom's label map, on
its DICOM series, gives the NIfTI label map's mesh and moduli; wrong SEGs are refused by name."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import ConfigError
from fea.imaging.phantom import FAKE_PATIENT, PHANTOM_SEGMENTS, phantom, write_dicom_series, \
    write_nifti, write_seg
from fea.imaging.volume import Volume

SEG_BODIES = 'bodies = { C3 = "C3", C2 = "C2", C1 = "C1", D23 = "D23", D12 = "D12" }'
NIFTI_BODIES = "bodies = { C3 = 1, C2 = 2, C1 = 3, D23 = 11, D12 = 12 }"


@pytest.fixture(scope="module")
def seg_dir(tmp_path_factory):
    from fea.imaging.phantom import main as write_phantom

    d = tmp_path_factory.mktemp("ct_seg")
    assert write_phantom([str(d), "--dicom"]) == 0
    return d


def _model(**edits) -> str:
    from test_ct_worked_example import _example_toml

    toml = _example_toml()
    for old, new in edits.values():
        assert old in toml
        toml = toml.replace(old, new)
    return toml


def _seg_model(image='"ct.nii.gz"', bodies=SEG_BODIES, labels='"labels_seg.dcm"') -> str:
    return _model(i=('"ct.nii.gz"', image), l=('"labels.nii.gz"', labels),
                  b=(NIFTI_BODIES, bodies))


def test_the_seg_covers_part_of_the_ct_and_names_its_segments(seg_dir):
    import highdicom as hd

    seg = hd.seg.segread(str(seg_dir / "labels_seg.dcm"))
    labels = [seg.get_segment_description(n).segment_label for n in seg.segment_numbers]
    assert labels == list(PHANTOM_SEGMENTS.values())
    # empty frames are left out: the SEG's planes span the bodies, not the CT's 51 slices
    assert seg.get_volume(combine_segments=True).spatial_shape[0] < 51
    # it carries the CT's (fake) patient, so the privacy checks below can see a leak
    assert str(seg.PatientID) == FAKE_PATIENT["PatientID"]


def test_seg_gives_the_nifti_label_maps_mesh_and_moduli(seg_dir):
    from fea.config import load_model
    from fea.imaging.mapping import cell_fields

    (seg_dir / "nifti.toml").write_text(_model())
    (seg_dir / "seg.toml").write_text(_seg_model())
    (seg_dir / "seg_dicom.toml").write_text(_seg_model(image='"ct_dicom"'))
    ref, seg, seg_dcm = (load_model(seg_dir / f"{n}.toml") for n in ("nifti", "seg",
                                                                       "seg_dicom"))
    # on the NIfTI CT: the SEG's labels land on the same voxels -> the very same mesh and moduli
    assert np.array_equal(ref.mesh.cells, seg.mesh.cells)
    assert np.array_equal(ref.mesh.nodes, seg.mesh.nodes)
    assert sorted(ref.mesh.cell_sets) == sorted(seg.mesh.cell_sets)
    E_ref = cell_fields(ref)["E_MPa"]
    assert np.array_equal(E_ref, cell_fields(seg)["E_MPa"])
    # on the DICOM series (the SEG's own CT, its positions decimal strings where the NIfTI has
    # float32): the same mesh too, and the moduli within the series' whole-HU storage (0.6 %)
    assert np.array_equal(ref.mesh.cells, seg_dcm.mesh.cells)
    assert np.array_equal(ref.mesh.nodes, seg_dcm.mesh.nodes)
    E_dcm = cell_fields(seg_dcm)["E_MPa"]
    assert 0 < np.abs(E_dcm / E_ref - 1).max() < 0.006
    assert seg_dcm.materials["bone"].image["format"] == "dicom"


def _shifted_ct(seg_dir, name, shift_mm=(0.0, 0.0, 0.0), spacing=None, crop=None):
    ct, _ = phantom()
    A = ct.affine.copy()
    A[:3, 3] += shift_mm
    data = ct.data
    if spacing is not None:
        A[:3, :3] = np.diag(spacing)
    if crop is not None:
        data = data[:, :, :crop]
    write_nifti(Volume(data, A, "memory"), seg_dir / name)
    return f'"{name}"'


@pytest.mark.parametrize("case, message", [
    ("C3 = \"C7\"", r"mesh.params.bodies.C3: no segment is labelled 'C7' in the DICOM-SEG "
                    r"'labels_seg.dcm' \(segments: 1 'C3', 2 'C2', 3 'C1', 4 'D23', 5 'D12'\)"),
    ("C3 = \"C33\"", r"mesh.params.bodies.C3: no segment is labelled 'C33' .*did you mean 'C3'"),
    ("C3 = 9", r"mesh.params.bodies.C3: 9 is no segment of the DICOM-SEG 'labels_seg.dcm'"),
    ("C3 = 2", r"mesh.params.bodies: segment 2 \('C2'\) is given to more than one body"),
    ("shift", r"mesh.params.labels: the DICOM-SEG 'labels_seg.dcm' is not on the voxel grid of "
              r"the image 'shifted.nii.gz': its voxel centres lie 0.50 voxel off"),
    ("spacing", r"'labels_seg.dcm' is not on the voxel grid of the image 'coarse.nii.gz': its "
                r"voxels are 0.6 x 0.6 x 0.8 mm .* 0.7 x 0.7 x 0.9 mm"),
    ("crop", r"'labels_seg.dcm' reaches beyond the image 'cropped.nii.gz' \(45 x 38 x 20 voxels"),
    ("other scan", r"the DICOM-SEG 'labels_seg.dcm' belongs to another scan than the image "
                   r"'other_series'"),
])
def test_a_wrong_seg_or_segment_is_refused_naming_the_file(seg_dir, case, message):
    from fea.config import load_model

    image = '"ct.nii.gz"'
    bodies = SEG_BODIES
    if case == "shift":  # the same CT moved by half a voxel along z
        image = _shifted_ct(seg_dir, "shifted.nii.gz", (0.0, 0.0, 0.4))
    elif case == "spacing":
        image = _shifted_ct(seg_dir, "coarse.nii.gz", spacing=(0.7, 0.7, 0.9))
    elif case == "crop":  # the CT's lowest 20 slices: C2 and C1 lie above them
        image = _shifted_ct(seg_dir, "cropped.nii.gz", crop=20)
    elif case == "other scan":  # the same pixels and grid, another series' frame of reference
        ct, _ = phantom()
        write_dicom_series(ct, seg_dir / "other_series")
        image = '"other_series"'
    else:
        bodies = SEG_BODIES.replace('C3 = "C3"', case)
    (seg_dir / "bad.toml").write_text(_seg_model(image=image, bodies=bodies))
    with pytest.raises(ConfigError, match=message) as e:
        load_model(seg_dir / "bad.toml")
    assert not any(v in str(e.value) for v in FAKE_PATIENT.values())


def test_overlapping_segments_and_names_on_a_numbered_map_are_refused(seg_dir):
    from fea.config import load_model

    ct, lab = phantom()
    # segment 2 spans the bodies labelled 1 and 2: it overlaps segment 1 on all of C3
    write_seg(lab, seg_dir / "ct_dicom", seg_dir / "overlap.dcm", {1: "C3", (1, 2): "C3C2"})
    (seg_dir / "ov.toml").write_text(_seg_model(
        labels='"overlap.dcm"', bodies='bodies = { A = "C3", B = "C3C2" }'))
    n_c3 = int((lab.data == 1).sum())
    with pytest.raises(ConfigError, match=rf"segments 1 \('C3'\) and 2 \('C3C2'\) of "
                                          rf"'overlap.dcm' overlap in {n_c3} voxel\(s\)"):
        load_model(seg_dir / "ov.toml")
    # a segment name needs a SEG: a NIfTI label map is numbered
    (seg_dir / "names.toml").write_text(_model(b=(NIFTI_BODIES, SEG_BODIES)))
    with pytest.raises(ConfigError, match=r"mesh.params.bodies.C3: a segment name \('C3'\) "
                                          r"needs a DICOM-SEG label map"):
        load_model(seg_dir / "names.toml")


def test_a_fractional_seg_is_taken_at_half_and_a_broken_one_is_named(seg_dir):
    from fea.imaging.seg import SegLabels, read_seg_labels

    ct, lab = phantom()
    write_seg(lab, seg_dir / "ct_dicom", seg_dir / "frac.dcm", PHANTOM_SEGMENTS, fractional=True)
    bodies = {n: n for n in PHANTOM_SEGMENTS.values()}
    got, spec = read_seg_labels(seg_dir / "frac.dcm", bodies, seg_dir / "ct.nii.gz")
    ref, _ = read_seg_labels(seg_dir / "labels_seg.dcm", bodies, seg_dir / "ct.nii.gz")
    # 0.6 inside, 0.4 in the shell: the shell (as many voxels again, nearly) is not bone
    assert np.array_equal(got.data, ref.data)
    assert np.array_equal(got.affine, ref.affine)
    # a SEG cut short: refused naming the file, highdicom's message (which may quote the
    # header) not passed on
    data = (seg_dir / "labels_seg.dcm").read_bytes()
    (seg_dir / "broken_seg.dcm").write_bytes(data[:len(data) // 2])
    with pytest.raises(ConfigError, match=r"mesh.params.labels: 'broken_seg.dcm' is not a "
                                          r"readable DICOM-SEG \(\w+\)$") as e:
        SegLabels(seg_dir / "broken_seg.dcm")
    assert not any(v in str(e.value) for v in FAKE_PATIENT.values())
