"""Can a cortical wall thinner than the mesh be a graded layer of elements instead of its own
volume? Measured on a composite tube against its resolved wall (issue 15, the column's budget).

A solid TET10 cylinder (radius 6 mm, the dens's and a lateral mass's scale; length 100 mm)
clamped at its base carries a 0.5 mm cortical wall (12000 MPa) around a cancellous core
(450 MPa), nu 0.3; a moment and an axial force act on its top through a kinematic coupling (a
rigid end, so plane sections hold there too; through a distributing one the load enters the soft
core and shears over into the wall: 8 % softer, measured). Reference: the resolved wall, the
composite section's EI and EA (plane sections). Layer rules, each a per-element modulus (the
`cell_E` path of CT mapping):

- face: the elements with a face on the surface, cortical fraction f = min(1, t A / V) each,
  E = f E_c + (1 - f) E_s (parallel layers);
- band: the elements with a corner on the surface, one modulus E_s + (E_c - E_s) t A / V_band
  (the wall's membrane stiffness spread over the band's mean depth V_band / A);
- full / none: the face elements fully cortical / no cortex at all (bounds);
- resolved: the wall meshed as its own volume around the core, as the column's bones are now
  (fea.geometry.meshing's thin-wall sizes on its curved faces), for the FE's own error;
- membrane: no layer; the wall as 0.5 mm M3D6 membranes on the solid's side faces
  (fea.membranes), the solid all cancellous; "membrane" with the solid's surface at the bone's
  outer surface (radius R), "membrane_mid" at the wall's mid-surface (R - t/2, where a membrane
  idealises a wall).

    python bench/bench_cortex_layer.py [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

R, L, T = 6.0, 100.0, 0.5
E_C, E_S, NU = 12000.0, 450.0, 0.3
M, P = 1000.0, 100.0  # N mm about x, N along -z


def moduli(mesh, rule: str) -> np.ndarray:
    from fea.geometry.keepout import face_geometry

    fs = mesh.faces("side")
    x, _, _ = face_geometry(mesh, fs)
    area = 0.5 * np.linalg.norm(np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]), axis=1)
    vol = np.abs(mesh.corner_volumes())
    E = np.full(mesh.n_cells, E_S)
    if rule == "band":
        on = np.zeros(mesh.n_nodes, bool)
        on[mesh.face_connectivity(fs, corners_only=True).ravel()] = True
        band = np.flatnonzero(on[mesh.cells[:, :4]].any(axis=1))
        E[band] = E_S + (E_C - E_S) * T * area.sum() / vol[band].sum()
    elif rule in ("face", "full"):
        cells, inv = np.unique(fs[:, 0], return_inverse=True)
        f = np.minimum(1.0, T * np.bincount(inv.ravel(), area) / vol[cells])
        E[cells] = E_C if rule == "full" else f * E_C + (1 - f) * E_S
    return E


def resolved_tube(h: float):
    """The tube with its wall as a volume (`B_cortical`) around the core (`B_cancellous`)."""
    from fea.geometry import occ
    from fea.geometry.meshing import mesh_construct

    def geo(asm):
        asm.add("B", "B_cortical", occ.elliptic_cylinder((0, 0), R, R, 0.0, L), 20, "bone",
                thickness=T)
        asm.add("B", "B_cancellous", occ.elliptic_cylinder((0, 0), R - T, R - T, 0.0, L), 21,
                "bone")
        for name, z, n in (("bottom", 0.0, -1.0), ("top", L, 1.0)):
            asm.feature(name, "B", (0, 0, z), (0, 0, n), (-R, -R, z - 1), (R, R, z + 1))

    return mesh_construct("tube", geo, h, 2)


def measure(sizes=(2.0, 3.0)) -> list[list]:
    from fea.geometry.primitives import cylinder
    from fea.imaging.mapping import MappedMaterial
    from fea.linsolve import SolverSettings
    from fea.materials import LinearElastic
    from fea.model import LoadCase, Model, RefLoad, RefPoint, Section, Step, Support
    from fea.static import solve

    EI = E_C * np.pi / 4 * (R ** 4 - (R - T) ** 4) + E_S * np.pi / 4 * (R - T) ** 4
    EA = E_C * np.pi * (R ** 2 - (R - T) ** 2) + E_S * np.pi * (R - T) ** 2
    rows = []
    for h in sizes:
        mesh = cylinder(R, L, h, 2)
        for rule in ("resolved", "face", "band", "full", "none", "membrane", "membrane_mid"):
            t0 = time.perf_counter()
            membranes = []
            if rule.startswith("membrane"):
                from fea.membranes import Membrane

                m = cylinder(R - T / 2, L, h, 2) if rule == "membrane_mid" else mesh
                mats = {"c": LinearElastic("c", E_C, NU), "s": LinearElastic("s", E_S, NU)}
                secs = [Section("body", "s")]
                membranes = [Membrane("side", "c", T, "B")]
            elif rule == "resolved":
                m = resolved_tube(h)
                mats = {"c": LinearElastic("c", E_C, NU), "s": LinearElastic("s", E_S, NU)}
                secs = [Section("B_cortical", "c"), Section("B_cancellous", "s")]
            else:
                m = mesh
                E = moduli(mesh, rule)
                mats = {"bone": MappedMaterial("bone", float(np.median(E)), NU, cell_E=E)}
                secs = [Section("body", "bone")]
            ref = RefPoint("top", np.array([0.0, 0.0, L]), "kinematic", "top")
            model = Model("tube", m, mats, secs, supports=[Support("bottom")],
                          ref_points={"top": ref}, membranes=membranes)
            lc = LoadCase("b", [Step("s", [RefLoad("top", np.array([0, 0, -P]),
                                                   np.array([M, 0, 0]))])])
            mo = solve(model, lc, SolverSettings(backend="direct")).ref_motion("top")
            rows.append([f"{h:g}", m.n_cells, rule,
                         f"{(M * L / EI) / abs(mo[3]):.2f}", f"{(P * L / EA) / abs(mo[2]):.2f}",
                         f"{time.perf_counter() - t0:.1f}"])
            print(rows[-1], flush=True)
    return rows


def main(argv=None) -> int:
    import benchlib

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    rows = measure()
    text = ("`python bench/bench_cortex_layer.py`: the stiffness of a composite tube (radius "
            f"{R:g} mm, length {L:g} mm, a {T:g} mm cortical wall of {E_C:g} MPa around a "
            f"{E_S:g} MPa core) with the wall as a layer of TET10 elements, as a fraction of the "
            "resolved wall's (composite EI, EA); 1.00 is exact, below 1 too soft; membrane: the "
            "wall as membranes on the solid's faces, no layer. Script "
            "docstring: the rules.\n\n"
            + benchlib.table(["size mm", "elements", "layer rule", "bending stiffness / "
                              "resolved", "axial stiffness / resolved", "wall s"], rows))
    benchlib.report(text, "Cortical wall as a graded layer (issue 15)", args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
