"""What a finished study prints: the variants ranked (fea.commands.compare's table), one verdict
line per design variant (verdicts.json), the cases that failed or did not converge with their
reason, and where the report is."""

from __future__ import annotations

import json

from rich.markup import escape

from . import status as S

COLOUR = {"pass": "green", "borderline": "yellow", "fail": "bold red", "not converged": "bold red",
          "not computed": "dim"}


def print_verdicts(out_dir, console) -> None:
    """One line per design variant from the verdicts.json the report wrote (none: nothing)."""
    path = out_dir / "verdicts.json"
    if not path.exists():
        return
    for name, v in json.loads(path.read_text())["variants"].items():
        parts = []
        for key, c in v["criteria"].items():
            g = c["grade"]
            case = f" ({escape(c['loadcase'])})" if c["loadcase"] and g != "pass" else ""
            # stability is judged over a span of levels: say which (fea.metrics.instrumented)
            span = f" over {escape(c['where'])}" if key == "stability" and c.get("where") else ""
            parts.append(f"{key}{span} [{COLOUR[g]}]{g}[/]{case}")
        console.print(f"[bold]{escape(name)}[/] [{COLOUR[v['overall']]}]{v['overall']}[/]: "
                      + ", ".join(parts), highlight=False, soft_wrap=True)


def print_outcome(outcome, console, metric: str = "rom_deg", quiet: bool = False) -> None:
    from ..commands.compare import render
    from ..errors import FeaError
    from ..summary_table import rank

    bad = [(k, st, d) for k, (st, d) in outcome.statuses.items() if st != S.DONE]
    if not quiet and outcome.rows:
        # the ROM reference is what the constructs are measured against, not a candidate
        rows = [r for r in outcome.rows if r["variant"] != outcome.reference]
        try:
            ranking = rank(rows, metric)
        except FeaError as exc:
            console.print(f"[red]no ranking:[/] {escape(str(exc))}", highlight=False)
        else:
            console.print(render(ranking, worst_only=False))
            for e in ranking["unranked"]:
                console.print(f"[bold red]not ranked:[/] {e['variant']}: {escape(e['reason'])}",
                              highlight=False, soft_wrap=True)
        print_verdicts(outcome.out_dir, console)
        if outcome.reference:
            console.print(f"ROM reference: {outcome.reference} (ROM reduction in summary.csv "
                          "and the report)", highlight=False)
        if outcome.convergence:
            c = outcome.convergence
            console.print(f"mesh convergence: {c['n_flagged']} of {c['n_compared']} metric "
                          f"values change by more than {c['threshold_pct']:g} % "
                          f"({outcome.out_dir / c['file']})", highlight=False)
    for key, st, detail in bad:
        label = "NOT CONVERGED" if st == S.NOT_CONVERGED else "FAILED"
        console.print(f"[bold red]{label}[/] {key}: {escape(detail or '')}", highlight=False,
                      soft_wrap=True)
    if outcome.report is not None:
        console.print(f"report: {outcome.report}", highlight=False, soft_wrap=True)
    if not quiet:
        console.print(f"results: {outcome.out_dir} ({len(outcome.ran)} case(s) run, "
                      f"{len(outcome.skipped)} kept; {outcome.timings.get('total_s', 0):.0f} s)",
                      highlight=False, soft_wrap=True)
