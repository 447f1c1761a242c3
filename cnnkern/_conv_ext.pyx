# cython: language_level=3
"""Cython shim over csrc/conv: pointers from the arrays, the C call without the GIL, and the C status
turned into an exception. No validation here: cnnkern/_problem.py validated everything once.

The convolution entries take C-contiguous ndarrays of any shape in float32 or float64 (read-only
inputs are fine) and read their data pointers directly (_ptr: cheaper than a typed memoryview per
array on small calls); the other entries take flattened arrays as typed memoryviews.
"""
from libc.stdint cimport int64_t
from libc.string cimport memcpy
from cpython.pycapsule cimport PyCapsule_GetName, PyCapsule_GetPointer, PyCapsule_New
cimport numpy as cnp

cnp.import_array()

from cnnkern._ck_status cimport (CK_ERR_UNSUPPORTED, CK_RUNTIME_CAPSULE, ck_index, ck_runtime_api_table, ck_status,
                                 check_status as _check)
from cnnkern._ck_status cimport interrupt_enter, interrupt_leave, ck_interrupt_set_main_thread
import threading as _threading_for_interrupt
ck_interrupt_set_main_thread(_threading_for_interrupt.main_thread().ident)

# This module owns the package's one runtime state (csrc/include/cnnkern/ck_runtime.h): _pool_ext and
# _signal_ext bind to this table at import.
_ck_runtime = PyCapsule_New(<void *>ck_runtime_api_table(), CK_RUNTIME_CAPSULE, NULL)

cdef extern from "cnnkern/ck_common.h" nogil:
    ctypedef enum ck_isa:
        CK_ISA_GENERIC
        CK_ISA_AVX2
        CK_ISA_AVX512
    int ck_openmp_enabled()
    int ck_default_num_threads()
    ck_isa ck_cpu_isa()
    const char *ck_isa_name(ck_isa isa)
    void ck_cpu_force_isa(ck_isa isa)
    const char *ck_build_cflags()
    size_t ck_alloc_current_bytes()
    size_t ck_alloc_peak_bytes()
    void ck_alloc_reset_peak()
    void *ck_aligned_alloc(size_t nbytes)
    void ck_aligned_free(void *p)
    size_t ck_alloc_failed_bytes()

cdef extern from "cnnkern/ck_runtime.h" nogil:
    void ck_workspace_cache_set_limit(size_t nbytes)
    size_t ck_workspace_cache_get_limit()
    size_t ck_workspace_cache_bytes()

