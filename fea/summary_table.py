"""The study table: summary.csv with one row per (variant, load case), and the variant ranking.

Rows are rebuilt from the case folders (results/<study>/<variant>/<loadcase>/summary.json plus
interfaces.vtu and result.vtu), so the study's thresholds apply to every case alike. A case
folder without summary.json (a crashed or unfinished run) still gets a row, flagged not converged:
a missing case must never look like a good one.

study.json keys read here (all optional): "thresholds" (fea.metrics.Thresholds fields), and
"rom_reference": {"variant": "<intact variant>"} or {"published_deg": {"<loadcase>": deg},
"source": "..."}. Without them a variant named "intact" is the ROM reference if there is one.
A reference variant also gives each construct row with an instrumented span its reduction over
that span (fea.metrics.instrumented); published values are whole-model only.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from . import atomic
from .errors import FeaError
from .metrics.case_files import metrics_from_case_dir, read_summary
from .metrics.columns import CLASS_RANK, flat_row
from .metrics.instrumented import apply_span_reference
from .metrics.thresholds import Thresholds

KEY_COLUMNS = ("variant", "loadcase", "converged")
# columns where a lower value is the worse one (everything else: higher is worse)
LOWER_IS_WORSE = ("stiffness", "safety_factor", "rom_reduction", "area_below", "contact_area",
                  "clearance")


def read_study_json(study_dir: Path) -> dict:
    path = Path(study_dir) / "study.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FeaError(f"{path}: not valid JSON ({exc})") from None


def study_thresholds(study: dict, study_dir: Path) -> Thresholds:
    return Thresholds.from_dict(study.get("thresholds"), f"{study_dir}/study.json: thresholds")


def case_dirs(study_dir: Path) -> list[tuple[str, str, Path]]:
    """(variant, load case, folder) for every visible <variant>/<loadcase>/ folder."""
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        what = "does not exist" if not study_dir.exists() else "is not a folder"
        raise FeaError(f"'{study_dir}' {what}; give a study results folder (results/<study>, "
                       "the --out of `spinefea run`)")
    out = []
    for v in sorted(p for p in study_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if v.name == "figures":
            continue
        for c in sorted(p for p in v.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if c.name == "figures" or c.name == "steps":
                continue
            out.append((v.name, c.name, c))
    if not out:
        raise FeaError(f"{study_dir}: no case folders (<variant>/<loadcase>/summary.json)")
    if not any((c / "summary.json").exists() for _, _, c in out):
        # one level too high (results/ instead of results/<study>/): say which studies are there
        studies = sorted({v for v, lc, c in out if any(c.glob("*/summary.json"))})
        if studies:
            raise FeaError(f"{study_dir} holds studies, not cases: give one of "
                           f"{', '.join(str(study_dir / s) for s in studies)}")
    return out


def solver_columns(summary: dict) -> dict:
    incs = summary.get("increments") or []
    timings = summary.get("timings_s") or {}
    return {
        "solver_dofs": summary.get("n_dof_free"),
        "solver_elements": (summary.get("mesh") or {}).get("n_cells"),
        "solver_wall_s": sum(v for v in timings.values() if isinstance(v, (int, float))) or None,
        "solver_iterations_max": max((i.get("iterations") or 0 for i in incs), default=None),
        "solver_residual_max": max((i.get("residual") or 0.0 for i in incs), default=None),
    }


def rom_reference_variant(rows: list[dict], study: dict) -> str | None:
    """The variant of this study that is the ROM reference (intact), or None (published values
    or no reference)."""
    ref = study.get("rom_reference") or {}
    variant = ref.get("variant")
    if variant is None and not ref.get("published_deg"):
        variant = next((str(r["variant"]) for r in rows if str(r["variant"]).lower() == "intact"),
                       None)
    return variant


def _apply_rom_reference(rows: list[dict], study: dict) -> None:
    ref = study.get("rom_reference") or {}
    variant = rom_reference_variant(rows, study)
    if variant is not None:
        table = {r["loadcase"]: r.get("rom_deg") for r in rows
                 if r["variant"] == variant and r["converged"]}
        name = f"variant '{variant}' (same study)"
    else:
        table, name = dict(ref.get("published_deg") or {}), ref.get("source") or "published"
    apply_span_reference(rows, variant)
    if not table:
        return
    for r in rows:
        ref_deg = table.get(r["loadcase"])
        if r["variant"] == variant or ref_deg is None or r.get("rom_deg") is None:
            continue
        r["rom_reference_deg"] = ref_deg
        r["rom_reference"] = name
        r["rom_reduction_pct"] = 100.0 * (1.0 - r["rom_deg"] / ref_deg) if ref_deg > 0 else None


def study_rows(study_dir: str | Path, with_translation: bool = True) -> list[dict]:
    study_dir = Path(study_dir)
    study = read_study_json(study_dir)
    th = study_thresholds(study, study_dir)
    rows = []
    for variant, lc, folder in case_dirs(study_dir):
        head = {"variant": variant, "loadcase": lc}
        if not (folder / "summary.json").exists():
            rows.append({**head, "converged": False, "n_flags": 1,
                         "flags": "no summary.json: the case failed or has not finished"})
            continue
        summary = read_summary(folder)
        m = metrics_from_case_dir(folder, th, with_translation=with_translation)
        row = {**head, **flat_row(m, th), **solver_columns(summary)}
        row["converged"] = bool(summary.get("converged", False))
        rows.append(row)
    _apply_rom_reference(rows, study)
    return rows


def ordered_columns(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    cols = [c for c in seen if c not in KEY_COLUMNS and c != "flags"]
    main = [c for c in cols if "@" not in c]
    per_entity = sorted(c for c in cols if "@" in c)
    return [*KEY_COLUMNS, *main, *per_entity, "flags"]


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_summary_csv(study_dir: str | Path, rows: list[dict] | None = None) -> Path:
    study_dir = Path(study_dir)
    rows = study_rows(study_dir) if rows is None else rows
    cols = ordered_columns(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_fmt(r.get(c)) for c in cols])
    path = study_dir / "summary.csv"
    atomic.write_text(path, buf.getvalue())
    return path


def _parse(v: str):
    if v == "":
        return None
    if v in ("True", "False"):
        return v == "True"
    try:
        return int(v) if v.lstrip("-").isdigit() else float(v)
    except ValueError:
        return v


def read_summary_csv(path: str | Path) -> list[dict]:
    path = Path(path)
    try:
        with open(path, newline="") as fh:
            rows = [{k: _parse(v) for k, v in r.items()} for r in csv.DictReader(fh)]
    except FileNotFoundError:
        raise FeaError(f"{path} does not exist") from None
    if rows and not set(KEY_COLUMNS) <= set(rows[0]):
        raise FeaError(f"{path}: needs columns {', '.join(KEY_COLUMNS)}")
    return rows


def load_or_build(study_dir: str | Path, rebuild: bool = False) -> list[dict]:
    """summary.csv rows; (re)built from the case folders when missing, older than a case's
    summary.json, or when asked."""
    study_dir = Path(study_dir)
    path = study_dir / "summary.csv"
    if not rebuild and path.exists():
        stamps = [(c / "summary.json").stat().st_mtime for _, _, c in case_dirs(study_dir)
                  if (c / "summary.json").exists()]
        if path.stat().st_mtime >= max(stamps, default=0.0):
            return read_summary_csv(path)
    rows = study_rows(study_dir)
    write_summary_csv(study_dir, rows)
    return rows


# ---------------------------------------------------------------- ranking
def higher_is_worse(metric: str) -> bool:
    return not any(k in metric for k in LOWER_IS_WORSE)


def _badness(v, metric: str):
    """A number that grows as the value gets worse (None when there is no value)."""
    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, str):
        return CLASS_RANK.get(v)
    if isinstance(v, bool):
        v = float(v)
    return v if higher_is_worse(metric) else -v


def rank(rows: list[dict], metric: str) -> dict:
    """Rank variants by their worst load case for `metric` (best variant first).

    Returns {"metric", "higher_is_worse", "ranked": [{"variant", "value", "worst_loadcase",
    "rows" (worst first)}], "unranked": [{"variant", "reason", "rows"}]}. A variant with any
    non-converged case, or no value for the metric in some case, is never ranked: its worst case
    may be exactly the one that is missing.
    """
    if rows and all(metric not in r for r in rows):
        import difflib

        cols = [c for c in ordered_columns(rows) if c not in KEY_COLUMNS and c != "flags"]
        hint = [c for c in cols if c.startswith(metric)] or \
            difflib.get_close_matches(metric, cols, n=1)
        did = f" Did you mean '{hint[0]}'?" if hint else ""
        main = [c for c in cols if "@" not in c]
        raise FeaError(f"no metric column '{metric}' in the study table.{did} Study-wide columns: "
                       f"{', '.join(main)} (per interface/region: <column>@<name>)")
    by_variant: dict[str, list[dict]] = {}
    for r in rows:
        by_variant.setdefault(str(r["variant"]), []).append(r)
    ranked, unranked = [], []
    for v, rs in by_variant.items():
        bad = [(_badness(r.get(metric), metric), r) for r in rs]
        order = sorted(rs, key=lambda r: (_badness(r.get(metric), metric) is None,
                                          -(_badness(r.get(metric), metric) or 0)))
        failed = [str(r["loadcase"]) for r in rs if not r.get("converged")]
        missing = [str(r["loadcase"]) for b, r in bad if b is None and r.get("converged")]
        if failed or missing:
            reason = []
            if failed:
                reason.append(f"not converged: {', '.join(failed)}")
            if missing:
                reason.append(f"no {metric}: {', '.join(missing)}")
            # the failed cases first: they are why the variant is not ranked
            order = sorted(order, key=lambda r: bool(r.get("converged")))
            unranked.append({"variant": v, "reason": "; ".join(reason), "rows": order})
            continue
        worst = order[0]
        ranked.append({"variant": v, "value": worst.get(metric),
                       "worst_loadcase": worst["loadcase"],
                       "badness": _badness(worst.get(metric), metric), "rows": order})
    ranked.sort(key=lambda e: e["badness"])
    return {"metric": metric, "higher_is_worse": higher_is_worse(metric), "ranked": ranked,
            "unranked": unranked}
