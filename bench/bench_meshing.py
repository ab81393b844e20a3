"""Meshing benchmark: time, elements, nodes and DOF of every bundled model at its default size
(and optionally every variant), without the mesh cache. Writes the table into bench/README.md
under the heading "## Meshing" (only that section is replaced).

    python bench/bench_meshing.py [--variants] [--size MM] [--no-write] [--model PATH ...]

Besides models/*.toml (the intact model is the parametric occiput-C3 column) it meshes the
example models in EXAMPLES (the former box-bone intact model). `--model` measures only the given
files and prints the rows without writing.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLES = (ROOT / "models" / "examples" / "intact_boxes.toml",)


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
    args = ap.parse_args(argv)
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
        import os

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
