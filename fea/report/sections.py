"""The report's sections, each a function returning an HTML string."""

from __future__ import annotations

import json

from ..metrics import verdict as V
from ..metrics.columns import CLASS_RANK
from ..metrics.micromotion import um_label
from ..metrics.thresholds import Thresholds
from ..summary_table import rank
from .html_util import esc, fmt, table

# (column, header, how to colour it) for the main comparison table
COMPARISON = [
    ("rom_deg", "ROM (deg)", None),
    ("stiffness_Nm_per_deg", "stiffness (Nm/deg)", None),
    ("rom_reduction_pct", "ROM reduction (%)", None),
    ("instrumented_rom_reduction_pct", "ROM reduction over the instrumented span (%)", None),
    ("coupled_rotation_deg", "coupled rotation (deg)", None),
    ("implant_translation_max_um", "implant translation max (µm)", None),
    ("micromotion_p95_um_max", "micromotion p95 max (µm)", "micromotion"),
    ("micromotion_peak_um_max", "micromotion peak max (µm)", "micromotion"),
    ("micromotion_class_worst", "micromotion class", "class"),
    ("subsidence_peak_to_yield_max", "pressure / yield peak", "ratio"),
    ("subsidence_area_over_yield_pct_max", "area over yield max (%)", None),
    ("subsidence_risk_worst", "subsidence risk", "class"),
    ("bearing_mean_to_core_max", "footprint mean p / core yield max", "ratio"),
    ("implant_safety_factor_min", "implant SF min", "sf"),
    ("hardware_safety_factor_min", "screw/rod SF min", "sf"),
    ("screw_clearance_min_mm_min", "screw clearance min (mm)", "clearance"),
    ("n_flags", "flags", None),
]

RANKED_METRICS = [("rom_deg", "ROM"), ("stiffness_Nm_per_deg", "stiffness"),
                  ("micromotion_p95_um_max", "micromotion (p95, worst interface)"),
                  ("subsidence_peak_to_yield_max", "peak pressure / bone yield"),
                  ("bearing_mean_to_core_max",
                   "footprint mean pressure / cancellous yield (worst implant on a bone)"),
                  ("implant_safety_factor_min", "implant safety factor")]


def _grade(kind: str | None, v, th: Thresholds) -> str:
    """CSS class of a value against its thresholds (green / amber / red)."""
    if kind is None or v is None or v == "":
        return ""
    if kind == "class":
        return {0: "good", 1: "warn", 2: "bad"}.get(CLASS_RANK.get(v, -1), "")
    if not isinstance(v, (int, float)):
        return ""
    if kind == "ratio":
        return "good" if v < 1.0 else "bad"
    # the verdicts' grading, so a cell and its variant's verdict never disagree
    grade = {"micromotion": V.grade_micromotion, "clearance": V.grade_clearance,
             "sf": V.grade_safety_factor}.get(kind)
    if grade is None:
        return ""
    return {V.PASS: "good", V.BORDERLINE: "warn", V.FAIL: "bad"}.get(grade(v, th), "")


def inputs(study: dict, study_dir) -> str:
    if not study:
        return ('<p class="note">No study.json in this folder: the inputs (models, load cases, '
                "their hashes and versions) are unknown; the tables below come from the case "
                "folders found on disk.</p>")
    scalars = [[esc(k), esc(fmt(v))] for k, v in study.items()
               if not isinstance(v, (dict, list))]
    rest = {k: v for k, v in study.items() if isinstance(v, (dict, list))}
    out = table(["key", "value"], scalars) if scalars else ""
    if rest:
        out += f"<pre>{esc(json.dumps(rest, indent=2, default=str))}</pre>"
    return out


