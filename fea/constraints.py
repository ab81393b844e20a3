"""All constraints as one sparse transformation u = T q + u0 (DESIGN.md: eliminate, never penalise).

The full DOF vector holds 3 DOFs per mesh node followed by 6 per reference point
(ux, uy, uz, rx, ry, rz; rotations in radians, small). Every full DOF is one of
  - primary free: a column of T;
  - primary prescribed: value in u0 (and a column of `T_all`, whose reaction we report);
  - dependent: a linear combination of other DOFs (kinematic coupling: surface node on its
    reference point; distributing coupling: reference point on the weighted surface motion;
    tied interfaces later). Chains of dependencies are resolved; cycles are an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from . import csr
from .errors import FeaError, SingularModelError

COMPONENT_NAMES = ["ux", "uy", "uz", "rx", "ry", "rz"]


@dataclass
class LinearDependency:
    """Rows of u_dep = C u_master: dependent DOF index per row, master DOFs and coefficients."""

    dep: np.ndarray  # (r,) full DOF index
    rows: np.ndarray  # COO row into dep list
    cols: np.ndarray  # master full DOF index
    vals: np.ndarray
    owner: str  # for messages: "kinematic coupling 'top'"
    # "global": DOFs in global axes (couplings, ties); "nodal": in each node's own axes, local
    # where a *TRANSFORM gives them (as CalculiX reads *EQUATION terms on such nodes)
    frame: str = "global"


@dataclass
class ConstraintSystem:
    n_full: int
    T: sp.csr_matrix  # (n_full, n_free)
    u0: np.ndarray  # (n_full,)
    T_all: sp.csr_matrix  # (n_full, n_primary): columns of free then prescribed primaries
    free: np.ndarray  # full index of each free primary DOF (column of T)
    prescribed: np.ndarray  # full index of each prescribed DOF
    values: np.ndarray  # prescribed values
    Kr: sp.csr_matrix | None = None  # reduced stiffness T^T K T, once computed
    selection: bool = False  # no dependent DOFs: T only picks the free DOFs
    # (node indices, axes (k, 3, 3)) of nodes in local axes (fea.transforms): their prescribed
    # DOFs and reactions are local components; T and u0 are already in global axes
    frames: tuple | None = None

    def expand(self, q: np.ndarray) -> np.ndarray:
        return self.T @ q + self.u0

    def reduce_rhs(self, K: sp.spmatrix, f: np.ndarray) -> np.ndarray:
        return self.T.T @ (f - K @ self.u0)

    def reduce_matrix(self, K: sp.spmatrix) -> sp.csr_matrix:
        if self.selection:  # one pass over K's entries: no products, no double fancy-indexing
            return csr.select(K, self.free)
        Kr = (self.T.T @ (K @ self.T)).tocsr()
        Kr.sum_duplicates()
        Kr.sort_indices()
        return Kr

    def reactions(self, K: sp.spmatrix, u: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Generalised reaction at every prescribed DOF: (T_all^T (K u - f)) at its column."""
        r = self.T_all.T @ (K @ u - f)
        return r[len(self.free):]

    def reaction_vector(self, r_all: np.ndarray) -> np.ndarray:
        """Full reaction vector in global axes from the generalised reactions r_all = T_all^T
        (K u - f) (a transformed node's reactions are local components: turned back here)."""
        reaction = np.zeros(self.n_full)
        reaction[self.prescribed] = r_all[len(self.free):]
        if self.frames is not None:
            idx, R = self.frames
            d = 3 * idx[:, None] + np.arange(3)
            reaction[d] = np.einsum("kij,kj->ki", R, reaction[d])
        return reaction