cdef extern from "cnnkern/ck_conv.h" nogil:
    # _fill writes the 25 ck_index fields from batch to pad_after as one block (their order is in
    # ck_conv.h, checked by conv_algorithms.c's _Static_assert): only the fields named here are declared.
    ctypedef struct ck_conv_params:
        ck_index batch
        int num_threads

    ctypedef enum ck_conv_direction:
        CK_CONV_FWD
        CK_CONV_BWD_INPUT
        CK_CONV_BWD_WEIGHT

    # the algorithm table (csrc/conv/conv_algorithms.c): names, passes, support tests, workspace queries
    ctypedef struct ck_conv_algorithm:
        const char *name
    const ck_conv_algorithm ck_conv_algorithms[]
    const int ck_conv_algorithm_count
    const char *ck_conv_algorithm_unsupported(const ck_conv_algorithm *a, const ck_conv_params *p,
                                              ck_conv_direction dir)
    ck_status ck_conv_algorithm_run(const ck_conv_algorithm *a, ck_conv_direction dir, size_t elem_size,
                                    const ck_conv_params *p, const void *in0, const void *in1, const void *b,
                                    void *out)
    size_t ck_conv_algorithm_workspace(const ck_conv_algorithm *a, const ck_conv_params *p, ck_conv_direction dir,
                                       size_t elem_size)
    ck_status ck_conv_algorithm_run_backward(const ck_conv_algorithm *a, size_t elem_size, const ck_conv_params *p,
                                             const void *dy, const void *x, const void *w, void *dx, void *dw,
                                             void *db)
    void ck_conv_im2col_set_workspace_limit(size_t nbytes)
    size_t ck_conv_im2col_get_workspace_limit()
    void ck_conv_im2col_set_threading(int openmp_loops)
    int ck_conv_im2col_get_threading()


    # ---- BEGIN winograd hook (csrc/conv/winograd/; port into the C algorithm table) ----
    size_t ck_conv_winograd_weight_elems(const ck_conv_params *p)
    ck_status ck_conv_winograd_transform_weight_f32(const ck_conv_params *p, ck_conv_direction dir, const float *w, float *U)
    ck_status ck_conv_winograd_transform_weight_f64(const ck_conv_params *p, ck_conv_direction dir, const double *w, double *U)
    ck_status ck_conv_winograd_run_f32(const ck_conv_params *p, ck_conv_direction dir, const float *U, const float *inp, const float *b, float *out)
    ck_status ck_conv_winograd_run_f64(const ck_conv_params *p, ck_conv_direction dir, const double *U, const double *inp, const double *b, double *out)
    void ck_conv_winograd_reference_tile(int r, const double *d, const double *g, double *y)
    # ---- END winograd hook ----

    ck_status ck_conv_bwd_bias_f32(const ck_conv_params *p, const float *dy, float *db)
    ck_status ck_conv_bwd_bias_f64(const ck_conv_params *p, const double *dy, double *db)

    # separable (csrc/conv/separable/)
    ck_status ck_conv_fwd__separable_factors_f32(const ck_conv_params *p, const float *x, const float *fac, const float *b, float *y)
    ck_status ck_conv_fwd__separable_factors_f64(const ck_conv_params *p, const double *x, const double *fac, const double *b, double *y)
    ck_status ck_conv_separable_factorize_f32(const ck_conv_params *p, const float *w, float *fac, double *resid)
    ck_status ck_conv_separable_factorize_f64(const ck_conv_params *p, const double *w, double *fac, double *resid)

cdef extern from "cnnkern/ck_gemm.h" nogil:
    ctypedef void (*ck_sgemm_fortran_fn)(const char *, const char *, const int *, const int *, const int *,
                                         const float *, const float *, const int *, const float *,
                                         const int *, const float *, float *, const int *)
    ctypedef void (*ck_dgemm_fortran_fn)(const char *, const char *, const int *, const int *, const int *,
                                         const double *, const double *, const int *, const double *,
                                         const int *, const double *, double *, const int *)
    void ck_gemm_install(ck_sgemm_fortran_fn sgemm, ck_dgemm_fortran_fn dgemm)
    void ck_gemm_use_naive(int on)
    void ck_gemm_use_small_n(int on)
    int ck_gemm_has_blas(int dtype_size)
    ctypedef void (*ck_blas_set_threads_fn)(int)
    ctypedef int (*ck_blas_get_threads_fn)()
    void ck_gemm_install_threads(ck_blas_set_threads_fn set_threads, ck_blas_get_threads_fn get_threads)
    int ck_gemm_small_n_f32(int trans_a, ck_index M, ck_index N, ck_index K, const float *A, ck_index lda,
                            const float *B, ck_index ldb, int accumulate, float *C, ck_index ldc)
    int ck_gemm_small_n_f64(int trans_a, ck_index M, ck_index N, ck_index K, const double *A, ck_index lda,
                            const double *B, ck_index ldb, int accumulate, double *C, ck_index ldc)
    int ck_gemm_panels_f32(int trans_a, ck_index M, ck_index N, ck_index K, const float *A, ck_index lda,
                           const float *B, ck_index ldb, int accumulate, float *C, ck_index ldc)
    int ck_gemm_panels_f64(int trans_a, ck_index M, ck_index N, ck_index K, const double *A, ck_index lda,
                           const double *B, ck_index ldb, int accumulate, double *C, ck_index ldc)
    int ck_gemm_can_pin(int dtype_size)

# The C algorithms, in the order of the C table (cnnkern.algorithms()).
ALGORITHMS = tuple(ck_conv_algorithms[i].name.decode() for i in range(ck_conv_algorithm_count))
_ALGORITHM_INDEX = {name: i for i, name in enumerate(ALGORITHMS)}
_PASS_NAMES = ("forward", "backward-input", "backward-weight")


