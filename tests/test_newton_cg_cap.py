"""The Newton driver's cap on a PCG run with a stale factor (issue 18): once a PCG on a factor
made for another contact status has cost about one refactorisation, the tangent is factored and
the PCG goes on from its iterate. The converged answer must not depend on it, and the cap must
follow the timing rule (refactorisation time / time per CG iteration, at least rebuild_after)."""

import numpy as np
import pytest
from contact_helpers import PRESS_PULL, press_pull_model, stacked_blocks

from fea.contact.term import ContactAnalysis, ContactSettings
from fea.model import LoadCase, Pressure, Step
from fea.newton import NewtonAnalysis, _System


def _model(mesh):
    return press_pull_model(mesh, "cap")


LC = PRESS_PULL


@pytest.fixture(scope="module")
def mesh():
    return stacked_blocks(0.5, 2, conforming=False, size_upper=0.4)


def _run(mesh, cap, monkeypatch):
    an = ContactAnalysis(_model(mesh), contact=ContactSettings(
        cap_stale_cg=cap is not None, interface_solver="refactor"))
    caps = []
    # keep every factor until a PCG says otherwise (at this size the cost rule would refresh it
    # on each status change, so no PCG would ever see a stale one)
    monkeypatch.setattr(NewtonAnalysis, "_stale_check", lambda self, sysd, *a: sysd.prec)
    if cap is not None:
        real = NewtonAnalysis._cg_cap

        def forced(self, sysd, status):  # a tiny cap: every stale PCG runs out and rebuilds
            c = real(self, sysd, status)
            caps.append(c)
            return None if c is None else cap

        monkeypatch.setattr(NewtonAnalysis, "_cg_cap", forced)
    res = an.run(LC)
    return an, res, caps


def test_capped_pcg_gives_the_same_answer(mesh, monkeypatch):
    an0, res0, _ = _run(mesh, None, monkeypatch)
    an1, res1, caps = _run(mesh, 1, monkeypatch)
    assert res0.converged and res1.converged
    assert any(c is not None for c in caps), "no stale PCG: the test exercises nothing"
    u0, u1 = res0.displacement(), res1.displacement()
    # both solve to the same force tolerance; the answers agree far inside what the tests of
    # the friction solution ask (5 % of the slip against CalculiX)
    assert np.abs(u1 - u0).max() <= 1e-5 * np.abs(u0).max()
    # running out of the cap factors the current tangent: more rebuilds than without it
    assert an1.timings.get("preconditioner_rebuilds", 0) > an0.timings.get(
        "preconditioner_rebuilds", 0)


class _Prec:
    backend = "pardiso"
    refactor_s = 2.0
    setup_s = 5.0


def test_cap_follows_the_refactorisation_time(mesh):
    an = ContactAnalysis(_model(mesh))
    an.run(LoadCase("press", [Step("press", [Pressure("upper_zmax", 1.0)])]))
    sysd = next(iter(an._systems.values()))
    sysd.prec = _Prec()
    built = np.ones(len(an.contact.w), int)
    sysd.built_for = built
    sysd.last_its, sysd.last_cg_s = 10, 0.05  # 5 ms per CG iteration
    assert an._cg_cap(sysd, built.copy()) is None  # a factor of this very status: no cap
    moved = built.copy()
    moved[0] = 2
    assert an._cg_cap(sysd, moved) == 400  # 2 s refactorisation / 5 ms
    sysd.last_cg_s = 10.0  # 1 s per iteration: never fewer than rebuild_after
    assert an._cg_cap(sysd, moved) == an.ns.rebuild_after
    an.ns.cap_stale_cg = False
    assert an._cg_cap(sysd, moved) is None
