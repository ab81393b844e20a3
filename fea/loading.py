"""Turn supports and loads of a model/step into prescribed-DOF maps and full load vectors."""

from __future__ import annotations

import numpy as np

from .errors import FeaError
from .model import Model, NodalForce, Pressure, RefLoad, Support, SurfaceForce, Traction
from .surface import pressure_load, total_force_load, traction_load
from .transforms import node_frames, to_global


def _unknown_ref(model: Model, name: str, what: str) -> FeaError:
    import difflib

    hint = difflib.get_close_matches(name, list(model.ref_points), n=1)
    did = f" Did you mean '{hint[0]}'?" if hint else ""
    known = ", ".join(model.ref_points) or "none defined"
    return FeaError(f"{what}: no reference point named '{name}'.{did} Reference points: {known}")


def prescribed_map(model: Model, supports: list[Support], scale: float = 1.0) -> dict[int, float]:
    """Full DOF index -> prescribed value (mm or rad), later supports overriding earlier ones."""
    out: dict[int, float] = {}
    n = model.mesh.n_nodes
    for s in supports:
        vals = s.value_array() * scale
        if len(vals) != len(s.dofs):
            raise FeaError(f"support '{s.name or s.target}': {len(s.dofs)} dofs but {len(vals)} values")
        if s.target in model.ref_points:
            j = model.ref_index(s.target)
            for d, v in zip(s.dofs, vals):
                out[3 * n + 6 * j + int(d)] = float(v)
            continue
        if s.target not in model.mesh.set_names():
            raise model.mesh._unknown(s.target, f"set or reference point (support '{s.name or s.target}')")
        if any(d > 2 for d in s.dofs):
            raise FeaError(
                f"support '{s.name or s.target}': mesh nodes have no rotational DOFs; constrain "
                "rotations on a reference point"
            )
        nodes = model.mesh.nodes_of(s.target)
        for d, v in zip(s.dofs, vals):
            out.update(dict.fromkeys((3 * nodes + int(d)).tolist(), float(v)))
    return out


def load_vector(model: Model, loads: list) -> np.ndarray:
    """Full load vector (N on node DOFs, N and N*mm on reference-point DOFs)."""
    mesh = model.mesh
    n = mesh.n_nodes
    f = np.zeros(model.n_full)
    fn = np.zeros((n, 3))
    fnodal = np.zeros((n, 3))  # nodal forces: in a transformed node's local axes (*TRANSFORM)
    for ld in loads:
        if isinstance(ld, RefLoad):
            if ld.target not in model.ref_points:
                raise _unknown_ref(model, ld.target, "load")
            j = model.ref_index(ld.target)
            f[3 * n + 6 * j: 3 * n + 6 * j + 3] += ld.force
            f[3 * n + 6 * j + 3: 3 * n + 6 * j + 6] += ld.moment
        elif isinstance(ld, NodalForce):
            fnodal[mesh.nodes_of(ld.target)] += np.asarray(ld.force, float)
        elif isinstance(ld, Traction):
            fn += traction_load(mesh, ld.target, ld.traction)
        elif isinstance(ld, Pressure):
            fn += pressure_load(mesh, ld.target, ld.pressure)
        elif isinstance(ld, SurfaceForce):
            fn += total_force_load(mesh, ld.target, ld.force)
        else:
            raise FeaError(f"unknown load type {type(ld).__name__}")
    idx, R = node_frames(model)
    f[: 3 * n] = (fn + (to_global(fnodal, idx, R) if len(idx) else fnodal)).ravel()
    return f
