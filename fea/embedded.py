"""Embedded elements (Abaqus *EMBEDDED ELEMENT): a part meshed on its own inside host regions,
every one of its nodes that lies inside a host element following that element,
    u_node = sum_i N_i(xi) u_host_i,   xi: the node's natural coordinates in the host,
as dependency rows of the constraint transformation (fea.constraints: eliminated, no penalty),
like couplings and *EQUATION.

Use: screws and rods in the anatomical constructs (`[[embedded]]` in a model file). They overlap
their bones instead of sitting in holes cut for them (cutting the holes made coincident faces
OCC's fragment could not merge). What this double-counts: the host's material under the embedded
part is not removed (the bone under a screw carries load too, as in Abaqus's default embedding);
for titanium in bone (E ratio 110 GPa / 0.45-12 GPa) that adds the displaced bone's stiffness,
a few per cent of the screw's axial stiffness. What it cannot do: no slip or pull-out (the screw is
bonded along its length, like the tied threads it replaces), and stresses in the host under the
screw are the host's, not a hole's stress concentration.

Nodes outside every host stay free (a screw head standing out of the bone); a part with no node in
any host is an error naming it. Nodes are located by their host's corner tetrahedron (a k-d tree of
element centres proposes candidates) and their natural coordinates refined by Newton on the
isoparametric map, so a curved TET10 host reproduces a linear field (a rigid motion) exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constraints import LinearDependency
from .elements import tet_shape
from .errors import FeaError

INSIDE_TOL = 1e-6  # barycentric: a node this far outside a face is still on it
CANDIDATES = (8, 32, 128)  # nearest element centres tried in turn for a node's host


@dataclass
class Embedded:
    """The nodes of cell set `cell_set` tied to the elements of the cell sets `hosts` (first host
    that contains a node wins, in the order given)."""

    name: str
    cell_set: str
    hosts: tuple[str, ...]


@dataclass
class Embedding:
    """Where each tied node sits: node index, host node indices (n, nn), shape values (n, nn)."""

    name: str
    nodes: np.ndarray
    host_nodes: np.ndarray
    N: np.ndarray
    free: int  # nodes of the part outside every host


def check_names(mesh, emb: Embedded, where: str) -> None:
    from .config import suggest

    for what, n in [("cell_set", emb.cell_set)] + [("hosts", h) for h in emb.hosts]:
        if n not in mesh.cell_sets:
            hint = suggest(n, sorted(mesh.cell_sets))
            did = f" Did you mean '{hint}'?" if hint else ""
            raise FeaError(f"{where}: embedded '{emb.name}' {what}: '{n}' is not a cell set of "
                           f"the mesh.{did}")
    if emb.cell_set in emb.hosts:
        raise FeaError(f"{where}: embedded '{emb.name}' is its own host ('{emb.cell_set}')")


def locate(nodes: np.ndarray, cells: np.ndarray, x: np.ndarray):
    """(host cell index or -1, barycentric (n, 4)) of each point x in the corner tetrahedra of
    `cells` (indices into `nodes`)."""
    from scipy.spatial import cKDTree

    c = nodes[cells[:, :4]]  # (m, 4, 3)
    x0 = c[:, 0]
    J = np.transpose(c[:, 1:] - x0[:, None], (0, 2, 1))  # columns: edges from corner 0
    Jinv = np.linalg.inv(J)
    tree = cKDTree(c.mean(axis=1))
    host = np.full(len(x), -1)
    best = np.full(len(x), -np.inf)
    bary = np.zeros((len(x), 4))
    todo = np.arange(len(x))
    for k in CANDIDATES:
        if not len(todo):
            break
        k = min(k, len(cells))
        _, cand = tree.query(x[todo], k=k)
        cand = cand.reshape(len(todo), k)
        lam = np.einsum("pkij,pkj->pki", Jinv[cand], x[todo, None] - x0[cand])
        L = np.concatenate([1.0 - lam.sum(axis=2, keepdims=True), lam], axis=2)
        worst = L.min(axis=2)  # (p, k): how far outside each candidate
        pick = worst.argmax(axis=1)
        w = worst[np.arange(len(todo)), pick]
        better = w > best[todo]
        best[todo[better]] = w[better]
        bary[todo[better]] = L[np.arange(len(todo)), pick][better]
        hit = w >= -INSIDE_TOL
        host[todo[hit]] = cand[np.arange(len(todo)), pick][hit]
        todo = todo[~hit]
    return host, bary


def _natural(nodes: np.ndarray, conn: np.ndarray, x: np.ndarray, bary: np.ndarray) -> np.ndarray:
    """Natural coordinates (n, 3) of points x in their (curved TET10) hosts: Newton on
    x(xi) = sum N_i(xi) x_i from the corner tetrahedron's barycentric coordinates."""
    xi = bary[:, 1:].copy()
    if conn.shape[1] == 4:
        return xi
    X = nodes[conn]  # (n, 10, 3)
    for _ in range(6):
        N, dN = tet_shape(10, xi)
        r = np.einsum("na,nai->ni", N, X) - x
        if np.abs(r).max(initial=0.0) < 1e-10:
            break
        Jm = np.einsum("nai,naj->nij", X, dN)  # dx_i / dxi_j
        xi -= np.linalg.solve(Jm, r[..., None])[..., 0]
    return xi


