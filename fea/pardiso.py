"""MKL PARDISO sparse Cholesky through ctypes, in single or double precision.

pypardiso (the usual wrapper) only factors in double precision and hashes the whole matrix on
every solve (0.76 s per solve at 318k DOF against 0.2 s for the substitution itself). Calling
`pardiso` from libmkl_rt directly lets the factor be computed in single precision (iparm[27]):
measured on a 318k-DOF TET10 cantilever, 2 cores, the numerical factorisation took 11.6 s
instead of 25.1 s and the process peaked at 2.6 instead of 4.0 GB; the caller (fea.linsolve)
recovers double-precision accuracy with conjugate gradients preconditioned by the factor.

Matrix type 2 (real symmetric positive definite): the upper triangle in CSR, zero-based indices
(iparm[34]), METIS nested dissection (iparm[1] = 2). LP64 interface (32-bit indices).

From MKL 2026.0 on, iparm[1] = 10 L + 2 also asks the analysis for "data-structure and reordering
optimizations" of level L (0-10) aimed at the factorisation and solve (oneMKL 2026.0 developer
reference, pardiso iparm parameter). L = 1, measured on the TET10 cantilevers of bench_ccx.py
(saved reduced matrices, alternating runs, CPU s): 110k DOF factorisation 2.78-3.12 -> 2.47-2.67
s (factor 74.6 -> 75.8 M entries), 318k DOF 21.8-22.4 -> 19.0-19.4 s (348 -> 352 M), 20k DOF
unchanged, the analysis unchanged; L = 2 and 3 fill more for no further gain, 5 and 10 more still.
Older MKL gets plain METIS (iparm[1] = 2).
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
import sys
import time
import weakref
from ctypes.util import find_library

import numpy as np
import scipy.sparse as sp

from . import csr
from .errors import FeaError

# MKL's documented error codes (phase calls); -4 is what an SPD factorisation reports for a
# matrix that is not positive definite in the working precision
ERRORS = {-1: "input inconsistent", -2: "not enough memory", -3: "reordering problem",
          -4: "zero or negative pivot (matrix not positive definite in this precision)",
          -5: "unclassified internal error", -6: "reordering failed", -7: "diagonal matrix is "
          "singular", -8: "32-bit integer overflow", -9: "not enough memory for out-of-core",
          -10: "out-of-core files", -11: "out-of-core read/write", -12: "wrong interface"}


class PardisoError(FeaError):
    def __init__(self, phase: int, code: int):
        self.code = code
        super().__init__(f"PARDISO phase {phase} failed with error {code}: "
                         f"{ERRORS.get(code, 'unknown')}")


def mkl_rt_path() -> str | None:
    """libmkl_rt: PYPARDISO_MKL_RT or MKL_RT if set, the system's, else the one pip's `mkl`
    wheel put under the environment's lib/."""
    for var in ("PYPARDISO_MKL_RT", "MKL_RT"):
        if os.environ.get(var):
            return os.environ[var]
    sys_lib = find_library("mkl_rt")
    if sys_lib:
        return sys_lib
    found = sorted(glob.glob(f"{sys.prefix}/lib/libmkl_rt.so*"))  # where the wheel puts it
    found = found or sorted(glob.glob(f"{sys.prefix}/[Ll]ib*/**/*mkl_rt*", recursive=True),
                            key=len)
    return found[0] if found else None


@functools.cache
def _library():
    path = mkl_rt_path()
    if path is None:
        raise FeaError("PARDISO needs MKL's libmkl_rt (pip install mkl)")
    lib = ctypes.CDLL(path)
    try:  # 32-bit indices whatever MKL_INTERFACE_LAYER says; must precede other MKL calls
        lib.MKL_Set_Interface_Layer(ctypes.c_int(0))
    except AttributeError:
        pass
    fn = lib.pardiso
    fn.restype = None
    i32 = ctypes.POINTER(ctypes.c_int32)
    fn.argtypes = [ctypes.c_void_p, i32, i32, i32, i32, i32, ctypes.c_void_p, ctypes.c_void_p,
                   ctypes.c_void_p, ctypes.c_void_p, i32, ctypes.c_void_p, i32, ctypes.c_void_p,
                   ctypes.c_void_p, i32]
    return fn


@functools.cache
def mkl_version() -> tuple[int, int, int]:
    """(major, minor, update) of the loaded MKL, e.g. (2026, 0, 2); (0, 0, 0) if unknown."""
    class Version(ctypes.Structure):
        _fields_ = [("major", ctypes.c_int), ("minor", ctypes.c_int), ("update", ctypes.c_int),
                    ("status", ctypes.c_char_p), ("build", ctypes.c_char_p),
                    ("processor", ctypes.c_char_p), ("platform", ctypes.c_char_p)]

    _library()
    v = Version()
    try:
        ctypes.CDLL(mkl_rt_path()).MKL_Get_Version(ctypes.byref(v))
    except (AttributeError, OSError):
        return (0, 0, 0)
    return (v.major, v.minor, v.update)


