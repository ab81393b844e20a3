"""Hexahedra (C3D8, C3D8I, C3D8R, C3D20, C3D20R) and wedges (C3D6, C3D15) through the element
registry: reference-cell facts, patch
tests on distorted elements, stiffness against scikit-fem, a cantilever against beam theory, deck
pressure loads on hexahedron faces, a tetrahedral body tied to a hexahedral one, VTU cell types.
The CalculiX cross-check of the same decks is tests/test_ccx_hex.py."""

from __future__ import annotations

import numpy as np
import pytest

from fea.assembly import assemble_stiffness, build_pattern
from fea.elements import ELEMENTS, element_type
from fea.errors import MeshError
from fea.materials import LinearElastic
from fea.mesh import Mesh
from fea.model import LoadCase, Model, Section, Step, Support, SurfaceForce
from fea.post import nodal_stress, qp_stress, split_by_region
from fea.static import material_ids, solve
from helpers import CUBE_NODES, hex_box, one_material_model, structured_box, wedge_box

A = np.array([[1e-3, 2e-3, -1e-3], [0.5e-3, -2e-3, 1e-3], [3e-3, 1e-3, 2e-3]])
b = np.array([1e-2, -2e-2, 3e-2])
HEXES = ["C3D8", "C3D8I", "C3D8R", "C3D20", "C3D20R"]
WEDGES = ["C3D6", "C3D15"]


def _box(name: str, n, **kw) -> Mesh:
    return (wedge_box if name in WEDGES else hex_box)(n, cell_type=name, **kw)


@pytest.mark.parametrize("name", sorted(ELEMENTS))
def test_reference_cell(name):
    """Kronecker property, partition of unity, derivatives (central differences), weights
    summing to the reference volume, and faces listed with outward normals."""
    et = element_type(name)
    N, _ = et.shape(et.ref_coords)
    assert np.abs(N - np.eye(et.n_nodes)).max() < 1e-13
    p = np.array([[0.13, 0.21, 0.17], [-0.4, 0.1, 0.3]]) * (0.5 if name.startswith("C3D1")
                                                             or name == "C3D4" else 1.0)
    Np, dNp = et.shape(p)
    assert np.abs(Np.sum(1) - 1).max() < 1e-13 and np.abs(dNp.sum(1)).max() < 1e-13
    h = 1e-6
    for d in range(3):
        e = np.zeros(3)
        e[d] = h
        fd = (et.shape(p + e)[0] - et.shape(p - e)[0]) / (2 * h)
        assert np.abs(fd - dNp[:, :, d]).max() < 1e-8
    vol = {4: 1 / 6, 6: 1.0, 8: 8.0}[et.n_corners]
    assert abs(et.weights.sum() - vol) < 1e-13
    centre = et.ref_coords[:et.n_corners].mean(0)
    for face in et.faces:
        x = et.ref_coords[face[face >= 0]]
        n = np.cross(x[1] - x[0], x[2] - x[0])
        assert n @ (x[:3].mean(0) - centre) > 0
    # quadrature values -> nodes reproduces a linear field exactly (a constant on C3D4's one
    # point)
    g = np.array([0.3, -0.2, 0.5]) if len(et.points) >= et.n_corners else np.zeros(3)
    lin = et.points @ g + 0.1
    assert np.abs(et.extrapolation @ lin - (et.ref_coords @ g + 0.1)
                  ).max() < 1e-12


@pytest.mark.parametrize("name", HEXES + WEDGES)
def test_patch_test_distorted_elements(name):
    """A linear displacement field on the boundary of 27 distorted bricks (54 wedges) is
    reproduced inside to 1e-10, with the constant stress D eps at every point and every output
    node."""
    mesh = _box(name, (3, 3, 3), jitter=0.25)
    assert mesh.check().min_jacobian_ratio < 0.5  # really distorted
    exact = mesh.nodes @ A.T + b
    bf = mesh.boundary_faces()
    bnd = np.unique(np.concatenate([mesh.face_connectivity(bf[rows]).ravel()
                                    for _, rows in mesh.face_groups(bf)]))
    for i in bnd:
        mesh.node_sets[f"n{i}"] = np.array([i])
    model = one_material_model(
        mesh, supports=[Support(f"n{i}", (0, 1, 2), tuple(exact[i])) for i in bnd])
    u = solve(model, LoadCase("none", [Step("s")])).displacement()
    interior = np.setdiff1d(np.arange(mesh.n_nodes), bnd)
    assert len(interior) > 0
    assert np.abs(u - exact).max() / np.abs(exact).max() < 1e-10
    eps = np.array([A[0, 0], A[1, 1], A[2, 2], A[0, 1] + A[1, 0], A[1, 2] + A[2, 1],
                    A[0, 2] + A[2, 0]])
    sig = LinearElastic("m", 1000.0, 0.3).D() @ eps
    mid, Ds = material_ids(model)
    qp = qp_stress(mesh.nodes, mesh, mid, Ds, u)
    assert qp.shape[1] == len(element_type(name).points)
    assert np.abs(qp - sig).max() < 1e-9 * np.abs(sig).max()
    split = split_by_region(mesh.padded_cells(), np.zeros(mesh.n_cells, int))
    assert np.abs(nodal_stress(mesh, qp, split) - sig).max() < 1e-9 * np.abs(sig).max()


