"""Screws and rods: smooth cylinders (threads are not modelled; screws are tied to the bone).

A screw is one body: the shaft from its entry point along its trajectory, and, for posterior
polyaxial screws, a head behind the entry point (a ball on a neck) in which the rod ends.
Hardware has
the highest priority, so a screw carves its own hole through implants and bone.

After meshing, the nodes of each head (the screw behind its entry point) are the node set
`<screw>_head` (`name_heads`): the head stands on the bone by design, so the screw-safety measure
(fea.geometry.clearance) grades the shaft's perforation, not the head (docs/screw_safety.md).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from . import occ
from .assembly import Assembly

PRI_ROD, PRI_SCREW = 60, 61
HEAD_SUFFIX = "_head"
# (screw name, entry point, unit trajectory), global frame, per assembly (weak keys, as
# fea.geometry.keepout): a naming rule for the mesh, not geometry
_HEADS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class ScrewSpec:
    diameter_mm: float = 3.5  # 3.5 mm cervical screws (lit.)
    head_diameter_mm: float = 6.0  # polyaxial head simplified as a ball (approx.)
    head_length_mm: float = 9.0  # entry point to the rod axis (approx.)


def direction(medial_deg: float, cranial_deg: float, side: int, anterior: bool = True):
    """Unit trajectory: mostly anterior (+y) or posterior, `medial_deg` toward the midline
    (negative: lateral), `cranial_deg` up. side: +1 left (x > 0), -1 right."""
    m, c = np.radians(medial_deg), np.radians(cranial_deg)
    return np.array([-side * np.sin(m) * np.cos(c),
                     (1 if anterior else -1) * np.cos(m) * np.cos(c), np.sin(c)])


def screw(asm: Assembly, name: str, entry, d, length: float, spec: ScrewSpec,
          head: bool = True) -> np.ndarray:
    """Add a screw in the current frame; returns the rod seat (global) or the entry (no head)."""
    entry = np.asarray(entry, float)
    d = np.asarray(d, float) / np.linalg.norm(d)
    parts = [occ.rod(entry - 0.3 * d, entry + length * d, spec.diameter_mm / 2)]
    seat = entry
    if head:
        # the head is a ball on a neck: the rod ends at the ball's centre, so its end cap lies
        # well inside the ball and cuts it square, never at a grazing angle (which makes slivers)
        seat = entry - spec.head_length_mm * d
        parts.append(occ.rod(seat, entry + 0.5 * d, spec.diameter_mm / 2))
        parts.append(occ.sphere(seat, spec.head_diameter_mm / 2, axis=d))
        _HEADS.setdefault(asm, []).append((name, asm.to_global(entry), asm.dir_to_global(d)))
    asm.add(name, name, occ.union(parts), PRI_SCREW, "hardware")
    return asm.to_global(seat)


def name_heads(mesh, asm):
    """Node sets `<screw>_head`: the nodes of each headed screw behind its entry point (the
    neck and the ball, which stand out of the bone)."""
    for name, entry, d in _HEADS.get(asm, []):
        if name not in mesh.cell_sets:
            continue  # a screw of a part the mesh leaves out
        nodes = mesh.nodes_of(name)
        mesh.node_sets[name + HEAD_SUFFIX] = nodes[(mesh.nodes[nodes] - entry) @ d < 0.0]
    return mesh


def rod(asm: Assembly, name: str, seats: list, diameter_mm: float) -> None:
    """A straight rod through the seats of the screw heads it joins (first to last seat)."""
    a, b = np.asarray(seats[0], float), np.asarray(seats[-1], float)
    asm.add(name, name, occ.rod(a, b, diameter_mm / 2), PRI_ROD, "hardware")
