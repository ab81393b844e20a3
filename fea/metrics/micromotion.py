"""Interface micromotion: tangential slip of the implant against the bone since the preloaded state.

Input arrays are per contact point (slave-side quadrature point) in the solver's units (mm); the
statistics are reported in µm because the thresholds are (Pilliar 1986: 28 / 150 µm). Every point
counts with its integration area, so a finer mesh somewhere does not weigh that place more.

Micromotion is sliding of a face that touches bone: only points in contact (fea.contact.status)
enter the slip statistics and the ingrowth classes. An open point is a gap: its size is reported
against the bone-apposition distance (Thresholds.bone_apposition_um) instead, and an interface
with no point in contact gets a gap class, never an ingrowth class. Area fractions are of the
whole interface, so below-28, 28-150, above-150 and open add up to 100 %.
"""

from __future__ import annotations

import numpy as np

from ..contact.status import SLIP, in_contact
from ..errors import FeaError
from .stats import area_fraction, check_weights, weighted_mean, weighted_percentile
from .thresholds import Thresholds

FAVOURABLE, UNCERTAIN, FIBROUS = "ingrowth favourable", "uncertain", "fibrous likely"
# no point in contact: the face does not touch bone, judged by its gap, not by its slip
GAP_BRIDGEABLE, GAP_WIDE = "open: gap within bone apposition", "open: gap beyond bone apposition"
NO_CONTACT = "open (no contact)"  # ... when no gap was given
GAP_CLASSES = (GAP_BRIDGEABLE, GAP_WIDE, NO_CONTACT)


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
    """Statistics of one interface's micromotion (keys carry units).

    status: per point (0 open, 1 stick, 2 slip), the one definition of contact; without it every
    point counts as in contact (plain slip fields in tests and scripts).
    """
    th = th or Thresholds()
    s_um, a = check_weights(slip_magnitude_mm, area_mm2, "micromotion")
    s_um = s_um * 1000.0
    closed = np.ones(len(a), bool) if status is None else in_contact(np.asarray(status).ravel())
    if len(closed) != len(a):
        raise FeaError(f"micromotion: {len(closed)} status values but {len(a)} area weights")
    sc, ac = s_um[closed], a[closed]
    out = {
        "n_points": len(s_um),
        "area_mm2": float(a.sum()),
        "contact_area_mm2": float(ac.sum()),
        "peak_um": float(sc.max()) if len(sc) else float("nan"),
        "mean_um": weighted_mean(sc, ac) if len(sc) else float("nan"),
        "p95_um": weighted_percentile(sc, ac, 95.0) if len(sc) else float("nan"),
        # "below" and "above" include the threshold itself, like the classes
        f"area_below_{um_label(th.ingrowth_um)}_pct":
            100 * area_fraction(closed & at_or_below(s_um, th.ingrowth_um), a),
        f"area_below_{um_label(th.ingrowth_upper_um)}_pct":
            100 * area_fraction(closed & at_or_below(s_um, th.ingrowth_upper_um), a),
        f"area_above_{um_label(th.fibrous_um)}_pct":
            100 * area_fraction(closed & at_or_above(s_um, th.fibrous_um), a),
        "open_area_pct": 100 * area_fraction(~closed, a),
    }
    if status is not None:
        out["slipping_area_pct"] = 100 * area_fraction(np.asarray(status).ravel() == SLIP, a)
    gap_stat = float("nan")
    if gap_mm is not None:
        g, _ = check_weights(gap_mm, a, "micromotion gap")
        g_um = np.clip(g, 0, None) * 1000.0
        go = np.where(closed, 0.0, g_um)  # a closed point's gap is the penalty's, not a gap
        out["max_gap_um"] = float(go.max()) if len(go) else float("nan")
        out[f"gap_over_{um_label(th.bone_apposition_um)}_pct"] = 100 * area_fraction(
            ~closed & (g_um > th.bone_apposition_um), a)
        if (~closed).any():
            gap_stat = weighted_percentile(go[~closed], a[~closed], 95.0)
    out["class_statistic"] = th.micromotion_statistic
    if len(sc):
        out["class"] = classify_micromotion(out[th.micromotion_statistic], th)
    elif not len(a):
        out["class"] = "n/a"
    elif np.isfinite(gap_stat) and gap_stat > th.bone_apposition_um:
        out["class"] = GAP_WIDE
    else:  # no gap given: an open face is at least not an ingrowth class
        out["class"] = GAP_BRIDGEABLE if np.isfinite(gap_stat) else NO_CONTACT
    return out
