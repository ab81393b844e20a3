"""study.json: what ran, from which inputs (with hashes), with which code and dependencies, on
which machine, how long each part took and how each case ended. Rewritten atomically at the start,
after every variant and at the end, so a killed study still says what it had done.

Keys read by other parts of the tool: "name", "thresholds", "rom_reference" (fea.summary_table,
fea.report); the report also lists the rest as the study's inputs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .. import atomic
from .plan import Plan
from .provenance import code_version, file_sha256, machine, versions

FILE = "study.json"


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


class StudyRecord:
    def __init__(self, plan: Plan, execution: dict, path: Path | None = None):
        self.path = path or plan.out_dir / FILE
        self.previous = self._read_previous()
        s = plan.study.spec
        self.data: dict = {
            "name": plan.study.name,
            "description": s.study.description,
            "status": "running",
            "started": _now(),
            "study_file": str(plan.study.path.resolve()),
            "study_file_sha256": file_sha256(plan.study.path),
            "rom_reference": plan.reference,
            "thresholds": plan.thresholds,
            "states": s.study.states,
            "fused_ties": s.study.fused_ties,
            "mesh_override": s.mesh.model_dump(),
            "mesh_size_factor": plan.size_factor,
            "solver": plan.solver,
            "contact": plan.contact,
            "execution": execution,
            "code": code_version(),
            "versions": versions(),
            "machine": machine(),
            "inputs": {
                "models": {g.model_file: file_sha256(g.model_file) for g in plan.groups},
                "loadcases": {lc.name: {"file": lc.file, "sha256": lc.sha256}
                              for lc in plan.loadcases},
            },
            "variants": {g.variant: {
                "model": g.model_label, "model_file": g.model_file, "variant": g.base_variant,
                "grid": g.point, "state": g.state, "size_mm": g.size_mm,
                "element_order": (g.spec or {}).get("mesh", {}).get("element_order"),
                "model_hash": g.model_hash, "input_files": g.files, "error": g.error,
            } for g in plan.groups},
            "notes": list(plan.notes),
            "cases": {j.key: {"input_hash": j.input_hash, "status": "pending"} for j in plan.jobs},
            "groups": {},
            "timings_s": {},
        }

    def _read_previous(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            return {}

    def case(self, key: str, **fields) -> None:
        self.data["cases"].setdefault(key, {}).update(fields)

    def reuse_previous(self, key: str) -> None:
        """A skipped case keeps the timings it was solved with (same inputs, same hash)."""
        old = (self.previous.get("cases") or {}).get(key) or {}
        if old.get("input_hash") == self.data["cases"][key]["input_hash"] and "timings" in old:
            self.case(key, timings=old["timings"], solved=old.get("solved"))

    def write(self, **fields) -> None:
        self.data.update(fields)
        atomic.write_json(self.path, self.data)


def totals(record: dict) -> dict:
    """Sum of the per-part times over the groups and cases that ran in this run."""
    t = {"mesh_s": 0.0, "setup_s": 0.0, "solve_s": 0.0, "write_s": 0.0}
    for g in record.get("groups", {}).values():
        for k in ("mesh_s", "setup_s"):
            t[k] += float((g.get("timings") or {}).get(k, 0.0))
    for c in record.get("cases", {}).values():
        if c.get("solved") == record.get("started"):
            for k in ("solve_s", "write_s"):
                t[k] += float((c.get("timings") or {}).get(k, 0.0))
    return t
