"""Shape functions, quadrature and face orientation."""

import numpy as np
import pytest

from fea.elements import TET10_FACES, tet_quadrature, tet_shape, tri_quadrature, tri_shape
from fea.mesh import Mesh
from fea.surface import surface_quadrature


@pytest.mark.parametrize("npts,degree", [(1, 1), (4, 2), (11, 4)])
def test_tet_rules_integrate_monomials_exactly(npts, degree):
    from math import factorial

    p, w = tet_quadrature(npts)
    for a in range(degree + 1):
        for b in range(degree + 1 - a):
            c = degree - a - b
            exact = factorial(a) * factorial(b) * factorial(c) / factorial(a + b + c + 3)
            got = (w * p[:, 0] ** a * p[:, 1] ** b * p[:, 2] ** c).sum()
            assert got == pytest.approx(exact, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("npts,degree", [(1, 1), (3, 2), (6, 4), (7, 5)])
def test_tri_rules_integrate_monomials_exactly(npts, degree):
    from math import factorial

    p, w = tri_quadrature(npts)
    for a in range(degree + 1):
        b = degree - a
        exact = factorial(a) * factorial(b) / factorial(a + b + 2)
        assert (w * p[:, 0] ** a * p[:, 1] ** b).sum() == pytest.approx(exact, rel=1e-10)


@pytest.mark.parametrize("nn", [4, 10])
def test_tet_shape_partition_of_unity_and_kronecker(nn):
    pts = np.random.default_rng(1).dirichlet(np.ones(4), 20)[:, 1:]
    N, dN = tet_shape(nn, pts)
    assert np.allclose(N.sum(1), 1.0, atol=1e-14)
    assert np.allclose(dN.sum(1), 0.0, atol=1e-13)
    ref = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    if nn == 10:
        from fea.elements import TET10_EDGES

        ref = np.vstack([ref, 0.5 * (ref[TET10_EDGES[:, 0]] + ref[TET10_EDGES[:, 1]])])
    Nn, _ = tet_shape(nn, ref)
    assert np.allclose(Nn, np.eye(nn), atol=1e-14)


def test_tri6_face_functions_equal_tet10_functions_on_the_face():
    # on face f the TET10 functions of the face's 6 nodes must equal the TRI6 functions and
    # the other 4 must vanish: this ties the face tables to the volume node order
    R = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    st, _ = tri_quadrature(7)
    Nf, _ = tri_shape(6, st)
    for f in range(4):
        c = TET10_FACES[f][:3]
        X = (1 - st.sum(1))[:, None] * R[c[0]] + st[:, :1] * R[c[1]] + st[:, 1:] * R[c[2]]
        Nt, _ = tet_shape(10, X)
        assert np.allclose(Nt[:, TET10_FACES[f]], Nf, atol=1e-14)
        others = np.setdiff1d(np.arange(10), TET10_FACES[f])
        assert np.allclose(Nt[:, others], 0.0, atol=1e-14)


def test_faces_point_outward_and_sum_to_zero():
    nodes = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    m = Mesh(nodes, np.array([[0, 1, 2, 3]])).to_tet10()
    centre = nodes.mean(0)
    total = np.zeros(3)
    for f in range(4):
        sq = surface_quadrature(m, np.array([[0, f]]))
        n = sq.da[0].sum(0)
        assert np.dot(n, sq.x[0].mean(0) - centre) > 0  # outward
        total += n
    assert np.allclose(total, 0, atol=1e-14)  # closed surface


def test_tri6_shape_derivatives_match_finite_differences():
    p = np.array([[0.2, 0.3]])
    N, dN = tri_shape(6, p)
    h = 1e-6
    for k in range(2):
        dp = p.copy()
        dp[0, k] += h
        assert np.allclose((tri_shape(6, dp)[0] - N) / h, dN[:, :, k], atol=1e-5)
