"""Vectorised text for big deck blocks: rows of numbers become lines without a Python loop per
row (numpy string functions join whole columns; numpy prints floats in shortest round-trip form,
so coordinates survive a write/read cycle bit for bit)."""

from __future__ import annotations

import numpy as np

PER_LINE = 16  # Abaqus reads at most 16 entries per data line of a set


FIELD = 20  # CalculiX reads at most 20 characters per number


def num(a) -> np.ndarray:
    """Numbers as strings: integers plainly; floats in the shortest form that reads back exactly
    when it fits FIELD characters, else with 14 significant digits (5e-14 relative)."""
    a = np.asarray(a)
    if a.dtype.kind != "f":
        return a.astype(str)
    a = np.where(np.abs(a) < 1e-99, 0.0, a + 0.0)  # -0.0 -> 0.0; 3-digit exponents overflow
    s = a.astype(str)
    long = np.char.str_len(s) > FIELD
    if long.any():
        s = s.astype(f"<U{max(FIELD, s.dtype.itemsize // 4)}")
        s[long] = np.char.mod("%.13e", a[long])
    return s


def rows(*columns) -> str:
    """Lines 'c0, c1, ...' from equally long columns (arrays, or 2-D arrays of several columns)."""
    cols = []
    for c in columns:
        c = np.asarray(c)
        cols += [c] if c.ndim == 1 else [c[:, j] for j in range(c.shape[1])]
    if not len(cols[0]):
        return ""
    line = num(cols[0])
    for c in cols[1:]:
        line = np.char.add(np.char.add(line, ", "), num(c) if c.dtype.kind != "U" else c)
    return "\n".join(line.tolist()) + "\n"


def id_lines(labels: np.ndarray) -> str:
    """Set members, PER_LINE to a line."""
    s = num(np.asarray(labels, dtype=np.int64))
    if not len(s):
        return ""
    pad = (-len(s)) % PER_LINE
    grid = np.concatenate([s, np.full(pad, "", dtype=s.dtype)]).reshape(-1, PER_LINE)
    line = grid[:, 0]
    for j in range(1, PER_LINE):
        line = np.char.add(np.char.add(line, ", "), grid[:, j])
    return "\n".join(np.char.rstrip(line, ", ").tolist()) + "\n"


def fnum(x: float) -> str:
    return str(num(np.array([float(x)]))[0])
