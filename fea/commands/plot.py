"""`plot CASE_DIR|STUDY_DIR`: write the figures of one case, or of a whole study, as PNGs."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser(
        "plot", help="write PNG figures of a case or a study (off-screen)",
        description="For a case folder (with summary.json): von Mises on the deformed construct, "
        "micromotion and contact-pressure maps on each interface, a section through the implant, "
        "into CASE_DIR/figures. For a study folder: the ROM and micromotion charts into "
        "STUDY_DIR/figures, and every case's figures unless --no-cases.",
        epilog="Deformations are magnified for display; the factor is printed in each title "
        "(--scale sets it). No display is needed.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", type=Path, metavar="CASE_DIR|STUDY_DIR")
    p.add_argument("--out", "-o", type=Path, help="output folder (default: <path>/figures)")
    p.add_argument("--scale", type=float, help="deformation magnification (default: automatic)")
    p.add_argument("--no-cases", action="store_true", help="study: charts only")
    return p


def run(args) -> int:
    from rich.console import Console

    from ..errors import FeaError
    from ..plot.charts import study_charts
    from ..plot.figures import case_figures
    from ..summary_table import case_dirs, load_or_build, read_study_json, study_thresholds

    console = Console(stderr=True)
    path = args.path
    if not path.is_dir():
        raise FeaError(f"'{path}' is not a folder (give a case or a study results folder)")
    if (path / "summary.json").exists():
        study = path.parent.parent
        th = study_thresholds(read_study_json(study), study)
        written = case_figures(path, args.out, th, args.scale)
    else:
        study = read_study_json(path)
        th = study_thresholds(study, path)
        out = args.out or path / "figures"
        written = study_charts(load_or_build(path), out, th)
        if not args.no_cases:
            for variant, lc, folder in case_dirs(path):
                if not (folder / "summary.json").exists():
                    console.print(f"[yellow]skipped[/] {variant}/{lc}: no summary.json")
                    continue
                target = out / variant / lc if args.out else None
                written += case_figures(folder, target, th, args.scale)
    for w in written:
        console.print(f"wrote {w}", highlight=False)
    return 0
