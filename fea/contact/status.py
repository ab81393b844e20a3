"""What "in contact" means, once, for every interface output (interfaces.vtu, the summary's
interface totals, micromotion, subsidence, maps and the report).

A contact point is in contact when its converged status says so (STICK or SLIP); an OPEN point is
a gap, whatever the smoothed pressure field shows there. A point whose converged pressure is below
the interface's pressure floor is OPEN: the floor is the pressure the interface's starting penalty
(3 E/h, fea.contact.setup.point_parameters) gives at the gap tolerance the solver accepts
(ContactSettings.tol_gap_mm, 1 nm). Below it the solver cannot tell a closed point from one open
by a nanometre, so such a point flipped between identical runs (2.4e-7 MPa in one, 0 in the
other, 20 mm² of contact area appearing and vanishing). Typical floors: 7e-3 MPa cortical bone on
titanium (E 12000 MPa, h 5 mm), 3e-4 MPa on a porous lattice (E ~560 MPa), 6e-6 MPa on
cartilage (10 MPa): all far below any bone yield (1.9 MPa cancellous).
"""

from __future__ import annotations

import numpy as np

from .law import OPEN, SLIP, STICK

__all__ = ["OPEN", "SLIP", "STICK", "in_contact", "pressure_floor", "settle"]


def in_contact(status) -> np.ndarray:
    """True where the (settled) status is STICK or SLIP."""
    st = np.asarray(status).astype(int)
    return (st == STICK) | (st == SLIP)


def pressure_floor(eps_n, tol_gap_mm: float) -> np.ndarray:
    """Pressure (MPa) below which a point counts as open: penalty x gap tolerance."""
    return np.asarray(eps_n, float) * float(tol_gap_mm)


def settle(status, pressure, floor) -> tuple[np.ndarray, np.ndarray]:
    """(status, pressure) with the floor applied: points below it OPEN with zero pressure, and
    OPEN points carry no pressure. Applied once, where the point arrays are made."""
    p = np.asarray(pressure, float)
    st = np.where(p >= np.asarray(floor, float), np.asarray(status).astype(np.int32), OPEN)
    st = st.astype(np.int32)
    return st, np.where(in_contact(st), p, 0.0)