cdef const ck_conv_algorithm *_algorithm(str name) except NULL:
    cdef object i = _ALGORITHM_INDEX.get(name)
    if i is None:
        raise ValueError(f"unknown C convolution algorithm {name!r}")
    return &ck_conv_algorithms[<int>i]


cdef int _fill(ck_conv_params *p, object geom, int num_threads) except -1:
    """geom is ConvParams.c_struct (the 25 int64 fields before num_threads, as bytes: one copy) or
    ConvParams.as_c_tuple() (4 ints then 7 triples, in the same order)."""
    cdef ck_index *field = &p.batch  # ck_conv_params starts with 25 ck_index fields, unpadded
    cdef Py_ssize_t nbytes = 25 * sizeof(ck_index)
    cdef int i, j
    if type(geom) is bytes:
        if len(<bytes>geom) != nbytes:
            raise ValueError(f"cnnkern._conv_ext: a packed geometry has {nbytes} bytes, got {len(<bytes>geom)}")
        memcpy(field, <const char *>geom, nbytes)
    else:
        for i in range(4):
            field[i] = geom[i]
        for j in range(7):
            for i in range(3):
                field[4 + 3 * j + i] = geom[4 + j][i]
    p.num_threads = num_threads if num_threads > 0 else 1
    return 0


cdef inline void *_ptr(object a, Py_ssize_t itemsize, bint out) except NULL:
    """The data of a C-contiguous, aligned ndarray of the given itemsize (writeable when `out`)."""
    cdef cnp.ndarray arr = <cnp.ndarray?>a
    if (not cnp.PyArray_IS_C_CONTIGUOUS(arr) or not cnp.PyArray_ISALIGNED(arr)
            or cnp.PyArray_ITEMSIZE(arr) != itemsize or (out and not cnp.PyArray_ISWRITEABLE(arr))):
        raise ValueError("cnnkern._conv_ext: arrays must be C-contiguous, aligned, of one float dtype, "
                         "and the output writeable")
    return cnp.PyArray_DATA(arr)


# The C calls of this module (each: fill the parameters, take the pointers, release the GIL, bracket for
# Ctrl-C); _c_call picks the C function, _call does the rest once for all of them.
cdef enum:
    CALL_TABLE           # ck_conv_algorithm_run (in0, in1, b) -> out
    CALL_BIAS            # ck_conv_bwd_bias (dy) -> db
    CALL_SEP_FACTORS     # ck_conv_fwd__separable_factors (x, fac, b) -> y
    CALL_FACTORIZE       # ck_conv_separable_factorize (w) -> fac, resid
    CALL_WINO_TRANSFORM  # ck_conv_winograd_transform_weight (w) -> U
    CALL_WINO_RUN        # ck_conv_winograd_run (inp, U, b) -> out


cdef ck_status _c_call(int call, const ck_conv_algorithm *a, ck_conv_direction d, bint f32,
                       const ck_conv_params *p, const void *p0, const void *p1, const void *bp, void *op,
                       double *extra) noexcept nogil:
    if call == CALL_TABLE:
        return ck_conv_algorithm_run(a, d, 4 if f32 else 8, p, p0, p1, bp, op)
    if call == CALL_BIAS:
        if f32:
            return ck_conv_bwd_bias_f32(p, <const float *>p0, <float *>op)
        return ck_conv_bwd_bias_f64(p, <const double *>p0, <double *>op)
    if call == CALL_SEP_FACTORS:
        if f32:
            return ck_conv_fwd__separable_factors_f32(p, <const float *>p0, <const float *>p1,
                                                      <const float *>bp, <float *>op)
        return ck_conv_fwd__separable_factors_f64(p, <const double *>p0, <const double *>p1,
                                                  <const double *>bp, <double *>op)
    if call == CALL_FACTORIZE:
        if f32:
            return ck_conv_separable_factorize_f32(p, <const float *>p0, <float *>op, extra)
        return ck_conv_separable_factorize_f64(p, <const double *>p0, <double *>op, extra)
    if call == CALL_WINO_TRANSFORM:
        if f32:
            return ck_conv_winograd_transform_weight_f32(p, d, <const float *>p0, <float *>op)
        return ck_conv_winograd_transform_weight_f64(p, d, <const double *>p0, <double *>op)
    if f32:  # CALL_WINO_RUN
        return ck_conv_winograd_run_f32(p, d, <const float *>p1, <const float *>p0, <const float *>bp,
                                        <float *>op)
    return ck_conv_winograd_run_f64(p, d, <const double *>p1, <const double *>p0, <const double *>bp,
                                    <double *>op)


