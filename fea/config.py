"""TOML model and load-case files: schemas, validation with messages naming file and key, and
conversion to the in-memory `Model` / `LoadCase` (units converted here, once).

Keys carry their unit where a user might guess wrong: E_MPa, force_N, moment_Nm, pressure_MPa,
traction_MPa, displacement_mm, rotation_deg, position_mm.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError, FeaError
from .model import check_loadcase_against  # noqa: F401  (its home; kept importable here)

DOF_NAMES = {"ux": 0, "uy": 1, "uz": 2, "rx": 3, "ry": 4, "rz": 5}
Vec3 = tuple[float, float, float]


class Strict(BaseModel):
    # nan / inf are valid TOML floats; a nan load solved into a nan field and crashed on writing
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ---------------------------------------------------------------- model file
class MeshSpec(Strict):
    file: str | None = None  # .msh / any meshio volume mesh / .inp, relative to the model file
    builder: str | None = None  # a registered gmsh builder (fea.geometry.registry)
    params: dict = Field(default_factory=dict)  # builder parameters
    size_mm: float | None = Field(default=None, gt=0)  # target element size for builders
    element_order: Literal[1, 2] = 2  # 2 = TET10 (default); a TET4 mesh file is upgraded

    @model_validator(mode="after")
    def one_source(self):
        if (self.file is None) == (self.builder is None):
            raise ValueError("give exactly one of 'file' (a mesh file) or 'builder'")
        return self


class LatticeSpec(Strict):
    """Porous printed lattice homogenised by Gibson-Ashby from the solid material above it."""

    porosity: float = Field(gt=0.0, lt=1.0)
    C1: float = Field(default=1.0, gt=0)
    n: float = Field(default=2.0, gt=0)
    C2: float = Field(default=0.3, gt=0)


class DensityLawSpec(Strict):
    """E = a * density^b (MPa, density in g/cm^3): a published law chosen per bone."""

    law: Literal["power"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)


class CtMaterialSpec(Strict):
    """Bone moduli per element from the CT (fea.imaging.mapping)."""

    hu_to_density: tuple[float, float]  # slope (g/cm^3 per HU), intercept (g/cm^3)
    density_to_E: DensityLawSpec
    E_min_MPa: float = Field(gt=0)
    # compressive yield = a * density^b (MPa): subsidence then uses the local strength
    density_to_yield: DensityLawSpec | None = None
    bins: int | None = Field(default=None, ge=2, le=1000)  # Bonemat-style grouping
    image: str | None = None  # default: mesh.params.image
    show_scanner: bool = False  # name the DICOM scanner (manufacturer, model) in the outputs

    @field_validator("hu_to_density")
    @classmethod
    def rising(cls, v):
        if v[0] <= 0:
            raise ValueError("the slope (first value, g/cm^3 per HU) must be > 0")
        return v


class OrthotropicSpec(Strict):
    """Engineering constants of the material axes 1, 2, 3 (nu_ij: contraction along j under
    stress along i; nu_ji = nu_ij E_j / E_i), as CalculiX's TYPE=ENGINEERING CONSTANTS."""

    E1_MPa: float = Field(gt=0)
    E2_MPa: float = Field(gt=0)
    E3_MPa: float = Field(gt=0)
    nu12: float
    nu13: float
    nu23: float
    G12_MPa: float = Field(gt=0)
    G13_MPa: float = Field(gt=0)
    G23_MPa: float = Field(gt=0)


class OrientationSpec(Strict):
    """Material axes, as CalculiX's *ORIENTATION. rectangular: axis 1 along a (from the
    origin), axis 2 in the plane of a and b; cylindrical: a and b two points on the cylinder
    axis, axis 3 from a to b, axis 1 radial, axis 2 tangential."""

    system: Literal["rectangular", "cylindrical"]
    a: Vec3
    b: Vec3


