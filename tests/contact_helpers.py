"""Two-block and sphere-on-block meshes for the interface tests."""

import numpy as np

from fea.gmsh_session import gmsh_session
from fea.mesh import Mesh
from fea.mesh_io import mesh_from_gmsh_model


def _faces_named(gmsh, vol, prefix, box):
    x0, y0, z0, x1, y1, z1 = box
    e = 1e-6
    where = {"xmin": (x0, y0, z0, x0, y1, z1), "xmax": (x1, y0, z0, x1, y1, z1),
             "ymin": (x0, y0, z0, x1, y0, z1), "ymax": (x0, y1, z0, x1, y1, z1),
             "zmin": (x0, y0, z0, x1, y1, z0), "zmax": (x0, y0, z1, x1, y1, z1)}
    bnd = {t for _, t in gmsh.model.getBoundary([(3, vol)], oriented=False)}
    for name, (a, b, c, d, f, g) in where.items():
        tags = [t for _, t in gmsh.model.getEntitiesInBoundingBox(a - e, b - e, c - e, d + e,
                                                                  f + e, g + e, 2) if t in bnd]
        gmsh.model.addPhysicalGroup(2, tags, name=f"{prefix}_{name}")


def block_rollers():
    """stacked_blocks on symmetry rollers (x=0, y=0), the base on z rollers: free Poisson
    expansion, so a uniform pressure stays uniform."""
    from fea.model import Support

    return [Support("lower_zmin", (2,)), Support("lower_xmin", (0,)), Support("lower_ymin", (1,)),
            Support("upper_xmin", (0,)), Support("upper_ymin", (1,))]


def stacked_blocks(size=0.5, order=2, lower=(2.0, 2.0, 1.0), upper=(2.0, 2.0, 1.0),
                   conforming=True, size_upper=None, write_to=None):
    """Lower block [0,lx]x[0,ly]x[-lz,0], upper block on top at z in [0, hz]; sets lower/upper,
    faces lower_*/upper_*; the shared plane is lower_zmax / upper_zmin."""
    lx, ly, lz = lower
    ux, uy, uz = upper
    if conforming:
        with gmsh_session() as gmsh:
            occ = gmsh.model.occ
            a = occ.addBox(0, 0, -lz, lx, ly, lz)
            b = occ.addBox(0, 0, 0, ux, uy, uz)
            occ.fragment([(3, a)], [(3, b)])
            occ.synchronize()
            gmsh.model.addPhysicalGroup(3, [a], name="lower")
            gmsh.model.addPhysicalGroup(3, [b], name="upper")
            _faces_named(gmsh, a, "lower", (0, 0, -lz, lx, ly, 0))
            _faces_named(gmsh, b, "upper", (0, 0, 0, ux, uy, uz))
            _mesh(gmsh, size, order)
            if write_to is not None:
                gmsh.write(str(write_to))
            return mesh_from_gmsh_model(gmsh, "stacked")
    low = _single(("lower", (0, 0, -lz, lx, ly, lz)), size, order)
    up = _single(("upper", (0, 0, 0, ux, uy, uz)), size_upper or size, order)
    return merge(low, up)


def _mesh(gmsh, size, order):
    gmsh.option.setNumber("Mesh.MeshSizeMax", size)
    gmsh.option.setNumber("Mesh.MeshSizeMin", size / 2)
    gmsh.option.setNumber("Mesh.ElementOrder", order)
    gmsh.option.setNumber("General.NumThreads", 1)
    gmsh.model.mesh.generate(3)


def _single(spec, size, order):
    name, (x, y, z, dx, dy, dz) = spec
    with gmsh_session() as gmsh:
        v = gmsh.model.occ.addBox(x, y, z, dx, dy, dz)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [v], name=name)
        _faces_named(gmsh, v, name, (x, y, z, x + dx, y + dy, z + dz))
        _mesh(gmsh, size, order)
        return mesh_from_gmsh_model(gmsh, name)


