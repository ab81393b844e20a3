"""A CT volume in the project's frame: voxel values (HU or labels) and the voxel -> mm map.

Frames. NIfTI stores voxel -> RAS+ (x to the patient's right, y anterior, z superior); DICOM
stores voxel -> LPS (x to the patient's left, y posterior, z superior). The project frame is
+x left, +y anterior, +z cranial (README "Units and frame"), i.e. RAS with x negated or LPS with
y negated. Both readers return `affine`, a 4x4 map from voxel indices (i, j, k) of `data` to the
project frame in mm; the change of axes is a relabelling, so the patient's left side stays +x.

Privacy: the DICOM reader reads only pixel data and geometry/rescale tags; nothing else of the
header is kept, logged or put in a message (issue 21). `describe()` is the de-identified summary
the outputs carry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError

RAS_TO_PROJECT = np.diag([-1.0, 1.0, 1.0, 1.0])
LPS_TO_PROJECT = np.diag([1.0, -1.0, 1.0, 1.0])
NIFTI_SUFFIXES = (".nii", ".nii.gz")


@dataclass
class Volume:
    data: np.ndarray  # (ni, nj, nk) float32 HU, or integer labels
    affine: np.ndarray  # (4, 4) voxel index -> project frame, mm
    kind: str  # "nifti" | "dicom" | "memory"
    scanner: str = ""  # DICOM manufacturer and model, read only when the user allows it

    @property
    def spacing_mm(self) -> np.ndarray:
        return np.linalg.norm(self.affine[:3, :3], axis=0)

    def voxel_of(self, points: np.ndarray) -> np.ndarray:
        """Continuous voxel indices (k, 3) of project-frame points (k, 3) in mm."""
        inv = np.linalg.inv(self.affine)
        return points @ inv[:3, :3].T + inv[:3, 3]

    def points_of(self, ijk: np.ndarray) -> np.ndarray:
        return ijk @ self.affine[:3, :3].T + self.affine[:3, 3]

    def sample(self, points: np.ndarray, order: int = 1, outside: float = np.nan) -> np.ndarray:
        """Values at points (k, 3) mm: trilinear (order 1) or nearest (order 0). A point within
        half a voxel beyond the outer voxel centres (a bone cut by the field of view) takes the
        edge value; farther out, `outside`."""
        from scipy.ndimage import map_coordinates

        ijk = self.voxel_of(np.asarray(points, float).reshape(-1, 3))
        n = np.array(self.data.shape, float)
        out = np.any((ijk < -0.5) | (ijk > n - 0.5), axis=1)
        v = map_coordinates(self.data, np.clip(ijk, 0.0, n - 1).T, order=order, mode="nearest",
                            prefilter=False, output=np.float64)  # HU -> E in double
        v[out] = outside
        return v

    def fingerprint(self) -> str:
        """Hash of pixels and geometry only (mesh-cache key): no header text enters it."""
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.data).tobytes())
        h.update(str(self.data.dtype).encode())
        h.update(np.round(self.affine, 9).tobytes())
        return h.hexdigest()

    def describe(self) -> dict:
        """De-identified description for reports: sizes and spacing, never header text."""
        d = np.asarray(self.data)
        extra = {"scanner": self.scanner} if self.scanner else {}
        return {**extra, "format": self.kind, "shape_voxels": [int(s) for s in d.shape],
                "spacing_mm": [round(float(s), 4) for s in self.spacing_mm],
                "extent_mm": [round(float(s * n), 2) for s, n in zip(self.spacing_mm, d.shape)],
                "value_range": [float(np.nanmin(d)), float(np.nanmax(d))]}


def canonical(vol: Volume) -> Volume:
    """The same voxels with the axes permuted and flipped so that voxel axis d runs closest to
    +x, +y, +z of the project frame: one grid gives one array whatever order the file stored it
    in (NIfTI RAS, DICOM LPS, a SEG's slice order), so label maps from different formats give
    the same surfaces. An oblique grid keeps its angles; only the storage order changes."""
    A = vol.affine[:3, :3]
    perm = np.argmax(np.abs(A), axis=1)  # voxel axis closest to project axis w
    if len(set(perm.tolist())) < 3:
        return vol  # too oblique to say: left as stored
    data = np.transpose(np.asarray(vol.data), perm)
    B = np.eye(4)
    B[:3, :3] = A[:, perm]
    B[:3, 3] = vol.affine[:3, 3]
    for w in range(3):
        if B[w, w] < 0:
            data = np.flip(data, w)
            B[:3, 3] += (data.shape[w] - 1) * B[:3, w]
            B[:3, w] *= -1
    return Volume(np.ascontiguousarray(data), B, vol.kind, vol.scanner)


def read_image(path: str | Path, where: str = "mesh.params.image",
               show_scanner: bool = False) -> Volume:
    """A NIfTI file (.nii, .nii.gz) or a folder holding one DICOM series. `show_scanner`: also
    read the DICOM manufacturer and model (for the report; the user's choice)."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{where}: '{p}' not found")
    if p.is_dir():
        return read_dicom_series(p, where, show_scanner)
    if p.name.lower().endswith(NIFTI_SUFFIXES):
        return read_nifti(p, where)
    raise ConfigError(f"{where}: '{p.name}' is neither a NIfTI file (.nii, .nii.gz) nor a folder "
                      "holding a DICOM series")


def read_nifti(path: Path, where: str) -> Volume:
    import nibabel as nib

    try:
        img = nib.load(str(path))
        data = np.asarray(img.dataobj, dtype=np.float32)  # scl_slope/inter applied
    except Exception as exc:  # nibabel raises several types for a bad file
        raise ConfigError(f"{where}: '{path.name}' is not a readable NIfTI file "
                          f"({type(exc).__name__})") from None
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ConfigError(f"{where}: '{path.name}' holds a {data.ndim}-D image; give one 3-D "
                          "volume")
    return Volume(data, RAS_TO_PROJECT @ np.asarray(img.affine, float), "nifti")


# DICOM tags read, and only these (privacy: no other header element is touched)
_GEOMETRY_TAGS = ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing",
                  "RescaleSlope", "RescaleIntercept", "Rows", "Columns")
_PIXEL_TAGS = ("PixelData", "BitsAllocated", "BitsStored", "PixelRepresentation",
               "SamplesPerPixel", "PhotometricInterpretation", "HighBit")
_SCANNER_TAGS = ("Manufacturer", "ManufacturerModelName")  # only with show_scanner = true


def _series_headers(folder: Path, where: str, extra: tuple = (), pixels: bool = True):
    """The image slices of the one DICOM series in `folder`, sorted along the slice normal,
    with only the geometry tags (and `extra`) read; and the slice step (LPS, mm)."""
    import pydicom

    tags = list(_GEOMETRY_TAGS) + ["SeriesInstanceUID", *extra] + (list(_PIXEL_TAGS) if pixels
                                                                   else [])
    slices = []
    for f in sorted(q for q in folder.iterdir() if q.is_file()):
        try:
            ds = pydicom.dcmread(str(f), specific_tags=tags, stop_before_pixels=not pixels)
        except Exception:  # not a DICOM file (a README, a thumbnail): skipped
            continue
        if (pixels and "PixelData" not in ds) or "ImagePositionPatient" not in ds \
                or "ImageOrientationPatient" not in ds:
            continue  # no image slice (a SEG, a report): not part of the CT
        slices.append(ds)
    if not slices:
        raise ConfigError(f"{where}: the folder '{folder.name}' holds no DICOM image slices")
    if len({str(getattr(s, "SeriesInstanceUID", "")) for s in slices}) > 1:
        raise ConfigError(f"{where}: the folder '{folder.name}' holds several DICOM series; put "
                          "one series per folder")
    iop = np.array(slices[0].ImageOrientationPatient, float)
    normal = np.cross(iop[:3], iop[3:])
    ipp = np.array([np.array(s.ImagePositionPatient, float) for s in slices])
    order = np.argsort(ipp @ normal)
    slices, ipp = [slices[i] for i in order], ipp[order]
    if len(slices) > 1:
        steps = np.diff(ipp, axis=0)
        step = (ipp[-1] - ipp[0]) / (len(slices) - 1)
        if np.abs(steps - step).max() > 0.01 * np.linalg.norm(step) + 1e-6:
            raise ConfigError(f"{where}: the DICOM slices in '{folder.name}' are not evenly "
                              "spaced (missing slices?); export the series again")
    else:
        step = normal * 1.0
    if len({(int(s.Rows), int(s.Columns)) for s in slices}) > 1:
        raise ConfigError(f"{where}: the DICOM slices in '{folder.name}' differ in size")
    return slices, step


def _series_affine(first, step) -> np.ndarray:
    """Voxel (i, j, k) = (column, row, slice) -> project frame: its LPS position is
    IPP_0 + i * PixelSpacing[1] * row_direction + j * PixelSpacing[0] * column_direction
    + k * step."""
    iop = np.array(first.ImageOrientationPatient, float)
    dr, dc = (float(x) for x in first.PixelSpacing)
    A = np.eye(4)
    A[:3, 0] = iop[:3] * dc
    A[:3, 1] = iop[3:] * dr
    A[:3, 2] = step
    A[:3, 3] = np.array(first.ImagePositionPatient, float)
    return LPS_TO_PROJECT @ A


def read_dicom_series(folder: Path, where: str, show_scanner: bool = False) -> Volume:
    """One DICOM series: slices sorted along the slice normal, HU by the rescale tags."""
    slices, step = _series_headers(folder, where, _SCANNER_TAGS if show_scanner else ())
    data = np.empty((int(slices[0].Columns), int(slices[0].Rows), len(slices)), np.float32)
    for k, s in enumerate(slices):  # one per slice, not per voxel
        slope = float(getattr(s, "RescaleSlope", 1.0))
        inter = float(getattr(s, "RescaleIntercept", 0.0))
        data[:, :, k] = (s.pixel_array.astype(np.float32) * slope + inter).T
    scanner = " ".join(str(getattr(slices[0], t, "")) for t in _SCANNER_TAGS).strip() \
        if show_scanner else ""
    return Volume(data, _series_affine(slices[0], step), "dicom", scanner)


@dataclass
class Grid:
    """An image's voxel grid without its pixels (checking a segmentation against its CT)."""
    shape: tuple[int, int, int]
    affine: np.ndarray  # voxel index -> project frame, mm
    frame_uid: str = ""  # DICOM FrameOfReferenceUID, compared only, never written out


def read_grid(path: str | Path, where: str = "mesh.params.image") -> Grid:
    """The voxel grid of a NIfTI file or a DICOM series folder, pixels not read."""
    p = Path(path)
    if p.is_dir():
        slices, step = _series_headers(p, where, ("FrameOfReferenceUID",), pixels=False)
        return Grid((int(slices[0].Columns), int(slices[0].Rows), len(slices)),
                    _series_affine(slices[0], step),
                    str(getattr(slices[0], "FrameOfReferenceUID", "")))
    if p.name.lower().endswith(NIFTI_SUFFIXES):
        import nibabel as nib

        try:
            img = nib.load(str(p))
        except Exception as exc:
            raise ConfigError(f"{where}: '{p.name}' is not a readable NIfTI file "
                              f"({type(exc).__name__})") from None
        return Grid(tuple(int(n) for n in img.shape[:3]),
                    RAS_TO_PROJECT @ np.asarray(img.affine, float))
    v = read_image(p, where)  # raises, naming the file, for anything else
    return Grid(tuple(v.data.shape), v.affine)
