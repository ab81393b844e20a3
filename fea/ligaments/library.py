"""Named cervical ligament defaults (library.toml): law, failure force, fibres and the
attachment sites the anatomy uses, each with its source and how far it is from a measurement
("basis"). A `[[ligaments]]` entry with `library = "<name>"` takes every key it does not give
itself from here (docs/ligaments.md)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError

LAW_KEYS = ("law", "stiffness_N_per_mm", "toe_strain", "curve")  # one law: user's or library's
INFO_KEYS = ("description", "sites", "length_mm", "basis", "source")


@lru_cache(maxsize=1)
def library() -> dict[str, dict]:
    with open(Path(__file__).with_name("library.toml"), "rb") as fh:
        return tomllib.load(fh)


def library_entry(name: str, where: str) -> dict:
    """The library's keys for a ligament (a copy), or a ConfigError with a did-you-mean."""
    lib = library()
    if name not in lib:
        from ..config import suggest

        hint = suggest(name, lib)
        did = f" Did you mean '{hint}'?" if hint else ""
        raise ConfigError(f"{where}: unknown ligament library entry '{name}'.{did} "
                          f"Known: {', '.join(lib)}")
    return dict(lib[name])


def merged(user: dict, name: str, where: str) -> dict:
    """The user's keys over the library's. A law given by the user replaces the library's whole
    law (a stiffness does not mix with a library curve); other keys fall back one by one, except
    the library's `via`, which goes with its sites: it is dropped when the user names the ends."""
    base = library_entry(name, where)
    if any(k in user for k in LAW_KEYS):
        base = {k: v for k, v in base.items() if k not in LAW_KEYS}
    sites = base.get("sites", [None, None])
    out = {k: v for k, v in base.items() if k not in INFO_KEYS}
    if "from" in user or "to" in user:  # the library's via point belongs to its own sites
        out.pop("via", None)
    out.setdefault("from", sites[0])
    out.setdefault("to", sites[1])
    out.update(user)
    return out
