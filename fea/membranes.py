"""Membranes on solid faces: a thin wall (a bone's cortex) carried by plane-stress elements on a
face set of the solid mesh, sharing its surface nodes (no new DOF).

A `[[membranes]]` entry puts M3D3 (TRI3 faces) or M3D6 (TRI6 faces) elements of an isotropic
material and a thickness on every face of a face set. Each adds

    K = sum_q B^T D_ps B t dA,  D_ps = E / (1 - nu^2) [[1, nu, 0], [nu, 1, 0], [0, 0, (1-nu)/2]]

in a tangent frame (e1 along dx/ds, e2 = n x e1) at each quadrature point, so a curved TRI6 has a
frame per point. In-plane stiffness only: the wall has no bending stiffness of its own (at 0.5 mm
on a bone it is the solid under it that bends), and the solid under the membrane is not removed
(the wall's volume is counted twice, at the solid's modulus: E_solid / E_wall of the wall).
A membrane idealises a wall by its mid-surface: on a bone's outer surface it sits t/2 too far
out, (R / (R - t/2))^3 too stiff in bending on a tube of radius R (1.16 measured at R 6 mm,
t 0.5 mm; 1.02 with the solid's surface at the mid-surface: bench/bench_cortex_layer.py).
Units: mm, N, MPa.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from numba import njit

from .anisotropy import AnisotropicElastic
from .elements.registry import MembraneType, membrane_for_face
from .errors import ConfigError, FeaError

CHUNK = 20000  # faces per vectorised batch (bounds the temporary B and K arrays to ~100 MB)


@dataclass
class Membrane:
    face_set: str
    material: str  # a model material (isotropic E, nu)
    thickness: float  # mm
    body: str = ""  # the body it belongs to (as Section.body)

    @property
    def body_name(self) -> str:
        return self.body or self.face_set


def check_names(mesh, materials: dict, m: Membrane, where: str) -> None:
    """ConfigError naming the entry for an unknown face set or material or a thickness <= 0."""
    from .config import suggest

    if m.face_set not in mesh.face_sets:
        hint = suggest(m.face_set, mesh.face_sets)
        did = f" Did you mean '{hint}'?" if hint else ""
        raise ConfigError(f"{where}.face_set: no face set named '{m.face_set}'.{did} "
                          f"Face sets: {', '.join(sorted(mesh.face_sets)) or 'none'}")
    if m.material not in materials:
        hint = suggest(m.material, materials)
        did = f" Did you mean '{hint}'?" if hint else ""
        raise ConfigError(f"{where}.material: '{m.material}' is not defined under [materials].{did}"
                          f" Materials: {', '.join(materials) or 'none'}")
    if getattr(materials[m.material], "cell_E", None) is not None:
        raise ConfigError(f"{where}.material: '{m.material}' is CT-mapped per element; a "
                          "membrane needs one modulus")
    if isinstance(materials[m.material], AnisotropicElastic):
        raise ConfigError(f"{where}.material: '{m.material}' is anisotropic; a membrane is "
                          "isotropic (E, nu)")
    if not m.thickness > 0:
        raise ConfigError(f"{where}.thickness_mm: {m.thickness} must be > 0")


@dataclass
class MembraneGroup:
    """The faces of one membrane entry of one face type (a face set may mix TRI3 and TRI6)."""

    index: int  # into model.membranes
    type: MembraneType
    conn: np.ndarray  # (k, nf) node indices, outward order
    D: np.ndarray  # (3, 3) plane-stress modulus times thickness (N/mm)
    E: float
    nu: float


def groups(model) -> list[MembraneGroup]:
    out = []
    for i, m in enumerate(model.membranes):
        check_names(model.mesh, model.materials, m, f"{model.source}: membranes[{i}]")
        mat = model.materials[m.material]
        E, nu = float(mat.E), float(mat.nu)
        D = m.thickness * E / (1 - nu * nu) * np.array(
            [[1.0, nu, 0.0], [nu, 1.0, 0.0], [0.0, 0.0, 0.5 * (1.0 - nu)]])
        faces = model.mesh.faces(m.face_set)
        for ft, rows in model.mesh.face_groups(faces):
            mt = membrane_for_face(ft, f"{model.source}: membranes[{i}] '{m.face_set}'")
            out.append(MembraneGroup(i, mt, model.mesh.face_connectivity(faces[rows]), D, E, nu))
    return out


def strain_operator(xe: np.ndarray, mt: MembraneType):
    """B (k, q, 3, 3 nf) taking nodal displacements to the local membrane strains (e11, e22,
    g12) at the quadrature points, the frames e1, e2 (k, q, 3) and dA (k, q) = jacobian * weight."""
    _, dN = mt.face.shape(mt.points)  # (q, nf, 2)
    a1 = np.einsum("qn,knc->kqc", dN[:, :, 0], xe)
    a2 = np.einsum("qn,knc->kqc", dN[:, :, 1], xe)
    n = np.cross(a1, a2)
    jac = np.linalg.norm(n, axis=2)
    if not (jac > 0).all():
        raise ConfigError("a membrane face is degenerate (zero area)")
    n /= jac[..., None]
    l1 = np.linalg.norm(a1, axis=2)
    e1 = a1 / l1[..., None]
    e2 = np.cross(n, e1)
    # dy/dxi in the frame is upper triangular [[l1, a2.e1], [0, a2.e2]]: invert it by hand
    b, d = np.einsum("kqc,kqc->kq", a2, e1), np.einsum("kqc,kqc->kq", a2, e2)
    g1 = dN[None, :, :, 0] / l1[..., None]  # dN/dy1 (k, q, nf)
    g2 = (dN[None, :, :, 1] - b[..., None] * g1) / d[..., None]  # dN/dy2
    k, q, nf = g1.shape
    B = np.empty((k, q, 3, nf, 3))
    B[:, :, 0] = g1[..., None] * e1[:, :, None, :]
    B[:, :, 1] = g2[..., None] * e2[:, :, None, :]
    B[:, :, 2] = g2[..., None] * e1[:, :, None, :] + g1[..., None] * e2[:, :, None, :]
    return B.reshape(k, q, 3, 3 * nf), e1, e2, jac * mt.weights[None]


def element_matrices(model):
    """(dof (k, 3 nf), Ke (k, 3 nf, 3 nf)) of the membranes' faces, in batches of CHUNK."""
    for g in groups(model):
        for lo in range(0, len(g.conn), CHUNK):
            conn = g.conn[lo:lo + CHUNK]
            B, _, _, dA = strain_operator(model.mesh.nodes[conn], g.type)
            DB = np.einsum("ij,kqjr->kqir", g.D, B)
            Ke = np.einsum("kqip,kqir,kq->kpr", B, DB, dA, optimize=True)
            yield (3 * conn[:, :, None] + np.arange(3)).reshape(len(conn), -1), Ke


