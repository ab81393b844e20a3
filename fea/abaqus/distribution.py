"""Per-element material orientations: *DISTRIBUTION named on an *ORIENTATION's data line.

CalculiX 2.20 (distributions.f, orientations.f, solidsections.f): each *DISTRIBUTION data line
is `element or element set, a1, a2, a3, b1, b2, b3` (an empty label is Abaqus's default line);
an *ORIENTATION whose first data line is a distribution's name turns every entry into that
orientation's system (and optional rotation). A section with that orientation gives each listed
element its own entry (a later line overrides an earlier one) and every other element the
distribution's first entry. *DISTRIBUTION TABLE only declares the columns (COORD3D, COORD3D):
ccx reads nothing from it, nor do we.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..anisotropy import DistributedOrientation
from ..errors import ConfigError
from .lexer import Block


@dataclass
class RawDistribution:
    name: str
    block: Block
    labels: np.ndarray  # (k,) str: element number, element set, or '' (default line)
    ab: np.ndarray  # (k, 6)
    lines: np.ndarray  # (k,)


@dataclass
class PendingOrientation:
    """An *ORIENTATION naming a distribution: resolved once the mesh exists."""

    name: str
    system: str
    rotation: tuple[int, float] | None
    distribution: str
    block: Block
    line: int


def read_distribution(b: Block) -> RawDistribution:
    b.check_params({"NAME", "LOCATION", "TABLE"})
    name = b.param("NAME", required=True)
    b.choice("LOCATION", ("ELEMENT",), "ELEMENT")  # element orientations are what ccx reads
    fields, lineno = b.table()
    if not len(fields):
        raise b.error("needs data lines 'element or element set, a1, a2, a3, b1, b2, b3'")
    if fields.shape[1] < 7 or (fields[:, 1:7] == "").any():
        bad = np.flatnonzero((fields[:, 1:7] == "").any(axis=1)) if fields.shape[1] >= 7 else [0]
        raise b.error("a line is 'element or element set, a1, a2, a3, b1, b2, b3'",
                      int(lineno[bad[0]]))
    if fields.shape[1] > 7:
        bad = np.flatnonzero((fields[:, 7:] != "").any(axis=1))
        if len(bad):
            raise b.error("a line is 'element or element set, a1, a2, a3, b1, b2, b3' (seven "
                          "entries)", int(lineno[bad[0]]))
    try:
        ab = fields[:, 1:7].astype(np.float64)
    except ValueError:
        bad = next(i for i, row in enumerate(fields[:, 1:7]) if not _numbers(row))
        raise b.error("a1 .. b3 must be numbers", int(lineno[bad])) from None
    if not np.isfinite(ab).all():
        raise b.error("a1 .. b3 must be finite", int(lineno[np.flatnonzero(
            ~np.isfinite(ab).all(axis=1))[0]]))
    return RawDistribution(name, b, fields[:, 0], ab, lineno)


def _numbers(row) -> bool:
    try:
        np.asarray(row).astype(np.float64)
    except ValueError:
        return False
    return True


def resolve(p: PendingOrientation, raw: RawDistribution, mesh, elsets) -> DistributedOrientation:
    """The per-element orientation of `p` on `mesh` (element numbers and sets resolved)."""
    b = raw.block
    a, bb = raw.ab[:, :3], raw.ab[:, 3:]
    if p.system == "rectangular":
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(bb, axis=1)
        bad = np.flatnonzero((na == 0) | (np.linalg.norm(np.cross(a, bb), axis=1)
                                          <= 1e-12 * na * nb))
        why = "a must be non-zero and b not parallel to it (a gives axis 1, b the 1-2 plane)"
    else:
        bad = np.flatnonzero(np.linalg.norm(bb - a, axis=1) == 0)
        why = "a and b are the same point; they must be two points on the cylinder's axis"
    if len(bad):
        raise b.error(f"distribution '{raw.name}' used by orientation '{p.name}' "
                      f"({p.system}): {why}", int(raw.lines[bad[0]]))
    order = np.argsort(mesh.cell_ids)
    cells, entries = [], []
    for k in np.flatnonzero(raw.labels != ""):  # one group per line: element or set
        lab = str(raw.labels[k])
        if lab.isdigit():
            pos = min(int(np.searchsorted(mesh.cell_ids[order], int(lab))), len(order) - 1)
            if mesh.cell_ids[order][pos] != int(lab):
                raise b.error(f"element {lab} is not defined", int(raw.lines[k]))
            members = order[pos:pos + 1]
        else:
            canon, _ = elsets.require(lab, b, int(raw.lines[k]))
            members = mesh.cell_sets[canon]
        cells.append(members)
        entries.append(np.full(len(members), k))
    cells = np.concatenate(cells) if cells else np.zeros(0, np.int64)
    entries = np.concatenate(entries) if entries else np.zeros(0, np.int64)
    # a later line overrides an earlier one for the same element (ccx overwrites ielorien)
    last = len(cells) - 1 - np.unique(cells[::-1], return_index=True)[1]
    first = raw.ab[0]
    try:
        return DistributedOrientation(p.name, p.system, tuple(first[:3]), tuple(first[3:]),
                                      p.rotation, cells[last], raw.ab[entries[last]], raw.name)
    except ConfigError as exc:  # the rotation line
        raise p.block.error(str(exc), p.line) from None
