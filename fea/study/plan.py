"""The job matrix of a study: models x variants x grid points x interface states (= groups, each
meshed and set up once) x load cases (= jobs, one case folder each), with input hashes.

Folder names (results/<study>/<variant>/<loadcase>/):
    <model>                      base variant, immediate state
    <model>.<variant>            a [variants.NAME] of the model file
    <model>...+<axis>=<value>    a grid point (axis = the path's last part, lengthened if needed)
    <model>...@fused             the fused interface state
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field
from pathlib import Path

from ..config import LoadCaseFile, ModelFile, read_toml, validate
from ..errors import ConfigError
from ..variants import BASE, expand_variants
from . import grid as G
from .config import NAME_RE, Study
from .provenance import code_version, file_sha256, hash_of
from .states import FUSED, IMMEDIATE, apply_state, to_tie


@dataclass
class LoadCaseInfo:
    name: str
    file: str
    spec: dict
    sha256: str


@dataclass
class Job:
    """One case: a group's model under one load case."""

    variant: str
    loadcase: str
    loadcase_file: str
    case_dir: str
    input_hash: str

    @property
    def key(self) -> str:
        return f"{self.variant}/{self.loadcase}"


@dataclass
class Group:
    """One variant in one interface state: one mesh, one assembly and set-up, its load cases."""

    variant: str
    model_label: str
    model_file: str
    base_variant: str
    point: dict
    state: str
    spec: dict | None  # validated model data (JSON-able); None when the variant is invalid
    error: str | None = None
    files: dict = field(default_factory=dict)  # input files beyond the spec -> sha256
    model_hash: str = ""
    jobs: list[Job] = field(default_factory=list)

    @property
    def size_mm(self) -> float | None:
        return (self.spec or {}).get("mesh", {}).get("size_mm")


@dataclass
class Plan:
    study: Study
    out_dir: Path
    groups: list[Group]
    loadcases: list[LoadCaseInfo]
    solver: dict
    contact: dict
    thresholds: dict
    reference: dict | None
    notes: list[str] = field(default_factory=list)
    size_factor: float = 1.0  # < 1 for the finer mesh of a convergence check
    out_root: Path | None = None  # the study's results folder (the fine runs live inside it)

    @property
    def jobs(self) -> list[Job]:
        return [j for g in self.groups for j in g.jobs]


def _where(study: Study, i: int) -> str:
    return f"{study.path}: models[{i}]"


def read_loadcases(study: Study) -> list[LoadCaseInfo]:
    out: list[LoadCaseInfo] = []
    for p in study.loadcase_files:
        spec = validate(p, read_toml(p), LoadCaseFile)
        name = spec.loadcase.name
        if not NAME_RE.match(name):
            raise ConfigError(f"{p}: loadcase.name: '{name}' names a results folder; use letters, "
                              "digits, '_', '-', '.'")
        clash = next((lc for lc in out if lc.name == name), None)
        if clash:
            raise ConfigError(f"{study.path}: study.loadcases: '{p}' and '{clash.file}' are both "
                              f"named '{name}'; load-case names must be unique in a study")
        out.append(LoadCaseInfo(name, str(p), spec.model_dump(mode="json"), file_sha256(p)))
    return out


def _variant_names(specs: dict, entry, where: str) -> list[str]:
    if entry.variants == ["*"]:
        return list(specs)
    if not entry.variants:
        raise ConfigError(f"{where}.variants: an empty list runs nothing; give [\"base\"] or "
                          "variant names")
    for v in entry.variants:
        if v not in specs:
            hint = difflib.get_close_matches(v, list(specs), n=1)
            did = f" Did you mean '{hint[0]}'?" if hint else ""
            raise ConfigError(f"{where}.variants: the model file has no variant '{v}'.{did} "
                              f"Variants: {', '.join(specs)}")
    return list(dict.fromkeys(entry.variants))


def _input_files(data: dict, model_path: Path) -> dict:
    """Files the mesh is made from (a mesh file, or files a builder reads) -> sha256."""
    mesh = data["mesh"]
    if mesh.get("file"):
        p = (model_path.parent / mesh["file"]).resolve()
        return {str(p): file_sha256(p)} if p.exists() else {}
    from ..geometry.registry import BUILDERS

    fn = BUILDERS.get(mesh.get("builder"))
    extra = getattr(fn, "cache_inputs", None)
    if extra is None:
        return {}
    params = dict(mesh.get("params") or {})
    if "model_dir" in inspect.signature(fn).parameters:
        params.setdefault("model_dir", str(model_path.parent.resolve()))
    try:
        return {f"builder:{k}": v for k, v in extra(params).items()}
    except (OSError, KeyError, TypeError) as exc:  # a missing scan: the build reports it
        return {"builder-error": str(exc)}


def _model_data(spec: ModelFile) -> dict:
    data = spec.model_dump(mode="json")
    data.pop("variants", None)
    return data


