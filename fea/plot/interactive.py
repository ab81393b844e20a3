"""The interactive view of one case (`spinefea show`): the deformed construct in von Mises and the
interface points in micromotion, in one window the engineer can turn around."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..metrics.thresholds import Thresholds
from .backend import pyvista
from .case_data import load_case
from .colours import banded_cmap
from .figures import _plotter, add_von_mises, auto_scale


def show_case(case_dir: str | Path, th: Thresholds | None = None, scale: float | None = None):
    th = th or Thresholds()
    pv = pyvista(interactive=True)  # raises a clear FeaError without a display
    case = load_case(case_dir, pv)
    scale = auto_scale(case.grid) if scale is None else scale
    p = _plotter(pv, interactive=True)
    add_von_mises(p, case, scale)
    if case.interfaces is not None and "slip_magnitude" in case.interfaces.point_data:
        pts = case.interfaces.copy()
        pts.points = pts.points + scale * case.displacement_at(pts.points)
        slip = np.asarray(pts.point_data["slip_magnitude"]) * 1000.0
        pts.point_data["micromotion_um"] = slip
        vmax = max(1.25 * th.fibrous_um, float(slip.max()))
        p.add_mesh(pts, scalars="micromotion_um", render_points_as_spheres=True, point_size=8,
                   clim=(0, vmax), cmap=banded_cmap([th.ingrowth_um, th.fibrous_um], vmax),
                   scalar_bar_args={"title": "micromotion (µm)", "color": "black",
                                    "position_x": 0.05, "vertical": True})
    p.add_text(f"{case.title}: deformation x{scale:g}", font_size=12, color="black")
    p.add_axes(xlabel="L", ylabel="A", zlabel="Cr", color="black")
    p.view_vector((1.0, -1.0, 0.5), viewup=(0, 0, 1))
    p.show(title=f"spinefea: {case.title}")

