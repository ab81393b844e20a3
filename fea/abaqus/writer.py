"""`write_deck(model, loadcase, path)`: any Model (from TOML or from a deck) as an input deck.

The deck reads back into the same model (fea.abaqus.read_deck) and runs in CalculiX 2.20:
node and element numbers are the model's own labels, so results can be matched; reference
points become extra nodes with *COUPLING; each step restates the loads of every kind that changed
(Abaqus replaces loads entity by entity, our steps add up: restating all of them keeps both
readings identical).

Two dialects, because CalculiX's *DSLOAD knows only pressure:
  "calculix" (default): tractions and total surface forces become their consistent nodal forces
      (*CLOAD per node, the same vector our solver assembles), so ccx and Abaqus both run it;
  "abaqus": *DSLOAD, TRVEC (reads back as a Traction; ccx 2.20 rejects it).
A kinematic coupling is written with dofs 1-3 (ccx accepts no more; for solid nodes it is the
full rigid coupling), a distributing one with dofs 1-6.

Interfaces are written as a deck states them (fea.abaqus.sides): `SURFACE@BODY` sides as face
sets of their own, contact sides of a conforming mesh on nodes of their own (the interface
solver's split, with its labels), ties the shared nodes bond already as a comment. Such a deck
reads back into the model the interface solver solves (split mesh, plain side names).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .. import atomic
from ..anisotropy import AnisotropicElastic, frames
from ..couplings import distributing_coupling
from ..errors import FeaError
from ..model import LoadCase, Model, NodalForce, Pressure, RefLoad, SurfaceForce, Support, Traction
from ..surface import surface_quadrature, total_force_load, traction_load
from ..transforms import node_frames
from .sides import deck_ready
from .springs import spring_text
from .textfmt import element_rows, fnum, id_lines, num, rows

DIALECTS = ("calculix", "abaqus")
# ccx's linear contact penalty K = factor * E_softer / h (N/mm^3, h the slave face size) and its
# stick slope (shear stress per elastic slip) = STICK_RATIO * K. Frictionless pairs take a stiff
# K (penetration p / K far below the displacements); with friction, ccx 2.20 chatters between
# contact states for 300 s and more at 100 E/h (the cage constructs, with a stick ratio of 1/100
# or 1/10) and finishes at 10 E/h with its own stick ratio of 1/100. What these slopes leave is
# measured per bundled model in tests/test_ccx_constructs.py (ccx again with every slope / 10)
PENALTY_FACTOR = {"frictionless": 1000.0, "friction": 10.0}
STICK_RATIO = 0.01
_NAME = re.compile(r"^[A-Za-z_][^\s,=\"'*]{0,79}$")


def write_deck(model: Model, loadcase: LoadCase | None, path: str | Path,
               dialect: str = "calculix") -> None:
    """Write the model (and load case, if any) as an input deck, atomically."""
    atomic.write_text(path, deck_text(model, loadcase, dialect))


def deck_text(model: Model, loadcase: LoadCase | None = None, dialect: str = "calculix") -> str:
    if dialect not in DIALECTS:
        raise FeaError(f"unknown deck dialect '{dialect}' (use {' or '.join(DIALECTS)})")
    return _Writer(model, loadcase, dialect).text()


def _round(x: float) -> float:
    """A penalty slope to 4 digits: a regularisation, not a datum; short in the deck."""
    return float(f"{x:.4g}")


def _sanitise(name: str) -> str:
    """Free-text names (interfaces, steps) made writable: the model never refers to them."""
    s = re.sub(r"[^A-Za-z0-9_\-.]", "_", name)[:80]
    return s if s and (s[0].isalpha() or s[0] == "_") else f"_{s}"[:80]


class _Names:
    """One Abaqus namespace (case-insensitive) with validity checks and fresh names."""

    def __init__(self, source: str, kind: str):
        self.source, self.kind, self.used = source, kind, {}

    def take(self, name: str) -> str:
        if not _NAME.match(name):
            raise FeaError(
                f"{self.source}: {self.kind} '{name}' cannot be written to an Abaqus deck: a name "
                "starts with a letter or '_' and holds no spaces, commas, '=', quotes or '*' (at "
                "most 80 characters); rename it")
        other = self.used.get(name.upper())
        if other is not None and other != name:
            raise FeaError(f"{self.source}: {self.kind}s '{other}' and '{name}' differ only in "
                           "case, which Abaqus does not distinguish; rename one")
        self.used[name.upper()] = name
        return name

    def fresh(self, base: str) -> str:
        base = _sanitise(base)
        name, k = base, 1
        while name.upper() in self.used:
            k += 1
            name = f"{base}_{k}"
        return self.take(name)


class _Writer:
    def __init__(self, model: Model, loadcase: LoadCase | None, dialect: str):
        model, self.sides = deck_ready(model)
        self.model, self.lc, self.dialect = model, loadcase, dialect
        self.mesh = mesh = model.mesh
        src = model.source
        for what, ids in (("node", mesh.node_ids), ("element", mesh.cell_ids)):
            ids = np.asarray(ids)
            if len(np.unique(ids)) != len(ids) or (ids < 1).any():
                raise FeaError(f"{src}: {what} labels must be unique positive numbers to be "
                               "written to a deck")
        self.region = mesh.region_of_cells([s.cell_set for s in model.sections])
        if (self.region < 0).any():
            bad = np.flatnonzero(self.region < 0)
            raise FeaError(f"{src}: {len(bad)} element(s) have no section (e.g. element "
                           f"{mesh.cell_ids[bad[0]]}); a deck needs one for every element")
        self.nsets, self.elsets = _Names(src, "node set"), _Names(src, "element set")
        self.surfs, self.mats = _Names(src, "surface"), _Names(src, "material")
        self.others = _Names(src, "name")  # constraints, interactions, steps
        for n in mesh.node_sets:
            self.nsets.take(n)
        for n in mesh.cell_sets:
            self.elsets.take(n)
        for n in mesh.face_sets:
            self.surfs.take(n)
        for n in model.materials:
            self.mats.take(n)
        self.nall, self.nall_new = self._all_nodes_set()
        self.ref_label = {r: int(mesh.node_ids.max()) + 1 + j
                          for j, r in enumerate(model.ref_points)}
        self.ref_nset = {}
        for r in model.ref_points:
            self.others.take(r)
            self.ref_nset[r] = self.nsets.fresh(r) if r.upper() in self.nsets.used \
                else self.nsets.take(r)
        # calculix dialect: loads on a distributing reference point without a support become
        # their nodal forces: ccx spreads them with its own nodal weights (an error of 0.3-0.6 %
        # of the displacement on the coarse constructs, docs/abaqus.md)
        held = {s.target for s in model.supports} | {
            s.target for st in (loadcase.steps if loadcase else []) for s in st.displacements}
        self.spread = {r for r, ref in model.ref_points.items() if dialect == "calculix"
                       and ref.coupling == "distributing" and r not in held}
        self.frames = node_frames(model)  # *TRANSFORM: nodes in local axes
        self.derived: dict[str, str] = {}  # face/cell set used as nodes -> its node set
        self.node_surface: dict[str, str] = {}  # node/cell set coupled kinematically -> surface

    def _all_nodes_set(self) -> tuple[str, bool]:
        """A node set of every mesh node for the output requests: NALL if there is one."""
        for name, idx in self.mesh.node_sets.items():
            if name.upper() == "NALL" and len(np.unique(idx)) == self.mesh.n_nodes:
                return name, False
        return self.nsets.fresh("NALL"), True

    # ------------------------------------------------------------------ helpers
    def nset_of(self, target: str) -> str:
        """Node set for a target of node loads/supports (as Mesh.nodes_of resolves names)."""
        m = self.mesh
        if target in m.node_sets:
            return target
        if target not in m.face_sets and target not in m.cell_sets:
            raise FeaError(f"{self.model.source}: no set named '{target}'")
        if target not in self.derived:
            base = target if target.upper() not in self.nsets.used else f"{target}_nodes"
            self.derived[target] = self.nsets.fresh(base)
        return self.derived[target]

    def face_set(self, target: str, what: str) -> str:
        if target not in self.mesh.face_sets:
            raise FeaError(f"{self.model.source}: {what} on '{target}' needs a face set")
        return target

    # ------------------------------------------------------------------ the deck
    def text(self) -> str:
        m = self.model
        parts = [
            f"** Written by spinefea from '{m.source}' (dialect: {self.dialect}).\n"
            "** Units: mm, N, MPa, N*mm. Node and element numbers are the model's labels.\n",
            f"*HEADING\n{m.name}\n",
        ]
        model_bcs = self._supports(m.supports)  # resolves derived node sets first
        mesh = self.mesh
        mem_elements, mem_sections, n_mem = self._membranes(int(mesh.cell_ids.max()) + 1)
        self.springs = spring_text(m, int(mesh.node_ids.max()) + 1 + len(m.ref_points),
                                   int(mesh.cell_ids.max()) + 1 + n_mem, self.elsets.fresh)
        steps = self._steps() if self.lc is not None else ""
        couplings = self._couplings()
        parts += [self._nodes(), self._elements() + mem_elements, self._sets(),
                  self._transforms(),
                  self._materials() + mem_sections, couplings,
                  self._interfaces(), self._equations(), self.springs.properties]
        if model_bcs:
            parts.append("*BOUNDARY\n" + model_bcs)
        parts.append(steps)
        return "".join(parts)

    def _nodes(self) -> str:
        mesh = self.mesh
        nset = f", NSET={self.nall}" if self.nall_new else ""
        out = f"*NODE{nset}\n" + rows(mesh.node_ids, mesh.nodes)
        if self.model.ref_points:
            out += "** reference points: one node each, in no element\n*NODE\n"
            out += rows(np.array(list(self.ref_label.values())), self.model.ref_positions())
        if self.springs.nodes:
            out += "** ligament fibre ends tied to their surface patches (*EQUATION)\n*NODE\n"
            out += self.springs.nodes
        return out

    def _elements(self) -> str:
        mesh, region = self.mesh, self.region
        blk = mesh.block_index(np.arange(mesh.n_cells))
        key = region * len(mesh.blocks) + blk
        starts = np.flatnonzero(np.diff(key, prepend=-1) != 0)
        ends = np.append(starts[1:], len(region))
        out = []
        for a, b in zip(starts, ends):  # runs of one section and type keep the element order
            name = self.model.sections[region[a]].cell_set
            block = mesh.blocks[blk[a]]
            conn = mesh.node_ids[block.cells[a - block.offset:b - block.offset]]
            out.append(f"*ELEMENT, TYPE={block.type.name}, ELSET={name}\n"
                       + element_rows(mesh.cell_ids[a:b], conn))
        return "".join(out) + self.springs.elements

    def _membranes(self, first: int) -> tuple[str, str, int]:
        """[[membranes]] as M3D3 / M3D6 elements on their faces' nodes (labels from `first`)
        and *MEMBRANE SECTION with the thickness; (elements, sections, element count)."""
        from ..membranes import groups

        els, secs, label = [], [], first
        names: dict[tuple, str] = {}
        for g in groups(self.model):
            m = self.model.membranes[g.index]
            # ccx 2.20's M3D6 on C3D10 faces came out 30 % softer than ours and than its own S6
            # (tests/test_membranes.py): the calculix dialect writes the 6-node shell, whose own
            # plate bending (t^3 / 12) adds a little; M3D3 is ccx's and ours to 1e-7
            shell = self.dialect == "calculix" and g.type.name == "M3D6"
            key = (g.index, shell)
            if key not in names:
                names[key] = self.elsets.fresh(f"{m.face_set}_{'shell' if shell else 'membrane'}")
                kind = "SHELL" if shell else "MEMBRANE"
                secs.append(f"*{kind} SECTION, ELSET={names[key]}, MATERIAL={m.material}\n"
                            f"{fnum(m.thickness)}\n")
            labels = np.arange(label, label + len(g.conn))
            els.append(f"** membranes[{g.index}] on face set {m.face_set}"
                       f"{' (ccx: S6 for M3D6, see fea.abaqus.writer)' if shell else ''}\n"
                       f"*ELEMENT, TYPE={'S6' if shell else g.type.name}, ELSET={names[key]}\n"
                       + element_rows(labels, self.mesh.node_ids[g.conn]))
            label += len(g.conn)
        return "".join(els), "".join(secs), label - first

    def _sets(self) -> str:
        mesh = self.mesh
        out = []
        section_sets = {s.cell_set for s in self.model.sections}
        for name, idx in mesh.cell_sets.items():
            if name not in section_sets and len(idx):
                out.append(f"*ELSET, ELSET={name}\n" + id_lines(mesh.cell_ids[np.unique(idx)]))
        for name, idx in mesh.node_sets.items():
            if len(idx):
                out.append(f"*NSET, NSET={name}\n" + id_lines(mesh.node_ids[np.unique(idx)]))
        for target, name in self.derived.items():
            out.append(f"*NSET, NSET={name}\n" + id_lines(mesh.node_ids[mesh.nodes_of(target)]))
        for r, name in self.ref_nset.items():
            out.append(f"*NSET, NSET={name}\n{self.ref_label[r]}\n")
        for name, faces in mesh.face_sets.items():
            if len(faces):
                out.append(f"*SURFACE, NAME={name}, TYPE=ELEMENT\n"
                           + rows(mesh.cell_ids[faces[:, 0]], np.char.add("S", num(faces[:, 1] + 1))))
        for target, name in self.node_surface.items():
            out.append(f"*SURFACE, NAME={name}, TYPE=NODE\n{self.nset_of(target)}\n")
        return "".join(out)

    def _transforms(self) -> str:
        """*TRANSFORM per local nodal system, in the model's order (the last one on a node wins
        in both codes)."""
        out = []
        for t in self.model.transforms:
            o = t.orientation
            out.append(f"*TRANSFORM, NSET={self.nset_of(t.target)}, TYPE={t.kind}\n"
                       + ", ".join(fnum(v) for v in (*o.a, *o.b)) + "\n")
        return "".join(out)

    def _materials(self) -> str:
        out = []
        for name, mat in self.model.materials.items():
            out.append(f"*MATERIAL, NAME={name}\n{_elastic_text(mat)}")
        orientations = {}
        for s in self.model.sections:
            o = s.orientation
            if o is not None and orientations.setdefault(o.name.upper(), o) is not o:
                raise FeaError(f"{self.model.source}: two different orientations are named "
                               f"'{o.name}'")
        for o in orientations.values():
            out.append(_orientation_text(o, self.mesh.cell_ids))
        for s in self.model.sections:
            if s.material not in self.model.materials:
                raise FeaError(f"{self.model.source}: section on '{s.cell_set}' uses material "
                               f"'{s.material}', which is not defined")
            if getattr(self.model.materials[s.material], "cell_E", None) is not None:
                out.append(self._mapped_section(s))
                continue
            ori = f", ORIENTATION={s.orientation.name}" if s.orientation is not None else ""
            out.append(f"*SOLID SECTION, ELSET={s.cell_set}, MATERIAL={s.material}{ori}\n")
        return "".join(out)

    def _mapped_section(self, s) -> str:
        """A CT-mapped material (fea.imaging.mapping): one element set, material and section
        per distinct modulus of the cell set (a few with `bins`), so the deck keeps E per
        element."""
        mat = self.model.materials[s.material]
        cells = np.unique(self.mesh.cell_sets[s.cell_set])
        uniq, inv = np.unique(mat.cell_E[cells], return_inverse=True)
        order = np.argsort(inv, kind="stable")
        bounds = np.searchsorted(inv[order], np.arange(len(uniq) + 1))
        out = [f"** {s.cell_set}: {len(uniq)} CT-mapped moduli of material {s.material}\n"]
        for k, E in enumerate(uniq):  # per distinct modulus (<= elements), text only
            name = f"{s.cell_set}_{s.material}_E{k}"
            out.append(f"*ELSET, ELSET={name}\n"
                       + id_lines(self.mesh.cell_ids[cells[order[bounds[k]:bounds[k + 1]]]])
                       + f"*MATERIAL, NAME={name}\n*ELASTIC\n{fnum(E)}, {fnum(mat.nu)}\n"
                       f"*SOLID SECTION, ELSET={name}, MATERIAL={name}\n")
        return "".join(out)

    def _couplings(self) -> str:
        out = []
        mesh = self.mesh
        for r, ref in self.model.ref_points.items():
            if ref.coupling == "distributing":
                surf = self.face_set(ref.surface, f"the distributing coupling of '{r}'")
                kind = "*DISTRIBUTING\n1, 6\n"
            elif ref.coupling == "kinematic":
                if ref.surface in mesh.face_sets:
                    surf = ref.surface
                else:  # a node or cell set: a node-based surface over its nodes
                    if ref.surface not in self.node_surface:
                        base = ref.surface if ref.surface.upper() not in self.surfs.used \
                            else f"{ref.surface}_nodes"
                        self.node_surface[ref.surface] = self.surfs.fresh(base)
                        self.nset_of(ref.surface)
                    surf = self.node_surface[ref.surface]
                kind = "*KINEMATIC\n1, 3\n"
            else:
                raise FeaError(f"reference point '{r}': unknown coupling '{ref.coupling}'")
            out.append(f"*COUPLING, CONSTRAINT NAME={r}, REF NODE={self.ref_label[r]}, "
                       f"SURFACE={surf}\n{kind}")
        return "".join(out)

    def _equations(self) -> str:
        """The model's linear constraints, first term the eliminated DOF, four terms a line."""
        out = []
        ids = self.mesh.node_ids
        from ..embedded import embedded_equations

        embedded = embedded_equations(self.model)
        turned = [e for e in embedded if np.isin(e.nodes, self.frames[0]).any()]
        if turned:  # written in global axes, but ccx reads a transformed node's terms as local
            raise FeaError(f"{self.model.source}: {turned[0].where} ties node "
                           f"{ids[np.intersect1d(turned[0].nodes, self.frames[0])[0]]}, which "
                           "has a *TRANSFORM; such a tie cannot be written for CalculiX")
        for eq in list(self.model.equations) + embedded:
            labels = [int(ids[n]) if n >= 0 else self.ref_label[r]
                      for n, r in zip(eq.nodes.tolist(), eq.refs)]
            terms = [f"{lab}, {c + 1}, {fnum(a)}"
                     for lab, c, a in zip(labels, eq.comps.tolist(), eq.coefs.tolist())]
            lines = [", ".join(terms[i:i + 4]) for i in range(0, len(terms), 4)]
            out.append(f"*EQUATION\n{len(terms)}\n" + "\n".join(lines) + "\n")
        return "".join(out)

    def _interfaces(self) -> str:
        out = []
        for it, sd in zip(self.model.interfaces, self.sides):
            slave = self.face_set(sd.slave, f"interface '{it.name}'")
            master = self.face_set(sd.master, f"interface '{it.name}'")
            name = self.others.fresh(it.name)
            if not it.is_contact() and sd.bonded:
                out.append(f"** tied interface '{it.name}': bonded by the shared nodes of the "
                           "conforming mesh (a *TIE there would make ccx's MPCs cascade)\n")
                continue
            if not it.is_contact():
                tol = f", POSITION TOLERANCE={fnum(it.adjust)}" if it.adjust > 0 else ""
                out.append(f"*TIE, NAME={name}{tol}\n{slave}, {master}\n")
                continue
            if it.law not in ("friction", "frictionless", "tied"):
                raise FeaError(f"interface '{it.name}': unknown law '{it.law}'")
            if sd.dropped:
                out.append(f"** interface '{it.name}': {sd.dropped} slave face(s) left out, each "
                           "holds a node shared with the master side (bonded there)\n")
            out.append(f"*SURFACE INTERACTION, NAME={name}\n" + self._behavior(it, sd))
            adjust = f", ADJUST={fnum(it.adjust)}" if it.adjust > 0 else ""
            out.append(f"*CONTACT PAIR, INTERACTION={name}, TYPE=SURFACE TO SURFACE, "
                       f"SMALL SLIDING{adjust}\n{slave}, {master}\n")
        return "".join(out)

    def _behavior(self, it, sd) -> str:
        """*SURFACE BEHAVIOR (and *FRICTION) of a contact interface: hard contact as a penalty
        stiff enough for CalculiX; a penalty law (linear, tied, exponential, tabular) as itself."""
        k = PENALTY_FACTOR[it.law if it.mu > 0 else "frictionless"] * sd.E_soft / sd.h
        if it.overclosure is not None:
            kind, data = it.overclosure.deck()
            lines = "".join(f"{fnum(a)}, {fnum(b)}\n" for a, b in data)
        else:
            kind = "TIED" if it.law == "tied" else "LINEAR"
            lines = f"{fnum(_round(k) if it.penalty is None else it.penalty)}\n"
        if self.dialect == "abaqus" and kind in ("TIED", "EXPONENTIAL"):
            # Abaqus has no TIED law, and its EXPONENTIAL pressure vanishes at c0 (ccx: p0 / 100)
            raise FeaError(f"interface '{it.name}': PRESSURE-OVERCLOSURE={kind} is written with "
                           "CalculiX's meaning; Abaqus reads it differently or not at all: "
                           "write the calculix dialect")
        out = f"*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE={kind}\n{lines}"
        if it.law == "tied":  # ccx reads the tied law's stick slope from *FRICTION (mu unused)
            stick = it.penalty if it.stick_slope is None else it.stick_slope  # as the solver
            out += f"*FRICTION\n1, {fnum(stick)}\n"
        elif it.law == "friction" and it.mu > 0:
            stick = _round(k * STICK_RATIO) if it.stick_slope is None else it.stick_slope
            out += f"*FRICTION\n{fnum(it.mu)}, {fnum(stick)}\n"
        return out

    def _supports(self, supports: list[Support]) -> str:
        out = []
        for s in supports:
            vals = s.value_array()
            if s.target in self.model.ref_points:
                nset, top = self.ref_label[s.target], 6
            else:
                nset, top = self.nset_of(s.target), 3
            dofs = [int(d) for d in s.dofs]
            if any(d < 0 or d >= top for d in dofs):
                raise FeaError(f"support '{s.name or s.target}': dofs {dofs} do not exist on "
                               f"{'a reference point' if top == 6 else 'mesh nodes'}")
            if not np.any(vals) and dofs == list(range(dofs[0], dofs[-1] + 1)):
                out.append(f"{nset}, {dofs[0] + 1}, {dofs[-1] + 1}\n")
            else:
                out += [f"{nset}, {d + 1}, {d + 1}, {fnum(v)}\n" for d, v in zip(dofs, vals)]
        return "".join(out)

    # ------------------------------------------------------------------ steps
    def _steps(self) -> str:
        m, mesh = self.model, self.mesh
        conc: dict[tuple, np.ndarray] = {}  # ("set", nset) -> (3,), ("ref", name) -> (6,)
        nodal = np.zeros((mesh.n_nodes, 3))  # tractions as nodal forces (calculix dialect)
        pres: dict[str, float] = {}
        trac: dict[str, np.ndarray] = {}
        out = []
        for step in self.lc.steps:
            old = (dict(conc), nodal.copy(), dict(pres), dict(trac))
            if step.replace:
                conc, nodal, pres, trac = {}, np.zeros_like(nodal), {}, {}
            for ld in step.loads:
                if isinstance(ld, RefLoad):
                    if ld.target not in m.ref_points:
                        raise FeaError(f"step '{step.name}': no reference point '{ld.target}'")
                    if ld.target in self.spread:
                        nodal = nodal + self._spread(ld.target, ld)
                        continue
                    key = ("ref", ld.target)
                    conc[key] = conc.get(key, 0) + np.concatenate([ld.force, ld.moment])
                elif isinstance(ld, NodalForce):
                    key = ("set", self.nset_of(ld.target))
                    conc[key] = conc.get(key, 0) + np.asarray(ld.force, float)
                elif isinstance(ld, Pressure):
                    name = self.face_set(ld.target, "a pressure")
                    pres[name] = pres.get(name, 0.0) + float(ld.pressure)
                elif isinstance(ld, (Traction, SurfaceForce)):
                    name = self.face_set(ld.target, "a surface load")
                    if self.dialect == "calculix":
                        nodal = nodal + (traction_load(mesh, name, ld.traction)
                                         if isinstance(ld, Traction)
                                         else total_force_load(mesh, name, ld.force))
                    else:
                        t = (np.asarray(ld.traction, float) if isinstance(ld, Traction) else
                             np.asarray(ld.force, float) / surface_quadrature(
                                 mesh, mesh.faces(name)).area)
                        trac[name] = trac.get(name, 0) + t
                else:
                    raise FeaError(f"step '{step.name}': load type {type(ld).__name__} cannot "
                                   "be written")
            n = step.increments
            # CalculiX applies *SPRING, NONLINEAR tables only in NLGEOM steps
            nlgeom = ", NLGEOM" if self.springs.nonlinear or step.nlgeom else ""
            out.append(f"*STEP, NAME={self.others.fresh(step.name)}{nlgeom}\n"
                       + ("*STATIC\n1.0, 1.0\n" if n == 1
                          else f"*STATIC, DIRECT\n{fnum(1.0 / n)}, 1.0\n"))
            out.append(self._restate_conc(old[0], old[1], conc, nodal))
            out.append(self._restate_surface(old[2], old[3], pres, trac))
            bcs = self._supports((m.supports if step.replace else []) + list(step.displacements))
            if step.replace:
                out.append("*BOUNDARY, OP=NEW\n" + bcs)
            elif bcs:
                out.append("*BOUNDARY\n" + bcs)
            # ccx prints a transformed node's U in its local axes unless GLOBAL=YES
            glob = ", GLOBAL=YES" if len(self.frames[0]) else ""
            out.append(f"*NODE PRINT, NSET={self.nall}{glob}\nU\n")
            for r in m.ref_points:
                out.append(f"*NODE PRINT, NSET={self.ref_nset[r]}\nU\n")
            out.append("*NODE FILE\nU\n*END STEP\n")
        return "".join(out)

    def _spread(self, ref: str, ld: RefLoad) -> np.ndarray:
        """(n, 3) nodal forces of a load on a distributing reference point: the transpose of
        the coupling's weighted rigid fit, exactly the vector our solver applies."""
        dep = distributing_coupling(self.mesh, self.model.ref_points[ref], 0)
        f = np.zeros(3 * self.mesh.n_nodes)
        np.add.at(f, dep.cols, dep.vals * np.concatenate([ld.force, ld.moment])[dep.rows])
        return f.reshape(-1, 3)

    def _restate_conc(self, old: dict, old_nodal: np.ndarray, new: dict, nodal) -> str:
        keys = list(dict.fromkeys([*old, *new]))
        same = all(np.array_equal(old.get(k, 0), new.get(k, 0)) for k in keys)
        if same and np.array_equal(old_nodal, nodal):
            return ""
        out = ["*CLOAD\n"]
        for k in keys:  # every concentrated load again, so per-node replacement is exact
            v = np.asarray(new.get(k, np.zeros(6 if k[0] == "ref" else 3)), float)
            # reference nodes by number: ccx 2.20 ignores a *CLOAD given through a node set on
            # the reference node of a *DISTRIBUTING coupling (measured)
            nset = self.ref_label[k[1]] if k[0] == "ref" else k[1]
            out += [f"{nset}, {d + 1}, {fnum(x)}\n" for d, x in enumerate(v)]
        live = np.flatnonzero(np.abs(nodal).max(axis=1) + np.abs(old_nodal).max(axis=1) > 0)
        if len(live):
            labels = np.repeat(self.mesh.node_ids[live], 3)
            dofs = np.tile(np.arange(1, 4), len(live))
            idx, R = self.frames  # these forces are global: a transformed node reads local
            local = nodal.copy()
            local[idx] = np.einsum("kji,kj->ki", R, nodal[idx])
            out.append(rows(labels, dofs, local[live].ravel()))
        return "".join(out)

    @staticmethod
    def _restate_surface(old_p: dict, old_t: dict, pres: dict, trac: dict) -> str:
        out = []
        pk = list(dict.fromkeys([*old_p, *pres]))
        if any(old_p.get(k, 0.0) != pres.get(k, 0.0) for k in pk):
            out.append("*DSLOAD\n" + "".join(f"{k}, P, {fnum(pres.get(k, 0.0))}\n" for k in pk))
        tk = list(dict.fromkeys([*old_t, *trac]))
        if any(not np.array_equal(old_t.get(k, 0), trac.get(k, 0)) for k in tk):
            out.append("*DSLOAD\n")
            for k in tk:
                t = np.asarray(trac.get(k, np.zeros(3)), float)
                mag = float(np.linalg.norm(t))
                d = t / mag if mag > 0 else np.array([1.0, 0.0, 0.0])
                out.append(f"{k}, TRVEC, {fnum(mag)}, {fnum(d[0])}, {fnum(d[1])}, {fnum(d[2])}\n")
        return "".join(out)


