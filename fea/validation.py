"""Validation of an intact model against published range of motion per level.

`run_validation` solves the model under each load case of a validation file (the six directions
after the bundled preload), measures the ROM of every level at every increment of the moment
step (fea.metrics.segmental: rigid fit of each bone, relative to the bone below, from the end of
the preload), and compares the last increment with each published series of a reference file
(studies/validation/reference_rom.toml): error in % of the published mean and in published SDs.
Levels come from the bone bodies the model has, so the same file runs on the C1-C3 box model
and on an occiput-C3 model. Files -> config -> solve -> metrics -> files -> plots, one way.
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import atomic
from .config import read_toml, suggest
from .errors import ConfigError, FeaError
from .metrics.segmental import body_points, segmental_rom

DIRECTIONS = ("flexion", "extension", "lateral_bending_left", "lateral_bending_right",
              "axial_rotation_left", "axial_rotation_right")
# reference keys that are not one of our directions: how our value for them is formed
ONE_SIDE_EITHER = {"lateral_bending": ("lateral_bending_left", "lateral_bending_right"),
                   "axial_rotation": ("axial_rotation_left", "axial_rotation_right")}
TOTALS = {"flexion_extension": ("flexion", "extension"),
          "lateral_bending_total": ("lateral_bending_left", "lateral_bending_right"),
          "axial_rotation_total": ("axial_rotation_left", "axial_rotation_right")}
UNSTATED = {"lateral_bending_unstated", "axial_rotation_unstated"}
REFERENCE_KEYS = set(DIRECTIONS) | set(ONE_SIDE_EITHER) | set(TOTALS) | UNSTATED
# coupled-motion checks: a direction family -> (its left direction, the signed angle of a level)
COUPLING_AXES = {"lateral_bending": ("lateral_bending_left", "lateral_bending_left_deg"),
                 "axial_rotation": ("axial_rotation_left", "axial_rotation_left_deg")}
# where a series without a stated moment is drawn: the usual occiput-C3 moment (Panjabi et al.
# 1988 Spine 13:726; the bundled load cases)
STANDARD_MOMENT_NM = 1.5
# signed plot axis per panel: the positive direction, the negative one
PANELS = {"flexion-extension": ("flexion", "extension"),
          "lateral bending (+ left)": ("lateral_bending_left", "lateral_bending_right"),
          "axial rotation (+ left)": ("axial_rotation_left", "axial_rotation_right")}


# ------------------------------------------------------------------------ reference data

@dataclass
class RefValue:
    series: str
    label: str
    kind: str  # in_vitro | fe
    level: str
    key: str  # a REFERENCE_KEYS entry
    mean_deg: float
    sd_deg: float | None
    moment_Nm: float | None


@dataclass
class Reference:
    path: Path
    values: list[RefValue] = field(default_factory=list)
    series: list[dict] = field(default_factory=list)
    anchors: list[dict] = field(default_factory=list)
    injuries: list[dict] = field(default_factory=list)
    coupling: list[dict] = field(default_factory=list)


def load_reference(path: str | Path) -> Reference:
    """Read a reference file; bad keys are refused naming the file, series and key."""
    path = Path(path)
    data = read_toml(path)
    ref = Reference(path, anchors=data.get("anchors", []), injuries=data.get("injuries", []),
                    coupling=data.get("coupling", []))
    for c in ref.coupling:
        where = f"{path}: [[coupling]] {c.get('key', '?')}"
        for k, allowed in (("primary", COUPLING_AXES), ("coupled", COUPLING_AXES),
                           ("sign", ("same_side", "opposite_side"))):
            if c.get(k) not in allowed:
                raise ConfigError(f"{where}: '{k}' must be one of {', '.join(allowed)} "
                                  f"(got {c.get(k)!r})")
    for i, s in enumerate(data.get("series", [])):
        where = f"{path}: [[series]] {s.get('key', f'#{i + 1}')}"
        for k in ("key", "kind", "label", "citation", "levels"):
            if k not in s:
                raise ConfigError(f"{where}: missing '{k}'")
        if s["kind"] not in ("in_vitro", "fe"):
            raise ConfigError(f"{where}: kind '{s['kind']}' is not 'in_vitro' or 'fe'")
        moment = s.get("moment_Nm")
        for level, entries in s["levels"].items():
            for key, v in entries.items():
                if key not in REFERENCE_KEYS:
                    hint = suggest(key, REFERENCE_KEYS)
                    raise ConfigError(f"{where}: level '{level}': unknown direction '{key}'"
                                      + (f" (did you mean '{hint}'?)" if hint else ""))
                if not isinstance(v, dict) or "mean_deg" not in v:
                    raise ConfigError(f"{where}: level '{level}' '{key}': needs mean_deg "
                                      "(and sd_deg when published)")
                ref.values.append(RefValue(s["key"], s["label"], s["kind"], level, key,
                                           float(v["mean_deg"]), _opt(v.get("sd_deg")),
                                           _opt(moment)))
        ref.series.append(s)
    if not ref.values:
        raise ConfigError(f"{path}: no [[series]] with values")
    return ref


def _opt(v):
    return None if v is None else float(v)


# ------------------------------------------------------------------------------- solving

def state_moment_Nmm(model, state, point: str = "load") -> np.ndarray:
    i = model.ref_dof(point, 3)
    return np.asarray(state.f[i: i + 3], float)


def contact_term(analysis):
    """The analysis' contact term (fea.contact.term), None without contact interfaces."""
    return next((t for t in getattr(analysis, "terms", ()) if t.name == "contact"), None)


