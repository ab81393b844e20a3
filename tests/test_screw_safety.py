"""Screw safety (fea.geometry.keepout, fea.geometry.clearance, fea.metrics.screws): keep-out face
sets named by the builders, every screw's clearance to them measured on the mesh against an
analytic value, a breach flagged through summary.json, metrics, the study table and the report,
and bad names refused by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fea.errors import MeshError
from fea.geometry import clearance as cl
from fea.geometry import hardware as hw
from fea.geometry import keepout, occ
from fea.geometry.meshing import mesh_construct
from fea.metrics.case import case_metrics
from fea.metrics.columns import flat_row
from fea.metrics.thresholds import Thresholds

ROOT = Path(__file__).resolve().parents[1]
R_FORAMEN, R_SCREW = 3.0, 1.75


def _summary(block: dict, warnings=()) -> dict:
    """A case summary with one moment step and a screw_clearance block."""
    step = {"step": "moment", "ref_points": {"load": {"rotation_deg": [0.0, 0.0, 2.0]}},
            "equilibrium": {"applied_moment_Nmm": [0.0, 0.0, 1500.0]}}
    return {"model": "m", "loadcase": "lc", "converged": True, "steps": [step],
            "screw_clearance": block, "warnings": list(warnings)}


def _block_with_foramen(screw_x: float):
    """A 24 x 16 x 8 mm bone block with a vertical foramen of radius 3 mm on the z axis and a
    horizontal 3.5 mm screw along y at x = screw_x, mid-height."""

    def geo(asm):
        asm.add("B", "B", occ.box((-12, -8, 0), (12, 8, 8)), 20, "bone")
        asm.add_void(occ.rod((0, 0, -1), (0, 0, 9), R_FORAMEN), 30)
        hw.screw(asm, "screw_T", (screw_x, -6, 4), (0, 1, 0), 12.0, hw.ScrewSpec(2 * R_SCREW),
                 head=False)
        keepout.add(asm, "B_transverse_foramen_L", "B", (0, 0, 4), (0, 0, 1), 4.0, R_FORAMEN,
                    R_FORAMEN)

    return mesh_construct(f"foramen_{screw_x}", geo, 1.5, 2, interface_factor=1.0,
                          hardware_size=0.8, optimize=False)


@pytest.fixture(scope="module")
def clear_mesh():
    return _block_with_foramen(8.0)


@pytest.fixture(scope="module")
def breach_mesh():
    return _block_with_foramen(3.5)


def test_foramen_wall_is_the_hole_measured_on_the_mesh(clear_mesh):
    tri = cl.wall_triangles(clear_mesh, "B_transverse_foramen_L").reshape(-1, 3)
    r = np.hypot(tri[:, 0], tri[:, 1])
    assert np.allclose(r, R_FORAMEN, atol=0.05)  # only the hole's wall, not the block's faces
    assert tri[:, 2].min() < 0.1 and tri[:, 2].max() > 7.9


def test_clearance_of_a_screw_beside_a_foramen_is_the_analytic_gap(clear_mesh):
    c = cl.screw_clearance(clear_mesh)["screw_T"]
    # the screw's surface passes x = 8 - 1.75 at y = 0; the foramen wall is the circle r = 3
    assert c["foramen_mm"] == pytest.approx(8.0 - R_SCREW - R_FORAMEN, abs=0.1)
    assert c["canal_mm"] is None and not c["breach"] and c["grade"] == 0


def test_a_screw_through_a_foramen_is_a_breach_with_its_depth(breach_mesh):
    c = cl.screw_clearance(breach_mesh, threshold_mm=2.0)["screw_T"]
    # the screw's surface reaches r = 3.5 - 1.75 inside the lumen of radius 3: 1.25 mm deep
    assert c["breach"] and c["min_mm"] == pytest.approx(-(R_FORAMEN - (3.5 - R_SCREW)), abs=0.1)
    assert c["grade"] == 1 and c["below_threshold"]
    (w,) = cl.warnings({"screw_T": c})
    assert "screw_T" in w and "B_transverse_foramen_L" in w


def test_breach_reaches_summary_metrics_table_and_report(breach_mesh):
    from fea.report.sections import screw_safety

    block = cl.screw_clearance(breach_mesh)
    m = case_metrics(_summary(block, cl.warnings(block)), None, {})
    flags = [f for f in m["flags"] if "screw_T" in f]
    assert len(flags) == 1 and "breaches" in flags[0]  # once: not again as a solver warning
    row = flat_row(m)
    assert row["screw_breaches"] == 1
    assert row["screw_clearance_min_mm@screw_T"] == block["screw_T"]["min_mm"] < 0
    assert row["screw_clearance_min_mm_min"] == block["screw_T"]["min_mm"]
    html = screw_safety([dict(row, variant="v", loadcase="lc")], Thresholds())
    assert "BREACH" in html and "screw_T" in html


def test_clearance_threshold_is_the_study_threshold():
    block = {"screw_A": {"min_mm": 2.5, "canal_mm": 2.5, "foramen_mm": None,
                         "nearest": "C2_canal", "breach": False, "grade": 0}}
    summary = _summary(block)
    assert not [f for f in case_metrics(summary, None, {})["flags"] if "screw_A" in f]
    flags = case_metrics(summary, None, {}, Thresholds(screw_clearance_mm=3.0))["flags"]
    assert [f for f in flags if "screw_A" in f and "2.50 mm" in f]
    with pytest.raises(Exception, match="screw_clearance_mm"):
        Thresholds(screw_clearance_mm=-1.0)


def test_bad_keepout_or_screw_name_is_an_error_naming_it(clear_mesh):
    with pytest.raises(MeshError, match=r"'B_transverse_foramen_X'.*Did you mean "
                                        r"'B_transverse_foramen_L'"):
        cl.screw_clearance(clear_mesh, keepouts=["B_transverse_foramen_X"])
    with pytest.raises(MeshError, match="screw_Q"):
        cl.screw_clearance(clear_mesh, screws=["screw_Q"])
    with pytest.raises(ValueError, match="B_foramen"):
        keepout.add(None, "B_foramen", "B", (0, 0, 0), (0, 0, 1), 1.0, 1.0, 1.0)


def test_a_keepout_that_finds_no_wall_is_an_error_naming_it():
    def geo(asm):
        asm.add("B", "B", occ.box((0, 0, 0), (10, 10, 10)), 20, "bone")
        keepout.add(asm, "B_canal", "B", (50, 50, 50), (0, 0, 1), 2.0, 2.0, 2.0)

    with pytest.raises(MeshError, match="B_canal"):
        mesh_construct("lost_canal", geo, 4.0, 1)


def _vertebra_with_screw(entry, seat, length: float, tag: str):
    """A box vertebra: body in front (y > 0), pillars at |x| > 6 behind it, a lamina joined to
    them only above z = 3 and 6 mm further back (the lamina stands back and stops short of the
    bottom, as the shingled laminae do), so the canal wall's hull spans the open gap under the
    lamina; a headed screw (ball of 6 mm on a 3.5 mm neck) entering the right pillar's back face
    at `entry` from its head's centre `seat`."""
    entry, seat = np.asarray(entry, float), np.asarray(seat, float)

    def geo(asm):
        parts = [occ.box((-14, 0, 0), (14, 6, 10)), occ.box((-14, -18, 3), (14, -16, 10))]
        for s in (1, -1):
            parts += [occ.box((s * 6, -10, 0), (s * 14, 0, 10)),
                      occ.box((s * 6, -16, 3), (s * 14, -10, 10))]
        asm.add("B", "B", occ.union(parts), 20, "bone")
        hw.screw(asm, "screw_T", entry, entry - seat, length,
                 hw.ScrewSpec(2 * R_SCREW, 6.0, float(np.linalg.norm(entry - seat))))
        keepout.add(asm, "B_canal", "B", (0, -8, 5), (0, 0, 1), 5.0, 6.0, 8.0, shape="rect")

    return mesh_construct(f"vertebra_{tag}", geo, 1.5, 2, interface_factor=1.0,
                          hardware_size=0.8, optimize=False)


