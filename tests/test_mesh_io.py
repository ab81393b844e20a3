"""Reading gmsh .msh (physical groups -> sets) and meshio formats; TET10 node order."""

import numpy as np
import pytest

from fea.errors import MeshError
from fea.gmsh_session import gmsh_session
from fea.mesh_io import read_mesh


def write_two_region_msh(path, order):
    with gmsh_session() as gmsh:
        occ = gmsh.model.occ
        a = occ.addBox(0, 0, 0, 1, 1, 1)
        b = occ.addBox(1, 0, 0, 1, 1, 1)
        occ.fragment([(3, a)], [(3, b)])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [a], name="left")
        gmsh.model.addPhysicalGroup(3, [b], name="right")
        shared = [t for _, t in gmsh.model.getEntitiesInBoundingBox(
            0.99, -0.01, -0.01, 1.01, 1.01, 1.01, 2)]
        gmsh.model.addPhysicalGroup(2, shared, name="interface")
        end = [t for _, t in gmsh.model.getEntitiesInBoundingBox(
            1.99, -0.01, -0.01, 2.01, 1.01, 1.01, 2)]
        gmsh.model.addPhysicalGroup(2, end, name="end")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.4)
        gmsh.option.setNumber("Mesh.ElementOrder", order)
        gmsh.model.mesh.generate(3)
        gmsh.write(str(path))


@pytest.mark.parametrize("order", [1, 2])
def test_gmsh_physical_groups_become_sets(tmp_path, order):
    p = tmp_path / "two.msh"
    write_two_region_msh(p, order)
    m = read_mesh(p)
    assert m.element_type == ("tet4" if order == 1 else "tet10")
    assert m.volume("left") == pytest.approx(1.0, rel=1e-10)
    assert m.volume("right") == pytest.approx(1.0, rel=1e-10)
    # the interior interface holds both sides: one face per element on each side
    faces = m.faces("interface")
    left = np.isin(faces[:, 0], m.cell_sets["left"])
    assert left.sum() == (~left).sum() > 0
    from fea.surface import surface_quadrature

    assert surface_quadrature(m, m.faces("end")).area == pytest.approx(1.0, rel=1e-12)
    # TET10 mid-edge nodes sit at edge midpoints (checks the gmsh -> VTK permutation)
    if order == 2:
        from fea.elements import TET10_EDGES

        x = m.nodes[m.cells]
        mid = 0.5 * (x[:, TET10_EDGES[:, 0]] + x[:, TET10_EDGES[:, 1]])
        assert np.abs(x[:, 4:] - mid).max() < 1e-12


def test_vtu_roundtrip_through_meshio(tmp_path):
    import meshio

    p = tmp_path / "two.msh"
    write_two_region_msh(p, 2)
    m = read_mesh(p)
    region = np.zeros(m.n_cells, int)
    region[m.cell_sets["right"]] = 1
    meshio.write(tmp_path / "m.vtu", meshio.Mesh(m.nodes, [("tetra10", m.cells)],
                                                 cell_data={"region": [region]}))
    m2 = read_mesh(tmp_path / "m.vtu")
    assert m2.n_cells == m.n_cells
    assert m2.volume("region_1") == pytest.approx(1.0, rel=1e-10)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(MeshError, match="does not exist"):
        read_mesh(tmp_path / "none.msh")
    bad = tmp_path / "bad.msh"
    bad.write_text("this is not a mesh")
    with pytest.raises(MeshError, match="bad.msh"):
        read_mesh(bad)
