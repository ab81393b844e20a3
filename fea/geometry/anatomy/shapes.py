"""Smooth OpenCASCADE solids for the anatomical bones, each a function of `inset` (mm).

A bone is a union of parts minus a union of cuts, clipped by planes (`Bone`). Calling it with
inset 0 gives the outer (cortical) solid, with inset t the cancellous core: every part shrinks by
t, every cut and clip plane grows by t, so the core lies about t inside the outer surface
everywhere, including on the concave articular surfaces made by cuts (the shell/core rule of
fea.geometry.occ). Lofts (ThruSections through ellipses, C2-smooth) give the bodies, arches,
laminae and processes; ellipsoids give tubercles, tips and condyles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ...errors import MeshError
from .. import occ as _o


def _occ():
    import gmsh

    return gmsh.model.occ


def _unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def _perp(n) -> np.ndarray:
    """A unit vector perpendicular to n (stable choice)."""
    n = _unit(n)
    a = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    p = a - (a @ n) * n
    return p / np.linalg.norm(p)


def ellipse_curve(c, n, a: float, b: float, xdir=None) -> int:
    """Closed curve: ellipse centred at c in the plane normal to n, semi-axis a along xdir
    (projected into the plane) and b across it."""
    n = _unit(n)
    x = _perp(n) if xdir is None else np.asarray(xdir, float) - (np.asarray(xdir, float) @ n) * n
    x = _unit(x)
    if a < b:  # gmsh wants the major radius along the local x axis
        a, b = b, a
        x = np.cross(n, x)
    occ = _occ()
    e = occ.addEllipse(*map(float, c), float(a), float(b), zAxis=list(map(float, n)),
                       xAxis=list(map(float, x)))
    return e


@dataclass
class Section:
    """One ellipse of a loft: centre, normal (the loft direction there), semi-axes a (along
    xdir) and b."""

    c: tuple
    n: tuple
    a: float
    b: float
    xdir: tuple | None = None


def loft(sections: list[Section], inset: float = 0.0, cap_ends: bool = True):
    """Smooth solid through elliptic sections; inset shrinks every section and (cap_ends) clips
    the two flat ends inward by inset too, so its flat ends are cortical too. The sections stay
    where they are: moving the end sections instead changed the spline's course near the ends,
    and C2's core came out through the side of its body by the inferior endplate."""
    secs = []
    for s in sections:
        a, b = s.a - inset, s.b - inset
        if min(a, b) <= 0.05:
            return []
        secs.append((np.asarray(s.c, float), s.n, a, b, s.xdir))
    wires = [_occ().addWire([ellipse_curve(c, n, a, b, x)]) for c, n, a, b, x in secs]
    out = _occ().addThruSections(wires, makeSolid=True, makeRuled=False)
    solid = [dt for dt in out if dt[0] == 3]
    if cap_ends and inset:
        for end, nb in ((0, 1), (-1, -2)):
            c = secs[end][0]
            d = _unit(secs[end][1])
            d = d if d @ (secs[nb][0] - c) > 0 else -d  # the end's normal, pointing inward
            solid = _o.keep_below(solid, c + inset * d, -d)
    return solid


def tube(points, radii, inset: float = 0.0, xdir=(0.0, 0.0, 1.0), cap_ends: bool = True):
    """Loft along a polyline of points with (a, b) semi-axes per point; the section normals
    follow the polyline's tangents (central differences), so the tube bends smoothly."""
    P = np.asarray(points, float)
    T = np.gradient(P, axis=0)
    secs = [Section(tuple(P[i]), tuple(T[i]), float(radii[i][0]), float(radii[i][1]), xdir)
            for i in range(len(P))]
    return loft(secs, inset, cap_ends)


def ellipsoid(c, semi, inset: float = 0.0, axes=None):
    """Ellipsoid with semi-axes `semi` along the columns of `axes` (default: x, y, z)."""
    a, b, cc = (float(s) - inset for s in semi)
    if min(a, b, cc) <= 0.05:
        return []
    occ = _occ()
    t = occ.addSphere(0.0, 0.0, 0.0, 1.0)
    occ.dilate([(3, t)], 0.0, 0.0, 0.0, a, b, cc)
    if axes is not None:
        R = np.asarray(axes, float)
        # rotation matrix -> axis-angle
        ang = math.acos(max(-1.0, min(1.0, (np.trace(R) - 1) / 2)))
        if ang > 1e-9:
            if abs(ang - math.pi) < 1e-6:
                w = np.sqrt(np.maximum((np.diag(R) + 1) / 2, 0))
                w = w * np.sign([1, R[0, 1] or 1, R[0, 2] or 1])
            else:
                w = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
            occ.rotate([(3, t)], 0, 0, 0, *_unit(w), ang)
    occ.translate([(3, t)], *map(float, c))
    return [(3, t)]


