"""Membrane elements (fea.membranes, M3D3 / M3D6) on the faces of a solid: patch test, thin and
composite tubes against beam theory, CalculiX cross-check, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from fea.materials import LinearElastic
from fea.membranes import Membrane, membrane_fields, membrane_stiffness
from fea.model import LoadCase, Model, Section, Step, Support
from fea.static import solve
from helpers import structured_box

E_W, NU_W, T_W = 12000.0, 0.3, 0.5  # the wall: cortical bone, 0.5 mm
E_S, NU_S = 450.0, 0.3  # the solid under it


def _plate_model(order: int, field: np.ndarray) -> Model:
    """A 10 x 10 x 2 mm plate of tets with a membrane on its top face; the given linear field
    (3 x 3 gradient) prescribed on the four side faces' nodes, the rest free."""
    mesh = structured_box((4, 4, 2), size=(10.0, 10.0, 2.0), jitter=0.25)
    mesh = mesh.to_tet10() if order == 2 else mesh
    exact = mesh.nodes @ field.T
    sides = np.unique(np.concatenate([mesh.nodes_of(s) for s in ("xmin", "xmax", "ymin",
                                                                  "ymax")]))
    for i in sides:
        mesh.node_sets[f"n{i}"] = np.array([i])
    mats = {"s": LinearElastic("s", E_S, NU_S), "w": LinearElastic("w", E_W, NU_W)}
    return Model("plate", mesh, mats, [Section("body", "s")],
                 [Support(f"n{i}", (0, 1, 2), tuple(exact[i])) for i in sides],
                 membranes=[Membrane("zmax", "w", T_W, "plate")])


@pytest.mark.parametrize("order", [1, 2])
def test_patch_test_membrane_on_a_plate(order):
    """An in-plane linear field with the solid in plane stress (eps_zz = -nu/(1-nu) tr, no
    transverse shear) is an exact solution of solid + membrane without load: the free interior
    and top nodes must take it and the membrane's stress must be D_ps eps exactly."""
    a, b, c, d = 1e-3, 2e-3, -0.5e-3, -2e-3  # du/dx, du/dy, dv/dx, dv/dy
    ezz = -NU_S / (1 - NU_S) * (a + d)
    G = np.array([[a, b, 0.0], [c, d, 0.0], [0.0, 0.0, ezz]])
    model = _plate_model(order, G)
    res = solve(model, LoadCase("none", [Step("s")]))
    u = res.displacement()
    exact = model.mesh.nodes @ G.T
    assert np.abs(u - exact).max() < 1e-10 * np.abs(exact).max()
    (f,) = membrane_fields(model, u)
    exx, eyy, gxy = a, d, b + c
    k = E_W / (1 - NU_W ** 2)
    sig = np.array([k * (exx + NU_W * eyy), k * (eyy + NU_W * exx), 0.0,
                    k * 0.5 * (1 - NU_W) * gxy, 0.0, 0.0])
    assert np.abs(f["stress"] - sig).max() < 1e-10 * np.abs(sig).max()
    vm = np.sqrt(sig[0] ** 2 - sig[0] * sig[1] + sig[1] ** 2 + 3 * sig[3] ** 2)
    assert np.abs(f["von_mises"] - vm).max() < 1e-10 * vm
    assert abs(f["area"].sum() - 100.0) < 1e-10


def test_membrane_stiffness_is_symmetric_and_free_of_rigid_modes_on_a_curved_surface():
    from fea.constraints import rigid_modes

    mesh = structured_box((3, 3, 2), size=(6.0, 6.0, 2.0), jitter=0.2).to_tet10()
    x = mesh.nodes
    x[:, 2] += 0.05 * (x[:, 0] - 3.0) ** 2 - 0.03 * x[:, 1] ** 2  # curve the TRI6 faces
    model = Model("m", mesh, {"w": LinearElastic("w", E_W, NU_W)}, [Section("body", "w")],
                  membranes=[Membrane("zmax", "w", T_W)])
    K = membrane_stiffness(model)
    assert abs(K - K.T).max() < 1e-12 * abs(K).max()
    R = rigid_modes(x, x.mean(0))
    assert np.abs(K @ R).max() < 1e-10 * abs(K).max() * np.abs(R).max()
