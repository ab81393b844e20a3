"""Parametric occiput-C3 anatomy (C0 occiput.py, C1 atlas.py, C2 axis.py, C3 subaxial.py),
dimensions and sources in morphometry.py, joints in joints.py, assembly in column.py."""
