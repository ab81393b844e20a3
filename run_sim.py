#!/usr/bin/env python
"""Thin entry point: `python run_sim.py ...` is the same command line as `spinefea ...`."""

import sys

from fea.cli import main

if __name__ == "__main__":
    sys.exit(main())