@pytest.mark.parametrize("name", HEXES + WEDGES)
def test_stiffness_is_symmetric_with_six_rigid_modes(name):
    from fea.constraints import rigid_modes

    mesh = _box(name, (2, 2, 2), jitter=0.2)
    K = assemble_stiffness(mesh.nodes, mesh, np.zeros(mesh.n_cells, int),
                           LinearElastic("m", 5000.0, 0.25).D()[None],
                           build_pattern(mesh, mesh.n_nodes))
    assert abs(K - K.T).max() < 1e-12 * abs(K).max()
    assert np.abs(K @ rigid_modes(mesh.nodes, mesh.nodes.mean(0))).max() < 1e-10 * abs(K).max()
    w = np.linalg.eigvalsh(K.toarray())
    # exactly six zero modes: C3D20R's single-element spurious modes do not survive 2x2x2
    assert (np.abs(w[:6]) < 1e-9 * w[-1]).all() and w[6] > 1e-6 * w[-1]


def test_c3d8_stiffness_equals_scikit_fem():
    skfem = pytest.importorskip("skfem")
    from scipy.spatial import cKDTree
    import scipy.sparse as sp
    from skfem.models.elasticity import lame_parameters, linear_elasticity

    mesh = hex_box((2, 3, 2), size=(1.0, 2.0, 1.5), jitter=0.2)
    K = assemble_stiffness(mesh.nodes, mesh, np.zeros(mesh.n_cells, int),
                           LinearElastic("m", 1000.0, 0.3).D()[None],
                           build_pattern(mesh, mesh.n_nodes))
    # scikit-fem numbers hexahedron corners its own way: its default one-cell mesh lists them
    # (vertex j at unit-cube point p[:, j]); ours sit at (ref + 1) / 2
    unit = (element_type("C3D8").ref_coords + 1) / 2
    sk_p = skfem.MeshHex().p.T
    perm = [int(np.flatnonzero((np.abs(unit - q) < 1e-12).all(1))[0]) for q in sk_p]
    m = skfem.MeshHex(mesh.nodes.T, mesh.cells[:, perm].T)
    basis = skfem.Basis(m, skfem.ElementVector(skfem.ElementHex1()), intorder=3)
    Ks = skfem.asm(linear_elasticity(*lame_parameters(1000.0, 0.3)), basis)
    dist, idx = cKDTree(mesh.nodes).query(basis.doflocs.T)
    assert dist.max() < 1e-12
    perm = np.empty(Ks.shape[0], int)
    for c in range(3):
        perm[basis.nodal_dofs[c]] = 3 * idx[basis.nodal_dofs[c]] + c
    P = sp.csr_matrix((np.ones(len(perm)), (perm, np.arange(len(perm)))), shape=Ks.shape)
    assert abs(P @ Ks @ P.T - K).max() < 1e-12 * abs(K).max()


# ---------------------------------------------------------------- cantilever against beam theory
L, B, H, E, NU, P = 60.0, 6.0, 6.0, 1000.0, 0.3, 1.0


def _tip_ratio(name: str, n) -> float:
    """Mean tip deflection of a clamped square cantilever under an end shear, over Timoshenko's
    (Cowper's shear coefficient 10(1+nu)/(12+11nu) for a rectangle)."""
    mesh = hex_box(n, size=(L, B, H), cell_type=name)
    model = one_material_model(mesh, E=E, nu=NU, supports=[Support("xmin", (0, 1, 2))])
    res = solve(model, LoadCase("l", [Step("s", [SurfaceForce("xmax", np.array([0, 0, -P]))])]))
    I, G, k = B * H**3 / 12, E / (2 * (1 + NU)), 10 * (1 + NU) / (12 + 11 * NU)
    ref = P * L**3 / (3 * E * I) + P * L / (k * G * B * H)
    return float(-res.displacement()[mesh.nodes_of("xmax"), 2].mean() / ref)


