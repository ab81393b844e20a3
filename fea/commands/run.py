"""`run [STUDY.toml]`: run a study (the default demo study without a file)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import ConfigError

DEMO = Path(__file__).resolve().parents[2] / "studies" / "default.toml"


def add_parser(sub):
    p = sub.add_parser(
        "run", help="run a study: models x variants x load cases (no file: the demo study)",
        description="Run every case of STUDY (a study .toml; without it the demo study\n"
        f"{DEMO.relative_to(DEMO.parents[1])}) and write results/<study>/: case folders, "
        "summary.csv,\nstudy.json, study.log, report.html; print the variants ranked by their "
        "worst load case.\nFinished cases whose inputs are unchanged are kept; the others are "
        "solved.",
        epilog="exit status: 0 all cases converged; 1 a case failed (its error is in the console,"
        "\nstudy.log, study.json, summary.csv and the report); 3 a case did not converge "
        "(flagged).\nDask: `dask scheduler`, then `dask worker tcp://HOST:8786 --nthreads 1` on "
        "machines that\nshare the results folder; study file format: docs/studies.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("study", type=Path, nargs="?", default=None, metavar="STUDY.toml",
                   help="study file (default: the demo study)")
    p.add_argument("--out", "-o", type=Path, default=None,
                   help="results folder (default: results/<study name>)")
    p.add_argument("--workers", "-j", type=int, default=1,
                   help="local worker processes (default 1; each variant runs in a fresh one, "
                   "its cases together; threads per worker = cores / workers); 0 = in this "
                   "process (debugging)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="submit to an existing Dask distributed scheduler, e.g. "
                   "tcp://10.0.0.5:8786")
    p.add_argument("--convergence", action="store_true",
                   help="also run every case at a finer mesh and report the relative change of "
                   "each metric (convergence.csv; threshold in the study's [convergence])")
    p.add_argument("--metric", "-m", default="rom_deg",
                   help="summary.csv column to rank the variants by (default rom_deg)")
    p.add_argument("--no-figures", action="store_true", help="report without figures (faster)")
    p.add_argument("--no-memory-check", action="store_true",
                   help="solve variants whose estimated memory need exceeds the free memory "
                   "(default: refused up front; sets FEA_MEMORY_CHECK=off for the workers)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quiet", "-q", action="store_true",
                   help="no progress display; errors and the report path only")
    g.add_argument("--verbose", "-v", action="store_true", help="every phase of every case")
    return p


def run(args) -> int:
    from rich.console import Console

    from ..study.runner import RunOptions, run_study
    from ..study.show import print_outcome

    path = args.study
    if path is None:
        if not DEMO.exists():
            raise ConfigError(f"the demo study {DEMO} is missing (run from a checkout of the "
                              "project, or give a study file)")
        path = DEMO
    if args.workers > 1 and args.scheduler:
        raise ConfigError("give --workers (local processes) or --scheduler (a Dask cluster), "
                          "not both")
    if args.no_memory_check:  # inherited by local worker processes
        os.environ["FEA_MEMORY_CHECK"] = "off"
    opts = RunOptions(out=args.out, workers=args.workers, scheduler=args.scheduler,
                      convergence=args.convergence, quiet=args.quiet, verbose=args.verbose,
                      metric=args.metric, figures=False if args.no_figures else None)
    outcome = run_study(path, opts)
    console = Console()
    if not console.is_terminal:  # a log file or a pipe: no 80-column cut of variant names
        console = Console(width=160)
    print_outcome(outcome, console, args.metric, args.quiet)
    return outcome.exit_code
