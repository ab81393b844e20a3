"""Per-fibre and per-ligament results from fibre arrays (pure functions: no solver, no files).

Per fibre: force (N), elongation (mm), strain (% of the reference length; nan for springs
without length), taut flag. Per ligament: total force (the fibres act in parallel), the
share-weighted mean elongation and strain, the fraction of fibres taut, the peak fibre force,
and `over_failure` when the total force exceeds the ligament's failure force.
"""

from __future__ import annotations

import numpy as np

from .fibres import Fibres
from .law import evaluate, taut


def fibre_fields(fibres: Fibres, delta_mm: np.ndarray, force_N: np.ndarray | None = None,
                 taut_flag: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-fibre arrays for output; force and taut are evaluated from the law when not given."""
    delta = np.asarray(delta_mm, float)
    if force_N is None:
        force_N, _ = evaluate(fibres.law, delta)
    if taut_flag is None:
        taut_flag = taut(fibres.law, delta)
    with np.errstate(invalid="ignore", divide="ignore"):
        strain = 100.0 * delta / fibres.L0
    return {"force_N": np.asarray(force_N, float), "elongation_mm": delta,
            "strain_pct": strain, "taut": np.asarray(taut_flag, bool),
            "ligament_id": fibres.ligament, "share": fibres.share}


def _num(x: float):
    return None if not np.isfinite(x) else float(x)  # JSON has no nan


def ligament_summary(fibres: Fibres, delta_mm: np.ndarray, force_N: np.ndarray | None = None,
                     taut_flag: np.ndarray | None = None, converged: bool = True) -> list[dict]:
    """One record per ligament (in model order); `converged` False marks every record so that a
    non-converged state is never read as an ordinary answer."""
    f = fibre_fields(fibres, delta_mm, force_N, taut_flag)
    n_lig = len(fibres.names)
    lig, w = fibres.ligament, fibres.share
    total = np.bincount(lig, f["force_N"], n_lig)
    elong = np.bincount(lig, w * f["elongation_mm"], n_lig)
    strain = np.bincount(lig, w * np.nan_to_num(f["strain_pct"], nan=0.0), n_lig)
    has_len = np.isfinite(fibres.lig_length)
    count = np.bincount(lig, minlength=n_lig)
    taut_frac = np.bincount(lig, f["taut"].astype(float), n_lig) / np.maximum(count, 1)
    peak = np.full(n_lig, -np.inf)
    np.maximum.at(peak, lig, f["force_N"])
    over = np.isfinite(fibres.failure_force) & (total > fibres.failure_force)
    return [{
        "name": fibres.names[j],
        "force_N": float(total[j]),
        "elongation_mm": float(elong[j]),
        "strain_pct": float(strain[j]) if has_len[j] else None,
        "taut_fraction": float(taut_frac[j]),
        "peak_fibre_force_N": float(peak[j]) if count[j] else 0.0,
        "fibres": int(count[j]),
        "failure_force_N": _num(fibres.failure_force[j]),
        "over_failure": bool(over[j]),
        "converged": bool(converged),
    } for j in range(n_lig)]


def slack_ligaments(summary: list[dict]) -> list[str]:
    """Names of the ligaments with no taut fibre (for messages about free bodies)."""
    return [r["name"] for r in summary if r["taut_fraction"] == 0.0]


def failed_ligaments(summary: list[dict]) -> list[str]:
    """Names of the ligaments whose force exceeds their failure force (the case is flagged)."""
    return [r["name"] for r in summary if r["over_failure"]]
