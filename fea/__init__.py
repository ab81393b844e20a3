"""Finite-element stability analysis of upper-cervical spine implants (units: mm, N, MPa)."""

import os

# Idle OpenMP threads (numba's omp layer, MKL's PARDISO) otherwise spin after every parallel
# call and starve the threads that come next. Measured on 2 shared cores after a numba parallel
# call: a 14k-DOF PARDISO back-substitution took 339 ms instead of 9 ms, and a vector norm (an
# OpenBLAS thread pool of its own) 8.5 ms instead of 0.01 ms. Set before numpy/numba load;
# a user's own setting wins.
for _name, _value in (("OMP_WAIT_POLICY", "PASSIVE"), ("KMP_BLOCKTIME", "0"),
                      ("OPENBLAS_NUM_THREADS", "1")):
    os.environ.setdefault(_name, _value)
