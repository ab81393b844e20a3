"""Tiny study files for the study tests: a titanium bar (TET4, ~700 elements) fixed at its base,
loaded through reference point `load` on its top, with a softer variant; flexion and extension
(50 N preload, then 1.5 Nm). A case solves in a fraction of a second."""

from __future__ import annotations

import csv
import math
from pathlib import Path

BAR = """
[model]
name = "bar"

[mesh]
builder = "box"
params = {{ lx_mm = 10.0, ly_mm = 10.0, lz_mm = 20.0 }}
size_mm = {size}
element_order = 1

[materials.ti]
E_MPa = 110000.0
nu = 0.3
yield_MPa = 795.0

[[sections]]
cell_set = "body"
material = "ti"
role = "implant"

[[supports]]
name = "base"
set = "zmin"

[ref_points.load]
position_mm = [5.0, 5.0, 20.0]
coupling = "kinematic"
surface = "zmax"

[variants.soft]
description = "a softer bar"
materials.ti = {{ E_MPa = 20000.0 }}
"""

LOADCASE = """
[loadcase]
name = "{name}"

[[steps]]
name = "preload"
loads = [{{ ref_point = "{ref}", force_N = [0.0, 0.0, -50.0] }}]

[[steps]]
name = "moment"
increments = {increments}
loads = [{{ ref_point = "{ref}", moment_Nm = [{mx}, 0.0, 0.0] }}]
"""

STUDY = """
[study]
name = "tiny"
loadcases = {loadcases}
{extra_study}

[[models]]
file = "bar.toml"
variants = {variants}
{extra}
"""


def write_files(root: Path, size: float = 5.0, increments: int = 2, variants='["base", "soft"]',
                extra: str = "", extra_study: str = "", top: str = "",
                loadcases=("flexion", "extension")) -> Path:
    """Write bar.toml, the load cases and study.toml into root; return the study file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "bar.toml").write_text(BAR.format(size=size))
    moments = {"flexion": -1.5, "extension": 1.5, "typo": -1.5}
    for name in loadcases:
        ref = "lod" if name == "typo" else "load"  # 'typo' names a reference point not there
        (root / f"{name}.toml").write_text(LOADCASE.format(
            name=name, ref=ref, increments=increments, mx=moments[name]))
    files = "[" + ", ".join(f'"{n}.toml"' for n in loadcases) + "]"
    path = root / "study.toml"
    path.write_text(top + STUDY.format(loadcases=files, variants=variants, extra=extra,
                                       extra_study=extra_study))
    return path


TIMING_COLUMNS = ("solver_wall_s",)
# the final linear residual is round-off of the last CG step: with the single-precision PARDISO
# factor (threaded, not bit-reproducible) two runs of the same inputs gave 1.45e-10 and 1.54e-10;
# it must stay converged (< 1e-7, SolverSettings' check is 1e-6) in both, not equal
RESIDUAL_COLUMNS = ("solver_residual_max",)
RESIDUAL_CONVERGED = 1e-7


def summary_without_timings(path: Path) -> list[dict]:
    """summary.csv rows without the wall-time column (the only one that may differ between two
    runs of the same inputs beyond round-off)."""
    with open(path, newline="") as fh:
        return [{k: v for k, v in r.items() if k not in TIMING_COLUMNS}
                for r in csv.DictReader(fh)]


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    # runs with other thread counts sum in another order: equal to round-off, not bit for bit
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def _both_converged(a: str, b: str) -> bool:
    return a == b or (float(a) < RESIDUAL_CONVERGED and float(b) < RESIDUAL_CONVERGED)


def assert_same_summary(path_a: Path, path_b: Path) -> None:
    a, b = summary_without_timings(path_a), summary_without_timings(path_b)
    assert [(r["variant"], r["loadcase"]) for r in a] == [(r["variant"], r["loadcase"]) for r in b]
    for ra, rb in zip(a, b):
        assert ra.keys() == rb.keys()
        diff = {k: (ra[k], rb[k]) for k in ra
                if not (_both_converged(ra[k], rb[k]) if k in RESIDUAL_COLUMNS
                        else _same(ra[k], rb[k]))}
        assert not diff, f"{ra['variant']}/{ra['loadcase']}: {diff}"


def coarse_construct_study(name: str, loadcases: list[str], states: list[str],
                           models: str) -> str:
    """A study at the box-bone demo's speed setting (studies/examples/demo_boxes.toml: TET4,
    5 mm, contact force tolerance 1e-6): `models` is the [[models]] tables' text; load cases are
    paths."""
    lcs = ", ".join(f'"{p}"' for p in loadcases)
    sts = ", ".join(f'"{s}"' for s in states)
    return (f'[study]\nname = "{name}"\nloadcases = [{lcs}]\nstates = [{sts}]\n\n'
            "[mesh]\nelement_order = 1\nsize_mm = 5.0\n\n"
            "[solver.contact]\ntol_force = 1e-6\n\n" + models)
