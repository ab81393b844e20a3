"""All metrics of one solved case (variant x load case), from its summary and its arrays.

`case_metrics` is what the case pipeline calls after a solve; `fea.metrics.case_files` rebuilds
the same inputs from a case folder on disk. Everything here works on plain dicts and arrays.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import FeaError
from .ligaments import ligament_flags, ligament_metrics
from .instrumented import SPAN_KEYS, span_metrics
from .segmental import segmental_rom
from .micromotion import FAVOURABLE, FIBROUS, GAP_CLASSES, micromotion, um_label
from .screws import WARNING_PREFIX, screw_flags, screw_metrics
from .stability import relative_rotation, rotation_increment, stability
from .strength import STRUCTURAL_ROLES, cortex_stress, strength
from .bearing import implant_bearing
from .subsidence import HIGH, subsidence
from .thresholds import Thresholds
from .translation import implant_bone_translation

ANATOMICAL = {"bone", "soft_tissue"}  # roles of a natural joint's sides (no micromotion there)
LOAD_POINT = "load"  # DESIGN.md: constructs apply their loads through this reference point
FIXED_POINT = "fixed"  # optional reference point on the fixed vertebra (else it counts as still)


def region_info(summary: dict) -> dict[str, dict]:
    """region name -> {"material", "role", "body", "yield_MPa"} from summary.json.

    Reads summary["materials"][region] (which fea.results writes with role, body and yield_MPa);
    a summary without roles leaves every region 'other', and the strength metrics then list none.
    """
    mats = summary.get("materials") or {}
    regions = summary.get("regions") or list(mats)
    out = {}
    for r in regions:
        m = mats.get(r, {})
        out[r] = {"material": m.get("material", ""), "role": m.get("role", "other"),
                  "body": m.get("body") or r, "yield_MPa": m.get("yield_MPa"),
                  "library": m.get("library")}
    # a bone's cortex carried by membranes (summary "membranes", fea.membranes) is a region of
    # its body too, after the sections (result.vtu numbers the sections only)
    for f, m in (summary.get("membranes") or {}).items():
        if f not in out:
            out[f] = {"material": m.get("material", ""), "role": m.get("role", "other"),
                      "body": m.get("body") or f, "yield_MPa": m.get("yield_MPa"),
                      "library": m.get("library"), "membrane": True}
    return out


def _step_index(steps: list[dict], name: str, where: str) -> int:
    names = [s.get("step") for s in steps]
    if name not in names:
        raise FeaError(f"{where}: reference step '{name}' is not a step of this case "
                       f"(steps: {', '.join(map(str, names))})")
    return names.index(name)


def reference_step(summary: dict, interfaces_meta: dict, explicit: str | None = None
                   ) -> str | None:
    """The state motions are measured from: the end of the preload.

    Order: an explicit name; the interface solver's reference step; a step whose name says
    'preload'; otherwise none (the unloaded state). With one step there is nothing to subtract.
    """
    steps = summary.get("steps") or []
    if explicit:
        return explicit
    for meta in interfaces_meta.values():
        if meta.get("reference_step"):
            return meta["reference_step"]
    if len(steps) > 1:
        for s in steps[:-1]:
            if "preload" in str(s.get("step", "")).lower():
                return s["step"]
    return None


def _rot_rad(step: dict, point: str) -> np.ndarray | None:
    rp = (step.get("ref_points") or {}).get(point)
    return None if rp is None else np.deg2rad(np.asarray(rp["rotation_deg"], float))


def _applied_moment(step: dict) -> np.ndarray:
    eq = step.get("equilibrium") or {}
    return np.asarray(eq.get("applied_moment_Nmm", (0.0, 0.0, 0.0)), float)


def stability_of(summary: dict, ref_idx: int | None, load_point: str, fixed_point: str | None,
                 rom_reference_deg, rom_reference_name: str, where: str) -> dict:
    steps = summary.get("steps") or []
    if not steps:
        raise FeaError(f"{where}: summary has no 'steps'")
    final = steps[-1]
    if _rot_rad(final, load_point) is None:
        # a plain solid-mechanics case (no construct) has no loaded vertebra: no ROM, not an error
        have = ", ".join(final.get("ref_points") or {}) or "none"
        out = stability(np.zeros(3), np.zeros(3))
        out.update(rotation_x_deg=None, rotation_y_deg=None, rotation_z_deg=None,
                   rotation_magnitude_deg=None, moment_Nm=None, load_point=None, fixed_point=None,
                   note=f"no reference point '{load_point}' (have: {have}): no ROM")
        return out
    fixed = fixed_point if fixed_point is not None else (
        FIXED_POINT if FIXED_POINT in (final.get("ref_points") or {}) else None)

    def rel(step):
        rf = _rot_rad(step, fixed) if fixed else None
        return relative_rotation(_rot_rad(step, load_point), rf)

    ref = steps[ref_idx] if ref_idx is not None else None
    theta = rotation_increment(rel(final), rel(ref) if ref is not None else None)
    # The moment that produced theta: applied moments (about the origin) at the end minus at the
    # reference state. A constant preload cancels, so this is the moment of the load case.
    if "applied_moment_Nmm" in summary:
        M = np.asarray(summary["applied_moment_Nmm"], float)
    else:
        M = _applied_moment(final) - (_applied_moment(ref) if ref is not None else 0.0)
    out = stability(theta, M, rom_reference_deg, rom_reference_name)
    out["load_point"] = load_point
    out["fixed_point"] = fixed
    return out


def _bone_side(meta: dict) -> str | None:
    """'slave' or 'master': the bone side of an implant-bone interface (None otherwise)."""
    sr, mr = meta.get("slave_role"), meta.get("master_role")
    if sr in STRUCTURAL_ROLES and mr == "bone":
        return "master"
    if mr in STRUCTURAL_ROLES and sr == "bone":
        return "slave"
    return None


def interface_sides(meta: dict) -> tuple[str | None, str | None, str | None]:
    """(implant body, bone body, bone face set) when the interface joins an implant and a bone."""
    bone = _bone_side(meta)
    if bone is None:
        return None, None, None
    implant = "slave" if bone == "master" else "master"
    return meta.get(f"{implant}_body"), meta.get(f"{bone}_body"), meta.get(bone)


def _bearing_region(meta: dict, regions: dict) -> str | None:
    """The bone section that holds most of the bone side's contact points (files without the
    side's sections fall back on the bone body when it has one section)."""
    bone = _bone_side(meta)
    touched = {r: a for r, a in (meta.get(f"{bone}_regions") or {}).items() if r in regions}
    if touched:
        return _membrane_over(max(touched, key=touched.get), regions)
    body = meta.get(f"{bone}_body")
    body_regions = [r for r, info in regions.items() if info["body"] == body
                    and not info.get("membrane")]
    return _membrane_over(body_regions[0], regions) if len(body_regions) == 1 else None