class MaterialSpec(Strict):
    E_MPa: float | None = Field(default=None, gt=0)
    nu: float | None = Field(default=None, gt=-1.0, lt=0.5)
    library: str | None = None  # a named default from fea.materials.LIBRARY
    yield_MPa: float | None = Field(default=None, gt=0)
    lattice: LatticeSpec | None = None  # E/nu/library above then describe the solid
    ct: CtMaterialSpec | None = None  # moduli from the CT per element; nu (or library) needed
    orthotropic: OrthotropicSpec | None = None  # instead of E_MPa / nu (fea.anisotropy)
    orientation: OrientationSpec | None = None  # material axes of every section using it

    @model_validator(mode="after")
    def complete(self):
        if self.orthotropic is not None:
            given = [k for k in ("E_MPa", "nu", "lattice", "ct", "library")
                     if getattr(self, k) is not None]
            if given:
                raise ValueError(f"an orthotropic material takes its constants from "
                                 f"'orthotropic': drop {', '.join(given)}")
            return self
        if self.orientation is not None and (self.library is None or not _oriented_library(
                self.library)):
            raise ValueError("'orientation' turns the axes of an orthotropic material: give "
                             "'orthotropic = {...}' (an isotropic material has no axes)")
        if self.ct is not None:
            if self.E_MPa is not None or self.lattice is not None:
                raise ValueError("a CT-mapped material takes its moduli from the image: drop "
                                 "E_MPa / lattice")
            if self.nu is None and self.library is None:
                raise ValueError("a CT-mapped material needs nu (or library = '<name>')")
            return self
        if self.library is None and (self.E_MPa is None or self.nu is None):
            raise ValueError("give E_MPa and nu, or library = '<name>'")
        return self


def _oriented_library(key: str) -> bool:
    from .materials import ORTHOTROPIC_LIBRARY

    return key in ORTHOTROPIC_LIBRARY


class SectionSpec(Strict):
    cell_set: str
    material: str
    role: Literal["bone", "implant", "hardware", "soft_tissue", "other"] = "other"
    body: str = ""  # regions of one body share a name (e.g. C3_cortical + C3_cancellous -> C3)


class SupportSpec(Strict):
    name: str = ""
    set: str | None = None
    ref_point: str | None = None
    dofs: list[Literal["ux", "uy", "uz", "rx", "ry", "rz"]] | None = None
    displacement_mm: float | list[float] = 0.0  # for ux, uy, uz
    rotation_deg: float | list[float] = 0.0  # for rx, ry, rz

    @model_validator(mode="after")
    def one_target(self):
        if (self.set is None) == (self.ref_point is None):
            raise ValueError("give exactly one of 'set' or 'ref_point'")
        if self.set is not None and self.dofs and any(d[0] == "r" for d in self.dofs):
            raise ValueError("mesh nodes have no rotations: use rx/ry/rz on a ref_point")
        return self


class RefPointSpec(Strict):
    position_mm: Vec3
    coupling: Literal["kinematic", "distributing"] = "distributing"
    surface: str


class EmbeddedSpec(Strict):
    """A part meshed inside host regions, its nodes tied to the host elements (fea.embedded)."""

    name: str = ""
    cell_set: str
    hosts: list[str] = Field(min_length=1)


class MembraneSpec(Strict):
    """[[membranes]]: plane-stress membrane elements on a face set of the solid (fea.membranes),
    e.g. a bone's 0.5 mm cortex on the faces of its one solid."""

    face_set: str
    material: str
    thickness_mm: float  # > 0, checked with the names (the message names the entry)
    body: str = ""  # the body it belongs to, as sections' body


class PressureOverclosureSpec(Strict):
    """An interface's penalty law (CalculiX's *SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=...)
    instead of hard contact: linear (slope; with law "tied" CalculiX's TIED law, in tension
    too), exponential (c0, p0) or tabular (pressure against overclosure); fea.contact.overclosure."""

    type: Literal["linear", "exponential", "tabular"]
    slope_N_per_mm3: float | None = Field(default=None, gt=0)  # linear: pressure per overclosure
    c0_mm: float | None = Field(default=None, gt=0)  # exponential: p = p0 / 100 at clearance c0
    p0_MPa: float | None = Field(default=None, gt=0)  # exponential: pressure at zero overclosure
    pressure_MPa: list[float] | None = None  # tabular, one per overclosure
    overclosure_mm: list[float] | None = None

    @model_validator(mode="after")
    def fields_of_the_type(self):
        need = {"linear": ("slope_N_per_mm3",), "exponential": ("c0_mm", "p0_MPa"),
                "tabular": ("pressure_MPa", "overclosure_mm")}[self.type]
        given = {k for k in ("slope_N_per_mm3", "c0_mm", "p0_MPa", "pressure_MPa",
                             "overclosure_mm") if getattr(self, k) is not None}
        if missing := [k for k in need if k not in given]:
            raise ValueError(f"type '{self.type}' needs {', '.join(missing)}")
        if extra := sorted(given - set(need)):
            raise ValueError(f"type '{self.type}' takes {', '.join(need)}, not "
                             f"{', '.join(extra)}")
        if self.type != "linear":
            self.law()  # the law's own checks (table order, ...), as a named error
        return self

    def law(self):
        """The nonlinear law (fea.contact.overclosure), None for linear (Interface.penalty)."""
        from .contact.overclosure import Exponential, Tabular

        if self.type == "exponential":
            return Exponential(self.c0_mm, self.p0_MPa)
        if self.type == "tabular":
            return Tabular(tuple(self.pressure_MPa), tuple(self.overclosure_mm))
        return None


