"""Run a study: plan, skip what is finished, run the rest (here, in local processes or on a Dask
cluster), then summary.csv, the optional mesh-convergence check, figures and report.html.

Exit status (as the CLI's): 0 every case finished and converged; 1 a case failed (or the report
could not be written); 3 a case did not converge.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FeaError
from . import status as S
from .config import load_study
from .display import StudyDisplay, file_logger
from .executors import run_dask, run_processes, run_serial, threads_per_worker
from .plan import Group, Plan, build_plan
from .provenance import code_version, git_commit
from .record import StudyRecord, totals
from .worker import write_failure
from .workspace import locked, move_stale, remove_leftovers

CONVERGENCE_DIR = ".convergence"


@dataclass
class RunOptions:
    out: Path | None = None
    workers: int = 1  # worker processes; 0 = in this process (debugging, in-process tests)
    scheduler: object = None  # an address, or a distributed Client (tests)
    convergence: bool = False
    quiet: bool = False
    verbose: bool = False
    metric: str = "rom_deg"
    figures: bool | None = None  # None: as the study file says


@dataclass
class StudyOutcome:
    out_dir: Path
    exit_code: int
    rows: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)  # case key -> (status, detail)
    report: Path | None = None
    skipped: list = field(default_factory=list)  # cases found finished on disk
    ran: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    convergence: dict | None = None
    reference: str | None = None


def execution_info(opts: RunOptions) -> dict:
    if opts.scheduler is not None:
        return {"mode": "dask", "scheduler": str(opts.scheduler)}
    if opts.workers >= 1:
        return {"mode": "processes", "workers": opts.workers,
                "threads_per_worker": threads_per_worker(opts.workers)}
    return {"mode": "in-process"}


def run_study(study_path: str | Path, opts: RunOptions) -> StudyOutcome:
    t0 = time.perf_counter()
    study = load_study(study_path)
    out_dir = study.output_dir(opts.out).resolve()
    if opts.workers < 0:
        raise FeaError(f"--workers must be 0 (in this process) or more, got {opts.workers}")
    plan = build_plan(study, out_dir)
    plan.out_root = out_dir
    with locked(out_dir):
        log = file_logger(out_dir)
        with StudyDisplay(log, opts.quiet, opts.verbose) as ui:
            return _run_locked(plan, opts, ui, t0)


def _run_locked(plan: Plan, opts: RunOptions, ui: StudyDisplay, t0: float) -> StudyOutcome:
    out_dir = plan.out_dir
    study = plan.study
    jobs = plan.jobs
    ui.log.info("=" * 20 + f" study {study.name} from {study.path} " + "=" * 20)
    ui.log.info("code %s, %s", code_version()["source_sha"], git_commit())
    ui.info(f"study [bold]{study.name}[/]: {len(plan.groups)} variant(s) x "
            f"{len(plan.loadcases)} load case(s) = {len(jobs)} case(s) -> {out_dir}")
    for note in plan.notes:
        ui.info(f"note: {note}")
    for p in remove_leftovers(out_dir):
        ui.log.info("removed a killed run's leftover %s", p)
    keep = {(j.variant, j.loadcase) for j in jobs}
    for m in move_stale(out_dir, keep):
        ui.warn(f"{m} is not a case of this study; moved to {out_dir / '.superseded'}")
    record = StudyRecord(plan, execution_info(opts))
    outcome = StudyOutcome(out_dir, 0, reference=(plan.reference or {}).get("variant"))
    to_run = _resume(plan, record, ui, outcome)
    _refuse_foreign(to_run)
    record.write()
    try:
        _execute(plan, to_run, opts, ui, record, f"study {study.name}")
    except KeyboardInterrupt:
        record.write(status="interrupted")
        raise
    outcome.statuses = {j.key: S.case_status(j.case_dir, j.input_hash) for j in jobs}
    for key, (st, detail) in outcome.statuses.items():
        record.case(key, status=st, error=detail if st != S.DONE else None)
    from .summary import study_summary

    t = time.perf_counter()
    outcome.rows = study_summary(plan, outcome.statuses)
    summary_s = time.perf_counter() - t
    if opts.convergence:
        outcome.convergence = _convergence(plan, opts, ui, record, outcome.rows)
        record.data["convergence"] = outcome.convergence
    record.write()
    figures = study.spec.study.figures if opts.figures is None else opts.figures
    t = time.perf_counter()
    report_ok = _report(out_dir, figures, ui, outcome)
    report_s = time.perf_counter() - t
    outcome.exit_code = exit_code(outcome.statuses, report_ok)
    outcome.timings = {**totals(record.data), "summary_s": summary_s,
                       "figures_report_s": report_s, "total_s": time.perf_counter() - t0}
    counts = _counts(outcome.statuses)
    record.write(status="complete" if outcome.exit_code == 0 else "finished with problems",
                 finished=_now(), wall_s=outcome.timings["total_s"],
                 timings_s=outcome.timings, counts=counts)
    ui.info(f"{counts['done']} done, {counts['not_converged']} not converged, "
            f"{counts['failed']} failed ({len(outcome.skipped)} already finished, "
            f"{len(outcome.ran)} run) in {outcome.timings['total_s']:.1f} s", console=False)
    return outcome


def _now() -> str:
    from .record import _now as now

    return now()


def _resume(plan: Plan, record: StudyRecord, ui: StudyDisplay, outcome: StudyOutcome) -> list:
    to_run = []
    for j in plan.jobs:
        st, detail = S.case_status(j.case_dir, j.input_hash)
        if S.is_finished(st):
            outcome.skipped.append(j.key)
            record.case(j.key, status=st)
            record.reuse_previous(j.key)
            continue
        if st == S.CHANGED:
            ui.log.info("%s: %s; solving it again", j.key, detail)
        to_run.append(j)
    outcome.ran = [j.key for j in to_run]
    if outcome.skipped:
        ui.info(f"{len(outcome.skipped)} case(s) already finished with the same inputs (kept); "
                f"{len(to_run)} to run")
    return to_run


def _refuse_foreign(to_run: list) -> None:
    """Before anything runs: a case folder to be replaced must hold only the tool's files."""
    from .. import manifest

    bad = [f"{j.key}: {manifest.describe(f, 4)}" for j in to_run
           if (f := manifest.foreign(Path(j.case_dir)))]
    if bad:
        raise FeaError("case folders to be written again hold files this tool did not write ("
                       + "; ".join(bad) + "); a re-run replaces only the tool's own files (listed "
                       "in each folder's manifest.json) and never deletes others: move them "
                       "elsewhere, or give the study another --out")


