"""File-name pieces made from user names (steps, cases): no solver, no writer behind them."""

from __future__ import annotations

import re


def slug(s: str) -> str:
    """A name made safe for a file name: runs of other characters become one '_'."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("_") or "step"
