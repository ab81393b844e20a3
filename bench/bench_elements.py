#!/usr/bin/env python
"""Stiffness assembly speed per element type: elements per second of our numba kernel, and of
scikit-fem where it has the element, on structured boxes of about the same element count.

    python bench/bench_elements.py                     # ~3000 elements per type
    python bench/bench_elements.py --elements 2000 --repeats 3 --no-write

Ours is timed warm (numba compiled by a first call), best of N, default numba threads; the CSR
pattern (built once per mesh) separately. scikit-fem (`asm` of linear elasticity) runs with the
same quadrature as ours where it has the element: ElementTetP1 (1 point), ElementTetP2 (4),
ElementHex1 (2x2x2), ElementHexS2 (the 20-node serendipity brick, 3x3x3). Its matrices are not
compared here (tests/test_patch_and_assembly.py and tests/test_hex_elements.py do that for TET10
and C3D8); boxes: TET4/TET10 are 6 tetrahedra per cube, wedges 2 per cube.
"""

from __future__ import annotations

import argparse
import sys

from benchlib import OUT, ROOT, best_of, committed_code, machine, machine_line, measure_or_load, \
    report, table

committed_code()  # measure the committed fea/, not the shared working tree
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

from fea.assembly import assemble_stiffness, build_pattern  # noqa: E402
from fea.materials import LinearElastic  # noqa: E402
from helpers import hex_box, structured_box, wedge_box  # noqa: E402

E, NU = 110000.0, 0.3
HEADING = "Assembly per element type"
SKFEM = {"C3D4": ("MeshTet", "ElementTetP1", 1), "C3D10": ("MeshTet", "ElementTetP2", 2),
         "C3D8": ("MeshHex", "ElementHex1", 3), "C3D20": ("MeshHex", "ElementHexS2", 5)}


def box(name: str, target: int):
    cubes = {"C3D4": 6, "C3D10": 6, "C3D6": 2, "C3D15": 2}.get(name, 1)
    n = max(2, round((target / cubes / 4) ** (1 / 3)))
    dims = (4 * n, n, n)
    if name in ("C3D4", "C3D10"):
        m = structured_box(dims, size=(4.0, 1.0, 1.0))
        return m.to_tet10() if name == "C3D10" else m
    return (wedge_box if name in ("C3D6", "C3D15") else hex_box)(dims, (4.0, 1.0, 1.0), name)


def skfem_time(name: str, mesh, repeats: int):
    import skfem
    from skfem.models.elasticity import lame_parameters, linear_elasticity

    mcls, ecls, intorder = SKFEM[name]
    corners = mesh.cells[:, :8 if mcls == "MeshHex" else 4]
    if mcls == "MeshHex":  # scikit-fem's corner order (see tests/test_hex_elements.py)
        from fea.elements import element_type

        unit = (element_type("C3D8").ref_coords + 1) / 2
        perm = [int(np.flatnonzero((np.abs(unit - q) < 1e-12).all(1))[0])
                for q in skfem.MeshHex().p.T]
        corners = corners[:, perm]
    used = np.unique(corners)
    renum = np.full(mesh.n_nodes, -1)
    renum[used] = np.arange(len(used))
    m = getattr(skfem, mcls)(mesh.nodes[used].T, renum[corners].T)
    basis = skfem.Basis(m, skfem.ElementVector(getattr(skfem, ecls)()), intorder=intorder)
    form = linear_elasticity(*lame_parameters(E, NU))
    t, _ = best_of(lambda: skfem.asm(form, basis), repeats)
    return t, int(basis.X.shape[1])


def measure(args) -> dict:
    D = LinearElastic("ti", E, NU).D()[None]
    res = {"machine": machine(), "types": {}}
    for name in args.types:
        mesh = box(name, args.elements)
        mat = np.zeros(mesh.n_cells, np.int64)
        t_pat, pat = best_of(lambda: build_pattern(mesh, mesh.n_nodes), 2)  # 1st compiles
        assemble_stiffness(mesh.nodes, mesh, mat, D, pat)  # compile / warm up
        t_asm, K = best_of(lambda: assemble_stiffness(mesh.nodes, mesh, mat, D, pat),
                           args.repeats)
        row = {"elements": mesh.n_cells, "dof": 3 * mesh.n_nodes, "nnz": K.nnz,
               "pattern": t_pat.__dict__, "assembly": t_asm.__dict__}
        if name in SKFEM and not args.no_skfem:
            t_sk, q = skfem_time(name, mesh, 1)
            row["skfem"] = {"asm": t_sk.__dict__, "points": q}
        res["types"][name] = row
        print(name, mesh.n_cells, f"{t_asm.wall_s:.4f} s", flush=True)
    res["machine_end"] = machine()
    return res


def markdown(r: dict) -> str:
    rows = []
    for name, t in r["types"].items():
        a = t["assembly"]
        sk = t.get("skfem")
        rate = t["elements"] / a["wall_s"]
        rows.append([name, t["elements"], t["dof"], f"{t['pattern']['wall_s']:.3f}",
                     f"{a['wall_s']:.4f}", f"{rate:,.0f}",
                     f"{t['elements'] / sk['asm']['wall_s']:,.0f} ({sk['points']} points)"
                     if sk else "no element",
                     f"{sk['asm']['wall_s'] / a['wall_s']:.0f}x" if sk else ""])
    return "\n".join([
        f"`python bench/bench_elements.py` (options: `--elements N`, `--repeats N`, `--types`, "
        f"`--no-skfem`, `--no-write`). {machine_line(r['machine'], r['machine_end'])}.",
        "",
        "Structured boxes of about the same element count per type (titanium); ours warm, best "
        "of the repeats, default numba threads; scikit-fem one run with our quadrature.",
        "",
        table(["type", "elements", "DOF", "pattern s", "assembly s", "ours elements/s",
               "scikit-fem elements/s", "ours faster"], rows),
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elements", type=int, default=3000, help="target elements per type")
    ap.add_argument("--repeats", type=int, default=3, help="best of N for our assembly (3)")
    ap.add_argument("--types", nargs="+", default=["C3D4", "C3D10", "C3D8", "C3D8I", "C3D8R",
                                                   "C3D20", "C3D20R", "C3D6", "C3D15"])
    ap.add_argument("--no-skfem", action="store_true", help="time ours only")
    ap.add_argument("--no-write", action="store_true", help="don't update bench/README.md")
    ap.add_argument("--from-json", action="store_true",
                    help="rewrite the README section from the last run's JSON, no measuring")
    args = ap.parse_args()
    r = measure_or_load(OUT / "elements.json", args.from_json, lambda: measure(args))
    report(markdown(r), HEADING, args.no_write)


if __name__ == "__main__":
    main()
