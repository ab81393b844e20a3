"""Element types: a registry keyed by Abaqus/CalculiX name (fea.elements.registry), one module per
family (tet: C3D4, C3D10; hexa: C3D8, C3D8I, C3D20, C3D20R; wedge: C3D6, C3D15; membrane: M3D3, M3D6 on faces). The tetrahedron helpers stay importable
from here as before."""

from .tet import *  # noqa: F401,F403 (the tetrahedron API: shapes, rules, face tables)
from .tet import (GMSH_TET10_TO_VTK, TET4_FACES, TET10_EDGES, TET10_FACES,  # noqa: F401
                  _register as _register_tets)
from .registry import (ELEMENTS, FACES, MEMBRANES, ElementType, FaceType,  # noqa: F401
                       MembraneType, by_meshio, element_type, membrane_for_face,
                       type_for_nodes)

_register_tets()
from . import hexa  # noqa: E402,F401 (registers C3D8, C3D8I, C3D20, C3D20R)
from . import wedge  # noqa: E402,F401 (registers C3D6, C3D15)
from . import membrane  # noqa: E402,F401 (registers M3D3, M3D6 on TRI3 / TRI6 faces)
