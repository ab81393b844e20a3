"""History data: *STEP / *STATIC / *END STEP with *CLOAD, *DLOAD, *DSLOAD and *BOUNDARY.

Abaqus and CalculiX keep loads per entity: per node and dof (*CLOAD), per element face and label
(*DLOAD Px, *DSLOAD P share it), per face for *DSLOAD TRVEC. Inside one step, repeated loads on
the same entity add up; a later step replaces the value on every entity it names and keeps the
others (OP=MOD); OP=NEW first removes every load of that kind. Prescribed displacements behave
the same per dof, and *BOUNDARY, OP=NEW removes all earlier ones, model-level ones included
(measured with ccx 2.20).

Our `Step` is additive instead (its loads add to what earlier steps applied). So each step is
emitted as the change of the per-set values ("keys": one per set and load kind) since the previous
step, and then checked against the exact per-entity state. Where two different sets overlap across
steps (Abaqus replaced the load node by node), a correction load on an automatic set restores the
exact state, so every step ends exactly where Abaqus would put it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..model import LoadCase, NodalForce, Pressure, RefLoad, Step, Support, Traction
from .lexer import Block, digits
from .targets import Targets
from .meshdata import MAX_FACES

BC_TYPES = {  # Abaqus boundary-condition types -> constrained dofs (1-based)
    "ENCASTRE": (1, 2, 3, 4, 5, 6), "PINNED": (1, 2, 3),
    "XSYMM": (1, 5, 6), "YSYMM": (2, 4, 6), "ZSYMM": (3, 4, 5),
}
KEY_SIZE = {"F": 3, "R": 6, "P": 1, "T": 3}  # nodal force, reference load, pressure, traction
MAX_INCREMENTS = 1000


@dataclass
class _StepData:
    name: str
    block: Block
    n_nodes: int
    n_cells: int
    increments: int = 1
    nlgeom: bool = False
    has_static: bool = False
    opnew: set = field(default_factory=set)  # "C" concentrated, "D" distributed loads
    bc_opnew: bool = False
    keys: dict = field(default_factory=dict)  # key -> [values, touched mask]
    displacements: list = field(default_factory=list)

    def __post_init__(self):
        n, m = self.n_nodes, self.n_cells
        self.sF, self.mF = np.zeros((n, 3)), np.zeros((n, 3), bool)
        f = MAX_FACES
        self.sP, self.mP = np.zeros((m, f)), np.zeros((m, f), bool)
        self.sT, self.mT = np.zeros((m, f, 3)), np.zeros((m, f), bool)

    def add(self, key: tuple, comps, values) -> None:
        vec, mask = self.keys.setdefault(key, [np.zeros(KEY_SIZE[key[0]]),
                                               np.zeros(KEY_SIZE[key[0]], bool)])
        np.add.at(vec, comps, values)
        mask[comps] = True


def _table(block: Block, lo: int, hi: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    fields, lineno = block.table()
    if not fields.size:
        raise block.error(f"needs data lines '{what}'")
    if fields.shape[1] > hi:
        extra = (fields[:, hi:] != "").any(axis=1)
        if extra.any():
            raise block.error(f"too many entries: lines are '{what}'",
                              int(lineno[np.flatnonzero(extra)[0]]))
        fields = fields[:, :hi]
    if fields.shape[1] < hi:
        fields = np.hstack([fields, np.full((len(fields), hi - fields.shape[1]), "",
                                            dtype=fields.dtype)])
    short = (fields[:, :lo] == "").any(axis=1)
    if short.any():
        raise block.error(f"missing entries: lines are '{what}'",
                          int(lineno[np.flatnonzero(short)[0]]))
    return fields, lineno


def _numbers(col: np.ndarray, lineno: np.ndarray, block: Block, dtype, what: str) -> np.ndarray:
    try:
        return col.astype(dtype)
    except ValueError:
        for text, line in zip(col.tolist(), lineno.tolist()):  # error path: find the culprit
            try:
                np.array([text]).astype(dtype)
            except ValueError:
                raise block.error(f"'{text}' is not a valid {what}", line) from None
        raise


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """Indices of equal rows of `keys`, one array per distinct row (in order of first use)."""
    _, first, inv = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    bounds = np.cumsum(np.bincount(inv))[:-1]
    groups = np.split(order, bounds)
    return [groups[g] for g in np.argsort(first)]


class HistoryBuilder:
    def __init__(self, targets: Targets, source: str):
        self.t = targets
        self.mesh = targets.mesh
        self.source = source
        n, m = self.mesh.n_nodes, self.mesh.n_cells
        self.F, self.P = np.zeros((n, 3)), np.zeros((m, MAX_FACES))
        self.T = np.zeros((m, MAX_FACES, 3))
        self.active: dict[tuple, np.ndarray] = {}
        self.steps: list[Step] = []
        self.model_supports: list[Support] = []
        self.cur: _StepData | None = None
        self._node_cache: dict[bytes, str] = {}
        self._names: set[str] = set()

    # ------------------------------------------------------------------ steps
    def begin(self, block: Block) -> None:
        if self.cur is not None:
            raise block.error(f"the step opened at {self.cur.block.loc()} has no *END STEP")
        block.check_params({"NAME", "NLGEOM", "INC", "AMPLITUDE", "UNSYMM"})
        # NLGEOM: CalculiX applies *SPRING, NONLINEAR tables only in such steps. Accepted; the
        # displacements here stay small, so geometry is treated as linear (LoadCase.nlgeom_note)
        nlgeom = block.params.get("NLGEOM", "NO")
        nlgeom = True if nlgeom is None else block.choice("NLGEOM", ("YES", "NO")) == "YES"
        block.choice("AMPLITUDE", ("RAMP", "STEP"))  # either ends the step at the full value
        name = block.param("NAME") or f"Step-{len(self.steps) + 1}"
        if name.upper() in self._names:
            raise block.error(f"step name '{name}' is used twice")
        self._names.add(name.upper())
        self.cur = _StepData(name, block, self.mesh.n_nodes, self.mesh.n_cells, nlgeom=nlgeom)

    def static(self, block: Block) -> None:
        acc = self._step(block)
        if acc.has_static:
            raise block.error("a step takes one procedure")
        acc.has_static = True
        block.check_params({"DIRECT", "SOLVER"})
        rows = block.lines()
        if len(rows) > 1:
            raise block.error("takes one data line: initial increment, step time, ...",
                              rows[1][0])
        if not rows:
            return
        line, f = rows[0]
        try:
            vals = [float(x) if x else None for x in f[:4]]
        except ValueError:
            raise block.error("the data line holds numbers: initial increment, step time, "
                              "minimum, maximum increment", line) from None
        dt0 = vals[0] if vals else None
        period = vals[1] if len(vals) > 1 and vals[1] is not None else 1.0
        if dt0 and dt0 > 0 and period > 0 and dt0 < period:
            # our increments are equal: step time / initial increment of them, as with DIRECT
            n = math.ceil(period / dt0 - 1e-9)
            if n > MAX_INCREMENTS and block.flag("DIRECT"):
                raise block.error(f"{n} fixed increments; at most {MAX_INCREMENTS} are "
                                  "supported", line)
            acc.increments = min(n, MAX_INCREMENTS)

    def end(self, block: Block) -> None:
        acc = self._step(block)
        block.check_params(set())
        if not acc.has_static:
            raise block.error(f"step '{acc.name}' ({acc.block.loc()}) has no *STATIC: only "
                              "linear static steps are supported")
        self.steps.append(self._finish(acc))
        self.cur = None

    def loadcase(self, name: str, description: str) -> LoadCase | None:
        if self.cur is not None:
            raise self.cur.block.error("the step has no *END STEP")
        if any(s.replace for s in self.steps) and self.steps and not self.steps[0].replace:
            # *BOUNDARY, OP=NEW removes model-level conditions too (as ccx does): they become
            # prescribed motions of the first step, which `replace` can remove
            self.steps[0].displacements[:0] = self.model_supports
            self.model_supports = []
        elif self.steps and self.steps[0].replace:
            self.model_supports = []
        if not self.steps:
            return None
        return LoadCase(name, self.steps, self.source, description)

    def _step(self, block: Block) -> _StepData:
        if self.cur is None:
            raise block.error("is history data: it belongs between *STEP and *END STEP")
        return self.cur

    # ------------------------------------------------------------------ loads
    def cload(self, block: Block) -> None:
        acc = self._step(block)
        block.check_params({"OP"})
        if block.choice("OP", ("MOD", "NEW"), "MOD") == "NEW":
            acc.opnew.add("C")
        fields, lineno = _table(block, 3, 3, "node or node set, dof, magnitude")
        dof = _numbers(fields[:, 1], lineno, block, np.int64, "degree of freedom (1..6)")
        val = _numbers(fields[:, 2], lineno, block, np.float64, "magnitude")
        bad = (dof < 1) | (dof > 6)
        if bad.any():
            raise block.error(f"degree of freedom {dof[bad][0]} is not 1..6",
                              int(lineno[bad][0]))
        target = fields[:, 0]
        isnum = digits(target)
        if isnum.any():
            self._cload_numbered(acc, block, target[isnum].astype(np.int64), dof[isnum],
                                 val[isnum], lineno[isnum])
        for rows in _groups(np.char.upper(target[~isnum])[:, None]) if (~isnum).any() else []:
            rows = np.flatnonzero(~isnum)[rows]
            line = int(lineno[rows[0]])
            mesh_set, refs = self.t.nset(str(target[rows[0]]), block, line)
            vec, mask = np.zeros(6), np.zeros(6, bool)
            np.add.at(vec, dof[rows] - 1, val[rows])
            mask[dof[rows] - 1] = True
            if mesh_set is not None:
                self._no_moments(block, dof[rows], lineno[rows], f"node set '{mesh_set}'")
                acc.add(("F", mesh_set), np.arange(3)[mask[:3]], vec[:3][mask[:3]])
                nodes = self.mesh.node_sets[mesh_set]
                acc.sF[nodes] += vec[:3]
                acc.mF[nodes] |= mask[:3]
            for ref in refs:
                acc.add(("R", ref), np.flatnonzero(mask), vec[mask])

    def _cload_numbered(self, acc, block, labels, dof, val, lineno) -> None:
        isref = np.isin(labels, list(self.t.ref_by_label))
        for lab, d, v in zip(labels[isref].tolist(), dof[isref].tolist(), val[isref].tolist()):
            acc.add(("R", self.t.ref_by_label[lab]), [d - 1], [v])
        if isref.all():
            return
        labels, dof, val, lineno = labels[~isref], dof[~isref], val[~isref], lineno[~isref]
        self._no_moments(block, dof, lineno, "mesh nodes")
        idx = self.t.node_indices(labels, block, lineno)
        np.add.at(acc.sF, (idx, dof - 1), val)
        acc.mF[idx, dof - 1] = True
        # one key per group of nodes loaded alike, so a per-node list stays a few sets
        u, inv = np.unique(idx, return_inverse=True)
        V, M = np.zeros((len(u), 3)), np.zeros((len(u), 3), bool)
        np.add.at(V, (inv, dof - 1), val)
        M[inv, dof - 1] = True
        for g, rows in enumerate(_groups(np.hstack([V, M]))):
            name = self._auto_nodes(u[rows], f"_CLOAD{block.line}_{g + 1}")
            acc.add(("F", name), np.flatnonzero(M[rows[0]]), V[rows[0]][M[rows[0]]])

    def _auto_nodes(self, idx: np.ndarray, base: str) -> str:
        """An automatic node set; the same nodes give the same set (so later steps replace)."""
        idx = np.unique(idx)
        key = idx.tobytes()
        if key not in self._node_cache:
            if len(idx) == 1:
                base = f"_N{self.mesh.node_ids[idx[0]]}"
            self._node_cache[key] = self.t.node_set(base, idx)
        return self._node_cache[key]

    @staticmethod
    def _no_moments(block: Block, dof: np.ndarray, lineno: np.ndarray, what: str) -> None:
        if (dof > 3).any():
            raise block.error(f"degree of freedom {dof[dof > 3][0]} on {what}: rotations and "
                              "moments (4-6) exist only on the reference node of a *COUPLING",
                              int(lineno[dof > 3][0]))

    def dload(self, block: Block) -> None:
        acc = self._step(block)
        block.check_params({"OP"})
        if block.choice("OP", ("MOD", "NEW"), "MOD") == "NEW":
            acc.opnew.add("D")
        fields, lineno = _table(block, 3, 3, "element or element set, P1..P4, pressure")
        label = np.char.upper(fields[:, 1])
        face = np.full(len(label), -1)
        for k in range(MAX_FACES):
            face[label == f"P{k + 1}"] = k
        if (face < 0).any():
            i = int(np.flatnonzero(face < 0)[0])
            raise block.error(f"load type '{fields[i, 1]}' is not supported: use P1..P"
                              f"{MAX_FACES} (a uniform pressure on element face S1..S{MAX_FACES})",
                              int(lineno[i]))
        val = _numbers(fields[:, 2], lineno, block, np.float64, "pressure")
        target = fields[:, 0]
        isnum = digits(target)
        if isnum.any():
            sel = np.flatnonzero(isnum)
            elems = self.t.elem_indices(target[sel].astype(np.int64), block, lineno[sel])
            self._faces_exist(block, elems, face[sel], lineno[sel])
            for rows in _groups(np.stack([face[sel], val[sel]], axis=1)):
                pairs = np.stack([elems[rows], face[sel][rows]], axis=1)
                base = (f"_E{self.mesh.cell_ids[pairs[0, 0]]}_S{pairs[0, 1] + 1}"
                        if len(rows) == 1 else f"_DLOAD{block.line}")
                key = ("faces", np.unique(pairs, axis=0).tobytes())
                name = self.t.face_set(base, pairs, reuse_key=key)
                self._pressure(acc, name, val[sel][rows[0]])
        for i in np.flatnonzero(~isnum):
            canon, elems = self.t.elset(str(target[i]), block, int(lineno[i]))
            k = int(face[i])
            self._faces_exist(block, elems, np.full(len(elems), k), np.full(len(elems), lineno[i]))
            pairs = np.stack([elems, np.full(len(elems), k)], axis=1)
            name = self.t.face_set(f"{canon}_S{k + 1}", pairs, reuse_key=("elset", canon, k))
            self._pressure(acc, name, val[i])

    def _faces_exist(self, block: Block, elems, face, lines) -> None:
        """P5 on a tetrahedron (4 faces) names the element and its type."""
        mesh = self.mesh
        bi = mesh.block_index(elems)
        n_faces = np.array([b.type.n_faces for b in mesh.blocks])[bi]
        bad = np.flatnonzero(face >= n_faces)
        if len(bad):
            j = bad[0]
            et = mesh.blocks[bi[j]].type
            raise block.error(f"element {mesh.cell_ids[elems[j]]} is a {et.name}, which has "
                              f"faces S1..S{et.n_faces} (loads P1..P{et.n_faces}), not "
                              f"P{face[j] + 1}", int(lines[j]))

    def dsload(self, block: Block) -> None:
        acc = self._step(block)
        block.check_params({"OP"})
        if block.choice("OP", ("MOD", "NEW"), "MOD") == "NEW":
            acc.opnew.add("D")
        for line, f in block.lines():  # one line per surface: few lines
            if len(f) < 3:
                raise block.error("lines are 'surface, P, pressure' or 'surface, TRVEC, "
                                  "magnitude, dx, dy, dz'", line)
            name = self.t.surface(f[0], block, line)
            kind = f[1].upper()
            try:
                nums = [float(x) for x in f[2:]]
            except ValueError:
                raise block.error(f"'{','.join(f[2:])}' are not all numbers", line) from None
            if kind == "P" and len(nums) == 1:
                self._pressure(acc, name, nums[0])
            elif kind == "TRVEC" and len(nums) == 4:
                d = np.array(nums[1:])
                if not np.linalg.norm(d) > 0:
                    raise block.error("TRVEC direction (dx, dy, dz) is zero", line)
                vec = nums[0] * d / np.linalg.norm(d)  # Abaqus normalises the direction
                acc.add(("T", name), np.arange(3), vec)
                pairs = self.mesh.face_sets[name]
                acc.sT[pairs[:, 0], pairs[:, 1]] += vec
                acc.mT[pairs[:, 0], pairs[:, 1]] = True
            else:
                raise block.error(f"load '{f[1]}' with {len(nums)} value(s) is not supported: "
                                  "use 'surface, P, pressure' or 'surface, TRVEC, magnitude, "
                                  "dx, dy, dz'", line)

    def _pressure(self, acc: _StepData, faceset: str, p: float) -> None:
        acc.add(("P", faceset), [0], [p])
        pairs = self.mesh.face_sets[faceset]
        acc.sP[pairs[:, 0], pairs[:, 1]] += p
        acc.mP[pairs[:, 0], pairs[:, 1]] = True

    # ------------------------------------------------------------------ boundary conditions
    def boundary(self, block: Block) -> None:
        in_step = self.cur is not None
        block.check_params({"OP", "TYPE"} if in_step else {"TYPE"})
        block.choice("TYPE", ("DISPLACEMENT",))
        if in_step and block.choice("OP", ("MOD", "NEW"), "MOD") == "NEW":
            self.cur.bc_opnew = True
        dest = self.cur.displacements if in_step else self.model_supports
        if in_step and self.cur.bc_opnew and not block.lines():
            return  # "*BOUNDARY, OP=NEW" alone: remove every earlier condition
        fields, lineno = _table(block, 2, 4, "node or node set, first dof[, last dof[, value]]")
        spec = np.char.upper(np.char.add(np.char.add(fields[:, 1], "|"),
                                         np.char.add(np.char.add(fields[:, 2], "|"),
                                                     fields[:, 3])))
        target = fields[:, 0]
        isnum = digits(target)
        # numbered nodes: one support per distinct (dofs, value), on an automatic set
        sel = np.flatnonzero(isnum)
        if len(sel):
            labels = target[sel].astype(np.int64)
            for rows in _groups(spec[sel][:, None]):
                r0 = sel[rows[0]]
                dofs, value = self._bc_spec(block, fields[r0], int(lineno[r0]))
                lab = labels[rows]
                isref = np.isin(lab, list(self.t.ref_by_label))
                for ref in sorted({self.t.ref_by_label[x] for x in lab[isref].tolist()}):
                    dest.append(self._support(ref, dofs, value, block, int(lineno[r0]), True))
                if (~isref).any():
                    idx = self.t.node_indices(lab[~isref], block, lineno[sel][rows][~isref])
                    name = self._auto_nodes(idx, f"_BC{block.line}")
                    sup = self._support(name, dofs, value, block, int(lineno[r0]), False)
                    if sup is not None:
                        dest.append(sup)
        for i in np.flatnonzero(~isnum):
            line = int(lineno[i])
            dofs, value = self._bc_spec(block, fields[i], line)
            mesh_set, refs = self.t.nset(str(target[i]), block, line)
            if mesh_set is not None:
                sup = self._support(mesh_set, dofs, value, block, line, False)
                if sup is not None:
                    dest.append(sup)
            for ref in refs:
                dest.append(self._support(ref, dofs, value, block, line, True))

    @staticmethod
    def _bc_spec(block: Block, f: np.ndarray, line: int) -> tuple[tuple[int, ...], float]:
        first, last, value = (str(x) for x in f[1:4])
        if not first.lstrip("-").isdigit():
            kind = first.upper()
            if kind not in BC_TYPES or last or value:
                raise block.error(f"'{first}' is not a dof number or a supported type "
                                  f"({', '.join(BC_TYPES)})", line)
            return BC_TYPES[kind], 0.0
        try:
            a = int(first)
            b = int(last) if last else a
            v = float(value) if value else 0.0
        except ValueError:
            raise block.error("lines are 'node or node set, first dof, last dof, value'",
                              line) from None
        if not 1 <= a <= b <= 6:
            raise block.error(f"dofs {a}..{b}: need 1 <= first <= last <= 6", line)
        return tuple(range(a, b + 1)), v

    @staticmethod
    def _support(target: str, dofs, value: float, block: Block, line: int, ref: bool):
        name = block.loc(line)
        if ref:
            return Support(target, tuple(d - 1 for d in dofs), (value,) * len(dofs), name)
        if value != 0.0 and any(d > 3 for d in dofs):
            raise block.error("a rotation (dof 4-6) is prescribed on mesh nodes, which have no "
                              "rotations; prescribe it on a *COUPLING reference node", line)
        trans = tuple(d - 1 for d in dofs if d <= 3)  # solid nodes: dofs 4-6 are inactive
        return Support(target, trans, (value,) * len(trans), name) if trans else None

    # ------------------------------------------------------------------ closing a step
    def _finish(self, acc: _StepData) -> Step:
        keep_c = "C" not in acc.opnew
        keep_d = "D" not in acc.opnew
        F = np.where(acc.mF, acc.sF, self.F if keep_c else 0.0)
        P = np.where(acc.mP, acc.sP, self.P if keep_d else 0.0)
        T = np.where(acc.mT[:, :, None], acc.sT, self.T if keep_d else 0.0)

        new: dict[tuple, np.ndarray] = {}
        for key in [*self.active, *[k for k in acc.keys if k not in self.active]]:
            kept = key[0] in ("F", "R") and keep_c or key[0] in ("P", "T") and keep_d
            base = self.active.get(key, np.zeros(KEY_SIZE[key[0]]))
            base = base if kept else np.zeros_like(base)
            if key in acc.keys:
                vec, mask = acc.keys[key]
                base = np.where(mask, vec, base)
            new[key] = base
        self._correct(acc, new, F, P, T)

        if acc.bc_opnew:  # our Step.replace drops earlier loads too: restate all of them
            loads = [self._load(k, v) for k, v in new.items() if np.any(v != 0)]
        else:
            loads = [self._load(k, v - self.active.get(k, 0.0)) for k, v in new.items()
                     if np.any(v != self.active.get(k, 0.0))]
        self.active = {k: v for k, v in new.items() if np.any(v != 0)}
        self.F, self.P, self.T = F, P, T
        return Step(acc.name, loads, acc.displacements, acc.increments, acc.bc_opnew, acc.nlgeom)

    def _correct(self, acc: _StepData, new: dict, F, P, T) -> None:
        """Add correction keys where the per-set values do not give the exact per-entity loads."""
        mesh = self.mesh
        implied_F = np.zeros_like(F)
        implied_P = np.zeros_like(P)
        implied_T = np.zeros_like(T)
        for (kind, name), v in new.items():
            if kind == "F":
                implied_F[mesh.node_sets[name]] += v
            elif kind == "P":
                pairs = mesh.face_sets[name]
                implied_P[pairs[:, 0], pairs[:, 1]] += v[0]
            elif kind == "T":
                pairs = mesh.face_sets[name]
                implied_T[pairs[:, 0], pairs[:, 1]] += v
        step_no = len(self.steps) + 1

        def off(exact, implied):
            tol = 1e-12 * max(np.abs(exact).max(initial=0), np.abs(implied).max(initial=0))
            return exact - implied, tol

        dF, tol = off(F, implied_F)
        rows = np.flatnonzero(np.abs(dF).max(axis=1, initial=0) > tol)
        if len(rows):
            for grp in _groups(dF[rows]):
                name = self.t.node_set(f"_FIX{step_no}_F", rows[grp])
                new[("F", name)] = dF[rows[grp[0]]].copy()
        for kind, exact, implied in (("P", P, implied_P), ("T", T, implied_T)):
            d, tol = off(exact, implied)
            d = d.reshape(len(d), MAX_FACES, -1)
            e, f = np.nonzero(np.abs(d).max(axis=2) > tol)
            if len(e):
                vals = d[e, f]
                for grp in _groups(vals):
                    pairs = np.stack([e[grp], f[grp]], axis=1)
                    name = self.t.face_set(f"_FIX{step_no}_{kind}", pairs)
                    new[(kind, name)] = vals[grp[0]].copy()

    @staticmethod
    def _load(key: tuple, v: np.ndarray):
        kind, name = key
        if kind == "F":
            return NodalForce(name, v.copy())
        if kind == "R":
            return RefLoad(name, v[:3].copy(), v[3:].copy())
        if kind == "P":
            return Pressure(name, float(v[0]))
        return Traction(name, v.copy())
