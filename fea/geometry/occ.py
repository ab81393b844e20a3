"""Small OpenCASCADE solids for the construct library, each with an `inset` (mm).

`inset` shrinks a solid inward by about that distance, so the same call gives a bone's outer solid
(inset 0) and its cancellous core (inset = cortical thickness); for the unions we build, the
union of
inset parts lies inside the inset of the union, which is all a shell/core split needs.
All functions work on the current gmsh model and return a list of (3, tag).
"""

from __future__ import annotations

import math

import numpy as np

BIG = 400.0  # mm: edge of the boxes that stand in for half-spaces


def _occ():
    import gmsh

    return gmsh.model.occ


def box(lo, hi, inset: float = 0.0) -> list[tuple[int, int]]:
    lo = np.asarray(lo, float) + inset
    hi = np.asarray(hi, float) - inset
    if (hi <= lo).any():
        return []
    d = hi - lo
    return [(3, _occ().addBox(*lo, *d))]


def elliptic_cylinder(center_xy, ax: float, by: float, z0: float, z1: float,
                      inset: float = 0.0) -> list[tuple[int, int]]:
    """Vertical elliptic cylinder (semi-axes ax along x, by along y) from z0 to z1."""
    ax, by, z0, z1 = ax - inset, by - inset, z0 + inset, z1 - inset
    if min(ax, by) <= 0 or z1 <= z0:
        return []
    occ = _occ()
    cx, cy = center_xy
    # gmsh needs the major radius along the local x axis; rotate when by > ax
    if ax >= by:
        c = occ.addEllipse(cx, cy, z0, ax, by)
    else:
        c = occ.addEllipse(cx, cy, z0, by, ax)
        occ.rotate([(1, c)], cx, cy, z0, 0, 0, 1, math.pi / 2)
    s = occ.addPlaneSurface([occ.addCurveLoop([c])])
    out = occ.extrude([(2, s)], 0, 0, z1 - z0)
    return [dt for dt in out if dt[0] == 3]


def rod(p0, p1, radius: float, inset: float = 0.0) -> list[tuple[int, int]]:
    """Circular cylinder from point p0 to point p1 (inset shortens both ends and the radius)."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    L = float(np.linalg.norm(d))
    r = radius - inset
    if r <= 0 or L <= 2 * inset:
        return []
    u = d / L
    a = p0 + inset * u
    return [(3, _occ().addCylinder(*a, *(u * (L - 2 * inset)), r))]


def sphere(c, radius: float, inset: float = 0.0, axis=None) -> list[tuple[int, int]]:
    """Ball; `axis` orients its poles (degenerate points of the surface), e.g. along a neck that
    hides one of them, so no pole sits where another surface comes close."""
    r = radius - inset
    if r <= 0:
        return []
    b = _occ().addSphere(*c, r)
    if axis is not None:
        n = np.asarray(axis, float) / np.linalg.norm(axis)
        z = np.array([0.0, 0.0, 1.0])
        ax = np.cross(z, n)
        sn, cs = np.linalg.norm(ax), float(z @ n)
        if sn > 1e-12:
            _occ().rotate([(3, b)], *c, *(ax / sn), math.atan2(sn, cs))
    return [(3, b)]


def halfspace(point, normal) -> list[tuple[int, int]]:
    """A big box filling {x : normal . (x - point) <= 0} near the model."""
    n = np.asarray(normal, float)
    n = n / np.linalg.norm(n)
    occ = _occ()
    b = occ.addBox(-BIG / 2, -BIG / 2, -BIG, BIG, BIG, BIG)  # z <= 0 half
    # rotate +z onto n, then move the origin to `point`
    z = np.array([0.0, 0.0, 1.0])
    axis = np.cross(z, n)
    s, c = np.linalg.norm(axis), float(z @ n)
    if s > 1e-12:
        occ.rotate([(3, b)], 0, 0, 0, *(axis / s), math.atan2(s, c))
    elif c < 0:
        occ.rotate([(3, b)], 0, 0, 0, 1, 0, 0, math.pi)
    occ.translate([(3, b)], *np.asarray(point, float))
    return [(3, b)]


def keep_below(solids, point, normal, inset: float = 0.0):
    """Intersect solids with {normal . (x - point) <= -inset} (the plane moved inward by inset)."""
    if not solids:
        return []
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    h = halfspace(np.asarray(point, float) - inset * n, n)
    out, _ = _occ().intersect(solids, h)
    return [dt for dt in out if dt[0] == 3]


def union(parts) -> list[tuple[int, int]]:
    parts = [p for p in parts if p]
    flat = [dt for p in parts for dt in p]
    if len(flat) <= 1:
        return flat
    out, _ = _occ().fuse(flat[:1], flat[1:])
    return [dt for dt in out if dt[0] == 3]


def subtract(solids, tools) -> list[tuple[int, int]]:
    if not solids or not tools:
        if tools:
            _occ().remove(tools, recursive=True)
        return solids
    out, _ = _occ().cut(solids, tools)
    return [dt for dt in out if dt[0] == 3]


def rotate(solids, origin, axis, angle_deg: float):
    if solids and angle_deg:
        _occ().rotate(solids, *origin, *axis, math.radians(angle_deg))
    return solids


def translate(solids, d):
    if solids and any(d):
        _occ().translate(solids, *d)
    return solids


def bar(p0, p1, width: float, height: float) -> list[tuple[int, int]]:
    """Rectangular bar from p0 to p1 (both at the same height), `width` horizontal across it and
    `height` vertical: planar faces only, so it needs no curvature refinement (e.g. a pedicle)."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    L = float(np.hypot(d[0], d[1]))
    b = _occ().addBox(0.0, -width / 2, -height / 2, L, width, height)
    _occ().rotate([(3, b)], 0, 0, 0, 0, 0, 1, math.atan2(d[1], d[0]))
    _occ().translate([(3, b)], *p0)
    return [(3, b)]
