"""`show CASE_DIR`: open the interactive 3D view of one case (needs a display)."""

from __future__ import annotations

from pathlib import Path


def add_parser(sub):
    p = sub.add_parser(
        "show", help="open an interactive 3D view of a case",
        description="Von Mises on the deformed construct with the interface points coloured by "
        "micromotion. Needs a display; without one, use `plot`, which writes PNGs.",
    )
    p.add_argument("case", type=Path, metavar="CASE_DIR")
    p.add_argument("--scale", type=float, help="deformation magnification (default: automatic)")
    return p


def run(args) -> int:
    from ..errors import FeaError
    from ..plot.interactive import show_case
    from ..summary_table import read_study_json, study_thresholds

    if not (args.case / "summary.json").exists():
        raise FeaError(f"'{args.case}' is not a case folder (no summary.json); for a study, "
                       "pick one of its <variant>/<loadcase> folders")
    study = args.case.parent.parent
    show_case(args.case, study_thresholds(read_study_json(study), study), args.scale)
    return 0