def _membrane_over(region: str, regions: dict) -> str:
    """The cortex an implant bears on when its body carries it as a membrane: contact points
    lie on the solid's boundary faces, which the membrane of that body covers (the anatomy
    builders put `<bone>_cortical` on every boundary face), so a point counted in the
    cancellous solid bears on that membrane over it. Else the region itself."""
    from .thresholds import LIBRARY_BONE_REGION

    info = regions[region]
    if info.get("membrane") or LIBRARY_BONE_REGION.get(info.get("library") or "") != "cancellous":
        return region
    shells = [r for r, i in regions.items() if i.get("membrane") and i["body"] == info["body"]
              and LIBRARY_BONE_REGION.get(i.get("library") or "") in ("cortical", "endplate")]
    return shells[0] if len(shells) == 1 else region


def bone_yield_for(name: str, meta: dict, regions: dict, th: Thresholds) -> tuple[float, str]:
    """The compressive strength of the bone the implant bears on: the section under the
    interface, by its material (own yield_MPa, else its library bone type), never by what its
    name says. A shell over a cancellous core of the same body (a vertebra's endplate) is judged
    as thresholds.shell_bearing says: the bony endplate's strength (default), the core's, or the
    shell material's own."""
    region = _bearing_region(meta, regions)
    if region is None:
        return th.bone_yield(name)
    info = regions[region]
    core = _core_under_shell(region, info, regions)
    if core is not None and th.shell_bearing != "shell" \
            and name not in th.interface_bone_yield_MPa:
        if th.shell_bearing == "endplate":
            return float(th.bone_yield_MPa["endplate"]), (
                f"bony endplate: the shell '{region}' over the cancellous core '{core}' "
                f"({th.source_of('endplate')})")
        c = regions[core]
        y, src = th.bone_yield(name, c.get("library"), c.get("yield_MPa"),
                               c.get("material") or core)
        return y, (f"cancellous core '{core}' under the shell '{region}' the implant bears on "
                   f"({src})")
    return th.bone_yield(name, info.get("library"), info.get("yield_MPa"),
                         info.get("material") or region)


