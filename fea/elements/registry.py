"""Element and face types, registered by their Abaqus/CalculiX name.

An `ElementType` holds everything the rest of the code needs about one kind of cell: node count,
reference coordinates, shape functions, the quadrature rule of its stiffness and stresses, its
faces (outward node order, Abaqus labels S1..Sn, face type), the matrix taking quadrature-point
values to its nodes, and its meshio/VTK cell name. Node orders are Abaqus's, which equal VTK's for
every registered type (tetra, tetra10, hexahedron, hexahedron20), so decks and VTU files need no
permutation. Adding an element type is one module that calls `register` (see fea.elements.hexa).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import MeshError


@dataclass(frozen=True, eq=False)
class FaceType:
    """A face of a solid (what surface loads, couplings and contact integrate over)."""

    name: str  # TRI3, TRI6, QUAD4, QUAD8
    n_nodes: int
    n_corners: int
    shape: Callable  # pts (q, 2) -> N (q, nf), dN/dxi (q, nf, 2)
    rule: Callable  # npts -> points (q, 2), weights (q,) on the reference face
    default_points: int  # surface loads: exact for a uniform load on a flat face
    meshio: str


@dataclass(frozen=True, eq=False)
class ElementType:
    name: str  # Abaqus/CalculiX *ELEMENT TYPE, also the exporter's name
    n_nodes: int
    n_corners: int  # the nodes that span the cell (colouring, quality, corner faces)
    ref_coords: np.ndarray  # (nn, 3) node positions in the reference cell
    shape: Callable  # pts (q, 3) -> N (q, nn), dN/dxi (q, nn, 3)
    points: np.ndarray  # (q, 3) quadrature of stiffness and stresses
    weights: np.ndarray  # (q,)
    faces: np.ndarray  # (n_faces, max face nodes) outward order (right-hand rule), -1 padded
    face_types: tuple[FaceType, ...]  # per face
    meshio: str  # meshio / VTK cell type name
    extrapolation: np.ndarray  # (nn, q) quadrature-point values -> element nodes
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))  # mid nodes
    kernel: str = "isoparametric"  # or "incompatible" (C3D8I: condensed bubble modes)
    vtk_order: np.ndarray | None = None  # node permutation for meshio/VTK output, if not ours

    @property
    def n_faces(self) -> int:
        return len(self.faces)

    @property
    def face_labels(self) -> tuple[str, ...]:
        return tuple(f"S{i + 1}" for i in range(self.n_faces))

    def dN(self) -> np.ndarray:
        """dN/dxi (q, nn, 3) at the quadrature points (contiguous, for the numba kernels)."""
        return np.ascontiguousarray(self.shape(self.points)[1])


@dataclass(frozen=True, eq=False)
class MembraneType:
    """A plane-stress membrane on a face of a solid (M3D3 on TRI3, M3D6 on TRI6): it shares the
    face's nodes and adds in-plane stiffness only (fea.membranes)."""

    name: str  # Abaqus/CalculiX *ELEMENT TYPE
    face: FaceType  # the face it lies on (node order, shape functions)
    points: np.ndarray  # (q, 2) quadrature of its stiffness and stresses
    weights: np.ndarray  # (q,)

    @property
    def n_nodes(self) -> int:
        return self.face.n_nodes


ELEMENTS: dict[str, ElementType] = {}
MEMBRANES: dict[str, MembraneType] = {}  # by face type name (TRI3 -> M3D3)
FACES: dict[str, FaceType] = {}
_BY_NODES: dict[int, str] = {}  # node count -> the type an untyped cell array means


def register(et: ElementType, default_for_nodes: bool = False) -> ElementType:
    ELEMENTS[et.name] = et
    if default_for_nodes:
        _BY_NODES[et.n_nodes] = et.name
    return et


def register_face(ft: FaceType) -> FaceType:
    FACES[ft.name] = ft
    return ft


def register_membrane(mt: MembraneType) -> MembraneType:
    MEMBRANES[mt.face.name] = mt
    return mt


def membrane_for_face(ft: FaceType, where: str = "") -> MembraneType:
    """The membrane type lying on faces of that type; MeshError naming it if none."""
    if ft.name not in MEMBRANES:
        pre = f"{where}: " if where else ""
        raise MeshError(f"{pre}no membrane element for {ft.name} faces (membranes exist on "
                        f"{', '.join(MEMBRANES)} faces)")
    return MEMBRANES[ft.name]


def element_type(name: str, where: str = "") -> ElementType:
    """The registered type of that Abaqus name; MeshError naming it (and what exists) if none."""
    key = " ".join(str(name).split()).upper()
    if key in ELEMENTS:
        return ELEMENTS[key]
    import difflib

    hint = difflib.get_close_matches(key, list(ELEMENTS), n=1)
    did = f" Did you mean {hint[0]}?" if hint else ""
    pre = f"{where}: " if where else ""
    raise MeshError(f"{pre}element type {key} is not supported.{did} Supported: "
                    f"{', '.join(ELEMENTS)}")


def type_for_nodes(nn: int, where: str = "") -> ElementType:
    """The type a bare (m, nn) cell array stands for (4 -> C3D4, 10 -> C3D10, 8 -> C3D8, ...)."""
    if nn not in _BY_NODES:
        pre = f"{where}: " if where else ""
        raise MeshError(f"{pre}no element type has {nn} nodes (known: "
                        f"{', '.join(f'{n} ({t})' for n, t in sorted(_BY_NODES.items()))})")
    return ELEMENTS[_BY_NODES[nn]]


def by_meshio(name: str) -> ElementType | None:
    """The default type of a meshio cell block type (hexahedron20 -> C3D20), None if unknown."""
    for nn, key in _BY_NODES.items():
        if ELEMENTS[key].meshio == name:
            return ELEMENTS[key]
    return None


def linear_extrapolation(ref_coords: np.ndarray, points: np.ndarray, corner_shape) -> np.ndarray:
    """(nn, q): the least-squares field of the corner (linear) basis through the quadrature
    values, evaluated at every node (exact inverse when q equals the corner count)."""
    A = corner_shape(points)[0]  # (q, nc)
    B = corner_shape(ref_coords)[0]  # (nn, nc)
    return B @ np.linalg.pinv(A)


def gauss_line(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


def gauss_box(n: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss-Legendre rule on [-1, 1]^dim, first coordinate fastest."""
    x, w = gauss_line(n)
    grids = np.meshgrid(*([x] * dim), indexing="ij")
    wg = np.meshgrid(*([w] * dim), indexing="ij")
    pts = np.stack([g.ravel(order="F") for g in grids], axis=1)
    wts = np.prod([g.ravel(order="F") for g in wg], axis=0)
    return pts, wts
