#!/usr/bin/env python
"""Linear-solve scaling on TET10: 100k, 300k and 1M DOF, PARDISO (default) and AMG backends.

    python bench/bench_scaling.py                          # 100k, 300k, 1M; pardiso and amg
    python bench/bench_scaling.py --dofs 20000,50000 --no-write       # quick check

Each solve is its own child process (bench/solve_child.py: read the deck, assemble, constrain,
set up the solver, solve), so its peak RSS is its own; a process above --cap GB is stopped and
reported, never left to swap the shared machine. Before each PARDISO solve its analysis phase is
run alone (ordering + symbolic factorisation, a fraction of the cost) to get the memory PARDISO
itself forecasts for the factorisation: where that forecast does not fit under the cap the
factorisation is not attempted and the forecast is reported instead. The exponent k of
time ~ DOF^k is fitted (least squares in log-log) over the sizes that ran.
"""

from __future__ import annotations

import argparse
import json
import os

from benchlib import (
    OUT, committed_code, machine, machine_line, python_child, run_child, table, write_section,
)

committed_code()  # measure the committed fea/, not the shared working tree

import numpy as np  # noqa: E402

from bench_models import cantilever_deck  # noqa: E402

HEADING = "Linear solve scaling (TET10, PARDISO and AMG)"
CHILD = OUT.parent / "solve_child.py"
# Observed around the runs (kept here because the README section is regenerated):
NOTE = (
    "PARDISO factors in single precision (fea/pardiso.py), polished by CG. The 1137945-DOF "
    "PARDISO row was re-run with `--merge`: in the first run (code d5908c0) the single factor "
    "(192.6 s, 13.2 GB) failed a check then too strict (its answer to a random load 22 % off "
    "the CG-polished one; the bound was 10 %, now 50 %), so a double factor (PARDISO forecast "
    "18.2 GB) was started and the process was stopped at the 20 GB cap after 546 s. With the "
    "double factor (pypardiso, code 9e4c093, a loaded machine) the 318k row took 183 s and "
    "4.5 GB, and 1M DOF did not fit. At 1M DOF AMG is faster (155 s) and lighter (6.0 GB), "
    "which is why `auto` picks it above 600k DOF.")
BASE_GB = 1.0  # RSS besides the factor at these sizes (mesh, K, reduced K, T): measured below


def child(deck, *args, cap, timeout, env=None):
    r = run_child(python_child(CHILD, deck, *args), mem_cap_gb=cap, timeout_s=timeout, env=env)
    d = r.as_dict()
    d["result"] = json.loads(r.stdout.strip().splitlines()[-1]) if r.ok else None
    return d


def measure(args) -> dict:
    res = {"machine": machine(), "cap_GB": args.cap, "runs": []}
    # fea refuses a solve whose estimated peak exceeds the free memory; --no-memory-check lets
    # it try, under our own cap (the process is stopped there and the stop is reported)
    env = dict(os.environ, FEA_MEMORY_CHECK="off") if args.no_memory_check else None
    child(cantilever_deck(20000)[0], "--backend", "pardiso", cap=4, timeout=900)  # numba cache
    for target in args.dofs:
        deck, size = cantilever_deck(target)
        for backend in args.backends:
            row = {"target": target, "size_mm": size, "backend": backend}
            if backend == "pardiso":
                a = child(deck, "--analyse", cap=args.cap, timeout=args.timeout)
                row["analyse"] = a
                fc = a["result"]["pardiso"]["peak_GB"] if a["result"] else None
                print(f"{target}: PARDISO forecast {fc} GB", flush=True)
                if fc is not None and fc + BASE_GB * target / 3e5 > args.cap:
                    row["skipped"] = (f"PARDISO forecasts {fc:.1f} GB for the factorisation "
                                      f"alone: over the {args.cap:g} GB cap, not attempted")
                    res["runs"].append(row)
                    continue
            r = child(deck, "--backend", backend, cap=args.cap, timeout=args.timeout, env=env)
            row["solve"] = r
            row["memory_check"] = not args.no_memory_check
            print(f"{target} {backend}: {r['wall_s']:.1f} s, CPU {r['cpu_s']:.1f} s, "
                  f"{r['peak_rss_mb'] / 1024:.2f} GB {r['stopped']}", flush=True)
            res["runs"].append(row)
    res["machine_end"] = machine()
    return res


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].replace("|", "/")[:400] if lines else "?"


