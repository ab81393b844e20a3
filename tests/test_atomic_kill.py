"""SIGKILL during a write never corrupts a finished result: a child process rewrites a large file
(and a staged case folder) in a loop and is killed at random moments; the target is always the old
complete content or the new one, never a mix or a truncation. (Resume of a killed study is in
test_study_run.py.)"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fea import atomic
from fea.study.workspace import remove_leftovers

ROOT = Path(__file__).resolve().parents[1]
SIZE = 4 * 2**20  # 4 MB a file: each write (with its fsync) takes a few ms

FILE_LOOP = """
import sys
from fea import atomic
path, n = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
i = 1
while True:
    atomic.write_bytes(path, bytes([65 + i % 2]) * n)  # A, B, A, ...
    i += 1
"""

FOLDER_LOOP = """
import sys
from pathlib import Path
from fea import atomic
path, n = Path(sys.argv[1]), int(sys.argv[2])
print("ready", flush=True)
i = 1
while True:
    with atomic.staged_dir(path) as stage:
        for k in range(3):
            atomic.write_bytes(stage / f"part{k}.bin", bytes([i % 251]) * n)
        atomic.write_json(stage / "summary.json", {"generation": i})  # last, as write_case
    i += 1
"""


def kill_during(script: str, target: Path, delay: float) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-c", script, str(target), str(SIZE)], cwd=ROOT,
                         env=env, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    p.stdout.close()
    assert p.returncode == -signal.SIGKILL


def test_sigkill_mid_write_leaves_old_or_new_file(tmp_path):
    target = tmp_path / "result.bin"
    atomic.write_bytes(target, b"A" * SIZE)  # a finished result
    rng = random.Random(7)
    interrupted = 0
    for _ in range(8):
        kill_during(FILE_LOOP, target, rng.uniform(0.02, 0.4))
        data = target.read_bytes()
        assert len(data) == SIZE and data in (b"A" * SIZE, b"B" * SIZE)
        temps = list(tmp_path.glob(".result.bin.*.tmp"))
        interrupted += bool(temps)
        for t in temps:  # what a killed write leaves: a hidden temporary, never the target
            t.unlink()
    assert interrupted >= 1, "no kill landed inside a write: the test did not test anything"


def test_sigkill_mid_folder_write_leaves_a_complete_folder(tmp_path):
    case = tmp_path / "variant" / "flexion"
    with atomic.staged_dir(case) as stage:
        for k in range(3):
            atomic.write_bytes(stage / f"part{k}.bin", bytes([0]) * SIZE)
        atomic.write_json(stage / "summary.json", {"generation": 0})
    rng = random.Random(11)
    for _ in range(6):
        kill_during(FOLDER_LOOP, case, rng.uniform(0.05, 0.5))
        remove_leftovers(tmp_path)  # what the next run of the study does first
        gen = json.loads((case / "summary.json").read_text())["generation"]
        for k in range(3):  # every part from the same generation as summary.json, complete
            assert (case / f"part{k}.bin").read_bytes() == bytes([gen % 251]) * SIZE
        assert sorted(p.name for p in case.iterdir()) == [
            "manifest.json", "part0.bin", "part1.bin", "part2.bin", "summary.json"]
        assert [p.name for p in case.parent.iterdir()] == ["flexion"]  # no leftovers


def test_folder_swap_killed_between_renames_is_restored(tmp_path, monkeypatch):
    """Without RENAME_EXCHANGE the swap is two renames; a kill between them leaves the finished
    folder only in .<name>.old-*/x. The next run puts it back instead of deleting it."""
    case = tmp_path / "variant" / "flexion"
    with atomic.staged_dir(case) as stage:
        atomic.write_json(stage / "summary.json", {"generation": 0})
    trash = case.parent / ".flexion.old-abc123"
    trash.mkdir()
    os.replace(case, trash / "x")  # the state right after the first rename
    (case.parent / ".flexion.partial-def456").mkdir()  # the new folder, never swapped in
    remove_leftovers(tmp_path)
    assert json.loads((case / "summary.json").read_text()) == {"generation": 0}
    assert [p.name for p in case.parent.iterdir()] == ["flexion"]
    # and the fallback path itself still swaps correctly
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    with atomic.staged_dir(case) as stage:
        atomic.write_json(stage / "summary.json", {"generation": 1})
    assert json.loads((case / "summary.json").read_text()) == {"generation": 1}
    assert [p.name for p in case.parent.iterdir()] == ["flexion"]


def test_exchange_swaps_in_one_step(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "new").touch()
    (b / "old").touch()
    if not atomic._exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) not supported here")
    assert [p.name for p in b.iterdir()] == ["new"] and [p.name for p in a.iterdir()] == ["old"]
