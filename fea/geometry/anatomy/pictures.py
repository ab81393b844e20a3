"""Each bone alone (with its articular processes, features and attachment sites, no joints):
meshes for the tests and pictures for docs/anatomy/:
`python -m fea.geometry.anatomy.pictures docs/anatomy [C0 C1 C2 C3]`.

Each bone is meshed coarsely (TET4, 3 mm) as cortical shell and cancellous core and drawn in the
four anatomical views of fea.geometry.picture.write_png; the volume per bone is printed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from ..meshing import mesh_construct
from ..picture import write_png
from . import atlas, axis, column, joints, occiput, subaxial
from .shapes import Bone


class _ProcessesOnly:
    """Stands in for the assembly in the joint builders: keeps the articular processes they add
    to the bones, drops the cartilage solids."""

    def add(self, body, region, solids, *args, **kwargs):
        import gmsh

        if solids:
            gmsh.model.occ.remove(solids, recursive=True)


def _with_joints(name: str, an, L, bone: Bone) -> Bone:
    other = Bone("other")
    shim = _ProcessesOnly()
    J = L["joints"]
    beta = np.radians(an.c0.condyle_convergence_deg)
    for sg, side in column.SIDES:
        Js = J[side]
        fw = min(an.c2.superior_facet_width_mm, an.c1.inferior_facet_width_mm) / 2
        fl = min(an.c2.superior_facet_length_mm, an.c1.inferior_facet_length_mm) / 2
        lo = {"C3": (bone, other), "C2": (other, bone)}.get(name)
        if lo:
            joints.planar(shim, "x", lo[0], lo[1], Js["p23"], L["C3"]["n"],
                          an.j.c2c3_cartilage_mm,
                          joints.Footprint(an.c3.facet_width_mm / 2, L["C3"]["facet_b"]),
                          3.0, 9.0, None)
        lo = {"C2": (bone, other), "C1": (other, bone)}.get(name)
        if lo:
            joints.planar(shim, "x", lo[0], lo[1], Js["p12"], Js["n12"], an.j.c1c2_cartilage_mm,
                          joints.Footprint(fw, fl), 5.0, 5.0, None)
        lo = {"C1": (bone, other), "C0": (other, bone)}.get(name)
        if lo:
            joints.spherical(shim, "x", lo[0], lo[1], Js["p01"], Js["n01"],
                             an.c0.condyle_radius_mm, an.j.c0c1_cartilage_mm,
                             joints.Footprint(an.c0.condyle_width_mm / 2,
                                              an.c0.condyle_length_mm / 2,
                                              (np.cos(beta), sg * np.sin(beta), 0.0)),
                             6.0, an.c0.condyle_height_mm + 4.0, None)
    return bone


def bone_mesh(name: str, size: float = 3.0, an=None):
    """(anatomy, layout, mesh) of one bone, shell and core, TET4."""
    an = an or column.anatomy()
    L = column.layout(an)
    d = {"C0": an.c0, "C1": an.c1, "C2": an.c2, "C3": an.c3}[name]

    def geo(asm):
        make = {"C3": lambda: subaxial.build(asm, an.c3, L["C3"]),
                "C2": lambda: axis.build(asm, an.c2, L["C2"]),
                "C1": lambda: atlas.build(asm, an.c1, an.c2, L["C1"], L["C2"],
                                          an.j.median_cartilage_mm),
                "C0": lambda: occiput.build(asm, an.c0, L["C0"])}[name]
        b = _with_joints(name, an, L, make())
        t = d.cortical_mm
        asm.add(name, f"{name}_cortical", b.solid(0.0), 20, "bone", thickness=t)
        asm.add(name, f"{name}_cancellous", b.solid(t), 21, "bone")
        {"C3": lambda: subaxial.features_and_sites(asm, L["C3"]),
         "C2": lambda: axis.features_and_sites(asm, an.c2, L["C2"]),
         "C1": lambda: atlas.features_and_sites(asm, an.c1, L["C1"]),
         "C0": lambda: occiput.features_and_sites(asm, an.c0, L["C0"])}[name]()

    # gmsh/Netgen optimisation segfaulted on C2 (gmsh 4.15.2); the plain Delaunay mesh is valid
    return an, L, mesh_construct(f"anatomy_{name}", geo, size, 1, optimize=False)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("docs/anatomy")
    out.mkdir(parents=True, exist_ok=True)
    for name in argv[1:] or ["C0", "C1", "C2", "C3"]:
        t0 = time.perf_counter()
        _, _, m = bone_mesh(name)
        print(f"{name}: {m.n_cells} TET4 in {time.perf_counter() - t0:.0f} s, volume "
              f"{m.volume(name):.0f} mm^3", flush=True)
        write_png(out / f"{name}.png", m, [f"{name}_cortical", f"{name}_cancellous"], name,
                  size=(900, 700))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