def flags(rows: list[dict]) -> str:
    failed = [r for r in rows if not r.get("converged")]
    items = []
    for r in failed:
        items.append(f'<li class="flag-bad">NOT CONVERGED: {esc(r["variant"])} / '
                     f'{esc(r["loadcase"])}{": " + esc(r["flags"]) if r.get("flags") else ""}'
                     "</li>")
    for r in rows:
        if not r.get("converged") or not r.get("flags"):
            continue
        for f in str(r["flags"]).split("; "):
            items.append(f'<li class="flag-warn">{esc(r["variant"])} / {esc(r["loadcase"])}: '
                         f"{esc(f)}</li>")
    if not items:
        return "<p>No flags: every case converged and no threshold is exceeded.</p>"
    head = (f'<p class="flag-bad">{len(failed)} case(s) did not converge; they are shown but '
            "never ranked.</p>") if failed else ""
    return head + "<ul>" + "".join(items) + "</ul>"


def comparison(rows: list[dict], th: Thresholds) -> str:
    cols = [c for c in COMPARISON if any(r.get(c[0]) is not None for r in rows)]
    header = ["variant", "load case", "converged"] + [h for _, h, _ in cols]
    body, attrs, classes = [], [], []
    for r in rows:
        ok = bool(r.get("converged"))
        body.append([esc(r["variant"]), esc(r["loadcase"]),
                     "yes" if ok else "<b>NOT CONVERGED</b>"] +
                    [esc(fmt(r.get(c))) for c, _, _ in cols])
        attrs.append(f' data-variant="{esc(r["variant"])}" data-loadcase="{esc(r["loadcase"])}"'
                     + ("" if ok else ' class="failed"'))
        classes.append(["", "", ""] + [_grade(k, r.get(c), th) for c, _, k in cols])
    return table(header, body, attrs, classes)


def rankings(rows: list[dict]) -> str:
    out = []
    for metric, label in RANKED_METRICS:
        if not any(r.get(metric) is not None for r in rows):
            continue
        rk = rank(rows, metric)
        direction = "higher is worse" if rk["higher_is_worse"] else "lower is worse"
        body = [[str(i), esc(e["variant"]), esc(e["worst_loadcase"]), esc(fmt(e["value"]))]
                for i, e in enumerate(rk["ranked"], 1)]
        body += [["–", esc(e["variant"]), "–", (f'<span class="flag-bad">not ranked: '
                  f'{esc(e["reason"])}</span>')] for e in rk["unranked"]]
        out.append(f"<h3>{esc(label)} <small>({esc(metric)}, {direction}; best first, by the "
                   "worst load case)</small></h3>")
        out.append(table(["rank", "variant", "worst load case", metric], body))
    return "".join(out)


def per_interface(rows: list[dict], th: Thresholds) -> str:
    names = sorted({c.split("@", 1)[1] for r in rows for c in r
                    if c.startswith(("micromotion_p95_um@", "subsidence_risk@"))})
    if not names:
        return "<p>No interfaces in these cases (bonded model or no contact output).</p>"
    stems = [("micromotion_p95_um", "p95 (µm)", "micromotion"),
             ("micromotion_peak_um", "peak (µm)", "micromotion"),
             (f"micromotion_area_below_{um_label(th.ingrowth_um)}_pct",
              f"area ≤ {th.ingrowth_um:g} µm (%)", None),
             (f"micromotion_area_above_{um_label(th.fibrous_um)}_pct",
              f"area ≥ {th.fibrous_um:g} µm (%)", None),
             ("micromotion_open_area_pct", "open (%)", None),
             ("micromotion_max_gap_um", "max gap (µm)", None),
             (f"micromotion_gap_over_{um_label(th.bone_apposition_um)}_pct",
              f"gap > {th.bone_apposition_um:g} µm (%)", None),
             ("micromotion_class", "class", "class"),
             ("subsidence_peak_MPa", "peak p (MPa)", None),
             ("subsidence_p95_MPa", "p95 p (MPa)", None),
             ("subsidence_bone_yield_MPa", "bone yield (MPa)", None),
             ("subsidence_peak_to_yield", "peak / yield", "ratio"),
             ("subsidence_mean_contact_to_core", "mean contact p / core yield", "ratio"),
             ("subsidence_area_over_yield_pct", "area over yield (%)", None),
             ("subsidence_contact_area_pct", "contact / footprint (%)", None),
             ("subsidence_max_penetration_um", "penetration (µm)", None),
             ("subsidence_risk", "risk", "class")]
    out = []
    for name in names:
        present = [s for s in stems if any(r.get(f"{s[0]}@{name}") is not None for r in rows)]
        body, classes = [], []
        for r in rows:
            if all(r.get(f"{s[0]}@{name}") is None for s in present):
                continue
            body.append([esc(r["variant"]), esc(r["loadcase"])] +
                        [esc(fmt(r.get(f"{s}@{name}"))) for s, _, _ in present])
            classes.append(["", ""] + [_grade(k, r.get(f"{s}@{name}"), th)
                                       for s, _, k in present])
        out.append(f"<h3>interface {esc(name)}</h3>")
        out.append(table(["variant", "load case"] + [h for _, h, _ in present], body,
                         cell_classes=classes))
    return "".join(out)


