"""Fibres of the model's ligaments: where they attach and how they stretch.

Each ligament's two attachment sets (face sets, or node sets; `SET@BODY` keeps one body's side
as interfaces do) are split into N patches of about equal area, patch i of one side paired with
patch i of the other (a joint recursive bisection along the principal in-plane axis of both
sides, each centred on its own centroid, so that fibres run "straight across" the ligament).
A fibre end is the area-weighted mean of its patch (the surface quadrature points with their
shape functions): a distributing coupling, so no fibre pulls on a single node unless the set is
a single node (a point end, as a SPRINGA between two nodes).

Small-displacement kinematics, direction fixed in the reference configuration:
    delta_f = n_f . (u_end_B - u_end_A) = (B u)_f,    n_f = (x_B - x_A) / |x_B - x_A|
or n_f = the ligament's `direction` for springs (SPRING1/SPRING2, springs to ground).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..contact.sides import _selector_cells, resolve_faces
from ..errors import ConfigError
from ..model import Ligament, Model
from ..surface import surface_quadrature
from .law import LawArrays, check_law, fibre_law_arrays

SHARES = ("area", "length", "equal")


@dataclass
class Fibres:
    """All fibres of all ligaments of a model (n fibres, n_lig ligaments)."""

    B: sp.csr_matrix  # (n, n_dof): elongation delta = B u (mm), u the full DOF vector
    WA: sp.csr_matrix  # (n, n_nodes): end A's node weights (rows sum to 1; empty for ground)
    WB: sp.csr_matrix  # (n, n_nodes): end B's node weights
    L0: np.ndarray  # (n,) reference length, mm (nan: a spring without length, e.g. to ground)
    end_a: np.ndarray  # (n, 3) reference position of end A (= end_b for springs to ground)
    end_b: np.ndarray  # (n, 3)
    direction: np.ndarray  # (n, 3) unit vector n_f
    ligament: np.ndarray  # (n,) int64 index into names
    share: np.ndarray  # (n,) fraction of its ligament's force (sums to 1 per ligament)
    names: list[str]  # (n_lig,)
    lig_length: np.ndarray  # (n_lig,) share-weighted mean fibre length, mm (nan: no length)
    failure_force: np.ndarray  # (n_lig,) N, nan where none is given
    law: LawArrays  # per-fibre law parameters (fea.ligaments.law.evaluate)

    @property
    def n(self) -> int:
        return len(self.L0)


@dataclass
class _Side:
    """Attachment points of one side: positions, area weights, and their nodes' shape weights."""

    x: np.ndarray  # (p, 3)
    w: np.ndarray  # (p,) area (mm^2) of each point, or 1 per node of a node set
    conn: np.ndarray  # (p, k) node indices
    N: np.ndarray  # (p, k) shape-function weights (rows sum to 1)


def _side(model: Model, name: str, where: str) -> _Side:
    mesh = model.mesh
    base, _, sel = name.partition("@")
    if base in mesh.face_sets:
        faces = resolve_faces(model, name, where)  # SET@BODY as interfaces pick their sides
        if not sel:
            fc = np.sort(mesh.face_connectivity(faces, corners_only=True), axis=1)
            if len(np.unique(fc, axis=0)) < len(fc):
                raise ConfigError(f"{where}: face set '{base}' lies inside the mesh (both sides "
                                  f"listed); say which side with '{base}@BODY'")
        sq = surface_quadrature(mesh, faces)
        dA = sq.dA()  # (k, q)
        k, q = dA.shape
        conn = np.repeat(sq.conn, q, axis=0)  # (k q, nf)
        N = np.broadcast_to(sq.N[None], (k, q, sq.N.shape[1])).reshape(k * q, -1)
        return _Side(sq.x.reshape(-1, 3), dA.ravel(), conn, np.ascontiguousarray(N))
    if base in mesh.node_sets:
        nodes = np.unique(mesh.node_sets[base])
        if sel:
            keep = np.unique(mesh.cells[_selector_cells(model, sel, where)])
            nodes = nodes[np.isin(nodes, keep)]
        if not len(nodes):
            raise ConfigError(f"{where}: node set '{base}' has no node on '{sel or base}'")
        return _Side(mesh.nodes[nodes], np.ones(len(nodes)), nodes[:, None],
                     np.ones((len(nodes), 1)))
    pool = sorted(set(mesh.face_sets) | set(mesh.node_sets))
    from ..config import suggest

    hint = suggest(base, pool)
    did = f" Did you mean '{hint}'?" if hint else ""
    raise ConfigError(f"{where}: no face or node set named '{base}'.{did}")


