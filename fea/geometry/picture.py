"""Pictures and VTU files of a meshed construct (no solution needed): regions in colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import atomic
from ..mesh import Mesh


def region_index(mesh: Mesh, regions: list[str]) -> np.ndarray:
    """Index into `regions` per element (-1 where an element is in none of them)."""
    out = np.full(mesh.n_cells, -1, dtype=np.int32)
    for i, name in enumerate(regions):
        out[mesh.elements(name)] = i
    return out


def leaf_regions(mesh: Mesh) -> list[str]:
    """Cell sets that do not contain another cell set (regions, not bodies), sorted."""
    names = sorted(mesh.cell_sets)
    sizes = {n: len(mesh.cell_sets[n]) for n in names}
    out = []
    for n in names:
        s = set(mesh.cell_sets[n].tolist()) if sizes[n] < 200000 else None
        contains = any(o != n and sizes[o] < sizes[n] and s is not None and
                       set(mesh.cell_sets[o].tolist()) <= s for o in names)
        if not contains:
            out.append(n)
    return out


def write_vtu(path: str | Path, mesh: Mesh, regions: list[str]) -> None:
    import meshio

    ctype = "tetra" if mesh.nodes_per_cell == 4 else "tetra10"
    out = meshio.Mesh(mesh.nodes, [(ctype, mesh.cells)],
                      cell_data={"region": [region_index(mesh, regions)],
                                 "element_id": [mesh.cell_ids.astype(np.int64)]},
                      field_data={name: np.array([i, 3]) for i, name in enumerate(regions)})
    atomic.write_with(path, lambda tmp: meshio.write(tmp, out, file_format="vtu", binary=True))


def to_pyvista(mesh: Mesh, regions: list[str]):
    import pyvista as pv

    cells = np.hstack([np.full((mesh.n_cells, 1), 4), mesh.cells[:, :4]]).ravel()
    grid = pv.UnstructuredGrid(cells, np.full(mesh.n_cells, pv.CellType.TETRA, np.uint8),
                               mesh.nodes)
    grid.cell_data["region"] = region_index(mesh, regions)
    return grid


VIEWS = (("left lateral", (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
         ("anterior", (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
         ("posterior", (0.0, -1.0, 0.0), (0.0, 0.0, 1.0)),
         ("superior", (0.0, 0.0, 1.0), (0.0, 1.0, 0.0)))


def write_png(path: str | Path, mesh: Mesh, regions: list[str], title: str = "",
              size=(1400, 1000)) -> None:
    """The four anatomical views (left lateral, anterior, posterior, superior with anterior up),
    2 x 2, regions in colour, camera along the anatomical axes (+x left, +y anterior, +z
    cranial)."""
    import os

    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    pv.OFF_SCREEN = True
    grid = to_pyvista(mesh, regions).extract_surface(algorithm="dataset_surface")
    pl = pv.Plotter(off_screen=True, shape=(2, 2), window_size=size, border=False)
    centre = 0.5 * (mesh.nodes.min(axis=0) + mesh.nodes.max(axis=0))
    for k, (label, d, up) in enumerate(VIEWS):
        pl.subplot(k // 2, k % 2)
        pl.add_mesh(grid, scalars="region", cmap="tab20", show_edges=True, edge_color="#555555",
                    line_width=0.2, show_scalar_bar=False, smooth_shading=False,
                    clim=(-0.5, max(len(regions), 20) - 0.5))
        pl.add_text(label, font_size=9)
        pl.camera_position = [tuple(centre + 300.0 * np.asarray(d)), tuple(centre), up]
        pl.enable_parallel_projection()
        pl.reset_camera()
        pl.camera.zoom(0.95)
    pl.subplot(0, 0)
    if title:
        pl.add_text(title, position="lower_left", font_size=8)
    tmp = Path(path).with_suffix(".tmp.png")
    pl.screenshot(str(tmp))
    pl.close()
    os.replace(tmp, path)
