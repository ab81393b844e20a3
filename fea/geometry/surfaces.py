"""Patient geometry: bodies from closed STL surfaces (segmented bones, exported implants) or STEP
(implant CAD), volume-meshed with gmsh and named for the model file.

    [mesh]
    builder = "surfaces"
    params.bodies = { C1 = "C1.stl", AVB = "avb.step", C3 = "C3.stl" }   # name -> file
    params.named_surfaces.C3_inferior_endplate = { body = "C3", box_mm = [...], normal = [0,0,-1] }

Cell sets: one per body (its name). Face sets: `<body>_surface` (its whole boundary), every
`named_surfaces` entry (boundary faces of that body with the centre in the box and the outward
normal within 30 deg of `normal`), and for bodies that touch, `A|B@A` / `A|B@B` (faces of each
side within `contact_tolerance_mm` of the other, facing it) and `A|B` (both). STEP bodies are
fragmented together, so their interfaces are conforming; STL bodies are meshed one by one, so
theirs are not (the interface solver pairs them by projection). Paths are relative to the model
file. Units: mm.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from ..errors import ConfigError, MeshError
from ..gmsh_session import gmsh_session
from ..mesh import Mesh
from ..mesh_io import mesh_from_gmsh_model
from .budget import check_size, closed_surface_volume, occ_volume
from .meshing import straighten_inverted
from .registry import register
from .stl import check_watertight, read_stl

STEP_SUFFIXES = (".step", ".stp")
log = logging.getLogger(__name__)


def _resolve(bodies: dict, model_dir: str, key: str = "bodies") -> dict[str, Path]:
    """name -> surface file (`key`: the params key, for messages; the `ct` builder's implants)."""
    if not isinstance(bodies, dict) or not bodies:
        raise ConfigError(f"mesh.params.{key}: give a table of body name -> surface file")
    out = {}
    for name, f in bodies.items():
        if not isinstance(f, str):
            raise ConfigError(f"mesh.params.{key}.{name}: expected a file name, got {f!r}")
        p = (Path(model_dir) / f).resolve()
        if not p.exists():
            raise ConfigError(f"mesh.params.{key}.{name}: file '{f}' not found (looked at {p})")
        if p.suffix.lower() not in (".stl", *STEP_SUFFIXES):
            raise ConfigError(f"mesh.params.{key}.{name}: '{f}' is neither .stl nor .step/.stp")
        out[name] = p
    return out


def mesh_files(files: dict[str, Path], size_mm: float, order: int, remesh: bool = True,
               angle_deg: float = 40.0) -> list[Mesh]:
    """One mesh per STL body, one for all STEP bodies together (fragmented: conforming)."""
    meshes = [_mesh_stl(n, p, size_mm, order, remesh, angle_deg)
              for n, p in files.items() if p.suffix.lower() == ".stl"]
    step = {n: p for n, p in files.items() if p.suffix.lower() in STEP_SUFFIXES}
    if step:
        meshes.append(_mesh_step(step, size_mm, order))
    return meshes


def _options(gmsh, size: float, order: int) -> None:
    opt = gmsh.option.setNumber
    opt("General.NumThreads", 1)
    opt("Mesh.RandomSeed", 1)
    opt("Mesh.MeshSizeMax", size)
    opt("Mesh.MeshSizeMin", 0.3 * size)
    opt("Mesh.ElementOrder", order)
    opt("Mesh.SecondOrderLinear", 0)
    opt("Mesh.Optimize", 1)


def _mesh_stl(name: str, path: Path, size: float, order: int, remesh: bool,
              angle_deg: float) -> Mesh:
    pts, tri = read_stl(path)
    check_watertight(path, pts, tri)
    check_size(closed_surface_volume(pts, tri), size, str(path))  # before gmsh starts
    if remesh:
        try:
            return _stl_volume(name, path, size, order, True, angle_deg)
        except MeshError as exc:
            # gmsh cannot always parametrise a segmented surface for remeshing; its own
            # triangles still bound a valid volume
            log.warning("%s: remeshing the surface failed (%s); meshing inside the STL "
                        "triangles as they are", path, exc)
    return _stl_volume(name, path, size, order, False, angle_deg)


def _stl_volume(name: str, path: Path, size: float, order: int, remesh: bool,
                angle_deg: float) -> Mesh:
    with gmsh_session() as gmsh:
        gmsh.model.add(name)
        _options(gmsh, size, order)
        try:
            gmsh.merge(str(path))
            if remesh:
                # split the triangulation into patches at sharp edges and give them a
                # parametrisation, so gmsh can remesh the surface at `size`
                gmsh.model.mesh.classifySurfaces(np.radians(angle_deg), True, True, np.pi)
                gmsh.model.mesh.createGeometry()
            surfs = [t for _, t in gmsh.model.getEntities(2)]
            loop = gmsh.model.geo.addSurfaceLoop(surfs)
            vol = gmsh.model.geo.addVolume([loop])
            gmsh.model.geo.synchronize()
            gmsh.model.addPhysicalGroup(3, [vol], name=name)
            gmsh.model.mesh.generate(3)
        except Exception as exc:  # gmsh raises a bare Exception with its log line
            raise MeshError(f"{path}: gmsh could not mesh the volume inside the surface"
                            f"{' (remeshed)' if remesh else ''}: {exc}. {_repair_hint(exc)}") \
                from None
        return mesh_from_gmsh_model(gmsh, str(path))


def _repair_hint(exc: Exception) -> str:
    if "intersect" in str(exc).lower():
        return ("The surface intersects itself (crossing triangles or overlapping shells in one "
                "file): repair it (e.g. MeshLab: select self-intersecting faces; Meshmixer: Make "
                "Solid) and export each body as one closed shell")
    return ("Check that the file is one closed shell without self-intersections; repair it and "
            "export it again")


def _mesh_step(files: dict[str, Path], size: float, order: int) -> Mesh:
    with gmsh_session() as gmsh:
        gmsh.model.add("step")
        _options(gmsh, size, order)
        owner, inputs = [], []
        for name, path in files.items():
            try:
                dt = gmsh.model.occ.importShapes(str(path))
            except Exception as exc:
                raise MeshError(f"{path}: could not read the STEP file: {exc}") from None
            vols = [d for d in dt if d[0] == 3]
            if not vols:
                raise MeshError(f"{path}: the STEP file holds no solid (only surfaces?)")
            inputs += vols
            owner += [name] * len(vols)
        _, out_map = gmsh.model.occ.fragment(inputs, []) if len(inputs) > 1 else (None, [inputs])
        gmsh.model.occ.synchronize()
        groups: dict[str, list[int]] = {}
        for name, pieces in zip(owner, out_map):
            groups.setdefault(name, []).extend(t for d, t in pieces if d == 3)
        for name, tags in groups.items():
            gmsh.model.addPhysicalGroup(3, sorted(set(tags)), name=name)
        check_size(occ_volume(gmsh), size, f"STEP bodies {sorted(files)}")
        try:
            gmsh.model.mesh.generate(3)
        except Exception as exc:
            raise MeshError(f"STEP bodies {sorted(files)}: gmsh could not mesh them: {exc}") \
                from None
        return mesh_from_gmsh_model(gmsh, ", ".join(str(p) for p in files.values()))


def combine(meshes: list[Mesh], source: str) -> Mesh:
    """One Mesh of several (node and element indices offset; sets keep their names)."""
    nodes, cells, cs, fs, ns = [], [], {}, {}, {}
    n0 = c0 = 0
    for m in meshes:
        nodes.append(m.nodes)
        cells.append(m.cells + n0)
        for k, v in m.cell_sets.items():
            cs[k] = np.concatenate([cs.get(k, np.zeros(0, np.int64)), v + c0])
        for k, v in m.face_sets.items():
            fs[k] = np.vstack([fs.get(k, np.zeros((0, 2), np.int64)), v + [c0, 0]])
        for k, v in m.node_sets.items():
            ns[k] = np.concatenate([ns.get(k, np.zeros(0, np.int64)), v + n0])
        n0 += m.n_nodes
        c0 += m.n_cells
    return Mesh(np.vstack(nodes), np.vstack(cells), cs, fs, ns, source=source)


def _boundary_by_body(mesh: Mesh) -> dict[str, np.ndarray]:
    """Faces on each body's own boundary (incl. faces shared with another body of a conforming
    STEP assembly), as (element, local face) pairs."""
    out = {}
    for name in sorted(mesh.cell_sets):
        cells = mesh.cell_sets[name]
        allf = np.stack(np.meshgrid(cells, np.arange(4), indexing="ij"), -1).reshape(-1, 2)
        fc = np.sort(mesh.face_connectivity(allf, corners_only=True), axis=1)
        _, inv, cnt = np.unique(fc, axis=0, return_inverse=True, return_counts=True)
        out[name] = allf[cnt[inv.ravel()] == 1]
    return out


def _centres_normals(mesh: Mesh, faces: np.ndarray):
    x = mesh.nodes[mesh.face_connectivity(faces, corners_only=True)]
    n = np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0])
    area2 = np.linalg.norm(n, axis=1)
    return x.mean(axis=1), n / np.maximum(area2, 1e-300)[:, None], np.sqrt(area2)