def embed(mesh, emb: Embedded, where: str = "model") -> Embedding:
    check_names(mesh, emb, where)
    part_cells = mesh.elements(emb.cell_set)
    own = np.unique(mesh.cells[part_cells])
    hosts = [np.asarray(mesh.elements(h)) for h in emb.hosts]
    host_of = np.full(len(own), -1)
    bary = np.zeros((len(own), 4))
    left = np.arange(len(own))
    for hc in hosts:  # first host wins
        hc = np.setdiff1d(hc, part_cells)
        if not len(left) or not len(hc):
            continue
        h, b = locate(mesh.nodes, mesh.cells[hc], mesh.nodes[own[left]])
        ok = h >= 0
        host_of[left[ok]] = hc[h[ok]]
        bary[left[ok]] = b[ok]
        left = left[~ok]
    tied = host_of >= 0
    conn = mesh.cells[host_of[tied]]
    # a node the part shares with its host (a conforming mesh) is already bonded
    shared = (conn == own[tied, None]).any(axis=1)
    idx = np.flatnonzero(tied)[~shared]
    conn = conn[~shared]
    if not len(idx):
        raise FeaError(f"{where}: embedded '{emb.name}': no node of '{emb.cell_set}' lies inside "
                       f"its hosts ({', '.join(emb.hosts)}); is it placed in them?")
    xi = _natural(mesh.nodes, conn, mesh.nodes[own[idx]], bary[idx])
    N, _ = tet_shape(conn.shape[1], xi)
    return Embedding(emb.name, own[idx], conn, N, int((~tied).sum()))


def embedded_dependencies(model) -> list[LinearDependency]:
    """Three rows per tied node (ux, uy, uz each on the host nodes' same component)."""
    out = []
    for emb in model.embedded:
        e = embed(model.mesh, emb, model.source)
        n, nn = e.host_nodes.shape
        comp = np.arange(3)
        dep = (3 * e.nodes[:, None] + comp).ravel()  # row r = 3 * node + comp
        rows = np.repeat(np.arange(3 * n), nn)
        cols = (3 * e.host_nodes[:, None, :] + comp[None, :, None]).ravel()
        vals = np.repeat(e.N[:, None, :], 3, axis=1).ravel()
        out.append(LinearDependency(dep, rows, cols, vals, f"embedded '{emb.name}'"))
    return out


def embedded_equations(model) -> list:
    """The same ties as *EQUATION (fea.equations.Equation) for a deck: per tied node and
    component, u_node - sum N_i u_host_i = 0."""
    from .equations import Equation

    out = []
    for emb in model.embedded:
        e = embed(model.mesh, emb, model.source)
        for node, hn, N in zip(e.nodes.tolist(), e.host_nodes, e.N):
            keep = np.abs(N) > 1e-12
            for c in range(3):
                nodes = np.r_[node, hn[keep]]
                out.append(Equation(nodes, (None,) * len(nodes), np.full(len(nodes), c),
                                    np.r_[1.0, -N[keep]], f"embedded '{emb.name}'"))
    return out
