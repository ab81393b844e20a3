"""Immediate stability: rotation of the loaded body relative to the fixed vertebra (ROM), about the
axis of the applied moment, with the full rotation vector, coupled rotations and stiffness.

Sign convention: a load case states its moment vector in the anatomical frame (+x left, +y
anterior, +z cranial); flexion, for instance, is a moment about -x. ROM is the component of the
relative rotation vector along the unit moment vector, so it is positive when the construct turns
the way it is loaded ("positive in the named direction"), whatever the axis sign of the name.
Coupled rotation is the part of the rotation vector perpendicular to the moment axis.
"""

from __future__ import annotations

import numpy as np

from ..errors import FeaError


def rigid_fit(x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best rigid motion (rotation vector rad, centroid translation mm) taking points x to x + u.

    Kabsch/SVD fit: exact for a finite rigid rotation, so a body's ROM can be read from its nodal
    displacements when no reference point is coupled to it.
    """
    x = np.asarray(x, float)
    y = x + np.asarray(u, float)
    if x.ndim != 2 or x.shape[1] != 3 or len(x) < 3:
        raise FeaError(f"rigid fit needs at least 3 points (n, 3), got shape {x.shape}")
    cx, cy = x.mean(axis=0), y.mean(axis=0)
    H = (x - cx).T @ (y - cy)
    U, _, Vt = np.linalg.svd(H)
    d = np.sign(np.linalg.det(Vt.T @ U.T)) or 1.0  # exclude a reflection
    R = Vt.T @ np.diag([1.0, 1.0, d]) @ U.T
    from scipy.spatial.transform import Rotation  # here: scipy.spatial costs 0.1 s to import

    return Rotation.from_matrix(R).as_rotvec(), cy - cx


def linear_rigid_fit(x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best small (linearised) rigid motion u ~ t + w x (x - c): rotation vector w (rad) and the
    centroid translation t (mm), by least squares.

    The measure of a small-displacement solve: its rotation degrees of freedom are such w, and a
    rigid field of the solve is exactly u = t + w x (x - c) at any |w|, so w is recovered exactly
    and the rotations of adjacent levels add. (A finite-rotation fit of the same field reads
    atan(|w|) and shrinks a small rotation riding on a large one; docs/validation.md.)
    Normal equations: J w = sum r x (u - mean u), J = sum(|r|^2 I - r r^T), r = x - c.
    """
    x = np.asarray(x, float)
    u = np.asarray(u, float)
    if x.ndim != 2 or x.shape[1] != 3 or len(x) < 3 or u.shape != x.shape:
        raise FeaError(f"rigid fit needs at least 3 points (n, 3) and as many displacements, "
                       f"got shapes {x.shape} and {u.shape}")
    r = x - x.mean(axis=0)
    t = u.mean(axis=0)
    J = (r * r).sum() * np.eye(3) - r.T @ r
    b = np.cross(r, u - t).sum(axis=0)
    if np.linalg.cond(J) > 1e12:
        raise FeaError(f"rigid fit: the {len(x)} points are collinear, a rotation about their "
                       "line is undefined")
    return np.linalg.solve(J, b), t


def relative_rotation(rot_loaded_rad, rot_fixed_rad=None) -> np.ndarray:
    """Rotation vector (rad) of the loaded body seen from the fixed body: R_fixed^-1 R_loaded.

    Composition is exact for finite rotations; for the small rotations of a linear solve it equals
    the difference of the rotation vectors to first order.
    """
    from scipy.spatial.transform import Rotation

    R = Rotation.from_rotvec(np.asarray(rot_loaded_rad, float))
    if rot_fixed_rad is not None:
        R = Rotation.from_rotvec(np.asarray(rot_fixed_rad, float)).inv() * R
    return R.as_rotvec()


def rotation_increment(rot_final_rad, rot_reference_rad=None) -> np.ndarray:
    """Rotation from a reference state (end of the preload) to the final state."""
    if rot_reference_rad is None:
        return np.asarray(rot_final_rad, float)
    return relative_rotation(rot_final_rad, rot_reference_rad)


def rom_reduction_pct(rom_deg: float | None, rom_reference_deg: float | None) -> float | None:
    """100 (1 - ROM / ROM_reference), REFERENCES.md; None when either is missing or the
    reference does not move."""
    if rom_deg is None or rom_reference_deg is None or not rom_reference_deg > 0:
        return None
    return 100.0 * (1.0 - rom_deg / rom_reference_deg)


def stability(rotation_rad, moment_Nmm, rom_reference_deg: float | None = None,
              reference_name: str = "", moment_tol_Nmm: float = 1e-6) -> dict:
    """Stability metrics from the relative rotation vector (rad) under an applied moment (N*mm).

    With no moment (compression alone) there is no axis: ROM and stiffness are None, the rotation
    vector is still reported.
    """
    theta = np.asarray(rotation_rad, float).reshape(3)
    M = np.asarray(moment_Nmm, float).reshape(3)
    m = float(np.linalg.norm(M))
    theta_deg = np.rad2deg(theta)
    out = {
        "rotation_x_deg": float(theta_deg[0]),
        "rotation_y_deg": float(theta_deg[1]),
        "rotation_z_deg": float(theta_deg[2]),
        "rotation_magnitude_deg": float(np.linalg.norm(theta_deg)),
        "moment_Nm": m / 1000.0,
        "moment_axis": None,
        "rom_deg": None,
        "coupled_rotation_deg": None,
        "stiffness_Nm_per_deg": None,
        "rom_reference_deg": rom_reference_deg,
        "rom_reference": reference_name or None,
        "rom_reduction_pct": None,
    }
    if m <= moment_tol_Nmm:
        return out
    axis = M / m
    rom = float(theta_deg @ axis)
    coupled = theta_deg - rom * axis
    out.update(moment_axis=axis.tolist(), rom_deg=rom,
               coupled_rotation_deg=float(np.linalg.norm(coupled)))
    # a construct that turns against the moment has no meaningful stiffness (flagged upstream)
    out["stiffness_Nm_per_deg"] = (m / 1000.0) / rom if rom > 0 else None
    out["rom_reduction_pct"] = rom_reduction_pct(rom, rom_reference_deg)
    return out