def test_a_screw_head_standing_out_of_the_bone_is_not_a_perforation():
    """The head of a lateral-mass screw, behind its entry and out of the bone, reaches under the
    lamina into the canal wall's hull: not a breach (the gradings grade the shaft breaking
    through the wall); the part of its neck sunk into the pillar is measured."""
    from fea.embedded import locate

    entry, seat = np.array([12.0, -10.0, 0.5]), np.array([3.0, -13.5, 0.5])
    m = _vertebra_with_screw(entry, seat, 2.5, "head_out")
    surf = cl._surface_nodes(m, m.elements("screw_T"))
    head = np.isin(surf, m.node_sets["screw_T_head"])
    host, _ = locate(m.nodes, m.cells[m.elements("B")], m.nodes[surf])
    hull = cl.hull_planes(cl.wall_triangles(m, "B_canal").reshape(-1, 3), "B_canal")
    # the scene is what it claims: head nodes out of the bone, more than 1 mm inside the hull
    assert cl.hull_depth(m.nodes[surf[head & (host < 0)]], hull).max() > 1.0
    c = cl.screw_clearance(m)["screw_T"]
    assert not c["breach"] and c["grade"] == 0
    # nearest measured point: the neck's rim where it dips under the pillar's back face y = -10,
    # from the canal's side wall x = 6
    d = (entry - seat) / np.linalg.norm(entry - seat)
    u = np.array([-d[1], d[0], 0.0])  # the rim's side toward the canal, in the screw's plane
    t = (-10.0 - entry[1] - R_SCREW * u[1]) / d[1]
    assert c["canal_mm"] == pytest.approx(entry[0] + R_SCREW * u[0] + t * d[0] - 6.0, abs=0.1)