def build_constraints(
    n_full: int,
    prescribed: dict[int, float],
    dependencies: list[LinearDependency],
    dof_label,
    frames: tuple | None = None,
) -> ConstraintSystem:
    """dof_label(i) -> human name of full DOF i (node id / reference point and component).
    frames: (node indices, axes (k, 3, 3)) of nodes in local axes (fea.transforms); then
    `prescribed` and "nodal" dependencies hold their local components."""
    dep_flag = np.zeros(n_full, bool)
    owner = {}
    rows, cols, vals, local = [], [], [], []
    turned = np.zeros(n_full, bool)
    if frames is not None:
        turned[(3 * frames[0][:, None] + np.arange(3)).ravel()] = True
    for d in dependencies:
        for i in d.dep:
            if dep_flag[i]:
                raise FeaError(
                    f"{dof_label(i)} is driven by both {owner[i]} and {d.owner}; "
                    "a node can follow only one coupling or tie"
                )
            if turned[i] and d.frame == "global":
                raise FeaError(
                    f"{dof_label(i)} is on a node with a *TRANSFORM (local axes) and is driven "
                    f"by {d.owner}, which works in global axes; a transformed node may be a "
                    "master of such a constraint, not its dependent node")
            dep_flag[i] = True
            owner[i] = d.owner
        rows.append(d.dep[d.rows])
        cols.append(d.cols)
        vals.append(d.vals)
        local.append(np.full(len(d.vals), d.frame == "nodal"))
    p_idx = np.fromiter(prescribed.keys(), dtype=np.int64, count=len(prescribed))
    p_val = np.fromiter(prescribed.values(), dtype=float, count=len(prescribed))
    clash = p_idx[dep_flag[p_idx]] if len(p_idx) else p_idx
    if len(clash):
        i = int(clash[0])
        raise FeaError(
            f"{dof_label(i)} is prescribed by a support but is also driven by {owner[i]}; "
            "remove the support from the coupled surface or prescribe the reference point instead"
        )
    order = np.argsort(p_idx)
    p_idx, p_val = p_idx[order], p_val[order]
    is_presc = np.zeros(n_full, bool)
    is_presc[p_idx] = True
    free = np.flatnonzero(~dep_flag & ~is_presc)
    primary = np.concatenate([free, p_idx])
    S = sp.csr_matrix(
        (np.ones(len(primary)), (primary, np.arange(len(primary)))), shape=(n_full, len(primary))
    )
    Q = None
    if frames is not None:
        from .transforms import rotation_matrix

        Q = rotation_matrix(n_full, *frames)
    if rows:
        A = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_full, n_full),
        )
        if Q is not None:  # work in nodal axes: a global dependency's masters are Q u_nodal
            loc = np.concatenate(local)
            A_loc = sp.csr_matrix((np.concatenate(vals)[loc], (np.concatenate(rows)[loc],
                                   np.concatenate(cols)[loc])), shape=(n_full, n_full))
            A = (A - A_loc) @ Q + A_loc
        T_all = S
        for _ in range(12):  # dependency chains resolve in a few passes; else a cycle
            nxt = (S + A @ T_all).tocsr()
            nxt.eliminate_zeros()
            if (nxt != T_all).nnz == 0:
                break
            T_all = nxt
        else:
            raise FeaError("couplings/ties depend on each other in a cycle; check their surfaces")
    else:
        T_all = S
    T_all = T_all.tocsr()
    if Q is not None:
        T_all = (Q @ T_all).tocsr()
    nf = len(free)
    T = T_all[:, :nf].tocsr()
    u0 = T_all[:, nf:] @ p_val if len(p_idx) else np.zeros(n_full)
    return ConstraintSystem(n_full, T, np.asarray(u0).ravel(), T_all, free, p_idx, p_val,
                            selection=not rows and Q is None, frames=frames)


# ---------------------------------------------------------------- rigid-body-mode check
def rigid_modes(points: np.ndarray, center: np.ndarray) -> np.ndarray:
    """(3p, 6) translations and small rotations about `center` of a point cloud."""
    r = points - center
    R = np.zeros((len(points), 3, 6))
    R[:, 0, 0] = R[:, 1, 1] = R[:, 2, 2] = 1.0
    # rotation about x: (0, -rz, ry); about y: (rz, 0, -rx); about z: (-ry, rx, 0)
    R[:, 1, 3], R[:, 2, 3] = -r[:, 2], r[:, 1]
    R[:, 0, 4], R[:, 2, 4] = r[:, 2], -r[:, 0]
    R[:, 0, 5], R[:, 1, 5] = -r[:, 1], r[:, 0]
    return R.reshape(-1, 6)


def describe_mode(v: np.ndarray) -> str:
    v = v / np.abs(v).max()
    names = ["translation along x", "translation along y", "translation along z",
             "rotation about x", "rotation about y", "rotation about z"]
    parts = [names[i] for i in np.flatnonzero(np.abs(v) > 0.3)]
    return " + ".join(parts)


