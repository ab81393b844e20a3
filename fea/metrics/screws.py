"""Screw safety metrics of a case: the clearances fea.geometry.clearance measured on the mesh
(summary.json `screw_clearance`), judged against `Thresholds.screw_clearance_mm`, and their flags.
A breach is flagged whatever the threshold: the screw enters the canal or a foramen as built."""

from __future__ import annotations

from .thresholds import Thresholds

KEYS = ("min_mm", "canal_mm", "foramen_mm", "nearest", "grade")
WARNING_PREFIX = "screw safety:"  # fea.geometry.clearance.warnings (summary.json)


def screw_metrics(summary: dict, th: Thresholds) -> dict:
    out = {}
    for name, c in sorted((summary.get("screw_clearance") or {}).items()):
        out[name] = {k: c.get(k) for k in KEYS}
        out[name]["breach"] = bool(c.get("breach"))
        out[name]["below_threshold"] = c["min_mm"] < th.screw_clearance_mm
    return out


def screw_flags(screws: dict, th: Thresholds) -> list[str]:
    flags = []
    for name, m in screws.items():
        if m["breach"]:
            flags.append(f"screw '{name}' breaches {m['nearest']} by {-m['min_mm']:.2f} mm "
                         f"(perforation grade {m['grade']})")
        elif m["below_threshold"]:
            flags.append(f"screw '{name}' clearance {m['min_mm']:.2f} mm to {m['nearest']} "
                         f"(< {th.screw_clearance_mm:g} mm)")
    return flags
