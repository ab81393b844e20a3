"""The report's opening: one verdict line per design variant (fea.metrics.verdict), a picture of
where its worst criterion was decided, and the intact reference's ROM beside each construct's."""

from __future__ import annotations

from pathlib import Path

from ..metrics.verdict import (
    CRITERIA, NOT_COMPUTED, NOT_CONVERGED, SEVERITY, VariantVerdict, Verdict,
)
from ..metrics.bearing import is_bearing
from ..names import interface_figure
from .html_util import esc, fmt, img, table


def _figure_name(v: Verdict) -> str | None:
    """The case figure (fea.plot.figures) that shows where a criterion was decided."""
    if v.criterion == "micromotion" and v.where:
        return interface_figure("micromotion", v.where)
    if v.criterion == "subsidence" and v.where and not is_bearing(v.where):
        return interface_figure("pressure", v.where)  # a bearing spans faces: no one map
    return {"stability": "von_mises.png", "strength": "section.png"}.get(v.criterion)


def picture(vv: VariantVerdict) -> Verdict | None:
    """The criterion whose picture a variant's line shows: its worst graded one with a figure
    (a not-converged case has no trustworthy figure)."""
    shown = [v for v in vv.criteria.values()
             if v.grade not in (NOT_CONVERGED, NOT_COMPUTED) and _figure_name(v)]
    return max(shown, key=lambda v: SEVERITY[v.grade], default=None)


def picture_cases(verdicts: dict[str, VariantVerdict]) -> set[tuple[str, str]]:
    """(variant, load case) whose figures the verdict lines need."""
    return {(name, v.loadcase) for name, vv in verdicts.items() if (v := picture(vv))}


def figure_path(study_dir: Path, variant: str, v: Verdict) -> Path | None:
    name = _figure_name(v)
    if not name or not v.loadcase or v.grade in (NOT_CONVERGED, NOT_COMPUTED):
        return None
    case = Path(study_dir) / variant / v.loadcase
    p = case / "figures" / name
    # a figure older than the case's summary is of an earlier run
    if not p.exists() or p.stat().st_mtime < (case / "summary.json").stat().st_mtime:
        return None
    return p


def _value(v: Verdict) -> str:
    if v.value is None:
        return ""
    if v.criterion == "stability":
        return f"{fmt(v.value, 3)} % ROM reduction"
    if v.criterion == "micromotion":
        return f"{fmt(v.value, 3)} µm"
    if v.criterion == "subsidence":
        what = "mean p / core yield" if is_bearing(v.where) else "peak / yield"
        return f"{what} {fmt(v.value, 3)}"
    if v.criterion == "strength":
        return f"SF {fmt(v.value, 3)}"
    return f"{fmt(v.value, 3)} {v.unit}"


def _badge(grade: str) -> str:
    return f'<span class="v v-{grade.replace(" ", "-")}">{esc(grade)}</span>'


def _item(v: Verdict) -> str:
    label = CRITERIA[v.criterion].label
    # stability is judged over a span of levels ("C1-C3", "the whole model"), the rest at an entity
    sep = " over " if v.criterion == "stability" else " at "
    where = sep.join(esc(x) for x in (_value(v), v.where) if x)
    case = "" if not v.loadcase else (f"in {esc(v.loadcase)}" if v.grade == NOT_CONVERGED
                                      else f"worst: {esc(v.loadcase)}")
    tail = "; ".join(x for x in (where, case) if x)
    return (f'<span class="crit" data-criterion="{esc(v.criterion)}" title="{esc(v.detail)}">'
            f"{esc(label)} {_badge(v.grade)}" + (f" <small>({tail})</small>" if tail else "")
            + "</span>")


