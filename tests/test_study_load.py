"""Load: a study of 100+ cases runs to completion in one process with bounded memory, and a mesh
of 1M+ DOF is refused up front with its estimated need when it would not fit.

The 100-case study is the tiny bar (TET4, studyfiles) on a 25-point grid x 4 load cases, run
in-process (`--workers 0`: nothing is handed back to the OS by a worker exiting), with the RSS
read after every case. Bounds: no RSS after case 20 exceeds the largest one up to case 20 by
RSS_GROWTH_MB, and the fitted slope over cases 20-100 stays under MAX_SLOPE_MB per case (measured:
flat to 1 MB; before PARDISO factors were freed, 1 MB per variant: 0.25 MB per case here;
docs/studies.md "Memory")."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
from studyfiles import write_files

from fea.cli import main

N_GRID = 25  # x 4 load cases = 100 cases
LOADCASES = ("flexion", "extension", "flexion_2", "extension_2")
RSS_GROWTH_MB = 15.0
MAX_SLOPE_MB = 0.1


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_100_case_study_runs_with_bounded_memory(tmp_path, monkeypatch, capsys):
    from fea.study import worker

    nus = ", ".join(f"{v:.4f}" for v in np.linspace(0.20, 0.35, N_GRID))
    root = tmp_path / "in"
    study = write_files(root, variants='["base"]',
                        extra=f'[models.grid]\n"materials.ti.nu" = [{nus}]')
    for name in LOADCASES[2:]:  # two more load cases: the same loads under other names
        base = (root / f"{name[:-2]}.toml").read_text()
        (root / f"{name}.toml").write_text(base.replace(f'"{name[:-2]}"', f'"{name}"', 1))
    text = study.read_text().replace('["flexion.toml", "extension.toml"]',
                                     str([f"{n}.toml" for n in LOADCASES]).replace("'", '"'))
    study.write_text(text)
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
    assert len(rows) == len(profile) == len(LOADCASES) * N_GRID
    assert all(r["status"] == "done" for r in rows)
    growth = profile[-1] - max(profile[:20])
    peak_growth = max(profile[20:]) - max(profile[:20])
    line = " ".join(f"{v:.0f}" for v in profile)
    print(f"\nRSS after each case (MB): {line}\ngrowth case 20 -> 100: {growth:+.1f} MB, "
          f"peak after case 20 over the peak before: {peak_growth:+.1f} MB")
    (tmp_path / "rss_profile.json").write_text(json.dumps(profile))
    assert peak_growth < RSS_GROWTH_MB, f"memory grows with the case count: {line}"
    # and no steady per-case slope (a leak too small to pass the bound in 80 cases)
    slope = np.polyfit(np.arange(20, len(profile)), profile[20:], 1)[0]
    assert slope < MAX_SLOPE_MB, f"RSS slope {slope:.2f} MB per case: {line}"
