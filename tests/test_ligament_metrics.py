"""Ligament metrics through the solve command: per-ligament force against its failure force in
summary.json metrics, the flag when it is exceeded, and the study columns."""

import json
from pathlib import Path

import pytest

from fea.cli import main
from fea.metrics.columns import flat_row

ROOT = Path(__file__).resolve().parents[1]


def _solve(tmp_path, failure_N):
    text = (ROOT / "models/examples/cantilever.toml").read_text() + f"""
[[ligaments]]
name = "tip_spring"
from = "xmax"
to = "ground"
law = "linear"
stiffness_N_per_mm = 150.0
direction = [0, 0, -1]
failure_force_N = {failure_N}
"""
    model = tmp_path / f"m{failure_N:g}.toml"
    model.write_text(text)
    out = tmp_path / f"out{failure_N:g}"
    rc = main(["solve", str(model), "-l", str(ROOT / "loadcases/examples/tip_shear.toml"),
               "-o", str(out), "-q"])
    return rc, json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("failure_N", [1.0, 1000.0])
def test_ligament_force_against_failure_in_metrics_flags_and_columns(tmp_path, failure_N):
    rc, s = _solve(tmp_path, failure_N)
    assert rc == 0 and s["converged"]
    force = s["ligaments"][0]["force_N"]
    assert force > 1.0  # the spring takes a share of the 100 N tip load
    m = s["metrics"]["ligaments"]["tip_spring"]
    assert m["force_N"] == pytest.approx(force, rel=1e-12)
    assert m["force_to_failure"] == pytest.approx(force / failure_N, rel=1e-12)
    flagged = [f for f in s["metrics"]["flags"] if "tip_spring" in f]
    assert bool(flagged) == (force >= failure_N), s["metrics"]["flags"]
    row = flat_row(s["metrics"])
    assert row["ligament_force_N@tip_spring"] == pytest.approx(force, rel=1e-12)
    assert row["ligament_force_to_failure_max"] == pytest.approx(force / failure_N, rel=1e-12)
