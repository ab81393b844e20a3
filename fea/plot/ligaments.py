"""Ligament figures of one case (from ligaments.vtu and summary.json): the fibres as tubes over
the deformed bones, coloured by force (N), slack fibres grey; and a bar chart of each ligament's
force with its failure force marked where one is given."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .backend import pyvista
from .case_data import CaseData
from .charts import _pyplot
from .charts import _save as _save_chart

SLACK_RGB = (150, 150, 150)  # a slack fibre carries nothing: grey, never the low end of the map
FORCE_CMAP = "plasma"  # no grey in it, so slack and low force never look alike
BONE_COLOUR = "#e3dac9"


def ligament_names(case: CaseData) -> list[str]:
    return [r["name"] for r in case.summary.get("ligaments") or []]


def fibre_colours(force_N: np.ndarray, taut: np.ndarray, clim: tuple[float, float]
                  ) -> np.ndarray:
    """(n, 3) uint8: the force map for taut fibres, SLACK_RGB for slack ones."""
    from matplotlib import colormaps

    lo, hi = clim
    t = np.clip((np.asarray(force_N, float) - lo) / ((hi - lo) or 1.0), 0.0, 1.0)
    rgb = (255 * colormaps[FORCE_CMAP](t)[:, :3]).round().astype(np.uint8)
    rgb[~np.asarray(taut, bool)] = SLACK_RGB
    return rgb


def fibre_lines(case: CaseData, scale: float):
    """The fibres as a PolyData of lines on the deformed (x scale) bones, with cell data force_N,
    taut, ligament_id and colour (RGB)."""
    lines = case.ligaments
    pts = np.asarray(lines.points, float)
    moved = pts + scale * case.displacement_at(pts)
    force = np.asarray(lines.cell_data["force_N"], float)
    taut = np.asarray(lines.cell_data["taut"]).astype(bool)
    out = lines.copy()
    out.points = moved
    out.cell_data["colour"] = fibre_colours(force, taut, force_clim(force, taut))
    return out


def force_clim(force: np.ndarray, taut: np.ndarray) -> tuple[float, float]:
    top = float(force[taut].max()) if taut.any() else 0.0
    return 0.0, top if top > 0 else 1.0


def ligament_figure(case: CaseData, out: Path, scale: float) -> Path:
    from .figures import _anatomical_view, _bar, _plotter, _save

    pv = pyvista()
    lines = fibre_lines(case, scale)
    force = np.asarray(lines.cell_data["force_N"])
    taut = np.asarray(lines.cell_data["taut"]).astype(bool)
    p = _plotter(pv)
    bones = case.cells_of(("bone",)) or case.grid
    warped = bones.warp_by_vector("displacement", factor=scale)
    p.add_mesh(warped.extract_surface(algorithm="dataset_surface"), color=BONE_COLOUR,
               opacity=0.35)
    ends = case.ligaments.lines.reshape(-1, 3)[:, 1:]
    ref = np.asarray(case.ligaments.points)
    long = np.linalg.norm(ref[ends[:, 1]] - ref[ends[:, 0]], axis=1) > 1e-9
    radius = 0.004 * case.grid.length
    if long.any():
        p.add_mesh(lines.extract_cells(np.flatnonzero(long)).extract_surface(algorithm=None)
                   .tube(radius=radius), scalars="colour", rgb=True)
    if (~long).any():  # springs to ground: no length, drawn as a dot at their set
        k = np.flatnonzero(~long)
        dots = pv.PolyData(np.asarray(lines.points)[ends[k, 1]])
        dots.point_data["colour"] = np.asarray(lines.cell_data["colour"])[k]
        p.add_mesh(dots, scalars="colour", rgb=True,
                   render_points_as_spheres=True, point_size=24, style="points")
    clim = force_clim(force, taut)
    p.add_scalar_bar(cmap=FORCE_CMAP, clim=clim, **_bar("fibre force (N)"))
    umax = np.linalg.norm(np.asarray(case.grid.point_data["displacement"]), axis=1).max()
    names = ligament_names(case)
    p.add_text(f"{case.title}: ligament fibres coloured by force (N), grey: slack\n"
               f"{len(names)} ligament(s), {int(taut.sum())} of {len(taut)} fibres taut; "
               f"deformation x{scale:g} (max displacement {umax * 1000:.3g} µm)"
               + ("" if case.summary.get("converged", True) else "\nNOT CONVERGED"),
               position="upper_left", font_size=11, color="black")
    _anatomical_view(p)
    return _save(p, out)


def ligament_force_chart(summary: dict, out: Path, title: str) -> Path:
    """Force per ligament (horizontal bars), failure force marked; over failure in red,
    a non-converged case hatched and said so."""
    from .charts import DPI, PALETTE

    plt = _pyplot()
    ligs = summary.get("ligaments") or []
    names = [r["name"] for r in ligs]
    force = np.array([r.get("force_N") or 0.0 for r in ligs], float)
    fail = np.array([r.get("failure_force_N") or np.nan for r in ligs], float)
    converged = bool(summary.get("converged", True))
    fig, ax = plt.subplots(figsize=(10, max(3.0, 1.2 + 0.32 * len(names))), dpi=DPI)
    y = np.arange(len(names))
    colours = [("red" if f >= ff else PALETTE[0]) if np.isfinite(ff) else PALETTE[0]
               for f, ff in zip(force, fail)]
    bars = ax.barh(y, force, color=colours, height=0.7)
    if not converged:
        for b in bars:
            b.set_hatch("//")
            b.set_alpha(0.45)
    for yi, f, r in zip(y, force, ligs):
        note = f"{f:.3g} N" + (", slack" if r.get("taut_fraction") == 0 else "")
        ax.annotate(note, (f, yi), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=8)
    has = np.isfinite(fail)
    if has.any():
        ax.plot(fail[has], y[has], "|", color="black", ms=16, mew=2.5, label="failure force")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()  # model order, top down
    ax.set_xlabel("ligament force (N)")
    ax.set_xlim(0, max(1.2 * np.nanmax(np.concatenate([force, fail, [0.0]])), 1e-6))
    ax.set_title(f"{title}: force per ligament" + ("" if converged else " (NOT CONVERGED)"),
                 color="black" if converged else "red")
    ax.grid(axis="x", alpha=0.3)
    return _save_chart(fig, plt, out)


def ligament_figures(case: CaseData, out_dir: Path, scale: float) -> list[Path]:
    if case.ligaments is None:
        return []
    return [ligament_figure(case, out_dir / "ligaments.png", scale),
            ligament_force_chart(case.summary, out_dir / "ligament_forces.png", case.title)]
