"""The bundled constructs as registered builders (`[mesh] builder = "..."` in models/*.toml):

- `cervical_intact`: C1-C2-C3 with the C2-C3 disc, facet cartilage and posterior ligament blocks;
- `c2_avb`: C2 resected, a 3D-printed artificial vertebral body from the C3 endplate to the C1
  lateral masses, screws into C3 and C1, optional posterior C1-C3 screw-rod fixation;
- `aad_cages`: C1-C2 lateral-mass joints held by porous cages, posterior C1 lateral-mass and C2
  pedicle screws with rods; C2-C3 intact.

Every builder takes `size_mm`, `order` and tables of parameters (see docs/constructs.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..mesh import Mesh
from . import fixation as fx
from . import hardware as hw
from . import implants as imp
from . import params as P
from . import soft_tissue as soft
from .assembly import Assembly
from .meshing import mesh_construct
from .registry import register
from .spine import Stack, stack
from .vertebrae import c1, c2, c3


@dataclass
class MeshOptions:
    """`[mesh.params] mesh = {...}` of every construct builder."""

    interface_factor: float = 0.8  # size near implant/hardware contacts, fraction of size_mm
    hardware_size: float = 2.5  # element size in and on screws and rods, mm
    optimize: bool = True  # gmsh and Netgen tetrahedron optimisation


def _mesh_options(mesh: dict | None, where: str) -> dict:
    return asdict(P.make(MeshOptions, mesh, f"{where}.mesh"))


def c2c3_motion_segment(asm: Assembly, st: Stack, ligaments: bool):
    """C3, the C2-C3 disc, C2 with facet cartilage: the part of the intact spine every model
    with a C2 shares."""
    j = st.joints
    m3 = c3(asm, st.c3, st.c2c3_facet_z, j.c2c3_facet_gap_mm)
    m2 = c2(asm, st.c2, st.c2_bottom, m3, j.c2c3_facet_gap_mm)
    a, b = m3["body_a"] - 0.25, m3["body_b"] - 0.25  # disc just inside the endplate rim
    soft.disc(asm, "disc_C2C3", a, b, m3["top_z"] - 0.3, st.c2_bottom + 0.3, j.nucleus_fraction)
    cw, wm = m3["canal_half_width"], m3["lateral_mass_width"]
    for s, side in ((1, "L"), (-1, "R")):
        x0, x1 = sorted((s * cw, s * (cw + wm)))
        y0 = m3["pillar_y"] - m3["lateral_mass_depth"] / 2
        y1 = m3["pillar_y"] + m3["lateral_mass_depth"] / 2
        soft.tilted_cartilage(asm, f"facet_C2C3_{side}", (x0, y0, -40), (x1, y1, 80),
                              (s * m3["pillar_x"], m3["pillar_y"], st.c2c3_facet_z),
                              m3["facet_normal"], j.c2c3_facet_gap_mm + 0.6)
    if ligaments:
        y0 = max(m3["lamina_y"][0], m2["lamina_y"][0]) + 0.5
        y1 = min(m3["lamina_y"][1], m2["lamina_y"][1]) - 0.5
        soft.ligament_block(asm, "lig_C2C3", (-6, y0, m3["lamina_z"][1] - 0.5),
                            (6, y1, m2["lamina_z"][0] + 0.5))
    return m3, m2


def load_point(m1) -> tuple[float, float, float]:
    """Where the `load` reference point sits: on the midline, 5 mm above the C1 superior facets
    (about the level of the occipital condyles' centre)."""
    return (0.0, 0.0, m1["top_z"] + 5.0)


@register("cervical_intact")
def cervical_intact(size_mm: float, order: int, scale: float = 1.0, C1: dict | None = None,
                    C2: dict | None = None, C3: dict | None = None, joints: dict | None = None,
                    ligaments: bool = True, mesh: dict | None = None) -> Mesh:
    st = stack(scale, C1, C2, C3, joints)
    opts = _mesh_options(mesh, "mesh.params")

    def geometry(asm: Assembly) -> None:
        m3, m2 = c2c3_motion_segment(asm, st, ligaments)
        z1 = st.c2_facet_top + st.joints.c1c2_joint_mm
        m1 = c1(asm, st.c1, z1, st.dens_front_y)
        d1, d2 = st.c1, st.c2
        for s, side in ((1, "L"), (-1, "R")):
            hx = min(d1.lateral_mass_width_mm, d2.superior_facet_width_mm) / 2
            hy = min(d1.lateral_mass_depth_mm, d2.superior_facet_depth_mm) / 2
            x0, x1 = sorted((s * (d1.facet_offset_x_mm - hx), s * (d1.facet_offset_x_mm + hx)))
            soft.flat_cartilage(asm, f"facet_C1C2_{side}", (x0, -hy, st.c2_facet_top - 0.3),
                                (x1, hy, z1 + 0.3))
        if ligaments:
            y0 = max(m1["posterior_arch_y"][0], m2["lamina_y"][0]) + 0.5
            y1 = min(m1["posterior_arch_y"][1], m2["lamina_y"][1]) - 0.5
            soft.ligament_block(asm, "lig_C1C2", (-6, y0, m2["lamina_z"][1] - 0.5),
                                (6, y1, m1["arch_z"][0] + 0.5))

    return mesh_construct("cervical_intact", geometry, size_mm, order, **opts)


@register("c2_avb")
def c2_avb(size_mm: float, order: int, scale: float = 1.0, C1: dict | None = None,
           C2: dict | None = None, C3: dict | None = None, joints: dict | None = None,
           avb: dict | None = None, posterior: dict | None = None,
           mesh: dict | None = None) -> Mesh:
    """C2 reconstruction: C2 (and the C2-C3 disc) resected; the AVB restores the C1-C3 height of
    the intact stack (`C2`/`joints` only set that height)."""
    st = stack(scale, C1, C2, C3, joints)
    p = P.make(imp.AVBParams, avb, "mesh.params.avb", scale)
    post = P.make(fx.Posterior, posterior, "mesh.params.posterior", scale)
    opts = _mesh_options(mesh, "mesh.params")

    def geometry(asm: Assembly) -> None:
        m3 = c3(asm, st.c3, st.c2c3_facet_z, st.joints.c2c3_facet_gap_mm)
        z1 = st.c2_facet_top + st.joints.c1c2_joint_mm
        m1 = c1(asm, st.c1, z1, st.dens_front_y)
        g = imp.avb(asm, p, m3["top_z"], z1, st.c1.facet_offset_x_mm)
        spec = hw.ScrewSpec(p.screw_diameter_mm, 0.0, 0.0)
        if p.screws_c3:
            ang = np.radians(p.screw_c3_angle_deg)
            d = np.array([0.0, -np.sin(ang), -np.cos(ang)])
            x = p.c3_screw_x()
            z = m3["top_z"] + 0.3 * p.body_height_mm  # low: clear of the graft window
            for s, side in ((1, "L"), (-1, "R")):
                y = fx.ellipse_front_y(g, s * x) if p.footprint_shape == "ellipse" else g["front_y"]
                hw.screw(asm, f"avb_screw_C3_{side}", (s * x, y, z), d, p.screw_c3_length_mm,
                         spec, head=False)
        if p.screws_c1:
            ang = np.radians(p.screw_c1_angle_deg)
            d = np.array([0.0, -np.sin(ang), np.cos(ang)])
            for s, side in ((1, "L"), (-1, "R")):
                entry = (s * (st.c1.facet_offset_x_mm + 2.5), g["pillar_front_y"], z1 - 6.0)
                hw.screw(asm, f"avb_screw_C1_{side}", entry, d, p.screw_c1_length_mm, spec,
                         head=False)
        if post.enabled:
            fx.rods(asm, post, fx.c1_lateral_mass_screws(asm, post, m1),
                    fx.c3_lateral_mass_screws(asm, post, m3))

    return mesh_construct("c2_avb", geometry, size_mm, order, **opts)


@register("aad_cages")
def aad_cages(size_mm: float, order: int, scale: float = 1.0, C1: dict | None = None,
              C2: dict | None = None, C3: dict | None = None, joints: dict | None = None,
              cage: dict | None = None, posterior: dict | None = None, ligaments: bool = True,
              mesh: dict | None = None) -> Mesh:
    """Atlantoaxial fixation: porous cages in both C1-C2 lateral joints (C1 sits on them, tilted
    by their wedge angle), posterior C1 lateral-mass and C2 pedicle screws with rods; C2-C3
    intact."""
    st = stack(scale, C1, C2, C3, joints)
    p = P.make(imp.CageParams, cage, "mesh.params.cage", scale)
    post = P.make(fx.Posterior, posterior, "mesh.params.posterior", scale)
    opts = _mesh_options(mesh, "mesh.params")

    def geometry(asm: Assembly) -> None:
        m3, m2 = c2c3_motion_segment(asm, st, ligaments)
        z0 = st.c2_facet_top
        for s, side in ((1, "L"), (-1, "R")):
            imp.cage(asm, f"cage_{side}", p, s * st.c2.facet_offset_x_mm, z0)
        z1 = z0 + p.height_mm
        with asm.placed(rotate_about=(0.0, 0.0, z1), axis=(1.0, 0.0, 0.0),
                        angle_deg=p.wedge_deg):
            m1 = c1(asm, st.c1, z1, st.dens_front_y)
            s1 = fx.c1_lateral_mass_screws(asm, post, m1) if post.enabled else None
        if post.enabled:
            fx.rods(asm, post, s1, fx.c2_pedicle_screws(asm, post, m2))

    return mesh_construct("aad_cages", geometry, size_mm, order, **opts)
