"""C1, the atlas: waisted lateral masses (their concave superior facets made by the C0-C1 joints,
the inferior facets sloping down-laterally by the lateral atlantoaxial joints), the anterior arch
with its tubercle and the facet for the dens (cut by the dens grown by the joint space), the
posterior arch thinned over the vertebral-artery groove with its tubercle, the tubercles for the
transverse ligament and the transverse processes around their foramina."""

from __future__ import annotations

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
    zm = 0.5 * (z0 + z1)
    wm = L["mass_waist"]
    for sg in (1, -1):
        bone.parts.append(lambda i, sg=sg: s.loft(
            [Section((sg * x, y, z0 + 1.0), (0, 0, 1), d.inferior_facet_width_mm / 2 - 0.5,
                     d.inferior_facet_length_mm / 2 - 0.5),
             Section((sg * x, y, zm), (0, 0, 1), wm, 0.5 * d.inferior_facet_length_mm),
             Section((sg * x, y, z1 - 1.5), (0, 0, 1), d.superior_facet_width_mm / 2 + 0.5,
                     d.superior_facet_length_mm / 2 - 0.5)], i))
        # tubercle for the transverse ligament on the medial face
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * (x - wm), y - 1.5, zm - 0.5),
                                                       (2.0, 3.0, 2.5), i))
        # transverse process with its foramen
        zt = L["tp_z"]
        bone.parts.append(lambda i, sg=sg, zt=zt: s.tube(
            [(sg * (x + 2.0), y, zt), (sg * d.foramen_x_mm, y - 0.5, zt),
             (sg * (d.width_mm / 2 - 3.0), y - 1.5, zt)], [(3.6, 6.2), (3.4, 5.4), (3.0, 4.0)],
            i, xdir=(0, 0, 1)))
        bone.parts.append(lambda i, sg=sg, zt=zt: s.ellipsoid(
            (sg * (d.width_mm / 2 - 3.5), y - 1.5, zt), (3.5, 4.0, 4.0), i))
        fr = d.foramen_diameter_mm / 2
        bone.cuts.append(lambda i, sg=sg, zt=zt, fr=fr: s.prism(
            (sg * d.foramen_x_mm, y - 0.5, zt - 8.0), (0, 0, 1), fr, fr, 0.0, 16.0, None, i))
    # anterior arch: lateral masses -> midline in front of the dens
    ya = L["arch_front_y"]
    za = L["arch_z"]
    ha, ta = d.anterior_arch_height_mm / 2, d.anterior_arch_thickness_mm / 2
    pts = [(x - 2.0, y + 5.0, za), (0.55 * x, ya - 1.5, za), (0.0, ya, za)]
    pts = pts + [(-px, py, pz) for px, py, pz in pts[-2::-1]]
    rad = [(ha - 0.8, ta + 0.5), (ha - 0.3, ta), (ha, ta)]
    rad = rad + rad[-2::-1]
    bone.parts.append(lambda i: s.tube(pts, rad, i, xdir=(0, 0, 1)))
    bone.parts.append(lambda i: s.ellipsoid((0, ya + 2.0, za), (5.0, 3.2, ha - 0.5), i))
    # the dens facet: the dens grown by the joint space cut out of the arch
    bone.cuts.append(lambda i: axis.dens(d2, L2, gap_median - i, 0.0))
    # posterior arch: thin over the groove, thick at the posterior tubercle
    yp, zp = L["post_arch_y"], L["post_arch_z"]
    hp, gt = d.posterior_arch_height_mm / 2, d.groove_thickness_mm / 2
    pp = [(x - 1.0, y - 7.0, zp), (0.75 * x, yp + 5.0, zp - 0.5), (0.35 * x, yp + 1.0, zp),
          (0.0, yp, zp)]
    pp = pp + [(-px, py, pz) for px, py, pz in pp[-2::-1]]
    rp = [(gt + 1.0, 3.5), (gt, 3.0), (hp - 0.5, 3.2), (hp, 3.5)]
    rp = rp + rp[-2::-1]
    bone.parts.append(lambda i: s.tube(pp, rp, i, xdir=(0, 0, 1)))
    bone.parts.append(lambda i: s.ellipsoid((0, yp - 2.5, zp), (5.5, 3.5, hp), i))
    return bone


def layout(d: C1Dims, z_inf: float, z_sup: float, dens_front_y: float, gap_median: float,
           mass_y: float) -> dict:
    wm = 5.0  # waist semi-width of the lateral mass: its medial face bounds the canal
    facet_y = dens_front_y + gap_median  # posterior face of the anterior arch (dens facet)
    return {"mass_x": d.canal_width_mm / 2 + wm, "mass_y": mass_y, "mass_waist": wm,
            "bottom_z": z_inf, "top_z": z_sup, "tp_z": z_inf + 0.45 * (z_sup - z_inf),
            "arch_z": z_inf + 0.45 * (z_sup - z_inf),
            "facet_y": facet_y,
            # arch centre 1 mm nearer the dens than its half thickness: the cut makes the facet
            "arch_front_y": facet_y + d.anterior_arch_thickness_mm / 2 - 1.0,
            "post_arch_y": facet_y - d.canal_ap_mm - 3.5,
            "post_arch_z": z_inf + 0.5 * (z_sup - z_inf)}


def features_and_sites(asm: Assembly, d: C1Dims, L: dict) -> None:
    x, y = L["mass_x"], L["mass_y"]
    z0, z1 = L["bottom_z"], L["top_z"]
    zm = 0.5 * (z0 + z1)
    for sg, side in ((1, "L"), (-1, "R")):
        asm.site(f"transverse_C1_{side}", "C1", (sg * (x - L["mass_waist"] - 1.5), y - 1.5,
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
