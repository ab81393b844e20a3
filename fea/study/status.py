"""What is on disk for a job: finished with matching inputs, failed, changed or missing.

A case is finished when its folder holds summary.json (written last, atomically) whose
provenance.input_hash equals the job's hash; anything else is run (again).
"""

from __future__ import annotations

import json
from pathlib import Path

from .worker import FAILED_FILE

DONE, NOT_CONVERGED, FAILED, CHANGED, MISSING = (
    "done", "not_converged", "failed", "changed", "missing")


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def case_status(case_dir: str | Path, input_hash: str) -> tuple[str, str | None]:
    """(status, detail): detail is the error of a failed case or the reason of a re-run."""
    case_dir = Path(case_dir)
    summary = _read(case_dir / "summary.json")
    if summary is not None:
        if (summary.get("provenance") or {}).get("input_hash") != input_hash:
            return CHANGED, "its inputs changed since it was solved"
        if summary.get("converged"):
            return DONE, None
        return NOT_CONVERGED, summary.get("not_converged") or "not converged"
    failed = _read(case_dir / FAILED_FILE)
    if failed is not None and failed.get("input_hash") == input_hash:
        return FAILED, failed.get("error") or "failed"
    return MISSING, None


def is_finished(status: str) -> bool:
    """Finished cases are skipped on a re-run (a non-converged case would not converge again)."""
    return status in (DONE, NOT_CONVERGED)
