"""Flatten a case's metrics into one CSV row: one column per metric, units in the names.

Per-entity columns read `<metric>@<entity>` (entity = interface, region or implant|bone pair);
study-wide comparison uses the worst-of columns without '@' (e.g. micromotion_p95_um_max), which
exist for every variant even when variants name their interfaces differently.
"""

from __future__ import annotations

import math

from .ligaments import KEYS as LIGAMENT_KEYS
from .micromotion import (
    FAVOURABLE, FIBROUS, GAP_BRIDGEABLE, GAP_WIDE, NO_CONTACT, UNCERTAIN, um_label,
)
from .subsidence import HIGH, LOW, MODERATE
from .thresholds import Thresholds

# ordinal of categorical results, worst highest
CLASS_RANK = {FAVOURABLE: 0, UNCERTAIN: 1, GAP_BRIDGEABLE: 1, NO_CONTACT: 1, FIBROUS: 2,
              GAP_WIDE: 2, LOW: 0, MODERATE: 1, HIGH: 2}

STABILITY_COLUMNS = ("rom_deg", "stiffness_Nm_per_deg", "rom_reduction_pct", "rom_reference_deg",
                     "coupled_rotation_deg", "rotation_x_deg", "rotation_y_deg", "rotation_z_deg",
                     "moment_Nm")

# per level (fea.metrics.segmental): `segmental_rom_deg@C1-C2`, ...; over two bones that are not
# adjacent (a span): `span_rom_deg@C1-C3`
SEGMENTAL_COLUMNS = ("rom_deg", "coupled_rotation_deg", "flexion_deg", "lateral_bending_left_deg",
                     "axial_rotation_left_deg")


def micromotion_keys(th: Thresholds) -> list[tuple[str, str]]:
    """(key in the micromotion dict, column stem)."""
    return [("peak_um", "micromotion_peak_um"), ("mean_um", "micromotion_mean_um"),
            ("p95_um", "micromotion_p95_um"),
            (f"area_below_{um_label(th.ingrowth_um)}_pct",
             f"micromotion_area_below_{um_label(th.ingrowth_um)}_pct"),
            (f"area_below_{um_label(th.ingrowth_upper_um)}_pct",
             f"micromotion_area_below_{um_label(th.ingrowth_upper_um)}_pct"),
            (f"area_above_{um_label(th.fibrous_um)}_pct",
             f"micromotion_area_above_{um_label(th.fibrous_um)}_pct"),
            ("open_area_pct", "micromotion_open_area_pct"),
            ("max_gap_um", "micromotion_max_gap_um"),
            (f"gap_over_{um_label(th.bone_apposition_um)}_pct",
             f"micromotion_gap_over_{um_label(th.bone_apposition_um)}_pct"),
            ("class", "micromotion_class")]


SUBSIDENCE_KEYS = ("peak_MPa", "p95_MPa", "bone_yield_MPa", "peak_to_yield", "p95_to_yield",
                   "area_over_yield_pct", "contact_area_mm2", "contact_area_pct",
                   "max_penetration_um", "mean_contact_MPa", "mean_contact_to_core", "risk")

BEARING_KEYS = ("normal_force_N", "contact_area_mm2", "mean_MPa", "core_yield_MPa",
                "mean_to_core", "risk")


def _worst(values, key: str, higher_is_worse: bool = True):
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return None
    if key == "class":
        return max(vals, key=lambda c: CLASS_RANK.get(c, -1))
    return max(vals) if higher_is_worse else min(vals)