def test_a_screw_aimed_into_the_canal_is_flagged():
    """The same vertebra, a headed screw aimed 45 deg medially through the pillar's medial wall:
    its shaft ends in the canal, a breach deeper than 2 mm (grade >= 2), flagged."""
    entry = np.array([9.0, -10.0, 5.0])
    m = _vertebra_with_screw(entry, entry - 5.0 * np.array([-1.0, 1.0, 0.0]) / np.sqrt(2), 10.0,
                             "aimed_in")
    c = cl.screw_clearance(m, threshold_mm=2.0)["screw_T"]
    assert c["breach"] and c["nearest"] == "B_canal" and c["below_threshold"]
    # the tip's axis ends 2.9 mm behind the body's back wall (y = 0) and 4.1 mm from the side
    # wall; nodes of its rim and cap lie deeper still
    assert c["breach_mm"] > 2.9 and c["grade"] >= 2
    (w,) = cl.warnings({"screw_T": c})
    assert "B_canal" in w


def test_a_screw_in_bone_beside_the_wall_is_not_in_the_lumen():
    """A ledge of bone stands in the canal at the back wall's foot (its top z = 6, its front in
    the lumen's middle, so not wall); a screw through the back into the ledge, 0.75 mm under its
    top, comes nearest to the wall at the corner where the ledge's top meets the back wall above
    it. The wall face there faces the screw (it faces forward, the screw is in front of its
    plane), and the screw is inside the wall's hull, yet it is in bone: a clearance of 0.75 mm,
    not a breach."""

    def geo(asm):
        block = occ.subtract(occ.box((-12, -10, 0), (12, 8, 10)), occ.box((-5, -6, -1), (5, 2, 11)))
        asm.add("B", "B", occ.union([block, occ.box((-3, -6, 0), (3, -3.5, 6))]), 20, "bone")
        hw.screw(asm, "screw_T", (0, -10, 3.5), (0, 1, 0), 5.0, hw.ScrewSpec(2 * R_SCREW),
                 head=False)
        keepout.add(asm, "B_canal", "B", (0, -2, 5), (0, 0, 1), 5.0, 5.0, 4.0, shape="rect")

    m = mesh_construct("ledge", geo, 1.5, 2, interface_factor=1.0, hardware_size=0.8,
                       optimize=False)
    c = cl.screw_clearance(m)["screw_T"]
    assert not c["breach"]
    assert c["canal_mm"] == pytest.approx(6.0 - 3.5 - R_SCREW, abs=0.1)


