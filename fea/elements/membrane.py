"""Membrane elements on solid faces: M3D3 on TRI3 (faces of C3D4), M3D6 on TRI6 (faces of
C3D10). They share the face's nodes (no new DOF); fea.membranes integrates them.

Quadrature: 1 point on TRI3 (constant strain), 3 points (degree 2) on TRI6, exact for the
stiffness of a flat TRI6 as the 4-point rule is for a straight-sided C3D10.
"""

from __future__ import annotations

from .registry import FACES, MembraneType, register_membrane
from .tet import tri_quadrature

for _name, _face, _q in (("M3D3", "TRI3", 1), ("M3D6", "TRI6", 3)):
    register_membrane(MembraneType(_name, FACES[_face], *tri_quadrature(_q)))
