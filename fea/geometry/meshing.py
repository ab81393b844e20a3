"""Meshing an assembled construct: size fields, deterministic options, curved TET10 kept valid, and
the named sets that the interface solver and the model files use.

Sizes: `size` in bone and soft tissue, `hardware_size` in and on screws and rods,
`interface_factor * size` within about one element of every surface where an implant or hardware
touches something, and on the curved faces of thin walls (0.5 mm cortical shells, implant walls)
a size whose chord error h^2 / (8 R) stays inside the wall: sqrt(8 R t f) for curvature radius R,
thickness t and a fraction f of the wall (`wall_chord`, 0.25 by default: sqrt(2 R t); else the
outer and inner surface meshes of the wall cross). Same parameters -> same
mesh: one thread, a fixed random seed, entities visited in tag order.
"""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np

from ..errors import MeshError
from ..mesh import Mesh, jacobian_ratio
from ..mesh_io import mesh_from_gmsh_model
from .assembly import Assembly
from .budget import check_size, occ_volume
from .hardware import name_heads
from .keepout import boundary_faces, count_of_rows, face_geometry, name_keepouts

log = logging.getLogger(__name__)
RETRY_FACTORS = (1.0, 0.85, 0.7)  # of the requested size, tried in turn if gmsh fails


def mesh_construct(name: str, geometry: Callable[[Assembly], None], size: float, order: int,
                   interface_factor: float = 0.6, hardware_size: float = 2.0,
                   optimize: bool = True, algorithm: int = 1, curvature_points: int = 0,
                   netgen: bool | None = None, wall_chord: float = 0.25) -> Mesh:
    """Build the geometry (`geometry(asm)` adds the parts), fragment it and mesh it.

    A surface mesh can cross itself where two surfaces nearly touch (a screw through a 0.5 mm
    shell); a slightly finer mesh usually resolves it, so a failed attempt is retried from a fresh
    geometry at RETRY_FACTORS of the size (meshing the same model again after a failed 3D step
    leaves its volumes empty, gmsh 4.15). Same inputs, same ladder: still deterministic.
    """
    from ..gmsh_session import gmsh_session

    errors = []
    for factor in RETRY_FACTORS:
        h = size * factor
        with gmsh_session() as gmsh:
            # options that change the geometry are set every time (gmsh keeps options between
            # models): unifying faces after a union (gmsh's default) makes faces with seams that
            # the 1D mesher cannot close
            gmsh.option.setNumber("Geometry.OCCUnionUnify", 0)
            gmsh.model.add(name)
            asm = Assembly(name)
            geometry(asm)
            asm.build()
            try:
                mesh = mesh_assembly(gmsh, asm, h, order, interface_factor,
                                     min(hardware_size, h), optimize, algorithm, curvature_points,
                                     netgen, wall_chord)
            except MeshError as exc:
                errors.append(f"size {h:.2f} mm: {exc}")
                continue
        if errors:
            mesh.source = f"{name} (meshed at {h:.2f} mm; {errors[0]})"
            log.warning("%s", mesh.source)
        return mesh
    raise MeshError(f"{name}: gmsh could not mesh the construct; tried " + "; ".join(errors))


