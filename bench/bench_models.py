"""The benchmark models: a TET10 titanium cantilever of a requested size, as a Model and a deck.

The cantilever (100 x 20 x 20 mm, clamped at x = 0, a 1 kN tip shear spread over the end face
and 1 MPa on the top face) is a plain problem that our solver, scikit-fem and CalculiX all take
in the same form. Sizes are asked for in DOF or elements; the gmsh element size is found from a
two calibration meshes (80k and 150k DOF) fitting count ~ size^-k (k a little under 3: surface
nodes); the actual count is always reported.
Decks are kept in bench/out/ keyed by the element size, so reruns skip meshing.
"""

from __future__ import annotations

import numpy as np

from benchlib import OUT
from fea.abaqus import write_deck
from fea.geometry.primitives import box
from fea.materials import LinearElastic
from fea.model import LoadCase, Model, Pressure, Section, Step, Support, SurfaceForce

DIMS = (100.0, 20.0, 20.0)


def cantilever_model(mesh) -> Model:
    return Model("cantilever", mesh, {"ti": LinearElastic("ti", 110000.0, 0.3)},
                 [Section("body", "ti")], [Support("xmin", name="clamp")])


def cantilever_load() -> LoadCase:
    return LoadCase("tip_shear", [Step("load", [SurfaceForce("xmax", np.array([0.0, 0.0, -1000.0])),
                                                Pressure("zmax", 1.0)])])


def _counts(size: float) -> tuple[int, int]:
    m = box(*DIMS, size, 2)
    return m.n_cells, 3 * m.n_nodes


def size_for(target: int, what: str = "dof") -> float:
    """gmsh element size giving about `target` DOF (what='dof') or TET10 elements ('elements')."""
    i = 0 if what == "elements" else 1
    (h1, n1), (h2, n2) = [(h, _counts(h)[i]) for h in (2.5, 2.0)]
    k = np.log(n2 / n1) / np.log(h1 / h2)
    return round(h2 * (n2 / target) ** (1.0 / k), 4)


def cantilever_mesh(target: int, what: str = "dof"):
    return box(*DIMS, size_for(target, what), 2)


def cantilever_deck(target_dof: int):
    """(deck path, element size) for about target_dof DOF; written once, reused from bench/out/."""
    size = size_for(target_dof, "dof")
    path = OUT / "decks" / f"cantilever_h{size:.4f}.inp"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        mesh = box(*DIMS, size, 2)
        write_deck(cantilever_model(mesh), cantilever_load(), path)
    return path, size
