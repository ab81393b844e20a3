"""Where groups run: this process, local worker processes, or an existing Dask cluster.

Every executor calls `on_event(event)` for progress/log events as they happen and
`on_result(task, result_or_None, error_or_None)` once per task. What a case produced is read back
from its folder afterwards (fea.study.status), so a result never depends on which executor ran it.

This module is imported by every spawned worker before it runs anything: it must not import numpy
or numba at module level, or the thread limits set in `_init_worker` would come too late.
"""

from __future__ import annotations

import os
import queue as queue_mod
import sys
import time
import uuid

# every threaded library a case touches: numba kernels, BLAS under scipy, OpenMP
THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_EVENTS = None  # the worker's event queue (set by _init_worker)


def threads_per_worker(workers: int, cpus: int | None = None) -> int:
    """Cores / workers (at least 1): N workers never run more threads than there are cores."""
    return max(1, (cpus or os.cpu_count() or 1) // max(1, workers))


# ---------------------------------------------------------------- task bodies (run in workers)
def _init_worker(threads: int, events) -> None:
    global _EVENTS
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
    _EVENTS = events
    _die_with_parent()


def _die_with_parent() -> None:
    """A study killed (even by SIGKILL) must not leave workers writing into its results folder
    while the next run resumes it: Linux kills this process when its parent dies."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers end when they next talk to the parent
        pass


def _numba_threads() -> int:
    import numba

    return int(numba.get_num_threads())


def _process_task(kind: str, task: dict) -> dict:
    from .worker import mesh_only, run_group

    emit = _EVENTS.put if _EVENTS is not None else (lambda e: None)
    out = mesh_only(task) if kind == "mesh" else run_group(task, emit)
    out["numba_threads"] = _numba_threads()
    out["pid"] = os.getpid()
    return out


def _dask_task(kind: str, task: dict, queue_name: str, threads: int) -> dict:
    import numba
    from distributed import Queue

    from .worker import mesh_only, run_group

    # a Dask worker's processes were started by someone else: limit this task's threads here
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    q = Queue(queue_name)
    out = mesh_only(task) if kind == "mesh" else run_group(task, q.put)
    out["numba_threads"] = _numba_threads()
    out["pid"] = os.getpid()
    return out


# ---------------------------------------------------------------- executors (the client side)
def run_serial(kind: str, tasks: list[dict], on_event, on_result) -> None:
    from .worker import mesh_only, run_group

    for task in tasks:
        try:
            out = mesh_only(task) if kind == "mesh" else run_group(task, on_event)
        except Exception as exc:  # noqa: BLE001 - reported per task, the study goes on
            on_result(task, None, f"{type(exc).__name__}: {exc}")
            continue
        out["numba_threads"] = _numba_threads()
        out["pid"] = os.getpid()
        on_result(task, out, None)


def run_processes(kind: str, tasks: list[dict], workers: int, on_event, on_result) -> None:
    """Local worker processes (spawned: a clean interpreter with the thread limits set first),
    one per variant: memory a solve leaves behind goes back to the system, and a crash in native
    code (gmsh, a solver library) fails that variant only. A worker that dies (killed, out of
    memory) fails the group it was running; groups that had not started are resubmitted."""
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("spawn")
    threads = threads_per_worker(workers)
    pending = list(tasks)
    retries: dict[str, int] = {}
    while pending:
        events = ctx.Queue()
        started: set[str] = set()

        def drain():
            while True:
                try:
                    ev = events.get_nowait()
                except (queue_mod.Empty, OSError, EOFError):
                    return
                if ev.get("kind") == "group_start":
                    started.add(ev["variant"])
                on_event(ev)

        # a fresh process per variant: whatever a variant's solve leaves allocated (native
        # solver factors included) is returned to the system before the next one starts
        fresh = {"max_tasks_per_child": 1} if sys.version_info >= (3, 11) else {}
        pool = ProcessPoolExecutor(min(workers, len(pending)), mp_context=ctx,
                                   initializer=_init_worker, initargs=(threads, events), **fresh)
        try:
            futures = {pool.submit(_process_task, kind, t): t for t in pending}
            pending = []
            while futures:
                done, _ = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
                drain()
                for f in done:
                    task = futures.pop(f)
                    try:
                        on_result(task, f.result(), None)
                    except BrokenProcessPool:
                        retry = task["variant"] not in started and \
                            retries.get(task["variant"], 0) < 1
                        if retry:  # never ran (another worker died): once more, fresh pool
                            retries[task["variant"]] = retries.get(task["variant"], 0) + 1
                            pending.append(task)
                        else:
                            on_result(task, None, "its worker process died (killed or out of "
                                      "memory); see the log")
                    except Exception as exc:  # noqa: BLE001
                        on_result(task, None, f"{type(exc).__name__}: {exc}")
            drain()
        except BaseException:
            # interrupted: do not wait minutes for running cases; their folders stay unfinished
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        events.close()


def run_dask(kind: str, tasks: list[dict], address, on_event, on_result) -> None:
    """Submit to a Dask distributed scheduler (an address, or a Client/LocalCluster object in
    tests). Workers write case folders themselves: the output folder must be on a file system
    they share with this machine."""
    from distributed import Client, Queue

    client = address if isinstance(address, Client) else Client(address)
    try:
        threads = _dask_threads(client)
        name = f"spinefea-{uuid.uuid4().hex}"
        q = Queue(name, client=client)
        futures = {client.submit(_dask_task, kind, t, name, threads, pure=False,
                                 key=f"{kind}-{i}-{uuid.uuid4().hex[:8]}"): t
                   for i, t in enumerate(tasks)}

        def drain():
            try:
                for ev in q.get(batch=True):
                    on_event(ev)
            except Exception:  # noqa: BLE001 - progress is best effort; results come below
                pass

        while futures:
            done = [f for f in futures if f.done()]
            drain()
            for f in done:
                task = futures.pop(f)
                try:
                    on_result(task, f.result(), None)
                except Exception as exc:  # noqa: BLE001 - a killed worker, a failed import, ...
                    on_result(task, None, f"{type(exc).__name__}: {exc}")
            if not done:
                time.sleep(0.2)
        drain()
    finally:
        if client is not address:
            client.close()


def _dask_threads(client) -> int:
    """Threads per task: each host's cores over the task slots (worker threads) on it."""
    info = client.scheduler_info(n_workers=-1)["workers"] if _accepts_n_workers(client) \
        else client.scheduler_info()["workers"]
    cores = client.run(os.cpu_count)
    slots: dict[str, int] = {}
    host_cores: dict[str, int] = {}
    for addr, w in info.items():
        host = w.get("host", addr)
        slots[host] = slots.get(host, 0) + int(w.get("nthreads", 1))
        host_cores[host] = int(cores.get(addr) or 1)
    if not slots:
        return 1
    return min(threads_per_worker(slots[h], host_cores[h]) for h in slots)


def _accepts_n_workers(client) -> bool:
    import inspect

    return "n_workers" in inspect.signature(client.scheduler_info).parameters
