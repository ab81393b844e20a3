"""The intact occiput-C3 column's load cases on one analysis (issue 18): per case the Newton
steps, multiplier passes, preconditioner rebuilds and penalty raises of each step, the process
CPU and wall seconds, whether a step was taken from an earlier case (the shared preload), and the
ROM per level at the end, so that a change of the solver is judged on its counts and its answers.

    python bench/bench_column.py [--model models/intact.toml] [--cases flexion,extension,...]
        [--no-reuse] [--predictor] [--json OUT.json] [--hold SETS --contacts NAMES]

--hold fixes every node of the cell sets it names (shell patterns) and --contacts keeps only the
named contact interfaces: a sub-model of one level on the same mesh, e.g. C0 on a held C1-C3
(docs/validation.md "Calibration of the column": ~10x cheaper per case, and its C0-C1 flexion
and extension within 3-9 % of the column's; not its axial rotation and lateral bending, where
the alar ligaments couple C0-C1 to the motion of C1-C2).

One process, one set-up (assembly, constraints, first factor) shared by the cases in the order
given, as `validate` and a study's worker run them; the mesh comes from the mesh cache
(.cache/meshes). CPU seconds are the process's (both threads); the machine is shared, so the
wall time is an upper bound. Prints a markdown table; --json keeps the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = ("flexion", "extension", "lateral_bending_left", "lateral_bending_right",
         "axial_rotation_left", "axial_rotation_right", "compression")


def run(model_path: Path, cases, reuse: bool, predictor: bool, held=None) -> dict:
    from fea.config import load_loadcase, load_model
    from fea.contact.term import ContactSettings
    from fea.mesh_cache import MeshCache
    from fea.solve_case import make_analysis
    from fea.validation import contact_term, curves_from_result

    t0, c0 = time.perf_counter(), time.process_time()
    model = load_model(model_path, MeshCache(ROOT / ".cache" / "meshes"))
    if held is not None:  # a level's sub-model (fea.calibration.held_submodel)
        from fea.calibration import held_submodel

        model = held_submodel(model, held[0].split(","), held[1].split(","), "--hold")
    an = make_analysis(model, contact=ContactSettings(reuse_steps=reuse, predictor=predictor))
    out = {"model": str(model_path), "reuse_steps": reuse, "predictor": predictor,
           "load1": os.getloadavg()[0], "setup": {"wall_s": time.perf_counter() - t0,
                                                  "cpu_s": time.process_time() - c0},
           "cases": {}}
    contact = contact_term(an)
    for name in cases:
        lc = load_loadcase(ROOT / "loadcases" / f"{name}.toml")
        before = dict(an.timings)
        t, c = time.perf_counter(), time.process_time()
        res = an.run(lc)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        steps = {}
        for st in res.states:
            s = steps.setdefault(st.step, {"newton": 0, "al": 0, "reused_from": "",
                                           "per_increment": []})
            if st.solve.reused_from:
                s["reused_from"] = st.solve.reused_from
            else:
                s["newton"] += st.solve.newton_iterations
                s["al"] += st.solve.al_iterations
                s["per_increment"].append((st.solve.newton_iterations, st.solve.al_iterations,
                                           st.solve.cutbacks))
        diff = {k: an.timings.get(k, 0) - before.get(k, 0)
                for k in ("preconditioner_rebuilds", "rebuild_s", "penalty_raises",
                          "steps_reused", "constraints_setup_s")}
        rom = None
        if res.converged and "preload" in {s.step for s in res.states}:
            curve = curves_from_result(res, contact=contact)
            rom = curve[-1]["levels"]
        out["cases"][name] = {"converged": bool(res.converged), "wall_s": wall, "cpu_s": cpu,
                              "steps": steps, **diff, "levels": rom,
                              "load1": os.getloadavg()[0]}
        print(name, json.dumps(out["cases"][name], default=float), flush=True)
    out["total"] = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
    return out


def table(out: dict) -> str:
    rows = ["| load case | converged | preload Newton / AL | moment Newton / AL | rebuilds "
            "(s) | CPU s | wall s | ROM C0-C1 / C1-C2 / C2-C3 deg |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, c in out["cases"].items():
        st = list(c["steps"].values())
        first = "taken from " + st[0]["reused_from"] if st[0]["reused_from"] else \
            f"{st[0]['newton']} / {st[0]['al']}"
        rest = " + ".join(f"{s['newton']} / {s['al']}" for s in st[1:])
        # the ROM in the moment's direction; without a moment (compression) the rotation
        # magnitude, in brackets
        rom = " / ".join(f"{lv['rom_deg']:.2f}" if lv["rom_deg"] is not None
                         else f"({lv['rotation_magnitude_deg']:.2f})"
                         for lv in c["levels"].values()) if c["levels"] else "-"
        rows.append(f"| {name} | {'yes' if c['converged'] else 'NO'} | {first} | {rest} | "
                    f"{c['preconditioner_rebuilds']} ({c['rebuild_s']:.0f}) | {c['cpu_s']:.0f} | "
                    f"{c['wall_s']:.0f} | {rom} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "intact.toml")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--no-reuse", action="store_true")
    ap.add_argument("--predictor", action="store_true", help="NewtonSettings.predictor on")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--hold", help="cell sets fixed (shell patterns, comma-separated), e.g. "
                    "'C1_*,C2_*,C3_*,disc_*,facet_C1C2_*,facet_C2C3_*'")
    ap.add_argument("--contacts", default="*", help="contact interfaces kept with --hold, "
                    "e.g. 'facet_C0C1_*'")
    a = ap.parse_args()
    out = run(a.model, a.cases.split(","), not a.no_reuse, a.predictor,
              None if a.hold is None else (a.hold, a.contacts))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1, default=float))
    print(table(out))
    print(f"set-up {out['setup']['cpu_s']:.0f} CPU-s, total {out['total']['cpu_s']:.0f} CPU-s")


if __name__ == "__main__":
    main()
