"""Meshing benchmark: time, elements, nodes and DOF of every bundled model at its default size
(and optionally every variant), without the mesh cache. Writes the table into bench/README.md
under the heading "## Meshing" (only that section is replaced).

    python bench/bench_meshing.py [--variants] [--size MM] [--no-write] [--model PATH ...]
    python bench/bench_meshing.py --breakdown [--model PATH] [--size MM] [--order 1|2]

Besides models/*.toml (the intact model and the constructs on the parametric occiput-C3 column)
it meshes the example models in EXAMPLES (the former box-bone intact model and constructs).
`--model` measures only the given files and prints the rows without writing.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLES = tuple(ROOT / "models" / "examples" / f"{m}_boxes.toml"
                 for m in ("intact", "c2_avb", "aad_cages"))


def measure(model: Path, variant: str, size: float | None) -> dict:
    from fea.config import build_mesh
    from fea.variants import expand_variants

    spec = expand_variants(model)[variant]
    if size is not None:
        spec = spec.model_copy(update={"mesh": spec.mesh.model_copy(update={"size_mm": size})})
    t = time.perf_counter()
    mesh = build_mesh(spec.mesh, model, None)
    seconds = time.perf_counter() - t
    q = mesh.quality()
    return {"model": model.stem, "variant": variant, "size_mm": spec.mesh.size_mm,
            "type": mesh.element_type.upper(), "elements": mesh.n_cells, "nodes": mesh.n_nodes,
            "dof": 3 * mesh.n_nodes, "seconds": seconds, "worst_shape": q.worst_shape_quality,
            "min_jac": q.min_jacobian_ratio}


def cpu_s() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def breakdown(model: Path, size: float | None, order: int | None) -> str:
    """Where the CPU time and the elements of one model's mesh go: the phases of
    fea.geometry.meshing (solids, the assembly's fragments and groups, gmsh's mesh and the
    sets) timed by wrapping them, and the elements per cell set (per bone and region)."""
    from fea.config import build_mesh
    from fea.geometry import meshing
    from fea.geometry.assembly import Assembly
    from fea.variants import expand_variants

    spent = {"fragments and groups": 0.0, "mesh (gmsh 1D-3D, order, sets)": 0.0}
    attempts = []

    def timed(fn, key):
        def run(*a, **k):
            t = cpu_s()
            try:
                return fn(*a, **k)
            finally:
                spent[key] += cpu_s() - t
                if key.startswith("mesh"):
                    attempts.append(a[2])  # the size of each attempt (the retry ladder)
        return run

    build0, mesh0 = Assembly.build, meshing.mesh_assembly
    Assembly.build = timed(build0, "fragments and groups")
    meshing.mesh_assembly = timed(mesh0, "mesh (gmsh 1D-3D, order, sets)")
    try:
        spec = expand_variants(model)["base"]
        upd = {k: v for k, v in (("size_mm", size), ("element_order", order)) if v is not None}
        spec = spec.model_copy(update={"mesh": spec.mesh.model_copy(update=upd)})
        t = cpu_s()
        mesh = build_mesh(spec.mesh, model, None)
        total = cpu_s() - t
    finally:
        Assembly.build, meshing.mesh_assembly = build0, mesh0
    q = mesh.quality()
    spent = {"solids (OCC parts, unions, cuts, shells)": total - sum(spent.values()), **spent}
    lines = [f"`python bench/bench_meshing.py --breakdown --model {model.relative_to(ROOT)}"
             f"{f' --size {size:g}' if size else ''}{f' --order {order}' if order else ''}`: "
             f"{spec.mesh.size_mm:g} mm {mesh.element_type.upper()}, {mesh.n_cells:,} elements, "
             f"{mesh.n_nodes:,} nodes, {3 * mesh.n_nodes:,} DOF, worst shape quality "
             f"{q.worst_shape_quality:.4f}, min Jacobian ratio {q.min_jacobian_ratio:.3f}; "
             f"attempts at {', '.join(f'{h:.2f}' for h in attempts)} mm; CPU s of this process, "
             f"load average {os.getloadavg()[0]:.1f} at the end.", "",
             "| phase | CPU s |", "| --- | --- |"]
    lines += [f"| {k} | {v:.1f} |" for k, v in spent.items()] + [f"| total | {total:.1f} |", ""]
    lines += ["| cell set | elements | share |", "| --- | --- | --- |"]
    regions = {k: v for k, v in mesh.cell_sets.items() if "|" not in k}
    # a body's set holds its regions': list the regions, and a body only if it has one region
    parts = {k for k in regions if any(r != k and r.startswith(k + "_") for r in regions)}
    for k in sorted(regions):
        if k not in parts:
            n = len(regions[k])
            lines.append(f"| {k} | {n:,} | {100 * n / mesh.n_cells:.1f} % |")
    return "\n".join(lines)


def table(rows: list[dict]) -> str:
    head = ("| model | variant | size mm | elements | nodes | DOF | mesh s | worst shape | "
            "min Jacobian ratio |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
    return head + "".join(
        f"| {r['model']} | {r['variant']} | {r['size_mm']:g} | {r['elements']} "
        f"{r['type']} | {r['nodes']} | {r['dof']} | {r['seconds']:.1f} | {r['worst_shape']:.3f} "
        f"| {r['min_jac']:.3f} |\n" for r in rows)


def write_section(text: str, path: Path = ROOT / "bench" / "README.md") -> None:
    from fea import atomic

    old = path.read_text() if path.exists() else "# Benchmarks\n"
    section = "## Meshing\n\n" + text.rstrip() + "\n"
    pat = re.compile(r"^## Meshing\n.*?(?=^## |\Z)", re.S | re.M)
    new = pat.sub(lambda _: section + "\n", old) if pat.search(old) else \
        old.rstrip() + "\n\n" + section
    atomic.write_text(path, new.rstrip() + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", action="store_true", help="also mesh every variant")
    ap.add_argument("--size", type=float, help="mesh size in mm instead of each model's default")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--model", action="append", type=Path,
                    help="mesh only this model file (repeatable; prints, does not write)")
    ap.add_argument("--breakdown", action="store_true",
                    help="phases and elements per cell set of one model (default: the intact "
                    "column); prints, does not write")
    ap.add_argument("--order", type=int, choices=(1, 2), help="with --breakdown: element order")
    args = ap.parse_args(argv)
    if args.breakdown:
        model = (args.model or [ROOT / "models" / "intact.toml"])[0].resolve()
        print(breakdown(model, args.size, args.order))
        return 0
    if args.model:
        args.no_write = True
    from fea.variants import expand_variants

    rows = []
    for model in args.model or [*sorted((ROOT / "models").glob("*.toml")), *EXAMPLES]:
        variants = list(expand_variants(model)) if args.variants else ["base"]
        seen = set()
        for v in variants:
            spec = expand_variants(model)[v]
            key = spec.mesh.model_dump_json()
            if key in seen:  # a material-only variant shares the base mesh
                continue
            seen.add(key)
            rows.append(measure(model, v, args.size))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    try:
        load = "load average %.1f at the end" % os.getloadavg()[0]
    except OSError:
        load = ""
    text = (f"`python bench/bench_meshing.py{' --variants' if args.variants else ''}`: "
            f"gmsh {__import__('gmsh').__version__}, one gmsh thread (deterministic), no mesh "
            f"cache, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{load} (the machine is shared, so times vary). TET10 at each model's default "
            "size; variants that change only materials share their model's mesh and are not "
            "listed.\n\n" + table(rows))
    print(text)
    if not args.no_write:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
