"""`validate [FILE] [--model M] [--size MM] --out DIR`: an intact model's ROM per level against
published series (fea.validation; docs/validation.md)."""

from __future__ import annotations

from pathlib import Path

from .solve import add_solver_options

DEFAULT = Path("studies/validation/validation.toml")


def add_parser(sub):
    p = sub.add_parser(
        "validate", help="ROM per level of an intact model vs published in-vitro and FE data",
        description="Solve the model of a validation file in its load cases (six directions "
        "after the preload), measure the ROM of every level (rigid fit of each bone, relative to "
        "the bone below, from the end of the preload) and compare with the reference series: "
        "comparison.md / .csv, validation.json, moment_rotation_<level>.png.")
    p.add_argument("file", type=Path, nargs="?", default=DEFAULT,
                   help=f"validation file (default {DEFAULT})")
    p.add_argument("--model", type=Path, help="model file instead of the file's [validation] model")
    p.add_argument("--size", type=float, help="element size (mm) instead of the model's")
    p.add_argument("--joint", action="append",
                   help="contact interface whose opening since the preload is reported (e.g. "
                   "facet_C1C2_M, the median atlantoaxial joint: the atlantodental interval); "
                   "repeatable; replaces the file's [validation] joints")
    p.add_argument("--calibrate", action="store_true",
                   help="first tune the parameters of the file's [validation.calibration] "
                   "within their ranges on its calibration directions, then validate the tuned "
                   "model on every direction (held-out errors in calibration.md) and write the "
                   "tuned values to calibrated.toml (a model-file fragment; never applied to "
                   "the model file silently)")
    p.add_argument("--no-injuries", action="store_true",
                   help="skip the file's [[validation.injuries]] cases (ligaments cut)")
    p.add_argument("--out", "-o", type=Path, default=Path("results/validation"),
                   help="output folder (default results/validation)")
    add_solver_options(p)
    p.add_argument("--cache", type=Path, default=Path(".cache/meshes"), help="mesh cache folder")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.add_argument("--verbose", "-v", action="store_true", help="log every phase with times")
    return p


def load_model_sized(path: Path, size_mm: float | None, cache):
    from ..config import ModelFile, model_from_spec, read_toml, validate

    data = read_toml(path)
    if size_mm is not None:
        data.setdefault("mesh", {})["size_mm"] = float(size_mm)
    return model_from_spec(validate(path, data, ModelFile), path, cache)


def run(args) -> int:
    import time

    from rich.console import Console

    from ..calibration import bind_parameters, without_ligaments
    from ..config import check_loadcase_against, load_loadcase
    from ..errors import ConfigError
    from ..linsolve import SolverSettings
    from ..mesh_cache import MeshCache
    from ..progress import phase_status
    from ..validation import (check_injury, compare, load_reference, load_validation, rom_at_end,
                              run_injuries, solve_directions, summary_stats, write_outputs)

    console = Console(stderr=True)
    cfg = load_validation(args.file)
    ref = load_reference(cfg["reference"])  # bad reference data fails before any solve
    injuries = [] if args.no_injuries else cfg["injuries"]
    for i, inj in enumerate(injuries):
        check_injury(ref, inj, f"{args.file}: [[validation.injuries]] #{i + 1}")
    if args.calibrate and not cfg["calibration"]:
        raise ConfigError(f"{args.file}: --calibrate needs a [validation.calibration] table "
                          "(directions, parameters with range and source)")
    model_path = args.model or cfg["model"]
    size = args.size if args.size is not None else cfg["size_mm"]
    settings = SolverSettings(backend=args.backend, rtol=args.rtol,
                              pardiso_precision=args.precision,
                              memory_check=not args.no_memory_check)
    t0 = time.perf_counter()
    with phase_status(args.quiet, args.verbose) as progress:
        progress("reading", str(model_path))
        model = load_model_sized(model_path, size, MeshCache(args.cache))
        loadcases = {d: load_loadcase(f) for d, f in cfg["loadcases"].items()}
        for lc in loadcases.values():
            check_loadcase_against(model, lc)
        joints = args.joint if args.joint is not None else cfg["joints"]
        # names of removed ligaments and tuned parameters are checked before any solve
        for i, inj in enumerate(injuries):
            without_ligaments(model, inj["remove_ligaments"],
                              f"[[validation.injuries]] #{i + 1}")
        cal = None
        if args.calibrate:
            bind_parameters(model, cfg["calibration"], "[validation.calibration]")
            cal = _calibrate(model, cfg, ref, loadcases, settings, progress, console, args)
            model = cal["model"]
        runs = solve_directions(model, loadcases, settings, progress, joints)
        rows = compare(ref, rom_at_end(runs))
        stats = summary_stats(rows)
        inj_rows = run_injuries(model, injuries, ref, loadcases, runs, settings, progress)
        meta = {"model_file": str(model_path), "size_mm": size, "n_nodes": model.mesh.n_nodes,
                "seconds": time.perf_counter() - t0}
        files = write_outputs(args.out, model.name, runs, rows, stats, ref, meta, inj_rows)
        if cal is not None:
            files += _write_calibration(args, cfg, cal, rows, model_path, loadcases)
    ok = all(r["converged"] for r in runs.values()) and all(r["converged"] for r in inj_rows)
    if not args.quiet:
        console.print((args.out / "comparison.md").read_text())
        if cal is not None:
            console.print((args.out / "calibration.md").read_text())
        console.print(f"{'converged' if ok else '[bold red]NOT CONVERGED[/]'}: "
                      f"{len(runs)} load cases in {meta['seconds']:.0f} s; "
                      f"{len(files)} files in {args.out}")
    return 0 if ok else 3


def _calibrate(model, cfg, ref, loadcases, settings, progress, console, args) -> dict:
    from ..calibration import calibrate

    def log(values, f):
        if not args.quiet:
            console.print("calibration: " + ", ".join(f"{k} = {v:.4g}" for k, v in values.items())
                          + f" -> objective {f:.4g}")

    return calibrate(model, cfg["calibration"], ref, loadcases, settings, progress, log)


def _write_calibration(args, cfg, cal, rows, model_path, loadcases) -> list[Path]:
    import json

    from .. import atomic
    from ..calibration import calibration_markdown, fragment_toml, split_rows

    c = cfg["calibration"]
    held = [d for d in loadcases if d not in c["directions"]]
    cal_rows, held_rows = split_rows(rows, c["directions"], c["series"])
    meta = {"validation_file": str(args.file), "model_file": str(model_path),
            "directions": c["directions"], "held_out": held,
            "objective_initial": cal["objective_initial"],
            "objective_final": cal["objective_final"], "evaluations": len(cal["history"])}
    out = []
    p = args.out / "calibrated.toml"
    # the fragment is built on the model before tuning: it applies the values once
    atomic.write_text(p, fragment_toml(cal["base_model"], cal["parameters"], cal["values"], meta))
    out.append(p)
    p = args.out / "calibration.md"
    atomic.write_text(p, calibration_markdown(cal, cal_rows, held_rows, held))
    out.append(p)
    p = args.out / "calibration.json"
    params = [{k: v for k, v in q.items() if k != "_selected"} | {"selected": q["_selected"]}
              for q in cal["parameters"]]
    atomic.write_text(p, json.dumps({**meta, "values": cal["values"], "parameters": params,
                                     "history": cal["history"], "calibration_rows": cal_rows,
                                     "held_out_rows": held_rows}, indent=1, default=float))
    out.append(p)
    return out
