"""C0, the occiput around the foramen magnum: the posterior cranial base as a piece of an
ellipsoidal shell (squama) with a rounded outline (occipitomastoid borders widening upward,
rounded posterolateral and anterolateral corners), the midline occipital keel (external and
internal crests, for an occipital plate), the foramen magnum with the basion and opisthion on its
rim (a funnel: the rim is rounded into the cranial cavity), the clivus rising anteriorly from the
basion, both condyles (ovoids capped by the C0-C1 joint spheres, converging anteriorly) under the
anterolateral rim and the jugular processes lateral to them. A horizontal top cut carries the
load (`C0_load_surface`)."""

from __future__ import annotations

import numpy as np

from .. import occ as o
from ..assembly import Assembly
from . import shapes as s
from .morphometry import C0Dims
from .shapes import Bone, Section


def layout(d: C0Dims, z_fm: float, basion_y: float) -> dict:
    fm_y = basion_y - d.foramen_ap_mm / 2
    # the skull ellipsoid: its outer surface passes about through the foramen magnum plane at the
    # rim and rises posteriorly to the top cut behind the opisthion
    return {"fm_z": z_fm, "fm_y": fm_y, "basion": (0.0, basion_y, z_fm),
            "opisthion": (0.0, fm_y - d.foramen_ap_mm / 2, z_fm),
            "top_z": z_fm + d.squama_height_mm,
            "skull_c": (0.0, fm_y + 5.0, z_fm + 40.0), "skull_semi": (55.0, 50.0, 45.0)}


def build(asm: Assembly, d: C0Dims, L: dict) -> Bone:
    bone = Bone("C0")
    c, semi = L["skull_c"], np.asarray(L["skull_semi"])
    th = d.squama_thickness_mm
    by = L["basion"][1]

    def shell(i):
        sh = o.subtract(s.ellipsoid(c, semi, i), s.ellipsoid(c, semi - th, -i))
        return s.intersect(sh, _outline(d, L, i))

    bone.parts.append(shell)
    # keel: external and internal occipital crest along the midline, thickest at the top
    zf, zt = L["fm_z"], L["top_z"]
    cz = L["skull_c"][2]
    # from the opisthion (on the shell's mid-surface) up past the top cut
    yo = L["opisthion"][1]
    t0 = -np.arccos(min((c[1] - yo) / (semi[1] - th / 2), 0.999))
    t1 = np.arcsin(min((zt + 6.0 - cz) / (semi[2] - th / 2), 0.999))
    ts = np.linspace(t0, t1, 5)
    pts = []
    for t in ts:  # the posterior half of the midsagittal ellipse, in the shell's mid-surface
        y = c[1] - (semi[1] - th / 2) * np.cos(abs(t))
        z = cz + (semi[2] - th / 2) * np.sin(t)
        pts.append((0.0, y, z))
    k0, k1 = 4.0, d.keel_thickness_mm / 2
    radii = [(3.0 + 2.5 * f, k0 + (k1 - k0) * f) for f in np.linspace(0, 1, len(pts))]
    bone.parts.append(lambda i: s.tube(pts, radii, i, xdir=(1, 0, 0)))
    # clivus: a thick plate rising anteriorly from the basion
    ang = np.radians(d.clivus_angle_deg)
    u = np.array([0.0, np.cos(ang), np.sin(ang)])
    b0 = np.array([0.0, by + 1.5, zf - 1.0]) - 3.0 * u
    L1 = (zt + 4.0 - b0[2]) / u[2]
    tc = d.clivus_thickness_mm / 2
    bone.parts.append(lambda i: s.loft(
        [Section(tuple(b0), tuple(u), 10.0, tc, (1, 0, 0)),
         Section(tuple(b0 + 0.5 * L1 * u), tuple(u), 12.0, tc, (1, 0, 0)),
         Section(tuple(b0 + L1 * u), tuple(u), 14.0, tc, (1, 0, 0))], i))
    # lateral parts joining the condyles to the basiocciput and the squama
    for sg in (1, -1):
        bone.parts.append(lambda i, sg=sg: s.ellipsoid(
            (sg * (L["cond_x"] - 1.0), L["cond_y"] + 1.0, zf - 1.0), (9.0, 13.0, 5.5), i))
    # jugular processes: bars from the condyles' posterolateral sides out to the jugular notch,
    # hanging a little below the floor, clear of the C1 facets' rims
    cx, cy = L["cond_x"], L["cond_y"]
    for sg in (1, -1):
        jp = [(sg * (cx + 4.0), cy - 3.0, zf + 1.5), (sg * (cx + 9.0), cy - 4.0, zf + 0.8),
              (sg * (cx + 13.0), cy - 4.5, zf + 1.2)]
        bone.parts.append(lambda i, jp=jp: s.tube(jp, [(3.2, 5.5), (2.8, 5.0), (2.6, 4.2)], i,
                                                  xdir=(0, 0, 1)))
        bone.parts.append(lambda i, e=jp[-1]: s.ellipsoid(e, (3.0, 4.2, 2.8), i))
    # the foramen magnum, through the floor of the shell: a funnel whose throat (the nominal
    # ellipse) lies 1 mm above the foramen plane, flaring into the cranial cavity so the rim is
    # rounded, not a cut edge (below the throat it stays nearly vertical: the condyles' medial
    # edges are 1 mm away)
    fy, fa, fb = L["fm_y"], d.foramen_width_mm / 2, d.foramen_ap_mm / 2

    def foramen(i):
        secs = [Section((0, fy, zf + h), (0, 0, 1), fa + g, fb + g, (1, 0, 0))
                for h, g in ((-10.0, 0.4), (1.0, 0.0), (9.0, 4.0), (60.0, 4.5))]
        return s.loft(secs, i, cap_ends=False)

    bone.cuts.append(foramen)
    bone.clips.append(((0, 0, zt), (0, 0, 1)))
    return bone


