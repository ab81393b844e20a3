#!/usr/bin/env python
"""End-to-end linear solve of one TET10 deck: ours (`run_sim.py solve`) against CalculiX.

    python bench/bench_ccx.py                 # ~300k DOF (issue 2)
    python bench/bench_ccx.py --dof 30000 --no-write      # quick check

The deck is the benchmark cantilever written by our exporter (fea.abaqus.write_deck): C3D10,
clamped end, tip shear and a pressure, one static step, *NODE PRINT of every node. Both programs
run as child processes, one after the other, with 2 threads each (ccx: OMP_NUM_THREADS and
CCX_NPROC_EQUATION_SOLVER, as fea.abaqus.ccx.run_ccx sets them; ours: numba and MKL default to
the 2 cores). Measured per run: wall, CPU (user + system) and peak RSS (os.wait4 ru_maxrss).
Ours is the whole command: Python start-up and imports, reading the deck, assembly, constraints,
PARDISO factorisation and solve, stress recovery, metrics and writing result.vtu/summary.json.
ccx is the whole command too: reading, assembly, SPOOLES, writing .dat/.frd. A warm-up run of
ours on a small deck first fills numba's cache (a fresh install pays the compile once).
The displacements are compared node by node (ccx prints 7 significant digits).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

from benchlib import (
    OUT, code_root, committed_code, machine, machine_line, measure_or_load, report, run_child,
    table,
)

committed_code()  # measure the committed fea/, not the shared working tree

import meshio  # noqa: E402
import numpy as np  # noqa: E402

from bench_models import cantilever_deck  # noqa: E402
from fea.abaqus.ccx import ccx_executable, read_dat_displacements  # noqa: E402

HEADING = "Linear solve: ours vs CalculiX (TET10, end to end)"


def ours_cmd(deck, out):
    return [sys.executable, str(code_root() / "run_sim.py"), "solve", str(deck), "--out",
            str(out), "-q"]


def run_ccx_child(deck, cap):
    work = OUT / "ccx" / deck.stem
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    shutil.copy(deck, work / "job.inp")
    env = dict(os.environ, OMP_NUM_THREADS="2", CCX_NPROC_EQUATION_SOLVER="2")
    run = run_child([ccx_executable(), "-i", "job"], env=env, cwd=work, mem_cap_gb=cap)
    if run.ok and "*ERROR" in run.stdout + run.stderr:
        run.stopped = "ccx reported *ERROR"
    return run, work / "job.dat"


def compare(dat, out_dir) -> dict:
    (_, _, labels, u_ccx), = read_dat_displacements(dat)
    v = meshio.read(out_dir / "result.vtu")
    ids, u = v.point_data["node_id"].astype(np.int64), v.point_data["displacement"]
    order = np.argsort(ids)
    u_ours = u[order[np.searchsorted(ids[order], labels)]]
    scale = np.abs(u_ccx).max()
    return {"nodes": len(labels), "max_u_ccx": float(scale),
            "max_u_ours": float(np.abs(u_ours).max()),
            "max_abs_diff_rel": float(np.abs(u_ours - u_ccx).max() / scale)}


def measure(args) -> dict:
    res = {"machine": machine()}
    deck, size = cantilever_deck(args.dof)
    warm, _ = cantilever_deck(20000)
    w = run_child(ours_cmd(warm, OUT / "warmup"), mem_cap_gb=4)  # numba cache
    if not w.ok:
        raise SystemExit(f"warm-up failed: {w.stopped} {w.stderr[-2000:]}")
    res["deck"] = {"path": str(deck.relative_to(OUT.parent.parent)), "size_mm": size}
    runs = {"ours": [], "ccx": []}
    for i in range(args.repeats):
        out_dir = OUT / "ours" / deck.stem
        r = run_child(ours_cmd(deck, out_dir), mem_cap_gb=args.cap)
        print(f"ours: {r.wall_s:.1f} s, CPU {r.cpu_s:.1f} s, {r.peak_rss_mb:.0f} MB "
              f"{r.stopped or ''}", flush=True)
        d = r.as_dict()
        if r.ok:
            d["summary"] = json.loads((out_dir / "summary.json").read_text())
        runs["ours"].append(d)
        c, dat = run_ccx_child(deck, args.cap)
        print(f"ccx: {c.wall_s:.1f} s, CPU {c.cpu_s:.1f} s, {c.peak_rss_mb:.0f} MB "
              f"{c.stopped or ''}", flush=True)
        runs["ccx"].append(c.as_dict())
        if r.ok and c.ok and i == 0:
            res["agreement"] = compare(dat, out_dir)
            print(res["agreement"], flush=True)
    res["runs"] = runs
    res["machine_end"] = machine()
    return res


def markdown(r: dict) -> str:
    o, c = (min(r["runs"][k], key=lambda x: x["wall_s"]) for k in ("ours", "ccx"))
    s = o.get("summary", {})
    mesh, t = s.get("mesh", {}), s.get("timings_s", {})
    solver = s.get("steps", [{}])[0].get("solver", {})
    rows = [[name, f"{x['wall_s']:.1f}", f"{x['cpu_s']:.1f}", f"{x['peak_rss_mb'] / 1024:.2f}",
             f"{x['load_start']:.1f} / {x['load_max']:.1f} / {x['load_end']:.1f}",
             "ok" if not x["stopped"] and x["returncode"] == 0 else
             (x["stopped"] or f"exit {x['returncode']}")]
            for name, x in (("ours: `run_sim.py solve deck.inp --out DIR`", o),
                            ("CalculiX 2.20 `ccx -i job` (SPOOLES)", c))]
    ratio_w, ratio_c = o["wall_s"] / c["wall_s"], o["cpu_s"] / c["cpu_s"]
    ratio_m = o["peak_rss_mb"] / c["peak_rss_mb"]
    parts = [f"assembly {t.get('assembly_s', 0):.1f} s",
             f"constraints + PARDISO factorisation {t.get('constraints_setup_s', 0):.1f} s "
             f"(of which factorisation {solver.get('setup_s', 0):.1f} s)",
             f"solve {t.get('solve_s', 0):.1f} s ({solver.get('iterations', '?')} iteration(s), "
             f"residual {solver.get('residual', float('nan')):.1e})",
             f"stresses, metrics, writing {t.get('write_s', 0):.1f} s"]
    rest = o["wall_s"] - sum(t.get(k, 0) for k in ("assembly_s", "constraints_setup_s",
                                                   "solve_s", "write_s"))
    a = r.get("agreement")
    agree = (f"Displacements at all {a['nodes']} nodes: max |u_ours - u_ccx| / max |u_ccx| = "
             f"{a['max_abs_diff_rel']:.1e} (max |u| {a['max_u_ours']:.5g} mm ours, "
             f"{a['max_u_ccx']:.5g} mm ccx; ccx prints 7 digits)." if a else
             "Displacements not compared (a run failed).")
    return "\n".join([
        f"`python bench/bench_ccx.py` (options `--dof N`, `--repeats N`, `--no-write`). "
        f"{machine_line(r['machine'], r['machine_end'])}.",
        "",
        f"Deck: the benchmark cantilever (100 x 20 x 20 mm, titanium) written by "
        f"`fea.abaqus.write_deck`, gmsh size {r['deck']['size_mm']} mm: {mesh.get('n_cells')} "
        f"C3D10, {mesh.get('n_nodes')} nodes, {s.get('n_dof_free')} free DOF. Each program is "
        f"one child process run to completion, with 2 threads; best of {len(r['runs']['ours'])} "
        f"run(s) each. Load: 1-min average at start / highest / end of each run.",
        "",
        table(["run", "wall s", "CPU s", "peak RSS GB", "load", "status"], rows),
        "",
        table(["ratio ours / ccx", "value", "target"],
              [["wall time", f"{ratio_w:.2f}", f"<= 0.3: {'met' if ratio_w <= 0.3 else 'NOT met'}"],
               ["CPU time", f"{ratio_c:.2f}", ""], ["peak memory", f"{ratio_m:.2f}", ""]]),
        "",
        "Ours, where the time goes (summary.json `timings_s`): " + "; ".join(parts) +
        f"; Python start-up, imports, reading the deck and the rest {rest:.1f} s.",
        "",
        agree,
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dof", type=int, default=300000, help="target DOF (300000)")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each program (1)")
    ap.add_argument("--cap", type=float, default=14.0, help="memory cap per process, GB (14)")
    ap.add_argument("--no-write", action="store_true", help="don't update bench/README.md")
    ap.add_argument("--from-json", action="store_true",
                    help="rewrite the README section from the last run's JSON, no measuring")
    args = ap.parse_args()
    if ccx_executable() is None:
        raise SystemExit("ccx is not on PATH")
    res = measure_or_load(OUT / f"ccx_{args.dof}.json", args.from_json, lambda: measure(args))
    report(markdown(res), HEADING, args.no_write)


if __name__ == "__main__":
    main()
