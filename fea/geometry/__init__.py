"""gmsh builders: primitives for verification and the cervical construct library."""