def _explicit(model: Model, end, where: str, n: int = 1) -> _Side:
    """An end given as (nodes, weights[, position]): the position defaults to the weighted
    mean of the nodes (a deck may place a tied end node elsewhere). For n fibres each is a
    row: nodes (n, k), weights (n, k), positions (n, 3) (fea.annulus)."""
    nodes, w = np.asarray(end[0]).astype(np.int64), np.asarray(end[1], float)
    nodes, w = nodes.reshape(-1, nodes.shape[-1]), w.reshape(-1, w.shape[-1])
    if len(nodes) != n or w.shape != nodes.shape:
        raise ConfigError(f"{where}: explicit ends give {len(nodes)} fibre(s) for {n}")
    if nodes.size == 0 or nodes.min() < 0 or nodes.max() >= model.mesh.n_nodes:
        raise ConfigError(f"{where}: explicit end refers to nodes outside the mesh")
    if np.abs(w.sum(axis=1) - 1.0).max() > 1e-6:
        raise ConfigError(f"{where}: explicit end weights sum to {w.sum(axis=1)[0]:.6g}, not 1")
    x = (w[..., None] * model.mesh.nodes[nodes]).sum(axis=1) if len(end) < 3 else \
        np.asarray(end[2], float).reshape(-1, 3)
    return _Side(x, np.ones(n), nodes, w)