def _outline(d: C0Dims, L: dict, i: float):
    """The squama's outline, rounded: an ellipsoid whose trace on the skull widens from the
    jugular processes to about `squama_half_width_mm` at the top cut (the occipitomastoid borders
    in the posterior view) and rounds the posterolateral corners in the superior view, cut by a
    vertical elliptic cylinder ending 3.5 mm in front of the basion (the basiocciput's end) that
    rounds the anterolateral corners back to the jugular notches."""
    zf, zt, fy, by = L["fm_z"], L["top_z"], L["fm_y"], L["basion"][1]
    # approx. shape constants (the borders' curvature): the half width is reached 10 mm behind
    # the foramen's centre at the top cut
    hy, hz = 55.0, 75.0
    hx = d.squama_half_width_mm / np.sqrt(1.0 - (10.0 / hy) ** 2 - (10.0 / hz) ** 2)
    side = s.ellipsoid((0.0, fy - 10.0, zt + 10.0), (hx, hy, hz), i)
    y0 = fy - 25.0
    front = s.prism((0, y0, zf), (0, 0, 1), 48.0, by + 3.5 - y0, -60.0, 120.0, (1, 0, 0), i)
    return s.intersect(side, front)


def features_and_sites(asm: Assembly, d: C0Dims, L: dict) -> None:
    zt = L["top_z"]
    asm.feature("C0_load_surface", "C0", (0, 0, zt), (0, 0, 1), (-60, -80, zt - 1),
                (60, 60, zt + 1))
    bx, by, bz = L["basion"]
    asm.site("apical_C0", "C0", (0, by, bz), 3.5, facing=(0, -0.5, -1))
    asm.site("AAOM_C0", "C0", (0, by + 2.0, bz - 1.0), 5.0, facing=(0, 0.6, -1))
    asm.site("tectorial_C0", "C0", (0, by - 1.0, bz + 7.0), 6.0, facing=(0, -1, 0.3))
    ox, oy, oz = L["opisthion"]
    asm.site("PAOM_C0", "C0", (0, oy - 1.0, oz), 6.0, facing=(0, -0.3, -1))
    for sg, side in ((1, "L"), (-1, "R")):
        # alar ligaments: the medial faces of the condyles
        asm.site(f"alar_C0_{side}", "C0", (sg * (L["cond_x"] - d.condyle_width_mm / 2),
                                           L["cond_y"] + 3.0, L["cond_z"] + 4.0), 4.5,
                 facing=(-sg, 0, 0))
