"""Bone-implant interfaces: tied, frictionless and Coulomb frictional contact (small sliding)."""
