"""Which structures carry the moment across C0-C1 or C1-C2 (docs/validation.md, "Calibration
of the column"): per load case, the ROM per level and, for every ligament spanning the level, its
force and the moment it exerts on the upper body (C0; C0 + C1 for C1-C2) about the level's joint
centre (the midpoint of the two condylar sphere centres; of the two lateral atlantoaxial joint
spaces), from the end of the preload to the end of the moment; the joint contacts carry the
rest of the upper body's equilibrium (applied moment minus the ligaments' sum).

    python bench/moment_shares.py [--model models/intact.toml] [--cases flexion,...|FILE.toml]
        [--level C0-C1|C1-C2] [--hold SETS --contacts NAMES] [--json OUT.json]

--hold / --contacts: the level's sub-model (fea.calibration.held_submodel), e.g. C0 on a held
C1-C3: --hold 'C1_*,C2_*,C3_*,disc_*,facet_C1C2_*,facet_C2C3_*' --contacts 'facet_C0C1_*'.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
C0_LIGAMENTS = ("alar_L", "alar_R", "apical", "tectorial", "AAOM", "PAOM", "capsule_C0C1_L",
                "capsule_C0C1_R")
# the ligaments with one end on C0 or C1 and the other on C2 or below
C1C2_LIGAMENTS = ("alar_L", "alar_R", "apical", "tectorial", "AAAM", "PAAM", "capsule_C1C2_L",
                  "capsule_C1C2_R", "LF_C1C2")


def joint_centre(level: str = "C0-C1") -> np.ndarray:
    """The level's joint centre on the default column (mm): the midpoint of the two C0-C1
    condylar sphere centres, or of the two lateral atlantoaxial joint spaces' centres."""
    from fea.geometry.anatomy.column import anatomy, layout

    an = anatomy(1.0, None, None, None, None, None)
    J = layout(an)["joints"]
    if level == "C1-C2":
        g = an.j.c1c2_cartilage_mm
        return 0.5 * sum(J[s]["p12"] + 0.5 * g * J[s]["n12"] for s in ("L", "R"))
    R = an.c0.condyle_radius_mm
    return 0.5 * sum(J[s]["p01"] + R * J[s]["n01"] for s in ("L", "R"))


def moments(fb, forces: np.ndarray, P: np.ndarray) -> dict:
    """{ligament: (force N, moment on its upper end about P, N m)}: a fibre pulls each end
    towards the other; the upper end (larger z) is the one on the level's upper body for every
    ligament spanning C0-C1 or C1-C2 (all run up from their lower bone)."""
    top = fb.end_b[:, 2] >= fb.end_a[:, 2]
    up = np.where(top[:, None], fb.end_b, fb.end_a)
    d = np.where(top[:, None], fb.end_a, fb.end_b) - up
    d /= np.linalg.norm(d, axis=1)[:, None]
    m = np.cross(up - P, forces[:, None] * d) / 1000.0
    return {n: (float(forces[fb.ligament == j].sum()), m[fb.ligament == j].sum(0))
            for j, n in enumerate(fb.names)}


def main() -> None:
    from fea.calibration import held_submodel
    from fea.config import load_loadcase, load_model
    from fea.contact.term import ContactSettings
    from fea.mesh_cache import MeshCache
    from fea.solve_case import make_analysis
    from fea.validation import contact_term, curves_from_result

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "intact.toml")
    ap.add_argument("--cases", default="flexion,extension,lateral_bending_left,"
                    "axial_rotation_left")
    ap.add_argument("--level", default="C0-C1", choices=("C0-C1", "C1-C2"))
    ap.add_argument("--hold")
    ap.add_argument("--contacts", default="*")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    c0 = time.process_time()
    model = load_model(a.model, MeshCache(ROOT / ".cache" / "meshes"))
    if a.hold:
        model = held_submodel(model, a.hold.split(","), a.contacts.split(","), "--hold")
    an = make_analysis(model, contact=ContactSettings(reuse_steps=True))
    contact = contact_term(an)
    fb = next(t for t in an.terms if t.name == "ligaments").fibres
    P = joint_centre(a.level)
    spans = C1C2_LIGAMENTS if a.level == "C1-C2" else C0_LIGAMENTS
    out = {}
    for name in a.cases.split(","):
        path = Path(name) if name.endswith(".toml") else ROOT / "loadcases" / f"{name}.toml"
        res = an.run(load_loadcase(path))
        pre = {s.step: s for s in res.step_ends()}["preload"]
        fin = moments(fb, res.final.terms["ligaments"]["force_N"], P)
        ini = moments(fb, pre.terms["ligaments"]["force_N"], P)
        rec = {"converged": bool(res.converged), "ligaments": {}}
        if res.converged:
            rec["rom_deg"] = {k: v["rom_deg"] for k, v in
                              curves_from_result(res, contact=contact)[-1]["levels"].items()}
        for n in fb.names:
            dm = fin[n][1] - ini[n][1]
            rec["ligaments"][n] = {"force_N": fin[n][0], "dM_on_upper_Nm":
                                   dm.tolist() if n in spans else None}
        total = sum(np.array(rec["ligaments"][n]["dM_on_upper_Nm"]) for n in spans
                    if n in rec["ligaments"])
        rec["level"] = a.level
        rec["upper_ligaments_Nm"] = np.asarray(total).tolist()
        out[Path(name).stem] = rec
        print(f"{Path(name).stem}: converged {rec['converged']}, ROM {rec.get('rom_deg')}")
        for n, r in rec["ligaments"].items():
            if r["force_N"] > 0.5:
                m = "" if r["dM_on_upper_Nm"] is None else \
                    "  moment on upper " + " ".join(f"{x:+.3f}" for x in r["dM_on_upper_Nm"]) \
                    + " Nm"
                print(f"   {n:16s} {r['force_N']:7.1f} N{m}")
        print(f"   {a.level} ligaments in all " + " ".join(f"{x:+.3f}" for x in total) + " Nm",
              flush=True)
    print(f"{time.process_time() - c0:.0f} CPU-s")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
