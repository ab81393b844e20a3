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
A ligament with a `via` set wraps: fibre f runs A -> V_f -> B (V_f a patch of the via set, split
with the ends), its length is the sum of the two segments, and
    delta_f = n_B . (u_B - u_V) + n_A . (u_V - u_A),    n_A = unit(V - A), n_B = unit(B - V),
so the via point is pressed by F (n_B - n_A): the pull of a band over a fixed pulley.
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
    WV: sp.csr_matrix  # (n, n_nodes): via point's node weights (empty rows: a straight fibre)
    L0: np.ndarray  # (n,) reference length, mm (nan: a spring without length, e.g. to ground)
    end_a: np.ndarray  # (n, 3) reference position of end A (= end_b for springs to ground)
    end_b: np.ndarray  # (n, 3)
    end_v: np.ndarray  # (n, 3) reference position of the via point (nan: a straight fibre)
    direction: np.ndarray  # (n, 3) unit vector n_f; with a via point, the segment V -> B
    direction_a: np.ndarray  # (n, 3) the segment leaving end A (= direction when straight)
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


def _partition(sides: list[_Side], labels_of: tuple[str, ...], n: int, axis: np.ndarray,
               where: str) -> list[np.ndarray]:
    """Patch label (0..n-1) of every point of each side, patch i of one side facing patch i of
    the others (the two ends, and the via set when there is one)."""
    P = np.eye(3) - np.outer(axis, axis)  # in-plane projector
    for s, nm in zip(sides, labels_of):
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
    return labels


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
    trip = {k: ([], [], []) for k in "ABV"}  # (rows, node columns, weights) per end
    L0s, ea, eb, ev, dirs, dirs_a, lig_of, shares, lengths, fails = ([] for _ in range(10))
    offset = 0
    scale = max(np.ptp(model.mesh.nodes, axis=0).max(), 1e-300)
    for j, lig in enumerate(model.ligaments):
        where = f"{model.source}: ligaments[{j}] '{lig.name}'"
        check_law(lig.law, where)
        n = int(lig.fibres)
        if n < 1:
            raise ConfigError(f"{where}: fibres must be >= 1")
        if lig.share not in SHARES:
            raise ConfigError(f"{where}: share must be one of {', '.join(SHARES)}")
        d = _direction(lig, where)
        via = getattr(lig, "via", None)
        if via is not None and (lig.to_set is None or d is not None or lig.ends is not None):
            raise ConfigError(f"{where}: via '{via}' needs a fibre between two sets along its own "
                              "path (not a spring to ground, a fixed direction or explicit ends)")
        if lig.ends is not None:  # one point per fibre and end: no partition
            sa = None if lig.ends[0] is None else _explicit(model, lig.ends[0], where, n)
            sb = _explicit(model, lig.ends[1], where, n)
        else:
            sb = _side(model, lig.from_set if lig.to_set is None else lig.to_set, where)
            sa = None if lig.to_set is None else _side(model, lig.from_set, where)
        sv = None if via is None else _side(model, via, where)
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
            la = lb = np.arange(n)
        else:
            sides = [s for s in (sa, sb, sv) if s is not None]
            names = ("from", "to", "via") if sa is not None else ("from",)
            labels = dict(zip([k for k, s in zip("ABV", (sa, sb, sv)) if s is not None],
                              _partition(sides, names, n, axis, where)))
            la, lb, lv = labels.get("A"), labels["B"], labels.get("V")
        xb, area_b, *tb = _ends(sb, lb, n)
        _trip_add(trip["B"], offset, tb)
        if sa is not None:
            xa, area_a, *ta = _ends(sa, la, n)
            _trip_add(trip["A"], offset, ta)
        else:
            xa, area_a = xb.copy(), None
        if sv is not None:
            xv, _, *tv = _ends(sv, lv, n)
            _trip_add(trip["V"], offset, tv)
            seg_a, seg_b = xv - xa, xb - xv
        else:
            xv = np.full((n, 3), np.nan)
            seg_a = seg_b = (xb - xa if sa is not None else np.zeros((n, 3)))
        la_len, lb_len = np.linalg.norm(seg_a, axis=1), np.linalg.norm(seg_b, axis=1)
        L = la_len + lb_len if sv is not None else lb_len
        if sa is None:
            L = np.full(n, np.nan)
        if d is None:
            short = np.minimum(la_len, lb_len) <= 1e-9 * scale
            if np.any(short):
                f = int(np.flatnonzero(short)[0])
                what = ("its via point lies on one of its ends" if sv is not None else
                        "its two ends coincide")
                raise ConfigError(f"{where}: fibre {f + 1} has a zero-length segment ({what}); "
                                  "give a direction for a spring between coincident points")
            nf, na = seg_b / lb_len[:, None], seg_a / la_len[:, None]
        else:
            nf = np.broadcast_to(d, (n, 3)).copy()
            na = nf
            L = np.where(L <= 1e-9 * scale, np.nan, L)  # coincident ends: a spring, no length
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
        ev.append(xv)
        dirs.append(nf)
        dirs_a.append(na)
        lig_of.append(np.full(n, j, np.int64))
        shares.append(s)
        lengths.append(float(s @ L) if np.all(np.isfinite(L)) else np.nan)
        fails.append(np.nan if lig.law.failure_force is None else lig.law.failure_force)
        offset += n
    cat = (lambda parts, shape: np.concatenate(parts) if parts else np.zeros(shape))
    WA, WB, WV = (sp.coo_matrix((cat(trip[k][2], 0), (cat(trip[k][0], 0).astype(np.int64),
                                                      cat(trip[k][1], 0).astype(np.int64))),
                                shape=(offset, n_nodes)).tocsr() for k in "ABV")
    direction = cat(dirs, (0, 3)).reshape(-1, 3)
    direction_a = cat(dirs_a, (0, 3)).reshape(-1, 3)
    B = _elongation_operator([(WB, direction), (WA, -direction_a),
                              (WV, direction_a - direction)], n_dof)
    L0 = cat(L0s, 0)
    lig = cat(lig_of, 0).astype(np.int64)
    share = cat(shares, 0)
    names = [lg.name for lg in model.ligaments]
    lig_length = np.array(lengths, float)
    law = fibre_law_arrays([lg.law for lg in model.ligaments], lig, L0, share, lig_length, names)
    return Fibres(B, WA, WB, WV, L0, cat(ea, (0, 3)).reshape(-1, 3),
                  cat(eb, (0, 3)).reshape(-1, 3), cat(ev, (0, 3)).reshape(-1, 3), direction,
                  direction_a, lig, share, names, lig_length, np.array(fails, float), law)


def _trip_add(into: tuple, offset: int, t) -> None:
    """Append one end's (patch, node, weight) triplets, the patches offset to global fibres."""
    rows, cols, vals = t
    into[0].append(offset + rows)
    into[1].append(cols)
    into[2].append(vals)


def _elongation_operator(parts, n_dof: int) -> sp.csr_matrix:
    """B[f, 3 n + c] = sum over (W, d) of W[f, n] * d[f, c]: delta_f = sum n_f . W u."""
    rows, cols, vals = [], [], []
    for W, direction in parts:
        W = W.tocoo()
        rows.append(np.repeat(W.row, 3))
        cols.append((3 * W.col[:, None] + np.arange(3)).ravel())
        vals.append((W.data[:, None] * direction[W.row]).ravel())
    n = parts[0][0].shape[0]
    B = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n, n_dof)).tocsr()
    B.sum_duplicates()
    return B
