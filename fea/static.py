"""Linear static analysis of a Model under a LoadCase, step by step.

Within a step, loads and prescribed motions ramp linearly from their values at the end of the
previous step to the step's values over its increments (Abaqus semantics: what earlier steps
applied stays unless the step says `replace`). The stiffness is assembled once; the reduced
matrix and its solver set-up are reused by every step with the same constrained DOFs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from . import memcheck
from .assembly import assemble_stiffness, build_pattern
from .constraints import (
    COMPONENT_NAMES,
    ConstraintSystem,
    build_constraints,
    check_rigid_modes,
    rigid_modes,
)
from .couplings import coupling_dependencies
from .embedded import embedded_dependencies
from .membranes import add_membrane_stiffness
from .equations import equation_dependencies
from .errors import FeaError
from .linsolve import LinearSolver, SolverSettings
from .loading import load_vector, prescribed_map
from .model import (LoadCase, Model, element_D, hourglass_moduli,  # noqa: F401
                    material_ids)  # material_ids: re-exported
from .result_data import Result, State
from .transforms import node_frames, rotation_matrix

log = logging.getLogger(__name__)


def full_rigid_modes(model: Model) -> np.ndarray:
    nodes = model.mesh.nodes
    center = nodes.mean(axis=0)
    R = [rigid_modes(nodes, center)]
    for p in model.ref_positions():
        Rp = np.zeros((6, 6))
        Rp[:3] = rigid_modes(p[None], center)
        Rp[3:, 3:] = np.eye(3)
        R.append(Rp)
    return np.vstack(R)


def body_namer(model: Model):
    mesh = model.mesh

    def name(node_idx: np.ndarray) -> str:
        mark = np.zeros(mesh.n_nodes, bool)
        mark[node_idx] = True
        in_body = mark[mesh.padded_cells()].any(axis=1)
        sets = [s.cell_set for s in model.sections if in_body[mesh.elements(s.cell_set)].any()]
        refs = [r.name for r in model.ref_points.values()
                if mark[mesh.nodes_of(r.surface)].any()]
        what = f"body of cell set(s) {', '.join(repr(s) for s in sets)}"
        if refs:
            what += f" (with reference point(s) {', '.join(refs)})"
        return what

    return name


@dataclass
class StepPath:
    """One step's loads and prescribed values, ramped linearly from where the last step ended."""

    cons: ConstraintSystem
    solver: LinearSolver
    f_start: np.ndarray
    f_end: np.ndarray
    v_start: np.ndarray  # prescribed values (cons.prescribed order)
    v_end: np.ndarray

    def at(self, frac: float) -> tuple[np.ndarray, np.ndarray]:
        """(load vector, prescribed displacement field) at this fraction of the step."""
        f = self.f_start + frac * (self.f_end - self.f_start)
        vals = self.v_start + frac * (self.v_end - self.v_start)
        u0 = self.cons.T_all[:, len(self.cons.free):] @ vals if len(vals) else np.zeros(len(f))
        return f, u0