def test_cantilever_quadratic_hexahedra_match_beam_theory():
    """10 x 2 x 2 quadratic bricks: within 2 % of Timoshenko (the clamped face, which also
    stops the Poisson contraction there, makes the 3-D beam 1 % stiffer: 0.985 for C3D20,
    0.989 for C3D20R, measured); reduced integration is the softer of the two."""
    c20, c20r = _tip_ratio("C3D20", (10, 2, 2)), _tip_ratio("C3D20R", (10, 2, 2))
    assert 0.98 < c20 < 1.0 and 0.98 < c20r < 1.0
    assert c20r > c20


def test_c3d8_locks_in_bending_and_c3d8i_cures_it():
    """Fully integrated linear bricks lock in bending (shear locking): one element through the
    depth gives 64 % of the beam deflection, halving the size 87 %. The incompatible modes of
    C3D8I remove the locking: 98.6 % with one element through the depth (measured)."""
    coarse, fine = _tip_ratio("C3D8", (10, 1, 1)), _tip_ratio("C3D8", (20, 2, 2))
    assert coarse < 0.7 and 0.8 < fine < 0.95
    assert 0.98 < _tip_ratio("C3D8I", (10, 1, 1)) < 1.0


def test_c3d8r_converges_from_above_and_hourglasses_in_one_layer():
    """C3D8R (one point, CalculiX 2.20's hourglass stiffness 0.0005 E V sum|B|^2): bending a
    single layer of elements through the depth is carried by the hourglass modes alone, 27.5
    times too soft (measured); two layers 1.31, four 1.056: it converges to the beam from the
    soft side, as a one-point element should."""
    one, two, four = (_tip_ratio("C3D8R", n) for n in ((10, 1, 1), (20, 2, 2), (40, 4, 4)))
    assert one > 10.0
    assert 1.2 < two < 1.4 and 1.0 < four < 1.1 and four < two


# ---------------------------------------------------------------- decks: pressure on hex faces
def _cube_deck(tmp_path, element: str, dload: str):
    from fea.abaqus import read_deck

    text = (CUBE_NODES + f"*ELEMENT, TYPE={element}, ELSET=EALL\n"
            + ("1, 1, 2, 3, 4, 5, 6, 7, 8\n" if element == "C3D8" else "1, 1, 2, 4, 5\n")
            + "*MATERIAL, NAME=M\n*ELASTIC\n1000, 0.3\n*SOLID SECTION, ELSET=EALL, MATERIAL=M\n"
            "*STEP\n*STATIC\n*BOUNDARY\n1, 1, 3\n" + dload + "*END STEP\n")
    if element != "C3D8":
        text = text.replace("3, 1, 1, 0\n", "").replace("6, 1, 0, 1\n", "").replace(
            "7, 1, 1, 1\n", "").replace("8, 0, 1, 1\n", "")
    path = tmp_path / "cube.inp"
    path.write_text(text)
    return read_deck(path), path


@pytest.mark.parametrize("label, axis, sign", [("P1", 2, 1), ("P2", 2, -1), ("P3", 1, 1),
                                               ("P4", 0, -1), ("P5", 1, -1), ("P6", 0, 1)])
def test_dload_on_each_hexahedron_face(tmp_path, label, axis, sign):
    """*DLOAD P1..P6 presses on Abaqus faces S1..S6 of a unit C3D8: the resultant is the
    pressure times the unit area, into the element, along the face's axis."""
    from fea.loading import load_vector

    deck, _ = _cube_deck(tmp_path, "C3D8", f"*DLOAD\nEALL, {label}, 2.5\n")
    step = deck.loadcase.steps[0]
    f = load_vector(deck.model, step.loads)[: 3 * 8].reshape(-1, 3)
    expect = np.zeros(3)
    expect[axis] = 2.5 * sign
    assert np.abs(f.sum(0) - expect).max() < 1e-12
    assert len(np.flatnonzero(np.abs(f).sum(1) > 0)) == 4  # the face's four corners


