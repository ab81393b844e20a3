"""Interface states of a construct (DESIGN.md "Interface states").

immediate: the model as written (post-operative: bone-implant interfaces frictional, screws tied).
fused:     after osseointegration the implant is bonded to bone: its interfaces become tied.
           `fused_ties = "implant"` (default) ties only interfaces with an implant body on one
           side, so natural joints (facet contacts, frictionless) keep sliding; "all" ties every
           interface.
"""

from __future__ import annotations

import copy

IMMEDIATE, FUSED = "immediate", "fused"
STATES = (IMMEDIATE, FUSED)


def _tokens(set_name: str) -> set[str]:
    # interface face sets are named '<bodyA>|<bodyB>@<side>' by the construct builders
    return {t for part in set_name.split("|") for t in part.split("@") if t}


def implant_names(data: dict) -> set[str]:
    """Cell-set and body names of the implant regions of a model file's data."""
    out: set[str] = set()
    for s in data.get("sections", []):
        if s.get("role") == "implant":
            out.add(s["cell_set"])
            if s.get("body"):
                out.add(s["body"])
    return out


def to_tie(data: dict, fused_ties: str) -> list[int]:
    """Indices of the interfaces the fused state ties (those not tied already)."""
    implants = implant_names(data)
    out = []
    for i, it in enumerate(data.get("interfaces", [])):
        if it.get("law") == "tied":
            continue
        if fused_ties == "all" or (_tokens(it["slave"]) | _tokens(it["master"])) & implants:
            out.append(i)
    return out


def apply_state(data: dict, state: str, fused_ties: str = "implant") -> dict:
    if state == IMMEDIATE:
        return data
    out = copy.deepcopy(data)
    for i in to_tie(data, fused_ties):
        out["interfaces"][i]["law"] = "tied"
        out["interfaces"][i]["mu"] = None
        # fused: bonded exactly, whatever penalty law the immediate state had
        out["interfaces"][i].pop("pressure_overclosure", None)
        out["interfaces"][i].pop("stick_slope_N_per_mm3", None)
    return out