def merge(a: Mesh, b: Mesh) -> Mesh:
    """Two meshes side by side with their own nodes (no sharing even where they coincide)."""
    off, coff = a.n_nodes, a.n_cells
    sets = dict(a.cell_sets)
    sets.update({k: v + coff for k, v in b.cell_sets.items()})
    faces = dict(a.face_sets)
    faces.update({k: v + [coff, 0] for k, v in b.face_sets.items()})
    nsets = dict(a.node_sets)
    nsets.update({k: v + off for k, v in b.node_sets.items()})
    return Mesh(np.vstack([a.nodes, b.nodes]), np.vstack([a.cells, b.cells + off]), sets, faces,
                nsets, np.concatenate([a.node_ids, b.node_ids + a.node_ids.max()]),
                np.concatenate([a.cell_ids, b.cell_ids + a.cell_ids.max()]), "merged")


def hertz_quarter(R=10.0, L=10.0, H=10.0, h_contact=0.12, growth=0.3, h_max=2.0, order=2):
    """Quarter (x, y >= 0) of a hemisphere of radius R resting on a block, meshed separately.

    Sphere: cell set `sphere`, faces sphere_x0, sphere_y0 (symmetry planes), sphere_top (z = R),
    sphere_surface. Block [0,L]x[0,L]x[-H,0]: cell set `block`, faces block_x0, block_y0,
    block_bottom, block_top. Element size h_contact at the contact point, growing linearly.
    """
    def size_field(gmsh):
        f = gmsh.model.mesh.field
        p = gmsh.model.occ.addPoint(0, 0, 0)
        gmsh.model.occ.synchronize()
        d = f.add("Distance")
        f.setNumbers(d, "PointsList", [p])
        th = f.add("Threshold")
        f.setNumber(th, "InField", d)
        f.setNumber(th, "SizeMin", h_contact)
        f.setNumber(th, "SizeMax", h_max)
        f.setNumber(th, "DistMin", 0.0)
        f.setNumber(th, "DistMax", (h_max - h_contact) / growth)
        f.setAsBackgroundMesh(th)
        for opt in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints",
                    "Mesh.MeshSizeFromCurvature"):
            gmsh.option.setNumber(opt, 0)

    def name_planes(gmsh, vol, prefix, planes):
        bnd = [t for _, t in gmsh.model.getBoundary([(3, vol)], oriented=False)]
        groups = {}
        for t in bnd:
            c = gmsh.model.occ.getCenterOfMass(2, t)
            key = next((k for k, test in planes if test(c)), f"{prefix}_surface")
            groups.setdefault(key, []).append(t)
        for k, v in groups.items():
            gmsh.model.addPhysicalGroup(2, v, name=k)

    with gmsh_session() as gmsh:
        occ = gmsh.model.occ
        s = occ.addSphere(0, 0, R, R)
        cut = occ.addBox(0, 0, 0, R, R, R)
        out, _ = occ.intersect([(3, s)], [(3, cut)])
        occ.synchronize()
        v = out[0][1]
        gmsh.model.addPhysicalGroup(3, [v], name="sphere")
        name_planes(gmsh, v, "sphere", [("sphere_x0", lambda c: abs(c[0]) < 1e-9),
                                        ("sphere_y0", lambda c: abs(c[1]) < 1e-9),
                                        ("sphere_top", lambda c: abs(c[2] - R) < 1e-9)])
        size_field(gmsh)
        gmsh.option.setNumber("Mesh.ElementOrder", order)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.model.mesh.generate(3)
        sphere = mesh_from_gmsh_model(gmsh, "sphere")
    with gmsh_session() as gmsh:
        v = gmsh.model.occ.addBox(0, 0, -H, L, L, H)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [v], name="block")
        name_planes(gmsh, v, "block", [("block_x0", lambda c: abs(c[0]) < 1e-9),
                                       ("block_y0", lambda c: abs(c[1]) < 1e-9),
                                       ("block_bottom", lambda c: abs(c[2] + H) < 1e-9),
                                       ("block_top", lambda c: abs(c[2]) < 1e-9)])
        size_field(gmsh)
        gmsh.option.setNumber("Mesh.ElementOrder", order)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.model.mesh.generate(3)
        block = mesh_from_gmsh_model(gmsh, "block")
    return merge(sphere, block)


