"""Membrane elements (fea.membranes, M3D3 / M3D6) on the faces of a solid: patch test, thin and
composite tubes against beam theory, CalculiX cross-check, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from fea.materials import LinearElastic
from fea.membranes import Membrane, membrane_fields, membrane_stiffness
from fea.model import LoadCase, Model, Section, Step, Support
from fea.static import solve
from helpers import structured_box

E_W, NU_W, T_W = 12000.0, 0.3, 0.5  # the wall: cortical bone, 0.5 mm
E_S, NU_S = 450.0, 0.3  # the solid under it


def _plate_model(order: int, field: np.ndarray) -> Model:
    """A 10 x 10 x 2 mm plate of tets with a membrane on its top face; the given linear field
    (3 x 3 gradient) prescribed on the four side faces' nodes, the rest free."""
    mesh = structured_box((4, 4, 2), size=(10.0, 10.0, 2.0), jitter=0.25)
    mesh = mesh.to_tet10() if order == 2 else mesh
    exact = mesh.nodes @ field.T
    sides = np.unique(np.concatenate([mesh.nodes_of(s) for s in ("xmin", "xmax", "ymin",
                                                                  "ymax")]))
    for i in sides:
        mesh.node_sets[f"n{i}"] = np.array([i])
    mats = {"s": LinearElastic("s", E_S, NU_S), "w": LinearElastic("w", E_W, NU_W)}
    return Model("plate", mesh, mats, [Section("body", "s")],
                 [Support(f"n{i}", (0, 1, 2), tuple(exact[i])) for i in sides],
                 membranes=[Membrane("zmax", "w", T_W, "plate")])


@pytest.mark.parametrize("order", [1, 2])
def test_patch_test_membrane_on_a_plate(order):
    """An in-plane linear field with the solid in plane stress (eps_zz = -nu/(1-nu) tr, no
    transverse shear) is an exact solution of solid + membrane without load: the free interior
    and top nodes must take it and the membrane's stress must be D_ps eps exactly."""
    a, b, c, d = 1e-3, 2e-3, -0.5e-3, -2e-3  # du/dx, du/dy, dv/dx, dv/dy
    ezz = -NU_S / (1 - NU_S) * (a + d)
    G = np.array([[a, b, 0.0], [c, d, 0.0], [0.0, 0.0, ezz]])
    model = _plate_model(order, G)
    res = solve(model, LoadCase("none", [Step("s")]))
    u = res.displacement()
    exact = model.mesh.nodes @ G.T
    assert np.abs(u - exact).max() < 1e-10 * np.abs(exact).max()
    (f,) = membrane_fields(model, u)
    exx, eyy, gxy = a, d, b + c
    k = E_W / (1 - NU_W ** 2)
    sig = np.array([k * (exx + NU_W * eyy), k * (eyy + NU_W * exx), 0.0,
                    k * 0.5 * (1 - NU_W) * gxy, 0.0, 0.0])
    assert np.abs(f["stress"] - sig).max() < 1e-10 * np.abs(sig).max()
    vm = np.sqrt(sig[0] ** 2 - sig[0] * sig[1] + sig[1] ** 2 + 3 * sig[3] ** 2)
    assert np.abs(f["von_mises"] - vm).max() < 1e-10 * vm
    assert abs(f["area"].sum() - 100.0) < 1e-10


def test_membrane_stiffness_is_symmetric_and_free_of_rigid_modes_on_a_curved_surface():
    from fea.constraints import rigid_modes

    mesh = structured_box((3, 3, 2), size=(6.0, 6.0, 2.0), jitter=0.2).to_tet10()
    x = mesh.nodes
    x[:, 2] += 0.05 * (x[:, 0] - 3.0) ** 2 - 0.03 * x[:, 1] ** 2  # curve the TRI6 faces
    model = Model("m", mesh, {"w": LinearElastic("w", E_W, NU_W)}, [Section("body", "w")],
                  membranes=[Membrane("zmax", "w", T_W)])
    K = membrane_stiffness(model)
    assert abs(K - K.T).max() < 1e-12 * abs(K).max()
    R = rigid_modes(x, x.mean(0))
    assert np.abs(K @ R).max() < 1e-10 * abs(K).max() * np.abs(R).max()