def joint_openings(contact, state, ref_state, joints) -> dict:
    """{interface: {"max_opening_mm", "mean_opening_mm"}}: how far the two sides of each named
    contact interface moved apart along its normal since the reference state (the end of the
    preload); negative = closed further. The median atlantoaxial joint's opening in flexion is
    the change of the atlantodental interval."""
    out = {}
    if not joints:
        return out
    iface = contact.setup.interface_of_point
    w = contact.setup.points.w
    names = [info.name for info in contact.setup.infos]
    d_all = state.contact["g"][:, 0] - ref_state.contact["g"][:, 0]
    for name in joints:
        sel = iface == names.index(name)
        d = d_all[sel]
        out[name] = {"max_opening_mm": float(d.max()),
                     "mean_opening_mm": float((d * w[sel]).sum() / w[sel].sum())}
    return out


def check_joints(model, joints) -> None:
    """Every named joint is a contact interface of the model (not tied: a tied one cannot open)."""
    have = [i.name for i in model.interfaces if i.law != "tied"]
    for j in joints:
        if j not in have:
            hint = suggest(j, have)
            raise ConfigError(f"model '{model.name}': joint '{j}' is not a contact interface "
                              f"(have: {', '.join(have) or 'none'})"
                              + (f"; did you mean '{hint}'?" if hint else ""))


def curves_from_result(result, point: str = "load", reference_step: str = "preload",
                       contact=None, joints=()) -> list[dict]:
    """Per increment after the reference step: applied moment (Nm, increase since the reference
    state), the segmental ROM of every level (fea.metrics.segmental) and the opening of each
    named joint (`joint_openings`; needs the analysis' contact term)."""
    model = result.model
    nodes, body, bones = body_points(model)
    x = model.mesh.nodes[nodes]
    ends = {s.step: s for s in result.step_ends()}
    if reference_step not in ends:
        raise FeaError(f"load case '{result.loadcase.name}': no step '{reference_step}' to "
                       f"measure from (steps: {', '.join(ends)})")
    ref = ends[reference_step]
    u0 = result.displacement(ref)[nodes]
    M0 = state_moment_Nmm(model, ref, point)
    out = []
    for s in result.states[result.states.index(ref) + 1:]:
        M = state_moment_Nmm(model, s, point) - M0
        levels = segmental_rom(x, result.displacement(s)[nodes], body, bones, u0, M)
        out.append({"step": s.step, "increment": s.increment, "converged": bool(s.converged),
                    "moment_Nm": float(np.linalg.norm(M)) / 1000.0, "levels": levels,
                    "joints": joint_openings(contact, s, ref, joints)})
    return out


