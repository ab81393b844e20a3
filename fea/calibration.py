"""Calibration in the open: named model parameters tuned within stated ranges on some directions,
the other directions held out, the tuned values written to a model-file fragment with their
ranges and sources (issue 19, item 2). Also the model edits the injury cases need (named
ligaments removed).

A parameter of a validation file's `[validation.calibration]`:

    [[validation.calibration.parameters]]
    name = "capsule_stiffness"               # a label for the report and the fragment
    kind = "ligament_stiffness_scale"        # a PARAMETER_KINDS entry
    targets = ["capsule_*"]                  # ligament names (patterns) or material names
    range = [0.5, 2.0]                       # the published range, as a factor or in its unit
    initial = 1.0
    source = "Brolin & Halldin 2004 Spine 29:376 (...)"

Each evaluation of the objective is one set-up of the model with the parameter values and one
solve per calibration direction, so the optimiser is a bounded scalar search per parameter
(coordinate search, `max_evaluations` in all): a handful of solves, never a swarm. Data flow:
validation file -> model edits -> solve -> metrics.segmental -> comparison -> fragment.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math

import numpy as np

from . import atomic
from .config import suggest
from .errors import ConfigError, FeaError

# kind -> (what `targets` name, how the value acts, the unit written to the fragment)
PARAMETER_KINDS = {
    "ligament_stiffness_scale": ("ligaments", "multiplies the stiffness (toe-linear, linear) or "
                                 "the force of the curve of every targeted ligament", "-"),
    "ligament_laxity_mm": ("ligaments", "sets the laxity (slack before the ligament carries "
                           "load) of every targeted ligament", "mm"),
    "material_E_scale": ("materials", "multiplies Young's modulus of every targeted material "
                         "(e.g. a continuum stand-in for ligaments, cartilage)", "-"),
}


# ---------------------------------------------------------------------------- model edits

def match_names(patterns, have, what: str, where: str) -> list[str]:
    """The names in `have` the patterns select (shell patterns allowed); a pattern that selects
    nothing is an error naming it, with the closest name."""
    if isinstance(patterns, str) or not isinstance(patterns, (list, tuple)) or not patterns:
        raise ConfigError(f"{where}: expected a non-empty list of {what} names")
    out = []
    for p in patterns:
        hit = [n for n in have if fnmatch.fnmatchcase(n, str(p))]
        if not hit:
            hint = suggest(str(p), have)
            raise ConfigError(f"{where}: no {what} named '{p}'"
                              + (f" (did you mean '{hint}'?)" if hint else "")
                              + f"; the model has: {', '.join(have) or 'none'}")
        out += [n for n in hit if n not in out]
    return out


def without_ligaments(model, names, where: str = "remove_ligaments"):
    """A copy of the model without the named ligaments (an injury case: a ligament cut). The
    mesh is shared; a misspelt name is refused, naming it."""
    gone = set(match_names(names, [lg.name for lg in model.ligaments], "ligament",
                           f"model '{model.name}': {where}"))
    return dataclasses.replace(model, name=f"{model.name}-{'-'.join(sorted(gone))}",
                               ligaments=[lg for lg in model.ligaments if lg.name not in gone])


def held_submodel(model, hold, contacts, where: str = "sub-model"):
    """A sub-model of one level on the same mesh: every node of the cell sets `hold` selects
    fixed (they replace the model's supports) and only the contact interfaces `contacts`
    selects kept (shell patterns; a pattern that selects nothing is refused, naming it). A pure
    moment passes unchanged through a serial column, so a level's ROM on a held column below it
    approaches the column's where no ligament spans that level and the next (docs/validation.md,
    "Calibration of the column")."""
    from .model import Support

    fixed = match_names(hold, sorted(model.mesh.cell_sets), "cell set",
                        f"model '{model.name}': {where} hold")
    kept = set(match_names(contacts, [i.name for i in model.interfaces], "contact interface",
                           f"model '{model.name}': {where} contacts")) if contacts else set()
    return dataclasses.replace(model, name=f"{model.name}-held",
                               supports=[Support(n, (0, 1, 2), None, n) for n in fixed],
                               interfaces=[i for i in model.interfaces if i.name in kept])


def _scaled_law(law, s: float):
    return dataclasses.replace(law, stiffness=law.stiffness * s,
                               curve_force=None if law.curve_force is None
                               else np.asarray(law.curve_force, float) * s)


def with_parameters(model, params: list[dict], values: dict):
    """A copy of the model with each parameter set to its value (fea.calibration kinds)."""
    ligs = list(model.ligaments)
    mats = dict(model.materials)
    for p in params:
        v = float(values[p["name"]])
        if p["kind"] == "material_E_scale":
            for m in p["_selected"]:
                mats[m] = mats[m].scaled(v) if hasattr(mats[m], "scaled") else \
                    dataclasses.replace(mats[m], E=model.materials[m].E * v)
            continue
        for i, lg in enumerate(ligs):
            if lg.name not in p["_selected"]:
                continue
            law = (_scaled_law(lg.law, v) if p["kind"] == "ligament_stiffness_scale"
                   else dataclasses.replace(lg.law, laxity=v, prestrain=0.0))
            ligs[i] = dataclasses.replace(lg, law=law)
    return dataclasses.replace(model, ligaments=ligs, materials=mats)


# ----------------------------------------------------------------------------- the file

def load_calibration(table: dict, where: str) -> dict:
    """[validation.calibration]: directions, series, max_evaluations, parameters (checked)."""
    from .validation import DIRECTIONS

    allowed = {"directions", "series", "max_evaluations", "parameters", "tolerance"}
    for k in table:
        if k not in allowed:
            hint = suggest(k, allowed)
            raise ConfigError(f"{where}: unknown key '{k}'" + (f" (did you mean '{hint}'?)"
                                                              if hint else ""))
    dirs = table.get("directions")
    if not dirs or not isinstance(dirs, list):
        raise ConfigError(f"{where}: 'directions' (the calibration set) must be a non-empty list")
    for d in dirs:
        if d not in DIRECTIONS:
            hint = suggest(d, DIRECTIONS)
            raise ConfigError(f"{where}: unknown direction '{d}'"
                              + (f" (did you mean '{hint}'?)" if hint else ""))
    params = table.get("parameters") or []
    if not params:
        raise ConfigError(f"{where}: no [[...parameters]] to tune")
    out = []
    for i, p in enumerate(params):
        pw = f"{where}.parameters[{i}] '{p.get('name', '?')}'"
        for k in ("name", "kind", "targets", "range", "source"):
            if k not in p:
                raise ConfigError(f"{pw}: missing '{k}' (every tuned value states its range and "
                                  "the source of that range)")
        if p["kind"] not in PARAMETER_KINDS:
            hint = suggest(p["kind"], PARAMETER_KINDS)
            raise ConfigError(f"{pw}: unknown kind '{p['kind']}'"
                              + (f" (did you mean '{hint}'?)" if hint else "")
                              + f"; kinds: {', '.join(PARAMETER_KINDS)}")
        lo, hi = (float(x) for x in p["range"])
        if not (len(p["range"]) == 2 and lo < hi and (lo > 0 or p["kind"] == "ligament_laxity_mm")
                and lo >= 0):
            raise ConfigError(f"{pw}: range must be [low, high] with 0 < low < high "
                              f"(0 <= low for a laxity), got {p['range']}")
        init = float(p.get("initial", math.sqrt(lo * hi) if lo > 0 else 0.5 * (lo + hi)))
        if not lo <= init <= hi:
            raise ConfigError(f"{pw}: initial {init:g} is outside the range [{lo:g}, {hi:g}]")
        out.append({"name": str(p["name"]), "kind": p["kind"], "targets": list(p["targets"]),
                    "range": (lo, hi), "initial": init, "source": str(p["source"])})
    names = [p["name"] for p in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: parameter names must be unique (got {', '.join(names)})")
    n_eval = int(table.get("max_evaluations", 6 * len(out)))
    if n_eval < 3 * len(out):
        raise ConfigError(f"{where}: max_evaluations {n_eval} is too few for {len(out)} "
                          "parameter(s) (3 per parameter at least)")
    series = table.get("series")
    return {"directions": list(dirs), "series": None if series is None else list(series),
            "max_evaluations": n_eval, "parameters": out,
            "tolerance": float(table.get("tolerance", 0.01))}


def bind_parameters(model, cal: dict, where: str) -> list[dict]:
    """Each parameter with the names it selects in this model (refused when it selects none)."""
    out = []
    for p in cal["parameters"]:
        what = PARAMETER_KINDS[p["kind"]][0]
        have = [lg.name for lg in model.ligaments] if what == "ligaments" else list(model.materials)
        sel = match_names(p["targets"], have, what[:-1], f"{where} parameter '{p['name']}'")
        out.append({**p, "_selected": sel})
    return out


# ------------------------------------------------------------------------ the objective

def row_directions(key: str) -> tuple[str, ...]:
    """Our directions a reference key is formed from (fea.validation.ours_for)."""
    from .validation import DIRECTIONS, ONE_SIDE_EITHER, TOTALS

    if key in DIRECTIONS:
        return (key,)
    return ONE_SIDE_EITHER.get(key) or TOTALS.get(key) or ()


def split_rows(rows: list[dict], directions, series=None) -> tuple[list, list]:
    """(calibration rows, held-out rows): scored in-vitro rows whose directions all lie in the
    calibration set, and those with none in it (a row mixing both sets is in neither)."""
    cal, held = [], []
    for r in rows:
        if r["kind"] != "in_vitro" or r["error_pct"] is None:
            continue
        if series is not None and r["series"] not in series:
            continue
        ds = set(row_directions(r["direction"]))
        if ds and ds <= set(directions):
            cal.append(r)
        elif ds and not ds & set(directions):
            held.append(r)
    return cal, held


def objective(rows: list[dict]) -> float:
    """Mean squared relative error of the rows (error in % of the published mean / 100)."""
    if not rows:
        return math.inf
    return float(np.mean([(r["error_pct"] / 100.0) ** 2 for r in rows]))


def coordinate_search(f, params: list[dict], max_evaluations: int, xtol: float,
                      log=None) -> tuple[dict, list[dict]]:
    """Minimise f(values) by one bounded scalar search per parameter in turn (scipy's bounded
    Brent), within the parameters' ranges, at most max_evaluations calls of f in all (cached,
    so a repeated point costs nothing). Returns the best values and the evaluation history."""
    from scipy.optimize import minimize_scalar

    best = {p["name"]: p["initial"] for p in params}
    history: list[dict] = []
    cache: dict[tuple, float] = {}

    def call(values):
        key = tuple(round(values[p["name"]], 9) for p in params)
        if key in cache:
            return cache[key]
        if len(history) >= max_evaluations:
            return math.inf  # the budget is spent: the search stops improving
        v = f(dict(values))
        cache[key] = v
        history.append({"values": dict(values), "objective": v})
        if log:
            log(values, v)
        return v

    f_best = call(best)
    per = max(3, (max_evaluations - 1) // len(params))
    for p in params:
        lo, hi = p["range"]

        def g(x, p=p):
            return call({**best, p["name"]: float(x)})

        res = minimize_scalar(g, bounds=(lo, hi), method="bounded",
                              options={"maxiter": per, "xatol": xtol * max(1.0, hi - lo)})
        if res.fun < f_best:
            best, f_best = {**best, p["name"]: float(res.x)}, float(res.fun)
    return best, history


# -------------------------------------------------------------------------- the fragment

def fragment_toml(model, params: list[dict], values: dict, meta: dict) -> str:
    """A model-file fragment with the tuned values: per ligament the law it ends up with, per
    material its modulus, each with the parameter, its range and the range's source in a
    comment. Paste into the model file (or compare) by hand: nothing is changed silently."""
    tuned = with_parameters(model, params, values)
    lines = [f"# Calibrated by `validate --calibrate` ({meta.get('validation_file', '')}) on "
             f"model '{model.name}' ({meta.get('model_file', '')})",
             f"# calibration directions: {', '.join(meta['directions'])}; held out: "
             f"{', '.join(meta['held_out']) or 'none'}",
             f"# objective (mean squared relative ROM error): {meta['objective_initial']:.4g} "
             f"initial -> {meta['objective_final']:.4g} after {meta['evaluations']} evaluations",
             "# Each entry below replaces the law (or modulus) of the same-named entry of the",
             "# model file; its attachment sites stay as they are there.", ""]
    for p in params:
        lo, hi = p["range"]
        unit = PARAMETER_KINDS[p["kind"]][2]
        lines.append(f"# parameter '{p['name']}' ({p['kind']}): {values[p['name']]:.4g} {unit}, "
                     f"range [{lo:g}, {hi:g}], initial {p['initial']:g}; range source: "
                     f"{p['source']}")
    lines.append("")
    by_name = {lg.name: lg for lg in tuned.ligaments}
    for p in params:
        if p["kind"] == "material_E_scale":
            for m in p["_selected"]:
                mat = tuned.materials[m]
                lines += [f"[materials.{m}]  # parameter '{p['name']}'",
                          f"E_MPa = {mat.E:.6g}", f"nu = {mat.nu:g}", ""]
            continue
        for name in p["_selected"]:
            lg = by_name[name]
            law = lg.law
            lines += ["[[ligaments]]", f'name = "{name}"  # parameter \'{p["name"]}\'']
            if lg.library:
                lines.append(f'library = "{lg.library}"')
            if law.kind == "curve":
                x = ", ".join(f"{v:.6g}" for v in law.curve_x)
                fz = ", ".join(f"{v:.6g}" for v in law.curve_force)
                xkey = "strain" if law.curve_unit == "strain" else "elongation_mm"
                lines.append(f"curve = {{ {xkey} = [{x}], force_N = [{fz}] }}")
            else:
                lines.append(f"stiffness_N_per_mm = {law.stiffness:.6g}")
                if law.kind == "toe_linear":
                    lines.append(f"toe_strain = {law.toe_strain:g}")
            if law.laxity:
                lines.append(f"laxity_mm = {law.laxity:.4g}")
            lines.append("")
    return "\n".join(lines)


def write_fragment(path, text: str) -> None:
    atomic.write_text(path, text)


# ------------------------------------------------------------------------------ driving

def calibrate(model, cal: dict, ref, loadcases: dict, settings=None, progress=None,
              log=None) -> dict:
    """Tune the calibration parameters on the calibration directions (each evaluation: the
    model with the values, one solve per direction, the scored in-vitro rows of those
    directions at the model's levels). Returns the values, the history and the tuned model."""
    from .validation import compare, rom_at_end, solve_directions

    where = "[validation.calibration]"
    params = bind_parameters(model, cal, where)
    cal_lc = {d: loadcases[d] for d in cal["directions"]}

    def f(values):
        runs = solve_directions(with_parameters(model, params, values), cal_lc, settings,
                                progress)
        if not all(r["converged"] for r in runs.values()):
            return math.inf  # a value whose solve fails is never chosen, never scored
        rows, _ = split_rows(compare(ref, rom_at_end(runs)), cal["directions"], cal["series"])
        if not rows:
            raise FeaError(f"{where}: no scored in-vitro value of the reference file for the "
                           f"directions {', '.join(cal['directions'])} at the model's levels "
                           f"({', '.join(rom_at_end(runs))})"
                           + (f" in the series {', '.join(cal['series'])}" if cal["series"]
                              else "") + ": nothing to calibrate on")
        return objective(rows)

    best, history = coordinate_search(f, params, cal["max_evaluations"], cal["tolerance"], log)
    finite = [h for h in history if math.isfinite(h["objective"])]
    if not finite:
        raise FeaError(f"{where}: no evaluation converged ({len(history)} tried): no value to "
                       "report")
    return {"values": best, "history": history, "parameters": params,
            "objective_initial": history[0]["objective"],
            "objective_final": min(h["objective"] for h in finite),
            "model": with_parameters(model, params, best), "base_model": model}


def calibration_markdown(result: dict, cal_rows: list[dict], held_rows: list[dict],
                         held_out: list[str]) -> str:
    lines = ["Calibration (`validate --calibrate`): parameters tuned within their ranges on the "
             "calibration directions; the held-out directions were not used", "",
             "| parameter | kind | targets | range | source of the range | initial | tuned |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for p in result["parameters"]:
        lo, hi = p["range"]
        lines.append(f"| {p['name']} | {p['kind']} | {', '.join(p['_selected'])} | "
                     f"[{lo:g}, {hi:g}] | {p['source']} | {p['initial']:g} | "
                     f"{result['values'][p['name']]:.4g} |")
    lines += ["", f"Objective (mean squared relative error on the calibration rows): "
              f"{result['objective_initial']:.4g} initial -> {result['objective_final']:.4g} "
              f"after {len(result['history'])} evaluations (one solve per calibration direction "
              "each).", ""]
    for title, rows in (("calibration rows", cal_rows),
                        ("held-out rows (" + (", ".join(held_out) or "none") + ")", held_rows)):
        errs = [abs(r["error_pct"]) for r in rows]
        lines.append(f"- {title}: {len(rows)} scored in-vitro values"
                     + (f", mean |error| {np.mean(errs):.1f} %, largest {max(errs):.1f} %"
                        if errs else "") + ".")
    lines += ["", "| set | level | direction | series | published | ours | error % |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for title, rows in (("calibration", cal_rows), ("held out", held_rows)):
        for r in rows:
            lines.append(f"| {title} | {r['level']} | {r['direction']} | {r['label']} | "
                         f"{r['ref_mean_deg']:.1f} | {r['ours_deg']:.2f} | "
                         f"{r['error_pct']:+.1f} |")
    return "\n".join(lines) + "\n"
