"""C2, the axis: body, dens with its apex, the superior facets beside the dens (made by the
lateral atlantoaxial joints), pedicles/isthmus, inferior articular processes (made by the C2-C3
joints), laminae, a bifid spinous process and transverse processes around oblique foramina."""

from __future__ import annotations

import numpy as np

from .. import keepout
from ..assembly import Assembly
from . import shapes as s
from .morphometry import C2Dims
from .shapes import Bone, Section


def dens_sections(d: C2Dims, L: dict, grow: float) -> list[Section]:
    """The dens as a loft of ellipses (constant over the anterior arch's facet, so the median
    joint space is exactly the cartilage thickness there), `grow` added to both semi-axes."""
    a, b = d.dens_width_mm / 2 + grow, d.dens_depth_mm / 2 + grow
    y, z0, zf0, zf1 = L["dens_y"], L["top_z"], L["facet_z"][0], L["facet_z"][1]
    return [Section((0, y - 0.5, z0 - 4.0), (0, 0, 1), 1.05 * a, 1.05 * b),
            Section((0, y, z0 + 1.0), (0, 0, 1), 0.92 * a, 0.92 * b),
            Section((0, y, zf0), (0, 0, 1), a, b),
            Section((0, y, zf1), (0, 0, 1), a, b)]


def dens(d: C2Dims, L: dict, grow: float, inset: float):
    from .. import occ as o

    # the apex cap's equator sits 0.5 mm inside the loft's end (no coincident edge to fuse), and
    # its section at the loft's end is 2 % wider than the loft: with equal semi-axes a 0.09 mm
    # flat ring of the loft's end stayed outside, and gmsh filled it with zero-volume tets
    apex_c = (0, L["dens_y"], L["apex_z"] - L["cap"] - 0.5)
    c = L["cap"] + 0.5 + grow
    k = 1.02 / np.sqrt(1.0 - (0.5 / c) ** 2)
    semi = (k * (d.dens_width_mm / 2 + grow), k * (d.dens_depth_mm / 2 + grow), c)
    return o.union([s.loft(dens_sections(d, L, grow), inset, cap_ends=False),
                    s.ellipsoid(apex_c, semi, inset)])


def build(asm: Assembly, d: C2Dims, L: dict) -> Bone:
    a, b = d.body_width_mm / 2, d.body_depth_mm / 2
    z0, z1 = L["bottom_z"], L["top_z"]
    bone = Bone("C2")
    bone.parts.append(lambda i: s.loft([Section((0, 0, z0), (0, 0, 1), a, b),
                                        Section((0, 0, 0.5 * (z0 + z1)), (0, 0, 1), 0.9 * a, b),
                                        Section((0, 0, z1), (0, 0, 1), 0.85 * a, b)], i))
    # the anterior-inferior lip of the body overhanging the C2-C3 disc
    bone.parts.append(lambda i: s.ellipsoid((0, b - 2.0, z0 + 2.0), (0.7 * a, 2.6, 3.0), i))
    bone.parts.append(lambda i: dens(d, L, 0.0, i))
    xs, ys, zs = L["facet_x"], L["facet_y"], L["facet_center_z"]
    xc = L["pars_x"]
    for sg in (1, -1):
        # lateral mass under the superior facet, joined to the body
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * (xs - 4.5), ys, zs - 6.0),
                                                       (8.0, 7.5, 6.5), i))
        # pedicle/isthmus: back and down to the inferior articular process; its axis stays in the
        # plane x = canal/2 + width/2 so its medial wall bounds the canal
        bone.parts.append(lambda i, sg=sg: s.tube(
            [(sg * xc, ys - 2.0, zs - 6.0), (sg * xc, L["iap"][1] + 4.0, L["iap"][2] + 6.0),
             (sg * xc, L["iap"][1], L["iap"][2] + 3.0)],
            [(d.pedicle_height_mm / 2 + 1.0, d.pedicle_width_mm / 2)] * 3, i, xdir=(0, 0, 1)))
        # transverse process and its foramen (vertical here; the real one turns laterally)
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * (xs + 6.5), ys - 1.0, zs - 9.0),
                                                       (5.5, 5.0, 3.8), i))
        fr = d.foramen_diameter_mm / 2
        f0 = np.array([sg * (xs + 7.5), ys - 1.0, zs - 16.0])
        f1 = np.array([sg * (xs + 7.5), ys - 1.0, zs - 2.0])
        bone.cuts.append(lambda i, f0=f0, f1=f1, fr=fr: s.prism(
            f0, f1 - f0, fr, fr, 0.0, float(np.linalg.norm(f1 - f0)), None, i))
        # bifid spinous process: two diverging tubercles
        yl = L["lamina_y"]
        tip = (sg * 4.5, yl - d.spinous_length_mm, L["lamina_z"] - 3.0)
        bone.parts.append(lambda i, sg=sg, yl=yl, tip=tip: s.tube(
            [(sg * 1.2, yl - 1.5, L["lamina_z"]), (sg * 2.5, yl - 0.5 * d.spinous_length_mm,
                                                   L["lamina_z"] - 1.5), tip],
            [(5.0, 3.0), (4.5, 2.8), (3.5, 2.5)], i, xdir=(0, 0, 1)))
        bone.parts.append(lambda i, tip=tip: s.ellipsoid(tip, (3.0, 3.0, 4.0), i))
    # laminae: one tube from one inferior articular process to the other through the midline
    yl = L["lamina_y"]
    lam = [(xc + 1.0, L["iap"][1] - 1.0, L["lamina_z"] + 1.0),
           (0.5 * xc, yl - 0.5, L["lamina_z"] + 0.5), (0.0, yl, L["lamina_z"])]
    lam = lam + [(-x, y, z) for x, y, z in lam[-2::-1]]
    bone.parts.append(lambda i: s.tube(lam, [(5.0, d.lamina_thickness_mm / 2)] * 5, i,
                                       xdir=(0, 0, 1)))
    return bone


