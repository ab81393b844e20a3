"""`solve MODEL [--loadcase LC] --out DIR`: one model under one load case."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..metrics.screws import WARNING_PREFIX as SCREW_WARNING
from . import fraction


def add_parser(sub):
    p = sub.add_parser(
        "solve", help="solve one model under one load case",
        description="Solve MODEL (a TOML model file or an Abaqus/CalculiX .inp deck) under a "
        "load case and write result.vtu, steps/*.vtu and summary.json to --out. A deck carries "
        "its own steps, so --loadcase is optional for decks.",
        epilog="units: mm, N, MPa, N*mm (files: E_MPa, force_N, moment_Nm, pressure_MPa, "
        "displacement_mm, rotation_deg). Exit status 3 = not converged (results flagged).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", type=Path, help="model .toml or Abaqus/CalculiX .inp")
    p.add_argument("--loadcase", "-l", type=Path, help="load case .toml")
    p.add_argument("--out", "-o", type=Path, required=True, help="output folder")
    add_solver_options(p)
    p.add_argument("--cache", type=Path, default=Path(".cache/meshes"),
                   help="mesh cache folder (the one `mesh` uses by default)")
    p.add_argument("--no-cache", action="store_true", help="always remesh")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.add_argument("--verbose", "-v", action="store_true", help="log every phase with times")
    return p


def add_solver_options(p):
    p.add_argument("--backend", choices=["auto", "pardiso", "amg", "direct"], default="auto",
                   help="linear solver: PARDISO Cholesky, AMG-preconditioned CG, SuperLU, or "
                   "chosen by size")
    p.add_argument("--rtol", type=fraction, default=1e-8, help="CG relative tolerance (1e-8)")
    p.add_argument("--precision", choices=["mixed", "double"], default="mixed",
                   help="PARDISO factor in single precision polished by CG to double accuracy "
                   "(mixed, default: half the time and memory) or in double")
    p.add_argument("--no-memory-check", action="store_true",
                   help="solve even when the estimated memory need exceeds the free memory "
                   "(default: refused up front; same as FEA_MEMORY_CHECK=off)")


def run(args) -> int:
    from rich.console import Console

    from ..atomic import check_replaceable
    from ..cli import freeze_imports
    from ..errors import ConfigError
    from ..linsolve import SolverSettings
    from ..model import check_loadcase_against
    from ..progress import phase_status
    from ..results import write_case
    from ..solve_case import case_metrics_hook, solve_case

    freeze_imports(args)
    console = Console(stderr=True)
    check_replaceable(args.out)  # before the solve: refused now rather than after it
    settings = SolverSettings(backend=args.backend, rtol=args.rtol,
                              pardiso_precision=getattr(args, "precision", "mixed"),
                              memory_check=not getattr(args, "no_memory_check", False))
    with phase_status(args.quiet, args.verbose) as progress:
        progress("reading", str(args.model))
        if args.model.suffix.lower() == ".inp":
            from ..abaqus import read_deck

            deck = read_deck(args.model)
            model, loadcase = deck.model, deck.loadcase
        else:  # the TOML schemas (pydantic) load only here: a deck does not need them
            from ..config import load_model
            from ..mesh_cache import MeshCache

            cache = None if args.no_cache else MeshCache(args.cache)
            model, loadcase = load_model(args.model, cache), None
            if cache is not None and cache.stats["hits"]:
                progress("reading", f"mesh from the cache {args.cache}")
        if args.loadcase is not None:
            from ..config import load_loadcase

            loadcase = load_loadcase(args.loadcase)
        if loadcase is None:
            raise ConfigError(f"{args.model}: no steps in the model; give --loadcase FILE")
        check_loadcase_against(model, loadcase)
        case = solve_case(model, loadcase, settings, progress)
        progress("writing", str(args.out))
        summary = write_case(case.result, args.out, case.writers, case.extra,
                             case_metrics_hook(case))
    ok = summary["converged"]
    if not args.quiet:
        last = summary["steps"][-1]
        console.print(
            f"{'[green]converged[/]' if ok else '[bold red]NOT CONVERGED[/]'}: "
            f"{summary['n_dof_free']} DOFs, max displacement {last['max_displacement_mm']:.4g} mm, "
            f"solver {last['solver']['backend']} ({last['solver']['iterations']} it, residual "
            f"{last['solver']['residual']:.1e}); results in {args.out}"
        )
        if not ok:
            console.print(f"[red]{summary['not_converged']}[/]")
        for w in summary.get("warnings") or []:
            if w.startswith(SCREW_WARNING):  # flagged, not silently solved
                console.print(f"[bold red]{w}[/]")
    return 0 if ok else 3
