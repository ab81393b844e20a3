"""Abaqus/CalculiX input decks: read the linear-static subset, write any model.

    from fea.abaqus import read_deck, write_deck
    deck = read_deck("model.inp")          # Deck(model, loadcase or None, heading)
    write_deck(deck.model, deck.loadcase, "copy.inp")

Supported keywords, what they map to, and the limits: docs/abaqus.md.
"""

from .reader import Deck, read_deck, read_deck_mesh
from .writer import DIALECTS, deck_text, write_deck

__all__ = ["DIALECTS", "Deck", "deck_text", "read_deck", "read_deck_mesh", "write_deck"]