def fit(n, t) -> float:
    return float(np.polyfit(np.log(n), np.log(t), 1)[0]) if len(n) >= 2 else float("nan")


def markdown(r: dict) -> str:
    rows, fits, forecast = [], [], []
    for backend in dict.fromkeys(x["backend"] for x in r["runs"]):
        ns, walls, cpus, solver_t = [], [], [], []
        for x in (x for x in r["runs"] if x["backend"] == backend):
            a = (x.get("analyse") or {}).get("result")
            fc = a["pardiso"] if a else None
            if fc:
                forecast.append([x["target"], a["pardiso"]["n_dof"],
                                 f"{fc['factor_nnz'] % 2**32 / 1e6:.0f}M",  # int32 iparm
                                 f"{fc['peak_GB']:.2f}",
                                 f"{a.get('fea_estimate_GB', float('nan')):.2f}",
                                 f"{x['analyse']['peak_rss_mb'] / 1024:.2f}",
                                 f"{x['analyse']['wall_s']:.0f}"])
            s = x.get("solve")
            if s is None or not s["result"]:
                why = x.get("skipped") or (s and (s["stopped"] or _last_line(s["stderr"])))
                rows.append([backend, f"~{x['target'] // 1000}k", "-", "-", "-", "-", "-", "-",
                             "-", f"{fc['peak_GB']:.1f} (forecast)" if fc else "-",
                             f"{x['analyse']['load_max']:.1f}" if fc else "-", why])
                continue
            o = s["result"]
            setup = o["solver_setup_s"]
            ns.append(o["n_dof"])
            walls.append(s["wall_s"])
            cpus.append(s["cpu_s"])
            solver_t.append(setup + o["solve_s"])
            rows.append([backend, o["n_dof"], o["elements"], f"{s['wall_s']:.1f}",
                         f"{s['cpu_s']:.1f}", f"{o['read_s'] + o['import_s']:.1f}",
                         f"{o['assembly_s']:.1f}",
                         f"{o['constraints_setup_s'] - setup:.1f}",
                         f"{setup:.1f} + {o['solve_s']:.1f} ({o['iterations']} it, "
                         f"res {o['residual']:.0e})",
                         f"{s['peak_rss_mb'] / 1024:.2f}",
                         f"{s['load_start']:.1f} / {s['load_max']:.1f}",
                         "ok" + ("" if x.get("memory_check", True) else
                                 " (fea's memory check off)")])
        fits.append([backend, ", ".join(f"{n // 1000}k" for n in ns), f"{fit(ns, walls):.2f}",
                     f"{fit(ns, cpus):.2f}", f"{fit(ns, solver_t):.2f}"])
    m = r["machine"]
    extra = []
    for x in r["runs"]:  # a factorisation not attempted: extrapolate its time and memory
        a = (x.get("analyse") or {}).get("result")
        done = [y for y in r["runs"] if y["backend"] == x["backend"] and (y.get("solve") or {})
                .get("result") and (y.get("analyse") or {}).get("result")]
        if x.get("skipped") and a and len(done) >= 2:
            big = done[-1]
            o, fb = big["solve"]["result"], big["analyse"]["result"]["pardiso"]
            k = fit([y["solve"]["result"]["n_dof"] for y in done],
                    [y["solve"]["result"]["solver_setup_s"] for y in done])
            n, fc = a["pardiso"]["n_dof"], a["pardiso"]
            grow = (fc["factor_nnz"] % 2**32) / (fb["factor_nnz"] % 2**32)
            rest_gb = big["solve"]["peak_rss_mb"] / 1024 - fb["peak_GB"]
            extra.append(
                f"PARDISO at {n} DOF, extrapolated from {o['n_dof']} DOF: factorisation "
                f"~{o['solver_setup_s'] * (n / o['n_dof']) ** k:.0f} s with the fitted k = {k:.2f}"
                f", ~{o['solver_setup_s'] * grow ** 1.5:.0f} s if its work grows as (factor "
                f"non-zeros)^1.5 (x{grow:.1f} non-zeros); peak ~{fc['peak_GB']:.0f} GB (PARDISO's"
                f" forecast) + ~{rest_gb * n / o['n_dof']:.0f} GB for the rest of the process "
                f"(measured {rest_gb:.1f} GB at {o['n_dof']} DOF, scaled with the DOF): does not "
                f"fit the {r['cap_GB']:g} GB cap nor this {m['memory_GB']:g} GB machine.")
    return "\n".join([
        f"`python bench/bench_scaling.py` (options `--dofs 100000,300000,1000000`, "
        f"`--backends pardiso,amg`, `--cap GB`, `--no-write`). "
        f"{machine_line(m, r['machine_end'])}."
        + (f" Rows added later with `--merge` (the run that ended {r['machine_end']['date']}, "
           f"code {r['machine_end'].get('commit', '?')}) share the table; each row's load is its "
           "own." if r.get("merged_from") else ""),
        "",
        "The benchmark cantilever deck (100 x 20 x 20 mm, TET10, clamped end, shear + pressure) at "
        "three sizes; each solve is one child process (bench/solve_child.py: the library, no "
        "result files), 2 threads, memory cap "
        f"{r['cap_GB']:g} GB. Times in s; setup = PARDISO factorisation or AMG hierarchy; "
        "'constraints' = building T, the rigid-body-mode check, T^T K T and (PARDISO) the "
        "condition estimate with the factor.",
        "",
        table(["backend", "DOF", "elements", "wall", "CPU", "start-up + read deck", "assembly",
               "constraints", "solver setup + solve", "peak RSS GB", "load start / max",
               "status"], rows),
        "",
        "Scaling exponent k of time ~ DOF^k (least squares over the sizes that ran):",
        "",
        table(["backend", "sizes", "k (whole process, wall)", "k (whole process, CPU)",
               "k (solver setup + solve, wall)"], fits),
        "",
        *[e + "\n" for e in extra],
        "PARDISO's own forecast after its analysis phase (MKL iparm 15-17: max(analysis peak, "
        "permanent + factorisation memory)), against which the measured peak RSS above can be "
        "read (the process adds the mesh, K, the reduced K and T):",
        "",
        table(["target", "free DOF", "factor non-zeros", "PARDISO forecast GB",
               "fea.memcheck estimate of the whole solve GB", "analysis process peak RSS GB",
               "analysis process s"], forecast),
        "",
        NOTE,
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dofs", default="100000,300000,1000000",
                    type=lambda s: [int(float(x)) for x in s.split(",")])
    ap.add_argument("--backends", default="pardiso,amg", type=lambda s: s.split(","))
    ap.add_argument("--cap", type=float, default=14.0, help="memory cap per process, GB (14)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per child process, s (1800)")
    ap.add_argument("--no-memory-check", action="store_true",
                    help="let fea try solves its memory check would refuse (our cap still holds)")
    ap.add_argument("--merge", action="store_true",
                    help="replace/add these runs in the last scaling.json instead of starting anew")
    ap.add_argument("--no-write", action="store_true", help="don't update bench/README.md")
    ap.add_argument("--from-json", action="store_true",
                    help="rewrite the README section from the last run's JSON, no measuring")
    args = ap.parse_args()
    path = OUT / "scaling.json"
    if args.from_json:
        res = json.loads(path.read_text())
    else:
        res = measure(args)
        if args.merge and path.exists():
            old = json.loads(path.read_text())
            new = {(x["target"], x["backend"]) for x in res["runs"]}
            res["runs"] = [x for x in old["runs"] if (x["target"], x["backend"]) not in new
                           ] + res["runs"]
            res["runs"].sort(key=lambda x: (x["backend"] != "pardiso", x["target"]))
            res["machine"], res["merged_from"] = old["machine"], old["machine"]["date"]
            res["cap_GB"] = max(res["cap_GB"], old["cap_GB"])
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(res, indent=1))
    text = markdown(res)
    print(text)
    if not args.no_write:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
