"""Solve one model under one load case and describe how to write it: the linear driver, or the
interface solver when the model has interfaces; interface files and metrics for the case folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .linsolve import SolverSettings
from .model import LoadCase, Model
from .static import Result, StaticAnalysis


@dataclass
class CaseOutput:
    result: Result
    writers: list = field(default_factory=list)  # callables(stage_dir) adding files
    extra: dict = field(default_factory=dict)  # extra summary.json entries
    interfaces: dict = field(default_factory=dict)  # name -> point arrays (final state)


def make_analysis(model: Model, settings: SolverSettings | None = None, progress=None,
                  contact=None) -> StaticAnalysis:
    """Assembly and set-up, reusable for every load case of the model."""
    if model.interfaces:
        from .contact.driver import ContactAnalysis

        return ContactAnalysis(model, settings, progress, contact)
    return StaticAnalysis(model, settings, progress)


def solve_case(model: Model, loadcase: LoadCase, settings: SolverSettings | None = None,
               progress=None, analysis: StaticAnalysis | None = None) -> CaseOutput:
    analysis = analysis or make_analysis(model, settings, progress)
    result = analysis.run(loadcase)
    out = CaseOutput(result)
    if getattr(analysis, "setup", None) is not None:
        _interface_outputs(analysis, result, loadcase, out)
    return out


def _interface_outputs(analysis, result: Result, loadcase: LoadCase, out: CaseOutput) -> None:
    from .contact.output import (
        interface_summary, per_interface, point_arrays, write_interfaces_vtu,
    )
    from .results import slug

    ref = analysis.cs.reference_step or loadcase.steps[0].name
    has_points = result.final.contact is not None
    final = point_arrays(analysis, result.final) if has_points else None
    out.interfaces = per_interface(analysis, final)
    out.extra["interfaces"] = interface_summary(analysis, final, ref)
    out.extra["contact_settings"] = dict(analysis.cs.__dict__)
    if not has_points:
        return
    ends = result.step_ends()

    def write(stage):
        write_interfaces_vtu(stage / "interfaces.vtu", final)
        for k, st in enumerate(ends):
            write_interfaces_vtu(stage / "steps" / f"{k + 1:02d}_{slug(st.step)}_interfaces.vtu",
                                 point_arrays(analysis, st))

    out.writers.append(write)


def case_metrics_hook(case: CaseOutput, thresholds=None):
    """A callable(summary, final_fields) -> metrics dict for fea.results.write_case."""
    from .metrics.case import case_metrics
    from .metrics.from_result import result_inputs

    def hook(summary: dict, fields: dict) -> dict:
        vm, kw = result_inputs(case.result, fields, summary)
        return case_metrics(summary, case.interfaces, vm, thresholds, **kw)

    return hook
