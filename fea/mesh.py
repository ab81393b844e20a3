"""`Mesh`: nodes, cell blocks (one registered element type each), named sets, quality checks.

Units: node coordinates in mm. Node order inside cells and faces: see `fea.elements`.
Elements are numbered across blocks in block order (block b holds offset .. offset+m_b-1).
Face sets are (element index, local face 0..n_faces-1) pairs, so a face knows its element and its outward
normal; the same physical surface inside a conforming mesh holds both sides.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .elements import TET10_EDGES, tet_quadrature, tet_shape
from .elements.registry import ElementType, FaceType, element_type, type_for_nodes
from .errors import MeshError


@dataclass
class MeshQuality:
    n_nodes: int
    n_cells: int
    element_type: str
    min_volume: float
    max_volume: float
    total_volume: float
    worst_shape_quality: float  # mean-ratio quality of the corner tet: 1 regular, -> 0 degenerate
    worst_element_id: int
    min_jacobian_ratio: float  # min over qps of detJ / corner-tet detJ (TET10 curvature), 1 straight

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class CellBlock:
    """Cells of one element type; its elements are global indices offset .. offset+len-1."""

    type: ElementType
    cells: np.ndarray  # (m_b, nn) int64
    offset: int = 0


def _blocks(cells, cell_type, source: str) -> list[CellBlock]:
    """A bare (m, nn) array (type from cell_type or the node count) or [(type, array), ...]."""
    if isinstance(cells, np.ndarray) or (isinstance(cells, (list, tuple)) and cells
                                         and not isinstance(cells[0], (tuple, CellBlock))):
        cells = np.asarray(cells)
        if cells.ndim != 2:
            raise MeshError(f"{source}: cells must be a 2-D array (m, nodes per cell), "
                            f"got {cells.shape}")
        et = element_type(cell_type, source) if cell_type else type_for_nodes(cells.shape[1],
                                                                               source)
        pairs = [(et, cells)]
    else:
        pairs = [(b.type, b.cells) if isinstance(b, CellBlock) else b for b in cells]
    out, offset = [], 0
    for et, arr in pairs:
        et = et if isinstance(et, ElementType) else element_type(et, source)
        arr = np.ascontiguousarray(arr, dtype=np.int64)
        if arr.ndim != 2 or arr.shape[1] != et.n_nodes:
            raise MeshError(f"{source}: {et.name} cells must be (m, {et.n_nodes}), got "
                            f"{arr.shape}")
        out.append(CellBlock(et, arr, offset))
        offset += len(arr)
    return out


class Mesh:
    """Nodes, cell blocks (one element type each), named sets.

    `cells` is the (m, nn) array of a mesh with one element type (every mesh the geometry
    pipeline makes); a mesh that mixes types (a deck with C3D4 and C3D8) has several `blocks`,
    and code that needs one array says so with a MeshError naming the types.
    """

    def __init__(self, nodes, cells, cell_sets=None, face_sets=None, node_sets=None,
                 node_ids=None, cell_ids=None, source: str = "<memory>",
                 cell_type: str | None = None):
        self.source = source
        self.nodes = np.ascontiguousarray(nodes, dtype=np.float64)
        if self.nodes.ndim != 2 or self.nodes.shape[1] != 3:
            raise MeshError(f"{self.source}: nodes must be (n, 3), got {self.nodes.shape}")
        self.blocks = _blocks(cells, cell_type, source)
        for b in self.blocks:
            if len(b.cells) and (b.cells.min() < 0 or b.cells.max() >= len(self.nodes)):
                raise MeshError(f"{self.source}: cell connectivity refers to nodes that do not "
                                "exist")
        self.node_ids = np.arange(1, len(self.nodes) + 1) if node_ids is None else node_ids
        self.cell_ids = np.arange(1, self.n_cells + 1) if cell_ids is None else cell_ids
        self.cell_sets = {k: np.asarray(v, dtype=np.int64) for k, v in (cell_sets or {}).items()}
        self.node_sets = {k: np.asarray(v, dtype=np.int64) for k, v in (node_sets or {}).items()}
        self.face_sets = {
            k: np.asarray(v, dtype=np.int64).reshape(-1, 2) for k, v in (face_sets or {}).items()
        }

    # ------------------------------------------------------------------ basic facts
    @property
    def cells(self) -> np.ndarray:
        if len(self.blocks) != 1:
            raise MeshError(f"{self.source}: the mesh mixes element types "
                            f"({', '.join(self.type_names)}); this step needs one type")
        return self.blocks[0].cells

    @property
    def type_names(self) -> list[str]:
        return list(dict.fromkeys(b.type.name for b in self.blocks))

    @property
    def nodes_per_cell(self) -> int:
        """Nodes of the largest cell (the one cell width of a single-type mesh)."""
        return max(b.type.n_nodes for b in self.blocks)

    @property
    def element_type(self) -> str:
        names = self.type_names
        if names in (["C3D4"], ["C3D10"]):
            return "tet4" if names == ["C3D4"] else "tet10"
        return "+".join(n.lower() for n in names)

    @property
    def is_tet(self) -> bool:
        return all(b.type.name in ("C3D4", "C3D10") for b in self.blocks)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_cells(self) -> int:
        return sum(len(b.cells) for b in self.blocks)

    def padded_cells(self) -> np.ndarray:
        """(m, widest cell) nodes of every element, short cells padded with their first node:
        for node-connectivity questions (which elements touch a node), never for integration."""
        if len(self.blocks) == 1:
            return self.blocks[0].cells
        w = self.nodes_per_cell
        return np.vstack([np.hstack([b.cells, np.repeat(b.cells[:, :1], w - b.cells.shape[1], 1)])
                          for b in self.blocks])

    def block_index(self, elems: np.ndarray) -> np.ndarray:
        """Block of each global element index."""
        starts = np.array([b.offset for b in self.blocks])
        return np.searchsorted(starts, np.asarray(elems, dtype=np.int64), side="right") - 1

    # ------------------------------------------------------------------ set access
    def set_names(self) -> list[str]:
        return sorted(set(self.cell_sets) | set(self.face_sets) | set(self.node_sets))

    def _unknown(self, name: str, kind: str) -> MeshError:
        import difflib

        pool = self.set_names()
        hint = difflib.get_close_matches(name, pool, n=1)
        did = f" Did you mean '{hint[0]}'?" if hint else ""
        return MeshError(
            f"{self.source}: no {kind} named '{name}'.{did} Available: {', '.join(pool) or 'none'}"
        )

    def faces(self, name: str) -> np.ndarray:
        if name not in self.face_sets:
            raise self._unknown(name, "face set")
        return self.face_sets[name]

    def elements(self, name: str) -> np.ndarray:
        if name not in self.cell_sets:
            raise self._unknown(name, "cell set")
        return self.cell_sets[name]

    def nodes_of(self, name: str) -> np.ndarray:
        """Node indices of a node set, a face set or a cell set (looked up in that order)."""
        if name in self.node_sets:
            return np.unique(self.node_sets[name])
        if name in self.face_sets:
            faces = self.face_sets[name]
            return np.unique(np.concatenate(
                [self.face_connectivity(faces[i]).ravel() for _, i in self.face_groups(faces)]
                or [np.zeros(0, np.int64)]))
        if name in self.cell_sets:
            return np.unique(self.padded_cells()[self.cell_sets[name]])
        raise self._unknown(name, "node, face or cell set")

    def face_groups(self, faces: np.ndarray) -> list[tuple[FaceType, np.ndarray]]:
        """(face type, rows of `faces` of that type), one entry per face type present."""
        faces = np.asarray(faces, dtype=np.int64).reshape(-1, 2)
        if len(self.blocks) == 1 and len(set(self.blocks[0].type.face_types)) == 1:
            return [(self.blocks[0].type.face_types[0], np.arange(len(faces)))]
        blk = self.block_index(faces[:, 0])
        kind = np.empty(len(faces), dtype=object)
        for bi, b in enumerate(self.blocks):
            sel = blk == bi
            kind[sel] = np.array(b.type.face_types, dtype=object)[faces[sel, 1]]
        out = []
        for ft in dict.fromkeys(kind.tolist()):
            out.append((ft, np.flatnonzero(kind == ft)))
        return out

    def face_connectivity(self, faces: np.ndarray, corners_only: bool = False) -> np.ndarray:
        """Node indices (k, nodes per face) of (element, local face) pairs, outward ordering.

        All faces must be of one face type (TRI3, TRI6, QUAD4 or QUAD8); `face_groups` splits a
        face set that mixes them."""
        faces = np.asarray(faces, dtype=np.int64).reshape(-1, 2)
        groups = self.face_groups(faces)
        if len(groups) > 1:
            raise MeshError(f"{self.source}: these faces mix {', '.join(g.name for g, _ in groups)}"
                            "; this step needs faces of one shape")
        ft = groups[0][0] if groups else self.blocks[0].type.face_types[0]
        width = ft.n_corners if corners_only else ft.n_nodes
        if len(self.blocks) == 1:
            table = self.blocks[0].type.faces[:, :width]
            return self.blocks[0].cells[faces[:, 0][:, None], table[faces[:, 1]]]
        out = np.empty((len(faces), width), np.int64)
        blk = self.block_index(faces[:, 0])
        for bi, b in enumerate(self.blocks):
            sel = np.flatnonzero(blk == bi)
            if len(sel):
                table = b.type.faces[:, :width]
                out[sel] = b.cells[faces[sel, 0][:, None] - b.offset, table[faces[sel, 1]]]
        return out

    def all_faces(self) -> np.ndarray:
        """(element, local face) of every face of every element, element-major."""
        out = []
        for b in self.blocks:
            e, f = np.meshgrid(b.offset + np.arange(len(b.cells)), np.arange(b.type.n_faces),
                               indexing="ij")
            out.append(np.stack([e, f], -1).reshape(-1, 2))
        return np.vstack(out) if out else np.zeros((0, 2), np.int64)

    # ------------------------------------------------------------------ geometry
    def corner_volumes(self) -> np.ndarray:
        x = self.nodes[self.cells[:, :4]]
        d = x[:, 1:] - x[:, :1]
        return np.einsum("ij,ij->i", np.cross(d[:, 0], d[:, 1]), d[:, 2]) / 6.0

    def volume(self, cell_set: str | None = None) -> float:
        """Volume (mm^3) integrated with the element geometry (curved TET10 included)."""
        total = 0.0
        for b in self.blocks:
            idx = np.arange(len(b.cells)) if cell_set is None else \
                self.elements(cell_set) - b.offset
            idx = idx[(idx >= 0) & (idx < len(b.cells))]
            if b.type.name in ("C3D4", "C3D10"):
                total += float(element_volumes(self.nodes, b.cells[idx]).sum())
            else:  # a one-point brick (C3D8R) is integrated with its full rule: exact volume
                et = b.type if len(b.type.points) > 1 else element_type("C3D8")
                total += float((_detj(self.nodes, b.cells[idx], et, et.points)
                                * et.weights).sum())
        return total

    def quality(self, jr: np.ndarray | None = None) -> MeshQuality:
        """jr: jacobian_ratio of this mesh when the caller has it (check: computed once).
        Remembered for the mesh's current content: a deck is checked when read and its quality
        goes into summary.json after the solve, and the TET10 Jacobians took 0.06 s CPU each
        time at 110k DOF (issue 18); the key hashes the nodes, cells and ids (~3 ms), so a mesh
        edited in place is measured again."""
        key = self._content_key()
        memo = getattr(self, "_quality_memo", None)
        if memo is not None and memo[0] == key:
            return dataclasses.replace(memo[1])
        q = self._quality(jr)
        self._quality_memo = (key, q)
        return dataclasses.replace(q)

    def _content_key(self) -> tuple:
        return (self.nodes.shape, hash(self.nodes.tobytes()),
                tuple((b.type.name, b.offset, b.cells.shape, hash(b.cells.tobytes()))
                      for b in self.blocks),
                hash(np.ascontiguousarray(self.cell_ids).tobytes()), len(self.node_ids))

    def _quality(self, jr: np.ndarray | None) -> MeshQuality:
        if not self.is_tet or len(self.blocks) != 1:
            return self._quality_any()
        vol = self.corner_volumes()
        x = self.nodes[self.cells[:, :4]]
        pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        l2 = sum(((x[:, a] - x[:, b]) ** 2).sum(axis=1) for a, b in pairs)
        # mean-ratio quality: 12 (3|V|)^(2/3) / sum(l^2), 1 for a regular tetrahedron
        q = 12.0 * np.cbrt(3.0 * np.abs(vol)) ** 2 / np.maximum(l2, 1e-300)
        q = np.where(vol > 0, q, -q)
        worst = int(np.argmin(q)) if len(q) else 0
        if jr is None:
            jr = jacobian_ratio(self.nodes, self.cells) if self.nodes_per_cell == 10 else np.ones(1)
        return MeshQuality(
            n_nodes=self.n_nodes,
            n_cells=self.n_cells,
            element_type=self.element_type,
            min_volume=float(vol.min()) if len(vol) else 0.0,
            max_volume=float(vol.max()) if len(vol) else 0.0,
            total_volume=float(vol.sum()),
            worst_shape_quality=float(q[worst]) if len(q) else 1.0,
            worst_element_id=int(self.cell_ids[worst]) if len(q) else 0,
            min_jacobian_ratio=float(jr.min()) if len(jr) else 1.0,
        )

    def _jacobians(self) -> tuple[np.ndarray, np.ndarray]:
        """(element volumes, min/max detJ over quadrature points and nodes) of every element."""
        vol, ratio = [], []
        for b in self.blocks:
            pts = np.vstack([b.type.points, b.type.ref_coords[:b.type.n_corners]])
            dj = _detj(self.nodes, b.cells, b.type, pts)
            vol.append((dj[:, :len(b.type.points)] * b.type.weights).sum(axis=1))
            hi = np.abs(dj).max(axis=1)
            ratio.append(dj.min(axis=1) / np.where(hi == 0, 1e-300, hi))
        return np.concatenate(vol), np.concatenate(ratio)

    def _quality_any(self) -> MeshQuality:
        """Quality of hexahedral and mixed meshes: the shape measure is min/max detJ over an
        element's quadrature points and corners (1 for a parallelepiped, <= 0 when inverted)."""
        vol, ratio = self._jacobians()
        worst = int(np.argmin(ratio)) if len(ratio) else 0
        return MeshQuality(
            n_nodes=self.n_nodes, n_cells=self.n_cells, element_type=self.element_type,
            min_volume=float(vol.min()) if len(vol) else 0.0,
            max_volume=float(vol.max()) if len(vol) else 0.0, total_volume=float(vol.sum()),
            worst_shape_quality=float(ratio[worst]) if len(ratio) else 1.0,
            worst_element_id=int(self.cell_ids[worst]) if len(ratio) else 0,
            min_jacobian_ratio=float(ratio.min()) if len(ratio) else 1.0)

    def check(self) -> MeshQuality:
        """Raise MeshError naming inverted or zero-volume elements; return quality statistics."""
        if self.n_cells == 0:
            raise MeshError(f"{self.source}: the mesh has no elements")
        jr = None
        if self.is_tet and len(self.blocks) == 1:
            vol = self.corner_volumes()
            scale = np.abs(vol).max()
            bad = np.flatnonzero(vol <= 1e-12 * scale)
            if self.nodes_per_cell == 10 and not len(bad):
                jr = jacobian_ratio(self.nodes, self.cells)
                bad = np.flatnonzero(jr <= 1e-6)
        else:  # hexahedra (and mixed meshes): detJ > 0 at every quadrature point and corner
            vol, ratio = self._jacobians()
            bad = np.flatnonzero(ratio <= 1e-6)
        if len(bad):
            ids = ", ".join(str(i) for i in self.cell_ids[bad[:20]])
            more = f" (and {len(bad) - 20} more)" if len(bad) > 20 else ""
            kind = "inverted" if (vol[bad] < 0).any() else "zero-volume or distorted"
            raise MeshError(
                f"{self.source}: {len(bad)} {kind} element(s): ids {ids}{more}. "
                "Fix the node order or remesh these elements."
            )
        used = np.zeros(self.n_nodes, bool)
        for b in self.blocks:
            used[b.cells.ravel()] = True  # a mask, not setdiff1d's sort of every cell entry
        unused = np.flatnonzero(~used)
        if len(unused):
            raise MeshError(
                f"{self.source}: {len(unused)} node(s) belong to no element "
                f"(e.g. id {self.node_ids[unused[0]]}); call Mesh.drop_unused_nodes()"
            )
        return self.quality(jr)

    # ------------------------------------------------------------------ transformations
    def with_cells(self, blocks_cells: list[np.ndarray], **changes) -> "Mesh":
        """A copy with each block's cells replaced (same types, order and sets unless changed)."""
        kw = dict(cell_sets=dict(self.cell_sets), face_sets=dict(self.face_sets),
                  node_sets=dict(self.node_sets), node_ids=self.node_ids,
                  cell_ids=self.cell_ids, source=self.source)
        nodes = changes.pop("nodes", self.nodes)
        kw.update(changes)
        return Mesh(nodes, [(b.type, c) for b, c in zip(self.blocks, blocks_cells)], **kw)

    def drop_unused_nodes(self, keep: np.ndarray | None = None) -> "Mesh":
        """A copy without nodes outside every element (keep: extra node indices to retain)."""
        used = np.zeros(self.n_nodes, bool)
        for b in self.blocks:
            used[b.cells.ravel()] = True
        if keep is not None:
            used[np.asarray(keep, dtype=np.int64)] = True
        new_index = np.full(self.n_nodes, -1, dtype=np.int64)
        new_index[used] = np.arange(used.sum())
        node_sets = {}
        for k, v in self.node_sets.items():
            v = new_index[v]
            node_sets[k] = v[v >= 0]
        return self.with_cells([new_index[b.cells] for b in self.blocks], nodes=self.nodes[used],
                               node_sets=node_sets, node_ids=self.node_ids[used])

    def to_tet10(self) -> "Mesh":
        """Quadratic copy of a TET4 mesh: a mid-edge node on every edge (straight edges)."""
        if self.nodes_per_cell == 10:
            return self
        if self.type_names != ["C3D4"]:
            raise MeshError(f"{self.source}: only a C3D4 mesh can be made quadratic here, not "
                            f"{', '.join(self.type_names)}")
        edges = self.cells[:, TET10_EDGES].reshape(-1, 2)
        edges.sort(axis=1)
        uniq, inv = np.unique(edges, axis=0, return_inverse=True)
        mid = 0.5 * (self.nodes[uniq[:, 0]] + self.nodes[uniq[:, 1]])
        n0 = self.n_nodes
        cells = np.hstack([self.cells, n0 + inv.reshape(-1, 6)])
        new_ids = self.node_ids.max() + 1 + np.arange(len(uniq))
        return Mesh(
            np.vstack([self.nodes, mid]), cells, dict(self.cell_sets), dict(self.face_sets),
            dict(self.node_sets), np.concatenate([self.node_ids, new_ids]), self.cell_ids,
            self.source,
        )

    def match_faces(self, tri_corners: np.ndarray, name: str = "surface") -> np.ndarray:
        """(element, face) pairs whose corner nodes equal the given faces (k, 3) or (k, 4).

        An interior face (between two regions of a conforming mesh) matches both sides.
        Faces that match no element face raise MeshError naming the surface.
        """
        tri_corners = np.asarray(tri_corners, dtype=np.int64)
        nc = tri_corners.shape[1] if tri_corners.ndim == 2 else 3
        tri_corners = np.sort(tri_corners.reshape(-1, nc), axis=1)
        if nc == 3 and self.n_nodes < 2**20:
            # closed-form keys: the sorted index of the mesh's faces is built once per mesh
            # (a gmsh mesh matches every surface group against it)
            cached = getattr(self, "_tri_face_index", None)
            if cached is None or cached[0] is not self.cells:
                allf, fc = self._faces_with_corners(nc)
                fkey = _row_keys(fc, fc[:0], self.n_nodes)[0]
                order = np.argsort(fkey, kind="stable")
                cached = (self.cells, allf, order, fkey[order])
                self._tri_face_index = cached
            _, allf, order, sk = cached
            tkey = _row_keys(tri_corners[:0], tri_corners, self.n_nodes)[1]
        else:
            allf, fc = self._faces_with_corners(nc)
            fkey, tkey = _row_keys(fc, tri_corners, self.n_nodes)
            order = np.argsort(fkey, kind="stable")
            sk = fkey[order]
        lo = np.searchsorted(sk, tkey, "left")
        hi = np.searchsorted(sk, tkey, "right")
        if (hi == lo).any():
            bad = int(np.flatnonzero(hi == lo)[0])
            ids = self.node_ids[tri_corners[bad]]
            shape = "triangle" if nc == 3 else "quadrilateral"
            raise MeshError(
                f"{self.source}: surface '{name}' has {(hi == lo).sum()} {shape}(s) that are not "
                f"faces of any element, e.g. nodes {list(map(int, ids))}"
            )
        counts = hi - lo
        starts = np.repeat(lo, counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return allf[order[starts + offs]]

    def _faces_with_corners(self, nc: int):
        """((element, face) pairs, their sorted corner nodes) of the faces with nc corners."""
        allf = self.all_faces()
        groups = [(ft, i) for ft, i in self.face_groups(allf) if ft.n_corners == nc]
        allf = allf[np.concatenate([i for _, i in groups])] if groups else allf[:0]
        fc = np.sort(self.face_connectivity(allf, corners_only=True), axis=1) if len(allf) \
            else np.zeros((0, nc), np.int64)
        return allf, fc

    def boundary_faces(self) -> np.ndarray:
        """(element, face) pairs on the outer boundary (faces owned by exactly one element)."""
        allf = self.all_faces()
        out = []
        for ft, i in self.face_groups(allf):
            fc = np.sort(self.face_connectivity(allf[i], corners_only=True), axis=1)
            _, inv, cnt = np.unique(fc, axis=0, return_inverse=True, return_counts=True)
            out.append(allf[i][cnt[inv.ravel()] == 1])
        if len(out) == 1:
            return out[0]
        both = np.vstack(out)
        return both[np.lexsort((both[:, 1], both[:, 0]))]

    def region_of_cells(self, names: list[str]) -> np.ndarray:
        """Index into `names` for each element (-1 where none); error if an element has two."""
        region = np.full(self.n_cells, -1, dtype=np.int64)
        for i, name in enumerate(names):
            idx = self.elements(name)
            clash = idx[region[idx] >= 0]
            if len(clash):
                other = names[region[clash[0]]]
                raise MeshError(
                    f"{self.source}: element {self.cell_ids[clash[0]]} is in both '{other}' and "
                    f"'{name}', which have different sections; give each element one material"
                )
            region[idx] = i
        return region


def element_volumes(nodes: np.ndarray, cells: np.ndarray) -> np.ndarray:
    nn = cells.shape[1]
    pts, w = tet_quadrature(1 if nn == 4 else 4)
    _, dN = tet_shape(nn, pts)
    x = nodes[cells]  # (m, nn, 3)
    J = np.einsum("mna,qnb->mqab", x, dN)
    return np.einsum("mq,q->m", np.linalg.det(J), w)


def jacobian_ratio(nodes: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """min over quadrature points of detJ / (6 * corner volume): < 1 where TET10 edges curve."""
    nn = cells.shape[1]
    pts, _ = tet_quadrature(4)
    _, dN = tet_shape(nn, pts)
    x = nodes[cells]
    detJ = np.linalg.det(np.einsum("mna,qnb->mqab", x, dN))
    d = x[:, 1:4] - x[:, :1]
    det0 = np.einsum("ij,ij->i", np.cross(d[:, 0], d[:, 1]), d[:, 2])
    return detJ.min(axis=1) / np.where(det0 == 0, 1e-300, det0)


def _row_keys(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer keys of sorted corner rows (equal rows, equal keys) of two arrays at once."""
    if a.shape[1] == 3 and n < 2**20:  # the closed form of the triangle case
        n = np.int64(n)
        return ((a[:, 0] * n + a[:, 1]) * n + a[:, 2]), ((b[:, 0] * n + b[:, 1]) * n + b[:, 2])
    _, inv = np.unique(np.vstack([a, b]), axis=0, return_inverse=True)
    inv = inv.ravel()
    return inv[:len(a)], inv[len(a):]


def _detj(nodes: np.ndarray, cells: np.ndarray, et: ElementType, pts: np.ndarray) -> np.ndarray:
    """(m, q) Jacobian determinants of elements of one type at reference points."""
    _, dN = et.shape(pts)
    J = np.einsum("mna,qnb->mqab", nodes[cells], dN)
    return np.linalg.det(J)
