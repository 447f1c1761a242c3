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