def features_and_sites(asm: Assembly, d: C2Dims, L: dict) -> None:
    a, b = d.body_width_mm / 2, d.body_depth_mm / 2
    z0, z1 = L["bottom_z"], L["top_z"]
    asm.feature("C2_inferior_endplate", "C2", (0, 0, z0), (0, 0, -1),
                (-a - 2, -b - 2, z0 - 1), (a + 2, b + 2, z0 + 1))
    xs, ys, zs = L["facet_x"], L["facet_y"], L["facet_center_z"]
    keepout.add(asm, "C2_canal", "C2", (0, -b - d.canal_ap_mm / 2, 0.5 * (z0 + zs)), (0, 0, 1),
                0.5 * (zs - z0), d.canal_width_mm / 2, d.canal_ap_mm / 2, shape="rect")
    for sg, side in ((1, "L"), (-1, "R")):  # the foramina as cut in build()
        keepout.add(asm, f"C2_transverse_foramen_{side}", "C2", (sg * (xs + 7.5), ys - 1.0,
                                                                 zs - 9.0), (0, 0, 1), 7.0,
                    d.foramen_diameter_mm / 2, d.foramen_diameter_mm / 2)
    y, apex = L["dens_y"], L["apex_z"]
    asm.site("apical_C2", "C2", (0, y, apex), 3.0, facing=(0, 0, 1))
    # the alar ligaments leave both sides of the upper dens: one set for both
    asm.site("alar_C2", "C2", (0, y - 1.0, apex - 4.0), 5.5)
    asm.site("tectorial_C2", "C2", (0, -b, z0 + 0.6 * (z1 - z0)), 5.0, facing=(0, -1, 0))
    # where the tectorial membrane passes over the back of the dens (behind the cruciform
    # ligament) on its way to the clivus: its via set (the top of the median joint's facet zone)
    asm.site("tectorial_dens", "C2", (0, y - d.dens_depth_mm / 2, L["facet_z"][1]), 3.0,
             facing=(0, -1, 0.2))
    # where the transverse ligament embraces the neck of the dens from behind (Gray's Anatomy,
    # 1918; its front "in contact with the posterior aspect of the dens", Offiah & Day 2017
    # Insights Imaging 8:29): its via set, at the anterior arch's level (mid median facet)
    asm.site("transverse_dens", "C2", (0, y - d.dens_depth_mm / 2, 0.5 * sum(L["facet_z"])), 3.0,
             facing=(0, -1, 0))
    asm.site("PLL_C2", "C2", (0, -b, z0 + 3.0), 4.0, facing=(0, -1, 0))
    asm.site("ALL_C2", "C2", (0, b, z0 + 4.0), 4.5, facing=(0, 1, 0))
    asm.site("AAAM_C2", "C2", (0, b, z1 - 2.5), 4.0, facing=(0, 1, 0))
    yl, zl = L["lamina_y"], L["lamina_z"]
    t = d.lamina_thickness_mm / 2
    asm.site("PAAM_C2", "C2", (0, yl, zl + 5.0), 5.0, facing=(0, -0.3, 1))
    asm.site("LF_C1C2_C2", "C2", (0, yl + t, zl + 4.0), 5.0, facing=(0, 0.5, 1))
    asm.site("LF_C2C3_C2", "C2", (0, yl + t, zl - 4.0), 5.0, facing=(0, 0.5, -1))
    asm.site("ISL_C2", "C2", (0, yl - 0.6 * d.spinous_length_mm, zl - 5.0), 5.0,
             facing=(0, 0, -1))
