"""What a solve hands on: the state after each increment and the whole case's result.

Plain data, shared by the solvers (fea.static, fea.newton) that fill it and by the writers and
metrics (fea.results, fea.contact.output, fea.metrics) that read it, so that writing a result
never imports a solver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .model import LoadCase, Model

if TYPE_CHECKING:  # the type only: reading a result does not load the solvers
    from .linsolve import SolveInfo


@dataclass
class State:
    """Solution at the end of one increment."""

    step: str
    step_index: int
    increment: int
    n_increments: int
    u: np.ndarray  # full DOF vector (mm, rad)
    f: np.ndarray  # applied full load vector (N, N*mm)
    reaction: np.ndarray  # full vector of reactions at prescribed DOFs, 0 elsewhere
    solve: SolveInfo
    terms: dict = field(default_factory=dict)  # nonlinear term name -> its state (fea.newton)

    @property
    def converged(self) -> bool:
        return self.solve.converged

    @property
    def contact(self) -> dict | None:
        """The interface state (fea.contact.term), None for a model without contact points."""
        return self.terms.get("contact")


@dataclass
class Result:
    model: Model
    loadcase: LoadCase
    states: list[State] = field(default_factory=list)  # every increment, in order
    timings: dict = field(default_factory=dict)
    n_dof_free: int = 0
    warnings: list = field(default_factory=list)  # e.g. ill-conditioning (fea.static)

    @property
    def converged(self) -> bool:
        return all(s.converged for s in self.states)

    def step_ends(self) -> list[State]:
        return [s for s in self.states if s.increment == s.n_increments]

    @property
    def final(self) -> State:
        return self.states[-1]

    def displacement(self, state: State | None = None) -> np.ndarray:
        s = state or self.final
        return s.u[: 3 * self.model.mesh.n_nodes].reshape(-1, 3)

    def ref_motion(self, name: str, state: State | None = None) -> np.ndarray:
        """(6,) translation (mm) and rotation (rad) of a reference point."""
        s = state or self.final
        i = self.model.ref_dof(name, 0)
        return s.u[i: i + 6].copy()
