"""`write_report(study_dir)`: the design verdicts first, then study inputs, comparison tables,
flags, figures, solver figures and assumptions in one HTML file that opens in any browser without
a server or a network; the verdicts also go to verdicts.json for scripts."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from .. import atomic
from ..errors import FeaError
from ..metrics.case_files import read_summary
from ..metrics.verdict import as_json, study_verdicts
from ..summary_table import (
    case_dirs, load_or_build, read_study_json, rom_reference_variant, study_thresholds,
)
from . import sections, verdicts
from .html_util import esc, img
from .style import CSS

MAX_CASES_WITH_FIGURES = 12  # beyond this, figures of each variant's worst load case only


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("spinefea")
    except Exception:  # noqa: BLE001 - metadata missing in a bare checkout is not an error
        return "unknown"


def _figure_cases(rows: list[dict], study_dir: Path,
                  wanted: set = frozenset()) -> list[tuple[str, str, Path]]:
    """Every case's, or when there are many, each variant's worst ROM case and the `wanted`
    cases (those deciding the verdicts)."""
    found = {(v, lc): p for v, lc, p in case_dirs(study_dir) if (p / "summary.json").exists()}
    if len(found) <= MAX_CASES_WITH_FIGURES:
        return [(v, lc, p) for (v, lc), p in found.items()]
    worst = {}
    for r in rows:  # the worst ROM case of each variant
        key = (str(r["variant"]), str(r["loadcase"]))
        if key in found and (r["variant"] not in worst or
                             (r.get("rom_deg") or 0) > (worst[r["variant"]][1] or 0)):
            worst[r["variant"]] = (key, r.get("rom_deg"))
    keys = dict.fromkeys([key for key, _ in worst.values()] +
                         sorted(k for k in wanted if k in found))
    return [(*key, found[key]) for key in keys]


def _case_pngs(folder: Path, th) -> list[Path]:
    """The case's figures, reused when newer than its summary.json, else rendered now."""
    from ..plot.figures import case_figures

    fig_dir = folder / "figures"
    stamp = (folder / "summary.json").stat().st_mtime
    have = sorted(fig_dir.glob("*.png")) if fig_dir.is_dir() else []
    if have and all(p.stat().st_mtime >= stamp for p in have):
        return have
    return case_figures(folder, fig_dir, th)


def _figures(rows, study_dir: Path, th, with_figures: bool, wanted: set) -> tuple[str, str]:
    if not with_figures:
        return "<p>Figures were not requested.</p>", ""
    from ..plot.charts import study_charts

    charts = study_charts(rows, study_dir / "figures", th)
    chart_html = '<div class="figs">' + "".join(
        img(p, {"rom.png": "Range of motion per load case and variant (hatched: not "
                "converged)", "micromotion.png": "Micromotion of the worst interface per case "
                "against the thresholds"}.get(p.name, p.name)) for p in charts) + "</div>"
    parts = []
    for variant, lc, folder in _figure_cases(rows, study_dir, wanted):
        try:
            pngs = _case_pngs(folder, th)
        except FeaError as exc:
            parts.append(f'<p class="flag-bad">{esc(variant)} / {esc(lc)}: no figures '
                         f"({esc(exc)})</p>")
            continue
        parts.append(f"<h3>{esc(variant)} / {esc(lc)}</h3><div class=\"figs\">" +
                     "".join(img(p, f"{variant} / {lc}: {p.stem.replace('_', ' ')}")
                             for p in pngs) + "</div>")
    return chart_html, "".join(parts)


def _cases_with(study_dir: Path, key: str) -> list[tuple[str, dict]]:
    """(variant / load case, summary) of every finished case whose summary has `key`
    (ligaments, ct_materials)."""
    out = []
    for variant, lc, folder in case_dirs(study_dir):
        path = folder / "summary.json"
        if path.exists():
            summary = read_summary(folder)
            if summary.get(key):
                out.append((f"{variant} / {lc}", summary))
    return out


def write_report(study_dir: str | Path, with_figures: bool = True) -> Path:
    """Write STUDY_DIR/report.html and STUDY_DIR/verdicts.json (atomically); return the report's
    path."""
    study_dir = Path(study_dir)
    study = read_study_json(study_dir)
    th = study_thresholds(study, study_dir)
    rows = load_or_build(study_dir)
    if not rows:
        raise FeaError(f"{study_dir}: no cases to report")
    name = study.get("name") or study_dir.resolve().name
    ref_variant = rom_reference_variant(rows, study)
    judged = study_verdicts(rows, th, ref_variant)
    reference = next((str(r["rom_reference"]) for r in rows if r.get("rom_reference")), None)
    atomic.write_json(study_dir / "verdicts.json", as_json(judged, th, reference))
    charts, case_figs = _figures(rows, study_dir, th, with_figures,
                                 verdicts.picture_cases(judged))
    n_bad = sum(not r.get("converged") for r in rows)
    when = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    body = [
        f"<h1>Study {esc(name)}</h1>",
        f"<p>{len(rows)} case(s): {len({r['variant'] for r in rows})} variant(s) × "
        f"{len({r['loadcase'] for r in rows})} load case(s); "
        + (f'<span class="flag-bad">{n_bad} not converged</span>' if n_bad else "all converged")
        + f". Generated {esc(when)} by spinefea {esc(_version())} from {esc(study_dir)}.</p>",
        "<h2>Verdicts</h2>", verdicts.verdict_lines(judged, study_dir, reference),
        "<h3>Intact vs construct</h3>", verdicts.rom_side_by_side(rows, judged),
        "<h2>Flags</h2>", sections.flags(rows),
        "<h2>Comparison</h2>",
        ("<p>One row per variant and load case. Green / amber / red: below, between or over the "
        "thresholds listed at the end.</p>"), sections.comparison(rows, th),
        "<h2>Ranking</h2>", sections.rankings(rows),
        "<h2>Interfaces</h2>", sections.per_interface(rows, th), sections.per_bearing(rows, th),
        "<h2>Screw safety</h2>", sections.screw_safety(rows, th),
        "<h2>Charts</h2>", charts,
        "<h2>Figures</h2>", case_figs or "<p>No case figures.</p>",
        *(("<h2>Ligaments</h2>", lig) if (lig := sections.ligaments(
            _cases_with(study_dir, "ligaments"))) else ()),
        *(("<h2>CT bone moduli</h2>", ct) if (ct := sections.ct_materials(
            _cases_with(study_dir, "ct_materials"))) else ()),
        "<h2>Solver</h2>", sections.solver(rows),
        "<h2>Study inputs</h2>", sections.inputs(study, study_dir),
        "<h2>Thresholds and sources</h2>", sections.thresholds(th),
        "<h2>Assumptions</h2>", sections.ASSUMPTIONS,
    ]
    doc = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<title>spinefea report: {esc(name)}</title><style>{CSS}</style></head><body>"
           + "\n".join(body) + "</body></html>\n")
    out = study_dir / "report.html"
    atomic.write_text(out, doc)
    return out