def build_plan(study: Study, out_dir: Path, size_factor: float = 1.0,
               solver: dict | None = None) -> Plan:
    """Expand the study into groups and jobs; every file and key is checked here."""
    from ..metrics.thresholds import Thresholds

    s = study.spec
    Thresholds.from_dict(s.thresholds, f"{study.path}: thresholds")  # names a bad key now
    loadcases = read_loadcases(study)
    solver = solver or {"backend": s.solver.backend, "rtol": s.solver.rtol,
                        "pardiso_precision": s.solver.precision}
    contact = s.solver.contact.model_dump(exclude_none=True)
    code = code_version()
    groups: list[Group] = []
    notes: list[str] = []
    labels_seen: dict[str, int] = {}
    ref_model = s.reference.model if s.reference else None
    same_model: dict[str, str] = {}
    for i, entry in enumerate(s.models):
        where = _where(study, i)
        model_path = study.resolve(entry.file)
        if not model_path.exists():
            raise ConfigError(f"{where}.file: '{entry.file}' not found (looked at {model_path})")
        specs = expand_variants(model_path)
        label = entry.name or specs[BASE].model.name
        if not NAME_RE.match(label):
            raise ConfigError(f"{where}.name: the model name '{label}' names a folder; give "
                              "name = \"...\" with letters, digits, '_', '-', '.'")
        if label in labels_seen:
            raise ConfigError(f"{where}: the name '{label}' is already used by "
                              f"models[{labels_seen[label]}]; give this entry name = \"...\"")
        labels_seen[label] = i
        variants = _variant_names(specs, entry, where)
        states = entry.states or (["immediate"] if label == ref_model else s.study.states)
        axis = G.labels(list(entry.grid))
        for v in variants:
            base_data = _model_data(specs[v])
            for path in entry.grid:
                G.check_path(base_data, path, f"{where}.grid.\"{path}\" (variant '{v}')")
            for point in G.points(entry.grid):
                pdata = G.apply_point(base_data, point)
                for state in dict.fromkeys(states):
                    name = label + ("" if v == BASE else f".{v}") + G.point_suffix(point, axis) \
                        + ("" if state == IMMEDIATE else f"@{state}")
                    if state == FUSED and IMMEDIATE in states and not to_tie(
                            pdata, s.study.fused_ties):
                        notes.append(f"{name}: skipped, the same model as its immediate state "
                                     "(no interface to tie)")
                        continue
                    g = _group(study, name, label, model_path, v, point, state, pdata, entry,
                               size_factor)
                    twin = same_model.get(_content_key(g))
                    if twin is not None:  # e.g. friction grid points once the state ties them
                        notes.append(f"{name}: skipped, the same model as {twin}")
                        continue
                    same_model[_content_key(g)] = name
                    groups.append(g)
    if not groups:
        raise ConfigError(f"{study.path}: the study expands to zero cases")
    names = [g.variant for g in groups]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"{study.path}: two entries make the variant '{dup[0]}'; give the "
                          "[[models]] entries distinct names")
    reference = _reference(study, groups)
    for g in groups:
        g.model_hash = hash_of({"model": g.spec, "error": g.error, "files": g.files,
                                "state": g.state, "solver": solver, "contact": contact,
                                "code": code})
        for lc in loadcases:
            # the validated spec, not the file's bytes: a comment or a reordered key in a TOML
            # file does not change a result (files a spec only points to are hashed by content)
            h = hash_of({"model": g.model_hash, "loadcase": lc.spec})
            g.jobs.append(Job(g.variant, lc.name, lc.file, str(out_dir / g.variant / lc.name), h))
    return Plan(study, out_dir, groups, loadcases, solver, contact, dict(s.thresholds),
                reference, notes, size_factor)


def _group(study, name, label, model_path: Path, v, point, state, pdata, entry,
           size_factor) -> Group:
    s = study.spec
    data = apply_state(pdata, state, s.study.fused_ties)
    data["model"] = dict(data["model"], name=name)
    mesh = data["mesh"]
    if mesh.get("builder"):
        size = entry.size_mm or s.mesh.size_mm or mesh.get("size_mm")
        mesh["size_mm"] = None if size is None else float(size) * size_factor
    if s.mesh.element_order is not None:
        mesh["element_order"] = s.mesh.element_order
    g = Group(name, label, str(model_path), v, point, state, None)
    try:
        g.spec = _model_data(validate(model_path, data, ModelFile))
        g.files = _input_files(g.spec, model_path)
    except ConfigError as exc:  # an impossible grid value fails this variant's cases only
        g.error = str(exc)
    return g


def _content_key(g: Group) -> str:
    """The model a group solves, whatever it is called (None for an invalid variant)."""
    if g.spec is None:
        return g.variant
    spec = dict(g.spec, model={**g.spec["model"], "name": "", "description": ""})
    return hash_of({"file": g.model_file, "spec": spec, "state": g.state})


def _reference(study: Study, groups: list[Group]) -> dict | None:
    ref = study.spec.reference
    if ref is None:
        return None
    if ref.published_deg is not None:
        return {"published_deg": dict(ref.published_deg), "source": ref.source}
    hits = [g for g in groups if g.model_label == ref.model and g.base_variant == BASE
            and not g.point and g.state == IMMEDIATE]
    if not hits:
        labels = sorted({g.model_label for g in groups})
        hint = difflib.get_close_matches(ref.model, labels, n=1)
        did = f" Did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(f"{study.path}: reference.model: no [[models]] entry named "
                          f"'{ref.model}' running its base variant in the immediate state.{did} "
                          f"Models: {', '.join(labels)}")
    return {"variant": hits[0].variant}
