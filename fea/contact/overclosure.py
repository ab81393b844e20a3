"""CalculiX's nonlinear pressure-overclosure laws for face-to-face contact (*SURFACE BEHAVIOR,
PRESSURE-OVERCLOSURE=EXPONENTIAL / TABULAR), one class per law in a registry, vectorised over the
points of an interface.

h = -g_n is the overclosure (mm, > 0 where the surfaces overlap). As in ccx 2.20's face-to-face
contact (springforc_f2f.f, gencontelem_f2f.f), a point carries pressure only while it is closed
(h >= 0): an open point carries none, whatever the law says at a positive clearance.
  - exponential (c0, p0): p = p0 exp(beta h), beta = ln(100) / c0 (ccx reads c0 as the clearance
    at which the pressure has fallen to 1 % of p0). A closed point carries at least p0, so p0 is
    a contact pressure threshold, not a stiffness: choose it below the pressures expected.
  - tabular ((p_i, h_i) pairs, h ascending): p interpolated linearly in h; below the first
    overclosure the first pressure, beyond the last the last pressure (ccx's ident/lookup: no
    extrapolation, so the table must reach past the largest overclosure expected).
The linear law (slope K) and the tied law (slope K in tension and compression, stick slope
unbounded) are Interface.penalty; the driver (fea.contact.term, law.py) solves them all.
Each law gives p(h), dp/dh and the potential P(h) = int_0^h p, so that the driver's line search
minimises a convex energy (p must not fall with h: checked where the law is made).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class Exponential:
    c0_mm: float  # clearance at which p = p0 / 100
    p0_MPa: float  # pressure at zero overclosure
    kind = "exponential"

    def __post_init__(self):
        if not self.c0_mm > 0:
            raise ValueError(f"c0 = {self.c0_mm} mm: must be > 0")
        if not self.p0_MPa > 0:
            raise ValueError(f"p0 = {self.p0_MPa} MPa: must be > 0")

    @property
    def beta(self) -> float:
        return np.log(100.0) / self.c0_mm

    def pressure(self, h):
        return self.p0_MPa * np.exp(self.beta * h)

    def slope(self, h):
        return self.beta * self.pressure(h)

    def energy(self, h):
        return (self.pressure(h) - self.p0_MPa) / self.beta

    def reference_slope(self) -> float:
        return self.beta * self.p0_MPa

    def deck(self) -> tuple[str, list[list[float]]]:
        return "EXPONENTIAL", [[self.c0_mm, self.p0_MPa]]


@dataclass(frozen=True)
class Tabular:
    pressure_MPa: tuple[float, ...]
    overclosure_mm: tuple[float, ...]
    kind = "tabular"
    _cum: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        p, h = np.asarray(self.pressure_MPa, float), np.asarray(self.overclosure_mm, float)
        if len(p) != len(h) or len(p) < 2:
            raise ValueError("the table needs equally many pressures and overclosures, at "
                             "least 2 pairs")
        if np.any(np.diff(h) <= 0):
            raise ValueError(f"overclosures {h.tolist()} mm: must rise strictly")
        if h[0] < 0:
            raise ValueError(f"first overclosure {h[0]} mm: must be >= 0 (an open point carries "
                             "no pressure)")
        if p[0] < 0 or np.any(np.diff(p) < 0):
            raise ValueError(f"pressures {p.tolist()} MPa: must be >= 0 and must not fall with "
                             "the overclosure (a softening interface has no convex energy)")
        if p[-1] <= 0:
            raise ValueError("the table's pressures are all zero: it carries nothing")
        # P(h_i) = int_0^{h_i} p: the constant first pressure up to h_0, trapezoids after
        cum = np.concatenate([[p[0] * h[0]], p[0] * h[0] + np.cumsum(0.5 * (p[1:] + p[:-1])
                                                                      * np.diff(h))])
        object.__setattr__(self, "_cum", cum)

    def _arrays(self):
        return np.asarray(self.pressure_MPa, float), np.asarray(self.overclosure_mm, float)

    def pressure(self, h):
        p, x = self._arrays()
        return np.interp(h, x, p)  # constant beyond both ends, as ccx

    def slope(self, h):
        p, x = self._arrays()
        k = np.clip(np.searchsorted(x, h, side="right") - 1, 0, len(x) - 2)
        inside = (h >= x[0]) & (h < x[-1])
        return np.where(inside, (p[k + 1] - p[k]) / (x[k + 1] - x[k]), 0.0)

    def energy(self, h):
        p, x = self._arrays()
        k = np.clip(np.searchsorted(x, h, side="right") - 1, 0, len(x) - 1)
        before = h < x[0]
        pk = self.pressure(h)
        return np.where(before, p[0] * h, self._cum[k] + 0.5 * (p[k] + pk) * (h - x[k]))

    def reference_slope(self) -> float:
        p, x = self._arrays()
        return float(np.max(np.diff(p) / np.diff(x)))

    def deck(self) -> tuple[str, list[list[float]]]:
        return "TABULAR", [[a, b] for a, b in zip(self.pressure_MPa, self.overclosure_mm)]


LAWS = {"exponential": Exponential, "tabular": Tabular}  # the kinds a model file names


def from_deck(kind: str, rows: list[list[float]]):
    """The law of *SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=kind from its data lines (floats);
    ValueError says what is wrong."""
    if kind == "EXPONENTIAL":
        if len(rows) != 1 or len(rows[0]) < 2:
            raise ValueError("EXPONENTIAL needs one data line 'c0 (mm), p0 (MPa)'")
        return Exponential(rows[0][0], rows[0][1])
    if any(len(r) < 2 for r in rows):
        raise ValueError("TABULAR data lines are 'pressure (MPa), overclosure (mm)'")
    return Tabular(tuple(r[0] for r in rows), tuple(r[1] for r in rows))


class PointLaws:
    """The normal law at the points of the interfaces with a nonlinear pressure-overclosure law
    or a tied penalty law; law.evaluate applies it over the linear augmented-Lagrangian one."""

    def __init__(self, setup):
        iface = setup.interface_of_point
        self.groups = [(iface == k, info.overclosure) for k, info in enumerate(setup.infos)
                       if info.overclosure is not None]
        tied = np.array([i.law == "tied" and i.penalty is not None for i in setup.infos], bool)
        self.tied = tied[iface] if len(tied) else np.zeros(0, bool)

    @classmethod
    def of(cls, setup) -> PointLaws | None:
        laws = cls(setup)
        return laws if laws.groups or laws.tied.any() else None

    def apply(self, g_n, eps_n, closed, pressure, psi, kn):
        """Overwrite (in place) closed, pressure, normal potential and normal tangent where a
        nonlinear or tied law holds."""
        for sel, law in self.groups:
            h = -g_n[sel]
            c = h >= 0.0
            hc = np.maximum(h, 0.0)
            closed[sel] = c
            pressure[sel] = np.where(c, law.pressure(hc), 0.0)
            psi[sel] = np.where(c, law.energy(hc), 0.0)
            kn[sel] = np.where(c, law.slope(hc), 0.0)
        t = self.tied
        if t.any():  # p = -K g in tension and compression: always closed
            closed[t] = True
            pressure[t] = -eps_n[t] * g_n[t]
            psi[t] = 0.5 * eps_n[t] * g_n[t] ** 2
            kn[t] = eps_n[t]

