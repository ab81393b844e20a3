"""Progress display for long phases (rich), silent when quiet or not on a terminal."""

from __future__ import annotations

import contextlib
import time


@contextlib.contextmanager
def phase_status(quiet: bool = False, verbose: bool = False):
    """Yield progress(phase, detail) that shows the current phase and logs finished ones."""
    from rich.console import Console

    console = Console(stderr=True)
    if quiet:
        yield lambda phase, detail="": None
        return
    t0 = time.perf_counter()
    with console.status("starting") as status:
        def progress(phase: str, detail: str = ""):
            status.update(f"[bold]{phase}[/] {detail}")
            if verbose:  # CPU beside wall (a shared machine); CPU counts from process start
                console.log(f"{phase}: {detail}  (+{time.perf_counter() - t0:.1f} s, process "
                            f"CPU {time.process_time():.2f} s)")

        yield progress
        if verbose:
            progress("done")
