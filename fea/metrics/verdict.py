"""Design verdicts: per variant of a study, each criterion graded pass / borderline / fail over
all its load cases against the study's thresholds, with the load case (and the interface, region
or screw) that decided it.

Criteria (CRITERIA, a registry: a new criterion is one entry):
  stability    ROM reduction (%) against the intact reference: pass at or above
               `rom_reduction_pass_pct`, fail below `rom_reduction_fail_pct`; over the model's
               instrumented span (e.g. C1-C3) where it names one and the reference variant
               has it, else over the whole model (the "where" says which)
  micromotion  each interface's `micromotion_statistic` (p95) against 28 / 150 µm (inclusive, as
               the micromotion classes); an open interface by its gap class
  subsidence   the worst of each face's subsidence risk class (low / moderate / high: peak
               pressure / bone yield and the area over yield; the peak ratio as the value) and
               each implant's bearing on a bone as a whole (fea.metrics.bearing: low / moderate /
               high by its mean pressure / the cancellous yield beneath, moderate from the
               fraction at which that bone fails in cycles; that ratio as the value); of
               two of the same class the larger ratio decides
  strength     the smallest implant or hardware safety factor: fail below `min_safety_factor`,
               pass at or above `pass_safety_factor`
  screws       the smallest screw clearance to the canal and the transverse foramina: fail when
               negative (breach), borderline under `screw_clearance_mm`

A variant's grade of a criterion is its worst load case's. A case that did not converge can hide
any value, so the criterion is then "not converged", never pass; only a fail already shown by a
converged case outranks it. No value in any converged case (no screws, no frictional interface,
no intact reference): "not computed", never pass either.
A variant's overall grade is its worst criterion's, over the criteria it has a value for.
Input: the study table's rows (fea.summary_table), so verdicts and tables agree.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable

from .bearing import WHOLE_FOOTPRINT
from .columns import CLASS_RANK
from .micromotion import classify_micromotion
from .thresholds import Thresholds

PASS, BORDERLINE, FAIL = "pass", "borderline", "fail"
NOT_CONVERGED, NOT_COMPUTED = "not converged", "not computed"
# worst highest; a fail seen in a converged case is certain, a missing case only may be worse
SEVERITY = {PASS: 0, NOT_COMPUTED: 1, BORDERLINE: 2, NOT_CONVERGED: 3, FAIL: 4}
_BY_RANK = {0: PASS, 1: BORDERLINE, 2: FAIL}  # CLASS_RANK of a metric's class -> grade


@dataclass(frozen=True)
class CaseGrade:
    """One load case's grade of one criterion."""
    grade: str
    value: float | None
    where: str | None = None  # interface, region or screw
    badness: float = 0.0  # orders cases of the same grade, larger is worse


@dataclass
class Verdict:
    criterion: str
    grade: str
    loadcase: str | None  # the deciding load case(s)
    value: float | None
    unit: str
    where: str | None
    detail: str
    cases: dict = field(default_factory=dict)  # load case -> {"grade", "value", "where"}


@dataclass
class VariantVerdict:
    variant: str
    overall: str
    criteria: dict[str, Verdict]


def _num(v) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _entities(row: dict, stem: str) -> list[str]:
    return sorted(c.split("@", 1)[1] for c in row if c.startswith(stem + "@"))


def _class_grade(cls) -> str | None:
    return _BY_RANK.get(CLASS_RANK.get(cls, -1))


def grade_micromotion(value_um: float, th: Thresholds) -> str:
    return _class_grade(classify_micromotion(value_um, th))


def grade_rom_reduction(pct: float, th: Thresholds) -> str:
    return PASS if pct >= th.rom_reduction_pass_pct else (
        BORDERLINE if pct >= th.rom_reduction_fail_pct else FAIL)


def grade_safety_factor(sf: float, th: Thresholds) -> str:
    return FAIL if sf < th.min_safety_factor else (
        BORDERLINE if sf < th.pass_safety_factor else PASS)


def grade_clearance(mm: float, th: Thresholds) -> str:
    return FAIL if mm < 0 else (BORDERLINE if mm < th.screw_clearance_mm else PASS)


def _worst_entity(grades: list[CaseGrade]) -> CaseGrade | None:
    return max(grades, key=lambda g: (SEVERITY[g.grade], g.badness), default=None)


def _stability(row: dict, th: Thresholds) -> CaseGrade | None:
    # over the levels the construct fixes when the model names them and the reference has them
    # (fea.metrics.instrumented); the whole-model rotation otherwise
    v = _num(row.get("instrumented_rom_reduction_pct"))
    if v is not None:
        return CaseGrade(grade_rom_reduction(v, th), v, str(row["instrumented_span"]), -v)
    v = _num(row.get("rom_reduction_pct"))
    return None if v is None else CaseGrade(grade_rom_reduction(v, th), v, "the whole model", -v)