def core_yield_for(name: str, meta: dict, regions: dict, th: Thresholds) -> float | None:
    """The yield of the cancellous core under the shell the implant bears on (None when the
    bone side is not a shell over a core): the contact patch's mean pressure is compared with
    it (subsidence 'mean_contact_to_core')."""
    region = _bearing_region(meta, regions)
    core = None if region is None else _core_under_shell(region, regions[region], regions)
    if core is None:
        return None
    c = regions[core]
    return th.bone_yield(name, c.get("library"), c.get("yield_MPa"), c.get("material") or core)[0]


def _core_under_shell(region: str, info: dict, regions: dict) -> str | None:
    """The cancellous section of the same bone body when `region` is its shell (a section of
    library cortical bone or bony endplate; thresholds.shell_bearing), else None."""
    from .thresholds import LIBRARY_BONE_REGION

    if LIBRARY_BONE_REGION.get(info.get("library") or "") not in ("cortical", "endplate"):
        return None
    cores = [r for r, i in regions.items() if r != region and i.get("body") == info.get("body")
             and i.get("role") == "bone"
             and LIBRARY_BONE_REGION.get(i.get("library") or "") == "cancellous"]
    return cores[0] if len(cores) == 1 else None


def _require(arrs: dict, key: str, name: str):
    if key not in arrs:
        raise FeaError(f"interface '{name}': array '{key}' missing (have: {', '.join(arrs)})")
    return arrs[key]


def interface_metrics(interfaces: dict, meta_all: dict, regions: dict, th: Thresholds
                      ) -> tuple[dict, dict]:
    micro, subs = {}, {}
    interfaces = interfaces or {}
    for name in {**meta_all, **interfaces}:
        meta = meta_all.get(name, {})
        implant, bone, _ = interface_sides(meta)
        keys = {k: meta.get(k) for k in ("law", "mu", "slave_body", "master_body")}
        joint = implant is None and bool({meta.get("slave_role"), meta.get("master_role")}
                                         & ANATOMICAL)
        arrs = interfaces.get(name)
        if meta.get("law") == "tied":
            if meta.get("penalty_N_per_mm3") is not None and arrs is not None \
                    and len(arrs.get("area", ())) and not joint:
                # CalculiX's TIED law: bonded through a penalty, whose elastic slip is reported
                micro[name] = {**_penalty_tie_micromotion(arrs, name, th), **keys}
            elif implant:
                # bonded (screws; every implant face in the fused state): no micromotion by
                # construction, listed so that the table says so rather than leaving a hole
                micro[name] = {**_bonded_micromotion(th), **keys}
            continue
        if joint:
            continue  # natural joints (facet cartilage on bone): sliding there is motion
        if arrs is None:
            continue
        area = _require(arrs, "area", name)
        slip = arrs.get("slip_magnitude")
        if slip is None:
            slip = np.linalg.norm(np.asarray(_require(arrs, "slip", name), float), axis=1)
        mm = micromotion(slip, area, arrs.get("gap"), _require(arrs, "status", name), th)
        mm.update({k: meta.get(k) for k in ("law", "mu", "slave_body", "master_body")})
        micro[name] = mm
        if implant is None:
            continue  # subsidence is about implants sinking into bone
        y, src = bone_yield_for(name, meta, regions, th)
        local = arrs.get(f"{_bone_side(meta)}_yield_MPa")  # CT strength law (issue 21)
        if local is not None and len(local) and np.all(np.isfinite(local)):
            y, src = np.asarray(local, float), "CT density (strength law, per point)"
        s = subsidence(_require(arrs, "pressure", name), area, y, arrs.get("penetration"), th,
                       where=f"interface '{name}'", status=_require(arrs, "status", name),
                       core_yield_MPa=core_yield_for(name, meta, regions, th))
        s.update(implant=implant, bone=bone, bone_yield_source=src)
        subs[name] = s
    return micro, subs


def _segmental(nodal: dict, body_role: dict, st: dict) -> dict:
    """ROM between every pair of the bone bodies present (fea.metrics.segmental; "adjacent" marks
    the levels); {} with < 2 bones."""
    bones = [b for b, r in body_role.items() if r == "bone"]
    if len(bones) < 2:
        return {}
    M = None
    if st.get("moment_axis") is not None:
        M = np.asarray(st["moment_axis"], float) * st["moment_Nm"] * 1000.0
    return segmental_rom(nodal["points"], nodal["displacement"], nodal["body"], bones,
                         nodal.get("reference_displacement"), M, all_pairs=True)


def _bonded_micromotion(th: Thresholds) -> dict:
    """The micromotion entry of a tied interface: zero slip, all area below every threshold."""
    m = micromotion(np.zeros(1), np.ones(1), th=th)
    m.update(n_points=0, area_mm2=float("nan"), **{"class": "bonded (tied)"})
    return m


