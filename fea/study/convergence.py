"""Mesh convergence: the same cases at a finer mesh, and the relative change of every metric.

change_pct = 100 |fine - coarse| / max(|fine|, |coarse|): symmetric and bounded (200 % at most,
for a sign flip), so a metric near zero cannot blow up to an unreadable number. Rotation
components and coupled rotations are judged against the case's ROM instead of their own size (a
1e-4 deg coupled rotation that changes by 30 % is noise, not a mesh problem). Every other
metric is judged against at least an absolute floor by its unit (FLOORS), the scale of the
decisions it feeds: a contact pressure of 5.6e-9 -> 4.6e-9 MPa is not a 17.6 % change but
5e-8 % of the 1.9 MPa cancellous yield; 0.5 -> 0.7 µm of slip is 0.7 % of the 28 µm ingrowth
threshold. Metrics exactly zero on both meshes (a tied interface's slip) have no change to
report. Solver figures (DOFs, iterations, time) change by design and are not compared. Changes
above the threshold are flagged: the coarse mesh is not fine enough for that number.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from .. import atomic

FILE = "convergence.csv"
NOT_METRICS = ("variant", "loadcase", "converged", "status", "flags", "n_flags",
               "rom_reference_deg", "moment_Nm")


def _numeric(v) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


ROTATION_COLUMNS = ("rotation_x_deg", "rotation_y_deg", "rotation_z_deg", "coupled_rotation_deg")

# (unit in the column name, floor): each the smallest threshold that metric is judged against
# (fea/metrics/thresholds.py defaults) or, without one, a size below which no decision changes
FLOORS = (
    ("_to_yield", 1.0),  # pressure / bone yield: 1 = yield
    ("_to_core", 1.0),  # contact patch's mean pressure / the cancellous core's yield
    ("_MPa", 1.9),  # cancellous bone yield (Kopperdahl & Keaveny 1998), the weakest judged
    ("_um", 28.0),  # ingrowth threshold (Pilliar 1986)
    ("_pct", 5.0),  # area over yield that makes subsidence 'high' (percentage points)
    ("_mm2", 1.0),  # contact area: one mm² (a coarse contact point covers ~1-3 mm²)
    ("_mm", 1e-3),  # displacements: 1 µm
    ("_N", 1.0),  # forces: 1 N (the preloads are 40-75 N)
    ("_deg", 0.01),  # ROM: 0.01 deg, under any reported digit of a fused construct's ROM
)


def floor_of(column: str) -> float:
    """The absolute floor of a summary column (per-entity columns end in @name)."""
    stem = column.split("@", 1)[0]
    for suffix in ("_max", "_min", "_worst"):
        stem = stem.removesuffix(suffix)
    for unit, floor in FLOORS:
        if stem.endswith(unit):
            return floor
    return 0.0


def change_pct(coarse: float, fine: float, floor: float = 0.0) -> float | None:
    scale = max(abs(coarse), abs(fine), floor)
    if scale == 0.0:
        return None
    return 100.0 * abs(fine - coarse) / scale


def compare_runs(coarse_rows: list[dict], fine_rows: list[dict], threshold_pct: float) -> dict:
    fine = {(r["variant"], r["loadcase"]): r for r in fine_rows}
    entries, flagged, not_compared = [], [], []
    for c in coarse_rows:
        key = (c["variant"], c["loadcase"])
        f = fine.get(key)
        if f is None or not (c.get("converged") and f.get("converged")):
            not_compared.append(f"{key[0]}/{key[1]}")
            continue
        for col, cv in c.items():
            if col in NOT_METRICS or col.startswith("solver_"):
                continue
            a, b = _numeric(cv), _numeric(f.get(col))
            if a is None or b is None:
                continue
            rom = _numeric(c.get("rom_deg")) or 0.0
            pct = change_pct(a, b, abs(rom) if col in ROTATION_COLUMNS else floor_of(col))
            if pct is None:
                continue
            e = {"variant": key[0], "loadcase": key[1], "metric": col, "coarse": a, "fine": b,
                 "change_pct": pct, "flagged": pct > threshold_pct}
            entries.append(e)
            if e["flagged"]:
                flagged.append(e)
    flagged.sort(key=lambda e: -e["change_pct"])
    return {"entries": entries, "flagged": flagged, "n_compared": len(entries),
            "not_compared": not_compared, "threshold_pct": threshold_pct}


def write_convergence(study_dir: Path, result: dict) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["variant", "loadcase", "metric", "coarse", "fine", "change_pct", "flagged"])
    for e in result["entries"]:
        w.writerow([e["variant"], e["loadcase"], e["metric"], repr(e["coarse"]),
                    repr(e["fine"]), f"{e['change_pct']:.3f}", e["flagged"]])
    for key in result["not_compared"]:
        w.writerow([*key.split("/", 1), "(not compared: a mesh did not converge or failed)",
                    "", "", "", True])
    path = Path(study_dir) / FILE
    atomic.write_text(path, buf.getvalue())
    return path
