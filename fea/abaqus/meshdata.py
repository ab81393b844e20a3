"""*NODE, *ELEMENT, *NSET, *ELSET and *SURFACE: collected by label, then turned into a `Mesh`.

Node and element numbers (labels) are kept as read until every mesh block is in, because a deck
may list elements before their nodes; they are then mapped to indices in bulk (searchsorted), and
a number that is not defined is reported with the line that used it. Set members that name other
sets are expanded when read, as in Abaqus, where a set must be defined before another uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from ..mesh import Mesh
from .lexer import Block, digits
from .names import Namespace

from ..elements import ELEMENTS  # noqa: E402 (the registry: Abaqus node order == ours)

ELEMENT_TYPES = {name: et.n_nodes for name, et in ELEMENTS.items()}
MAX_FACES = max(et.n_faces for et in ELEMENTS.values())
FACE_LABELS = tuple(f"S{k + 1}" for k in range(MAX_FACES))  # Abaqus S1.. == local faces 0..


@dataclass
class Part:
    """Labels one block contributed to a set (kept for messages that name the line)."""

    labels: np.ndarray
    block: Block
    faces: np.ndarray | None = None  # element surfaces: local face 0..3, -1 = exterior faces


@dataclass
class SetDef:
    parts: list[Part] = field(default_factory=list)

    def labels(self) -> np.ndarray:
        if not self.parts:
            return np.zeros(0, np.int64)
        return np.concatenate([p.labels for p in self.parts])


@dataclass
class SurfaceDef:
    kind: str  # "ELEMENT" | "NODE"
    block: Block
    parts: list[Part] = field(default_factory=list)


@dataclass
class BuiltMesh:
    mesh: Mesh
    ref_positions: dict[int, np.ndarray]  # reference-node label -> (3,) coordinates
    ref_members: dict[str, list[int]]  # node-set name -> reference-node labels it held
    node_surfaces: dict[str, str]  # TYPE=NODE surface -> the mesh node set holding its nodes


def _line_of(block: Block, token: int) -> int:
    """Line of a block where a number appears (error path only)."""
    fields, lineno = block.table()
    hits = np.flatnonzero((fields == str(token)).any(axis=1)) if fields.size else []
    return int(lineno[hits[0]]) if len(hits) else block.line


MAX_LABEL = 2**31 - 1  # node and element numbers of Abaqus and CalculiX are 32-bit
MAX_GENERATED = 10_000_000  # members of one GENERATE line (far beyond a solvable model)


def _labels_ok(values: np.ndarray, block: Block, what: str) -> np.ndarray:
    bad = ~((values >= 1) & (values <= MAX_LABEL)) | (values != np.round(values))
    if bad.any():
        raise block.error(f"{what} {values[bad][0]:g} is not a whole number from 1 to "
                          f"{MAX_LABEL}", _line_of(block, values[bad][0]))
    return values.astype(np.int64)


class MeshBuilder:
    def __init__(self, source: str):
        self.source = source
        self.node_blocks: list[tuple[np.ndarray, np.ndarray, Block]] = []
        self.elem_blocks: list[tuple[np.ndarray, np.ndarray, Block, str]] = []
        self.nsets: Namespace[SetDef] = Namespace("node set")
        self.elsets: Namespace[SetDef] = Namespace("element set")
        self.surfaces: Namespace[SurfaceDef] = Namespace("surface")

    # ------------------------------------------------------------------ keywords
    def add_nodes(self, block: Block) -> None:
        block.check_params({"NSET", "SYSTEM"})
        block.choice("SYSTEM", ("R",))  # cylindrical/spherical node input is not supported
        # a node line may omit trailing coordinates, which are then zero (as in Abaqus)
        arr = block.numeric(4, np.float64, "node number, x, y, z", min_width=2)
        labels = _labels_ok(arr[:, 0], block, "node number")
        bad = ~np.isfinite(arr[:, 1:]).all(axis=1)
        if bad.any():  # 'nan' and '1e999' read as numbers
            label = int(labels[bad][0])
            raise block.error(f"node {label} has a coordinate that is not a finite number",
                              _line_of(block, label))
        self.node_blocks.append((labels, arr[:, 1:], block))
        if block.param("NSET"):
            self._add(self.nsets, block.param("NSET"), Part(labels, block))

    def add_elements(self, block: Block) -> None:
        block.check_params({"TYPE", "ELSET"})
        etype = " ".join(block.param("TYPE", required=True).split()).upper()
        if etype not in ELEMENT_TYPES:
            raise block.error(f"TYPE={etype} is not supported: the element types solved are "
                              f"TYPE={', '.join(ELEMENT_TYPES)}")
        npe = ELEMENT_TYPES[etype]
        arr = block.numeric(1 + npe, np.int64, f"element number and {npe} node numbers",
                            continuation=True)
        labels = _labels_ok(arr[:, 0], block, "element number")
        self.elem_blocks.append((labels, arr[:, 1:], block, etype))
        if block.param("ELSET"):
            self._add(self.elsets, block.param("ELSET"), Part(labels, block))

    def add_set(self, block: Block) -> None:
        """*NSET, NSET=name or *ELSET, ELSET=name: numbers, GENERATE ranges, or other set names."""
        key = "NSET" if block.keyword == "NSET" else "ELSET"
        space = self.nsets if key == "NSET" else self.elsets
        block.check_params({key, "GENERATE", "INTERNAL", "UNSORTED"})
        name = block.param(key, required=True)
        if block.flag("GENERATE"):
            for line, f in block.lines():
                try:
                    a, b, *step = [int(x) for x in f if x]
                except ValueError:
                    raise block.error("GENERATE lines are 'first, last[, increment]' "
                                      "(whole numbers)", line) from None
                step = step[0] if step else 1
                if step < 1 or b < a or len(f) > 3:
                    raise block.error(f"bad GENERATE range {','.join(f)} (need first <= last, "
                                      "increment >= 1)", line)
                if a < 1 or b > MAX_LABEL or (b - a) // step + 1 > MAX_GENERATED:
                    raise block.error(f"GENERATE range {','.join(f)} would list "
                                      f"{(b - a) // step + 1} numbers from {a} to {b}; numbers "
                                      f"run from 1 to {MAX_LABEL}: check the range", line)
                self._add(space, name, Part(np.arange(a, b + 1, step, dtype=np.int64), block))
            return
        fields, lineno = block.table()
        tokens = fields.ravel()
        token_line = np.repeat(lineno, fields.shape[1]) if fields.size else lineno
        keep = tokens != ""
        tokens, token_line = tokens[keep], token_line[keep]
        isnum = digits(tokens)
        nums = tokens[isnum]
        big = np.char.str_len(nums) > len(str(MAX_LABEL))  # beyond 64 bits, even
        big |= ~big & (np.where(big, "0", nums).astype(np.float64) > MAX_LABEL)
        if big.any():
            j = np.flatnonzero(isnum)[np.flatnonzero(big)[0]]
            raise block.error(f"'{tokens[j]}' is too large (numbers run from 1 to {MAX_LABEL})",
                              int(token_line[j]))
        self._add(space, name, Part(tokens[isnum].astype(np.int64), block))
        for member, line in zip(tokens[~isnum].tolist(), token_line[~isnum].tolist()):
            _, other = space.require(member, block, line)
            # a copy: a set naming itself (fuzzed decks did) would grow while being read
            for p in list(other.parts):
                self._add(space, name, Part(p.labels, p.block))

    def add_surface(self, block: Block) -> None:
        block.check_params({"NAME", "TYPE", "INTERNAL"})
        name = block.param("NAME", required=True)
        kind = block.choice("TYPE", ("ELEMENT", "NODE"), "ELEMENT")
        if name in self.surfaces:
            first = self.surfaces.get(name).block
            raise block.error(f"surface '{name}' is defined twice (first at {first.loc()}); "
                              "Abaqus surfaces cannot be extended")
        surf = SurfaceDef(kind, block)
        fields, lineno = block.table()
        if not fields.size:
            raise block.error(f"surface '{name}' has no data lines")
        if fields.shape[1] > 2:
            extra = (fields[:, 2:] != "").any(axis=1)
            if extra.any():
                    raise block.error("surface lines are 'element set or number, face label' "
                                  "(or a node set / number for TYPE=NODE)",
                                  int(lineno[np.flatnonzero(extra)[0]]))
        target = fields[:, 0]
        isnum = digits(target)
        if kind == "ELEMENT":
            label = np.char.upper(fields[:, 1]) if fields.shape[1] > 1 else np.full(
                len(target), "")
            face = np.full(len(target), -2, dtype=np.int64)
            face[label == ""] = -1
            for j, lab in enumerate(FACE_LABELS):
                face[label == lab] = j
            if (face == -2).any():
                i = int(np.flatnonzero(face == -2)[0])
                raise block.error(f"face '{fields[i, 1]}' is not an element face label "
                                  f"(use {', '.join(FACE_LABELS)})", int(lineno[i]))
            surf.parts.append(Part(target[isnum].astype(np.int64), block, face[isnum]))
            for i in np.flatnonzero(~isnum):
                _, es = self.elsets.require(str(target[i]), block, int(lineno[i]))
                labels = es.labels()
                surf.parts.append(Part(labels, block, np.full(len(labels), face[i])))
        else:
            surf.parts.append(Part(target[isnum].astype(np.int64), block))
            for i in np.flatnonzero(~isnum):
                _, ns = self.nsets.require(str(target[i]), block, int(lineno[i]))
                surf.parts.append(Part(ns.labels(), block))
        self.surfaces.define(name, surf)

    def _add(self, space: Namespace[SetDef], name: str, part: Part) -> None:
        if name not in space:
            space.define(name, SetDef())
        space.get(name).parts.append(part)

    # ------------------------------------------------------------------ building
    def build(self, ref_labels: dict[int, Block]) -> BuiltMesh:
        """The Mesh (orphan and reference nodes dropped) and what the reference nodes were.

        ref_labels: reference-node label -> the *COUPLING block that named it (for messages).
        """
        if not self.elem_blocks:
            raise ConfigError(f"{self.source}: the deck defines no elements (*ELEMENT, "
                              f"TYPE={', '.join(ELEMENT_TYPES)})")
        if not self.node_blocks:
            raise ConfigError(f"{self.source}: the deck defines no nodes (*NODE)")
        nlab = np.concatenate([b[0] for b in self.node_blocks])
        xyz = np.vstack([b[1] for b in self.node_blocks])
        node_index = self._indexer(nlab, self.node_blocks, "node")
        # one cell block per element type, in the order the types first appear
        types = list(dict.fromkeys(b[3] for b in self.elem_blocks))
        self.elem_blocks.sort(key=lambda b: types.index(b[3]))  # stable: deck order per type
        elab = np.concatenate([b[0] for b in self.elem_blocks])
        elem_index = self._indexer(elab, [b[:3] for b in self.elem_blocks], "element")

        per_type: dict[str, list[np.ndarray]] = {t: [] for t in types}
        for labels, conn, block, etype in self.elem_blocks:
            idx, ok = node_index(conn.ravel())
            if not ok.all():
                bad = int(np.flatnonzero(~ok)[0])
                e, n = labels[bad // conn.shape[1]], conn.ravel()[bad]
                raise block.error(f"element {e} uses node {n}, which no *NODE defines",
                                  _line_of(block, e))
            per_type[etype].append(idx.reshape(conn.shape))
        cells = [(t, np.vstack(c)) for t, c in per_type.items()]

        ref_index = {}
        used = np.zeros(len(nlab), bool)
        for _, c in cells:
            used[c.ravel()] = True
        for label, block in ref_labels.items():
            idx, ok = node_index(np.array([label]))
            if not ok[0]:
                raise block.error(f"REF NODE={label} is not defined by any *NODE")
            if used[idx[0]]:
                raise block.error(f"REF NODE={label} belongs to an element; a reference node "
                                  "must be a separate node")
            ref_index[label] = int(idx[0])

        node_sets = {n: self._resolve(s, node_index, "node") for n, s in self.nsets.items()}
        cell_sets = {n: self._resolve(s, elem_index, "element") for n, s in self.elsets.items()}
        face_sets, node_surfaces = {}, {}
        ext = None
        for name, surf in self.surfaces.items():
            if surf.kind == "NODE":
                nodes = self._resolve(SetDef(surf.parts), node_index, "node")
                other = self.nsets.canonical(name)
                if other is not None and not np.array_equal(node_sets[other], nodes):
                    raise surf.block.error(f"node surface '{name}' and node set '{other}' hold "
                                           "different nodes; give them different names")
                node_sets[other or name] = nodes
                node_surfaces[name] = other or name
                continue
            elems = self._resolve(SetDef(surf.parts), elem_index, "element", unique=False)
            faces = np.concatenate([p.faces for p in surf.parts])
            pairs = np.stack([elems, faces], axis=1)
            self._check_faces(surf, pairs, xyz, cells, elab)
            if (faces < 0).any():  # no face label: the exterior faces of those elements
                if ext is None:
                    ext = Mesh(xyz, cells).boundary_faces()
                whole = np.unique(elems[faces < 0])
                pairs = np.vstack([pairs[faces >= 0], ext[np.isin(ext[:, 0], whole)]])
            face_sets[name] = np.unique(pairs, axis=0)

        mesh = Mesh(xyz, cells, cell_sets, face_sets, node_sets, nlab, elab, self.source)
        is_ref = np.zeros(len(nlab), bool)
        is_ref[list(ref_index.values())] = True
        ref_members = {}
        for name, idx in node_sets.items():
            if is_ref[idx].any():
                ref_members[name] = nlab[idx[is_ref[idx]]].tolist()
        mesh = mesh.drop_unused_nodes()  # reference and orphan nodes leave the mesh here
        for name in ref_members:
            if not len(mesh.node_sets[name]):
                del mesh.node_sets[name]  # it only named reference nodes
        positions = {label: xyz[i].copy() for label, i in ref_index.items()}
        return BuiltMesh(mesh, positions, ref_members, node_surfaces)

    def _check_faces(self, surf: SurfaceDef, pairs: np.ndarray, xyz, cells, elab) -> None:
        """A face label beyond an element's faces (S5 on a tetrahedron) names the element."""
        mesh = Mesh(xyz, cells, source=self.source)
        n_faces = np.array([b.type.n_faces for b in mesh.blocks])[mesh.block_index(pairs[:, 0])]
        bad = np.flatnonzero(pairs[:, 1] >= n_faces)
        if len(bad):
            e = int(pairs[bad[0], 0])
            et = mesh.blocks[mesh.block_index([e])[0]].type
            raise surf.block.error(
                f"element {elab[e]} is a {et.name}, which has faces S1..S{et.n_faces}, not "
                f"S{pairs[bad[0], 1] + 1}", _line_of(surf.block, int(elab[e])))

    def _indexer(self, labels: np.ndarray, blocks, what: str):
        order = np.argsort(labels, kind="stable")
        sorted_labels = labels[order]
        dup = np.flatnonzero(sorted_labels[1:] == sorted_labels[:-1])
        if len(dup):
            label = int(sorted_labels[dup[0]])
            where = [b for lab, _, b in blocks if (lab == label).any()]
            raise where[-1].error(f"{what} {label} is defined twice", _line_of(where[-1], label))

        def index(query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            query = np.asarray(query, dtype=np.int64)
            if not len(sorted_labels):  # none defined (an empty *NODE block): all unknown
                return np.zeros(query.shape, np.int64), np.zeros(query.shape, bool)
            pos = np.minimum(np.searchsorted(sorted_labels, query), len(sorted_labels) - 1)
            return order[pos], sorted_labels[pos] == query

        return index

    def _resolve(self, s: SetDef, index, what: str, unique: bool = True) -> np.ndarray:
        out = []
        for p in s.parts:
            idx, ok = index(p.labels)
            if not ok.all():
                label = int(p.labels[~ok][0])
                raise p.block.error(f"{what} {label} is not defined (no *{what.upper()} has it)",
                                    _line_of(p.block, label))
            out.append(idx)
        idx = np.concatenate(out) if out else np.zeros(0, np.int64)
        return np.unique(idx) if unique else idx

