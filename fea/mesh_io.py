"""Reading volume meshes: gmsh `.msh` (physical groups become named sets) and anything meshio reads.

gmsh physical volumes -> cell sets, physical surfaces -> face sets (both sides where a surface lies
inside a conforming mesh), physical points/curves -> node sets. Nodes used by no element are
dropped. Tetrahedral `.msh` files go through the gmsh API; any other registered cell type
(hexahedra from a recombined gmsh mesh, wedges, mixed meshes) through meshio, which numbers
nodes as VTK does. Abaqus decks are read by `fea.abaqus`, not here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .elements import GMSH_TET10_TO_VTK, by_meshio
from .errors import MeshError
from .mesh import Mesh


def read_mesh(path: str | Path) -> Mesh:
    path = Path(path)
    if not path.exists():
        raise MeshError(f"mesh file '{path}' does not exist")
    mesh = _read_gmsh(path) if path.suffix.lower() == ".msh" else None
    if mesh is None:
        mesh = _read_meshio(path)
    mesh.check()
    return mesh


def _read_gmsh(path: Path) -> Mesh:
    from .gmsh_session import gmsh_session

    with gmsh_session() as gmsh:
        try:
            gmsh.open(str(path))
        except Exception as exc:  # gmsh raises a bare Exception with its log line
            raise MeshError(f"{path}: gmsh could not read the file: {exc}") from None
        if set(gmsh.model.mesh.getElementTypes(3)) - {4, 11}:
            return None  # hexahedra, wedges or a mix: meshio reads them (see _read_meshio)
        return mesh_from_gmsh_model(gmsh, str(path))


def mesh_from_gmsh_model(gmsh, source: str) -> Mesh:
    """Build a Mesh from the current gmsh model (after meshing or gmsh.open)."""
    tags, coords, _ = gmsh.model.mesh.getNodes()
    if len(tags) == 0:
        raise MeshError(f"{source}: no nodes (has the model been meshed?)")
    tags = tags.astype(np.int64)
    lookup = np.full(tags.max() + 1, -1, dtype=np.int64)
    lookup[tags] = np.arange(len(tags))
    nodes = coords.reshape(-1, 3)

    etypes, etags, enodes = gmsh.model.mesh.getElements(3)
    tet_types = {4: 4, 11: 10}
    found = [t for t in etypes if t in tet_types]
    other = [gmsh.model.mesh.getElementProperties(t)[0] for t in etypes if t not in tet_types]
    if other:
        raise MeshError(f"{source}: volume elements other than TET4/TET10 found: {other}")
    if len(found) != 1:
        raise MeshError(f"{source}: expected one tetrahedron type, found {len(found)}")
    etype = found[0]
    nn = tet_types[etype]
    cell_tags = np.concatenate([etags[i] for i, t in enumerate(etypes) if t == etype]).astype(
        np.int64
    )
    cells = lookup[np.concatenate([enodes[i] for i, t in enumerate(etypes) if t == etype])]
    cells = cells.reshape(-1, nn)
    if nn == 10:
        cells = cells[:, GMSH_TET10_TO_VTK]
    cell_lookup = np.full(cell_tags.max() + 1, -1, dtype=np.int64)
    cell_lookup[cell_tags] = np.arange(len(cell_tags))

    mesh = Mesh(nodes, cells, node_ids=tags, cell_ids=cell_tags, source=source)
    cell_sets, face_sets, node_sets = {}, {}, {}
    for dim, ptag in gmsh.model.getPhysicalGroups():
        name = gmsh.model.getPhysicalName(dim, ptag) or f"{['point', 'curve', 'surface', 'volume'][dim]}_{ptag}"
        ent = gmsh.model.getEntitiesForPhysicalGroup(dim, ptag)
        if dim == 3:
            per = [gmsh.model.mesh.getElements(3, int(e))[1] for e in ent]
            et = [np.asarray(t[0], dtype=np.int64) for t in per if len(t)]
            cell_sets[name] = cell_lookup[np.concatenate(et)] if et else np.zeros(0, np.int64)
        elif dim == 2:
            tris = []
            for e in ent:
                types, _, en = gmsh.model.mesh.getElements(2, int(e))
                for t, conn in zip(types, en):
                    npe = gmsh.model.mesh.getElementProperties(t)[3]
                    tris.append(lookup[np.asarray(conn, dtype=np.int64)].reshape(-1, npe)[:, :3])
            tri = np.vstack(tris) if tris else np.zeros((0, 3), np.int64)
            face_sets[name] = mesh.match_faces(tri, name) if len(tri) else np.zeros((0, 2))
        else:
            nt, _ = gmsh.model.mesh.getNodesForPhysicalGroup(dim, ptag)
            node_sets[name] = lookup[np.asarray(nt, dtype=np.int64)]
    mesh.cell_sets, mesh.face_sets, mesh.node_sets = (
        {k: np.asarray(v, np.int64) for k, v in cell_sets.items()},
        {k: np.asarray(v, np.int64).reshape(-1, 2) for k, v in face_sets.items()},
        node_sets,
    )
    return mesh.drop_unused_nodes()


def _read_meshio(path: Path) -> Mesh:
    import meshio

    try:
        m = meshio.read(path)
    except Exception as exc:
        raise MeshError(f"{path}: meshio could not read the file: {exc}") from None
    tet_blocks = [(i, b) for i, b in enumerate(m.cells) if by_meshio(b.type) is not None]
    if not tet_blocks:
        raise MeshError(f"{path}: no volume elements of a supported type found (cell types: "
                        f"{[b.type for b in m.cells]})")
    kinds = {b.type for _, b in tet_blocks}
    if kinds == {"tetra", "tetra10"}:
        raise MeshError(f"{path}: mixes TET4 and TET10 cells; use one element order")
    # one cell block per type (gmsh gives a meshio block per entity), types in first-seen order
    types = list(dict.fromkeys(b.type for _, b in tet_blocks))
    tet_blocks.sort(key=lambda ib: types.index(ib[1].type))
    blocks = []
    for t in types:  # meshio's order is VTK's; ours is Abaqus's (see fea.elements)
        et = by_meshio(t)
        data = np.vstack([b.data for _, b in tet_blocks if b.type == t]).astype(np.int64)
        blocks.append((et, data if et.vtk_order is None else data[:, np.argsort(et.vtk_order)]))
    offsets = np.cumsum([0] + [len(b.data) for _, b in tet_blocks])
    block_pos = {i: offsets[k] for k, (i, _) in enumerate(tet_blocks)}
    mesh = Mesh(np.asarray(m.points, dtype=float)[:, :3], blocks, source=str(path))

    cell_sets = {}
    for name, per_block in (m.cell_sets or {}).items():
        if name.startswith("gmsh:"):  # meshio's bookkeeping (bounding entities), not a region
            continue
        idx = [block_pos[i] + np.asarray(sel) for i, sel in enumerate(per_block) if i in block_pos
               and sel is not None and len(sel)]
        if idx:
            cell_sets[name] = np.concatenate(idx)
    # integer region tags (gmsh:physical, medit:ref, CellEntityIds) become sets region_<tag>
    for key in ("gmsh:physical", "medit:ref", "CellEntityIds", "region"):
        if key in m.cell_data and not cell_sets:
            tags = np.concatenate([np.asarray(m.cell_data[key][i]) for i, _ in tet_blocks])
            names = {int(v[0]): k for k, v in (m.field_data or {}).items() if len(v) > 1 and v[1] == 3}
            for t in np.unique(tags):
                cell_sets[names.get(int(t), f"region_{int(t)}")] = np.flatnonzero(tags == t)
    mesh.cell_sets = cell_sets
    face_sets = {}
    corners = {"triangle": 3, "triangle6": 3, "quad": 4, "quad8": 4}
    face_blocks = [b for b in m.cells if b.type in corners]
    if face_blocks and "gmsh:physical" in m.cell_data:
        names = {int(v[0]): k for k, v in (m.field_data or {}).items() if len(v) > 1 and v[1] == 2}
        for i, b in enumerate(m.cells):
            if b.type not in corners:
                continue
            tags = np.asarray(m.cell_data["gmsh:physical"][i])
            for t in np.unique(tags):
                nm = names.get(int(t), f"surface_{int(t)}")
                found = mesh.match_faces(b.data[tags == t][:, :corners[b.type]], nm)
                face_sets[nm] = np.vstack([face_sets[nm], found]) if nm in face_sets else found
    mesh.face_sets = face_sets
    return mesh.drop_unused_nodes()