def test_dload_beyond_the_faces_of_a_tetrahedron_names_the_element(tmp_path):
    from fea.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        _cube_deck(tmp_path, "C3D4", "*DLOAD\n1, P5, 1.0\n")
    msg = str(info.value)
    assert "cube.inp" in msg and "line 17" in msg and "element 1" in msg and "C3D4" in msg \
        and "P5" in msg and "S1..S4" in msg


def test_surface_face_label_beyond_a_tetrahedron_names_the_element(tmp_path):
    from fea.abaqus import read_deck
    from fea.errors import ConfigError

    text = (CUBE_NODES + "*ELEMENT, TYPE=C3D4, ELSET=EALL\n1, 1, 2, 4, 5\n"
            "*SURFACE, NAME=TOP\n1, S6\n")
    path = tmp_path / "tet.inp"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_deck(path)
    assert "line 13" in str(info.value) and "C3D4" in str(info.value) and "S6" in str(info.value)


def test_mesh_check_names_an_inverted_hexahedron():
    mesh = hex_box((2, 1, 1), cell_type="C3D8")
    mesh.blocks[0].cells[1] = mesh.blocks[0].cells[1][[4, 5, 6, 7, 0, 1, 2, 3]]  # upside down
    with pytest.raises(MeshError, match=r"1 inverted element\(s\): ids 2"):
        mesh.check()


# ---------------------------------------------------------------- a tet body tied to a hex body
def _tet_on_hex(hex_type: str = "C3D8") -> Mesh:
    """Hexahedra on [0,2]x[0,1]x[0,1] and tetrahedra on [2,4]x[0,1]x[0,1], separate nodes at
    x = 2 (the hex side twice as fine there: 4 x 4 faces against 2 x 2 split squares)."""
    hx = hex_box((2, 4, 4), size=(2.0, 1.0, 1.0), cell_type=hex_type)
    tt = structured_box((2, 2, 2), size=(2.0, 1.0, 1.0))
    nh, mh = hx.n_nodes, hx.n_cells
    nodes = np.vstack([hx.nodes, tt.nodes + [2.0, 0, 0]])
    face_sets = {f"hex_{k}": v for k, v in hx.face_sets.items()}
    face_sets.update({f"tet_{k}": v + [mh, 0] for k, v in tt.face_sets.items()})
    mesh = Mesh(nodes, [(hex_type, hx.cells), ("C3D4", tt.cells + nh)],
                cell_sets={"hexes": np.arange(mh), "tets": mh + np.arange(tt.n_cells)},
                face_sets=face_sets)
    # symmetry planes: x on the hex end, y and z on the tet body (the hex slave nodes follow the
    # tie, and a node cannot be both tied and supported)
    mesh.face_sets.update(xmin=face_sets["hex_xmin"], ymin=face_sets["tet_ymin"],
                          zmin=face_sets["tet_zmin"])
    return mesh


@pytest.mark.parametrize("hex_type", ["C3D8", "C3D20"])
def test_tet_mesh_tied_to_hex_mesh_carries_uniform_tension(hex_type, tmp_path):
    """Uniaxial tension through a non-matching tie (the finer hex faces slave, tet faces
    master). A node-to-surface tie is not exact for non-matching meshes (the slave nodes
    integrate the master's shape functions only approximately), so the linear exact field
    u = (s x, -nu s y, -nu s z) / E is met to 1 % at the worst node near the tie (0.39 % C3D8,
    0.44 % C3D20, measured) and to 0.05 % at the loaded end (0.008 %, 0.009 %); a coarse slave
    side is worse (4.5 %), hence slave = finer side. result.vtu holds one cell block per type."""
    import meshio

    from fea.model import Interface
    from fea.results import write_case
    from fea.solve_case import solve_case

    mesh = _tet_on_hex(hex_type)
    mesh.check()
    model = Model("mixed", mesh, {"m": LinearElastic("m", E, NU)},
                  [Section("hexes", "m"), Section("tets", "m")],
                  [Support("xmin", (0,)), Support("ymin", (1,)), Support("zmin", (2,))],
                  interfaces=[Interface("glue", "hex_xmax", "tet_xmin", "tied")])
    s = 1.0  # MPa on a 1 mm^2 end
    res = solve_case(model, LoadCase("pull", [Step("s", [SurfaceForce(
        "tet_xmax", np.array([s, 0, 0]))])])).result
    x = res.model.mesh.nodes
    u = res.displacement()
    exact = np.stack([s * x[:, 0], -NU * s * x[:, 1], -NU * s * x[:, 2]], 1) / E
    assert np.abs(u - exact).max() < 1e-2 * np.abs(exact).max()
    far = mesh.nodes_of("tet_xmax")
    assert abs(u[far, 0].mean() / exact[far, 0].mean() - 1) < 5e-4
    write_case(res, tmp_path / "case")
    vtu = meshio.read(tmp_path / "case" / "result.vtu")
    assert [c.type for c in vtu.cells] == [
        "hexahedron" if hex_type == "C3D8" else "hexahedron20", "tetra"]
    assert [len(c.data) for c in vtu.cells] == [len(b.cells) for b in mesh.blocks]
    assert np.concatenate(vtu.cell_data["element_id"]).tolist() == mesh.cell_ids.tolist()
    # the file's displacement, point by point through its node ids, is the solution
    at = np.searchsorted(mesh.node_ids, vtu.point_data["node_id"])
    assert np.abs(vtu.point_data["displacement"] - u[at]).max() < 1e-15