cdef int _call(int call, const ck_conv_algorithm *a, int direction, geom, int num_threads, in0, in1, b,
               out, double *extra) except -1:
    """Run C call `call` on the arrays (out writeable and overwritten; b may be None, in1 is None for the
    one-input calls) and return its status after the Ctrl-C bracket; the caller raises (_check)."""
    cdef ck_conv_params p
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef Py_ssize_t size = (<cnp.ndarray?>out).itemsize
    cdef const void *p0 = _ptr(in0, size, False)
    cdef bint two_inputs = call == CALL_TABLE or call == CALL_SEP_FACTORS or call == CALL_WINO_RUN
    cdef const void *p1 = _ptr(in1, size, False) if two_inputs else NULL
    cdef const void *bp = NULL if b is None else _ptr(b, size, False)
    cdef void *op = _ptr(out, size, True)
    cdef ck_conv_direction d = <ck_conv_direction>direction
    cdef bint f32 = size == 4
    _tok = interrupt_enter()
    with nogil:
        status = _c_call(call, a, d, f32, &p, p0, p1, bp, op, extra)
    return <int>interrupt_leave(_tok, status)


def conv_run(str algorithm, int direction, in0, in1, b, out, geom, int num_threads):
    """One pass of the named C algorithm (the table's ck_conv_algorithm_run), arrays of one dtype:
    direction 0 forward (x, w, b) -> y (b may be None); 1 backward-input (dy, w, None) -> dx;
    2 backward-weight (dy, x, None) -> dw. The output is overwritten."""
    cdef const ck_conv_algorithm *a = _algorithm(algorithm)
    if not 0 <= direction <= 2:
        raise ValueError(f"direction must be 0, 1 or 2, got {direction}")
    cdef int status = _call(CALL_TABLE, a, direction, geom, num_threads, in0, in1, b, out, NULL)
    if status:
        _check(<ck_status>status, f"conv {_PASS_NAMES[direction]} ({algorithm})")


def conv_run_backward(str algorithm, dy, x, w, dx, dw, db, geom, int num_threads):
    """The named algorithm's fused backward (the table's ck_conv_algorithm_run_backward): dx, dw and db
    (db may be None) in one call, arrays of one dtype. True when it ran; False, nothing written, when
    the algorithm has none or declines the problem (the caller then runs the passes)."""
    cdef const ck_conv_algorithm *a = _algorithm(algorithm)
    cdef ck_conv_params p
    _fill(&p, geom, num_threads)
    cdef Py_ssize_t size = (<cnp.ndarray?>dx).itemsize
    cdef const void *pdy = _ptr(dy, size, False)
    cdef const void *px = _ptr(x, size, False)
    cdef const void *pw = _ptr(w, size, False)
    cdef void *pdx = _ptr(dx, size, True)
    cdef void *pdw = _ptr(dw, size, True)
    cdef void *pdb = NULL if db is None else _ptr(db, size, True)
    cdef ck_status status
    _tok = interrupt_enter()
    with nogil:
        status = ck_conv_algorithm_run_backward(a, <size_t>size, &p, pdy, px, pw, pdx, pdw, pdb)
    status = interrupt_leave(_tok, status)
    if status == CK_ERR_UNSUPPORTED:
        return False
    if status:
        _check(status, f"conv backward ({algorithm})")
    return True


def conv_backward_fusable(str algorithm, geom, int num_threads):
    """True when conv_run_backward would run this problem in one call (the table's fused backward,
    asked with no arrays)."""
    cdef ck_conv_params p
    _fill(&p, geom, num_threads)
    return ck_conv_algorithm_run_backward(_algorithm(algorithm), 4, &p, NULL, NULL, NULL, NULL, NULL,
                                          NULL) == 0  # CK_OK