def membrane_stiffness(model) -> sp.csr_matrix | None:
    """The membranes' stiffness on the mesh's 3n DOFs (N/mm), None without membranes."""
    if not model.membranes:
        return None
    n = 3 * model.mesh.n_nodes
    K = sp.csr_matrix((n, n))
    for dof, Ke in element_matrices(model):
        rows = np.broadcast_to(dof[:, :, None], Ke.shape).ravel()
        cols = np.broadcast_to(dof[:, None, :], Ke.shape).ravel()
        K = K + sp.csr_matrix((Ke.ravel(), (rows, cols)), shape=(n, n))
    return K


def add_membrane_stiffness(model, K: sp.csr_matrix) -> None:
    """Add the membranes into the solid's stiffness K in place: a face's nodes belong to one
    solid element, so every entry is already in K's pattern (sorted column indices)."""
    for dof, Ke in element_matrices(model):
        if not _scatter(K.indptr, K.indices, K.data, dof, Ke):
            raise FeaError(f"{model.source}: a membrane face's nodes are not all in one solid "
                           "element (its stiffness has no place in the solid's pattern)")


@njit(cache=True)
def _scatter(indptr, indices, data, dof, Ke):
    for e in range(dof.shape[0]):  # sequential: faces share nodes
        for a in range(dof.shape[1]):
            r = dof[e, a]
            lo, hi = indptr[r], indptr[r + 1]
            row = indices[lo:hi]
            for b in range(dof.shape[1]):
                p = np.searchsorted(row, dof[e, b])
                if p >= hi - lo or row[p] != dof[e, b]:
                    return False
                data[lo + p] += Ke[e, a, b]
    return True