def _split(values: np.ndarray, weights: np.ndarray, frac: float) -> np.ndarray:
    """Mask of the points below the weighted `frac` quantile of `values` (at least one on each
    side when there are two or more points)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    k = int(np.searchsorted(cum, frac * cum[-1]))
    k = min(max(k, 1), len(order) - 1)
    low = np.zeros(len(values), bool)
    low[order[:k]] = True
    return low


def _partition(sa: _Side | None, sb: _Side, n: int, axis: np.ndarray, where: str
               ) -> tuple[np.ndarray | None, np.ndarray]:
    """Patch label (0..n-1) of every point of both sides, patch i of A facing patch i of B."""
    P = np.eye(3) - np.outer(axis, axis)  # in-plane projector
    sides = [s for s in (sa, sb) if s is not None]
    for s, nm in zip(sides, ("from", "to") if sa is not None else ("from",)):
        if 1 < len(s.w) < n:
            raise ConfigError(f"{where}: the '{nm}' set has {len(s.w)} attachment points for "
                              f"{n} fibres; use fewer fibres or a finer mesh")
    local = [((s.x - np.average(s.x, axis=0, weights=s.w)) @ P) for s in sides]
    labels = [np.zeros(len(s.w), np.int64) for s in sides]
    groups = [(0, n, [np.arange(len(s.w)) for s in sides])]  # (first label, count, members)
    while groups:
        first, k, members = groups.pop()
        if k == 1:
            for lab, m in zip(labels, members):
                lab[m] = first
            continue
        k1 = k // 2
        pts = np.vstack([loc[m] - np.average(loc[m], axis=0, weights=s.w[m])
                         for loc, m, s in zip(local, members, sides) if len(s.w) > 1])
        if len(pts) >= 2:
            _, _, vt = np.linalg.svd(pts, full_matrices=False)
            e1 = vt[0]
        else:
            e1 = np.linalg.svd(P)[0][:, 0]
        lo, hi = [], []
        for loc, m, s in zip(local, members, sides):
            if len(s.w) == 1:  # a point end: every fibre starts there
                lo.append(m)
                hi.append(m)
                continue
            if len(m) < 2:
                raise ConfigError(f"{where}: too few attachment points for {n} fibres")
            low = _split(loc[m] @ e1, s.w[m], k1 / k)
            lo.append(m[low])
            hi.append(m[~low])
        groups += [(first, k1, lo), (first + k1, k - k1, hi)]
    return (labels[0] if sa is not None else None), labels[-1]


def _ends(s: _Side, labels: np.ndarray, n: int):
    """Per patch: centroid (n,3), area (n,), and the (patch, node, weight) triplets."""
    if len(s.w) == 1:  # a point end shared by all fibres
        labels = np.arange(n)
        s = _Side(np.repeat(s.x, n, 0), np.repeat(s.w, n), np.repeat(s.conn, n, 0),
                  np.repeat(s.N, n, 0))
    area = np.bincount(labels, s.w, n)
    x = np.stack([np.bincount(labels, s.w * s.x[:, c], n) for c in range(3)], 1) / area[:, None]
    wq = s.w / area[labels]  # each point's share of its patch
    rows = np.repeat(labels, s.conn.shape[1])
    vals = (wq[:, None] * s.N).ravel()
    return x, area, rows, s.conn.ravel(), vals


def _direction(lig: Ligament, where: str) -> np.ndarray | None:
    if lig.direction is None:
        return None
    d = np.asarray(lig.direction, float)
    nrm = np.linalg.norm(d)
    if d.shape != (3,) or not nrm > 0:
        raise ConfigError(f"{where}: direction must be a non-zero vector [x, y, z]")
    return d / nrm


def build_fibres(model: Model) -> Fibres:
    """The fibres of every ligament of the model (vectorised over points and nodes)."""
    n_dof, n_nodes = model.n_full, model.mesh.n_nodes
    wrows, wcols, wvals = ([], []), ([], []), ([], [])
    L0s, ea, eb, dirs, lig_of, shares, lengths, fails = [], [], [], [], [], [], [], []
    offset = 0
    for j, lig in enumerate(model.ligaments):
        where = f"{model.source}: ligaments[{j}] '{lig.name}'"
        check_law(lig.law, where)
        n = int(lig.fibres)
        if n < 1:
            raise ConfigError(f"{where}: fibres must be >= 1")
        if lig.share not in SHARES:
            raise ConfigError(f"{where}: share must be one of {', '.join(SHARES)}")
        d = _direction(lig, where)
        if lig.ends is not None:  # one point per fibre and end: no partition
            sa = None if lig.ends[0] is None else _explicit(model, lig.ends[0], where, n)
            sb = _explicit(model, lig.ends[1], where, n)
        else:
            sb = _side(model, lig.from_set if lig.to_set is None else lig.to_set, where)
            sa = None if lig.to_set is None else _side(model, lig.from_set, where)
        if sa is None and d is None:
            raise ConfigError(f"{where}: a spring to ground needs a direction [x, y, z]")
        ca = None if sa is None else np.average(sa.x, axis=0, weights=sa.w)
        cb = np.average(sb.x, axis=0, weights=sb.w)
        axis = d if d is not None else cb - ca
        if not np.linalg.norm(axis) > 0:
            raise ConfigError(f"{where}: the attachment sets '{lig.from_set}' and "
                              f"'{lig.to_set}' have the same centroid; give a direction")
        axis = axis / np.linalg.norm(axis)
        if lig.ends is not None:
            lb = np.arange(n)
            la = None if sa is None else lb
        else:
            la, lb = _partition(sa, sb, n, axis, where)
        xb, area_b, rb, cbn, vb = _ends(sb, lb, n)
        if sa is not None:
            xa, area_a, ra, can, va = _ends(sa, la, n)
            span = xb - xa
            L = np.linalg.norm(span, axis=1)
        else:
            xa, area_a, span, L = xb.copy(), None, np.zeros((n, 3)), np.full(n, np.nan)
        scale = max(np.ptp(model.mesh.nodes, axis=0).max(), 1e-300)
        if d is None:
            if np.any(L <= 1e-9 * scale):
                f = int(np.flatnonzero(L <= 1e-9 * scale)[0])
                raise ConfigError(f"{where}: fibre {f + 1} has zero length (its two ends "
                                  "coincide); give a direction for a spring between coincident "
                                  "points")
            nf = span / L[:, None]
        else:
            nf = np.broadcast_to(d, (n, 3)).copy()
            L = np.where(L <= 1e-9 * scale, np.nan, L)  # coincident ends: a spring, no length
        wrows[1].append(offset + rb)
        wcols[1].append(cbn)
        wvals[1].append(vb)
        if sa is not None:
            wrows[0].append(offset + ra)
            wcols[0].append(can)
            wvals[0].append(va)
        if lig.share == "area":
            s = area_b / area_b.sum()
            if area_a is not None:
                s = 0.5 * (s + area_a / area_a.sum())
        elif lig.share == "length":
            if not np.all(np.isfinite(L)):
                raise ConfigError(f"{where}: share = 'length' needs fibres with a length")
            s = L / L.sum()
        else:
            s = np.full(n, 1.0 / n)
        L0s.append(L)
        ea.append(xa)
        eb.append(xb)
        dirs.append(nf)
        lig_of.append(np.full(n, j, np.int64))
        shares.append(s)
        lengths.append(float(s @ L) if np.all(np.isfinite(L)) else np.nan)
        fails.append(np.nan if lig.law.failure_force is None else lig.law.failure_force)
        offset += n
    cat = (lambda parts, shape: np.concatenate(parts) if parts else np.zeros(shape))
    WA, WB = (sp.coo_matrix((cat(wvals[k], 0), (cat(wrows[k], 0).astype(np.int64),
                                                cat(wcols[k], 0).astype(np.int64))),
                            shape=(offset, n_nodes)).tocsr() for k in (0, 1))
    direction = cat(dirs, (0, 3)).reshape(-1, 3)
    B = _elongation_operator(WB - WA, direction, n_dof)
    L0 = cat(L0s, 0)
    lig = cat(lig_of, 0).astype(np.int64)
    share = cat(shares, 0)
    names = [lg.name for lg in model.ligaments]
    lig_length = np.array(lengths, float)
    law = fibre_law_arrays([lg.law for lg in model.ligaments], lig, L0, share, lig_length, names)
    return Fibres(B, WA, WB, L0, cat(ea, (0, 3)).reshape(-1, 3), cat(eb, (0, 3)).reshape(-1, 3),
                  direction, lig, share, names, lig_length, np.array(fails, float), law)


def _elongation_operator(W: sp.csr_matrix, direction: np.ndarray, n_dof: int) -> sp.csr_matrix:
    """B[f, 3 n + c] = W[f, n] * direction[f, c]: delta_f = n_f . sum_n W[f, n] u_n."""
    W = W.tocoo()
    rows = np.repeat(W.row, 3)
    cols = (3 * W.col[:, None] + np.arange(3)).ravel()
    vals = (W.data[:, None] * direction[W.row]).ravel()
    B = sp.coo_matrix((vals, (rows, cols)), shape=(W.shape[0], n_dof)).tocsr()
    B.sum_duplicates()
    return B