def solve_directions(model, loadcases: dict, settings=None, progress=None, joints=()) -> dict:
    """{direction: {"curve": [...], "converged", "seconds", "result"}} for each load case, on
    one set-up of the model (assembly and factorisation reused)."""
    from .results import not_converged_note
    from .solve_case import make_analysis, solve_case

    check_joints(model, joints)
    analysis = make_analysis(model, settings, progress)
    contact = contact_term(analysis)
    out = {}
    for direction, lc in loadcases.items():
        t = time.perf_counter()
        case = solve_case(model, lc, settings, progress, analysis)
        curve = curves_from_result(case.result, contact=contact, joints=joints)
        out[direction] = {"curve": curve, "converged": bool(case.result.converged),
                          "seconds": time.perf_counter() - t, "result": case.result,
                          "not_converged": not_converged_note(case.result)}
    return out


# ---------------------------------------------------------------------------- comparison

def rom_at_end(runs: dict) -> dict:
    """{level: {direction: ROM deg in the loaded direction at the last increment, or None when
    that case did not converge}}."""
    out: dict[str, dict] = {}
    for direction, r in runs.items():
        last = r["curve"][-1] if r["curve"] else None
        for level, lv in (last["levels"] if last else {}).items():
            out.setdefault(level, {})[direction] = lv["rom_deg"] if r["converged"] else None
    return out


def ours_for(key: str, ours: dict) -> tuple[float | None, str]:
    """Our value for a reference key, and how it was formed."""
    if key in DIRECTIONS:
        return ours.get(key), key
    if key in ONE_SIDE_EITHER:
        # either side stands for the source's "one side"; a side that was not run is left out,
        # a side that ran and failed (None) leaves no value
        sides = [d for d in ONE_SIDE_EITHER[key] if d in ours]
        vals = [ours[d] for d in sides]
        if not sides or any(v is None for v in vals):
            return None, "mean of left and right"
        if len(sides) == 1:
            return vals[0], f"{sides[0].rsplit('_', 1)[1]} side only"
        return 0.5 * sum(vals), "mean of left and right"
    if key in TOTALS:
        a, b = (ours.get(d) for d in TOTALS[key])
        return (None if a is None or b is None else a + b), " + ".join(TOTALS[key])
    return None, "not scored: the source does not say one side or both"


def compare(ref: Reference, rom: dict) -> list[dict]:
    """One row per reference value at a level the model has."""
    rows = []
    for v in ref.values:
        if v.level not in rom:
            continue
        ours, basis = ours_for(v.key, rom[v.level])
        err = sds = None
        if ours is not None and v.key not in UNSTATED:
            err = 100.0 * (ours - v.mean_deg) / v.mean_deg if v.mean_deg else None
            sds = (ours - v.mean_deg) / v.sd_deg if v.sd_deg else None
        rows.append({"level": v.level, "direction": v.key, "series": v.series, "label": v.label,
                     "kind": v.kind, "ref_mean_deg": v.mean_deg, "ref_sd_deg": v.sd_deg,
                     "ref_moment_Nm": v.moment_Nm, "ours_deg": ours, "ours_basis": basis,
                     "error_pct": err, "error_sd": sds})
    return rows


def coupling_checks(ref: Reference, runs: dict) -> list[dict]:
    """Published coupled-motion signs against ours at the end of each converged case: under the
    primary motion to the left (right), is the coupled rotation to the left (right) for
    'same_side'? One row per check, level and side; a case that did not converge is skipped."""
    out = []
    for c in ref.coupling:
        left_dir, _ = COUPLING_AXES[c["primary"]]
        _, angle = COUPLING_AXES[c["coupled"]]
        for side, direction in (("left", left_dir), ("right", left_dir.replace("_left", "_right"))):
            r = runs.get(direction)
            if not r or not r["converged"] or not r["curve"]:
                continue
            levels = r["curve"][-1]["levels"]
            for level in c["levels"]:
                if level not in levels:
                    continue
                value = levels[level][angle]  # + = to the left
                expect = 1.0 if side == "left" else -1.0
                if c["sign"] == "opposite_side":
                    expect = -expect
                out.append({"check": c["key"], "level": level, "direction": direction,
                            "coupled": c["coupled"], "value_deg": value, "expected": c["sign"],
                            "as_published": bool(value * expect > 0)})
    return out


