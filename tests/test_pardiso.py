"""Mixed-precision PARDISO (fea/pardiso.py + fea/linsolve.py): the single-precision factor
polished by CG gives the double-precision answer, and the factor is redone in double when
single precision is too coarse for the matrix."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import aslinearoperator
from helpers import one_material_model, structured_box

from fea import linsolve
from fea.linsolve import LinearSolver, SolverSettings, pardiso_available
from fea.model import LoadCase, Step, Support, Traction
from fea.pardiso import PardisoCholesky, PardisoError
from fea.static import solve

pytestmark = pytest.mark.skipif(not pardiso_available(), reason="MKL PARDISO not available")


def spd(n=300, seed=1, cond=1e3):
    rng = np.random.default_rng(seed)
    A = sp.random(n, n, density=0.02, random_state=seed)
    A = A @ A.T + sp.diags(np.geomspace(1.0, cond, n)[rng.permutation(n)])
    return A.tocsr()


def test_factor_solves_one_and_several_right_hand_sides():
    A = spd()
    B = np.random.default_rng(2).standard_normal((A.shape[0], 3))
    exact = np.linalg.solve(A.toarray(), B)
    double = PardisoCholesky(A, single=False)
    assert np.abs(double.solve(B) - exact).max() < 1e-12 * np.abs(exact).max()
    assert np.abs(double.solve(B[:, 1]) - exact[:, 1]).max() < 1e-12 * np.abs(exact).max()
    single = PardisoCholesky(A, single=True)
    err = np.abs(single.solve(B) - exact).max() / np.abs(exact).max()
    assert 1e-9 < err < 1e-4  # single precision: visibly not exact, still ~6 digits
    assert double.factor_nnz > 0 and single.factor_nnz == double.factor_nnz


def test_refactor_on_the_same_pattern_reuses_the_analysis_and_refuses_another():
    A = spd()
    f = PardisoCholesky(A, single=False)
    A2 = A.copy()
    A2.data = A2.data * (1.0 + np.random.default_rng(3).random(A2.nnz))  # new values ...
    A2 = (A2 + A2.T).tocsr()  # ... still symmetric, same pattern
    assert np.array_equal(A2.indices, (A + A.T).tocsr().indices)
    f2 = PardisoCholesky(A + A.T, single=False)
    assert f2.refactor(A2)
    b = np.arange(A.shape[0], dtype=float)
    exact = np.linalg.solve(A2.toarray(), b)
    assert np.abs(f2.solve(b) - exact).max() < 1e-12 * np.abs(exact).max()
    other = spd(seed=5)  # another pattern: nothing is done, the old factor still solves
    assert not f.refactor(other)
    ref = np.linalg.solve(A.toarray(), b)
    assert np.abs(f.solve(b) - ref).max() < 1e-12 * np.abs(ref).max()
    solver = LinearSolver(A + A.T, None, SolverSettings(backend="pardiso"))
    assert solver.refactor(A2) and solver.refactor_s > 0
    x, its = solver.pcg(aslinearoperator(A2), b, rtol=1e-12)
    assert its <= 3 and np.abs(x - exact).max() < 1e-9 * np.abs(exact).max()


def test_not_positive_definite_is_a_named_error():
    A = spd().tolil()
    A[5, 5] = -1e6
    with pytest.raises(PardisoError, match="not positive definite"):
        PardisoCholesky(A.tocsr(), single=False)


def test_mixed_precision_matches_double_on_a_cantilever():
    # 12 x 3 x 3 TET4 bar, tip shear: mixed and double agree to the CG tolerance
    model = one_material_model(structured_box((12, 3, 3), (12.0, 3.0, 3.0)), E=110000.0)
    model.supports.append(Support("xmin"))
    lc = LoadCase("shear", [Step("s", [Traction("xmax", np.array([0.0, 0.0, 1.0]))])])
    runs = {p: solve(model, lc, SolverSettings(backend="pardiso", pardiso_precision=p))
            for p in ("mixed", "double")}
    u = {p: r.displacement() for p, r in runs.items()}
    assert runs["mixed"].final.solve.factor_precision == "single"
    assert runs["double"].final.solve.factor_precision == "double"
    assert runs["mixed"].final.solve.residual < 1e-7
    assert np.abs(u["mixed"] - u["double"]).max() < 1e-7 * np.abs(u["double"]).max()


def test_stalling_cg_factors_again_in_double(monkeypatch):
    # CG preconditioned by the single-precision factor gains ~6 digits per step: with a budget
    # of one step it cannot reach 1e-13, so the solver factors in double and finishes there
    monkeypatch.setattr(linsolve, "MIXED_MAX_CG", 1)
    A = spd(cond=1e6)
    b = A @ np.ones(A.shape[0])
    solver = LinearSolver(A, None, SolverSettings(backend="pardiso", rtol=1e-13))
    assert solver.factor_precision == "single"
    x, info = solver.solve(b)
    assert info.factor_precision == "double"
    assert info.residual < 1e-12
    assert np.abs(x - 1.0).max() < 1e-9


def test_not_positive_definite_in_single_falls_back_to_double():
    # a chain of unit springs anchored by a 1e-9 spring: SPD, condition ~1e12; in single
    # precision its last pivot (~1e-9 out of O(1) terms) is lost
    n = 200
    main = np.full(n, 2.0)
    main[-1] = 1.0
    main[0] = 1.0 + 1e-9
    A = sp.diags([main, -np.ones(n - 1), -np.ones(n - 1)], [0, 1, -1], format="csr")
    b = A @ np.linspace(1.0, 2.0, n)
    solver = LinearSolver(A, None, SolverSettings(backend="pardiso"))
    solver.condition_estimate()
    x, info = solver.solve(b)
    assert info.factor_precision == "double"
    assert info.converged and np.abs(x - np.linspace(1.0, 2.0, n)).max() < 1e-3


def test_refactor_that_single_precision_cannot_take_goes_to_double(monkeypatch):
    # PARDISO's phase 22 reporting -4 (not positive definite in single precision) is forced:
    # matrices that are SPD in double and not in single get there through rounding alone
    A = spd()
    solver = LinearSolver(A, None, SolverSettings(backend="pardiso"))
    assert solver.factor_precision == "single"

    def not_spd(self, K):
        self.free()
        raise PardisoError(22, -4)

    monkeypatch.setattr(PardisoCholesky, "refactor", not_spd)
    A2 = (A * 2.0).tocsr()
    assert solver.refactor(A2) and solver.factor_precision == "double"
    b = np.arange(A.shape[0], dtype=float)
    exact = np.linalg.solve(A2.toarray(), b)
    x, its = solver.pcg(aslinearoperator(A2), b, rtol=1e-12)
    assert its <= 2 and np.abs(x - exact).max() < 1e-10 * np.abs(exact).max()


def test_interface_pcg_that_stalls_on_a_single_factor_goes_on_with_a_double_one():
    # the interface solver's PCG on its tangent: one step with the single factor cannot reach
    # 1e-13, the second attempt with a double factor does
    A = spd(cond=1e6)
    b = A @ np.ones(A.shape[0])
    solver = LinearSolver(A, None, SolverSettings(backend="pardiso"))
    x, its = solver.pcg(A, b, rtol=1e-13, maxiter=1)
    assert solver.factor_precision == "double" and its == 2
    assert np.linalg.norm(b - A @ x) < 1e-12 * np.linalg.norm(b)


def test_a_dropped_solver_frees_its_factor_without_the_cycle_collector():
    # no reference cycle through the solver: its factor goes with the last reference, not at
    # some later cyclic collection (a contact run once held 13 factors, 18 GB, that way)
    A = spd()
    gc.disable()
    try:
        solver = LinearSolver(A, None, SolverSettings(backend="pardiso"))
        solver.solve(A @ np.ones(A.shape[0]))
        solver.condition_estimate()
        factor = weakref.ref(solver._pardiso)
        del solver
        assert factor() is None
    finally:
        gc.enable()
