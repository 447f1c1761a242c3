# cython: language_level=3
"""The C status of every cnnkern entry point (csrc/include/cnnkern/ck_common.h) and the one place it
becomes a Python exception; cimported by each Cython shim."""
from libc.stdint cimport int64_t


cdef extern from "cnnkern/ck_common.h" nogil:
    ctypedef int64_t ck_index
    ctypedef enum ck_status:
        CK_OK
        CK_ERR_NOMEM
        CK_ERR_INVALID
        CK_ERR_UNSUPPORTED


cdef inline int check_status(ck_status status, str what) except -1:
    """Raise for a failed C call: MemoryError, NotImplementedError or ValueError naming `what`."""
    if status == CK_OK:
        return 0
    if status == CK_ERR_NOMEM:
        raise MemoryError(f"cnnkern: {what}: out of memory allocating workspace")
    if status == CK_ERR_UNSUPPORTED:
        raise NotImplementedError(f"cnnkern: {what}: configuration not supported by this algorithm")
    raise ValueError(f"cnnkern: {what}: invalid parameters (C status {<int>status})")
