"""Implant translation relative to each adjacent bone, from nodal displacements at their interface.

Result meshes carry one copy of every interface node per region (fea.post.split_by_region), and a
contact interface has its own nodes on each side, so an implant node and a bone node at the same
place are the two sides of the interface. Their relative displacement is how far the implant moved
against that bone there: zero for a bonded interface, slip plus opening for a contact one.
"""

from __future__ import annotations

import numpy as np

from ..errors import FeaError


def implant_bone_translation(points, displacement, point_body, body_role: dict[str, str],
                             reference_displacement=None, rel_tol: float = 1e-6) -> dict:
    """Per (implant or hardware body, bone body) pair sharing interface positions:
    {"<implant>|<bone>": {"implant", "bone", "max_um", "mean_um", "n_nodes"}}.

    points, displacement (mm): (p, 3); point_body: (p,) body name of each point; body_role: body ->
    role. reference_displacement (the preloaded state) is subtracted when given.
    """
    x = np.asarray(points, float)
    u = np.asarray(displacement, float)
    if reference_displacement is not None:
        u = u - np.asarray(reference_displacement, float)
    body = np.asarray(point_body).astype(str)
    if x.shape != u.shape or len(body) != len(x):
        raise FeaError(f"implant translation: {len(x)} points, {len(u)} displacements and "
                       f"{len(body)} body labels do not match")
    unknown = sorted(set(np.unique(body)) - set(body_role))
    if unknown:
        raise FeaError(f"implant translation: body '{unknown[0]}' has no role "
                       f"(known: {', '.join(sorted(body_role))})")
    tol = rel_tol * float(np.ptp(x, axis=0).max() if len(x) else 1.0)
    implants = [b for b, r in body_role.items() if r in ("implant", "hardware")]
    bones = [b for b, r in body_role.items() if r == "bone"]
    out = {}
    for bone in bones:
        ib = np.flatnonzero(body == bone)
        if not len(ib):
            continue
        from scipy.spatial import cKDTree  # here: a model without implants never loads it

        tree = cKDTree(x[ib])
        for imp in implants:
            ii = np.flatnonzero(body == imp)
            if not len(ii):
                continue
            d, j = tree.query(x[ii], distance_upper_bound=tol)
            hit = np.isfinite(d)
            if not hit.any():
                continue  # these two bodies do not touch
            rel = np.linalg.norm(u[ii[hit]] - u[ib[j[hit]]], axis=1) * 1000.0
            out[f"{imp}|{bone}"] = {"implant": imp, "bone": bone, "max_um": float(rel.max()),
                                   "mean_um": float(rel.mean()), "n_nodes": int(hit.sum())}
    return out