def verdict_lines(verdicts: dict[str, VariantVerdict], study_dir: Path,
                  reference: str | None) -> str:
    if not verdicts:
        return "<p>No design variant to judge (only the reference).</p>"
    out = ['<p class="vnote">Each criterion graded over all load cases of the variant, by its '
           "worst one; thresholds at the end of the report (hover a criterion for its rule). "
           "<b>not converged</b>: a case did not converge, so the criterion is never a pass; "
           "<b>not computed</b>: no value in any case." +
           (f" Intact reference: {esc(reference)}." if reference else "") + "</p>"]
    for name, vv in verdicts.items():
        pic = picture(vv)
        path = figure_path(study_dir, name, pic) if pic else None
        thumb = ""
        if path is not None:
            thumb = img(path, f"{CRITERIA[pic.criterion].label}: {name} / {pic.loadcase}"
                        + (f" at {pic.where}" if pic.where else ""))
        items = " · ".join(_item(v) for v in vv.criteria.values())
        out.append(f'<div class="verdict" data-variant="{esc(name)}" '
                   f'data-overall="{esc(vv.overall)}"><div class="vtext"><b>{esc(name)}</b> '
                   f"{_badge(vv.overall)} · {items}</div>"
                   + (f'<div class="thumb">{thumb}</div>' if thumb else "") + "</div>")
    return "".join(out)


def _rom_cell(r: dict) -> str:
    """A construct's ROM in one load case: over its instrumented span against the intact model's
    over the same bones, then over the whole model against the whole intact model."""
    red = r.get("rom_reduction_pct")
    whole = esc(fmt(r.get("rom_deg"), 3)) + (f" (−{esc(fmt(red, 3))} %)" if red is not None
                                              else "")
    span_red = r.get("instrumented_rom_reduction_pct")
    if span_red is None:
        return whole
    return (f"{esc(fmt(r.get('instrumented_rom_deg'), 3))} vs "
            f"{esc(fmt(r.get('instrumented_rom_reference_deg'), 3))} over "
            f"{esc(str(r.get('instrumented_span')))} <small>(−{esc(fmt(span_red, 3))} %)</small>"
            f"<br><small>whole model {whole}</small>")


def rom_side_by_side(rows: list[dict], verdicts: dict[str, VariantVerdict]) -> str:
    """One row for the intact reference, one per design variant; a column per load case: ROM
    (deg) and its reduction against the reference."""
    ref = {str(r["loadcase"]): r["rom_reference_deg"] for r in rows
           if r.get("rom_reference_deg") is not None}
    if not ref:
        return ('<p class="note">No intact reference in this study (no intact variant and no '
                "published ROM): stability is not judged.</p>")
    source = next((str(r["rom_reference"]) for r in rows if r.get("rom_reference")), "")
    lcs = [lc for lc in dict.fromkeys(str(r["loadcase"]) for r in rows) if lc in ref]
    body = [[f"<b>intact</b> ({esc(source)})", ""] + [esc(fmt(ref[lc], 3)) for lc in lcs]]
    classes = [["", ""] + [""] * len(lcs)]
    by_case = {(str(r["variant"]), str(r["loadcase"])): r for r in rows}
    for name, vv in verdicts.items():
        cells, cls = [], []
        cases = vv.criteria["stability"].cases
        for lc in lcs:
            r = by_case.get((name, lc))
            if r is None:
                cells.append("–")
                cls.append("")
            elif not r.get("converged"):
                cells.append("<b>NOT CONVERGED</b>")
                cls.append("bad")
            else:
                cells.append(_rom_cell(r))
                g = (cases.get(lc) or {}).get("grade")
                cls.append({"pass": "good", "borderline": "warn", "fail": "bad"}.get(g, ""))
        body.append([esc(name), _badge(vv.criteria["stability"].grade)] + cells)
        classes.append(["", ""] + cls)
    return ("<p>ROM (deg) per load case, the construct's reduction against the intact "
            "reference in brackets: over the levels the construct fixes (its model's "
            "<code>instrumented_span</code>, against the intact model's rotation over the same "
            "two bones, shown after 'vs'), which is what stability is graded on; below it the "
            "whole-model rotation.</p>" +
            table(["variant", "stability"] + [f"{lc} ROM (deg)" for lc in lcs], body,
                  cell_classes=classes))
