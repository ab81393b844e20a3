"""Figures of solved cases (PyVista, off-screen unless shown) and study charts (matplotlib)."""