# ---------------------------------------------------------------- tubes against beam theory
R, L_TUBE = 6.0, 60.0  # a lateral mass's / the dens's radius
M_X, P_Z = 1000.0, 100.0  # N mm about x, N along -z


def _tube(radius: float, E_core: float, order: int = 2, h: float = 3.0) -> tuple[float, float]:
    """A solid TET10 cylinder (clamped base, a rigid top driven through a kinematic coupling)
    with membranes on its side; (bending, axial) compliance: rotation per moment and shortening
    per force at the top."""
    from fea.geometry.primitives import cylinder
    from fea.model import RefLoad, RefPoint

    mesh = cylinder(radius, L_TUBE, h, order)
    mats = {"w": LinearElastic("w", E_W, NU_W), "s": LinearElastic("s", E_core, NU_S)}
    model = Model("tube", mesh, mats, [Section("body", "s")], [Support("bottom")],
                  {"top": RefPoint("top", np.array([0.0, 0.0, L_TUBE]), "kinematic", "top")},
                  membranes=[Membrane("side", "w", T_W, "tube")])
    lc = LoadCase("b", [Step("s", [RefLoad("top", np.array([0, 0, -P_Z]),
                                           np.array([M_X, 0, 0]))])])
    mo = solve(model, lc).ref_motion("top")
    return abs(mo[3]) / M_X, abs(mo[2]) / P_Z


def _membrane_beam(r: float, E_core: float) -> tuple[float, float]:
    """EI, EA of a membrane of radius r (thin-walled: I = pi r^3 t, A = 2 pi r t) on a full
    core of radius r."""
    return (E_W * np.pi * r ** 3 * T_W + E_core * np.pi * r ** 4 / 4,
            E_W * 2 * np.pi * r * T_W + E_core * np.pi * r ** 2)


def test_thin_walled_tube_carried_by_its_membrane():
    """The membrane alone (a 1 MPa core, 1/12000 of the wall, counted in the analytic value)
    against the thin-walled tube E pi R^3 t, E 2 pi R t: 3 mm TET10 (curved TRI6 faces) is
    within 1 % (discretisation and the clamped base's restrained Poisson contraction; 0.1 %
    measured)."""
    c_bend, c_ax = _tube(R, 1.0)
    EI, EA = _membrane_beam(R, 1.0)
    assert abs(L_TUBE / EI / c_bend - 1) < 0.01
    assert abs(L_TUBE / EA / c_ax - 1) < 0.01


def test_composite_tube_membrane_on_a_soft_core():
    """Cortex (12000 MPa, 0.5 mm) on cancellous core (450 MPa): the FE matches the composite
    beam of the membrane model within 1 %; that model, measured against the real 0.5 mm wall
    (EI of the annulus R - t .. R plus the core inside it), is as stiff as the formulas say:
    with the membrane on the outer surface too stiff by (R / (R - t/2))^3 in bending (1.16 at
    R = 6 mm: the wall's material sits t/2 too far out), with the solid's surface at the wall's
    mid-surface within 2 % (the core under the wall's inner half counted twice)."""
    EI_wall = E_W * np.pi / 4 * (R ** 4 - (R - T_W) ** 4) + E_S * np.pi / 4 * (R - T_W) ** 4
    EA_wall = E_W * np.pi * (R ** 2 - (R - T_W) ** 2) + E_S * np.pi * (R - T_W) ** 2
    for r in (R, R - T_W / 2):
        c_bend, c_ax = _tube(r, E_S)
        EI, EA = _membrane_beam(r, E_S)
        assert abs(L_TUBE / EI / c_bend - 1) < 0.01
        assert abs(L_TUBE / EA / c_ax - 1) < 0.01
        if r < R:  # mid-surface placement: the honest one
            assert abs(L_TUBE / EI_wall / c_bend - 1) < 0.02
            assert abs(L_TUBE / EA_wall / c_ax - 1) < 0.02
        else:
            assert L_TUBE / EI_wall / c_bend > 1.12


