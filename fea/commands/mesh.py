"""`mesh MODEL [--variant NAME] [--out DIR] [--size MM]`: mesh a model (through the mesh cache),
write mesh.vtu (cell data `region`), mesh.png and mesh_report.json, print the mesh report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import positive_float


def add_parser(sub):
    p = sub.add_parser(
        "mesh", help="mesh a model and report its elements, quality, bodies and interfaces",
        description="Mesh MODEL (a model .toml; --variant picks one of its [variants]) and write "
        "mesh.vtu (cell data 'region', names in mesh_report.json), mesh.png (left lateral, anterior, posterior and superior views) and "
        "mesh_report.json to --out. Meshes are cached by their parameters in --cache.",
        epilog="units: mm. Frame: +x patient left, +y anterior, +z cranial.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", type=Path, help="model .toml")
    p.add_argument("--variant", default="base", help="a [variants.NAME] of the model (base)")
    p.add_argument("--out", "-o", type=Path, help="output folder (results/mesh/<model>)")
    p.add_argument("--size", type=positive_float,
                   help="element size in mm (overrides [mesh].size_mm)")
    p.add_argument("--order", type=int, choices=[1, 2], help="1 = TET4, 2 = TET10 (default)")
    p.add_argument("--cache", type=Path, default=Path(".cache/meshes"), help="mesh cache folder")
    p.add_argument("--no-cache", action="store_true", help="always remesh")
    p.add_argument("--no-picture", action="store_true", help="skip mesh.png")
    p.add_argument("--export-stl", type=Path, metavar="DIR",
                   help="also write each body's outer surface as DIR/<body>.stl")
    return p


def run(args) -> int:
    from rich.console import Console

    from .. import atomic
    from ..config import model_from_spec
    from ..geometry.picture import write_png, write_vtu
    from ..geometry.report import mesh_report, print_report
    from ..mesh_cache import MeshCache
    from ..variants import expand_variants

    console = Console()
    specs = expand_variants(args.model)
    if args.variant not in specs:
        from ..config import suggest
        from ..errors import ConfigError

        hint = suggest(args.variant, specs)
        did = f" Did you mean '{hint}'?" if hint else ""
        raise ConfigError(f"{args.model}: no variant '{args.variant}'.{did} Variants: "
                          f"{', '.join(specs)}")
    spec = specs[args.variant]
    update = {}
    if args.size is not None:
        update["size_mm"] = args.size
    if args.order is not None:
        update["element_order"] = args.order
    if update:
        spec = spec.model_copy(update={"mesh": spec.mesh.model_copy(update=update)})
    out = args.out or Path("results") / "mesh" / spec.model.name
    atomic.check_replaceable(out)  # before meshing: checked up front
    if args.export_stl and args.export_stl.exists() and not args.export_stl.is_dir():
        from ..errors import ConfigError

        raise ConfigError(f"--export-stl {args.export_stl}: exists and is not a folder; give a "
                          "folder for the STL files")
    cache = None if args.no_cache else MeshCache(args.cache)
    t0 = time.perf_counter()
    model = model_from_spec(spec, args.model, cache)
    seconds = time.perf_counter() - t0
    report = mesh_report(model, spec, seconds, cache)
    regions = report["regions"]
    with atomic.staged_dir(out) as stage:  # a failure (e.g. in the picture) leaves no folder
        write_vtu(stage / "mesh.vtu", model.mesh, regions)
        if not args.no_picture:
            write_png(stage / "mesh.png", model.mesh, regions,
                      f"{spec.model.name}: {model.mesh.n_cells} "
                      f"{model.mesh.element_type.upper()}")
        atomic.write_json(stage / "mesh_report.json", report)  # last: the folder is complete
    if args.export_stl:
        from ..geometry.stl import export_bodies

        files = export_bodies(model, args.export_stl)
        console.print(f"wrote {len(files)} STL surfaces to {args.export_stl}")
    print_report(console, report)
    console.print(f"mesh written to {out}")
    return 0
