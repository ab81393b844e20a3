"""The paper constructs on the anatomical column (fea/geometry/anatomy/constructs.py), measured on
their meshes: the AVB spans C1 to C3 and bears on both over its designed footprint, the cages sit
in the lateral atlantoaxial joints, no screw of the base designs enters the canal or a transverse
foramen and a misdirected one is flagged, the occipital plate lies on the squama, every screw and
rod is held by the hosts it is embedded in; and both states of a construct solve. Meshed once per
module, coarse TET4: each mesh takes minutes, so these run with SPINEFEA_COLUMN_TESTS=1 only.
The C1-C2 screw-rod (Harms) validation construct is tested ungated (slow): its mesh is ~45 CPU-s
at 5 mm TET4 and the intact column's beside it is the one tests/test_column.py builds (one shared
cache)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from fea.errors import ConfigError
from fea.geometry import registry
from fea.geometry.anatomy import column
from fea.geometry.anatomy import constructs as ac
from fea.geometry.clearance import screw_clearance
from fea.geometry.implants import AVBParams, CageParams

ROOT = Path(__file__).resolve().parents[1]
COLUMN = pytest.mark.skipif(os.environ.get("SPINEFEA_COLUMN_TESTS") != "1",
                            reason="meshes the column with a construct (minutes a mesh); "
                                   "SPINEFEA_COLUMN_TESTS=1 runs it")
COARSE_MM = 5.0  # the column's coarsest size that meshes (6 mm: PLC error, bench/README.md)
TIMES: dict[str, float] = {}


def _params(model: str) -> dict:
    from fea.config import read_toml

    return read_toml(ROOT / "models" / f"{model}.toml")["mesh"]["params"]


def _mesh(builder: str, params: dict):
    from fea.mesh_cache import MeshCache

    t = time.perf_counter()
    # the CLI's cache (keyed by the geometry code's hash): `run_sim.py mesh` / a study at this
    # size and order makes these meshes hits
    m = registry.build(builder, params, COARSE_MM, 1, cache=MeshCache(ROOT / ".cache/meshes"))
    TIMES[builder + str(sorted(params))] = time.perf_counter() - t
    return m


@pytest.fixture(scope="module")
def avb_occ_mesh():
    return _mesh("anatomy_c2_avb", _params("c2_avb_occipital"))


@pytest.fixture(scope="module")
def cages_mesh():
    return _mesh("anatomy_aad_cages", _params("aad_cages"))


def _area(m, name: str, where: str | None = None) -> float:
    fs = m.face_sets[name]
    if where is not None:
        mark = np.zeros(m.n_cells, bool)
        mark[m.elements(where)] = True
        fs = fs[mark[fs[:, 0]]]
    from fea.geometry.keepout import face_geometry

    x, _, _ = face_geometry(m, fs)
    return float(0.5 * np.linalg.norm(np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]),
                                      axis=1).sum())


def _nodes(m, name):
    return m.nodes[m.nodes_of(name)]


# ------------------------------------------------------------------ input errors (fast)
def test_bad_construct_parameters_name_their_key():
    with pytest.raises(ConfigError, match="wedge_deg"):
        registry.build("anatomy_aad_cages", {"cage": {"wedge_deg": 5.0}}, COARSE_MM, 1)
    with pytest.raises(ConfigError, match="c1c2_cartilage_mm"):
        registry.build("anatomy_aad_cages", {"joints": {"c1c2_cartilage_mm": 2.0}}, COARSE_MM, 1)
    with pytest.raises(ConfigError, match="larger than the facets"):
        registry.build("anatomy_aad_cages", {"cage": {"footprint_width_mm": 16.0}}, COARSE_MM, 1)
    with pytest.raises(ConfigError, match="occipital.*rod_x_mm"):
        registry.build("anatomy_c2_avb", {"occipital": {"enabled": True, "rod_x_mm": 21.0}},
                       COARSE_MM, 1)
    with pytest.raises(ConfigError, match="occipital.*midline screws"):
        registry.build("anatomy_c2_avb", {"occipital": {"enabled": True, "screws": 4}},
                       COARSE_MM, 1)
    with pytest.raises(ConfigError, match="do not fit"):
        registry.build("anatomy_c2_avb", {"avb": {"body_height_mm": 30.0}}, COARSE_MM, 1)


def test_the_model_files_validate_and_name_only_sets_their_builder_makes():
    from fea.config import read_toml
    from fea.variants import expand_variants

    files = [ROOT / "models" / f"{m}.toml" for m in ("c2_avb", "c2_avb_occipital", "aad_cages",
                                                     "aad_cages_occipital")]
    for f in files:
        specs = expand_variants(f)
        assert "base" in specs and len(specs) >= 5, f
        data = read_toml(f)
        occ = data["mesh"]["params"]["occipital"]["enabled"]
        cells = {s["cell_set"] for s in data["sections"]}
        assert ("occ_plate" in cells) == occ, f
        # the cortex is membranes on each present bone's boundary (as in models/intact.toml)
        assert data["mesh"]["params"]["mesh"]["cortex"] == "membrane", f
        assert not {c for c in cells if c.endswith("_cortical")}, f
        walls = {m["face_set"]: m["body"] for m in data["membranes"]}
        bones = {s["body"] for s in data["sections"] if s["role"] == "bone"}
        assert walls == {f"{b}_cortical": b for b in bones}, f
        assert ("C2" in bones) == ("aad" in f.name), f


# ------------------------------------------------------------------ meshes (slow)
@pytest.mark.slow
@COLUMN
def test_avb_spans_c1_to_c3_over_its_designed_footprint(avb_occ_mesh):
    m = avb_occ_mesh
    an = column.anatomy()
    L = column.layout(an)
    p = AVBParams(**_params("c2_avb_occipital")["avb"])
    assert "C2" not in m.cell_sets and "C2_cortical" not in m.face_sets
    # the AVB's whole footprint (porous core and solid wall) on the C3 superior endplate: the
    # designed ellipse less the graft window, within 8 % (the mesh's facets chord the ellipse);
    # the screws overlap it (embedded), they cut nothing
    a, b = p.footprint_width_mm / 2, p.footprint_depth_mm / 2
    foot = np.pi * a * b - np.pi * (p.window_diameter_mm / 2) ** 2
    assert _area(m, "AVB_C3_face") == pytest.approx(foot, rel=0.08)
    assert np.allclose(_nodes(m, "AVB_C3_face")[:, 2], L["C3"]["h"], atol=1e-6)
    assert np.allclose(_nodes(m, "C3_superior_endplate")[:, 2], L["C3"]["h"], atol=1e-6)
    # the pillars on both C1 inferior facets: ellipses of the pillar's width and depth seen from
    # above, larger by 1/cos(slope) in the facets' sloped planes; the bone's facet in that plane
    pillar = np.pi * (p.pillar_width_mm / 2) * (p.pillar_depth_mm / 2) / np.cos(
        np.radians(an.c2.superior_facet_slope_deg))
    for sg, side in column.SIDES:
        J = L["joints"][side]
        q = J["p12"] + an.j.c1c2_cartilage_mm * J["n12"]
        assert _area(m, f"AVB_C1_face_{side}") == pytest.approx(pillar, rel=0.08)
        for name in (f"AVB_C1_face_{side}", f"C1_inferior_facet_{side}"):
            x = _nodes(m, name)
            assert np.all(np.sign(x[:, 0]) == sg) and np.abs((x - q) @ J["n12"]).max() < 1e-6
        assert _area(m, f"C1_inferior_facet_{side}") > pillar
    # porous and solid faces on both bones (the friction laws differ: mu 0.8 / 0.3)
    for name in ("AVB_C3_face", "AVB_C1_face_L", "AVB_C1_face_R"):
        for reg in ("AVB_porous", "AVB_solid"):
            assert _area(m, name, reg) > 1.0, (name, reg)


@pytest.mark.slow
@COLUMN
def test_cages_fill_the_lateral_joints_at_their_height(cages_mesh):
    m = cages_mesh
    p = CageParams(**_params("aad_cages")["cage"])
    an = column.anatomy(joints={"c1c2_cartilage_mm": p.height_mm})
    L = column.layout(an)
    assert "facet_C1C2_L" not in m.cell_sets and "facet_C1C2_M" in m.cell_sets
    foot = np.pi * p.footprint_width_mm / 2 * p.footprint_depth_mm / 2 / np.cos(
        np.radians(an.c2.superior_facet_slope_deg))
    for sg, side in column.SIDES:
        J = L["joints"][side]
        for bone, plane in (("C2", J["p12"]), ("C1", J["p12"] + p.height_mm * J["n12"])):
            name = f"cage_{side}_{bone}_face"
            assert _area(m, name) == pytest.approx(foot, rel=0.08), name
            x = _nodes(m, name)
            assert np.abs((x - plane) @ J["n12"]).max() < 1e-6, name
        # the joint space is the cage height, measured between the two bone faces
        lo, hi = _nodes(m, f"C2_superior_facet_{side}"), _nodes(m, f"C1_inferior_facet_{side}")
        gap = (hi.mean(axis=0) - lo.mean(axis=0)) @ J["n12"]
        assert gap == pytest.approx(p.height_mm, rel=0.05)


def _clear(m):
    c = screw_clearance(m)
    return {s: v["min_mm"] for s, v in c.items()}, c


@pytest.mark.slow
@COLUMN
def test_base_screws_clear_canal_and_foramina(avb_occ_mesh, cages_mesh):
    for m, want in ((avb_occ_mesh, ("screw_C1_L", "screw_C3_R", "avb_screw_C1_L",
                                    "avb_screw_C3_R", "occ_screw_1")),
                    (cages_mesh, ("screw_C1_R", "screw_C2_L", "screw_C2_R"))):
        mins, full = _clear(m)
        for s in want:
            assert s in mins, s
        # screws measured against their own bone's keep-outs must stay outside them
        for s, v in full.items():
            assert not v["breach"], (s, v)
            assert v["min_mm"] > 0.0, (s, v)


@pytest.mark.slow
@COLUMN
def test_c3_lateral_mass_screws_enter_at_the_bone_surface(avb_occ_mesh):
    """Each C3 screw's axis, followed from its head, meets the meshed C3 within 1 mm of the
    entry (the loft bulges a little past the interpolated back the entry is put on), and its
    head (the ball's centre) stands out of the bone: the screw is driven to its head, neither
    sunk into the bone nor standing off it."""
    from fea.embedded import locate
    from fea.geometry import hardware as hw

    m = avb_occ_mesh
    an = column.anatomy()
    L3 = column.layout(an)["C3"]
    post = ac.Posterior(**_params("c2_avb_occipital")["posterior"])
    e = ac.c3_entry(an, L3)
    cells = m.cells[m.elements("C3")]
    for sg, side in column.SIDES:
        d = hw.direction(-post.c3_lateral_deg, post.c3_cranial_deg, sg)
        entry = e * np.array([sg, 1.0, 1.0])
        t = np.linspace(-post.head_length_mm, 2.0, 201)
        host, _ = locate(m.nodes, cells, entry + t[:, None] * d)
        first = t[np.argmax(host >= 0)]
        assert -1.0 < first < 0.3, (side, first)
        assert (host[t < first] < 0).all() and host[0] < 0, side


@pytest.mark.slow
@COLUMN
def test_a_misdirected_c2_screw_is_flagged():
    """The published 30 deg medial C2 pedicle trajectory, on this model's sagittal isthmus,
    runs through its medial wall into the canal: flagged as a breach."""
    m = _mesh("anatomy_aad_cages", {**_params("aad_cages"), "posterior": {"c2_medial_deg": 40.0}})
    c = screw_clearance(m)
    for side in "LR":
        v = c[f"screw_C2_{side}"]
        assert v["breach"] and v["nearest"] == "C2_canal", v


@pytest.mark.slow
@COLUMN
def test_occipital_plate_stands_on_the_squama_with_its_screws_in_the_keel(avb_occ_mesh):
    m = avb_occ_mesh
    an = column.anatomy()
    L0 = column.layout(an)["C0"]
    c, semi = np.asarray(L0["skull_c"]), np.asarray(L0["skull_semi"])
    g, t = ac.standoff(an), ac.Occipital().plate_thickness_mm
    x = m.nodes[m.nodes_of("occ_plate")]
    # every plate node between the offset ellipsoids (inner face g off the skull's outer
    # surface, outer face t further), to 1 % of the radius (the mesh chords the ellipsoids)
    r_in = np.sqrt((((x - c) / (semi + g)) ** 2).sum(axis=1))
    r_out = np.sqrt((((x - c) / (semi + g + t)) ** 2).sum(axis=1))
    assert r_in.min() > 0.99 and r_out.max() < 1.01
    # clear of the bone (keel crest included), at most the standoff plus a keel's height away
    bone = m.nodes[m.nodes_of("C0")]
    from scipy.spatial import cKDTree

    d = cKDTree(bone).query(x)[0].min()
    assert 0.0 < d < g + 1.0


def _embedded(model_file: str):
    from fea.config import read_toml
    from fea.embedded import Embedded

    return [Embedded(e["cell_set"], e["cell_set"], tuple(e["hosts"]))
            for e in read_toml(ROOT / "models" / model_file)["embedded"]]


@pytest.mark.slow
@COLUMN
def test_every_screw_and_rod_is_held_by_each_of_its_hosts(avb_occ_mesh, cages_mesh):
    """Each [[embedded]] host of the model files holds nodes of its part: a screw in its bone
    (and the AVB or plate it crosses), a rod in every screw head and the plate it runs through;
    the heads stand out of the bone, so some screw nodes stay free."""
    from fea.embedded import Embedded, embed

    for m, f in ((avb_occ_mesh, "c2_avb_occipital.toml"), (cages_mesh, "aad_cages.toml")):
        for e in _embedded(f):
            for h in e.hosts:
                got = embed(m, Embedded(e.name, e.cell_set, (h,)))
                assert len(got.nodes) >= 3, (f, e.cell_set, h)
            if e.cell_set.startswith("screw_"):
                assert embed(m, e).free > 0, (f, e.cell_set)


@pytest.mark.slow
@COLUMN
def test_fused_cages_hold_c1_c2_while_c0_c1_and_c2_c3_move_in_flexion():
    """The fused cage construct (TET4, 5 mm) converges under the bundled flexion load case; the
    fused level turns far less than the two mobile levels beside it (a quarter of C2-C3, where the
    intact column turns 2.4 deg at C1-C2 against 3.4 at C2-C3, bench/README.md), and the
    screws, embedded, carry the rods' load."""
    from fea.config import load_loadcase
    from fea.mesh_cache import MeshCache
    from fea.metrics.segmental import body_points, segmental_rom
    from fea.solve_case import solve_case
    from fea.variants import load_variant

    model = load_variant(ROOT / "models/aad_cages.toml", state="fused", element_order=1,
                         mesh_cache=MeshCache(ROOT / ".cache/meshes"))
    res = solve_case(model, load_loadcase(ROOT / "loadcases/flexion.toml")).result
    assert res.converged
    idx, body, bones = body_points(res.model)
    pre, end = res.step_ends()[0], res.final
    rom = segmental_rom(res.model.mesh.nodes[idx], res.displacement(end)[idx], body, bones,
                        res.displacement(pre)[idx], moment_Nmm=(-1500.0, 0.0, 0.0))
    assert rom["C2-C3"]["rom_deg"] > 1.0 and rom["C0-C1"]["rom_deg"] > 1.0
    assert abs(rom["C1-C2"]["rom_deg"]) < 0.25 * rom["C2-C3"]["rom_deg"]


# ------------------------------------------------------ C1-C2 screw-rod (Harms), validation model
HARMS = ROOT / "models/validation/harms_c1c2.toml"
HARDWARE = ("screw_C1_L", "screw_C1_R", "screw_C2_L", "screw_C2_R", "rod_L", "rod_R")


def test_the_harms_model_is_the_intact_model_plus_embedded_c1c2_hardware():
    """models/validation/harms_c1c2.toml is models/intact.toml with the posterior C1-C2 screws
    and rods added and nothing taken away: the same joints (frictionless, same faces), ligaments
    (same laws), membranes, disc fibres, supports and load point, the builder's mesh parameters
    the intact model's plus the hardware switches; its span is C1-C2. The instrumented
    validation (docs/validation.md) compares its C1-C2 rotation with the intact model's, so any
    other difference would be measured as the screws' effect."""
    from fea.config import read_toml
    from fea.variants import expand_variants

    intact, harms = read_toml(ROOT / "models/intact.toml"), read_toml(HARMS)
    assert harms["mesh"]["builder"] == "anatomy_c1c2_screw_rod"
    assert harms["model"]["instrumented_span"] == "C1-C2"
    for key in ("interfaces", "ligaments", "membranes", "annulus_fibres", "supports",
                "ref_points"):
        assert harms[key] == intact[key], key
    params = dict(harms["mesh"]["params"])
    assert params.pop("posterior") == {"enabled": True}
    assert params.pop("occipital") == {"enabled": False}
    assert params == intact["mesh"]["params"]
    hw = [s for s in harms["sections"] if s["cell_set"] in HARDWARE]
    assert [s for s in harms["sections"] if s not in hw] == intact["sections"]
    assert sorted(s["cell_set"] for s in hw) == sorted(HARDWARE)
    assert {s["role"] for s in hw} == {"hardware"}
    hosts = {e["cell_set"]: e["hosts"] for e in harms["embedded"]}
    assert hosts == {"screw_C1_L": ["C1"], "screw_C1_R": ["C1"], "screw_C2_L": ["C2"],
                     "screw_C2_R": ["C2"], "rod_L": ["screw_C1_L", "screw_C2_L"],
                     "rod_R": ["screw_C1_R", "screw_C2_R"]}
    spec = expand_variants(HARMS)["base"]  # validates against the schema
    assert spec.model.instrumented_span == "C1-C2"


def _tet4_model(path, cache):
    from fea.config import model_from_spec
    from fea.variants import expand_variants

    spec = expand_variants(path)["base"]
    mesh = spec.mesh.model_copy(update={"element_order": 1})
    t = time.process_time()
    model = model_from_spec(spec.model_copy(update={"mesh": mesh}), path, cache)
    TIMES[path.name] = time.process_time() - t
    return model


@pytest.fixture(scope="module")
def harms_and_intact(shared_mesh_cache):
    # 5 mm TET4, the coarsest the column meshes at: the intact one is the mesh tests/test_column.py
    # builds (one shared cache), the construct ~1 CPU-min more
    return (_tet4_model(HARMS, shared_mesh_cache),
            _tet4_model(ROOT / "models/intact.toml", shared_mesh_cache))


@pytest.mark.slow
def test_the_harms_construct_keeps_the_whole_intact_column_and_holds_its_screws(harms_and_intact):
    """Meshed, the construct is the intact column (the same bones, each of the same volume, every
    joint with its cartilage and contact faces, the disc, every ligament) plus four screws and two
    rods; every screw clears the canal and the transverse foramina (fea/geometry/clearance.py,
    docs/screw_safety.md) and is held by its bone, every rod by both screw heads."""
    from fea.contact.sides import resolve_faces
    from fea.embedded import Embedded, embed

    harms, intact = harms_and_intact
    hm, im = harms.mesh, intact.mesh
    assert set(hm.cell_sets) == set(im.cell_sets) | set(HARDWARE)
    for body in ("C0", "C1", "C2", "C3", "disc_C2C3", "facet_C1C2_L", "facet_C1C2_R",
                 "facet_C1C2_M"):
        # the screws are meshed apart, overlapping the bone: no bone is cut or removed
        assert hm.volume(body) == pytest.approx(im.volume(body), rel=0.01), body
    assert [i.name for i in harms.interfaces] == [i.name for i in intact.interfaces]
    for hi, ii in zip(harms.interfaces, intact.interfaces):
        assert hi.law == ii.law == "frictionless", hi.name
        for side in (hi.slave, hi.master):  # each joint's faces, as many as the intact mesh's
            n, n0 = (len(resolve_faces(m, side, "test")) for m in (harms, intact))
            assert n == pytest.approx(n0, rel=0.25) and n > 10, (hi.name, side, n, n0)
    assert [lg.name for lg in harms.ligaments] == [lg.name for lg in intact.ligaments]
    clear = screw_clearance(hm)
    assert sorted(clear) == ["screw_C1_L", "screw_C1_R", "screw_C2_L", "screw_C2_R"]
    for s, v in clear.items():
        assert not v["breach"] and v["min_mm"] > 0.0, (s, v)
        assert v["nearest"] == f"{s[6:8]}_canal", (s, v)  # the canal is the nearest wall
    for e in harms.embedded:
        for h in e.hosts:
            assert len(embed(hm, Embedded(e.name, e.cell_set, (h,))).nodes) >= 3, (e.cell_set, h)
        if e.cell_set.startswith("screw_"):
            assert embed(hm, e).free > 0, e.cell_set  # the head stands out of the bone
