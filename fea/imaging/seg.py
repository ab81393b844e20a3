"""DICOM-SEG label maps (what TotalSegmentator `--output_type dicom` and 3D Slicer export): one
multi-frame file, one segment per structure, each frame a binary (or fractional) mask of one
segment on one plane of the CT. Read with highdicom, which sorts the frames by their plane
positions and stacks them into a volume spanning the planes the SEG holds (empty planes are
usually left out, so a SEG often covers only part of its CT).

    labels = "seg.dcm"                       # a SEG file, or a folder holding one
    bodies = { C1 = "vertebrae_C1", C2 = 2 } # a segment's label (name) or its number

The label volume this gives holds, per voxel, the number of the body's segment (0 elsewhere),
in the project frame (LPS -> project as for a CT series, fea.imaging.volume). It must lie on its
CT's voxel grid (same directions and spacing, voxel centres on the CT's, inside its extent, and
the same DICOM frame of reference when the CT is a series): a SEG is drawn on the CT it
segments, and one that is not is the wrong file.

Privacy: the SEG carries the patient module of its CT. Only the pixel masks, the plane geometry,
segment numbers and labels and the frame-of-reference UID (compared, never written) are used;
highdicom's own messages are not passed on (they might quote a header value).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .volume import LPS_TO_PROJECT, NIFTI_SUFFIXES, Grid, Volume

SEG_STORAGE = ("1.2.840.10008.5.1.4.1.1.66.4",  # Segmentation Storage (binary, fractional)
               "1.2.840.10008.5.1.4.1.1.66.7")  # Label Map Segmentation Storage


def seg_file(path: Path) -> Path | None:
    """The DICOM-SEG file `path` names (itself, or the one SEG in a folder); None if it is none."""
    import pydicom

    def is_seg(f: Path) -> bool:
        if f.name.lower().endswith(NIFTI_SUFFIXES):
            return False
        try:
            ds = pydicom.dcmread(str(f), specific_tags=["SOPClassUID"], stop_before_pixels=True)
        except Exception:
            return False
        return str(getattr(ds, "SOPClassUID", "")) in SEG_STORAGE

    if path.is_file():
        return path if is_seg(path) else None
    if path.is_dir():
        segs = [f for f in sorted(path.iterdir()) if f.is_file() and is_seg(f)]
        if len(segs) > 1:
            raise ConfigError(f"mesh.params.labels: the folder '{path.name}' holds "
                              f"{len(segs)} DICOM-SEG files; name the one to use")
        return segs[0] if segs else None
    return None


class SegLabels:
    """A DICOM-SEG opened for its segment table; `volume(numbers)` reads the masks."""

    def __init__(self, path: Path, where: str = "mesh.params.labels"):
        import highdicom as hd

        self.path, self.where = path, where
        try:
            self._seg = hd.seg.segread(str(path))
            self.segments = {int(n): str(self._seg.get_segment_description(n).segment_label)
                             for n in self._seg.segment_numbers}
        except Exception as exc:  # highdicom's message may quote header text: type only
            raise ConfigError(f"{where}: '{path.name}' is not a readable DICOM-SEG "
                              f"({type(exc).__name__})") from None
        self.frame_uid = str(getattr(self._seg, "FrameOfReferenceUID", ""))

    def _table(self) -> str:
        return ", ".join(f"{n} '{s}'" for n, s in self.segments.items()) or "none"

    def resolve(self, bodies) -> dict[str, int]:
        """body -> segment number, from a segment number or a segment label per body."""
        from ..config import suggest

        if not isinstance(bodies, dict) or not bodies:
            raise ConfigError("mesh.params.bodies: give a table of body name -> segment label "
                              "or number, e.g. { C1 = \"C1\", C2 = 2 }")
        out = {}
        for name, v in bodies.items():
            key = f"mesh.params.bodies.{name}"
            if isinstance(v, str):
                hits = [n for n, s in self.segments.items() if s == v] or \
                    [n for n, s in self.segments.items() if s.lower() == v.lower()]
                if len(hits) != 1:
                    hint = suggest(v, self.segments.values())
                    what = "several segments are" if hits else "no segment is"
                    raise ConfigError(f"{key}: {what} labelled '{v}' in the DICOM-SEG "
                                      f"'{self.path.name}'"
                                      + (f"; did you mean '{hint}'?" if hint and not hits
                                         else "") + f" (segments: {self._table()})")
                out[name] = hits[0]
            elif isinstance(v, int) and not isinstance(v, bool) and v in self.segments:
                out[name] = v
            else:
                raise ConfigError(f"{key}: {v!r} is no segment of the DICOM-SEG "
                                  f"'{self.path.name}'; give a segment label or number "
                                  f"(segments: {self._table()})")
        nums = list(out.values())
        dup = sorted({n for n in nums if nums.count(n) > 1})
        if dup:
            raise ConfigError(f"mesh.params.bodies: segment {dup[0]} "
                              f"('{self.segments[dup[0]]}') is given to more than one body")
        return out

    def volume(self, numbers: list[int]) -> Volume:
        """Label volume of the given segments (voxel value = segment number), on the SEG's own
        planes; a voxel in two of them is refused (a label map holds one bone per voxel)."""
        try:
            v = self._seg.get_volume(segment_numbers=list(numbers), combine_segments=False,
                                     rescale_fractional=True, allow_missing_positions=True)
        except Exception as exc:
            raise ConfigError(f"{self.where}: the frames of the DICOM-SEG '{self.path.name}' "
                              f"do not form one evenly spaced volume ({type(exc).__name__})") \
                from None
        masks = np.asarray(v.array) >= 0.5  # (slice, row, column, segment); fractional at 50 %
        if masks.ndim == 3:
            masks = masks[..., None]
        for n, m in zip(numbers, np.moveaxis(masks, -1, 0)):
            if not m.any():
                raise ConfigError(f"{self.where}: segment {n} ('{self.segments[n]}') of the "
                                  f"DICOM-SEG '{self.path.name}' is empty")
        both = masks.sum(-1) > 1
        if both.any():
            seg_pair = [numbers[k] for k in np.flatnonzero(masks[both][0])][:2]
            raise ConfigError(f"{self.where}: segments {seg_pair[0]} "
                              f"('{self.segments[seg_pair[0]]}') and {seg_pair[1]} "
                              f"('{self.segments[seg_pair[1]]}') of '{self.path.name}' overlap "
                              f"in {int(both.sum())} voxel(s); one bone per voxel")
        lab = np.zeros(masks.shape[:3], np.int16)
        for k, n in enumerate(numbers):  # per segment, not per voxel
            lab[masks[..., k]] = n
        # (slice, row, column) -> (column, row, slice) as the series reader orders a CT
        A = LPS_TO_PROJECT @ np.asarray(v.affine, float)[:, [2, 1, 0, 3]]
        return Volume(np.ascontiguousarray(lab.transpose(2, 1, 0)), A, "dicom-seg")

    def fingerprint(self, spec: dict[str, int]) -> str:
        """Mesh-cache key: the bodies' masks and geometry, and which segment each body is."""
        h = hashlib.sha256(self.volume(sorted(set(spec.values()))).fingerprint().encode())
        h.update(repr(sorted(spec.items())).encode())
        return h.hexdigest()


