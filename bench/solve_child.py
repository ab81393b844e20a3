#!/usr/bin/env python
"""Child process of the solve benchmarks: one library solve of a deck, timed by phase.

    python bench/solve_child.py DECK.inp --backend pardiso|amg [--save-u U.npy]
    python bench/solve_child.py DECK.inp --analyse      # PARDISO's own memory forecast only

Prints one JSON line. The parent (benchlib.run_child) measures wall, CPU and peak RSS of the
whole process, so Python start-up and imports are included there and itemised here.
`--analyse` runs assembly, constraints and PARDISO's analysis phase (ordering and symbolic
factorisation, phase 11) and reports the memory PARDISO says the factorisation will need
(iparm 15-17), without factoring: how we measure the need of a system too big to factor here
(fea's own memory check is off in this mode; a solve keeps it on and may be refused by it).
"""

from __future__ import annotations

import argparse
import json
import time

T0 = time.perf_counter()

import numpy as np  # noqa: E402

import fea.static as static  # noqa: E402
from fea.abaqus import read_deck  # noqa: E402
from fea.linsolve import SolverSettings  # noqa: E402
from fea.loading import prescribed_map  # noqa: E402


def pardiso_memory(ip) -> dict:
    """PARDISO's report after its analysis phase (MKL iparm, 1-based: 15 peak of the analysis,
    16 permanent, 17 factorisation, all kB; 18 non-zeros of the factor)."""
    peak_kb = max(int(ip[14]), int(ip[15]) + int(ip[16]))
    return {"analysis_peak_GB": ip[14] / 2**20, "permanent_GB": ip[15] / 2**20,
            "factor_GB": ip[16] / 2**20, "peak_GB": peak_kb / 2**20, "factor_nnz": int(ip[17])}


class AnalyseOnly:
    """Stands in for LinearSolver: PARDISO phase 11 on the reduced matrix, no factorisation."""

    def __init__(self, K, near_null, settings):
        from fea.pardiso import PardisoCholesky

        t = time.perf_counter()
        f = PardisoCholesky(K, single=settings.pardiso_precision == "mixed", factor=False)
        self.report = {"n_dof": K.shape[0], "nnz_K_upper": len(f._a),
                       "analysis_s": time.perf_counter() - t, **pardiso_memory(f.iparm)}
        f.free()

    def condition_estimate(self):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("deck")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--analyse", action="store_true")
    ap.add_argument("--save-u")
    a = ap.parse_args()
    out = {"import_s": time.perf_counter() - T0}
    t = time.perf_counter()
    deck = read_deck(a.deck)
    model, lc = deck.model, deck.loadcase
    out["read_s"] = time.perf_counter() - t
    out["elements"], out["nodes"] = model.mesh.n_cells, model.mesh.n_nodes
    settings = SolverSettings(backend="pardiso" if a.analyse else a.backend)
    try:  # the library's own forecast of this solve's peak (fea.memcheck, where present)
        from fea import memcheck

        out["fea_estimate_GB"] = memcheck.estimate(model, settings).total_gb
    except ImportError:
        pass
    if a.analyse:
        settings.memory_check = False  # no factorisation here: PARDISO's analysis only
        static.LinearSolver = AnalyseOnly
        an = static.StaticAnalysis(model, settings)
        _, solver = an.system_for(prescribed_map(model, model.supports))
        out.update(an.timings, pardiso=solver.report)
    else:
        an = static.StaticAnalysis(model, settings)
        res = an.run(lc)
        info = res.final.solve
        (cons, solver), = an._cache.values()
        u = res.displacement()
        out.update(an.timings, backend=info.backend, n_dof=info.n_dof, iterations=info.iterations,
                   residual=info.residual, converged=bool(res.converged),
                   solver_setup_s=solver.setup_s, max_u=float(np.abs(u).max()))
        if hasattr(solver, "_pardiso"):
            out["pardiso"] = pardiso_memory(solver._pardiso.iparm)
            out["factor_precision"] = solver.factor_precision
        if a.save_u:
            np.save(a.save_u, np.column_stack([model.mesh.node_ids, u]))
    out["total_s"] = time.perf_counter() - T0
    print(json.dumps(out))


if __name__ == "__main__":
    main()
