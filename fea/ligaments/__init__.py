"""Ligaments and springs: tension-only fibre bundles between attachment sets.

law.py      force-elongation laws, evaluated for all fibres at once
fibres.py   fibres between two attachment sets: the elongation operator B, lengths, shares
library.py  cervical ligament defaults with their sources (library.toml)
summary.py  per-ligament results from fibre arrays (pure functions)
Writing ligaments.vtu lives with the writers (fea/ligament_output.py). The Newton term that
solves with them is term.py.
"""
