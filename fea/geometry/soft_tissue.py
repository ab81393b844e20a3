"""Soft tissues of the intact segments: the C2-C3 disc, facet cartilage, and continuum stand-ins
for the posterior ligaments (without them a C1-C2 joint with frictionless facets is a mechanism).

All have the lowest priority, so they are drawn overlapping the bones and the fragment trims them
to the exact joint space (their faces then coincide with the bone faces).
"""

from __future__ import annotations

import numpy as np

from . import occ
from .assembly import Assembly

PRI_SOFT = 10


def disc(asm: Assembly, name: str, a: float, b: float, z0: float, z1: float,
         nucleus_fraction: float = 0.4, between: tuple[str, ...] = ()) -> None:
    """Elliptic disc between two endplates; the nucleus takes `nucleus_fraction` of the area
    (the annulus:nucleus area ratio of about 60:40 used by cervical FE models, lit.).
    between: the two bodies it touches, if the assembly fragments locally (Assembly.add)."""
    asm.add(name, f"{name}_annulus", occ.elliptic_cylinder((0, 0), a, b, z0, z1), PRI_SOFT,
            "soft_tissue", touches=(name, *between) if between else ())
    k = np.sqrt(nucleus_fraction)
    asm.add(name, f"{name}_nucleus",
            occ.elliptic_cylinder((0, -0.1 * b), k * a, k * b, z0, z1), PRI_SOFT + 1,
            "soft_tissue")


def flat_cartilage(asm: Assembly, name: str, lo, hi) -> None:
    asm.add(name, name, occ.box(lo, hi), PRI_SOFT, "soft_tissue")


def tilted_cartilage(asm: Assembly, name: str, lo, hi, point, normal, gap: float) -> None:
    """Cartilage filling a facet joint: the part of box lo-hi between the plane through `point`
    (shifted down by gap/2) and the same plane shifted up by gap/2."""
    n = np.asarray(normal, float)
    p = np.asarray(point, float)
    solid = occ.box(lo, hi)
    solid = occ.keep_below(solid, p + 0.5 * gap * n, n)
    solid = occ.keep_below(solid, p - 0.5 * gap * n, -n)
    asm.add(name, name, solid, PRI_SOFT, "soft_tissue")


def ligament_block(asm: Assembly, name: str, lo, hi) -> None:
    asm.add(name, name, occ.box(lo, hi), PRI_SOFT, "soft_tissue")
