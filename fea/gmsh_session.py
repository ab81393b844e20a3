"""A gmsh session as a context manager: gmsh keeps global state, so open one model at a time.

Same parameters -> same mesh, whatever ran before in the process: a session opened on a gmsh that
a caller had already initialised starts from gmsh's default options (a leftover option, e.g.
Mesh.MeshSizeFactor 0.8 from an earlier model, changed a C3 mesh from 9,612 to 13,942 elements
under the same cache key), and every session runs single-threaded with a fixed seed from the
first OCC operation on (the booleans as well as the mesher), not only from the mesh step.
"""

from __future__ import annotations

import contextlib
import threading

_lock = threading.Lock()

# options that make the geometry and the mesh reproducible: one thread everywhere (gmsh's
# parallel meshers and OCC's parallel booleans do not give the same result run to run), a fixed
# seed for the mesher's random perturbations
DETERMINISTIC = {"General.NumThreads": 1, "Mesh.MaxNumThreads1D": 1, "Mesh.MaxNumThreads2D": 1,
                 "Mesh.MaxNumThreads3D": 1, "Geometry.OCCParallel": 0, "Mesh.RandomSeed": 1}


@contextlib.contextmanager
def gmsh_session(verbose: bool = False):
    import gmsh

    with _lock:
        started = not gmsh.isInitialized()
        if started:
            # interruptible=False: gmsh must not install its own SIGINT handler in worker threads
            gmsh.initialize(readConfigFiles=False, interruptible=False)
        else:  # a caller's gmsh: its options would carry into this model
            gmsh.option.restoreDefaults()
        for key, value in DETERMINISTIC.items():
            gmsh.option.setNumber(key, value)
        gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
        gmsh.option.setNumber("General.Verbosity", 5 if verbose else 2)
        try:
            gmsh.clear()
            yield gmsh
        finally:
            gmsh.clear()
            if started:
                gmsh.finalize()
