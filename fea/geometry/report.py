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
    from .clearance import CLEARANCE_FLAG_MM, keepout_sets, of_mesh

    th_mm, th_source = CLEARANCE_FLAG_MM
    clearance = {k: dict(v, below_threshold=v["min_mm"] < th_mm)
                 for k, v in of_mesh(mesh).items()}
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
        "keepouts": keepout_sets(mesh),
        "screw_clearance": clearance,
        "screw_clearance_threshold": {"mm": th_mm, "source": th_source},
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
    print_screw_clearance(console, r)


def print_screw_clearance(console, r: dict) -> None:
    """Every screw's clearance to the keep-outs; breaches and clearances under the threshold in
    red (docs/screw_safety.md)."""
    from rich.table import Table

    sc = r.get("screw_clearance") or {}
    if not sc:
        if any("screw" in b for b in r["body_volume_mm3"]):
            console.print("[yellow]screw clearance: the mesh has screws but no keep-out face sets "
                          "(<bone>_canal, <bone>_transverse_foramen_L/R); not measured[/]")
        return
    th = r["screw_clearance_threshold"]
    t = Table(title=f"screw clearance to canal / transverse foramina, mm (flag < {th['mm']:g} mm: "
                    f"{th['source']}; negative: breach depth)")
    for c in ("screw", "canal", "foramen", "nearest keep-out", "grade", ""):
        t.add_column(c)
    for name, c in sc.items():
        bad = c["breach"] or c["below_threshold"]
        mark = "BREACH" if c["breach"] else ("close" if bad else "")
        t.add_row(name, _mm(c["canal_mm"]), _mm(c["foramen_mm"]), c["nearest"], str(c["grade"]),
                  mark, style="red" if bad else None)
    console.print(t)


def _mm(v) -> str:
    return "–" if v is None else f"{v:.2f}"
