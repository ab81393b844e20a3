"""Orthotropic and fully anisotropic linear elasticity, and material orientations.

A material's stiffness `C` (6x6, MPa) is given in its own axes 1, 2, 3 in our Voigt order
(11, 22, 33, 12, 23, 13, engineering shear strains). CalculiX's D_IJKL with S_IJ = D_IJKL E_KL
(nine terms a row) maps onto it term for term: D1212 multiplies E12 + E21 = gamma12, so
C[3, 3] = D1212 and C[0, 3] = D1112. An `Orientation` (CalculiX *ORIENTATION) gives the material
axes in global coordinates: RECTANGULAR from two points a, b (axis 1 along a, axis 2 in the plane
of a and b, axis 3 = 1 x 2); CYLINDRICAL from two points a, b on the cylinder axis (axis 3 from a
to b, axis 1 radial through the point considered, axis 2 = 3 x 1), so a cylindrical system
varies through the body and is evaluated at every quadrature point, as CalculiX does. Without an
orientation the material axes are the global axes. Stresses are always reported in global axes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError

ENGINEERING_NAMES = ("E1", "E2", "E3", "nu12", "nu13", "nu23", "G12", "G13", "G23")
ORTHO_NAMES = ("D1111", "D1122", "D2222", "D1133", "D2233", "D3333", "D1212", "D1313", "D2323")
ANISO_NAMES = ("D1111", "D1122", "D2222", "D1133", "D2233", "D3333", "D1112", "D2212", "D3312",
               "D1212", "D1113", "D2213", "D3313", "D1213", "D1313", "D1123", "D2223", "D3323",
               "D1223", "D1323", "D2323")
_VOIGT = {"11": 0, "22": 1, "33": 2, "12": 3, "23": 4, "13": 5}
_PAIRS = np.array([(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)])  # Voigt index -> (i, j)


@dataclass(frozen=True, eq=False)
class AnisotropicElastic:
    """Linear elastic material with stiffness C (6x6, MPa) in its own axes.

    kind: how it was given ("engineering", "ortho" or "aniso"), with `constants` in CalculiX's
    order for that kind (`export` writes them back unchanged).
    """

    name: str
    kind: str
    constants: tuple[float, ...]
    yield_MPa: float | None = None
    library: str | None = None
    C: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        names = {"engineering": ENGINEERING_NAMES, "ortho": ORTHO_NAMES,
                 "aniso": ANISO_NAMES}[self.kind]
        vals = np.asarray(self.constants, float)
        if len(vals) != len(names):
            raise ConfigError(f"material '{self.name}': {self.kind} elasticity needs "
                              f"{len(names)} constants ({', '.join(names)}), got {len(vals)}")
        bad = [n for n, v in zip(names, vals) if not np.isfinite(v)]
        if bad:
            raise ConfigError(f"material '{self.name}': {', '.join(bad)} not finite")
        C = _engineering(self.name, vals) if self.kind == "engineering" else _from_D(names, vals)
        ev = np.linalg.eigvalsh(C)
        if ev[0] <= 1e-12 * abs(ev[-1]):
            raise ConfigError(
                f"material '{self.name}': the {self.kind} constants give a stiffness that is not "
                f"positive definite (smallest eigenvalue {ev[0]:.4g} MPa): no elastic solid has "
                "them; check the constants and their order "
                f"({', '.join(names)})")
        object.__setattr__(self, "C", C)

    def D(self) -> np.ndarray:
        """The stiffness in the material's axes (what a section without orientation uses)."""
        return self.C.copy()

    @property
    def E(self) -> float:
        """Smallest of the three axial Young's moduli: a modulus scale (contact penalties,
        summaries), never used for the stiffness itself."""
        return float(1.0 / np.diag(np.linalg.inv(self.C))[:3].max())

    @property
    def nu(self) -> float:
        """Largest Poisson contraction -S_ij/S_ii of the material axes (summaries only)."""
        S = np.linalg.inv(self.C)
        return float(max(-S[i, j] / S[i, i] for i in range(3) for j in range(3) if i != j))

    def scaled(self, factor: float) -> "AnisotropicElastic":
        """The material with every modulus times factor (Poisson's ratios kept)."""
        f = [1.0 if n.startswith("nu") else factor for n in ENGINEERING_NAMES] \
            if self.kind == "engineering" else [factor] * len(self.constants)
        return AnisotropicElastic(self.name, self.kind,
                                  tuple(c * k for c, k in zip(self.constants, f)),
                                  self.yield_MPa, self.library)

    def engineering_constants(self) -> dict[str, float]:
        """E1..G23 of the material axes (for an orthotropic C; the shear terms of an
        anisotropic one are its compliance's diagonal)."""
        S = np.linalg.inv(self.C)
        return {k: float(v) for k, v in {
            "E1": 1 / S[0, 0], "E2": 1 / S[1, 1], "E3": 1 / S[2, 2],
            "nu12": -S[0, 1] / S[0, 0], "nu13": -S[0, 2] / S[0, 0], "nu23": -S[1, 2] / S[1, 1],
            "G12": 1 / S[3, 3], "G13": 1 / S[5, 5], "G23": 1 / S[4, 4]}.items()}