def _micromotion(row: dict, th: Thresholds) -> CaseGrade | None:
    stat = th.micromotion_statistic
    # tied (bonded) interfaces have no micromotion: the worst-of columns leave them out, and a
    # case whose interfaces are all tied has none to judge
    if _num(row.get(f"micromotion_{stat}_max")) is None and \
            row.get("micromotion_class_worst") in (None, ""):
        return None
    grades = []
    for name in _entities(row, "micromotion_class"):
        v = _num(row.get(f"micromotion_{stat}@{name}"))
        g = grade_micromotion(v, th) if v is not None else \
            _class_grade(row.get(f"micromotion_class@{name}"))  # open: judged by its gap
        if g is not None:
            grades.append(CaseGrade(g, v, name, v if v is not None else math.inf))
    if not grades:  # a table without per-interface columns: the worst-of column
        v = _num(row.get(f"micromotion_{stat}_max"))
        g = grade_micromotion(v, th) if v is not None else \
            _class_grade(row.get("micromotion_class_worst"))
        return None if g is None else CaseGrade(g, v, None, v if v is not None else math.inf)
    return _worst_entity(grades)


def _subsidence(row: dict, th: Thresholds) -> CaseGrade | None:
    grades = []
    for name in _entities(row, "subsidence_risk"):
        g = _class_grade(row.get(f"subsidence_risk@{name}"))
        v = _num(row.get(f"subsidence_peak_to_yield@{name}"))
        if g is not None:
            grades.append(CaseGrade(g, v, name, v or 0.0))
    for name in _entities(row, "bearing_risk"):  # an implant's faces on one bone together
        g = _class_grade(row.get(f"bearing_risk@{name}"))
        v = _num(row.get(f"bearing_mean_to_core@{name}"))
        if g is not None:
            grades.append(CaseGrade(g, v, f"{name}{WHOLE_FOOTPRINT}", v or 0.0))
    if not grades:
        g = _class_grade(row.get("subsidence_risk_worst"))
        v = _num(row.get("subsidence_peak_to_yield_max"))
        return None if g is None else CaseGrade(g, v, None, v or 0.0)
    return _worst_entity(grades)


def _strength(row: dict, th: Thresholds) -> CaseGrade | None:
    by_role = {role: _num(row.get(f"{role}_safety_factor_min")) for role in ("implant", "hardware")}
    by_role = {k: v for k, v in by_role.items() if v is not None}
    if not by_role:
        return None
    role, v = min(by_role.items(), key=lambda kv: kv[1])
    regions = {n: _num(row.get(f"safety_factor@{n}")) for n in _entities(row, "safety_factor")}
    where = next((n for n, s in regions.items() if s is not None and math.isclose(s, v)), role)
    return CaseGrade(grade_safety_factor(v, th), v, where, -v)


def _screws(row: dict, th: Thresholds) -> CaseGrade | None:
    v = _num(row.get("screw_clearance_min_mm_min"))
    if v is None:
        return None
    screws = {n: _num(row.get(f"screw_clearance_min_mm@{n}"))
              for n in _entities(row, "screw_clearance_min_mm")}
    where = next((n for n, s in screws.items() if s is not None and math.isclose(s, v)), None)
    return CaseGrade(grade_clearance(v, th), v, where, -v)


@dataclass(frozen=True)
class Criterion:
    label: str
    unit: str
    grade: Callable[[dict, Thresholds], CaseGrade | None]
    rule: Callable[[Thresholds], str]  # the thresholds in words
    missing: str  # why a variant may have no value


