"""Measure the peak memory of a linear solve against fea.memcheck's estimate.

    python bench/calibrate_memory.py [--backend pardiso|amg] [--order 2] SIZE_MM ...

A box 100 x 40 x 40 mm (TET10 by default), clamped at xmin, shear at xmax, meshed once into a
mesh file, then loaded and solved in a fresh child process whose peak RSS (ru_maxrss: mesh read,
assembly, constraints, solver set-up and solve) is compared with the estimate. Prints one line per
size: DOF, nnz of K, estimated and measured peak (GB). Keep the sizes under ~8 GB on a shared box.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time
import numpy as np
from fea.mesh_cache import load_mesh
from fea.materials import LinearElastic
from fea.model import LoadCase, Model, Section, Step, Support, Traction
from fea.linsolve import SolverSettings
from fea.static import StaticAnalysis
from fea import memcheck

mesh = load_mesh(sys.argv[1])
model = Model("box", mesh, {"ti": LinearElastic("ti", 110000.0, 0.3)}, [Section("body", "ti")],
              supports=[Support("xmin")])
lc = LoadCase("shear", [Step("s", [Traction("xmax", np.array([0.0, 0.0, 1.0]))])])
settings = SolverSettings(backend=sys.argv[2], memory_check=False)
est = memcheck.estimate(model, settings)
t = time.perf_counter()
an = StaticAnalysis(model, settings)
res = an.run(lc)
cons, solver = next(iter(an._cache.values()))
factor_nnz = None
if solver.backend == "pardiso":
    factor_nnz = solver._pardiso.factor_nnz
print(json.dumps({"dof": int(len(cons.free)), "nnz": int(cons.Kr.nnz),
                  "factor_nnz": factor_nnz, "backend": solver.backend,
                  "converged": bool(res.converged), "wall_s": time.perf_counter() - t,
                  "estimate_gb": est.total_gb,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""


def measure(size: float, backend: str, order: int, workdir: Path) -> dict:
    from fea.geometry import primitives
    from fea.mesh_cache import save_mesh

    path = workdir / f"box_{size}_{order}.npz"
    if not path.exists():
        save_mesh(path, primitives.box(100.0, 40.0, 40.0, size, order))
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), backend], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", type=float, nargs="+", help="element sizes (mm)")
    ap.add_argument("--backend", default="pardiso")
    ap.add_argument("--order", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for s in args.sizes:
            r = measure(s, args.backend, args.order, Path(tmp))
            print(json.dumps({"size_mm": s, **r}), flush=True)


if __name__ == "__main__":
    main()
