"""From a model with interfaces to: a split mesh, tie rows, and the paired contact points.

- contact interfaces (frictionless, friction): conforming nodes are split (split.py) and the
  slave quadrature points paired with the master surface (pairing.py);
- tied interfaces: where the two sides share nodes they are bonded already; otherwise every slave
  node follows the master surface point it projects onto (u_s = sum N_m u_m), eliminated exactly
  through the constraint transformation like a coupling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..constraints import LinearDependency
from ..errors import ConfigError
from ..model import Model
from .pairing import PairedPoints, _project, concat, pair_surfaces
from .sides import Sides, body_of_cells, resolve_sides
from .split import split_contact_nodes


@dataclass
class InterfaceInfo:
    name: str
    law: str
    mu: float
    slave: str
    master: str
    slave_body: str
    master_body: str
    n_points: int = 0
    unmatched: int = 0
    tied_nodes: int = 0
    penalty: float | None = None  # N/mm^3 (Interface.penalty): a penalty law, else hard contact
    stick_slope: float | None = None
    overclosure: object | None = None  # Interface.overclosure


@dataclass
class ContactSetup:
    model: Model  # with split nodes
    ties: list[LinearDependency]
    points: PairedPoints | None  # all contact points of all contact interfaces, concatenated
    interface_of_point: np.ndarray
    infos: list[InterfaceInfo]
    origin: np.ndarray  # original node index of each node of the split mesh
    links: list = field(default_factory=list)  # (slave nodes, master nodes) for the rigid check


def prepare(model: Model) -> ContactSetup:
    sides = [(it, resolve_sides(model, it)) for it in model.interfaces]
    contacts = [(it.name, sd) for it, sd in sides if it.is_contact()]
    split = split_contact_nodes(model, contacts)
    m = split.model
    infos, parts, iface_id, links = [], [], [], []
    ties = list(split.ties)
    # a slave node on the border of two tied faces on one master (an implant's porous and solid
    # faces on a bone plane, paired apart) is tied once, by the first
    tied_on: dict[str, np.ndarray] = {}
    for k, (it, sd) in enumerate(sides):
        info = InterfaceInfo(it.name, it.law, it.mu if it.law == "friction" else 0.0, it.slave,
                             it.master, sd.slave_body, sd.master_body, penalty=it.penalty,
                             stick_slope=it.stick_slope, overclosure=it.overclosure)
        infos.append(info)
        if not it.is_contact():
            dep, n_unmatched = _tie_rows(m, sd, it.name, split.origin,
                                         tied_on.get(it.master, np.zeros(0, int)))
            if dep is not None:
                tied_on[it.master] = np.concatenate([tied_on.get(it.master, np.zeros(0, int)),
                                                     dep.dep[::3] // 3])
                ties.append(dep)
                info.tied_nodes = len(dep.dep) // 3
            info.unmatched = n_unmatched
            continue
        pp = pair_surfaces(m.mesh, sd.slave, sd.master)
        if it.adjust > 0:
            pp.g0 = np.where(np.abs(pp.g0) <= it.adjust, 0.0, pp.g0)
        info.n_points, info.unmatched = len(pp.w), len(pp.unmatched)
        if len(pp.w) == 0:
            raise ConfigError(f"{model.source}: interface '{it.name}': no slave point of "
                              f"'{it.slave}' projects onto '{it.master}'; do the surfaces touch?")
        _check_touching(model, it, pp)
        parts.append(pp)
        iface_id.append(np.full(len(pp.w), k))
        links.append((pp.slave_conn[:, 0], pp.master_conn[:, 0]))
    points = concat(parts) if parts else None
    return ContactSetup(m, ties, points,
                        np.concatenate(iface_id) if iface_id else np.zeros(0, int), infos,
                        split.origin, links)


def _check_touching(model: Model, it, pp: PairedPoints) -> None:
    """A contact interface whose surfaces are apart everywhere (by more than a quarter of the
    element size) is almost always a wrong surface name: it carries nothing, and a body held only
    by it floats (the solver then crawls through cut-backs instead of saying so)."""
    near = pp.g0 <= 0.25 * pp.h + 1e-9
    if near.any():
        return
    gap = float(pp.g0.min())
    raise ConfigError(
        f"{model.source}: interface '{it.name}': the surfaces '{it.slave}' and '{it.master}' do "
        f"not touch: the smallest initial gap is {gap:.3g} mm (faces about "
        f"{float(np.median(pp.h)):.2g} mm across), so the interface cannot carry load. Check the "
        f"surface names, move the bodies into contact, or give adjust_mm >= {gap:.3g} to close "
        "the gap")


def _tie_rows(model: Model, sd: Sides, name: str, origin: np.ndarray, done=()):
    mesh = model.mesh
    groups = mesh.face_groups(sd.master)
    if len(groups) > 1:
        raise ConfigError(f"{model.source}: tied interface '{name}': the master surface mixes "
                          f"{', '.join(ft.name for ft, _ in groups)} faces; ties project onto "
                          "faces of one shape: split it into one interface per shape")
    ftm = groups[0][0]
    s_nodes = np.unique(mesh.face_connectivity(sd.slave))
    s_nodes = s_nodes[~np.isin(s_nodes, done)]
    m_conn = mesh.face_connectivity(sd.master)
    # nodes the two sides shared in the original mesh are bonded already (the split glues the
    # copies of bodies that no contact separates)
    s_nodes = s_nodes[~np.isin(origin[s_nodes], origin[m_conn])]
    if len(s_nodes) == 0:
        return None, 0
    from scipy.spatial import cKDTree

    mx = mesh.nodes[m_conn]
    tree = cKDTree(mx[:, :3].mean(axis=1))
    k = min(8, len(m_conn))
    _, cand = tree.query(mesh.nodes[s_nodes], k=k)
    cand = cand.reshape(len(s_nodes), k)
    best_d = np.full(len(s_nodes), np.inf)
    best_face = np.zeros(len(s_nodes), int)
    best_N = np.zeros((len(s_nodes), m_conn.shape[1]))
    far = ftm.n_corners - 1  # the diagonal's far corner: a quad's area, half a triangle's
    h = np.sqrt(np.linalg.norm(np.cross(mx[:, 1] - mx[:, 0], mx[:, far] - mx[:, 0]),
                               axis=1).mean() / (2 if far == 2 else 1))
    for j in range(k):
        c = cand[:, j]
        _, x, _, N, outside = _project(mx[c], mesh.nodes[s_nodes], ftm)
        d = np.linalg.norm(mesh.nodes[s_nodes] - x, axis=1) + 1e3 * outside * h
        better = d < best_d
        best_d[better], best_face[better], best_N[better] = d[better], c[better], N[better]
    ok = best_d <= 1e-2 * h + 1e-9  # a tie joins touching surfaces
    if not ok.any():
        raise ConfigError(f"{model.source}: tied interface '{name}': the slave surface does not "
                          f"touch the master surface (closest distance {best_d.min():.3g} mm)")
    s_nodes, best_face, best_N = s_nodes[ok], best_face[ok], best_N[ok]
    nf = m_conn.shape[1]
    dep = (3 * s_nodes[:, None] + np.arange(3)).ravel()
    rows = np.repeat(np.arange(len(dep)), nf)
    cols = (3 * m_conn[best_face][:, None, :] + np.arange(3)[None, :, None]).ravel()
    vals = np.repeat(best_N[:, None, :], 3, axis=1).ravel()
    return LinearDependency(dep, rows, cols, vals, f"tied interface '{name}'"), int((~ok).sum())


def point_parameters(setup: ContactSetup, penalty_factor: float):
    """Penalties eps = factor * E / h and per-point flags.

    One penalty per interface (E of its softest element, h its mean slave face size): a penalty
    varying from point to point would bend a uniform pressure into a non-uniform one.
    """
    m = setup.model
    from ..model import material_ids

    mat_id, Ds = material_ids(m)
    # E of each D: its softest axial modulus 1 / max S_ii (isotropic: E); CT-mapped bone has
    # one D per element modulus, so the material names do not index Ds
    E_of_mat = 1.0 / np.linalg.inv(Ds)[:, [0, 1, 2], [0, 1, 2]].max(axis=1)
    pp = setup.points
    E = np.minimum(E_of_mat[mat_id[pp.slave_elem]], E_of_mat[mat_id[pp.master_elem]])
    iface = setup.interface_of_point
    n_if = len(setup.infos)
    E_min = np.full(n_if, np.inf)
    np.minimum.at(E_min, iface, E)
    h_mean = np.bincount(iface, pp.h, n_if) / np.maximum(np.bincount(iface, minlength=n_if), 1)
    eps = (penalty_factor * E_min / np.where(h_mean > 0, h_mean, 1.0))[iface]
    laws = np.array([setup.infos[i].law for i in setup.interface_of_point])
    mu = np.array([setup.infos[i].mu for i in setup.interface_of_point])
    eps_t = eps.copy()
    # a penalty law's slopes are the law itself, not a numerical parameter
    stick = np.array([i.stick_slope if i.stick_slope is not None else np.nan
                      for i in setup.infos])[iface]
    # a nonlinear law's eps only scales the regularisation of its open points
    slope = np.array([i.overclosure.reference_slope() if i.overclosure is not None else
                      i.penalty if i.penalty is not None else np.nan for i in setup.infos])[iface]
    eps = np.where(np.isfinite(slope), slope, eps)
    eps_t = np.where(np.isfinite(stick), stick, np.where(np.isfinite(slope), eps, eps_t))
    return eps, eps_t, mu, (laws == "friction") | (laws == "tied")  # tied: sticks, unbounded


def penalty_points(setup: ContactSetup) -> np.ndarray:
    """(p,) True at the points of interfaces with a penalty law (Interface.penalty or
    .overclosure): their law is the answer, no multipliers there."""
    pen = np.array([i.penalty is not None or i.overclosure is not None for i in setup.infos],
                   bool)
    return pen[setup.interface_of_point] if len(pen) else np.zeros(0, bool)
