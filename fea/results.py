"""Writing a solved case: result.vtu (final state), steps/NN_<step>.vtu, summary.json.

VTU point data: displacement (mm, n x 3), stress (MPa, n x 6: xx, yy, zz, xy, yz, xz), von_mises
(MPa), principal_stress (MPa, n x 3, descending), node_id; cell data: region (index into
summary.json "regions"), element_id. Nodes on a region boundary appear once per region so that
stresses are never averaged across materials. Everything is written into a staged folder and
swapped in at the end (fea.atomic).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np

from . import atomic
from .post import nodal_stress, principal, qp_stress, set_reaction, split_by_region, von_mises
from .model import element_D
from .names import slug
from .result_data import Result, State


def _region_index(result: Result) -> np.ndarray:
    mesh = result.model.mesh
    return mesh.region_of_cells([s.cell_set for s in result.model.sections])


def state_fields(result: Result, state: State, split=None, region=None) -> dict:
    """Per-region nodal fields and peak quadrature-point stresses of one state."""
    model = result.model
    mesh = model.mesh
    mat_id, Ds, step = element_D(model)
    region = _region_index(result) if region is None else region
    split = split_by_region(mesh.padded_cells(), region) if split is None else split
    u = result.displacement(state)
    qp = qp_stress(mesh.nodes, mesh, mat_id, Ds, u, step)
    s_nodes = nodal_stress(mesh, qp, split)
    vm_qp = von_mises(qp)  # (m, q)
    peaks = {}
    for i, sec in enumerate(model.sections):
        cells = np.flatnonzero(region == i)
        peaks[sec.cell_set] = {
            "max_von_mises_qp_MPa": float(vm_qp[cells].max()) if len(cells) else 0.0,
            "p99_von_mises_qp_MPa": float(np.percentile(vm_qp[cells], 99)) if len(cells) else 0.0,
        }
    return {
        "split": split,
        "displacement": u[split.point_node],
        "stress": s_nodes,
        "von_mises": von_mises(s_nodes),
        "principal_stress": principal(s_nodes),
        "peaks": peaks,
        "vm_qp": vm_qp,
    }


def write_vtu(path: Path, result: Result, fields: dict, region: np.ndarray) -> None:
    import meshio

    mesh = result.model.mesh
    split = fields["split"]
    from meshio._mesh import topological_dimension

    # meshio 5.3 knows VTK's 15-node wedge (cell type 26) but left it out of this table, so a
    # Mesh holding one cannot be built; it is a volume cell
    topological_dimension.setdefault("wedge15", 3)
    # one VTK cell block per element type (C3D20 and C3D20R both write hexahedron20)
    blocks = [(b.type.meshio, split.cells[b.offset:b.offset + len(b.cells), :b.type.n_nodes]
               [:, slice(None) if b.type.vtk_order is None else b.type.vtk_order])
              for b in mesh.blocks]
    per_block = lambda a: [a[b.offset:b.offset + len(b.cells)] for b in mesh.blocks]  # noqa: E731
    out = meshio.Mesh(
        mesh.nodes[split.point_node],
        blocks,
        point_data={
            "displacement": fields["displacement"],
            "stress": fields["stress"],
            "von_mises": fields["von_mises"],
            "principal_stress": fields["principal_stress"],
            "node_id": mesh.node_ids[split.point_node].astype(np.int64),
        },
        cell_data={"region": per_block(region.astype(np.int32)),
                   "element_id": per_block(mesh.cell_ids.astype(np.int64)),
                   **{k: per_block(v[0]) for k, v in _ct_cell_data(result.model).items()}},
    )
    # binary, not compressed: zlib took 0.3 s of a 110k-DOF solve's 10 s CPU for a file 1.5x
    # smaller (issue 18); float fields barely compress
    atomic.write_with(path, lambda tmp: meshio.write(tmp, out, file_format="vtu", binary=True,
                                                     compression=None))


def _ct_cell_data(model) -> dict:
    """Mapped modulus and CT density per element when a material is CT-mapped (issue 21)."""
    from .imaging.mapping import MappedMaterial, cell_fields

    if not any(isinstance(m, MappedMaterial) for m in model.materials.values()):
        return {}
    return {k: [v] for k, v in cell_fields(model).items()}


def state_summary(result: Result, state: State) -> dict:
    model = result.model
    mesh = model.mesh
    n = mesh.n_nodes
    u = result.displacement(state)
    rn = state.reaction[: 3 * n].reshape(-1, 3)
    reactions = {}
    for s in model.supports:
        if s.target in model.ref_points:
            continue
        F, M, c = set_reaction(mesh.nodes, mesh.nodes_of(s.target), rn)
        reactions[s.name or s.target] = {"force_N": F, "moment_Nmm": M, "about_mm": c}
    refs = {}
    for name, rp in model.ref_points.items():
        i = model.ref_dof(name, 0)
        refs[name] = {
            "displacement_mm": state.u[i: i + 3],
            "rotation_deg": np.rad2deg(state.u[i + 3: i + 6]),
            "reaction_force_N": state.reaction[i: i + 3],
            "reaction_moment_Nmm": state.reaction[i + 3: i + 6],
        }
    # global equilibrium: applied + reactions = 0 (forces, and moments about the origin)
    x = mesh.nodes
    fa = state.f[: 3 * n].reshape(-1, 3)
    Fa = fa.sum(0)
    Ma = np.cross(x, fa).sum(0)
    Fr = rn.sum(0)
    Mr = np.cross(x, rn).sum(0)
    for j, rp in enumerate(model.ref_points.values()):
        i = 3 * n + 6 * j
        Fa = Fa + state.f[i: i + 3]
        Ma = Ma + state.f[i + 3: i + 6] + np.cross(rp.position, state.f[i: i + 3])
        Fr = Fr + state.reaction[i: i + 3]
        Mr = Mr + state.reaction[i + 3: i + 6] + np.cross(rp.position, state.reaction[i: i + 3])
    # forces the nonlinear terms exert from outside the model (springs to ground) act like
    # reactions
    for c in state.terms.values():
        ext = c.get("external_force") if isinstance(c, dict) else None
        if ext is None:
            continue
        en = ext[: 3 * n].reshape(-1, 3)
        rn = rn + en
        Fr, Mr = Fr + en.sum(0), Mr + np.cross(x, en).sum(0)
        for j, rp in enumerate(model.ref_points.values()):
            e = ext[3 * n + 6 * j: 3 * n + 6 * j + 6]
            Fr, Mr = Fr + e[:3], Mr + e[3:] + np.cross(rp.position, e[:3])
    # relative to the gross forces present (a pure moment has zero net force)
    gross = np.linalg.norm(fa, axis=1).sum() + np.linalg.norm(rn, axis=1).sum()
    ref_f = (state.f[3 * n:].reshape(-1, 6)[:, :3], state.reaction[3 * n:].reshape(-1, 6)[:, :3])
    gross += sum(np.linalg.norm(v, axis=1).sum() for v in ref_f)
    scale = max(np.linalg.norm(Fa), np.linalg.norm(Fr), gross, 1e-30)
    mscale = max(np.linalg.norm(Ma), np.linalg.norm(Mr), 1e-30)
    return {
        "step": state.step,
        "increment": state.increment,
        "increments": state.n_increments,
        "converged": state.converged,
        "solver": state.solve.as_dict(),
        "max_displacement_mm": float(np.linalg.norm(u, axis=1).max()),
        "ref_points": refs,
        "reactions": reactions,
        "equilibrium": {
            "applied_force_N": Fa, "reaction_force_N": Fr,
            "applied_moment_Nmm": Ma, "reaction_moment_Nmm": Mr,
            "force_rel_error": float(np.linalg.norm(Fa + Fr) / scale),
            "moment_rel_error": float(np.linalg.norm(Ma + Mr) / mscale),
        },
    }


def not_converged_note(result: Result) -> str | None:
    """What the first failed increment was doing (None when every increment converged)."""
    bad = [s for s in result.states if not s.converged]
    if not bad:
        return None
    b = bad[0]
    # the Newton driver says what the failed increment was doing (fea.newton, issue 17)
    return b.solve.note or (f"step '{b.step}' increment {b.increment}: relative residual "
                            f"{b.solve.residual:.3e} after {b.solve.iterations} iterations")


def case_summary(result: Result, peaks: dict, extra: dict | None = None) -> dict:
    model = result.model
    q = model.mesh.quality().as_dict()
    out = {
        "model": model.name,
        "model_source": model.source,
        "loadcase": result.loadcase.name,
        "loadcase_source": result.loadcase.source,
        "converged": result.converged,
        "units": {"length": "mm", "force": "N", "stress": "MPa", "moment": "N*mm",
                  "rotation": "deg"},
        "mesh": q,
        "regions": [s.cell_set for s in model.sections],
        "materials": {s.cell_set: {"material": s.material,
                                   "E_MPa": model.materials[s.material].E,
                                   "nu": model.materials[s.material].nu,
                                   # role/body/yield: fea.metrics picks implant regions by them
                                   "yield_MPa": model.materials[s.material].yield_MPa,
                                   "library": model.materials[s.material].library,
                                   **_anisotropy_summary(model.materials[s.material], s),
                                   "role": s.role, "body": s.body_name}
                      for s in model.sections},
        "n_dof_free": result.n_dof_free,
        "timings_s": result.timings,
        "steps": [state_summary(result, s) for s in result.step_ends()],
        # per increment (a step's entry above is its last increment's): the Newton steps and
        # multiplier passes of each, and the load case a reused step was solved in
        "increments": [{"step": s.step, "increment": s.increment, "converged": s.converged,
                        "iterations": s.solve.iterations, "residual": s.solve.residual,
                        "newton_iterations": s.solve.newton_iterations,
                        "al_iterations": s.solve.al_iterations, "cutbacks": s.solve.cutbacks,
                        "reused_from": s.solve.reused_from}
                       for s in result.states],
        "stress_peaks": peaks,
    }
    from .imaging.mapping import ct_summary

    ct = ct_summary(model)
    if ct:
        out["ct_materials"] = ct
    if model.instrumented_span:
        out["instrumented_span"] = model.instrumented_span
    if result.warnings:
        out["warnings"] = list(result.warnings)
    if not result.converged:
        out["not_converged"] = not_converged_note(result)
    if extra:
        out.update(extra)
    return out


def write_case(result: Result, out_dir: str | Path, extra_writers=(), extra_summary=None,
               metrics=None) -> dict:
    """Write the case folder atomically; extra_writers: callables(stage_dir) adding files;
    metrics: callable(summary, final-state fields) -> dict stored as summary["metrics"]."""
    t0 = time.perf_counter()
    region = _region_index(result)
    split = split_by_region(result.model.mesh.padded_cells(), region)
    with atomic.staged_dir(out_dir) as stage:
        ends = result.step_ends()
        peaks, final = {}, None
        for k, st in enumerate(ends):
            f = state_fields(result, st, split, region)
            step_vtu = stage / "steps" / f"{k + 1:02d}_{slug(st.step)}.vtu"
            write_vtu(step_vtu, result, f, region)
            if st is ends[-1]:  # the same state: link (else copy) the file, not write it again
                _link_or_copy(step_vtu, stage / "result.vtu")
                peaks, final = f["peaks"], f
        if result.final is not (ends[-1] if ends else None):  # stopped inside a step
            final = state_fields(result, result.final, split, region)
            write_vtu(stage / "result.vtu", result, final, region)
            peaks = final["peaks"]
        for w in extra_writers:
            w(stage)
        result.timings["write_s"] = time.perf_counter() - t0
        summary = case_summary(result, peaks, extra_summary)
        if metrics is not None and final is not None:
            summary["metrics"] = metrics(summary, final)
        atomic.write_json(stage / "summary.json", summary)  # last: marks the folder complete
    return summary


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links
        shutil.copyfile(src, dst)


def write_term_vtu(path: Path, arrays: dict) -> None:
    """A nonlinear term's output arrays as VTU: "points" (n, 3) and, when "lines" (l, 2) is given,
    line cells whose data are the other arrays (ligament fibres), else vertex cells with point
    data (contact points)."""
    import meshio

    pts = arrays["points"]
    data = {k: v for k, v in arrays.items() if k not in ("points", "lines")}
    if "lines" in arrays:
        mesh = meshio.Mesh(pts, [("line", np.asarray(arrays["lines"]))],
                           cell_data={k: [v] for k, v in data.items()})
    else:
        mesh = meshio.Mesh(pts, [("vertex", np.arange(len(pts))[:, None])], point_data=data)
    atomic.write_with(path, lambda tmp: meshio.write(tmp, mesh, file_format="vtu", binary=True))


def _anisotropy_summary(mat, section) -> dict:
    """An anisotropic material's constants and its section's orientation (E_MPa and nu above
    are then its softest axial modulus and largest contraction, scales only). E and G in MPa."""
    if not hasattr(mat, "kind"):
        return {}
    o = section.orientation
    ori = None if o is None else {"name": o.name, "system": o.system, "a": list(o.a),
                                  "b": list(o.b)}
    if getattr(o, "distribution", None):  # per-element axes: a and b are the default entry's
        ori.update(distribution=o.distribution, distributed_elements=int(len(o.cells)))
    return {"elasticity": mat.kind, "engineering_constants": mat.engineering_constants(),
            "orientation": ori}
