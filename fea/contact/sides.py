"""Which faces are the slave and which the master side of an interface.

A face set may name a surface inside a conforming mesh (gmsh fragments give one physical surface
holding both sides). `NAME@SEL` keeps the faces of NAME whose element lies in SEL, a cell set or a
body (Section.body). When slave and master name the same two-sided set, the sides are split by
body and the softer body is the slave (the usual advice for contact pairs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..model import Interface, Model


@dataclass
class Sides:
    slave: np.ndarray  # (k, 2) element, local face
    master: np.ndarray
    slave_body: str
    master_body: str


def body_of_cells(model: Model) -> tuple[np.ndarray, list[str]]:
    """(m,) body index of every element and the body names (regions of one body share one)."""
    names: list[str] = []
    body = np.full(model.mesh.n_cells, -1, dtype=np.int64)
    for s in model.sections:
        if s.body_name not in names:
            names.append(s.body_name)
        body[model.mesh.elements(s.cell_set)] = names.index(s.body_name)
    return body, names


def _selector_cells(model: Model, sel: str, where: str) -> np.ndarray:
    mesh = model.mesh
    if sel in mesh.cell_sets:
        return mesh.cell_sets[sel]
    secs = [s.cell_set for s in model.sections if s.body_name == sel]
    if secs:
        return np.concatenate([mesh.cell_sets[c] for c in secs])
    bodies = sorted({s.body_name for s in model.sections})
    raise ConfigError(f"{where}: '@{sel}' is neither a cell set nor a body "
                      f"(bodies: {', '.join(bodies)})")


def resolve_faces(model: Model, name: str, where: str) -> np.ndarray:
    base, _, sel = name.partition("@")
    faces = model.mesh.faces(base)
    if sel:
        faces = faces[np.isin(faces[:, 0], _selector_cells(model, sel, where))]
        if len(faces) == 0:
            raise ConfigError(f"{where}: no face of '{base}' lies on '{sel}'")
    return faces


def _two_sided(model: Model, faces: np.ndarray) -> bool:
    for _, i in model.mesh.face_groups(faces):  # one connectivity width per face shape
        fc = np.sort(model.mesh.face_connectivity(faces[i], corners_only=True), axis=1)
        if len(np.unique(fc, axis=0)) < len(fc):
            return True
    return False


def _body_names(model: Model, faces: np.ndarray) -> list[str]:
    body, names = body_of_cells(model)
    return [names[b] for b in np.unique(body[faces[:, 0]])]


def _softness(model: Model, body_name: str) -> float:
    return min(model.materials[s.material].E for s in model.sections if s.body_name == body_name)


def resolve_sides(model: Model, it: Interface) -> Sides:
    sd = _resolve_sides(model, it)
    for side, faces in ((it.slave, sd.slave), (it.master, sd.master)):
        groups = model.mesh.face_groups(faces)
        if len(groups) > 1:  # (a wedge block's skin: quad sides, triangle ends)
            raise ConfigError(
                f"{model.source}: interface '{it.name}': surface '{side}' mixes "
                f"{', '.join(ft.name for ft, _ in groups)} faces; a side of an interface has "
                "faces of one shape: split it into one interface per shape")
    return sd


def _resolve_sides(model: Model, it: Interface) -> Sides:
    where = f"{model.source}: interface '{it.name}'"
    if it.slave == it.master and "@" not in it.slave:
        faces = model.mesh.faces(it.slave)
        names = _body_names(model, faces)
        if len(names) != 2:
            raise ConfigError(
                f"{where}: surface '{it.slave}' touches {len(names)} bodies ({', '.join(names)}); "
                "an interface joins two: name the sides as SURFACE@BODY"
            )
        a, b = sorted(names, key=lambda n: (_softness(model, n), n))
        return Sides(resolve_faces(model, f"{it.slave}@{a}", where),
                     resolve_faces(model, f"{it.slave}@{b}", where), a, b)
    out = []
    for side in (it.slave, it.master):
        faces = resolve_faces(model, side, where)
        if "@" not in side and _two_sided(model, faces):
            raise ConfigError(
                f"{where}: surface '{side}' lies inside the mesh (both sides listed); say which "
                f"side with '{side}@BODY' (bodies: {', '.join(_body_names(model, faces))})"
            )
        names = _body_names(model, faces)
        if len(names) != 1:
            raise ConfigError(f"{where}: surface '{side}' spans bodies {', '.join(names)}; "
                              "a side of an interface must lie on one body")
        out.append((faces, names[0]))
    if out[0][1] == out[1][1]:
        raise ConfigError(f"{where}: slave and master both lie on body '{out[0][1]}'")
    return Sides(out[0][0], out[1][0], out[0][1], out[1][1])
