"""Command line: `spinefea <command> ...` == `python run_sim.py <command> ...`.

Each command lives in fea/commands/<name>.py with `add_parser(subparsers)` and `run(args)`.
Exit status: 0 success, 1 bad input or failed case, 3 a solve did not converge (results written
and flagged `converged: false`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

UNITS = """units: lengths mm, forces N, stresses and moduli MPa (N/mm^2), moments N*mm inside the
solver; files say their units in key names (E_MPa, force_N, moment_Nm, pressure_MPa,
displacement_mm, rotation_deg). Anatomical frame: +x patient left, +y anterior, +z cranial."""

COMMANDS = ["solve", "export", "mesh", "run", "compare", "plot", "show", "validate"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spinefea",
        description="Finite-element stability checks for 3D-printed upper-cervical implants. "
        "With no command, runs the default demo study.",
        epilog=UNITS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"fea.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"fea.commands.{name}":
                continue  # command not built yet
            raise
        sp = mod.add_parser(sub)
        sp.set_defaults(_run=mod.run)
    return p


def _no_hugepage_madvise() -> None:
    """numpy asks the kernel for 2 MB pages for every large array; where the kernel compacts
    memory for them on demand (THP defrag 'madvise', the common default) each fresh array pays
    that in system time: selecting the free DOFs of a 110k-DOF stiffness took 0.8 s of system
    time with it and 0.25 s without on the shared benchmark machine (issue 18). Our arrays are
    short-lived, so 4 kB pages are cheaper. NUMPY_MADVISE_HUGEPAGE=1 restores numpy's default."""
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is None:
        try:
            from numpy._core.multiarray import _set_madvise_hugepage
        except ImportError:  # numpy < 2
            try:
                from numpy.core.multiarray import _set_madvise_hugepage
            except ImportError:  # a private switch: without it only the speed-up is lost
                return
        _set_madvise_hugepage(False)


def main(argv: list[str] | None = None) -> int:
    rc = _main(argv)
    if argv is None:  # the process's own command line: the process ends next
        # the interpreter's shutdown would run the cyclic collector over the ~125k objects
        # still alive (0.23-0.28 s CPU after a 110k-DOF deck solve, issue 18); the atexit
        # handlers (PARDISO's release) still run. A caller in the same process keeps it.
        _freeze_collected_objects()
    return rc


def _freeze_collected_objects() -> None:
    """Leave every object alive now out of the cyclic collector's passes (gc.freeze)."""
    import gc

    gc.freeze()


def freeze_imports(args) -> None:
    """Called by a command once its modules are imported: when it is the process's own command,
    the ~100k objects of those imports (scipy, numba, meshio) are left out of the cyclic
    collector's full passes, which otherwise walk them again and again as the run allocates:
    0.07-0.08 -> 0.02 s CPU of full collections in a 110k-DOF deck solve (issue 18)."""
    if getattr(args, "process_entry", False):
        _freeze_collected_objects()


def _main(argv: list[str] | None) -> int:
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    _no_hugepage_madvise()
    from .errors import FeaError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if "run" not in {a for a in COMMANDS if _has(a)}:
            parser.print_help()
            return 0
        args = parser.parse_args(["run"])
    args.process_entry = argv is None  # the process's own command line (see freeze_imports)
    try:
        return int(args._run(args) or 0)
    except FeaError as exc:
        _print_error(str(exc))
        return 1
    except OSError as exc:  # a path that cannot be read or written: a message, no traceback
        _print_error(f"{exc} (check the path, its permissions and the free disk space)")
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _print_error(msg: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    # escaped: messages quote file syntax ("[materials]", "[variants.NAME]") that rich would take
    # for markup and drop; soft-wrapped: a long path is never folded across two lines
    Console(stderr=True).print(f"[bold red]error:[/] {escape(msg)}", highlight=False,
                               markup=True, soft_wrap=True)


def _has(name: str) -> bool:
    try:
        importlib.import_module(f"fea.commands.{name}")
        return True
    except ModuleNotFoundError:
        return False


if __name__ == "__main__":
    sys.exit(main())
