"""Load: a study of 100+ cases runs to completion in one process with bounded memory, and a mesh
of 1M+ DOF is refused up front with its estimated need when it would not fit.

The 100-case study is the tiny bar (TET4, studyfiles) on a 50-point grid x 2 load cases, run
in-process (`--workers 0`: nothing is handed back to the OS by a worker exiting), with the RSS
read after every case. Bound: the resident set after case 100 exceeds the largest one up to case
20 by less than RSS_GROWTH_MB (measured: see docs/studies.md "Memory")."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
from studyfiles import write_files

from fea.cli import main

N_GRID = 50  # x 2 load cases = 100 cases
RSS_GROWTH_MB = 50.0


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_100_case_study_runs_with_bounded_memory(tmp_path, monkeypatch, capsys):
    from fea.study import worker

    nus = ", ".join(f"{v:.4f}" for v in np.linspace(0.20, 0.35, N_GRID))
    study = write_files(tmp_path / "in", variants='["base"]',
                        extra=f'[models.grid]\n"materials.ti.nu" = [{nus}]')
    profile: list[float] = []
    run_case = worker._run_case

    def measured(*args, **kw):
        out = run_case(*args, **kw)
        profile.append(rss_mb())
        return out

    monkeypatch.setattr(worker, "_run_case", measured)
    out = tmp_path / "results"
    assert main(["run", str(study), "--out", str(out), "--no-figures", "--workers", "0",
                 "--quiet"]) == 0
    with open(out / "summary.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(profile) == 2 * N_GRID
    assert all(r["status"] == "done" for r in rows)
    growth = profile[-1] - max(profile[:20])
    peak_growth = max(profile[20:]) - max(profile[:20])
    line = " ".join(f"{v:.0f}" for v in profile)
    print(f"\nRSS after each case (MB): {line}\ngrowth case 20 -> 100: {growth:+.1f} MB, "
          f"peak after case 20 over the peak before: {peak_growth:+.1f} MB")
    (tmp_path / "rss_profile.json").write_text(json.dumps(profile))
    assert peak_growth < RSS_GROWTH_MB, f"memory grows with the case count: {line}"
    # and no steady per-case slope: a leak of ~0.3 MB a case would show over 80 cases
    slope = np.polyfit(np.arange(20, len(profile)), profile[20:], 1)[0]
    assert slope < 0.3, f"RSS slope {slope:.2f} MB per case: {line}"
