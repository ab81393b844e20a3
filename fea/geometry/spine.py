"""The C1-C2-C3 stack shared by every construct: where each vertebra sits and the joints between.

Heights (mm, +z cranial, origin at the centre of the C3 inferior endplate):
C3 body 0..h3, C2-C3 disc above it, C2 on the disc, the C1-C2 joint space on the C2 superior
facets (cartilage in the intact spine, a cage, or the top of an implant), C1 on top.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import params as P
from .vertebrae import C1Dims, C2Dims, C3Dims


@dataclass
class Joints:
    disc_height_mm: float = 5.0  # C2-C3 disc (approx.; cf. Gilad & Nissan 1986, Spine 11:154)
    c1c2_joint_mm: float = 2.0  # lateral atlanto-axial joint space incl. cartilage (approx.)
    c2c3_facet_gap_mm: float = 1.0  # C2-C3 facet cartilage thickness (approx.)
    nucleus_fraction: float = 0.4  # nucleus share of the disc area (lit., ~40 %)

    def check(self):
        if self.disc_height_mm < 1.0:
            return "disc_height_mm must be at least 1 mm"
        if not 0.1 <= self.nucleus_fraction <= 0.8:
            return "nucleus_fraction must be between 0.1 and 0.8"
        return ""


@dataclass
class Stack:
    c1: C1Dims
    c2: C2Dims
    c3: C3Dims
    joints: Joints

    @property
    def c2_bottom(self) -> float:
        return self.c3.body_height_mm + self.joints.disc_height_mm

    @property
    def c2_facet_top(self) -> float:
        return self.c2_bottom + self.c2.body_height_mm + self.c2.superior_facet_raise_mm

    @property
    def c2c3_facet_z(self) -> float:
        """Height of the C2-C3 facet plane at the pillar centre: level with the disc middle."""
        return self.c3.body_height_mm + 0.5 * self.joints.disc_height_mm

    @property
    def dens_front_y(self) -> float:
        return self.c2.dens_offset_y_mm + self.c2.dens_diameter_mm / 2


def stack(scale: float, C1: dict | None, C2: dict | None, C3: dict | None, joints: dict | None,
          where: str = "mesh.params") -> Stack:
    return Stack(
        P.make(C1Dims, C1, f"{where}.C1", scale),
        P.make(C2Dims, C2, f"{where}.C2", scale),
        P.make(C3Dims, C3, f"{where}.C3", scale),
        P.make(Joints, joints, f"{where}.joints", scale),
    )
