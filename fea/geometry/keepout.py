"""Keep-out regions of the bones: the spinal canal and the transverse foramina (vertebral artery),
which a screw must not enter (fea.geometry.clearance measures how close each screw comes).

A builder describes each keep-out as a prism with an elliptic or rectangular cross-section around
the lumen (`add`); after meshing, `name_keepouts` turns it into a face set of the bone's free
surface that bounds the lumen (faces whose centre lies in the prism grown by `grow` and whose
outward normal, i.e. pointing out of the bone into the lumen, faces the prism's nearest side
inward). The face
set, not the prism, is what the clearance measures: a measurement of the built mesh.

Names: `<bone>_canal`, `<bone>_transverse_foramen_L/R` (docs/screw_safety.md).

The keep-outs hang off the Assembly in a side table (weak keys), so fea.geometry.assembly needs
no change: a keep-out is a naming rule for the mesh, not part of the geometry.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import numpy as np

from ..errors import MeshError

KINDS = ("canal", "transverse_foramen")
NAME = re.compile(r"^(?P<bone>.+)_(?P<kind>canal|transverse_foramen_[LR])$")
_TABLE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class KeepOut:
    """A lumen prism in the global frame: centre, unit axis, half length along it, semi-axes a
    (along xdir) and b (across) of its cross-section, "ellipse" or "rect"."""

    name: str
    body: str
    centre: tuple
    axis: tuple
    half_length: float
    a: float
    b: float
    xdir: tuple
    shape: str = "ellipse"
    grow: float = 1.0  # mm: tolerance of the wall-face selection around the prism

    def local(self, x: np.ndarray) -> np.ndarray:
        """(t along the axis, u along xdir, v across) of points x (n, 3)."""
        ax, xd = np.asarray(self.axis), np.asarray(self.xdir)
        d = np.asarray(x, float) - np.asarray(self.centre)
        return np.stack([d @ ax, d @ xd, d @ np.cross(ax, xd)], axis=-1)


def add(asm, name: str, body: str, centre, axis, half_length: float, a: float, b: float,
        xdir=(1.0, 0.0, 0.0), shape: str = "ellipse", grow: float = 1.0) -> None:
    """Register a keep-out of `body`, given in the assembly's current (local) frame."""
    if not NAME.match(name):
        raise ValueError(f"keep-out name '{name}' must read <bone>_canal or "
                         "<bone>_transverse_foramen_L/R")
    if shape not in ("ellipse", "rect"):
        raise ValueError(f"keep-out '{name}': shape must be ellipse or rect, got {shape}")
    ax = asm.dir_to_global(np.asarray(axis, float) / np.linalg.norm(axis))
    xd = asm.dir_to_global(np.asarray(xdir, float))
    xd = xd - (xd @ ax) * ax
    xd /= np.linalg.norm(xd)
    ko = KeepOut(name, body, tuple(asm.to_global(centre)), tuple(ax), float(half_length),
                 float(a), float(b), tuple(xd), shape, float(grow))
    _TABLE.setdefault(asm, []).append(ko)


def of(asm) -> list[KeepOut]:
    return list(_TABLE.get(asm, []))


def boundary_faces(mesh, cells: np.ndarray):
    """((k, 2) (element, local face), (k, 3) sorted corner triples) of the faces of `cells` that
    no other of these cells shares: their outer surface."""
    from ..elements import TET4_FACES

    cells = np.asarray(cells, np.int64)
    elem = np.repeat(cells, 4)
    loc = np.tile(np.arange(4), len(cells))
    key = np.sort(mesh.cells[elem[:, None], TET4_FACES[loc]], axis=1)
    keep = count_of_rows(key, mesh.n_nodes) == 1
    return np.stack([elem[keep], loc[keep]], axis=1), key[keep]


