"""The occiput-C3 column (`[mesh] builder = "occiput_c3"`): where each bone sits, its joints,
the C2-C3 disc, capsules and the named attachment sites.

Frame: +x patient left, +y anterior, +z cranial, origin at the centre of C3's inferior endplate.
Heights stack upward: C3 body, the disc, C2 body and dens; the lateral atlantoaxial joints on the
C2 superior facets; the C1 lateral masses; the C0-C1 joints; the foramen magnum one condyle
height above them. Regions `<bone>_cortical` / `<bone>_cancellous` (bodies C0-C3; with
`[mesh.params] mesh = {cortex = "membrane"}` each bone is one solid `<bone>_cancellous` and
`<bone>_cortical` is the face set of its boundary, for the membranes of the model file), cartilage
`facet_C0C1_L/R`, `facet_C1C2_L/R`, `facet_C1C2_M` (dens on the anterior arch), `facet_C2C3_L/R`,
disc `disc_C2C3_annulus/nucleus`; the capsules are capsular ligaments between the face sets
`capsule_<joint>_<bone>_<side>` (fea/ligaments/library.toml).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ...mesh import Mesh
from .. import occ as o
from .. import params as P
from .. import soft_tissue as soft
from ..assembly import Assembly
from ..meshing import mesh_construct
from ..registry import register
from . import atlas, axis, joints, occiput, subaxial
from . import shapes as s
from .joints import Footprint
from .morphometry import C0Dims, C1Dims, C2Dims, C3Dims, JointDims

PRI_CORTICAL, PRI_CANCELLOUS = 20, 21
BONES = ("C0", "C1", "C2", "C3")
SIDES = ((1, "L"), (-1, "R"))


@dataclass
class Anatomy:
    c0: C0Dims
    c1: C1Dims
    c2: C2Dims
    c3: C3Dims
    j: JointDims


def anatomy(scale: float = 1.0, C0=None, C1=None, C2=None, C3=None, joints=None,
            where: str = "mesh.params") -> Anatomy:
    return Anatomy(P.make(C0Dims, C0, f"{where}.C0", scale), P.make(C1Dims, C1, f"{where}.C1", scale),
                   P.make(C2Dims, C2, f"{where}.C2", scale), P.make(C3Dims, C3, f"{where}.C3", scale),
                   P.make(JointDims, joints, f"{where}.joints", scale))


def layout(an: Anatomy) -> dict:
    """Every landmark the bones, joints, sites and tests use (global frame, mm)."""
    d0, d1, d2, d3, j = an.c0, an.c1, an.c2, an.c3, an.j
    L3 = subaxial.layout(d3, d3.body_height_mm + 0.5 * j.disc_height_mm)
    z2b = d3.body_height_mm + j.disc_height_mm
    z2t = z2b + d2.body_height_mm
    dens_y = 0.5  # dens axis slightly anterior of the body centre (approx.)
    mass_y = dens_y - 2.0  # lateral masses centred a little behind the dens axis (approx.)
    mass_x = d1.canal_width_mm / 2 + 5.0
    al = np.radians(d2.superior_facet_slope_deg)
    th = np.radians(d0.joint_tilt_deg)
    J = {}
    for sg, side in SIDES:
        p12 = np.array([sg * mass_x, mass_y, z2t + 0.5])
        n12 = np.array([sg * np.sin(al), 0.0, np.cos(al)])
        z_inf = p12[2] + j.c1c2_cartilage_mm / np.cos(al)
        q = np.array([sg * mass_x, mass_y, z_inf + d1.lateral_mass_height_mm])
        n01 = np.array([-sg * np.sin(th), 0.0, np.cos(th)])
        J[side] = {"p12": p12, "n12": n12, "z_c1_inf": z_inf, "q01": q, "n01": n01,
                   "p01": q + j.c0c1_cartilage_mm * n01,
                   "p23": np.array([sg * L3["pillar_x"], L3["pillar_y"], L3["facet_z"]])}
    z_inf, z_sup = J["L"]["z_c1_inf"], J["L"]["q01"][2]
    dens_front = dens_y + d2.dens_depth_mm / 2
    L1 = atlas.layout(d1, z_inf, z_sup, dens_front, j.median_cartilage_mm, mass_y)
    L1["dens_y"] = dens_y  # the transverse ligament's tubercles are level with the dens axis
    zf0 = L1["arch_z"] - d1.dens_facet_height_mm / 2
    zf1 = L1["arch_z"] + d1.dens_facet_height_mm / 2
    apex = z2t + d2.dens_height_mm
    L2 = {"bottom_z": z2b, "top_z": z2t, "dens_y": dens_y, "apex_z": apex,
          "facet_z": (zf0, zf1), "cap": max(apex - zf1, 1.5), "facet_x": mass_x,
          "facet_y": mass_y, "facet_center_z": z2t + 0.5,
          "pars_x": d2.canal_width_mm / 2 + d2.pedicle_width_mm / 2,
          "iap": J["L"]["p23"] + j.c2c3_cartilage_mm * L3["n"],
          "lamina_y": -d2.body_depth_mm / 2 - d2.canal_ap_mm - d2.lamina_thickness_mm / 2,
          "lamina_z": L3["facet_z"] + 8.0, "canal_z": L3["facet_z"] + 8.0}
    if L2["cap"] > apex - zf1 + 1e-9:  # the facet reaches the apex: shorten the facet zone
        L2["facet_z"] = (zf0, apex - 1.5)
    p01 = J["L"]["p01"]
    z_fm = p01[2] + d0.condyle_height_mm
    L0 = occiput.layout(d0, z_fm, mass_y + d0.basion_to_condyle_y_mm)
    L0.update(cond_x=abs(p01[0]), cond_y=p01[1], cond_z=p01[2])
    return {"C0": L0, "C1": L1, "C2": L2, "C3": L3, "joints": J}


def geometry(an: Anatomy, L: dict, omit: frozenset = frozenset(), extra=None,
             cortex: str = "solid"):
    """cortex: "solid", each bone a resolved cortical shell around its cancellous core; or
    "membrane", each bone one solid (`<bone>_cancellous`) whose cortex the model carries as
    membranes on the face set `<bone>_cortical` (`cortical_faces`).
    omit: "C2" (resected: its joints' cartilage, the disc and its sites go with it; C1 and C3
    keep their articular surfaces) and/or lateral joints' cartilage `facet_C1C2_L/R` (an implant
    takes the joint space). extra(asm, L): a construct's implants and hardware (meshed on
    their own and embedded, no holes in the bones)."""
    d0, d1, d2, d3, j = an.c0, an.c1, an.c2, an.c3, an.j
    no_c2 = "C2" in omit

    def build(asm: Assembly) -> None:
        L0, L1, L2, L3, J = L["C0"], L["C1"], L["C2"], L["C3"], L["joints"]
        # no screws here: the pieces the cartilage cuts from a bone stay separate volumes of its
        # region (conforming faces) instead of fuses and a second fragment
        asm.merge_regions = False
        b3 = subaxial.build(asm, d3, L3)
        b2 = axis.build(asm, d2, L2)
        b1 = atlas.build(asm, d1, d2, L1, L2, j.median_cartilage_mm)
        b0 = occiput.build(asm, d0, L0)
        reach = j.capsule_reach_mm
        beta = np.radians(d0.condyle_convergence_deg)
        for sg, side in SIDES:
            J_ = J[side]
            joints.planar(asm, f"facet_C2C3_{side}", b3, b2, J_["p23"], L3["n"],
                          j.c2c3_cartilage_mm, Footprint(d3.facet_width_mm / 2, L3["facet_b"]),
                          3.0, 9.0, None if no_c2 else reach, cartilage=not no_c2)
            fw = min(d2.superior_facet_width_mm, d1.inferior_facet_width_mm) / 2
            fl = min(d2.superior_facet_length_mm, d1.inferior_facet_length_mm) / 2
            kept = not no_c2 and f"facet_C1C2_{side}" not in omit
            # C1's process reaches 3.5 mm into its lateral mass's loft (which rises with a
            # distracted joint, e.g. cages)
            up = max(5.0, J_["z_c1_inf"] - J_["p12"][2] + 3.5)
            joints.planar(asm, f"facet_C1C2_{side}", b2, b1, J_["p12"], J_["n12"],
                          j.c1c2_cartilage_mm, Footprint(fw, fl), 5.0, up,
                          reach if kept else None, cartilage=kept, sag=j.c1c2_cartilage_sag_mm)
            joints.spherical(asm, f"facet_C0C1_{side}", b1, b0, J_["p01"], J_["n01"],
                             d0.condyle_radius_mm, j.c0c1_cartilage_mm,
                             Footprint(d0.condyle_width_mm / 2, d0.condyle_length_mm / 2,
                                       (np.cos(beta), sg * np.sin(beta), 0.0)),
                             6.0, d0.condyle_height_mm + 4.0, reach)
        # the disc's space between the C2 and C3 endplates: neither body reaches into it (C2's
        # anterior lip, C3's uncinate processes stay beside the disc)
        da, db = d3.body_width_mm / 2 - 0.3, d3.body_depth_mm / 2 - 0.3
        z_lo, z_hi = L3["h"], L2["bottom_z"]
        for bone in (b2, b3):
            bone.cuts.append(lambda i: o.elliptic_cylinder((0, 0), da, db, z_lo, z_hi, i))
        bones = [(b0, d0.cortical_mm), (b1, d1.cortical_mm), (b2, d2.cortical_mm),
                 (b3, d3.cortical_mm)]
        if extra is not None:
            extra(asm, L)
        for b, t in [bt for bt in bones if bt[0].name not in omit]:
            if cortex == "membrane":  # no inner surface: its wall no longer sizes the mesh
                whole = b.solid(0.0)
                asm.add(b.name, f"{b.name}_cancellous", whole, PRI_CANCELLOUS, "bone",
                        touches=(b.name,) if len(whole) > 1 else ())
                continue
            shell, core = b.hollow(t)
            asm.add(b.name, f"{b.name}_cortical", shell, PRI_CORTICAL, "bone", thickness=t)
            if core is None:  # the core fills the shell's cavity after the fragment
                asm.fill(b.name, f"{b.name}_cancellous", f"{b.name}_cortical", PRI_CANCELLOUS,
                         "bone")
            else:  # a bone in pieces: the fragment of outer and core solids makes the shell
                asm.add(b.name, f"{b.name}_cancellous", core, PRI_CANCELLOUS, "bone",
                        touches=(b.name,))
        if no_c2:  # en bloc resection: C1 and C3 with their sites; the construct adds the rest
            subaxial.features_and_sites(asm, L3)
            atlas.features_and_sites(asm, d1, L1)
            occiput.features_and_sites(asm, d0, L0)
            return
        # median atlantoaxial joint: the cartilage between the dens and the arch's facet (the
        # dens grown by the joint space, less the dens: it must not reach into the dens's core)
        fw = d1.dens_facet_width_mm / 2
        zf0, zf1 = L2["facet_z"]
        box = o.box((-fw, L2["dens_y"], zf0), (fw, L1["facet_y"] + 2.0, zf1))
        layer = o.subtract(axis.dens(d2, L2, j.median_cartilage_mm, 0.0),
                           axis.dens(d2, L2, 0.0, 0.0))
        asm.add("facet_C1C2_M", "facet_C1C2_M", s.intersect(layer, box), joints.PRI_CARTILAGE,
                "soft_tissue", touches=("C1", "C2"))
        # the disc fills the space between the endplates exactly (a disc reaching into the
        # endplates split the 0.5 mm shells into slivers)
        soft.disc(asm, "disc_C2C3", da, db, z_lo, z_hi, j.nucleus_fraction,
                  between=("C2", "C3"))
        subaxial.features_and_sites(asm, L3)
        axis.features_and_sites(asm, d2, L2)
        atlas.features_and_sites(asm, d1, L1)
        occiput.features_and_sites(asm, d0, L0)

    return build


CORTEX = ("solid", "membrane")
# elements per 2 pi of curvature of each cortex mode when not given: the resolved shell sizes its
# curved faces by the wall rule instead (meshing.py); one solid per bone at 8 meets the issue's
# budget (bench/README.md, "Budget options measured")
CURVATURE_POINTS = {"solid": 0, "membrane": 8}


@dataclass
class MeshOptions:
    cortex: str = "solid"  # "membrane": one solid per bone, the cortex a face set (see geometry)
    interface_factor: float = 1.0
    hardware_size: float = 2.5
    # gmsh's tet optimiser removes the near-flat slivers that no straightening can save (6 at 5 mm
    # TET10 without it); Netgen's optimiser segfaulted on the C2 geometry (gmsh 4.15.2)
    optimize: bool = True
    netgen: bool = False
    # Frontal-Delaunay surfaces: 14 CPU-s to the 3D step at 6 mm where MeshAdapt took 25 s
    algorithm: int = 6
    # elements per 2 pi of curvature; 0: off (the thin-wall fields only); -1: CURVATURE_POINTS
    curvature_points: int = -1
    wall_chord: float = 0.25  # chord error / cortical thickness on curved shell faces (meshing.py)

    def check(self) -> str:
        if self.cortex not in CORTEX:
            return f"cortex: '{self.cortex}' is not one of {', '.join(CORTEX)}"
        return ""


def cortical_faces(mesh: Mesh) -> Mesh:
    """The face set `<bone>_cortical` of every bone meshed as one solid: the faces of its elements
    that no other of its elements shares (against the outside, cartilage, the disc or an implant:
    a subchondral plate or an endplate is cortex too)."""
    from ..keepout import boundary_faces

    for bone in BONES:
        if f"{bone}_cancellous" in mesh.cell_sets and f"{bone}_cortical" not in mesh.cell_sets:
            mesh.face_sets[f"{bone}_cortical"] = boundary_faces(mesh, mesh.elements(bone))[0]
    return mesh


def mesh_column(name: str, an: Anatomy, L: dict, mesh: dict | None, size_mm: float, order: int,
                omit=frozenset(), extra=None) -> Mesh:
    """Mesh the column (with a construct's `extra` parts) under `[mesh.params] mesh` options."""
    opts = asdict(P.make(MeshOptions, mesh, "mesh.params.mesh"))
    cortex = opts.pop("cortex")
    if opts["curvature_points"] < 0:
        opts["curvature_points"] = CURVATURE_POINTS[cortex]
    m = mesh_construct(name, geometry(an, L, frozenset(omit), extra, cortex), size_mm, order,
                       **opts)
    return cortical_faces(m) if cortex == "membrane" else m


@register("occiput_c3")
def occiput_c3(size_mm: float, order: int, scale: float = 1.0, C0: dict | None = None,
               C1: dict | None = None, C2: dict | None = None, C3: dict | None = None,
               joints: dict | None = None, mesh: dict | None = None) -> Mesh:
    an = anatomy(scale, C0, C1, C2, C3, joints)
    return mesh_column("occiput_c3", an, layout(an), mesh, size_mm, order)
