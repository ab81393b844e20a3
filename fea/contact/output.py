"""Interface results: per-point arrays (written as interfaces.vtu by fea.results) and the summary
totals.

Per contact point (a slave quadrature point): pressure (MPa, like Abaqus' nodal CPRESS: the
point values projected onto the linear field through the slave corner nodes and evaluated back
at the points, which removes the point-to-point oscillation quadratic faces show; the raw point
values are kept as pressure_qp), gap (mm, COPEN,
>= 0), penetration (mm, >= 0), slip (mm, vector, CSLIP1/2 in global axes) and slip_magnitude
(mm) measured from the end of the reference step (default: the first step, the preload),
status (0 open, 1 stick, 2 slip; CSTATUS), normal (master outward normal), area (mm^2, the
point's integration weight), interface (index into summary.json "interfaces").

Status and pressure are settled once here (fea.contact.status): a point below its interface's
pressure floor is open, and open points carry zero pressure (raw and smoothed), so every output
downstream reads "in contact" from the status alone.
"""

from __future__ import annotations

import numpy as np

from ..result_data import State
from .setup import point_parameters
from .status import in_contact, pressure_floor, settle


def point_arrays(analysis, state: State) -> dict[str, np.ndarray]:
    pp = analysis.setup.points
    c = state.contact
    frame = pp.frame
    dt = c["g"][:, 1:] - c["g_ref"][:, 1:]
    slip = dt[:, :1] * frame[:, 1] + dt[:, 1:] * frame[:, 2]
    gn = c["g"][:, 0]
    tau = c["tau"][:, :1] * frame[:, 1] + c["tau"][:, 1:] * frame[:, 2]
    status, p_qp = settle(c["status"], c["pressure"], point_floor(analysis))
    closed = in_contact(status)
    return {
        **_local_yield(analysis.model, pp),
        "interface": analysis.setup.interface_of_point.astype(np.int32),
        "points": pp.x,
        "area": pp.w,
        # smoothing spreads pressure onto open neighbours: open points are set back to zero
        "pressure": np.where(closed, smooth_on_corners(pp, p_qp), 0.0),
        "pressure_qp": p_qp,
        "shear_traction": tau,
        "gap": np.maximum(gn, 0.0),
        "penetration": np.maximum(-gn, 0.0),
        "slip": slip,
        "slip_magnitude": np.linalg.norm(slip, axis=1),
        "status": status,
        "normal": frame[:, 0],
    }


def _local_yield(model, pp) -> dict:
    """slave_/master_yield_MPa per point: the strength of the element under it where a CT
    material maps one (fea.imaging.mapping), nan elsewhere; {} when none does."""
    from ..imaging.mapping import cell_yield

    y = cell_yield(model)
    if y is None:
        return {}
    return {"slave_yield_MPa": y[pp.slave_elem], "master_yield_MPa": y[pp.master_elem]}


def point_floor(analysis) -> np.ndarray:
    """Each point's pressure floor (MPa): its interface's starting penalty x the gap tolerance."""
    eps_n = point_parameters(analysis.setup, analysis.cs.penalty_factor)[0]
    return pressure_floor(eps_n, analysis.cs.tol_gap_mm)


def smooth_on_corners(pp, values: np.ndarray) -> np.ndarray:
    """Lumped L2 projection of point values onto the slave corner nodes, evaluated back."""
    corners = pp.slave_conn[:, :pp.slave_L.shape[1]]  # 3 (triangles) or 4 (quads)
    wl = pp.w[:, None] * pp.slave_L
    n = int(corners.max()) + 1 if len(corners) else 0
    num = np.bincount(corners.ravel(), (wl * values[:, None]).ravel(), n)
    den = np.bincount(corners.ravel(), wl.ravel(), n)
    nodal = num / np.where(den > 0, den, 1.0)
    return (pp.slave_L * nodal[corners]).sum(1)


def per_interface(analysis, arrays: dict) -> dict[str, dict]:
    """The in-memory contract for the metrics: interface name -> its points' arrays."""
    out = {}
    for k, info in enumerate(analysis.setup.infos):
        sel = arrays["interface"] == k if arrays else np.zeros(0, bool)
        out[info.name] = {key: (v[sel] if arrays else v) for key, v in
                          (arrays or _empty()).items() if key != "interface"}
    return out