def unsupported(str algorithm, geom, int direction):
    """None when the named C algorithm computes the problem in direction 0/1/2, else why not (a phrase
    completing "algorithm='<name>' ...": the table's support test)."""
    cdef const ck_conv_algorithm *a = _algorithm(algorithm)
    cdef ck_conv_params p
    _fill(&p, geom, 1)
    cdef const char *why = ck_conv_algorithm_unsupported(a, &p, <ck_conv_direction>direction)
    return None if why == NULL else why.decode()


def workspace(str algorithm, geom, int direction, int itemsize, int num_threads):
    """Bytes of workspace the named algorithm allocates for this problem (direction 0/1/2 =
    fwd/bwd_input/bwd_weight); 0 for an algorithm without a workspace query."""
    cdef ck_conv_params p
    _fill(&p, geom, num_threads)
    return int(ck_conv_algorithm_workspace(_algorithm(algorithm), &p, <ck_conv_direction>direction, itemsize))


def conv_backward_bias(dy, db, geom, int num_threads):
    """db[k] = sum of dy over batch and spatial positions (shared by every algorithm)."""
    _check(<ck_status>_call(CALL_BIAS, NULL, 0, geom, num_threads, dy, None, None, db, NULL),
           "conv backward-bias")


def workspace_bytes():
    """(current, peak) bytes held in the C workspace allocator (ck_aligned_alloc) of this extension."""
    return int(ck_alloc_current_bytes()), int(ck_alloc_peak_bytes())


def workspace_alloc_probe(size_t nbytes):
    """For tests: whether the workspace allocator grants nbytes (freed at once), and the size of the
    last block it refused (blocks above the physical memory are refused before any allocation)."""
    cdef void *p = ck_aligned_alloc(nbytes)
    ck_aligned_free(p)
    return p != NULL, int(ck_alloc_failed_bytes())


def workspace_cache_set_limit(size_t nbytes):
    """Bytes of freed large workspace blocks the allocator keeps for reuse (frees those it holds)."""
    ck_workspace_cache_set_limit(nbytes)


def workspace_cache_get_limit():
    return int(ck_workspace_cache_get_limit())


def workspace_cache_bytes():
    """Bytes held in cached (freed, kept for reuse) workspace blocks now."""
    return int(ck_workspace_cache_bytes())


def workspace_reset_peak():
    """Set the workspace peak to the current figure (then a call's peak minus current is its extra memory)."""
    ck_alloc_reset_peak()


def conv_forward_separable_factors(x, fac, b, y, geom, int num_threads):
    """y[...] = conv(x, w) + b for w[k, c] = outer product of the factors; fac is
    [C_out][C_in/groups][k0 + k1 + k2] (cnnkern/_execute.py:factorize's layout)."""
    _check(<ck_status>_call(CALL_SEP_FACTORS, NULL, 0, geom, num_threads, x, fac, b, y, NULL),
           "conv forward (separable factors)")


def separable_factorize(w, fac, resid, geom):
    """fac[k, c, :] = the factors through each slice's largest element, resid[k, c] = the relative
    max-abs residual of that rank-1 reconstruction (float64). w, fac C-contiguous of one dtype."""
    cdef double *rp = <double *>_ptr(resid, 8, True)
    _check(<ck_status>_call(CALL_FACTORIZE, NULL, 0, geom, 1, w, None, None, fac, rp), "separable factorisation")


_ISA_BY_NAME = {"generic": CK_ISA_GENERIC, "avx2": CK_ISA_AVX2, "avx512": CK_ISA_AVX512}


def runtime_info():
    """Build and run-time facts for cnnkern.show_config()."""
    return {
        "openmp": bool(ck_openmp_enabled()),
        "openmp_default_threads": ck_default_num_threads(),
        "isa": ck_isa_name(ck_cpu_isa()).decode(),
        "cflags": ck_build_cflags().decode(),
    }


def isa_in_use():
    """ck_cpu_isa() as an int (the cap applied): cheap, for the Python layer's memo keys."""
    return <int>ck_cpu_isa()


def set_isa_cap(str name):
    """Cap the instruction set the kernels may use ("generic", "avx2", "avx512"); for tests."""
    ck_cpu_force_isa(_ISA_BY_NAME[name])


