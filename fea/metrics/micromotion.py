"""Interface micromotion: tangential slip of the implant against the bone since the preloaded state.

Input arrays are per contact point (slave-side quadrature point) in the solver's units (mm); the
statistics are reported in µm because the thresholds are (Pilliar 1986: 28 / 150 µm). Every point
counts with its integration area, so a finer mesh somewhere does not weigh that place more.
"""

from __future__ import annotations

import numpy as np

from .stats import area_fraction, check_weights, weighted_mean, weighted_percentile
from .thresholds import Thresholds

FAVOURABLE, UNCERTAIN, FIBROUS = "ingrowth favourable", "uncertain", "fibrous likely"


def um_label(value_um: float) -> str:
    """A threshold as it appears in key names: 28 -> '28um', 28.5 -> '28.5um'."""
    return f"{value_um:g}um"


# Thresholds are inclusive on the side the literature observed (Pilliar 1986: ingrowth at 28 µm,
# fibrous tissue at >= 150 µm). The relative tolerance absorbs the rounding of the mm -> µm
# conversion, so a slip of exactly 28 µm is not split between classes by its last bit.
REL_TOL = 1e-9


def at_or_below(value_um, threshold_um: float):
    return np.asarray(value_um) <= threshold_um * (1 + REL_TOL)


def at_or_above(value_um, threshold_um: float):
    return np.asarray(value_um) >= threshold_um * (1 - REL_TOL)


def classify_micromotion(value_um: float, th: Thresholds) -> str:
    """At or below the ingrowth threshold: favourable; at or above the fibrous threshold:
    fibrous tissue likely; in between the literature is mixed: uncertain."""
    if not np.isfinite(value_um):
        return "n/a"
    if at_or_below(value_um, th.ingrowth_um):
        return FAVOURABLE
    if at_or_above(value_um, th.fibrous_um):
        return FIBROUS
    return UNCERTAIN


def micromotion(slip_magnitude_mm, area_mm2, gap_mm=None, status=None,
                th: Thresholds | None = None) -> dict:
    """Statistics of one interface's micromotion (keys carry units)."""
    th = th or Thresholds()
    s_um, a = check_weights(slip_magnitude_mm, area_mm2, "micromotion")
    s_um = s_um * 1000.0
    out = {
        "n_points": len(s_um),
        "area_mm2": float(a.sum()),
        "peak_um": float(s_um.max()) if len(s_um) else float("nan"),
        "mean_um": weighted_mean(s_um, a),
        "p95_um": weighted_percentile(s_um, a, 95.0),
        # "below" and "above" include the threshold itself, like the classes
        f"area_below_{um_label(th.ingrowth_um)}_pct":
            100 * area_fraction(at_or_below(s_um, th.ingrowth_um), a),
        f"area_below_{um_label(th.ingrowth_upper_um)}_pct":
            100 * area_fraction(at_or_below(s_um, th.ingrowth_upper_um), a),
        f"area_above_{um_label(th.fibrous_um)}_pct":
            100 * area_fraction(at_or_above(s_um, th.fibrous_um), a),
    }
    if gap_mm is not None:
        g, _ = check_weights(gap_mm, a, "micromotion gap")
        out["max_gap_um"] = float(np.clip(g, 0, None).max() * 1000.0) if len(g) else float("nan")
    if status is not None:
        st = np.asarray(status).ravel()
        out["open_area_pct"] = 100 * area_fraction(st == 0, a)
        out["slipping_area_pct"] = 100 * area_fraction(st == 2, a)
    out["class_statistic"] = th.micromotion_statistic
    out["class"] = classify_micromotion(out[th.micromotion_statistic], th)
    return out