def count_of_rows(rows: np.ndarray, n_nodes: int) -> np.ndarray:
    """How often each row of sorted node triples (k, 3) occurs among them. One integer key a
    row (np.unique over rows is several times slower; the mesh post-processing calls this for
    every body and keep-out)."""
    if n_nodes < 2**20:
        n = np.int64(n_nodes)
        key = (rows[:, 0] * n + rows[:, 1]) * n + rows[:, 2]
        _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    else:
        _, inv, cnt = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    return cnt[inv.ravel()]


def free_faces(mesh) -> np.ndarray:
    """(k, 2) (element, local face) of the faces no other element shares: the model's free
    surface (a canal wall is free; a face a screw or an implant touches is not)."""
    return boundary_faces(mesh, np.arange(mesh.n_cells))[0]


def face_geometry(mesh, faces: np.ndarray):
    """(corners (k, 3, 3), centres (k, 3), outward unit normals (k, 3)) of face-set faces."""
    from ..elements import TET4_FACES

    tri = mesh.cells[faces[:, 0][:, None], TET4_FACES[faces[:, 1]]]
    x = mesh.nodes[tri]
    c = x.mean(axis=1)
    n = np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0])
    inside = mesh.nodes[mesh.cells[faces[:, 0], :4]].mean(axis=1)
    n *= np.sign(np.einsum("ij,ij->i", n, c - inside))[:, None]
    n /= np.linalg.norm(n, axis=1)[:, None]
    return x, c, n


def select_wall(ko: KeepOut, centres: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Mask of the faces bounding the lumen: centre inside the grown prism and in the outer half of
    its cross-section, outward normal (into the lumen) within 60 deg of the inward normal of the
    prism's nearest side (a face beside the lumen, e.g. the back of a lateral mass next to the
    canal, faces elsewhere)."""
    t, u, v = ko.local(centres).T
    g = ko.grow
    # near the prism's side, not across its middle (where "inward" means nothing: a face of
    # another part of the bone beyond the lumen's end)
    if ko.shape == "ellipse":
        rho = np.hypot(u / ko.a, v / ko.b)
        inside = (u / (ko.a + g)) ** 2 + (v / (ko.b + g)) ** 2 <= 1.0
        inside &= rho >= 0.5
        gu, gv = u / ko.a ** 2, v / ko.b ** 2  # outward gradient of the ellipse
    else:
        inside = (np.abs(u) <= ko.a + g) & (np.abs(v) <= ko.b + g)
        inside &= np.minimum(ko.a - np.abs(u), ko.b - np.abs(v)) <= 0.5 * min(ko.a, ko.b)
        side_u = ko.a - np.abs(u) < ko.b - np.abs(v)
        gu, gv = np.where(side_u, np.sign(u), 0.0), np.where(side_u, 0.0, np.sign(v))
    inside &= np.abs(t) <= ko.half_length + g
    xd = np.asarray(ko.xdir)
    yd = np.cross(np.asarray(ko.axis), xd)
    inward = -(gu[:, None] * xd + gv[:, None] * yd)
    size = np.linalg.norm(inward, axis=1)
    facing = np.einsum("ij,ij->i", normals, inward) > 0.5 * size
    return inside & facing & (size > 0)


def name_keepouts(mesh, asm):
    """The registered keep-outs as face sets on their bone's free surface."""
    kos = of(asm)
    if not kos:
        return mesh
    free = free_faces(mesh)
    _, centres, normals = face_geometry(mesh, free)
    for ko in kos:
        if ko.body not in mesh.cell_sets:
            raise MeshError(f"{asm.name}: keep-out '{ko.name}' names body '{ko.body}', which is "
                            "not in the mesh")
        mark = np.zeros(mesh.n_cells, bool)
        mark[mesh.elements(ko.body)] = True
        sel = mark[free[:, 0]] & select_wall(ko, centres, normals)
        if not sel.any():
            raise MeshError(f"{asm.name}: keep-out '{ko.name}' found no free face of "
                            f"{ko.body} around {np.round(ko.centre, 1)} (the lumen moved?)")
        mesh.face_sets[ko.name] = free[sel]
    return mesh
