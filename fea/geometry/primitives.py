"""Simple solids meshed with gmsh (OpenCASCADE): the shapes of the textbook checks.

Each builder returns a `Mesh` whose boundary faces are named by where they lie, e.g. a box has
face sets xmin, xmax, ymin, ymax, zmin, zmax and the cell set `body`.
"""

from __future__ import annotations

import numpy as np

from ..gmsh_session import gmsh_session
from ..mesh import Mesh
from ..mesh_io import mesh_from_gmsh_model
from .budget import check_size, occ_volume


def _mesh_and_collect(gmsh, size: float, order: int, name: str, transfinite: bool = False) -> Mesh:
    gmsh.option.setNumber("Mesh.MeshSizeMax", size)
    gmsh.option.setNumber("Mesh.MeshSizeMin", size * 0.5)
    gmsh.option.setNumber("Mesh.ElementOrder", order)
    gmsh.option.setNumber("Mesh.SecondOrderLinear", 0)
    gmsh.option.setNumber("Mesh.HighOrderOptimize", 0)
    gmsh.option.setNumber("Mesh.RandomSeed", 1)
    gmsh.option.setNumber("General.NumThreads", 1)  # deterministic
    check_size(occ_volume(gmsh), size, f"{name}: mesh")
    gmsh.model.mesh.generate(3)
    return mesh_from_gmsh_model(gmsh, name)


def _name_faces_by_box(gmsh, named: dict[str, tuple], eps: float = 1e-6):
    """named: set name -> bbox (xmin, ymin, zmin, xmax, ymax, zmax) that must contain the face."""
    for name, (x0, y0, z0, x1, y1, z1) in named.items():
        tags = [t for _, t in gmsh.model.getEntitiesInBoundingBox(
            x0 - eps, y0 - eps, z0 - eps, x1 + eps, y1 + eps, z1 + eps, 2)]
        if tags:
            gmsh.model.addPhysicalGroup(2, tags, name=name)


def box(lx: float, ly: float, lz: float, size: float, order: int = 2,
        origin=(0.0, 0.0, 0.0)) -> Mesh:
    x0, y0, z0 = origin
    with gmsh_session() as gmsh:
        gmsh.model.add("box")
        v = gmsh.model.occ.addBox(x0, y0, z0, lx, ly, lz)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [v], name="body")
        x1, y1, z1 = x0 + lx, y0 + ly, z0 + lz
        _name_faces_by_box(gmsh, {
            "xmin": (x0, y0, z0, x0, y1, z1), "xmax": (x1, y0, z0, x1, y1, z1),
            "ymin": (x0, y0, z0, x1, y0, z1), "ymax": (x0, y1, z0, x1, y1, z1),
            "zmin": (x0, y0, z0, x1, y1, z0), "zmax": (x0, y0, z1, x1, y1, z1),
        })
        return _mesh_and_collect(gmsh, size, order, "box")


def cylinder(radius: float, length: float, size: float, order: int = 2) -> Mesh:
    """Solid circular shaft along z from 0 to length; faces `bottom`, `top`, `side`."""
    with gmsh_session() as gmsh:
        gmsh.model.add("cylinder")
        v = gmsh.model.occ.addCylinder(0, 0, 0, 0, 0, length, radius)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [v], name="body")
        r = radius
        _name_faces_by_box(gmsh, {"bottom": (-r, -r, 0, r, r, 0),
                                  "top": (-r, -r, length, r, r, length)})
        side = [t for _, t in gmsh.model.getBoundary([(3, v)], oriented=False)]
        bottom_top = set()
        for _, pt in gmsh.model.getPhysicalGroups(2):
            bottom_top |= set(gmsh.model.getEntitiesForPhysicalGroup(2, pt))
        gmsh.model.addPhysicalGroup(2, [t for t in side if t not in bottom_top], name="side")
        return _mesh_and_collect(gmsh, size, order, "cylinder")


def quarter_tube(a: float, b: float, length: float, size: float, order: int = 2) -> Mesh:
    """Quarter of a thick cylinder (x, y >= 0) along z; faces inner, outer, x0 (plane x=0),
    y0 (plane y=0), zmin, zmax."""
    with gmsh_session() as gmsh:
        gmsh.model.add("tube")
        occ = gmsh.model.occ
        outer = occ.addCylinder(0, 0, 0, 0, 0, length, b, angle=np.pi / 2)
        inner = occ.addCylinder(0, 0, 0, 0, 0, length, a, angle=np.pi / 2)
        out, _ = occ.cut([(3, outer)], [(3, inner)])
        occ.synchronize()
        vol = out[0][1]
        gmsh.model.addPhysicalGroup(3, [vol], name="body")
        faces = [t for _, t in gmsh.model.getBoundary([(3, vol)], oriented=False)]
        groups: dict[str, list[int]] = {k: [] for k in
                                        ("inner", "outer", "x0", "y0", "zmin", "zmax")}
        for t in faces:
            cx, cy, cz = occ.getCenterOfMass(2, t)
            if abs(cz) < 1e-9:
                groups["zmin"].append(t)
            elif abs(cz - length) < 1e-9:
                groups["zmax"].append(t)
            elif abs(cx) < 1e-9:
                groups["x0"].append(t)
            elif abs(cy) < 1e-9:
                groups["y0"].append(t)
            elif np.hypot(cx, cy) < 0.5 * (a + b):
                groups["inner"].append(t)
            else:
                groups["outer"].append(t)
        for k, v in groups.items():
            gmsh.model.addPhysicalGroup(2, v, name=k)
        return _mesh_and_collect(gmsh, size, order, "quarter_tube")
