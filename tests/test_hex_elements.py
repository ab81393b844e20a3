"""Hexahedra (C3D8, C3D20, C3D20R) through the element registry: reference-cell facts, patch
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
from helpers import hex_box, one_material_model, structured_box

A = np.array([[1e-3, 2e-3, -1e-3], [0.5e-3, -2e-3, 1e-3], [3e-3, 1e-3, 2e-3]])
b = np.array([1e-2, -2e-2, 3e-2])
HEXES = ["C3D8", "C3D20", "C3D20R"]


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
    vol = 1 / 6 if et.n_corners == 4 else 8.0
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


@pytest.mark.parametrize("name", HEXES)
def test_patch_test_distorted_hexahedra(name):
    """A linear displacement field on the boundary of 27 distorted elements is reproduced
    inside to 1e-10, with the constant stress D eps at every point and every output node."""
    mesh = hex_box((3, 3, 3), cell_type=name, jitter=0.25)
    assert mesh.check().min_jacobian_ratio < 0.5  # really distorted
    exact = mesh.nodes @ A.T + b
    bnd = np.unique(mesh.face_connectivity(mesh.boundary_faces()))
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


@pytest.mark.parametrize("name", HEXES)
def test_stiffness_is_symmetric_with_six_rigid_modes(name):
    from fea.constraints import rigid_modes

    mesh = hex_box((2, 2, 2), cell_type=name, jitter=0.2)
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
