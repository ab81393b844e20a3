"""Meshing an assembled construct: size fields, deterministic options, curved TET10 kept valid, and
the named sets that the interface solver and the model files use.

Sizes: `size` in bone and soft tissue, `hardware_size` inside screws and rods (about three
elements across a 3.5 mm shaft), and `interface_factor * size` within about one element of every
surface where an implant or hardware touches something. Same parameters -> same mesh: one thread,
a fixed random seed, entities visited in tag order.
"""

from __future__ import annotations

import numpy as np

from ..errors import MeshError
from ..mesh import Mesh, jacobian_ratio
from ..mesh_io import mesh_from_gmsh_model
from .assembly import Assembly


def mesh_assembly(gmsh, asm: Assembly, size: float, order: int, interface_factor: float = 0.6,
                  hardware_size: float = 1.2, curvature_points: int = 12,
                  optimize: bool = True) -> Mesh:
    opt = gmsh.option.setNumber
    opt("General.NumThreads", 1)  # deterministic: the parallel mesher is not
    opt("Mesh.RandomSeed", 1)
    opt("Mesh.MeshSizeMax", size)
    opt("Mesh.MeshSizeMin", min(0.3 * size, hardware_size))
    opt("Mesh.MeshSizeFromPoints", 0)
    opt("Mesh.MeshSizeFromCurvature", curvature_points)
    opt("Mesh.MeshSizeExtendFromBoundary", 1)
    opt("Mesh.Algorithm", 6)  # frontal-Delaunay surfaces
    opt("Mesh.Algorithm3D", 1)  # Delaunay volumes
    opt("Mesh.ElementOrder", order)
    opt("Mesh.SecondOrderLinear", 0)  # mid-edge nodes on the true (curved) geometry
    opt("Mesh.HighOrderOptimize", 0)  # too slow here; see straighten_inverted()
    opt("Mesh.Optimize", 1 if optimize else 0)
    opt("Mesh.OptimizeNetgen", 1 if optimize else 0)
    _size_fields(gmsh, asm, size, interface_factor, hardware_size)
    try:
        gmsh.model.mesh.generate(3)
    except Exception as exc:  # gmsh raises a bare Exception carrying its log line
        raise MeshError(f"{asm.name}: gmsh could not mesh the construct at size {size} mm: "
                        f"{exc}") from None
    _check_all_meshed(gmsh, asm, size)
    mesh = mesh_from_gmsh_model(gmsh, asm.name)
    if mesh.nodes_per_cell == 10:
        straighten_inverted(mesh)
    return name_sides(mesh, asm)


def _check_all_meshed(gmsh, asm: Assembly, size: float) -> None:
    """gmsh can leave a volume empty with only a warning (a sliver or a tangency it could not
    recover); a missing piece of a body must be an error, not a hole in the model."""
    empty = []
    for t, (body, region) in asm.volumes.items():
        _, tags, _ = gmsh.model.mesh.getElements(3, t)
        if not sum(len(x) for x in tags):
            empty.append(f"volume {t} of region '{region}'")
    if empty:
        raise MeshError(f"{asm.name}: gmsh left {', '.join(empty)} without elements at size "
                        f"{size} mm (a sliver or tangent contact in the geometry); change the "
                        "size or the parameters that place that part")


def _size_fields(gmsh, asm: Assembly, size: float, factor: float, hw_size: float) -> None:
    f = gmsh.model.mesh.field
    fields = []
    fine = sorted({s for name, tags in asm.interfaces.items() if _involves_implant(asm, name)
                   for s in tags})
    if fine and factor < 1.0:
        d = f.add("Distance")
        f.setNumbers(d, "SurfacesList", fine)
        f.setNumber(d, "Sampling", 12)
        th = f.add("Threshold")
        f.setNumber(th, "InField", d)
        f.setNumber(th, "SizeMin", factor * size)
        f.setNumber(th, "SizeMax", size)
        f.setNumber(th, "DistMin", 0.5 * size)
        f.setNumber(th, "DistMax", 2.0 * size)
        fields.append(th)
    hw = sorted(t for t, (body, _) in asm.volumes.items() if asm.roles[body] == "hardware")
    if hw and hw_size < size:
        c = f.add("Constant")
        f.setNumbers(c, "VolumesList", hw)
        f.setNumber(c, "VIn", hw_size)
        f.setNumber(c, "VOut", size)
        f.setNumber(c, "IncludeBoundary", 1)
        fields.append(c)
    if fields:
        m = f.add("Min")
        f.setNumbers(m, "FieldsList", fields)
        f.setAsBackgroundMesh(m)


def _involves_implant(asm: Assembly, name: str) -> bool:
    parts = name.split("|")
    return len(parts) == 2 and any(asm.roles.get(b) in ("implant", "hardware") for b in parts)


def straighten_inverted(mesh: Mesh, min_ratio: float = 0.05, passes: int = 6) -> int:
    """Move mid-edge nodes of badly curved TET10 back onto the straight edge.

    gmsh puts mid-edge nodes on the curved geometry; in a thin cortical shell that can fold an
    element (negative Jacobian). Straightening its six edges makes it a valid straight tet again
    (a neighbour sharing an edge becomes straight on that edge too, which is always valid for a
    valid corner tet). Returns the number of elements straightened.
    """
    from ..elements import TET10_EDGES

    total = 0
    for _ in range(passes):
        bad = np.flatnonzero(jacobian_ratio(mesh.nodes, mesh.cells) < min_ratio)
        if not len(bad):
            return total
        total += len(bad)
        c = mesh.cells[bad]
        mids = c[:, 4:].ravel()
        ends = c[:, TET10_EDGES].reshape(-1, 2)
        mesh.nodes[mids] = 0.5 * (mesh.nodes[ends[:, 0]] + mesh.nodes[ends[:, 1]])
    bad = np.flatnonzero(jacobian_ratio(mesh.nodes, mesh.cells) < min_ratio)
    if len(bad):
        raise MeshError(f"{mesh.source}: {len(bad)} TET10 element(s) stay distorted after "
                        f"straightening (e.g. id {mesh.cell_ids[bad[0]]}); try a smaller size_mm")
    return total


def name_sides(mesh: Mesh, asm: Assembly) -> Mesh:
    """Features keep the faces on their own body; interfaces get one-sided `X|Y@X`, `X|Y@Y`."""
    face_sets = dict(mesh.face_sets)
    marks: dict[str, np.ndarray] = {}

    def cells_of(name):
        if name not in marks:
            mark = np.zeros(mesh.n_cells, bool)
            mark[mesh.elements(name)] = True
            marks[name] = mark
        return marks[name]

    for f in {f.name: f for f in asm.features}.values():
        fs = face_sets[f.name]
        face_sets[f.name] = fs[cells_of(f.body)[fs[:, 0]]]
    for name in asm.interfaces:
        fs = face_sets[name]
        for side in name.split("|"):
            one = fs[cells_of(side)[fs[:, 0]]]
            if not len(one):
                raise MeshError(f"{asm.name}: interface '{name}' has no faces on side '{side}'")
            face_sets[f"{name}@{side}"] = one
    mesh.face_sets = face_sets
    return mesh
