"""Writing ligament fibres for ParaView: ligaments.vtu, one line cell per fibre.

Cell data: force_N, strain_pct (nan for springs without length), elongation_mm, taut (0/1),
ligament_id (index into summary.json "ligaments", which carries the names), share. Written
atomically (fea.atomic); the numbers come from fea.ligaments.summary.fibre_fields.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import atomic
from .ligaments.fibres import Fibres


def write_ligaments_vtu(path: str | Path, fibres: Fibres, fields: dict[str, np.ndarray]) -> None:
    import meshio

    n = fibres.n
    points = np.vstack([fibres.end_a, fibres.end_b]) if n else np.zeros((0, 3))
    lines = np.stack([np.arange(n), n + np.arange(n)], axis=1)
    cell_data = {
        "force_N": [np.asarray(fields["force_N"], float)],
        "strain_pct": [np.asarray(fields["strain_pct"], float)],
        "elongation_mm": [np.asarray(fields["elongation_mm"], float)],
        "taut": [np.asarray(fields["taut"], np.int8)],
        "ligament_id": [np.asarray(fibres.ligament, np.int32)],
        "share": [np.asarray(fibres.share, float)],
    }
    out = meshio.Mesh(points, [("line", lines)], cell_data=cell_data)
    atomic.write_with(path, lambda tmp: meshio.write(tmp, out, file_format="vtu", binary=True))
