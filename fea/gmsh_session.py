"""A gmsh session as a context manager: gmsh keeps global state, so open one model at a time."""

from __future__ import annotations

import contextlib
import threading

_lock = threading.Lock()


@contextlib.contextmanager
def gmsh_session(verbose: bool = False):
    import gmsh

    with _lock:
        started = not gmsh.isInitialized()
        if started:
            # interruptible=False: gmsh must not install its own SIGINT handler in worker threads
            gmsh.initialize(readConfigFiles=False, interruptible=False)
        gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
        gmsh.option.setNumber("General.Verbosity", 5 if verbose else 2)
        try:
            gmsh.clear()
            yield gmsh
        finally:
            gmsh.clear()
            if started:
                gmsh.finalize()
