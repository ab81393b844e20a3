"""The two paper constructs on the anatomical occiput-C3 column (fea/geometry/anatomy/column.py),
registered as `[mesh] builder = "anatomy_c2_avb"` and `"anatomy_aad_cages"`:

- `anatomy_c2_avb`: C2 resected en bloc (body, dens and posterior elements, with the C2-C3 disc
  and the cartilage of its joints; C1 and C3 keep their articular surfaces), an artificial
  vertebral body (AVB) from the C3 superior endplate to both C1 inferior facets with two screws
  into C3 and one into each C1 lateral mass through its pillars, and posterior C1 lateral-mass /
  C3 lateral-mass screws with rods;
- `anatomy_aad_cages`: the lateral atlantoaxial joints distracted to the cage height and held by
  porous cages in place of their cartilage, posterior C1 lateral-mass and C2 pedicle screws with
  rods; the median joint, C0-C1 and C2-C3 stay intact.

A third, `anatomy_c1c2_screw_rod`, is for validation only: the intact column with nothing removed
plus the posterior C1 lateral-mass / C2 pedicle screws and rods of `anatomy_aad_cages` (the Harms
construct, models/validation/harms_c1c2.toml, docs/validation.md).

All take `occipital = {enabled = true}`: an occipital plate on the squama over the keel with
midline screws into the keel, the rods running from the plate through the cervical screw heads.
C0 is in every model (the load acts on it, as in the intact column, so ROM compares directly).

Screws (`hardware.screw`) are meshed on their own, overlapping the bone (no hole): the model
files embed them in it (`[[embedded]]`, fea/embedded.py). Cutting holes failed: OCC left the
screw's cylinder and its hole's wall as two coincident unmerged faces ("overlapping facets").

Names follow the box constructs (fea/geometry/constructs.py): bodies `AVB`, `cage_L/R` with regions
`<body>_solid` / `<body>_porous`, screws `screw_C1_L`, `screw_C2_L`, `screw_C3_L`,
`avb_screw_C1_L`, `avb_screw_C3_L`, rods `rod_L/R`, and `occ_plate`, `occ_screw_1..n`. Screw
trajectories and their sources: docs/constructs.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ConfigError
from ...mesh import Mesh
from .. import fixation as fx
from .. import hardware as hw
from .. import implants as imp
from .. import occ as o
from .. import params as P
from ..assembly import Assembly
from ..registry import register
from . import column
from . import shapes as s
from . import subaxial

SIDES = ((1, "L"), (-1, "R"))  # as column.SIDES (column may still be importing)
PRI_PLATE = imp.PRI_SOLID


@dataclass
class Posterior(fx.Posterior):
    """`[mesh.params] posterior = {...}` on the anatomy. Angles from published technique
    (docs/constructs.md): C1 lateral mass (Harms & Melcher 2001) 10 deg medial, 20 deg cranial
    (the handbook average is 17/22 deg; 10 keeps 2 mm from this C1's canal wall); C2 pedicle
    parallel to the pars (Harms & Melcher 2001), 35 deg cranial as this model's pars (cadaver
    pars inclinations 33-39 deg), medial 5 deg along this model's sagittal isthmus (the published
    20-30 deg aim at its medial wall, docs/constructs.md); C3
    lateral mass (modified Magerl) 25 deg lateral, 40 deg cranial (parallel to the facets)."""

    head_length_mm: float = 8.0
    c1_cranial_deg: float = 20.0
    c1_entry_height_mm: float = 2.5  # above the lateral mass's lowest point (inferior facet)
    c2_screw_length_mm: float = 20.0
    c2_medial_deg: float = 5.0
    c2_cranial_deg: float = 35.0
    c3_screw_length_mm: float = 10.0
    c3_lateral_deg: float = 25.0
    c3_cranial_deg: float = 40.0


@dataclass
class Occipital:
    """`[mesh.params] occipital = {...}`: a plate on the squama (a layer over the skull's outer
    surface, the keel's crest stays bone), midline screws into the keel, rods to the plate."""

    enabled: bool = False
    plate_thickness_mm: float = 3.0
    plate_half_width_mm: float = 22.0
    plate_bottom_mm: float = 14.0  # above the foramen magnum plane
    plate_height_mm: float = 16.0
    screws: int = 2  # midline screws into the keel
    screw_bottom_mm: float = 19.0  # lowest screw above the foramen magnum plane
    screw_spacing_mm: float = 7.0
    screw_length_mm: float = 10.0
    screw_diameter_mm: float = 3.5
    rod_x_mm: float = 16.0  # rod anchors on the plate, from the midline
    rod_z_mm: float = 17.0  # above the foramen magnum plane

    def check(self):
        if not 1 <= self.screws <= 4:
            return "screws must be 1 to 4"
        top = self.screw_bottom_mm + (self.screws - 1) * self.screw_spacing_mm
        if not self.plate_bottom_mm + 2.5 <= self.screw_bottom_mm <= top \
                <= self.plate_bottom_mm + self.plate_height_mm - 2.5:
            return "the midline screws (screw_bottom_mm, screw_spacing_mm) must lie on the plate"
        if self.rod_x_mm + 3.0 > self.plate_half_width_mm:
            return "rod_x_mm leaves the rods' ends off the plate (plate_half_width_mm)"
        return ""


def _skull_point(L0: dict, x: float, z: float, grow: float):
    """(point, outward unit normal) on the back of the skull ellipsoid grown by `grow`."""
    c, semi = np.asarray(L0["skull_c"]), np.asarray(L0["skull_semi"]) + grow
    u = np.array([x - c[0], 0.0, z - c[2]]) / semi
    r = 1.0 - u[0] ** 2 - u[2] ** 2
    if r <= 0:
        raise ConfigError(f"occipital: ({x:.1f}, {z:.1f}) is off the squama")
    p = np.array([x, c[1] - semi[1] * np.sqrt(r), z])
    n = (p - c) / semi ** 2
    return p, n / np.linalg.norm(n)


def occipital_plate(asm: Assembly, an, L: dict, oc: Occipital) -> dict:
    """Plate and its midline screws; returns the rods' anchor points {side: point}. The plate
    is a layer over the skull's outer surface standing 0.5 mm off the keel's crest (the crest
    stands out of the squama by the keel's half thickness less half the squama's): the screws
    carry it, plate-bone contact is not modelled."""
    L0 = L["C0"]
    c, semi = L0["skull_c"], np.asarray(L0["skull_semi"])
    t, zf = oc.plate_thickness_mm, L0["fm_z"]
    g = standoff(an)
    z0 = zf + oc.plate_bottom_mm
    z1 = z0 + oc.plate_height_mm
    w = oc.plate_half_width_mm
    layer = o.subtract(s.ellipsoid(c, semi + g + t), s.ellipsoid(c, semi + g))
    plate = s.intersect(layer, o.box((-w, -200.0, z0), (w, c[1], z1)))
    asm.add("occ_plate", "occ_plate", plate, PRI_PLATE, "implant", thickness=t)
    spec = hw.ScrewSpec(oc.screw_diameter_mm, 0.0, 0.0)
    for k in range(1, oc.screws + 1):
        z = zf + oc.screw_bottom_mm + (k - 1) * oc.screw_spacing_mm
        p, n = _skull_point(L0, 0.0, z, g + t)
        hw.screw(asm, f"occ_screw_{k}", p, -n, oc.screw_length_mm, spec, head=False)
    out = {}
    for sg, side in SIDES:
        p, n = _skull_point(L0, sg * oc.rod_x_mm, zf + oc.rod_z_mm, g + t / 2)
        out[side] = p
    return out


def standoff(an) -> float:
    """The plate's distance from the skull's outer ellipsoid: 0.5 mm over the keel's crest."""
    return an.c0.keel_thickness_mm / 2 - an.c0.squama_thickness_mm / 2 + 0.5


def polyline_rod(asm: Assembly, name: str, points: list, diameter: float) -> None:
    """A rod bent at the given points (balls of the rod's radius round each bend), meshed on its
    own and embedded in the screw heads and plate it passes through (`[[embedded]]`); where the
    straight rod passes through a lamina beside its path the two overlap (a surgeon contours the
    rod; here the rod is not tied to that bone)."""
    r = diameter / 2
    parts = [o.rod(a, b, r) for a, b in zip(points[:-1], points[1:])]
    asm.add(name, name, o.union(parts + [o.sphere(p, r) for p in points[1:-1]]), hw.PRI_ROD,
            "hardware")


def c1_screws(asm: Assembly, an, L: dict, post: Posterior) -> dict:
    """Harms C1 lateral-mass screws: entry on the back of the lateral mass below the posterior
    arch, at the mass's centre line."""
    d1, L1 = an.c1, L["C1"]
    seats = {}
    for sg, side in SIDES:
        entry = (sg * (L1["mass_x"] + 0.5), L1["mass_y"] - d1.inferior_facet_length_mm / 2 + 0.5,
                 L1["bottom_z"] + post.c1_entry_height_mm)
        d = hw.direction(post.c1_medial_deg, post.c1_cranial_deg, sg)
        seats[side] = hw.screw(asm, f"screw_C1_{side}", entry, d, post.c1_screw_length_mm,
                               post.spec())
    return seats


def c2_screws(asm: Assembly, an, L: dict, post: Posterior) -> dict:
    """C2 pedicle screws: entry on the dorsal face of the isthmus a third of the way up from the
    inferior articular process."""
    L2 = L["C2"]
    iap = np.asarray(L2["iap"])
    lo = np.array([0.0, iap[1], iap[2] + 3.0])
    hi = np.array([0.0, iap[1] + 4.0, iap[2] + 6.0])
    ax = (hi - lo) / np.linalg.norm(hi - lo)
    dorsal = np.array([0.0, -ax[2], ax[1]])  # perpendicular to the isthmus, up and back
    a = lo + 0.5 * (hi - lo) + (an.c2.pedicle_height_mm / 2 + 0.5) * dorsal
    seats = {}
    for sg, side in SIDES:
        entry = (sg * L2["pars_x"], a[1], a[2])
        d = hw.direction(post.c2_medial_deg, post.c2_cranial_deg, sg)
        seats[side] = hw.screw(asm, f"screw_C2_{side}", entry, d, post.c2_screw_length_mm,
                               post.spec())
    return seats


def c3_entry(an, L3: dict) -> np.ndarray:
    """The left C3 lateral-mass screw's entry (the right one mirrored): 1 mm medial of the
    pillar's centre on its back surface, halfway between the facet planes there (the centre of
    the lateral mass seen from behind)."""
    n = L3["n"]
    slope = -n[1] / n[2]
    x, y = L3["pillar_x"] - 1.0, L3["pillar_y"]

    def mid(y):
        return L3["facet_z"] - 0.5 * L3["pillar_height"] + slope * (y - L3["pillar_y"])

    for _ in range(20):  # the back's height and the facet planes' midline fix each other
        y = subaxial.pillar_back_y(an.c3, L3, x, mid(y))
    return np.array([x, y, mid(y)])


def c3_screws(asm: Assembly, an, L: dict, post: Posterior) -> dict:
    """Magerl-type C3 lateral-mass screws from `c3_entry`: the polyaxial head stands on the
    bone, head_length_mm behind the entry."""
    x, y, z = c3_entry(an, L["C3"])
    seats = {}
    for sg, side in SIDES:
        d = hw.direction(-post.c3_lateral_deg, post.c3_cranial_deg, sg)
        seats[side] = hw.screw(asm, f"screw_C3_{side}", (sg * x, y, z), d,
                               post.c3_screw_length_mm, post.spec())
    return seats


def rods(asm: Assembly, post: Posterior, plate: dict | None, *seat_sets) -> None:
    for _, side in SIDES:
        pts = ([plate[side]] if plate else []) + [st[side] for st in seat_sets]
        polyline_rod(asm, f"rod_{side}", pts, post.rod_diameter_mm)


def check_avb(an, L: dict, p: imp.AVBParams) -> None:
    """The AVB fits between C3 and the C1 facets, its pillars on the facets (before meshing)."""
    J, z3 = L["joints"], L["C3"]["h"]
    zb1 = z3 + p.body_height_mm
    zb0 = zb1 - p.bridge_height_mm
    pw, pd = p.pillar_width_mm / 2, p.pillar_depth_mm / 2
    slope = np.tan(np.radians(an.c2.superior_facet_slope_deg))
    z_low = min(J[sd]["p12"][2] for _, sd in SIDES) - pw * slope
    if zb1 >= z_low - 1.0 or zb0 <= z3 + 1.0:
        raise ConfigError(f"mesh.params.avb: body_height_mm {p.body_height_mm} and "
                          f"bridge_height_mm {p.bridge_height_mm} do not fit between C3 "
                          f"({z3:.1f}) and the C1 facets ({z_low:.1f})")
    fw = min(an.c2.superior_facet_width_mm, an.c1.inferior_facet_width_mm) / 2
    fl = min(an.c2.superior_facet_length_mm, an.c1.inferior_facet_length_mm) / 2
    if pw > fw or pd > fl:  # concentric ellipses: the pillar inside the facet
        raise ConfigError(f"mesh.params.avb: pillar {p.pillar_width_mm} x {p.pillar_depth_mm} "
                          f"mm is wider than the C1 inferior facet ({2 * fw:.1f} x "
                          f"{2 * fl:.1f} mm)")


def avb(asm: Assembly, an, L: dict, p: imp.AVBParams) -> dict:
    """AVB on the C3 superior endplate, its pillars up to the C1 inferior facets (their tops are
    the facets' planes); solid walls around a porous core open on both bone faces."""
    L1, L3, J = L["C1"], L["C3"], L["joints"]
    gap = an.j.c1c2_cartilage_mm
    a, b, yo = p.footprint_width_mm / 2, p.footprint_depth_mm / 2, p.footprint_offset_y_mm
    z3 = L3["h"]
    zb1 = z3 + p.body_height_mm
    zb0 = zb1 - p.bridge_height_mm
    x, y = L1["mass_x"], L1["mass_y"]
    pw, pd, t = p.pillar_width_mm / 2, p.pillar_depth_mm / 2, p.shell_mm
    check_avb(an, L, p)
    def body(inset, z0, z1):
        if p.footprint_shape == "ellipse":
            return o.elliptic_cylinder((0, yo), a - inset, b - inset, z0, z1)
        return o.box((-a + inset, yo - b + inset, z0), (a - inset, yo + b - inset, z1))

    bx, bd = x, p.bridge_depth_mm / 2
    outer = [body(0, z3, zb1), o.box((-bx, y - bd, zb0), (bx, y + bd, zb1))]
    core = [body(t, z3, zb1 - t), o.box((-bx, y - bd, zb0), (bx, y + bd, zb1), t)]
    for sg, side in SIDES:
        q = J[side]["p12"] + gap * J[side]["n12"]
        n = J[side]["n12"]
        c = (sg * x, y, zb0)
        outer.append(o.keep_below(s.prism(c, (0, 0, 1), pw, pd, 0.0, 40.0), q, n))
        core.append(o.keep_below(s.prism(c, (0, 0, 1), pw - t, pd - t, t, 40.0), q, n))
    outer, core = o.union(outer), o.union(core)
    if p.window_diameter_mm > 0:  # the graft window, cut here: a void part is fragmented only
        # with the parts that name it, which the column's local fragment never does
        window = o.rod((0, yo, z3 - 1.0), (0, yo, zb1 + 1.0), p.window_diameter_mm / 2)
        outer = o.subtract(outer, window)
        core = o.subtract(core, o.rod((0, yo, z3 - 1.0), (0, yo, zb1 + 1.0),
                                      p.window_diameter_mm / 2))
    # not fragmented with the bones (touches: its own porous core only): the fragment with the
    # spline bones left no shared faces, and with the cages it left a C1 piece gmsh could not mesh
    asm.add("AVB", "AVB_solid", outer, imp.PRI_SOLID, "implant", thickness=t)
    asm.add("AVB", "AVB_porous", core, imp.PRI_POROUS, "implant", touches=("AVB",))
    # the bearing faces as named planes on both sides, which the model files pair by name
    # (contact pairing projects one side on the other: it needs no conforming mesh)
    asm.feature("AVB_C3_face", "AVB", (0, yo, z3), (0, 0, -1), (-a - 1, yo - b - 1, z3 - 1),
                (a + 1, yo + b + 1, z3 + 1))
    for sg, side in SIDES:
        q = J[side]["p12"] + gap * J[side]["n12"]
        facet_pair(asm, side, "AVB", f"AVB_C1_face_{side}", "C1", q, J[side]["n12"],
                   (sg * x, y), pw + 1.0, pd + 1.0)
    return {"front_y": yo + b, "a": a, "b": b, "z3": z3, "q": {sd: J[sd]["p12"] + gap * J[sd]["n12"]
                                                           for _, sd in SIDES}}


def facet_pair(asm: Assembly, side: str, implant: str, name: str, bone: str, q, n, c,
               a: float, b: float, bone_face: str | None = None) -> None:
    """Named faces on the plane (q, n) around (x, y) = c: the implant's (`name`) and the bone's
    facet (`<bone>_inferior_facet_<side>` by default: C1's facet faces down the joint)."""
    q, n = np.asarray(q, float), np.asarray(n, float)
    lo = (c[0] - a - 3.0, c[1] - b - 3.0, q[2] - 8.0)
    hi = (c[0] + a + 3.0, c[1] + b + 3.0, q[2] + 8.0)
    asm.feature(name, implant, q, n, lo, hi)
    asm.feature(bone_face or f"{bone}_inferior_facet_{side}", bone, q, -n, lo, hi)


def avb_screws(asm: Assembly, an, L: dict, p: imp.AVBParams, g: dict) -> None:
    spec = hw.ScrewSpec(p.screw_diameter_mm, 0.0, 0.0)
    if p.screws_c3:
        ang = np.radians(p.screw_c3_angle_deg)
        d = np.array([0.0, -np.sin(ang), -np.cos(ang)])
        x = p.c3_screw_x()
        z = g["z3"] + 0.3 * p.body_height_mm  # low: clear of the bridge
        for sg, side in SIDES:
            if p.footprint_shape == "ellipse":
                y = p.footprint_offset_y_mm + g["b"] * np.sqrt(max(0.0, 1 - (x / g["a"]) ** 2))
            else:
                y = g["front_y"]
            hw.screw(asm, f"avb_screw_C3_{side}", (sg * x, y - 0.5, z), d, p.screw_c3_length_mm,
                     spec, head=False)
    if p.screws_c1:
        ang = np.radians(p.screw_c1_angle_deg)
        d = np.array([0.0, -np.sin(ang), np.cos(ang)])
        L1 = L["C1"]
        for sg, side in SIDES:
            q = g["q"][side]
            entry = (sg * L1["mass_x"], L1["mass_y"] + 0.5 * p.pillar_depth_mm / 2, q[2] - 7.0)
            hw.screw(asm, f"avb_screw_C1_{side}", entry, d, p.screw_c1_length_mm, spec,
                     head=False)


@register("anatomy_c2_avb")
def anatomy_c2_avb(size_mm: float, order: int, scale: float = 1.0, C0: dict | None = None,
                   C1: dict | None = None, C2: dict | None = None, C3: dict | None = None,
                   joints: dict | None = None, avb: dict | None = None,
                   posterior: dict | None = None, occipital: dict | None = None,
                   mesh: dict | None = None) -> Mesh:
    """C2 reconstruction on the anatomy (`C2`/`joints` only set where C1 sits: the resected C2's
    height stays the space the AVB fills)."""
    an = column.anatomy(scale, C0, C1, C2, C3, joints)
    L = column.layout(an)
    p = P.make(imp.AVBParams, avb, "mesh.params.avb", scale)
    post = P.make(Posterior, posterior, "mesh.params.posterior", scale)
    oc = P.make(Occipital, occipital, "mesh.params.occipital", scale)
    check_avb(an, L, p)
    builder_avb = globals()["avb"]

    def extra(asm: Assembly, L):
        g = builder_avb(asm, an, L, p)
        avb_screws(asm, an, L, p, g)
        plate = occipital_plate(asm, an, L, oc) if oc.enabled else None
        if post.enabled:
            rods(asm, post, plate, c1_screws(asm, an, L, post),
                 c3_screws(asm, an, L, post))

    return column.mesh_column("anatomy_c2_avb", an, L, mesh, size_mm, order, {"C2"}, extra)


@register("anatomy_aad_cages")
def anatomy_aad_cages(size_mm: float, order: int, scale: float = 1.0, C0: dict | None = None,
                      C1: dict | None = None, C2: dict | None = None, C3: dict | None = None,
                      joints: dict | None = None, cage: dict | None = None,
                      posterior: dict | None = None, occipital: dict | None = None,
                      mesh: dict | None = None) -> Mesh:
    """Atlantoaxial cages: the lateral joint space is the cage height (C1, C0 rise with it)."""
    p = P.make(imp.CageParams, cage, "mesh.params.cage", scale)
    if p.wedge_deg != 0.0:
        raise ConfigError("mesh.params.cage.wedge_deg: wedged cages are not built on the anatomy "
                          "yet (the C1 facets are planes parallel to the C2 facets); use 0")
    j = dict(joints or {})
    if "c1c2_cartilage_mm" in j:
        raise ConfigError("mesh.params.joints.c1c2_cartilage_mm: the cages set the lateral "
                          "atlantoaxial joint space; give cage.height_mm instead")
    j["c1c2_cartilage_mm"] = p.height_mm
    an = column.anatomy(scale, C0, C1, C2, C3, j)
    L = column.layout(an)
    post = P.make(Posterior, posterior, "mesh.params.posterior", scale)
    oc = P.make(Occipital, occipital, "mesh.params.occipital", scale)
    fw = min(an.c2.superior_facet_width_mm, an.c1.inferior_facet_width_mm) / 2
    fl = min(an.c2.superior_facet_length_mm, an.c1.inferior_facet_length_mm) / 2
    if p.footprint_width_mm / 2 > fw or p.footprint_depth_mm / 2 > fl:
        raise ConfigError(f"mesh.params.cage: footprint {p.footprint_width_mm} x "
                          f"{p.footprint_depth_mm} mm is larger than the facets "
                          f"({2 * fw:.1f} x {2 * fl:.1f} mm)")

    def extra(asm: Assembly, L):
        J = L["joints"]
        for sg, side in SIDES:
            pt, n = J[side]["p12"], J[side]["n12"]
            q = pt + p.height_mm * n
            w, d, r = p.footprint_width_mm / 2, p.footprint_depth_mm / 2, p.rim_mm

            def slab(a, b):
                return o.keep_below(o.keep_below(s.prism(pt, (0, 0, 1), a, b, -8.0, 8.0 + p.height_mm),
                                                 q, n), pt, -n)

            # meshed apart from the bones, like the AVB (see avb())
            asm.add(f"cage_{side}", f"cage_{side}_solid", slab(w, d), imp.PRI_SOLID, "implant",
                    thickness=r)
            asm.add(f"cage_{side}", f"cage_{side}_porous", slab(w - r, d - r), imp.PRI_POROUS,
                    "implant", touches=(f"cage_{side}",))
            # named faces on both planes (see avb()): the model files pair them by these names
            c = (pt[0], pt[1])
            facet_pair(asm, side, f"cage_{side}", f"cage_{side}_C1_face", "C1", q, n, c, w, d)
            facet_pair(asm, side, f"cage_{side}", f"cage_{side}_C2_face", "C2", pt, -n, c, w, d,
                       f"C2_superior_facet_{side}")
        plate = occipital_plate(asm, an, L, oc) if oc.enabled else None
        if post.enabled:
            rods(asm, post, plate, c1_screws(asm, an, L, post),
                 c2_screws(asm, an, L, post))

    return column.mesh_column("anatomy_aad_cages", an, L, mesh, size_mm, order,
                              {"facet_C1C2_L", "facet_C1C2_R"}, extra)


@register("anatomy_c1c2_screw_rod")
def anatomy_c1c2_screw_rod(size_mm: float, order: int, scale: float = 1.0,
                           C0: dict | None = None, C1: dict | None = None,
                           C2: dict | None = None, C3: dict | None = None,
                           joints: dict | None = None, posterior: dict | None = None,
                           occipital: dict | None = None, mesh: dict | None = None) -> Mesh:
    """C1-C2 posterior screw-rod fixation (Harms) on the intact column, for the instrumented
    validation (docs/validation.md): every joint, cartilage and disc of `occiput_c3` kept (nothing
    removed, no cage), the C1 lateral-mass and C2 pedicle screws and rods of `anatomy_aad_cages`
    added (meshed on their own, embedded by the model file), optionally the occipital plate."""
    an = column.anatomy(scale, C0, C1, C2, C3, joints)
    L = column.layout(an)
    post = P.make(Posterior, posterior, "mesh.params.posterior", scale)
    oc = P.make(Occipital, occipital, "mesh.params.occipital", scale)

    def extra(asm: Assembly, L):
        plate = occipital_plate(asm, an, L, oc) if oc.enabled else None
        if post.enabled:
            rods(asm, post, plate, c1_screws(asm, an, L, post), c2_screws(asm, an, L, post))

    return column.mesh_column("anatomy_c1c2_screw_rod", an, L, mesh, size_mm, order,
                              frozenset(), extra)
