"""Measuring on a shared machine: machine state, timed child processes, README sections.

The benchmark machine has 2 cores and is shared with other jobs (load average often 4-8), so a
wall time alone says little. Every measurement here therefore carries the process CPU time (which
does not grow with the load, unless threads spin) and the 1-minute load average before, during
and after the run. Heavy runs go in their own child process so that the peak resident set is that
run's alone (os.wait4 returns the same figure /usr/bin/time -v prints), and a memory cap kills a
child before it pushes the shared machine into swapping or wakes the OOM killer for someone else.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "bench" / "README.md"
OUT = ROOT / "bench" / "out"  # git-ignored: decks, meshes, raw JSON of every run


def load1() -> float:
    return os.getloadavg()[0]


def _git(*args) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def committed_code() -> str:
    """Run the benchmarks on the committed library, not on the shared working tree (other
    sessions edit fea/ while we measure): export HEAD's fea/ and run_sim.py into
    bench/out/src/<commit>/, put it first on sys.path and on the PYTHONPATH of every child.
    Call before importing fea. Returns the commit: the last one that changed the library (a
    child process reuses its parent's snapshot)."""
    if os.environ.get("BENCH_SRC"):
        sys.path.insert(0, os.environ["BENCH_SRC"])
        return os.environ["BENCH_COMMIT"]
    commit = _git("log", "-1", "--format=%h", "--abbrev=12", "--", "fea", "run_sim.py")
    src = OUT / "src" / commit
    if not (src / "fea" / "__init__.py").exists():
        tmp = OUT / "src" / f".{commit}-{os.getpid()}"
        tmp.mkdir(parents=True, exist_ok=True)
        tar = subprocess.run(["git", "archive", commit, "fea", "run_sim.py"], cwd=ROOT,
                             capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=tar, check=True)
        try:
            tmp.rename(src)
        except OSError:  # another run exported it meanwhile
            pass
    _compile(src)
    sys.path.insert(0, str(src))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(src), str(ROOT / "bench")] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    os.environ["BENCH_COMMIT"] = commit
    os.environ["BENCH_SRC"] = str(src)
    return commit


def _compile(src: Path) -> None:
    """Byte-compile the snapshot once, as an installed package is (pip compiles at install, and
    Python writes the .pyc on a first import): with PYTHONDONTWRITEBYTECODE set, as on the
    benchmark machine, every measured child would otherwise compile fea's ~100 modules from source
    again, 0.1 s of CPU that no user pays (issue 18). compileall writes whatever that variable
    says and skips what is up to date."""
    import compileall

    compileall.compile_dir(str(src / "fea"), quiet=1)


def code_root() -> Path:
    """Where the library being measured lives (the committed snapshot, else the tree)."""
    return Path(os.environ.get("BENCH_SRC", ROOT))


def machine() -> dict:
    """What the numbers depend on: cores, memory, the load right now, the code version."""
    vm = psutil.virtual_memory()
    commit = os.environ.get("BENCH_COMMIT")
    if commit:
        commit += " (committed snapshot)"
    else:
        commit = _git("rev-parse", "--short=12", "HEAD") or "?"
        if _git("status", "--porcelain", "--untracked-files=no", "--", "fea"):
            commit += " (+ uncommitted changes to fea/ in the shared tree)"
    return {
        "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "memory_GB": round(vm.total / 2**30, 1),
        "available_GB": round(vm.available / 2**30, 1),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "cpu": _cpu_name(),
        "python": platform.python_version(),
        "commit": commit,
    }


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def machine_line(m: dict, end: dict | None = None) -> str:
    load = f"load average {m['load_avg'][0]:.1f} (1 min) at the start"
    if end:
        load += f", {end['load_avg'][0]:.1f} at the end"
    return (f"{m['date']}, {m['cpu']}, {m['cores']} cores, {m['memory_GB']} GB "
            f"({m['available_GB']} GB free at the start), {load}. The machine is shared with "
            f"other jobs: wall times are upper bounds, CPU times are given beside them. "
            f"Code {m['commit']}")


# ---------------------------------------------------------------- in-process timing
@dataclass
class Timing:
    wall_s: float
    cpu_s: float  # time.process_time: every thread of this process (numba, MKL, BLAS)
    load: float  # 1-min load average after the run
    runs: int = 1
    all_wall_s: list = field(default_factory=list)


def best_of(fn, n: int = 3) -> tuple[Timing, object]:
    """Run fn() n times; the fastest wall time (least disturbed by other jobs) and its CPU time."""
    best, walls, out = None, [], None
    for _ in range(n):
        c, t = time.process_time(), time.perf_counter()
        out = fn()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        walls.append(round(wall, 4))
        if best is None or wall < best.wall_s:
            best = Timing(wall, cpu, load1())
    best.runs, best.all_wall_s = n, walls
    return best, out


