"""Result folders: a re-run replaces only the tool's own files (manifest.json) and refuses, with
the list, when anything else is there (nothing deleted); output files share one mode (umask);
no .lock is left behind."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from studyfiles import write_files

from fea.cli import main

ROOT = Path(__file__).resolve().parents[1]
COMMON = ROOT / "tests" / "bad_inputs" / "_common"


def _solve(out: Path, capsys=None) -> int:
    return main(["solve", str(COMMON / "bar.toml"), "--loadcase", str(COMMON / "flexion.toml"),
                 "--out", str(out), "-q"])


def test_rerun_keeps_user_files_by_refusing_and_replaces_its_own(tmp_path, capsys):
    out = tmp_path / "flexion"
    assert _solve(out) == 0
    own = json.loads((out / "manifest.json").read_text())["files"]
    assert {"summary.json", "result.vtu"} <= set(own)
    assert all((out / f).exists() for f in own)
    first = (out / "summary.json").stat().st_ino
    # the issue: my_notes.txt beside the results was deleted by the re-run
    (out / "my_notes.txt").write_text("patient 12: check C1 screw length\n")
    (out / "steps" / "mine.csv").write_text("1,2\n")
    assert _solve(out) != 0
    err = capsys.readouterr().err
    assert "my_notes.txt" in err and "steps/mine.csv" in err and "never deletes" in err
    assert (out / "my_notes.txt").read_text().startswith("patient 12")
    assert (out / "summary.json").stat().st_ino == first  # the earlier result untouched too
    # without them, the re-run replaces the folder (own files only, none left over)
    (out / "my_notes.txt").unlink()
    (out / "steps" / "mine.csv").unlink()
    assert _solve(out) == 0
    assert (out / "summary.json").stat().st_ino != first


def test_folder_of_unrelated_files_is_refused_the_same_way(tmp_path, capsys):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert _solve(out) != 0
    assert "notes.txt" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_folder_from_before_manifests_is_still_replaceable(tmp_path):
    # a case folder written by an earlier version (no manifest): its known names are the tool's
    from fea import manifest

    out = tmp_path / "old"
    (out / "steps").mkdir(parents=True)
    for f in ("summary.json", "result.vtu", "steps/01_preload.vtu"):
        (out / f).write_text("{}")
    assert manifest.foreign(out) == []
    (out / "notes.txt").write_text("mine")
    assert manifest.foreign(out) == ["notes.txt"]
    (out / "notes.txt").unlink()
    assert _solve(out) == 0 and (out / "manifest.json").exists()


def test_study_rerun_refuses_a_case_folder_with_user_files(tmp_path, capsys):
    study = write_files(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "-q"]) == 0
    case = out / "bar" / "extension"
    # figures written after the case folder was swapped in are recorded as the tool's own
    figs = json.loads((case / "manifest.json").read_text())["files"]
    assert any(f.startswith("figures/") for f in figs)
    assert not (out / ".lock").exists()
    (case / "my_notes.txt").write_text("mine")
    lc = tmp_path / "in" / "extension.toml"
    lc.write_text(lc.read_text().replace("1.5, 0.0, 0.0", "1.0, 0.0, 0.0"))  # extension re-runs
    assert main(["run", str(study), "--out", str(out), "--no-figures", "-q"]) != 0
    assert "bar/extension: my_notes.txt" in capsys.readouterr().err
    assert (case / "my_notes.txt").exists()
    assert not (out / ".lock").exists()
    (case / "my_notes.txt").unlink()
    assert main(["run", str(study), "--out", str(out), "--no-figures", "-q"]) == 0


def test_outputs_share_one_mode_that_respects_the_umask(tmp_path):
    study = write_files(tmp_path / "in")
    out = tmp_path / "out"
    old = os.umask(0o027)  # group may read, others nothing
    try:
        assert main(["run", str(study), "--out", str(out), "--no-figures", "-q"]) == 0
    finally:
        os.umask(old)
    files = [out / "summary.csv", out / "report.html", out / "study.json",
             out / "bar" / "flexion" / "summary.json", out / "bar" / "flexion" / "result.vtu",
             out / "bar" / "flexion" / "manifest.json"] + sorted(out.glob("bar/flexion/steps/*"))
    modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files}
    assert set(modes.values()) == {0o640}, modes
    for d in (out / "bar" / "flexion", out / "bar" / "flexion" / "steps"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o750, d


def test_no_lock_file_is_left_and_a_running_study_still_excludes_another(tmp_path, capsys):
    from fea.study.workspace import LOCK, locked

    study = write_files(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-figures", "-q"]) == 0
    assert not (out / LOCK).exists()
    with locked(out):  # while one run holds the folder, another is refused
        assert (out / LOCK).exists()
        assert main(["run", str(study), "--out", str(out), "--no-figures", "-q"]) != 0
        assert "is being written by pid" in capsys.readouterr().err
    assert not (out / LOCK).exists()
