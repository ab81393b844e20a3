"""Studies end to end from the command line: outputs, resume after SIGKILL, failing cases."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from studyfiles import assert_same_summary, write_files

from fea.cli import main

ROOT = Path(__file__).resolve().parents[1]


def rows_of(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_tiny_study_end_to_end(tmp_path, capsys):
    study = write_files(tmp_path / "in", extra='[models.grid]\n"materials.ti.nu" = [0.3, 0.2]')
    out = tmp_path / "results" / "tiny"
    assert main(["run", str(study), "--out", str(out), "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "variants ranked by rom_deg" in printed and f"report: {out / 'report.html'}" in printed
    rows = rows_of(out / "summary.csv")
    assert {(r["variant"], r["loadcase"]) for r in rows} == {
        (v, lc) for v in ("bar+nu=0.3", "bar+nu=0.2", "bar.soft+nu=0.3", "bar.soft+nu=0.2")
        for lc in ("flexion", "extension")}
    assert all(r["status"] == "done" and r["converged"] == "True" for r in rows)
    # the softer bar rotates more, by the modulus ratio (linear, same mesh)
    rom = {(r["variant"], r["loadcase"]): float(r["rom_deg"]) for r in rows}
    assert rom[("bar.soft+nu=0.3", "flexion")] / rom[("bar+nu=0.3", "flexion")] == \
        pytest.approx(110000 / 20000, rel=1e-6)
    record = json.loads((out / "study.json").read_text())
    for v in ("bar+nu=0.3", "bar.soft+nu=0.2"):
        case = out / v / "flexion"
        assert (case / "result.vtu").stat().st_size > 0
        summary = json.loads((case / "summary.json").read_text())
        assert summary["provenance"]["input_hash"] == record["cases"][f"{v}/flexion"]["input_hash"]
    assert record["status"] == "complete" and record["counts"]["done"] == 8
    assert record["versions"]["dependencies"]["numpy"] and record["machine"]["cpus"]
    assert record["code"]["source_sha"] and record["variants"]["bar+nu=0.2"]["grid"] == {
        "materials.ti.nu": 0.2}
    assert set(record["timings_s"]) >= {"mesh_s", "setup_s", "solve_s", "write_s", "total_s"}
    html = (out / "report.html").read_text()
    assert "bar.soft+nu=0.2" in html and "Study tiny" in html
    log = (out / "study.log").read_text()
    assert "bar+nu=0.3/flexion: solving" in log
    # one mesh for the four variants (materials only differ): three cache hits
    hits = [g["timings"]["mesh_cache_hit"] for g in record["groups"].values()]
    assert sorted(hits) == [0.0, 1.0, 1.0, 1.0]


def test_rerun_keeps_finished_cases_and_redoes_changed_ones(tmp_path):
    study = write_files(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-figures", "-q"]) == 0
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("*/*/summary.json")}
    assert len(stamps) == 4
    lc = tmp_path / "in" / "extension.toml"
    lc.write_text(lc.read_text().replace("1.5, 0.0, 0.0", "1.0, 0.0, 0.0"))
    assert main(["run", str(study), "--out", str(out), "--no-figures", "-q"]) == 0
    now = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in stamps}
    kept = {p.parent.name for p in stamps if now[p] == stamps[p]}
    redone = {p.parent.name for p in stamps if now[p] != stamps[p]}
    assert kept == {"flexion"} and redone == {"extension"}
    record = json.loads((out / "study.json").read_text())
    moment = json.loads((out / "bar" / "extension" / "summary.json").read_text())
    assert moment["metrics"]["stability"]["moment_Nm"] == pytest.approx(1.0)
    assert record["cases"]["bar/flexion"]["status"] == "done"


def test_failing_cases_are_reported_and_the_others_finish(tmp_path, capsys):
    # an impossible parameter (a negative modulus) fails one grid point at validation; a load
    # case naming a reference point the model lacks fails inside the solve loop
    study = write_files(tmp_path / "in", variants='["base"]',
                        loadcases=("flexion", "typo"),
                        extra='[models.grid]\n"materials.ti.E_MPa" = [110000.0, -5.0]')
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-figures"]) == 1
    captured = capsys.readouterr()
    text = " ".join((captured.out + captured.err).split())
    assert "FAILED bar+E_MPa=-5/flexion" in text and "greater than 0" in text
    assert "FAILED bar+E_MPa=110000/typo" in text and "no reference point named 'lod'" in text
    rows = {(r["variant"], r["loadcase"]): r for r in rows_of(out / "summary.csv")}
    assert rows[("bar+E_MPa=110000", "flexion")]["status"] == "done"
    for key in [("bar+E_MPa=-5", "flexion"), ("bar+E_MPa=-5", "typo"),
                ("bar+E_MPa=110000", "typo")]:
        assert rows[key]["status"] == "failed" and rows[key]["converged"] == "False"
        assert rows[key]["flags"].startswith("FAILED: ")
    assert "lod" in rows[("bar+E_MPa=110000", "typo")]["flags"]
    record = json.loads((out / "study.json").read_text())
    assert record["counts"] == {"total": 4, "done": 1, "not_converged": 0, "failed": 3}
    assert "greater than 0" in record["cases"]["bar+E_MPa=-5/flexion"]["error"]
    # a failed case leaves its reason on disk, never a summary.json that looks finished
    failed = out / "bar+E_MPa=110000" / "typo"
    assert (failed / "error.txt").exists() and not (failed / "summary.json").exists()
    assert "failed" in (out / "report.html").read_text().lower()
    assert "lod" in (out / "study.log").read_text()


def _snapshot(case: Path) -> dict:
    return {p.relative_to(case): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in case.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_sigkill_midway_then_rerun_completes_without_recomputing(tmp_path):
    # the first variant is coarse and fast; the second meshes and solves a finer bar, so the
    # kill lands after the first case finished and before the last one did
    study = write_files(tmp_path / "in", variants='["base"]', extra=(
        '[[models]]\nfile = "bar.toml"\nname = "fine"\nvariants = ["soft"]\nsize_mm = 1.2\n'))
    out, ref = tmp_path / "killed", tmp_path / "uninterrupted"
    cmd = [sys.executable, str(ROOT / "run_sim.py"), "run", str(study), "--out", str(out),
           "--no-figures", "-q"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    first = out / "bar" / "flexion" / "summary.json"
    deadline = time.monotonic() + 120
    while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert first.exists(), "the study was killed before its first case finished"
    # pathlib's "*" also matches hidden names: a kill after a case's staging folder
    # (.<case>.partial-*) got its summary.json but before the rename would count it as finished
    finished = sorted(p.parent for p in out.glob("*/*/summary.json")
                      if not any(part.startswith(".") for part in p.relative_to(out).parts))
    assert len(finished) < 4, "every case finished before the kill; nothing to resume"
    before = {c: _snapshot(c) for c in finished}
    assert main(["run", str(study), "--out", str(out), "--no-figures", "-q"]) == 0
    for case, files in before.items():
        assert _snapshot(case) == files, f"{case} was recomputed"
    assert len(list(out.glob("*/*/summary.json"))) == 4
    assert not list(out.glob("*/.*partial*")), "a killed run's staging folder is left"
    record = json.loads((out / "study.json").read_text())
    assert record["status"] == "complete"
    assert main(["run", str(study), "--out", str(ref), "--no-figures", "-q"]) == 0
    assert_same_summary(out / "summary.csv", ref / "summary.csv")


def test_zero_case_grid_is_an_error(tmp_path):
    study = write_files(tmp_path, extra='[models.grid]\n"materials.ti.E_MPa" = []')
    assert main(["run", str(study), "--out", str(tmp_path / "o"), "-q"]) == 1
    assert not (tmp_path / "o").exists()


def test_convergence_runs_a_finer_mesh_and_reports_changes(tmp_path):
    study = write_files(tmp_path / "in", variants='["base"]', loadcases=("flexion",),
                        extra_study="", extra="")
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-figures", "-q",
                 "--convergence"]) == 0
    coarse = json.loads((out / "bar" / "flexion" / "summary.json").read_text())
    fine = json.loads((out / ".convergence" / "bar" / "flexion" / "summary.json").read_text())
    assert fine["mesh"]["n_cells"] > 1.5 * coarse["mesh"]["n_cells"]  # 0.7 x the size
    rows = {r["metric"]: r for r in rows_of(out / "convergence.csv")}
    rom_c = coarse["metrics"]["stability"]["rom_deg"]
    rom_f = fine["metrics"]["stability"]["rom_deg"]
    assert float(rows["rom_deg"]["change_pct"]) == pytest.approx(
        100 * abs(rom_f - rom_c) / max(rom_c, rom_f), abs=1e-3)
    assert not any(m.startswith("solver_") for m in rows)
    record = json.loads((out / "study.json").read_text())
    assert record["convergence"]["n_flagged"] == sum(r["flagged"] == "True" for r in rows.values())
    # the fine cases are not cases of the study's own table
    assert [r["variant"] for r in rows_of(out / "summary.csv")] == ["bar"]
