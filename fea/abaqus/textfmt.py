"""Text for big deck blocks without Python code per row: numpy converts whole columns to
strings (floats in shortest round-trip form where it fits ccx's 20-character field), and the joins
run in C."""

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
    """Lines 'c0, c1, ...' from equally long columns (arrays, or 2-D arrays of several columns).

    The per-row join runs inside C (map over builtins): no Python code per row.
    """
    cols = []
    for c in columns:
        c = np.asarray(c)
        cols += [c] if c.ndim == 1 else [c[:, j] for j in range(c.shape[1])]
    if not len(cols[0]):
        return ""
    table = np.column_stack([c if c.dtype.kind == "U" else num(c) for c in cols])
    return "\n".join(map(", ".join, table.tolist())) + "\n"


def element_rows(labels: np.ndarray, conn: np.ndarray) -> str:
    """Element lines 'label, n1, ...': at most PER_LINE entries a line, a longer element
    (C3D20: 21 entries) continues on the next line after a trailing comma, as Abaqus reads."""
    if 1 + conn.shape[1] <= PER_LINE:
        return rows(labels, conn)
    k = PER_LINE - 1
    first = rows(labels, conn[:, :k]).split("\n")[:-1]
    rest = rows(conn[:, k:]).split("\n")[:-1]
    return "".join(f"{a},\n{b}\n" for a, b in zip(first, rest))


def id_lines(labels: np.ndarray) -> str:
    """Set members, PER_LINE to a line."""
    s = num(np.asarray(labels, dtype=np.int64)).tolist()
    if not s:
        return ""
    lines = [s[i:i + PER_LINE] for i in range(0, len(s), PER_LINE)]  # per line, not per member
    return "\n".join(map(", ".join, lines)) + "\n"


def fnum(x: float) -> str:
    return str(num(np.array([float(x)]))[0])
