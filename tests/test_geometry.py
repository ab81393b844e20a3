"""Geometry primitives and the assembly rules: analytic volumes, conforming interfaces, named
sets, determinism and parameter validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.errors import ConfigError
from fea.geometry import occ
from fea.geometry.meshing import mesh_construct
from fea.mesh_cache import mesh_hash


def _primitives(asm):
    # separate (non-touching) solids, each its own body
    asm.add("ellcyl", "ellcyl", occ.elliptic_cylinder((0, 0), 8.0, 6.0, 0.0, 10.0), 1, "other")
    asm.add("rod", "rod", occ.rod((30, 0, 0), (30, 4, 12), 2.0), 1, "other")
    asm.add("ball", "ball", occ.sphere((0, 30, 5), 5.0), 1, "other")
    wedge = occ.keep_below(occ.box((20, 20, 0), (30, 30, 10)), (25, 25, 5), (0, -1, 1))
    asm.add("wedge", "wedge", wedge, 1, "other")
    asm.add("bar", "bar", occ.bar((-30, 0, 5), (-20, 6, 5), 3.0, 4.0), 1, "other")


PRIMITIVE_VOLUMES = {
    "ellcyl": math.pi * 8 * 6 * 10,
    "rod": math.pi * 4 * math.hypot(4, 12),
    "ball": 4 / 3 * math.pi * 125,
    "wedge": 10 * 10 * 10 / 2,  # plane z - y = -20 + 5 through the box's diagonal
    "bar": math.hypot(10, 6) * 3 * 4,
}


@pytest.fixture(scope="module")
def primitives_mesh():
    return mesh_construct("primitives", _primitives, 2.0, 2)


def test_primitive_volumes_match_analytic_within_1_percent(primitives_mesh):
    for name, exact in PRIMITIVE_VOLUMES.items():
        v = primitives_mesh.volume(name)
        assert abs(v - exact) / exact < 0.01, (name, v, exact)


def _shell_core(asm):
    # a thin-walled elliptic cylinder: shell by priority, core inset by 0.5 mm (cortical shell)
    for inset, region, pri in ((0.0, "shell", 20), (0.5, "core", 21)):
        asm.add("bone", region, occ.elliptic_cylinder((0, 0), 8.0, 7.5, 0.0, 14.0, inset), pri,
                "bone", thickness=0.5 if inset == 0 else None)
    # an implant sitting on top, a screw through both, a void in the implant
    asm.add("imp", "imp", occ.box((-4, -4, 14.0), (4, 4, 20.0)), 40, "implant")
    asm.add("screw", "screw", occ.rod((2.0, 0, 19.0), (2.0, 0, 4.0), 1.0), 61, "hardware")
    asm.add_void(occ.rod((-2.0, 0, 14.0), (-2.0, 0, 21.0), 1.0), 100)
    asm.feature("bone_top", "bone", (0, 0, 14), (0, 0, 1), (-9, -9, 13), (9, 9, 15))


@pytest.fixture(scope="module")
def shell_core_mesh():
    return mesh_construct("shell_core", _shell_core, 2.5, 2)


def test_priority_rule_shell_core_hole_and_void(shell_core_mesh):
    m = shell_core_mesh
    a, b, h, t = 8.0, 7.5, 14.0, 0.5
    outer = math.pi * a * b * h
    core = math.pi * (a - t) * (b - t) * (h - 2 * t)
    screw_in_bone = math.pi * 1.0 * 10.0  # the screw's part below z = 14 (it ends at z = 4)
    screw_in_core = math.pi * 1.0 * 9.5  # below the core's top at z = 13.5
    assert abs(m.volume("core") - (core - screw_in_core)) / core < 0.01
    # the body's regions fill the cylinder minus the screw's part in it
    assert abs(m.volume("bone") - (outer - screw_in_bone)) / outer < 0.01
    # the void took its cylinder out of the implant, the screw its hole
    imp = 8 * 8 * 6 - math.pi * 1.0 * 6 - math.pi * 1.0 * 5
    assert abs(m.volume("imp") - imp) / imp < 0.01
    assert m.cell_sets["bone"].size == m.cell_sets["shell"].size + m.cell_sets["core"].size


def test_every_named_set_is_non_empty(shell_core_mesh):
    m = shell_core_mesh
    assert {"bone|imp", "bone|screw", "imp|screw", "core|screw", "screw|shell",
            "bone_top"} <= set(m.face_sets)
    for name, s in {**m.cell_sets, **m.face_sets}.items():
        assert len(s) > 0, name


def _sides(mesh, name):
    a, b = name.split("|")
    fs = mesh.face_sets[name]
    out = []
    for side in (a, b):
        mark = np.zeros(mesh.n_cells, bool)
        mark[mesh.elements(side)] = True
        out.append(fs[mark[fs[:, 0]]])
    return out


def assert_conforming(mesh, name):
    """Both sides of an interface set hold the same triangles: same corner nodes, same count."""
    sa, sb = _sides(mesh, name)
    assert len(sa) and len(sa) == len(sb), name
    ka = np.unique(np.sort(mesh.face_connectivity(sa, corners_only=True), axis=1), axis=0)
    kb = np.unique(np.sort(mesh.face_connectivity(sb, corners_only=True), axis=1), axis=0)
    assert np.array_equal(ka, kb), name
    # and TET10 mid-edge nodes are shared too
    na = np.unique(mesh.face_connectivity(sa))
    nb = np.unique(mesh.face_connectivity(sb))
    assert np.array_equal(na, nb), name


def test_interfaces_are_conforming(shell_core_mesh):
    for name in ("bone|imp", "bone|screw", "imp|screw", "core|screw"):
        assert_conforming(shell_core_mesh, name)


def test_feature_keeps_only_its_own_side(shell_core_mesh):
    m = shell_core_mesh
    top = m.face_sets["bone_top"]
    assert np.isin(top[:, 0], m.elements("bone")).all()
    # the part of the endplate under the implant is also an interface face
    x = m.nodes[m.face_connectivity(top, corners_only=True)].mean(axis=1)
    assert np.allclose(x[:, 2], 14.0)


def test_thin_shell_has_no_inverted_tet10(shell_core_mesh):
    q = shell_core_mesh.check()
    assert q.min_jacobian_ratio > 0.0


def test_same_parameters_same_mesh():
    a = mesh_construct("shell_core", _shell_core, 3.0, 2)
    b = mesh_construct("shell_core", _shell_core, 3.0, 2)
    assert mesh_hash(a) == mesh_hash(b)
    c = mesh_construct("shell_core", _shell_core, 2.8, 2)
    assert mesh_hash(a) != mesh_hash(c)


def test_parameter_errors_name_the_key():
    from fea.geometry.constructs import c2_avb

    with pytest.raises(ConfigError,
                       match=r"mesh\.params\.avb\.footprint_widht_mm.*footprint_width"):
        c2_avb(6.0, 1, avb={"footprint_widht_mm": 12.0})
    with pytest.raises(ConfigError, match=r"mesh\.params\.C3\.body_height_mm: expected a number"):
        c2_avb(6.0, 1, C3={"body_height_mm": "tall"})
    with pytest.raises(ConfigError, match=r"footprint_shape"):
        c2_avb(6.0, 1, avb={"footprint_shape": "hexagon"})
    with pytest.raises(ConfigError, match=r"scale must be"):
        c2_avb(6.0, 1, scale=10.0)


def test_scale_multiplies_default_lengths_and_overrides_are_taken_as_given():
    from fea.geometry import params as P
    from fea.geometry.vertebrae import C3Dims

    d = P.make(C3Dims, {"body_height_mm": 12.0}, "mesh.params.C3", scale=1.1)
    assert d.body_width_mm == pytest.approx(16.0 * 1.1)
    assert d.body_height_mm == 12.0  # an override is the value the user wants
    assert d.facet_angle_deg == 45.0  # angles do not scale
    with pytest.raises(ConfigError, match=r"mesh\.params\.C3: cortical_mm leaves no cancellous"):
        P.make(C3Dims, {"cortical_mm": 8.0}, "mesh.params.C3")
    with pytest.raises(ConfigError,
                       match=r"mesh\.params\.C3\.body_width_mm: a length must be >= 0"):
        P.make(C3Dims, {"body_width_mm": -1.0}, "mesh.params.C3")


def _c3_alone():
    """The anatomy's C3 alone (spline lofts, curvature sizing as the column's membrane cortex):
    about 7 CPU-s at 3 mm TET10."""
    from fea.geometry.anatomy import column, subaxial

    an = column.anatomy()
    L = column.layout(an)

    def geometry(asm):
        bone = subaxial.build(asm, an.c3, L["C3"])
        asm.add("C3", "C3_cancellous", bone.solid(0.0), column.PRI_CANCELLOUS, "bone")

    return mesh_construct("c3", geometry, 3.0, 2, curvature_points=8, algorithm=6)


@pytest.mark.slow
def test_anatomy_mesh_is_the_same_in_fresh_processes_and_after_a_callers_gmsh():
    """Same parameters, same mesh (nodes, cells, sets): in two fresh interpreters that differ in
    hash seed and thread environment, and here after a caller left gmsh initialised with another
    mesh size factor and two threads (the session starts from gmsh's defaults; before, that
    leftover state gave 13,942 elements instead of 9,612 under the same cache key)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import gmsh

    root = Path(__file__).resolve().parents[1]
    code = ("from test_geometry import _c3_alone\nfrom fea.mesh_cache import mesh_hash\n"
            "m = _c3_alone()\nprint(m.n_cells, mesh_hash(m))")
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "OMP_NUM_THREADS": seed,
               "PYTHONPATH": os.pathsep.join([str(root / "tests"), str(root)])}
        out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        runs.append(out.stdout.split()[-2:])
    assert runs[0] == runs[1]
    started = not gmsh.isInitialized()
    if started:
        gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("Mesh.MeshSizeFactor", 0.8)
        gmsh.option.setNumber("General.NumThreads", 2)
        here = _c3_alone()
    finally:
        if started:
            gmsh.finalize()
    assert [str(here.n_cells), mesh_hash(here)] == runs[0]