# ---------------------------------------------------------------- CalculiX
@pytest.mark.ccx
@pytest.mark.skipif(__import__("shutil").which("ccx") is None, reason="ccx is not installed")
@pytest.mark.parametrize("order", [1, 2])
def test_ccx_solid_with_membranes(tmp_path, order):
    """A cantilever of soft solid with a stiff membrane on two faces, exported and solved by
    ccx 2.20. TET4: *ELEMENT, TYPE=M3D3 + *MEMBRANE SECTION is our element: nodal displacements
    agree to 1e-5 of the largest (1.4e-7 measured). TET10: ccx's M3D6 came out 30 % softer than
    ours and than its own S6 shell, so the calculix dialect writes S6 + *SHELL SECTION, which
    adds the wall's own plate bending (t^3/12): within 0.5 % (0.37 % measured, ccx stiffer).
    The membranes stop one element short of the clamp: ccx ties a shell's expanded nodes to an
    SPC'd node by its own MPCs, which differ from a plain membrane node there (2.3 % measured
    with S6 faces on the clamp)."""
    from fea.abaqus import write_deck
    from fea.abaqus.ccx import read_dat_displacements, run_ccx
    from fea.linsolve import SolverSettings
    from fea.model import SurfaceForce

    mesh = structured_box((8, 2, 2), size=(40.0, 6.0, 6.0), jitter=0.15)
    mesh = mesh.to_tet10() if order == 2 else mesh
    for name in ("zmax", "ymax"):  # the faces off the clamp (see the docstring)
        f = mesh.face_sets[name]
        off = (mesh.nodes[mesh.face_connectivity(f), 0] > 1e-9).all(axis=1)
        mesh.face_sets[f"{name}_free"] = f[off]
    model = Model("mem_check", mesh, {"s": LinearElastic("s", E_S, NU_S),
                                      "w": LinearElastic("w", E_W, NU_W)},
                  [Section("body", "s")], [Support("xmin", name="clamp")],
                  membranes=[Membrane("zmax_free", "w", T_W),
                             Membrane("ymax_free", "w", 2 * T_W)])
    lc = LoadCase("bend", [Step("s", [SurfaceForce("xmax", np.array([0.0, 30.0, -40.0]))])])
    deck = tmp_path / "job.inp"
    write_deck(model, lc, deck)
    text = deck.read_text()
    assert (f"TYPE={'S6' if order == 2 else 'M3D3'}," in text
            and f"*{'SHELL' if order == 2 else 'MEMBRANE'} SECTION" in text)
    run = run_ccx(deck, threads=2)
    ours = solve(model, lc, SolverSettings(backend="direct"))
    ((_, _, labels, u_ccx),) = [t for t in read_dat_displacements(run.dat) if t[0] == "NALL"]
    u = ours.displacement()[np.searchsorted(mesh.node_ids, labels)]
    rel = np.abs(u - u_ccx).max() / np.abs(u).max()
    print(f"max |ours - ccx| / max |u| = {rel:.2e}")
    # without the membranes the cantilever is several times softer: they are in both
    bare = solve(Model("bare", mesh, model.materials, model.sections, model.supports), lc,
                 SolverSettings(backend="direct")).displacement()
    assert np.abs(bare).max() > 2 * np.abs(u).max()
    assert rel < (5e-3 if order == 2 else 1e-5)


# ---------------------------------------------------------------- model file to result files
MODEL_TOML = """
[model]
name = "skinned_bar"
[mesh]
builder = "box"
params = { lx_mm = 10.0, ly_mm = 10.0, lz_mm = 20.0 }
size_mm = 5.0
element_order = ORDER
[materials.core]
E_MPa = 450.0
nu = 0.3
[materials.cortex]
E_MPa = 12000.0
nu = 0.3
[[sections]]
cell_set = "body"
material = "core"
role = "bone"
body = "bar"
[[membranes]]
face_set = "xmax"
material = "cortex"
thickness_mm = 0.5
body = "bar"
[[membranes]]
face_set = "ymax"
material = "cortex"
thickness_mm = 1.0
body = "bar"
[[supports]]
set = "zmin"
dofs = ["uz"]
[[supports]]
set = "xmin"
dofs = ["ux"]
[[supports]]
set = "ymin"
dofs = ["uy"]
"""
STRETCH_TOML = """
[loadcase]
name = "stretch"
[[steps]]
name = "pull"
displacements = [{ set = "zmax", dofs = ["uz"], displacement_mm = 0.02 }]
"""