def per_bearing(rows: list[dict], th: Thresholds) -> str:
    """Each implant's bearing on each bone, its faces together (fea.metrics.bearing): normal
    force, contact area, mean pressure and its ratio to the cancellous yield beneath."""
    names = sorted({c.split("@", 1)[1] for r in rows for c in r if c.startswith("bearing_risk@")})
    if not names:
        return ""
    stems = [("bearing_normal_force_N", "normal force (N)", None),
             ("bearing_contact_area_mm2", "contact area (mm²)", None),
             ("bearing_mean_MPa", "mean p (MPa)", None),
             ("bearing_core_yield_MPa", "core yield (MPa)", None),
             ("bearing_mean_to_core", "mean p / core yield", "ratio"),
             ("bearing_risk", "risk", "class")]
    body, classes = [], []
    for name in names:
        for r in rows:
            if r.get(f"bearing_risk@{name}") is None:
                continue
            body.append([esc(name), esc(r["variant"]), esc(r["loadcase"])] +
                        [esc(fmt(r.get(f"{s}@{name}"))) for s, _, _ in stems])
            classes.append(["", "", ""] + [_grade(k, r.get(f"{s}@{name}"), th)
                                           for s, _, k in stems])
    return ("<h3>Implant bearing on bone, whole footprint <small>(all faces of the implant on "
            "that bone: what an undersized footprint changes)</small></h3>"
            + table(["implant on bone", "variant", "load case"] + [h for _, h, _ in stems], body,
                    cell_classes=classes))


def screw_safety(rows: list[dict], th: Thresholds) -> str:
    """Every screw's clearance to the canal and the transverse foramina, once per variant (a mesh
    property: the same in every load case); red: breach, amber: under the threshold."""
    body, classes, seen = [], [], set()
    for r in rows:
        screws = sorted(c.split("@", 1)[1] for c in r if c.startswith("screw_clearance_min_mm@"))
        if not screws or r["variant"] in seen:
            continue
        seen.add(r["variant"])
        for s in screws:
            v = r.get(f"screw_clearance_min_mm@{s}")
            cls = _grade("clearance", v, th)
            body.append([esc(r["variant"]), esc(s),
                         esc(fmt(r.get(f"screw_clearance_canal_mm@{s}"))),
                         esc(fmt(r.get(f"screw_clearance_foramen_mm@{s}"))),
                         esc(fmt(r.get(f"screw_nearest_keepout@{s}"))),
                         esc(fmt(r.get(f"screw_breach_grade@{s}"))),
                         {"bad": "<b>BREACH</b>", "warn": "under threshold"}.get(cls, "ok")])
            classes.append(["", "", "", "", "", "", cls])
    if not body:
        return "<p>No screw clearances in these cases (no screws or no keep-out face sets).</p>"
    note = (f"<p>Smallest distance (mm) from each screw's surface to the spinal canal and to the "
            f"transverse foramina (vertebral artery), measured on the mesh; negative: the screw "
            f"enters the keep-out by that depth (breach, graded like a cervical pedicle "
            f"perforation, Neo et al. 2005). Flagged under {th.screw_clearance_mm:g} mm. A "
            "breaching variant is solved as built and flagged, never dropped.</p>")
    return note + table(["variant", "screw", "canal (mm)", "foramen (mm)", "nearest keep-out",
                         "grade", "status"], body, cell_classes=classes)


