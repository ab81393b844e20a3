"""Implant and hardware strength: von Mises peaks per region and body, safety factor to yield.

Peaks come from quadrature-point values (nodal averages smooth them away). The yield of a porous
region is the lattice's homogenised strength (fea.materials.gibson_ashby puts it in yield_MPa), so
solid and lattice regions are judged against their own strength.
"""

from __future__ import annotations

import numpy as np

from ..errors import FeaError
from .thresholds import Thresholds

STRUCTURAL_ROLES = ("implant", "hardware")


def region_peaks(vm, where: str) -> tuple[float, float]:
    """(max, 99th percentile) of von Mises (MPa) from quadrature-point values, or from a
    summary.json stress_peaks entry that already holds them."""
    if isinstance(vm, dict):
        try:
            return float(vm["max_von_mises_qp_MPa"]), float(vm["p99_von_mises_qp_MPa"])
        except KeyError as exc:
            raise FeaError(f"{where}: stress peaks need key {exc.args[0]}") from None
    v = np.asarray(vm, float).ravel()
    if len(v) == 0:
        return float("nan"), float("nan")
    if not np.isfinite(v).all():
        raise FeaError(f"{where}: non-finite von Mises stress")
    # np.percentile's default (linear) matches summary.json's p99 (fea.results)
    return float(v.max()), float(np.percentile(v, 99))


def _sf(yield_MPa, stress) -> float | None:
    if not yield_MPa or not np.isfinite(stress):
        return None
    return float(yield_MPa / stress) if stress > 0 else float("inf")


def strength(regions: dict[str, dict], vm_by_region: dict, th: Thresholds | None = None) -> dict:
    """regions: name -> {"role", "body", "material", "yield_MPa"}; vm_by_region: name -> von Mises
    at quadrature points (array) or a stress_peaks dict. Only implant and hardware regions count.

    Returns {"regions": {name: {...}}, "bodies": {body: worst over its regions}}.
    """
    th = th or Thresholds()
    out_regions, bodies = {}, {}
    for name, info in regions.items():
        role = info.get("role", "other")
        if role not in STRUCTURAL_ROLES:
            continue
        if name not in vm_by_region:
            raise FeaError(f"strength: no von Mises stress for {role} region '{name}' "
                           f"(have: {', '.join(vm_by_region) or 'none'})")
        peak, p99 = region_peaks(vm_by_region[name], f"strength of region '{name}'")
        y = info.get("yield_MPa")
        r = {
            "role": role,
            "body": info.get("body") or name,
            "material": info.get("material", ""),
            "peak_MPa": peak,
            "p99_MPa": p99,
            "yield_MPa": float(y) if y else None,
            "sf_peak": _sf(y, peak),
            "sf_p99": _sf(y, p99),
        }
        r["yield_exceeded"] = r["sf_peak"] is not None and r["sf_peak"] < th.min_safety_factor
        out_regions[name] = r
        b = bodies.setdefault(r["body"], {"role": role, "regions": [], "peak_MPa": -np.inf,
                                          "p99_MPa": -np.inf, "sf_min": None})
        b["regions"].append(name)
        b["peak_MPa"] = max(b["peak_MPa"], peak)
        b["p99_MPa"] = max(b["p99_MPa"], p99)
        if r["sf_peak"] is not None:  # a lattice region can govern although its stress is lower
            b["sf_min"] = r["sf_peak"] if b["sf_min"] is None else min(b["sf_min"], r["sf_peak"])
    return {"regions": out_regions, "bodies": bodies}


def cortex_stress(regions: dict[str, dict], membranes: dict, th: Thresholds | None = None) -> dict:
    """Bone cortex carried by membranes (regions marked "membrane", fea.metrics.case.region_info;
    membranes: summary.json "membranes", whose von Mises is the in-plane membrane stress at the
    faces' points): peak and 99th percentile against the cortex's strength, its material's own
    yield_MPa, else its library bone type's (thresholds.bone_yield: compact bone 133 MPa, Reilly
    & Burstein 1975, transverse compressive and equal to the longitudinal tensile ultimate).

    Judged on the 99th percentile: an embedded screw's node loads single membrane faces (a
    point load on the wall), whose peak is the discretisation's, not the bone's. Returns
    {face set: {body, peak_MPa, p99_MPa, strength_MPa, strength_source, sf_p99, over_strength}}.
    """
    th = th or Thresholds()
    out = {}
    for name, info in regions.items():
        if not info.get("membrane") or info.get("role") != "bone":
            continue
        m = membranes.get(name)
        if m is None:
            raise FeaError(f"cortex stress: membrane '{name}' has no von Mises peaks in the "
                           f"summary (have: {', '.join(membranes) or 'none'})")
        y, src = th.bone_yield(name, info.get("library"), info.get("yield_MPa"),
                               info.get("material") or name)
        peak, p99 = float(m["max_von_mises_MPa"]), float(m["p99_von_mises_MPa"])
        out[name] = {"body": info.get("body") or name, "peak_MPa": peak, "p99_MPa": p99,
                     "strength_MPa": y, "strength_source": src, "sf_p99": _sf(y, p99),
                     "over_strength": p99 >= y}
    return out