def flat_row(metrics: dict, th: Thresholds | None = None) -> dict:
    th = th or Thresholds.from_dict(metrics.get("thresholds"))
    row = {"converged": bool(metrics.get("converged"))}
    st = metrics.get("stability") or {}
    for k in STABILITY_COLUMNS:
        row[k] = st.get(k)
    inst = metrics.get("instrumented") or {}
    if inst:  # the model's instrumented span (fea.metrics.instrumented); its reference: the study
        row["instrumented_span"] = inst.get("span")
        row["instrumented_rom_deg"] = inst.get("rom_deg")
    tr = metrics.get("implant_translation") or {}
    row["implant_translation_max_um"] = _worst([t["max_um"] for t in tr.values()], "max_um")
    micro = metrics.get("micromotion") or {}
    # tied interfaces have no micromotion by construction; worst-of columns judge the others
    judged = {n: m for n, m in micro.items() if m.get("law") != "tied"}
    for key, stem in micromotion_keys(th):
        lower_worse = "below" in key  # less area below the ingrowth threshold is worse
        suffix = "worst" if key == "class" else ("min" if lower_worse else "max")
        row[f"{stem}_{suffix}"] = _worst([m.get(key) for m in judged.values()], key,
                                         not lower_worse)
    subs = metrics.get("subsidence") or {}
    for key in SUBSIDENCE_KEYS:
        if key == "bone_yield_MPa":
            continue
        lower_worse = key.startswith("contact_area")
        suffix = "worst" if key == "risk" else ("min" if lower_worse else "max")
        row[f"subsidence_{key}_{suffix}"] = _worst(
            [s.get(key) for s in subs.values()], "class" if key == "risk" else key, not lower_worse)
    bearing = metrics.get("bearing") or {}
    row["bearing_mean_to_core_max"] = _worst([b.get("mean_to_core") for b in bearing.values()],
                                             "mean_to_core")
    row["bearing_risk_worst"] = _worst([b.get("risk") for b in bearing.values()], "class")
    bodies = (metrics.get("strength") or {}).get("bodies") or {}
    for role in ("implant", "hardware"):
        bs = [b for b in bodies.values() if b["role"] == role]
        row[f"{role}_von_mises_peak_MPa_max"] = _worst([b["peak_MPa"] for b in bs], "peak")
        row[f"{role}_von_mises_p99_MPa_max"] = _worst([b["p99_MPa"] for b in bs], "p99")
        row[f"{role}_safety_factor_min"] = _worst([b["sf_min"] for b in bs], "sf", False)
    ligs = metrics.get("ligaments") or {}
    row["ligament_force_to_failure_max"] = _worst([m.get("force_to_failure")
                                                   for m in ligs.values()], "ratio")
    screws = metrics.get("screws") or {}
    row["screw_clearance_min_mm_min"] = _worst([m["min_mm"] for m in screws.values()], "mm",
                                               False)
    row["screw_breaches"] = sum(m["breach"] for m in screws.values()) if screws else None
    flags = metrics.get("flags") or []
    row["n_flags"] = len(flags)
    row["flags"] = "; ".join(flags)
    # per entity
    for pair, t in sorted(tr.items()):
        row[f"translation_max_um@{pair}"] = t["max_um"]
    for level, lv in (metrics.get("segmental") or {}).items():
        for key in SEGMENTAL_COLUMNS:
            row[f"segmental_{key}@{level}"] = lv.get(key)
    for span, lv in (metrics.get("spans") or {}).items():
        row[f"span_rom_deg@{span}"] = lv.get("rom_deg")
    for name, m in sorted(micro.items()):
        for key, stem in micromotion_keys(th):
            row[f"{stem}@{name}"] = m.get(key)
    for name, s in sorted(subs.items()):
        for key in SUBSIDENCE_KEYS:
            row[f"subsidence_{key}@{name}"] = s.get(key)
    for name, b in sorted(bearing.items()):
        for key in BEARING_KEYS:
            row[f"bearing_{key}@{name}"] = b.get(key)
    for name, r in sorted(((metrics.get("strength") or {}).get("regions") or {}).items()):
        row[f"von_mises_peak_MPa@{name}"] = r["peak_MPa"]
        row[f"von_mises_p99_MPa@{name}"] = r["p99_MPa"]
        row[f"safety_factor@{name}"] = r["sf_peak"]
    for name, m in sorted(screws.items()):
        for key in ("min_mm", "canal_mm", "foramen_mm"):
            row[f"screw_clearance_{key}@{name}"] = m.get(key)
        row[f"screw_nearest_keepout@{name}"] = m.get("nearest")
        row[f"screw_breach_grade@{name}"] = m.get("grade")
    for name, m in sorted(ligs.items()):
        for key in LIGAMENT_KEYS:
            row[f"ligament_{key}@{name}"] = m.get(key)
    return row
