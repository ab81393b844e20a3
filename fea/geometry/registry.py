"""Named gmsh builders usable from a model file (`[mesh] builder = "box"`), with a mesh cache.

A builder is a function (size_mm, order, **params) -> Mesh. Builders are deterministic, so the
cache key is the hash of (builder, params, size, order, code version).
"""

from __future__ import annotations

import inspect
from typing import Callable

from ..errors import ConfigError
from ..mesh import Mesh
from . import primitives

BUILDERS: dict[str, Callable[..., Mesh]] = {}


def register(name: str):
    def deco(fn):
        BUILDERS[name] = fn
        return fn

    return deco


@register("box")
def _box(size_mm: float, order: int, lx_mm: float, ly_mm: float, lz_mm: float,
         origin_mm=(0.0, 0.0, 0.0)) -> Mesh:
    return primitives.box(lx_mm, ly_mm, lz_mm, size_mm, order, tuple(origin_mm))


@register("cylinder")
def _cylinder(size_mm: float, order: int, radius_mm: float, length_mm: float) -> Mesh:
    return primitives.cylinder(radius_mm, length_mm, size_mm, order)


@register("quarter_tube")
def _tube(size_mm: float, order: int, inner_radius_mm: float, outer_radius_mm: float,
          length_mm: float) -> Mesh:
    return primitives.quarter_tube(inner_radius_mm, outer_radius_mm, length_mm, size_mm, order)


def build(name: str, params: dict, size_mm: float | None, order: int, where: str = "mesh",
          cache=None) -> Mesh:
    if name not in BUILDERS:
        import difflib

        hint = difflib.get_close_matches(name, list(BUILDERS), n=1)
        did = f" Did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(f"{where}.builder: unknown builder '{name}'.{did} "
                          f"Known: {', '.join(sorted(BUILDERS))}")
    fn = BUILDERS[name]
    sig = inspect.signature(fn)
    accepted = [p for p in sig.parameters if p not in ("size_mm", "order")]
    unknown = [k for k in params if k not in accepted]
    if unknown:
        from ..config import suggest

        hint = suggest(unknown[0], accepted)
        did = f" Did you mean '{hint}'?" if hint else ""
        raise ConfigError(f"{where}.params: builder '{name}' has no parameter '{unknown[0]}'."
                          f"{did} Parameters: {', '.join(accepted)}")
    missing = [p for p, v in sig.parameters.items()
               if p not in ("size_mm", "order") and v.default is inspect.Parameter.empty
               and p not in params]
    if missing:
        raise ConfigError(f"{where}.params: builder '{name}' needs {', '.join(missing)}")
    if size_mm is None:
        raise ConfigError(f"{where}.size_mm: a builder needs a target element size")
    _check_numbers(name, sig, params, where)

    def run():
        return fn(size_mm, order, **params)

    try:
        if cache is not None:  # the cache key reads the builder's input files too
            return cache.get_or_build(name, params, size_mm, order, run)
        return run()
    except ConfigError as exc:  # builders name the key; the file is known only here
        msg = str(exc)
        raise ConfigError(msg if msg.startswith(where) else f"{where.split(': ')[0]}: {msg}") \
            from None


def _check_numbers(name: str, sig: inspect.Signature, params: dict, where: str) -> None:
    """Scalar float parameters must be finite numbers, lengths (`*_mm`) positive: a nan length
    hung gmsh, text crashed it and a negative one built a box inside out with its faces
    misnamed."""
    import math

    for key, value in params.items():
        ann = sig.parameters[key].annotation
        if ann not in (float, "float"):
            continue
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value) and (value > 0 or not key.endswith("_mm"))
        if not ok:
            need = "a positive length in mm" if key.endswith("_mm") else "a finite number"
            raise ConfigError(f"{where}.params.{key}: builder '{name}' needs {need}, got "
                              f"{value!r}")


# the construct library and the patient-geometry importer register themselves on import
from . import constructs as _constructs  # noqa: E402,F401
from . import surfaces as _surfaces  # noqa: E402,F401
from ..imaging import builder as _ct  # noqa: E402,F401
from .anatomy import column as _anatomy  # noqa: E402,F401
from .anatomy import constructs as _anatomy_constructs  # noqa: E402,F401
