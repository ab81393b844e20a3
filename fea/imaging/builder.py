"""The `ct` mesh builder: bones from a CT's label map, meshed like the `surfaces` builder.

    [mesh]
    builder = "ct"
    [mesh.params]
    image = "ct.nii.gz"              # a NIfTI file or a DICOM series folder (the materials read it)
    labels = "labels.nii.gz"         # label map: one integer label per bone (NIfTI or DICOM)
    bodies = { C1 = 1, C2 = 2, C3 = 3 }
    # or a DICOM-SEG (fea.imaging.seg): labels = "seg.dcm", bodies by segment label or number,
    # bodies = { C1 = "vertebrae_C1", C2 = 2 }
    implants = { AVB = "avb.stl" }   # optional: implant STL/STEP, already in the CT frame
    # or, without a label map: threshold_HU = 200 and bodies = { C1 = { box_mm = [...] }, ... }
    # (per body the largest connected piece >= threshold_HU in its box)
    named_surfaces.C3_inferior = { body = "C3", box_mm = [...], normal = [0, 0, -1] }

Per body: the label's surface (fea.imaging.surface) is written as an STL in a temporary folder
and meshed by gmsh exactly as a `surfaces` body; face sets as there (`<body>_surface`,
`A|B@A` where bodies touch, named surfaces). Coordinates: the project frame (volume.py).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..geometry.registry import register
from ..mesh import Mesh
from .seg import SegLabels, read_seg_labels, seg_file
from .surface import label_surface, threshold_labels
from .volume import canonical, read_image


def _path(value, model_dir: str, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"mesh.params.{key}: give a file name (NIfTI) or a DICOM folder")
    p = (Path(model_dir) / value).resolve()
    if not p.exists():
        raise ConfigError(f"mesh.params.{key}: '{value}' not found (looked at {p})")
    return p


def _boxes(bodies) -> dict[str, list]:
    """bodies = { C1 = { box_mm = [...] } } (with threshold_HU, no label map)."""
    if not isinstance(bodies, dict) or not bodies:
        raise ConfigError("mesh.params.bodies: give a table of body name -> { box_mm = [xmin, "
                          "ymin, zmin, xmax, ymax, zmax] } (with threshold_HU)")
    out = {}
    for name, v in bodies.items():
        if not isinstance(v, dict) or set(v) != {"box_mm"}:
            raise ConfigError(f"mesh.params.bodies.{name}: with threshold_HU (no label map) "
                              "give { box_mm = [xmin, ymin, zmin, xmax, ymax, zmax] }")
        out[name] = v["box_mm"]
    return out


def _bodies(bodies) -> dict[str, int]:
    if not isinstance(bodies, dict) or not bodies:
        raise ConfigError("mesh.params.bodies: give a table of body name -> label number, e.g. "
                          "{ C1 = 1, C2 = 2 }")
    for name, v in bodies.items():
        if isinstance(v, str):
            raise ConfigError(f"mesh.params.bodies.{name}: a segment name ({v!r}) needs a "
                              "DICOM-SEG label map; this label map is numbered: give the label")
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ConfigError(f"mesh.params.bodies.{name}: a label is a positive whole number "
                              f"(the value in the label map), got {v!r}")
    vals = list(bodies.values())
    dup = sorted({v for v in vals if vals.count(v) > 1})
    if dup:
        raise ConfigError(f"mesh.params.bodies: label {dup[0]} is given to more than one body")
    return dict(bodies)


@register("ct")
def ct(size_mm: float, order: int, image: str, bodies: dict, labels: str | None = None,
       threshold_HU: float | None = None, model_dir: str = ".",
       named_surfaces: dict | None = None, contact_tolerance_mm: float = 0.05,
       smooth_iterations: int = 20, decimate: float = 0.0, remesh: bool = True,
       feature_angle_deg: float = 40.0, implants: dict | None = None,
       surface_step: int = 0) -> Mesh:
    # imported here: fea.geometry.surfaces imports the registry, which imports this module
    from ..geometry.surfaces import _mesh_stl, _resolve, combine, finish, mesh_files

    lab, spec = _label_map(image, labels, threshold_HU, bodies, model_dir)
    lab = canonical(lab)  # one grid, one array: NIfTI, DICOM and SEG give the same surfaces
    # ...and one affine: the same grid stored as float32 (NIfTI) or as decimal text (DICOM)
    # differs by ~1e-8 mm, and gmsh's reparametrisation of the surface changes with that (a
    # 256^3 scan meshed to 61.6k or 53.0k elements); snapped to 10 nm, both give one mesh
    lab.affine = np.round(lab.affine, 5)
    if isinstance(smooth_iterations, bool) or not isinstance(smooth_iterations, int) \
            or not 0 <= smooth_iterations <= 500:
        raise ConfigError("mesh.params.smooth_iterations: a whole number 0..500, got "
                          f"{smooth_iterations!r}")
    if not 0.0 <= decimate < 1.0:
        raise ConfigError(f"mesh.params.decimate: the fraction of triangles to remove, 0 <= d < 1, "
                          f"got {decimate!r}")
    if isinstance(surface_step, bool) or not isinstance(surface_step, int) or surface_step < 0:
        raise ConfigError("mesh.params.surface_step: a whole number of voxels >= 1, or 0 for "
                          f"automatic, got {surface_step!r}")
    # marching cubes on every step-th voxel: about 4 steps per element edge is as exact (a
    # lumbar-sized body at 0.2 mm voxels: volume within 0.02 % either way) and gmsh remeshes
    # a quarter of the triangles 3.5x faster (bench/bench_ct.py)
    step = surface_step or max(1, int(round(size_mm / (4.0 * float(np.mean(lab.spacing_mm))))))
    meshes = []
    with tempfile.TemporaryDirectory(prefix="spinefea_ct_") as tmp:
        for name, value in spec.items():
            surf = label_surface(lab, value, f"mesh.params.bodies.{name}", smooth_iterations,
                                 decimate, step)
            stl = Path(tmp) / f"{name}.stl"
            surf.save(str(stl), binary=True)
            meshes.append(_mesh_stl(name, stl, size_mm, order, remesh, feature_angle_deg))
    if implants:  # implant CAD (STL/STEP) already in the CT's project frame
        files = _resolve(implants, model_dir, "implants")
        clash = sorted(set(files) & set(spec))
        if clash:
            raise ConfigError(f"mesh.params.implants.{clash[0]}: a bone has that name too")
        meshes += mesh_files(files, size_mm, order, remesh, feature_angle_deg)
    # the source names bodies only: file names may carry a patient's name
    return finish(combine(meshes, "ct: " + ", ".join([*spec, *(implants or {})])),
                  named_surfaces, contact_tolerance_mm, size_mm)


def _label_map(image, labels, threshold_HU, bodies, model_dir):
    """(label volume, body -> label): the label map given, or one made by threshold and boxes."""
    if (labels is None) == (threshold_HU is None):
        raise ConfigError("mesh.params: give labels = \"<label map>\" (bodies = { C1 = 1, ... }) "
                          "or threshold_HU = <HU> (bodies = { C1 = { box_mm = [...] }, ... }), "
                          "one of the two")
    img_path = _path(image, model_dir, "image")  # the materials read it; missing is an error now
    if labels is not None:
        lab_path = _path(labels, model_dir, "labels")
        seg = seg_file(lab_path)
        if seg is not None:  # DICOM-SEG: bodies by segment label or number, on the CT's grid
            return read_seg_labels(seg, bodies, img_path)
        return read_image(lab_path, "mesh.params.labels"), _bodies(bodies)
    if isinstance(threshold_HU, bool) or not isinstance(threshold_HU, (int, float)) \
            or not np.isfinite(threshold_HU):
        raise ConfigError(f"mesh.params.threshold_HU: a number (HU), got {threshold_HU!r}")
    boxes = _boxes(bodies)
    lab = threshold_labels(read_image(img_path, "mesh.params.image"), float(threshold_HU), boxes)
    return lab, {name: k for k, name in enumerate(boxes, start=1)}


def _cache_inputs(params: dict) -> dict:
    """The label map's pixels and geometry (not its header) key the mesh cache: the given map,
    or the image that the threshold segments."""
    from ..geometry.surfaces import _cache_inputs as file_hashes

    d = params.get("model_dir", ".")
    key = "labels" if params.get("labels") is not None else "image"
    p = _path(params.get(key), d, key)
    seg = seg_file(p) if key == "labels" else None
    if seg is not None:  # which segment each body is belongs to the key too
        s = SegLabels(seg)
        out = {key: s.fingerprint(s.resolve(params.get("bodies")))}
    else:
        out = {key: read_image(p, f"mesh.params.{key}").fingerprint()}
    if params.get("implants"):
        out["implants"] = file_hashes(params, "implants")
    return out


ct.cache_inputs = _cache_inputs