class StaticAnalysis:
    """Holds the assembled stiffness and per-constraint-set solvers of one model."""

    def __init__(self, model: Model, settings: SolverSettings | None = None, progress=None,
                 extra_dependencies=(), extra_links=(), extra_supports=()):
        self.model = model
        self.extra_links = list(extra_links)  # node pairs that hold bodies together (contact)
        self.extra_supports = list(extra_supports)  # (nodes, directions): springs to ground
        self.settings = settings or SolverSettings()
        self.progress = progress or (lambda phase, detail="": None)
        self.timings: dict[str, float] = {}
        mesh = model.mesh
        memcheck.check(model, self.settings)  # before anything large is allocated
        t = time.perf_counter()
        self.progress("assembly", f"{mesh.n_cells} {mesh.element_type.upper()} elements")
        self.mat_id, self.Ds, step = element_D(model)
        self.pattern = build_pattern(mesh, mesh.n_nodes)
        Kn = assemble_stiffness(mesh.nodes, mesh, self.mat_id, self.Ds, self.pattern, step,
                                hourglass_moduli(model, self.mat_id, self.Ds))
        add_membrane_stiffness(model, Kn)  # on the solid's face nodes: in Kn's pattern
        nf = model.n_full
        import scipy.sparse as sp

        self.K = sp.block_diag([Kn, sp.csr_matrix((nf - Kn.shape[0],) * 2)]).tocsr() \
            if nf > Kn.shape[0] else Kn
        self.dependencies = (coupling_dependencies(model) + equation_dependencies(model)
                             + embedded_dependencies(model) + list(extra_dependencies))
        idx, R = node_frames(model)  # *TRANSFORM: nodes whose supports act in local axes
        self.frames = (idx, R) if len(idx) else None
        self.timings["assembly_s"] = time.perf_counter() - t
        self._cache: dict[bytes, tuple[ConstraintSystem, LinearSolver]] = {}
        self.warnings: list[str] = []  # numerical warnings, carried into every Result
        self._rigid = None

    def dof_label(self, i: int) -> str:
        n = self.model.mesh.n_nodes
        if i < 3 * n:
            return f"node {self.model.mesh.node_ids[i // 3]} {COMPONENT_NAMES[i % 3]}"
        j, c = divmod(i - 3 * n, 6)
        return f"reference point '{list(self.model.ref_points)[j]}' {COMPONENT_NAMES[c]}"

    def system_for(self, presc: dict[int, float]) -> tuple[ConstraintSystem, LinearSolver]:
        key = np.sort(np.fromiter(presc.keys(), np.int64, len(presc))).tobytes()
        if key in self._cache:
            return self._cache[key]
        t = time.perf_counter()
        self.progress("constraints", f"{len(presc)} prescribed DOFs")
        cons = build_constraints(self.model.n_full, presc, self.dependencies, self.dof_label,
                                 self.frames)
        check_rigid_modes(
            self.model.mesh.nodes, self.model.mesh.padded_cells(), self.model.ref_positions(), cons,
            body_namer(self.model), self.extra_links, self.extra_supports,
        )
        Kr = cons.reduce_matrix(self.K)
        cons.Kr = Kr
        if self._rigid is None:
            self._rigid = full_rigid_modes(self.model)
        self.progress("solver setup", f"{Kr.shape[0]} DOFs")
        rigid = self._rigid
        if cons.frames is not None:  # the free DOFs of transformed nodes are local components
            rigid = rotation_matrix(self.model.n_full, *cons.frames).T @ rigid
        solver = LinearSolver(self.preconditioner_matrix(cons, Kr), rigid[cons.free],
                              self.settings)
        self._check_conditioning(solver)
        self.timings["constraints_setup_s"] = self.timings.get("constraints_setup_s", 0) + (
            time.perf_counter() - t
        )
        self._cache[key] = (cons, solver)
        return cons, solver

    def _check_conditioning(self, solver: LinearSolver) -> None:
        cond = solver.condition_estimate()
        if cond is not None and not cond <= self.settings.ill_conditioned:
            msg = (f"ill-conditioned stiffness: condition estimate {cond:.1e} (above "
                   f"{self.settings.ill_conditioned:.0e}), the displacements may have lost up to "
                   f"{min(cond * 1e-16, 1.0):.0e} relative accuracy; look for a nearly free body "
                   "or an extreme modulus contrast")
            if msg not in self.warnings:
                self.warnings.append(msg)
                log.warning("%s: %s", self.model.name, msg)

    def preconditioner_matrix(self, cons: ConstraintSystem, Kr):
        """The matrix the solver is set up on (the interface solver adds bonded contact)."""
        return Kr

    def step_paths(self, loadcase: LoadCase):
        """(index, step, StepPath) for each step in order: loads and prescribed values accumulate
        over the steps (a `replace` step starts afresh) and each step ramps from where the
        previous one ended. Both drivers (linear and interface) walk their steps through this."""
        model = self.model
        f_prev = np.zeros(model.n_full)
        presc_prev = prescribed_map(model, model.supports)
        loads_active: list = []
        disp_active: list = []
        for si, step in enumerate(loadcase.steps):
            if step.increments < 1:
                raise FeaError(f"{loadcase.source}: step '{step.name}' needs at least 1 increment")
            if step.replace:
                loads_active, disp_active = [], []
            loads_active = loads_active + list(step.loads)
            disp_active = disp_active + list(step.displacements)
            f_end = load_vector(model, loads_active)
            presc_end = prescribed_map(model, model.supports + disp_active)
            cons, solver = self.system_for(presc_end)
            yield si, step, StepPath(
                cons, solver, np.zeros_like(f_end) if step.replace else f_prev, f_end,
                np.array([presc_prev.get(i, 0.0) for i in cons.prescribed]),
                np.array([presc_end[i] for i in cons.prescribed]))
            f_prev, presc_prev = f_end, presc_end

    def run(self, loadcase: LoadCase) -> Result:
        result = Result(self.model, loadcase, timings=self.timings, warnings=self.warnings)
        t_solve = 0.0
        for si, step, path in self.step_paths(loadcase):
            cons, solver = path.cons, path.solver
            for inc in range(1, step.increments + 1):
                f, u0 = path.at(inc / step.increments)
                self.progress("solve", f"step {si + 1}/{len(loadcase.steps)} '{step.name}' "
                              f"increment {inc}/{step.increments}")
                t = time.perf_counter()
                b = cons.T.T @ (f - self.K @ u0)
                q, info = solver.solve(b)
                t_solve += time.perf_counter() - t
                u = cons.T @ q + u0
                reaction = cons.reaction_vector(cons.T_all.T @ (self.K @ u - f))
                result.states.append(State(step.name, si, inc, step.increments, u, f, reaction,
                                           info))
        self.timings["solve_s"] = t_solve
        result.n_dof_free = max(len(c.free) for c, _ in self._cache.values()) if self._cache else 0
        return result


def solve(model: Model, loadcase: LoadCase, settings: SolverSettings | None = None,
          progress=None) -> Result:
    return StaticAnalysis(model, settings, progress).run(loadcase)
