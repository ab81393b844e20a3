"""Mesh.quality() is remembered for the mesh's content (issue 18: a deck's TET10 Jacobians were
measured twice per solve) and measured again as soon as that content changes."""

from fea.mesh import Mesh
from helpers import structured_box


def test_quality_is_remembered_and_follows_an_edit_in_place():
    m = structured_box((3, 2, 2), (3.0, 2.0, 2.0)).to_tet10()
    q1 = m.check()
    assert m.quality() == q1  # the remembered value, equal to a fresh measurement
    assert Mesh(m.nodes.copy(), m.cells.copy()).quality() == q1
    m.nodes[m.cells[0, 0]] += 0.3  # a corner moved in place, its mid-edge nodes not
    q2 = m.quality()
    assert q2.min_jacobian_ratio < q1.min_jacobian_ratio
    assert q2 == Mesh(m.nodes.copy(), m.cells.copy()).quality()
    q2.min_volume = -1.0  # a returned value is the caller's copy
    assert m.quality().min_volume != -1.0
