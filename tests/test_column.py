"""The bundled intact model, the occiput-C3 column (models/intact.toml), solved with its joints'
frictionless contacts and its 20 ligaments: at a coarse setting (5 mm TET4, the coarsest the
column meshes at) it carries the preload through its joints and flexes at every level. Slow: the
column's geometry and mesh take ~1-2 CPU-min, the nonlinear solve ~3 CPU-min (bench/README.md).
Its default-size mesh (DOF budget, validity, the anatomy measured on it) is tested in
tests/test_anatomy.py with SPINEFEA_COLUMN_TESTS=1."""

from __future__ import annotations

from pathlib import Path

import pytest

from fea.config import load_loadcase, model_from_spec
from fea.mesh_cache import MeshCache
from fea.variants import expand_variants

ROOT = Path(__file__).resolve().parents[1]
INTACT = ROOT / "models/intact.toml"


def _model(order: int, cache: MeshCache):
    spec = expand_variants(INTACT)["base"]
    mesh = spec.mesh.model_copy(update={"element_order": order})
    return model_from_spec(spec.model_copy(update={"mesh": mesh}), INTACT, cache)


@pytest.fixture(scope="module")
def flexion(shared_mesh_cache):
    from fea.metrics.case import case_metrics
    from fea.metrics.from_result import result_inputs
    from fea.results import case_summary, state_fields
    from fea.solve_case import solve_case

    model = _model(1, shared_mesh_cache)  # the mesh tests/test_anatomy.py measures
    # as `solve` does: the contact and ligament terms in the Newton driver
    out = solve_case(model, load_loadcase(ROOT / "loadcases/flexion.toml"))
    res = out.result
    fields = state_fields(res, res.final)
    summary = case_summary(res, fields["peaks"]) | out.extra
    vm, kw = result_inputs(res, fields, summary)
    return model, res, summary, case_metrics(summary, {}, vm, **kw)["segmental"]


def test_column_is_the_intact_model_with_every_upper_cervical_ligament():
    spec = expand_variants(INTACT)["base"]
    assert spec.mesh.builder == "occiput_c3"
    names = {lig.name for lig in spec.ligaments}
    # no ligamentum flavum at C1-C2: the posterior atlantoaxial membrane takes its place (Gray's
    # Anatomy 1918, p. 293)
    assert names == {"transverse", "alar_L", "alar_R", "apical", "tectorial", "AAOM", "PAOM",
                     "AAAM", "PAAM", "ALL", "PLL", "LF_C2C3", "ISL"} | {
        f"capsule_{j}_{s}" for j in ("C0C1", "C1C2", "C2C3") for s in "LR"}
    # every fibre between two bones follows its bones' finite rotation but the two whose path
    # this kinematics does not take: the transverse ligament and the tectorial membrane, both
    # over a via point on the dens
    small = {lig.name for lig in spec.ligaments if lig.kinematics != "co_rotated"}
    assert small == {"transverse", "tectorial"}


@pytest.mark.slow
def test_column_solves_in_flexion_and_every_level_flexes(flexion):
    model, res, summary, seg = flexion
    assert res.converged
    assert list(seg) == ["C0-C1", "C1-C2", "C2-C3"]
    for level, m in seg.items():
        # positive (flexion is a moment about -x), finite, a few degrees at 1.5 Nm, and mostly
        # in the sagittal plane (the model is symmetric about x = 0)
        assert 0.2 < m["flexion_deg"] < 30.0, (level, m)
        assert abs(m["coupled_rotation_deg"]) < 0.2 * m["rom_deg"], (level, m)
    # the 50 N preload and the 1.5 Nm reach the fixed C3 through the joints and ligaments
    eq = summary["steps"][-1]["equilibrium"]
    assert eq["reaction_force_N"][2] == pytest.approx(50.0, rel=1e-6)
    assert eq["reaction_moment_Nmm"][0] == pytest.approx(1500.0, rel=1e-6)


@pytest.mark.slow
def test_flexion_stretches_the_posterior_ligaments_and_slackens_the_anterior(flexion):
    _, _, summary, _ = flexion
    force = {lig["name"]: lig["force_N"] for lig in summary["ligaments"]}
    for name in ("PAOM", "PAAM", "LF_C2C3", "ISL"):
        assert force[name] > 1.0, (name, force[name])
    for name in ("AAOM", "AAAM", "ALL"):
        assert force[name] == 0.0, (name, force[name])