def frame(n, xdir) -> np.ndarray:
    """Columns (x, y, n): a right-handed frame with third axis n and first axis along xdir."""
    n = _unit(n)
    x = _unit(np.asarray(xdir, float) - (np.asarray(xdir, float) @ n) * n)
    return np.column_stack([x, np.cross(n, x), n])


def prism(p, n, a: float, b: float, h0: float, h1: float, xdir=None, inset: float = 0.0):
    """Elliptic cylinder with axis n through p, from p + h0 n to p + h1 n."""
    a, b, h0, h1 = a - inset, b - inset, h0 + inset, h1 - inset
    if min(a, b) <= 0.05 or h1 <= h0:
        return []
    n = _unit(n)
    base = np.asarray(p, float) + h0 * n
    occ = _occ()
    s = occ.addPlaneSurface([occ.addCurveLoop([ellipse_curve(base, n, a, b, xdir)])])
    out = occ.extrude([(2, s)], *map(float, (h1 - h0) * n))
    return [dt for dt in out if dt[0] == 3]


def ball(c, r: float, inset: float = 0.0, axis=None):
    return _o.sphere(c, r, inset, axis=axis)


def intersect(a, b):
    if not a or not b:
        for x in (a, b):
            if x:
                _occ().remove(x, recursive=True)
        return []
    out, _ = _occ().intersect(a, b)
    return [dt for dt in out if dt[0] == 3]


Maker = Callable[[float], list]


@dataclass
class Bone:
    """name: body name (`C0` ...); parts/cuts: functions inset -> solids (cuts are called with
    -inset, so they grow: pass it on as the primitive's own inset); clips: (point, normal) half-spaces {n.(x-p) <= 0} kept."""

    name: str
    parts: list[Maker] = field(default_factory=list)
    cuts: list[Maker] = field(default_factory=list)
    clips: list[tuple] = field(default_factory=list)

    def solid(self, inset: float):
        s = _o.union([p(inset) for p in self.parts])
        if self.cuts:
            s = _o.subtract(s, _o.union([c(-inset) for c in self.cuts]))
        for pt, n in self.clips:
            s = _o.keep_below(s, pt, n, inset)
        return s

    def hollow(self, t: float):
        """(cortical shell of wall thickness t with an empty cavity where the core goes, None):
        the core is made after the assembly's fragment from the cavity's faces (Assembly.fill),
        so it never enters the fragment. A bone in pieces: (outer solids, core solids).

        The shell is made from the outer and the core's surface loops, not by a boolean: OCC's
        cut of two near-parallel spline surfaces took 10-30 s a bone, the loops < 1 s."""
        import gmsh

        outer, core = self.solid(0.0), self.solid(t)
        if len(outer) != 1 or len(core) != 1:
            return outer, core
        occ = _occ()
        occ.synchronize()
        want = occ.getMass(*outer[0]) - occ.getMass(*core[0])
        loops = [occ.addSurfaceLoop([f for _, f in gmsh.model.getBoundary(v, oriented=False)])
                 for v in (outer, core)]
        shell = [(3, occ.addVolume(loops))]
        if abs(occ.getMass(*shell[0]) - want) <= 1e-3 * want:
            occ.remove(outer + core)  # the volumes only: their faces bound the shell
            return shell, None
        # OCC took the inner loop for a second solid, not a cavity (seen on C2: the volume came
        # out as outer + core): make the cavity by the (slower) boolean instead
        occ.remove(shell)
        out, _ = occ.cut(outer, core)
        out = [dt for dt in out if dt[0] == 3]
        if len(out) != 1 or abs(occ.getMass(*out[0]) - want) > 1e-3 * want:
            raise MeshError(f"bone {self.name}: its cortical shell ({t} mm) could not be made "
                            "as one volume around its core")
        return out, None


# ------------------------------------------------------------------ C2/C3 helpers (shapes-c2c3)
# Lofts through rounded-rectangle (superellipse) sections: flat-sided blocks and plates with
# rounded edges (a lamina, a pars, an articular pillar) that ellipses cannot give.


