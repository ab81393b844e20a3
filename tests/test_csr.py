"""fea.csr: the one-pass sub-matrices equal scipy's own, entry for entry (issue 18)."""

import numpy as np
import pytest
import scipy.sparse as sp

from fea import csr


@pytest.fixture
def K():
    A = sp.random(400, 400, density=0.03, random_state=3, format="csr")
    A = (A + A.T + sp.eye(400)).tocsr()
    A[5, :] = 0.0  # an explicit-zero row and an empty row: both must survive
    A.eliminate_zeros()
    return A


def test_select_equals_double_fancy_index(K):
    idx = np.sort(np.random.default_rng(0).choice(400, 250, replace=False))
    got = csr.select(K, idx)
    want = K[idx][:, idx]
    assert got.shape == want.shape and got.has_sorted_indices
    assert (got != want).nnz == 0
    np.testing.assert_array_equal(got.toarray(), K.toarray()[np.ix_(idx, idx)])


def test_upper_equals_triu(K):
    got = csr.upper(K)
    assert got.has_sorted_indices
    np.testing.assert_array_equal(got.toarray(), np.triu(K.toarray()))


def test_unsorted_and_duplicate_entries_are_handled():
    rows, cols = np.array([0, 0, 1, 1, 2, 0]), np.array([2, 0, 1, 0, 2, 2])
    K = sp.csr_matrix((np.arange(1.0, 7.0), (rows, cols)), shape=(3, 3))
    K = sp.csr_matrix((K.data[::-1].copy(), K.indices[::-1].copy(), K.indptr), shape=(3, 3))
    dense = K.toarray()
    np.testing.assert_array_equal(csr.upper(K).toarray(), np.triu(dense))
    np.testing.assert_array_equal(csr.select(K, np.array([0, 2])).toarray(),
                                  dense[np.ix_([0, 2], [0, 2])])


def test_select_refuses_unsorted_indices(K):
    with pytest.raises(ValueError, match="ascending"):
        csr.select(K, np.array([3, 1]))
