"""Small solved cases and studies on disk for the metrics, plot, report and compare tests.

A block of bone (bottom half) under an implant (top half) is solved for real (linear, bonded),
with the load reference point on the top face and the bottom face fixed; interfaces.vtu is
synthetic (the contact solver is built elsewhere) but follows the case-folder contract.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from helpers import structured_box

from fea.materials import LinearElastic
from fea.model import LoadCase, Model, RefLoad, RefPoint, Section, Step, Support
from fea.results import write_case
from fea.static import solve

LOADCASES = {"flexion": (-1.0, 0.0, 0.0), "extension": (1.0, 0.0, 0.0),
             "axial_rotation": (0.0, 0.0, 1.0)}


def block_model(E_implant=110000.0, size=(10.0, 10.0, 12.0), n=(3, 3, 4)) -> Model:
    mesh = structured_box(n, size)
    zc = mesh.nodes[mesh.cells].mean(axis=1)[:, 2]
    mesh.cell_sets = {"bone": np.flatnonzero(zc < size[2] / 2),
                      "cage": np.flatnonzero(zc >= size[2] / 2)}
    mats = {"cancellous": LinearElastic("cancellous", 450.0, 0.25, 1.9),
            "ti": LinearElastic("ti", E_implant, 0.3, 795.0)}
    secs = [Section("bone", "cancellous", "bone", "C3"), Section("cage", "ti", "implant", "cage")]
    top = np.array([size[0] / 2, size[1] / 2, size[2]])
    return Model("block", mesh, mats, secs, supports=[Support("zmin")],
                 ref_points={"load": RefPoint("load", top, "kinematic", "zmax")})


def loadcase(name: str, moment_Nm: float = 1.5, preload_N: float = 50.0) -> LoadCase:
    axis = np.asarray(LOADCASES[name], float)
    return LoadCase(name, [
        Step("preload", [RefLoad("load", np.array([0, 0, -preload_N]), np.zeros(3))]),
        Step("moment", [RefLoad("load", np.zeros(3), 1000.0 * moment_Nm * axis)], increments=2),
    ])


def interface_arrays(n_side=8, size=10.0, z=6.0, slip_um=20.0, pressure_MPa=1.0, seed=0):
    """Synthetic contact points on a plane: slip and pressure vary smoothly over it."""
    rng = np.random.default_rng(seed)
    g = (np.arange(n_side) + 0.5) * size / n_side
    X, Y = np.meshgrid(g, g, indexing="ij")
    pts = np.stack([X.ravel(), Y.ravel(), np.full(X.size, z)], 1)
    p = len(pts)
    shape = 0.5 + X.ravel() / size  # 0.5 .. 1.5 across x
    slip = np.zeros((p, 3))
    slip[:, 0] = slip_um * 1e-3 * shape
    pressure = pressure_MPa * shape * (1 + 0.05 * rng.standard_normal(p))
    pressure[:n_side] = 0.0  # one open edge
    gap = np.where(pressure == 0, 2e-3, 0.0)
    return {"points": pts, "area": np.full(p, (size / n_side) ** 2), "pressure": pressure,
            "gap": gap, "slip": slip, "slip_magnitude": np.linalg.norm(slip, axis=1),
            "status": np.where(pressure == 0, 0, np.where(shape > 1.0, 2, 1)).astype(np.int32),
            "normal": np.tile([0.0, 0.0, 1.0], (p, 1)), "penetration": np.zeros(p)}


def interface_meta(name="cage_C3", iid=0, law="friction", n_points=64) -> dict:
    return {"id": iid, "law": law, "mu": 0.8 if law == "friction" else 0.0, "slave": "cage_inf",
            "master": "C3_endplate", "slave_body": "cage", "master_body": "C3",
            "slave_role": "implant", "master_role": "bone", "n_points": n_points,
            "reference_step": "preload"}


def write_interfaces_vtu(path: Path, interfaces: dict, meta: dict) -> None:
    import meshio

    pts, data = [], {}
    for name, arrs in interfaces.items():
        pts.append(arrs["points"])
        data.setdefault("interface", []).append(np.full(len(arrs["points"]), meta[name]["id"]))
        for k, v in arrs.items():
            if k != "points":
                data.setdefault(k, []).append(v)
    pts = np.vstack(pts)
    m = meshio.Mesh(pts, [("vertex", np.arange(len(pts))[:, None])],
                    point_data={k: np.concatenate(v) for k, v in data.items()})
    meshio.write(path, m, file_format="vtu", binary=True)


def write_block_case(case_dir: Path, lc_name: str, E_implant=110000.0, slip_um=20.0,
                     pressure_MPa=1.0, converged=True, with_interface=True, open_gap_um=None,
                     model=None) -> dict:
    """open_gap_um: every contact point open by this gap (zero pressure, status 0); the slip is
    still there, as the interface solver reports the relative motion of an open face too."""
    model = model or block_model(E_implant)
    result = solve(model, loadcase(lc_name))
    if not converged:  # what a failed solve leaves behind: the flag and the reason
        result.states[-1].solve.converged = False
    ifs = {"cage_C3": interface_arrays(slip_um=slip_um, pressure_MPa=pressure_MPa)}
    if open_gap_um is not None:
        a = ifs["cage_C3"]
        a.update(pressure=np.zeros(len(a["area"])), status=np.zeros(len(a["area"]), np.int32),
                 gap=np.full(len(a["area"]), open_gap_um * 1e-3))
    meta = {"cage_C3": interface_meta()} if with_interface else {}
    writers = [lambda stage: write_interfaces_vtu(stage / "interfaces.vtu", ifs, meta)] \
        if with_interface else []
    return write_case(result, case_dir, writers, {"interfaces": meta})


def make_study(root: Path, variants: dict[str, dict], loadcases=("flexion", "extension"),
               not_converged=(), study_json: dict | None = None) -> Path:
    """variants: name -> keyword arguments of write_block_case."""
    for v, kw in variants.items():
        for lc in loadcases:
            write_block_case(root / v / lc, lc, converged=(v, lc) not in not_converged, **kw)
    if study_json is not None:
        (root / "study.json").write_text(json.dumps(study_json))
    return root
