"""Subsidence risk at an implant-bone interface: contact pressure against the compressive strength
of the bone the implant bears on (REFERENCES.md: cancellous ~1.9 MPa, bony endplate 36.7 MPa; an
implant on a vertebra's thin shell over a cancellous core is judged by the bony endplate's
strength, not the compact shell material's: fea.metrics.case.bone_yield_for,
thresholds.shell_bearing), area over it, contact area, and the mean pressure of the contact
patch (normal force / contact area) against the cancellous bone beneath.

The footprint is the whole interface face set (every contact point with its area); the contact
area is where the points are in contact by their status (fea.contact.status: the one definition
every interface output uses), and open points carry no pressure even where a smoothed field
spreads some onto them. Percentiles of pressure are taken over the contact area: including the
open part would lower them for an implant that rocks onto an edge.
"""

from __future__ import annotations

import numpy as np

from ..contact.status import in_contact
from ..errors import FeaError
from .stats import area_fraction, check_weights, weighted_percentile
from .thresholds import Thresholds

LOW, MODERATE, HIGH = "low", "moderate", "high"


def classify_subsidence(peak_to_yield: float, area_over_yield_pct: float, th: Thresholds) -> str:
    """low: the bone stays below yield everywhere; moderate: yield is reached only on a small part
    of the footprint (local compaction); high: over yield on >= the threshold area."""
    if not np.isfinite(peak_to_yield):
        return "n/a"
    if peak_to_yield < 1.0:
        return LOW
    if area_over_yield_pct < th.subsidence_area_over_yield_pct:
        return MODERATE
    return HIGH


def subsidence(pressure_MPa, area_mm2, bone_yield_MPa, penetration_mm=None,
               th: Thresholds | None = None, where: str = "subsidence", status=None,
               core_yield_MPa: float | None = None) -> dict:
    """status: per point (0 open, 1 stick, 2 slip); without it, contact is where p > 0 (plain
    pressure fields in tests and scripts). bone_yield_MPa: one value, or one per point (the
    local strength of CT-mapped bone, fea.imaging.mapping); then the ratios are point by point
    and `bone_yield_MPa` reports the footprint's area-weighted mean. core_yield_MPa: the yield of
    the cancellous bone under the shell the implant bears on; the contact patch's mean pressure
    is compared with it."""
    th = th or Thresholds()
    y = np.asarray(bone_yield_MPa, float)
    if not (y.size and np.all(np.isfinite(y)) and np.all(y > 0)):
        raise FeaError(f"{where}: bone yield must be > 0 MPa, got "
                       f"{bone_yield_MPa if y.ndim == 0 else f'min {np.nanmin(y)}'}")
    p, a = check_weights(pressure_MPa, area_mm2, where)
    if y.ndim and len(y) != len(p):
        raise FeaError(f"{where}: {len(y)} yield values but {len(p)} pressures")
    if len(p) and p.min() < -1e-9 * max(1.0, float(np.abs(p).max())):
        raise FeaError(f"{where}: contact pressure must be >= 0 (compression positive); "
                       f"min is {p.min():.3g} MPa at point {int(p.argmin())}")
    footprint = float(a.sum())
    if status is None:
        contact = p > 0
    else:
        contact = in_contact(np.asarray(status).ravel())
        if len(contact) != len(p):
            raise FeaError(f"{where}: {len(contact)} status values but {len(p)} pressures")
        p = np.where(contact, p, 0.0)
    contact_area = float(a[contact].sum())
    peak = float(p.max()) if len(p) else float("nan")
    p95 = weighted_percentile(p[contact], a[contact], 95.0) if contact.any() else 0.0
    over = 100 * area_fraction(p > y, a)
    if y.ndim:  # local strength: ratios point by point
        r = p / y
        peak_r = float(r.max()) if len(r) else float("nan")
        p95_r = weighted_percentile(r[contact], a[contact], 95.0) if contact.any() else 0.0
        y_report = float((a * y).sum() / max(a.sum(), 1e-300))
    else:
        y_report = float(y)
        peak_r, p95_r = peak / y_report, p95 / y_report
    # the contact patch as a whole: its normal force over its area (what an indentation test's
    # failure load over the indenter area measures)
    mean_c = float((p[contact] * a[contact]).sum() / contact_area) if contact_area > 0 else 0.0
    out = {
        "footprint_mm2": footprint,
        "contact_area_mm2": contact_area,
        "contact_area_pct": 100 * contact_area / footprint if footprint > 0 else float("nan"),
        "peak_MPa": peak,
        "p95_MPa": p95,
        "bone_yield_MPa": y_report,
        "peak_to_yield": peak_r,
        "p95_to_yield": p95_r,
        "area_over_yield_pct": over,
        "mean_contact_MPa": mean_c,
        "core_yield_MPa": None if core_yield_MPa is None else float(core_yield_MPa),
        "mean_contact_to_core": None if not core_yield_MPa else mean_c / core_yield_MPa,
    }
    if penetration_mm is not None:
        pen, _ = check_weights(penetration_mm, a, f"{where} penetration")
        out["max_penetration_um"] = float(np.clip(pen, 0, None).max() * 1000) if len(pen) else 0.0
    out["risk"] = classify_subsidence(out["peak_to_yield"], over, th)
    return out
