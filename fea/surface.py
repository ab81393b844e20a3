"""Integration over face sets (TRI3/TRI6/QUAD4/QUAD8 element faces), vectorised over faces of
one face type; loads sum over the types a face set holds (a mixed tet/hex surface)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import FeaError
from .mesh import Mesh


@dataclass
class SurfaceQuadrature:
    conn: np.ndarray  # (k, nf) node indices of each face
    N: np.ndarray  # (q, nf) shape functions at the points
    x: np.ndarray  # (k, q, 3) point coordinates
    da: np.ndarray  # (k, q, 3) outward normal times area weight (sum of |da| = area)

    @property
    def area(self) -> float:
        return float(np.linalg.norm(self.da, axis=2).sum())

    def dA(self) -> np.ndarray:
        return np.linalg.norm(self.da, axis=2)

    def scatter(self, values: np.ndarray, n_nodes: int) -> np.ndarray:
        """Consistent nodal vector (n_nodes, 3) of sum_q N_n(q) * values[k, q, :]."""
        contrib = np.einsum("qn,kqc->knc", self.N, values)
        out = np.zeros((n_nodes, 3))
        for c in range(3):
            out[:, c] = np.bincount(self.conn.ravel(), contrib[:, :, c].ravel(), n_nodes)
        return out


def surface_quadrature(mesh: Mesh, faces: np.ndarray, npts: int | None = None) -> SurfaceQuadrature:
    """Quadrature of faces of one face type (MeshError if they mix; see `face_groups`)."""
    conn = mesh.face_connectivity(faces)
    groups = mesh.face_groups(faces)
    ft = groups[0][0] if groups else mesh.blocks[0].type.face_types[0]
    pts, w = ft.rule(npts or ft.default_points)
    N, dN = ft.shape(pts)
    xe = mesh.nodes[conn]  # (k, nf, 3)
    x = np.einsum("qn,knc->kqc", N, xe)
    a1 = np.einsum("qn,knc->kqc", dN[:, :, 0], xe)
    a2 = np.einsum("qn,knc->kqc", dN[:, :, 1], xe)
    da = np.cross(a1, a2) * w[None, :, None]
    return SurfaceQuadrature(conn, N, x, da)


def surface_quadratures(mesh: Mesh, faces: np.ndarray) -> list[SurfaceQuadrature]:
    """One SurfaceQuadrature per face type in a face set."""
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 2)
    return [surface_quadrature(mesh, faces[i]) for _, i in mesh.face_groups(faces)]


def check_one_sided(mesh: Mesh, name: str) -> None:
    """A load surface must be a boundary: an interior surface (both sides listed) is ambiguous."""
    faces = mesh.faces(name)
    for _, i in mesh.face_groups(faces):
        fc = np.sort(mesh.face_connectivity(faces[i], corners_only=True), axis=1)
        if len(np.unique(fc, axis=0)) != len(fc):
            raise FeaError(
                f"surface '{name}' lies inside the mesh (its faces belong to two elements); a "
                "load or coupling needs a boundary surface, or a face set restricted to one body"
            )


def traction_load(mesh: Mesh, name: str, traction: np.ndarray) -> np.ndarray:
    """Nodal forces (n,3) N of a uniform traction vector (MPa) on a face set."""
    check_one_sided(mesh, name)
    out = np.zeros((mesh.n_nodes, 3))
    for sq in surface_quadratures(mesh, mesh.faces(name)):
        vals = sq.dA()[:, :, None] * np.asarray(traction, float)[None, None, :]
        out += sq.scatter(vals, mesh.n_nodes)
    return out


def pressure_load(mesh: Mesh, name: str, p: float) -> np.ndarray:
    """Nodal forces of a pressure p (MPa, positive pushes into the body) on a face set."""
    check_one_sided(mesh, name)
    out = np.zeros((mesh.n_nodes, 3))
    for sq in surface_quadratures(mesh, mesh.faces(name)):
        out += sq.scatter(-p * sq.da, mesh.n_nodes)
    return out


def total_force_load(mesh: Mesh, name: str, force: np.ndarray) -> np.ndarray:
    """A total force (N) spread as a uniform traction over a face set."""
    check_one_sided(mesh, name)
    sqs = surface_quadratures(mesh, mesh.faces(name))
    area = sum(sq.area for sq in sqs)
    if area <= 0:
        raise FeaError(f"surface '{name}' has zero area")
    out = np.zeros((mesh.n_nodes, 3))
    for sq in sqs:
        vals = sq.dA()[:, :, None] * (np.asarray(force, float) / area)[None, None, :]
        out += sq.scatter(vals, mesh.n_nodes)
    return out
