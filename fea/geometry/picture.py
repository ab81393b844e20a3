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


def write_png(path: str | Path, mesh: Mesh, regions: list[str], title: str = "",
              size=(1400, 1000)) -> None:
    """Three views side by side (left-anterior-oblique, lateral from the left, posterior)."""
    import os

    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    pv.OFF_SCREEN = True
    grid = to_pyvista(mesh, regions).extract_surface(algorithm="dataset_surface")
    pl = pv.Plotter(off_screen=True, shape=(1, 3), window_size=size, border=False)
    views = [("oblique (left anterior)", (1.0, 1.2, 0.5)), ("left lateral", (1.0, 0.0, 0.0)),
             ("posterior", (0.0, -1.0, 0.15))]
    centre = mesh.nodes.mean(axis=0)
    for k, (label, d) in enumerate(views):
        pl.subplot(0, k)
        pl.add_mesh(grid, scalars="region", cmap="tab20", show_edges=True, edge_color="#333333",
                    line_width=0.3, show_scalar_bar=False,
                    clim=(-0.5, max(len(regions), 20) - 0.5))
        pl.add_text(label, font_size=9)
        pl.camera_position = [tuple(centre + 100.0 * np.asarray(d) / np.linalg.norm(d)),
                              tuple(centre), (0.0, 0.0, 1.0)]
        pl.reset_camera()
        pl.camera.zoom(1.5)
    pl.subplot(0, 0)
    if title:
        pl.add_text(title, position="lower_left", font_size=8)
    tmp = Path(path).with_suffix(".tmp.png")
    pl.screenshot(str(tmp))
    pl.close()
    os.replace(tmp, path)