@dataclass
class Slab:
    """One section of `slab_loft`: centre c, normal n (the loft direction there), half-width a
    along xdir, half-depths bp (along +n x xdir) and bm (along -n x xdir), and the superellipse
    exponent p (2: an ellipse; 3-4: a rounded rectangle)."""

    c: tuple
    n: tuple
    a: float
    bp: float
    bm: float
    xdir: tuple = (1.0, 0.0, 0.0)
    p: float = 3.0


SLAB_POINTS = 16  # points per section (a multiple of 4, so the four extremes are points)


def _slab_wire(s: Slab, inset: float) -> int | None:
    a, bp, bm = s.a - inset, s.bp - inset, s.bm - inset
    if min(a, bp, bm) <= 0.05:
        return None
    F = frame(s.n, s.xdir)
    e = 2.0 / s.p
    occ = _occ()
    tags = []
    for k in range(SLAB_POINTS):
        t = 2 * math.pi * k / SLAB_POINTS
        ct, st = math.cos(t), math.sin(t)
        u = a * math.copysign(abs(ct) ** e, ct)
        v = (bp if st >= 0 else bm) * math.copysign(abs(st) ** e, st)
        x = np.asarray(s.c, float) + u * F[:, 0] + v * F[:, 1]
        tags.append(occ.addPoint(*map(float, x)))
    # a periodic spline (first point repeated): C2 all round, no seam kink
    return occ.addWire([occ.addSpline(tags + [tags[0]])])


def slab_loft(sections: list[Slab], inset: float = 0.0, cap_ends: bool = True):
    """Smooth solid through rounded-rectangle sections; inset shrinks every half-axis by inset
    (a superellipse's corner then moves in by 1-1.2 inset: the core stays inside) and clips
    the flat ends as `loft` does."""
    wires = [_slab_wire(s, inset) for s in sections]
    if any(w is None for w in wires):
        return []
    out = _occ().addThruSections(wires, makeSolid=True, makeRuled=False)
    solid = [dt for dt in out if dt[0] == 3]
    if cap_ends and inset:
        for end, nb in ((0, 1), (-1, -2)):
            c = np.asarray(sections[end].c, float)
            d = _unit(sections[end].n)
            d = d if d @ (np.asarray(sections[nb].c, float) - c) > 0 else -d
            solid = _o.keep_below(solid, c + inset * d, -d)
    return solid


def slab_path(points, dims, inset: float = 0.0, xdir=(0.0, 0.0, 1.0), p: float = 3.0,
              cap_ends: bool = True):
    """`slab_loft` along a polyline: dims[i] = (a, bp, bm) or (a, b) at points[i], the section
    normals along the polyline's tangents (central differences); xdir: one direction or one
    per point."""
    P = np.asarray(points, float)
    T = np.gradient(P, axis=0)
    X = np.broadcast_to(np.asarray(xdir, float), P.shape)
    secs = []
    for i in range(len(P)):
        dm = tuple(dims[i])
        a, bp, bm = (dm[0], dm[1], dm[1]) if len(dm) == 2 else dm
        secs.append(Slab(tuple(P[i]), tuple(T[i]), a, bp, bm, tuple(X[i]), p))
    return slab_loft(secs, inset, cap_ends)


def slab_outline(s: Slab, k: int = 720) -> tuple[np.ndarray, np.ndarray]:
    """(points (k, 3), outward unit normals (k, 3)) of a section's ideal outline, finely
    sampled: where a builder needs a section's extent (e.g. a lamina's front on the midline)."""
    F = frame(s.n, s.xdir)
    t = np.linspace(0.0, 2 * np.pi, k, endpoint=False)
    ct, st = np.cos(t), np.sin(t)
    e = 2.0 / s.p
    u = s.a * np.sign(ct) * np.abs(ct) ** e
    v = np.where(st >= 0, s.bp, s.bm) * np.sign(st) * np.abs(st) ** e
    x = np.asarray(s.c, float) + u[:, None] * F[:, 0] + v[:, None] * F[:, 1]
    d = np.gradient(x, axis=0)
    nrm = np.cross(d, F[:, 2])  # the outline runs counter-clockwise about n: d x n points out
    return x, nrm / np.linalg.norm(nrm, axis=1)[:, None]