def exit_code(statuses: dict, report_ok: bool = True) -> int:
    kinds = {st for st, _ in statuses.values()}
    if kinds & {S.FAILED, S.MISSING, S.CHANGED} or not report_ok:
        return 1
    if S.NOT_CONVERGED in kinds:
        return 3
    return 0


def _counts(statuses: dict) -> dict:
    c = {"total": len(statuses), "done": 0, "not_converged": 0, "failed": 0}
    for st, _ in statuses.values():
        c["done" if st == S.DONE else "not_converged" if st == S.NOT_CONVERGED else "failed"] += 1
    return c


# ---------------------------------------------------------------- running the groups
def _task(plan: Plan, g: Group, jobs: list) -> dict:
    return {
        "variant": g.variant, "model_file": g.model_file, "spec": g.spec, "error": g.error,
        "jobs": [{"key": j.key, "loadcase": j.loadcase, "loadcase_file": j.loadcase_file,
                  "case_dir": j.case_dir, "input_hash": j.input_hash} for j in jobs],
        "solver": plan.solver, "contact": plan.contact, "thresholds": plan.thresholds,
        "mesh_cache": str(mesh_cache_dir(plan)),
        "provenance": {"study": plan.study.name, "model": g.model_label,
                       "model_variant": g.base_variant, "grid": g.point, "state": g.state,
                       "model_hash": g.model_hash, "code": code_version()["source_sha"]},
    }


def mesh_cache_dir(plan: Plan) -> Path:
    """The study file's mesh_cache, else .mesh-cache beside the study's results folder (shared
    by the studies written there, e.g. results/.mesh-cache)."""
    s = plan.study.spec.study
    if s.mesh_cache:
        return plan.study.resolve(s.mesh_cache)
    return plan.study.output_dir(plan.out_root).resolve().parent / ".mesh-cache"


def _dispatch(kind, tasks, opts: RunOptions, on_event, on_result) -> None:
    if opts.scheduler is not None:
        run_dask(kind, tasks, opts.scheduler, on_event, on_result)
    elif opts.workers >= 1:
        run_processes(kind, tasks, opts.workers, on_event, on_result)
    else:
        run_serial(kind, tasks, on_event, on_result)


def _execute(plan: Plan, to_run: list, opts: RunOptions, ui: StudyDisplay,
             record: StudyRecord, label: str) -> None:
    by_variant: dict[str, list] = {}
    for j in to_run:
        by_variant.setdefault(j.variant, []).append(j)
    groups = [g for g in plan.groups if g.variant in by_variant]
    tasks = [_task(plan, g, by_variant[g.variant]) for g in groups]
    if not tasks:
        return
    parallel = opts.scheduler is not None or opts.workers > 1
    if parallel:
        _warm_mesh_cache(plan, groups, opts, ui, record)
    ended: set[str] = set()

    def on_event(ev: dict) -> None:
        if ev.get("kind") in ("case_done", "case_failed"):
            if ev["job"] in ended:
                return
            ended.add(ev["job"])
            record.case(ev["job"], solved=record.data["started"],
                        timings=ev.get("timings"), status=ev.get("status", "failed"),
                        error=ev.get("error"))
        ui.event(ev)

    def on_result(task: dict, out: dict | None, err: str | None) -> None:
        v = task["variant"]
        if out is not None:
            record.data["groups"][v] = {"timings": out.get("timings"),
                                        "peak_rss_mb": out.get("peak_rss_mb"),
                                        "numba_threads": out.get("numba_threads"),
                                        "pid": out.get("pid")}
            for o in out["outcomes"]:  # events may trail the result: the outcome is authoritative
                kind = "case_failed" if o["status"] == "failed" else "case_done"
                on_event({"kind": kind, "job": o["key"], **o})
        else:
            ui.error(f"{v}: {err}")
            for job in task["jobs"]:
                if job["key"] not in ended:
                    try:
                        write_failure(job, f"{v}: {err}", "")
                    except (OSError, FeaError):  # FeaError: the folder holds a user's files
                        pass
                    on_event({"kind": "case_failed", "job": job["key"], "error": f"{v}: {err}"})
        record.write()

    ui.start(label, len(to_run))
    _dispatch("group", tasks, opts, on_event, on_result)


