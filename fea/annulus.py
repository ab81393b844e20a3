"""Annulus fibres: the collagen fibres of an intervertebral disc's annulus as two crossing families
of tension-only fibres embedded in the annulus (`[[annulus_fibres]]` entries of a model file).

The annulus's lamellae carry collagen fibres inclined at +-alpha to the transverse plane, the
direction alternating from lamella to lamella; fibres carry tension only (they buckle in
compression). Each entry becomes two ligaments (`<name>_plus`, `<name>_minus`, fea.ligaments),
so the ligament Newton term, summaries and ligaments.vtu carry them unchanged:

- the footprint is measured off the mesh: the annulus's face set on each endplate (`from`, `to`)
  gives its plane, centroid, principal axes, outer semi-axes a, b (the largest extent along each
  axis) and the inner (nucleus) boundary from its area, A = pi a b (1 - k^2);
- `rings` elliptic lamellae at the area centroids of equal-area sub-annuli, rho_j^2 = k^2 +
  (j + 1/2) (1 - k^2) / rings, with `fibres_per_ring` fibres of each family each, evenly spread
  in the ellipse parameter;
- each fibre is a helix on its lamella from one endplate to the other, made of `segments`
  straight pieces, each rising h / segments and turning so that the piece makes exactly
  `angle_deg` with the transverse plane; every piece is a tension-only fibre whose ends are
  points in the annulus's elements, carried by those elements' shape functions (an embedded
  truss, as rebar elements are): the fibres act on the ground substance along their length and
  are anchored in the endplates at their ends;
- the cross-section follows from the volume fraction phi: a horizontal cut meets every fibre
  once, at area a_f / sin(alpha), so sum a_f / sin(alpha) = phi A and each of the N fibres has
  a_f = phi A sin(alpha) / N (total fibre volume phi A h); a piece of length l has stiffness
  E_f a_f / l, linear in tension, zero when slack (law toe_linear with no toe).
A ligament's force in the summaries is the sum over its pieces (`segments` times the fibres'
tension). Small-displacement kinematics, as every ligament here. Units: mm, N, MPa.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError


@dataclass(frozen=True)
class AnnulusFibres:
    """One `[[annulus_fibres]]` entry (fea.config.AnnulusFibresSpec, checked)."""

    name: str
    cell_set: str  # the annulus's elements (the fibres are embedded in them)
    from_set: str  # the annulus's face set on one endplate
    to_set: str  # ... on the other
    angle_deg: float  # to the transverse plane, each family (+ and -)
    fibre_modulus_MPa: float
    volume_fraction: float  # fibre volume / annulus volume
    rings: int = 2
    fibres_per_ring: int = 24
    segments: int = 4  # straight pieces per fibre along its helix


@dataclass
class Footprint:
    """The annulus on one endplate: plane, axes and ellipse (measured off the mesh)."""

    centroid: np.ndarray  # (3,)
    normal: np.ndarray  # (3,) unit, towards the other endplate
    e1: np.ndarray  # (3,) in-plane principal axis of the larger extent
    e2: np.ndarray
    a: float  # outer semi-axis along e1, mm
    b: float  # along e2
    area: float  # annulus area, mm^2
    inner: float  # k: inner boundary at k (a, b)


def _faces(mesh, name: str, where: str):
    """(face type, corner+mid node table (k, nf)) of a face set, each face once."""
    from .config import suggest

    if name not in mesh.face_sets:
        hint = suggest(name, sorted(mesh.face_sets))
        did = f" Did you mean '{hint}'?" if hint else ""
        raise ConfigError(f"{where}: no face set named '{name}'.{did}")
    faces = mesh.faces(name)
    groups = mesh.face_groups(faces)
    if len(groups) != 1 or groups[0][0].n_corners != 3:
        raise ConfigError(f"{where}: face set '{name}' must be triangles (TRI3 or TRI6) of one "
                          "kind")
    conn = mesh.face_connectivity(faces)
    _, keep = np.unique(np.sort(conn[:, :3], axis=1), axis=0, return_index=True)
    return groups[0][0], conn[np.sort(keep)]


def footprint(mesh, conn: np.ndarray, towards: np.ndarray, where: str) -> Footprint:
    """Plane, principal axes, outer semi-axes and area of an annular face set's flat part: the
    faces facing along the disc axis (within 10 deg) in the set's main plane (within 0.1 mm); a
    bone touching the annulus beside the disc (C3's uncinate processes) is left out."""
    x = mesh.nodes
    p0, p1, p2 = x[conn[:, 0]], x[conn[:, 1]], x[conn[:, 2]]
    cr = np.cross(p1 - p0, p2 - p0)
    area_k = 0.5 * np.linalg.norm(cr, axis=1)
    # the axis: the dominant normal of the set (the orientation tensor's leading eigenvector;
    # the flat endplate part carries most of the area), pointing at the other endplate
    nrm = cr / (2 * area_k[:, None])
    axis = np.linalg.eigh((area_k[:, None, None] * nrm[:, :, None] * nrm[:, None, :])
                          .sum(axis=0))[1][:, -1]
    axis = axis if np.dot(axis, towards) > 0 else -axis
    facing = np.abs(cr @ axis) > np.cos(np.radians(10.0)) * 2 * area_k
    if facing.any():  # the facing faces' own mean normal (the centroids' line may be tilted)
        sgn = np.sign(cr[facing] @ axis)
        axis = (sgn[:, None] * cr[facing]).sum(axis=0)
        axis /= np.linalg.norm(axis)
    off = ((p0 + p1 + p2) / 3) @ axis
    order = np.argsort(off[facing])
    cum = np.cumsum(area_k[facing][order])
    plane = off[facing][order][np.searchsorted(cum, 0.5 * cum[-1])] if facing.any() else 0.0
    keep = facing & (np.abs(off - plane) < 0.1)
    if area_k[keep].sum() < 0.5 * area_k.sum():
        raise ConfigError(f"{where}: less than half of the face set ({area_k[keep].sum():.4g} "
                          f"of {area_k.sum():.4g} mm^2) lies flat across the disc axis; annulus "
                          "fibres need a flat endplate face")
    conn, cr, area_k = conn[keep], cr[keep], area_k[keep]
    p0, p1, p2 = p0[keep], p1[keep], p2[keep]
    area = float(area_k.sum())
    n = cr.sum(axis=0)
    n /= np.linalg.norm(n)
    if np.dot(n, towards) < 0:
        n = -n
    c = ((p0 + p1 + p2) / 3 * area_k[:, None]).sum(axis=0) / area
    pts = x[np.unique(conn)]
    P = np.eye(3) - np.outer(n, n)
    d = (pts - c) @ P
    _, _, vt = np.linalg.svd(d, full_matrices=False)
    e1 = vt[0] - np.dot(vt[0], n) * n
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(n, e1)
    # the ellipse's centre and semi-axes from the extents (the area centroid shifts where the
    # flat part is not symmetric)
    u, v = d @ e1, d @ e2
    a, b = 0.5 * float(np.ptp(u)), 0.5 * float(np.ptp(v))
    c = c + 0.5 * (u.max() + u.min()) * e1 + 0.5 * (v.max() + v.min()) * e2
    full = np.pi * a * b
    k2 = 1.0 - area / full
    if not 0.0 <= k2 < 0.95:
        raise ConfigError(f"{where}: the face set's area ({area:.4g} mm^2) does not fit an "
                          f"elliptic annulus of semi-axes {a:.3g} x {b:.3g} mm")
    return Footprint(c, n, e1, e2, a, b, area, float(np.sqrt(max(k2, 0.0))))


def _ring_point(fp: Footprint, centre: np.ndarray, rho: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (centre + (rho * fp.a * np.cos(t))[:, None] * fp.e1
            + (rho * fp.b * np.sin(t))[:, None] * fp.e2)


def _solve_dt(fp: Footprint, rho: np.ndarray, t: np.ndarray, run: float, sign: float,
              where: str) -> np.ndarray:
    """dt in (0, pi) per fibre with |ring(t + sign dt) - ring(t)| = run (bisection, vectorised:
    the chord grows monotonically with dt on (0, pi) for the ellipses met here)."""
    def chord(dt):
        u = rho * fp.a * (np.cos(t + sign * dt) - np.cos(t))
        v = rho * fp.b * (np.sin(t + sign * dt) - np.sin(t))
        return np.hypot(u, v)

    if np.any(chord(np.full_like(t, np.pi)) < run):
        raise ConfigError(f"{where}: at this angle a fibre's horizontal run ({run:.3g} mm) is "
                          "longer than the disc is wide; use a steeper angle_deg")
    lo, hi = np.zeros_like(t), np.full_like(t, np.pi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        big = chord(mid) > run
        hi = np.where(big, mid, hi)
        lo = np.where(big, lo, mid)
    return 0.5 * (lo + hi)


def _locate(mesh, cells: np.ndarray, pts: np.ndarray):
    """Each point's element (of `cells`) and that element's shape-function weights there (corner
    barycentric coordinates; a point just outside the set, e.g. on a curved boundary, takes the
    nearest element, clamped)."""
    x = mesh.nodes
    conn = mesh.cells[cells]
    et = mesh.blocks[0].type if len(mesh.blocks) == 1 else None
    if et is None or et.n_corners != 4:
        raise ConfigError("annulus fibres need a tetrahedral mesh (C3D4 or C3D10)")
    p0 = x[conn[:, 0]]
    J = np.stack([x[conn[:, i]] - p0 for i in (1, 2, 3)], axis=2)  # (e, 3, 3) columns
    Jinv = np.linalg.inv(J)
    xi = np.einsum("eij,pej->pei", Jinv, pts[:, None, :] - p0[None])  # (p, e, 3)
    worst = np.minimum(xi.min(axis=2), 1.0 - xi.sum(axis=2))
    e = worst.argmax(axis=1)
    loc = np.clip(xi[np.arange(len(pts)), e], 0.0, 1.0)
    over = loc.sum(axis=1) > 1.0
    loc[over] /= loc[over].sum(axis=1, keepdims=True)
    N, _ = et.shape(loc)
    return conn[e], N, worst[np.arange(len(pts)), e]


def build(mesh, af: AnnulusFibres, where: str) -> tuple[list, dict]:
    """The entry's two ligaments (fea.model.Ligament, explicit per-segment ends) and a summary
    of what was built (footprint, segment angles, section, stiffness)."""
    from .model import Ligament, LigamentLaw

    if not 0.0 < af.angle_deg < 90.0:
        raise ConfigError(f"{where}: angle_deg must lie between 0 and 90 (to the transverse "
                          f"plane), got {af.angle_deg}")
    if not af.fibre_modulus_MPa > 0:
        raise ConfigError(f"{where}: fibre_modulus_MPa must be > 0")
    if not 0.0 < af.volume_fraction < 1.0:
        raise ConfigError(f"{where}: volume_fraction must lie between 0 and 1")
    if af.rings < 1 or af.fibres_per_ring < 3 or af.segments < 1:
        raise ConfigError(f"{where}: rings and segments must be >= 1, fibres_per_ring >= 3")
    if af.cell_set not in mesh.cell_sets:
        from .config import suggest

        hint = suggest(af.cell_set, sorted(mesh.cell_sets))
        did = f" Did you mean '{hint}'?" if hint else ""
        raise ConfigError(f"{where}: cell_set: no cell set named '{af.cell_set}'.{did}")
    _, lo = _faces(mesh, af.from_set, f"{where}: from")
    _, hi = _faces(mesh, af.to_set, f"{where}: to")
    c_hi0 = mesh.nodes[np.unique(hi)].mean(axis=0)
    c_lo0 = mesh.nodes[np.unique(lo)].mean(axis=0)
    fl = footprint(mesh, lo, c_hi0 - c_lo0, f"{where}: from '{af.from_set}'")
    fh = footprint(mesh, hi, c_lo0 - c_hi0, f"{where}: to '{af.to_set}'")
    if np.dot(fl.normal, -fh.normal) < np.cos(np.radians(5.0)):
        raise ConfigError(f"{where}: the two endplate faces are not parallel (within 5 deg); "
                          "annulus fibres need a disc between parallel endplates")
    h = float(np.dot(fh.centroid - fl.centroid, fl.normal))  # > 0: the normal points at 'to'
    alpha = np.radians(af.angle_deg)
    S = af.segments
    run = h / S / np.tan(alpha)  # horizontal run of one segment
    k2 = fl.inner ** 2
    rho = np.sqrt(k2 + (np.arange(af.rings) + 0.5) * (1 - k2) / af.rings)
    m = af.fibres_per_ring
    rho_f = np.repeat(rho, m)
    t_f = np.tile(2 * np.pi * np.arange(m) / m, af.rings) + \
        np.repeat(np.pi * np.arange(af.rings) / m, m)  # rings staggered
    n_fibres = 2 * len(t_f)
    a_f = af.volume_fraction * fl.area * np.sin(alpha) / n_fibres
    # the disc's axis: from the lower centroid along the lower normal; the upper centroid's
    # in-plane offset (a sheared disc) is spread over the height
    shift = (fh.centroid - fl.centroid) @ (np.eye(3) - np.outer(fl.normal, fl.normal))
    cells = np.asarray(mesh.cell_sets[af.cell_set])
    ligs, info = [], {"height_mm": h, "area_mm2": fl.area, "semi_axes_mm": (fl.a, fl.b),
                      "inner": fl.inner, "rho": rho, "fibre_area_mm2": a_f, "families": {}}
    for sign, suffix in ((1.0, "plus"), (-1.0, "minus")):
        t = t_f.copy()
        pts = []
        for k in range(S + 1):  # the helix's points on the ring, one segment's rise apart
            centre = fl.centroid + (k / S) * (h * fl.normal + shift)
            pts.append(_ring_point(fl, centre, rho_f, t))
            if k < S:
                t = t + sign * _solve_dt(fl, rho_f, t, run, sign, where)
        pts = np.stack(pts)  # (S + 1, fibres, 3)
        xa, xb = pts[:-1].reshape(-1, 3), pts[1:].reshape(-1, 3)
        na, wa, ga = _locate(mesh, cells, xa)
        nb, wb, gb = _locate(mesh, cells, xb)
        # the points the mesh carries (curved TET10, clamped points): each piece acts along the
        # line between them, so its end forces balance in moment too
        xa = (wa[..., None] * mesh.nodes[na]).sum(axis=1)
        xb = (wb[..., None] * mesh.nodes[nb]).sum(axis=1)
        span = xb - xa
        L = np.linalg.norm(span, axis=1)
        angle = np.degrees(np.arcsin(np.abs(span @ fl.normal) / L))
        n = len(L)
        # share "equal" with the ligament's length the mean: each segment's tangent is then
        # (1/n) K L_mean / L_f; K = n E a / L_mean makes it E a / L_f (fea.ligaments.law)
        K = n * af.fibre_modulus_MPa * a_f / L.mean()
        law = LigamentLaw("toe_linear", stiffness=float(K), toe_strain=0.0)
        name = f"{af.name}_{suffix}"
        ligs.append(Ligament(name, af.from_set, af.to_set, law, fibres=n, share="equal",
                             library="annulus_fibres", ends=((na, wa, xa), (nb, wb, xb))))
        info["families"][name] = {"angle_deg": angle, "length_mm": L,
                                  "stiffness_N_per_mm": af.fibre_modulus_MPa * a_f / L,
                                  "ends": (xa, xb), "outside": np.minimum(ga, gb)}
    return ligs, info


def annulus_ligaments(mesh, entries: list[AnnulusFibres], where: str) -> list:
    """The ligaments of every entry, in order (names checked unique by the caller)."""
    out = []
    for i, af in enumerate(entries):
        ligs, _ = build(mesh, af, f"{where}: annulus_fibres[{i}] '{af.name}'")
        out += ligs
    return out
