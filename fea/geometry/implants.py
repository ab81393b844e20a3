"""3D-printed titanium implants: the C2 artificial vertebral body (AVB) and the C1-C2
intra-articular cage. Each has a solid region (walls, rims) and a porous lattice region whose
faces against bone are left exposed for ingrowth; materials are assigned per region in the model
file (solid Ti6Al4V, lattice by Gibson-Ashby, or PEEK).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import occ
from .assembly import Assembly

PRI_SOLID, PRI_POROUS, PRI_VOID = 40, 41, 100


@dataclass
class AVBParams:
    footprint_shape: str = "ellipse"  # "ellipse" or "rectangle" (on the C3 endplate)
    footprint_width_mm: float = 14.0  # medio-lateral, within the 16 mm C3 endplate
    footprint_depth_mm: float = 12.0  # antero-posterior, within the 15 mm C3 endplate
    footprint_offset_y_mm: float = 0.0  # footprint centre anterior of the endplate centre
    body_height_mm: float = 13.0  # vertical part on C3, below the bridge top
    bridge_height_mm: float = 6.0  # transverse bar joining the body to the two pillars
    bridge_depth_mm: float = 10.0
    pillar_width_mm: float = 10.0  # pillar top on the C1 inferior facet (12 x 16 mm facet)
    pillar_depth_mm: float = 12.0
    shell_mm: float = 1.0  # solid wall thickness around the porous core
    window_diameter_mm: float = 5.0  # vertical graft window through body and bridge, 0 = none
    screws_c3: bool = True  # two screws from the anterior wall down into the C3 body
    screws_c1: bool = True  # one screw from each pillar up into the C1 lateral mass
    screw_diameter_mm: float = 3.5
    screw_c3_length_mm: float = 18.0
    screw_c3_angle_deg: float = 35.0  # from vertical, tipping posteriorly
    screw_c1_length_mm: float = 16.0
    screw_c1_angle_deg: float = 20.0  # from vertical, tipping posteriorly

    def check(self):
        if self.footprint_shape not in ("ellipse", "rectangle"):
            return f"footprint_shape must be 'ellipse' or 'rectangle', not '{self.footprint_shape}'"
        if 2 * self.shell_mm >= min(self.footprint_width_mm, self.pillar_width_mm):
            return "shell_mm leaves no porous core"
        if self.screws_c3 and self.window_diameter_mm / 2 + 0.25 > self.c3_screw_x():
            return ("window_diameter_mm leaves no room for the C3 screws beside it "
                    f"(at most {2 * (self.c3_screw_x() - 0.25):.1f} mm with this footprint)")
        return ""

    def c3_screw_x(self) -> float:
        """|x| of the C3 screw axes: 0.6 mm inside the footprint edge (never tangent to it)."""
        return self.footprint_width_mm / 2 - self.screw_diameter_mm / 2 - 0.6


def avb(asm: Assembly, p: AVBParams, z_c3: float, z_c1: float, pillar_x: float,
        name: str = "AVB") -> dict:
    """AVB from the C3 superior endplate (z_c3) to the C1 inferior facets (z_c1)."""
    a, b, yo = p.footprint_width_mm / 2, p.footprint_depth_mm / 2, p.footprint_offset_y_mm
    zb1 = z_c3 + p.body_height_mm  # bridge top
    zb0 = zb1 - p.bridge_height_mm
    if zb1 >= z_c1 - 1.0 or zb0 <= z_c3 + 1.0:
        from ..errors import ConfigError

        raise ConfigError(f"avb: body_height_mm {p.body_height_mm} and bridge_height_mm "
                          f"{p.bridge_height_mm} do not fit between C3 ({z_c3:.1f}) and C1 "
                          f"({z_c1:.1f})")
    pw, pd, t = p.pillar_width_mm / 2, p.pillar_depth_mm / 2, p.shell_mm
    bx = pillar_x + pw

    def body(inset, z0, z1):
        if p.footprint_shape == "ellipse":
            return occ.elliptic_cylinder((0, yo), a - inset, b - inset, z0, z1)
        return occ.box((-a + inset, yo - b + inset, z0), (a - inset, yo + b - inset, z1))

    outer = [body(0, z_c3, zb1),
             occ.box((-bx, -p.bridge_depth_mm / 2, zb0), (bx, p.bridge_depth_mm / 2, zb1))]
    core = [body(t, z_c3, zb1 - t),  # open at the bottom: porous face on C3
            occ.box((-bx, -p.bridge_depth_mm / 2, zb0), (bx, p.bridge_depth_mm / 2, zb1), t)]
    for s in (1, -1):
        x0, x1 = sorted((s * (pillar_x - pw), s * (pillar_x + pw)))
        outer.append(occ.box((x0, -pd, zb0), (x1, pd, z_c1)))
        core.append(occ.box((x0 + t, -pd + t, zb0 + t), (x1 - t, pd - t, z_c1)))  # open on C1
    asm.add(name, f"{name}_solid", occ.union(outer), PRI_SOLID, "implant", thickness=t)
    asm.add(name, f"{name}_porous", occ.union(core), PRI_POROUS, "implant")
    if p.window_diameter_mm > 0:
        asm.add_void(occ.rod((0, yo, z_c3), (0, yo, zb1 + 1.0), p.window_diameter_mm / 2),
                     PRI_VOID)
    return {"front_y": yo + b, "a": a, "b": b, "z0": z_c3, "z1": z_c1, "bridge": (zb0, zb1),
            "pillar_front_y": pd}


@dataclass
class CageParams:
    footprint_width_mm: float = 10.0  # medio-lateral, inside the 12 mm C1-C2 facets
    footprint_depth_mm: float = 12.0  # antero-posterior
    height_mm: float = 6.0  # at the footprint centre: the C1-C2 distraction it holds
    wedge_deg: float = 0.0  # sagittal wedge, anterior taller when > 0 (tilts C1 with it)
    rim_mm: float = 1.0  # solid rim around the porous body

    def check(self):
        if 2 * self.rim_mm >= min(self.footprint_width_mm, self.footprint_depth_mm):
            return "rim_mm leaves no porous body"
        if not -15 <= self.wedge_deg <= 15:
            return "wedge_deg must be between -15 and 15"
        if self.height_mm < 2.0:
            return "height_mm must be at least 2 mm"
        return ""


def cage_top_normal(p: CageParams) -> np.ndarray:
    w = np.radians(p.wedge_deg)
    return np.array([0.0, -np.sin(w), np.cos(w)])


def cage(asm: Assembly, name: str, p: CageParams, x: float, z0: float) -> None:
    """A cage on the C2 superior facet (z0) centred at (x, 0); its top is the plane through
    (x, 0, z0 + height) tilted by the wedge angle."""
    w, d, r = p.footprint_width_mm / 2, p.footprint_depth_mm / 2, p.rim_mm
    top = np.array([0.0, 0.0, z0 + p.height_mm])
    n = cage_top_normal(p)
    zmax = z0 + p.height_mm + d * abs(np.tan(np.radians(p.wedge_deg))) + 1.0
    outer = occ.keep_below(occ.box((x - w, -d, z0), (x + w, d, zmax)), top, n)
    core = occ.keep_below(occ.box((x - w + r, -d + r, z0), (x + w - r, d - r, zmax)), top, n)
    asm.add(name, f"{name}_solid", outer, PRI_SOLID, "implant", thickness=r)
    asm.add(name, f"{name}_porous", core, PRI_POROUS, "implant")