def _penalty_tie_micromotion(arrs: dict, name: str, th: Thresholds) -> dict:
    """A TIED penalty interface (PRESSURE-OVERCLOSURE=TIED): bonded, yet its faces move apart by
    the penalty's compliance, shear stress / stick slope tangentially and p / K in tension. That
    elastic slip is reported over every point (all are bonded: none is open or sliding), with the
    largest tensile opening; it is the penalty's, not frictional sliding, so its class is
    'bonded (tied penalty)' and the ingrowth classes and flags leave it out, as any tie."""
    slip = arrs.get("slip_magnitude")
    if slip is None:
        slip = np.linalg.norm(np.asarray(_require(arrs, "slip", name), float), axis=1)
    m = micromotion(slip, _require(arrs, "area", name), th=th)
    opening = np.asarray(arrs.get("gap", np.zeros(1)), float)
    m.update({"class": "bonded (tied penalty)",
              "slip_kind": "elastic slip of the tie's penalty (shear stress / stick slope), "
                           "not sliding",
              "max_opening_um": float(opening.max(initial=0.0)) * 1000.0})
    return m


def _flags(out: dict, th: Thresholds) -> list[str]:
    flags = []
    if not out["converged"]:
        flags.append("not converged")
    st = out["stability"]
    if st.get("rom_deg") is not None and st["rom_deg"] <= 0:
        flags.append(f"rotation against the applied moment (ROM {st['rom_deg']:.3g} deg)")
    gap_key = f"gap_over_{um_label(th.bone_apposition_um)}_pct"
    for name, m in out["micromotion"].items():
        if m["class"] in GAP_CLASSES:
            flags.append(f"no contact at '{name}': every point open, largest gap "
                         f"{m.get('max_gap_um') or 0:.3g} um ({m['class']}, "
                         f"{th.bone_apposition_um:g} um)")
            continue
        if (m.get(gap_key) or 0) > 0:
            flags.append(f"gap at '{name}': {m[gap_key]:.1f} % of the face open wider than "
                         f"{th.bone_apposition_um:g} um (not bridged by bone)")
        if m["class"] == FIBROUS:
            flags.append(f"micromotion at '{name}': {m['class_statistic']} "
                         f"{m[m['class_statistic']]:.3g} um >= {th.fibrous_um:g} um, fibrous "
                         "tissue likely")
        elif m["class"] != FAVOURABLE and m.get("law") != "tied":
            flags.append(f"micromotion at '{name}': {m['class_statistic']} "
                         f"{m[m['class_statistic']]:.3g} um above {th.ingrowth_um:g} um")
    for name, s in out["subsidence"].items():
        if s["risk"] == HIGH:
            flags.append(f"subsidence at '{name}': {s['area_over_yield_pct']:.1f} % of the "
                         f"footprint over bone yield {s['bone_yield_MPa']:g} MPa")
        elif s["risk"] == "moderate":
            flags.append(f"subsidence at '{name}': peak {s['peak_MPa']:.3g} MPa over bone yield "
                         f"{s['bone_yield_MPa']:g} MPa on a small area")
        if (s.get("mean_contact_to_core") or 0) >= 1:
            flags.append(f"contact patch at '{name}': mean pressure {s['mean_contact_MPa']:.3g} "
                         f"MPa over {s['contact_area_mm2']:.3g} mm2 exceeds the yield of the "
                         f"cancellous bone beneath ({s['core_yield_MPa']:g} MPa)")
    for name, b in out.get("bearing", {}).items():
        if b["risk"] == HIGH:
            flags.append(f"bearing of {name}: mean pressure {b['mean_MPa']:.3g} MPa over the "
                         f"whole footprint's {b['contact_area_mm2']:.3g} mm2 of contact exceeds "
                         f"the yield of the cancellous bone beneath ({b['core_yield_MPa']:g} MPa)")
    for name, r in out["strength"]["regions"].items():
        if r["yield_exceeded"]:
            flags.append(f"{r['role']} region '{name}': von Mises {r['peak_MPa']:.0f} MPa over "
                         f"yield {r['yield_MPa']:g} MPa (safety factor {r['sf_peak']:.2f})")
        elif r["yield_MPa"] is None:
            flags.append(f"{r['role']} region '{name}': material has no yield_MPa, no safety "
                         "factor")
    for name, c in out["strength"].get("cortex", {}).items():
        if c["over_strength"]:
            flags.append(f"bone cortex '{name}': membrane von Mises p99 {c['p99_MPa']:.0f} MPa "
                         f"over its strength {c['strength_MPa']:g} MPa ({c['strength_source']})")
    return flags