def ligaments(cases: list[tuple[str, dict]]) -> str:
    """One row per ligament of every case that has ligaments: force, strain, taut fraction and
    force / failure force (red at or over 1), from summary.json (fea.metrics.ligaments)."""
    from ..metrics.ligaments import ligament_metrics

    body, attrs, classes = [], [], []
    for label, summary in cases:
        ok = bool(summary.get("converged", True))
        for name, m in ligament_metrics(summary).items():
            ratio = m["force_to_failure"]
            body.append([esc(label), esc(name), esc(fmt(m["force_N"])),
                         esc(fmt(m["strain_pct"])), esc(fmt(m["taut_fraction"], 3)),
                         esc(fmt(ratio, 3)) if ratio is not None else "– (no failure force)"])
            attrs.append("" if ok else ' class="failed"')
            classes.append(["", "", "", "", "", _grade("ratio", ratio, Thresholds())])
    if not body:
        return ""
    note = ("<p>Force of each ligament (sum of its fibres), mean strain, fraction of fibres taut "
            "and force over the failure force where the model gives one (red: at or over "
            "failure). Red rows: the case did not converge, the numbers are not results.</p>")
    return note + table(["case", "ligament", "force (N)", "strain (%)", "taut fraction",
                         "force / failure"], body, attrs, classes)


def ct_materials(cases: list[tuple[str, dict]]) -> str:
    """One row per CT-mapped bone of every case: the mapped moduli and densities, the law and
    the de-identified image description (fea.imaging.mapping.ct_summary)."""
    body = []
    for label, summary in cases:
        for bone, m in summary["ct_materials"].items():
            E, rho, law, img = m["E_MPa"], m["density_g_cm3"], m["law"], m["image"]
            dl = law["density_to_E"]
            body.append([esc(label), esc(bone), esc(fmt(m["elements"])),
                         esc(fmt(m["distinct_moduli"])),
                         esc(f"{fmt(E.get('min'))} / {fmt(E.get('median'))} / {fmt(E.get('max'))}"),
                         esc(f"{fmt(rho.get('min'), 3)} / {fmt(rho.get('median'), 3)} / "
                             f"{fmt(rho.get('max'), 3)}"),
                         esc(f"rho = {law['hu_to_density'][0]:g} HU + "
                             f"{law['hu_to_density'][1]:g}; E = {dl['a']:g} rho^{dl['b']:g}, "
                             f"min {law['E_min_MPa']:g}" + (f", {law['bins']} bins"
                                                            if law.get("bins") else "")),
                         esc(f"{img['format']} {' x '.join(map(str, img['shape_voxels']))} "
                             f"voxels, {' x '.join(fmt(v, 3) for v in img['spacing_mm'])} mm"
                             + (f", {img['scanner']}" if img.get("scanner") else ""))])
    if not body:
        return ""
    note = ("<p>Bone moduli mapped from the CT per element (HU -> density by the calibration, "
            "density -> E by the law, docs/patient_geometry.md): min / median / max. The image "
            "is described by size and spacing only; no header text of the scan is kept.</p>")
    return note + table(["case", "bone", "elements", "distinct E", "E (MPa)",
                         "density (g/cm³)", "law", "image"], body)


