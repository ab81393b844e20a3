"""`read_deck(path) -> Deck(model, loadcase)`: the linear-static subset of Abaqus/CalculiX decks.

Model data (everything before the first *STEP) builds the mesh, materials, sections, reference
points (*COUPLING), interfaces (*TIE, *CONTACT PAIR) and supports (*BOUNDARY); history data
(*STEP ... *END STEP) becomes the load case (fea.abaqus.history). Output requests are skipped.
Anything else stops with a ConfigError naming the file, the line and the keyword, because a
silently ignored keyword would change the answer. What maps to what: docs/abaqus.md.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..contact import overclosure
from ..anisotropy import (ANISO_NAMES, ENGINEERING_NAMES, ORTHO_NAMES, AnisotropicElastic,
                          Orientation)
from ..equations import Equation
from ..errors import ConfigError
from ..materials import LinearElastic
from ..transforms import Transform, node_frames
from ..model import Interface, LoadCase, Model, RefPoint, Section
from .history import HistoryBuilder
from .lexer import Block, scan
from .meshdata import MeshBuilder
from .distribution import PendingOrientation, RawDistribution, read_distribution, resolve
from .mpc import read_mpc
from .names import Namespace
from .springs import SPRING_TYPES, SpringElements, build_ligaments, read_equations
from .targets import Targets

OUTPUT_KEYWORDS = {  # output requests: ccx/Abaqus writes results; we write ours regardless
    "NODE PRINT", "EL PRINT", "NODE FILE", "EL FILE", "NODE OUTPUT", "ELEMENT OUTPUT", "OUTPUT",
    "CONTACT PRINT", "CONTACT FILE", "CONTACT OUTPUT", "SECTION PRINT", "PREPRINT",
}
MATERIAL_IGNORED = {"DENSITY", "EXPANSION"}  # no gravity or temperature load reads them
MODEL_KEYWORDS = {
    "HEADING", "NODE", "ELEMENT", "NSET", "ELSET", "SURFACE", "MATERIAL", "ELASTIC",
    "SOLID SECTION", "BOUNDARY", "COUPLING", "KINEMATIC", "DISTRIBUTING", "TIE",
    "SURFACE INTERACTION", "SURFACE BEHAVIOR", "FRICTION", "CONTACT PAIR", "SPRING", "EQUATION",
    "MEMBRANE SECTION", "SHELL SECTION", "ORIENTATION", "TRANSFORM", "MPC",
    "DISTRIBUTION", "DISTRIBUTION TABLE", *MATERIAL_IGNORED,
}
# membranes on solid faces (fea.membranes); S3 / S6 shells (what the calculix dialect writes for
# M3D6) are read as membranes: their own plate bending is dropped
MEMBRANE_ELEMENTS = {"M3D3": 3, "M3D6": 6, "S3": 3, "S6": 6}
HISTORY_KEYWORDS = {"STEP", "STATIC", "END STEP", "BOUNDARY", "CLOAD", "DLOAD", "DSLOAD"}
PROCEDURES = {"FREQUENCY", "DYNAMIC", "BUCKLE", "HEAT TRANSFER", "COUPLED TEMPERATURE-"
              "DISPLACEMENT", "VISCO", "MODAL DYNAMIC", "STEADY STATE DYNAMICS", "GREEN",
              "COMPLEX FREQUENCY", "ELECTROMAGNETICS", "UNCOUPLED TEMPERATURE-DISPLACEMENT"}


# keywords of the linear-static dialect that are refused with their reason (docs/abaqus.md)
REFUSED = {
    "CHANGE SOLID SECTION": "it changes an element set's material from one step to the next, "
    "and a load case here is solved with one stiffness for all its steps (steps add loads to "
    "one linear or contact solve); write one deck per material state",
}


@dataclass
class Deck:
    model: Model
    loadcase: LoadCase | None
    heading: str = ""


@dataclass
class _SpringPart:
    """Spring element labels in an element set (the set leaves the mesh before it is built)."""

    labels: np.ndarray
    block: Block
    faces: np.ndarray | None = None


@dataclass
class _Material:
    block: Block
    E: float | None = None
    nu: float | None = None
    aniso: tuple[str, tuple[float, ...]] | None = None  # (fea.anisotropy kind, constants)


# *ELASTIC, TYPE=...: (fea.anisotropy kind, CalculiX's order of the constants, 8 a line)
ELASTIC_TYPES = {"ORTHO": ("ortho", ORTHO_NAMES),
                 "ENGINEERING CONSTANTS": ("engineering", ENGINEERING_NAMES),
                 "ANISO": ("aniso", ANISO_NAMES)}


@dataclass
class _Coupling:
    block: Block
    name: str
    ref_label: int
    surface: str
    kind: str | None = None  # "kinematic" | "distributing", from the keyword that follows


@dataclass
class _Interaction:
    block: Block
    mu: float = 0.0
    has_friction: bool = False
    slope: float | None = None  # PRESSURE-OVERCLOSURE=LINEAR / TIED: pressure per overclosure
    stick_slope: float | None = None  # *FRICTION's second entry
    overclosure: object | None = None  # EXPONENTIAL / TABULAR (fea.contact.overclosure)
    tied: bool = False  # PRESSURE-OVERCLOSURE=TIED


@dataclass
class _Pair:
    block: Block
    line: int
    slave: str
    master: str
    law: str | None  # "tied" for *TIE, else from the interaction
    interaction: str | None
    name: str
    adjust: float = 0.0


@dataclass
class _State:
    heading: list[str] = field(default_factory=list)
    materials: Namespace[_Material] = field(default_factory=lambda: Namespace("material"))
    orientations: Namespace[Orientation] = field(
        default_factory=lambda: Namespace("orientation"))
    sections: list[tuple[Block, str, str]] = field(default_factory=list)
    couplings: list[_Coupling] = field(default_factory=list)
    interactions: Namespace[_Interaction] = field(
        default_factory=lambda: Namespace("surface interaction"))
    pairs: list[_Pair] = field(default_factory=list)
    boundaries: list[Block] = field(default_factory=list)
    springs: SpringElements = field(default_factory=SpringElements)
    # membrane elements by ELSET (upper case): (name, labels, node labels, block) per *ELEMENT
    membrane_sets: dict = field(default_factory=dict)
    membrane_sections: list = field(default_factory=list)  # (block, elset, material, thickness)
    transforms: list = field(default_factory=list)  # (block, NSET, Orientation) per *TRANSFORM
    mpcs: list[Block] = field(default_factory=list)  # *MPC blocks (fea.abaqus.mpc)
    distributions: Namespace[RawDistribution] = field(
        default_factory=lambda: Namespace("distribution"))


def read_deck(path: str | Path) -> Deck:
    """Read an Abaqus/CalculiX input deck (linear static, tetrahedra) into a Model and LoadCase."""
    path = Path(path)
    blocks = scan(path)
    return _Reader(path, blocks).run()


def read_deck_mesh(path: str | Path):
    """Only the mesh of a deck (nodes, elements, sets, surfaces), for a model file's
    `[mesh] file`: a mesher's export has no *MATERIAL or *SOLID SECTION (the model file gives
    them), which read_deck requires of a complete model."""
    path = Path(path)
    reader = _Reader(path, scan(path))
    for block in reader.blocks:
        if block.keyword == "STEP":
            break
        reader._model_block(block)
    reader._close_context(None)
    built = reader.mb.build({c.ref_label: c.block for c in reader.st.couplings})
    built.mesh.check()  # inverted / degenerate elements: MeshError naming the element ids
    return built.mesh


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _supported_list() -> str:
    keys = sorted(MODEL_KEYWORDS | HISTORY_KEYWORDS | {"INCLUDE"})
    return ", ".join(f"*{k}" for k in keys) + " (and output requests, which are skipped)"


class _Reader:
    def __init__(self, path: Path, blocks: list[Block]):
        self.path = path
        self.blocks = blocks
        self.mb = MeshBuilder(str(path))
        self.st = _State()
        self._context: str | None = None  # "material", "coupling", "interaction"
        self._resolved: dict = {}  # distributed orientations resolved on the mesh, by name

    # ------------------------------------------------------------------ driver
    def run(self) -> Deck:
        first_step = next((i for i, b in enumerate(self.blocks) if b.keyword == "STEP"),
                          len(self.blocks))
        for block in self.blocks[:first_step]:
            self._model_block(block)
        self._close_context(None)
        model, targets = self._build_model()
        hist = HistoryBuilder(targets, str(self.path))
        for block in self.st.boundaries:
            hist.boundary(block)
        for block in self.blocks[first_step:]:
            self._history_block(hist, block)
        heading = "\n".join(self.st.heading)
        loadcase = hist.loadcase(self.path.stem, heading)
        model.supports = hist.model_supports
        return Deck(model, loadcase, heading)

    def _unsupported(self, block: Block) -> ConfigError:
        if block.keyword in REFUSED:
            return block.error(f"not supported: {REFUSED[block.keyword]}")
        if block.keyword in PROCEDURES:
            return block.error("this analysis procedure is not supported: the solver is linear "
                               "static (*STATIC)")
        if block.keyword in ("PART", "END PART", "ASSEMBLY", "END ASSEMBLY", "INSTANCE"):
            return block.error("parts and assemblies are not supported: write a flat input "
                               "file (nodes, elements and sets at the top level)")
        return block.error(f"keyword not supported. Supported: {_supported_list()}")

    # ------------------------------------------------------------------ model data
    def _model_block(self, b: Block) -> None:
        kw = b.keyword
        if kw in HISTORY_KEYWORDS - {"BOUNDARY", "STEP"} or kw == "END STEP":
            raise b.error("is history data: it belongs between *STEP and *END STEP")
        self._close_context(kw)
        if kw in OUTPUT_KEYWORDS:
            return
        if kw not in MODEL_KEYWORDS:
            raise self._unsupported(b)
        handler = {
            "HEADING": self._heading, "NODE": self.mb.add_nodes, "ELEMENT": self._element,
            "SPRING": self.st.springs.springs.append,
            "EQUATION": self.st.springs.equations.append, "MPC": self.st.mpcs.append,
            "NSET": self.mb.add_set, "ELSET": self.mb.add_set, "SURFACE": self.mb.add_surface,
            "MATERIAL": self._material, "ELASTIC": self._elastic,
            "SOLID SECTION": self._section, "BOUNDARY": self.st.boundaries.append,
            "MEMBRANE SECTION": self._membrane_section, "SHELL SECTION": self._membrane_section,
            "ORIENTATION": self._orientation, "TRANSFORM": self._transform,
            "DISTRIBUTION": self._distribution, "DISTRIBUTION TABLE": self._distribution_table,
            "COUPLING": self._coupling, "KINEMATIC": self._coupling_kind,
            "DISTRIBUTING": self._coupling_kind, "TIE": self._tie,
            "SURFACE INTERACTION": self._interaction, "SURFACE BEHAVIOR": self._behavior,
            "FRICTION": self._friction, "CONTACT PAIR": self._contact_pair,
        }.get(kw, self._material_ignored)
        handler(b)

    def _close_context(self, kw: str | None) -> None:
        """Sub-keywords must follow their parent (*ELASTIC after *MATERIAL, ...)."""
        belongs = {
            "material": {"ELASTIC"} | MATERIAL_IGNORED,
            "coupling": {"KINEMATIC", "DISTRIBUTING"},
            "interaction": {"SURFACE BEHAVIOR", "FRICTION"},
        }
        if self._context == "coupling" and kw not in belongs["coupling"]:
            c = self.st.couplings[-1]
            if c.kind is None:
                raise c.block.error("must be followed by *KINEMATIC or *DISTRIBUTING")
        if self._context and kw not in belongs[self._context]:
            self._context = None

    def _need(self, b: Block, context: str, parent: str) -> None:
        if self._context != context:
            raise b.error(f"must follow *{parent} (directly, or after its other sub-keywords)")

    def _element(self, b: Block) -> None:
        etype = " ".join((b.params.get("TYPE") or "").split()).upper()
        if etype in MEMBRANE_ELEMENTS:
            b.check_params({"TYPE", "ELSET"})
            name = b.param("ELSET")
            if not name:
                raise b.error(f"TYPE={etype} elements need ELSET= (their *MEMBRANE SECTION "
                              "names it)")
            nn = MEMBRANE_ELEMENTS[etype]
            arr = b.numeric(1 + nn, np.int64, f"element number and {nn} node numbers")
            self.st.membrane_sets.setdefault(name.upper(), []).append((name, arr[:, 0],
                                                                       arr[:, 1:], b))
            return
        if etype not in SPRING_TYPES:
            self.mb.add_elements(b)
            return
        b.check_params({"TYPE", "ELSET"})
        labels = self.st.springs.add_elements(b, etype)
        if b.param("ELSET"):  # spring sets stay out of the mesh's element sets
            self.mb._add(self.mb.elsets, b.param("ELSET"), _SpringPart(labels, b))

    def _spring_sets(self) -> dict[str, np.ndarray]:
        """Element sets of spring elements, taken out of the mesh's element sets (a set mixing
        springs and solids is refused: a section or load on it would be ambiguous)."""
        labels = self.st.springs.labels()
        solid = np.concatenate([b[0] for b in self.mb.elem_blocks]) \
            if self.mb.elem_blocks else np.zeros(0, np.int64)
        clash = np.intersect1d(labels, solid)
        if len(clash):
            blk = next(b for lab, _, _, b in self.st.springs.blocks if clash[0] in lab)
            raise blk.error(f"element number {clash[0]} is used by a solid element too")
        out = {}
        for name, sdef in self.mb.elsets.items():
            members = sdef.labels()
            hit = np.isin(members, labels)
            if hit.all() and len(members):
                out[name] = np.unique(members)
                self.mb.elsets.remove(name)
            elif hit.any():
                raise sdef.parts[0].block.error(f"element set '{name}' mixes spring and solid "
                                                "elements; keep them in separate sets")
        return out

    def _heading(self, b: Block) -> None:
        self.st.heading += [ln.strip() for ln in b.data.split("\n")
                            if ln.strip() and not ln.strip().startswith("**")]

    def _material(self, b: Block) -> None:
        b.check_params({"NAME"})
        name = b.param("NAME", required=True)
        if name in self.st.materials:
            raise b.error(f"material '{name}' is defined twice")
        self.st.materials.define(name, _Material(b))
        self._context = "material"

    def _material_ignored(self, b: Block) -> None:
        self._need(b, "material", "MATERIAL")

    def _elastic(self, b: Block) -> None:
        self._need(b, "material", "MATERIAL")
        b.check_params({"TYPE"})
        typ = b.choice("TYPE", ("ISO", "ISOTROPIC", *ELASTIC_TYPES), "ISO")
        if typ in ELASTIC_TYPES:
            self.st.materials.items()[-1][1].aniso = self._elastic_constants(b, typ)
            return
        line, f = b.one_line("needs exactly one data line 'E, nu' (temperature-dependent "
                             "elasticity is not supported)")
        try:
            E, nu = float(f[0]), float(f[1])
        except (ValueError, IndexError):
            raise b.error("the data line is 'E, nu'", line) from None
        mat = self.st.materials.items()[-1][1]
        mat.E, mat.nu = E, nu

    @staticmethod
    def _elastic_constants(b: Block, typ: str) -> tuple[str, tuple[float, ...]]:
        """The constants of one temperature, CalculiX's way: 8 a line, the last line's next
        entry a temperature (ignored: one set means valid at every temperature); an empty
        entry is 0, as Fortran's list read makes it."""
        kind, names = ELASTIC_TYPES[typ]
        rows = b.lines()
        n_lines = -(-len(names) // 8)
        if len(rows) > n_lines:
            raise b.error(f"TYPE={typ} takes {n_lines} data lines (temperature-dependent "
                          "elasticity is not supported)", rows[n_lines][0])
        values = []
        for k in range(n_lines):
            want = names[8 * k:8 * k + 8]
            if k >= len(rows):
                raise b.error(f"TYPE={typ}: missing {', '.join(names[len(values):])} (the "
                              f"constants are {', '.join(names)}, 8 a line)")
            line, f = rows[k]
            last = k == n_lines - 1
            if len(f) < len(want):
                raise b.error(f"TYPE={typ}: missing {', '.join(want[len(f):])} on this line "
                              f"(the constants are {', '.join(names)}, 8 a line)", line)
            if len(f) > len(want) + last:
                raise b.error(f"TYPE={typ}: {len(f)} entries, this line holds "
                              f"{', '.join(want)}" + (" and a temperature" if last else ""), line)
            for n, x in zip(want, f):
                try:
                    values.append(float(x) if x.strip() else 0.0)
                except ValueError:
                    raise b.error(f"{n} = '{x.strip()}' is not a number", line) from None
        return kind, tuple(values)

    def _orientation(self, b: Block) -> None:
        b.check_params({"NAME", "SYSTEM"})
        name = b.param("NAME", required=True)
        if name in self.st.orientations:
            raise b.error(f"orientation '{name}' is defined twice")
        system = b.choice("SYSTEM", ("RECTANGULAR", "R", "CYLINDRICAL", "C"), "RECTANGULAR")
        rows = b.lines()
        if not rows or len(rows) > 2:
            raise b.error("needs the line 'a1, a2, a3, b1, b2, b3' and optionally 'local axis, "
                          "angle in degrees'", rows[2][0] if len(rows) > 2 else None)
        line, f = rows[0]
        system = "cylindrical" if system[0] == "C" else "rectangular"
        rotation = self._orientation_rotation(b, rows)
        if len(f) == 1 and f[0].strip() and not _is_number(f[0]):  # a distribution's name
            if system == "cylindrical" and rotation is not None:
                raise b.error(f"orientation '{name}': an additional rotation is only allowed "
                              "for rectangular systems (as in CalculiX)", rows[1][0])
            self.st.orientations.define(name, PendingOrientation(
                name, system, rotation, f[0].strip(), b, line))
            return
        try:
            ab = [float(x) for x in f]
        except ValueError:
            raise b.error("the first line is 'a1, a2, a3, b1, b2, b3' (numbers) or the name of "
                          "a *DISTRIBUTION", line) from None
        if len(ab) != 6:
            raise b.error(f"the first line is 'a1, a2, a3, b1, b2, b3': got {len(ab)} "
                          "entries", line)
        try:
            o = Orientation(name, system, tuple(ab[:3]), tuple(ab[3:]), rotation)
        except ConfigError as exc:  # the points' line, or the rotation's
            raise b.error(str(exc), rows[-1][0] if "rotation" in str(exc) else line) from None
        self.st.orientations.define(name, o)

    @staticmethod
    def _orientation_rotation(b: Block, rows) -> tuple[int, float] | None:
        if len(rows) < 2:
            return None
        line, f = rows[1]
        try:
            return int(f[0]), float(f[1])
        except (ValueError, IndexError):
            raise b.error("the second line is 'local axis (1, 2 or 3), angle in degrees'",
                          line) from None

    def _distribution(self, b: Block) -> None:
        raw = read_distribution(b)
        if raw.name in self.st.distributions:
            raise b.error(f"distribution '{raw.name}' is defined twice")
        self.st.distributions.define(raw.name, raw)

    @staticmethod
    def _distribution_table(b: Block) -> None:
        """Declares the distribution's columns (COORD3D, COORD3D); CalculiX reads nothing."""
        b.check_params({"NAME"})

    def _oriented(self, orient, mesh):
        """An *ORIENTATION as the section uses it: a named distribution is resolved on the
        mesh once (per-element axes)."""
        if not isinstance(orient, PendingOrientation):
            return orient
        done = self._resolved.get(orient.name.upper())
        if done is None:
            _, raw = self.st.distributions.require(orient.distribution, orient.block,
                                                   orient.line)
            done = resolve(orient, raw, mesh, self.mb.elsets)
            self._resolved[orient.name.upper()] = done
        return done

    def _section(self, b: Block) -> None:
        b.check_params({"ELSET", "MATERIAL", "ORIENTATION"})
        self.st.sections.append((b, b.param("ELSET", required=True),
                                 b.param("MATERIAL", required=True)))

    def _membrane_section(self, b: Block) -> None:
        b.check_params({"ELSET", "MATERIAL", "OFFSET"} if b.keyword == "SHELL SECTION"
                       else {"ELSET", "MATERIAL"})
        if b.param("OFFSET") not in (None, "0", "0.0", "0."):
            raise b.error("shell OFFSET is not supported (shells are read as membranes on the "
                          "faces they lie on)")
        rows = b.lines()
        try:
            t = float(rows[0][1][0])
        except (IndexError, ValueError):
            raise b.error("the data line is the thickness") from None
        if not t > 0:
            raise b.error(f"thickness {t} must be > 0", rows[0][0])
        self.st.membrane_sections.append((b, b.param("ELSET", required=True),
                                          b.param("MATERIAL", required=True), t))

    def _membranes(self, mesh, materials) -> list:
        """*MEMBRANE SECTION (or *SHELL SECTION) on M3D3/M3D6 (S3/S6) elements as Membranes,
        each on a face set named by its element set: the solid faces under its elements."""
        from ..membranes import Membrane

        out = []
        used = set()
        for b, elset, mat, t in self.st.membrane_sections:
            parts = self.st.membrane_sets.get(elset.upper())
            if parts is None:
                hint = difflib.get_close_matches(elset.upper(), list(self.st.membrane_sets), n=1)
                did = f" Did you mean {hint[0]}?" if hint else ""
                raise b.error(f"ELSET={elset} is not the ELSET of membrane (M3D3/M3D6) or shell "
                              f"(S3/S6) elements.{did}")
            mname, _ = self.st.materials.require(mat, b)
            name = parts[0][0]
            if name.upper() in used:
                raise b.error(f"ELSET={elset} has a second section")
            used.add(name.upper())
            faces = []
            order = np.argsort(mesh.node_ids)
            for _, labels, conn, eb in parts:
                at = np.minimum(np.searchsorted(mesh.node_ids[order], conn[:, :3]),
                                len(order) - 1)
                pos = order[at]
                if (mesh.node_ids[pos] != conn[:, :3]).any():
                    raise eb.error("a membrane element refers to a node that is not defined")
                f = mesh.match_faces(pos, name)
                widths = {ft.n_nodes for ft, _ in mesh.face_groups(f)}
                if widths != {conn.shape[1]}:
                    raise eb.error(f"{conn.shape[1]}-node membranes on faces of "
                                   f"{'/'.join(map(str, sorted(widths)))} nodes: use M3D3 on "
                                   "C3D4 faces, M3D6 on C3D10 faces")
                # a face between two solids matches both sides: one membrane, one face
                key = np.sort(mesh.face_connectivity(f, corners_only=True), axis=1)
                _, first = np.unique(key, axis=0, return_index=True)
                faces.append(f[np.sort(first)])
            if name in mesh.face_sets:
                raise b.error(f"ELSET={name} is also a surface's name; rename one")
            mesh.face_sets[name] = np.vstack(faces)
            out.append(Membrane(name, mname, t))
        for key, parts in self.st.membrane_sets.items():
            if key not in used:
                raise parts[0][3].error(f"membrane elements of ELSET={parts[0][0]} have no "
                                        "*MEMBRANE SECTION")
        return out

    def _transform(self, b: Block) -> None:
        """*TRANSFORM, NSET=, TYPE=R|C: local axes for those nodes (fea.transforms), the same two
        points a, b as *ORIENTATION's systems."""
        b.check_params({"NSET", "TYPE"})
        nset = b.param("NSET", required=True)
        system = {"R": "rectangular", "C": "cylindrical"}[b.choice("TYPE", ("R", "C"), "R")]
        line, f = b.one_line("needs one data line 'a1, a2, a3, b1, b2, b3' (two points)")
        try:
            ab = [float(x) if x else 0.0 for x in f]
        except ValueError:
            raise b.error("the data line holds six numbers: a1, a2, a3, b1, b2, b3", line) \
                from None
        if len(ab) != 6:
            raise b.error(f"{len(ab)} entries: the data line is 'a1, a2, a3, b1, b2, b3'", line)
        try:
            orient = Orientation(f"TRANSFORM on {nset}", system, tuple(ab[:3]), tuple(ab[3:]))
        except ConfigError as exc:
            raise b.error(str(exc), line) from None
        self.st.transforms.append((b, nset, orient))

    def _transforms(self, targets: Targets) -> list[Transform]:
        out = []
        for b, nset, orient in self.st.transforms:
            line = b.lines()[0][0]
            mesh_set, refs = targets.nset(nset, b, line)
            if refs:
                raise b.error(f"node set '{nset}' holds the reference node of coupling "
                              f"'{refs[0]}': local axes are supported on mesh nodes only", line)
            out.append(Transform(mesh_set, orient, b.loc(line)))
        return out

    def _coupling(self, b: Block) -> None:
        b.check_params({"CONSTRAINT NAME", "REF NODE", "SURFACE"})
        ref = b.param("REF NODE", required=True)
        if not (ref.isascii() and ref.isdigit()):
            raise b.error(f"REF NODE={ref} must be a node number")
        name = b.param("CONSTRAINT NAME") or f"RP{ref}"
        if any(c.name.upper() == name.upper() for c in self.st.couplings):
            raise b.error(f"CONSTRAINT NAME={name} is used twice")
        if any(c.ref_label == int(ref) for c in self.st.couplings):
            raise b.error(f"REF NODE={ref} already drives another coupling")
        self.st.couplings.append(_Coupling(b, name, int(ref), b.param("SURFACE", required=True)))
        self._context = "coupling"

    def _coupling_kind(self, b: Block) -> None:
        self._need(b, "coupling", "COUPLING")
        c = self.st.couplings[-1]
        if c.kind is not None:
            raise b.error("a *COUPLING takes one of *KINEMATIC or *DISTRIBUTING")
        b.check_params(set())
        dofs = set()
        for line, f in b.lines():
            try:
                a = int(f[0])
                z = int(f[1]) if len(f) > 1 and f[1] else a
            except ValueError:
                raise b.error("lines are 'first dof, last dof'", line) from None
            if not 1 <= a <= z <= 6:
                raise b.error(f"dofs {a}..{z}: need 1 <= first <= last <= 6", line)
            dofs |= set(range(a, z + 1))
        dofs = dofs or set(range(1, 7))
        if b.keyword == "KINEMATIC":
            # dofs 1-3 tie every surface node rigidly to the reference node (ccx allows only
            # these); 4-6 add nothing for solid nodes, which have no rotations
            if not {1, 2, 3} <= dofs:
                raise b.error("only a full rigid coupling is supported: dofs 1-3 (or 1-6)")
            c.kind = "kinematic"
        else:
            if dofs != set(range(1, 7)):
                raise b.error("only a distributing coupling of all dofs (1-6) is supported: "
                              "it carries both forces and moments")
            c.kind = "distributing"

    def _tie(self, b: Block) -> None:
        b.check_params({"NAME", "POSITION TOLERANCE", "ADJUST", "TYPE"})
        b.choice("TYPE", ("SURFACE TO SURFACE", "NODE TO SURFACE"))
        b.choice("ADJUST", ("YES", "NO"))
        tol = b.float_param("POSITION TOLERANCE") or 0.0
        rows = b.lines()
        if not rows:
            raise b.error("needs a data line 'slave surface, master surface'")
        for k, (line, f) in enumerate(rows):
            if len(f) != 2:
                raise b.error("lines are 'slave surface, master surface'", line)
            name = b.param("NAME") or f"tie{len(self.st.pairs) + 1}"
            name = name if len(rows) == 1 else f"{name}_{k + 1}"
            self.st.pairs.append(_Pair(b, line, f[0], f[1], "tied", None, name, tol))

    def _interaction(self, b: Block) -> None:
        b.check_params({"NAME"})
        name = b.param("NAME", required=True)
        if name in self.st.interactions:
            raise b.error(f"surface interaction '{name}' is defined twice")
        b.no_data()
        self.st.interactions.define(name, _Interaction(b))
        self._context = "interaction"

    def _behavior(self, b: Block) -> None:
        self._need(b, "interaction", "SURFACE INTERACTION")
        b.check_params({"PRESSURE-OVERCLOSURE"})
        kind = b.choice("PRESSURE-OVERCLOSURE",
                        ("HARD", "LINEAR", "EXPONENTIAL", "TABULAR", "TIED"), "HARD")
        inter = self.st.interactions.items()[-1][1]
        if kind in ("LINEAR", "TIED"):
            # CalculiX's penalty law p = K x overclosure (slope K[, tension limit, c0]: those
            # two are node-to-surface parameters, unused by face-to-face contact, as in ccx);
            # TIED: the same slope in tension too, the shear stick slope from *FRICTION
            line, f = b.one_line(f"{kind} needs one data line 'slope K[, ...]' (pressure per "
                                 "overclosure, N/mm^3)")
            try:
                slope = float(f[0])
            except ValueError:
                raise b.error("the first entry is the slope K (N/mm^3)", line) from None
            if not slope > 0:
                raise b.error(f"slope K = {slope}: must be > 0", line)
            inter.slope, inter.tied = slope, kind == "TIED"
        elif kind in ("EXPONENTIAL", "TABULAR"):
            rows = b.lines()
            if not rows:
                raise b.error(f"{kind} needs data lines")
            try:
                values = [[float(x) for x in f[:2]] for _, f in rows]
            except ValueError:
                raise b.error("the entries are numbers", rows[0][0]) from None
            if kind == "TABULAR" and any(len(f) > 2 and f[2].strip() for _, f in rows):
                raise b.error("temperature-dependent tables (third entry) are not supported",
                              rows[0][0])
            try:
                inter.overclosure = overclosure.from_deck(kind, values)
            except ValueError as e:
                raise b.error(str(e), rows[0][0]) from None

    def _friction(self, b: Block) -> None:
        self._need(b, "interaction", "SURFACE INTERACTION")
        b.check_params({"SLIP TOLERANCE"})  # a penalty regularisation: our laws are exact
        line, f = b.one_line("needs one data line 'mu' (or 'mu, stick slope' as in CalculiX)")
        try:
            mu = float(f[0])
        except ValueError:
            raise b.error("the first entry is the friction coefficient mu", line) from None
        if not 0.0 <= mu <= 2.0:
            raise b.error(f"friction coefficient {mu} outside 0..2", line)
        inter = self.st.interactions.items()[-1][1]
        inter.mu, inter.has_friction = mu, True
        if len(f) > 1 and f[1].strip():
            try:
                inter.stick_slope = float(f[1])
            except ValueError:
                raise b.error("the second entry is the stick slope (N/mm^3)", line) from None
            if not inter.stick_slope > 0:
                raise b.error(f"stick slope {inter.stick_slope}: must be > 0", line)

    def _contact_pair(self, b: Block) -> None:
        b.check_params({"INTERACTION", "TYPE", "SMALL SLIDING", "ADJUST"})
        b.choice("TYPE", ("SURFACE TO SURFACE", "NODE TO SURFACE"))
        if b.params.get("SMALL SLIDING"):
            raise b.error("SMALL SLIDING takes no value")
        adjust = b.params.get("ADJUST")
        try:
            adjust = float(adjust) if adjust else 0.0
        except ValueError:
            raise b.error(f"ADJUST={adjust}: only a distance is supported (not a node set)") \
                from None
        inter = b.param("INTERACTION", required=True)
        rows = b.lines()
        if not rows:
            raise b.error("needs a data line 'slave surface, master surface'")
        for k, (line, f) in enumerate(rows):
            if len(f) != 2:
                raise b.error("lines are 'slave surface, master surface'", line)
            name = inter if len(rows) == 1 else f"{inter}_{k + 1}"
            self.st.pairs.append(_Pair(b, line, f[0], f[1], None, inter, name, adjust))

    # ------------------------------------------------------------------ building the model
    def _build_model(self) -> tuple[Model, Targets]:
        mb = self.mb
        refs = {}
        for c in self.st.couplings:
            refs[c.ref_label] = c.block
        spring_sets = self._spring_sets()
        free = self._free_spring_nodes()
        built = mb.build({**free, **refs})  # free spring end nodes: kept as positions
        built.ref_members = {k: [lab for lab in v if lab in refs]
                             for k, v in built.ref_members.items()}
        built.ref_members = {k: v for k, v in built.ref_members.items() if v}
        mesh = built.mesh
        mesh.check()  # inverted / degenerate elements: MeshError naming the element ids

        materials = {}
        for name, m in self.st.materials.items():
            if m.E is None and m.aniso is None:
                raise m.block.error(f"material '{name}' has no *ELASTIC")
            try:
                materials[name] = LinearElastic(name, m.E, m.nu) if m.aniso is None else \
                    AnisotropicElastic(name, *m.aniso)
            except ConfigError as exc:
                raise m.block.error(str(exc)) from None
        sections, covered = [], np.zeros(mesh.n_cells, np.int64)
        owner = np.full(mesh.n_cells, -1)
        for i, (b, elset, mat) in enumerate(self.st.sections):
            canon, _ = mb.elsets.require(elset, b)
            mname, _ = self.st.materials.require(mat, b)
            cells = mesh.cell_sets[canon]
            clash = cells[owner[cells] >= 0]
            if len(clash):
                other = self.st.sections[owner[clash[0]]][0]
                raise b.error(f"element {mesh.cell_ids[clash[0]]} already has a section ("
                              f"{other.loc()}); give every element exactly one *SOLID SECTION")
            owner[cells] = i
            covered[cells] += 1
            orient = None
            if b.param("ORIENTATION"):
                _, orient = self.st.orientations.require(b.param("ORIENTATION"), b)
                orient = self._oriented(orient, mesh)
            sections.append(Section(canon, mname, orientation=orient))
        if (covered == 0).any():
            bad = np.flatnonzero(covered == 0)
            raise ConfigError(f"{self.path}: {len(bad)} element(s) have no *SOLID SECTION "
                              f"(e.g. element {mesh.cell_ids[bad[0]]}); every element needs one")

        ref_points, ref_by_label = {}, {}
        for c in self.st.couplings:
            canon, surf = mb.surfaces.require(c.surface, c.block)
            if c.kind == "distributing" and surf.kind != "ELEMENT":
                raise c.block.error(f"a distributing coupling needs an element-face surface; "
                                    f"'{canon}' is TYPE=NODE")
            surface = built.node_surfaces.get(canon, canon)  # a node surface is a node set
            ref_points[c.name] = RefPoint(c.name, built.ref_positions[c.ref_label], c.kind,
                                          surface)
            ref_by_label[c.ref_label] = c.name

        interfaces = []
        for p in self.st.pairs:
            sides = []
            for side in (p.slave, p.master):
                canon, surf = mb.surfaces.require(side, p.block, p.line)
                if surf.kind != "ELEMENT":
                    raise p.block.error(f"surface '{canon}' is node-based; interfaces need "
                                        "element-face surfaces", p.line)
                sides.append(canon)
            law, mu, slope, stick, over = p.law, 0.0, None, None, None
            if law is None:
                canon, inter = self.st.interactions.require(p.interaction, p.block, p.line)
                law = "friction" if inter.mu > 0 else "frictionless"
                mu, slope, over = inter.mu, inter.slope, inter.overclosure
                if inter.tied and not inter.has_friction:
                    raise inter.block.error(f"surface interaction '{canon}' is "
                                            "PRESSURE-OVERCLOSURE=TIED: CalculiX needs its "
                                            "stick slope from a *FRICTION line")
                if inter.tied:
                    law, mu = "tied", 0.0  # bonded: *FRICTION's mu is not used
                if (slope is not None or over is not None) and law != "frictionless":
                    # CalculiX's default stick slope: the deck's first elastic constant / 2
                    stick = inter.stick_slope if inter.stick_slope is not None else \
                        0.5 * self._first_elastic_constant()
            interfaces.append(Interface(p.name, sides[0], sides[1], law, mu, p.adjust, slope,
                                        stick, over))

        model = Model(self.path.stem, mesh, materials, sections, [], ref_points, interfaces,
                      str(self.path), membranes=self._membranes(mesh, materials))
        targets = Targets(built, mb.nsets, mb.elsets, mb.surfaces, ref_by_label)
        raw = read_equations(self.st.springs.equations)
        on_mesh = [np.isin(e.labels[0], mesh.node_ids) or int(e.labels[0]) in ref_by_label
                   for e in raw]
        model.ligaments = build_ligaments(self.st.springs, spring_sets, targets,
                                          built.ref_positions,
                                          [e for e, m in zip(raw, on_mesh) if not m])
        model.equations = [self._equation(e, mesh, ref_by_label)
                           for e, m in zip(raw, on_mesh) if m]
        model.equations += [self._equation(e, mesh, ref_by_label, "*MPC")
                            for b in self.st.mpcs
                            for e in read_mpc(b, mb.nsets, self._mpc_coords(mesh))]
        model.transforms = self._transforms(targets)
        if model.transforms:  # spring-end ties spread a fibre end in global axes
            turned = node_frames(model)[0]
            for eq in (e for e in model.equations if e.where.endswith("*MPC")):
                hit = np.intersect1d(eq.nodes, turned)
                if len(hit):  # its coefficients are global; the node's dofs would be local
                    raise ConfigError(f"{eq.where}: node {mesh.node_ids[hit[0]]} has a "
                                      "*TRANSFORM; an *MPC on a transformed node is not "
                                      "supported")
            for e in (e for e, m in zip(raw, on_mesh) if not m):
                hit = np.isin(mesh.node_ids[turned], e.labels)
                if hit.any():
                    raise e.block.error(f"node {mesh.node_ids[turned][hit][0]} has a *TRANSFORM:"
                                        " a spring end tied to it would act in its local axes "
                                        "(not supported)", e.line)
        return model, targets

    def _first_elastic_constant(self) -> float:
        """The first constant of the deck's first *ELASTIC (E, E1 or D1111)."""
        m = self.st.materials.items()[0][1]
        return m.E if m.aniso is None else m.aniso[1][0]

    @staticmethod
    def _mpc_coords(mesh):
        """Coordinates of an *MPC's nodes by label; each must be a node of a solid element."""
        order = np.argsort(mesh.node_ids)

        def coords(labels, block, lines):
            pos = np.minimum(np.searchsorted(mesh.node_ids[order], labels), len(order) - 1)
            bad = np.flatnonzero(mesh.node_ids[order][pos] != labels)
            if len(bad):
                raise block.error(f"node {labels[bad[0]]} is not a node of a solid element "
                                  "(*MPC ties mesh nodes)", int(lines[bad[0]]))
            return mesh.nodes[order[pos]]
        return coords

    def _equation(self, e, mesh, ref_by_label: dict[int, str],
                  keyword: str = "*EQUATION") -> Equation:
        """A linear constraint between mesh nodes (dofs 1-3) and reference nodes (dofs 1-6)."""
        where = f"{e.block.loc(e.line)}: {keyword}"
        order = np.argsort(mesh.node_ids)
        pos = np.minimum(np.searchsorted(mesh.node_ids[order], e.labels), len(order) - 1)
        idx = np.where(mesh.node_ids[order][pos] == e.labels, order[pos], -1)
        refs = tuple(ref_by_label.get(int(lab)) for lab in e.labels)
        for lab, i, r, d in zip(e.labels.tolist(), idx.tolist(), refs, e.dofs.tolist()):
            if i < 0 and r is None:
                raise e.block.error(f"node {lab} is neither a node of a solid element nor a "
                                    "coupling's reference node", e.line)
            if i >= 0 and d > 3:
                raise e.block.error(f"node {lab} dof {d}: solid nodes have dofs 1-3 (rotations "
                                    "exist on reference nodes only)", e.line)
        return Equation(idx, refs, e.dofs - 1, e.coefs, where)

    def _free_spring_nodes(self) -> dict[int, Block]:
        """Spring nodes in no solid element (fibre ends tied by *EQUATION), with their block."""
        sp = self.st.springs
        nodes = sp.node_labels()
        if not len(nodes):
            return {}
        defined = np.concatenate([lab for lab, _, _ in self.mb.node_blocks]) \
            if self.mb.node_blocks else np.zeros(0, np.int64)
        solid = np.concatenate([b[1].ravel() for b in self.mb.elem_blocks]) \
            if self.mb.elem_blocks else np.zeros(0, np.int64)
        missing = nodes[~np.isin(nodes, defined)]
        if len(missing):
            blk = next(b for _, c, _, b in sp.blocks if missing[0] in c)
            raise blk.error(f"spring node {missing[0]} is not defined by any *NODE")
        out = {}
        for lab in nodes[~np.isin(nodes, solid)].tolist():
            out[int(lab)] = next(b for _, c, _, b in sp.blocks if lab in c)
        return out

    # ------------------------------------------------------------------ history data
    def _history_block(self, hist: HistoryBuilder, b: Block) -> None:
        kw = b.keyword
        if kw in OUTPUT_KEYWORDS:
            return
        if kw != "STEP" and hist.cur is None and kw in HISTORY_KEYWORDS:
            raise b.error("is history data: it belongs between *STEP and *END STEP")
        handler = {"STEP": hist.begin, "STATIC": hist.static, "END STEP": hist.end,
                   "BOUNDARY": hist.boundary, "CLOAD": hist.cload, "DLOAD": hist.dload,
                   "DSLOAD": hist.dsload}.get(kw)
        if handler is not None:
            handler(b)
        elif kw in MODEL_KEYWORDS:
            raise b.error("is model data: it must come before the first *STEP")
        else:
            raise self._unsupported(b)