class InterfaceSpec(Strict):
    name: str = ""
    slave: str
    master: str
    law: Literal["tied", "frictionless", "friction"] = "friction"
    mu: float | None = Field(default=None, ge=0.0, le=2.0)
    adjust_mm: float = Field(default=0.0, ge=0.0)  # close initial gaps below this tolerance
    pressure_overclosure: PressureOverclosureSpec | None = None  # a penalty law, else hard
    stick_slope_N_per_mm3: float | None = Field(default=None, gt=0)  # its shear per elastic slip

    @model_validator(mode="after")
    def mu_for_friction(self):
        if self.law == "friction" and self.mu is None:
            raise ValueError("law 'friction' needs mu (0 <= mu <= 2)")
        po = self.pressure_overclosure
        if self.law == "tied" and po is not None and po.type != "linear":
            raise ValueError(f"law 'tied' with pressure_overclosure type '{po.type}': a tied "
                             "penalty law is linear (CalculiX's PRESSURE-OVERCLOSURE=TIED)")
        sticks = self.law == "tied" or (self.law == "friction" and (self.mu or 0) > 0)
        if po is not None and sticks and self.stick_slope_N_per_mm3 is None:
            raise ValueError(f"law '{self.law}' with a pressure_overclosure law needs "
                             "stick_slope_N_per_mm3 (shear stress per elastic slip)")
        if self.stick_slope_N_per_mm3 is not None and (po is None or not sticks):
            raise ValueError("stick_slope_N_per_mm3 belongs to a pressure_overclosure law with "
                             "law 'friction' (mu > 0) or 'tied'")
        return self


class CurveSpec(Strict):
    """A tabulated force-elongation curve of the whole ligament (piecewise linear)."""

    strain: list[float] | None = None  # -, ascending from 0
    elongation_mm: list[float] | None = None  # or mm of the ligament's elongation
    force_N: list[float]

    @model_validator(mode="after")
    def one_abscissa(self):
        xs = [x for x in (self.strain, self.elongation_mm) if x is not None]
        if len(xs) != 1:
            raise ValueError("give exactly one of 'strain' or 'elongation_mm' beside 'force_N'")
        if len(xs[0]) != len(self.force_N) or len(xs[0]) < 2:
            raise ValueError("the curve needs equally long lists of at least 2 points")
        if xs[0][0] != 0 or self.force_N[0] != 0:
            raise ValueError("the curve starts at (0, 0): use laxity_mm or prestrain to shift it")
        if any(b <= a for a, b in zip(xs[0], xs[0][1:])):
            raise ValueError("the curve's strain / elongation must rise strictly")
        if any(b < a for a, b in zip(self.force_N, self.force_N[1:])):
            raise ValueError("the curve's force must not fall (a ligament does not soften to "
                             "zero stiffness under load here)")
        return self


class LigamentSpec(Strict):
    """[[ligaments]]: fibres between two sets (or a set and ground) with a force law."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              populate_by_name=True)
    name: str
    library: str | None = None  # defaults from fea/ligaments/library.toml
    from_: str | None = Field(default=None, alias="from")  # SET or SET@BODY
    to: str | None = None  # SET, SET@BODY or "ground"
    fibres: int | None = Field(default=None, ge=1, le=10000)
    law: Literal["toe_linear", "curve", "linear"] | None = None
    stiffness_N_per_mm: float | None = Field(default=None, gt=0)
    toe_strain: float | None = Field(default=None, ge=0, lt=1)
    curve: CurveSpec | None = None
    laxity_mm: float | None = Field(default=None, ge=0)
    prestrain: float | None = Field(default=None, gt=-1, lt=1)
    failure_force_N: float | None = Field(default=None, gt=0)
    # multiplies the law's force (curve forces, stiffness), e.g. a calibrated library curve
    force_scale: float | None = Field(default=None, gt=0)
    share: Literal["area", "length", "equal"] | None = None
    direction: Vec3 | None = None  # fixed line of action (springs); default: along each fibre
    via: str | None = None  # SET or SET@BODY each fibre passes over between 'from' and 'to'
    # "current_length": the fibre stretches as its current length (ends moving across it too);
    # "co_rotated": the same with its ends turned by their bone's finite rotation
    kinematics: Literal["small", "current_length", "co_rotated"] | None = None

    @model_validator(mode="after")
    def one_law(self):
        if self.laxity_mm and self.prestrain:
            raise ValueError("give laxity_mm or prestrain, not both")
        if self.curve is not None and (self.stiffness_N_per_mm is not None
                                       or self.toe_strain is not None):
            raise ValueError("give a curve or stiffness_N_per_mm (+ toe_strain), not both")
        if self.law == "curve" and self.curve is None:
            raise ValueError("law 'curve' needs curve = {strain = [...], force_N = [...]}")
        if self.law in ("toe_linear", "linear") and self.stiffness_N_per_mm is None:
            raise ValueError(f"law '{self.law}' needs stiffness_N_per_mm")
        if self.law == "linear" and self.toe_strain:
            raise ValueError("a linear spring has no toe_strain")
        return self


class AnnulusFibresSpec(Strict):
    """[[annulus_fibres]]: two crossing families of tension-only collagen fibres between a
    disc's endplate faces (fea.annulus)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              populate_by_name=True)
    name: str
    cell_set: str  # the annulus's elements, the fibres embedded in them
    from_: str = Field(alias="from")  # the annulus's face set on one endplate
    to: str  # ... on the other
    angle_deg: float = Field(gt=0, lt=90)  # to the transverse plane, + and - families
    fibre_modulus_MPa: float = Field(gt=0)
    volume_fraction: float = Field(gt=0, lt=1)
    rings: int = Field(default=2, ge=1, le=20)
    fibres_per_ring: int = Field(default=24, ge=3, le=1000)
    segments: int = Field(default=4, ge=1, le=100)  # straight pieces along each fibre's helix


