"""Local nodal coordinate systems (CalculiX/Abaqus *TRANSFORM).

A `Transform` gives the nodes of a node set their own axes X', Y', Z', as CalculiX defines them:
rectangular (TYPE=R) from two points a, b (X' along a from the origin, Y' in the plane of a and
b, Z' = X' x Y'), or cylindrical (TYPE=C) from two points a, b on the axis (X' radial through the
node, Z' from a to b, Y' = Z' x X' tangential). On a transformed node, supports (prescribed
displacements), nodal forces and *EQUATION terms act in these axes, as in CalculiX; the
displacements, reactions and every other result stay in global axes (ccx's .frd default).

The solve works in nodal axes: u_global = Q u_nodal, Q block-diagonal with each transformed node's
3 x 3 axes (identity elsewhere), so a local support is an ordinary prescribed DOF of the nodal
vector and the constraint transformation T (fea.constraints) is simply Q T_nodal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .anisotropy import Orientation
from .errors import FeaError


@dataclass
class Transform:
    """Local axes for the nodes of node set `target`; `orientation` holds the system (its
    'rectangular' / 'cylindrical' a and b, as *ORIENTATION: the same definition in CalculiX).
    Where several transforms name a node, the last one takes effect (as in CalculiX)."""

    target: str
    orientation: Orientation
    name: str = ""

    @property
    def kind(self) -> str:
        return "R" if self.orientation.system == "rectangular" else "C"


def node_frames(model) -> tuple[np.ndarray, np.ndarray]:
    """(node indices (k,), axes R (k, 3, 3), columns X', Y', Z' in global coordinates) of every
    transformed mesh node, the last transform naming a node winning."""
    mesh = model.mesh
    transforms = getattr(model, "transforms", None) or []
    if not transforms:
        return np.zeros(0, np.int64), np.zeros((0, 3, 3))
    R = np.zeros((mesh.n_nodes, 3, 3))
    has = np.zeros(mesh.n_nodes, bool)
    for t in transforms:
        if t.target not in mesh.node_sets and t.target not in mesh.set_names():
            raise mesh._unknown(t.target, f"node set (transform '{t.name or t.target}')")
        nodes = mesh.nodes_of(t.target)
        axes = t.orientation.axes(mesh.nodes[nodes])  # on the axis: ccx's radial direction
        R[nodes] = axes
        has[nodes] = True
    idx = np.flatnonzero(has)
    return idx, R[idx]


def rotation_matrix(n_full: int, idx: np.ndarray, R: np.ndarray) -> sp.csr_matrix:
    """Q (n_full x n_full): u_global = Q u_nodal (the 3 x 3 axes at transformed nodes)."""
    keep = np.ones(n_full, bool)
    keep[(3 * idx[:, None] + np.arange(3)).ravel()] = False
    diag = np.flatnonzero(keep)
    rows = np.broadcast_to((3 * idx)[:, None, None] + np.arange(3)[None, :, None],
                           (len(idx), 3, 3))
    cols = np.broadcast_to((3 * idx)[:, None, None] + np.arange(3)[None, None, :],
                           (len(idx), 3, 3))
    return sp.csr_matrix((np.concatenate([np.ones(len(diag)), R.ravel()]),
                          (np.concatenate([diag, rows.ravel()]),
                           np.concatenate([diag, cols.ravel()]))), shape=(n_full, n_full))


def to_global(fn: np.ndarray, idx: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Per-node vectors (n, 3) given in nodal axes, turned into global axes."""
    out = fn.copy()
    out[idx] = np.einsum("kij,kj->ki", R, fn[idx])
    return out


def check_not_dependent(dep_dofs: np.ndarray, owner: str, idx: np.ndarray, model) -> None:
    """A coupling, tie or embedded node's DOFs are written in global axes; on a transformed node
    they would mix with the local ones: refused, naming the node."""
    n = model.mesh.n_nodes
    nodes = np.unique(dep_dofs[dep_dofs < 3 * n] // 3)
    hit = nodes[np.isin(nodes, idx)]
    if len(hit):
        raise FeaError(f"node {model.mesh.node_ids[hit[0]]} has a *TRANSFORM (local axes) and "
                       f"is driven by {owner}; a node in local axes may be a master of such a "
                       "constraint, not its dependent node")
