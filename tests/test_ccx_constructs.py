"""Every box-bone construct, exported as a deck, runs in CalculiX 2.20 to the end and agrees with
our solve (issue 17); every variant and state exports and reads back.

The cross-check: each model (base variant) in its immediate and fused interface states, coarse
TET4 (8 mm, as tests/test_constructs.py), under the bundled flexion load case scaled to a
hundredth (0.5 N preload, 0.015 Nm). ccx's face-to-face contact searches in the deformed
configuration whatever the deck says (SMALL SLIDING changed no digit), ours pairs once (small
sliding): on intact, whose C1 slides on frictionless facets, the two differ by 6.1 % of max |u|
at a tenth of the load and by 0.6 % at a hundredth or a thousandth (measured).

Compared: max |ours - ccx| over all nodes at the end of each step, relative to max |u| at the end
of the load case (printed per case). Tolerance:
- fused states: 0.5 % (the brief). c2_avb fused has no contact left (the implant tied on a
  conforming mesh; measured 2e-7, ccx prints 7 digits); aad_cages fused keeps its frictionless
  C2-C3 facets;
- immediate states: 0.5 % + SPREAD, the change of ccx's own answer when every penalty slope the
  exporter writes (pressure and stick) is divided by ten, max |u_ccx(K) - u_ccx(K / 10)| / max |u|
  (measured, below). For a penalty error proportional to 1 / K that is nine times the error the
  written slopes leave. c2_avb immediate leaves out the AVB's slave faces that hold a node the
  screws bond (ccx stalls on them, docs/abaqus.md), so its deck is a slightly different model:
  ccx is compared with our solve of that deck read back, and the difference the left-out faces
  make (ours on the deck vs ours on the model) is printed.

What the contact discretisation did: with 3 contact points per TET4 face (the exact rule for a
flat face's loads) ours was 0.86 % off ccx on aad_cages fused at a tenth of the load, and the
difference grew as ccx's penalty stiffened (0.11 / 0.60 / 0.86 / 0.92 / 0.99 % at K = 10 / 100 /
1000 / 3000 / 10000 E/h): not ccx's penalty but our sampling. The facets close on a handful of
faces (intact: 4 of 56 points per C1-C2 facet), which 3 points per face sample too coarsely.
With 7 (fea.contact.pairing.CONTACT_POINTS) ours agrees to 0.15 % at the written K. Our own
answer is converged in its penalty: tightening the augmented Lagrangian to 1e-8 mm moved it by
5e-5 of max |u|.

Measured here (ccx 2.20, 2 cores shared; max |ours - ccx| / max |u| at the end of preload,
flexion; SPREAD):
  intact immediate    0.01 %, 0.57 %; spread 0.68 % (ccx at 10 K moved 1.86 % the other way:
                      at 8 mm the C1-C2 facets close on 4 of their 56 points, and ccx's contact
                      there is not settled in K)
  c2_avb immediate    2.0e-8, 5.9e-5 against our solve of the deck, which since issue 20 solves
                      the deck's penalty law (PRESSURE-OVERCLOSURE=LINEAR and the stick slope)
                      as ccx does (0.42 %, 1.82 % when we read it as hard contact); spread 5.2 %
                      (the soft friction slopes, 10 E/h and a stick slope of K / 100: at 100 E/h
                      and K / 10 c2_avb agrees to 0.4 % at a tenth of the load, but the cage
                      construct then chatters in ccx for > 5 min); ours on the deck vs ours on
                      the model (hard contact, no faces left out): 4.7 % of max |u|
  c2_avb fused        2e-7
  aad_cages immediate 0.04 %, 0.18 %; spread 0.28 %
  aad_cages fused     0.01 %, 0.04 % (0.15 % at a tenth of the load)
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from fea.abaqus import deck_text, read_deck, write_deck
from fea.abaqus.sides import deck_ready
from fea.abaqus.ccx import read_dat_displacements, run_ccx
from fea.cli import main
from fea.config import load_loadcase
from fea.model import LoadCase, RefLoad
from fea.solve_case import make_analysis
from fea.variants import expand_variants, load_variant

ROOT = Path(__file__).resolve().parents[1]
# the figures above were measured on the box-bone constructs and intact model (seconds a case);
# the occiput-C3 column and the constructs built on it (models/*.toml) are not cross-checked with
# ccx yet
MODELS = {n: ROOT / f"models/examples/{n}_boxes.toml" for n in ("c2_avb", "aad_cages")}
MODELS["intact"] = ROOT / "models/examples/intact_boxes.toml"
FLEXION = ROOT / "loadcases/flexion.toml"
SIZE_MM, ORDER = 8.0, 1
LOAD_SCALE = 0.01  # see the module docstring
CASES = [("intact", "immediate"), ("c2_avb", "immediate"), ("c2_avb", "fused"),
         ("aad_cages", "immediate"), ("aad_cages", "fused")]  # intact has no implant to fuse
TOL = 0.005  # the brief's 0.5 % of max |u|
# immediate states: max |u_ccx(K) - u_ccx(K / 10)| / max |u|, every slope of the deck divided by
# ten, this mesh and load (module docstring)
SPREAD = {"intact": 0.0068, "c2_avb": 0.052, "aad_cages": 0.0028}

needs_ccx = pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")


@pytest.fixture(scope="module")
def cache(shared_mesh_cache):
    return shared_mesh_cache  # shared with the other modules that mesh the constructs (conftest)


def _scaled(lc: LoadCase, k: float) -> LoadCase:
    steps = [dataclasses.replace(s, loads=[dataclasses.replace(ld, force=k * ld.force,
                                                               moment=k * ld.moment)
                                           for ld in s.loads])
             for s in lc.steps]
    assert all(isinstance(ld, RefLoad) for s in lc.steps for ld in s.loads)
    return dataclasses.replace(lc, steps=steps)


def _step_ends(model, lc):
    res = make_analysis(model).run(lc)
    assert res.converged
    return res.model.mesh.node_ids, [res.displacement(st) for st in res.step_ends()]


def _pct(r: float) -> str:
    return f"{r:.2%}" if r > 1e-4 else f"{r:.1e}"  # ccx's 7 digits show where no contact is left


def _at(ids, u, labels):
    """Rows of u (nodes labelled ids) for the given labels."""
    order = np.argsort(ids)
    idx = order[np.searchsorted(ids[order], labels)]
    assert np.array_equal(ids[idx], labels)
    return u[idx]


@pytest.mark.ccx
@pytest.mark.slow
@needs_ccx
@pytest.mark.parametrize("name, state", CASES)
def test_bundled_construct_runs_in_ccx_and_agrees(name, state, cache, tmp_path):
    model = load_variant(MODELS[name], mesh_cache=cache, size_mm=SIZE_MM, state=state,
                         element_order=ORDER)
    lc = _scaled(load_loadcase(FLEXION), LOAD_SCALE)
    deck = tmp_path / "job.inp"
    write_deck(model, lc, deck)
    run = run_ccx(deck, threads=2)
    t = time.perf_counter()
    ids, ours = _step_ends(model, lc)
    ours_s = time.perf_counter() - t
    scale = np.abs(ours[-1]).max()
    dropped = sum(sd.dropped for sd in deck_ready(model)[1])
    note = ""
    if dropped:  # the deck is a slightly different model: compare ccx with ours on the deck
        ids_d, ours_d = _step_ends(read_deck(deck).model, lc)
        # on the deck's nodes (our split keeps copies its tie rows glue; the deck merges them)
        own = max(np.abs(ud - _at(ids, u, ids_d)).max() for ud, u in zip(ours_d, ours)) / scale
        note = f"; {dropped} slave faces left out: ours on the deck vs the model {own:.2%}"
        ids, ours = ids_d, ours_d
    tables = read_dat_displacements(run.dat)
    diff = []
    for k, u in enumerate(ours, 1):
        labels, u_ccx = [(lab, uc) for set_name, t_, lab, uc in tables
                         if set_name == "NALL" and t_ == float(k)][-1]
        diff.append(float(np.abs(_at(ids, u, labels) - u_ccx).max() / scale))
    fused = state == "fused"
    tol = TOL + (0.0 if fused else SPREAD[name])
    print(f"\n{name} {state}: {len(labels)} nodes, max |u| {scale * 1e3:.3f} um; max |ours - ccx| "
          f"/ max |u| at the end of each step {', '.join(map(_pct, diff))}; tolerance "
          f"{tol:.2%}{note}; ccx {run.wall_s:.1f} s, ours {ours_s:.1f} s")
    assert max(diff) <= tol


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_every_variant_and_state_exports(name, cache):
    """Every variant in both states writes a deck with one contact pair per contact interface of
    the model, no `SURFACE@BODY` name left, and the load case's two steps (each variant meshed
    once: the states share the mesh through the cache; reading a deck back is tested on one
    variant below and in tests/test_abaqus_roundtrip.py)."""
    lc = load_loadcase(FLEXION)
    for variant in expand_variants(MODELS[name]):
        for state in ("immediate", "fused"):
            src = load_variant(MODELS[name], variant, mesh_cache=cache, size_mm=SIZE_MM,
                               state=state, element_order=ORDER)
            text = deck_text(src, lc)
            contacts = [it for it in src.interfaces if it.law != "tied"]
            assert text.count("*CONTACT PAIR") == len(contacts), (variant, state)
            assert text.count("*FRICTION") == sum(it.law == "friction" for it in contacts)
            if state == "fused":  # implant interfaces tied: only natural joints may slide
                assert all(it.law == "frictionless" for it in contacts), variant
            assert "@" not in text.split("*NODE", 1)[1], (variant, state)
            assert text.count("*END STEP") == 2


def test_export_command_takes_variant_state_and_size(tmp_path, capsys):
    """`export --variant --state --size --order` on a bundled model: the variant's geometry, the
    state's laws, the size asked for; a deck refuses those options."""
    deck = tmp_path / "wedge.inp"
    assert main(["export", str(MODELS["aad_cages"]), "--variant", "wedge_5", "--state", "fused",
                 "--size", "10", "--order", "1", "--loadcase", str(FLEXION), "--out", str(deck),
                 "-q"]) == 0
    back = read_deck(deck).model
    assert back.mesh.nodes_per_cell == 4
    assert {it.law for it in back.interfaces} == {"frictionless"}  # the C2-C3 facets only
    text = deck.read_text()
    assert "@" not in text.split("*NODE", 1)[1]  # no SURFACE@BODY name reaches the deck
    assert "PRESSURE-OVERCLOSURE=LINEAR" in text
    assert main(["export", str(deck), "--state", "fused", "--out", str(tmp_path / "x.inp")]) != 0
    assert "apply to a model .toml, not to a deck" in capsys.readouterr().err