def _inside_triangles(p: np.ndarray, tri: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Does the projection of each point p (k,3) on the plane of its triangle tri (k,3,3) fall
    inside it (barycentric coordinates >= -eps)?"""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    v0, v1, v2 = b - a, c - a, p - a
    d00, d01, d11 = (v0 * v0).sum(1), (v0 * v1).sum(1), (v1 * v1).sum(1)
    d20, d21 = (v2 * v0).sum(1), (v2 * v1).sum(1)
    den = np.maximum(d00 * d11 - d01 * d01, 1e-300)
    v = (d11 * d20 - d01 * d21) / den
    w = (d00 * d21 - d01 * d20) / den
    return (v >= -eps) & (w >= -eps) & (v + w <= 1 + eps)


def _contacts(mesh: Mesh, bnd: dict[str, np.ndarray], tol: float) -> dict[str, np.ndarray]:
    """Faces of A lying on B's surface: the face centre projects into one of the nearest faces
    of B, within `tol` of its plane, and the two face each other."""
    from scipy.spatial import cKDTree

    out = {}
    geo = {n: _centres_normals(mesh, f) for n, f in bnd.items()}
    corners = {n: mesh.nodes[mesh.face_connectivity(f, corners_only=True)] for n, f in bnd.items()}
    names = sorted(bnd)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            sides = {}
            for s, o in ((a, b), (b, a)):
                cs, ns, _ = geo[s]
                co, no, _ = geo[o]
                if not len(cs) or not len(co):
                    continue
                k = min(8, len(co))
                _, near_j = cKDTree(co).query(cs, k=k)
                near_j = near_j.reshape(len(cs), k)
                hit = np.zeros(len(cs), bool)
                for col in range(k):
                    j = near_j[:, col]
                    gap = np.abs(((cs - co[j]) * no[j]).sum(axis=1))
                    facing = (ns * no[j]).sum(axis=1) < -0.8
                    hit |= (gap <= tol) & facing & _inside_triangles(cs, corners[o][j])
                if hit.any():
                    sides[s] = bnd[s][hit]
            if len(sides) == 2:
                name = f"{a}|{b}"
                out[f"{name}@{a}"], out[f"{name}@{b}"] = sides[a], sides[b]
                out[name] = np.vstack([sides[a], sides[b]])
    return out


def _named(mesh: Mesh, bnd: dict[str, np.ndarray], spec: dict) -> dict[str, np.ndarray]:
    out = {}
    for name, s in (spec or {}).items():
        where = f"mesh.params.named_surfaces.{name}"
        if not isinstance(s, dict) or set(s) - {"body", "box_mm", "normal"} or "body" not in s:
            raise ConfigError(f"{where}: give {{ body = ..., box_mm = [xmin, ymin, zmin, xmax, "
                              "ymax, zmax], normal = [nx, ny, nz] }} (box and normal optional)")
        if s["body"] not in bnd:
            raise ConfigError(f"{where}.body: no body '{s['body']}' (bodies: {', '.join(bnd)})")
        faces = bnd[s["body"]]
        c, n, _ = _centres_normals(mesh, faces)
        keep = np.ones(len(faces), bool)
        if "box_mm" in s:
            box = np.asarray(s["box_mm"], float)
            if box.shape != (6,):
                raise ConfigError(f"{where}.box_mm: six numbers xmin, ymin, zmin, xmax, ymax, zmax")
            keep &= np.all((c >= box[:3]) & (c <= box[3:]), axis=1)
        if "normal" in s:
            v = np.asarray(s["normal"], float)
            keep &= n @ (v / np.linalg.norm(v)) >= np.cos(np.radians(30))
        if not keep.any():
            raise ConfigError(f"{where}: selects no face of body '{s['body']}'")
        out[name] = faces[keep]
    return out


@register("surfaces")
def surfaces(size_mm: float, order: int, bodies: dict, model_dir: str = ".",
             named_surfaces: dict | None = None, contact_tolerance_mm: float = 0.05,
             remesh: bool = True, feature_angle_deg: float = 40.0) -> Mesh:
    files = _resolve(bodies, model_dir)
    meshes = mesh_files(files, size_mm, order, remesh, feature_angle_deg)
    return finish(combine(meshes, "surfaces: " + ", ".join(files)), named_surfaces,
                  contact_tolerance_mm, size_mm)


def finish(mesh: Mesh, named_surfaces: dict | None, contact_tolerance_mm: float,
           size_mm: float) -> Mesh:
    """Face sets of combined bodies: `<body>_surface`, contacts `A|B@A`, named surfaces (also
    used by the `ct` builder, fea.imaging.builder)."""
    mesh.face_sets = {}
    if mesh.nodes_per_cell == 10:
        straighten_inverted(mesh)
    bnd = _boundary_by_body(mesh)
    faces = {f"{n}_surface": f for n, f in bnd.items()}
    faces.update(_contacts(mesh, bnd, contact_tolerance_mm + 0.05 * size_mm))
    faces.update(_named(mesh, bnd, named_surfaces))
    mesh.face_sets = faces
    return mesh


def _cache_inputs(params: dict, key: str = "bodies") -> dict:
    """The files' contents belong in the mesh-cache key (same names, new scans -> new mesh)."""
    files = _resolve(params.get(key, {}), params.get("model_dir", "."), key)
    return {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in files.items()}


surfaces.cache_inputs = _cache_inputs
