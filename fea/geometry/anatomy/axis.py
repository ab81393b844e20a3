"""C2, the axis: body, dens with its apex, the superior facets beside the dens (made by the
lateral atlantoaxial joints), pedicles/isthmus, inferior articular processes (made by the C2-C3
joints), laminae, a bifid spinous process and transverse processes around oblique foramina."""

from __future__ import annotations

import numpy as np

from .. import keepout
from ..assembly import Assembly
from . import shapes as s
from .morphometry import C2Dims
from .shapes import Bone, Section, Slab


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


def lamina_front(d: C2Dims, L: dict) -> tuple:
    """Midline section of the laminae (a plate tilted LAMINA_TILT_DEG, its top forward): placed
    so that its front reaches lamina_y + thickness/2 (the canal's back, canal_ap_mm behind the
    body) at the top of the measuring band lamina_z + 2 mm; returns its centre."""
    t = np.radians(LAMINA_TILT_DEG)
    zc = L["lamina_z"] + 0.5
    sec = Slab((0.0, 0.0, zc), (-1.0, 0.0, 0.0), d.lamina_height_mm / 2,
                   d.lamina_thickness_mm / 2, d.lamina_thickness_mm / 2,
                   (0.0, np.sin(t), np.cos(t)), 3.0)
    x, _ = s.slab_outline(sec)
    front = x[x[:, 2] <= L["lamina_z"] + 2.0, 1].max()
    return (0.0, L["lamina_y"] + d.lamina_thickness_mm / 2 - front, zc)


# how far the lateral atlantoaxial joint's process reaches into C2 below the facet: C2's own
# lateral mass carries the facet, the process only makes its footprint flat (5 mm stood out
# under the lateral mass as a wedge)
FACET_PROCESS_DEPTH_MM = 2.0

# how far the C2-C3 joint's process reaches up into C2 from the facet's centre: C2's own
# inferior articular process covers it (9 mm stood out above it)
IAP_PROCESS_HEIGHT_MM = 7.0

# approx.: C2's laminae slope down and back (shingled over C3's); the tilt is the shape's, not a
# measured angle
LAMINA_TILT_DEG = 25.0


