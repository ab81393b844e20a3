"""Force-elongation laws of ligament fibres, evaluated for all fibres at once (numba).

Each fibre f of a ligament carries a share w_f of the ligament's force at its own strain:
    x_f = c_f * (delta_f - s_f),     F_f = w_f * F_lig(x_f),     dF_f/ddelta_f = w_f c_f F_lig'(x_f)
delta_f (mm) is the fibre's elongation, s_f (mm) its slack (laxity > 0, or -prestrain * L0_f),
x the law's variable: a strain (c_f = 1/L0_f) or the ligament's elongation in mm
(c_f = L_lig / L0_f, 1 for a single fibre or a spring to ground).

Laws (kind codes of LawArrays.kind):
  0 toe-linear: F = K x^2 / (2 t) for 0 < x < t, K (x - t/2) beyond, 0 when slack. The toe is
    quadratic so the force and its slope are continuous at x = t (C1, monotone): Blankevoort &
    Huiskes 1991 J Biomech Eng 113:263, the usual ligament law of knee and spine models. t = 0
    gives a tension-only linear spring.
  1 table: piecewise linear through (x_i, F_i), C0 only, so that a CalculiX *SPRING, NONLINEAR
    table means the same here. Below x_0 the force stays F_0; beyond the last point it goes on
    with the last slope (extrapolate "linear") or stays (CalculiX: "constant"). At a kink the
    tangent is the slope of the segment the point lies in (the right one at a node).
  2 linear: F = K x in tension and compression (plain springs, elastic supports).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import ConfigError
from ..model import LigamentLaw

TOE_LINEAR, TABLE, LINEAR = 0, 1, 2
KINDS = {"toe_linear": TOE_LINEAR, "curve": TABLE, "linear": LINEAR}


@dataclass
class LawArrays:
    """Per-fibre law parameters (n fibres), flat so that one numba kernel evaluates them all."""

    kind: np.ndarray  # (n,) int64: 0 toe-linear, 1 table, 2 linear
    c: np.ndarray  # (n,) law variable per mm of elongation (1/L0 for strain laws)
    slack: np.ndarray  # (n,) mm of elongation before the law starts (negative: pre-strained)
    share: np.ndarray  # (n,) fraction of the ligament's force this fibre carries
    K: np.ndarray  # (n,) N per unit of the law variable (kinds 0 and 2)
    toe: np.ndarray  # (n,) end of the toe in the law variable (kind 0)
    table: np.ndarray  # (n,) int64 table index, -1 for none
    tab_start: np.ndarray  # (n_tables + 1,) offsets into tab_x / tab_f
    tab_x: np.ndarray  # concatenated table abscissae, ascending per table
    tab_f: np.ndarray  # concatenated forces, N (whole ligament)
    tab_linear: np.ndarray  # (n_tables,) bool: linear extrapolation beyond the last point

    @property
    def n(self) -> int:
        return len(self.kind)


def check_law(law: LigamentLaw, where: str) -> None:
    """Reject laws that cannot be evaluated, naming the ligament (where) and the key."""
    if law.kind not in KINDS:
        raise ConfigError(f"{where}: unknown law '{law.kind}' (use {', '.join(KINDS)})")
    if law.laxity and law.prestrain:
        raise ConfigError(f"{where}: give laxity_mm or prestrain, not both")
    if law.laxity < 0:
        raise ConfigError(f"{where}: laxity_mm must be >= 0 (use prestrain for initial tension)")
    if law.kind in ("toe_linear", "linear") and not law.stiffness > 0:
        raise ConfigError(f"{where}: stiffness_N_per_mm must be > 0")
    if law.kind == "toe_linear" and law.toe_strain < 0:
        raise ConfigError(f"{where}: toe_strain must be >= 0")
    if law.kind == "curve":
        x = np.asarray(law.curve_x, float)
        f = np.asarray(law.curve_force, float)
        if x.ndim != 1 or x.shape != f.shape or len(x) < 2:
            raise ConfigError(f"{where}: curve needs equally long 'strain' (or 'elongation_mm') "
                              "and 'force_N' lists of at least 2 points")
        if not np.all(np.isfinite(x)) or not np.all(np.isfinite(f)):
            raise ConfigError(f"{where}: curve values must be finite numbers")
        if np.any(np.diff(x) <= 0):
            i = int(np.flatnonzero(np.diff(x) <= 0)[0])
            raise ConfigError(f"{where}: curve points must have strictly ascending strain "
                              f"(point {i + 1} is not above point {i})")
    if law.failure_force is not None and not law.failure_force > 0:
        raise ConfigError(f"{where}: failure_force_N must be > 0")


def fibre_curve(law: LawArrays, i: int, n_toe: int = 8, reach: float = 10.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Fibre i's law as (elongation mm, force N) points, piecewise linear (for decks and plots).

    Exact for tables and linear springs; the quadratic toe is sampled at n_toe segments (force
    error at most K t / (8 n_toe^2) between samples). A linear continuation ends `reach` times
    the curve's span beyond its last point (CalculiX holds the force constant past a table).
    """
    k, c, s = int(law.kind[i]), float(law.c[i]), float(law.slack[i])
    if k == TABLE:
        j = int(law.table[i])
        x = law.tab_x[law.tab_start[j]:law.tab_start[j + 1]]
        if law.tab_linear[j]:
            x = np.append(x, x[-1] + reach * (x[-1] - x[0]))
    elif k == LINEAR:
        x = np.array([-1.0, 0.0, 1.0]) * reach / c
    else:
        t = float(law.toe[i])
        x = np.linspace(0.0, t, n_toe + 1) if t > 0 else np.array([0.0])
        x = np.append(x, x[-1] + reach * max(t, 0.1))
    delta = x / c + s
    f, _ = evaluate(_one(law, i, len(delta)), delta)
    return delta, f


