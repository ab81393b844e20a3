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


# ---- contact cross-checks ---------------------------------------------------------------------
# Our exporter writes `PRESSURE-OVERCLOSURE=LINEAR` with a slope K of 1000 E/h (frictionless) or
# 10 E/h (friction) and a stick slope of K / 100 (fea.abaqus.writer). ccx 2.20 reduces HARD to a
# linear penalty K = 50 x (E of the first material) and takes a stick slope of K / 100: for
# E = 1000 MPa an elastic "stick" slip of tau / 500 mm. A cross-check can state both penalties
# explicitly.

_BEHAVIOR = re.compile(r"^\*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=(?:HARD\n|LINEAR\n[^*\n]*\n)",
                       re.M | re.I)
_FRICTION = re.compile(r"^\*FRICTION\n([^,\n]+)(?:,[^\n]*)?\n", re.M | re.I)
_TOTAL = re.compile(r"^\s*total force \(fx,fy,fz\) for set (\S+) and time\s+(\S+)\s*\n\s*\n?"
                    r"\s*(\S+)\s+(\S+)\s+(\S+)\s*$", re.M)


def with_contact_penalty(text: str, pressure_slope: float, stick_slope: float) -> str:
    """An exported deck whose contact pairs use ccx's linear penalty `pressure_slope` (N/mm^3,
    pressure per overclosure) and, where there is friction, the stick slope `stick_slope` (N/mm^3,
    shear stress per elastic slip). Errors if the deck has no contact behaviour to replace."""
    text, n = _BEHAVIOR.subn("*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=LINEAR\n"
                             f"{pressure_slope:.8g}\n", text)
    if n == 0:
        raise FeaError("no '*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=...' in the deck")
    return _FRICTION.sub(lambda m: f"*FRICTION\n{m.group(1)}, {stick_slope:.8g}\n", text)


def with_step_output(text: str, request: str) -> str:
    """The deck with `request` (keyword lines, e.g. '*NODE PRINT, NSET=X, TOTALS=ONLY\\nRF\\n')
    added to every step."""
    if "*END STEP\n" not in text:
        raise FeaError("the deck has no '*END STEP' line")
    return text.replace("*END STEP\n", request + "*END STEP\n")


def read_dat_totals(dat: str | Path) -> list[tuple[str, float, np.ndarray]]:
    """Every 'total force' line of a .dat file (*NODE PRINT, TOTALS=ONLY/YES with RF):
    (set name, time, (3,) force)."""
    return [(m.group(1), float(m.group(2)), np.array([float(m.group(k)) for k in (3, 4, 5)]))
            for m in _TOTAL.finditer(Path(dat).read_text())]
