"""The box-bone models (models/examples/*_boxes.toml: the constructs as bundled before the
occiput-C3 column, a solve in seconds where the anatomy takes minutes): each meshes (coarse TET4
to keep the suite fast; TET10 is the default and is exercised by test_geometry), its interfaces
are conforming, and it solves under every bundled load case. The interface solver is not used
here: interfaces are left bonded (model.interfaces = []; the conforming mesh shares their nodes),
which is the "fused" state of DESIGN.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fea.config import load_loadcase
from fea.mesh_cache import MeshCache
from fea.results import state_summary
from fea.static import StaticAnalysis
from fea.variants import expand_variants

ROOT = Path(__file__).resolve().parents[1]
# the box-bone constructs, compared with the box intact model
MODELS = {"intact": ROOT / "models/examples/intact_boxes.toml",
          "c2_avb": ROOT / "models/examples/c2_avb_boxes.toml",
          "aad_cages": ROOT / "models/examples/aad_cages_boxes.toml"}
LOADCASES = sorted((ROOT / "loadcases").glob("*.toml"))
COARSE_MM = 8.0


def coarse(path: Path, variant: str, cache: MeshCache):
    spec = expand_variants(path)[variant]
    mesh = spec.mesh.model_copy(update={"size_mm": COARSE_MM, "element_order": 1})
    from fea.config import model_from_spec

    return model_from_spec(spec.model_copy(update={"mesh": mesh}), path, cache)


@pytest.fixture(scope="module")
def cache(shared_mesh_cache):
    return shared_mesh_cache  # shared with the other modules that mesh the constructs (conftest)


@pytest.fixture(scope="module")
def solved(cache):
    """{model: {loadcase: (Result, rotation of `load` over the last step in deg)}}."""
    out = {}
    for name, path in MODELS.items():
        model = coarse(path, "base", cache)
        model.interfaces = []  # bonded: see the module docstring
        an = StaticAnalysis(model)
        out[name] = {}
        for lc_path in LOADCASES:
            res = an.run(load_loadcase(lc_path))
            ends = res.step_ends()
            rot = np.rad2deg(res.ref_motion("load", ends[-1])[3:] - res.ref_motion("load",
                                                                                  ends[0])[3:])
            out[name][lc_path.stem] = (res, rot)
    return out


def test_bundled_loadcases_are_the_seven_cases():
    assert [p.stem for p in LOADCASES] == [
        "axial_rotation_left", "axial_rotation_right", "compression", "extension", "flexion",
        "lateral_bending_left", "lateral_bending_right"]
    for p in LOADCASES:
        lc = load_loadcase(p)
        assert [s.name for s in lc.steps][0] == "preload"
        assert np.allclose(lc.steps[0].loads[0].force, [0, 0, -50.0])
        assert lc.steps[-1].increments == 3


@pytest.mark.parametrize("name", list(MODELS))
def test_model_interfaces_are_conforming_and_named(name, cache):
    from test_geometry import assert_conforming

    model = coarse(MODELS[name], "base", cache)
    pairs = [k for k in model.mesh.face_sets if "|" in k and "@" not in k]
    assert pairs
    for k in pairs:
        assert_conforming(model.mesh, k)
    # rods only touch the screws they join; screws never touch each other
    for k in pairs:
        a, b = k.split("|")
        if a.startswith("rod_") or b.startswith("rod_"):
            assert a.startswith("screw_") or b.startswith("screw_"), k
    for s in ("C3_inferior_endplate", "C3_inferior_facets", "C1_superior_facets"):
        assert len(model.mesh.faces(s)) > 0


@pytest.mark.parametrize("name", list(MODELS))
def test_every_loadcase_solves_in_equilibrium(name, solved):
    for lc, (res, _) in solved[name].items():
        assert res.converged, (name, lc)
        for st in res.step_ends():
            eq = state_summary(res, st)["equilibrium"]
            assert eq["force_rel_error"] < 1e-6, (name, lc)
            # moments about the origin; scale by the force's moment over the model's size too,
            # since under the preload alone the applied moment is zero
            m_scale = max(np.linalg.norm(eq["applied_moment_Nmm"]),
                          100.0 * np.linalg.norm(eq["applied_force_N"]))
            m_err = np.linalg.norm(eq["applied_moment_Nmm"] + eq["reaction_moment_Nmm"])
            assert m_err < 1e-6 * m_scale, (name, lc, st.step)
            applied = eq["applied_force_N"]
            assert np.allclose(applied[:2], 0) and applied[2] < -49.0  # the preload stays on


AXES = {"flexion": -np.eye(3)[0], "extension": np.eye(3)[0],
        "lateral_bending_left": np.eye(3)[1], "lateral_bending_right": -np.eye(3)[1],
        "axial_rotation_left": -np.eye(3)[2], "axial_rotation_right": np.eye(3)[2]}


@pytest.mark.parametrize("name", list(MODELS))
def test_rotation_follows_the_moment(name, solved):
    for lc, axis in AXES.items():
        _, rot = solved[name][lc]
        along = rot @ axis
        assert along > 0.0, (name, lc, rot)  # turns the way the moment pushes
        assert along > 0.5 * np.linalg.norm(rot), (name, lc, rot)  # and mostly about its axis
    res, rot = solved[name]["compression"]
    assert res.ref_motion("load")[2] < 0.0  # pushed down
    # the models are left-right symmetric: compression may tip them in the sagittal plane
    # (the load is not over the centre of stiffness) but not sideways or about z
    flex = abs(solved[name]["flexion"][1] @ AXES["flexion"])
    assert abs(rot[1]) < 0.02 * flex and abs(rot[2]) < 0.02 * flex, rot
    # and left/right cases mirror each other
    for a, b in (("lateral_bending_left", "lateral_bending_right"),
                 ("axial_rotation_left", "axial_rotation_right")):
        ra, rb = solved[name][a][1] @ AXES[a], solved[name][b][1] @ AXES[b]
        assert abs(ra - rb) < 0.05 * max(ra, rb), (name, a, ra, rb)


def test_reconstructions_are_stiffer_than_the_intact_spine(solved):
    for lc, axis in AXES.items():
        intact = solved["intact"][lc][1] @ axis
        for name in ("c2_avb", "aad_cages"):
            assert solved[name][lc][1] @ axis < intact, (name, lc)


def test_same_model_same_mesh(cache, tmp_path):
    from fea.mesh_cache import mesh_hash

    a = coarse(MODELS["intact"], "base", cache).mesh  # built earlier in the run (cache fixture)
    b = coarse(MODELS["intact"], "base", MeshCache(tmp_path)).mesh  # rebuilt
    assert mesh_hash(a) == mesh_hash(b)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["c2_avb", "aad_cages"])
def test_every_variant_meshes_and_solves_every_loadcase(name, cache):
    rom = {}
    for variant in expand_variants(MODELS[name]):
        model = coarse(MODELS[name], variant, cache)
        model.interfaces = []
        an = StaticAnalysis(model)
        for lc_path in LOADCASES:
            res = an.run(load_loadcase(lc_path))
            assert res.converged, (variant, lc_path.stem)
            eq = state_summary(res, res.final)["equilibrium"]
            assert eq["force_rel_error"] < 1e-6, (variant, lc_path.stem)
            if lc_path.stem == "flexion":
                rom[variant] = -np.rad2deg(res.ref_motion("load")[3])
    assert all(v > 0 for v in rom.values()), rom
    if name == "c2_avb":
        assert rom["no_rods"] > rom["base"]  # posterior rods stiffen the construct
        assert rom["porosity_80"] > rom["porosity_60"]  # a softer lattice moves more


@pytest.mark.parametrize("name", list(MODELS))
def test_interface_solver_pairs_every_interface(name, cache):
    """The model's interfaces as the interface solver sees them: every contact interface gets
    points, and no slave point is left without a master face."""
    from fea.contact.setup import prepare

    model = coarse(MODELS[name], "base", cache)
    setup = prepare(model)
    assert len(setup.infos) == len(model.interfaces) > 0
    for info in setup.infos:
        assert info.unmatched == 0, info
        if info.law != "tied":
            assert info.n_points > 0, info
