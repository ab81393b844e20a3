"""Run one group (a variant in one interface state) wherever it lands: this process, a local worker
process or a Dask worker. Mesh once (through the mesh cache), assemble and set up once, then each
of its load cases; each case folder is written atomically with its input hash as soon as it is
solved, so a killed study keeps every case it finished.

A failing case is recorded (error.txt + failed.json in its folder, never summary.json) and the
group goes on with its next load case; a group whose model cannot be built fails all its cases.
"""

from __future__ import annotations

import gc
import resource
import time
import traceback
from pathlib import Path

FAILED_FILE = "failed.json"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def _error_text(exc: BaseException) -> str:
    from ..errors import FeaError

    if isinstance(exc, FeaError):
        return str(exc)
    return f"{type(exc).__name__}: {exc} (an internal error: please report it with the log)"


def write_failure(job: dict, error: str, tb: str) -> None:
    """A case folder that says why it failed; without summary.json it never looks finished."""
    from .. import atomic

    with atomic.staged_dir(job["case_dir"]) as stage:
        atomic.write_text(stage / "error.txt", error + "\n")
        atomic.write_json(stage / FAILED_FILE, {"error": error, "traceback": tb,
                                                "input_hash": job["input_hash"]})


def _fail(job, err: str, tb: str, emit, outcomes, where: str) -> None:
    from ..errors import FeaError

    try:
        write_failure(job, err, tb)
    except (OSError, FeaError) as wexc:  # FeaError: the folder holds a user's files; the error
        # still reaches the console, log and study.json
        err += f" (and its folder could not be written: {wexc})"
    emit({"kind": "case_failed", "job": job["key"], "error": err, "traceback": tb,
          "where": where})
    outcomes.append({"key": job["key"], "status": "failed", "error": err, "traceback": tb})


def run_group(task: dict, emit=lambda event: None) -> dict:
    """task: variant, model_file, spec, error, jobs [{key, loadcase, loadcase_file, case_dir,
    input_hash}], solver, contact, thresholds, mesh_cache, provenance. Returns
    {"variant", "outcomes": [...], "timings": {...}, "peak_rss_mb"}."""
    outcomes: list[dict] = []
    timings: dict[str, float] = {}
    jobs = task["jobs"]
    variant = task["variant"]
    emit({"kind": "group_start", "variant": variant, "n_jobs": len(jobs)})
    if task.get("error"):
        for job in jobs:
            _fail(job, task["error"], "", emit, outcomes, "model")
        return {"variant": variant, "outcomes": outcomes, "timings": timings,
                "peak_rss_mb": _peak_rss_mb()}
    current = {"job": None}

    def progress(phase: str, detail: str = "") -> None:
        emit({"kind": "phase", "variant": variant, "job": current["job"], "phase": phase,
              "detail": detail})

    try:
        model, analysis = _set_up(task, progress, timings)
    except Exception as exc:  # noqa: BLE001 - every case of the group fails with this reason
        for job in jobs:
            _fail(job, _error_text(exc), traceback.format_exc(), emit, outcomes, "set-up")
        return {"variant": variant, "outcomes": outcomes, "timings": timings,
                "peak_rss_mb": _peak_rss_mb()}
    try:
        _run_cases(task, jobs, model, analysis, progress, current, emit, outcomes)
    finally:
        del model, analysis
        gc.collect()  # the assembled model and its factors go before the next variant's
    return {"variant": variant, "outcomes": outcomes, "timings": timings,
            "peak_rss_mb": _peak_rss_mb()}


def _run_cases(task, jobs, model, analysis, progress, current, emit, outcomes) -> None:
    for job in jobs:
        current["job"] = job["key"]
        emit({"kind": "case_start", "job": job["key"]})
        try:
            outcomes.append(_run_case(task, job, model, analysis, progress))
            emit({"kind": "case_done", "job": job["key"], **outcomes[-1]})
        except Exception as exc:  # noqa: BLE001 - one case failing must not stop the others
            _fail(job, _error_text(exc), traceback.format_exc(), emit, outcomes, "solve")


def _set_up(task: dict, progress, timings: dict):
    from ..config import ModelFile, model_from_spec
    from ..contact.term import ContactSettings
    from ..linsolve import SolverSettings
    from ..mesh_cache import MeshCache
    from ..solve_case import make_analysis

    t = time.perf_counter()
    progress("meshing", task["variant"])
    spec = ModelFile.model_validate(task["spec"])
    cache = MeshCache(task["mesh_cache"]) if task.get("mesh_cache") else None
    model = model_from_spec(spec, Path(task["model_file"]), cache)
    timings["mesh_s"] = time.perf_counter() - t
    timings["mesh_cache_hit"] = float(bool(cache and cache.stats["hits"]))
    t = time.perf_counter()
    settings = SolverSettings(**task["solver"])
    contact = ContactSettings(**task["contact"])  # the Newton driver's settings, if it runs
    analysis = make_analysis(model, settings, progress, contact)
    timings["setup_s"] = time.perf_counter() - t  # assembly (+ interface pairing)
    timings["n_dof"] = float(model.n_full)
    timings["n_elements"] = float(model.mesh.n_cells)
    return model, analysis


def _run_case(task: dict, job: dict, model, analysis, progress) -> dict:
    from ..config import check_loadcase_against, load_loadcase
    from ..metrics.thresholds import Thresholds
    from ..results import write_case
    from ..solve_case import case_metrics_hook, solve_case

    lc = load_loadcase(job["loadcase_file"])
    check_loadcase_against(model, lc)
    t = time.perf_counter()
    before = dict(analysis.timings)
    case = solve_case(model, lc, analysis.settings, progress, analysis=analysis)
    solve_s = time.perf_counter() - t
    progress("writing", job["case_dir"])
    t = time.perf_counter()
    th = Thresholds.from_dict(task.get("thresholds"))
    prov = dict(task.get("provenance") or {}, input_hash=job["input_hash"],
                variant=task["variant"], loadcase=job["loadcase"])
    summary = write_case(case.result, job["case_dir"], case.writers,
                         {**case.extra, "provenance": prov}, case_metrics_hook(case, th))
    write_s = time.perf_counter() - t
    # the constraint and preconditioner set-up runs inside the first solve of each constraint set
    setup_in_solve = analysis.timings.get("constraints_setup_s", 0.0) - \
        before.get("constraints_setup_s", 0.0)
    return {"key": job["key"], "status": "done" if summary["converged"] else "not_converged",
            "converged": bool(summary["converged"]),
            "error": summary.get("not_converged"),
            "timings": {"solve_s": solve_s, "write_s": write_s,
                        "constraints_setup_s": setup_in_solve}}


def mesh_only(task: dict) -> dict:
    """Build the group's mesh into the mesh cache (run before the groups when they run in
    parallel, so that variants sharing a geometry do not mesh it at the same time)."""
    from ..config import ModelFile, build_mesh
    from ..mesh_cache import MeshCache

    t = time.perf_counter()
    spec = ModelFile.model_validate(task["spec"])
    cache = MeshCache(task["mesh_cache"])
    build_mesh(spec.mesh, Path(task["model_file"]), cache)
    return {"variant": task["variant"], "timings": {"mesh_s": time.perf_counter() - t},
            "mesh_cache": dict(cache.stats), "peak_rss_mb": _peak_rss_mb()}