CRITERIA: dict[str, Criterion] = {
    "stability": Criterion(
        "stability", "% ROM reduction", _stability,
        lambda th: (f"ROM reduction vs intact over the instrumented span (else the whole model): "
                    f"pass >= {th.rom_reduction_pass_pct:g} %, fail < "
                    f"{th.rom_reduction_fail_pct:g} %"),
        "no intact reference ROM for its load cases (an 'intact' variant, rom_reference)"),
    "micromotion": Criterion(
        "micromotion", "µm", _micromotion,
        lambda th: (f"{th.micromotion_statistic.split('_')[0]} slip per interface: pass <= "
                    f"{th.ingrowth_um:g} µm, fail >= {th.fibrous_um:g} µm"),
        "no frictional bone-implant interface (bonded, fused state or no contact output)"),
    "subsidence": Criterion(
        "subsidence", "pressure / bone yield", _subsidence,
        lambda th: ("risk class per face: pass 'low' (peak < yield), borderline 'moderate', "
                    f"fail 'high' (>= {th.subsidence_area_over_yield_pct:g} % of the footprint "
                    "over yield); per implant on a bone, the whole footprint's mean pressure / "
                    "the yield of the cancellous bone beneath: borderline from "
                    f"{th.bearing_moderate_fraction:g} (cyclic failure), fail from 1"),
        "no implant-bone contact interface with pressures"),
    "strength": Criterion(
        "implant strength", "safety factor", _strength,
        lambda th: (f"smallest implant / hardware safety factor: fail < "
                    f"{th.min_safety_factor:g}, pass >= {th.pass_safety_factor:g}"),
        "no implant or hardware region with a yield strength"),
    "screws": Criterion(
        "screw safety", "mm clearance", _screws,
        lambda th: (f"screw clearance to canal / foramina: fail < 0 (breach), pass >= "
                    f"{th.screw_clearance_mm:g} mm"),
        "no screws with keep-out face sets"),
}


def _join(lcs: list[str]) -> str:
    return ", ".join(lcs)


def criterion_verdict(key: str, rows: list[dict], th: Thresholds) -> Verdict:
    """One criterion over one variant's rows (one per load case)."""
    crit = CRITERIA[key]
    failed = [str(r["loadcase"]) for r in rows if not r.get("converged")]
    graded = {str(r["loadcase"]): g for r in rows if r.get("converged")
              if (g := crit.grade(r, th)) is not None}
    cases = {lc: {"grade": g.grade, "value": g.value, "where": g.where}
             for lc, g in graded.items()}
    cases.update({lc: {"grade": NOT_CONVERGED, "value": None, "where": None} for lc in failed})
    worst_lc = max(graded, key=lambda lc: (SEVERITY[graded[lc].grade], graded[lc].badness),
                   default=None)
    w = graded.get(worst_lc)
    missing = [str(r["loadcase"]) for r in rows
               if r.get("converged") and str(r["loadcase"]) not in graded]
    note = f"; not computed in {_join(missing)}" if missing and graded else ""
    if failed and missing and not graded:  # the converged cases show the design has none
        return Verdict(key, NOT_COMPUTED, None, None, crit.unit, None,
                       f"{crit.missing}; not converged: {_join(failed)}", cases)
    if failed and not (w and w.grade == FAIL):
        seen = (f"; the converged cases alone: {w.grade} ({worst_lc})" if w else "")
        return Verdict(key, NOT_CONVERGED, _join(failed), None, crit.unit, None,
                       f"{len(failed)} load case(s) did not converge: no grade{seen}{note}",
                       cases)
    if w is None:
        return Verdict(key, NOT_COMPUTED, None, None, crit.unit, None, crit.missing, cases)
    detail = crit.rule(th) + note
    if failed:
        detail += f"; not converged: {_join(failed)}"
    return Verdict(key, w.grade, worst_lc, w.value, crit.unit, w.where, detail, cases)


def study_verdicts(rows: list[dict], th: Thresholds,
                   reference_variant: str | None = None) -> dict[str, VariantVerdict]:
    """Verdicts of every design variant (the intact reference variant is not judged)."""
    by_variant: dict[str, list[dict]] = {}
    for r in rows:
        by_variant.setdefault(str(r["variant"]), []).append(r)
    out = {}
    for variant, rs in by_variant.items():
        if variant == reference_variant:
            continue
        crits = {k: criterion_verdict(k, rs, th) for k in CRITERIA}
        # the worst judged criterion; one not computed (no screws, bonded) is listed, not counted
        judged_grades = [v.grade for v in crits.values() if v.grade != NOT_COMPUTED]
        overall = max(judged_grades, key=SEVERITY.__getitem__, default=NOT_COMPUTED)
        out[variant] = VariantVerdict(variant, overall, crits)
    return out


def as_json(verdicts: dict[str, VariantVerdict], th: Thresholds,
            reference: str | None) -> dict:
    """The machine-readable verdicts (verdicts.json)."""
    def clean(v):  # JSON has no inf / nan
        return v if not isinstance(v, float) or math.isfinite(v) else None

    variants = {}
    for name, vv in verdicts.items():
        crits = {}
        for k, v in vv.criteria.items():
            d = asdict(v)
            d["value"] = clean(d["value"])
            d["cases"] = {lc: {**c, "value": clean(c["value"])} for lc, c in d["cases"].items()}
            crits[k] = d
        variants[name] = {"overall": vv.overall, "criteria": crits}
    return {"grades": list(SEVERITY), "reference": reference,
            "rules": {k: c.rule(th) for k, c in CRITERIA.items()}, "variants": variants}
