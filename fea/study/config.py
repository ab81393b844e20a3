"""The study file (TOML): which models and variants, which parameter grids, load cases, interface
states, ROM reference, thresholds, solver settings, mesh size and output folder.

Paths in a study file are relative to the study file. Validation reuses fea.config's messages
(file, key, did-you-mean); cross-checks that need the model files (variant names, grid paths)
happen in fea.study.plan, with the same kind of message.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..config import Strict, read_toml, validate
from ..errors import ConfigError

STATES = ("immediate", "fused")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _check_folder_name(cls, v):
    """A study or model name names a folder."""
    if v is not None and not NAME_RE.match(v):
        raise ValueError("letters, digits, '_', '-', '.' only (it names a folder)")
    return v


class StudyHeader(Strict):
    name: str | None = None  # default: the study file's stem; the results folder's name
    description: str = ""
    loadcases: list[str] = Field(default_factory=list)  # files or globs, relative to this file
    states: list[Literal["immediate", "fused"]] = ["immediate"]  # default for every model
    # which interfaces "fused" ties: the ones touching an implant (osseointegration) or all
    fused_ties: Literal["implant", "all"] = "implant"
    output_dir: str | None = None  # relative to this file; default results/<name> in the cwd
    mesh_cache: str | None = None  # default: <output parent>/.mesh-cache
    figures: bool = True  # per-case figures (worst case per variant beyond 12 cases) and charts

    _folder_name = field_validator("name")(_check_folder_name)


class MeshOverride(Strict):
    size_mm: float | None = Field(default=None, gt=0)
    element_order: Literal[1, 2] | None = None


class ContactOverride(Strict):
    """fea.contact.term.ContactSettings fields a study may set (the Newton driver's and contact's)."""

    penalty_factor: float | None = Field(default=None, gt=0)
    tol_force: float | None = Field(default=None, gt=0)
    tol_gap_mm: float | None = Field(default=None, gt=0)
    max_newton: int | None = Field(default=None, ge=1)
    max_al: int | None = Field(default=None, ge=1)
    max_cutbacks: int | None = Field(default=None, ge=0)


class SolverOverride(Strict):
    backend: Literal["auto", "pardiso", "amg", "direct"] = "auto"
    rtol: float = Field(default=1e-8, gt=0, lt=1)
    precision: Literal["mixed", "double"] = "mixed"  # PARDISO factor: single + CG, or double
    contact: ContactOverride = ContactOverride()


class ReferenceSpec(Strict):
    """ROM reduction against a model of this study (its base variant, immediate state) or
    published intact ROM per load case with its source."""

    model: str | None = None
    published_deg: dict[str, float] | None = None
    source: str | None = None

    @model_validator(mode="after")
    def one_kind(self):
        if (self.model is None) == (self.published_deg is None):
            raise ValueError("give exactly one of 'model' (a [[models]] name) or "
                             "'published_deg' (with 'source')")
        if self.published_deg is not None:
            if not self.source:
                raise ValueError("published_deg needs 'source' (the paper the numbers are from)")
            bad = [k for k, v in self.published_deg.items() if not v > 0]
            if bad:
                raise ValueError(f"published_deg.{bad[0]}: an intact ROM must be > 0 deg")
        return self


class ConvergenceSpec(Strict):
    size_factor: float = Field(default=0.7, gt=0.0, lt=1.0)  # finer mesh = size_mm * factor
    threshold_pct: float = Field(default=5.0, gt=0.0)


class ModelEntry(Strict):
    file: str
    name: str | None = None  # label in the results (default: the model file's [model].name)
    variants: list[str] = ["base"]  # names of [variants.NAME] in the model file; "*" = all
    # dotted path into the model file -> values; the cartesian product makes named variants.
    # Paths: materials.<m>.<key...>, mesh.params.<key...>, interfaces.<name or glob>.<mu|law|...>
    grid: dict[str, list] = Field(default_factory=dict)
    states: list[Literal["immediate", "fused"]] | None = None  # default: [study].states
    size_mm: float | None = Field(default=None, gt=0)  # overrides [mesh].size_mm for this model

    _folder_name = field_validator("name")(_check_folder_name)


class StudyFile(Strict):
    study: StudyHeader = StudyHeader()
    models: list[ModelEntry] = Field(min_length=1)
    mesh: MeshOverride = MeshOverride()
    solver: SolverOverride = SolverOverride()
    thresholds: dict = Field(default_factory=dict)  # fea.metrics.Thresholds fields
    reference: ReferenceSpec | None = None
    convergence: ConvergenceSpec = ConvergenceSpec()


class Study:
    """A validated study file with its paths resolved."""

    def __init__(self, spec: StudyFile, path: Path):
        self.spec = spec
        self.path = path
        self.name = spec.study.name or path.stem
        if not NAME_RE.match(self.name):
            raise ConfigError(f"{path}: study.name: give a folder-safe name (the file stem "
                              f"'{path.stem}' is not one)")
        self.loadcase_files = resolve_loadcases(path, spec.study.loadcases)

    def resolve(self, rel: str) -> Path:
        return (self.path.parent / rel).resolve()

    def output_dir(self, override: Path | None = None) -> Path:
        if override is not None:
            return Path(override)
        if self.spec.study.output_dir:
            return self.resolve(self.spec.study.output_dir)
        return Path("results") / self.name


def resolve_loadcases(path: Path, patterns: list[str]) -> list[Path]:
    if not patterns:
        raise ConfigError(f"{path}: study.loadcases: list the load-case files, e.g. "
                          "[\"../loadcases/flexion.toml\"] or [\"../loadcases/*.toml\"]")
    out: list[Path] = []
    for i, pat in enumerate(patterns):
        full = str(path.parent / pat)
        hits = sorted(Path(p).resolve() for p in glob.glob(full)) if glob.has_magic(pat) \
            else [Path(full).resolve()]
        hits = [h for h in hits if h.is_file()] if glob.has_magic(pat) else hits
        if not hits or not hits[0].exists():
            raise ConfigError(f"{path}: study.loadcases[{i}]: '{pat}' matches no file "
                              f"(looked at {full})")
        out += [h for h in hits if h not in out]
    return out


def load_study(path: str | Path) -> Study:
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"'{path}' is a folder; give a study file (.toml), e.g. "
                          "studies/default.toml")
    spec = validate(path, read_toml(path), StudyFile)
    names = [m.name for m in spec.models if m.name]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"{path}: models: the name '{dup[0]}' is used twice; give each "
                          "[[models]] entry its own name")
    for i, m in enumerate(spec.models):
        for k, values in m.grid.items():
            if not values:
                raise ConfigError(f"{path}: models[{i}].grid.\"{k}\": an empty list expands to "
                                  "zero variants; give at least one value")
    return Study(spec, path)