class ModelHeader(Strict):
    name: str
    description: str = ""
    # the levels a construct fixes, "<upper bone>-<lower bone>" (e.g. "C1-C3"): its stability is
    # judged by the rotation over them against the intact model's (fea.metrics.instrumented)
    instrumented_span: str | None = None


class ModelFile(Strict):
    model: ModelHeader
    mesh: MeshSpec
    materials: dict[str, MaterialSpec]
    sections: list[SectionSpec] = Field(min_length=1)
    supports: list[SupportSpec] = Field(default_factory=list)
    ref_points: dict[str, RefPointSpec] = Field(default_factory=dict)
    interfaces: list[InterfaceSpec] = Field(default_factory=list)
    ligaments: list[LigamentSpec] = Field(default_factory=list)
    embedded: list[EmbeddedSpec] = Field(default_factory=list)
    membranes: list[MembraneSpec] = Field(default_factory=list)
    annulus_fibres: list[AnnulusFibresSpec] = Field(default_factory=list)
    variants: dict[str, dict] = Field(default_factory=dict)  # expanded by fea.variants


# ---------------------------------------------------------------- load-case file
class LoadSpec(Strict):
    ref_point: str | None = None
    surface: str | None = None
    node_set: str | None = None
    force_N: Vec3 | None = None  # on a ref point, or per node of a node set
    moment_Nm: Vec3 | None = None  # on a ref point, about the ref point
    pressure_MPa: float | None = None  # on a surface, positive pushes into the body
    traction_MPa: Vec3 | None = None  # on a surface
    total_force_N: Vec3 | None = None  # on a surface, spread uniformly

    @model_validator(mode="after")
    def consistent(self):
        targets = [k for k in ("ref_point", "surface", "node_set") if getattr(self, k) is not None]
        if len(targets) != 1:
            raise ValueError("give exactly one of 'ref_point', 'surface' or 'node_set'")
        allowed = {
            "ref_point": {"force_N", "moment_Nm"},
            "surface": {"pressure_MPa", "traction_MPa", "total_force_N"},
            "node_set": {"force_N"},
        }[targets[0]]
        given = {k for k in ("force_N", "moment_Nm", "pressure_MPa", "traction_MPa",
                             "total_force_N") if getattr(self, k) is not None}
        if not given:
            raise ValueError(f"a load on a {targets[0]} needs one of {sorted(allowed)}")
        wrong = given - allowed
        if wrong:
            raise ValueError(f"{sorted(wrong)} cannot act on a {targets[0]}; use {sorted(allowed)}")
        if targets[0] == "surface" and len(given) > 1:
            raise ValueError("one load quantity per surface load entry")
        return self


class StepSpec(Strict):
    name: str
    increments: int = Field(default=1, ge=1, le=1000)
    replace: bool = False
    loads: list[LoadSpec] = Field(default_factory=list)
    displacements: list[SupportSpec] = Field(default_factory=list)


class LoadCaseHeader(Strict):
    name: str
    description: str = ""


class LoadCaseFile(Strict):
    loadcase: LoadCaseHeader
    steps: list[StepSpec] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def unique_names(cls, v):
        names = [s.name for s in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"step names must be unique, repeated: {sorted(dup)}")
        return v


