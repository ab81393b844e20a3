"""Parameter tables of the construct builders: defaults in dataclasses, user overrides from the
model file's `[mesh].params`, validated with messages that name the key.

Rules (docs/constructs.md): lengths end in `_mm` and are multiplied by the global `scale`
unless the user overrides them (an override is taken as given); angles end in `_deg`; every other
field is a plain number, flag or string.
"""

from __future__ import annotations

import dataclasses
import difflib

from ..errors import ConfigError


def make(cls, overrides: dict | None, where: str, scale: float = 1.0):
    """An instance of dataclass `cls` from its defaults, `scale` and the `overrides` table."""
    overrides = dict(overrides or {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{where}: expected a table of parameters, got {overrides!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, val in overrides.items():
        if key not in fields:
            hint = difflib.get_close_matches(key, list(fields), n=1)
            did = f" Did you mean '{hint[0]}'?" if hint else ""
            raise ConfigError(f"{where}.{key}: unknown parameter.{did} "
                              f"Parameters: {', '.join(fields)}")
        default = fields[key].default
        if isinstance(default, bool):
            if not isinstance(val, bool):
                raise ConfigError(f"{where}.{key}: expected true or false, got {val!r}")
        elif isinstance(default, (int, float)):
            if isinstance(val, bool) or not isinstance(val, (int, float)):
                raise ConfigError(f"{where}.{key}: expected a number, got {val!r}")
            if key.endswith("_mm") and val < 0:
                raise ConfigError(f"{where}.{key}: a length must be >= 0 mm, got {val}")
        elif isinstance(default, str):
            if not isinstance(val, str):
                raise ConfigError(f"{where}.{key}: expected a string, got {val!r}")
    if not (isinstance(scale, (int, float)) and 0.3 <= scale <= 3.0):
        raise ConfigError(f"{where}: scale must be a number between 0.3 and 3, got {scale!r}")
    values = {}
    for name, f in fields.items():
        if name in overrides:
            values[name] = overrides[name]
        elif name.endswith("_mm"):
            values[name] = f.default * scale
        else:
            values[name] = f.default
    obj = cls(**values)
    check = getattr(obj, "check", None)
    if check is not None:
        msg = check()
        if msg:
            raise ConfigError(f"{where}: {msg}")
    return obj


def choice(value: str, options: tuple[str, ...], where: str) -> str:
    if value not in options:
        raise ConfigError(f"{where}: '{value}' is not one of {', '.join(options)}")
    return value
