"""Contact laws at the points, augmented Lagrangian form, vectorised over points.

Normal (unilateral): pressure p = max(0, lam_n - eps_n g_n); complementarity p >= 0, g >= 0,
p g = 0 holds at the fixed point of the multiplier update lam_n <- p.
Tangential (Coulomb, return mapping): trial z = lam_t + eps_t dg_t (dg_t = slip in this
increment); stick if |z| <= s, else slip with traction s z/|z|; the bound s is given to each
evaluation (for a fixed s a Tresca problem, convex) and the driver moves it to mu p between
Newton steps and multiplier passes (fea.contact.term), which makes the Coulomb law the fixed
point. Frictionless points carry no tangential traction.
Each point's potential psi (its derivative is the traction) lets the Newton solver do a line
search on a convex energy. Tangent stiffness D is 3x3 per point in the (n, t1, t2) frame; open
points get a tiny regularisation `reg` (tangent only, so the converged answer is untouched) that
keeps a body held only by contact solvable while contact closes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OPEN, STICK, SLIP = 0, 1, 2


@dataclass
class LawState:
    traction: np.ndarray  # (p, 3): (-p, tau1, tau2); the virtual work is w * traction . dg
    pressure: np.ndarray  # (p,)
    status: np.ndarray  # (p,) OPEN / STICK / SLIP
    D: np.ndarray  # (p, 3, 3) tangent
    psi: np.ndarray  # (p,) potential


def pressure_of(g_n, lam_n, eps_n, normal=None) -> np.ndarray:
    """Contact pressure max(0, lam_n - eps_n g_n) (MPa), or that of the points' own
    pressure-overclosure law where `normal` (overclosure.PointLaws) has one."""
    p = np.maximum(lam_n - eps_n * g_n, 0.0)
    if normal is not None:
        normal.apply(g_n, eps_n, lam_n - eps_n * g_n >= 0.0, p, np.zeros_like(p),
                     np.zeros_like(p))
    return p


def evaluate(g_n, dg_t, lam_n, lam_t, bound, eps_n, eps_t, friction, reg=1e-8,
             tangent=True, normal=None) -> LawState:
    """`normal` (overclosure.PointLaws, or None): the points whose normal law is a nonlinear
    pressure-overclosure law or a tied penalty (tension too, sticking without bound)."""
    closed = lam_n - eps_n * g_n >= 0.0
    pressure = pressure_of(g_n, lam_n, eps_n)
    psi = (pressure**2 - lam_n**2) / (2 * eps_n)
    kn = eps_n.copy()
    if normal is not None:
        normal.apply(g_n, eps_n, closed, pressure, psi, kn)
        bound = np.where(normal.tied, np.inf, bound)

    z = lam_t + eps_t[:, None] * dg_t
    zn = np.linalg.norm(z, axis=1)
    stick = friction & (zn <= bound)  # bound may be inf (see the driver's first pass)
    slip = friction & ~stick
    safe = np.where(zn > 0, zn, 1.0)
    tau = np.where(stick[:, None], z, (np.where(stick, 0.0, bound) / safe)[:, None] * z)
    tau[~friction] = 0.0
    lam2 = (lam_t**2).sum(1)
    # Moreau envelope: (|z|^2 - dist(z, disc of radius s)^2 - |lam|^2) / (2 eps)
    fin = np.where(np.isfinite(bound), bound, 0.0)
    psi_t = np.where(stick, zn**2 - lam2, 2 * fin * zn - fin**2 - lam2) / (2 * eps_t)
    psi = psi + np.where(friction, psi_t, 0.0)

    traction = np.column_stack([-pressure, tau])
    status = np.where(closed, np.where(slip, SLIP, STICK), OPEN)
    status = np.where(closed & ~friction, SLIP, status)  # frictionless contact always slides
    D = None
    if tangent:
        D = np.zeros((len(g_n), 3, 3))
        D[:, 0, 0] = np.where(closed, np.maximum(kn, reg * eps_n), reg * eps_n)
        e = np.eye(2)
        zhat = z / safe[:, None]
        slip_t = (eps_t * np.where(stick, 0.0, bound) / safe)[:, None, None] * (
            e - zhat[:, :, None] * zhat[:, None, :])
        Dt = np.where(stick[:, None, None], eps_t[:, None, None] * e, slip_t)
        Dt = np.where(friction[:, None, None], Dt, 0.0)
        # open points: a tiny tangent stiffness so a body held only by contact stays solvable
        D[:, 1:, 1:] = Dt + np.where(closed, 0.0, reg * eps_t)[:, None, None] * e
    return LawState(traction, pressure, status, D, psi)