def mesh_assembly(gmsh, asm: Assembly, size: float, order: int, interface_factor: float = 0.6,
                  hardware_size: float = 2.0, optimize: bool = True, algorithm: int = 1,
                  curvature_points: int = 0, netgen: bool | None = None,
                  wall_chord: float = 0.25) -> Mesh:
    """Mesh the current (built) gmsh model of an Assembly at one size.

    algorithm: gmsh's 2D algorithm (1 MeshAdapt, 5 Delaunay, 6 Frontal-Delaunay).
    curvature_points: elements per 2 pi of curvature (gmsh's MeshSizeFromCurvature; 0 = off).
    netgen: also run Netgen's optimiser after gmsh's (None: as `optimize`).
    wall_chord: on a thin wall's curved faces the chord error h^2 / (8 R) is this fraction of t.
    """
    opt = gmsh.option.setNumber
    opt("General.NumThreads", 1)  # deterministic: the parallel mesher is not
    opt("Mesh.RandomSeed", 1)
    opt("Mesh.MeshSizeMax", size)
    opt("Mesh.MeshSizeMin", min(0.3 * size, hardware_size))
    opt("Mesh.MeshSizeFromPoints", 0)
    opt("Mesh.MeshSizeFromCurvature", curvature_points)  # else thin walls get their own fields
    opt("Mesh.MeshSizeExtendFromBoundary", 1)
    opt("Mesh.Algorithm", algorithm)  # MeshAdapt (default): the most robust on box thin walls
    opt("Mesh.Algorithm3D", 1)  # Delaunay volumes
    opt("Mesh.ElementOrder", order)
    opt("Mesh.SecondOrderLinear", 0)  # mid-edge nodes on the true (curved) geometry
    opt("Mesh.HighOrderOptimize", 0)  # too slow here; see straighten_inverted()
    opt("Mesh.Optimize", 1 if optimize else 0)
    opt("Mesh.OptimizeNetgen", 1 if (optimize if netgen is None else netgen) else 0)
    check_size(occ_volume(gmsh), size, f"{asm.name}: mesh")  # before gmsh meshes
    _size_fields(gmsh, asm, size, interface_factor, hardware_size, wall_chord)
    try:
        gmsh.model.mesh.generate(3)
    except Exception as exc:  # gmsh raises a bare Exception carrying its log line
        raise MeshError(f"{asm.name}: gmsh could not mesh the construct at size {size:.2f} mm: "
                        f"{exc}") from None
    _check_all_meshed(gmsh, asm, size)
    mesh = mesh_from_gmsh_model(gmsh, asm.name)
    if mesh.nodes_per_cell == 10:
        straighten_inverted(mesh)
    return name_heads(name_keepouts(name_sites(name_sides(mesh, asm), asm), asm), asm)


def _check_all_meshed(gmsh, asm: Assembly, size: float) -> None:
    """gmsh can leave a volume empty with only a warning (a sliver or a tangency it could not
    recover); a missing piece of a body must be an error, not a hole in the model."""
    empty = []
    for t, (body, region) in asm.volumes.items():
        _, tags, _ = gmsh.model.mesh.getElements(3, t)
        if not sum(len(x) for x in tags):
            empty.append(f"volume {t} of region '{region}'")
    if empty:
        more = f" and {len(empty) - 4} more" if len(empty) > 4 else ""
        raise MeshError(f"{asm.name}: gmsh left {', '.join(empty[:4])}{more} without elements "
                        f"at size {size:.2f} mm (a sliver or tangent contact in the geometry); "
                        "change the size or the parameters that place that part")


def _size_fields(gmsh, asm: Assembly, size: float, factor: float, hw_size: float,
                 wall_chord: float = 0.25) -> None:
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
    for h, surfs in sorted(_thin_wall_sizes(gmsh, asm, size, wall_chord).items()):
        c = f.add("Constant")
        f.setNumbers(c, "SurfacesList", surfs)
        f.setNumber(c, "VIn", h)
        f.setNumber(c, "VOut", size)
        fields.append(c)
    if fields:
        m = f.add("Min")
        f.setNumbers(m, "FieldsList", fields)
        f.setAsBackgroundMesh(m)


def _thin_wall_sizes(gmsh, asm: Assembly, size: float,
                     wall_chord: float = 0.25) -> dict[float, list[int]]:
    """{size: curved surfaces} for the curved faces bounding thin-walled regions."""
    out: dict[float, list[int]] = {}
    seen = set()
    for t, (_, region) in sorted(asm.volumes.items()):
        thick = asm.thin.get(region)
        if not thick:
            continue
        for _, s in gmsh.model.getBoundary([(3, t)], oriented=False, combined=False):
            s = abs(int(s))
            if s in seen or gmsh.model.getType(2, s) == "Plane":
                continue
            seen.add(s)
            k = _max_curvature(gmsh, s)
            if k <= 0:
                continue
            h = min(size, float(np.sqrt(8.0 * wall_chord * thick / k)))
            out.setdefault(round(h, 2), []).append(s)
    return out


