"""`export MODEL [--loadcase LC] --out deck.inp`: a model (and load case) as an input deck."""

from __future__ import annotations

import argparse
from pathlib import Path


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
    p.add_argument("--dialect", choices=["calculix", "abaqus"], default="calculix",
                   help="how surface tractions are written (default: calculix)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    return p


def run(args) -> int:
    from ..abaqus import read_deck, write_deck
    from ..config import check_loadcase_against, load_loadcase, load_model
    from ..errors import ConfigError

    if args.out.suffix.lower() != ".inp":
        raise ConfigError(f"--out {args.out}: a deck file name ends in .inp (ccx needs it)")
    if args.model.suffix.lower() == ".inp":
        deck = read_deck(args.model)
        model, loadcase = deck.model, deck.loadcase
    else:
        model, loadcase = load_model(args.model), None
    if args.loadcase is not None:
        loadcase = load_loadcase(args.loadcase)
    if loadcase is not None:
        check_loadcase_against(model, loadcase)
    write_deck(model, loadcase, args.out, dialect=args.dialect)
    if not args.quiet:
        steps = f"{len(loadcase.steps)} step(s)" if loadcase else "no steps (model only)"
        print(f"wrote {args.out}: {model.mesh.n_nodes} nodes, {model.mesh.n_cells} "
              f"{'C3D10' if model.mesh.nodes_per_cell == 10 else 'C3D4'} elements, {steps}; "
              f"run it with: ccx -i {args.out.with_suffix('').name}")
    return 0
