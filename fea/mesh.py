"""`Mesh`: nodes, TET4 or TET10 cells, named cell/face/node sets, quality checks.

Units: node coordinates in mm. Node order inside cells and faces: see `fea.elements`.
Face sets are (element index, local face 0..3) pairs, so a face knows its element and its outward
normal; the same physical surface inside a conforming mesh holds both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .elements import TET10_EDGES, faces_of, tet_quadrature, tet_shape
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
class Mesh:
    nodes: np.ndarray  # (n, 3) float64, mm
    cells: np.ndarray  # (m, 4|10) int64
    cell_sets: dict[str, np.ndarray] = field(default_factory=dict)  # name -> element indices
    face_sets: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (k, 2) elem, face
    node_sets: dict[str, np.ndarray] = field(default_factory=dict)  # name -> node indices
    node_ids: np.ndarray | None = None  # labels from the source file (for messages), 1-based
    cell_ids: np.ndarray | None = None
    source: str = "<memory>"

    def __post_init__(self):
        self.nodes = np.ascontiguousarray(self.nodes, dtype=np.float64)
        self.cells = np.ascontiguousarray(self.cells, dtype=np.int64)
        if self.nodes.ndim != 2 or self.nodes.shape[1] != 3:
            raise MeshError(f"{self.source}: nodes must be (n, 3), got {self.nodes.shape}")
        if self.cells.ndim != 2 or self.cells.shape[1] not in (4, 10):
            raise MeshError(
                f"{self.source}: cells must be TET4 (m, 4) or TET10 (m, 10), got {self.cells.shape}"
            )
        if len(self.cells) and (self.cells.min() < 0 or self.cells.max() >= len(self.nodes)):
            raise MeshError(f"{self.source}: cell connectivity refers to nodes that do not exist")
        if self.node_ids is None:
            self.node_ids = np.arange(1, len(self.nodes) + 1)
        if self.cell_ids is None:
            self.cell_ids = np.arange(1, len(self.cells) + 1)
        self.cell_sets = {k: np.asarray(v, dtype=np.int64) for k, v in self.cell_sets.items()}
        self.node_sets = {k: np.asarray(v, dtype=np.int64) for k, v in self.node_sets.items()}
        self.face_sets = {
            k: np.asarray(v, dtype=np.int64).reshape(-1, 2) for k, v in self.face_sets.items()
        }

    # ------------------------------------------------------------------ basic facts
    @property
    def nodes_per_cell(self) -> int:
        return self.cells.shape[1]

    @property
    def element_type(self) -> str:
        return "tet4" if self.nodes_per_cell == 4 else "tet10"

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_cells(self) -> int:
        return len(self.cells)

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
            return np.unique(self.face_connectivity(self.face_sets[name]))
        if name in self.cell_sets:
            return np.unique(self.cells[self.cell_sets[name]])
        raise self._unknown(name, "node, face or cell set")

    def face_connectivity(self, faces: np.ndarray, corners_only: bool = False) -> np.ndarray:
        """Node indices (k, 3|6) of (element, local face) pairs, outward ordering."""
        faces = np.asarray(faces, dtype=np.int64).reshape(-1, 2)
        table = faces_of(self.nodes_per_cell)
        if corners_only:
            table = table[:, :3]
        return self.cells[faces[:, 0][:, None], table[faces[:, 1]]]

    # ------------------------------------------------------------------ geometry
    def corner_volumes(self) -> np.ndarray:
        x = self.nodes[self.cells[:, :4]]
        d = x[:, 1:] - x[:, :1]
        return np.einsum("ij,ij->i", np.cross(d[:, 0], d[:, 1]), d[:, 2]) / 6.0

    def volume(self, cell_set: str | None = None) -> float:
        """Volume (mm^3) integrated with the element geometry (curved TET10 included)."""
        idx = slice(None) if cell_set is None else self.elements(cell_set)
        return float(element_volumes(self.nodes, self.cells[idx]).sum())

    def quality(self, jr: np.ndarray | None = None) -> MeshQuality:
        """jr: jacobian_ratio of this mesh when the caller has it (check: computed once)."""
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

    def check(self) -> MeshQuality:
        """Raise MeshError naming inverted or zero-volume elements; return quality statistics."""
        if self.n_cells == 0:
            raise MeshError(f"{self.source}: the mesh has no tetrahedra")
        vol = self.corner_volumes()
        scale = np.abs(vol).max()
        bad = np.flatnonzero(vol <= 1e-12 * scale)
        jr = None
        if self.nodes_per_cell == 10 and not len(bad):
            jr = jacobian_ratio(self.nodes, self.cells)
            bad = np.flatnonzero(jr <= 1e-6)
        if len(bad):
            ids = ", ".join(str(i) for i in self.cell_ids[bad[:20]])
            more = f" (and {len(bad) - 20} more)" if len(bad) > 20 else ""
            kind = "inverted" if (vol[bad] < 0).any() else "zero-volume or distorted"
            raise MeshError(
                f"{self.source}: {len(bad)} {kind} element(s): ids {ids}{more}. "
                "Fix the node order or remesh these elements."
            )
        used = np.zeros(self.n_nodes, bool)
        used[self.cells.ravel()] = True  # a mask, not setdiff1d's sort of every cell entry
        unused = np.flatnonzero(~used)
        if len(unused):
            raise MeshError(
                f"{self.source}: {len(unused)} node(s) belong to no element "
                f"(e.g. id {self.node_ids[unused[0]]}); call Mesh.drop_unused_nodes()"
            )
        return self.quality(jr)

    # ------------------------------------------------------------------ transformations
    def drop_unused_nodes(self, keep: np.ndarray | None = None) -> "Mesh":
        """A copy without nodes outside every element (keep: extra node indices to retain)."""
        used = np.zeros(self.n_nodes, bool)
        used[self.cells.ravel()] = True
        if keep is not None:
            used[np.asarray(keep, dtype=np.int64)] = True
        new_index = np.full(self.n_nodes, -1, dtype=np.int64)
        new_index[used] = np.arange(used.sum())
        node_sets = {}
        for k, v in self.node_sets.items():
            v = new_index[v]
            node_sets[k] = v[v >= 0]
        return Mesh(
            self.nodes[used], new_index[self.cells], dict(self.cell_sets), dict(self.face_sets),
            node_sets, self.node_ids[used], self.cell_ids, self.source,
        )

    def to_tet10(self) -> "Mesh":
        """Quadratic copy of a TET4 mesh: a mid-edge node on every edge (straight edges)."""
        if self.nodes_per_cell == 10:
            return self
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
        """(element, face) pairs whose corner nodes equal the given triangles (k,3).

        An interior triangle (between two regions of a conforming mesh) matches both sides.
        Triangles that match no element face raise MeshError naming the surface.
        """
        tri_corners = np.sort(np.asarray(tri_corners, dtype=np.int64).reshape(-1, 3), axis=1)
        fc = self.face_connectivity(
            np.stack(np.meshgrid(np.arange(self.n_cells), np.arange(4), indexing="ij"), -1)
            .reshape(-1, 2),
            corners_only=True,
        )
        fc = np.sort(fc, axis=1)
        n = np.int64(self.n_nodes)
        fkey = (fc[:, 0] * n + fc[:, 1]) * n + fc[:, 2]
        tkey = (tri_corners[:, 0] * n + tri_corners[:, 1]) * n + tri_corners[:, 2]
        order = np.argsort(fkey, kind="stable")
        sk = fkey[order]
        lo = np.searchsorted(sk, tkey, "left")
        hi = np.searchsorted(sk, tkey, "right")
        if (hi == lo).any():
            bad = int(np.flatnonzero(hi == lo)[0])
            ids = self.node_ids[tri_corners[bad]]
            raise MeshError(
                f"{self.source}: surface '{name}' has {(hi == lo).sum()} triangle(s) that are not "
                f"faces of any tetrahedron, e.g. nodes {list(map(int, ids))}"
            )
        counts = hi - lo
        starts = np.repeat(lo, counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        flat = order[starts + offs]
        return np.stack([flat // 4, flat % 4], axis=1)

    def boundary_faces(self) -> np.ndarray:
        """(element, face) pairs on the outer boundary (faces owned by exactly one element)."""
        allf = np.stack(np.meshgrid(np.arange(self.n_cells), np.arange(4), indexing="ij"), -1)
        allf = allf.reshape(-1, 2)
        fc = np.sort(self.face_connectivity(allf, corners_only=True), axis=1)
        _, inv, cnt = np.unique(fc, axis=0, return_inverse=True, return_counts=True)
        return allf[cnt[inv.ravel()] == 1]

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
