"""Synovial joints with their real topology: two articular processes (one on each bone), the
cartilage filling the joint space between them and the capsule's attachment sites around it.

Both processes and the cartilage share one footprint (an ellipse), so the joint space is exactly
`gap` thick over the whole facet (measurable on the mesh), the cartilage is bonded to the lower
bone by the conforming mesh and touches the upper one across the contact interface. Near the joint
both bones are cut back to their articular surfaces, so nothing else of either reaches into the
joint space. The capsule is a capsular ligament (tension-only fibres, fea/ligaments) between two
face sets around the joint, one on each bone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import occ as o
from ..assembly import Assembly
from . import shapes as s
from .shapes import Bone, Section

PRI_CARTILAGE = 10
# the neighbourhood of a joint kept free of the bones' other parts: the footprint grown by
# CLEAR_MM, CLEAR_DEPTH_MM to either side of the joint
CLEAR_MM, CLEAR_DEPTH_MM = 1.5, 15.0
# a convex cartilage's crest stays this far below the upper bone's facet: surfaces touching along
# a line without sharing it make gmsh's PLC fail ("a segment and a facet intersect"); the model
# files close it with the interface's adjust_mm
CREST_CLEARANCE_MM = 0.05
Z = np.array([0.0, 0.0, 1.0])


@dataclass
class Footprint:
    a: float  # semi-axis along xdir
    b: float
    xdir: tuple = (1.0, 0.0, 0.0)


def _clear(bone: Bone, region, keep_side) -> None:
    """Cut from `bone` whatever of it lies in `region(i)` on the joint's side of its articular
    surface (`keep_side(solids, i)` keeps that part): the bone's other parts (a loft, an
    isthmus) must not reach into the joint space or the other bone, else the cartilage is not
    `gap` thick and the bones overlap (slivers that made the column's fragment take minutes)."""
    bone.cuts.append(lambda i: keep_side(region(i), i))


def planar(asm: Assembly, name: str, lower: Bone, upper: Bone, p, n, gap: float, fp: Footprint,
           depth_lower: float, depth_upper: float, reach: float | None,
           cartilage: bool = True, sag: float = 0.0):
    """Flat joint: the lower bone's facet is the plane (p, n) (n pointing into the joint space),
    the upper bone's the plane moved by `gap` along n; both processes are vertical elliptic
    prisms over the footprint (which is horizontal). reach: how far the capsule's attachment
    sites reach beyond the footprint (None: no sites). cartilage False: the articular surfaces
    only (a construct puts an implant into the joint space, or resects one of the bones).

    sag > 0: the cartilage is convex in the plane across the footprint's xdir (its surface a
    cylinder about an axis along xdir, `gap` thick mid-joint and `gap - sag` at the footprint's
    ends along its b axis, both less CREST_CLEARANCE_MM), touching the upper bone's flat facet
    along one line (once the contact's adjust_mm closes the clearance), so the upper
    bone can roll on it (the lateral atlantoaxial joint: the cartilage is biconvex on bony
    facets that are flat or concave). The two then share no faces: the cartilage's surface is
    the site `<name>_top` and the upper bone's facet the feature
    `<upper>_inferior_facet_<side>`, which the model files pair by name (contact pairing
    projects one on the other)."""
    p, n = np.asarray(p, float), s._unit(n)
    q = p + gap * n

    def low(i):
        return o.keep_below(s.prism(p, Z, fp.a, fp.b, -depth_lower, 6.0, fp.xdir, i), p, n, i)

    def up(i):
        return o.keep_below(s.prism(p, Z, fp.a, fp.b, -6.0, depth_upper, fp.xdir, i), q, -n, i)

    lower.parts.append(low)
    upper.parts.append(up)

    def zone(i):  # the joint's neighbourhood: the footprint grown by CLEAR_MM
        return s.prism(p, Z, fp.a + CLEAR_MM, fp.b + CLEAR_MM, -CLEAR_DEPTH_MM,
                       CLEAR_DEPTH_MM, fp.xdir, i)

    _clear(lower, zone, lambda x, i: o.keep_below(x, p, -n, i))
    _clear(upper, zone, lambda x, i: o.keep_below(x, q, n, i))
    if not cartilage:
        return
    cart = s.prism(p, Z, fp.a, fp.b, -8.0, 8.0, fp.xdir)
    cart = o.keep_below(o.keep_below(cart, q, n), p, -n)
    if sag <= 0.0:
        asm.add(name, name, cart, PRI_CARTILAGE, "soft_tissue", touches=(lower.name, upper.name))
    else:
        F = s.frame(n, fp.xdir)  # columns: the axis (in the facet plane), across it, n
        R = (fp.b ** 2 + sag ** 2) / (2.0 * sag)  # the circle through the crest and both ends
        c = q - (R + CREST_CLEARANCE_MM) * n
        half = fp.a + fp.b + 5.0
        cart = s.intersect(cart, o.rod(c - half * F[:, 0], c + half * F[:, 0], R))
        # not fragmented with the upper bone: they touch along a line only
        asm.add(name, name, cart, PRI_CARTILAGE, "soft_tissue", touches=(lower.name,))
        side = name.rsplit("_", 1)[1]
        # the cartilage's surface faces n within asin(b / R) (< 30 deg); its rim walls are
        # vertical, at least 90 - slope deg off n
        asm.site(f"{name}_top", name, q, max(fp.a, fp.b) + 1.0, facing=n, apart_from=lower.name,
                 min_cos=0.87)
        lo = q - np.array([fp.a + 3.0, fp.b + 3.0, 8.0])
        hi = q + np.array([fp.a + 3.0, fp.b + 3.0, 8.0])
        asm.feature(f"{upper.name}_inferior_facet_{side}", upper.name, q, -n, lo, hi)
    if reach is not None:
        _capsule_sites(asm, name, lower.name, upper.name, p, q, max(fp.a, fp.b) + reach,
                       upper_surface=f"{upper.name}_inferior_facet_{name.rsplit('_', 1)[1]}"
                       if sag > 0.0 else None)


def spherical(asm: Assembly, name: str, lower: Bone, upper: Bone, p, n, radius: float,
              gap: float, fp: Footprint, depth_lower: float, height_upper: float,
              reach: float | None):
    """Convex-on-concave joint (the C0-C1 condylar joint): the upper bone's articular surface is
    the sphere of `radius` about c = p + radius n touching p (its lowest point), the lower bone's
    the concentric sphere of radius + gap, both over the footprint (which lies in the plane
    normal to n): the condyle an ovoid capped by its sphere, the lower process a cup lofted
    along n with its concave facet cut by the other sphere."""
    p, n = np.asarray(p, float), s._unit(n)
    c = p + radius * n
    sag = radius - np.sqrt(max(radius ** 2 - max(fp.a, fp.b) ** 2, 0.0))  # rim rise

    # the condyle: an ovoid (ellipsoid along the footprint's axes) capped by the sphere. Its
    # centre sits 0.5 mm above the rim's rise, so at the sphere it is wider than the footprint
    # all round and the articular surface covers the footprint (the cartilage's top) entirely
    F = s.frame(n, fp.xdir)
    ez = height_upper - 2.0  # its top height_upper + sag - 1.5 along n, inside the upper bone

    def cond(i):
        return s.intersect(s.ellipsoid(p + (sag + 0.5) * n, (fp.a + 1.2, fp.b + 1.0, ez), i,
                                       axes=F),
                           s.ball(c, radius, i, axis=n))

    upper.parts.append(cond)
    # the lower process: a cup flaring downward into the lateral mass; its top section lies above
    # the concave sphere everywhere over the footprint, so after the sphere's cut the facet runs
    # out to a sharp rim (no vertical wall, no flat-topped rim round the facet, no raised horn)
    def cup(i):
        secs = [Section(tuple(p - depth_lower * n), tuple(n), fp.a + 1.8, fp.b + 1.6, fp.xdir),
                Section(tuple(p - 0.4 * depth_lower * n), tuple(n), fp.a + 1.5, fp.b + 1.3,
                        fp.xdir),
                Section(tuple(p + (sag + 0.5) * n), tuple(n), fp.a + 0.6, fp.b + 0.6,
                        fp.xdir)]
        return s.loft(secs, i)

    lower.parts.append(cup)
    lower.cuts.append(lambda i: s.ball(c, radius + gap, i, axis=n))
    # nothing of the upper bone outside its sphere below the lower process's top (the cut is
    # called with a negative inset: the zone grows and the sphere shrinks by the same amount)
    upper.cuts.append(lambda i: o.subtract(
        s.prism(p, n, fp.a + CLEAR_MM, fp.b + CLEAR_MM, -CLEAR_DEPTH_MM, sag + 1.0, fp.xdir, i),
        s.ball(c, radius, -i, axis=n)))
    # the spherical layer between the two articular surfaces (not reaching into the condyle)
    cart = o.subtract(s.intersect(s.prism(p, n, fp.a, fp.b, -gap - 1.0, sag + 1.0, fp.xdir),
                                  s.ball(c, radius + gap, axis=n)), s.ball(c, radius, axis=n))
    asm.add(name, name, cart, PRI_CARTILAGE, "soft_tissue", touches=(lower.name, upper.name))
    if reach is not None:
        _capsule_sites(asm, name, lower.name, upper.name, p - gap * n, p,
                       max(fp.a, fp.b) + reach)


def _capsule_sites(asm: Assembly, name: str, lower: str, upper: str, p_low, p_up,
                   radius: float, upper_surface: str | None = None) -> None:
    """The capsule's attachment on each bone: its outer faces within `radius` of the joint's
    centre on that bone, without the articular surface (the faces it shares with the
    cartilage; on the upper bone `upper_surface`, its facet's face set, where the cartilage
    does not touch it). The capsular ligaments (fea/ligaments/library.toml) run between the
    two."""
    jn, side = name.split("_")[1:]
    for bone, pt in ((lower, p_low), (upper, p_up)):
        asm.site(f"capsule_{jn}_{bone}_{side}", bone, pt, radius,
                 apart_from=upper_surface if bone == upper and upper_surface else name)
