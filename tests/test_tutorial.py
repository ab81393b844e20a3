"""The README's patient tutorial ("Patient geometry (tutorial)"), every command as written: its
shell blocks and its model file are read from README.md itself, so the two cannot drift. The
solve must converge and answer like a flexion: in equilibrium, C1 turning forward."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from fea.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _tutorial() -> tuple[list[list[str]], str]:
    """(the tutorial's shell lines in order, split into words; its TOML block)."""
    text = (ROOT / "README.md").read_text()
    start = text.index("## Patient geometry (tutorial)")
    section = text[start:text.index("\n## ", start + 1)]
    blocks = re.findall(r"```(sh|toml)\n(.*?)```", section, re.S)
    tomls = [b for kind, b in blocks if kind == "toml"]
    assert len(tomls) == 1
    lines = [shlex.split(line, comments=True) for kind, b in blocks if kind == "sh"
             for line in b.splitlines()]
    return [w for w in lines if w], tomls[0]


def test_the_docs_tutorial_states_the_same_model():
    """docs/patient_geometry.md repeats the tutorial's model file: the same model."""
    import tomllib

    _, readme = _tutorial()
    doc = (ROOT / "docs/patient_geometry.md").read_text()
    doc = doc.split("## Patient models from CT")[0]  # the STL tutorial; the CT one follows
    (docs,) = re.findall(r"```toml\n(.*?)```", doc, re.S)
    a, b = tomllib.loads(readme), tomllib.loads(docs)
    for d in (a, b):
        d["model"].pop("description", None)
    assert a == b


@pytest.mark.slow
def test_readme_patient_tutorial_runs_and_converges(tmp_path, monkeypatch):
    commands, toml = _tutorial()
    # the tutorial runs from a folder beside the repository's models/ and loadcases/
    for d in ("models", "loadcases"):
        (tmp_path / d).symlink_to(ROOT / d)
    monkeypatch.chdir(tmp_path)
    wrote_model = False
    for words in commands:
        if words[:2] == ["mkdir", "patient_demo"] and words[2:] == ["&&", "cd", "patient_demo"]:
            (tmp_path / "patient_demo").mkdir()
            monkeypatch.chdir(tmp_path / "patient_demo")
            continue
        assert words[0] == "spinefea", f"a tutorial line this test does not know: {words}"
        if words[2] == "patient_avb.toml" and not wrote_model:
            Path("patient_avb.toml").write_text(toml)  # "in the same folder"
            wrote_model = True
        assert main(words[1:]) == 0, words
    assert wrote_model and [w[1] for w in commands if w[0] == "spinefea"] == [
        "mesh", "mesh", "solve"]

    summary = json.loads(Path("flexion/summary.json").read_text())
    assert summary["converged"] is True
    last = summary["steps"][-1]
    eq = last["equilibrium"]
    assert eq["force_rel_error"] < 1e-6 and eq["moment_rel_error"] < 1e-6
    assert eq["applied_moment_Nmm"] == pytest.approx([-1500.0, 0.0, 0.0])
    load = last["ref_points"]["load"]
    # flexion: a moment about -x turns C1 about -x, its top forward (+y, anterior)
    rx, ry, rz = load["rotation_deg"]
    assert rx < -0.5 and abs(ry) < 0.1 * abs(rx) and abs(rz) < 0.1 * abs(rx)
    assert load["displacement_mm"][1] > 0
    # the AVB is held by its tied interfaces (screw fixation) on both bones
    for name in ("AVB-C3", "AVB-C1"):
        assert summary["interfaces"][name]["tied_nodes"] > 100, name
