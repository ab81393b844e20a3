"""Patch test, independent assembly check against scikit-fem, rigid-body null space."""

import numpy as np
import pytest
import scipy.sparse as sp

from fea.assembly import assemble_stiffness, build_pattern
from fea.materials import LinearElastic
from fea.model import Support
from fea.post import qp_stress
from fea.static import material_ids, solve
from fea.model import LoadCase, Step
from helpers import one_material_model, structured_box

A = np.array([[1e-3, 2e-3, -1e-3], [0.5e-3, -2e-3, 1e-3], [3e-3, 1e-3, 2e-3]])
b = np.array([1e-2, -2e-2, 3e-2])


@pytest.mark.parametrize("order", [1, 2])
def test_patch_test_reproduces_linear_field(order):
    mesh = structured_box((3, 3, 3), jitter=0.25)
    if order == 2:
        mesh = mesh.to_tet10()
    exact = mesh.nodes @ A.T + b
    bnd = np.unique(mesh.face_connectivity(mesh.boundary_faces()))
    # prescribe the exact field on every boundary node (one node set per node)
    for i in bnd:
        mesh.node_sets[f"n{i}"] = np.array([i])
    model = one_material_model(
        mesh, supports=[Support(f"n{i}", (0, 1, 2), tuple(exact[i])) for i in bnd])
    res = solve(model, LoadCase("none", [Step("s")]))
    u = res.displacement()
    interior = np.setdiff1d(np.arange(mesh.n_nodes), bnd)
    assert len(interior) > 0
    err = np.abs(u - exact).max() / np.abs(exact).max()
    assert err < 1e-10, err
    # constant stress = D eps everywhere
    eps = np.array([A[0, 0], A[1, 1], A[2, 2], A[0, 1] + A[1, 0], A[1, 2] + A[2, 1],
                    A[0, 2] + A[2, 0]])
    sig = LinearElastic("m", 1000.0, 0.3).D() @ eps
    mid, Ds = material_ids(model)
    s = qp_stress(mesh.nodes, mesh.cells, mid, Ds, u)
    assert np.abs(s - sig).max() < 1e-9 * np.abs(sig).max()


def test_tet10_stiffness_equals_scikit_fem():
    skfem = pytest.importorskip("skfem")
    from skfem.models.elasticity import lame_parameters, linear_elasticity

    mesh = structured_box((2, 3, 2), size=(1.0, 2.0, 1.5), jitter=0.2).to_tet10()
    mat = LinearElastic("m", 1000.0, 0.3)
    K = assemble_stiffness(mesh.nodes, mesh.cells, np.zeros(mesh.n_cells, int), mat.D()[None],
                           build_pattern(mesh.cells, mesh.n_nodes))
    basis = skfem.Basis(skfem.MeshTet(mesh.nodes.T, mesh.cells[:, :4].T),
                        skfem.ElementVector(skfem.ElementTetP2()))
    Ks = skfem.asm(linear_elasticity(*lame_parameters(1000.0, 0.3)), basis)
    from scipy.spatial import cKDTree

    dist, idx = cKDTree(mesh.nodes).query(basis.doflocs.T)
    assert dist.max() < 1e-12
    perm = np.empty(Ks.shape[0], int)
    for c in range(3):
        for dofs in (basis.nodal_dofs[c], basis.edge_dofs[c]):
            perm[dofs] = 3 * idx[dofs] + c
    P = sp.csr_matrix((np.ones(len(perm)), (perm, np.arange(len(perm)))), shape=Ks.shape)
    diff = abs(P @ Ks @ P.T - K).max()
    assert diff < 1e-12 * abs(K).max()


@pytest.mark.parametrize("order", [1, 2])
def test_stiffness_is_symmetric_and_annihilates_rigid_modes(order):
    from fea.constraints import rigid_modes

    mesh = structured_box((2, 2, 2), jitter=0.2)
    mesh = mesh.to_tet10() if order == 2 else mesh
    mat = LinearElastic("m", 5000.0, 0.25)
    K = assemble_stiffness(mesh.nodes, mesh.cells, np.zeros(mesh.n_cells, int), mat.D()[None],
                           build_pattern(mesh.cells, mesh.n_nodes))
    assert abs(K - K.T).max() < 1e-12 * abs(K).max()
    R = rigid_modes(mesh.nodes, mesh.nodes.mean(0))
    assert np.abs(K @ R).max() < 1e-10 * abs(K).max()
    # positive definite once the rigid modes are removed: smallest eigenvalue > 0
    w = np.linalg.eigvalsh(K.toarray())
    assert (np.abs(w[:6]) < 1e-9 * w[-1]).all() and w[6] > 1e-6 * w[-1]


def test_pattern_is_reused_across_materials():
    mesh = structured_box((2, 2, 2)).to_tet10()
    pat = build_pattern(mesh.cells, mesh.n_nodes)
    K1 = assemble_stiffness(mesh.nodes, mesh.cells, np.zeros(mesh.n_cells, int),
                            LinearElastic("a", 1.0, 0.3).D()[None], pat)
    K2 = assemble_stiffness(mesh.nodes, mesh.cells, np.zeros(mesh.n_cells, int),
                            LinearElastic("b", 7.0, 0.3).D()[None], pat)
    assert np.allclose(K2.data, 7.0 * K1.data)
    assert K1.indices is K2.indices or np.array_equal(K1.indices, K2.indices)
