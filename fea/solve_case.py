"""Solve one model under one load case and describe how to write it: the linear driver, or the
Newton driver (fea.newton) with the model's nonlinear terms (registry below); each term's
summary entries, metrics data and VTU arrays for the case folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from .linsolve import SolverSettings
from .model import LoadCase, Model
from .names import slug
from .result_data import Result
from .static import StaticAnalysis

# The nonlinear terms, in the order they are built (contact first: it splits nodes, so every
# later term is built on its model). Each module's make_term(model, newton_settings, progress)
# returns its term, or None when the model has nothing of it.
NONLINEAR_TERMS = ("fea.contact.term", "fea.ligaments.term")


@dataclass
class CaseOutput:
    result: Result
    writers: list = field(default_factory=list)  # callables(stage_dir) adding files
    extra: dict = field(default_factory=dict)  # extra summary.json entries
    interfaces: dict = field(default_factory=dict)  # name -> point arrays (final state)


def make_analysis(model: Model, settings: SolverSettings | None = None, progress=None,
                  contact=None) -> StaticAnalysis:
    """Assembly and set-up, reusable for every load case of the model. contact: the Newton
    driver's settings (fea.contact.term.ContactSettings: the driver's and contact's own)."""
    from .newton import NewtonAnalysis

    makers = [import_module(m).make_term for m in NONLINEAR_TERMS]
    terms = []
    for make in makers:
        term = make(model, contact, progress)
        if term is not None:
            terms.append(term)
            model = term.model  # the next term is built on this one's model
    if not terms:
        return StaticAnalysis(model, settings, progress)
    return NewtonAnalysis(model, terms, settings, progress, contact)


def solve_case(model: Model, loadcase: LoadCase, settings: SolverSettings | None = None,
               progress=None, analysis: StaticAnalysis | None = None) -> CaseOutput:
    analysis = analysis or make_analysis(model, settings, progress)
    result = analysis.run(loadcase)
    if loadcase.nlgeom_note and loadcase.nlgeom_note not in result.warnings:
        result.warnings.append(loadcase.nlgeom_note)  # a deck's NLGEOM was solved linearly
    from .abaqus.mpc import linearisation_note

    note = linearisation_note(model, result)
    if note:
        result.warnings.append(note)  # a deck's *MPC was solved linearised
    out = CaseOutput(result)
    _screw_safety(model, result, out)
    from .membranes import outputs as membrane_outputs

    mo = membrane_outputs(result, loadcase)  # on the solved model (contact splits nodes)
    if mo is not None:
        _term_outputs(mo, result, out)
    for term in getattr(analysis, "terms", ()):
        _term_outputs(term.outputs(result, loadcase), result, out)
    return out


def _screw_safety(model: Model, result: Result, out: CaseOutput) -> None:
    """Every screw's clearance to the canal and the transverse foramina (summary.json
    `screw_clearance`); a breaching screw is a warning of the case: flagged, and still solved
    (the construct as built is what the user asked about)."""
    from .geometry.clearance import of_mesh, warnings

    clearance = of_mesh(model.mesh)
    if not clearance:
        return
    out.extra["screw_clearance"] = clearance
    for w in warnings(clearance):
        if w not in result.warnings:
            result.warnings.append(w)


def _term_outputs(to, result: Result, out: CaseOutput) -> None:
    from .results import write_term_vtu

    out.extra.update(to.summary)
    for key, value in to.data.items():
        setattr(out, key, value)
    ends = result.step_ends()
    for stem, final, per_step, *how in to.vtu:
        def write(stage, stem=stem, final=final, per_step=per_step,
                  put=how[0] if how else write_term_vtu):
            put(stage / f"{stem}.vtu", final)
            for k, (st, arrays) in enumerate(zip(ends, per_step)):
                put(stage / "steps" / f"{k + 1:02d}_{slug(st.step)}_{stem}.vtu", arrays)

        out.writers.append(write)


def case_metrics_hook(case: CaseOutput, thresholds=None):
    """A callable(summary, final_fields) -> metrics dict for fea.results.write_case."""
    from .metrics.case import case_metrics
    from .metrics.from_result import result_inputs

    def hook(summary: dict, fields: dict) -> dict:
        vm, kw = result_inputs(case.result, fields, summary)
        return case_metrics(summary, case.interfaces, vm, thresholds, **kw)

    return hook
