"""Assembling a construct from overlapping solids into one conforming gmsh model.

Every solid is added with the body and region it belongs to and a priority. One OCC `fragment` of
all of them splits space into pieces that share their faces (so the mesh is conforming and every
contact surface is a pair of coincident faces); each piece then goes to the highest-priority solid
that contains it. That one rule carves screw holes out of bone and implants, the cancellous core out
of the cortical shell, and a void (e.g. a graft window) out of everything, without any explicit cut.

Naming (physical groups, see docs/constructs.md):
- cell sets: every region (e.g. `C3_cortical`) and every body with more than one region (`C3`);
- face sets: `A|B` for the faces where bodies A and B touch (names sorted, both sides), `a|b` for
  region pairs of different bodies where that differs from the body pair, and named features
  (endplates, facets) on one body;
- one side of an interface is written `X|Y@X` in model files (fea.config's SURFACE@SELECTOR:
  the faces of `X|Y` whose element lies in cell set or body `X`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import MeshError

log = logging.getLogger(__name__)
ROLES = ("bone", "implant", "hardware", "soft_tissue", "other")


@dataclass
class Part:
    body: str | None  # None: a void, removed after the fragment
    region: str
    role: str
    priority: int
    dimtags: list
    # cavity_of: the part has no solid of its own; after the fragment it fills the cavity of
    # that region's volume (Assembly.fill)
    cavity_of: str | None = None
    # touches: the bodies this part touches or reaches into (see Assembly.add)
    touches: tuple[str, ...] = ()


@dataclass
class Feature:
    """A named planar surface of one body: plane (point, normal) and a box holding its centre,
    both in the body's local frame (before the placement transform)."""

    name: str
    body: str
    point: np.ndarray
    normal: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    to_local: np.ndarray = field(default_factory=lambda: np.eye(4))


@dataclass
class Site:
    """A named attachment site: the faces of `body`'s outer surface whose centre lies within
    `radius` of `point` and (if `facing` is given) whose outward normal has a component above
    `min_cos` along it; `touching`: instead, the faces `body` shares with that body;
    `apart_from`: leave out the faces `body` shares with that body (a capsule's band around the
    articular surface)."""

    name: str
    body: str
    point: np.ndarray
    radius: float
    facing: np.ndarray | None = None
    touching: str | None = None
    apart_from: str | None = None
    min_cos: float = 0.2


def _rotation(axis, angle_deg: float) -> np.ndarray:
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    t = np.radians(angle_deg)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(t) * K + (1 - np.cos(t)) * K @ K


