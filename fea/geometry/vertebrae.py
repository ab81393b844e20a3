"""Parametric C1, C2 and C3 in the anatomical frame (+x left, +y anterior, +z cranial; mm).

Simplified solids (ellipses, boxes, cylinders, planes) with dimensions of the order reported by
cervical morphometry; every default is a starting value the user can override, not a patient.
Sources: "[P91] ~15-16" means the value lies in the range that paper reports; "(approx.; cf. X)"
means a rounded value of the order found in X (or in the anatomy literature generally), not a
number taken from a table.
- [P91] Panjabi MM et al. Cervical human vertebrae: quantitative three-dimensional anatomy of the
  middle and lower regions. Spine 1991;16(8):861-869 (C2-C7 endplates, body heights, canal,
  pedicles).
- [P93] Panjabi MM et al. Articular facets of the human spine: quantitative three-dimensional
  anatomy. Spine 1993;18(10):1298-1310 (facet sizes and inclination).
- [DH94] Doherty BJ, Heggeness MH. The quantitative anatomy of the atlas. Spine
  1994;19(22):2497-2500.
- [DH95] Doherty BJ, Heggeness MH. Quantitative anatomy of the second cervical vertebra. Spine
  1995;20(5):513-517.
- [S92] Schaffler MB et al. Morphology of the dens: a quantitative study. Spine 1992;17(7):738-743.
- [REF] ../shared/REFERENCES.md (cortical shell about 0.5 mm at C1-C3).
Values marked (approx.) are rounded plausible values where we did not take a number from a paper.

Regions: `Cx_cortical` (shell of the body, dens and lateral masses, including the bony endplates
and articular facets), `Cx_cancellous` (their core), `Cx_posterior` (pedicles, pars, laminae,
spinous process and, for C1, the arches: one homogenised region, library `posterior_elements`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import keepout, occ
from .assembly import Assembly

PRI_POSTERIOR, PRI_CORTICAL, PRI_CANCELLOUS = 18, 20, 21


@dataclass
class C3Dims:
    body_width_mm: float = 16.0  # upper endplate width, [P91] ~15-16
    body_depth_mm: float = 15.0  # endplate depth, [P91] ~15
    body_height_mm: float = 14.0  # anterior body height, [P91] ~13-14
    cortical_mm: float = 0.5  # [REF]
    canal_width_mm: float = 24.0  # spinal canal width, [P91] ~23-25
    canal_depth_mm: float = 15.0  # canal depth, [P91] ~14-15
    pedicle_diameter_mm: float = 6.0  # [P91] pedicle width ~5-6, height ~7
    lateral_mass_width_mm: float = 10.0  # articular pillar (approx.)
    lateral_mass_depth_mm: float = 13.0  # articular pillar (approx.)
    lateral_mass_height_mm: float = 13.0  # between the facet planes at the pillar centre (approx.)
    facet_angle_deg: float = 45.0  # facet plane to the transverse plane (approx.; cf. [P93])
    lamina_thickness_mm: float = 4.0  # (approx.)
    lamina_height_mm: float = 8.0  # (approx.)
    spinous_length_mm: float = 10.0  # (approx.)
    spinous_width_mm: float = 5.0  # (approx.)

    def check(self):
        if self.cortical_mm * 2 >= min(self.body_width_mm, self.body_depth_mm,
                                       self.body_height_mm):
            return "cortical_mm leaves no cancellous core"
        if not 10 <= self.facet_angle_deg <= 80:
            return "facet_angle_deg must be between 10 and 80"
        if self.canal_width_mm <= self.body_width_mm * 0.5:
            return "canal_width_mm is too small for the body"
        return ""


@dataclass
class C2Dims:
    body_width_mm: float = 16.0  # inferior endplate width (approx.; cf. [P91], [DH95])
    body_depth_mm: float = 15.5  # inferior endplate depth (approx.; cf. [P91], [DH95])
    body_height_mm: float = 18.0  # inferior endplate to the base of the dens (approx.; cf. [DH95])
    cortical_mm: float = 0.5  # [REF]
    dens_diameter_mm: float = 10.0  # transverse diameter (approx.; cf. [S92])
    dens_height_mm: float = 16.0  # above the body, tip included (approx.; cf. [DH95])
    dens_offset_y_mm: float = 1.0  # dens axis anterior of the body centre (approx.)
    facet_offset_x_mm: float = 18.0  # centre of each superior facet from the midline (approx.)
    superior_facet_width_mm: float = 12.0  # medio-lateral (approx.; cf. [P93], [DH95])
    superior_facet_depth_mm: float = 14.0  # antero-posterior (approx.; cf. [P93], [DH95])
    superior_facet_raise_mm: float = 2.0  # superior facets above the body top (approx.)
    lateral_mass_height_mm: float = 10.0  # (approx.)
    pars_width_mm: float = 8.0  # (approx.)
    lamina_thickness_mm: float = 5.0  # C2 laminae are thick (approx.)
    lamina_height_mm: float = 10.0  # (approx.)
    spinous_length_mm: float = 14.0  # large bifid process, simplified (approx.)
    spinous_width_mm: float = 7.0  # (approx.)

    def check(self):
        if self.dens_diameter_mm >= self.body_width_mm:
            return "dens_diameter_mm must be smaller than body_width_mm"
        if self.facet_offset_x_mm - self.superior_facet_width_mm / 2 < self.dens_diameter_mm / 2:
            return "superior facets overlap the dens; raise facet_offset_x_mm"
        return ""


@dataclass
class C1Dims:
    lateral_mass_width_mm: float = 12.0  # medio-lateral (approx.; cf. [DH94])
    lateral_mass_depth_mm: float = 16.0  # antero-posterior (approx.; cf. [DH94])
    lateral_mass_height_mm: float = 14.0  # (approx.; cf. [DH94])
    facet_offset_x_mm: float = 18.0  # lateral-mass centre from the midline (matches C2 facets)
    cortical_mm: float = 0.5  # [REF]
    canal_width_mm: float = 26.0  # inner ring width (approx.; cf. [DH94])
    canal_depth_mm: float = 29.5  # inner antero-posterior diameter (approx.; cf. [DH94])
    atlanto_dental_interval_mm: float = 1.5  # anterior arch to dens, adult ADI < 3 (lit.)
    anterior_arch_thickness_mm: float = 5.0  # (approx.; cf. [DH94])
    posterior_arch_thickness_mm: float = 5.5  # (approx.; cf. [DH94])
    arch_height_mm: float = 7.0  # (approx.; cf. [DH94])
    arch_top_below_mm: float = 1.0  # arch top below the superior facets (approx.)

    def check(self):
        if self.arch_height_mm + self.arch_top_below_mm >= self.lateral_mass_height_mm:
            return "arch_height_mm + arch_top_below_mm must be below lateral_mass_height_mm"
        return ""


def _facet_normal(angle_deg: float) -> np.ndarray:
    """Upward normal of a cervical facet plane tilted `angle` from the transverse plane,
    facing up and back (superior facets face posterosuperiorly)."""
    a = np.radians(angle_deg)
    return np.array([0.0, -np.sin(a), np.cos(a)])


@dataclass
class Landmarks:
    """Points other parts attach to (all in the global frame)."""

    values: dict

    def __getitem__(self, k):
        return self.values[k]


def c3(asm: Assembly, d: C3Dims, facet_z: float, facet_gap: float) -> Landmarks:
    """C3 with its inferior endplate centre at the origin; `facet_z`: height of the C2-C3 facet
    joint plane at the pillar centre, `facet_gap`: joint space (cartilage) thickness."""
    a, b, h, t = d.body_width_mm / 2, d.body_depth_mm / 2, d.body_height_mm, d.cortical_mm
    for inset, region, pri in ((0.0, "C3_cortical", PRI_CORTICAL),
                               (t, "C3_cancellous", PRI_CANCELLOUS)):
        asm.add("C3", region, occ.elliptic_cylinder((0, 0), a, b, 0, h, inset), pri, "bone",
                thickness=t if inset == 0 else None)
    cw = d.canal_width_mm / 2
    y_canal_back = -b - d.canal_depth_mm
    xm = cw + d.lateral_mass_width_mm / 2  # pillar centre
    ym = y_canal_back + d.lateral_mass_depth_mm / 2  # pillar back flush with the canal back
    n = _facet_normal(d.facet_angle_deg)
    post = []
    lm_lo_z = facet_z - d.lateral_mass_height_mm - 15.0
    for s in (1, -1):
        lm = occ.box((s * cw if s > 0 else -cw - d.lateral_mass_width_mm,
                      ym - d.lateral_mass_depth_mm / 2, lm_lo_z),
                     (cw + d.lateral_mass_width_mm if s > 0 else -cw,
                      ym + d.lateral_mass_depth_mm / 2, facet_z + 15.0))
        top = np.array([s * xm, ym, facet_z - facet_gap / 2])
        bot = np.array([s * xm, ym, facet_z - d.lateral_mass_height_mm])
        lm = occ.keep_below(lm, top, n)
        lm = occ.keep_below(lm, bot, -n)
        post.append(lm)
        # a flat-sided bar: ends deep inside the body core and the pillar (no slivers), and no
        # curved faces that would need a fine mesh
        ped_a = (s * 0.45 * a, -0.35 * b, h * 0.55)
        ped_b = (s * xm, ym + d.lateral_mass_depth_mm / 2 - 3.0, h * 0.55)
        post.append(occ.bar(ped_a, ped_b, d.pedicle_diameter_mm, d.pedicle_diameter_mm + 1.0))
        side = "L" if s > 0 else "R"
        lo = np.array([s * xm - d.lateral_mass_width_mm, ym - d.lateral_mass_depth_mm, -50])
        hi = np.array([s * xm + d.lateral_mass_width_mm, ym + d.lateral_mass_depth_mm, 80])
        lo[0], hi[0] = min(lo[0], hi[0]), max(lo[0], hi[0])
        asm.feature(f"C3_superior_facet_{side}", "C3", top, n, lo, hi)
        asm.feature(f"C3_inferior_facet_{side}", "C3", bot, -n, lo, hi)
        asm.feature("C3_inferior_facets", "C3", bot, -n, lo, hi)
    lam_y1 = y_canal_back
    lam_z0 = 0.5  # low enough to pass under the C2 inferior articular processes
    lam_x = cw + 0.3 * d.lateral_mass_width_mm  # into the pillars, clear of the screw heads
    post.append(occ.box((-lam_x, lam_y1 - d.lamina_thickness_mm, lam_z0),
                        (lam_x, lam_y1, lam_z0 + d.lamina_height_mm)))
    sp_y1 = lam_y1 - d.lamina_thickness_mm  # flush faces: no narrow strips to mesh
    post.append(occ.box((-d.spinous_width_mm / 2, sp_y1 - d.spinous_length_mm, lam_z0),
                        (d.spinous_width_mm / 2, sp_y1, lam_z0 + d.lamina_height_mm)))
    asm.add("C3", "C3_posterior", occ.union(post), PRI_POSTERIOR, "bone")
    box_lo, box_hi = (-a - 1, -b - 1, -1), (a + 1, b + 1, h + 1)
    asm.feature("C3_superior_endplate", "C3", (0, 0, h), (0, 0, 1), box_lo, box_hi)
    asm.feature("C3_inferior_endplate", "C3", (0, 0, 0), (0, 0, -1), box_lo, box_hi)
    # the canal: behind the body, between the pillars, in front of the lamina (no foramina here)
    keepout.add(asm, "C3_canal", "C3", (0, 0.5 * (y_canal_back - b), h / 2), (0, 0, 1), h / 2,
                cw, 0.5 * d.canal_depth_mm, shape="rect")
    return Landmarks({
        "top_z": h, "body_a": a, "body_b": b, "pillar_x": xm, "pillar_y": ym,
        "pillar_back_y": ym - d.lateral_mass_depth_mm / 2, "facet_normal": n,
        "facet_z": facet_z, "lamina_y": (lam_y1 - d.lamina_thickness_mm, lam_y1),
        "lamina_z": (lam_z0, lam_z0 + d.lamina_height_mm), "canal_half_width": cw,
        "canal_back_y": y_canal_back,
        "lateral_mass_width": d.lateral_mass_width_mm,
        "lateral_mass_depth": d.lateral_mass_depth_mm,
        "lateral_mass_height": d.lateral_mass_height_mm,
    })


def c2(asm: Assembly, d: C2Dims, z0: float, c3m: Landmarks, facet_gap: float) -> Landmarks:
    """C2 with its inferior endplate centre at (0, 0, z0); its inferior articular processes sit on
    the C3 pillars across the facet joint (`facet_gap` of cartilage)."""
    a, b, h, t = d.body_width_mm / 2, d.body_depth_mm / 2, d.body_height_mm, d.cortical_mm
    top = z0 + h
    ftop = top + d.superior_facet_raise_mm  # superior facet level
    rd = d.dens_diameter_mm / 2
    yd = d.dens_offset_y_mm
    fx0 = d.facet_offset_x_mm - d.superior_facet_width_mm / 2
    fx1 = d.facet_offset_x_mm + d.superior_facet_width_mm / 2
    fy = d.superior_facet_depth_mm / 2

    def main(inset):
        parts = [occ.elliptic_cylinder((0, 0), a, b, z0, top, inset),
                 occ.rod((0, yd, top - 2.0), (0, yd, top + d.dens_height_mm - rd), rd, 0.0)
                 if inset == 0 else
                 occ.rod((0, yd, top - 2.0 + inset), (0, yd, top + d.dens_height_mm - rd),
                         rd - inset),
                 occ.sphere((0, yd, top + d.dens_height_mm - rd), rd, inset)]
        for s in (1, -1):
            x0, x1 = (a - 1.0, fx1) if s > 0 else (-fx1, -a + 1.0)
            parts.append(occ.box((x0, -fy, ftop - d.lateral_mass_height_mm), (x1, fy, ftop), inset))
        return occ.union(parts)

    asm.add("C2", "C2_cortical", main(0.0), PRI_CORTICAL, "bone", thickness=t)
    asm.add("C2", "C2_cancellous", main(t), PRI_CANCELLOUS, "bone")

    n = c3m["facet_normal"]
    xm, ym = c3m["pillar_x"], c3m["pillar_y"]
    wm, dm = c3m["lateral_mass_width"], c3m["lateral_mass_depth"]
    post = []
    inf_top = z0 + h * 0.45
    for s in (1, -1):
        cw = c3m["canal_half_width"]
        x0, x1 = (cw, cw + wm) if s > 0 else (-cw - wm, -cw)
        proc = occ.box((x0, ym - dm / 2, c3m["facet_z"] - 20), (x1, ym + dm / 2, inf_top))
        px0, px1 = sorted((s * cw, s * (cw + d.pars_width_mm)))
        pars = occ.box((px0, ym - 2.0, inf_top - 6.0), (px1, -fy + 3.0, ftop - 3.0))
        # the inferior articular process and the pars end on the facet plane (no overlap with C3)
        plane_pt = np.array([s * xm, ym, c3m["facet_z"] + facet_gap / 2])
        post.append(occ.keep_below(occ.union([proc, pars]), plane_pt, -n))
        side = "L" if s > 0 else "R"
        lo = np.array([min(x0, x1) - 1, ym - dm, z0 - 30])
        hi = np.array([max(x0, x1) + 1, ym + dm, z0 + 30])
        asm.feature(f"C2_inferior_facet_{side}", "C2", plane_pt, -n, lo, hi)
        flo = (min(s * fx0, s * fx1) - 1, -fy - 1, ftop - 1)
        fhi = (max(s * fx0, s * fx1) + 1, fy + 1, ftop + 1)
        asm.feature(f"C2_superior_facet_{side}", "C2", (0, 0, ftop), (0, 0, 1), flo, fhi)
    lam_y1 = c3m["canal_back_y"]
    lam_z0 = z0 + 1.0
    lam_x = c3m["canal_half_width"] + wm / 2  # laminae run into the articular processes
    post.append(occ.box((-lam_x, lam_y1 - d.lamina_thickness_mm, lam_z0),
                        (lam_x, lam_y1, lam_z0 + d.lamina_height_mm)))
    sp_y1 = lam_y1 - d.lamina_thickness_mm
    post.append(occ.box((-d.spinous_width_mm / 2, sp_y1 - d.spinous_length_mm, lam_z0),
                        (d.spinous_width_mm / 2, sp_y1, lam_z0 + d.lamina_height_mm)))
    asm.add("C2", "C2_posterior", occ.union(post), PRI_POSTERIOR, "bone")
    asm.feature("C2_inferior_endplate", "C2", (0, 0, z0), (0, 0, -1),
                (-a - 1, -b - 1, z0 - 1), (a + 1, b + 1, z0 + 1))
    cw = c3m["canal_half_width"]  # between the pars, behind the body, in front of the laminae
    keepout.add(asm, "C2_canal", "C2", (0, 0.5 * (lam_y1 - b), 0.5 * (z0 + ftop)), (0, 0, 1),
                0.5 * (ftop - z0), cw, 0.5 * (-b - lam_y1), shape="rect")
    return Landmarks({
        "bottom_z": z0, "top_z": top, "facet_top_z": ftop, "dens_front_y": yd + rd,
        "dens_top_z": top + d.dens_height_mm, "body_a": a, "body_b": b,
        "pars_back_y": ym - 2.0, "pars_x": c3m["canal_half_width"] + d.pars_width_mm / 2,
        "pars_z": (inf_top - 6.0, ftop - 3.0), "inf_proc_top_z": inf_top,
        "lamina_y": (lam_y1 - d.lamina_thickness_mm, lam_y1),
        "lamina_z": (lam_z0, lam_z0 + d.lamina_height_mm),
    })


def c1(asm: Assembly, d: C1Dims, z0: float, dens_front_y: float) -> Landmarks:
    """C1 with the inferior articular facets of its lateral masses at height z0 (local frame;
    wrap the call in `asm.placed(...)` to tilt it)."""
    w, dd, hh, t = (d.lateral_mass_width_mm, d.lateral_mass_depth_mm, d.lateral_mass_height_mm,
                    d.cortical_mm)
    xc = d.facet_offset_x_mm
    top = z0 + hh
    for inset, region, pri in ((0.0, "C1_cortical", PRI_CORTICAL),
                               (t, "C1_cancellous", PRI_CANCELLOUS)):
        masses = [occ.box((s * xc - w / 2, -dd / 2, z0), (s * xc + w / 2, dd / 2, top), inset)
                  for s in (1, -1)]
        asm.add("C1", region, [dt for m in masses for dt in m], pri, "bone",
                thickness=t if inset == 0 else None)
    y_in_front = dens_front_y + d.atlanto_dental_interval_mm
    y_in_back = y_in_front - d.canal_depth_mm
    yc = 0.5 * (y_in_front + y_in_back)
    bi = d.canal_depth_mm / 2
    ai = d.canal_width_mm / 2
    bo = bi + 0.5 * (d.anterior_arch_thickness_mm + d.posterior_arch_thickness_mm)
    yco = yc + 0.5 * (d.anterior_arch_thickness_mm - d.posterior_arch_thickness_mm)
    ao = xc + w / 2
    z1 = top - d.arch_top_below_mm
    zr0 = z1 - d.arch_height_mm
    outer = occ.elliptic_cylinder((0, yco), ao, bo, zr0, z1)
    inner = occ.elliptic_cylinder((0, yc), ai, bi, zr0 - 1, z1 + 1)
    asm.add("C1", "C1_posterior", occ.subtract(outer, inner), PRI_POSTERIOR, "bone")
    for s, side in ((1, "L"), (-1, "R")):
        lo = (min(s * (xc - w), s * (xc + w)), -dd, z0 - 1)
        hi = (max(s * (xc - w), s * (xc + w)), dd, top + 1)
        asm.feature(f"C1_superior_facet_{side}", "C1", (0, 0, top), (0, 0, 1), lo, hi)
        asm.feature("C1_superior_facets", "C1", (0, 0, top), (0, 0, 1), lo, hi)
        asm.feature(f"C1_inferior_facet_{side}", "C1", (0, 0, z0), (0, 0, -1), lo, hi)
    # the spinal canal is the ring's posterior two thirds (Steel's rule of thirds: dens, cord,
    # free space); the anterior third holds the dens
    keepout.add(asm, "C1_canal", "C1", (0, yc - bi / 3, 0.5 * (z0 + top)), (0, 0, 1),
                0.5 * (top - z0), ai, 2 * bi / 3, shape="rect")
    return Landmarks({
        "bottom_z": z0, "top_z": top, "mass_x": xc, "mass_back_y": -dd / 2,
        "mass_front_y": dd / 2, "arch_z": (zr0, z1),
        "posterior_arch_y": (yco - bo, yc - bi), "ring_center_y": yc,
    })
