"""The bearing of an implant on a bone as a whole: all contact interfaces of one implant on one
bone together (an AVB's solid rim and porous core on C3, say), loaded as an indentation test
loads the bone: the normal force over the contact area, against the compressive yield of the
cancellous bone under the shell the implant bears on (the comparator of each face's
`mean_contact_to_core`, fea.metrics.subsidence).

Beside the per-face peak because the peak at the edge of a stiff implant is a concentration that
follows the mesh and hardly changes with the size of the footprint, while the mean bearing
pressure of the whole footprint goes with one over its contact area: it is what an undersized
footprint changes (docs/validation.md, "Subsidence: the footprint as a whole").
"""

from __future__ import annotations

from .subsidence import HIGH, LOW, MODERATE
from .thresholds import Thresholds

# how a verdict names an implant's bearing on a bone, beside the interfaces it names plainly
WHOLE_FOOTPRINT = " (whole footprint)"


def is_bearing(where: str | None) -> bool:
    """A verdict's `where` names an implant's whole footprint on a bone, not one interface."""
    return bool(where) and where.endswith(WHOLE_FOOTPRINT)


def classify_bearing(mean_to_core: float | None, th: Thresholds | None = None) -> str:
    """low: the footprint's mean pressure is below the fraction of the core's yield at which
    cancellous bone has failed in cycles (th.bearing_moderate_fraction); moderate: between that
    and the yield; high: the bone under the whole contact patch is over yield on average (an
    indentation failure)."""
    if mean_to_core is None:
        return "n/a"
    frac = (th or Thresholds()).bearing_moderate_fraction
    return LOW if mean_to_core < frac else MODERATE if mean_to_core < 1.0 else HIGH


def implant_bearing(subsidence: dict, th: Thresholds | None = None) -> dict:
    """{"<implant> on <bone>": {faces, implant, bone, normal_force_N, contact_area_mm2,
    footprint_mm2, contact_area_pct, mean_MPa, core_yield_MPa, mean_to_core, risk}} from the
    per-interface subsidence entries (each with implant, bone, contact_area_mm2, footprint_mm2,
    mean_contact_MPa and core_yield_MPa). An implant whose faces have no cancellous core under
    them (not a shell over a core, or CT-mapped strength) has no ratio: risk 'n/a'."""
    groups: dict[tuple, list[str]] = {}
    for name, s in subsidence.items():
        if s.get("implant") and s.get("bone"):
            groups.setdefault((s["implant"], s["bone"]), []).append(name)
    out = {}
    for (implant, bone), names in sorted(groups.items()):
        faces = [subsidence[n] for n in sorted(names)]
        area = sum(float(s["contact_area_mm2"]) for s in faces)
        # each face's mean contact pressure is its normal force over its contact area
        force = sum(float(s["mean_contact_MPa"]) * float(s["contact_area_mm2"]) for s in faces)
        footprint = sum(float(s["footprint_mm2"]) for s in faces)
        cores = [float(s["core_yield_MPa"]) for s in faces if s.get("core_yield_MPa")]
        core = min(cores) if len(cores) == len(faces) else None
        mean = force / area if area > 0 else 0.0
        ratio = mean / core if core else None
        out[f"{implant} on {bone}"] = {
            "faces": sorted(names), "implant": implant, "bone": bone,
            "normal_force_N": force, "contact_area_mm2": area, "footprint_mm2": footprint,
            "contact_area_pct": 100.0 * area / footprint if footprint > 0 else float("nan"),
            "mean_MPa": mean, "core_yield_MPa": core, "mean_to_core": ratio,
            "risk": classify_bearing(ratio, th)}
    return out
