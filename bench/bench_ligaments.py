#!/usr/bin/env python
"""Ligaments' cost in the Newton driver: the same frictional case with and without 200 fibres.

    python bench/bench_ligaments.py                        # size 0.3 mm (~30k DOF)
    python bench/bench_ligaments.py --size 0.5 --no-write  # quick

The model is bench_contact.py's press-then-pull friction problem (two non-matching TET10 blocks,
mu 0.5, 1 MPa, then a 2 um pull in two increments). The ligament variant adds 20 ligaments of 10
fibres each across the interface, diagonally from each side face of the base to the opposite side
face of the block (5 per side), toe-linear (20 N/mm, toe strain 0.05) with pre-strains 0 to 4e-4,
so that some stay taut and some go slack during the press and the pull (their status moves with
the contact's).
Issue 16's target: the ligaments add at most 30 % to the solve time (`run`). Each analysis runs
in its own child process through fea.solve_case.make_analysis (the Newton driver with the
model's terms).
"""

from __future__ import annotations

import argparse
import json
import sys

from benchlib import (
    OUT, ROOT, committed_code, machine, machine_line, python_child, run_child, table,
)

committed_code()  # measure the committed fea/, not the shared working tree
sys.path.insert(1, str(ROOT / "tests"))
sys.path.insert(1, str(ROOT / "bench"))

HEADING = "Ligaments in the Newton driver (cost)"
SIDES = (("xmin", "xmax"), ("xmax", "xmin"), ("ymin", "ymax"), ("ymax", "ymin"))
PRESTRAIN = (0.0, 1e-4, 2e-4, 3e-4, 4e-4)


def with_ligaments(m):
    """Diagonal fibres from one side of the base to the opposite side of the block: the pull
    along +x stretches the xmin -> xmax ones and shortens the xmax -> xmin ones, the press
    shortens all; the pre-strains leave some taut and let others go slack."""
    from fea.model import Ligament, LigamentLaw

    m.ligaments = [Ligament(f"{a}_{b}_{k}", f"lower_{a}", f"upper_{b}",
                            LigamentLaw("toe_linear", stiffness=20.0, toe_strain=0.05,
                                        prestrain=pre), fibres=10)
                   for a, b in SIDES for k, pre in enumerate(PRESTRAIN)]
    return m


def child_main(kind: str, path: str) -> None:
    import time

    from bench_contact import loadcase, model

    from fea.mesh_cache import load_mesh
    from fea.solve_case import make_analysis

    m = model(load_mesh(path), "friction")
    if kind == "ligaments":
        m = with_ligaments(m)
    t = time.perf_counter()
    an = make_analysis(m)
    init_s = time.perf_counter() - t
    an.run(loadcase(1.0))  # warm-up: numba kernels compiled, PARDISO loaded
    t = time.perf_counter()
    res = an.run(loadcase(1.0))
    run_s = time.perf_counter() - t
    lig = res.final.terms.get("ligaments")
    print(json.dumps({
        "kind": kind, "n_dof": int(res.n_dof_free), "init_s": init_s, "run_s": run_s,
        "converged": bool(res.converged),
        "newton": sum(s.solve.newton_iterations for s in res.states),
        "al": sum(s.solve.al_iterations for s in res.states),
        "cg": sum(s.solve.iterations for s in res.states),
        "rebuilds": an.timings.get("preconditioner_rebuilds", 0),
        "fibres": 0 if lig is None else len(lig["force_N"]),
        "taut": 0 if lig is None else int(lig["taut"].sum()),
        "ligament_force_N": 0.0 if lig is None else float(lig["force_N"].sum()),
    }))


def main():
    from bench_contact import mesh_file

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=0.3, help="base mesh size, mm (0.3)")
    ap.add_argument("--no-write", action="store_true", help="don't update bench/README.md")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_main(*args.child)
        return
    path = mesh_file(args.size, 1.0)
    start, runs = machine(), {}
    for kind in ("plain", "ligaments"):
        r = run_child(python_child(__file__, "--child", kind, path))
        if not r.ok:
            sys.exit(f"{kind} failed: {r.stderr[-2000:]}")
        runs[kind] = json.loads(r.stdout.strip().splitlines()[-1]) | {"cpu_s": r.cpu_s}
    (OUT / "ligaments.json").write_text(json.dumps(runs, indent=1))
    p, g = runs["plain"], runs["ligaments"]
    ratio = g["run_s"] / p["run_s"]
    rows = [[k, o["n_dof"], f"{o['run_s']:.2f}", o["newton"], o["al"], o["cg"], o["rebuilds"],
             f"{o['taut']} / {o['fibres']}", "yes" if o["converged"] else "NO"]
            for k, o in (("friction only", p), ("friction + 20 ligaments", g))]
    text = "\n".join([
        f"`python bench/bench_ligaments.py` (options `--size MM`, `--no-write`). "
        f"{machine_line(start, machine())}.",
        "",
        f"bench_contact.py's friction case at size {args.size:g} mm, with and without 20 "
        "ligaments of 10 fibres across the interface (pre-strain 0-4e-4); solve time of the second "
        "run in each child (the first compiles and loads).",
        "",
        table(["model", "free DOF", "solve s", "Newton", "AL", "CG", "refactorisations",
               "taut / fibres", "converged"], rows),
        "",
        f"Ratio with / without ligaments: {ratio:.2f} (target <= 1.30: "
        f"{'met' if ratio <= 1.3 else 'NOT met'}).",
    ])
    print(text)
    if not args.no_write:
        from benchlib import write_section

        write_section(HEADING, text)


if __name__ == "__main__":
    main()
