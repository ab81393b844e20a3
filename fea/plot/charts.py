"""Study charts with matplotlib (Agg, no display needed): ROM per load case per variant, and
micromotion against the ingrowth / fibrous thresholds. Inputs are summary.csv rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..metrics.thresholds import Thresholds

FIGSIZE = (10, 5.5)
DPI = 100
# tab10 without its green and red: those mean "below" / "over" a threshold in these charts
PALETTE = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # file output only; also safe inside a headless batch job
    import matplotlib.pyplot as plt

    return plt


def _grid(rows: list[dict], metric: str):
    """Variants, load cases (first-seen order) and a (variant, load case) matrix of values,
    plus a matching matrix of converged flags."""
    variants = list(dict.fromkeys(str(r["variant"]) for r in rows))
    cases = list(dict.fromkeys(str(r["loadcase"]) for r in rows))
    vals = np.full((len(variants), len(cases)), np.nan)
    ok = np.ones_like(vals, bool)
    for r in rows:
        i, j = variants.index(str(r["variant"])), cases.index(str(r["loadcase"]))
        v = r.get(metric)
        vals[i, j] = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
        ok[i, j] = bool(r.get("converged"))
    return variants, cases, vals, ok


def _bars(ax, variants, cases, vals, ok):
    n = len(variants)
    width = 0.8 / max(n, 1)
    x = np.arange(len(cases))
    for i, v in enumerate(variants):
        xs = x - 0.4 + width * (i + 0.5)
        h = np.nan_to_num(vals[i], nan=0.0)
        bars = ax.bar(xs, h, width, label=v, color=PALETTE[i % len(PALETTE)])
        for b, good, missing in zip(bars, ok[i], np.isnan(vals[i])):
            if not good:  # a failed solve must not read like a result
                b.set_hatch("//")
                b.set_alpha(0.45)
                ax.annotate("not\nconverged", (b.get_x() + b.get_width() / 2, b.get_height()),
                            ha="center", va="bottom", fontsize=7, color="red")
            elif missing:
                ax.annotate("n/a", (b.get_x() + b.get_width() / 2, 0), ha="center",
                            va="bottom", fontsize=7, color="grey")
    ax.set_xticks(x, [c.replace("_", " ") for c in cases])
    ax.legend(title="variant", fontsize=8, title_fontsize=8, ncols=min(n, 4))
    ax.grid(axis="y", alpha=0.3)


def rom_chart(rows: list[dict], out: Path) -> Path:
    plt = _pyplot()
    variants, cases, vals, ok = _grid(rows, "rom_deg")
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    _bars(ax, variants, cases, vals, ok)
    ax.set_ylabel("ROM (deg), loaded body relative to the fixed vertebra")
    ax.set_title("Range of motion per load case (moment after preload)")
    return _save(fig, plt, out)


def micromotion_chart(rows: list[dict], out: Path, th: Thresholds | None = None) -> Path:
    """Worst interface's area-weighted 95th percentile per case (bars) and peak (markers)."""
    th = th or Thresholds()
    plt = _pyplot()
    variants, cases, p95, ok = _grid(rows, "micromotion_p95_um_max")
    _, _, peak, _ = _grid(rows, "micromotion_peak_um_max")
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    _bars(ax, variants, cases, p95, ok)
    width = 0.8 / max(len(variants), 1)
    x = np.arange(len(cases))
    for i in range(len(variants)):
        ax.plot(x - 0.4 + width * (i + 0.5), peak[i], "v", color="black", ms=5,
                label="peak" if i == 0 else None)
    top = np.nanmax(np.concatenate([peak.ravel(), p95.ravel(), [0.0]]))
    for val, label, colour in ((th.ingrowth_um, "ingrowth (Pilliar 1986)", "green"),
                               (th.ingrowth_upper_um, "upper ingrowth bound", "olive"),
                               (th.fibrous_um, "fibrous tissue (Pilliar 1986)", "red")):
        ax.axhline(val, color=colour, ls="--", lw=1.2, label=f"{val:g} µm {label}")
    ax.set_ylim(0, max(1.15 * top, 1.5 * th.fibrous_um))  # room for the legend
    ax.set_ylabel("micromotion (µm): 95th percentile (bar), peak (▼)")
    ax.set_title("Interface micromotion since the preload, worst interface per case")
    ax.legend(fontsize=8, ncols=2, loc="upper left")
    return _save(fig, plt, out)


def _save(fig, plt, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def study_charts(rows: list[dict], out_dir: Path, th: Thresholds | None = None) -> list[Path]:
    out_dir = Path(out_dir)
    paths = [rom_chart(rows, out_dir / "rom.png")]
    if any(r.get("micromotion_p95_um_max") is not None for r in rows):
        paths.append(micromotion_chart(rows, out_dir / "micromotion.png", th))
    return paths