def solver(rows: list[dict]) -> str:
    cols = [("solver_dofs", "DOFs"), ("solver_elements", "elements"),
            ("solver_wall_s", "wall time (s)"), ("solver_iterations_max", "iterations (max)"),
            ("solver_residual_max", "residual (max)")]
    body = [[esc(r["variant"]), esc(r["loadcase"])] + [esc(fmt(r.get(c))) for c, _ in cols] +
            ["yes" if r.get("converged") else "<b>NO</b>"] for r in rows]
    attrs = ["" if r.get("converged") else ' class="failed"' for r in rows]
    return table(["variant", "load case"] + [h for _, h in cols] + ["converged"], body, attrs)


def thresholds(th: Thresholds) -> str:
    return table(["threshold", "value", "source"],
                 [[esc(a), esc(b), esc(c)] for a, b, c in th.table()])


ASSUMPTIONS = """
<ul>
<li><b>Linear elastic, small strain and small sliding.</b> Bone and titanium are linear elastic
and isotropic; porous lattice regions use the Gibson-Ashby homogenised modulus and strength.
Contact is solved in the reference configuration (small sliding): valid for micromotion of
micrometres, not for gross displacement.</li>
<li><b>Loads.</b> Pure moments on the reference point coupled to the top body after a compressive
preload; the lowest vertebra is fixed. ROM, micromotion and implant translation are measured from
the end of the preload (the reference step), so the preload itself is not counted as motion.</li>
<li><b>ROM sign.</b> The rotation of the loaded body relative to the fixed vertebra, projected on
the unit vector of the applied moment: positive when the construct turns the way it is loaded.
Coupled rotation is the rest of the rotation vector.</li>
<li><b>In contact</b> means the same in every table and map: the point's converged contact status
is stick or slip (Abaqus CSTATUS). A point whose pressure is below its interface's floor (the
starting penalty times the 1 nm gap tolerance) is open, so identical runs give identical areas.
</li>
<li><b>Micromotion</b> is the tangential slip of the two interface surfaces since the preload
(Abaqus CSLIP) where they are in contact, area-weighted over the interface's integration points.
An interface is classed on its area-weighted 95th percentile, not its single-point peak (a
mesh-dependent spike at edges). Thresholds include their boundary (exactly 28 µm counts as
ingrowth-compatible). Open points are a gap, not micromotion: reported with the area open wider
than the bone-apposition distance (50 µm, Bloebaum et al. 1994); a face with no point in contact
is classed open, never ingrowth-favourable.</li>
<li><b>Subsidence</b> compares contact pressure with the compressive strength of the bone the
implant bears on (the material of the section under the interface: its own yield, else its
library bone type). An implant on a bone's thin shell over a cancellous core (a vertebra's
endplate; the C1 lateral mass alike) is judged by the bony endplate's strength (36.7 MPa), not
the compact shell material's (133 MPa, never reached on a 0.5-1 mm shell), and the contact
patch's mean pressure (normal force / contact area) is compared with the yield of the cancellous
bone beneath (1.9 MPa, Kopperdahl &amp; Keaveny 1998). The published cervical endplate
indentation strengths are loads, not stresses (Ordway et al. 2007; Truumees et al. 2003), and
regional values (posterolateral strongest: Lowe et al. 2004) are not applied for want of
values in MPa. Percentiles and the mean are over the contact area, area fractions over the whole
interface footprint. This is an elastic indicator: it flags where bone would start to yield, it
does not predict millimetres of height loss (clinical subsidence is &gt; 2-3 mm).</li>
<li><b>Strength.</b> Peak and 99th-percentile von Mises at quadrature points, per region; the
safety factor is yield / peak, against the lattice's homogenised strength for porous regions.
Peaks at sharp re-entrant corners are mesh-sensitive; the 99th percentile is the steadier number.
</li>
<li><b>Verdicts</b> grade each design variant by its worst load case against the thresholds
below; they screen designs against one another and the literature, they are not a clinical
approval. The stability verdict is only as good as the intact reference it is measured against.
</li>
<li>All thresholds are literature defaults to be changed per study, not truths.</li>
</ul>
"""
