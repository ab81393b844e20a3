"""The same study run in this process, in local worker processes and on a Dask cluster gives the
same summary; worker processes are limited to their share of the cores."""

from __future__ import annotations

import json
import sys

import pytest
from studyfiles import assert_same_summary, write_files

from fea.study.executors import threads_per_worker
from fea.study.runner import RunOptions, run_study


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    study = write_files(root / "in", extra='[models.grid]\n"materials.ti.nu" = [0.3, 0.2]')
    out = root / "serial"
    res = run_study(study, RunOptions(out=out, workers=0, quiet=True, figures=False))
    assert res.exit_code == 0
    return study, out


def test_dask_local_cluster_gives_the_serial_summary(serial, tmp_path):
    from distributed import LocalCluster

    from fea.cli import main

    study, ref = serial
    out = tmp_path / "dask"
    # in-process workers keep the test light; the address goes through the command line as a
    # user's tcp://HOST:8786 would
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        code = main(["run", str(study), "--out", str(out), "--scheduler",
                     cluster.scheduler_address, "--no-figures", "-q"])
    assert code == 0
    assert_same_summary(out / "summary.csv", ref / "summary.csv")
    record = json.loads((out / "study.json").read_text())
    assert record["execution"] == {"mode": "dask", "scheduler": cluster.scheduler_address}
    assert {c["status"] for c in record["cases"].values()} == {"done"}


@pytest.mark.slow
def test_worker_processes_give_the_serial_summary_with_their_share_of_threads(serial, tmp_path):
    study, ref = serial
    out = tmp_path / "procs"
    res = run_study(study, RunOptions(out=out, workers=2, quiet=True, figures=False))
    assert res.exit_code == 0
    assert_same_summary(out / "summary.csv", ref / "summary.csv")
    groups = json.loads((out / "study.json").read_text())["groups"]
    assert {g["numba_threads"] for g in groups.values()} == {threads_per_worker(2)}
    if sys.version_info >= (3, 11):  # each variant in a fresh process (memory returned)
        assert len({g["pid"] for g in groups.values()}) == len(groups) == 4


def test_threads_per_worker():
    assert threads_per_worker(2, cpus=2) == 1
    assert threads_per_worker(3, cpus=16) == 5
    assert threads_per_worker(8, cpus=2) == 1
