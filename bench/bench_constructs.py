#!/usr/bin/env python
"""Where the box-bone constructs spend their Newton steps: immediate vs fused vs all-tied.

    python bench/bench_constructs.py --size 8                    # coarse TET10, every case
    python bench/bench_constructs.py --models examples/aad_cages_boxes --loadcases flexion --states immediate
    python bench/bench_constructs.py --models aad_cages --loadcases flexion --states all_tied
    python bench/bench_constructs.py --from-json                 # re-render the last run

For models/examples/aad_cages_boxes.toml and c2_avb_boxes.toml (the constructs bundled before
the occiput-C3 column, on which bench/README.md's figures of this script were measured) under
flexion, extension, lateral bending (left) and axial rotation (left) (the constructs are
symmetric about the mid-sagittal plane, so the right-hand cases mirror these), in three
interface states (fea.study.states): immediate (the model as written: frictional implant faces,
frictionless facets), fused (implant faces tied, natural joints still in contact) and all-tied
(every interface tied: the linear floor).
Each case is one child process (wall, CPU and peak RSS its own) running the library directly:
make_analysis (pairing, assembly), then analysis.run. Per case it records the Newton steps,
multiplier (AL) passes, PCG iterations, cut-backs and wall time of every increment, the
preconditioner refactorisations and their time, the penalty raises, and per interface how many
contact points changed status (open / stick / slip) from one Newton step to the next, summed
over the case ("churn"), and in how many Newton steps each interface moved at all.
Meshes come from the mesh cache in bench/out/mesh_cache (the first run of a size meshes).
`--models` takes any model file under models/ by its path there without `.toml` (e.g.
`aad_cages` for the bundled construct on the occiput-C3 anatomy, `examples/aad_cages_boxes` for
its box-bone copy).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from benchlib import (
    OUT, ROOT, child_bench_args, committed_code, machine, machine_line, python_child, run_child,
    table, write_section,
)

committed_code()  # measure the committed fea/, not the shared working tree

HEADING = "Constructs: where the Newton steps go (immediate vs fused vs all-tied)"
MODELS = ("examples/aad_cages_boxes", "examples/c2_avb_boxes")
LOADCASES = ("flexion", "extension", "lateral_bending_left", "axial_rotation_left")
STATES = ("immediate", "fused", "all_tied")
JSON = OUT / "constructs.json"
# What the runs showed (kept here because the section is regenerated; issue 18):
FINDINGS = """\
**What dominates (2026-12-06, size 8 mm, load 7-12 from other sessions: wall times are 3-6x
the CPU times).** Only flexion was run so far (both constructs, three states; an immediate case
took 8-15 min of wall time on the loaded machine); extension, lateral bending, axial rotation
and the default 5 mm mesh are still to be run with this script. aad_cages under flexion, immediate state, 70065 DOF, 732 contact points, run
under FEA_NEWTON_DEBUG=1 before the change below (code 790d6d6): solve 871.8 s wall, 224.5 s
CPU; 186 Newton steps (48 in the preload), 22 multiplier passes, 4679 PCG iterations, 47
refactorisations (225 s), 1 penalty raise, no cut-back. Three single PCG solves took 1049, 246
and 1337 iterations (2632 of the 4679): the first Newton step of the first and second moment
increments (1049, 1337) and of a multiplier pass (246), each solved to a tight tolerance (a
pass's first step carries the load or the new multipliers) on the factor made for an earlier
status, while the cost rule of `_stale_check` only looks between Newton steps. In
the preload every multiplier pass opened more points (closed-and-sliding at first: 439, 485,
512, 574, 578, 595 of 732 open after passes 1-6): the soft penalty (3 E/h) lets the bodies sink
in, and each update moves the load onto fewer points, so each pass changes the status again and
costs a refactorisation (at 70k DOF one costs less than 20 PCG iterations, so the rule refreshes
on any change). The churn is at the implant faces, not the cartilage: the solid cage rims (mu
0.3, 96 points each) changed status 300-390 times over 55-87 Newton steps, the porous faces (mu
0.8, 48 points) 110-175 times, the frictionless C2-C3 facets 66-68 times in 10 steps.

c2_avb under flexion (62349 DOF, 840 contact points, with the change below): 487.0 s wall,
114.4 s CPU, 183 Newton steps of which 67 in the preload, 31 multiplier passes, 33
refactorisations (248 s, half the solve), 1 penalty raise; the churn is at the AVB's porous
faces on C3 (724 changes, 186 points) and C1 (514) and its solid rim on C1 (588). Its fused
state has no contact left (every c2_avb interface has the implant on one side: the frictional
AVB faces on C1 and C3, the tied screws), so fused and all-tied are the same linear solve; immediate / all-tied 33 (21 in
CPU). Both constructs: no cut-back anywhere; the preload's multiplier passes and the
refactorisation after each status change dominate.

**Changed:** a PCG on a factor made for another status now stops once it has cost about one
refactorisation (iterations = refactorisation time / time per PCG iteration, at least
`rebuild_after`); the current tangent is then factored and the PCG goes on from its iterate
(`NewtonSettings.cap_stale_cg`, tests/test_newton_cg_cap.py). Same case, same load range: solve
633.9 s wall, 128.9 s CPU (-43 % CPU), 209 Newton steps, 24 passes, 1749 PCG iterations (-63 %),
52 refactorisations; the load point's displacements and rotations agree with the run before to
3e-4 relative (flexion rotation to 1e-7). Still immediate / fused 10.0 (6.6 in CPU) and
immediate / all-tied 22.8 (21 in CPU): issue 18's targets (3 and 5) are not met.

**Recommendation (not done here):** what is left is the Newton steps themselves (209, each
with a status change at the cage rims) and a refactorisation of the whole 70k-DOF tangent for
most of them (52 x ~5.7 s wall, 46 % of the solve), for a change of rank at most 3 x 732. Factor
the bonded system K0 once per constraint set and solve each Newton step on the interface: with
C = K0^-1 B^T (2196 columns here, one multi-RHS PARDISO solve per model and constraint set) and
E = D - D_bonded the tangent's inverse is K0^-1 - C E (I + B C E)^-1 C^T, a dense 2196 x 2196
LU per Newton step (~7 GFlop, a fraction of a second) instead of a sparse refactorisation plus
PCG, exact whatever the status, so no stale factor and no refactorisation rule at all. At the
default 5 mm mesh the interface should have about (8/5)^2 = 2.6x the points (not measured);
past ~10k interface rows the dense LU stops being cheap and a low-rank update of it on the
changed points would be the next step. The preload's multiplier
passes (7) would also drop with a stiffer first penalty on the titanium-bone faces only (the
soft penalty was chosen for the stick/slip front, bench_contact.py), which is a separate
measurement.

**Interface condensation (fea/condense.py, `NewtonSettings.interface_solver`, 2026-12-06
afternoon, load 9-17 from other sessions).** Each Newton system is preconditioned by the exact
inverse of the current tangent built from the bonded factor: S = B K0^-1 B^T once per
constraint set, then a dense LU of I + S E on the rows where E = D - D_bonded is non-zero,
low-rank (Woodbury) updated between LUs; no refactorisation of the 70k-DOF tangent. aad_cages,
flexion, 8 mm, solve CPU s (`time.process_time` around `analysis.run`, one process each):

| run | interface solver | load | Newton (total) | PCG | refactorisations | dense LUs | solve CPU s | solve wall s |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
| bench_constructs.py, code 57e8686 (before) | refactor | 0.9 -> 8.5 | 199 | 1809 | 47 | - | 123.2 | 337.8 |
| alone, 14:36 | woodbury | ~9 | 195 | 483 | 0 | 10 | 122.7 | 535.0 |
| side by side, 14:51 | refactor | 12-17 | 205 | 845 | 139 | - | 217.1 | 1035.2 |
| side by side, 14:51 | woodbury | 12-17 | 195 | 483 | 0 | 10 | 123.1 | 809.1 |

Same load: -43 % CPU; under a light load for the refactoring path and a heavy one for the
Woodbury path, equal. The refactoring path's rule compares wall times (a factor against the PCG
time spent on a stale one), so on a loaded machine it refactored 139 times instead of 47; the
Woodbury path takes no timing decision and ran the same 195 Newton steps and 483 PCG iterations
in both runs. Agreement with the refactoring path: max |du| / max |u| = 3.0e-5 over the whole
model, the load point's flexion rotation to 2e-7. Where the Woodbury path's CPU goes (wall
shares of the side-by-side run): S 18 % (20.8 CPU-s measured alone: 1824 substitutions, 14 ms
each in blocks of 256 against 34 ms one at a time), dense LUs and low-rank updates 21 %, the
rest the PCG (two substitutions per iteration) and the Newton loop. Parts measured alone: a
refactorisation 1.27 CPU-s, a dense LU of 2000 rows 0.18 CPU-s.
Second side-by-side pair, 15:45-15:53, load 2.6 -> 7: refactoring 207.2 CPU-s (197 Newton
steps, 799 PCG), Woodbury 129.8 CPU-s (195 steps, 483 PCG, the same counts as before): -37 %.