def _one(law: LawArrays, i: int, m: int) -> LawArrays:
    """Fibre i's law repeated m times (to evaluate it at m elongations)."""
    pick = np.full(m, i)
    return LawArrays(law.kind[pick], law.c[pick], law.slack[pick], law.share[pick], law.K[pick],
                     law.toe[pick], law.table[pick], law.tab_start, law.tab_x, law.tab_f,
                     law.tab_linear)


def fibre_law_arrays(laws: list[LigamentLaw], lig_of_fibre: np.ndarray, L0: np.ndarray,
                     share: np.ndarray, lig_length: np.ndarray,
                     names: list[str] | None = None) -> LawArrays:
    """Per-fibre parameters from the ligaments' laws.

    lig_of_fibre (n,) ligament index; L0 (n,) fibre lengths, mm (nan for springs to ground);
    share (n,) force fractions (sum 1 per ligament); lig_length (n_lig,) the ligament's reference
    length L_lig (mm, nan for springs to ground) that converts its N/mm stiffness to N per strain.
    """
    lig = np.asarray(lig_of_fibre, np.int64)
    n = len(lig)
    kind = np.array([KINDS[law.kind] for law in laws], np.int64)[lig] if n else np.zeros(0, int)
    strain_law = np.array([law.kind == "toe_linear" or (law.kind == "curve"
                                                        and law.curve_unit == "strain")
                           for law in laws], bool)
    Llig = np.asarray(lig_length, float)
    grounded = ~np.isfinite(L0)
    bad = np.flatnonzero(grounded & strain_law[lig] & (np.array(
        [law.toe_strain > 0 or law.kind == "curve" for law in laws], bool)[lig]))
    if len(bad):
        j = int(lig[bad[0]])
        raise ConfigError(f"ligament '{names[j] if names else j}': a spring to ground has no "
                          "length, so its law cannot be a strain: give the curve in mm "
                          "(elongation_mm) or a stiffness without toe_strain")
    L0s = np.where(grounded, 1.0, L0)
    has_len = np.isfinite(Llig)[lig]  # False: a spring (some fibre without length)
    Ls = np.where(np.isfinite(Llig), Llig, 1.0)[lig]
    # elongation laws of a spring act on each fibre's own elongation (c = 1)
    c = np.where(strain_law[lig] & ~grounded, 1.0 / L0s, np.where(has_len, Ls / L0s, 1.0))
    c = np.where(grounded, 1.0, c)
    lax = np.array([law.laxity for law in laws], float)[lig]
    pre = np.array([law.prestrain for law in laws], float)[lig]
    # laxity is the ligament's slack length; each fibre is slack by the same strain
    slack = np.where(has_len, lax * L0s / Ls, lax) - pre * L0s
    stiff = np.array([law.stiffness for law in laws], float)[lig]
    # the ligament's N/mm becomes N per unit of the variable: x strain -> K L_lig
    K = np.where(strain_law[lig] & ~grounded, stiff * Ls, stiff)
    toe = np.array([law.toe_strain for law in laws], float)[lig]
    tables = [i for i, law in enumerate(laws) if law.kind == "curve"]
    table_of_lig = np.full(len(laws), -1, np.int64)
    table_of_lig[tables] = np.arange(len(tables))
    xs = [np.asarray(laws[i].curve_x, float) for i in tables]
    fs = [np.asarray(laws[i].curve_force, float) for i in tables]
    start = np.concatenate([[0], np.cumsum([len(x) for x in xs])]).astype(np.int64)
    return LawArrays(
        kind=kind, c=np.ascontiguousarray(c, float), slack=np.ascontiguousarray(slack, float),
        share=np.ascontiguousarray(share, float), K=np.ascontiguousarray(K, float),
        toe=np.ascontiguousarray(toe, float), table=table_of_lig[lig] if n else np.zeros(0, int),
        tab_start=start, tab_x=np.concatenate(xs) if xs else np.zeros(0),
        tab_f=np.concatenate(fs) if fs else np.zeros(0),
        tab_linear=np.array([laws[i].extrapolate == "linear" for i in tables], bool),
    )


