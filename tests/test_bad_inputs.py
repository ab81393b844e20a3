"""The bad-input catalogue (tests/bad_inputs/, see its README.md): every case runs through the
command line (in process) and must exit non-zero with a message that names the file, key or
entity and says what is wrong or what to do, and leave no result folder that looks finished."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import tomllib

from fea.cli import main

CATALOGUE = Path(__file__).parent / "bad_inputs"
COMMON = CATALOGUE / "_common"
CASE_KEYS = {"what", "args", "edits", "names", "says", "exit", "out", "generate", "keep"}
# what a finished result looks like: a case folder, a study, a mesh report or an exported deck
FINISHED = {"summary.json", "summary.csv", "report.html", "study.json", "mesh_report.json",
            "interfaces.vtu", "convergence.csv"}
FINISHED_SUFFIXES = {".vtu", ".inp", ".png"}


def _cases() -> list[str]:
    return sorted(p.name for p in CATALOGUE.iterdir() if (p / "case.toml").is_file())


# ------------------------------------------------------------ generated inputs
def _gen_inverted_tet10(work: Path) -> None:
    """A TET10 bar (written as a gmsh-free Abaqus mesh file) with one element's corners swapped,
    so it is inside out; its id is 7."""
    from helpers import structured_box

    m = structured_box((1, 1, 2), size=(10.0, 10.0, 20.0)).to_tet10()
    cells = m.cells.copy()
    cells[6] = cells[6][[0, 2, 1, 3, 6, 5, 4, 7, 9, 8]]  # swap corners 1, 2 and their edges
    lines = ["** TET10 bar with one inverted element (id 7)", "*NODE, NSET=NALL"]
    lines += [f"{i + 1}, {x:.6g}, {y:.6g}, {z:.6g}" for i, (x, y, z) in enumerate(m.nodes)]
    lines.append("*ELEMENT, TYPE=C3D10, ELSET=body")
    lines += [f"{e + 1}, " + ", ".join(str(n + 1) for n in c) for e, c in enumerate(cells)]
    base = np.flatnonzero(np.isclose(m.nodes[:, 2], 0.0)) + 1
    lines += ["*NSET, NSET=zmin", ", ".join(map(str, base))]
    (work / "bar_tet10.inp").write_text("\n".join(lines) + "\n")


GENERATORS = {"inverted_tet10": _gen_inverted_tet10}


# ------------------------------------------------------------ the test
def _prepare(case: Path, work: Path) -> dict:
    spec = tomllib.loads((case / "case.toml").read_text())
    unknown = set(spec) - CASE_KEYS
    assert not unknown, f"{case.name}/case.toml: unknown keys {sorted(unknown)}"
    assert spec.get("what") and spec.get("args") and spec.get("names") and spec.get("says"), \
        f"{case.name}/case.toml needs what, args, names and says"
    shutil.copytree(COMMON, work, dirs_exist_ok=True)
    for f in case.iterdir():
        if f.is_dir():
            shutil.copytree(f, work / f.name)
        elif f.name != "case.toml":
            shutil.copy(f, work / f.name)
    for e in spec.get("edits", []):
        p = work / e["file"]
        text = p.read_text()
        assert e["old"] in text, f"{case.name}: edit of {e['file']}: {e['old']!r} not found"
        p.write_text(text.replace(e["old"], e["new"], 1))
    if "generate" in spec:
        GENERATORS[spec["generate"]](work)
    return spec


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


def _finished(work: Path, out: Path, before: set[Path]) -> list[str]:
    """Files the run left under `out` that look like a finished result."""
    out_rel = out.resolve().relative_to(work.resolve())
    new = [p for p in _files(work) - before if out_rel in (p, *p.parents)]
    return [str(p) for p in new if p.name in FINISHED or p.suffix in FINISHED_SUFFIXES
            or p == out_rel]


@pytest.mark.parametrize("name", _cases())
def test_bad_input(name, tmp_path, monkeypatch, capsys):
    work = tmp_path / name
    spec = _prepare(CATALOGUE / name, work)
    monkeypatch.chdir(work)
    before = _files(work)
    top = {p.name for p in work.iterdir()}
    try:
        rc = main(list(spec["args"]))
    except SystemExit as exc:  # argparse refuses a bad option value (exit status 2)
        rc = exc.code
    cap = capsys.readouterr()
    msg = " ".join((cap.err + "\n" + cap.out).split())  # the console may wrap long lines
    assert rc != 0, f"{name}: exit status 0\n{msg}"
    if "exit" in spec:
        assert rc == spec["exit"], f"{name}: exit status {rc}\n{msg}"
    assert "Traceback" not in msg, msg
    for pattern in spec["names"] + spec["says"]:
        assert re.search(pattern, msg), f"{name}: /{pattern}/ not in the message:\n{msg}"
    left = _finished(work, work / spec.get("out", "out"), before)
    assert not left, f"{name}: finished-looking output left: {left}"
    # .cache holds the mesh cache that mesh and solve fill on purpose (a valid mesh is reusable)
    staging = [n for n in {p.name for p in work.iterdir()} - top
               if n.startswith(".") and n != ".cache"]
    assert not staging, f"{name}: staging folders left: {staging}"
    for keep in spec.get("keep", []):  # the user's files that an output folder must not eat
        assert (work / keep).is_file(), f"{name}: {keep} was removed"


def test_catalogue_is_complete():
    """At least 30 cases, each folder with a case.toml, none unused."""
    cases = _cases()
    assert len(cases) >= 30, len(cases)
    stray = [p.name for p in CATALOGUE.iterdir()
             if p.is_dir() and p.name != "_common" and p.name not in cases]
    assert not stray, f"folders without case.toml: {stray}"
