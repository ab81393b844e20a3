"""PyVista figures of one case: von Mises on the deformed construct, micromotion and pressure maps
on each interface, a section through the implant. Each returns the PNG path(s) it wrote.

Deformations are millimetre-scale on a 50 mm construct, invisible at true scale, so they are
magnified (a round factor bringing the largest displacement to ~5 % of the model size) and the
factor is printed in the title: a reader must never mistake the picture for the real motion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import manifest
from ..contact.status import in_contact
from ..metrics.case import bone_yield_for, interface_sides
from ..metrics.thresholds import Thresholds
from ..names import interface_figure
from .backend import pyvista
from .case_data import CaseData, load_case
from .colours import banded_cmap
from .ligaments import ligament_figures

WINDOW = (1200, 900)
MAGNIFY_TARGET = 0.05  # largest displacement drawn as this fraction of the model diagonal


def auto_scale(grid) -> float:
    """A 1-2-5 magnification bringing the largest displacement to ~5 % of the model size."""
    u = np.linalg.norm(np.asarray(grid.point_data["displacement"]), axis=1).max()
    diag = grid.length
    if not u > 0:
        return 1.0
    raw = MAGNIFY_TARGET * diag / u
    if raw <= 1.0:
        return 1.0
    exp = np.floor(np.log10(raw))
    mant = raw / 10**exp
    step = max(s for s in (1, 2, 5) if s <= mant)
    return float(step * 10**exp)


def _plotter(pv, interactive: bool = False, shape=(1, 1)):
    p = pv.Plotter(off_screen=not interactive, window_size=WINDOW, shape=shape)
    p.set_background("white")
    return p


def _bar(title: str, **kw) -> dict:
    args = {"title": title, "color": "black", "vertical": True, "position_x": 0.86,
            "position_y": 0.1, "height": 0.8, "width": 0.08, "title_font_size": 16,
            "label_font_size": 14, "fmt": "%.3g"}
    args.update(kw)
    return args


def _save(p, out: Path) -> Path:
    # anatomical frame: +x patient left, +y anterior, +z cranial
    p.add_axes(xlabel="L", ylabel="A", zlabel="Cr", color="black")
    out.parent.mkdir(parents=True, exist_ok=True)
    p.screenshot(str(out))
    p.close()
    return out


def _anatomical_view(p, direction=(1.0, -1.0, 0.5)):
    """Oblique view from the left-posterior (+x left, +y anterior, +z cranial): shows the
    posterior hardware and the lateral side of the implant."""
    p.view_vector(direction, viewup=(0, 0, 1))
    p.reset_camera()
    p.camera.zoom(0.95)  # the deformed shape may reach past the undeformed bounds


def add_von_mises(p, case: CaseData, scale: float, clim=None):
    warped = case.grid.warp_by_vector("displacement", factor=scale)
    vm = np.asarray(case.grid.point_data["von_mises"])
    p.add_mesh(warped.extract_surface(algorithm="dataset_surface"), scalars="von_mises",
               cmap="turbo", clim=clim or (0.0, float(vm.max()) or 1.0), show_edges=False,
               scalar_bar_args=_bar("von Mises (MPa)"))
    return warped


def von_mises_figure(case: CaseData, out: Path, scale: float | None = None) -> Path:
    pv = pyvista()
    scale = auto_scale(case.grid) if scale is None else scale
    p = _plotter(pv)
    add_von_mises(p, case, scale)
    umax = np.linalg.norm(np.asarray(case.grid.point_data["displacement"]), axis=1).max()
    p.add_text(f"{case.title}: von Mises on the deformed construct\n"
               f"deformation x{scale:g} (max displacement {umax * 1000:.3g} µm)",
               position="upper_left", font_size=12, color="black")
    _anatomical_view(p)
    return _save(p, out)


def _view_onto(p, pts: np.ndarray, normals: np.ndarray | None):
    n = normals.mean(axis=0) if normals is not None and len(normals) else np.array([0, 0, 1.0])
    n = n / (np.linalg.norm(n) or 1.0)
    up = (0, 1, 0) if abs(n[2]) > 0.8 else (0, 0, 1)
    p.view_vector(n, viewup=up)
    p.reset_camera()


def _point_size(n: int) -> float:
    return float(np.clip(700.0 / np.sqrt(max(n, 1)), 4, 24))


def _closed(pts) -> np.ndarray:
    """In contact by the points' status (fea.contact.status), as every interface output."""
    if "status" not in pts.point_data:
        return np.ones(pts.n_points, bool)
    return in_contact(np.asarray(pts.point_data["status"]))


