#!/usr/bin/env python
"""Benchmark of the default demo study: wall time, peak memory, and where the time goes.

    python bench/bench_study.py                 # cold: empty results folder and mesh cache
    python bench/bench_study.py --warm          # keep the mesh cache (meshing skipped)
    python bench/bench_study.py --study studies/x.toml --workers 2 --no-write

Runs `run_sim.py run` in a child process (what a user runs), so the peak memory is the child's
(and its workers') resident set. The split comes from the study's study.json: meshing, set-up
(assembly and interface pairing), solve (constraint and preconditioner set-up, linear and
contact iterations), post (stress recovery, metrics, VTU writing), summary, figures and report.
Results go to bench/out/ (git-ignored); with --write (default) the "Default study" section of
bench/README.md is replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "bench" / "README.md"
HEADING = "## Default study"


def run(study: Path, out: Path, workers: int, warm: bool) -> dict:
    cache = out.parent / ".mesh-cache"
    shutil.rmtree(out, ignore_errors=True)
    if not warm:
        shutil.rmtree(cache, ignore_errors=True)
    cmd = [sys.executable, str(ROOT / "run_sim.py"), "run", str(study), "--out", str(out), "-q"]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = ru.ru_maxrss / 1024.0
    cpu = ru.ru_utime + ru.ru_stime  # the machine is shared: CPU time does not depend on load
    record = json.loads((out / "study.json").read_text())
    load = os.getloadavg()[0]
    return {"wall_s": wall, "cpu_s": cpu, "load": load, "peak_rss_mb": peak_mb,
            "exit": proc.returncode,
            "stdout": proc.stdout, "stderr": proc.stderr, "record": record}


def split(record: dict) -> list[tuple[str, float]]:
    t = record.get("timings_s") or {}
    return [("meshing", t.get("mesh_s", 0.0)), ("set-up: assembly + interface pairing",
                                                t.get("setup_s", 0.0)),
            ("solve: constraints, preconditioner, linear + contact iterations",
             t.get("solve_s", 0.0)),
            ("post: stresses, metrics, VTU", t.get("write_s", 0.0)),
            ("summary.csv", t.get("summary_s", 0.0)),
            ("figures + report.html", t.get("figures_report_s", 0.0))]


def slowest(record: dict, n: int = 5) -> list[tuple[str, float]]:
    cases = [(k, (c.get("timings") or {}).get("solve_s", 0.0))
             for k, c in (record.get("cases") or {}).items()]
    return sorted(cases, key=lambda kv: -kv[1])[:n]


def markdown(res: dict, study: Path, workers: int, warm: bool) -> str:
    r = res["record"]
    counts = r.get("counts", {})
    m = r.get("machine", {})
    lines = [HEADING, "",
             f"`python bench/bench_study.py{' --warm' if warm else ''}"
             f"{f' --workers {workers}' if workers > 1 else ''}` on {m.get('cpus')} cores, "
             f"{m.get('memory_GB')} GB ({platform.processor() or m.get('machine')}); "
             f"{time.strftime('%Y-%m-%d')}, code {r.get('code', {}).get('source_sha')}.", "",
             f"Study `{study.relative_to(ROOT) if study.is_relative_to(ROOT) else study}`: "
             f"{len(r.get('variants', {}))} variant(s), {counts.get('total')} case(s) "
             f"({counts.get('done')} done, {counts.get('not_converged')} not converged, "
             f"{counts.get('failed')} failed); "
             f"{'warm mesh cache' if warm else 'cold: empty mesh cache'}.", "",
             "| measure | value |", "| --- | --- |",
             f"| wall time (whole command) | {res['wall_s']:.1f} s |",
             f"| CPU time (user + system, all processes) | {res['cpu_s']:.1f} s |",
             f"| load average at the end (other jobs on the machine) | {res['load']:.1f} |",
             f"| peak memory (largest process) | {res['peak_rss_mb']:.0f} MB |",
             f"| exit status | {res['exit']} |", "",
             "| part | time (s) | share |", "| --- | --- | --- |"]
    parts = split(r)
    total = sum(v for _, v in parts) or 1.0
    lines += [f"| {k} | {v:.1f} | {100 * v / total:.0f} % |" for k, v in parts]
    lines += ["", "Slowest cases (solve only):", "", "| case | solve (s) |", "| --- | --- |"]
    lines += [f"| {k} | {v:.1f} |" for k, v in slowest(r)]
    return "\n".join(lines) + "\n"


def replace_section(text: str, section: str) -> str:
    """Replace the '## Default study' section (up to the next '## ' heading) or append it."""
    pat = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pat.search(text):
        return pat.sub(lambda _: section + "\n", text, count=1).rstrip("\n") + "\n"
    return (text.rstrip("\n") + "\n\n" if text.strip() else "# Benchmarks\n\n") + section


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--study", type=Path, default=ROOT / "studies" / "default.toml")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "default-study")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--warm", action="store_true", help="keep the mesh cache")
    p.add_argument("--no-write", action="store_true", help="do not edit bench/README.md")
    args = p.parse_args(argv)
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    res = run(args.study.resolve(), args.out.resolve(), args.workers, args.warm)
    section = markdown(res, args.study.resolve(), args.workers, args.warm)
    print(section)
    if res["exit"] != 0:
        print(res["stdout"][-3000:], res["stderr"][-3000:], sep="\n")
    if not args.no_write:
        README.parent.mkdir(exist_ok=True)
        old = README.read_text() if README.exists() else ""
        README.write_text(replace_section(old, section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
