"""Resolving what a load or boundary line names (a number or a set) against the built mesh.

Lines that name single nodes or elements by number get automatic sets (named `_N<id>`,
`_E<id>_S<k>` or after their line), because the Model addresses loads to named sets.
"""

from __future__ import annotations

import numpy as np

from ..mesh import Mesh
from .lexer import Block
from .meshdata import BuiltMesh, SetDef, SurfaceDef
from .names import Namespace


class Targets:
    def __init__(self, built: BuiltMesh, nsets: Namespace[SetDef], elsets: Namespace[SetDef],
                 surfaces: Namespace[SurfaceDef], ref_by_label: dict[int, str]):
        self.mesh: Mesh = built.mesh
        self.ref_members = built.ref_members
        self.nsets, self.elsets, self.surfaces = nsets, elsets, surfaces
        self.ref_by_label = ref_by_label
        m = self.mesh
        self._taken = {n.upper() for n in (*m.node_sets, *m.cell_sets, *m.face_sets)}
        self._node_order = np.argsort(m.node_ids, kind="stable")
        self._node_sorted = m.node_ids[self._node_order]
        self._elem_order = np.argsort(m.cell_ids, kind="stable")
        self._elem_sorted = m.cell_ids[self._elem_order]
        self._face_cache: dict[tuple, str] = {}

    # ------------------------------------------------------------------ numbers
    @staticmethod
    def _lookup(sorted_ids, order, labels):
        pos = np.minimum(np.searchsorted(sorted_ids, labels), len(sorted_ids) - 1)
        return order[pos], sorted_ids[pos] == labels

    def node_indices(self, labels: np.ndarray, block: Block, lines: np.ndarray) -> np.ndarray:
        idx, ok = self._lookup(self._node_sorted, self._node_order, labels)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise block.error(f"node {labels[i]} is not in the mesh (not defined, or in no "
                              "element)", int(lines[i]))
        return idx

    def elem_indices(self, labels: np.ndarray, block: Block, lines: np.ndarray) -> np.ndarray:
        idx, ok = self._lookup(self._elem_sorted, self._elem_order, labels)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise block.error(f"element {labels[i]} is not defined", int(lines[i]))
        return idx

    # ------------------------------------------------------------------ names
    def nset(self, name: str, block: Block, line: int) -> tuple[str | None, list[str]]:
        """(mesh node set or None if it held only reference nodes, reference points it names)."""
        canon, _ = self.nsets.require(name, block, line)
        refs = [self.ref_by_label[lab] for lab in self.ref_members.get(canon, [])]
        return (canon if canon in self.mesh.node_sets else None), refs

    def elset(self, name: str, block: Block, line: int) -> tuple[str, np.ndarray]:
        canon, _ = self.elsets.require(name, block, line)
        return canon, self.mesh.cell_sets[canon]

    def surface(self, name: str, block: Block, line: int) -> str:
        canon, surf = self.surfaces.require(name, block, line)
        if surf.kind != "ELEMENT":
            raise block.error(f"surface '{canon}' is node-based (TYPE=NODE); this needs an "
                              "element-face surface", line)
        return canon

    # ------------------------------------------------------------------ automatic sets
    def new_name(self, base: str) -> str:
        name, k = base, 1
        while name.upper() in self._taken:
            k += 1
            name = f"{base}_{k}"
        self._taken.add(name.upper())
        return name

    def node_set(self, base: str, idx: np.ndarray) -> str:
        name = self.new_name(base)
        self.mesh.node_sets[name] = np.unique(np.asarray(idx, np.int64))
        return name

    def face_set(self, base: str, pairs: np.ndarray, reuse_key: tuple | None = None) -> str:
        """A face set of (element, face) pairs; the same reuse_key returns the same set."""
        if reuse_key is not None and reuse_key in self._face_cache:
            return self._face_cache[reuse_key]
        name = self.new_name(base)
        self.mesh.face_sets[name] = np.unique(np.asarray(pairs, np.int64).reshape(-1, 2), axis=0)
        if reuse_key is not None:
            self._face_cache[reuse_key] = name
        return name