def _engineering(name: str, v: np.ndarray) -> np.ndarray:
    E1, E2, E3, n12, n13, n23, G12, G13, G23 = v
    bad = [n for n, x in zip(ENGINEERING_NAMES, v) if n[0] in "EG" and not x > 0]
    if bad:
        raise ConfigError(f"material '{name}': {', '.join(bad)} must be > 0 MPa")
    S = np.zeros((6, 6))
    S[0, 0], S[1, 1], S[2, 2] = 1 / E1, 1 / E2, 1 / E3
    S[0, 1] = S[1, 0] = -n12 / E1  # nu21 / E2 = nu12 / E1 (symmetry)
    S[0, 2] = S[2, 0] = -n13 / E1
    S[1, 2] = S[2, 1] = -n23 / E2
    S[3, 3], S[4, 4], S[5, 5] = 1 / G12, 1 / G23, 1 / G13
    ev = np.linalg.eigvalsh(S)
    if ev[0] <= 1e-12 * ev[-1]:
        raise ConfigError(
            f"material '{name}': E1..G23 give a compliance that is not positive definite "
            f"(Poisson's ratios too large for the moduli: need nu_ij^2 < E_i/E_j and "
            f"1 - nu12 nu21 - nu23 nu32 - nu13 nu31 - 2 nu21 nu32 nu13 > 0)")
    return np.linalg.inv(S)


def _from_D(names: tuple[str, ...], v: np.ndarray) -> np.ndarray:
    C = np.zeros((6, 6))
    for n, x in zip(names, v):
        i, j = _VOIGT[n[1:3]], _VOIGT[n[3:5]]
        C[i, j] = C[j, i] = x
    return C


def ortho_constants(C: np.ndarray) -> tuple[float, ...]:
    """The nine D_IJKL of an orthotropic C, in CalculiX's ORTHO order."""
    return tuple(float(C[_VOIGT[n[1:3]], _VOIGT[n[3:5]]]) for n in ORTHO_NAMES)


def aniso_constants(C: np.ndarray) -> tuple[float, ...]:
    """The 21 D_IJKL of C, in CalculiX's ANISO order."""
    return tuple(float(C[_VOIGT[n[1:3]], _VOIGT[n[3:5]]]) for n in ANISO_NAMES)


# ---------------------------------------------------------------- orientations
@dataclass(frozen=True, eq=False)
class Orientation:
    """Material axes: CalculiX's *ORIENTATION (see the module docstring for a and b).

    rotation: (local axis 1..3, angle in degrees) of CalculiX's optional second line, an extra
    right-handed rotation of a rectangular system about one of its own axes.
    """

    name: str
    system: str  # "rectangular" | "cylindrical"
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    rotation: tuple[int, float] | None = None

    def __post_init__(self):
        a, b = np.asarray(self.a, float), np.asarray(self.b, float)
        if self.system not in ("rectangular", "cylindrical"):
            raise ConfigError(f"orientation '{self.name}': system '{self.system}' is not "
                              "'rectangular' or 'cylindrical'")
        if a.shape != (3,) or b.shape != (3,) or not (np.isfinite(a).all() and
                                                      np.isfinite(b).all()):
            raise ConfigError(f"orientation '{self.name}': a and b are two points (x, y, z)")
        if self.system == "rectangular":
            if np.linalg.norm(a) == 0 or np.linalg.norm(np.cross(a, b)) <= 1e-12 * \
                    np.linalg.norm(a) * np.linalg.norm(b):
                raise ConfigError(f"orientation '{self.name}': a must be non-zero and b not "
                                  "parallel to it (a gives axis 1, b the 1-2 plane)")
        else:
            if np.linalg.norm(b - a) == 0:
                raise ConfigError(f"orientation '{self.name}': a and b are the same point; "
                                  "they must be two points on the cylinder's axis")
            if self.rotation is not None:
                raise ConfigError(f"orientation '{self.name}': an additional rotation is only "
                                  "allowed for rectangular systems (as in CalculiX)")
        if self.rotation is not None and self.rotation[0] not in (1, 2, 3):
            raise ConfigError(f"orientation '{self.name}': the rotation axis is 1, 2 or 3")

    @property
    def varies(self) -> bool:
        """True when the axes depend on the point (cylindrical)."""
        return self.system == "cylindrical"

    def axes(self, points: np.ndarray | None = None, cells: np.ndarray | None = None
             ) -> np.ndarray:
        """R (n, 3, 3), columns the material axes 1, 2, 3 in global coordinates, at points
        (n, 3) (a rectangular system: n = 1 when points is None). cells: the element of each
        point, read by a distributed orientation only."""
        n = 1 if points is None else len(points)
        a = np.broadcast_to(np.asarray(self.a, float), (n, 3))
        b = np.broadcast_to(np.asarray(self.b, float), (n, 3))
        return frames(self.system, a, b, self.rotation, points)


