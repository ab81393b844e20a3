"""One module per CLI command: add_parser(subparsers) -> parser, run(args) -> exit status."""

import argparse
import math


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (float() accepts 'nan', 'inf' and negatives)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"give a finite number > 0, got '{text}'")
    return v


def fraction(text: str) -> float:
    """argparse type: a number strictly between 0 and 1 (a relative tolerance)."""
    v = positive_float(text)
    if v >= 1:
        raise argparse.ArgumentTypeError(f"give a number between 0 and 1, got '{text}'")
    return v
