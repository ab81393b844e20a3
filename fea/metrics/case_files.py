"""Read a case folder (summary.json, interfaces.vtu, result.vtu) back into metric inputs.

Used by the study table, `compare`, plots and the report, so that metrics can be recomputed with
a study's thresholds from what is on disk (quadrature-point peaks are stored in summary.json
stress_peaks, which is all the strength metrics need).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import FeaError
from .case import case_metrics, reference_step, region_info
from .thresholds import Thresholds

INTERFACE_ARRAYS = ("area", "pressure", "gap", "slip", "slip_magnitude", "status", "normal",
                    "penetration")


def read_summary(case_dir: str | Path) -> dict:
    path = Path(case_dir) / "summary.json"
    if not path.exists():
        raise FeaError(f"{case_dir}: no summary.json (not a finished case folder)")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FeaError(f"{path}: not valid JSON ({exc})") from None


def _read_vtu(path: Path):
    import meshio

    try:
        return meshio.read(path)
    except (OSError, ValueError, KeyError, IndexError, meshio.ReadError) as exc:  # damaged file
        raise FeaError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None
    except SystemExit:  # meshio's VTU reader exits the process on malformed XML
        raise FeaError(f"{path}: cannot read (not a valid VTU file)") from None


def read_interfaces(case_dir: str | Path, summary: dict | None = None) -> dict:
    """name -> arrays per contact point (the in-memory contract), {} when the case has none."""
    case_dir = Path(case_dir)
    path = case_dir / "interfaces.vtu"
    if not path.exists():
        return {}
    summary = summary if summary is not None else read_summary(case_dir)
    m = _read_vtu(path)
    if "interface" not in m.point_data:
        raise FeaError(f"{path}: point data 'interface' (interface id) missing")
    ids = np.asarray(m.point_data["interface"]).astype(int).ravel()
    names = {int(meta["id"]): name for name, meta in (summary.get("interfaces") or {}).items()}
    out = {}
    for i in np.unique(ids):
        sel = ids == i
        arrs = {"points": m.points[sel]}
        for k in INTERFACE_ARRAYS:
            if k in m.point_data:
                arrs[k] = np.asarray(m.point_data[k])[sel]
        out[names.get(int(i), f"interface_{i}")] = arrs
    return out


def _point_region(m) -> np.ndarray:
    """Region of every point, from each cell block (one per element type)."""
    pr = np.full(len(m.points), -1)
    for block, region in zip(m.cells, m.cell_data["region"]):
        cells = block.data
        pr[cells.ravel()] = np.repeat(np.asarray(region).astype(int), cells.shape[1])
    return pr


def read_nodal(case_dir: str | Path, summary: dict, ref_step: str | None) -> dict | None:
    """Points, displacement and body label of result.vtu (and the reference step's displacement)."""
    case_dir = Path(case_dir)
    path = case_dir / "result.vtu"
    if not path.exists():
        return None
    m = _read_vtu(path)
    if "displacement" not in m.point_data or "region" not in m.cell_data:
        raise FeaError(f"{path}: needs point data 'displacement' and cell data 'region'")
    info = region_info(summary)
    bodies = np.array([i["body"] for i in info.values() if not i.get("membrane")])
    pr = _point_region(m)
    keep = pr >= 0  # points no cell uses carry no body
    out = {"points": m.points[keep], "displacement": np.asarray(m.point_data["displacement"])[keep],
           "body": bodies[pr[keep]]}
    if ref_step is not None:
        names = [s.get("step") for s in summary.get("steps") or []]
        k = names.index(ref_step) if ref_step in names else None
        hits = sorted((case_dir / "steps").glob(f"{k + 1:02d}_*.vtu")) if k is not None else []
        if hits:
            u_ref = np.asarray(_read_vtu(hits[0]).point_data["displacement"])
            out["reference_displacement"] = u_ref[keep]
    return out


def metrics_from_case_dir(case_dir: str | Path, thresholds: Thresholds | None = None,
                          rom_reference_deg: float | None = None, rom_reference_name: str = "",
                          with_translation: bool = True) -> dict:
    case_dir = Path(case_dir)
    summary = read_summary(case_dir)
    interfaces = read_interfaces(case_dir, summary)
    peaks = summary.get("stress_peaks") or {}
    nodal = None
    if with_translation:
        ref = reference_step(summary, summary.get("interfaces") or {})
        nodal = read_nodal(case_dir, summary, ref)
    try:
        return case_metrics(summary, interfaces, peaks, thresholds, nodal=nodal,
                            rom_reference_deg=rom_reference_deg,
                            rom_reference_name=rom_reference_name)
    except FeaError as exc:
        raise FeaError(f"{case_dir}: {exc}") from None
