"""Give the two sides of a conforming contact interface their own nodes.

gmsh fragments mesh an implant and a bone with shared nodes on their common surface: bonded. For
a contact interface (frictionless or friction) every body touching such a node gets its own copy.
Copies of bodies that are not separated by a contact interface at that node (a screw tied through
both, a triple line) are glued back by tie rows u_copy = u_primary, so only the contact pair can
separate or slide.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..constraints import LinearDependency
from ..model import Model
from .sides import Sides, body_of_cells


@dataclasses.dataclass
class SplitResult:
    model: Model
    ties: list[LinearDependency]
    origin: np.ndarray  # (n_new,) original node index of every node of the split mesh


def split_contact_nodes(model: Model, contacts: list[tuple[str, Sides]]) -> SplitResult:
    mesh = model.mesh
    n0 = mesh.n_nodes
    body, names = body_of_cells(model)
    nb = len(names)
    shared_per_if = []
    for _, sd in contacts:
        s_nodes = np.unique(mesh.face_connectivity(sd.slave))
        m_nodes = np.unique(mesh.face_connectivity(sd.master))
        shared_per_if.append((np.intersect1d(s_nodes, m_nodes), names.index(sd.slave_body),
                              names.index(sd.master_body)))
    shared = np.unique(np.concatenate([s for s, _, _ in shared_per_if])) if contacts else []
    if len(shared) == 0:
        return SplitResult(model, [], np.arange(n0))

    on = np.zeros(n0, bool)
    on[shared] = True
    cell_body = np.broadcast_to(body[:, None], mesh.cells.shape)
    mask = on[mesh.cells]
    keys = np.unique(mesh.cells[mask] * nb + cell_body[mask])  # (node, body) pairs, sorted
    node_of, body_of = keys // nb, keys % nb
    first = np.r_[True, node_of[1:] != node_of[:-1]]
    new_index = np.where(first, node_of, n0 + np.cumsum(~first) - 1)
    cells = mesh.cells.copy()
    cells[mask] = new_index[np.searchsorted(keys, mesh.cells[mask] * nb + cell_body[mask])]

    origin = np.concatenate([np.arange(n0), node_of[~first]])
    ties = _glue(keys, new_index, node_of, body_of, shared_per_if, nb)
    new_ids = np.concatenate([mesh.node_ids, mesh.node_ids.max() + 1 + np.arange((~first).sum())])
    # with_cells keeps the element type (a bare 20-node array would read as C3D20, not C3D20R)
    new_mesh = mesh.with_cells([cells], nodes=mesh.nodes[origin], node_ids=new_ids)
    return SplitResult(dataclasses.replace(model, mesh=new_mesh), ties, origin)


def _glue(keys, new_index, node_of, body_of, shared_per_if, nb) -> list[LinearDependency]:
    """Tie rows for copies of bodies that no contact interface separates at that node."""
    counts = np.bincount(np.searchsorted(np.unique(node_of), node_of))
    uniq_nodes = np.unique(node_of)
    multi = uniq_nodes[counts > 2]  # two bodies at a node are exactly the contact pair
    if len(multi) == 0:
        return []
    separated = set()
    for nodes, a, b in shared_per_if:
        for n in np.intersect1d(nodes, multi):
            separated.add((int(n), min(a, b), max(a, b)))
    dep, master = [], []
    # a loop over triple-line nodes only (a few per construct), not over the mesh
    for n in multi:
        sel = np.flatnonzero(node_of == n)
        bodies = body_of[sel]
        parent = {int(b): int(b) for b in bodies}

        def find(x):
            while parent[x] != x:
                x = parent[x]
            return x

        for i in range(len(bodies)):
            for j in range(i + 1, len(bodies)):
                a, b = int(bodies[i]), int(bodies[j])
                if (int(n), min(a, b), max(a, b)) not in separated:
                    parent[find(a)] = find(b)
        groups: dict[int, list[int]] = {}
        for k, b in zip(sel, bodies):
            groups.setdefault(find(int(b)), []).append(int(new_index[k]))
        for members in groups.values():
            members.sort()
            for d in members[1:]:
                dep.append(d)
                master.append(members[0])
    if not dep:
        return []
    dep, master = np.array(dep), np.array(master)
    ddofs = (3 * dep[:, None] + np.arange(3)).ravel()
    mdofs = (3 * master[:, None] + np.arange(3)).ravel()
    return [LinearDependency(ddofs, np.arange(len(ddofs)), mdofs, np.ones(len(ddofs)),
                             "a tie of bodies meeting at a contact interface")]