# ---- im2col: the BLAS adapter (cnnkern/ck_gemm.h) and the workspace limit -------------------------

def gemm_install(sgemm_capsule, dgemm_capsule):
    """Hand C the Fortran-ABI sgemm/dgemm held by two PyCapsules (scipy.linalg.cython_blas.__pyx_capi__).

    Called once by cnnkern/_blas.py:ensure_installed(); None for a capsule leaves that dtype on the naive GEMM.
    """
    cdef void *s = NULL
    cdef void *d = NULL
    if sgemm_capsule is not None:
        s = PyCapsule_GetPointer(sgemm_capsule, PyCapsule_GetName(sgemm_capsule))
    if dgemm_capsule is not None:
        d = PyCapsule_GetPointer(dgemm_capsule, PyCapsule_GetName(dgemm_capsule))
    ck_gemm_install(<ck_sgemm_fortran_fn>s, <ck_dgemm_fortran_fn>d)


def gemm_install_threads(size_t set_address, size_t get_address):
    """Hand C the BLAS's set/get-thread-count functions (addresses from ctypes; 0, 0 to remove them).

    With them the im2col loops run on OpenMP with the BLAS pinned to one thread; without, the loops
    stay serial and the BLAS threads. Called once by cnnkern/_blas.py:ensure_installed().
    """
    ck_gemm_install_threads(<ck_blas_set_threads_fn><void *>set_address,
                            <ck_blas_get_threads_fn><void *>get_address)


def gemm_can_pin(int itemsize):
    return bool(ck_gemm_can_pin(itemsize))


def gemm_use_naive(bint on):
    """For tests: route every im2col GEMM to the naive C loops (True) or back to the BLAS (False)."""
    ck_gemm_use_naive(1 if on else 0)


def gemm_use_small_n(bint on):
    """For measurements and tests: send GEMMs with few columns to cnnkern's own kernels (True, the
    default) or to the BLAS like the others (False)."""
    ck_gemm_use_small_n(1 if on else 0)


def gemm_small_n_probe(bint trans_a, a, b, c, bint accumulate, bint panels=False):
    """For tests: c (+)= op(a) @ b through the small-N GEMM kernels (csrc/gemm/gemm_small_n.h) at the ISA
    in use, or (panels) their panels form over copies of b's columns. a, b, c: 2-D
    arrays of one dtype (float32/float64) with unit column stride (row strides free: views into larger
    arrays test the leading dimensions); op(a) = a.T when trans_a. Returns whether the kernels ran
    (False: declined, e.g. none for this CPU)."""
    cdef cnp.ndarray A = a, B = b, C = c
    cdef Py_ssize_t size = C.itemsize
    for arr in (A, B, C):
        if arr.ndim != 2 or arr.itemsize != size or arr.strides[1] != size or arr.dtype != C.dtype:
            raise ValueError("gemm_small_n_probe needs 2-D arrays of one float dtype with unit column stride")
    if not C.flags.writeable:
        raise ValueError("c must be writeable")
    cdef ck_index M = C.shape[0], N = C.shape[1], K = B.shape[0]
    cdef ck_index lda = A.strides[0] // size, ldb = B.strides[0] // size, ldc = C.strides[0] // size
    if (A.shape[1] if trans_a else A.shape[0]) != M or (A.shape[0] if trans_a else A.shape[1]) != K or B.shape[1] != N:
        raise ValueError("shapes do not chain")
    # the two entry points of csrc/gemm/gemm_small_n.h share one signature per dtype
    cdef int (*gemm32)(int, ck_index, ck_index, ck_index, const float *, ck_index, const float *, ck_index, int,
                       float *, ck_index)
    cdef int (*gemm64)(int, ck_index, ck_index, ck_index, const double *, ck_index, const double *, ck_index, int,
                       double *, ck_index)
    gemm32 = ck_gemm_panels_f32 if panels else ck_gemm_small_n_f32
    gemm64 = ck_gemm_panels_f64 if panels else ck_gemm_small_n_f64
    cdef int done
    if size == 4:
        done = gemm32(trans_a, M, N, K, <const float *>cnp.PyArray_DATA(A), lda, <const float *>cnp.PyArray_DATA(B),
                      ldb, accumulate, <float *>cnp.PyArray_DATA(C), ldc)
    else:
        done = gemm64(trans_a, M, N, K, <const double *>cnp.PyArray_DATA(A), lda, <const double *>cnp.PyArray_DATA(B),
                      ldb, accumulate, <double *>cnp.PyArray_DATA(C), ldc)
    return bool(done)


