"""case_metrics inputs from an in-memory solve, for the case pipeline (no files read back).

    fields = fea.results.state_fields(result, result.final)
    vm, kw = result_inputs(result, fields, summary)
    metrics = case_metrics(summary, interfaces, vm, thresholds, **kw)

gives the same numbers as recomputing from the written case folder (tests check it).
"""

from __future__ import annotations

import numpy as np

from .case import reference_step


def result_inputs(result, fields: dict, summary: dict) -> tuple[dict, dict]:
    """(vm_qp_by_region, {"nodal": ...}): the third argument and the keywords of case_metrics.

    fields: fea.results.state_fields of the final state (its "vm_qp" (m, q), "split" and
    "displacement" on the per-region output points).
    """
    model = result.model
    region = fields["split"].point_region
    cell_region = model.mesh.region_of_cells([s.cell_set for s in model.sections])
    vm = {s.cell_set: fields["vm_qp"][cell_region == i] for i, s in enumerate(model.sections)}
    bodies = np.array([s.body_name for s in model.sections])
    split = fields["split"]
    nodal = {"points": model.mesh.nodes[split.point_node], "displacement": fields["displacement"],
             "body": bodies[region]}
    ref = reference_step(summary, summary.get("interfaces") or {})
    ref_state = next((s for s in result.step_ends() if s.step == ref), None)
    if ref_state is not None and ref_state is not result.final:
        nodal["reference_displacement"] = result.displacement(ref_state)[split.point_node]
    return vm, {"nodal": nodal}