# ---------------------------------------------------------------- reading and messages
def read_toml(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"file '{path}' does not exist")
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text (UTF-8) TOML file") from None


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _allowed_keys(schema: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the (nested) schema at a location, for did-you-mean hints."""
    cur = schema
    for part in loc[:-1]:
        if isinstance(part, int) or cur is None:
            continue
        f = cur.model_fields.get(part) if hasattr(cur, "model_fields") else None
        if f is None:
            continue  # a user's dict key (e.g. a material name), not a field
        ann = f.annotation
        for sub in getattr(ann, "__args__", ()) or (ann,):
            for leaf in getattr(sub, "__args__", ()) or (sub,):
                if isinstance(leaf, type) and issubclass(leaf, BaseModel):
                    cur = leaf
                    break
    if not hasattr(cur, "model_fields"):
        return []
    return [f.alias or n for n, f in cur.model_fields.items()]  # 'from', not 'from_' 


def suggest(key: str, pool) -> str | None:
    """The name in `pool` the user probably meant: a close spelling, or the same name with its
    unit suffix (lx -> lx_mm, E -> E_MPa, moment -> moment_Nm)."""
    pool = [str(p) for p in pool]
    hint = difflib.get_close_matches(key, pool, n=1)
    if hint:
        return hint[0]
    with_unit = [p for p in pool if p.lower().startswith(key.lower() + "_")]
    return with_unit[0] if len(with_unit) == 1 else None


NUMBER_ERRORS = ("float_parsing", "int_parsing", "float_type", "int_type")


def format_validation(path: Path, exc: ValidationError, schema: type[BaseModel]) -> str:
    lines = [f"{path}: invalid {schema.__name__.replace('File', '').lower()} file:"]
    for err in exc.errors():
        loc = _loc(err["loc"])
        last = err["loc"][-1] if err["loc"] else None
        if err["type"] == "extra_forbidden":
            key = str(last)
            hint = suggest(key, _allowed_keys(schema, err["loc"]))
            did = f"; did you mean '{hint}'?" if hint else ""
            lines.append(f"  {loc}: unknown key '{key}'{did}")
        elif err["type"] == "missing" and isinstance(last, int):  # a too short [x, y, z]
            lines.append(f"  {_loc(err['loc'][:-1])}: too few values (item [{last}] is missing); "
                         "give every component, e.g. [x, y, z]")
        elif err["type"] == "missing":
            lines.append(f"  {loc}: required key is missing")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            inp = err.get("input")
            if err["type"] in NUMBER_ERRORS and isinstance(inp, str) and isinstance(last, str):
                msg += f"; write a plain number: the unit is in the key name ('{last}')"
            got = "" if isinstance(inp, dict) or len(repr(inp)) > 80 else f" (got {inp!r})"
            lines.append(f"  {loc or '(top level)'}: {msg}{got}")
    return "\n".join(lines)


def validate(path: Path, data: dict, schema: type[BaseModel]):
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation(path, exc, schema)) from None


def parse_dofs(names, default) -> tuple[int, ...]:
    return tuple(DOF_NAMES[d] for d in (names or default))


def support_from_spec(s: SupportSpec, default_dofs=("ux", "uy", "uz")):
    from .model import Support

    dofs = parse_dofs(s.dofs, default_dofs)

    def per_dof(v, n):
        return [float(v)] * n if np.isscalar(v) else [float(x) for x in v]

    trans = [d for d in dofs if d < 3]
    rot = [d for d in dofs if d >= 3]
    tv = per_dof(s.displacement_mm, len(trans))
    rv = [np.deg2rad(x) for x in per_dof(s.rotation_deg, len(rot))]
    if len(tv) != len(trans) or len(rv) != len(rot):
        raise ConfigError(
            f"support '{s.name or s.set or s.ref_point}': give one value per dof "
            f"({len(trans)} translations, {len(rot)} rotations)"
        )
    values = tuple(tv + rv)
    return Support(s.set or s.ref_point, tuple(trans + rot), values, s.name or s.set or s.ref_point)


def load_model(path: str | Path, mesh_cache=None):
    """Read and validate a model file (TOML, or an Abaqus .inp deck) into a Model."""
    path = Path(path)
    if path.suffix.lower() == ".inp":
        from .abaqus import read_deck

        return read_deck(path).model
    spec = validate(path, read_toml(path), ModelFile)
    return model_from_spec(spec, path, mesh_cache)


def model_from_spec(spec: ModelFile, path: Path, mesh_cache=None):
    from .anisotropy import AnisotropicElastic, Orientation
    from .materials import LinearElastic, gibson_ashby, library_material
    from .model import Model, RefPoint, Section

    mesh = build_mesh(spec.mesh, path, mesh_cache)
    materials = {}
    for name, m in spec.materials.items():
        if m.orthotropic is not None:
            o = m.orthotropic
            try:
                materials[name] = AnisotropicElastic(
                    name, "engineering", (o.E1_MPa, o.E2_MPa, o.E3_MPa, o.nu12, o.nu13, o.nu23,
                                          o.G12_MPa, o.G13_MPa, o.G23_MPa), m.yield_MPa)
            except ConfigError as exc:
                raise ConfigError(f"{path}: materials.{name}.orthotropic: {exc}") from None
            continue
        if m.library and isinstance(library_material(m.library, name), AnisotropicElastic):
            base = library_material(m.library, name)
            if m.E_MPa is not None or m.nu is not None or m.lattice or m.ct:
                raise ConfigError(f"{path}: materials.{name}: library '{m.library}' is "
                                  "orthotropic: E_MPa, nu, lattice and ct do not apply to it")
            materials[name] = AnisotropicElastic(name, base.kind, base.constants,
                                                 m.yield_MPa or base.yield_MPa, m.library)
            continue
        if m.library:
            base = library_material(m.library, name)
            materials[name] = LinearElastic(
                name, m.E_MPa or base.E, base.nu if m.nu is None else m.nu,
                m.yield_MPa or base.yield_MPa, m.library,
            )
        elif m.ct is not None:  # a placeholder until the mesh's cells are mapped below
            materials[name] = LinearElastic(name, m.ct.E_min_MPa, m.nu, m.yield_MPa)
        else:
            materials[name] = LinearElastic(name, m.E_MPa, m.nu, m.yield_MPa)
        if m.lattice is not None:
            L = m.lattice
            materials[name] = gibson_ashby(name, materials[name], L.porosity, L.C1, L.n, L.C2)
    orient = {}
    for name, m in spec.materials.items():
        if m.orientation is not None:  # named after its material (export writes that name)
            o = m.orientation
            orient[name] = Orientation(name, o.system, o.a, o.b)
    sections = [Section(s.cell_set, s.material, s.role, s.body, orient.get(s.material))
                for s in spec.sections]
    for i, s in enumerate(spec.sections):
        if s.material not in materials:
            raise ConfigError(f"{path}: sections[{i}].material: '{s.material}' is not defined "
                              f"under [materials] ({', '.join(materials)})")
        if s.cell_set not in mesh.cell_sets:
            raise ConfigError(f"{path}: sections[{i}].cell_set: {mesh._unknown(s.cell_set, 'cell set')}")
    if any(m.ct is not None for m in spec.materials.values()):
        from .imaging.mapping import map_ct_materials

        materials = map_ct_materials(spec, path, mesh, materials, sections)
    refs = {n: RefPoint(n, np.array(r.position_mm, float), r.coupling, r.surface)
            for n, r in spec.ref_points.items()}
    for n, r in refs.items():
        if r.surface not in mesh.set_names():
            raise ConfigError(f"{path}: ref_points.{n}.surface: "
                              f"{mesh._unknown(r.surface, 'face set')}")
    supports = []
    for i, s in enumerate(spec.supports):
        _check_target(path, f"supports[{i}]", s, mesh, refs)
        supports.append(support_from_spec(s, ("ux", "uy", "uz") if s.set else
                                          ("ux", "uy", "uz", "rx", "ry", "rz")))
    from .model import Interface

    interfaces = []
    for i, it in enumerate(spec.interfaces):
        for side in ("slave", "master"):
            base, _, sel = getattr(it, side).partition("@")  # SURFACE@BODY picks one side
            if base not in mesh.face_sets:
                raise ConfigError(f"{path}: interfaces[{i}].{side}: "
                                  f"{mesh._unknown(base, 'face set')}")
            bodies = {s.body_name for s in sections}
            if sel and sel not in mesh.cell_sets and sel not in bodies:
                hint = difflib.get_close_matches(sel, sorted(bodies | set(mesh.cell_sets)), n=1)
                did = f" Did you mean '{hint[0]}'?" if hint else ""
                raise ConfigError(f"{path}: interfaces[{i}].{side}: '@{sel}' is neither a body "
                                  f"nor a cell set.{did}")
        po = it.pressure_overclosure
        interfaces.append(Interface(
            it.name or f"{it.slave}|{it.master}", it.slave, it.master, it.law, it.mu or 0.0,
            it.adjust_mm, po.slope_N_per_mm3 if po is not None else None,
            it.stick_slope_N_per_mm3, po.law() if po is not None else None))
    ligaments = ligaments_from_spec(spec.ligaments, path, mesh, sections)
    ligaments += annulus_from_spec(spec.annulus_fibres, path, mesh,
                                   {lg.name for lg in ligaments})
    from .embedded import Embedded, check_names

    embedded = [Embedded(e.name or e.cell_set, e.cell_set, tuple(e.hosts)) for e in spec.embedded]
    for i, e in enumerate(embedded):
        check_names(mesh, e, f"{path}: embedded[{i}]")
    from .membranes import Membrane, check_names as check_membrane

    membranes = [Membrane(m.face_set, m.material, m.thickness_mm, m.body) for m in spec.membranes]
    for i, m in enumerate(membranes):
        check_membrane(mesh, materials, m, f"{path}: membranes[{i}] '{m.face_set}'")
    model = Model(spec.model.name, mesh, materials, sections, supports, refs, interfaces,
                  str(path), ligaments, embedded=embedded, membranes=membranes,
                  instrumented_span=spec.model.instrumented_span)
    if model.instrumented_span is not None:
        from .metrics.instrumented import bone_centroid_z, check_span

        try:
            check_span(model.instrumented_span, bone_centroid_z(model),
                       "model.instrumented_span")
        except FeaError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return model


def ligaments_from_spec(specs: list[LigamentSpec], path: Path, mesh, sections) -> list:
    """[[ligaments]] entries (library defaults filled in) as Model.ligaments."""
    from .ligaments.law import check_law
    from .ligaments.library import merged
    from .model import Ligament, LigamentLaw

    out, seen = [], set()
    bodies = {s.body_name for s in sections}
    for i, lg in enumerate(specs):
        where = f"{path}: ligaments[{i}] '{lg.name}'"
        if lg.name in seen:
            raise ConfigError(f"{where}: the name is used twice; give each ligament its own")
        seen.add(lg.name)
        if lg.library is not None:
            # a None is a key not given (a study passes specs as dumped, every key present)
            user = {k: v for k, v in lg.model_dump(exclude_unset=True, by_alias=True).items()
                    if v is not None}
            data = merged(user, lg.library, where)
            try:
                lg = LigamentSpec.model_validate(data)
            except ValidationError as exc:
                raise ConfigError(format_validation(path, exc, LigamentSpec).replace(
                    "invalid ligament file:", f"ligaments[{i}] with library '{lg.library}':"))
        if lg.from_ is None or lg.to is None:
            raise ConfigError(f"{where}: give 'from' and 'to' (sets as SET or SET@BODY; 'to' may "
                              "be \"ground\"), or a library entry that names them")
        ground = lg.to == "ground"
        if lg.via is not None and (ground or lg.direction is not None):
            raise ConfigError(f"{where}: via '{lg.via}' needs a fibre between two sets along its "
                              "own path: not a spring to ground, and no direction")
        for key, name in (("from", lg.from_), ("to", None if ground else lg.to),
                          ("via", lg.via)):
            if name is None:
                continue
            base, _, sel = name.partition("@")
            if base not in mesh.face_sets and base not in mesh.node_sets:
                pool = sorted(set(mesh.face_sets) | set(mesh.node_sets))
                hint = suggest(base, pool)
                did = f" Did you mean '{hint}'?" if hint else ""
                raise ConfigError(f"{where}: {key}: no face or node set named '{base}'.{did}")
            if sel and sel not in mesh.cell_sets and sel not in bodies:
                hint = suggest(sel, sorted(bodies | set(mesh.cell_sets)))
                did = f" Did you mean '{hint}'?" if hint else ""
                raise ConfigError(f"{where}: {key}: '@{sel}' is neither a body nor a cell "
                                  f"set.{did}")
        if ground and lg.direction is None:
            raise ConfigError(f"{where}: a spring to ground needs direction = [x, y, z]")
        law_kind = lg.law or ("curve" if lg.curve is not None else
                              "toe_linear" if lg.stiffness_N_per_mm is not None else None)
        if law_kind is None:
            raise ConfigError(f"{where}: give stiffness_N_per_mm (and toe_strain), a curve = "
                              "{strain = [...], force_N = [...]}, or library = '<name>'")
        c = lg.curve
        scale = lg.force_scale or 1.0
        law = LigamentLaw(
            law_kind, stiffness=(lg.stiffness_N_per_mm or 0.0) * scale,
            toe_strain=lg.toe_strain or 0.0,
            curve_x=None if c is None else np.array(c.strain if c.strain is not None
                                                    else c.elongation_mm, float),
            curve_force=None if c is None else np.array(c.force_N, float) * scale,
            curve_unit="strain" if c is None or c.strain is not None else "mm",
            laxity=lg.laxity_mm or 0.0, prestrain=lg.prestrain or 0.0,
            failure_force=lg.failure_force_N)
        check_law(law, where)
        out.append(Ligament(lg.name, lg.from_, None if ground else lg.to, law, lg.fibres or 1,
                            lg.share or "area",
                            None if lg.direction is None else np.array(lg.direction, float),
                            lg.library or "", via=lg.via, kinematics=lg.kinematics or "small"))
    return out


def annulus_from_spec(specs: list[AnnulusFibresSpec], path: Path, mesh, taken: set) -> list:
    """[[annulus_fibres]] entries as Model.ligaments (two crossing families each)."""
    from .annulus import AnnulusFibres, annulus_ligaments

    entries = [AnnulusFibres(a.name, a.cell_set, a.from_, a.to, a.angle_deg,
                             a.fibre_modulus_MPa, a.volume_fraction, a.rings, a.fibres_per_ring,
                             a.segments) for a in specs]
    out = annulus_ligaments(mesh, entries, str(path))
    seen = set(taken)
    for lg in out:
        if lg.name in seen:
            raise ConfigError(f"{path}: annulus_fibres '{lg.name.rsplit('_', 1)[0]}' makes "
                              f"ligament '{lg.name}', a name already used; rename the entry")
        seen.add(lg.name)
    return out


def _check_target(path, where, s: SupportSpec, mesh, refs):
    if s.set is not None and s.set not in mesh.set_names():
        raise ConfigError(f"{path}: {where}.set: {mesh._unknown(s.set, 'set')}")
    if s.ref_point is not None and s.ref_point not in refs:
        hint = difflib.get_close_matches(s.ref_point, list(refs), n=1)
        did = f" Did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(f"{path}: {where}.ref_point: no reference point '{s.ref_point}'.{did}")


def build_mesh(spec: MeshSpec, path: Path, mesh_cache=None):
    from .mesh_io import read_mesh

    if spec.file is not None:
        mpath = (path.parent / spec.file).resolve()
        if not mpath.exists():
            raise ConfigError(f"{path}: mesh.file: '{spec.file}' not found (looked at {mpath})")
        if mpath.suffix.lower() == ".inp":
            from .abaqus import read_deck_mesh

            mesh = read_deck_mesh(mpath)  # a mesher's export: no materials or sections needed
        else:
            mesh = read_mesh(mpath)
    else:
        from .geometry.registry import BUILDERS, build

        import inspect

        params = dict(spec.params)
        fn = BUILDERS.get(spec.builder)
        if fn is not None and "model_dir" in inspect.signature(fn).parameters:
            params.setdefault("model_dir", str(path.parent.resolve()))  # files beside the model
        mesh = build(spec.builder, params, spec.size_mm, spec.element_order,
                     where=f"{path}: mesh", cache=mesh_cache)
    if spec.element_order == 2 and mesh.nodes_per_cell == 4:
        mesh = mesh.to_tet10()
    elif spec.element_order == 1 and mesh.nodes_per_cell == 10:
        raise ConfigError(f"{path}: mesh.element_order = 1 but '{spec.file}' holds TET10 cells")
    return mesh


def load_loadcase(path: str | Path):
    from .model import LoadCase, NodalForce, Pressure, RefLoad, Step, SurfaceForce, Traction

    path = Path(path)
    spec = validate(path, read_toml(path), LoadCaseFile)
    steps = []
    for st in spec.steps:
        loads = []
        for ld in st.loads:
            if ld.ref_point is not None:
                loads.append(RefLoad(ld.ref_point, np.array(ld.force_N or (0, 0, 0), float),
                                     1000.0 * np.array(ld.moment_Nm or (0, 0, 0), float)))
            elif ld.node_set is not None:
                loads.append(NodalForce(ld.node_set, np.array(ld.force_N, float)))
            elif ld.pressure_MPa is not None:
                loads.append(Pressure(ld.surface, float(ld.pressure_MPa)))
            elif ld.traction_MPa is not None:
                loads.append(Traction(ld.surface, np.array(ld.traction_MPa, float)))
            else:
                loads.append(SurfaceForce(ld.surface, np.array(ld.total_force_N, float)))
        disps = [support_from_spec(d, ("ux", "uy", "uz") if d.set else
                                   ("ux", "uy", "uz", "rx", "ry", "rz")) for d in st.displacements]
        steps.append(Step(st.name, loads, disps, st.increments, st.replace))
    return LoadCase(spec.loadcase.name, steps, str(path), spec.loadcase.description)
