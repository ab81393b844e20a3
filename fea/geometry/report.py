"""The mesh report: counts, quality, volume per body, interfaces and their face counts."""

from __future__ import annotations


def mesh_report(model, spec, seconds: float, cache=None) -> dict:
    mesh = model.mesh
    q = mesh.quality()
    regions = [s.cell_set for s in model.sections]
    bodies: dict[str, list[str]] = {}
    for s in model.sections:
        bodies.setdefault(s.body_name, []).append(s.cell_set)
    body_volume = {b: sum(mesh.volume(c) for c in cells) for b, cells in bodies.items()}
    pairs = sorted(k for k in mesh.face_sets if "|" in k and "@" not in k)
    from ..contact.sides import resolve_faces

    interfaces = [{"name": i.name, "law": i.law, "mu": i.mu,
                   "slave": i.slave, "slave_faces": int(len(resolve_faces(model, i.slave, i.name))),
                   "master": i.master,
                   "master_faces": int(len(resolve_faces(model, i.master, i.name)))}
                  for i in model.interfaces]
    return {
        "model": spec.model.name,
        "source": mesh.source,
        "builder": spec.mesh.builder,
        "size_mm": spec.mesh.size_mm,
        "element_type": mesh.element_type,
        "elements": mesh.n_cells,
        "nodes": mesh.n_nodes,
        "dofs": 3 * mesh.n_nodes,
        "mesh_seconds": round(seconds, 2),
        "cache": dict(cache.stats) if cache is not None else None,
        "quality": q.as_dict(),
        "regions": regions,
        "body_volume_mm3": body_volume,
        "contact_face_sets": {k: int(len(mesh.face_sets[k])) for k in pairs},
        "interfaces": interfaces,
        "named_surfaces": {k: int(len(v)) for k, v in sorted(mesh.face_sets.items())
                           if "|" not in k},
    }


def print_report(console, r: dict) -> None:
    from rich.table import Table

    q = r["quality"]
    console.print(f"[bold]{r['model']}[/]: {r['elements']} {r['element_type'].upper()} elements, "
                  f"{r['nodes']} nodes ({r['dofs']} DOF), size {r['size_mm']} mm, "
                  f"{r['mesh_seconds']} s" + (f", cache {r['cache']}" if r["cache"] else ""))
    console.print(f"quality: worst shape (mean ratio) {q['worst_shape_quality']:.3g} "
                  f"(element {q['worst_element_id']}), min TET10 Jacobian ratio "
                  f"{q['min_jacobian_ratio']:.3g}, element volumes {q['min_volume']:.3g}-"
                  f"{q['max_volume']:.3g} mm^3, total {q['total_volume']:.0f} mm^3")
    t = Table(title="bodies", show_lines=False)
    t.add_column("body")
    t.add_column("volume mm^3", justify="right")
    for b, v in r["body_volume_mm3"].items():
        t.add_row(b, f"{v:.0f}")
    console.print(t)
    t = Table(title="interfaces of the model (slave and master sets in mesh_report.json)")
    for c in ("name", "law", "mu", "slave faces", "master faces"):
        t.add_column(c)
    for i in r["interfaces"]:
        t.add_row(i["name"], i["law"], f"{i['mu']:g}" if i["law"] == "friction" else "",
                  str(i["slave_faces"]), str(i["master_faces"]))
    console.print(t)
    shown = ", ".join(f"{k} ({n})" for k, n in r["contact_face_sets"].items())
    console.print(f"contact face sets (both sides; add @BODY for one side): {shown}")
    console.print("named surfaces: " + ", ".join(f"{k} ({n})"
                                                 for k, n in r["named_surfaces"].items()))
