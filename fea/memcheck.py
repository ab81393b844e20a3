"""Memory needed by a solve, estimated before assembling, against the memory available.

A model that does not fit is refused up front (fea.errors.MemoryRiskError) naming the model, its
DOF, the estimated and the available GB and what to do, instead of being killed by the kernel's
OOM killer half-way through a factorisation (or swapping the machine to a halt).

Model of the peak resident memory (GB = 2**30 bytes), fitted to measured peaks
(bench/calibrate_memory.py: box TET10 / TET4, PARDISO and AMG, fresh process, numbers in
docs/studies.md "Memory"):
  base      interpreter, numpy/scipy/numba/pyamg/meshio loaded: BASE_GB
  system    K (CSR), its pattern, the reduced K and the constraint maps: SYSTEM_BYTES_PER_NNZ * nnz
  pardiso   the Cholesky factor: FACTOR_BYTES * nnz(L) (FACTOR_BYTES_SINGLE for the default
            single-precision factor; a matrix that needs the double factor then needs more),
            nnz(L) ~ FILL_C * dof ** FILL_P (nested dissection in 3D: fill ~ n^(4/3) in
            theory, n^1.45 measured up to 330k DOF)
  amg       the smoothed-aggregation hierarchy and CG vectors: AMG_GB_AT (nnz / AMG_NNZ_AT)^AMG_P
            (its coarse operators fill in: measured 0.37 GB at 10.5M nnz, 1.10 GB at 19.2M),
            linear in nnz beyond 19.2M (measured 6.0 GB peak at 1.14M DOF, estimated 9.2)
  direct    SuperLU: LU_FACTOR x the PARDISO factor (L and U, a weaker ordering)
nnz of K is estimated from the element type (NNZ_PER_DOF, measured on gmsh meshes). An interface
model may hold a second factor (the preconditioner set up again on the contact tangent).

Overrides: FEA_MEMORY_CHECK=off (or SolverSettings.memory_check = False, `solve
--no-memory-check`, `run --no-memory-check`) skips the check; FEA_AVAILABLE_MEMORY_GB=X replaces
the measured available memory (a cap on a shared machine, and the tests).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .errors import FeaError

GB = float(2**30)
BASE_GB = 0.22
NNZ_PER_DOF = {4: 45.0, 10: 80.0,  # TET4, TET10 (3 x neighbours per node, interior-dominated)
               8: 81.0, 20: 175.5}  # HEX8, HEX20: 3 x neighbours of a structured interior grid
SYSTEM_BYTES_PER_NNZ = 45.0
FACTOR_BYTES = 9.5  # per factor entry: value, PARDISO's indices and work arrays
# the same in single precision (the default, mixed): the 318k-DOF cantilever peaked at 3.07 GB
# instead of 4.53 GB, 4.1 bytes less per entry of its 355M-entry factor (bench/README.md)
FACTOR_BYTES_SINGLE = 5.5
FILL_C, FILL_P = 4.6, 1.45  # nnz(L) = FILL_C * dof ** FILL_P (theory for 3D meshes: p = 4/3)
AMG_GB_AT, AMG_NNZ_AT, AMG_P = 1.10, 19.2e6, 1.83  # hierarchy: 1.10 GB at 19.2M nnz, ~nnz^1.83
LU_FACTOR = 3.0
SAFETY = 0.9  # refuse when the estimate exceeds this share of the available memory
ENV_CHECK = "FEA_MEMORY_CHECK"
ENV_AVAILABLE = "FEA_AVAILABLE_MEMORY_GB"


class MemoryRiskError(FeaError):
    """A solve that would need more memory than the machine has free."""


@dataclass
class MemoryEstimate:
    model: str
    n_dof: int
    nnz: int
    backend: str
    parts_gb: dict = field(default_factory=dict)

    @property
    def total_gb(self) -> float:
        return sum(self.parts_gb.values())


def available_gb() -> float:
    """Memory available to a new allocation: FEA_AVAILABLE_MEMORY_GB, psutil, /proc/meminfo."""
    env = os.environ.get(ENV_AVAILABLE)
    if env:
        try:
            return float(env)
        except ValueError:
            raise FeaError(f"{ENV_AVAILABLE}={env!r}: give a number of GB, e.g. 16") from None
    try:
        import psutil

        return psutil.virtual_memory().available / GB
    except ImportError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 / GB
    except OSError:
        pass
    return float("inf")  # unknown: never refuse on a guess


def resolve_backend(settings, n_dof: int) -> str:
    from .linsolve import pardiso_available

    b = settings.backend
    if b == "auto":
        if pardiso_available() and n_dof <= settings.pardiso_max_dof:
            return "pardiso"
        return "direct" if n_dof < settings.auto_direct_below else "amg"
    return b


def factor_gb(n_dof: int, single: bool = False) -> float:
    per_entry = FACTOR_BYTES_SINGLE if single else FACTOR_BYTES
    return per_entry * FILL_C * n_dof ** FILL_P / GB


def estimate(model, settings, backend: str | None = None) -> MemoryEstimate:
    """Peak memory of assembling and solving `model` with `settings` (see the module doc)."""
    mesh = model.mesh
    n_dof = int(model.n_full)
    per_dof = NNZ_PER_DOF.get(mesh.nodes_per_cell, NNZ_PER_DOF[10])
    nnz = int(per_dof * 3 * mesh.n_nodes)
    backend = backend or resolve_backend(settings, n_dof)
    parts = {"base": BASE_GB, "system": SYSTEM_BYTES_PER_NNZ * nnz / GB}
    copies = 2 if model.interfaces else 1  # a factor set up again on the contact tangent
    if backend == "pardiso":
        single = getattr(settings, "pardiso_precision", "mixed") == "mixed"
        parts["factor"] = copies * factor_gb(n_dof, single)
    elif backend == "direct":
        parts["factor"] = copies * LU_FACTOR * factor_gb(n_dof)
    else:
        parts["amg"] = copies * amg_gb(nnz)
    return MemoryEstimate(model.name, n_dof, nnz, backend, parts)


def amg_gb(nnz: int) -> float:
    """The AMG hierarchy: the power law fitted up to the largest calibrated model, linear in nnz
    beyond (smoothed aggregation's memory is O(n); extending the power law to a 1.14M-DOF TET10
    cantilever forecast 23 GB where 6.0 GB was measured, bench/README.md "Solve scaling")."""
    r = nnz / AMG_NNZ_AT
    return AMG_GB_AT * (r ** AMG_P if r <= 1.0 else r)


def check_enabled(settings) -> bool:
    env = os.environ.get(ENV_CHECK, "").strip().lower()
    if env in ("0", "off", "no", "false"):
        return False
    return bool(getattr(settings, "memory_check", True))


def check(model, settings) -> MemoryEstimate | None:
    """Refuse (MemoryRiskError) a solve whose estimate exceeds SAFETY x the available memory."""
    if not check_enabled(settings):
        return None
    est = estimate(model, settings)
    avail = available_gb()
    if est.total_gb <= SAFETY * avail:
        return est
    parts = ", ".join(f"{k} {v:.2f}" for k, v in est.parts_gb.items())
    advice = ["a coarser mesh (larger size_mm; with a direct factor the need grows faster than "
              + "the DOF count)"]
    if est.backend != "amg":
        amg = estimate(model, settings, "amg").total_gb
        advice.append(f"--backend amg (estimated {amg:.1f} GB, slower on stiff constructs)")
    advice.append("a machine with more free memory")
    raise MemoryRiskError(
        f"model '{est.model}': {est.n_dof} DOF would need an estimated {est.total_gb:.1f} GB with "
        f"the {est.backend} solver ({parts} GB) but only {avail:.1f} GB is available. Use "
        + "; or ".join(advice) + f". To try anyway: --no-memory-check (or {ENV_CHECK}=off)."
    )
