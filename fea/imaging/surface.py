"""Closed surfaces of labelled regions: marching cubes on the (lightly blurred) label mask,
Taubin smoothing (shrink-free, so the enclosed volume stays), decimation, and a closedness check.

The surface is extracted in voxel indices and mapped to the project frame by the image affine,
so anisotropic spacing and oblique directions come out where the scanner put them.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, MeshError
from .volume import Volume


def label_surface(labels: Volume, value: int, where: str, smooth_iterations: int = 20,
                  decimate: float = 0.0, step: int = 1):
    """pyvista.PolyData: the outer surface of voxels == value (largest connected piece), in mm."""
    import pyvista as pv
    from scipy import ndimage
    from skimage.measure import marching_cubes

    mask = np.asarray(labels.data) == value
    if not mask.any():
        found = sorted(int(v) for v in np.unique(labels.data) if v != 0)
        raise ConfigError(f"{where}: label {value} does not occur in the label map "
                          f"(labels present: {found or 'none'})")
    comp, n = ndimage.label(mask)
    if n > 1:  # islands (segmentation specks) would become separate shells: keep the body
        sizes = np.bincount(comp.ravel())[1:]
        mask = comp == (1 + int(np.argmax(sizes)))
    mask = ndimage.binary_fill_holes(mask)  # inner cavities would be extra shells
    lo = np.maximum(np.argwhere(mask).min(0) - 3, 0)
    hi = np.argwhere(mask).max(0) + 4
    sub = np.pad(mask[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]].astype(np.float32), 2)
    # a half-voxel blur makes the 0.5 iso-surface follow the voxel boundary's mean position
    # (volume-neutral) without the staircase marching cubes gives on a raw mask
    field = ndimage.gaussian_filter(sub, 0.6)
    # step > 1 samples every step-th voxel: fewer, well-shaped triangles (decimating
    # afterwards leaves slivers gmsh cannot reparametrise)
    verts, faces, _, _ = marching_cubes(field, 0.5, step_size=step)
    verts = verts + lo - 2
    pts = verts @ labels.affine[:3, :3].T + labels.affine[:3, 3]
    surf = pv.PolyData(pts, np.hstack([np.full((len(faces), 1), 3), faces]).ravel())
    surf = surf.clean()
    if smooth_iterations > 0:
        surf = surf.smooth_taubin(n_iter=smooth_iterations, pass_band=0.1)
    if decimate > 0:
        # gmsh remeshes the surface at the element size anyway; decimating first only pays for
        # very fine scans (and a decimated surface is harder for gmsh to reparametrise)
        surf = surf.decimate_pro(float(decimate), preserve_topology=True)
    surf = surf.triangulate().clean()
    if surf.n_open_edges:
        surf = surf.fill_holes(1e6).clean()
    if surf.n_open_edges:
        raise MeshError(f"{where}: the surface of label {value} has {surf.n_open_edges} open "
                        "edge(s) after repair")
    if _signed_volume(surf) < 0:  # a mirrored affine (det < 0) turns the triangles inside out
        surf = surf.flip_faces() if hasattr(surf, "flip_faces") else surf.flip_normals()
    return surf


def _signed_volume(surf) -> float:
    f = surf.faces.reshape(-1, 4)[:, 1:]
    p = surf.points[f]
    return float(np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2])).sum() / 6.0)


def threshold_labels(img: Volume, threshold_HU: float, boxes: dict[str, list]) -> Volume:
    """A label map without a segmentation: per body (label 1, 2, ... in `boxes` order) the
    largest connected piece of voxels >= threshold_HU whose centres lie in its box (mm,
    [xmin, ymin, zmin, xmax, ymax, zmax] in the project frame). A voxel in two boxes goes to
    the first body."""
    from scipy import ndimage

    lab = np.zeros(img.data.shape, np.int16)
    shape = np.array(img.data.shape)
    for k, (name, box) in enumerate(boxes.items(), start=1):
        where = f"mesh.params.bodies.{name}.box_mm"
        b = np.asarray(box, float)
        if b.shape != (6,) or not np.all(b[3:] > b[:3]):
            raise ConfigError(f"{where}: six numbers xmin, ymin, zmin, xmax, ymax, zmax (mm), "
                              "each max above its min")
        corners = np.array([[b[i], b[j], b[m]] for i in (0, 3) for j in (1, 4) for m in (2, 5)])
        ijk = img.voxel_of(corners)
        lo = np.clip(np.floor(ijk.min(0)).astype(int), 0, shape)
        hi = np.clip(np.ceil(ijk.max(0)).astype(int) + 1, 0, shape)
        if np.any(hi <= lo):
            raise ConfigError(f"{where}: the box lies outside the image")
        sub = tuple(slice(a, c) for a, c in zip(lo, hi))
        grid = np.stack(np.meshgrid(*[np.arange(a, c) for a, c in zip(lo, hi)], indexing="ij"),
                        -1)
        X = img.points_of(grid.reshape(-1, 3).astype(float)).reshape(grid.shape)
        inside = np.all((X >= b[:3]) & (X <= b[3:]), axis=-1)
        cand = inside & (np.asarray(img.data[sub]) >= threshold_HU) & (lab[sub] == 0)
        comp, n = ndimage.label(cand)
        if n == 0:
            raise ConfigError(f"{where}: no voxel of {threshold_HU:g} HU or more in the box")
        sizes = np.bincount(comp.ravel())[1:]
        lab[sub][comp == 1 + int(np.argmax(sizes))] = k
    return Volume(lab, img.affine.copy(), img.kind)
