"""`compare STUDY_DIR [--metric COL] [--worst]`: rank design variants by one metric."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_METRIC = "rom_deg"


def add_parser(sub):
    p = sub.add_parser(
        "compare", help="rank design variants of a study by a metric (worst load case first)",
        description="Read STUDY_DIR/summary.csv (rebuilt from the case folders when missing or "
        "older than them) and rank the variants by the worst load case of --metric. Variants "
        "with a non-converged or missing case are listed apart, never ranked.",
        epilog="metrics: any summary.csv column, e.g. rom_deg, stiffness_Nm_per_deg, "
        "micromotion_p95_um_max, subsidence_peak_to_yield_max, implant_safety_factor_min. "
        "Lower-is-worse columns (stiffness, safety factor, ROM reduction, area below a "
        "threshold, contact area) are ranked accordingly.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("study", type=Path, metavar="RESULTS_DIR", help="a study's results folder")
    p.add_argument("--metric", "-m", default=DEFAULT_METRIC,
                   help=f"summary.csv column to rank by (default {DEFAULT_METRIC})")
    p.add_argument("--worst", action="store_true",
                   help="one row per variant: its worst load case only")
    p.add_argument("--rebuild", action="store_true", help="rebuild summary.csv from the cases")
    return p


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def render(ranking: dict, worst_only: bool):
    from rich.table import Table

    metric = ranking["metric"]
    arrow = "higher is worse" if ranking["higher_is_worse"] else "lower is worse"
    t = Table(title=f"variants ranked by {metric} ({arrow}; best first, worst load case first)")
    for col in ("rank", "variant", "load case", metric, "converged", "flags"):
        t.add_column(col, justify="right" if col in ("rank", metric) else "left")

    def add(entry, rank_label, style=None):
        rows = entry["rows"][:1] if worst_only else entry["rows"]
        for i, r in enumerate(rows):
            ok = bool(r.get("converged"))
            t.add_row(rank_label if i == 0 else "", entry["variant"] if i == 0 else "",
                      str(r["loadcase"]), _fmt(r.get(metric)),
                      "yes" if ok else "[bold red]NOT CONVERGED[/]",
                      str(r.get("n_flags") or 0), style=style)

    for i, e in enumerate(ranking["ranked"], 1):
        add(e, str(i))
    if ranking["unranked"]:
        t.add_section()
        for e in ranking["unranked"]:
            add(e, "[red]unranked[/]", style="dim")
    return t


def run(args) -> int:
    from rich.console import Console

    from ..summary_table import load_or_build, rank

    rows = load_or_build(args.study, rebuild=args.rebuild)
    ranking = rank(rows, args.metric)
    console = Console()
    console.print(render(ranking, args.worst))
    for e in ranking["unranked"]:
        console.print(f"[bold red]not ranked:[/] {e['variant']}: {e['reason']}", highlight=False)
    return 0