def summary_stats(rows: list[dict]) -> dict:
    """Mean |error| (%) over the scored in-vitro rows, and the count within 1 SD / 50 %."""
    scored = [r for r in rows if r["kind"] == "in_vitro" and r["error_pct"] is not None]
    if not scored:
        return {"n_scored": 0}
    errs = [abs(r["error_pct"]) for r in scored]
    with_sd = [r for r in scored if r["error_sd"] is not None]
    by_level: dict[str, list[float]] = {}
    for r in scored:
        by_level.setdefault(r["level"], []).append(abs(r["error_pct"]))
    return {"n_scored": len(scored), "mean_abs_error_pct": float(np.mean(errs)),
            "within_50pct": sum(e <= 50 for e in errs),
            "n_with_sd": len(with_sd),
            "within_1sd": sum(abs(r["error_sd"]) <= 1 for r in with_sd),
            # issue 19's goal is stated per level (C0-C1 and C1-C2 against GHBMC's 23 %)
            "mean_abs_error_pct_by_level": {k: float(np.mean(v)) for k, v in
                                            sorted(by_level.items())}}


# ------------------------------------------------------------------------------- writing

def _fmt(v, spec=".1f"):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def table_markdown(rows: list[dict], model_name: str, moment_Nm: float) -> str:
    at = f"{moment_Nm:g} Nm" if math.isfinite(moment_Nm) else "(no case converged)"
    lines = [f"ROM per level, model `{model_name}` at {at} vs published series "
             "(error = ours - published, in % of the published mean and in published SDs)", "",
             "| level | direction | series | published (deg) | moment (Nm) | ours (deg) | "
             "error % | error SD |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in sorted(rows, key=lambda r: (r["level"], r["direction"], r["kind"], r["series"])):
        pub = _fmt(r["ref_mean_deg"]) + (f" ± {r['ref_sd_deg']:.1f}" if r["ref_sd_deg"] else "")
        ours = _fmt(r["ours_deg"])
        if r["ours_basis"] not in (r["direction"],):
            ours += f" ({r['ours_basis']})"
        lines.append(f"| {r['level']} | {r['direction']} | {r['label']} | {pub} | "
                     f"{_fmt(r['ref_moment_Nm'], 'g')} | {ours} | {_fmt(r['error_pct'], '+.0f')} | "
                     f"{_fmt(r['error_sd'], '+.1f')} |")
    return "\n".join(lines) + "\n"


def ours_markdown(runs: dict) -> str:
    """Our curves per direction: moment reached, ROM per level in the loaded direction and its
    coupled motions (signed anatomical angles) at the last converged increment."""
    lines = ["Ours per level (deg; signed: + flexion, + left bending, + left rotation; fit = RMS "
             "distance of the bone's nodes from its rigid fit)", "",
             "| direction | status | moment (Nm) | level | ROM | flexion | lat. bending left | "
             "axial rot. left | coupled | fit (um) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for d, r in runs.items():
        ok = [p for p in r["curve"] if p["converged"]]
        status = "converged" if r["converged"] else "**NOT CONVERGED**" + (
            f" (at {r['curve'][-1]['moment_Nm']:.3g} Nm; last converged shown)" if r["curve"]
            else "")
        if not ok:
            lines.append(f"| {d} | {status} | - | - | - | - | - | - | - | - |")
            continue
        last = ok[-1]
        for level, lv in last["levels"].items():
            lines.append(
                f"| {d} | {status} | {last['moment_Nm']:.3g} | {level} | {_fmt(lv['rom_deg'])} | "
                f"{_fmt(lv['flexion_deg'])} | {_fmt(lv['lateral_bending_left_deg'])} | "
                f"{_fmt(lv['axial_rotation_left_deg'])} | {_fmt(lv['coupled_rotation_deg'])} | "
                f"{_fmt(lv['fit_rms_um'], '.0f')} |")
    joints = [(d, j, v) for d, r in runs.items()
              for p in [q for q in r["curve"] if q["converged"]][-1:]
              for j, v in (p.get("joints") or {}).items()]
    if joints:
        lines += ["", "Joint opening since the preload at the last converged increment (mm; the "
                  "median atlantoaxial joint's is the change of the atlantodental interval)", "",
                  "| direction | joint | max opening | mean opening |", "| --- | --- | --- | --- |"]
        lines += [f"| {d} | {j} | {v['max_opening_mm']:.3f} | {v['mean_opening_mm']:.3f} |"
                  for d, j, v in joints]
    return "\n".join(lines) + "\n"


def write_outputs(out_dir: Path, model_name: str, runs: dict, rows: list[dict], stats: dict,
                  ref: Reference, meta: dict, injuries: list[dict] | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    # the moment of the compared values: where the converged cases ended
    moment = max((r["curve"][-1]["moment_Nm"] for r in runs.values()
                  if r["curve"] and r["converged"]), default=math.nan)
    files = []
    data = {"model": model_name, "reference": str(ref.path), **meta, "summary": stats,
            "cases": {d: {"converged": r["converged"], "seconds": r["seconds"],
                          "not_converged": r.get("not_converged"), "curve": r["curve"]}
                      for d, r in runs.items()},
            "comparison": rows, "coupling": coupling_checks(ref, runs),
            "injuries": injuries or []}
    p = out_dir / "validation.json"
    atomic.write_text(p, json.dumps(data, indent=1, default=float))
    files.append(p)
    p = out_dir / "comparison.csv"

    def put_csv(tmp):
        with open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["level"])
            w.writeheader()
            w.writerows(rows)
    atomic.write_with(p, put_csv)
    files.append(p)
    p = out_dir / "comparison.md"
    head = ""
    bad = [d for d, r in runs.items() if not r["converged"]]
    if bad:
        head = f"**NOT CONVERGED: {', '.join(bad)}** (their values are left out)\n\n" + "".join(
            f"- {d}: {runs[d].get('not_converged') or 'not converged'}\n" for d in bad) + "\n"
    if stats.get("n_scored"):
        head += (f"In-vitro rows scored: {stats['n_scored']}; mean |error| "
                 f"{stats['mean_abs_error_pct']:.0f} %; within 50 %: {stats['within_50pct']}; "
                 f"within 1 SD: {stats['within_1sd']} of {stats['n_with_sd']} with an SD; "
                 "mean |error| by level: " + ", ".join(
                     f"{k} {v:.0f} %" for k, v in stats["mean_abs_error_pct_by_level"].items())
                 + ".\n\n")
    couplings = coupling_checks(ref, runs)
    tail = ""
    if couplings:
        tail = "\nCoupled motion signs (published pattern vs ours at the end of the case)\n\n" + \
            "| level | direction | coupled | published | ours (deg, + left) | as published |\n" + \
            "| --- | --- | --- | --- | --- | --- |\n" + "".join(
                f"| {c['level']} | {c['direction']} | {c['coupled']} | {c['expected']} | "
                f"{c['value_deg']:+.1f} | {'yes' if c['as_published'] else '**no**'} |\n"
                for c in couplings)
    atomic.write_text(p, head + table_markdown(rows, model_name, moment) + "\n"
                      + ours_markdown(runs) + tail + injuries_markdown(injuries or []))
    files.append(p)
    files += plot_curves(out_dir, model_name, runs, ref)
    return files


def plot_curves(out_dir: Path, model_name: str, runs: dict, ref: Reference) -> list[Path]:
    """One PNG per level: moment vs signed rotation in the three planes, with each published
    one-side ROM (± SD) marked at its moment (1.5 Nm when the series does not state one)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = []
    for r in runs.values():
        for pt in r["curve"]:
            levels += [lv for lv in pt["levels"] if lv not in levels]
    files = []
    markers = "osD^v<>"
    for level in levels:
        fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
        for ax, (title, (pos, neg)) in zip(axes, PANELS.items()):
            for d, sign, colour in ((pos, 1.0, "tab:blue"), (neg, -1.0, "tab:red")):
                r = runs.get(d)
                if not r:
                    continue
                # converged increments only; a failed end is marked, not drawn as a result
                pts = [(0.0, 0.0)] + [(p["levels"][level]["rom_deg"], p["moment_Nm"])
                                      for p in r["curve"] if level in p["levels"]
                                      and p["converged"]]
                rot, mom = np.array(pts).T
                ax.plot(sign * rot, sign * mom, "-", marker=".", color=colour,
                        label=f"ours {d}" + ("" if r["converged"] else
                                             " (NOT CONVERGED after the last point)"))
                if not r["converged"]:
                    ax.plot(sign * rot[-1], sign * mom[-1], "x", color=colour, ms=10)
            n_marked = 0
            for k, s in enumerate(ref.series):
                labelled = False
                for d, sign in ((pos, 1.0), (neg, -1.0)):
                    v = _one_side(ref, s["key"], level, d)
                    if v is None:
                        continue
                    m = v.moment_Nm or STANDARD_MOMENT_NM
                    ax.errorbar(sign * v.mean_deg, sign * m, xerr=v.sd_deg or None,
                                fmt=markers[k % len(markers)], mfc="none", color="k", capsize=3,
                                label=None if labelled else s["label"])
                    labelled = True
                    n_marked += 1
            if not n_marked:
                ax.text(0.5, 0.04, "no one-side published value here (totals: comparison.md)",
                        transform=ax.transAxes, ha="center", fontsize=7, color="0.4")
            ax.axhline(0, color="0.8", lw=0.8)
            ax.axvline(0, color="0.8", lw=0.8)
            ax.set_title(f"{level} {title}")
            ax.set_xlabel("rotation (deg)")
            ax.set_ylabel("moment (Nm)")
            ax.legend(fontsize=6, loc="best")
        fig.suptitle(f"{model_name}: moment-rotation per level, published one-side ROM ± SD (open "
                     "markers, at the series' moment; 1.5 Nm where it states none)", fontsize=9)
        fig.tight_layout()
        p = out_dir / f"moment_rotation_{level}.png"
        atomic.write_with(p, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        plt.close(fig)
        files.append(p)
    return files


def _one_side(ref: Reference, series: str, level: str, direction: str) -> RefValue | None:
    """The series' one-side value for this direction (an 'either side' value counts)."""
    either = next((k for k, ds in ONE_SIDE_EITHER.items() if direction in ds), None)
    for v in ref.values:
        if v.series == series and v.level == level and v.key in (direction, either):
            return v
    return None


# ------------------------------------------------------------------------------- the file

def load_validation(path: str | Path) -> dict:
    """A validation file: [validation] model, loadcases {direction: file}, reference."""
    path = Path(path)
    data = read_toml(path)
    if "validation" not in data:
        raise ConfigError(f"{path}: no [validation] table")
    v = data["validation"]
    allowed = {"name", "description", "model", "loadcases", "reference", "size_mm", "joints",
               "injuries", "calibration"}
    for k in v:
        if k not in allowed:
            hint = suggest(k, allowed)
            raise ConfigError(f"{path}: [validation] unknown key '{k}'"
                              + (f" (did you mean '{hint}'?)" if hint else ""))
    for k in ("model", "loadcases", "reference"):
        if k not in v:
            raise ConfigError(f"{path}: [validation] missing '{k}'")
    for d in v["loadcases"]:
        if d not in DIRECTIONS:
            hint = suggest(d, DIRECTIONS)
            raise ConfigError(f"{path}: [validation.loadcases] unknown direction '{d}'"
                              + (f" (did you mean '{hint}'?)" if hint else ""))
    injuries = []
    for i, inj in enumerate(v.get("injuries", [])):
        where = f"{path}: [[validation.injuries]] #{i + 1}"
        for k in inj:
            if k not in ("key", "remove_ligaments", "directions"):
                hint = suggest(k, ("key", "remove_ligaments", "directions"))
                raise ConfigError(f"{where}: unknown key '{k}'"
                                  + (f" (did you mean '{hint}'?)" if hint else ""))
        for k in ("key", "remove_ligaments"):
            if k not in inj:
                raise ConfigError(f"{where}: missing '{k}'")
        for d in inj.get("directions", []):
            if d not in v["loadcases"]:
                hint = suggest(d, v["loadcases"])
                raise ConfigError(f"{where}: direction '{d}' is not one of the file's load cases"
                                  + (f" (did you mean '{hint}'?)" if hint else ""))
        injuries.append({"key": inj["key"], "remove_ligaments": list(inj["remove_ligaments"]),
                         "directions": list(inj.get("directions", []))})
    calibration = None
    if "calibration" in v:
        from .calibration import load_calibration

        calibration = load_calibration(v["calibration"], f"{path}: [validation.calibration]")
        for d in calibration["directions"]:
            if d not in v["loadcases"]:
                raise ConfigError(f"{path}: [validation.calibration] direction '{d}' has no load "
                                  "case in [validation.loadcases]")
    base = path.parent
    return {"name": v.get("name", path.stem), "model": base / v["model"],
            "loadcases": {d: base / f for d, f in v["loadcases"].items()},
            "reference": base / v["reference"], "size_mm": v.get("size_mm"),
            "joints": list(v.get("joints", [])), "injuries": injuries,
            "calibration": calibration, "path": path}


# ------------------------------------------------------------------------- injury cases

def span_value(rom: dict, span: str, direction: str) -> float | None:
    """Our ROM over a span of levels: the level itself, or the sum of the adjacent levels that
    chain from its upper to its lower bone (C0-C2 = C0-C1 + C1-C2; rotations about one axis
    add to first order). None when a level is missing or did not converge."""
    if span in rom:
        return rom[span].get(direction)
    top, _, bottom = span.partition("-")
    below = {lv.partition("-")[0]: lv for lv in rom}
    total, bone = 0.0, top
    while bone != bottom:
        lv = below.get(bone)
        if lv is None:
            return None
        v = rom[lv].get(direction)
        if v is None:
            return None
        total += v
        bone = lv.partition("-")[2]
    return total


def injury_levels(entry: dict) -> list[str]:
    """An entry's level, or its list of levels when the source gives the same increase at each
    (Panjabi et al. 1991: "1.9 degrees to each side and at each level")."""
    lv = entry["level"]
    return [lv] if isinstance(lv, str) else list(lv)


def injury_rows(entry: dict, intact_rom: dict, injured_rom: dict) -> list[dict]:
    """Per level and published direction of an injury entry: our ROM over that level intact and
    injured, the increase (deg, %) and the published increase (deg, %)."""
    rows = []
    pub_pct = entry.get("increase_pct", {})
    ran = [d for d in DIRECTIONS if any(d in by_dir for by_dir in injured_rom.values())]
    pairs = [(level, key, pub) for level in injury_levels(entry)
             for key, pub in entry["increase_deg"].items()]
    for level, key, pub in pairs:
        a = {d: span_value(intact_rom, level, d) for d in ran}
        b = {d: span_value(injured_rom, level, d) for d in ran}
        intact, basis = ours_for(key, a)
        injured, _ = ours_for(key, b)
        inc = None if intact is None or injured is None else injured - intact
        rows.append({"injury": entry["key"], "cut": entry.get("cut", ""), "level": level,
                     "direction": key, "ours_basis": basis, "intact_deg": intact,
                     "injured_deg": injured, "increase_deg": inc,
                     "increase_pct": (100.0 * inc / intact if inc is not None and intact
                                      else None),
                     "published_increase_deg": float(pub),
                     "difference_deg": None if inc is None else inc - float(pub),
                     "published_increase_pct": _opt(pub_pct.get(key))})
    return rows


def check_injury(ref: Reference, inj: dict, where: str) -> dict:
    """The reference file's [[injuries]] entry a validation injury case names."""
    keys = [e.get("key") for e in ref.injuries]
    if inj["key"] not in keys:
        hint = suggest(inj["key"], keys)
        raise ConfigError(f"{where}: injury '{inj['key']}' is not an [[injuries]] entry of "
                          f"{ref.path}" + (f" (did you mean '{hint}'?)" if hint else "")
                          + f"; entries: {', '.join(map(str, keys)) or 'none'}")
    entry = ref.injuries[keys.index(inj["key"])]
    if "increase_deg" not in entry or "level" not in entry:
        raise ConfigError(f"{where}: injury '{inj['key']}' gives no ROM increase (increase_deg "
                          "and level) to compare with")
    lv = entry["level"]
    if not (isinstance(lv, str) or (isinstance(lv, list) and lv
                                    and all(isinstance(x, str) for x in lv))):
        raise ConfigError(f"{ref.path}: [[injuries]] {inj['key']}: level must be a level name "
                          f"('C0-C2') or a non-empty list of them, got {lv!r}")
    for k in entry["increase_deg"]:
        if k not in REFERENCE_KEYS or k in UNSTATED:
            raise ConfigError(f"{ref.path}: [[injuries]] {inj['key']}: increase_deg key '{k}' is "
                              "not a one-side or total direction")
    return entry


def injury_directions(entry: dict, inj: dict, available) -> list[str]:
    """The load cases an injury case runs: the file's list, else every direction the published
    increases are formed from that the validation file has."""
    if inj["directions"]:
        return inj["directions"]
    from .calibration import row_directions

    out = []
    for k in entry["increase_deg"]:
        out += [d for d in row_directions(k) if d in available and d not in out]
    return out


def run_injuries(model, injuries: list[dict], ref: Reference, loadcases: dict, intact_runs: dict,
                 settings=None, progress=None) -> list[dict]:
    """Solve each injury case (the model without the named ligaments) in its directions and
    compare the increase in ROM with the published one. The intact runs are reused; a
    direction the intact runs lack is solved on the intact model too."""
    from .calibration import without_ligaments

    rows = []
    for i, inj in enumerate(injuries):
        where = f"[[validation.injuries]] #{i + 1} '{inj['key']}'"
        entry = check_injury(ref, inj, where)
        cut = without_ligaments(model, inj["remove_ligaments"], where)
        dirs = injury_directions(entry, inj, loadcases)
        need = {d: loadcases[d] for d in dirs if d not in intact_runs}
        if need:
            intact_runs = {**intact_runs, **solve_directions(model, need, settings, progress)}
        injured = solve_directions(cut, {d: loadcases[d] for d in dirs}, settings, progress)
        for r in injury_rows(entry, rom_at_end({d: intact_runs[d] for d in dirs}),
                             rom_at_end(injured)):
            r["removed"] = [lg.name for lg in model.ligaments
                            if lg.name not in {c.name for c in cut.ligaments}]
            r["converged"] = all(injured[d]["converged"] and intact_runs[d]["converged"]
                                 for d in dirs)
            rows.append(r)
    return rows


def injuries_markdown(rows: list[dict]) -> str:
    if not rows:
        return ""
    lines = ["", "Injury cases: increase in ROM after the cut, ours vs published (ours over the "
             "published level; a span of levels is the sum of its levels)", "",
             "| injury | removed | level | direction | ours intact | ours injured | ours increase "
             "(deg, %) | published increase (deg, %) | ours - published (deg) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        ours = (f"{_fmt(r['increase_deg'], '+.2f')} ({_fmt(r['increase_pct'], '+.1f')} %)"
                if r["increase_deg"] is not None else "- (level or case missing / not converged)")
        pub = (f"{r['published_increase_deg']:+.1f} ({_fmt(r['published_increase_pct'], '+.1f')}"
               " %)")
        lines.append(f"| {r['injury']} | {', '.join(r['removed'])} | {r['level']} | "
                     f"{r['direction']} | {_fmt(r['intact_deg'], '.2f')} | "
                     f"{_fmt(r['injured_deg'], '.2f')} | {ours} | {pub} | "
                     f"{_fmt(r['difference_deg'], '+.2f')} |")
    return "\n".join(lines) + "\n"