@dataclass(frozen=True, eq=False)
class DistributedOrientation(Orientation):
    """Per-element material axes (CalculiX *DISTRIBUTION named on an *ORIENTATION line): element
    `cells[k]` (mesh index) takes the points `ab[k]` (a1, a2, a3, b1, b2, b3); every other element
    of a section using it takes the distribution's first entry, `a` and `b` (CalculiX's rule).
    System and rotation are the orientation's, applied to every entry."""

    cells: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ab: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))
    distribution: str = ""

    @property
    def varies(self) -> bool:
        return True

    def axes(self, points: np.ndarray | None = None, cells: np.ndarray | None = None
             ) -> np.ndarray:
        if points is None or cells is None:
            raise ConfigError(f"orientation '{self.name}': its axes differ per element "
                              f"(distribution '{self.distribution}'); give the points' elements")
        cells = np.asarray(cells, np.int64)
        n_cells = max(int(self.cells.max(initial=-1)), int(cells.max(initial=-1))) + 1
        entry = np.full(n_cells, -1)
        entry[self.cells] = np.arange(len(self.cells))
        k = entry[cells]
        ab = np.where((k >= 0)[:, None], self.ab[np.maximum(k, 0)],
                      np.array([*self.a, *self.b], float))
        return frames(self.system, ab[:, :3], ab[:, 3:], self.rotation, points)


def frames(system: str, a: np.ndarray, b: np.ndarray, rotation, points) -> np.ndarray:
    """R (n, 3, 3) of CalculiX's transformatrix.f for per-point a, b (n, 3); a cylindrical
    system needs the points (n, 3)."""
    if system == "rectangular":
        e1 = a / np.linalg.norm(a, axis=1)[:, None]
        e2 = b - np.einsum("ij,ij->i", b, e1)[:, None] * e1
        e2 /= np.linalg.norm(e2, axis=1)[:, None]
        R = np.stack([e1, e2, np.cross(e1, e2)], axis=2)
        if rotation is not None:
            R = _rodrigues(R[:, :, rotation[0] - 1], np.radians(rotation[1])) @ R
        return R
    e3 = (b - a) / np.linalg.norm(b - a, axis=1)[:, None]
    r = np.asarray(points, float) - a
    r = r - np.einsum("ij,ij->i", r, e3)[:, None] * e3
    norm = np.linalg.norm(r, axis=1)
    on_axis = norm < 1e-10  # CalculiX's absolute test (transformatrix.f)
    if on_axis.any():
        r[on_axis] = ccx_on_axis(e3[on_axis])
        norm[on_axis] = 1.0
    e1 = r / norm[:, None]
    return np.stack([e1, np.cross(e3, e1), e3], axis=2)


def ccx_on_axis(e3: np.ndarray) -> np.ndarray:
    """The radial directions (n, 3) CalculiX takes at points on a cylindrical system's axis
    (transformatrix.f, for *ORIENTATION and *TRANSFORM alike) for unit axes e3 (n, 3): a unit
    vector normal to e3 chosen from e3's first non-zero component."""
    e3 = np.atleast_2d(e3)
    x, y, z = e3[:, 0], e3[:, 1], e3[:, 2]
    use_x, use_y = np.abs(x) > 1e-10, np.abs(y) > 1e-10
    safe = lambda v: np.where(np.abs(v) > 1e-10, v, 1.0)  # noqa: E731
    one, zero = np.ones_like(x), np.zeros_like(x)
    e1 = np.where(use_x[:, None], np.stack([-y / safe(x), one, zero], 1),
                  np.where(use_y[:, None], np.stack([zero, -z / safe(y), one], 1),
                           np.stack([one, zero, -x / safe(z)], 1)))
    return e1 / np.linalg.norm(e1, axis=1)[:, None]


def _rodrigues(p: np.ndarray, t: float) -> np.ndarray:
    """(n, 3, 3) right-handed rotations by t about the unit axes p (n, 3)."""
    K = np.zeros((len(p), 3, 3))
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -p[:, 2], p[:, 1], -p[:, 0]
    K[:, 1, 0], K[:, 2, 0], K[:, 2, 1] = p[:, 2], -p[:, 1], p[:, 0]
    return np.eye(3) + np.sin(t) * K + (1 - np.cos(t)) * K @ K


def strain_transform(R: np.ndarray) -> np.ndarray:
    """T (n, 6, 6) taking global engineering strains to the material axes' (columns of R)."""
    Q = np.swapaxes(R, 1, 2)  # rows: material axes
    i, j = _PAIRS[:, 0][:, None], _PAIRS[:, 1][:, None]  # local component (rows)
    k, l = _PAIRS[:, 0][None, :], _PAIRS[:, 1][None, :]  # global component (columns)
    # eps_loc_ij = sum_kl Q_ik Q_jl eps_kl; a global shear column carries gamma = eps_kl + eps_lk
    T = 0.5 * (Q[:, i, k] * Q[:, j, l] + Q[:, i, l] * Q[:, j, k])
    T[:, 3:, :] *= 2.0  # local shear rows are gamma = 2 eps
    return T


def rotate_stiffness(C: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Global stiffness (n, 6, 6) of material stiffness C with axes R (n, 3, 3): T^T C T."""
    T = strain_transform(R)
    return np.einsum("nki,kl,nlj->nij", T, C, T)