def test_tie_onto_a_master_mixing_face_shapes_is_refused_with_the_fix():
    """Ties project onto triangle or quadrilateral master faces (tests/test_ccx_quad_contact.py),
    one shape per side: a wedge block's skin (quad sides, triangle ends) is refused by name."""
    from fea.errors import ConfigError
    from fea.model import Interface
    from fea.solve_case import solve_case

    wd = wedge_box((2, 2, 2), size=(2.0, 1.0, 1.0))
    tt = structured_box((2, 2, 2), size=(2.0, 1.0, 1.0))
    fs = {"skin": np.vstack([wd.face_sets["xmax"], wd.face_sets["zmax"]])}
    fs.update({f"tet_{k}": v + [wd.n_cells, 0] for k, v in tt.face_sets.items()})
    mesh = Mesh(np.vstack([wd.nodes, tt.nodes + [2.0, 0, 0]]),
                [("C3D6", wd.cells), ("C3D4", tt.cells + wd.n_nodes)],
                cell_sets={"wedges": np.arange(wd.n_cells),
                           "tets": wd.n_cells + np.arange(tt.n_cells)}, face_sets=fs)
    mesh.face_sets["xmin"] = wd.face_sets["xmin"]
    model = Model("mixed", mesh, {"m": LinearElastic("m", E, NU)},
                  [Section("wedges", "m"), Section("tets", "m")], [Support("xmin")],
                  interfaces=[Interface("glue", "tet_xmin", "skin", "tied")])
    with pytest.raises(ConfigError, match="interface 'glue': surface 'skin' mixes "
                                          "(QUAD4, TRI3|TRI3, QUAD4) faces.*one interface per"):
        solve_case(model, LoadCase("pull", [Step("s", [SurfaceForce(
            "tet_xmax", np.array([1.0, 0, 0]))])]))


@pytest.mark.parametrize("name", WEDGES)
def test_wedge_vtu_follows_vtk_node_order(name, tmp_path):
    """VTK numbers a wedge's base with its normal pointing away from the top (vtkWedge docs),
    Abaqus towards it; a 15-node wedge's node 6 is the midpoint of its nodes 0 and 1 in both.
    meshio swaps the 6-node wedge on writing and back on reading; the 15-node one it passes
    through, so the file must hold VTK's order: checked on what meshio reads back."""
    import meshio

    from fea.results import write_case

    mesh = wedge_box((2, 1, 1), cell_type=name)
    model = one_material_model(mesh, supports=[Support("xmin")])
    res = solve(model, LoadCase("l", [Step("s", [SurfaceForce("xmax", np.array([0, 0, -1.0]))])]))
    write_case(res, tmp_path / "case")
    vtu = meshio.read(tmp_path / "case" / "result.vtu")
    (block,) = vtu.cells
    x = vtu.points[block.data]
    n = np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0])
    up = np.einsum("ij,ij->i", n, x[:, 3:6].mean(1) - x[:, 0:3].mean(1))
    if name == "C3D6":  # as meshio hands it back: its own (Abaqus/gmsh) order
        assert block.type == "wedge" and (up > 0).all()
    else:  # the file's VTK order
        assert block.type == "wedge15" and (up < 0).all()
        assert np.abs(x[:, 6] - 0.5 * (x[:, 0] + x[:, 1])).max() < 1e-12
        assert np.abs(x[:, 12] - 0.5 * (x[:, 0] + x[:, 3])).max() < 1e-12


