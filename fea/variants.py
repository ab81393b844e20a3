"""Named design variants of a model file: `[variants.NAME]` tables that patch the base model.

    [variants.porosity_60]
    description = "porous core at 60 %"
    materials.ti_lattice.lattice.porosity = 0.60     # deep-merged into [materials]

    [variants.small_footprint]
    params.avb = { footprint_width_mm = 12.0 }       # deep-merged into [mesh].params

    [variants.no_rods]
    params.posterior = { enabled = false }
    remove_bodies = ["rod_*", "screw_*"]             # drop their sections and interfaces

    [variants.transverse_cut]
    remove_ligaments = ["transverse"]                # an injury case: named [[ligaments]] cut

    [variants.capsules_current_length]               # keys set on the named [[ligaments]]
    ligaments."capsule_C1C2_*" = { kinematics = "current_length", laxity_mm = 5.0 }

A variant never adds bodies, so it cannot leave a section without its mesh region; `remove_bodies`
(shell-style patterns on body and cell-set names) drops every section, interface, ligament and
named set that belongs to a removed body. The base model is the variant "base".
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
from pathlib import Path

from .config import ModelFile, read_toml, validate
from .errors import ConfigError

VARIANT_KEYS = ("description", "params", "materials", "remove_bodies", "remove_ligaments",
                "ligaments")
BASE = "base"


def _merge(base: dict, patch: dict, where: str, known_keys: bool = False) -> dict:
    """Deep merge of tables; with known_keys, the top-level keys must exist in base (a variant
    patches materials, it does not invent them)."""
    if not isinstance(patch, dict):
        raise ConfigError(f"{where}: expected a table")
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if known_keys and k not in out:
            hint = difflib.get_close_matches(k, list(out), n=1)
            did = f" Did you mean '{hint[0]}'?" if hint else ""
            raise ConfigError(f"{where}.{k}: not in the base model.{did}")
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v, f"{where}.{k}")
        else:
            out[k] = copy.deepcopy(v)
    return out


def _tokens(name: str) -> list[str]:
    """Body/region names inside a set name like 'AVB_porous|C3_cortical@C3_cortical'."""
    return [t for part in name.split("|") for t in part.split("@") if t]


def _drop_bodies(data: dict, patterns: list, where: str) -> dict:
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ConfigError(f"{where}: a list of body-name patterns, e.g. [\"rod_*\"]")
    sections = data.get("sections", [])

    def gone(name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in patterns)

    removed = {s["cell_set"] for s in sections if gone(s["cell_set"]) or gone(s.get("body", ""))}
    removed |= {s.get("body") for s in sections if s.get("body") and gone(s["body"])}
    for p in patterns:
        if not any(fnmatch.fnmatchcase(n, p) for n in removed):
            raise ConfigError(f"{where}: pattern '{p}' matches no body or section of the model")

    def touches(name: str) -> bool:
        return any(t in removed or gone(t) for t in _tokens(name))

    out = dict(data)
    out["sections"] = [s for s in sections if s["cell_set"] not in removed]
    out["interfaces"] = [i for i in data.get("interfaces", [])
                         if not (touches(i["slave"]) or touches(i["master"]))]
    # an embedded part goes with its body; a removed host no longer holds anything
    out["embedded"] = [{**e, "hosts": [h for h in e.get("hosts", []) if not touches(h)]}
                       for e in data.get("embedded", []) if not touches(e.get("cell_set", ""))]
    out["embedded"] = [e for e in out["embedded"] if e["hosts"]]
    # a membrane (a removed bone's cortex, `<bone>_cortical`) goes with its body
    out["membranes"] = [m for m in data.get("membranes", [])
                        if not (touches(m.get("face_set", "")) or touches(m.get("body", ""))
                                or gone(m.get("face_set", "").rsplit("_", 1)[0]))]
    # a ligament or spring attached to a removed body goes with it
    out["ligaments"] = [lg for lg in data.get("ligaments", [])
                        if not any(touches(str(lg.get(k, ""))) for k in ("from", "to"))]
    # annulus fibres go with their disc (or either endplate's bone)
    out["annulus_fibres"] = [a for a in data.get("annulus_fibres", [])
                             if not any(touches(str(a.get(k, "")))
                                        for k in ("cell_set", "from", "to"))]
    for k, r in data.get("ref_points", {}).items():
        if touches(r["surface"]):
            raise ConfigError(f"{where}: removes the surface of reference point '{k}'")
    for i, s in enumerate(data.get("supports", [])):
        if s.get("set") and touches(s["set"]):
            raise ConfigError(f"{where}: removes the set of supports[{i}]")
    return out


def _drop_ligaments(data: dict, patterns, where: str) -> dict:
    """The model without the named [[ligaments]] (an injury case: e.g. the transverse ligament
    cut); a name that matches no ligament is refused, naming it."""
    from .calibration import match_names

    have = [str(lg.get("name", "")) for lg in data.get("ligaments", [])]
    gone = set(match_names(patterns, have, "ligament", where))
    return {**data, "ligaments": [lg for lg in data.get("ligaments", [])
                                  if lg.get("name") not in gone]}


def _patch_ligaments(data: dict, patches, where: str) -> dict:
    """The model with keys set on named [[ligaments]] ({name pattern: {key: value}}); a pattern
    that matches no ligament is refused, naming it (the keys are checked with the model)."""
    from .calibration import match_names

    if not isinstance(patches, dict) or not all(isinstance(v, dict) for v in patches.values()):
        raise ConfigError(f"{where}: expected tables of keys per ligament name, e.g. "
                          "ligaments.alar_L = { laxity_mm = 0.5 }")
    have = [str(lg.get("name", "")) for lg in data.get("ligaments", [])]
    ligs = [dict(lg) for lg in data.get("ligaments", [])]
    for pattern, keys in patches.items():
        for name in match_names([pattern], have, "ligament", where):
            ligs[have.index(name)].update(copy.deepcopy(keys))
    return {**data, "ligaments": ligs}


def expand_variants(model_path: str | Path) -> dict[str, ModelFile]:
    """{"base": the model, NAME: the model patched by [variants.NAME], ...}, all validated."""
    path = Path(model_path)
    raw = read_toml(path)
    variants = raw.pop("variants", {}) or {}
    if not isinstance(variants, dict):
        raise ConfigError(f"{path}: variants: expected tables [variants.NAME]")
    out = {BASE: validate(path, raw, ModelFile)}
    if BASE in variants:
        raise ConfigError(f"{path}: variants.{BASE}: the name '{BASE}' is the unmodified model")
    for name, v in variants.items():
        where = f"{path}: variants.{name}"
        if not isinstance(v, dict):
            raise ConfigError(f"{where}: expected a table")
        for k in v:
            if k not in VARIANT_KEYS:
                hint = difflib.get_close_matches(k, VARIANT_KEYS, n=1)
                did = f" Did you mean '{hint[0]}'?" if hint else ""
                raise ConfigError(f"{where}.{k}: unknown key.{did} Keys: {', '.join(VARIANT_KEYS)}")
        data = copy.deepcopy(raw)
        if "params" in v:
            if "builder" not in data.get("mesh", {}):
                raise ConfigError(f"{where}.params: the model has no [mesh] builder to patch")
            data["mesh"]["params"] = _merge(data["mesh"].get("params", {}), v["params"],
                                            f"{where}.params")
        if "materials" in v:
            data["materials"] = _merge(data.get("materials", {}), v["materials"],
                                       f"{where}.materials", known_keys=True)
        if "ligaments" in v:
            data = _patch_ligaments(data, v["ligaments"], f"{where}.ligaments")
        if "remove_bodies" in v:
            data = _drop_bodies(data, v["remove_bodies"], f"{where}.remove_bodies")
        if "remove_ligaments" in v:
            data = _drop_ligaments(data, v["remove_ligaments"], f"{where}.remove_ligaments")
        header = dict(data["model"])
        header["name"] = f"{header['name']}.{name}"
        if "description" in v:
            header["description"] = str(v["description"])
        data["model"] = header
        try:
            out[name] = validate(path, data, ModelFile)
        except ConfigError as exc:  # the values are the base model's patched by the variant
            raise ConfigError(str(exc).replace(
                f"{path}: invalid model file:",
                f"{path}: variants.{name}: the model patched by [variants.{name}] is invalid:",
                1)) from None
    return out


def load_variant(model_path: str | Path, variant: str = BASE, mesh_cache=None,
                 size_mm: float | None = None, state: str = "immediate",
                 fused_ties: str = "implant", element_order: int | None = None):
    """The Model of one variant (optionally at another mesh size, in another interface state:
    fea.study.states)."""
    from .config import model_from_spec
    from .study.states import STATES, apply_state

    specs = expand_variants(model_path)
    if variant not in specs:
        hint = difflib.get_close_matches(variant, list(specs), n=1)
        did = f" Did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(f"{model_path}: no variant '{variant}'.{did} "
                          f"Variants: {', '.join(specs)}")
    spec = specs[variant]
    mesh = {k: v for k, v in (("size_mm", size_mm), ("element_order", element_order))
            if v is not None}
    if mesh:
        spec = spec.model_copy(update={"mesh": spec.mesh.model_copy(update=mesh)})
    if state not in STATES:
        raise ConfigError(f"unknown interface state '{state}' (use {' or '.join(STATES)})")
    if state != "immediate":
        data = spec.model_dump(mode="json")
        data.pop("variants", None)
        spec = validate(Path(model_path), apply_state(data, state, fused_ties), ModelFile)
    return model_from_spec(spec, Path(model_path), mesh_cache)
