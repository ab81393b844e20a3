"""Numerical honesty: a solve that did not converge, or an ill-conditioned one, says so in every
output (summary.json, summary.csv, study.json, the compare table, report.html) and is never
ranked among the good cases. Non-convergence is forced cheaply: one CG iteration for the linear
residual check, one Newton step per increment (no cut-back) for the interface solver."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from contact_helpers import BLOCKS_MODEL_TOML, stacked_blocks
from helpers import structured_box
from studyfiles import write_files
from synthetic_study import block_model, loadcase

from fea.cli import main
from fea.linsolve import SolverSettings
from fea.materials import LinearElastic
from fea.model import LoadCase, Model, Section, Step, Support, Traction
from fea.results import write_case
from fea.solve_case import case_metrics_hook, solve_case
from fea.static import solve
from fea.summary_table import rank, read_summary_csv

# the stacked-block model (contact_helpers), loaded through a reference point
BLOCKS = BLOCKS_MODEL_TOML + """[ref_points.load]
position_mm = [1.0, 1.0, 1.0]
coupling = "kinematic"
surface = "upper_zmax"
"""


def test_linear_residual_check_flags_the_case(tmp_path):
    # one CG iteration cannot reach the residual tolerance: the check after the solve catches it
    # (enough DOFs that the AMG hierarchy is not a single exact coarse solve)
    model = block_model(n=(8, 8, 10))
    result = solve(model, loadcase("flexion"), SolverSettings(backend="amg", maxiter=1))
    assert not result.converged
    assert all(s.solve.residual > 1e-6 for s in result.states if not s.converged)
    out = solve_case(model, loadcase("flexion"), SolverSettings(backend="amg", maxiter=1))
    summary = write_case(out.result, tmp_path / "case", out.writers, out.extra,
                         case_metrics_hook(out))
    on_disk = json.loads((tmp_path / "case" / "summary.json").read_text())
    assert summary["converged"] is False and on_disk["converged"] is False
    assert "relative residual" in on_disk["not_converged"]
    assert not on_disk["increments"][0]["converged"]
    assert "not converged" in on_disk["metrics"]["flags"]
    # the same model with the default iteration budget converges (the check is not spurious)
    assert solve(model, loadcase("flexion"), SolverSettings(backend="amg")).converged


def two_material_bar(E_soft: float) -> Model:
    mesh = structured_box((6, 2, 2), (6.0, 1.0, 1.0))
    xc = mesh.nodes[mesh.cells].mean(axis=1)[:, 0]
    mesh.cell_sets = {"stiff": np.flatnonzero(xc < 3.0), "soft": np.flatnonzero(xc >= 3.0)}
    mats = {"ti": LinearElastic("ti", 110000.0, 0.3), "soft": LinearElastic("soft", E_soft, 0.3)}
    return Model("bar2", mesh, mats, [Section("stiff", "ti"), Section("soft", "soft")],
                 supports=[Support("xmin")])


@pytest.mark.parametrize("backend", ["direct", "pardiso"])
def test_ill_conditioning_is_estimated_and_flagged(tmp_path, backend):
    if backend == "pardiso":
        from fea.linsolve import pardiso_available

        if not pardiso_available():
            pytest.skip("MKL PARDISO not available")
    lc = LoadCase("pull", [Step("s", [Traction("xmax", np.array([0.0, 0.0, 1e-4]))])])
    fine = solve_case(two_material_bar(1000.0), lc, SolverSettings(backend=backend))
    assert fine.result.final.solve.condition_estimate < 1e8 and not fine.result.warnings
    # a region 1e8 times softer than titanium: K q = b can no longer be trusted to 1e-4
    bad = solve_case(two_material_bar(1e-3), lc, SolverSettings(backend=backend))
    cond = bad.result.final.solve.condition_estimate
    assert cond > 1e12
    if backend == "pardiso":  # mixed precision: a single-precision factor only while it is safe
        assert fine.result.final.solve.factor_precision == "single"
        assert bad.result.final.solve.factor_precision == "double"
    summary = write_case(bad.result, tmp_path / "case", bad.writers, bad.extra,
                         case_metrics_hook(bad))
    assert summary["steps"][-1]["solver"]["condition_estimate"] == pytest.approx(cond)
    (warning,) = summary["warnings"]
    assert "ill-conditioned" in warning and "nearly free body" in warning
    assert any("ill-conditioned" in f for f in summary["metrics"]["flags"])


def test_non_converged_contact_case_is_flagged_everywhere_and_never_ranked(tmp_path, capsys):
    """A bonded bar and a frictional two-block model in one study; the interface solver gets one
    Newton step per increment and no cut-back, so every blocks case stops not converged."""
    root = tmp_path / "in"
    root.mkdir()
    stacked_blocks(0.7, 1, conforming=True, write_to=root / "blocks.msh")
    (root / "blocks.toml").write_text(BLOCKS)
    study = write_files(root, variants='["base", "soft"]',
                        extra='\n[[models]]\nfile = "blocks.toml"\n',
                        extra_study="\n[solver.contact]\nmax_newton = 1\nmax_cutbacks = 0\n")
    out = tmp_path / "results"
    code = main(["run", str(study), "--out", str(out), "--no-figures", "--workers", "0"])
    assert code == 3  # results written, a case not converged
    printed = capsys.readouterr().out
    bad = [("blocks", lc) for lc in ("flexion", "extension")]
    for v, lc in bad:  # summary.json
        s = json.loads((out / v / lc / "summary.json").read_text())
        assert s["converged"] is False and "residual" in s["not_converged"]
        assert "not converged" in s["metrics"]["flags"]
    record = json.loads((out / "study.json").read_text())  # study.json
    assert {k: c["status"] for k, c in record["cases"].items() if k.startswith("blocks/")} == {
        "blocks/flexion": "not_converged", "blocks/extension": "not_converged"}
    with open(out / "summary.csv", newline="") as fh:  # summary.csv
        rows = {(r["variant"], r["loadcase"]): r for r in csv.DictReader(fh)}
    for key, r in rows.items():
        good = key[0] != "blocks"
        assert r["converged"] == str(good) and r["status"] == ("done" if good else "not_converged")
    ranking = rank(read_summary_csv(out / "summary.csv"), "rom_deg")  # the ranking
    assert [e["variant"] for e in ranking["ranked"]] == ["bar", "bar.soft"]
    (unranked,) = ranking["unranked"]
    assert unranked["variant"] == "blocks" and "not converged" in unranked["reason"]
    assert "not ranked" in printed and "blocks" in printed.split("not ranked")[1]
    # compare: the table lists the blocks apart, flagged, never with a rank number
    assert main(["compare", str(out)]) == 0
    table = capsys.readouterr().out
    blocks_lines = [ln for ln in table.splitlines() if "blocks" in ln or "NOT CONVERGED" in ln]
    assert any("unranked" in ln for ln in blocks_lines) and any(
        "NOT CONVERGED" in ln for ln in blocks_lines)
    assert not any(ln.strip().startswith(("1 ", "2 ", "3 ")) and "blocks" in ln
                   for ln in table.splitlines())
    html = (out / "report.html").read_text()  # report.html
    assert "2 not converged" in html and "NOT CONVERGED: blocks / flexion" in html
    assert "not ranked: not converged" in html