class Assembly:
    def __init__(self, name: str):
        self.name = name
        self.parts: list[Part] = []
        self.features: list[Feature] = []
        self.sites: list[Site] = []
        self.volumes: dict[int, tuple[str, str]] = {}  # volume tag -> (body, region), after build
        self.roles: dict[str, str] = {}
        self.thin: dict[str, float] = {}  # region -> wall thickness (mm) of thin-walled regions
        self._frame = np.eye(4)  # local -> global of parts being added
        # fuse each region's pieces after the fragment (see _merge_regions); a construct whose
        # pieces meet only on conforming faces may turn it off (the fuses and the second
        # fragment of the spline anatomy took minutes)
        self.merge_regions = True

    # ----------------------------------------------------------------- adding
    def add(self, body: str, region: str, solids, priority: int, role: str,
            thickness: float | None = None, touches: tuple[str, ...] = ()) -> None:
        """thickness: for thin-walled regions (a cortical shell, an implant wall), so that the
        mesher resolves their curved faces finely enough not to cut through the wall.
        touches: the bodies (its own included, if its other parts overlap it) this part touches
        or reaches into. Once any part names them, the assembly fragments each such part with
        those bodies only, one body at a time, instead of everything with everything: the
        builder promises that the other parts neither touch nor overlap (the bones of the
        column, whose spline surfaces OCC would otherwise test pairwise for a minute)."""
        if thickness:
            self.thin[region] = min(thickness, self.thin.get(region, thickness))
        if role not in ROLES:
            raise ValueError(f"unknown role {role}")
        if self.roles.setdefault(body, role) != role:
            raise ValueError(f"body {body} given two roles")
        if solids:
            self.parts.append(Part(body, region, role, priority, list(solids),
                                   touches=tuple(touches)))

    def fill(self, body: str, region: str, of_region: str, priority: int, role: str) -> None:
        """A region that fills the cavity of `of_region`'s volume (a cancellous core inside a
        cortical shell made with a cavity, `Bone.hollow`), made after the fragment from the
        shell's inner faces as they are then. The core stays out of the fragment: OCC would
        otherwise test every face of the shell's outer surface against the near-parallel core
        faces 0.5 mm away (minutes for the spline bones), and the fragment gives the shell new
        inner faces even where nothing touches them, so a core made before would no longer
        share them."""
        if self.roles.setdefault(body, role) != role:
            raise ValueError(f"body {body} given two roles")
        self.parts.append(Part(body, region, role, priority, [], cavity_of=of_region))

    def add_void(self, solids, priority: int) -> None:
        if solids:
            self.parts.append(Part(None, "void", "other", priority, list(solids)))

    def feature(self, name: str, body: str, point, normal, lo, hi) -> None:
        self.features.append(Feature(name, body, np.asarray(point, float),
                                     np.asarray(normal, float) / np.linalg.norm(normal),
                                     np.asarray(lo, float), np.asarray(hi, float),
                                     np.linalg.inv(self._frame)))

    def site(self, name: str, body: str, point, radius: float, facing=None,
             touching: str | None = None, apart_from: str | None = None,
             min_cos: float = 0.2) -> None:
        f = None if facing is None else np.asarray(facing, float) / np.linalg.norm(facing)
        self.sites.append(Site(name, body, np.asarray(point, float), float(radius), f, touching,
                               apart_from, float(min_cos)))

    @contextlib.contextmanager
    def placed(self, rotate_about=None, axis=(1.0, 0.0, 0.0), angle_deg: float = 0.0):
        """Parts and features added inside are rotated about a point (e.g. C1 on wedge cages)."""
        start = len(self.parts)
        old = self._frame
        M = np.eye(4)
        if angle_deg and rotate_about is not None:
            R = _rotation(axis, angle_deg)
            c = np.asarray(rotate_about, float)
            M[:3, :3] = R
            M[:3, 3] = c - R @ c
        self._frame = M @ old
        try:
            yield M
        finally:
            self._frame = old
        if angle_deg and rotate_about is not None:
            from .occ import rotate

            for p in self.parts[start:]:
                rotate(p.dimtags, rotate_about, axis, angle_deg)

    def to_global(self, x) -> np.ndarray:
        """A point given in the current local frame, in the global frame."""
        return (self._frame @ np.append(np.asarray(x, float), 1.0))[:3]

    def dir_to_global(self, d) -> np.ndarray:
        return self._frame[:3, :3] @ np.asarray(d, float)

    # ----------------------------------------------------------------- building
    def build(self) -> None:
        """Fragment everything, give each piece its owner, create the physical groups."""
        import gmsh

        occ = gmsh.model.occ
        frag = [i for i, p in enumerate(self.parts) if p.dimtags]
        inputs = [dt for i in frag for dt in self.parts[i].dimtags]
        owner_of_input = [i for i in frag for _ in self.parts[i].dimtags]
        if not inputs:
            raise MeshError(f"{self.name}: nothing to mesh")
        members = self._fragment_locally(frag) if any(self.parts[i].touches for i in frag) \
            else self._fragment_all(inputs, owner_of_input)
        best: dict[int, int] = {}
        for tag, parts in members.items():
            # highest priority wins; ties go to the part added last (deterministic)
            best[tag] = max(parts, key=lambda pi: (self.parts[pi].priority, pi))
        best.update(self._fill_cavities(best))
        voids = sorted(t for t, pi in best.items() if self.parts[pi].body is None)
        if voids:
            occ.remove([(3, t) for t in voids], recursive=True)
        owner = {t: (self.parts[pi].body, self.parts[pi].region)
                 for t, pi in sorted(best.items()) if self.parts[pi].body is not None}
        self.volumes = self._merge_regions(owner) if self.merge_regions else owner
        occ.synchronize()
        present = {t for _, t in gmsh.model.getEntities(3)}
        self.volumes = {t: v for t, v in self.volumes.items() if t in present}
        self._groups()

    def _fill_cavities(self, best: dict[int, int]) -> dict[int, int]:
        """{new volume: filling part} for the parts made by `fill`."""
        import gmsh

        occ = gmsh.model.occ
        out: dict[int, int] = {}
        for i, p in enumerate(self.parts):
            if p.cavity_of is None:
                continue
            shells = [t for t, pi in sorted(best.items()) if self.parts[pi].region == p.cavity_of]
            cavities = []
            for t in shells:
                _, loops = occ.getSurfaceLoops(t)
                # the outer loop encloses the others: the largest bounding box
                size = [np.ptp(np.array([occ.getBoundingBox(2, int(f)) for f in lp]).reshape(
                    -1, 2, 3), axis=(0, 1)).sum() for lp in loops]
                outer = int(np.argmax(size))
                cavities += [lp for k, lp in enumerate(loops) if k != outer]
            if not cavities:
                raise MeshError(f"{self.name}: region '{p.region}' fills the cavity of "
                                f"'{p.cavity_of}', which has none after the fragment")
            for lp in cavities:
                out[occ.addVolume([occ.addSurfaceLoop([int(f) for f in lp])])] = i
        return out

    @staticmethod
    def _fragment_all(inputs: list, owner_of_input: list[int]) -> dict[int, set[int]]:
        """One OCC fragment of all inputs: {piece: the parts that contain it}."""
        import gmsh

        if len(inputs) < 2:
            return {t: {owner_of_input[k]} for k, (_, t) in enumerate(inputs)}
        _, out_map = gmsh.model.occ.fragment(inputs, [])
        members: dict[int, set[int]] = {}
        for k, pieces in enumerate(out_map):
            for dim, tag in pieces:
                if dim == 3:
                    members.setdefault(tag, set()).add(owner_of_input[k])
        return members

    def _fragment_locally(self, frag: list[int]) -> dict[int, set[int]]:
        """Fragment each part that names the bodies it touches with each of them in turn
        (parts in the order added, bodies in the order given): {piece: the parts that
        contain it}. Same parts, same order: same pieces."""
        import gmsh

        occ = gmsh.model.occ
        members = {t: {i} for i in frag for _, t in self.parts[i].dimtags}
        for i in frag:
            for body in self.parts[i].touches:
                group = {j for j in frag if self.parts[j].body == body} | {i}
                tags = sorted(t for t, m in members.items() if m & group)
                if len(tags) < 2:
                    continue
                t0 = time.perf_counter()
                _, out_map = occ.fragment([(3, t) for t in tags], [])
                log.debug("%s: fragment %s with %s (%d solids): %.1f s", self.name,
                          self.parts[i].region, body, len(tags), time.perf_counter() - t0)
                old = {t: members.pop(t) for t in tags}
                for t, pieces in zip(tags, out_map):
                    for dim, tag in pieces:
                        if dim == 3:
                            members.setdefault(tag, set()).update(old[t])
        return members

    def _merge_regions(self, owner: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
        """Fuse the pieces of each region (dropping the construction faces the fragment left
        inside it, e.g. the end of a pedicle bar inside the vertebral body, which would cut a
        screw passing there into slivers), then fragment again so neighbours share faces."""
        import gmsh

        occ = gmsh.model.occ
        by_region: dict[tuple[str, str], list[int]] = {}
        for t, key in sorted(owner.items()):
            by_region.setdefault(key, []).append(t)
        merged: list[tuple[tuple[str, str], int]] = []
        for key, tags in by_region.items():
            if len(tags) == 1:
                merged.append((key, tags[0]))
                continue
            out, _ = occ.fuse([(3, tags[0])], [(3, t) for t in tags[1:]])
            merged += [(key, t) for d, t in out if d == 3]
        if len(merged) < 2:
            return {t: key for key, t in merged}
        _, out_map = occ.fragment([(3, t) for _, t in merged], [])
        result: dict[int, tuple[str, str]] = {}
        for (key, _), pieces in zip(merged, out_map):
            for d, t in pieces:
                if d == 3:
                    result[t] = key
        return result

    def bodies(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for body, region in self.volumes.values():
            regs = out.setdefault(body, [])
            if region not in regs:
                regs.append(region)
        return out

    def _groups(self) -> None:
        import gmsh

        regions: dict[str, list[int]] = {}
        bodies: dict[str, list[int]] = {}
        for t, (body, region) in self.volumes.items():
            regions.setdefault(region, []).append(t)
            bodies.setdefault(body, []).append(t)
        for name, tags in sorted(regions.items()):
            gmsh.model.addPhysicalGroup(3, tags, name=name)
        for name, tags in sorted(bodies.items()):
            if name not in regions:
                gmsh.model.addPhysicalGroup(3, tags, name=name)
        self.interfaces = self._interface_surfaces()
        for name, tags in sorted(self.interfaces.items()):
            gmsh.model.addPhysicalGroup(2, sorted(tags), name=name)
        for name, tags in sorted(self._feature_surfaces().items()):
            if not tags:
                raise MeshError(f"{self.name}: the named surface '{name}' was not found in the "
                                "geometry (a part moved off its plane?)")
            gmsh.model.addPhysicalGroup(2, sorted(tags), name=name)

    def _interface_surfaces(self) -> dict[str, set[int]]:
        import gmsh

        out: dict[str, set[int]] = {}
        for _, s in gmsh.model.getEntities(2):
            up, _ = gmsh.model.getAdjacencies(2, s)
            vols = [int(v) for v in up if int(v) in self.volumes]
            if len(vols) != 2:
                continue
            (ba, ra), (bb, rb) = self.volumes[vols[0]], self.volumes[vols[1]]
            if ba == bb:
                continue
            body_name = "|".join(sorted((ba, bb)))
            out.setdefault(body_name, set()).add(s)
            reg_name = "|".join(sorted((ra, rb)))
            if reg_name != body_name:
                out.setdefault(reg_name, set()).add(s)
        # a region-pair set equal to its body-pair set adds nothing
        body_sets = {k: frozenset(v) for k, v in out.items()}
        for name in list(out):
            a, b = name.split("|")
            if a in self.bodies() and b in self.bodies():
                continue
            ba = self._body_of_region(a)
            bb = self._body_of_region(b)
            bn = "|".join(sorted((ba, bb)))
            if body_sets.get(bn) == frozenset(out[name]):
                del out[name]
        return out

    def _body_of_region(self, region: str) -> str:
        for body, r in self.volumes.values():
            if r == region:
                return body
        return region

    def _feature_surfaces(self) -> dict[str, list[int]]:
        import gmsh

        out: dict[str, list[int]] = {f.name: [] for f in self.features}
        body_surfs: dict[str, list[int]] = {}
        for t, (body, _) in self.volumes.items():
            for _, s in gmsh.model.getBoundary([(3, t)], oriented=False, combined=False):
                body_surfs.setdefault(body, []).append(abs(int(s)))
        info = {}
        for f in self.features:
            for s in sorted(set(body_surfs.get(f.body, []))):
                if s not in info:
                    info[s] = _plane_info(s)
                c, n = info[s]
                if n is None:
                    continue
                cl = (f.to_local @ np.append(c, 1.0))[:3]
                nl = f.to_local[:3, :3] @ n
                if abs(abs(nl @ f.normal) - 1.0) > 1e-3:
                    continue
                if abs(f.normal @ (cl - f.point)) > 1e-3:
                    continue
                if np.all(cl >= f.lo - 1e-6) and np.all(cl <= f.hi + 1e-6):
                    out[f.name].append(s)
        return out


def _plane_info(s: int):
    """(centre of mass, unit normal) of a planar surface; normal None if not planar."""
    import gmsh

    if gmsh.model.getType(2, s) != "Plane":
        return None, None  # its centre of mass (an integral over a spline face) is not needed
    c = np.array(gmsh.model.occ.getCenterOfMass(2, s))
    uv = gmsh.model.getParametrization(2, s, list(c))
    n = np.array(gmsh.model.getNormal(s, uv))
    return c, n / np.linalg.norm(n)
