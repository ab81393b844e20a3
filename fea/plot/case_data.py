"""A case folder as PyVista data: the result mesh, the interface points and what they mean."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FeaError
from ..metrics.case import reference_step, region_info
from ..metrics.case_files import read_summary


@dataclass
class CaseData:
    folder: Path
    summary: dict
    grid: object  # pyvista.UnstructuredGrid of result.vtu
    interfaces: object | None  # pyvista.PolyData of interfaces.vtu (None without interfaces)
    regions: dict = field(default_factory=dict)  # region -> {"role", "body", ...}
    ligaments: object | None = None  # pyvista.PolyData of ligaments.vtu: one line per fibre segment

    def displacement_at(self, points) -> np.ndarray:
        """Displacement at points on the mesh, from the nearest result node (for drawing)."""
        from scipy.spatial import cKDTree

        _, j = cKDTree(np.asarray(self.grid.points)).query(np.asarray(points))
        return np.asarray(self.grid.point_data["displacement"])[j]

    @property
    def title(self) -> str:
        return f"{self.summary.get('model', self.folder.parent.name)} / " \
               f"{self.summary.get('loadcase', self.folder.name)}"

    def region_index(self, roles: tuple[str, ...]) -> np.ndarray:
        names = list(self.regions)
        return np.array([i for i, r in enumerate(names) if self.regions[r]["role"] in roles], int)

    def cells_of(self, roles: tuple[str, ...]):
        """Sub-grid of the regions with these roles (None when there is none)."""
        idx = self.region_index(roles)
        if not len(idx):
            return None
        sel = np.isin(np.asarray(self.grid.cell_data["region"]), idx)
        return self.grid.extract_cells(np.flatnonzero(sel)) if sel.any() else None

    def bodies_of(self, roles: tuple[str, ...]) -> list:
        """One sub-grid per body whose regions have these roles."""
        out = []
        for body in dict.fromkeys(r["body"] for r in self.regions.values() if r["role"] in roles):
            idx = [i for i, r in enumerate(self.regions.values()) if r["body"] == body]
            sel = np.isin(np.asarray(self.grid.cell_data["region"]), idx)
            if sel.any():
                out.append(self.grid.extract_cells(np.flatnonzero(sel)))
        return out

    def interface_names(self) -> dict[int, str]:
        meta = self.summary.get("interfaces") or {}
        return {int(m["id"]): n for n, m in meta.items()}

    def interface_points(self, name: str):
        ids = {v: k for k, v in self.interface_names().items()}
        if self.interfaces is None or name not in ids:
            return None
        sel = np.asarray(self.interfaces.point_data["interface"]).astype(int) == ids[name]
        return self.interfaces.extract_points(np.flatnonzero(sel), adjacent_cells=False,
                                              include_cells=True)

    def reference_step(self) -> str | None:
        return reference_step(self.summary, self.summary.get("interfaces") or {})


def load_case(case_dir: str | Path, pv) -> CaseData:
    case_dir = Path(case_dir)
    summary = read_summary(case_dir)
    path = case_dir / "result.vtu"
    if not path.exists():
        raise FeaError(f"{case_dir}: no result.vtu to draw")
    grid = pv.read(path)
    for key, where in (("displacement", "point"), ("von_mises", "point"), ("region", "cell")):
        data = grid.point_data if where == "point" else grid.cell_data
        if key not in data:
            raise FeaError(f"{path}: {where} data '{key}' missing")
    ipath = case_dir / "interfaces.vtu"
    ifs = pv.read(ipath) if ipath.exists() else None
    if ifs is not None and ifs.n_points == 0:
        ifs = None
    lpath = case_dir / "ligaments.vtu"
    lig = _fibre_lines(pv, pv.read(lpath), lpath) if lpath.exists() else None
    return CaseData(case_dir, summary, grid, ifs, region_info(summary), lig)


def _fibre_lines(pv, grid, path: Path):
    """ligaments.vtu (an UnstructuredGrid of line cells) as PolyData lines with its cell data."""
    for key in ("force_N", "taut", "ligament_id"):
        if key not in grid.cell_data:
            raise FeaError(f"{path}: cell data '{key}' missing")
    ends = np.asarray(grid.cells_dict.get(pv.CellType.LINE, np.zeros((0, 2), int)))
    if len(ends) != grid.n_cells:
        raise FeaError(f"{path}: every cell must be a line (one per fibre segment)")
    if not len(ends):
        return None
    poly = pv.PolyData(np.asarray(grid.points),
                       lines=np.column_stack([np.full(len(ends), 2), ends]).ravel())
    for key in grid.cell_data:
        poly.cell_data[key] = np.asarray(grid.cell_data[key])
    return poly
