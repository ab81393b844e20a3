"""PyVista import with the right render window: EGL off-screen on machines without a display.

VTK picks its OpenGL window class when the first window is made, from VTK_DEFAULT_OPENGL_WINDOW;
EGL renders without an X server (CI, batch nodes) but can never open a window, so the choice is
made here, before pyvista is imported, from whether the figure is to be shown.
"""

from __future__ import annotations

import os
import sys

from ..errors import FeaError


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def pyvista(interactive: bool = False):
    """The pyvista module, set up for off-screen or interactive rendering."""
    if interactive:
        if not has_display():
            raise FeaError("no display: DISPLAY / WAYLAND_DISPLAY is not set, so no window can "
                           "open. Use `spinefea plot CASE_DIR` to write the figures as PNGs, or "
                           "connect with a display (e.g. ssh -X)")
        if os.environ.get("VTK_DEFAULT_OPENGL_WINDOW") == "vtkEGLRenderWindow":
            del os.environ["VTK_DEFAULT_OPENGL_WINDOW"]  # the CLI's off-screen default
    else:
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    try:
        import pyvista as pv
    except ImportError as exc:  # VTK needs system GL libraries (setup.sh installs them)
        raise FeaError(f"cannot import pyvista/VTK ({exc}); install libgl1 libegl1 "
                       "libglu1-mesa (see setup.sh)") from None
    if not interactive:
        pv.OFF_SCREEN = True
    return pv
