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
        CK_ERR_INTERRUPTED
    size_t ck_alloc_failed_bytes()


# Ctrl-C (csrc/include/cnnkern/ck_interrupt.h): every kernel call is bracketed as
#     tok = interrupt_enter()
#     with nogil: st = ck_...(...)
#     st = interrupt_leave(tok, st)
# and check_status turns CK_ERR_INTERRUPTED into Python's pending KeyboardInterrupt.
cdef extern from "cnnkern/ck_interrupt.h":
    void ck_interrupt_set_main_thread(unsigned long ident)
    int ck_interrupt_enter(unsigned long self)
    ck_status ck_interrupt_leave(int token, ck_status status)

from cpython.pythread cimport PyThread_get_thread_ident
from cpython.exc cimport PyErr_CheckSignals


cdef inline int interrupt_enter():
    return ck_interrupt_enter(PyThread_get_thread_ident())


cdef inline ck_status interrupt_leave(int token, ck_status status):
    return ck_interrupt_leave(token, status)


cdef inline int check_status(ck_status status, str what) except -1:
    """Raise for a failed C call: MemoryError, NotImplementedError or ValueError naming `what`."""
    if status == CK_OK:
        return 0
    if status == CK_ERR_INTERRUPTED:
        # the output is incomplete: raise Python's pending KeyboardInterrupt (or the SIGINT handler's
        # exception); a handler that did not raise still leaves no silently half-written result
        PyErr_CheckSignals()
        raise KeyboardInterrupt(f"cnnkern: {what}: interrupted")
    if status == CK_ERR_NOMEM:
        failed = ck_alloc_failed_bytes()
        size = f" (last refused block: {failed} bytes)" if failed else ""
        raise MemoryError(f"cnnkern: {what}: out of memory allocating workspace{size}")
    if status == CK_ERR_UNSUPPORTED:
        raise NotImplementedError(f"cnnkern: {what}: configuration not supported by this algorithm")
    raise ValueError(f"cnnkern: {what}: invalid parameters (C status {<int>status})")
