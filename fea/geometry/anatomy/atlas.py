"""C1, the atlas: lofted ovoid lateral masses (their concave superior facets cut by the C0-C1
joints into cups flaring down into the mass, the inferior facets sloping down-laterally trimmed
flat by the lateral atlantoaxial joints), the anterior arch with its thickened tubercle and the
facet for the dens (cut by the dens grown by the joint space), the flattened posterior arch low
over the vertebral-artery groove with its tubercle, the tubercles for the transverse ligament and
the long, broad transverse processes around their foramina."""

from __future__ import annotations

import numpy as np

from .. import keepout
from ..assembly import Assembly
from . import axis
from . import shapes as s
from .morphometry import C1Dims, C2Dims
from .shapes import Bone, Section


def build(asm: Assembly, d: C1Dims, d2: C2Dims, L: dict, L2: dict, gap_median: float) -> Bone:
    bone = Bone("C1")
    x, y = L["mass_x"], L["mass_y"]
    z0, z1 = L["bottom_z"], L["top_z"]
    al = np.radians(d2.superior_facet_slope_deg)
    fw = min(d2.superior_facet_width_mm, d.inferior_facet_width_mm) / 2  # as column.geometry
    fl = min(d2.superior_facet_length_mm, d.inferior_facet_length_mm) / 2
    for sg in (1, -1):
        bone.parts.append(lambda i, sg=sg: _lateral_mass(sg, x, y, z0, z1, al, fw, fl, i))
        # tubercle for the transverse ligament on the medial face
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * (x - L["mass_waist"]), y - 1.5,
                                                        0.5 * (z0 + z1) - 0.5),
                                                       (2.2, 3.5, 3.0), i))
        # transverse process, long and broad, with its foramen and a knob at the tip
        zt = L["tp_z"]
        tip = d.width_mm / 2 - 4.5
        bone.parts.append(lambda i, sg=sg, zt=zt, tip=tip: s.tube(
            [(sg * (x + 1.0), y, zt), (sg * d.foramen_x_mm, y - 0.5, zt),
             (sg * tip, y - 1.5, zt)], [(4.0, 7.0), (3.6, 6.0), (3.2, 4.8)],
            i, xdir=(0, 0, 1)))
        bone.parts.append(lambda i, sg=sg, zt=zt, tip=tip: s.ellipsoid(
            (sg * tip, y - 1.5, zt + 0.3), (4.5, 5.0, 4.2), i))
        fr = d.foramen_diameter_mm / 2
        bone.cuts.append(lambda i, sg=sg, zt=zt, fr=fr: s.prism(
            (sg * d.foramen_x_mm, y - 0.5, zt - 8.0), (0, 0, 1), fr, fr, 0.0, 16.0, None, i))
    # anterior arch: lateral masses -> midline in front of the dens, taller than thick
    ya = L["arch_front_y"]
    za = L["arch_z"]
    ha, ta = d.anterior_arch_height_mm / 2, d.anterior_arch_thickness_mm / 2
    pts = [(x - 2.0, y + 6.0, za), (0.55 * x, ya - 1.5, za), (0.0, ya, za)]
    pts = pts + [(-px, py, pz) for px, py, pz in pts[-2::-1]]
    rad = [(ha - 0.5, ta + 0.8), (ha - 0.6, ta), (ha, ta)]
    rad = rad + rad[-2::-1]
    bone.parts.append(lambda i: s.tube(pts, rad, i, xdir=(0, 0, 1)))
    # the anterior tubercle: a thickened boss in front of the arch, bulging up and down
    bone.parts.append(lambda i: s.ellipsoid((0, ya + 2.4, za), (6.5, 3.8, ha + 0.8), i))
    # the dens facet: the dens grown by the joint space cut out of the arch's posterior face
    bone.cuts.append(lambda i: axis.dens(d2, L2, gap_median - i, 0.0))
    # posterior arch: flattened (taller than thick), low over the vertebral-artery groove behind
    # each lateral mass (its top dips there, its bottom stays level), tallest at the tubercle
    yp, zp = L["post_arch_y"], L["post_arch_z"]
    hp, gt = d.posterior_arch_height_mm / 2, d.groove_thickness_mm / 2
    tb = L["post_arch_half_thickness"]
    pp = [(x - 1.0, y - 7.0, zp - 0.8), (0.78 * x, yp + 6.0, zp - hp + gt + 0.3),
          (0.4 * x, yp + 1.5, zp), (0.0, yp, zp)]
    pp = pp + [(-px, py, pz) for px, py, pz in pp[-2::-1]]
    rp = [(gt + 1.2, 3.4), (gt, 3.0), (hp - 0.4, tb + 0.1), (hp, tb)]
    rp = rp + rp[-2::-1]
    bone.parts.append(lambda i: s.tube(pp, rp, i, xdir=(0, 0, 1)))
    # the posterior tubercle, behind the arch (its inner face stays the canal's wall)
    bone.parts.append(lambda i: s.ellipsoid((0, yp - 2.2, zp - 0.3), (6.0, 3.2, hp + 0.8), i))
    return bone