def build(asm: Assembly, d: C2Dims, L: dict) -> Bone:
    a, b = d.body_width_mm / 2, d.body_depth_mm / 2
    z0, z1 = L["bottom_z"], L["top_z"]
    h = z1 - z0
    bone = Bone("C2")
    Z, X = (0.0, 0.0, 1.0), (1.0, 0.0, 0.0)
    # body: rounded-rectangle sections, waisted in front, its back flat (the canal's front wall
    # at -b all the way up), narrowing under the dens
    body = [Slab((0, 0, z0), Z, a, b, b, X, 2.6),
            Slab((0, 0, z0 + 0.3 * h), Z, 0.93 * a, 1.02 * b, b, X, 2.6),
            Slab((0, 0, z0 + 0.65 * h), Z, 0.97 * a, 0.97 * b, b, X, 2.8),
            Slab((0, 0, z1), Z, 0.92 * a, 0.87 * b, b, X, 2.8)]
    bone.parts.append(lambda i: s.slab_loft(body, i))
    # the anterior-inferior lip of the body overhanging the C2-C3 disc in front
    bone.parts.append(lambda i: s.ellipsoid((0, b - 1.6, z0 + 2.4), (0.62 * a, 2.5, 3.8), i))
    bone.parts.append(lambda i: dens(d, L, 0.0, i))
    xs, ys, zs = L["facet_x"], L["facet_y"], L["facet_center_z"]
    xc = L["pars_x"]
    fw = d.superior_facet_width_mm / 2
    fl = d.superior_facet_length_mm / 2
    al = np.radians(d.superior_facet_slope_deg)
    for sg in (1, -1):
        # lateral mass: a loft from the side of the body up and out to an oval just above the
        # superior facet's plane (the lateral atlantoaxial joint cuts it flat: a broad pad
        # sloping down-laterally, its rim rounded below the plane); elliptic top sections stay
        # inside the joint's clearing zone, so no rim stands above the facet
        n12 = np.array([sg * np.sin(al), 0.0, np.cos(al)])
        p12 = np.array([sg * xs, ys, zs])
        # a column under the facet as broad as it, sloping into the body medially; the foramen
        # passes up through its lateral part under the facet's edge
        tilt = s._unit(n12 + (0, 0, 1.0))
        mass = [Slab((sg * 0.4 * a, ys, z0 + 0.35 * h), Z, 0.4 * a, 0.8 * b, 0.75 * b, X, 2.4),
                Slab((sg * (xs - 3.0), ys, zs - 9.0), Z, fw - 1.2, fl - 0.6, fl - 1.2, X, 2.4),
                Slab((sg * (xs - 0.8), ys, zs - 3.5), tuple(tilt), fw + 0.3, fl + 0.4, fl + 0.2,
                     X, 2.2),
                Slab(tuple(p12 - 1.5 * n12), tuple(n12), fw + 1.3, fl + 1.3, fl + 1.3, X, 2.0),
                Slab(tuple(p12 + 0.8 * n12), tuple(n12), fw - 0.3, fl - 0.3, fl - 0.3, X, 2.0)]
        bone.parts.append(lambda i, m=mass: s.slab_loft(m, i))
        # pars interarticularis/isthmus: a flattened bar back and down from under the facet to
        # the inferior articular process; its medial wall stays in the plane x = canal/2 (the
        # canal's side), its screw path (constructs.c2_screws) inside it
        iap = np.asarray(L["iap"])
        pw = d.pedicle_width_mm / 2
        ph = d.pedicle_height_mm / 2 + 1.0
        bone.parts.append(lambda i, sg=sg, iap=iap, pw=pw, ph=ph: s.slab_path(
            [(sg * xc, ys - 0.5, zs - 4.5), (sg * xc, ys - 6.5, zs - 10.5),
             (sg * xc, iap[1] + 4.0, iap[2] + 6.0), (sg * xc, iap[1], iap[2] + 3.0)],
            [(pw, ph + 0.8), (pw, ph), (pw, ph), (pw, ph)], i, xdir=X, p=3.0))
        # inferior articular process: a block over the C2-C3 facet (which the joint cuts flat,
        # facing down and forward); elliptic below the facet's top, inside the joint's zone
        q = np.array([sg * iap[0], iap[1], iap[2]])
        fa, fb = d.inferior_facet_width_mm / 2 + 0.7, 3.6 + 0.8
        # its back leans backward upward (blunting the facet's lower tip) into the lamina; above
        # the facet's plane it may grow, below it it stays in the joint's zone
        yq = q[1] + 0.8
        bone.parts.append(lambda i, q=q, fa=fa, fb=fb, yq=yq: s.slab_loft(
            [Slab((q[0], yq, q[2] - 7.0), Z, fa, fb, fb, X, 2.0),
             Slab((q[0], yq, q[2]), Z, fa + 0.1, fb, fb + 1.0, X, 2.0),
             Slab((q[0], yq, q[2] + 5.0), Z, fa, fb - 0.1, fb + 2.5, X, 2.0),
             Slab((q[0], yq - 0.8, q[2] + 8.5), Z, fa - 0.2, fb - 0.6, fb + 2.0, X, 2.0),
             Slab((q[0], yq - 1.0, q[2] + 10.5), Z, fa - 2.0, fb - 2.0, fb, X, 2.0)], i))
        # transverse process: small, lateral under the facet's edge, walling the foramen
        # (vertical here, where the real one turns laterally: it opens upward beside the facet
        # and ends under it), with a rounded tip pointing down and out
        fx = xs + 7.5
        tp = [(sg * (xs + 1.0), ys - 1.0, zs - 7.0), (sg * fx, ys - 1.0, zs - 8.7),
              (sg * (fx + 3.4), ys - 1.5, zs - 10.5)]
        bone.parts.append(lambda i, tp=tp: s.slab_path(tp, [(4.0, 5.6), (3.9, 5.0), (2.5, 3.4)],
                                                       i, xdir=Z, p=2.6))
        bone.parts.append(lambda i, sg=sg, fx=fx: s.ellipsoid(
            (sg * (fx + 2.7), ys - 1.5, zs - 10.5), (2.6, 4.1, 2.9), i))
        fr = d.foramen_diameter_mm / 2
        f0 = np.array([sg * fx, ys - 1.0, zs - 16.0])
        f1 = np.array([sg * fx, ys - 1.0, zs - 3.7])
        bone.cuts.append(lambda i, f0=f0, f1=f1, fr=fr: s.prism(
            f0, f1 - f0, fr, fr, 0.0, float(np.linalg.norm(f1 - f0)), None, i))
    # laminae: one tall, thick plate from one inferior articular process to the other through
    # the midline, tilted with its top forward (shingled over C3's)
    t = np.radians(LAMINA_TILT_DEG)
    up = (0.0, np.sin(t), np.cos(t))
    c = lamina_front(d, L)
    yl, zl = c[1], c[2]
    lam = [(xc + 1.5, L["iap"][1] - 0.5, zl - 2.0), (0.6 * xc, yl + 2.6, zl),
           (0.0, yl, zl)]
    lam = lam + [(-x, y, z) for x, y, z in lam[-2::-1]]
    tl = d.lamina_thickness_mm / 2
    hh = d.lamina_height_mm / 2
    bone.parts.append(lambda i: s.slab_path(lam, [(hh - 2.0, tl - 0.8), (hh, tl), (hh, tl),
                                                  (hh, tl), (hh - 2.0, tl - 0.8)], i, xdir=up))
    # bifid spinous process: a tall trunk from the laminae, widening backward into two
    # tubercles with a notch between them
    ys_ = L["lamina_y"] - d.spinous_length_mm
    trunk = [(0, yl + 1.0, zl - 0.5), (0, yl - 4.0, zl - 1.5),
             (0, 0.5 * (yl + ys_) - 2.0, zl - 3.0), (0, ys_ + 3.5, zl - 4.3)]
    bone.parts.append(lambda i: s.slab_path(trunk, [(4.6, 3.0), (5.6, 4.0), (5.0, 5.0),
                                                    (4.2, 6.0)], i, xdir=Z, p=2.6))
    for sg in (1, -1):
        bone.parts.append(lambda i, sg=sg: s.ellipsoid((sg * 4.2, ys_ + 1.2, zl - 4.6),
                                                       (3.4, 3.6, 4.4), i))
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
