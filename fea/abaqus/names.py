"""Case-insensitive name tables: Abaqus matches names regardless of case (it upper-cases them),
but users expect to see the spelling of the keyword that defined the name."""

from __future__ import annotations

import difflib
from typing import Generic, TypeVar

from .lexer import Block

T = TypeVar("T")


class Namespace(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind  # "node set", "element set", "surface", "material", ...
        self._items: dict[str, tuple[str, T]] = {}

    def __contains__(self, name: str) -> bool:
        return name.upper() in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, name: str) -> T | None:
        hit = self._items.get(name.upper())
        return None if hit is None else hit[1]

    def canonical(self, name: str) -> str | None:
        hit = self._items.get(name.upper())
        return None if hit is None else hit[0]

    def define(self, name: str, obj: T) -> None:
        self._items[name.upper()] = (name, obj)

    def remove(self, name: str) -> None:
        self._items.pop(name.upper(), None)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.values())

    def names(self) -> list[str]:
        return [n for n, _ in self._items.values()]

    def require(self, name: str, block: Block, line: int | None = None) -> tuple[str, T]:
        hit = self._items.get(name.upper())
        if hit is None:
            raise self.unknown(name, block, line)
        return hit

    def unknown(self, name: str, block: Block, line: int | None = None):
        pool = self.names()
        close = difflib.get_close_matches(name.upper(), [n.upper() for n in pool], n=1)
        did = ""
        if close:
            did = f" Did you mean '{self._items[close[0]][0]}'?"
        known = ", ".join(sorted(pool)[:12]) + (" ..." if len(pool) > 12 else "")
        return block.error(
            f"{self.kind} '{name}' is not defined.{did} "
            f"Defined: {known or 'none'}", line)