@pytest.mark.parametrize("order", [1, 2])
def test_solve_writes_membrane_stresses(tmp_path, order):
    """`solve` on a model file with [[membranes]]: a box on rollers stretched by 0.02 mm over
    20 mm is in uniform uniaxial strain 1e-3 (solid and membranes share nu, so nothing is
    restrained sideways): the membranes' stress is E_wall * 1e-3 = 12 MPa on every face, in
    membranes.vtu and summary.json."""
    import json

    import meshio

    from fea.cli import main

    (tmp_path / "m.toml").write_text(MODEL_TOML.replace("ORDER", str(order)))
    (tmp_path / "lc.toml").write_text(STRETCH_TOML)
    out = tmp_path / "out"
    assert main(["solve", str(tmp_path / "m.toml"), "--loadcase", str(tmp_path / "lc.toml"),
                 "--out", str(out), "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    sig = 12000.0 * 1e-3
    for name, t in (("xmax", 0.5), ("ymax", 1.0)):
        entry = summary["membranes"][name]
        assert entry["body"] == "bar" and entry["thickness_mm"] == t
        assert abs(entry["max_von_mises_MPa"] - sig) < 1e-8 * sig
        assert abs(entry["area_mm2"] - 200.0) < 1e-9
    vtu = meshio.read(out / "membranes.vtu")
    assert vtu.cells[0].type == ("triangle6" if order == 2 else "triangle")
    vm = np.concatenate(vtu.cell_data["von_mises_MPa"])
    assert np.abs(vm - sig).max() < 1e-8 * sig
    s = np.concatenate(vtu.cell_data["stress_MPa"])
    assert np.abs(s[:, 2] - sig).max() < 1e-8 * sig and np.abs(s[:, [0, 1, 3, 4, 5]]).max() < 1e-8
    assert (out / "steps").is_dir() and any(p.name.endswith("_membranes.vtu")
                                            for p in (out / "steps").iterdir())


@pytest.mark.parametrize("order, dialect", [(1, "calculix"), (2, "abaqus"), (2, "calculix")])
def test_exported_deck_reads_back_with_its_membranes(tmp_path, order, dialect):
    """export -> read_deck: the membranes come back on the same faces with their material and
    thickness (S6 shells of the calculix dialect as membranes), and the deck solves to our
    answer (1e-10)."""
    from fea.abaqus import read_deck, write_deck
    from fea.model import SurfaceForce

    mesh = structured_box((4, 2, 2), size=(20.0, 6.0, 6.0), jitter=0.15)
    mesh = mesh.to_tet10() if order == 2 else mesh
    model = Model("rt", mesh, {"s": LinearElastic("s", E_S, NU_S),
                               "w": LinearElastic("w", E_W, NU_W)},
                  [Section("body", "s")], [Support("xmin")],
                  membranes=[Membrane("zmax", "w", T_W), Membrane("ymax", "w", 2 * T_W)])
    lc = LoadCase("bend", [Step("s", [SurfaceForce("xmax", np.array([0.0, 30.0, -40.0]))])])
    deck = tmp_path / "job.inp"
    write_deck(model, lc, deck, dialect)
    back = read_deck(deck)
    assert [(m.material, m.thickness) for m in back.model.membranes] == [("w", T_W),
                                                                         ("w", 2 * T_W)]
    for m, orig in zip(back.model.membranes, ("zmax", "ymax")):
        assert np.array_equal(np.sort(back.model.mesh.faces(m.face_set), axis=0),
                              np.sort(mesh.faces(orig), axis=0))
    u = solve(model, lc).displacement()
    again = solve(back.model, back.loadcase).displacement()
    assert np.abs(again - u).max() < 1e-10 * np.abs(u).max()


@pytest.mark.parametrize("order", [1, 2])
def test_two_bodies_each_with_its_cortex_as_boundary_faces(order):
    """Two bones of one conforming mesh (stacked boxes sharing the nodes of their contact face),
    each with `<body>_cortical` = the boundary faces of its own cells (what the anatomy builder
    makes: fea.geometry.keepout.boundary_faces), stretched on rollers by 1e-3 with nu = 0 (no
    lateral strain, so the uniform field is exact): side faces carry E_wall 1e-3, the faces
    normal to the stretch (ends, and both sides of the contact face) nothing, and the force is
    (E_core A + E_wall t perimeter) 1e-3, exactly."""
    from fea.geometry.keepout import boundary_faces

    mesh = structured_box((2, 2, 4), size=(10.0, 10.0, 20.0))
    mesh = mesh.to_tet10() if order == 2 else mesh
    zc = mesh.nodes[mesh.cells[:, :4], 2].mean(axis=1)
    for body, cells in (("A", np.flatnonzero(zc < 10)), ("B", np.flatnonzero(zc > 10))):
        mesh.cell_sets[body] = cells
        mesh.face_sets[f"{body}_cortical"] = boundary_faces(mesh, cells)[0]
    mats = {"canc": LinearElastic("canc", E_S, 0.0), "cort": LinearElastic("cort", E_W, 0.0)}
    model = Model("two", mesh, mats, [Section("A", "canc", "bone", "A"),
                                      Section("B", "canc", "bone", "B")],
                  [Support("zmin", (2,)), Support("xmin", (0,)), Support("ymin", (1,))],
                  membranes=[Membrane("A_cortical", "cort", T_W, "A"),
                             Membrane("B_cortical", "cort", T_W, "B")])
    assert len(mesh.faces("A_cortical")) == len(mesh.faces("B_cortical")) == 2 * 8 + 4 * 8
    res = solve(model, LoadCase("pull", [Step("s", displacements=[
        Support("zmax", (2,), (0.02,))])]))
    for f in membrane_fields(model, res.displacement()):
        n = np.cross(*(model.mesh.nodes[f["group"].conn[:, 1:3]]
                       - model.mesh.nodes[f["group"].conn[:, :1]]).transpose(1, 0, 2))
        axial = np.abs(n[:, 2]) > 0.5 * np.linalg.norm(n, axis=1)  # faces normal to z
        assert np.abs(f["von_mises"][~axial] - E_W * 1e-3).max() < 1e-9 * E_W * 1e-3
        assert np.abs(f["von_mises"][axial]).max() < 1e-9 * E_W * 1e-3
    top = mesh.nodes_of("zmax")
    force = res.final.reaction[3 * top + 2].sum()
    assert abs(force / ((E_S * 100.0 + E_W * T_W * 40.0) * 1e-3) - 1) < 1e-9


def test_membranes_in_the_newton_solve():
    """The Newton driver assembles the membranes as the linear one does: the two-body stretch
    with a slack ligament added (laxity 5 mm, so the exact answer is unchanged) solves to the
    linear answer; and with a frictionless contact between the bodies (which splits the shared
    nodes) the split model's membrane stiffness, summed back onto the original nodes, is the
    unsplit one."""
    from fea.geometry.keepout import boundary_faces
    from fea.model import Interface, Ligament, LigamentLaw
    from fea.solve_case import make_analysis, solve_case

    mesh = structured_box((2, 2, 4), size=(10.0, 10.0, 20.0)).to_tet10()
    zc = mesh.nodes[mesh.cells[:, :4], 2].mean(axis=1)
    for body, cells in (("A", np.flatnonzero(zc < 10)), ("B", np.flatnonzero(zc > 10))):
        mesh.cell_sets[body] = cells
        mesh.face_sets[f"{body}_cortical"] = boundary_faces(mesh, cells)[0]
    mats = {"canc": LinearElastic("canc", E_S, NU_S), "cort": LinearElastic("cort", E_W, NU_W)}
    model = Model("two", mesh, mats, [Section("A", "canc", "bone", "A"),
                                      Section("B", "canc", "bone", "B")],
                  [Support("zmin", (2,)), Support("xmin", (0,)), Support("ymin", (1,))],
                  membranes=[Membrane("A_cortical", "cort", T_W, "A"),
                             Membrane("B_cortical", "cort", T_W, "B")])
    lc = LoadCase("pull", [Step("s", displacements=[Support("zmax", (2,), (0.02,))])])
    u_lin = solve(model, lc).displacement()
    slack = Ligament("slack", "xmax", "ymax", LigamentLaw("toe_linear", 10.0, 0.1, laxity=5.0))
    with_lig = Model(**{**model.__dict__, "ligaments": [slack]})
    an = make_analysis(with_lig)
    assert type(an).__name__ == "NewtonAnalysis"
    case = solve_case(with_lig, lc, analysis=an)
    assert case.result.converged and "membranes" in case.extra
    u = case.result.displacement()[:len(u_lin)]
    assert np.abs(u - u_lin).max() < 1e-8 * np.abs(u_lin).max()

    both = np.vstack([mesh.faces("A_cortical"), mesh.faces("B_cortical")])
    mesh.face_sets["AB"] = both[  # the shared face z = 10, both sides
        np.abs(mesh.nodes[mesh.face_connectivity(both), 2] - 10).max(1) < 1e-9]
    contact = Model(**{**model.__dict__,
                       "interfaces": [Interface("joint", "AB@B", "AB@A", "frictionless")]})
    split = make_analysis(contact).model
    assert split.mesh.n_nodes > mesh.n_nodes and split.membranes == model.membranes
    _, origin = __import__("scipy.spatial").spatial.cKDTree(mesh.nodes).query(split.mesh.nodes)
    n = split.mesh.n_nodes
    import scipy.sparse as sp

    P = sp.csr_matrix((np.ones(3 * n), (np.arange(3 * n),
                                         (3 * origin[:, None] + np.arange(3)).ravel())),
                      shape=(3 * n, 3 * mesh.n_nodes))
    K0 = membrane_stiffness(model)
    assert abs(P.T @ membrane_stiffness(split) @ P - K0).max() < 1e-12 * abs(K0).max()


def test_a_variant_removing_a_bone_drops_its_cortex():
    """remove_bodies = ["C2"] (the AVB construct's resection) drops C2's membranes, named by
    body or by the `<bone>_cortical` face set, and keeps the others."""
    from fea.variants import _drop_bodies

    data = {"sections": [{"cell_set": "C2_cancellous", "body": "C2"},
                         {"cell_set": "C3_cancellous", "body": "C3"}],
            "membranes": [{"face_set": "C2_cortical", "material": "c", "thickness_mm": 0.5,
                           "body": "C2"},
                          {"face_set": "C2_cortical", "material": "c", "thickness_mm": 0.5},
                          {"face_set": "C3_cortical", "material": "c", "thickness_mm": 0.5,
                           "body": "C3"}]}
    out = _drop_bodies(data, ["C2"], "m.toml: variants.x.remove_bodies")
    assert [m["face_set"] for m in out["membranes"]] == ["C3_cortical"]


@pytest.mark.parametrize("wall_yield, flagged", [(10.0, True), (20.0, False)])
def test_case_metrics_judge_the_membrane_cortex_by_its_stress(tmp_path, wall_yield, flagged):
    """The case metrics read the cortex's stress from its membranes: the stretched bar's walls
    carry 12 MPa (E_wall * 1e-3, above), so a wall material of yield 10 MPa is over its strength
    and flagged, one of 20 MPa is not; the summary names the membranes' body role and material."""
    import json

    from fea.cli import main
    from fea.metrics.case_files import metrics_from_case_dir

    toml = MODEL_TOML.replace("ORDER", "1").replace(
        "[materials.cortex]\nE_MPa = 12000.0\n", f"[materials.cortex]\nE_MPa = 12000.0\n"
        f"yield_MPa = {wall_yield}\n")
    (tmp_path / "m.toml").write_text(toml)
    (tmp_path / "lc.toml").write_text(STRETCH_TOML)
    out = tmp_path / "out"
    assert main(["solve", str(tmp_path / "m.toml"), "--loadcase", str(tmp_path / "lc.toml"),
                 "--out", str(out), "-q"]) == 0
    entry = json.loads((out / "summary.json").read_text())["membranes"]["xmax"]
    assert entry["role"] == "bone" and entry["yield_MPa"] == wall_yield
    m = metrics_from_case_dir(out)
    cortex = m["strength"]["cortex"]
    assert set(cortex) == {"xmax", "ymax"}
    for c in cortex.values():
        assert abs(c["p99_MPa"] - 12.0) < 1e-6 and c["strength_MPa"] == wall_yield
        assert c["over_strength"] is flagged
    assert any("bone cortex 'xmax'" in f for f in m["flags"]) is flagged
    assert "xmax" not in m["strength"]["regions"]  # bone: not an implant strength region
