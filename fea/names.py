"""File-name pieces made from user names (steps, cases): no solver, no writer behind them."""

from __future__ import annotations

import re


def slug(s: str, empty: str = "step") -> str:
    """A name made safe for a file name: runs of other characters become one '_' (`empty` if
    nothing is left)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("_") or empty


def interface_figure(kind: str, interface: str) -> str:
    """File name of a case figure of one interface (fea.plot.figures writes it, the report's
    verdicts link to it): kind "micromotion" or "pressure"."""
    return f"{kind}_{slug(interface, 'interface')}.png"
