"""Parameter grids over a model's variants: dotted paths into the model file, their cartesian
product, and folder-safe names for each point.

    "materials.implant_lattice.lattice.porosity" = [0.6, 0.7]
    "mesh.params.avb.footprint_width_mm" = [12.0, 14.0]
    "interfaces.*porous*.mu" = [0.5, 0.8]       # every interface whose name matches the glob

A point patches the variant's data (as fea.variants patches the base model); the result is
validated again, so an impossible value (porosity 1.2) fails that point's cases only.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import itertools
import re

from ..errors import ConfigError

INTERFACE_FIELDS = ("law", "mu", "adjust_mm")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def interface_name(it: dict) -> str:
    return it.get("name") or f"{it['slave']}|{it['master']}"


def labels(paths: list[str]) -> dict[str, str]:
    """Short names of the grid axes: the last path part, lengthened until they are unique."""
    parts = {p: [s for s in p.split(".") if s] for p in paths}
    depth = {p: 1 for p in paths}
    for _ in range(max((len(v) for v in parts.values()), default=0)):
        lab = {p: "_".join(parts[p][-depth[p]:]) for p in paths}
        clash = {p for p in paths if list(lab.values()).count(lab[p]) > 1}
        if not clash:
            break
        for p in clash:
            depth[p] = min(depth[p] + 1, len(parts[p]))
    return {p: _SAFE.sub("_", "_".join(parts[p][-depth[p]:])).strip("_") for p in paths}


def value_text(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:g}"
    return _SAFE.sub("_", str(v))


def points(grid: dict[str, list]) -> list[dict]:
    """Cartesian product in file order: [{path: value, ...}, ...] ([{}] without a grid)."""
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def point_suffix(point: dict, names: dict[str, str]) -> str:
    return "".join(f"+{names[p]}={value_text(v)}" for p, v in point.items())


def _did(key: str, pool) -> str:
    hint = difflib.get_close_matches(key, list(pool), n=1)
    return f"; did you mean '{hint[0]}'?" if hint else ""


def check_path(data: dict, path: str, where: str) -> None:
    """Raise a ConfigError naming the key when `path` addresses nothing in the model."""
    parts = [s for s in path.split(".")]
    if any(not s for s in parts) or len(parts) < 2:
        raise ConfigError(f"{where}: '{path}' is not a dotted path such as "
                          "materials.implant_lattice.lattice.porosity")
    head = parts[0]
    if head == "interfaces":
        if len(parts) < 3 or parts[-1] not in INTERFACE_FIELDS:
            raise ConfigError(f"{where}: '{path}': interfaces.<name or glob>.<field>, field one "
                              f"of {', '.join(INTERFACE_FIELDS)}")
        pattern = ".".join(parts[1:-1])
        names = [interface_name(it) for it in data.get("interfaces", [])]
        if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
            raise ConfigError(f"{where}: '{path}': no interface matches '{pattern}'"
                              f"{_did(pattern, names)} (interfaces: {', '.join(names) or 'none'})")
        return
    if head not in ("materials", "mesh"):
        raise ConfigError(f"{where}: '{path}': a grid varies materials.*, mesh.params.* or "
                          "interfaces.*.<field>")
    if head == "mesh" and (len(parts) < 3 or parts[1] != "params"):
        raise ConfigError(f"{where}: '{path}': only builder parameters (mesh.params.*) vary in a "
                          "grid; the mesh size is [mesh].size_mm of the study")
    cur = data
    for i, key in enumerate(parts):
        last = i == len(parts) - 1
        if not isinstance(cur, dict):
            raise ConfigError(f"{where}: '{path}': '{'.'.join(parts[:i])}' is a value, not a table")
        if key not in cur or (cur[key] is None and not last):
            # a builder parameter the file leaves at its default may be set (the builder checks it)
            if last and parts[:2] == ["mesh", "params"]:
                return
            raise ConfigError(f"{where}: '{path}': no key '{key}' under "
                              f"'{'.'.join(parts[:i]) or '(top level)'}'{_did(key, cur)}")
        cur = cur[key]


def apply_point(data: dict, point: dict) -> dict:
    """A copy of the model data with every path of the point set to its value."""
    out = copy.deepcopy(data)
    for path, value in point.items():
        parts = path.split(".")
        if parts[0] == "interfaces":
            pattern, field = ".".join(parts[1:-1]), parts[-1]
            for it in out.get("interfaces", []):
                if fnmatch.fnmatchcase(interface_name(it), pattern):
                    it[field] = value
            continue
        cur = out
        for key in parts[:-1]:
            cur = cur[key]
        cur[parts[-1]] = value
    return out