def gemm_has_blas(int itemsize):
    """True if GEMMs of this element size (4 or 8) currently go to the installed BLAS."""
    return bool(ck_gemm_has_blas(itemsize))


def im2col_set_workspace_limit(size_t nbytes):
    ck_conv_im2col_set_workspace_limit(nbytes)


def im2col_get_workspace_limit():
    return ck_conv_im2col_get_workspace_limit()


def im2col_set_threading(bint openmp_loops):
    """1 (the default, csrc/conv/im2col/conv_im2col.c): OpenMP loops, the BLAS on one thread; 0: the BLAS
    threads and the im2col loops are serial."""
    ck_conv_im2col_set_threading(1 if openmp_loops else 0)


def im2col_get_threading():
    return ck_conv_im2col_get_threading()


def im2col_workspace(geom, int direction, int itemsize, int num_threads):
    return workspace("im2col", geom, direction, itemsize, num_threads)


def _install_scipy_blas():
    """Install SciPy's OpenBLAS sgemm/dgemm (scipy.linalg.cython_blas) in the C adapter; returns the
    source name, or None without SciPy. Called by cnnkern/_blas.py:ensure_installed()."""
    try:
        from scipy.linalg import cython_blas
    except ImportError:  # pragma: no cover - scipy is a dependency; without it im2col uses the naive GEMM
        return None
    gemm_install(cython_blas.__pyx_capi__["sgemm"], cython_blas.__pyx_capi__["dgemm"])
    _install_scipy_complex_blas(cython_blas)
    return "scipy.linalg.cython_blas"


# The BLAS is installed lazily, on the first im2col call, by cnnkern/_blas.py:ensure_installed()
# (importing scipy.linalg costs more than the rest of `import cnnkern`).


# ---- BEGIN winograd hook: the transformed kernel for cnnkern.ConvPlan, workspace, reference tile ----

def winograd_weight_elems(geom):
    cdef ck_conv_params p
    _fill(&p, geom, 1)
    return int(ck_conv_winograd_weight_elems(&p))


def winograd_workspace(geom, int direction, int itemsize, int num_threads):
    return workspace("winograd", geom, direction, itemsize, num_threads)


def winograd_transform_weight(geom, int direction, w, U, int num_threads):
    """U[...] = the transformed kernel of w for direction 0 (forward) or 1 (backward-input)."""
    _check(<ck_status>_call(CALL_WINO_TRANSFORM, NULL, direction, geom, num_threads, w, None, None, U, NULL),
           "winograd kernel transform")


def winograd_run(geom, int direction, U, inp, b, out, int num_threads):
    """out[...] = the direction's result from the transformed kernel U (b: forward bias or None)."""
    _check(<ck_status>_call(CALL_WINO_RUN, NULL, direction, geom, num_threads, inp, U, b, out, NULL),
           "winograd run")


def winograd_reference_tile(d, g):
    """The plain reference of the transforms: the m x m outputs of one 6x6 tile d (36 values) and an
    r x r kernel g (r * r values, r = 3: m = 4; r = 5: m = 2), float64."""
    cdef const double[::1] dd = d
    cdef const double[::1] gd = g
    import numpy as np
    if dd.shape[0] != 36 or gd.shape[0] not in (9, 25):
        raise ValueError("winograd_reference_tile: d needs 36 values and g 9 or 25")
    cdef int r = 3 if gd.shape[0] == 9 else 5
    cdef int m = 6 - r + 1
    y = np.empty(m * m)
    cdef double[::1] yd = y
    ck_conv_winograd_reference_tile(r, &dd[0], &gd[0], &yd[0])
    return y.reshape(m, m)

# ---- END winograd hook ----


# ---- algorithm "fft": complex GEMM, plans, and the transform layer's test entry points -----------
include "_conv_fft.pxi"