def ordering() -> int:
    """iparm[1]: METIS nested dissection, with level-1 optimisations where MKL has them."""
    return 12 if mkl_version() >= (2026, 0, 0) else 2


def available() -> bool:
    try:
        _library()
    except (FeaError, OSError):
        return False
    return True


def _int(v: int):
    return ctypes.byref(ctypes.c_int32(v))


def _release(fn, pt: np.ndarray, iparm: np.ndarray, n: int) -> None:
    """Phase -1 (free everything); safe to call twice, a no-op once the handle is zero."""
    if not pt.any():
        return
    err = ctypes.c_int32(0)
    dummy = np.zeros(1)
    try:
        fn(pt.ctypes.data, _int(1), _int(1), _int(2), _int(-1), _int(n), dummy.ctypes.data,
           None, None, None, _int(1), iparm.ctypes.data, _int(0), None, None, ctypes.byref(err))
    except (OSError, TypeError, AttributeError, ctypes.ArgumentError):
        return  # at interpreter exit the library may already be unloaded
    pt[:] = 0


class PardisoCholesky:
    """Factor of an SPD matrix (full or upper CSR given; the upper triangle is used)."""

    def __init__(self, K: sp.spmatrix, single: bool, factor: bool = True):
        """factor=False: the analysis phase only (ordering, memory forecast in iparm)."""
        self._fn = _library()
        n = K.shape[0]
        if K.nnz >= 2**31:
            raise FeaError(f"PARDISO (32-bit indices) cannot take {K.nnz} non-zeros")
        upper = csr.upper(K)
        self.n = n
        self.dtype = np.float32 if single else np.float64
        self._a = np.ascontiguousarray(upper.data, dtype=self.dtype)
        self._ia = np.ascontiguousarray(upper.indptr, dtype=np.int32)
        self._ja = np.ascontiguousarray(upper.indices, dtype=np.int32)
        self._pt = np.zeros(64, dtype=np.int64)  # MKL's opaque handle
        ip = np.zeros(64, dtype=np.int32)
        ip[0] = 1  # iparm given, not defaults
        ip[1] = ordering()  # METIS nested dissection (+ level-1 optimisations, MKL >= 2026)
        ip[7] = 0  # no iterative refinement inside PARDISO: the caller's CG does it
        ip[17] = -1  # report the factor's non-zeros
        ip[18] = -1  # and its Mflop
        ip[27] = 1 if single else 0
        ip[34] = 1  # zero-based indices
        self.iparm = ip
        self._finalizer = weakref.finalize(self, _release, self._fn, self._pt, ip, n)
        t = time.perf_counter()
        self._call(11)
        self.analysis_s = time.perf_counter() - t
        self.factor_s = 0.0
        if factor:
            t = time.perf_counter()
            self._call(22)
            self.factor_s = time.perf_counter() - t

    def refactor(self, K: sp.spmatrix) -> bool:
        """New values on the analysed pattern: the numerical factorisation alone (phase 22),
        reusing the ordering and symbolic factor. False (nothing done) if the upper triangle's
        pattern differs from the analysed one."""
        upper = csr.upper(K)
        if not (self._pt.any() and np.array_equal(upper.indptr, self._ia)
                and np.array_equal(upper.indices, self._ja)):
            return False
        self._a = np.ascontiguousarray(upper.data, dtype=self.dtype)
        t = time.perf_counter()
        self._call(22)
        self.factor_s = time.perf_counter() - t
        return True

    @property
    def factor_nnz(self) -> int:
        return int(self.iparm[17])

    def _call(self, phase: int, b: np.ndarray | None = None, x: np.ndarray | None = None,
              nrhs: int = 1) -> None:
        err = ctypes.c_int32(0)
        self._fn(self._pt.ctypes.data, _int(1), _int(1), _int(2), _int(phase), _int(self.n),
                 self._a.ctypes.data, self._ia.ctypes.data, self._ja.ctypes.data, None,
                 _int(nrhs), self.iparm.ctypes.data, _int(0),
                 None if b is None else b.ctypes.data, None if x is None else x.ctypes.data,
                 ctypes.byref(err))
        if err.value != 0:
            if phase != 33:  # a failed analysis/factorisation holds nothing worth keeping
                self.free()
            raise PardisoError(phase, err.value)

    def solve(self, b: np.ndarray) -> np.ndarray:
        """K^-1 b for one right-hand side (n,) or several (n, k); float64 out."""
        b = np.asarray(b)
        nrhs = 1 if b.ndim == 1 else b.shape[1]
        # PARDISO wants the right-hand sides one after another (column-major)
        rhs = np.ascontiguousarray(b.T, dtype=self.dtype)
        x = np.empty_like(rhs)
        self._call(33, rhs, x, nrhs)
        return x.T.astype(np.float64)

    def free(self) -> None:
        self._finalizer()