def _lateral_mass(sg: int, x: float, y: float, z0: float, z1: float, al: float, fw: float,
                  fl: float, i: float):
    """An ovoid block lofted from the inferior facet (a section in the facet's plane, inside the
    joint's cleared zone, so the facet's plane trims it flat) to under the superior facet's cup:
    longest (anteroposteriorly) at mid height, its medial face the canal's wall (x - 5), its
    lateral face at mid height clear of the transverse foramen, its top tilted 10 deg up
    anteriorly (taller in front, a wedge in the lateral view) and turned with the condyle's
    long axis."""
    n12 = np.array([sg * np.sin(al), 0.0, np.cos(al)])
    base = np.array([sg * x, y, z0]) - 0.6 * n12
    tilt = np.radians(10.0)
    turn = (np.cos(np.radians(13.0)), sg * np.sin(np.radians(13.0)), 0.0)
    secs = [Section(tuple(base), tuple(n12), fw + 0.7, fl + 0.7, (1, 0, 0)),
            Section((sg * (x + 0.5), y + 0.5, z0 + 4.0), (0, 0, 1), 6.2, 10.5, (1, 0, 0)),
            Section((sg * (x - 0.3), y + 0.8, z0 + 8.5), (0, 0, 1), 4.9, 11.2, turn),
            Section((sg * x, y + 0.5, z1 - 2.5), (0, -np.sin(tilt), np.cos(tilt)), 5.5, 10.8,
                    turn)]
    return s.loft(secs, i)


def layout(d: C1Dims, z_inf: float, z_sup: float, dens_front_y: float, gap_median: float,
           mass_y: float) -> dict:
    wm = 5.0  # the lateral mass's medial face (the canal's wall) lies wm inside mass_x
    tb = 2.6  # posterior arch half thickness on the midline (approx., taller than thick)
    facet_y = dens_front_y + gap_median  # posterior face of the anterior arch (dens facet)
    return {"mass_x": d.canal_width_mm / 2 + wm, "mass_y": mass_y, "mass_waist": wm,
            "bottom_z": z_inf, "top_z": z_sup, "tp_z": z_inf + 0.45 * (z_sup - z_inf),
            "arch_z": z_inf + 0.45 * (z_sup - z_inf),
            "facet_y": facet_y,
            # arch centre 1 mm nearer the dens than its half thickness: the cut makes the facet
            "arch_front_y": facet_y + d.anterior_arch_thickness_mm / 2 - 1.0,
            "post_arch_y": facet_y - d.canal_ap_mm - tb, "post_arch_half_thickness": tb,
            "post_arch_z": z_inf + 0.5 * (z_sup - z_inf)}


def features_and_sites(asm: Assembly, d: C1Dims, L: dict) -> None:
    x, y = L["mass_x"], L["mass_y"]
    z0, z1 = L["bottom_z"], L["top_z"]
    zm = 0.5 * (z0 + z1)
    # the transverse ligament's tubercles, level with the dens axis: the ligament arches around
    # the back of the dens (Cattrysse et al. 2007 Clin Anat 20:892, 119 +- 17 deg between its
    # halves; ours ~130 deg over the via set on the dens, fea/ligaments/library.toml)
    for sg, side in ((1, "L"), (-1, "R")):
        asm.site(f"transverse_C1_{side}", "C1", (sg * (x - L["mass_waist"] - 1.5), L["dens_y"],
                                                 zm - 0.5), 3.0, facing=(-sg, 0, 0))
    # the spinal canal: the ring's posterior two thirds (Steel's rule of thirds: dens, cord, free
    # space); the foramina as cut in build()
    ap = d.canal_ap_mm
    keepout.add(asm, "C1_canal", "C1", (0, L["facet_y"] - 2 * ap / 3, zm), (0, 0, 1),
                0.5 * (z1 - z0), d.canal_width_mm / 2, ap / 3, shape="rect")
    for sg, side in ((1, "L"), (-1, "R")):
        keepout.add(asm, f"C1_transverse_foramen_{side}", "C1", (sg * d.foramen_x_mm, y - 0.5,
                                                                 L["tp_z"]), (0, 0, 1), 8.0,
                    d.foramen_diameter_mm / 2, d.foramen_diameter_mm / 2)
    ya, za = L["arch_front_y"], L["arch_z"]
    ha = d.anterior_arch_height_mm / 2
    asm.site("AAOM_C1", "C1", (0, ya, za + ha), 4.5, facing=(0, 0.3, 1))
    asm.site("AAAM_C1", "C1", (0, ya, za - ha), 4.5, facing=(0, 0.3, -1))
    yp, zp = L["post_arch_y"], L["post_arch_z"]
    hp = d.posterior_arch_height_mm / 2
    asm.site("PAOM_C1", "C1", (0, yp, zp + hp), 5.0, facing=(0, -0.2, 1))
    asm.site("PAAM_C1", "C1", (0, yp - 1.5, zp - hp), 5.0, facing=(0, -0.5, -1))
    asm.site("LF_C1C2_C1", "C1", (0, yp + 3.0, zp - hp + 1.0), 5.0, facing=(0, 0.5, -1))
