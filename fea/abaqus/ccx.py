"""Running CalculiX (`ccx`) on a deck and reading the displacements it prints (.dat file).

Used by the cross-check test against ccx and by benchmarks. ccx prints *NODE PRINT results with
seven significant digits, which bounds any comparison at about 1e-6 relative.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FeaError

_HEADER = re.compile(r"^\s*displacements \(vx,vy,vz\) for set (\S+) and time\s+(\S+)", re.M)


@dataclass
class CcxRun:
    dat: Path
    wall_s: float
    log: str


def ccx_executable() -> str | None:
    return shutil.which("ccx")


def run_ccx(deck: str | Path, threads: int = 2, timeout: float = 600.0) -> CcxRun:
    """Run `ccx -i <job>` in the deck's folder; error with the end of its log if it fails."""
    exe = ccx_executable()
    if exe is None:
        raise FeaError("CalculiX 'ccx' is not on PATH (Debian package calculix-ccx)")
    deck = Path(deck)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), CCX_NPROC_EQUATION_SOLVER=str(threads))
    t = time.perf_counter()
    proc = subprocess.run([exe, "-i", deck.stem], cwd=deck.parent, env=env, capture_output=True,
                          text=True, timeout=timeout)
    wall = time.perf_counter() - t
    log = proc.stdout + proc.stderr
    dat = deck.with_suffix(".dat")
    if proc.returncode != 0 or "*ERROR" in log or not dat.exists():
        tail = "\n".join(log.strip().splitlines()[-15:])
        raise FeaError(f"ccx failed on {deck} (exit {proc.returncode}):\n{tail}")
    return CcxRun(dat, wall, log)


def read_dat_displacements(dat: str | Path) -> list[tuple[str, float, np.ndarray, np.ndarray]]:
    """Every displacement table of a .dat file: (set name, time, node labels, (k, 3) values)."""
    text = Path(dat).read_text()
    heads = list(_HEADER.finditer(text))
    out = []
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[m.end():end]
        nums = re.findall(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", body, re.M)
        arr = np.array(nums, dtype=float).reshape(-1, 4)
        out.append((m.group(1), float(m.group(2)), arr[:, 0].astype(np.int64), arr[:, 1:]))
    return out
