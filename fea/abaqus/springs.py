"""Ligaments and springs in decks: *ELEMENT, TYPE=SPRINGA / SPRING1 / SPRING2, *SPRING and the
*EQUATION ties of distributed fibre ends.

Writing: every fibre becomes one spring element with its own *SPRING (its law scaled to the
fibre: force against the fibre's elongation, mm). A fibre end spread over a patch of surface
nodes gets a node of its own, tied to the patch by three *EQUATION rows
(u_end - sum w_n u_n = 0 per direction); a single-node end uses the node itself. Along the fibre:
SPRINGA; a fixed direction along an axis: SPRING2 between two ends, SPRING1 to ground. A fibre
over a via point (A -> V -> B) is written as its last segment, a SPRINGA from V to B with the
whole fibre's law, when V and A lie on one bone: the dropped segment's pull on it (F along
A -> V at A, its opposite at V) has no resultant force or moment, so the deck's bones move as
ours while the bone between A and V is spared that pair of forces. Over another bone's via
point (the transverse ligament, C1 to C1 over the dens) the fibre is a SPRINGA from a node of
the via patch to a node of its own that *EQUATION rows make follow it, displaced along x by
the fibre's first-order elongation over the three patches' nodes: our kinematics exactly;
such a deck is not read back. Laws
with a toe or a table are written `*SPRING, NONLINEAR` (force, elongation pairs; CalculiX holds
the force constant beyond the table, so the table runs on along the linear part far past any
elongation of a small-displacement solve) and need NLGEOM on the step, which the writer adds.

Reading: each spring element becomes a one-fibre ligament named after its element set (with
`_<label>` when the set holds several): a SPRINGA table is its force against elongation in mm,
constant beyond the table as CalculiX does; a linear *SPRING is a plain spring (tension and
compression). A spring node in no solid element must be tied by *EQUATION to mesh nodes (the
pattern written above); every other equation is a linear constraint (fea.equations), read in
fea.abaqus.reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, FeaError
from ..ligaments.fibres import Fibres, build_fibres
from ..ligaments.law import LINEAR, fibre_curve
from ..model import Ligament, LigamentLaw, Model
from .lexer import Block
from .textfmt import fnum, num, rows

SPRING_TYPES = {"SPRINGA": 2, "SPRING1": 1, "SPRING2": 2}
MAX_TABLE = 20  # pairs per *SPRING, NONLINEAR table (older CalculiX releases hold 20)


# ---------------------------------------------------------------------- writing
@dataclass
class SpringText:
    nodes: str = ""  # extra *NODE lines (fibre end nodes)
    elements: str = ""  # *ELEMENT blocks
    properties: str = ""  # *SPRING blocks and *EQUATION ties
    nonlinear: bool = False  # a *SPRING, NONLINEAR was written: the steps need NLGEOM


def _end(W, i: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = W.indptr[i], W.indptr[i + 1]
    keep = W.data[lo:hi] != 0
    return W.indices[lo:hi][keep], W.data[lo:hi][keep]


def _equations(label: int, node_labels: np.ndarray, w: np.ndarray) -> str:
    """u_end,c - sum w_n u_n,c = 0 for c = 1..3, four terms to a line."""
    out = []
    for c in (1, 2, 3):
        terms = [(str(label), str(c), "1.0")] + list(zip(
            num(node_labels).tolist(), [str(c)] * len(w), num(-w).tolist()))
        lines = [", ".join(", ".join(t) for t in terms[k:k + 4])
                 for k in range(0, len(terms), 4)]
        out.append(f"*EQUATION\n{len(terms)}\n" + "\n".join(lines) + "\n")
    return "".join(out)


def _via_on_bone_of_a(body_of, fb: Fibres, i: int) -> bool:
    v_bodies = body_of(_end(fb.WV, i)[0])
    return len(v_bodies) == 1 and v_bodies == body_of(_end(fb.WA, i)[0])


def _elongation_equations(label: int, n0: int, fb: Fibres, i: int, ids: np.ndarray) -> str:
    """*EQUATION text that makes node `label` follow mesh node n0 (an index) displaced by a
    wrapped fibre's first-order elongation along x, u = u_n0 + delta e_x with
    delta = n_B . (u_B - u_V) + n_A . (u_V - u_A) over the three patches' nodes
    (fea.ligaments.fibres): a SPRINGA from n0 to that node, placed one fibre length from n0 along
    x, is then the fibre, its length L0 + delta even under NLGEOM, whichever bones its ends and
    its via point lie on. (Not a SPRING1 to ground on that dof: CalculiX 2.20 reads a
    *SPRING, NONLINEAR table of a SPRING1 only beside a SPRING2, and did not converge with
    nonlinear SPRING2 tables on such a node.)"""
    n_b, n_a = fb.direction[i], fb.direction_a[i]
    terms: dict[tuple[int, int], float] = {(n0, 1): 1.0}
    for W, vec in ((fb.WA, -n_a), (fb.WV, n_a - n_b), (fb.WB, n_b)):
        nodes, w = _end(W, i)
        for n, wn in zip(nodes.tolist(), w.tolist()):
            for c in range(3):
                terms[(n, c + 1)] = terms.get((n, c + 1), 0.0) + wn * vec[c]
    scale = max(abs(v) for v in terms.values())
    items = [(str(label), "1", "1.0")] + [
        (str(int(ids[n])), str(c), fnum(-v)) for (n, c), v in sorted(terms.items())
        if abs(v) > 1e-12 * scale]
    lines = [", ".join(", ".join(x) for x in items[k:k + 4]) for k in range(0, len(items), 4)]
    v0 = int(ids[n0])
    follow = "".join(f"*EQUATION\n2\n{label}, {c}, 1.0, {v0}, {c}, -1.0\n" for c in (2, 3))
    return f"*EQUATION\n{len(items)}\n" + "\n".join(lines) + "\n" + follow


def _body_finder(model: Model):
    """body_of(nodes) -> the names of the bodies whose cells hold any of the nodes."""
    mesh = model.mesh
    cells = mesh.padded_cells()
    body_cells = {}
    for sec in model.sections:
        body_cells.setdefault(sec.body_name, []).append(mesh.elements(sec.cell_set))

    def body_of(nodes: np.ndarray) -> set[str]:
        mark = np.zeros(mesh.n_nodes, bool)
        mark[nodes] = True
        hit = mark[cells].any(axis=1)
        return {b for b, parts in body_cells.items() if any(hit[p].any() for p in parts)}

    return body_of


def _axis_dof(d: np.ndarray, where: str) -> int:
    k = int(np.argmax(np.abs(d)))
    if not (abs(d[k] - 1.0) < 1e-12 and np.allclose(np.delete(d, k), 0.0, atol=1e-12)):
        raise FeaError(f"{where}: a spring with a fixed direction is written as SPRING1/SPRING2, "
                       f"which act along +x, +y or +z; direction {d.tolist()} is not one of them")
    return k + 1


def spring_text(model: Model, node_label0: int, elem_label0: int, fresh_elset) -> SpringText:
    """Deck text of the model's ligaments. node_label0 / elem_label0: first free labels;
    fresh_elset(base) returns an unused element-set name."""
    out = SpringText()
    if not model.ligaments:
        return out
    fb: Fibres = build_fibres(model)
    ids = model.mesh.node_ids
    node_lines, elem, props = [], [], []
    next_node = node_label0

    def end_label(W, i) -> int | None:
        nonlocal next_node
        nodes, w = _end(W, i)
        if len(nodes) == 0:
            return None
        if len(nodes) == 1 and abs(w[0] - 1.0) < 1e-12:
            return int(ids[nodes[0]])
        label = next_node
        next_node += 1
        x = (w[:, None] * model.mesh.nodes[nodes]).sum(axis=0)
        node_lines.append(rows(np.array([label]), x[None]))
        props.append(_equations(label, ids[nodes], w))
        return label

    wrapped = np.diff(fb.WV.indptr) > 0
    body_of = _body_finder(model) if wrapped.any() else None
    for i in range(fb.n):
        lig = model.ligaments[int(fb.ligament[i])]
        where = f"{model.source}: ligament '{lig.name}'"
        if not wrapped[i]:
            a, b = end_label(fb.WA, i), end_label(fb.WB, i)
        elif _via_on_bone_of_a(body_of, fb, i):  # the last segment stands for the fibre
            a, b = end_label(fb.WV, i), end_label(fb.WB, i)
        else:  # over another bone's via point: its elongation on a node of its own
            n0 = int(_end(fb.WV, i)[0][0])
            a, b = int(ids[n0]), next_node
            next_node += 1
            # placed one fibre length from n0 along x: the SPRINGA's length is then L0 + delta
            node_lines.append(rows(np.array([b]),
                                   (model.mesh.nodes[n0] + [fb.L0[i], 0.0, 0.0])[None]))
            props.append(_elongation_equations(b, n0, fb, i, ids))
        if lig.direction is None:
            etype, head, conn = "SPRINGA", "\n", [a, b]
        else:
            dof = _axis_dof(fb.direction[i], where)
            if a is None:
                etype, head, conn = "SPRING1", f"{dof}\n", [b]
            else:
                etype, head, conn = "SPRING2", f"{dof}, {dof}\n", [a, b]
        name = fresh_elset(lig.name if lig.fibres == 1 else f"{lig.name}_F{i + 1}")
        label = elem_label0 + i
        kin = getattr(lig, "kinematics", "small")
        if kin != "small" and (i == 0 or fb.ligament[i - 1] != fb.ligament[i]):
            # a SPRINGA follows its ends' current positions only in a geometrically nonlinear
            # step: say so where a reader of the deck meets the ligament
            elem.append(f"** ligament '{lig.name}': kinematics '{kin}' in spinefea (its fibres "
                        "on their current length); as SPRINGA exact only with NLGEOM\n")
        elem.append(f"*ELEMENT, TYPE={etype}, ELSET={name}\n{label}, "
                    + ", ".join(str(c) for c in conn) + "\n")
        law = fb.law
        if law.kind[i] == LINEAR and law.slack[i] == 0.0:
            k = law.K[i] * law.share[i] * law.c[i]  # the fibre's N/mm
            props.append(f"*SPRING, ELSET={name}\n{head}{fnum(k)}\n")
            continue
        delta, force = fibre_curve(law, i)
        if len(delta) > MAX_TABLE:
            raise FeaError(f"{where}: its curve has {len(delta)} points; a *SPRING table holds at "
                           f"most {MAX_TABLE}")
        # CalculiX tells the dof line from the table by integers against reals: reals carry a dot
        table = "".join(f"{_real(f)}, {_real(d)}\n" for f, d in zip(force, delta))
        props.append(f"*SPRING, ELSET={name}, NONLINEAR\n{head}{table}")
        out.nonlinear = True
    out.nodes = "".join(node_lines)
    out.elements = "".join(elem)
    out.properties = "".join(props)
    return out


def _real(x: float) -> str:
    s = fnum(x)
    return s if any(ch in s for ch in ".eE") else s + "."


# ---------------------------------------------------------------------- reading
@dataclass
class SpringElements:
    """Spring elements and *SPRING / *EQUATION blocks collected while reading model data."""

    blocks: list = field(default_factory=list)  # (labels, conn (k, 1|2), type, block)
    springs: list[Block] = field(default_factory=list)
    equations: list[Block] = field(default_factory=list)

    def add_elements(self, block: Block, etype: str) -> np.ndarray:
        npe = SPRING_TYPES[etype]
        arr = block.numeric(1 + npe, np.int64, f"element number and {npe} node number(s)")
        if (arr < 1).any():
            raise block.error("element and node numbers must be positive")
        self.blocks.append((arr[:, 0], arr[:, 1:], etype, block))
        return arr[:, 0]

    def labels(self) -> np.ndarray:
        return np.concatenate([b[0] for b in self.blocks]) if self.blocks else np.zeros(0, int)

    def node_labels(self) -> np.ndarray:
        if not self.blocks:
            return np.zeros(0, np.int64)
        return np.unique(np.concatenate([b[1].ravel() for b in self.blocks]))


@dataclass
class RawEquation:
    """One *EQUATION as written: node labels, dofs (1-6), coefficients, and where it stands."""

    labels: np.ndarray
    dofs: np.ndarray
    coefs: np.ndarray
    block: Block
    line: int


def read_equations(blocks: list[Block]) -> list[RawEquation]:
    """Every equation of the *EQUATION blocks: a line with the number of terms n, then n terms
    'node, dof, coefficient' over as many lines as needed."""
    out: list[RawEquation] = []
    for b in blocks:
        b.check_params(set())
        rows_ = b.lines()
        k = 0
        while k < len(rows_):
            line, f = rows_[k]
            try:
                n = int(f[0])
            except ValueError:
                raise b.error("expected the number of terms of an equation", line) from None
            terms: list[str] = []
            k += 1
            while len(terms) < 3 * n and k < len(rows_):
                terms += [x for x in rows_[k][1] if x]
                k += 1
            if len(terms) != 3 * n or n < 2:
                raise b.error(f"an equation of {n} terms needs {3 * n} entries "
                              "(node, dof, coefficient per term)", line)
            t = np.array(terms, dtype=object).reshape(n, 3)
            try:
                nodes, dofs = t[:, 0].astype(np.int64), t[:, 1].astype(np.int64)
            except ValueError:
                bad = next(x for x in t[:, :2].ravel() if not str(x).lstrip("-").isdigit())
                raise b.error(f"'{bad}': terms are 'node number, dof, coefficient' (node sets "
                              "are not read in *EQUATION)", line) from None
            try:
                coef = t[:, 2].astype(np.float64)
            except ValueError:
                raise b.error("terms are 'node number, dof, coefficient'", line) from None
            if coef[0] == 0:
                raise b.error("the first term's coefficient is zero; its DOF is the one the "
                              "equation eliminates", line)
            if ((dofs < 1) | (dofs > 6)).any():
                raise b.error(f"dof {int(dofs[(dofs < 1) | (dofs > 6)][0])}: dofs are 1-6",
                              line)
            out.append(RawEquation(nodes, dofs, coef, b, line))
    return out


def parse_equations(raw: list[RawEquation]) -> dict[int, dict[int, tuple[list, list, Block, int]]]:
    """{dependent node label: {dof: (independent labels, weights, block, line)}} from the
    equations that tie spring end nodes, u_dep - sum w u_n = 0 (coefficients divided by the
    dependent's)."""
    out: dict[int, dict] = {}
    for e in raw:
        b, line, dofs = e.block, e.line, e.dofs
        if (dofs != dofs[0]).any() and 1 <= dofs[0] <= 3:
            raise b.error(f"node {int(e.labels[0])}: a spring on an equation mixing dofs (how "
                          "spinefea writes a fibre wrapped over another bone's via point, e.g. "
                          "the transverse ligament over the dens) cannot be read back; read the "
                          "model .toml instead", line)
        if (dofs != dofs[0]).any() or not 1 <= dofs[0] <= 3:
            raise b.error("an equation tying a spring end node must tie it to mesh nodes in "
                          "one direction (u_end - sum w u_n = 0, dof 1-3)", line)
        dep = int(e.labels[0])
        if int(dofs[0]) in out.setdefault(dep, {}):
            raise b.error(f"node {dep} dof {dofs[0]} is tied by two equations", line)
        out[dep][int(dofs[0])] = (e.labels[1:].tolist(), (-e.coefs[1:] / e.coefs[0]).tolist(),
                                  b, line)
    return out


def _spring_law(block: Block, etype: str, where: str) -> tuple[LigamentLaw, tuple[int, int]]:
    block.check_params({"ELSET", "NONLINEAR"})
    if block.params.get("NONLINEAR"):
        raise block.error("NONLINEAR takes no value")
    rows_ = block.lines()  # blank lines are dropped, as CalculiX does
    dofs = (0, 0)
    if etype != "SPRINGA":
        if not rows_ or not all(x.lstrip("-").isdigit() for x in rows_[0][1] if x):
            raise block.error(f"a {etype} needs the dof line first ('dof' for SPRING1, "
                              "'dof, dof' for SPRING2)")
        d = [int(x) for x in rows_[0][1] if x]
        if etype == "SPRING2" and (len(d) != 2 or d[0] != d[1]):
            raise block.error("only SPRING2 elements acting in the same dof at both nodes are "
                              "supported", rows_[0][0])
        if not 1 <= d[0] <= 3:
            raise block.error(f"dof {d[0]}: springs act in dofs 1-3 (solid nodes have no "
                              "rotations)", rows_[0][0])
        dofs = (d[0], d[-1])
        rows_ = rows_[1:]
    if not rows_:
        raise block.error(f"{where}: needs a stiffness line, or force-elongation pairs with "
                          "NONLINEAR")
    try:
        vals = [[float(x) for x in f if x] for _, f in rows_]
    except ValueError:
        raise block.error("data lines hold numbers") from None
    temps = {v[2] if len(v) > 2 else 0.0 for v in vals}  # one temperature: no dependence
    if len(temps) > 1:
        raise block.error("temperature-dependent springs are not supported", rows_[0][0])
    if not block.flag("NONLINEAR"):
        if len(vals) != 1 or not vals[0]:
            raise block.error("a linear spring takes one line 'stiffness'", rows_[0][0])
        return LigamentLaw("linear", stiffness=vals[0][0]), dofs
    if any(len(v) < 2 for v in vals):
        raise block.error("NONLINEAR lines are 'force, elongation'", rows_[0][0])
    force = np.array([v[0] for v in vals])
    elong = np.array([v[1] for v in vals])
    if np.any(np.diff(elong) <= 0):
        i = int(np.flatnonzero(np.diff(elong) <= 0)[0])
        raise block.error("the elongations must rise from line to line", rows_[i + 1][0])
    if len(elong) == 1:  # one pair: a constant force in CalculiX
        elong, force = np.append(elong, elong[0] + 1.0), np.append(force, force[0])
    return LigamentLaw("curve", curve_x=elong, curve_force=force, curve_unit="mm",
                       extrapolate="constant"), dofs


def build_ligaments(se: SpringElements, spring_sets: dict[str, np.ndarray], targets,
                    ref_positions: dict[int, np.ndarray],
                    ties: list[RawEquation]) -> list[Ligament]:
    """Model.ligaments from the deck's spring elements (one one-fibre ligament each); `ties`: the
    equations whose first node is in no solid element (spring end ties)."""
    mesh = targets.mesh
    if not se.blocks:
        for b in se.springs:
            raise b.error("there are no spring elements (*ELEMENT, TYPE=SPRINGA/SPRING1/SPRING2)")
        for e in ties:
            raise e.block.error(f"node {int(e.labels[0])} is in no element: an equation's first "
                                "node must be a node of the mesh, a reference node or a spring "
                                "end", e.line)
        return []
    labels = se.labels()
    etype_of = {int(lab): (conn, t, blk) for labs, cs, t, blk in se.blocks
                for lab, conn in zip(labs.tolist(), cs)}
    eqs = parse_equations(ties)
    order = np.argsort(mesh.node_ids)
    sorted_ids = mesh.node_ids[order]

    def node_index(label: int) -> int | None:
        pos = np.searchsorted(sorted_ids, label)
        if pos < len(sorted_ids) and sorted_ids[pos] == label:
            return int(order[pos])
        return None

    used_eq: set[int] = set()

    def end(label: int, blk: Block, where: str):
        idx = node_index(label)
        if idx is not None:
            if label in eqs:
                raise blk.error(f"node {label} belongs to a solid element and is also tied by "
                                "*EQUATION; an end node is either")
            return targets.node_set(f"_N{label}", np.array([idx])), None
        if label not in eqs:
            raise blk.error(f"{where}: node {label} is in no solid element and not tied to "
                            "mesh nodes by *EQUATION, so nothing holds it")
        if set(eqs[label]) != {1, 2, 3}:
            raise blk.error(f"{where}: node {label} needs *EQUATION ties in all of dofs 1-3")
        first = eqs[label][1]
        for d in (2, 3):
            if eqs[label][d][0] != first[0] or not np.allclose(eqs[label][d][1], first[1],
                                                               rtol=1e-12, atol=1e-15):
                raise eqs[label][d][2].error(f"node {label}: the three equations must tie it to "
                                             "the same nodes with the same weights",
                                             eqs[label][d][3])
        idx = [node_index(n) for n in first[0]]
        if any(i is None for i in idx):
            bad = first[0][[i is None for i in idx].index(True)]
            raise first[2].error(f"node {bad} is not a node of a solid element", first[3])
        used_eq.add(label)
        idx = np.array(idx, np.int64)
        # the end sits where the deck puts its node (CalculiX takes the spring's line from it)
        return targets.node_set(f"_N{label}_tie", idx), (idx, np.array(first[1], float),
                                                         np.asarray(ref_positions[label], float))

    out: list[Ligament] = []
    defined = np.zeros(len(labels), bool)
    for b in se.springs:
        canon = next((n for n in spring_sets if n.upper() == (b.param("ELSET") or "").upper()),
                     None)
        if canon is None:
            raise b.error(f"ELSET={b.param('ELSET', required=True)} holds no spring elements")
        members = spring_sets[canon]
        types = {etype_of[int(m)][1] for m in members}
        if len(types) != 1:
            raise b.error(f"element set '{canon}' mixes spring types {sorted(types)}")
        etype = types.pop()
        law, dofs = _spring_law(b, etype, f"*SPRING, ELSET={canon}")
        hit = np.isin(labels, members)
        if (defined & hit).any():
            raise b.error(f"an element of '{canon}' already has a *SPRING")
        defined |= hit
        direction = None if etype == "SPRINGA" else np.eye(3)[dofs[0] - 1]
        for m in members.tolist():
            conn, _, blk = etype_of[int(m)]
            name = canon if len(members) == 1 else f"{canon}_{m}"
            where = f"spring element {m}"
            ends = [end(int(n), blk, where) for n in conn]
            if etype == "SPRING1":
                (set_b, wb), (set_a, wa) = ends[0], (None, None)
            else:
                (set_a, wa), (set_b, wb) = ends
            explicit = None
            if wa is not None or wb is not None:
                pa = None if set_a is None else (wa if wa is not None else (
                    mesh.node_sets[set_a], np.ones(1)))
                pb = wb if wb is not None else (mesh.node_sets[set_b], np.ones(1))
                if etype == "SPRING1":
                    pa = None
                explicit = (pa, pb)
            frm, to = (set_b, None) if set_a is None else (set_a, set_b)
            out.append(Ligament(name, frm, to, law, 1, "area", direction, "", etype, explicit))
    if not defined.all():
        lab = int(labels[~defined][0])
        raise etype_of[lab][2].error(f"spring element {lab} has no *SPRING (give its element "
                                     "set a *SPRING, ELSET=...)")
    for dep, by_dof in eqs.items():
        if dep not in used_eq:
            _, _, b, line = next(iter(by_dof.values()))
            raise b.error(f"node {dep} is in no element and is no spring end: an equation's "
                          "first node must be a node of the mesh, a reference node or a spring "
                          "end", line)
    return out