def check_rigid_modes(
    nodes: np.ndarray,
    cells: np.ndarray,
    ref_positions: np.ndarray,
    cons: ConstraintSystem,
    body_name,
    extra_links: list[tuple[np.ndarray, np.ndarray]] = (),
    extra_supports: list[tuple[np.ndarray, np.ndarray]] = (),
) -> None:
    """Raise SingularModelError if a connected group of bodies can still move rigidly.

    Groups are connected by shared nodes, by the dependency rows of T (couplings, ties) and by
    `extra_links` (pairs of node index arrays, e.g. contact). In each group the six rigid modes
    must be stopped by prescribed DOFs or by `extra_supports` ((nodes, unit directions (k, 3)):
    elastic supports such as springs to ground, each stopping motion along its direction). body_name(node_indices) -> a name for messages.
    """
    n, nref = len(nodes), len(ref_positions)
    nv = n + nref  # graph vertices: nodes, then reference points
    m, nn = cells.shape
    # element cliques as a star on the first node of each element
    r = [np.repeat(cells[:, 0], nn), np.arange(n)]
    c = [cells.ravel(), np.arange(n)]
    # dependency links: the vertex of each dependent DOF with the vertices of its masters
    Tc = cons.T_all.tocoo()
    vtx = lambda dof: np.where(dof < 3 * n, dof // 3, n + (dof - 3 * n) // 6)  # noqa: E731
    primary = np.concatenate([cons.free, cons.prescribed])
    r.append(vtx(Tc.row))
    c.append(vtx(primary[Tc.col]))
    for a, b in extra_links:
        r.append(np.asarray(a))
        c.append(np.asarray(b))
    r, c = np.concatenate(r), np.concatenate(c)
    G = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(nv, nv))
    ncomp, label = connected_components(G, directed=False)
    pts = np.vstack([nodes, ref_positions]) if nref else nodes
    presc_v = vtx(cons.prescribed)
    for k in range(ncomp):
        members = np.flatnonzero(label == k)
        node_members = members[members < n]
        if len(node_members) == 0:
            continue
        center = pts[node_members].mean(axis=0)
        sel = np.flatnonzero(label[presc_v] == k)
        # elastic supports of this group: one row per (node, direction)
        spr = [rigid_modes(nodes[a[label[a] == k]], center).reshape(-1, 3, 6).transpose(0, 2, 1)
               @ d[label[a] == k][:, :, None] for a, d in extra_supports]
        spr = np.vstack([x[:, :, 0] for x in spr]) if spr else np.zeros((0, 6))
        if len(sel) or len(spr):
            dofs = cons.prescribed[sel]
            # the rigid-mode row of each prescribed DOF: a node's or a reference point's
            # translation (its point's modes, that component) or a reference rotation (unit)
            on_node = dofs < 3 * n
            j, comp = np.divmod(dofs[~on_node] - 3 * n, 6)
            where = np.concatenate([nodes[dofs[on_node] // 3], ref_positions[j]]) \
                if nref else nodes[dofs[on_node] // 3]
            which = np.concatenate([dofs[on_node] % 3, comp])
            modes = rigid_modes(where, center).reshape(-1, 3, 6)
            if cons.frames is not None and len(cons.frames[0]):
                # a prescribed DOF of a transformed node is a local component: axis^T modes
                axes = np.tile(np.eye(3), (n, 1, 1))
                axes[cons.frames[0]] = cons.frames[1]
                k = int(on_node.sum())
                modes[:k] = np.einsum("kji,kjm->kim", axes[dofs[on_node] // 3], modes[:k])
            A = modes[np.arange(len(which)), np.minimum(which, 2)]
            A[which > 2] = np.eye(6)[which[which > 2]]
            A = np.vstack([spr, A])
            scale = np.maximum(np.abs(pts[node_members] - center).max(), 1e-12)
            A[:, 3:] /= scale  # make rotations and translations comparable
            # the 6 x 6 R of A = QR has A's singular values and right vectors: no
            # (rows x rows) U for thousands of prescribed DOFs
            R = np.linalg.qr(np.vstack([A, np.zeros((max(6 - len(A), 0), 6))]), mode="r")
            _, s, vt = np.linalg.svd(R)
            rank = int((s > 1e-8 * max(s.max(), 1e-300)).sum())
            null = vt[rank:]
            if len(null):
                null = null.copy()
                null[:, 3:] /= scale
        else:
            null = np.eye(6)
        if len(null):
            modes = "; ".join(describe_mode(v) for v in null)
            raise SingularModelError(
                f"{body_name(node_members)} is not held: it can still move freely ({modes}). "
                "Add a support (fixed face), a tie/coupling to a supported body, or fix the "
                "reference point that drives it."
            )