def _empty():
    z = np.zeros(0)
    return {"points": np.zeros((0, 3)), "area": z, "pressure": z, "pressure_qp": z, "gap": z, "penetration": z,
            "slip": np.zeros((0, 3)), "slip_magnitude": z, "status": z.astype(int),
            "normal": np.zeros((0, 3)), "shear_traction": np.zeros((0, 3))}


def interface_summary(analysis, arrays: dict | None, reference_step: str) -> dict:
    model = analysis.model
    role = {s.body_name: s.role for s in model.sections}
    sides = _side_regions(analysis)
    floor = point_floor(analysis) if analysis.setup.points is not None else np.zeros(0)
    out = {}
    for k, info in enumerate(analysis.setup.infos):
        d = {
            "id": k, "law": info.law, "mu": info.mu, "penalty_N_per_mm3": info.penalty,
            "stick_slope_N_per_mm3": info.stick_slope, "slave": info.slave, "master": info.master,
            "slave_body": info.slave_body, "master_body": info.master_body,
            "slave_role": role.get(info.slave_body, "other"),
            "master_role": role.get(info.master_body, "other"),
            "n_points": info.n_points, "unmatched_points": info.unmatched,
            "tied_nodes": info.tied_nodes, "reference_step": reference_step,
            "normal_force_N": 0.0, "tangential_force_N": 0.0, "contact_area_mm2": 0.0,
            "max_slip_mm": 0.0, "mean_slip_mm": 0.0, "max_pressure_MPa": 0.0,
            "max_gap_mm": 0.0, "max_penetration_mm": 0.0,
            # the sections each side's faces belong to (area mm^2): the bone an implant bears on
            "slave_regions": sides.get((k, "slave"), {}),
            "master_regions": sides.get((k, "master"), {}),
        }
        if info.overclosure is not None:
            d["pressure_overclosure"] = info.overclosure.kind
        if arrays is not None and info.n_points > 0:  # (an exact tie has no points)
            sel = arrays["interface"] == k
            w = arrays["area"][sel]
            p = arrays["pressure"][sel]
            n = arrays["normal"][sel]
            tau = arrays["shear_traction"][sel]
            s = arrays["slip_magnitude"][sel]
            closed = in_contact(arrays["status"][sel])
            pq = arrays["pressure_qp"][sel]  # forces from the point values: the smoothing
            # conserves the total only before open points are zeroed
            d.update(
                pressure_floor_MPa=float(floor[sel].max(initial=0.0)),
                normal_force_N=float(np.linalg.norm((w * pq)[:, None] * n, axis=1).sum()),
                normal_force_vector_N=-((w * pq)[:, None] * n).sum(0),
                tangential_force_N=float(np.linalg.norm((w[:, None] * tau).sum(0))),
                contact_area_mm2=float(w[closed].sum()),
                max_slip_mm=float(s.max(initial=0.0)),
                mean_slip_mm=float((w * s).sum() / max(w.sum(), 1e-300)),
                max_pressure_MPa=float(p.max(initial=0.0)),
                max_gap_mm=float(arrays["gap"][sel].max(initial=0.0)),
                max_penetration_mm=float(arrays["penetration"][sel].max(initial=0.0)),
            )
        out[info.name] = d
    return out


def _side_regions(analysis) -> dict:
    """(interface, 'slave'|'master') -> {section cell set: area mm^2} of its points' elements."""
    pp = analysis.setup.points
    if pp is None:
        return {}
    names = [s.cell_set for s in analysis.model.sections]
    region = analysis.model.mesh.region_of_cells(names)
    iface = analysis.setup.interface_of_point
    out = {}
    for side, elem in (("slave", pp.slave_elem), ("master", pp.master_elem)):
        r = region[elem]
        for k in np.unique(iface):
            sel = iface == k
            areas = np.bincount(r[sel] + 1, pp.w[sel], len(names) + 1)[1:]
            out[(int(k), side)] = {names[i]: float(a) for i, a in enumerate(areas) if a > 0}
    return out