# ---------------------------------------------------------------- child processes
@dataclass
class ChildRun:
    cmd: list
    wall_s: float
    cpu_s: float  # user + system of the child and everything it waited for
    peak_rss_mb: float  # ru_maxrss of the child (what /usr/bin/time -v reports)
    load_start: float
    load_end: float
    load_max: float  # highest 1-min load average seen while it ran
    returncode: int
    stopped: str = ""  # why we stopped it (memory cap, time limit), empty if it finished
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.stopped

    def as_dict(self) -> dict:
        d = asdict(self)
        d["stdout"], d["stderr"] = d["stdout"][-4000:], d["stderr"][-4000:]
        return d


def _tree_rss(proc: psutil.Process) -> int:
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _stop_tree(proc: psutil.Process) -> None:
    """Kill the child we started and its descendants, each by its own id."""
    try:
        kids = proc.children(recursive=True)
    except psutil.Error:
        kids = []
    for p in [proc] + kids:
        try:
            p.kill()
        except psutil.Error:
            pass


def run_child(cmd: list, env: dict | None = None, cwd: Path | None = None,
              mem_cap_gb: float = 12.0, timeout_s: float = 7200.0, log_dir: Path | None = None
              ) -> ChildRun:
    """Run cmd to completion; measure wall, CPU and peak RSS; stop it above mem_cap_gb or
    timeout_s (reported in .stopped, not raised). Output goes to files (no pipe to fill up)."""
    log_dir = Path(log_dir or OUT / "logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    tag = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(str(cmd[1] if len(cmd) > 1 else cmd[0])).name)
    stamp = f"{tag}-{os.getpid()}-{time.monotonic_ns()}"
    out_f, err_f = log_dir / f"{stamp}.out", log_dir / f"{stamp}.err"
    load_start = load_max = load1()
    t = time.perf_counter()
    with open(out_f, "w") as so, open(err_f, "w") as se:
        popen = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=so, stderr=se)
    proc = psutil.Process(popen.pid)
    stopped, status, ru = "", 0, None
    while True:
        # wait4 with WNOHANG: reaps the child ourselves so its rusage is not lost to Popen.poll
        pid, status, ru = os.wait4(popen.pid, os.WNOHANG)
        if pid:
            break
        load_max = max(load_max, load1())
        rss = _tree_rss(proc)
        if not stopped and rss > mem_cap_gb * 2**30:
            stopped = f"stopped at {rss / 2**30:.1f} GB resident (cap {mem_cap_gb:g} GB)"
            _stop_tree(proc)
        elif not stopped and time.perf_counter() - t > timeout_s:
            stopped = f"stopped after {timeout_s:g} s (time limit)"
            _stop_tree(proc)
        time.sleep(0.25)
    popen.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from reaping again
    wall = time.perf_counter() - t
    return ChildRun([str(c) for c in cmd], wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0,
                    load_start, load1(), load_max, popen.returncode, stopped,
                    out_f.read_text(errors="replace"), err_f.read_text(errors="replace"))


def python_child(script: Path, *args) -> list:
    return [sys.executable, str(script), *map(str, args)]


# ---------------------------------------------------------------- README
def write_section(heading: str, body: str, readme: Path = README) -> None:
    """Replace the section `## heading` of bench/README.md (append it if missing); the other
    sections belong to colleagues and are kept byte for byte."""
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    head = f"## {heading}\n"
    section = head + "\n" + body.strip("\n") + "\n"
    start = text.find(head)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(head))
        end = len(text) if nxt < 0 else nxt + 1
        text = text[:start] + section + ("\n" if nxt >= 0 else "") + text[end:]
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(readme)


def measure_or_load(path: Path, from_json: bool, measure) -> dict:
    """A new measurement saved to `path` (raw JSON), or with `from_json` the last one saved."""
    if from_json:
        return json.loads(path.read_text())
    res = measure()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=1))
    return res


def report(text: str, heading: str, no_write: bool) -> None:
    """Print a section and, unless `no_write`, put it into bench/README.md."""
    print(text)
    if not no_write:
        write_section(heading, text)


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def child_bench_args(ap, cap_gb: float, timeout_s: float, child_args: int) -> None:
    """The options every bench with one child process per analysis shares."""
    import argparse

    ap.add_argument("--cap", type=float, default=cap_gb,
                    help=f"memory cap per process, GB ({cap_gb:g})")
    ap.add_argument("--timeout", type=float, default=timeout_s,
                    help=f"per child process, s ({timeout_s:g})")
    ap.add_argument("--no-write", action="store_true", help="don't update bench/README.md")
    ap.add_argument("--from-json", nargs="*", metavar="JSON",
                    help="rewrite the README section from saved runs (default: the last run's "
                    "JSON), no measuring; several files are shown one after the other")
    ap.add_argument("--child", nargs=child_args, help=argparse.SUPPRESS)