@pytest.fixture(scope="module")
def boxes(shared_mesh_cache):
    from fea.config import model_from_spec
    from fea.variants import expand_variants

    out = {}
    for name in ("c2_avb", "aad_cages"):
        path = ROOT / f"models/examples/{name}_boxes.toml"
        spec = expand_variants(path)["base"]
        mesh = spec.mesh.model_copy(update={"size_mm": 8.0, "element_order": 1})
        out[name] = model_from_spec(spec.model_copy(update={"mesh": mesh}), path,
                                   shared_mesh_cache).mesh
    return out


@pytest.mark.parametrize("name, canals", [("c2_avb", {"C1_canal", "C3_canal"}),
                                          ("aad_cages", {"C1_canal", "C2_canal", "C3_canal"})])
def test_box_constructs_report_every_screws_clearance(boxes, name, canals):
    mesh = boxes[name]
    # the box vertebrae have canals but no transverse foramina
    assert set(cl.keepout_sets(mesh)) == canals
    c = cl.screw_clearance(mesh)
    screws = cl.screw_bodies(mesh)
    assert screws and sorted(c) == screws
    for s, v in c.items():
        assert set(v["keepouts"]) == canals and np.isfinite(v["min_mm"]), s
        # the constructs are mirror-symmetric: left and right screws have the same clearance
        # (to within the coarse mesh's asymmetry)
        other = c[s[:-1] + ("R" if s.endswith("L") else "L")]
        assert abs(v["min_mm"] - other["min_mm"]) < 0.5, (s, v["min_mm"], other["min_mm"])


def test_a_breaching_construct_is_solved_and_flagged_in_its_case_folder(breach_mesh, tmp_path):
    """Flagged, not silently solved: the case converges and its summary.json carries the
    clearances and the breach warning, its metrics the breach flag."""
    import json

    from synthetic_study import loadcase

    from fea.materials import LinearElastic
    from fea.model import Model, RefPoint, Section, Support
    from fea.results import write_case
    from fea.solve_case import case_metrics_hook, solve_case

    mesh = breach_mesh
    free = keepout.free_faces(mesh)
    zc = mesh.nodes[mesh.face_connectivity(free, corners_only=True)][:, :, 2]
    mesh.face_sets["bottom"] = free[np.all(zc < 1e-6, axis=1)]
    mesh.face_sets["top"] = free[np.all(zc > 8 - 1e-6, axis=1)]
    mats = {"bone": LinearElastic("bone", 450.0, 0.25), "ti": LinearElastic("ti", 110000.0, 0.3)}
    model = Model("breach", mesh, mats, [Section("B", "bone", "bone", "B"),
                                         Section("screw_T", "ti", "hardware", "screw_T")],
                  supports=[Support("bottom")],
                  ref_points={"load": RefPoint("load", np.array([0.0, 0.0, 8.0]), "distributing",
                                               "top")})
    case = solve_case(model, loadcase("flexion", moment_Nm=0.1, preload_N=5.0))
    write_case(case.result, tmp_path / "c", case.writers, case.extra, case_metrics_hook(case))
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert summary["converged"]
    sc = summary["screw_clearance"]["screw_T"]
    assert sc["breach"] and sc["nearest"] == "B_transverse_foramen_L"
    assert [w for w in summary["warnings"] if "screw_T breaches B_transverse_foramen_L" in w]
    assert [f for f in summary["metrics"]["flags"] if "screw 'screw_T' breaches" in f]
