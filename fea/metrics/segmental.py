"""Range of motion per level: the rotation of each bone relative to the bone below it.

Each bone body's displacement field (from the end of the preload) is reduced to its best rigid
motion by least squares; a level is a pair of bones adjacent in the cranio-caudal order of the
bodies present (C0-C1, C1-C2, C2-C3 on an occiput-C3 model; C1-C3 on a model whose C2 was
replaced). Two measures (ROTATION_MEASURES):

- "linear" (default): the fit u ~ t + w x (x - c) (`fea.metrics.stability.linear_rigid_fit`),
  relative rotation w_upper - w_lower. It is the measure of this solver, whose kinematics are
  small-displacement: its reference-point rotations are such w, a rigid field of the solve is
  exactly of this form at any size, and the levels add up to the whole-model rotation.
- "finite": a Kabsch/SVD fit of a finite rotation (`rigid_fit`), relative rotation
  R_lower^-1 R_upper, for fields from a large-rotation solve. Applied to a linear field it reads
  a rotation t as atan(t), so a small relative rotation riding on a large one (C0-C1 on C1-C2 in
  axial rotation) shrinks by about 1/(1 + t^2) (docs/validation.md).

The relative rotation vector (deg) in the anatomical frame (+x patient left, +y anterior,
+z cranial) is read as

    flexion_deg               = -rotation_x   (flexion tips the upper body anteriorly: about -x)
    lateral_bending_left_deg  = +rotation_y   (about +y: +z toward +x, the patient's left)
    axial_rotation_left_deg   = -rotation_z   (about -z: +y, the face, toward +x)

(negative values are extension, right bending, right rotation). Under a moment the level's ROM is
the component along the unit moment (positive in the loaded direction, as the construct ROM of
`fea.metrics.stability`), and the rest are its coupled motions; the magnitude is reported beside.

`fit_rms_um` is how far the bone's nodes are from its rigid fit (deformation of the bone
itself): large values say the "rotation of the bone" is itself an approximation.

A span of several levels (C1-C3 on an occiput-C3 model) is read the same way from its two end
bones (`all_pairs`): it is what an instrumented construct is compared over, since a construct
that removes C2 has C1-C3 as one level (fea.metrics.instrumented).
"""

from __future__ import annotations

import numpy as np

from ..errors import FeaError
from .stability import linear_rigid_fit, rigid_fit

# anatomical reading of the relative rotation vector: name -> (axis index, sign)
ANATOMICAL_ANGLES = {"flexion_deg": (0, -1.0), "lateral_bending_left_deg": (1, 1.0),
                     "axial_rotation_left_deg": (2, -1.0)}


ROTATION_MEASURES = ("linear", "finite")


def rigid_motion(points, displacement, measure: str = "linear") -> dict:
    """Best rigid motion of one body by `measure` ("linear" or "finite"): rotation vector (rad),
    translation (mm), fit residual."""
    x = np.asarray(points, float)
    u = np.asarray(displacement, float)
    c = x.mean(axis=0)
    if measure == "linear":
        rotvec, t = linear_rigid_fit(x, u)
        fitted = t + np.cross(rotvec, x - c)
    else:
        from scipy.spatial.transform import Rotation  # here: scipy.spatial costs ~0.3 s to import

        rotvec, t = rigid_fit(x, u)
        fitted = Rotation.from_rotvec(rotvec).apply(x - c) + c + t - x
    rms = float(np.sqrt(((u - fitted) ** 2).sum(axis=1).mean()))
    return {"rotvec_rad": rotvec, "translation_mm": t, "centroid_mm": c, "fit_rms_um": rms * 1e3}


def _relative_rotvec(upper: np.ndarray, lower: np.ndarray, measure: str) -> np.ndarray:
    """Rotation vector (rad) of the upper bone seen from the lower one."""
    if measure == "linear":
        return upper - lower
    from scipy.spatial.transform import Rotation

    return (Rotation.from_rotvec(lower).inv() * Rotation.from_rotvec(upper)).as_rotvec()


def bone_order(points, point_body, bones) -> list[str]:
    """Bones from cranial to caudal by the z of their centroid (+z cranial)."""
    x = np.asarray(points, float)
    body = np.asarray(point_body).astype(str)
    z = {b: float(x[body == b, 2].mean()) for b in bones if (body == b).any()}
    return sorted(z, key=z.get, reverse=True)


