"""Area-weighted statistics over interface points (each point stands for its integration area)."""

from __future__ import annotations

import numpy as np

from ..errors import FeaError


def check_weights(values: np.ndarray, area: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, float).ravel()
    a = np.asarray(area, float).ravel()
    if v.shape != a.shape:
        raise FeaError(f"{what}: {len(v)} values but {len(a)} area weights")
    if len(a) and (not np.isfinite(a).all() or (a < 0).any()):
        raise FeaError(f"{what}: area weights must be finite and >= 0")
    if not np.isfinite(v).all():
        bad = int(np.flatnonzero(~np.isfinite(v))[0])
        raise FeaError(f"{what}: non-finite value at point {bad}")
    return v, a


def weighted_percentile(values, area, q: float) -> float:
    """Smallest value v such that points with value <= v cover at least q % of the area.

    The inverse of the area-weighted distribution function (no interpolation), so a field that is
    uniform gives its value at every q, and 100 equal-area points valued 1..100 give p95 = 95.
    """
    v, a = check_weights(values, area, "weighted percentile")
    total = a.sum()
    if len(v) == 0 or total <= 0:
        return float("nan")
    order = np.argsort(v, kind="stable")
    cdf = np.cumsum(a[order]) / total
    # tolerance: q/100 computed in floating point must not skip a point that reaches it exactly
    k = int(np.searchsorted(cdf, q / 100.0 - 1e-12, side="left"))
    return float(v[order[min(k, len(v) - 1)]])


def area_fraction(mask, area) -> float:
    """Fraction (0..1) of the total area where mask is true."""
    a = np.asarray(area, float).ravel()
    total = a.sum()
    return float(a[np.asarray(mask, bool).ravel()].sum() / total) if total > 0 else float("nan")


def weighted_mean(values, area) -> float:
    v, a = check_weights(values, area, "weighted mean")
    total = a.sum()
    return float((v * a).sum() / total) if total > 0 else float("nan")