def membrane_fields(model, u: np.ndarray) -> list[dict]:
    """Per membrane group: its faces' stress (k, 6: xx, yy, zz, xy, yz, xz, MPa, mean over the
    face's points), von Mises of the membrane stress (k, max over the points), in-plane principal
    strains (k, 2, mean) and the face areas (k, mm^2)."""
    out = []
    U = u[:3 * model.mesh.n_nodes].reshape(-1, 3)
    for g in groups(model):
        xe = model.mesh.nodes[g.conn]
        B, e1, e2, dA = strain_operator(xe, g.type)
        eps = np.einsum("kqip,kp->kqi", B, U[g.conn].reshape(len(g.conn), -1))
        s = np.einsum("ij,kqj->kqi", g.D / model.membranes[g.index].thickness, eps)
        vm = np.sqrt(np.maximum(s[..., 0] ** 2 - s[..., 0] * s[..., 1] + s[..., 1] ** 2
                                + 3 * s[..., 2] ** 2, 0.0))
        # global tensor: s11 e1e1 + s22 e2e2 + s12 (e1e2 + e2e1)
        T = (s[..., 0, None, None] * e1[..., :, None] * e1[..., None, :]
             + s[..., 1, None, None] * e2[..., :, None] * e2[..., None, :]
             + s[..., 2, None, None] * (e1[..., :, None] * e2[..., None, :]
                                        + e2[..., :, None] * e1[..., None, :]))
        Tm = T.mean(axis=1)
        voigt = np.stack([Tm[:, 0, 0], Tm[:, 1, 1], Tm[:, 2, 2], Tm[:, 0, 1], Tm[:, 1, 2],
                          Tm[:, 0, 2]], axis=1)
        em = eps.mean(axis=1)
        c, r = 0.5 * (em[:, 0] + em[:, 1]), np.hypot(0.5 * (em[:, 0] - em[:, 1]), 0.5 * em[:, 2])
        out.append({"group": g, "stress": voigt, "von_mises": vm.max(axis=1),
                    "principal_strain": np.stack([c + r, c - r], axis=1),
                    "area": dA.sum(axis=1), "qp_stress": s})
    return out


def outputs(result, loadcase=None):
    """The membranes' case outputs (a fea.newton.TermOutputs, written like a term's):
    membranes.vtu (one surface cell per membrane face: von_mises_MPa, stress_MPa in the global
    frame, principal_strain, membrane; displacement at its nodes) at the final state and every
    step end, and summary.json "membranes": per entry its body, role, material (library,
    yield_MPa), thickness, area and von Mises peaks (final state)."""
    from .newton import TermOutputs

    model = result.model
    if not model.membranes:
        return None

    def arrays(state):
        u = result.displacement(state)
        U = u[:3 * model.mesh.n_nodes].reshape(-1, 3)
        fs = membrane_fields(model, u)
        nodes = np.unique(np.concatenate([f["group"].conn.ravel() for f in fs]))
        out = {"points": model.mesh.nodes[nodes], "displacement": U[nodes],
               "cells": [(f["group"].type.face.meshio, np.searchsorted(nodes, f["group"].conn))
                         for f in fs]}
        cat = lambda key: np.concatenate([f[key] for f in fs])  # noqa: E731
        out.update(von_mises_MPa=cat("von_mises"), stress_MPa=cat("stress"),
                   principal_strain=cat("principal_strain"), area=cat("area"),
                   membrane=np.concatenate([np.full(len(f["group"].conn), f["group"].index)
                                            for f in fs]))
        return out

    final = arrays(result.final)
    summary = {}
    for i, m in enumerate(model.membranes):
        on = final["membrane"] == i
        vm = final["von_mises_MPa"][on]
        mat = model.materials[m.material]
        # role of its body's sections: fea.metrics judges a bone's cortex by its material
        # (library, yield) like a section's (subsidence shell rule, cortex stress)
        role = next((s.role for s in model.sections if s.body_name == m.body_name), "other")
        summary[m.face_set] = {
            "body": m.body_name, "material": m.material, "thickness_mm": m.thickness,
            "role": role, "library": mat.library, "yield_MPa": mat.yield_MPa,
            "area_mm2": float(final["area"][on].sum()),
            "max_von_mises_MPa": float(vm.max()) if len(vm) else 0.0,
            "p99_von_mises_MPa": float(np.percentile(vm, 99)) if len(vm) else 0.0}
    return TermOutputs(summary={"membranes": summary},
                       vtu=[("membranes", final, [arrays(s) for s in result.step_ends()],
                             write_vtu)])


def write_vtu(path, arrays: dict) -> None:
    """membranes.vtu: the membrane faces as triangles (TRI6: triangle6) with cell data, and
    point data displacement (mm; ParaView's Warp By Vector)."""
    import meshio

    from . import atomic

    data = {k: arrays[k] for k in ("von_mises_MPa", "stress_MPa", "principal_strain", "membrane")}
    split = np.cumsum([len(c) for _, c in arrays["cells"]])[:-1]
    mesh = meshio.Mesh(arrays["points"], arrays["cells"],
                       point_data={"displacement": arrays["displacement"]},
                       cell_data={k: np.split(v, split) for k, v in data.items()})
    atomic.write_with(path, lambda tmp: meshio.write(tmp, mesh, file_format="vtu", binary=True))