def _elastic_text(mat) -> str:
    """*ELASTIC of a material: E, nu; or an anisotropic one's constants as they were given,
    8 a line in CalculiX's order (fea.anisotropy)."""
    if not isinstance(mat, AnisotropicElastic):
        return f"*ELASTIC\n{fnum(mat.E)}, {fnum(mat.nu)}\n"
    typ = {"ortho": "ORTHO", "engineering": "ENGINEERING CONSTANTS", "aniso": "ANISO"}[mat.kind]
    vals = [fnum(v) for v in mat.constants]
    lines = [", ".join(vals[i:i + 8]) for i in range(0, len(vals), 8)]
    return f"*ELASTIC, TYPE={typ}\n" + ",\n".join(lines) + "\n"


def _orientation_text(o, cell_ids: np.ndarray) -> str:
    system = "CYLINDRICAL" if o.system == "cylindrical" else "RECTANGULAR"
    cells = getattr(o, "cells", None)
    if cells is None:
        text = (f"*ORIENTATION, NAME={o.name}, SYSTEM={system}\n"
                + ", ".join(fnum(v) for v in (*o.a, *o.b)) + "\n")
    else:  # per-element axes: the default line (first entry), then one line per element
        dist = f"{o.name}_distribution"
        ab = np.vstack([[*o.a, *o.b], o.ab])
        if o.rotation is not None:
            # written as turned axes, no rotation line: ccx 2.20 turns entry k of a
            # distribution by angle (pi / 180)^k (orientations.f converts the angle to radians
            # again for every entry), 1.1 % off on tests/test_distribution.py's cantilever
            R = frames(o.system, ab[:, :3], ab[:, 3:], o.rotation, None)
            ab = np.hstack([R[:, :, 0], R[:, :, 1]])
        rows = [", " + ", ".join(fnum(v) for v in ab[0])]
        rows += [f"{lab}, " + ", ".join(fnum(v) for v in e)
                 for lab, e in zip(cell_ids[cells].tolist(), ab[1:].tolist())]
        text = (f"*DISTRIBUTION TABLE, NAME={dist}_table\nCOORD3D, COORD3D\n"
                f"*DISTRIBUTION, NAME={dist}, LOCATION=ELEMENT, TABLE={dist}_table\n"
                + "\n".join(rows) + f"\n*ORIENTATION, NAME={o.name}, SYSTEM={system}\n"
                f"{dist}\n")
        return text
    if o.rotation is not None:
        text += f"{o.rotation[0]}, {fnum(o.rotation[1])}\n"
    return text
