"""Colour maps whose bands are the thresholds, so a reader sees the class without a legend."""

from __future__ import annotations

import numpy as np


def banded_cmap(bounds: list[float], vmax: float, n: int = 256):
    """A ListedColormap on [0, vmax]: green up to bounds[0], yellow to orange up to bounds[-1],
    red to dark red above. With bounds = [28, 150] µm these are the micromotion classes; with
    [1.0] (pressure / yield) the bone is below or over yield."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    v = np.linspace(0.0, vmax, n)
    lo, hi = bounds[0], bounds[-1]
    greens, mids, reds = colormaps["Greens"], colormaps["YlOrBr"], colormaps["Reds"]
    rgba = np.empty((n, 4))
    a = v <= lo
    rgba[a] = greens(0.35 + 0.5 * v[a] / max(lo, 1e-30))
    if hi > lo:
        b = (v > lo) & (v <= hi)
        rgba[b] = mids(0.25 + 0.45 * (v[b] - lo) / (hi - lo))
    c = v > hi
    rgba[c] = reds(0.55 + 0.4 * (v[c] - hi) / max(vmax - hi, 1e-30))
    return ListedColormap(rgba, name="bands")
