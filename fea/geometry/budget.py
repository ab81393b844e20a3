"""Refuse an element size that would give an absurd mesh, before gmsh meshes (`mesh --size 1e-6`
started gmsh and died with a bare `Exception` or ran out of memory).

The element count is estimated as TETS_PER_CUBE x volume / size^3: a cube of edge h holds about
six tetrahedra of edge h (the Kuhn split; gmsh's Delaunay meshes come close). Local refinement
(interface and hardware sizes) only adds to it, so the estimate is a lower bound.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

TETS_PER_CUBE = 6.0
# 5 million tetrahedra: ~21 M DOF as TET10, past what one workstation solves (README "How it
# solves": PARDISO up to 600k DOF, AMG measured to ~1 M on this machine's 2 cores)
MAX_ELEMENTS = 5_000_000


def estimated_elements(volume_mm3: float, size_mm: float) -> float:
    return TETS_PER_CUBE * float(volume_mm3) / float(size_mm) ** 3


def check_size(volume_mm3: float, size_mm: float, where: str) -> None:
    n = estimated_elements(volume_mm3, size_mm)
    if n > MAX_ELEMENTS:
        h_min = (TETS_PER_CUBE * volume_mm3 / MAX_ELEMENTS) ** (1 / 3)
        raise ConfigError(
            f"{where}: size_mm {size_mm:g} would give about {n:.2g} elements "
            f"({TETS_PER_CUBE:g} x volume {volume_mm3:.4g} mm³ / size³), over the "
            f"{MAX_ELEMENTS:.0e} this tool meshes and solves; give a size of at least "
            f"{h_min:.2g} mm")


def occ_volume(gmsh) -> float:
    """Total volume (mm³) of the current gmsh model's OpenCASCADE solids."""
    return float(sum(gmsh.model.occ.getMass(3, t) for _, t in gmsh.model.getEntities(3)))


def closed_surface_volume(pts: np.ndarray, tri: np.ndarray) -> float:
    """Volume inside a closed triangulated surface (divergence theorem), orientation-free."""
    a, b, c = (pts[tri[:, k]] for k in range(3))
    return float(abs(np.einsum("ij,ij->i", a, np.cross(b, c)).sum()) / 6.0)