Against issue 18's targets (fused 19.5, all tied 5.1 CPU-s in the 14:19 run): immediate /
fused 6.3 and immediate / all-tied 24 with the Woodbury path (targets 3 and 5). The linear algebra
per Newton step is no longer what dominates: 195 Newton steps (47 in the preload, 24
multiplier passes) against 40 fused. Next: fewer steps (the preload's multiplier passes with a
stiffer first penalty on the titanium-bone faces, warm starts of the status from the previous
increment). Not measured in this session (machine load): c2_avb, the other load cases, the 5 mm
default mesh (about 5700 interface rows, above `condense_max_rows` = 3000, so it keeps
refactoring until measured).

Further Woodbury runs, side by side at load 14 (15:09-15:31, no refactoring run beside them):
c2_avb flexion 169.4 CPU-s solve (62k DOF, 2520 interface rows, 192 Newton steps, 837 PCG,
9 dense LUs; S and the LUs 15 % and 21 % of the wall time), against 114.4 CPU-s for the
refactoring path in the morning session at load 7-12 (183 steps, 33 refactorisations): not
the same load, so not a comparison, but no gain shown there; immediate / fused (5.1 CPU-s)
33. aad_cages axial rotation (left) 193.5 CPU-s (194 Newton steps, 944 PCG, 10 dense LUs); its
refactoring, fused and all-tied runs were not made. The default `auto` rests on the one
same-load pair above; re-measure both constructs side by side on a quiet machine before
relying on it.

