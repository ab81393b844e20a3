"""Out-of-memory risk: the estimate before assembly, the refusal with a message that says what to
do, the overrides, and a 1M+ DOF mesh refused up front (fake available memory, no real solve)."""

from __future__ import annotations

import gc
import time
from types import SimpleNamespace

import numpy as np
import pytest
from synthetic_study import block_model

from fea import memcheck
from fea.cli import main
from fea.linsolve import SolverSettings
from fea.loading import prescribed_map
from fea.materials import LinearElastic
from fea.mesh import Mesh
from fea.model import Model, Section, Support
from fea.static import StaticAnalysis

# measured peaks (bench/calibrate_memory.py, box; docs/studies.md "Memory"); "pardiso" is the
# default single-precision factor, "pardiso-double" the double one
MEASURED = [(18807, 10, "pardiso", 0.30), (54384, 10, "pardiso", 0.57),
            (131307, 10, "pardiso", 1.26), (239589, 10, "pardiso", 2.42),
            (329460, 10, "pardiso", 3.48), (51414, 4, "pardiso", 0.45), (117819, 4, "pardiso", 0.90),
            (18807, 10, "pardiso-double", 0.32), (54384, 10, "pardiso-double", 0.69),
            (131307, 10, "pardiso-double", 1.72), (239589, 10, "pardiso-double", 3.42),
            (329460, 10, "pardiso-double", 5.22), (54384, 10, "amg", 0.44),
            (131307, 10, "amg", 1.03), (239589, 10, "amg", 2.14),
            (51414, 4, "pardiso-double", 0.57), (117819, 4, "pardiso-double", 1.28)]


