"""Writing ligament fibres for ParaView: ligaments.vtu, one line cell per fibre segment (one per
straight fibre; A -> V and V -> B for a fibre over a via point).

Cell data: fibre (index of the fibre), force_N, strain_pct (nan for springs without length),
elongation_mm, taut (0/1), ligament_id (index into summary.json "ligaments", which carries the
names), share; a wrapped fibre's two segments carry its values. Written atomically
(fea.atomic); the numbers come from fea.ligaments.summary.fibre_fields.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import atomic
from .ligaments.fibres import Fibres


def write_ligaments_vtu(path: str | Path, fibres: Fibres, fields: dict[str, np.ndarray]) -> None:
    import meshio

    n = fibres.n
    wrapped = np.flatnonzero(np.isfinite(fibres.end_v[:, 0])) if n else np.zeros(0, np.int64)
    points = (np.vstack([fibres.end_a, fibres.end_b, fibres.end_v[wrapped]]) if n
              else np.zeros((0, 3)))
    straight = np.setdiff1d(np.arange(n), wrapped)
    v = 2 * n + np.arange(len(wrapped))  # the via points' rows in `points`
    lines = np.vstack([np.stack([straight, n + straight], axis=1),
                       np.stack([wrapped, v], axis=1), np.stack([v, n + wrapped], axis=1)])
    fibre = np.concatenate([straight, wrapped, wrapped])
    order = np.argsort(fibre, kind="stable")  # segments in fibre order
    lines, fibre = lines[order], fibre[order]
    cell_data = {
        "fibre": [fibre.astype(np.int32)],
        "force_N": [np.asarray(fields["force_N"], float)[fibre]],
        "strain_pct": [np.asarray(fields["strain_pct"], float)[fibre]],
        "elongation_mm": [np.asarray(fields["elongation_mm"], float)[fibre]],
        "taut": [np.asarray(fields["taut"], np.int8)[fibre]],
        "ligament_id": [np.asarray(fibres.ligament, np.int32)[fibre]],
        "share": [np.asarray(fibres.share, float)[fibre]],
    }
    out = meshio.Mesh(points, [("line", lines)], cell_data=cell_data)
    atomic.write_with(path, lambda tmp: meshio.write(tmp, out, file_format="vtu", binary=True))
