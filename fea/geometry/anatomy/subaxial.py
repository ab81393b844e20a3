"""C3, a typical subaxial vertebra: waisted body with flat endplates and uncinate processes,
pedicles, articular pillars cut by the facet planes, transverse processes around the transverse
foramina, laminae and a short spinous process. Its inferior endplate centre is the origin."""

from __future__ import annotations

import numpy as np

from .. import keepout
from ..assembly import Assembly
from . import shapes as s
from .morphometry import C3Dims
from .shapes import Bone, Slab


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


# approx.: the laminae slope down and back (shingled); the tilt is the shape's, not a measured
# angle; their height follows the pillar's
LAMINA_TILT_DEG, LAMINA_HALF_HEIGHT_MM = 25.0, 4.6


def lamina_centre_y(d: C3Dims, L: dict, zc: float) -> float:
    """y of the laminae's midline section centre such that its front (the faces looking forward,
    normal within 45 deg of +y) reaches the canal's back, canal_depth_mm behind the body."""
    t = np.radians(LAMINA_TILT_DEG)
    sec = Slab((0.0, 0.0, zc), (-1.0, 0.0, 0.0), LAMINA_HALF_HEIGHT_MM,
               d.lamina_thickness_mm / 2, d.lamina_thickness_mm / 2,
               (0.0, np.sin(t), np.cos(t)), 3.0)
    x, nrm = s.slab_outline(sec)
    return L["canal_back_y"] - x[nrm[:, 1] > 0.7, 1].max()


def build(asm: Assembly, d: C3Dims, L: dict) -> Bone:
    a, b, h = L["a"], L["b"], L["h"]
    bone = Bone("C3")
    Z, X = (0.0, 0.0, 1.0), (1.0, 0.0, 0.0)
    # body: rounded-rectangle sections, waisted, flat endplates, its back flat (the canal's
    # front wall)
    body = [Slab((0, 0, 0), Z, a, b, b, X, 2.7),
            Slab((0, 0, 0.35 * h), Z, 0.93 * a, 0.97 * b, b, X, 2.7),
            Slab((0, 0, 0.7 * h), Z, 0.95 * a, 0.98 * b, b, X, 2.7),
            Slab((0, 0, h), Z, a, b, b, X, 2.7)]
    bone.parts.append(lambda i: s.slab_loft(body, i))
    xp, yp = L["pillar_x"], L["pillar_y"]
    zm = 0.5 * h
    fx, fy = L["foramen"]
    for sg in (1, -1):
        # uncinate process: a lip rising from the posterolateral rim of the superior endplate
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * (a - 1.1), -0.2 * b, h - 0.4),
                                                       (1.5, 0.55 * b, d.uncinate_height_mm + 0.4),
                                                       i))
        # pedicle: short, from inside the posterolateral body back and out into the pillar
        bone.parts.append(lambda i, sg=sg: s.slab_path(
            [(sg * 0.4 * a, -0.55 * b, zm), (sg * (xp - 3.5), yp + 4.0, zm + 0.5),
             (sg * xp, yp, zm + 1.0)],
            [(d.pedicle_height_mm / 2, d.pedicle_width_mm / 2)] * 3, i, xdir=Z, p=2.6))
        # transverse process: a plate around the foramen from the body's side, ending in the
        # anterior and posterior tubercles with the gutter of the spinal nerve between them
        bone.parts.append(lambda i, sg=sg: s.slab_path(
            [(sg * (a - 1.5), fy + 0.6, zm - 0.5), (sg * fx, fy, zm - 0.5),
             (sg * (fx + 5.0), fy - 0.3, zm - 1.0)],
            [(3.2, 4.8), (2.7, 5.3), (2.2, 4.6)], i, xdir=Z, p=2.6))
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * (fx + 4.6), fy + 2.8, zm - 1.8),
                                                       (2.7, 2.6, 3.2), i))
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * (fx + 4.9), fy - 3.0, zm - 0.8),
                                                       (2.6, 2.6, 3.0), i))
        bone.cuts.append(lambda i, sg=sg: s.prism((sg * fx, fy, zm - 10), (0, 0, 1),
                                                  d.foramen_diameter_mm / 2,
                                                  d.foramen_diameter_mm / 2, 0.0, 20.0, None, i))
    # laminae: one plate from pillar to pillar through the midline, tilted with its top forward
    t = np.radians(LAMINA_TILT_DEG)
    up = (0.0, np.sin(t), np.cos(t))
    zl = zm + 0.5
    yl = lamina_centre_y(d, L, zl)
    hl, tl = LAMINA_HALF_HEIGHT_MM, d.lamina_thickness_mm / 2
    lam = [(xp - 2.0, yp - 3.0, zl + 1.0), (0.5 * xp, yl + 1.6, zl + 0.3), (0.0, yl, zl)]
    lam = lam + [(-x, y, z) for x, y, z in lam[-2::-1]]
    bone.parts.append(lambda i: s.slab_path(lam, [(hl - 0.3, tl + 0.4), (hl, tl), (hl, tl),
                                                  (hl, tl), (hl - 0.3, tl + 0.4)], i, xdir=up))
    # spinous process: short, sloping down, bifid at its tip
    ys = L["canal_back_y"] - d.lamina_thickness_mm / 2 - d.spinous_length_mm
    bone.parts.append(lambda i: s.slab_path(
        [(0, yl + 0.5, zl - 0.3), (0, 0.5 * (yl + ys), zm - 1.5), (0, ys + 2.5, zm - 3.0)],
        [(4.3, 2.4), (3.7, 2.5), (3.0, 2.9)], i, xdir=Z, p=2.6))
    for sg in (1, -1):
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * 2.4, ys + 0.9, zm - 3.3),
                                                       (2.2, 2.7, 3.1), i))
    # articular pillars: lofted blocks between the superior facet plane (made by the C2-C3
    # joint) and the parallel inferior facet plane pillar_height below, bulging laterally and
    # deeper below (a rhomboid from the side); the sections near the superior facet stay inside
    # the joint's clearing zone, so nothing stands above the facet
    from .. import occ as o

    n = L["n"]
    for sg in (1, -1):
        p = np.array([sg * xp, yp, L["facet_z"]])
        q = p - np.array([0, 0, d.pillar_height_mm])
        pil = pillar_sections(d, L, sg)
        bone.parts.append(lambda i, p=p, q=q, pil=pil: o.keep_below(o.keep_below(
            s.slab_loft(pil, i), p, n, i), q, -n, i))
    return bone