@njit(cache=True)
def _evaluate(kind, c, slack, share, K, toe, table, tab_start, tab_x, tab_f, tab_linear, delta,
              force, tangent):
    for i in range(len(kind)):
        x = c[i] * (delta[i] - slack[i])
        f = 0.0
        d = 0.0
        if kind[i] == 0:
            t = toe[i]
            if x <= 0.0:
                pass
            elif x < t:
                f = K[i] * x * x / (2.0 * t)
                d = K[i] * x / t
            else:
                f = K[i] * (x - 0.5 * t)
                d = K[i]
        elif kind[i] == 2:
            f = K[i] * x
            d = K[i]
        else:
            j = table[i]
            a = tab_start[j]
            b = tab_start[j + 1] - 1
            if x < tab_x[a]:
                f = tab_f[a]
            elif x >= tab_x[b]:
                if tab_linear[j]:
                    d = (tab_f[b] - tab_f[b - 1]) / (tab_x[b] - tab_x[b - 1])
                    f = tab_f[b] + d * (x - tab_x[b])
                else:
                    f = tab_f[b]
            else:
                lo = a
                hi = b
                while hi - lo > 1:  # bisection: the segment holding x
                    mid = (lo + hi) // 2
                    if tab_x[mid] <= x:
                        lo = mid
                    else:
                        hi = mid
                d = (tab_f[hi] - tab_f[lo]) / (tab_x[hi] - tab_x[lo])
                f = tab_f[lo] + d * (x - tab_x[lo])
        force[i] = share[i] * f
        tangent[i] = share[i] * c[i] * d


def evaluate(law: LawArrays, delta_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Force (N) of every fibre and its derivative by the fibre's elongation (N/mm)."""
    delta = np.ascontiguousarray(delta_mm, dtype=np.float64)
    if delta.shape != (law.n,):
        raise ValueError(f"delta has shape {delta.shape}, expected ({law.n},)")
    force = np.empty(law.n)
    tangent = np.empty(law.n)
    _evaluate(law.kind, law.c, law.slack, law.share, law.K, law.toe, law.table, law.tab_start,
              law.tab_x, law.tab_f, law.tab_linear, delta, force, tangent)
    return force, tangent


def taut(law: LawArrays, delta_mm: np.ndarray) -> np.ndarray:
    """(n,) bool: the fibre is stretched beyond its slack (for plain springs: stretched at all)."""
    return law.c * (np.asarray(delta_mm, float) - law.slack) > 0.0