**auto by operation counts (2026-12-06 evening, code 4f88b74).** `auto` now takes the Woodbury
path only when PARDISO's own counts say it pays (fea.condense.woodbury_pays: a dense LU of the
interface rows cheaper than a sparse refactorisation, and S plus 10 LUs cheaper than 30
refactorisations, the counts of the runs above). aad_cages 8 mm: S = 13 and an LU = 0.55
refactorisations (timed alone at load 4-6: S 54 s est., LU 1.0 s, refactorisation 2.9-3.5 s):
Woodbury, as before. bench_contact `--size 0.5` (10167 DOF, 2124 rows, 1590 interface DOFs):
an LU = 4.2 refactorisations (timed 0.87 s against 0.25 s): refactoring. Side by side on that
case, same commit, alternating, three runs each (solve CPU s): load 1.2-3.9, Woodbury
(the old auto) 9.9 / 7.4 / 10.0 against refactoring 9.2 / 7.3 / 10.5; load 7.7-8.5, auto (now
refactoring: 39 refactorisations, 61 PCG) 10.9 / 9.3 / 10.9 against Woodbury 10.8 / 10.7 /
11.3 (S 9.9-11.8 s wall, 15 LUs 3.7-5.8 s wall). Same 48 Newton steps, max |u| equal to 1e-9.
At this size the two paths were within 10 % in CPU in these runs; the 5.0-5.3 s against
2.5-3.4 s solve (wall) reported before were not reproduced by a same-load pair here; auto now
follows the counts and picks the refactoring path on this case, and nothing timed enters the
choice.

**Where the Newton steps go (aad_cages, flexion, immediate, 8 mm, Woodbury, FEA_CONTACT_DEBUG,
17:10, load 7-8; 129.7 CPU-s, 195 steps).** Steps per multiplier pass: preload 8, 9, 5, 13,
7, 4, 1 (47); moment increments 11, 12, 9, 8, 13, 8, 11, 6, 1 (79), then 7, 15, 9, 1 (32) and
8, 17, 10, 2 (37). No cut-back. One penalty raise, in the preload's 4th pass (gap violation
2.1e-2, 6.5e-3, 3.9e-3 mm after passes 1-3: not halved, so x10; then 1.1e-3, 7.7e-4, 3.2e-4);
that pass took 13 steps. Each preload pass opens more points (440, 485, 512, 574, 578, 595 of
732 open): the load moves onto fewer points as the multipliers grow. Every increment's first
pass ended unsettled with "bound change inf": friction points with no pressure in the last
increment start stuck with an unbounded bound, and some of them close. In the first moment
increment the gaps were settled after 5 passes (4.5e-4 mm, at the tolerance); 3 more passes
were for the Coulomb bound alone (area-weighted change 0.14, 0.25, 0.05, 0.08 of mu N against
1e-2): the pressure at the slipping points moves after the bound is held within a pass, and
20-30 edge points open and close from pass to pass. Status changes between consecutive Newton
steps, summed (pass boundaries included): solid cage rims on C1 554 / 473 and on C2 386 / 358
(right / left), porous faces 139-200, the frictionless C2-C3 facets 81 each.