@pytest.mark.parametrize("order", [1, 2])
def test_gmsh_recombined_hexahedra_are_read_and_solved(tmp_path, order):
    """A transfinite, recombined gmsh box (.msh, read through meshio) becomes C3D8 / C3D20 with
    our node order (each mid-edge node halfway along its edge) and named sets, and carries a
    uniform tension exactly (1e-10): wrong node orders would not."""
    pytest.importorskip("gmsh")
    from fea.elements.hexa import HEX20_EDGES
    from fea.gmsh_session import gmsh_session
    from fea.mesh_io import read_mesh

    path = tmp_path / "box.msh"
    with gmsh_session() as g:
        g.model.add("box")
        g.model.occ.addBox(0, 0, 0, 4, 1, 1)
        g.model.occ.synchronize()
        g.model.addPhysicalGroup(3, [1], name="body")
        for dim, tag in g.model.getEntities(2):
            c = g.model.occ.getCenterOfMass(dim, tag)
            for ax, name in ((0, "xmin"), (1, "ymin"), (2, "zmin")):
                if abs(c[ax]) < 1e-9:
                    g.model.addPhysicalGroup(2, [tag], name=name)
            if abs(c[0] - 4) < 1e-9:
                g.model.addPhysicalGroup(2, [tag], name="xmax")
        g.option.setNumber("Mesh.MeshSizeMax", 0.5)
        g.option.setNumber("Mesh.RecombineAll", 1)
        g.option.setNumber("Mesh.SecondOrderIncomplete", 1)
        g.model.mesh.setTransfiniteAutomatic()
        g.model.mesh.generate(3)
        if order == 2:
            g.model.mesh.setOrder(2)
        g.write(str(path))
    mesh = read_mesh(path)
    assert mesh.type_names == (["C3D8"] if order == 1 else ["C3D20"])
    assert abs(mesh.volume() - 4.0) < 1e-12
    if order == 2:
        mid = mesh.nodes[mesh.cells[:, 8:]]
        ends = mesh.nodes[mesh.cells[:, HEX20_EDGES]].mean(axis=2)
        assert np.abs(mid - ends).max() < 1e-12
    model = Model("gmsh_box", mesh, {"m": LinearElastic("m", E, NU)}, [Section("body", "m")],
                  [Support("xmin", (0,)), Support("ymin", (1,)), Support("zmin", (2,))])
    u = solve(model, LoadCase("pull", [Step("s", [SurfaceForce("xmax", np.array([1.0, 0, 0]))])]
                              )).displacement()
    x = mesh.nodes
    exact = np.stack([x[:, 0], -NU * x[:, 1], -NU * x[:, 2]], 1) / E  # 1 MPa on 1 mm^2
    assert np.abs(u - exact).max() < 1e-10 * np.abs(exact).max()


@pytest.mark.parametrize("name, ext", [("C3D8", "vtu"), ("C3D20", "vtk"), ("C3D6", "vtu"),
                                       ("C3D20R", "vtu")])
def test_hexahedra_and_wedges_from_other_meshio_formats(tmp_path, name, ext):
    """Bricks and wedges written by meshio in another format are read as the registered type
    with our node order (the same nodes per cell, 0.0 difference) and carry a uniform tension
    exactly (1e-10). C3D20R is read as C3D20 (a file names no integration rule)."""
    import meshio

    from fea.mesh_io import read_mesh

    made = (wedge_box if name.startswith("C3D6") else hex_box)((3, 2, 2), (3.0, 1.0, 1.0),
                                                              cell_type=name, jitter=0.1)
    path = tmp_path / f"m.{ext}"
    meshio.write(path, meshio.Mesh(made.nodes, [(made.blocks[0].type.meshio, made.cells)]))
    mesh = read_mesh(path)
    assert [b.type.name for b in mesh.blocks] == [name.replace("C3D20R", "C3D20")]
    assert np.array_equal(mesh.nodes[mesh.cells], made.nodes[made.cells])
    mesh.face_sets.update(made.face_sets)  # the same cells and nodes: the same faces
    mesh.cell_sets["body"] = np.arange(mesh.n_cells)
    model = one_material_model(mesh, supports=[Support("xmin", (0,)), Support("ymin", (1,)),
                                               Support("zmin", (2,))])
    res = solve(model, LoadCase("t", [Step("s", [SurfaceForce("xmax", np.array([1.0, 0, 0]))])]))
    u = res.displacement()
    exact = mesh.nodes[:, 0] * (1.0 / 1.0) / 1000.0  # traction 1 N over 1 mm^2, E = 1000
    assert np.abs(u[:, 0] - exact).max() <= 1e-10 * exact.max()