def _warm_mesh_cache(plan, groups, opts, ui, record) -> None:
    """Mesh each distinct geometry once, in parallel, before the groups that share it run."""
    seen, tasks = set(), []
    for g in groups:
        if g.error or not g.spec or not g.spec["mesh"].get("builder"):
            continue
        m = g.spec["mesh"]
        key = (g.model_file, m["builder"], repr(m.get("params")), m.get("size_mm"),
               m.get("element_order"))
        if key not in seen:
            seen.add(key)
            tasks.append(_task(plan, g, []))
    if len(tasks) < 2:
        return  # one geometry: the first group meshes it, the others find it in the cache
    ui.info(f"meshing {len(tasks)} distinct geometries", console=False)

    def on_result(task, out, err):
        if err:  # the group reports the same error for each of its cases
            ui.log.warning("meshing %s failed: %s", task["variant"], err)
        else:
            record.data.setdefault("meshing", {})[task["variant"]] = out.get("timings")

    _dispatch("mesh", tasks, opts, lambda ev: None, on_result)


# ---------------------------------------------------------------- after the cases
def _report(out_dir: Path, figures: bool, ui: StudyDisplay, outcome: StudyOutcome) -> bool:
    from ..report import write_report

    try:
        outcome.report = write_report(out_dir, with_figures=figures)
        return True
    except Exception as exc:  # noqa: BLE001 - figures need a renderer; the tables do not
        if not figures:
            ui.error(f"report.html could not be written: {exc}")
            return False
        ui.warn(f"figures failed ({type(exc).__name__}: {exc}); writing the report without them")
        ui.log.exception("figures")
    try:
        outcome.report = write_report(out_dir, with_figures=False)
        return True
    except Exception as exc:  # noqa: BLE001
        ui.error(f"report.html could not be written: {exc}")
        return False


def _convergence(plan: Plan, opts: RunOptions, ui: StudyDisplay, record: StudyRecord,
                 coarse_rows: list) -> dict:
    from .convergence import compare_runs, write_convergence

    cfg = plan.study.spec.convergence
    fine_dir = plan.out_dir / CONVERGENCE_DIR
    fine = build_plan(plan.study, fine_dir, size_factor=cfg.size_factor)
    fine.out_root = plan.out_root
    fine.groups = [g for g in fine.groups if g.size_mm is not None or g.error]
    skipped = sorted({g.variant for g in plan.groups} - {g.variant for g in fine.groups})
    fine_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(fine_dir)
    move_stale(fine_dir, {(j.variant, j.loadcase) for j in fine.jobs})
    fine_record = StudyRecord(fine, execution_info(opts))
    fine_record.write()  # thresholds and ROM reference for the fine table
    to_run = [j for j in fine.jobs if not S.is_finished(S.case_status(j.case_dir,
                                                                       j.input_hash)[0])]
    ui.info(f"mesh convergence: {len(fine.jobs)} case(s) at {cfg.size_factor:g} x the element "
            f"size ({len(fine.jobs) - len(to_run)} already finished)")
    _execute(fine, to_run, opts, ui, fine_record, "convergence (finer mesh)")
    statuses = {j.key: S.case_status(j.case_dir, j.input_hash) for j in fine.jobs}
    for key, (st, detail) in statuses.items():
        fine_record.case(key, status=st, error=detail if st != S.DONE else None)
    fine_record.write(status="complete")
    from .summary import study_summary

    fine_rows = study_summary(fine, statuses)
    result = compare_runs(coarse_rows, fine_rows, cfg.threshold_pct)
    path = write_convergence(plan.out_dir, result)
    info = {"file": path.name, "fine_results": str(fine_dir), "size_factor": cfg.size_factor,
            "threshold_pct": cfg.threshold_pct, "n_compared": result["n_compared"],
            "n_flagged": len(result["flagged"]), "flagged": result["flagged"][:20],
            "not_refinable": skipped, "not_compared": result["not_compared"]}
    if result["flagged"]:
        ui.warn(f"mesh convergence: {len(result['flagged'])} metric(s) change by more than "
                f"{cfg.threshold_pct:g} % on the finer mesh; see {path}")
    else:
        ui.info(f"mesh convergence: every metric within {cfg.threshold_pct:g} % ({path})")
    return info
