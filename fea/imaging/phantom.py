"""A synthetic CT the project writes itself (no downloads): vertebra-like bodies stacked along z,
each an elliptic cylinder with a dense cortical rim and a cancellous core whose HU rises from the
centre to the rim, separated by soft-tissue "discs"; with the label map (one label per body).
Written as NIfTI, and as a DICOM series that carries fake patient tags (to test privacy), with
the label map as a DICOM-SEG on that series (which copies the fake patient from it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .volume import LPS_TO_PROJECT, RAS_TO_PROJECT, Volume

FAKE_PATIENT = {"PatientName": "Quuxley^Janeth^Q", "PatientID": "PID-0451-XYZ",
                "PatientBirthDate": "19640229", "PatientAddress": "12 Fake Street Testville",
                "InstitutionName": "Synthetic General Hospital", "ReferringPhysicianName":
                "Doctor^Who", "AccessionNumber": "ACC778899", "StudyDate": "20240131"}

# the worked example's names of the phantom's labels (bodies bottom up, then the discs)
PHANTOM_SEGMENTS = {1: "C3", 2: "C2", 3: "C1", 11: "D23", 12: "D12"}


@dataclass
class PhantomSpec:
    n_bodies: int = 3
    semi_axes_mm: tuple[float, float] = (9.0, 7.0)  # x (lateral), y (anterior-posterior)
    height_mm: float = 8.0
    disc_mm: float = 4.0
    rim_mm: float = 1.5  # cortical rim thickness
    hu_rim: float = 1200.0
    hu_core: tuple[float, float] = (150.0, 350.0)  # centre -> rim (graded)
    hu_disc: float = 60.0
    hu_background: float = -100.0  # fat-like, below the bone threshold
    margin_mm: float = 4.0
    spacing_mm: tuple[float, float, float] = (0.6, 0.6, 0.8)
    labels: list[int] = field(default_factory=list)  # default 1..n
    disc_labels: bool = True  # discs labelled 11, 12, ... (from the bottom) for a tied column

    def body_z(self, b: int) -> tuple[float, float]:
        z0 = b * (self.height_mm + self.disc_mm)
        return z0, z0 + self.height_mm

    def body_volume_mm3(self) -> float:
        a, c = self.semi_axes_mm
        return float(np.pi * a * c * self.height_mm)


def phantom(spec: PhantomSpec | None = None) -> tuple[Volume, Volume]:
    """(CT in HU, labels) on an axis-aligned grid in the project frame, origin at the centre of
    the lowest body's inferior endplate."""
    s = spec or PhantomSpec()
    a, c = s.semi_axes_mm
    top = s.body_z(s.n_bodies - 1)[1]
    sp = np.asarray(s.spacing_mm, float)
    # voxel centres at (k + 1/2) * spacing: flat faces at multiples of the spacing fall between
    # centres, so the voxelised body has the analytic extent
    lo = -np.ceil(np.array([a, c, 0.0]) / sp + s.margin_mm / sp) * sp + sp / 2
    hi = np.array([a + s.margin_mm, c + s.margin_mm, top + s.margin_mm])
    n = np.ceil((hi - lo) / sp).astype(int) + 1
    x, y, z = (lo[d] + sp[d] * np.arange(n[d]) for d in range(3))
    X, Y, Z = np.meshgrid(x, y, z, indexing="ij")
    r = np.sqrt((X / a) ** 2 + (Y / c) ** 2)  # 1 on the outer wall
    hu = np.full(X.shape, s.hu_background, np.float32)
    lab = np.zeros(X.shape, np.int16)
    labels = s.labels or list(range(1, s.n_bodies + 1))
    in_col = r <= 1.0
    for b in range(s.n_bodies):
        z0, z1 = s.body_z(b)
        inside = in_col & (Z >= z0) & (Z <= z1)
        # distance to the body's wall, approximately (elliptic radius scaled by the minor axis)
        d_wall = np.minimum.reduce([(1.0 - r) * min(a, c), Z - z0, z1 - Z])
        core_t = np.clip(r, 0.0, 1.0) ** 2
        core = s.hu_core[0] + (s.hu_core[1] - s.hu_core[0]) * core_t
        hu[inside] = np.where(d_wall[inside] < s.rim_mm, s.hu_rim, core[inside])
        lab[inside] = labels[b]
        if b < s.n_bodies - 1:
            disc = in_col & (Z > z1) & (Z < s.body_z(b + 1)[0])
            hu[disc] = s.hu_disc
            if s.disc_labels:
                lab[disc] = 11 + b
    A = np.eye(4)
    A[:3, :3] = np.diag(sp)
    A[:3, 3] = lo
    return Volume(hu, A, "memory"), Volume(lab, A.copy(), "memory")


