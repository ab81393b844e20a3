"""Synovial joints with their real topology: two articular processes (one on each bone), the
cartilage filling the joint space between them and a capsule sleeve around it.

Both processes and the cartilage share one footprint (an ellipse), so the joint space is exactly
`gap` thick over the whole facet (measurable on the mesh), the cartilage is bonded to the lower
bone by the conforming mesh and touches the upper one across the contact interface, and the capsule
(an elliptic annulus around the footprint, lowest priority) keeps only the space beside both
processes: a sleeve bonded to both bones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import occ as o
from ..assembly import Assembly
from . import shapes as s
from .shapes import Bone

PRI_CAPSULE, PRI_CARTILAGE = 9, 10
Z = np.array([0.0, 0.0, 1.0])


@dataclass
class Footprint:
    a: float  # semi-axis along xdir
    b: float
    xdir: tuple = (1.0, 0.0, 0.0)


def planar(asm: Assembly, name: str, lower: Bone, upper: Bone, p, n, gap: float, fp: Footprint,
           depth_lower: float, depth_upper: float, capsule: tuple[float, float] | None):
    """Flat joint: the lower bone's facet is the plane (p, n) (n pointing into the joint space),
    the upper bone's the plane moved by `gap` along n; both processes are vertical elliptic
    prisms over the footprint (which is horizontal). capsule: (thickness, reach) or None."""
    p, n = np.asarray(p, float), s._unit(n)
    q = p + gap * n

    def low(i):
        return o.keep_below(s.prism(p, Z, fp.a, fp.b, -depth_lower, 6.0, fp.xdir, i), p, n, i)

    def up(i):
        return o.keep_below(s.prism(p, Z, fp.a, fp.b, -6.0, depth_upper, fp.xdir, i), q, -n, i)

    lower.parts.append(low)
    upper.parts.append(up)
    cart = s.prism(p, Z, fp.a, fp.b, -8.0, 8.0, fp.xdir)
    cart = o.keep_below(o.keep_below(cart, q, n), p, -n)
    asm.add(name, name, cart, PRI_CARTILAGE, "soft_tissue")
    if capsule:
        t, r = capsule
        ring = o.subtract(s.prism(p, Z, fp.a + t, fp.b + t, -12.0, 12.0, fp.xdir),
                          s.prism(p, Z, fp.a, fp.b, -13.0, 13.0, fp.xdir))
        ring = o.keep_below(o.keep_below(ring, q + r * n, n), p - r * n, -n)
        cap = name.replace("facet_", "capsule_")
        asm.add(cap, cap, ring, PRI_CAPSULE, "soft_tissue")


def spherical(asm: Assembly, name: str, lower: Bone, upper: Bone, p, n, radius: float,
              gap: float, fp: Footprint, depth_lower: float, height_upper: float,
              capsule: tuple[float, float] | None):
    """Convex-on-concave joint (the C0-C1 condylar joint): the upper bone's articular surface is
    the sphere of `radius` about c = p + radius n touching p (its lowest point), the lower bone's
    the concentric sphere of radius + gap; both processes are prisms along n over the footprint
    (which lies in the plane normal to n)."""
    p, n = np.asarray(p, float), s._unit(n)
    c = p + radius * n
    sag = radius - np.sqrt(max(radius ** 2 - max(fp.a, fp.b) ** 2, 0.0))  # rim rise

    def cond(i):
        return s.intersect(s.prism(p, n, fp.a, fp.b, -1.0, height_upper, fp.xdir, i),
                           s.ball(c, radius, i, axis=n))

    upper.parts.append(cond)
    # the lower process is cut level (horizontal) at the rim's mean height, so the tilted prism
    # leaves no raised lateral horn around the concave facet
    rim = p + 0.6 * sag * np.array([0.0, 0.0, 1.0])
    lower.parts.append(lambda i: o.keep_below(
        s.prism(p, n, fp.a, fp.b, -depth_lower, sag + 0.5, fp.xdir, i), rim, Z, i))
    lower.cuts.append(lambda i: s.ball(c, radius + gap, i, axis=n))
    cart = s.intersect(s.prism(p, n, fp.a, fp.b, -gap - 1.0, sag + 1.0, fp.xdir),
                       s.ball(c, radius + gap, axis=n))
    asm.add(name, name, cart, PRI_CARTILAGE, "soft_tissue")
    if capsule:
        t, r = capsule
        ring = o.subtract(s.prism(p, n, fp.a + t, fp.b + t, -gap - r, sag + r, fp.xdir),
                          s.prism(p, n, fp.a, fp.b, -gap - r - 1, sag + r + 1, fp.xdir))
        cap = name.replace("facet_", "capsule_")
        asm.add(cap, cap, ring, PRI_CAPSULE, "soft_tissue")
