"""The Newton systems solved on the interface (fea.condense, issue 18): a Woodbury update of the
bonded factor instead of refactoring the tangent whenever the contact status moves. The
converged answer must be the refactoring path's, in as many Newton steps, through a solve whose
contact status changes (stick -> slip in the pull, points opening at the edge), and the updated
inverse must be the tangent's inverse."""

import numpy as np
import pytest
import scipy.sparse.linalg as sla
from contact_helpers import PRESS_PULL, press_pull_model, stacked_blocks

from fea.condense import InterfaceCondensation
from fea.contact.law import OPEN, SLIP, STICK
from fea.contact.term import ContactAnalysis, ContactSettings
from fea.errors import FeaError
from fea.linsolve import SolverSettings
from fea.model import LoadCase, Pressure, Step
from fea.newton import _tangent_matrix


@pytest.fixture(scope="module")
def mesh():
    return stacked_blocks(0.5, 2, conforming=False, size_upper=0.4)


@pytest.fixture(scope="module")
def runs(mesh):
    # the refactoring path refactors on every status move (refactor_drift 0): its default rule
    # weighs measured CG time against a factor's, so its iterates, and its Newton count by a
    # step or two, followed the machine's load (25-27 steps in the pull on identical input)
    out = {}
    for mode, kw in (("refactor", {"refactor_drift": 0.0}), ("woodbury", {})):
        an = ContactAnalysis(press_pull_model(mesh, "wb"),
                             contact=ContactSettings(interface_solver=mode, **kw))
        out[mode] = an, an.run(PRESS_PULL)
    return out


def test_woodbury_gives_the_refactoring_answer(runs):
    (an0, r0), (an1, r1) = runs["refactor"], runs["woodbury"]
    assert r0.converged and r1.converged
    # the status moved during the solve: all stuck after the press, slipping in the pull
    press = r1.states[0].terms["contact"]["status"]
    pull = r1.final.terms["contact"]["status"]
    assert (press != SLIP).all() and (pull == SLIP).sum() > 0
    assert set(np.unique(np.concatenate([press, pull]))) <= {OPEN, STICK, SLIP}
    u0, u1 = r0.displacement(), r1.displacement()
    # both stop at the same force, gap (1 nm = 4e-4 of max |u| here) and Coulomb-bound
    # tolerances from iterates that differ by the PCG tolerance: measured 1.1e-6 of max |u|
    assert np.abs(u1 - u0).max() <= 1e-5 * np.abs(u0).max()
    n0 = [s.solve.newton_iterations for s in r0.states]
    n1 = [s.solve.newton_iterations for s in r1.states]
    assert abs(sum(n1) - sum(n0)) <= 1 and all(abs(a - b) <= 1 for a, b in zip(n0, n1))
    # the Woodbury path never refactors the whole tangent; the other does on each status move
    assert an1.timings.get("preconditioner_rebuilds", 0) == 0
    assert an0.timings.get("preconditioner_rebuilds", 0) > 0
    assert an1.timings["interface_factorisations"] >= 1


PRESS = LoadCase("press", [Step("press", [Pressure("upper_zmax", 1.0)])])


def _auto_choice(mesh, **kw):
    an = ContactAnalysis(press_pull_model(mesh, "wb"), contact=ContactSettings(**kw))
    assert an.run(PRESS).converged
    sysd = next(iter(an._systems.values()))
    return an, bool(sysd.condensed)


def test_auto_follows_the_operation_counts(mesh):
    """auto condenses only where the counts say the Woodbury path is cheaper: not on the
    bench's 10k-DOF block pair, whose 2124 interface rows make a dense LU cost 4x its sparse
    factor (auto used to condense it and took 5.0-5.3 s against 2.5-3.4 s), but on a fine bulk
    under a coarse interface (264 points); and never past condense_max_rows."""
    an, used = _auto_choice(mesh)
    est = an.interface_choice[0]
    assert an.ns.interface_solver == "auto" and not used and not est["use"]
    assert est["lu_per_refactor"] > 1
    assert "interface_factorisations" not in an.timings

    coarse_top = stacked_blocks(0.3, 2, conforming=False, size_upper=1.0)
    an, used = _auto_choice(coarse_top)
    est = an.interface_choice[0]
    assert used and est["use"] and est["lu_per_refactor"] < 1
    assert est["woodbury_flops"] <= est["refactor_flops"]
    assert an.timings["interface_rows"] == 3 * len(an.contact.w)
    an, used = _auto_choice(coarse_top, condense_max_rows=3 * len(an.contact.w) - 1)
    assert not used and "interface_factorisations" not in an.timings


def test_bad_interface_solver_is_named():
    with pytest.raises(FeaError, match="interface_solver.*woodbury.*not 'schur'"):
        ContactSettings(interface_solver="schur")


@pytest.mark.parametrize("drift", [0.0, 0.3])
def test_updated_inverse_is_the_tangents_inverse(mesh, drift):
    """K0 + B^T E B solved through the bonded factor against a direct solve of the assembled
    tangent, for contact blocks far from the bonded ones (open, slipping, a raised penalty)."""
    an = ContactAnalysis(press_pull_model(mesh, "wb"), SolverSettings(backend="direct"))
    an.run(PRESS)
    sysd = next(iter(an._systems.values()))
    Kr, B, Db = an._cache[next(iter(an._cache))][0].Kr, sysd.Bq[0], sysd.D_bonded[0]
    rng = np.random.default_rng(1)
    cond = InterfaceCondensation(sysd.base, [(B, Db)], drift=drift)
    r = rng.standard_normal(Kr.shape[0])
    p = len(Db)
    for trial in range(3):
        D = Db.copy()
        pick = rng.random(p)
        D[pick < 0.3] *= 1e-8  # open
        slip = (pick >= 0.3) & (pick < 0.6)
        t = rng.standard_normal((slip.sum(), 2))
        t /= np.linalg.norm(t, axis=1)[:, None]
        D[slip, 1:, 1:] *= 0.5 * (np.eye(2) - t[:, :, None] * t[:, None, :])  # slipping
        if trial == 2:
            D[pick > 0.9] *= 10.0  # a raised penalty
        cond.update([D])
        x = cond.apply(r)
        A = _tangent_matrix(Kr, [B], [cond_blocks(cond, D, Db)])
        ref = sla.spsolve(A.tocsc(), r)
        assert np.linalg.norm(x - ref) <= 1e-8 * np.linalg.norm(ref)
    assert cond.factorisations >= 1


def cond_blocks(cond, D, Db):
    """The blocks the condensation inverts: D where a block moved past its drift since the
    last LU, the last LU's value elsewhere (drift 0: D itself)."""
    return cond.effective_blocks()[0] + Db


def test_factoring_backend_required(mesh):
    an = ContactAnalysis(press_pull_model(mesh, "wb"), SolverSettings(backend="amg"),
                         contact=ContactSettings(interface_solver="woodbury"))
    with pytest.raises(FeaError, match="woodbury.*factoring.*'amg'"):
        an.run(PRESS)