def fake_model(n_dof: int, order: int = 10, interfaces=()):
    mesh = SimpleNamespace(nodes_per_cell=order, n_nodes=n_dof // 3)
    return SimpleNamespace(name="fake", mesh=mesh, n_full=n_dof, interfaces=list(interfaces))


@pytest.mark.parametrize("dof,order,backend,peak_gb", MEASURED)
def test_estimate_matches_the_measured_peaks(dof, order, backend, peak_gb):
    backend, _, precision = backend.partition("-")
    settings = SolverSettings(backend=backend, pardiso_precision=precision or "mixed")
    est = memcheck.estimate(fake_model(dof, order), settings)
    assert peak_gb * 0.95 <= est.total_gb <= peak_gb * 1.15


def test_estimate_grows_faster_for_a_factor_and_doubles_it_with_contact():
    s = SolverSettings(backend="pardiso")
    small, big = (memcheck.estimate(fake_model(n), s).parts_gb["factor"] for n in (1e5, 1e6))
    assert big / small > 10 * 1.2  # super-linear fill
    contact = memcheck.estimate(fake_model(10**5, interfaces=["i"]), s).parts_gb["factor"]
    assert contact == pytest.approx(2 * small)
    amg = memcheck.estimate(fake_model(10**6), SolverSettings(backend="amg"))
    assert "amg" in amg.parts_gb and amg.total_gb < memcheck.estimate(fake_model(10**6), s).total_gb


def test_available_memory_sources(monkeypatch):
    monkeypatch.delenv(memcheck.ENV_AVAILABLE, raising=False)
    real = memcheck.available_gb()
    assert 0 < real < 1e4
    monkeypatch.setenv(memcheck.ENV_AVAILABLE, "3.5")
    assert memcheck.available_gb() == 3.5
    monkeypatch.setenv(memcheck.ENV_AVAILABLE, "lots")
    with pytest.raises(memcheck.FeaError, match="FEA_AVAILABLE_MEMORY_GB='lots'"):
        memcheck.available_gb()


def grid_model(n: int) -> Model:
    """A TET4 cube of n^3 hexahedra (6 tets each), built without any per-element Python loop and
    without face sets: enough for the check, which runs before anything else is looked at."""
    x = np.arange(n + 1, dtype=float)
    X, Y, Z = np.meshgrid(x, x, x, indexing="ij")
    nodes = np.stack([X.ravel(), Y.ravel(), Z.ravel()], 1)
    idx = np.arange(len(nodes)).reshape(n + 1, n + 1, n + 1)
    i, j, k = (a.ravel() for a in np.meshgrid(*(np.arange(n),) * 3, indexing="ij"))
    c = [idx[i + a, j + b, k + d] for a, b, d in
         [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]]
    tets = [(0, 1, 2, 6), (0, 2, 3, 6), (0, 3, 7, 6), (0, 7, 4, 6), (0, 4, 5, 6), (0, 5, 1, 6)]
    cells = np.vstack([np.stack([c[a], c[b], c[e], c[d]], 1) for a, b, e, d in tets])
    mesh = Mesh(nodes, cells, cell_sets={"body": np.arange(len(cells))})
    return Model("big_cube", mesh, {"ti": LinearElastic("ti", 110000.0, 0.3)},
                 [Section("body", "ti")], supports=[Support("xmin")])


def test_a_million_dof_mesh_is_refused_up_front(monkeypatch):
    model = grid_model(69)  # 70^3 nodes = 1 029 000 DOF, 2M TET4
    assert model.n_full > 10**6
    monkeypatch.setenv(memcheck.ENV_AVAILABLE, "12")
    t = time.perf_counter()
    with pytest.raises(memcheck.MemoryRiskError) as exc:
        StaticAnalysis(model, SolverSettings(backend="pardiso"))
    msg = str(exc.value)
    assert time.perf_counter() - t < 5.0  # before assembly (which alone takes far longer)
    est = memcheck.estimate(model, SolverSettings(backend="pardiso"))
    assert est.total_gb > 12
    for part in ("model 'big_cube'", "1029000 DOF", f"{est.total_gb:.1f} GB",
                 "12.0 GB is available", "coarser mesh", "--backend amg", "--no-memory-check",
                 "FEA_MEMORY_CHECK=off"):
        assert part in msg, (part, msg)
    # auto picks AMG above pardiso_max_dof: that fits in 12 GB, but not in 4
    assert memcheck.check(model, SolverSettings()).backend == "amg"
    monkeypatch.setenv(memcheck.ENV_AVAILABLE, "4")
    with pytest.raises(memcheck.MemoryRiskError, match="with the amg solver"):
        memcheck.check(model, SolverSettings())
    del model
    gc.collect()


def test_overrides_skip_the_check(monkeypatch):
    model = block_model()
    monkeypatch.setenv(memcheck.ENV_AVAILABLE, "0.01")
    with pytest.raises(memcheck.MemoryRiskError, match="model 'block'"):
        StaticAnalysis(model, SolverSettings())
    an = StaticAnalysis(model, SolverSettings(memory_check=False))
    an.system_for(prescribed_map(model, model.supports))
    monkeypatch.setenv(memcheck.ENV_CHECK, "off")
    StaticAnalysis(model, SolverSettings())


SMALL = """
[model]
name = "bar"
[mesh]
builder = "box"
params = { lx_mm = 10.0, ly_mm = 10.0, lz_mm = 20.0 }
size_mm = 5.0
element_order = 1
[materials.ti]
E_MPa = 110000.0
nu = 0.3
[[sections]]
cell_set = "body"
material = "ti"
[[supports]]
set = "zmin"
"""

LOAD = """
[loadcase]
name = "push"
[[steps]]
name = "push"
[[steps.loads]]
surface = "zmax"
total_force_N = [0.0, 0.0, -10.0]
"""


def test_solve_command_refuses_without_output_and_obeys_the_option(tmp_path, monkeypatch, capsys):
    (tmp_path / "m.toml").write_text(SMALL)
    (tmp_path / "lc.toml").write_text(LOAD)
    out = tmp_path / "out"
    monkeypatch.setenv(memcheck.ENV_AVAILABLE, "0.05")
    args = ["solve", str(tmp_path / "m.toml"), "-l", str(tmp_path / "lc.toml"), "-o", str(out),
            "-q"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "model 'bar'" in err and "GB is available" in err and "--no-memory-check" in err
    assert not out.exists()  # refused before anything was written
    assert main(args + ["--no-memory-check"]) == 0
    assert (out / "summary.json").exists()


def test_study_fails_the_refused_variant_with_the_message(tmp_path, monkeypatch, capsys):
    from studyfiles import write_files

    study = write_files(tmp_path / "in", variants='["base"]', loadcases=("flexion",))
    monkeypatch.setenv(memcheck.ENV_AVAILABLE, "0.05")
    monkeypatch.setenv(memcheck.ENV_CHECK, "on")  # undone after the test (run sets it to off)
    out = tmp_path / "results"
    assert main(["run", str(study), "--out", str(out), "--no-figures", "--workers", "0",
                 "-q"]) == 1
    capsys.readouterr()
    failed = (out / "bar" / "flexion" / "error.txt").read_text()
    assert "model 'bar'" in failed and "GB is available" in failed
    assert not (out / "bar" / "flexion" / "summary.json").exists()
    assert main(["run", str(study), "--out", str(out), "--no-figures", "--workers", "0", "-q",
                 "--no-memory-check"]) == 0
    assert (out / "bar" / "flexion" / "summary.json").exists()
