"""Embedded elements (fea.embedded): a bar meshed on its own inside a block, its nodes tied to the
block's elements. Under a uniform strain the embedded bar adds its own axial stiffness on top of
the whole block's (Voigt rule of mixtures, the bone under a screw counted twice); CalculiX solves
the exported deck (*EQUATION) to the same answer."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from fea.embedded import Embedded, embed
from fea.errors import FeaError
from fea.linsolve import SolverSettings
from fea.materials import LinearElastic
from fea.mesh_io import mesh_from_gmsh_model
from fea.model import LoadCase, Model, Section, Step, Support
from fea.static import solve

W, H, R = 10.0, 20.0, 2.0  # block 10 x 10 x 20 mm, bar radius 2 mm along z through it
E_BLOCK, E_BAR, NU = 450.0, 110000.0, 0.3  # cancellous bone, titanium; one nu: no lateral misfit
STRAIN = 1e-3
DIRECT = SolverSettings(backend="direct")


def _block_and_bar(bar_lo: float, bar_hi: float, size: float = 3.0):
    """Block and bar as two overlapping volumes meshed independently (no fragment)."""
    from fea.gmsh_session import gmsh_session

    with gmsh_session() as gmsh:
        gmsh.model.add("embed")
        occ = gmsh.model.occ
        b = occ.addBox(-W / 2, -W / 2, 0.0, W, W, H)
        c = occ.addCylinder(0.0, 0.0, bar_lo, 0.0, 0.0, bar_hi - bar_lo, R)
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [b], name="block")
        gmsh.model.addPhysicalGroup(3, [c], name="bar")
        gmsh.option.setNumber("Mesh.MeshSizeMax", size)
        gmsh.option.setNumber("Mesh.ElementOrder", 2)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.model.mesh.generate(3)
        mesh = mesh_from_gmsh_model(gmsh, "embed")
    z = mesh.nodes[:, 2]
    block_nodes = np.unique(mesh.cells[mesh.elements("block")])
    mesh.node_sets["bottom"] = block_nodes[np.isclose(z[block_nodes], 0.0)]
    mesh.node_sets["top"] = block_nodes[np.isclose(z[block_nodes], H)]
    return mesh


@pytest.fixture(scope="module")
def through():
    return _block_and_bar(0.0, H)


def _model(mesh, embedded=True) -> Model:
    mats = {"bone": LinearElastic("bone", E_BLOCK, NU), "ti": LinearElastic("ti", E_BAR, NU)}
    m = Model("embed", mesh, mats, [Section("block", "bone"), Section("bar", "ti")],
              [Support("bottom", (2,), name="bottom"), Support("top", (2,), (STRAIN * H,),
                                                                name="top")])
    corner = int(np.argmin(np.linalg.norm(mesh.nodes - [-W / 2, -W / 2, 0.0], axis=1)))
    side = int(np.argmin(np.linalg.norm(mesh.nodes - [W / 2, -W / 2, 0.0], axis=1)))
    mesh.node_sets["corner"], mesh.node_sets["side"] = np.array([corner]), np.array([side])
    m.supports += [Support("corner", (0, 1), name="corner"), Support("side", (1,), name="side")]
    if embedded:
        m.embedded = [Embedded("bar", "bar", ("block",))]
    return m


PULL = LoadCase("pull", [Step("pull", [])])


def _volume(mesh, name: str) -> float:
    """Volume of a cell set through the curved TET10 map (quadrature of det J)."""
    from fea.elements import tet_quadrature, tet_shape

    pts, w = tet_quadrature(4)
    _, dN = tet_shape(10, pts)
    X = mesh.nodes[mesh.cells[mesh.elements(name)]]  # (m, 10, 3)
    J = np.einsum("mai,qaj->mqij", X, dN)
    return float((np.linalg.det(J) * w).sum())


def _axial_force(result) -> float:
    n = result.model.mesh.n_nodes
    rz = result.final.reaction[: 3 * n].reshape(-1, 3)[:, 2]
    return float(rz[result.model.mesh.node_sets["top"]].sum())


def test_an_embedded_bar_adds_its_axial_stiffness_to_the_block(through):
    """F = strain (E_block A_block + E_bar A_bar), A_bar the meshed (curved TET10) bar's volume /
    length. The uniform strain is an admissible field, so by minimum energy the FE force is at most
    this (Voigt bound, to round-off); it falls short only where the bar's faceted side, whose
    normals are not exactly radial, passes a little axial force sideways into the block: within
    1e-4 of the total here, where leaving the bar out would lose 96 % of it."""
    a_bar = _volume(through, "bar") / H
    res = solve(_model(through), PULL, DIRECT)
    expect = STRAIN * (E_BLOCK * W * W + E_BAR * a_bar)
    f = _axial_force(res)
    assert expect * (1 - 1e-4) <= f <= expect * (1 + 1e-9)
    # without the embedding the bar floats: refused, not solved
    with pytest.raises(FeaError, match="rigid|free|support"):
        solve(_model(through, embedded=False), PULL, DIRECT)


def test_nodes_outside_the_host_stay_free_and_a_part_outside_is_refused():
    """A bar standing 4 mm out of the block (a screw head) ties only its nodes inside; one
    entirely outside its host is an error naming it."""
    mesh = _block_and_bar(4.0, H + 4.0)
    e = embed(mesh, Embedded("bar", "bar", ("block",)))
    z = mesh.nodes[e.nodes, 2]
    assert z.max() <= H + 1e-9 and e.free > 0
    out = np.unique(mesh.cells[mesh.elements("bar")])
    assert e.free == int((mesh.nodes[out, 2] > H + 1e-6).sum())
    # the tie reproduces the nodes' positions (a linear field) through the host's shape functions
    x = np.einsum("na,nai->ni", e.N, mesh.nodes[e.host_nodes])
    assert np.abs(x - mesh.nodes[e.nodes]).max() < 1e-9
    mesh.nodes[out, 0] += 3 * W  # the bar moved beside the block
    with pytest.raises(FeaError, match="embedded 'bar'.*no node of 'bar'"):
        embed(mesh, Embedded("bar", "bar", ("block",)))
    with pytest.raises(FeaError, match="'blok' is not a cell set.*Did you mean 'block'"):
        embed(mesh, Embedded("bar", "bar", ("blok",)))


@pytest.mark.skipif(shutil.which("ccx") is None, reason="CalculiX ccx not installed")
def test_calculix_solves_the_exported_embedding_alike(through, tmp_path):
    """The deck carries the embedding as *EQUATION. The block sheared by its top face (the bar
    bends with it, so the field depends on the embedding): ccx's displacements at mid-height
    match ours within 1e-5 of their largest. (ccx's RF leaves out forces passed through MPCs,
    so reactions are not compared.)"""
    from fea.abaqus.ccx import read_dat_displacements, run_ccx, with_step_output
    from fea.abaqus.writer import deck_text

    mesh = through
    mats = {"bone": LinearElastic("bone", E_BLOCK, NU), "ti": LinearElastic("ti", E_BAR, NU)}
    blk = np.unique(mesh.cells[mesh.elements("block")])
    mesh.node_sets["mid"] = blk[np.abs(mesh.nodes[blk, 2] - H / 2) < 1.0]
    model = Model("embed", mesh, mats, [Section("block", "bone"), Section("bar", "ti")],
                  [Support("bottom", name="bottom"),
                   Support("top", (0, 1, 2), (0.05, 0.0, 0.0), name="top")],
                  embedded=[Embedded("bar", "bar", ("block",))])
    ours = solve(model, PULL, DIRECT).displacement()
    text = deck_text(model, PULL)
    assert text.count("*EQUATION") >= 3 * 20
    deck = tmp_path / "embed.inp"
    deck.write_text(with_step_output(text, "*NODE PRINT, NSET=mid\nU\n"))
    (_, _, labels, u), = [t for t in read_dat_displacements(run_ccx(deck).dat)
                          if t[0].upper() == "MID"]
    index = {int(n): i for i, n in enumerate(mesh.node_ids)}
    mine = ours[[index[int(n)] for n in labels]]
    assert len(labels) == len(mesh.node_sets["mid"])
    assert np.abs(u - mine).max() <= 1e-5 * np.abs(mine).max()
