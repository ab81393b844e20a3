"""Progress bars and the study log.

The log file (results/<study>/study.log, appended per run) gets everything, tracebacks included.
The console (stderr) gets a bar for the study (cases done / total, ETA), one row per running
variant (its case and phase: meshing, assembly, step/increment), one line per finished case, and
the errors. --quiet keeps only errors; --verbose adds every phase as a line.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from rich.markup import escape

LOG_NAME = "study.log"


def _plain(markup: str) -> str:
    """The text of a rich-markup message (the log file gets no colour codes)."""
    from rich.text import Text

    try:
        return Text.from_markup(markup).plain
    except Exception:  # noqa: BLE001 - a message with stray brackets is logged as written
        return markup


def file_logger(out_dir: Path) -> logging.Logger:
    log = logging.getLogger(f"fea.study.{out_dir.resolve()}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    fh = logging.FileHandler(out_dir / LOG_NAME, mode="a", encoding="utf-8")
    fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    log.addHandler(fh)
    return log


class StudyDisplay:
    def __init__(self, log: logging.Logger, quiet: bool = False, verbose: bool = False):
        from rich.console import Console

        self.log = log
        self.quiet = quiet
        self.verbose = verbose
        self.console = Console(stderr=True)
        self.progress = None
        self.study_task = None
        self.rows: dict[str, int] = {}  # variant -> progress row
        self.started: dict[str, float] = {}  # case key -> start time

    # ---- lifetime
    def __enter__(self):
        if not self.quiet:
            from rich.progress import (
                BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                TimeElapsedColumn, TimeRemainingColumn,
            )

            self.progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                TimeRemainingColumn(), TextColumn("[dim]{task.fields[detail]}"),
                console=self.console, transient=False)
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            for row in self.rows.values():
                self.progress.remove_task(row)
            self.rows.clear()
            self.progress.__exit__(*exc)
            self.progress = None

    def start(self, label: str, total: int) -> None:
        if self.progress is not None:
            self.study_task = self.progress.add_task(f"[bold]{label}", total=total, detail="")

    # ---- messages
    def _print(self, text: str) -> None:
        (self.progress.console if self.progress else self.console).print(text, highlight=False)

    def info(self, msg: str, console: bool = True) -> None:
        self.log.info(_plain(msg))
        if console and not self.quiet:
            self._print(msg)

    def warn(self, msg: str) -> None:
        self.log.warning(msg)
        if not self.quiet:
            self._print(f"[yellow]warning:[/] {escape(msg)}")

    def error(self, msg: str, tb: str = "") -> None:
        self.log.error(msg + (f"\n{tb}" if tb else ""))
        self._print(f"[bold red]failed:[/] {escape(msg)}")

    # ---- events from the workers
    def event(self, ev: dict) -> None:
        kind = ev.get("kind")
        if kind == "group_start":
            self.log.info("%s: started (%d case(s))", ev["variant"], ev["n_jobs"])
            if self.progress is not None:
                self.rows[ev["variant"]] = self.progress.add_task(
                    f"  {ev['variant']}", total=ev["n_jobs"], detail="")
        elif kind == "phase":
            self.log.debug("%s: %s %s", ev.get("job") or ev["variant"], ev["phase"],
                           ev.get("detail", ""))
            if self.verbose:
                self._print(escape(f"{ev.get('job') or ev['variant']}: {ev['phase']} "
                                   f"{ev.get('detail', '')}"))
            row = self.rows.get(ev["variant"])
            if row is not None:
                what = ev["job"].split("/", 1)[1] if ev.get("job") else ""
                self.progress.update(row, detail=f"{what} {ev['phase']} {ev.get('detail', '')}")
        elif kind == "case_start":
            self.started[ev["job"]] = time.perf_counter()
            self.log.info("%s: solving", ev["job"])
        elif kind in ("case_done", "case_failed"):
            self._case_end(ev)

    def _case_end(self, ev: dict) -> None:
        key = ev["job"]
        dt = time.perf_counter() - self.started.pop(key, time.perf_counter())
        if ev["kind"] == "case_failed":
            self.error(f"{key}: {ev['error']}", ev.get("traceback", ""))
        elif ev.get("converged"):
            self.info(f"[green]done[/] {key} ({dt:.1f} s)")
        else:
            self.log.warning("%s: NOT CONVERGED: %s", key, ev.get("error"))
            self._print(f"[bold red]NOT CONVERGED[/] {key}: {escape(str(ev.get('error')))}")
        self.advance(key.split("/", 1)[0])

    def advance(self, variant: str) -> None:
        if self.progress is None:
            return
        if self.study_task is not None:
            self.progress.advance(self.study_task)
        row = self.rows.get(variant)
        if row is not None:
            self.progress.advance(row)
            if self.progress.tasks[self._index(row)].finished:
                self.progress.remove_task(row)
                del self.rows[variant]

    def _index(self, task_id: int) -> int:
        return next(i for i, t in enumerate(self.progress.tasks) if t.id == task_id)