def check_on_grid(lab: Volume, grid: Grid, seg: SegLabels, image_name: str) -> None:
    """The SEG's voxels must be voxels of its CT: same axes and spacing (up to order and sign),
    centres on the CT's, inside it; the same frame of reference when both are DICOM."""
    where, name = seg.where, seg.path.name
    if grid.frame_uid and seg.frame_uid and grid.frame_uid != seg.frame_uid:
        raise ConfigError(f"{where}: the DICOM-SEG '{name}' belongs to another scan than the "
                          f"image '{image_name}' (their frames of reference differ)")
    T = np.linalg.inv(grid.affine) @ lab.affine  # SEG voxel index -> CT voxel index
    M, o = T[:3, :3], T[:3, 3]
    R = np.round(M)
    perm = (np.abs(R).sum(0) == 1).all() and (np.abs(R).sum(1) == 1).all()
    if not perm or np.abs(M - R).max() > 1e-3:
        sp = np.linalg.norm(lab.affine[:3, :3], axis=0)
        sp_ct = np.linalg.norm(grid.affine[:3, :3], axis=0)
        raise ConfigError(f"{where}: the DICOM-SEG '{name}' is not on the voxel grid of the "
                          f"image '{image_name}': its voxels are "
                          f"{' x '.join(f'{s:.4g}' for s in sp)} mm along other directions than "
                          f"the image's {' x '.join(f'{s:.4g}' for s in sp_ct)} mm; use the "
                          "segmentation made on this image")
    off = np.abs(o - np.round(o)).max()
    if off > 0.05:
        raise ConfigError(f"{where}: the DICOM-SEG '{name}' is not on the voxel grid of the "
                          f"image '{image_name}': its voxel centres lie {off:.2f} voxel off the "
                          "image's; use the segmentation made on this image")
    n = np.array(lab.data.shape) - 1
    corners = np.array([[i, j, k] for i in (0, n[0]) for j in (0, n[1]) for k in (0, n[2])],
                       float) @ M.T + o
    if (corners < -0.05).any() or (corners > np.array(grid.shape) - 1 + 0.05).any():
        raise ConfigError(f"{where}: the DICOM-SEG '{name}' reaches beyond the image "
                          f"'{image_name}' ({' x '.join(map(str, grid.shape))} voxels); use the "
                          "segmentation made on this image")


def read_seg_labels(path: Path, bodies, image: Path | None,
                    where: str = "mesh.params.labels") -> tuple[Volume, dict[str, int]]:
    """(label volume, body -> segment number) of a DICOM-SEG, checked against its CT."""
    from .volume import read_grid

    seg = SegLabels(path, where)
    spec = seg.resolve(bodies)
    lab = seg.volume(sorted(set(spec.values())))
    if image is None:
        return lab, spec
    grid = read_grid(image, "mesh.params.image")
    check_on_grid(lab, grid, seg, image.name)
    return on_grid(lab, grid), spec


def on_grid(lab: Volume, grid: Grid) -> Volume:
    """The SEG's labels placed in a label volume on the CT's whole grid (zeros where the SEG
    has no frame), so a SEG and a label map exported on the same CT give the same volume."""
    T = np.linalg.inv(grid.affine) @ lab.affine
    R = np.round(T[:3, :3]).astype(int)
    perm = np.argmax(np.abs(R), axis=1)  # SEG axis along CT axis d
    data = np.transpose(np.asarray(lab.data), perm)
    for d in range(3):
        if R[d, perm[d]] < 0:
            data = np.flip(data, d)
    n = np.array(lab.data.shape) - 1
    corners = np.array([[i, j, k] for i in (0, n[0]) for j in (0, n[1]) for k in (0, n[2])])
    lo = np.round(corners @ T[:3, :3].T + T[:3, 3]).astype(int).min(0)
    out = np.zeros(grid.shape, np.int16)
    out[tuple(slice(a, a + m) for a, m in zip(lo, data.shape))] = data
    return Volume(out, grid.affine.copy(), lab.kind)
