"""Mesh cache: a miss builds and stores, a hit loads the same mesh without building, a changed
parameter is a different entry, a corrupt entry is reported and rebuilt."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from fea.geometry import primitives
from fea.mesh_cache import MeshCache, cache_key, load_mesh, mesh_hash, save_mesh


@pytest.fixture()
def counting_builder():
    calls = []

    def build(lx=10.0):
        def fn():
            calls.append(lx)
            return primitives.box(lx, 4.0, 3.0, 2.0, 1)

        return fn

    return build, calls


def test_miss_then_hit_returns_identical_mesh(tmp_path, counting_builder):
    build, calls = counting_builder
    cache = MeshCache(tmp_path)
    a = cache.get_or_build("box", {"lx_mm": 10.0}, 2.0, 1, build())
    b = cache.get_or_build("box", {"lx_mm": 10.0}, 2.0, 1, build())
    assert calls == [10.0]  # built once
    assert cache.stats == {"hits": 1, "misses": 1, "corrupt": 0}
    assert mesh_hash(a) == mesh_hash(b)
    assert set(b.face_sets) == set(a.face_sets) and np.array_equal(b.cells, a.cells)


def test_key_depends_on_every_input():
    k = cache_key("box", {"lx_mm": 10.0, "ly_mm": 4.0}, 2.0, 2)
    assert k == cache_key("box", {"ly_mm": 4.0, "lx_mm": 10.0}, 2.0, 2)  # order-free
    assert k != cache_key("box", {"lx_mm": 10.5, "ly_mm": 4.0}, 2.0, 2)
    assert k != cache_key("box", {"lx_mm": 10.0, "ly_mm": 4.0}, 2.5, 2)
    assert k != cache_key("box", {"lx_mm": 10.0, "ly_mm": 4.0}, 2.0, 1)
    assert k != cache_key("cylinder", {"lx_mm": 10.0, "ly_mm": 4.0}, 2.0, 2)
    assert k != cache_key("box", {"lx_mm": 10.0, "ly_mm": 4.0}, 2.0, 2, extra={"f": "abc"})


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupt_entry_is_reported_and_rebuilt(tmp_path, counting_builder, caplog, damage):
    build, calls = counting_builder
    cache = MeshCache(tmp_path)
    first = cache.get_or_build("box", {"lx_mm": 10.0}, 2.0, 1, build())
    (entry,) = list(tmp_path.glob("*.npz"))
    data = bytearray(entry.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:  # flip bits inside the stored node coordinates
        i = data.find(b"nodes.npy") + 200
        data[i: i + 8] = bytes(x ^ 0xFF for x in data[i: i + 8])
    entry.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="fea.mesh_cache"):
        again = cache.get_or_build("box", {"lx_mm": 10.0}, 2.0, 1, build())
    assert calls == [10.0, 10.0]  # rebuilt
    assert cache.stats["corrupt"] == 1
    assert "corrupt" in caplog.text and entry.name in caplog.text
    assert mesh_hash(again) == mesh_hash(first)
    assert mesh_hash(load_mesh(entry)) == mesh_hash(first)  # the entry was rewritten


def test_save_is_atomic_and_roundtrips(tmp_path):
    m = primitives.box(5.0, 5.0, 5.0, 2.5, 2)
    save_mesh(tmp_path / "m.npz", m)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary left behind
    back = load_mesh(tmp_path / "m.npz")
    assert mesh_hash(back) == mesh_hash(m) and back.source == m.source


def test_solve_meshes_through_the_cache_like_mesh_and_run(tmp_path, monkeypatch):
    """`solve` used to remesh every time; now a second solve of the same model is served from
    the cache (gmsh not called) and gives the same answer, and `mesh` fills the same cache."""
    import json
    from pathlib import Path

    from fea.cli import main
    from fea.geometry import registry

    common = Path(__file__).parent / "bad_inputs" / "_common"
    cache = tmp_path / "cache"
    args = ["solve", str(common / "bar.toml"), "--loadcase", str(common / "flexion.toml"),
            "--cache", str(cache), "-q"]
    assert main(["mesh", str(common / "bar.toml"), "--cache", str(cache), "--no-picture",
                 "--out", str(tmp_path / "m")]) == 0
    assert len(list(cache.glob("*.npz"))) == 1
    real = registry.BUILDERS["box"]
    calls = []

    def counting(*a, **kw):
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setitem(registry.BUILDERS, "box", counting)
    monkeypatch.setattr(counting, "__signature__", __import__("inspect").signature(real),
                        raising=False)
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    assert calls == []  # the mesh `mesh` wrote
    assert main(args + ["--out", str(tmp_path / "b"), "--no-cache"]) == 0
    assert calls == [1]
    ra, rb = (json.loads((tmp_path / d / "summary.json").read_text()) for d in "ab")
    assert ra["steps"][-1]["max_displacement_mm"] == rb["steps"][-1]["max_displacement_mm"]
