"""Ligament metrics of one case, from the summary.json `ligaments` entries (fea.ligaments.summary):
per ligament its force (N), strain (%), elongation (mm), taut fraction and peak fibre force, and
the force against its failure force where one is given (flagged at or above 1).
"""

from __future__ import annotations

KEYS = ("force_N", "strain_pct", "elongation_mm", "taut_fraction", "peak_fibre_force_N",
        "force_to_failure")


def ligament_metrics(summary: dict) -> dict:
    out = {}
    for lig in summary.get("ligaments") or []:
        fail = lig.get("failure_force_N")
        out[lig["name"]] = {
            "force_N": lig.get("force_N"),
            "strain_pct": lig.get("strain_pct"),
            "elongation_mm": lig.get("elongation_mm"),
            "taut_fraction": lig.get("taut_fraction"),
            "peak_fibre_force_N": lig.get("peak_fibre_force_N"),
            "failure_force_N": fail,
            "force_to_failure": (lig["force_N"] / fail) if fail and lig.get("force_N") is not None
            else None,
        }
    return out


def ligament_flags(metrics: dict) -> list[str]:
    return [f"ligament '{name}' at {m['force_N']:.4g} N, at or over its failure force "
            f"{m['failure_force_N']:.4g} N" for name, m in metrics.items()
            if m["force_to_failure"] is not None and m["force_to_failure"] >= 1.0]
