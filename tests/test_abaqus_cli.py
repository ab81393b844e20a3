"""The command line with decks: `solve deck.inp` end to end, and `export` to a deck."""

from __future__ import annotations

import json
from pathlib import Path

import meshio
import numpy as np

from fea.abaqus import read_deck
from fea.cli import main
from fea.config import load_loadcase, load_model
from fea.linsolve import SolverSettings
from fea.static import solve

DATA = Path(__file__).parent / "data" / "abaqus"
DIRECT = SolverSettings(backend="direct")


def test_solve_deck_end_to_end(tmp_path):
    out = tmp_path / "case"
    deck = DATA / "cantilever_tet10.inp"
    assert main(["solve", str(deck), "--out", str(out), "--backend", "direct", "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["converged"] and [s["step"] for s in summary["steps"]] == ["bend", "more"]
    assert sorted(p.name for p in (out / "steps").iterdir()) == ["01_bend.vtu", "02_more.vtu"]
    vtu = meshio.read(out / "result.vtu")
    d = read_deck(deck)
    ref = solve(d.model, d.loadcase, DIRECT)
    u_ref = ref.displacement()
    order = np.searchsorted(d.model.mesh.node_ids, vtu.point_data["node_id"])
    u_vtu = vtu.point_data["displacement"]
    # tolerance 1e-12 relative: the same solve, written to VTU and read back
    assert np.abs(u_vtu - u_ref[order]).max() <= 1e-12 * np.abs(u_ref).max()
    assert summary["steps"][-1]["max_displacement_mm"] == np.linalg.norm(u_ref, axis=1).max()


def test_export_toml_model_to_deck(tmp_path):
    model_file, lc_file = DATA / "cantilever_tet10.toml", DATA / "cantilever_tet10_lc.toml"
    deck_path = tmp_path / "exported.inp"
    assert main(["export", str(model_file), "--loadcase", str(lc_file), "--out",
                 str(deck_path), "-q"]) == 0
    deck = read_deck(deck_path)
    assert deck.model.name == "exported" and len(deck.loadcase.steps) == 2
    r_deck = solve(deck.model, deck.loadcase, DIRECT)
    r_toml = solve(load_model(model_file), load_loadcase(lc_file), DIRECT)
    u_deck, u_toml = r_deck.displacement(), r_toml.displacement()
    assert np.abs(u_deck - u_toml).max() <= 1e-10 * np.abs(u_toml).max()  # 1e-10 relative


def test_export_refuses_other_suffix_and_names_it(tmp_path, capsys):
    code = main(["export", str(DATA / "cantilever_tet10.inp"), "--out",
                 str(tmp_path / "deck.txt")])
    assert code == 1
    assert "deck.txt" in capsys.readouterr().err
    assert not (tmp_path / "deck.txt").exists()


def test_solve_reports_bad_deck_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.inp"
    bad.write_text((DATA / "cantilever_tet10.inp").read_text().replace("TYPE=C3D10", "TYPE=C3D8H"))
    assert main(["solve", str(bad), "--out", str(tmp_path / "out"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "C3D8H" in err and "line" in err and "Traceback" not in err


# libraries a linear deck solve has no use for; each cost 0.1-0.8 s of start-up when one crept
# onto the solve path (issue 18: scipy.spatial came back with fea.metrics, pydantic with the
# model schema)
NOT_ON_SOLVE_PATH = ("scipy.spatial", "scipy.optimize", "scipy.stats", "pydantic", "gmsh",
                     "pyvista", "vtk", "matplotlib", "dask", "distributed", "pyamg")


def test_deck_solve_loads_no_plotting_meshing_or_cluster_library(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from fea.cli import main; "
            f"rc = main(['solve', {str(DATA / 'cantilever_tet10.inp')!r}, '--out', "
            f"{str(tmp_path / 'case')!r}, '-q']); "
            "print(rc, ' '.join(sorted(m for m in sys.modules if '.' not in m or "
            "m.startswith('scipy.'))))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parent.parent, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    rc, *loaded = run.stdout.strip().split("\n")[-1].split()
    loaded = set(loaded)
    assert rc == "0"
    assert "scipy.sparse" in loaded  # the list is the solve's own modules
    found = sorted({n for n in NOT_ON_SOLVE_PATH for m in loaded
                    if m == n or m.startswith(n + ".")})
    assert not found, f"imported by a deck solve: {found}"
