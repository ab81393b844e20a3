import os

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

# Under pytest-xdist (`-n 2`, the README's test command) each worker gets its share of the cores
# for numba, MKL (PARDISO), OpenMP and OpenBLAS, so that two workers do not run four threads on
# two cores. Set before any test module imports numpy or numba (xdist sets PYTEST_XDIST_WORKER
# before it loads this file); a user's own setting wins.
if "PYTEST_XDIST_WORKER" in os.environ:
    _threads = str(max(1, (os.cpu_count() or 1)
                       // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))))
    for _name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                  "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_name, _threads)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def shared_mesh_cache(tmp_path_factory):
    """One mesh cache for meshes several test modules build alike: the bundled constructs at 8 mm
    TET4 (test_ccx_constructs, test_constructs, test_screw_safety) and the bundled occiput-C3
    column at 5 mm TET10 (test_rom_regression) and TET4 (test_column; test_anatomy meshes the
    builder's convex C1-C2 cartilage instead), each meshed once per run, not once per module. Under
    xdist the folder is shared by the workers (entries are written atomically, fea.atomic)."""
    from fea.mesh_cache import MeshCache

    base = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        base = base.parent  # the run's folder above the workers' own ones
    return MeshCache(base / "shared_meshes")
