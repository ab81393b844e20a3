"""Linear multi-point constraints (Abaqus/CalculiX *EQUATION): sum_k a_k u_k = 0.

The first term's DOF is the dependent one, as in CalculiX and Abaqus: it is eliminated,
u_1 = -sum_{k>1} (a_k / a_1) u_k, through the same transformation T as couplings and ties
(fea.constraints), so an equation adds no unknown and no penalty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constraints import LinearDependency
from .errors import FeaError


@dataclass
class Equation:
    """One equation's terms. Term k acts on mesh node `nodes[k]` (index) or, where that is -1, on
    reference point `refs[k]`; `comps[k]` is 0..2 (ux, uy, uz) or 3..5 (rotations, reference
    points only); `coefs[k]` its coefficient. `where` names its origin for messages."""

    nodes: np.ndarray
    refs: tuple
    comps: np.ndarray
    coefs: np.ndarray
    where: str = "*EQUATION"

    def __post_init__(self):
        self.nodes = np.asarray(self.nodes, np.int64)
        self.comps = np.asarray(self.comps, np.int64)
        self.coefs = np.asarray(self.coefs, float)
        n = len(self.nodes)
        if n < 2 or len(self.refs) != n or len(self.comps) != n or len(self.coefs) != n:
            raise FeaError(f"{self.where}: an equation needs at least two terms, each a node, a "
                           "dof and a coefficient")
        if self.coefs[0] == 0.0:
            raise FeaError(f"{self.where}: the first term's coefficient is zero; its DOF is the "
                           "one the equation eliminates")
        on_node = self.nodes >= 0
        if ((self.comps < 0) | (self.comps > 5) | (on_node & (self.comps > 2))).any():
            raise FeaError(f"{self.where}: dofs are 1-3 on mesh nodes and 1-6 on reference "
                           "points")


def full_dofs(model, eq: Equation) -> np.ndarray:
    """Full DOF index of every term of `eq` in `model` (fea.constraints numbering)."""
    n = model.mesh.n_nodes
    out = 3 * eq.nodes + eq.comps
    for k in np.flatnonzero(eq.nodes < 0):  # reference-point terms: a handful per equation
        if eq.refs[k] not in model.ref_points:
            raise FeaError(f"{eq.where}: reference point '{eq.refs[k]}' is not in the model")
        out[k] = 3 * n + 6 * model.ref_index(eq.refs[k]) + eq.comps[k]
    if (eq.nodes >= n).any():
        raise FeaError(f"{eq.where}: node index {int(eq.nodes.max())} is beyond the mesh")
    return out


def equation_dependencies(model) -> list[LinearDependency]:
    """One dependency row per equation, named by its origin (a DOF eliminated twice, or both
    eliminated and prescribed, is reported by fea.constraints with both names)."""
    out = []
    for eq in model.equations:
        d = full_dofs(model, eq)
        if len(np.unique(d)) != len(d):
            raise FeaError(f"{eq.where}: a DOF appears twice in one equation")
        out.append(LinearDependency(d[:1], np.zeros(len(d) - 1, np.int64), d[1:],
                                    -eq.coefs[1:] / eq.coefs[0], eq.where, frame="nodal"))
    return out
