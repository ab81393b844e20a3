"""The in-memory model and load case, independent of the file format they came from.

Internal units: mm, N, MPa, N*mm; rotations in radians. Files convert at their boundary.
Reference-point DOFs: 0..2 translations, 3..5 rotations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import FeaError
from .anisotropy import AnisotropicElastic, Orientation, rotate_stiffness
from .materials import LinearElastic
from .mesh import Mesh


@dataclass
class Section:
    cell_set: str
    material: str
    role: str = "other"  # bone | implant | hardware | soft_tissue | other (metrics use it)
    body: str = ""  # the body this region belongs to (e.g. C3 = cortical + cancellous)
    orientation: Orientation | None = None  # material axes (fea.anisotropy); None: global

    @property
    def body_name(self) -> str:
        return self.body or self.cell_set


@dataclass
class Support:
    """Prescribed displacement (mm) or rotation (rad) components on a set or a reference point."""

    target: str
    dofs: tuple[int, ...] = (0, 1, 2)
    values: tuple[float, ...] | None = None  # one per dof; None -> fixed (zeros)
    name: str = ""

    def value_array(self) -> np.ndarray:
        return np.zeros(len(self.dofs)) if self.values is None else np.asarray(self.values, float)


@dataclass
class RefPoint:
    name: str
    position: np.ndarray  # (3,) mm
    coupling: str  # "kinematic" | "distributing"
    surface: str  # face set (or node set for kinematic) it is coupled to


@dataclass
class Interface:
    """A bone-implant (or any) interface between two face sets; solved by the interface solver."""

    name: str
    slave: str
    master: str
    law: str  # "tied" | "frictionless" | "friction"
    mu: float = 0.0
    adjust: float = 0.0  # mm: initial gaps below this are closed
    # a penalty law instead of hard contact (CalculiX's PRESSURE-OVERCLOSURE=LINEAR): pressure
    # = penalty x overclosure (N/mm^3); with friction, shear stress = stick_slope x elastic slip
    # up to mu p (N/mm^3). None: hard contact and exact sticking (augmented Lagrangian).
    penalty: float | None = None
    stick_slope: float | None = None
    # a nonlinear pressure-overclosure law instead (fea.contact.overclosure: CalculiX's
    # EXPONENTIAL / TABULAR), penalty then None. law "tied" with a penalty: CalculiX's
    # PRESSURE-OVERCLOSURE=TIED, p = penalty x overclosure in tension and compression, shear
    # stress = stick_slope x slip without bound; without one: an exact tie (eliminated)
    overclosure: object | None = None

    def is_contact(self) -> bool:
        """Solved by the contact driver (points, laws), not eliminated as an exact tie."""
        return self.law != "tied" or self.penalty is not None


@dataclass
class LigamentLaw:
    """Force-elongation law of a whole ligament (or spring); fea.ligaments.law evaluates it.

    kind "toe_linear": tension only; a quadratic toe up to `toe_strain`, then linear with
        `stiffness` (N/mm of the whole ligament) -- C1 at the end of the toe (Blankevoort 1991).
    kind "curve": piecewise linear through (curve_x, curve_force); curve_x is strain
        (curve_unit "strain") or the ligament's elongation in mm ("mm"). Below the first point the
        force stays at its first value; beyond the last it goes on with the last slope
        (extrapolate "linear") or stays constant ("constant", CalculiX's *SPRING, NONLINEAR).
    kind "linear": a plain spring, F = stiffness * elongation in tension and compression.
    Laxity (mm, > 0: slack before force starts) or prestrain (-, > 0: tension at rest) shift the
    zero-force point; at most one of them is given.
    """

    kind: str  # "toe_linear" | "curve" | "linear"
    stiffness: float = 0.0  # N/mm, whole ligament (toe_linear, linear)
    toe_strain: float = 0.0  # -, end of the toe region (toe_linear)
    curve_x: np.ndarray | None = None  # strain (-) or elongation (mm), ascending
    curve_force: np.ndarray | None = None  # N, whole ligament
    curve_unit: str = "strain"  # "strain" | "mm"
    extrapolate: str = "linear"  # beyond the last curve point: "linear" | "constant"
    laxity: float = 0.0  # mm
    prestrain: float = 0.0  # -
    failure_force: float | None = None  # N, whole ligament: over it the case is flagged

    @property
    def tension_only(self) -> bool:
        if self.kind == "linear":
            return False
        if self.kind == "curve":
            x, f = np.asarray(self.curve_x), np.asarray(self.curve_force)
            return bool(np.all(f[x <= 0] == 0) and f[0] == 0)
        return True


@dataclass
class Ligament:
    """A bundle of fibres between two attachment sets (fea.ligaments.fibres builds them).

    `from_set` / `to_set` name face or node sets (`SET@BODY` keeps one body's side); `to_set`
    None is ground (a spring to ground, which needs `direction`). A spring to ground stretches when
    its set moves along `direction`. `direction` None: each fibre acts along its own line.
    `via` names a set the fibres pass over on their way (a wrap, e.g. the tectorial membrane over
    the back of the dens): each fibre runs A -> its via point -> B.
    """

    name: str
    from_set: str
    to_set: str | None
    law: LigamentLaw
    fibres: int = 1
    share: str = "area"  # how fibres share the force: "area" | "length" | "equal"
    direction: np.ndarray | None = None  # (3,) unit vector, fixed (springs, SPRING1/SPRING2)
    library: str = ""  # name of the library default it was built from
    element: str = ""  # deck element it came from: "SPRINGA" | "SPRING1" | "SPRING2" | ""
    # explicit ends, (end A or None for ground, end B), each (node indices, weights[, position
    # mm]): a deck's spring end tied by *EQUATION; for `fibres` > 1 one row per fibre
    # (annulus fibres, fea.annulus)
    ends: tuple | None = None
    via: str | None = None  # SET or SET@BODY the fibres pass over (None: straight)
    # "small": elongation n0 . (u_B - u_A); "current_length": |span + u_B - u_A| - L0
    # (fea.ligaments.current_length); "co_rotated": the same with the ends following their
    # bones' finite rotation (fea.ligaments.co_rotated)
    kinematics: str = "small"


@dataclass
class Model:
    name: str
    mesh: Mesh
    materials: dict[str, LinearElastic]
    sections: list[Section]
    supports: list[Support] = field(default_factory=list)
    ref_points: dict[str, RefPoint] = field(default_factory=dict)
    interfaces: list[Interface] = field(default_factory=list)
    source: str = "<memory>"
    ligaments: list[Ligament] = field(default_factory=list)
    equations: list = field(default_factory=list)  # fea.equations.Equation (*EQUATION)
    embedded: list = field(default_factory=list)  # fea.embedded.Embedded (*EMBEDDED ELEMENT)
    membranes: list = field(default_factory=list)  # fea.membranes.Membrane (*MEMBRANE SECTION)
    # fea.transforms.Transform (*TRANSFORM): supports, nodal forces and equation terms on these
    # nodes act in their local axes
    transforms: list = field(default_factory=list)
    # "<upper>-<lower>" bone bodies a construct fixes (fea.metrics.instrumented), or None
    instrumented_span: str | None = None

    @property
    def n_full(self) -> int:
        return 3 * self.mesh.n_nodes + 6 * len(self.ref_points)

    def ref_index(self, name: str) -> int:
        return list(self.ref_points).index(name)

    def ref_dof(self, name: str, comp: int) -> int:
        return 3 * self.mesh.n_nodes + 6 * self.ref_index(name) + comp

    def ref_positions(self) -> np.ndarray:
        if not self.ref_points:
            return np.zeros((0, 3))
        return np.array([r.position for r in self.ref_points.values()], float)


def material_ids(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(m,) index into the stacked D matrices (nmat,6,6); every element needs one section.
    An element with one D per quadrature point (cylindrical orientation) points at its first:
    the assembly and the stresses need element_D's third array as well."""
    return element_D(model)[:2]


def element_D(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mat (m,), Ds (k, 6, 6), step (m,)): element e's stiffness in global axes is Ds[mat[e]],
    or Ds[mat[e] + q] at its quadrature point q where step[e] is 1 (a cylindrical orientation
    turns the material axes through the element; a rectangular one adds one D per section)."""
    mesh = model.mesh
    for s in model.sections:
        if s.material not in model.materials:
            raise FeaError(
                f"section on '{s.cell_set}' uses material '{s.material}', which is not defined "
                f"(materials: {', '.join(model.materials) or 'none'})"
            )
    region = mesh.region_of_cells([s.cell_set for s in model.sections])
    if (region < 0).any():
        bad = np.flatnonzero(region < 0)
        raise FeaError(
            f"{model.source}: {len(bad)} element(s) have no material (e.g. element id "
            f"{mesh.cell_ids[bad[0]]}); assign a section to every cell set"
        )
    names = list(model.materials)
    Ds = [np.array([model.materials[n].D() for n in names])]
    sec_mat = np.array([names.index(s.material) for s in model.sections])
    mat = sec_mat[region]
    n_d = len(names)
    for i, n in enumerate(names):
        cell_E = getattr(model.materials[n], "cell_E", None)  # CT-mapped (fea.imaging.mapping)
        if cell_E is None:
            continue
        if len(cell_E) != mesh.n_cells:
            raise FeaError(f"{model.source}: material '{n}' was mapped on another mesh "
                           f"({len(cell_E)} elements, this one has {mesh.n_cells})")
        cells = np.flatnonzero(mat == i)
        # one D per distinct modulus (a few with bins, else one per element): D is linear in E
        uniq, inv = np.unique(cell_E[cells], return_inverse=True)
        mat[cells] = n_d + inv.ravel()
        Ds.append(uniq[:, None, None] * _unit(model.materials[n]).D()[None])
        n_d += len(uniq)
    step = np.zeros(mesh.n_cells, np.int64)
    for k, s in enumerate(model.sections):
        m = model.materials[s.material]
        if s.orientation is None or not isinstance(m, AnisotropicElastic):
            continue  # an isotropic D is the same in every axes
        cells = np.flatnonzero(region == k)
        if not s.orientation.varies:
            Ds.append(rotate_stiffness(m.C, s.orientation.axes()))
            mat[cells] = n_d
            n_d += 1
            continue
        for b in mesh.blocks:  # one D per quadrature point, at its position and element
            sel = cells[(cells >= b.offset) & (cells < b.offset + len(b.cells))]
            if not len(sel):
                continue
            N = b.type.shape(b.type.points)[0]  # (q, nn)
            x = np.einsum("qa,mad->mqd", N, mesh.nodes[b.cells[sel - b.offset]])
            Ds.append(rotate_stiffness(m.C, s.orientation.axes(x.reshape(-1, 3),
                                                                np.repeat(sel, len(N)))))
            mat[sel] = n_d + len(N) * np.arange(len(sel))
            step[sel] = 1
            n_d += len(sel) * len(N)
    return mat, np.concatenate(Ds), step


def hourglass_moduli(model: Model, mat: np.ndarray, Ds: np.ndarray) -> np.ndarray:
    """(m,) the modulus scaling each element's hourglass stiffness (C3D8R), as CalculiX 2.20
    takes it (its first elastic constant at the point, measured on its stored matrices): E (a
    CT-mapped element's own) for an isotropic material, else D1111 in global axes (after the
    orientation; engineering constants turned into stiffness first). mat, Ds: element_D's."""
    mesh = model.mesh
    region = mesh.region_of_cells([s.cell_set for s in model.sections])
    out = np.zeros(mesh.n_cells)
    for k, s in enumerate(model.sections):
        m = model.materials[s.material]
        cells = np.flatnonzero(region == k)
        cell_E = getattr(m, "cell_E", None)
        out[cells] = Ds[mat[cells], 0, 0] if isinstance(m, AnisotropicElastic) else \
            (m.E if cell_E is None else cell_E[cells])
    return out


def _unit(m: LinearElastic) -> LinearElastic:
    return LinearElastic(m.name, 1.0, m.nu)


# ---------------------------------------------------------------- loads
@dataclass
class NodalForce:
    target: str  # node/face/cell set: the force acts on each of its nodes
    force: np.ndarray  # (3,) N per node


@dataclass
class Traction:
    target: str  # face set
    traction: np.ndarray  # (3,) MPa


@dataclass
class Pressure:
    target: str  # face set
    pressure: float  # MPa, positive into the body


@dataclass
class SurfaceForce:
    target: str  # face set
    force: np.ndarray  # (3,) N total, spread uniformly over the area


@dataclass
class RefLoad:
    target: str  # reference point
    force: np.ndarray  # (3,) N
    moment: np.ndarray  # (3,) N*mm about the reference point


Load = NodalForce | Traction | Pressure | SurfaceForce | RefLoad


@dataclass
class Step:
    name: str
    loads: list = field(default_factory=list)
    displacements: list[Support] = field(default_factory=list)  # prescribed in this step
    increments: int = 1
    replace: bool = False  # True: loads and prescribed motions of earlier steps end here
    nlgeom: bool = False  # a deck asked for NLGEOM; solved with small-displacement geometry


@dataclass
class LoadCase:
    name: str
    steps: list[Step]
    source: str = "<memory>"
    description: str = ""

    @property
    def nlgeom_note(self) -> str | None:
        """The note every output carries when a deck asked for NLGEOM (None otherwise)."""
        steps = [s.name for s in self.steps if s.nlgeom]
        if not steps:
            return None
        return (f"NLGEOM requested in step(s) {', '.join(steps)}: geometry was treated as linear "
                "(small displacements); the nonlinear springs were solved as such")


def check_loadcase_against(model, lc) -> None:
    """Every target a load case names must exist in the model (named in the message). Here,
    not in fea.config: a deck's solve needs it without loading the TOML schemas (pydantic)."""
    import difflib

    from .errors import ConfigError

    names = set(model.mesh.set_names())
    for st in lc.steps:
        for i, ld in enumerate(st.loads):
            ok = ld.target in model.ref_points if isinstance(ld, RefLoad) else ld.target in names
            if not ok:
                kind = "reference point" if isinstance(ld, RefLoad) else "set"
                pool = list(model.ref_points) if isinstance(ld, RefLoad) else sorted(names)
                hint = difflib.get_close_matches(ld.target, pool, n=1)
                did = f" Did you mean '{hint[0]}'?" if hint else ""
                raise ConfigError(
                    f"{lc.source}: steps '{st.name}' loads[{i}]: model '{model.name}' has no "
                    f"{kind} named '{ld.target}'.{did} Available: {', '.join(pool) or 'none'}"
                )
        for i, d in enumerate(st.displacements):
            if d.target not in names and d.target not in model.ref_points:
                raise ConfigError(f"{lc.source}: steps '{st.name}' displacements[{i}]: model "
                                  f"'{model.name}' has no set or reference point '{d.target}'")
