"""`export MODEL [--loadcase LC] --out deck.inp`: a model (and load case) as an input deck."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import positive_float


def add_parser(sub):
    p = sub.add_parser(
        "export", help="write a model and load case as an Abaqus/CalculiX input deck",
        description="Write MODEL (a TOML model file or an .inp deck) with its load case as an "
        "input deck that CalculiX (ccx) and Abaqus run and that `solve` reads back. Node and "
        "element numbers are kept, so results can be compared node by node.",
        epilog="dialects: 'calculix' (default) writes surface tractions and total surface forces "
        "as their nodal forces (*CLOAD), since ccx's *DSLOAD knows only pressure; 'abaqus' "
        "writes them as *DSLOAD TRVEC. Units stay mm, N, MPa, N*mm. See docs/abaqus.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", type=Path, help="model .toml or Abaqus/CalculiX .inp")
    p.add_argument("--loadcase", "-l", type=Path,
                   help="load case .toml (a deck's own steps are used when omitted)")
    p.add_argument("--out", "-o", type=Path, required=True, help="deck to write (.inp)")
    p.add_argument("--variant", default="base", help="a [variants.NAME] of a model .toml (base)")
    p.add_argument("--state", choices=["immediate", "fused"], default="immediate",
                   help="interface state: as written (immediate, default) or fused (implant "
                   "interfaces tied, as in a study's 'fused' state)")
    p.add_argument("--size", type=positive_float,
                   help="element size in mm (overrides [mesh].size_mm of a model .toml)")
    p.add_argument("--order", type=int, choices=[1, 2],
                   help="1 = TET4 (C3D4), 2 = TET10 (C3D10; overrides [mesh].element_order)")
    p.add_argument("--dialect", choices=["calculix", "abaqus"], default="calculix",
                   help="how surface tractions are written (default: calculix)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    return p


def run(args) -> int:
    from ..abaqus import read_deck, write_deck
    from ..config import check_loadcase_against, load_loadcase
    from ..errors import ConfigError

    if args.out.suffix.lower() != ".inp":
        raise ConfigError(f"--out {args.out}: a deck file name ends in .inp (ccx needs it)")
    if args.model.suffix.lower() == ".inp":
        if args.variant != "base" or args.state != "immediate" or args.size or args.order:
            raise ConfigError(f"{args.model}: --variant, --state, --size and --order apply to a "
                              "model .toml, not to a deck")
        deck = read_deck(args.model)
        model, loadcase = deck.model, deck.loadcase
    else:
        from ..variants import load_variant

        model = load_variant(args.model, args.variant, size_mm=args.size, state=args.state,
                             element_order=args.order)
        loadcase = None
    if args.loadcase is not None:
        loadcase = load_loadcase(args.loadcase)
    if loadcase is not None:
        check_loadcase_against(model, loadcase)
    write_deck(model, loadcase, args.out, dialect=args.dialect)
    if not args.quiet:
        steps = f"{len(loadcase.steps)} step(s)" if loadcase else "no steps (model only)"
        print(f"wrote {args.out}: {model.mesh.n_nodes} nodes, {model.mesh.n_cells} "
              f"{'+'.join(model.mesh.type_names)} elements, {steps}; "
              f"run it with: ccx -i {args.out.with_suffix('').name}")
    return 0
