"""Solve one model under one load case with the right driver (linear, or with interfaces)."""

from __future__ import annotations

from .linsolve import SolverSettings
from .model import LoadCase, Model
from .static import Result, StaticAnalysis


def solve_case(model: Model, loadcase: LoadCase, settings: SolverSettings | None = None,
               progress=None, analysis: StaticAnalysis | None = None):
    """Returns (Result, extra file writers for the case folder, extra summary entries)."""
    if model.interfaces:
        from .errors import FeaError

        raise FeaError(f"model '{model.name}' has interfaces, which need the interface solver "
                       "(not available in this build)")
    analysis = analysis or StaticAnalysis(model, settings, progress)
    result: Result = analysis.run(loadcase)
    return result, [], {}