Tried, same model and case, same code, one setting changed:
- a stiffer first penalty (`penalty_factor` 30 instead of 3, every interface; stopped at the
  first moment increment): the preload took 33 steps in 4 passes and no raise (against 47 in 7
  with one), but the first moment increment had taken 46 steps in 4 passes and was still
  unsettled (bound change 0.64 of mu N after its second pass, as at 3): the Coulomb bound, not
  the gaps, is what holds the moment increments. Not adopted (and the 3 E/h was chosen on the
  friction bench's stick/slip front).
- `warm_bounds` (those points take mu x their own pressure at once where the interface already
  carries pressure): 179 Newton steps (47, 62, 34, 36; passes 7, 7, 4, 4) against 195, 559 PCG,
  12 LUs, solve 95.2 CPU-s against 129.7 (load 10 against 7: -27 %); the load point's flexion
  rotation equal to 1.5e-7, its displacement to 3e-6. The cages' slip (largest, since the
  preload) C1 + C2 equal to 0.2 % (left 20.76 / 20.79 um, right 20.34 / 20.32 um), but its split
  between the two faces moved by up to 20 % (left cage on C1 11.0 -> 9.1 um, on C2 9.7 ->
  11.7 um; right 3 %): both faces of a cage slip, so the cage's own tangential position is
  not fixed by the Coulomb problem and the iteration path sets it. Per-face micromotion is
  what the study reports, so this stays off by default (`ContactSettings.warm_bounds`); the
  immediate rows of the 17:36 run above were measured with it on (code 9175164), the default
  code's figure for aad_cages flexion is the 129.7 CPU-s of the debug run. The same
  indeterminacy makes per-face micromotion of a floating cage sensitive to any solver change
  that alters the iterates: a metric of the cage's relative motion (C1 against C2) would be
  well posed. With it on, aad_cages in axial rotation (left) had not finished after 27.5 min
  of wall time and 533 CPU-s of its child (the Woodbury path without it: 193.5 CPU-s solve at
  load 14, 15:09) and was stopped (the "did not finish" row of the 17:36 run): a second reason
  it stays off. The axial rotation rows of the 18:16 run are the default code (fb8b163).