def write_nifti(vol: Volume, path: str | Path, dtype=np.float32) -> Path:
    import nibabel as nib

    path = Path(path)
    ras = np.linalg.inv(RAS_TO_PROJECT) @ vol.affine
    img = nib.Nifti1Image(np.asarray(vol.data, dtype), ras)
    img.header.set_xyzt_units("mm")
    img.set_qform(ras, code=1)
    img.set_sform(ras, code=1)
    nib.save(img, str(path))
    return path


def write_dicom_series(vol: Volume, folder: str | Path, patient: dict | None = None,
                       shuffle: bool = True) -> Path:
    """One CT slice per file (k index), int16 pixels with a rescale; `patient` tags (default
    FAKE_PATIENT) are written into every file so tests can check they never leak.

    The slice geometry must be expressible in DICOM: the third voxel axis along
    row x column direction (a right-handed voxel frame in LPS)."""
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lps = np.linalg.inv(LPS_TO_PROJECT) @ vol.affine
    data = vol.data
    sp = np.linalg.norm(lps[:3, :3], axis=0)
    if np.linalg.det(lps[:3, :3]) < 0:  # left-handed in LPS: store the rows in reverse
        data = data[:, ::-1, :]
        lps = lps.copy()
        lps[:3, 3] += (data.shape[1] - 1) * lps[:3, 1]
        lps[:3, 1] *= -1
    row_dir, col_dir, kdir = (lps[:3, d] / sp[d] for d in range(3))
    if np.linalg.norm(np.cross(row_dir, col_dir) - kdir) > 1e-6:
        raise ValueError("the slice axis is not normal to the rows and columns (sheared volume)")
    slope, inter = 1.0, -1024.0
    series, study, frame = generate_uid(), generate_uid(), generate_uid()
    pat = FAKE_PATIENT if patient is None else patient
    ks = np.arange(data.shape[2])
    if shuffle:  # file order must not matter: the reader sorts by position
        ks = np.random.default_rng(0).permutation(ks)
    for n, k in enumerate(ks):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(str(folder / f"IM{n:05d}.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
        for tag, value in pat.items():
            setattr(ds, tag, value)
        ds.Modality = "CT"
        ds.Manufacturer = "SynthScan"
        ds.ManufacturerModelName = "Phantom-9000"
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.SeriesInstanceUID, ds.StudyInstanceUID = series, study
        ds.FrameOfReferenceUID = frame
        ds.PatientSex = "O"  # type 2 tags a SEG made on this series needs
        ds.StudyID, ds.StudyTime, ds.SeriesNumber = "1", "120000", 1
        ds.InstanceNumber = int(k) + 1
        ds.ImagePositionPatient = [float(v) for v in lps[:3, 3] + k * lps[:3, 2]]
        ds.ImageOrientationPatient = [float(v) for v in (*row_dir, *col_dir)]
        ds.PixelSpacing = [float(sp[1]), float(sp[0])]  # row spacing (j), column spacing (i)
        ds.SliceThickness = float(sp[2])
        ds.Rows, ds.Columns = int(data.shape[1]), int(data.shape[0])
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.PixelRepresentation = 1
        ds.RescaleSlope, ds.RescaleIntercept = slope, inter
        px = np.round((np.asarray(data[:, :, k], float) - inter) / slope).astype(np.int16)
        ds.PixelData = np.ascontiguousarray(px.T).tobytes()  # rows = j, columns = i
        pydicom.dcmwrite(str(folder / f"IM{n:05d}.dcm"), ds, enforce_file_format=True)
    return folder


def write_seg(labels: Volume, series: str | Path, path: str | Path,
              names: dict[int | tuple, str], fractional: bool = False) -> Path:
    """The label map as a DICOM-SEG (BINARY, empty frames left out) drawn on the CT series in
    the folder `series`: segment k (1, 2, ...) is label value `list(names)[k-1]` (or any of a
    tuple of values: overlapping segments), labelled with its name. The labels are sampled
    (nearest voxel) at the series' voxel centres. `fractional`: a FRACTIONAL SEG, 0.6 inside
    a segment and 0.4 in the one-voxel shell around it (a reader must take it at 50 %)."""
    import highdicom as hd
    import pydicom
    from pydicom.sr.codedict import codes

    from .volume import read_image

    series = Path(series)
    ct = read_image(series)  # the grid: (column, row, slice), slices sorted along the normal
    src = [pydicom.dcmread(str(f)) for f in sorted(series.iterdir())]
    iop = np.array(src[0].ImageOrientationPatient, float)
    normal = np.cross(iop[:3], iop[3:])
    src.sort(key=lambda d: float(np.array(d.ImagePositionPatient, float) @ normal))
    ijk = np.stack(np.meshgrid(*[np.arange(n) for n in ct.data.shape], indexing="ij"), -1)
    lab = labels.sample(ct.points_of(ijk.reshape(-1, 3).astype(float)), order=0, outside=0.0)
    lab = lab.reshape(ct.data.shape).transpose(2, 1, 0)  # frames (slice, row, column)
    masks = np.stack([np.isin(lab, v) for v in names], -1).astype(np.uint8)
    kind = hd.seg.SegmentationTypeValues.BINARY
    if fractional:
        from scipy.ndimage import binary_dilation

        shell = np.stack([binary_dilation(m) & ~m.astype(bool)
                          for m in np.moveaxis(masks, -1, 0)], -1)
        masks = np.where(masks > 0, 0.6, np.where(shell, 0.4, 0.0)).astype(np.float32)
        kind = hd.seg.SegmentationTypeValues.FRACTIONAL
    segments = [hd.seg.SegmentDescription(
        segment_number=k, segment_label=name, segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Bone,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)
        for k, name in enumerate(names.values(), start=1)]
    seg = hd.seg.Segmentation(
        source_images=src, pixel_array=masks, segmentation_type=kind,
        segment_descriptions=segments, series_instance_uid=hd.UID(), series_number=2,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="spinefea",
        manufacturer_model_name="phantom", software_versions="1", device_serial_number="0")
    seg.save_as(str(path))
    return Path(path)


def main(argv=None) -> int:
    """`python -m fea.imaging.phantom DIR [--dicom]`: the worked example's CT (docs)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m fea.imaging.phantom",
                                 description="Write the synthetic CT phantom (three vertebra-like "
                                 "bodies, two discs): DIR/ct.nii.gz, DIR/labels.nii.gz and, with "
                                 "--dicom, DIR/ct_dicom/ (a series with fake patient tags) and "
                                 "DIR/labels_seg.dcm (the label map as a DICOM-SEG on it)")
    ap.add_argument("out")
    ap.add_argument("--dicom", action="store_true")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    ct, lab = phantom()
    write_nifti(ct, out / "ct.nii.gz")
    write_nifti(lab, out / "labels.nii.gz", np.int16)
    if a.dicom:
        write_dicom_series(ct, out / "ct_dicom")
        write_seg(lab, out / "ct_dicom", out / "labels_seg.dcm", PHANTOM_SEGMENTS)
    print(f"wrote {out}/ct.nii.gz, {out}/labels.nii.gz"
          + (", ct_dicom/, labels_seg.dcm" if a.dicom else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