def hertz_fit(points, pressure):
    """Peak pressure and contact radius of p(r) = p0 sqrt(1 - r^2/a^2), fitted to p^2 over the
    loaded points (p > 5 % of the peak); r measured from the z axis."""
    r = np.hypot(points[:, 0], points[:, 1])
    on = pressure > 0.05 * pressure.max()
    A = np.column_stack([np.ones(on.sum()), r[on] ** 2])
    (c0, c1), *_ = np.linalg.lstsq(A, pressure[on] ** 2, rcond=None)
    return float(np.sqrt(c0)), float(np.sqrt(-c0 / c1))


# The two stacked blocks (stacked_blocks(..., write_to='blocks.msh')) as a model file: a
# titanium block in Coulomb contact on a cancellous-bone block held at its bottom face.
BLOCKS_MODEL_TOML = """
[model]
name = "blocks"
[mesh]
file = "blocks.msh"
[materials.bone]
library = "cancellous_bone"
[materials.ti]
library = "ti6al4v"
[[sections]]
cell_set = "lower"
material = "bone"
role = "bone"
[[sections]]
cell_set = "upper"
material = "ti"
role = "implant"
[[supports]]
set = "lower_zmin"
[[interfaces]]
name = "implant|bone"
slave = "upper_zmin@upper"
master = "lower_zmax@lower"
law = "friction"
mu = 0.8
"""


def press_pull_model(mesh, name="press_pull"):
    """The press-then-pull friction problem of tests/test_ccx_contact.py (partial slip): a
    block pressed onto a base (mu 0.5), then its side pulled, with PRESS_PULL."""
    from fea.materials import LinearElastic
    from fea.model import Interface, Model, Section, Support

    mats = {"base": LinearElastic("base", 1000.0, 0.3),
            "block": LinearElastic("block", 3000.0, 0.2)}
    return Model(name, mesh, mats, [Section("lower", "base"), Section("upper", "block")],
                 [Support("lower_zmin")], {},
                 [Interface("if", "upper_zmin", "lower_zmax", "friction", 0.5)])


def _press_pull():
    from fea.model import LoadCase, Pressure, Step, Support

    return LoadCase("press_pull", [Step("press", [Pressure("upper_zmax", 1.0)]),
                                   Step("pull", [], [Support("upper_xmin", (0,), (0.002,))],
                                        increments=2)])


PRESS_PULL = _press_pull()


def ccx_agreement(tmp_path, model, lc) -> list[float]:
    """max |ours - ccx| / max |ours| per step end: the model written as a deck, solved by ccx and
    by us from the deck read back (so the deck carries the law)."""
    from fea.abaqus import read_deck, write_deck
    from fea.abaqus.ccx import read_dat_displacements, run_ccx
    from fea.contact.term import ContactAnalysis

    deck = tmp_path / "job.inp"
    write_deck(model, lc, deck)
    run = run_ccx(deck, threads=2)
    res = ContactAnalysis(read_deck(deck).model).run(lc)
    assert res.converged
    rel = []
    for k, st in enumerate(res.step_ends(), 1):
        (labels, u_ccx), = [(lab, u) for name, t, lab, u in read_dat_displacements(run.dat)
                            if name == "NALL" and t == float(k)]
        u = res.displacement(st)[np.searchsorted(model.mesh.node_ids, labels)]
        rel.append(float(np.abs(u - u_ccx).max() / np.abs(u).max()))
    return rel