def segmental_rom(points, displacement, point_body, bones, reference_displacement=None,
                  moment_Nmm=None, moment_tol_Nmm: float = 1e-6, all_pairs: bool = False,
                  rotation_measure: str = "linear") -> dict:
    """{level "<upper>-<lower>": {...}} for every pair of cranio-caudally adjacent bones (with
    all_pairs, for every pair of bones, upper above lower; the entry's "adjacent" says which).

    points (p, 3) mm, displacement (p, 3) mm, point_body (p,) body name of each point; bones:
    the bone body names (others, e.g. discs or implants, are ignored). reference_displacement
    (the end of the preload) is the state motion is measured from: the fit then reads the
    increment from it (for "finite", from the preloaded positions). moment_Nmm (3,): the
    applied moment, for the ROM along its axis. rotation_measure: one of ROTATION_MEASURES
    (module docstring).
    """
    if rotation_measure not in ROTATION_MEASURES:
        raise FeaError(f"segmental ROM: rotation_measure '{rotation_measure}' is not one of "
                       f"{', '.join(ROTATION_MEASURES)}")
    x = np.asarray(points, float)
    u = np.asarray(displacement, float)
    body = np.asarray(point_body).astype(str)
    if x.shape != u.shape or x.ndim != 2 or x.shape[1] != 3 or len(body) != len(x):
        raise FeaError(f"segmental ROM: {len(x)} points, {len(u)} displacements and "
                       f"{len(body)} body labels do not match")
    if reference_displacement is not None:
        u0 = np.asarray(reference_displacement, float)
        # a linear solve's increments live on the undeformed positions; a finite one's start
        # from the preloaded positions
        x, u = (x if rotation_measure == "linear" else x + u0), u - u0
    missing = [b for b in bones if not (body == b).any()]
    if missing:
        raise FeaError(f"segmental ROM: bone '{missing[0]}' has no points "
                       f"(bodies present: {', '.join(sorted(set(body)))})")
    order = bone_order(x, body, bones)
    fits = {}
    for b in order:
        # a node listed once per region it touches (result files) is one point of the fit
        xb, ub = x[body == b], u[body == b]
        keep = np.unique(xb, axis=0, return_index=True)[1]
        fits[b] = rigid_motion(xb[keep], ub[keep], rotation_measure)

    M = None if moment_Nmm is None else np.asarray(moment_Nmm, float).reshape(3)
    m = 0.0 if M is None else float(np.linalg.norm(M))
    pairs = [(order[i], order[j]) for i in range(len(order))
             for j in range(i + 1, len(order) if all_pairs else min(i + 2, len(order)))]
    out = {}
    for upper, lower in pairs:
        theta = np.rad2deg(_relative_rotvec(fits[upper]["rotvec_rad"], fits[lower]["rotvec_rad"],
                                            rotation_measure))
        level = {"upper": upper, "lower": lower,
                 "adjacent": order.index(lower) == order.index(upper) + 1,
                 "rotation_x_deg": float(theta[0]), "rotation_y_deg": float(theta[1]),
                 "rotation_z_deg": float(theta[2]),
                 "rotation_magnitude_deg": float(np.linalg.norm(theta)),
                 "fit_rms_um": max(fits[upper]["fit_rms_um"], fits[lower]["fit_rms_um"]),
                 "rom_deg": None, "coupled_rotation_deg": None}
        for name, (i, sign) in ANATOMICAL_ANGLES.items():
            level[name] = float(sign * theta[i])
        if m > moment_tol_Nmm:
            axis = M / m
            rom = float(theta @ axis)
            level["rom_deg"] = rom
            level["coupled_rotation_deg"] = float(np.linalg.norm(theta - rom * axis))
        out[f"{upper}-{lower}"] = level
    return out


def body_points(model) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(node index, body name per entry, bone names) of the model's bone bodies.

    Bones are the sections with role 'bone', grouped by their `body` (cortical shell, cancellous
    core and posterior elements of one vertebra are one body). A node shared by two bone bodies
    (a bonded joint meshed conformally) counts for both.
    """
    mesh = model.mesh
    region = mesh.region_of_cells([s.cell_set for s in model.sections])
    sections_of: dict[str, list[int]] = {}
    for i, s in enumerate(model.sections):
        if s.role == "bone":
            sections_of.setdefault(s.body_name, []).append(i)
    if not sections_of:
        raise FeaError(f"model '{model.name}': no section has role 'bone', so there are no "
                       "levels to measure")
    idx, names = [], []
    for b, secs in sections_of.items():
        nodes = np.unique(mesh.cells[np.isin(region, secs)])
        idx.append(nodes)
        names.append(np.full(len(nodes), b, dtype=object))
    return np.concatenate(idx), np.concatenate(names).astype(str), list(sections_of)
