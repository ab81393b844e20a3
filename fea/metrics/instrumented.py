"""ROM over a construct's instrumented span, and its reduction against the intact model over the
same span: what the stability verdict judges a construct by.

A construct fixes some levels and leaves the others free: the C2 vertebral-body replacement fixes
C1 to C3, the atlantoaxial cages C1 to C2, their occipitocervical versions from C0 down. The
whole-model ROM (occiput against C3) mixes the fixed levels with the free C0-C1 joint, so a
construct that stops its levels still turns nearly as much as the intact column and would grade
"fail". A model names its span in `[model] instrumented_span = "C1-C3"` (upper-lower bone
bodies); every case reports the rotation of the span's upper bone relative to its lower bone
(fea.metrics.segmental: an adjacent level or a span of levels, read the same way), and the study
table divides it by the reference (intact) variant's rotation over the same two bones in the
same load case.
"""

from __future__ import annotations

import numpy as np

from ..errors import FeaError

SPAN_KEYS = ("rom_deg", "coupled_rotation_deg", "rotation_magnitude_deg")


def parse_span(span: str, where: str) -> tuple[str, str]:
    """'C1-C3' -> ('C1', 'C3'); a clear error otherwise."""
    parts = [p.strip() for p in str(span).split("-")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise FeaError(f"{where}: '{span}' is not a span of two bones: write "
                       "'<upper>-<lower>' with two bone bodies, e.g. 'C1-C3'")
    return parts[0], parts[1]


def check_span(span: str, bone_z: dict[str, float], where: str) -> tuple[str, str]:
    """The span's bones exist among the model's bone bodies (name -> centroid z, +z cranial) and
    the first lies above the second."""
    upper, lower = parse_span(span, where)
    for b in (upper, lower):
        if b not in bone_z:
            from ..config import suggest

            hint = suggest(b, sorted(bone_z))
            did = f" Did you mean '{hint}'?" if hint else ""
            raise FeaError(f"{where}: '{b}' of span '{span}' is not a bone body of the model "
                           f"(bones: {', '.join(sorted(bone_z))}).{did}")
    if bone_z[upper] <= bone_z[lower]:
        raise FeaError(f"{where}: in span '{span}' {upper} lies below {lower}; write "
                       f"'{lower}-{upper}' (upper bone first)")
    return upper, lower


def bone_centroid_z(model) -> dict[str, float]:
    """Bone body name -> mean z (mm) of its nodes."""
    from .segmental import body_points

    idx, names, bones = body_points(model)
    z = model.mesh.nodes[idx, 2]
    return {b: float(z[names == b].mean()) for b in bones}


def span_metrics(span: str | None, pairs: dict) -> dict:
    """{"span", "rom_deg", ...} of the span from fea.metrics.segmental's all-pairs dict; {} when
    the model names no span, None values when its bones were not measured."""
    if not span:
        return {}
    lv = pairs.get(span) or {}
    return {"span": span, **{k: lv.get(k) for k in SPAN_KEYS}}


def row_span_rom(row: dict, span: str) -> float | None:
    """A study-table row's ROM over `span`: its level column or its span column."""
    for stem in ("segmental_rom_deg@", "span_rom_deg@"):
        v = row.get(stem + span)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v):
            return float(v)
    return None


def apply_span_reference(rows: list[dict], reference_variant: str | None) -> None:
    """instrumented_rom_reference_deg / instrumented_rom_reduction_pct on every row that has an
    instrumented span, from the reference variant's converged row of the same load case."""
    if reference_variant is None:
        return
    ref = {str(r["loadcase"]): r for r in rows
           if str(r["variant"]) == reference_variant and r.get("converged")}
    for r in rows:
        span = r.get("instrumented_span")
        if not span or str(r["variant"]) == reference_variant:
            continue
        rr = ref.get(str(r["loadcase"]))
        ref_deg = row_span_rom(rr, str(span)) if rr is not None else None
        rom = r.get("instrumented_rom_deg")
        if ref_deg is None or not isinstance(rom, (int, float)):
            continue
        r["instrumented_rom_reference_deg"] = ref_deg
        # a reference that does not turn in this direction cannot be reduced from
        r["instrumented_rom_reduction_pct"] = (100.0 * (1.0 - rom / ref_deg) if ref_deg > 0
                                               else None)