def _context(p, case: CaseData):
    """The implant bodies in translucent grey, so the map can be placed on the construct."""
    imp = case.cells_of(("implant",))
    if imp is not None:
        p.add_mesh(imp.extract_surface(algorithm="dataset_surface"), color="lightgrey",
                   opacity=0.15)


def micromotion_figures(case: CaseData, out_dir: Path, th: Thresholds | None = None
                        ) -> list[Path]:
    """One map per interface: slip since the preload (µm), bands at the thresholds."""
    th = th or Thresholds()
    pv = pyvista()
    paths = []
    for name in (case.summary.get("interfaces") or {}):
        pts = case.interface_points(name)
        if pts is None or pts.n_points == 0:
            continue
        slip_um = np.asarray(pts.point_data["slip_magnitude"]) * 1000.0
        closed = _closed(pts)
        # an open point touches no bone: grey (NaN), never an ingrowth colour
        pts.point_data["micromotion_um"] = np.where(closed, slip_um, np.nan)
        peak = float(slip_um[closed].max()) if closed.any() else float("nan")
        vmax = max(1.25 * th.fibrous_um, peak if closed.any() else 0.0)
        gap_um = np.asarray(pts.point_data["gap"]) * 1000.0 if "gap" in pts.point_data else None
        open_note = "" if closed.all() else (
            f"; grey: open ({100 * (~closed).mean():.0f} % of points"
            + (f", gap up to {gap_um[~closed].max():.3g} µm" if gap_um is not None else "")
            + ")")
        p = _plotter(pv)
        _context(p, case)
        p.add_mesh(pts, scalars="micromotion_um", render_points_as_spheres=True,
                   point_size=_point_size(pts.n_points), clim=(0, vmax),
                   cmap=banded_cmap([th.ingrowth_um, th.fibrous_um], vmax),
                   annotations={th.ingrowth_um: f"{th.ingrowth_um:g} ingrowth",
                                th.fibrous_um: f"{th.fibrous_um:g} fibrous"},
                   nan_color="darkgrey", scalar_bar_args=_bar("micromotion (µm)"))
        meta = case.summary["interfaces"][name]
        p.add_text(f"{case.title}: micromotion at '{name}' ({meta.get('law', '?')}"
                   f"{', mu ' + format(meta['mu'], 'g') if meta.get('law') == 'friction' else ''})"
                   f"\nslip since '{meta.get('reference_step') or 'start'}' where in contact: "
                   f"peak {peak:.3g} µm; green <= {th.ingrowth_um:g} µm, red >= "
                   f"{th.fibrous_um:g} µm (Pilliar 1986){open_note}",
                   position="upper_left", font_size=11, color="black")
        normals = np.asarray(pts.point_data["normal"]) if "normal" in pts.point_data else None
        _view_onto(p, pts.points, normals)
        paths.append(_save(p, out_dir / interface_figure("micromotion", name)))
    return paths