def pillar_sections(d: C3Dims, L: dict, sg: int) -> list[Slab]:
    """The articular pillar's loft sections on side sg (+1 left), before the facet planes cut
    it: a rhomboid from the side, bulging laterally and deeper (further back) below."""
    xp, yp = L["pillar_x"], L["pillar_y"]
    Z, X = (0.0, 0.0, 1.0), (1.0, 0.0, 0.0)
    fa, fb = d.facet_width_mm / 2 + 0.5, L["facet_b"] + 0.6
    zp, zq = L["facet_z"], L["facet_z"] - d.pillar_height_mm
    return [Slab((sg * xp, yp, zq - 6.5), Z, fa - 0.3, fb, fb + 1.6, X, 2.2),
            Slab((sg * (xp + 0.8), yp, zq + 2.5), Z, fa + 0.8, fb, fb + 2.0, X, 2.2),
            Slab((sg * (xp + 0.2), yp, zp - 4.0), Z, fa + 0.2, fb, fb + 0.6, X, 2.2),
            Slab((sg * xp, yp, zp + 6.0), Z, fa - 0.2, fb, fb + 0.3, X, 2.2)]


def pillar_back_y(d: C3Dims, L: dict, x: float, z: float) -> float:
    """y of the pillar's back (posterior) surface at lateral distance |x| and height z: each
    section's superellipse back at |x|, interpolated linearly in z (the loft runs smoothly
    through the sections; tests/test_anatomy_constructs.py measures a screw entry placed here
    on the meshed bone)."""
    zs, ys = [], []
    for s in pillar_sections(d, L, 1):
        u = min(abs(abs(x) - s.c[0]) / s.a, 1.0)
        zs.append(s.c[2])
        ys.append(s.c[1] - s.bm * (1.0 - u ** s.p) ** (1.0 / s.p))
    return float(np.interp(z, zs, ys))


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