def _max_curvature(gmsh, s: int) -> float:
    """Largest principal curvature (1/mm) sampled over a surface's parameter range."""
    lo, hi = gmsh.model.getParametrizationBounds(2, s)
    u = np.linspace(lo[0], hi[0], 5)
    v = np.linspace(lo[1], hi[1], 5)
    uv = np.array([(a, b) for a in u for b in v]).ravel()
    kmax, kmin, *_ = gmsh.model.getPrincipalCurvatures(s, uv)
    k = np.abs(np.concatenate([np.asarray(kmax), np.asarray(kmin)]))
    k = k[np.isfinite(k)]
    return float(k.max()) if len(k) else 0.0


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
    """Features keep only the faces on their own body; every interface `X|Y` must have faces on
    both sides (the model files pick a side as `X|Y@X`, the SURFACE@SELECTOR syntax of
    fea.config, which filters the set by the cell set or body after the `@`)."""
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
            if not cells_of(side)[fs[:, 0]].any():
                raise MeshError(f"{asm.name}: interface '{name}' has no faces on side '{side}'")
    mesh.face_sets = face_sets
    return mesh


def _body_surface(mesh: Mesh, body: str):
    """(faces, corner triples sorted, centres, outward unit normals) of a body's outer surface:
    the faces of its elements that no other element of the body shares."""
    faces, key = boundary_faces(mesh, mesh.elements(body))
    _, c, nrm = face_geometry(mesh, faces)
    return faces, key, c, nrm


def _shared_with(mesh: Mesh, asm: Assembly, st, other: str, surf: dict) -> np.ndarray:
    """Which faces of st.body's outer surface it shares with body `other`, or (`other` a face
    set, e.g. a feature: an articular surface no body touches) lie in that face set."""
    if other not in mesh.cell_sets and other in mesh.face_sets:
        corners = np.sort(mesh.face_connectivity(mesh.face_sets[other], corners_only=True), 1)
        key = surf[st.body][1]
        return count_of_rows(np.concatenate([key, corners]), mesh.n_nodes)[:len(key)] > 1
    if other not in mesh.cell_sets:
        raise MeshError(f"{asm.name}: site '{st.name}' refers to '{other}', which is not in the "
                        "mesh")
    if other not in surf:
        surf[other] = _body_surface(mesh, other)
    key = surf[st.body][1]
    both = np.concatenate([key, surf[other][1]])
    return count_of_rows(both, mesh.n_nodes)[:len(key)] > 1


def name_sites(mesh: Mesh, asm: Assembly) -> Mesh:
    """Attachment sites (Assembly.site) as face sets on their bone's outer (cortical) surface."""
    if not asm.sites:
        return mesh
    surf = {}
    for st in asm.sites:
        if st.body not in surf:
            surf[st.body] = _body_surface(mesh, st.body)
        faces, key, c, nrm = surf[st.body]
        if st.touching:
            sel = _shared_with(mesh, asm, st, st.touching, surf)
        else:
            sel = np.linalg.norm(c - st.point, axis=1) < st.radius
            if st.facing is not None:
                sel &= nrm @ st.facing > st.min_cos
            if st.apart_from:
                sel &= ~_shared_with(mesh, asm, st, st.apart_from, surf)
        cortical = f"{st.body}_cortical"
        if cortical in mesh.cell_sets:
            mark = np.zeros(mesh.n_cells, bool)
            mark[mesh.elements(cortical)] = True
            sel &= mark[faces[:, 0]]
        if not sel.any():
            raise MeshError(f"{asm.name}: attachment site '{st.name}' found no face of {st.body}'s "
                            f"outer surface within {st.radius} mm of {np.round(st.point, 1)}")
        mesh.face_sets[st.name] = faces[sel]
    return mesh
