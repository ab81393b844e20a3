"""summary.csv of a study run: fea.summary_table's rows from the case folders, plus a `status`
column (done / not_converged / failed) and the error of every failed case in its flags, so that
a failed case is listed as failed, never dropped and never ranked."""

from __future__ import annotations

from ..errors import FeaError
from . import status as S
from .plan import Plan


def study_summary(plan: Plan, statuses: dict) -> list[dict]:
    from ..summary_table import study_rows, write_summary_csv

    try:
        rows = study_rows(plan.out_dir)
    except FeaError as exc:
        if "no case folders" not in str(exc):
            raise
        rows = []  # every case failed before writing anything: the rows below say why
    by_key = {f"{r['variant']}/{r['loadcase']}": r for r in rows}
    out = []
    for job in plan.jobs:
        st, detail = statuses.get(job.key, (S.MISSING, None))
        row = by_key.get(job.key) or {"variant": job.variant, "loadcase": job.loadcase,
                                      "converged": False, "n_flags": 1}
        if st in (S.FAILED, S.MISSING, S.CHANGED):
            row["converged"] = False
            why = " ".join((detail or "the case did not run (see study.log)").split())
            row["flags"] = f"FAILED: {why}"
            row["n_flags"] = max(1, int(row.get("n_flags") or 0))
        label = "failed" if st in (S.FAILED, S.MISSING, S.CHANGED) else st
        out.append({"variant": row["variant"], "loadcase": row["loadcase"],
                    "converged": row["converged"], "status": label, **row})
    out.sort(key=lambda r: (str(r["variant"]), str(r["loadcase"])))
    write_summary_csv(plan.out_dir, out)
    return out
