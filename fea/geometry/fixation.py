"""Posterior screw-rod fixation and the placement of screws relative to the vertebrae.

Trajectories follow the usual techniques, simplified: C1 lateral-mass screws (Harms: entry on
the back of the lateral mass under the arch, ~10 deg medial, ~15 deg cranial), C2 pedicle screws
(entry on the back of the pars, ~20 deg medial, ~15 deg cranial), C3 lateral-mass screws
(Magerl-like: parallel to the 45 deg facets). Seats (rod axes) are returned per side L/R.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import hardware as hw
from .assembly import Assembly


@dataclass
class Posterior:
    """`[mesh.params] posterior = {...}`."""

    enabled: bool = True
    rod_diameter_mm: float = 3.5  # cervical rods 3.2-3.5 mm (lit.)
    screw_diameter_mm: float = 3.5
    head_diameter_mm: float = 6.0  # polyaxial head simplified as a ball
    head_length_mm: float = 9.0  # entry point to the rod axis
    c1_screw_length_mm: float = 14.0
    c1_medial_deg: float = 10.0
    c1_cranial_deg: float = 15.0
    c1_entry_height_mm: float = 3.5  # above the C1 inferior facet
    c2_screw_length_mm: float = 22.0
    c2_medial_deg: float = 20.0
    c2_cranial_deg: float = 15.0
    c3_screw_length_mm: float = 14.0
    c3_lateral_deg: float = 0.0
    c3_cranial_deg: float = 45.0

    def spec(self) -> hw.ScrewSpec:
        return hw.ScrewSpec(self.screw_diameter_mm, self.head_diameter_mm, self.head_length_mm)


def c1_lateral_mass_screws(asm: Assembly, post: Posterior, m1) -> dict:
    seats = {}
    for s, side in ((1, "L"), (-1, "R")):
        entry = (s * m1["mass_x"], m1["mass_back_y"], m1["bottom_z"] + post.c1_entry_height_mm)
        d = hw.direction(post.c1_medial_deg, post.c1_cranial_deg, s)
        seats[side] = hw.screw(asm, f"screw_C1_{side}", entry, d, post.c1_screw_length_mm,
                               post.spec())
    return seats


def c2_pedicle_screws(asm: Assembly, post: Posterior, m2) -> dict:
    seats = {}
    z = 0.5 * (m2["inf_proc_top_z"] + m2["pars_z"][1]) + 1.0  # on the pars, above the process
    for s, side in ((1, "L"), (-1, "R")):
        d = hw.direction(post.c2_medial_deg, post.c2_cranial_deg, s)
        seats[side] = hw.screw(asm, f"screw_C2_{side}", (s * m2["pars_x"], m2["pars_back_y"], z),
                               d, post.c2_screw_length_mm, post.spec())
    return seats


def c3_lateral_mass_screws(asm: Assembly, post: Posterior, m3) -> dict:
    seats = {}
    y = m3["pillar_back_y"]
    for s, side in ((1, "L"), (-1, "R")):
        # lateral of the pillar centre: the lamina covers the medial part of its back
        x = s * (m3["pillar_x"] + 0.2 * m3["lateral_mass_width"])
        d = hw.direction(-post.c3_lateral_deg, post.c3_cranial_deg, s)
        seats[side] = hw.screw(asm, f"screw_C3_{side}", (x, y, pillar_mid_z(m3, y)), d,
                               post.c3_screw_length_mm, post.spec())
    return seats


def rods(asm: Assembly, post: Posterior, *seat_sets) -> None:
    for side in ("L", "R"):
        hw.rod(asm, f"rod_{side}", [s[side] for s in seat_sets], post.rod_diameter_mm)


def ellipse_front_y(g: dict, x: float) -> float:
    """Front of the elliptic AVB footprint at x (where an anterior screw enters)."""
    return g["front_y"] - g["b"] * (1 - np.sqrt(max(0.0, 1 - (x / g["a"]) ** 2)))


def pillar_mid_z(m3, y: float) -> float:
    """Height midway between the C3 facet planes at depth y (the planes rise anteriorly)."""
    n = m3["facet_normal"]
    slope = -n[1] / n[2]
    zc = m3["facet_z"] - 0.5 * m3["lateral_mass_height"] + slope * (y - m3["pillar_y"])
    return float(zc)