def pressure_figures(case: CaseData, out_dir: Path, th: Thresholds | None = None) -> list[Path]:
    """Contact pressure over the bone's yield at each implant-bone interface (1 = yield)."""
    th = th or Thresholds()
    pv = pyvista()
    paths = []
    for name, meta in (case.summary.get("interfaces") or {}).items():
        if interface_sides(meta)[0] is None:
            continue
        pts = case.interface_points(name)
        if pts is None or pts.n_points == 0:
            continue
        y, src = bone_yield_for(name, meta, case.regions, th)
        ratio = np.where(_closed(pts), np.asarray(pts.point_data["pressure"]) / y, 0.0)
        # no contact is not "low pressure": drawn grey (NaN) so an implant rocking on an edge shows
        pts.point_data["pressure_to_yield"] = np.where(_closed(pts), ratio, np.nan)
        vmax = max(1.5, float(ratio.max()))
        p = _plotter(pv)
        _context(p, case)
        p.add_mesh(pts, scalars="pressure_to_yield", render_points_as_spheres=True,
                   point_size=_point_size(pts.n_points), clim=(0, vmax),
                   cmap=banded_cmap([1.0], vmax), annotations={1.0: "yield"},
                   nan_color="darkgrey", scalar_bar_args=_bar("pressure / yield"))
        p.add_text(f"{case.title}: contact pressure / bone yield at '{name}'\n"
                   f"yield {y:g} MPa ({src}); peak {ratio.max() * y:.3g} MPa; grey: no contact",
                   position="upper_left", font_size=11, color="black")
        normals = np.asarray(pts.point_data["normal"]) if "normal" in pts.point_data else None
        _view_onto(p, pts.points, normals)
        paths.append(_save(p, out_dir / interface_figure("pressure", name)))
    return paths


def section_plane(boxes: list, centre) -> str:
    """The first of the sagittal (x), coronal (y), axial (z) planes through `centre` that cuts
    every implant body (bounds (xmin, xmax, ymin, ymax, zmin, zmax) each); a sagittal cut at the
    midline misses two lateral cages, a coronal one through their centre cuts both."""
    for axis, normal in enumerate("xyz"):
        c = centre[axis]
        if all(b[2 * axis] <= c <= b[2 * axis + 1] for b in boxes):
            return normal
    return "x"


def section_cut(case: CaseData):
    """(implant grid or None, plane normal, plane origin) of the section view."""
    imp = case.cells_of(("implant",)) or case.cells_of(("hardware",))
    centre = imp.center if imp is not None else case.grid.center
    boxes = [b.bounds for b in case.bodies_of(("implant",))] or (
        [imp.bounds] if imp is not None else [])
    return imp, section_plane(boxes, centre), centre


def section_figure(case: CaseData, out: Path, normal: str | None = None) -> Path:
    """A cut through the implant (every implant body where one plane can: sagittal if it cuts
    them all, else coronal, else axial), von Mises on the cut, the implant's outline in black;
    shows stress inside the implant and where it bears on bone."""
    pv = pyvista()
    imp, auto, centre = section_cut(case)
    normal = normal or auto
    cut = case.grid.slice(normal=normal, origin=centre)
    p = _plotter(pv)
    if cut.n_points:
        p.add_mesh(cut, scalars="von_mises", cmap="turbo", scalar_bar_args=_bar("von Mises (MPa)"))
    if imp is not None:
        edge = imp.slice(normal=normal, origin=centre)
        if edge.n_points:
            p.add_mesh(edge.extract_feature_edges(boundary_edges=True, feature_edges=False,
                                                  manifold_edges=False, non_manifold_edges=True),
                       color="black", line_width=3)
    plane = {"x": "sagittal", "y": "coronal", "z": "axial"}[normal]
    p.add_text(f"{case.title}: {plane} section through the implant at "
               f"{normal} = {centre['xyz'.index(normal)]:.1f} mm\n"
               "von Mises (MPa), undeformed; implant outline in black",
               position="upper_left", font_size=11, color="black")
    {"x": p.view_yz, "y": p.view_xz, "z": p.view_xy}[normal]()
    p.reset_camera()
    return _save(p, out)


def case_figures(case_dir: str | Path, out_dir: str | Path | None = None,
                 th: Thresholds | None = None, scale: float | None = None) -> list[Path]:
    """Every figure of one case, into out_dir (default CASE_DIR/figures)."""
    case_dir = Path(case_dir)
    out_dir = Path(out_dir) if out_dir is not None else case_dir / "figures"
    pv = pyvista()
    case = load_case(case_dir, pv)
    paths = [von_mises_figure(case, out_dir / "von_mises.png", scale)]
    paths += micromotion_figures(case, out_dir, th)
    paths += pressure_figures(case, out_dir, th)
    paths.append(section_figure(case, out_dir / "section.png"))
    paths += ligament_figures(case, out_dir, auto_scale(case.grid) if scale is None else scale)
    manifest.add(case_dir, paths)  # the tool's own: a re-run may replace them
    return paths