def clean(obj):
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None (JSON has neither)."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return clean(obj.tolist())
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


def case_metrics(summary: dict, interfaces: dict | None, vm_qp_by_region: dict,
                 thresholds: Thresholds | None = None, *, nodal: dict | None = None,
                 rom_reference_deg: float | None = None, rom_reference_name: str = "",
                 load_point: str = LOAD_POINT, fixed_point: str | None = None,
                 reference_step_name: str | None = None) -> dict:
    """Metrics of one case.

    summary: the case's summary.json dict (steps, regions, materials with role/body/yield_MPa,
      interfaces meta, converged).
    interfaces: name -> {"area", "pressure", "gap", "slip" | "slip_magnitude", "status",
      "penetration", ...} arrays per contact point (mm, MPa); None or {} for a case without any.
    vm_qp_by_region: region -> von Mises at quadrature points (MPa, any shape), or the
      summary.json stress_peaks entry of that region.
    nodal: optional {"points" (p,3), "displacement" (p,3), "body" (p,) and optionally
      "reference_displacement" (p,3)} for implant translation relative to bone.
    rom_reference_deg: intact ROM for this load case (the study supplies it: intact variant or
      published value, named by rom_reference_name); else Thresholds.intact_rom_deg by load case.

    Returns a JSON-safe dict: converged, reference_step, stability, implant_translation,
    segmental {level: ...} (ROM per level, fea.metrics.segmental; needs nodal), spans
    {"<upper>-<lower>": ...} (the same over two bones that are not adjacent), instrumented
    (the ROM over summary["instrumented_span"], fea.metrics.instrumented),
    micromotion {interface: ...}, subsidence {interface: ...}, bearing {"<implant> on <bone>":
    ...} (fea.metrics.bearing: the implant's faces on that bone together), strength {regions, bodies,
    cortex (bone cortex membranes: fea.metrics.strength.cortex_stress)}, ligaments
    {ligament: ...} (fea.metrics.ligaments), screws {screw: clearances} (fea.metrics.screws),
    flags, thresholds.
    """
    th = thresholds or Thresholds()
    where = f"case '{summary.get('model', '?')}' / '{summary.get('loadcase', '?')}'"
    meta = summary.get("interfaces") or {}
    regions = region_info(summary)
    ref_name = reference_step(summary, meta, reference_step_name)
    steps = summary.get("steps") or []
    ref_idx = _step_index(steps, ref_name, where) if ref_name else None
    if ref_idx is not None and ref_idx == len(steps) - 1:
        ref_idx, ref_name = None, None  # the last step is the reference: nothing was applied after
    if rom_reference_deg is None and summary.get("loadcase") in th.intact_rom_deg:
        rom_reference_deg = th.intact_rom_deg[summary["loadcase"]]
        rom_reference_name = rom_reference_name or th.intact_rom_source or "published intact ROM"
    out = {
        "converged": bool(summary.get("converged", False)),
        "reference_step": ref_name,
        "stability": stability_of(summary, ref_idx, load_point, fixed_point, rom_reference_deg,
                                  rom_reference_name, where),
        "implant_translation": {},
        "segmental": {},
        "spans": {},
        "instrumented": {},
    }
    if nodal is not None:
        body_role = {info["body"]: info["role"] for info in regions.values()}
        out["implant_translation"] = implant_bone_translation(
            nodal["points"], nodal["displacement"], nodal["body"], body_role,
            nodal.get("reference_displacement"))
        pairs = _segmental(nodal, body_role, out["stability"])
        out["segmental"] = {k: v for k, v in pairs.items() if v["adjacent"]}
        out["spans"] = {k: {key: v[key] for key in SPAN_KEYS}
                        for k, v in pairs.items() if not v["adjacent"]}
        out["instrumented"] = span_metrics(summary.get("instrumented_span"), pairs)
    out["micromotion"], out["subsidence"] = interface_metrics(interfaces, meta, regions, th)
    out["bearing"] = implant_bearing(out["subsidence"], th)
    out["strength"] = strength(regions, vm_qp_by_region, th)
    out["strength"]["cortex"] = cortex_stress(regions, summary.get("membranes") or {}, th)
    out["ligaments"] = ligament_metrics(summary)
    out["screws"] = screw_metrics(summary, th)
    # the screw-safety warnings of summary.json are the breach flags of screw_flags
    out["flags"] = (_flags(out, th) + ligament_flags(out["ligaments"])
                    + screw_flags(out["screws"], th)
                    + [f"solver: {w}" for w in summary.get("warnings") or []
                       if not w.startswith(WARNING_PREFIX)])
    out["thresholds"] = th.as_dict()
    return clean(out)