**Against issue 18's targets (default code, solve CPU s, 8 mm, load 7-10).** aad_cages axial
rotation (left): immediate 119.3 / fused 16.6 / all-tied 4.8: 7.2x fused (target 3), 25x
all-tied (target 5), fused 3.5x all-tied (target 3). aad_cages flexion: immediate 129.7 (the
17:10 debug run) / fused 15.6 / all-tied 5.5 (17:36 run; fused has no friction, so warm_bounds
did not touch it): 8.3x and 24x, fused 2.8x. c2_avb flexion (18:24 run, default code,
Woodbury by the counts, load 4-7): immediate 103.0 / fused 4.4 / all-tied 4.2: 23x and 24x
(fused has no contact left), 190 Newton steps of which 76 in the preload; c2_avb axial
rotation was not run (time). None of the immediate-state targets is met; what would move them is the
moment increments' Coulomb-bound passes (above), not the linear algebra.
"""


def model_name(name: str) -> str:
    """`--models` type: a model under models/ (an argparse error listing them otherwise)."""
    if not (ROOT / "models" / f"{name}.toml").is_file():
        near = sorted(str(x.relative_to(ROOT / "models").with_suffix(""))
                      for x in (ROOT / "models").rglob("*.toml"))
        raise argparse.ArgumentTypeError(f"no model file models/{name}.toml; there are: "
                                         + ", ".join(near))
    return name


def load(model: str, state: str, size: float | None, loadcase: str):
    from fea.config import check_loadcase_against, load_loadcase
    from fea.mesh_cache import MeshCache
    from fea.variants import load_variant

    st, ties = ("fused", "all") if state == "all_tied" else (state, "implant")
    m = load_variant(ROOT / "models" / f"{model}.toml", "base",
                     MeshCache(OUT / "mesh_cache"), size_mm=size, state=st, fused_ties=ties)
    lc = load_loadcase(ROOT / "loadcases" / f"{loadcase}.toml")
    check_loadcase_against(m, lc)
    return m, lc


def _watch(term) -> dict:
    """Count, per interface, the points whose status changed between consecutive Newton
    evaluations of the contact term (within one multiplier pass), without touching the driver."""
    import numpy as np

    iface = term.setup.interface_of_point
    names = [i.name for i in term.setup.infos]
    rec = {"churn": np.zeros(len(names), np.int64), "moved_steps": np.zeros(len(names), np.int64),
           "evaluations": 0, "names": names}
    last = {"status": None}
    evaluate = term.evaluate

    def wrapped(u, it):
        ev = evaluate(u, it)
        rec["evaluations"] += 1
        if it > 0 and last["status"] is not None:
            ch = ev.status != last["status"]
            per = np.bincount(iface[ch], minlength=len(names))
            rec["churn"] += per
            rec["moved_steps"] += per > 0
        last["status"] = ev.status.copy()
        return ev

    term.evaluate = wrapped
    return rec


def child_main(model: str, loadcase: str, state: str, size: str) -> None:
    """One case in this process; prints a JSON line."""
    from fea.solve_case import make_analysis

    m, lc = load(model, state, None if size == "default" else float(size), loadcase)
    c0, t = time.process_time(), time.perf_counter()
    an = make_analysis(m)
    if os.environ.get("BENCH_INTERFACE_SOLVER") and hasattr(an, "ns"):
        an.ns.interface_solver = os.environ["BENCH_INTERFACE_SOLVER"]  # (--interface-solver)
    init_s, init_cpu = time.perf_counter() - t, time.process_time() - c0
    contact = next((x for x in getattr(an, "terms", ()) if x.name == "contact"), None)
    rec = _watch(contact) if contact is not None and contact.active else None
    c0, t = time.process_time(), time.perf_counter()
    res = an.run(lc)
    run_s, run_cpu = time.perf_counter() - t, time.process_time() - c0
    tm = an.timings
    incs = [{"step": s.step, "inc": s.increment, "newton": s.solve.newton_iterations,
             "al": s.solve.al_iterations, "cg": s.solve.iterations,
             "cutbacks": s.solve.cutbacks, "wall_s": s.solve.solve_s,
             "converged": s.solve.converged} for s in res.states]
    mm = an.model  # contact splits nodes: its model numbers the DOFs
    ref = res.final.u[mm.ref_dof("load", 0):][:6] if "load" in mm.ref_points else None
    out = {
        "model": model, "loadcase": loadcase, "state": state, "n_dof": int(res.n_dof_free),
        "elements": int(m.mesh.n_cells), "init_s": init_s, "init_cpu_s": init_cpu,
        "run_s": run_s, "run_cpu_s": run_cpu, "converged": bool(res.converged),
        "increments": incs, "constraints_setup_s": tm.get("constraints_setup_s", 0.0),
        "initial_setups": len(an._cache),
        "rebuilds": tm.get("preconditioner_rebuilds", 0), "rebuild_s": tm.get("rebuild_s", 0.0),
        "penalty_raises": tm.get("penalty_raises", 0),
        "interface_solver": getattr(getattr(an, "ns", None), "interface_solver", None),
        "interface_lus": tm.get("interface_factorisations", 0),
        "interface_lu_s": tm.get("interface_lu_s", 0.0),
        "condense_setup_s": tm.get("condense_setup_s", 0.0),
        "points": 0 if contact is None or not contact.active else int(len(contact.w)),
        "ref_u": None if ref is None else [float(v) for v in ref],
    }
    if rec is not None:
        iface = contact.setup.interface_of_point
        import numpy as np

        npts = np.bincount(iface, minlength=len(rec["names"]))
        # the answer per interface (issue 18 keeps it within 0.5-1 % across solver changes):
        # largest tangential motion since the reference step, mm
        fin = res.final.terms["contact"]
        slip = np.linalg.norm(fin["g"][:, 1:] - fin["g_ref"][:, 1:], axis=1)
        smax = np.zeros(len(rec["names"]))
        np.maximum.at(smax, iface, slip)
        out["interfaces"] = [{"name": n, "points": int(k), "churn": int(c), "moved_steps": int(s),
                              "max_slip_mm": float(sm)}
                             for n, k, c, s, sm in zip(rec["names"], npts, rec["churn"],
                                                       rec["moved_steps"], smax)]
        out["evaluations"] = rec["evaluations"]
    print(json.dumps(out))


def measure(args) -> dict:
    res = {"machine": machine(), "size_mm": args.size, "cases": []}
    size = "default" if args.size is None else str(args.size)
    for model in args.models:
        for state in args.states:  # mesh once per model and state in the parent (cache)
            load(model, state, args.size, args.loadcases[0])
    for model in args.models:
        for lc in args.loadcases:
            for state in args.states:
                r = run_child(python_child(__file__, "--child", model, lc, state, size),
                              mem_cap_gb=args.cap, timeout_s=args.timeout)
                d = r.as_dict()
                d["result"] = json.loads(r.stdout.strip().splitlines()[-1]) if r.ok else None
                res["cases"].append({"model": model, "loadcase": lc, "state": state, **d})
                o = d["result"] or {}
                print(f"{model} {lc} {state}: {r.wall_s:.1f} s, CPU {r.cpu_s:.1f} s, solve "
                      f"{o.get('run_s', float('nan')):.1f} s, Newton "
                      f"{sum(i['newton'] for i in o.get('increments', []))}, rebuilds "
                      f"{o.get('rebuilds')} {r.stopped or ''}"
                      f"{'' if r.ok else r.stderr[-800:]}", flush=True)
                args.json.write_text(json.dumps(res, indent=1))  # partial results survive a stop
    res["machine_end"] = machine()
    return res


def _case_row(c: dict) -> list:
    o = c["result"]
    if o is None:
        why = c["stopped"] or f"exit {c['returncode']}"
        return [c["model"], c["loadcase"], c["state"], "", "", "", "", "", "", "", "",
                f"{c['wall_s']:.0f}", f"{c['cpu_s']:.0f}", f"did not finish: {why}"]
    incs = o["increments"]
    pre = [i for i in incs if i["step"] == "preload"]
    newton = sum(i["newton"] for i in incs)
    churn = ""
    if o.get("interfaces"):
        top = max(o["interfaces"], key=lambda x: x["churn"])
        total = sum(x["churn"] for x in o["interfaces"])
        churn = f"{total} ({top['name']}: {top['churn']})" if total else "0"
    return [c["model"], c["loadcase"], c["state"], o["n_dof"],
            f"{newton} ({sum(i['newton'] for i in pre)})", sum(i["al"] for i in incs),
            sum(i["cg"] for i in incs), f"{o['rebuilds']} / {o['rebuild_s']:.1f}"
            + (f" (Woodbury: S {o['condense_setup_s']:.1f} s, {o['interface_lus']} LUs "
               f"{o['interface_lu_s']:.1f} s)" if o.get("interface_lus") else ""),
            sum(i["cutbacks"] for i in incs), o["penalty_raises"], churn,
            f"{o['run_s']:.1f}", f"{o['run_cpu_s']:.1f}",
            "yes" if o["converged"] else "NO"]


def _ratios(cases: list) -> list:
    by = {(c["model"], c["loadcase"], c["state"]): c["result"] for c in cases}
    rows = []
    for (m, lc, st), o in by.items():
        if st != "immediate":
            continue
        fu, tied = by.get((m, lc, "fused")), by.get((m, lc, "all_tied"))
        f = lambda a, b: f"{a['run_s'] / b['run_s']:.1f}" if a and b else ""  # noqa: E731
        # CPU: the machine is shared, and wall times then measure the other jobs too
        fc = lambda a, b, t: (f"{a['run_cpu_s'] / b['run_cpu_s']:.1f} ("  # noqa: E731
                              + ("met" if a['run_cpu_s'] <= t * b['run_cpu_s'] else "not met")
                              + f", target {t})") if a and b else ""
        rows.append([m, lc, f(o, fu), f(o, tied), f(fu, tied), fc(o, fu, 3), fc(o, tied, 5),
                     fc(fu, tied, 3),
                     f"{o['run_s']:.1f} / {fu['run_s']:.1f} / {tied['run_s']:.1f}"
                     if o and fu and tied else "",
                     f"{o['run_cpu_s']:.1f} / {fu['run_cpu_s']:.1f} / {tied['run_cpu_s']:.1f}"
                     if o and fu and tied else ""])
    return rows


def markdown(r: dict) -> str:
    cases = r["cases"]
    files = " and ".join(dict.fromkeys(f"models/{c['model']}.toml" for c in cases))
    size = "the model files' default size" if r["size_mm"] is None else f"size {r['size_mm']:g} mm"
    churn_rows = []
    for c in cases:
        o = c["result"]
        if not o or not o.get("interfaces"):
            continue
        busy = sorted((x for x in o["interfaces"] if x["churn"]), key=lambda x: -x["churn"])[:3]
        churn_rows.append([c["model"], c["loadcase"], c["state"], o["points"],
                           "; ".join(f"{x['name']} {x['churn']} changes in {x['moved_steps']} "
                                     f"steps ({x['points']} points)" for x in busy) or "none"])
    return "\n".join([
        "`python bench/bench_constructs.py` (options `--size MM`, `--models`, `--loadcases`, "
        "`--states`, `--json`, `--no-write`, `--from-json`). "
        f"{machine_line(r['machine'], r.get('machine_end', r['machine']))}.",
        "",
        f"{files}, base variant, TET10 at {size}; load "
        "cases from loadcases/ (50 N preload, then 1.5 Nm in 3 increments). States: immediate "
        "(as written), fused (implant interfaces tied), all_tied (every interface tied). One "
        "child process per case; solve = `analysis.run` (constraints, factorisations, every "
        "increment), after pairing and assembly. Newton = semismooth Newton steps (in brackets: "
        "of them in the preload), AL = multiplier passes, CG = PCG iterations, refactorisations "
        "= preconditioner rebuilds on the current tangent (and their s; the first factor of "
        "each constraint set is not counted), churn = contact points whose status changed "
        "between consecutive Newton steps, summed over the case (busiest interface).",
        "",
        table(["model", "load case", "state", "free DOF", "Newton (preload)", "AL", "CG",
               "refactorisations / s", "cut-backs", "penalty raises", "churn (busiest)",
               "solve s", "solve CPU s", "converged"], [_case_row(c) for c in cases]),
        "",
        table(["model", "load case", "immediate / fused", "immediate / all-tied",
               "fused / all-tied", "CPU: immediate / fused", "CPU: immediate / all-tied",
               "CPU: fused / all-tied", "solve s: immediate / fused / all-tied",
               "solve CPU s: immediate / fused / all-tied"], _ratios(cases)),
        "",
        "Status churn per interface (the three busiest):",
        "",
        table(["model", "load case", "state", "contact points", "interfaces"], churn_rows),
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=None,
                    help="mesh size, mm (default: the model files' own, 5 mm: minutes per case)")
    ap.add_argument("--models", nargs="+", default=list(MODELS), type=model_name,
                    help="model files under models/, without .toml (default: "
                         + " ".join(MODELS) + "; the bundled anatomy constructs: aad_cages ...)")
    ap.add_argument("--loadcases", nargs="+", default=list(LOADCASES))
    ap.add_argument("--states", nargs="+", default=list(STATES), choices=STATES)
    ap.add_argument("--json", type=Path, default=JSON, help=f"where the run goes ({JSON.name})")
    ap.add_argument("--interface-solver", choices=("auto", "woodbury", "refactor"),
                    help="NewtonSettings.interface_solver for every case (default: the library's)")
    child_bench_args(ap, cap_gb=8.0, timeout_s=1800.0, child_args=4)
    args = ap.parse_args()
    if args.interface_solver:
        os.environ["BENCH_INTERFACE_SOLVER"] = args.interface_solver  # read by the children
    if args.child:
        child_main(*args.child)
        return
    if args.from_json is not None:
        runs = [json.loads(Path(f).read_text()) for f in args.from_json or [args.json]]
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        runs = [measure(args)]
        args.json.write_text(json.dumps(runs[0], indent=1))
    text = "\n\n".join(markdown(r) for r in runs) + "\n\n" + FINDINGS
    print(text)
    if not args.no_write:
        write_section(HEADING, text)


if __name__ == "__main__":
    sys.exit(main())
