"""C3, a typical subaxial vertebra: waisted body with flat endplates and uncinate processes,
pedicles, articular pillars cut by the facet planes, transverse processes around the transverse
foramina, laminae and a short spinous process. Its inferior endplate centre is the origin."""

from __future__ import annotations

import numpy as np

from .. import keepout
from ..assembly import Assembly
from . import shapes as s
from .morphometry import C3Dims
from .shapes import Bone, Section


def facet_normal(angle_deg: float) -> np.ndarray:
    """Upward normal of a subaxial facet plane tilted `angle` from the transverse plane (the
    superior facets face up and back)."""
    a = np.radians(angle_deg)
    return np.array([0.0, -np.sin(a), np.cos(a)])


def layout(d: C3Dims, facet_z: float) -> dict:
    a, b = d.body_width_mm / 2, d.body_depth_mm / 2
    cw = d.canal_width_mm / 2
    return {"a": a, "b": b, "h": d.body_height_mm, "canal_back_y": -b - d.canal_depth_mm,
            "pillar_x": cw + d.facet_width_mm / 2 + 0.5,
            "pillar_y": -b - 0.55 * d.canal_depth_mm, "facet_z": facet_z,
            "n": facet_normal(d.facet_angle_deg),
            "foramen": (cw + 2.0, -b + 2.5), "foramen_r": d.foramen_diameter_mm / 2,
            "canal_half_width": cw, "pillar_height": d.pillar_height_mm,
            "facet_b": d.facet_length_mm / 2 * np.cos(np.radians(d.facet_angle_deg))}


def build(asm: Assembly, d: C3Dims, L: dict) -> Bone:
    a, b, h = L["a"], L["b"], L["h"]
    bone = Bone("C3")
    # body: waisted loft, flat endplates
    bone.parts.append(lambda i: s.loft([Section((0, 0, 0), (0, 0, 1), a, b),
                                        Section((0, 0.2, h / 2), (0, 0, 1), 0.92 * a, 0.95 * b),
                                        Section((0, 0, h), (0, 0, 1), a, b)], i))
    xp, yp = L["pillar_x"], L["pillar_y"]
    zm = 0.5 * h
    fx, fy = L["foramen"]
    for sg in (1, -1):
        # uncinate process: a lip rising from the lateral rim of the superior endplate
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * (a - 1.3), -0.2 * b, h - 0.5),
                                                       (1.6, 0.6 * b, d.uncinate_height_mm + 0.5),
                                                       i))
        # pedicle: from inside the posterolateral body into the pillar (starting at 0.55a, -0.75b
        # its end cap poked 0.03 mm out of the waisted body: a sliver face the 3D mesher rejected)
        bone.parts.append(lambda i, sg=sg: s.tube(
            [(sg * 0.4 * a, -0.55 * b, zm), (sg * (xp - 3.0), yp + 3.5, zm + 0.5),
             (sg * xp, yp, zm + 1.0)],
            [(d.pedicle_height_mm / 2, d.pedicle_width_mm / 2)] * 3, i))
        # transverse process: a plate around the foramen, with its tip lateral
        bone.parts.append(lambda i, sg=sg: s.tube(
            [(sg * (a - 2.0), fy + 0.5, zm), (sg * fx, fy, zm), (sg * (fx + 7.0), fy - 1.0, zm)],
            [(2.6, 4.8), (2.8, 5.2), (1.8, 3.0)], i))
        bone.cuts.append(lambda i, sg=sg: s.prism((sg * fx, fy, zm - 10), (0, 0, 1),
                                                  d.foramen_diameter_mm / 2,
                                                  d.foramen_diameter_mm / 2, 0.0, 20.0, None, i))
    # laminae: one tube from pillar to pillar through the midline, sloping down posteriorly
    yl = L["canal_back_y"] - d.lamina_thickness_mm / 2
    lam = [(xp, yp - 2.0, zm + 2.0), (0.5 * xp, yl + 0.5, zm + 1.0), (0.0, yl, zm)]
    lam = lam + [(-x, y, z) for x, y, z in lam[-2::-1]]
    bone.parts.append(lambda i: s.tube(lam, [(4.0, d.lamina_thickness_mm / 2)] * 5, i,
                                       xdir=(0, 0, 1)))
    ys = yl - d.spinous_length_mm
    bone.parts.append(lambda i: s.tube([(0, yl + 1.0, zm), (0, 0.5 * (yl + ys), zm - 2.0),
                                        (0, ys, zm - 4.0)], [(4.5, 2.5), (3.8, 2.2), (3.0, 2.0)],
                                       i, xdir=(0, 0, 1)))
    bone.parts.append(lambda i: s.ellipsoid((0, ys, zm - 4.0), (3.2, 2.5, 3.4), i))
    # articular pillars: between the superior facet plane (made by the C2-C3 joint) and the
    # parallel inferior facet plane pillar_height below
    from .. import occ as o

    n = L["n"]
    for sg in (1, -1):
        p = np.array([sg * xp, yp, L["facet_z"]])
        q = p - np.array([0, 0, d.pillar_height_mm])
        bone.parts.append(lambda i, p=p, q=q: o.keep_below(o.keep_below(
            s.prism(p, (0, 0, 1), d.facet_width_mm / 2, L["facet_b"], -d.pillar_height_mm - 8,
                    0.5, None, i), p, n, i), q, -n, i))
    return bone


def features_and_sites(asm: Assembly, L: dict) -> None:
    a, b, h = L["a"], L["b"], L["h"]
    lo, hi = (-a - 2, -b - 2, -1), (a + 2, b + 2, h + 1)
    asm.feature("C3_superior_endplate", "C3", (0, 0, h), (0, 0, 1), lo, hi)
    asm.feature("C3_inferior_endplate", "C3", (0, 0, 0), (0, 0, -1), lo, hi)
    for sg, side in ((1, "L"), (-1, "R")):
        q = (sg * L["pillar_x"], L["pillar_y"], L["facet_z"] - L["pillar_height"])
        plo = (min(sg * 4, sg * 30), -40, -20)
        phi = (max(sg * 4, sg * 30), 0, 40)
        asm.feature("C3_inferior_facets", "C3", q, -L["n"], plo, phi)
        asm.feature(f"C3_inferior_facet_{side}", "C3", q, -L["n"], plo, phi)
    zm = 0.5 * h
    keepout.add(asm, "C3_canal", "C3", (0, 0.5 * (L["canal_back_y"] - b), zm), (0, 0, 1), zm,
                L["canal_half_width"], 0.5 * (-b - L["canal_back_y"]), shape="rect")
    fx, fy = L["foramen"]
    for sg, side in ((1, "L"), (-1, "R")):
        keepout.add(asm, f"C3_transverse_foramen_{side}", "C3", (sg * fx, fy, zm), (0, 0, 1),
                    6.0, L["foramen_r"], L["foramen_r"])
    asm.site("ALL_C3", "C3", (0, b, zm), 5.0, facing=(0, 1, 0))
    asm.site("PLL_C3", "C3", (0, -b, zm), 5.0, facing=(0, -1, 0))
    yl = L["canal_back_y"]
    asm.site("LF_C2C3_C3", "C3", (0, yl, zm + 3.0), 6.0, facing=(0, 0.6, 1))
    asm.site("ISL_C3", "C3", (0, yl - 8.0, zm + 2.5), 5.0, facing=(0, 0, 1))
