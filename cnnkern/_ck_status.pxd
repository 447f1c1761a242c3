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


# One runtime state for the package (csrc/include/cnnkern/ck_runtime.h): _conv_ext owns it and publishes
# its table as a capsule; _pool_ext and _signal_ext call bind_runtime() at import, before any kernel.
from cpython.pycapsule cimport PyCapsule_Import

cdef extern from "cnnkern/ck_runtime.h" nogil:
    ctypedef struct ck_runtime_api:
        pass
    const char *CK_RUNTIME_CAPSULE
    const ck_runtime_api *ck_runtime_api_table()
    int ck_runtime_bind(const ck_runtime_api *api)


cdef inline int bind_runtime() except -1:
    """Make this module's C code use the runtime of cnnkern._conv_ext (importing it if needed)."""
    cdef const ck_runtime_api *api = <const ck_runtime_api *>PyCapsule_Import(CK_RUNTIME_CAPSULE, 0)
    if ck_runtime_bind(api) != 0:
        raise ImportError("cnnkern: the runtime table of cnnkern._conv_ext has another version "
                          "(a stale build? reinstall cnnkern)")
    return 0


cdef extern from "cnnkern/ck_common.h" nogil:
    int ck_cpu_isa()
    const char *ck_isa_name(int isa)
    void *ck_aligned_alloc(size_t nbytes)
    void ck_aligned_free(void *p)
    size_t ck_alloc_current_bytes()


cdef inline tuple runtime_probe(size_t nbytes):
    """For tests: (the ISA the calling module's C code sees, the bytes the runtime's allocator holds while
    that module holds a block of nbytes); with one runtime both follow cnnkern._conv_ext."""
    cdef void *block = ck_aligned_alloc(nbytes)
    if block == NULL:
        raise MemoryError(nbytes)
    cdef size_t held = ck_alloc_current_bytes()
    ck_aligned_free(block)
    return ck_isa_name(ck_cpu_isa()).decode(), int(held)
