# cython: language_level=3
"""Cython shim over csrc/conv: pointers from the arrays, the C call without the GIL, and the C status
turned into an exception. No validation here: cnnkern/_problem.py validated everything once.

The convolution entries take C-contiguous ndarrays of any shape in float32 or float64 (read-only
inputs are fine) and read their data pointers directly (_ptr: cheaper than a typed memoryview per
array on small calls); the other entries take flattened arrays as typed memoryviews.
"""
from libc.stdint cimport int64_t
from cpython.pycapsule cimport PyCapsule_GetName, PyCapsule_GetPointer, PyCapsule_New
cimport numpy as cnp

cnp.import_array()

from cnnkern._ck_status cimport (CK_RUNTIME_CAPSULE, ck_index, ck_runtime_api_table, ck_status,
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

cdef extern from "cnnkern/ck_conv.h" nogil:
    ctypedef struct ck_conv_params:
        ck_index batch
        ck_index in_channels
        ck_index out_channels
        ck_index groups
        ck_index in_size[3]
        ck_index kernel_size[3]
        ck_index out_size[3]
        ck_index stride[3]
        ck_index dilation[3]
        ck_index pad_before[3]
        ck_index pad_after[3]
        int num_threads

    ck_status ck_conv_fwd__reference_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y)
    ck_status ck_conv_fwd__reference_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y)
    ck_status ck_conv_bwd_input__reference_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx)
    ck_status ck_conv_bwd_input__reference_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx)
    ck_status ck_conv_bwd_weight__reference_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw)
    ck_status ck_conv_bwd_weight__reference_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw)

    ck_status ck_conv_fwd__direct_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y)
    ck_status ck_conv_fwd__direct_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y)
    ck_status ck_conv_bwd_input__direct_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx)
    ck_status ck_conv_bwd_input__direct_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx)
    ck_status ck_conv_bwd_weight__direct_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw)
    ck_status ck_conv_bwd_weight__direct_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw)

    ck_status ck_conv_fwd__im2col_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y)
    ck_status ck_conv_fwd__im2col_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y)
    ck_status ck_conv_bwd_input__im2col_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx)
    ck_status ck_conv_bwd_input__im2col_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx)
    ck_status ck_conv_bwd_weight__im2col_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw)
    ck_status ck_conv_bwd_weight__im2col_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw)
    ctypedef enum ck_conv_direction:
        CK_CONV_FWD
        CK_CONV_BWD_INPUT
        CK_CONV_BWD_WEIGHT
    size_t ck_conv_workspace__im2col(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size)
    void ck_conv_im2col_set_workspace_limit(size_t nbytes)
    size_t ck_conv_im2col_get_workspace_limit()
    void ck_conv_im2col_set_threading(int openmp_loops)
    int ck_conv_im2col_get_threading()

    ck_status ck_conv_fwd__fft_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y)
    ck_status ck_conv_fwd__fft_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y)
    ck_status ck_conv_bwd_input__fft_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx)
    ck_status ck_conv_bwd_input__fft_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx)
    ck_status ck_conv_bwd_weight__fft_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw)
    ck_status ck_conv_bwd_weight__fft_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw)

    # ---- BEGIN winograd hook (csrc/conv/winograd/; port into the C algorithm table) ----
    ck_status ck_conv_fwd__winograd_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y)
    ck_status ck_conv_fwd__winograd_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y)
    ck_status ck_conv_bwd_input__winograd_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx)
    ck_status ck_conv_bwd_input__winograd_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx)
    ck_status ck_conv_bwd_weight__winograd_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw)
    ck_status ck_conv_bwd_weight__winograd_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw)
    int ck_conv_winograd_supports(const ck_conv_params *p)
    size_t ck_conv_winograd_weight_elems(const ck_conv_params *p)
    size_t ck_conv_workspace__winograd(const ck_conv_params *p, ck_conv_direction dir, size_t elem_size)
    ck_status ck_conv_winograd_transform_weight_f32(const ck_conv_params *p, ck_conv_direction dir, const float *w, float *U)
    ck_status ck_conv_winograd_transform_weight_f64(const ck_conv_params *p, ck_conv_direction dir, const double *w, double *U)
    ck_status ck_conv_winograd_run_f32(const ck_conv_params *p, ck_conv_direction dir, const float *U, const float *inp, const float *b, float *out)
    ck_status ck_conv_winograd_run_f64(const ck_conv_params *p, ck_conv_direction dir, const double *U, const double *inp, const double *b, double *out)
    void ck_conv_winograd_reference_tile(const double *d, const double *g, double *y)
    # ---- END winograd hook ----

    ck_status ck_conv_bwd_bias_f32(const ck_conv_params *p, const float *dy, float *db)
    ck_status ck_conv_bwd_bias_f64(const ck_conv_params *p, const double *dy, double *db)

    # separable (csrc/conv/separable/)
    ck_status ck_conv_fwd__separable_f32(const ck_conv_params *p, const float *x, const float *w, const float *b, float *y)
    ck_status ck_conv_fwd__separable_f64(const ck_conv_params *p, const double *x, const double *w, const double *b, double *y)
    ck_status ck_conv_bwd_input__separable_f32(const ck_conv_params *p, const float *dy, const float *w, float *dx)
    ck_status ck_conv_bwd_input__separable_f64(const ck_conv_params *p, const double *dy, const double *w, double *dx)
    ck_status ck_conv_bwd_weight__separable_f32(const ck_conv_params *p, const float *dy, const float *x, float *dw)
    ck_status ck_conv_bwd_weight__separable_f64(const ck_conv_params *p, const double *dy, const double *x, double *dw)
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
    int ck_gemm_has_blas(int dtype_size)
    ctypedef void (*ck_blas_set_threads_fn)(int)
    ctypedef int (*ck_blas_get_threads_fn)()
    void ck_gemm_install_threads(ck_blas_set_threads_fn set_threads, ck_blas_get_threads_fn get_threads)
    int ck_gemm_can_pin(int dtype_size)

ctypedef ck_status (*fwd_f32_fn)(const ck_conv_params *, const float *, const float *, const float *, float *) noexcept nogil
ctypedef ck_status (*fwd_f64_fn)(const ck_conv_params *, const double *, const double *, const double *, double *) noexcept nogil
ctypedef ck_status (*bwd_f32_fn)(const ck_conv_params *, const float *, const float *, float *) noexcept nogil
ctypedef ck_status (*bwd_f64_fn)(const ck_conv_params *, const double *, const double *, double *) noexcept nogil

# The C algorithms this extension provides, in the order of the tables below.
ALGORITHMS = ("reference", "direct", "im2col", "fft", "separable", "winograd")  # winograd hook: last name

cdef fwd_f32_fn FWD_F32[6]
cdef fwd_f64_fn FWD_F64[6]
cdef bwd_f32_fn BWD_INPUT_F32[6]
cdef bwd_f64_fn BWD_INPUT_F64[6]
cdef bwd_f32_fn BWD_WEIGHT_F32[6]
cdef bwd_f64_fn BWD_WEIGHT_F64[6]
FWD_F32[:] = [ck_conv_fwd__reference_f32, ck_conv_fwd__direct_f32, ck_conv_fwd__im2col_f32,
              ck_conv_fwd__fft_f32, ck_conv_fwd__separable_f32, ck_conv_fwd__winograd_f32]
FWD_F64[:] = [ck_conv_fwd__reference_f64, ck_conv_fwd__direct_f64, ck_conv_fwd__im2col_f64,
              ck_conv_fwd__fft_f64, ck_conv_fwd__separable_f64, ck_conv_fwd__winograd_f64]
BWD_INPUT_F32[:] = [ck_conv_bwd_input__reference_f32, ck_conv_bwd_input__direct_f32,
                    ck_conv_bwd_input__im2col_f32, ck_conv_bwd_input__fft_f32, ck_conv_bwd_input__separable_f32,
                    ck_conv_bwd_input__winograd_f32]
BWD_INPUT_F64[:] = [ck_conv_bwd_input__reference_f64, ck_conv_bwd_input__direct_f64,
                    ck_conv_bwd_input__im2col_f64, ck_conv_bwd_input__fft_f64, ck_conv_bwd_input__separable_f64,
                    ck_conv_bwd_input__winograd_f64]
BWD_WEIGHT_F32[:] = [ck_conv_bwd_weight__reference_f32, ck_conv_bwd_weight__direct_f32,
                     ck_conv_bwd_weight__im2col_f32, ck_conv_bwd_weight__fft_f32, ck_conv_bwd_weight__separable_f32,
                     ck_conv_bwd_weight__winograd_f32]
BWD_WEIGHT_F64[:] = [ck_conv_bwd_weight__reference_f64, ck_conv_bwd_weight__direct_f64,
                     ck_conv_bwd_weight__im2col_f64, ck_conv_bwd_weight__fft_f64, ck_conv_bwd_weight__separable_f64,
                     ck_conv_bwd_weight__winograd_f64]


cdef int _algorithm_index(str name) except -1:
    try:
        return ALGORITHMS.index(name)
    except ValueError:
        raise ValueError(f"unknown C convolution algorithm {name!r}") from None


cdef void _fill(ck_conv_params *p, tuple geom, int num_threads):
    """geom is ConvParams.as_c_tuple(): 4 ints then 7 triples."""
    cdef int i
    p.batch, p.in_channels, p.out_channels, p.groups = geom[0], geom[1], geom[2], geom[3]
    for i in range(3):
        p.in_size[i] = geom[4][i]
        p.kernel_size[i] = geom[5][i]
        p.out_size[i] = geom[6][i]
        p.stride[i] = geom[7][i]
        p.dilation[i] = geom[8][i]
        p.pad_before[i] = geom[9][i]
        p.pad_after[i] = geom[10][i]
    p.num_threads = num_threads if num_threads > 0 else 1


cdef inline void *_ptr(object a, Py_ssize_t itemsize, bint out) except NULL:
    """The data of a C-contiguous ndarray of the given itemsize (writeable when `out`)."""
    cdef cnp.ndarray arr = <cnp.ndarray?>a
    if (not cnp.PyArray_IS_C_CONTIGUOUS(arr) or cnp.PyArray_ITEMSIZE(arr) != itemsize
            or (out and not cnp.PyArray_ISWRITEABLE(arr))):
        raise ValueError("cnnkern._conv_ext: arrays must be C-contiguous, of one float dtype, and "
                         "the output writeable")
    return cnp.PyArray_DATA(arr)


cdef Py_ssize_t _forward_pointers(x, w, b, y, const void **xp, const void **wp, const void **bp,
                                  void **yp) except -1:
    """The data of a forward call's arrays (b may be None); returns the itemsize."""
    cdef Py_ssize_t size = (<cnp.ndarray?>y).itemsize
    xp[0] = _ptr(x, size, False)
    wp[0] = _ptr(w, size, False)
    bp[0] = NULL if b is None else _ptr(b, size, False)
    yp[0] = _ptr(y, size, True)
    return size


def conv_forward(str algorithm, x, w, b, y, tuple geom, int num_threads):
    """y[...] = conv(x, w) + b with the named C algorithm. Arrays of one dtype; b may be None."""
    cdef ck_conv_params p
    cdef int a = _algorithm_index(algorithm)
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef const void *xp
    cdef const void *wp
    cdef const void *bp
    cdef void *yp
    cdef Py_ssize_t size = _forward_pointers(x, w, b, y, &xp, &wp, &bp, &yp)
    _tok = interrupt_enter()
    if size == 4:
        with nogil:
            status = FWD_F32[a](&p, <const float *>xp, <const float *>wp, <const float *>bp, <float *>yp)
    else:
        with nogil:
            status = FWD_F64[a](&p, <const double *>xp, <const double *>wp, <const double *>bp, <double *>yp)
    status = interrupt_leave(_tok, status)
    _check(status, f"conv forward ({algorithm})")


def conv_backward_input(str algorithm, dy, w, dx, tuple geom, int num_threads):
    """dx[...] = the gradient of <conv(x, w), dy> with respect to x."""
    cdef ck_conv_params p
    cdef int a = _algorithm_index(algorithm)
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef Py_ssize_t size = (<cnp.ndarray?>dx).itemsize
    cdef const void *dyp = _ptr(dy, size, False)
    cdef const void *wp = _ptr(w, size, False)
    cdef void *dxp = _ptr(dx, size, True)
    _tok = interrupt_enter()
    if size == 4:
        with nogil:
            status = BWD_INPUT_F32[a](&p, <const float *>dyp, <const float *>wp, <float *>dxp)
    else:
        with nogil:
            status = BWD_INPUT_F64[a](&p, <const double *>dyp, <const double *>wp, <double *>dxp)
    status = interrupt_leave(_tok, status)
    _check(status, f"conv backward-input ({algorithm})")


def conv_backward_weight(str algorithm, dy, x, dw, tuple geom, int num_threads):
    """dw[...] = the gradient of <conv(x, w), dy> with respect to w."""
    cdef ck_conv_params p
    cdef int a = _algorithm_index(algorithm)
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef Py_ssize_t size = (<cnp.ndarray?>dw).itemsize
    cdef const void *dyp = _ptr(dy, size, False)
    cdef const void *xp = _ptr(x, size, False)
    cdef void *dwp = _ptr(dw, size, True)
    _tok = interrupt_enter()
    if size == 4:
        with nogil:
            status = BWD_WEIGHT_F32[a](&p, <const float *>dyp, <const float *>xp, <float *>dwp)
    else:
        with nogil:
            status = BWD_WEIGHT_F64[a](&p, <const double *>dyp, <const double *>xp, <double *>dwp)
    status = interrupt_leave(_tok, status)
    _check(status, f"conv backward-weight ({algorithm})")


def conv_backward_bias(dy, db, tuple geom, int num_threads):
    """db[k] = sum of dy over batch and spatial positions (shared by every algorithm)."""
    cdef ck_conv_params p
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef Py_ssize_t size = (<cnp.ndarray?>db).itemsize
    cdef const void *dyp = _ptr(dy, size, False)
    cdef void *dbp = _ptr(db, size, True)
    _tok = interrupt_enter()
    if size == 4:
        with nogil:
            status = ck_conv_bwd_bias_f32(&p, <const float *>dyp, <float *>dbp)
    else:
        with nogil:
            status = ck_conv_bwd_bias_f64(&p, <const double *>dyp, <double *>dbp)
    status = interrupt_leave(_tok, status)
    _check(status, "conv backward-bias")


def workspace_bytes():
    """(current, peak) bytes held in the C workspace allocator (ck_aligned_alloc) of this extension."""
    return int(ck_alloc_current_bytes()), int(ck_alloc_peak_bytes())


def workspace_alloc_probe(size_t nbytes):
    """For tests: whether the workspace allocator grants nbytes (freed at once), and the size of the
    last block it refused (blocks above the physical memory are refused before any allocation)."""
    cdef void *p = ck_aligned_alloc(nbytes)
    ck_aligned_free(p)
    return p != NULL, int(ck_alloc_failed_bytes())


def workspace_reset_peak():
    """Set the workspace peak to the current figure (then a call's peak minus current is its extra memory)."""
    ck_alloc_reset_peak()


def conv_forward_separable_factors(x, fac, b, y, tuple geom, int num_threads):
    """y[...] = conv(x, w) + b for w[k, c] = outer product of the factors; fac is
    [C_out][C_in/groups][k0 + k1 + k2] (cnnkern/_execute.py:factorize's layout)."""
    cdef ck_conv_params p
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef const void *xp
    cdef const void *fp
    cdef const void *bp
    cdef void *yp
    cdef Py_ssize_t size = _forward_pointers(x, fac, b, y, &xp, &fp, &bp, &yp)
    _tok = interrupt_enter()
    if size == 4:
        with nogil:
            status = ck_conv_fwd__separable_factors_f32(&p, <const float *>xp, <const float *>fp,
                                                        <const float *>bp, <float *>yp)
    else:
        with nogil:
            status = ck_conv_fwd__separable_factors_f64(&p, <const double *>xp, <const double *>fp,
                                                        <const double *>bp, <double *>yp)
    status = interrupt_leave(_tok, status)
    _check(status, "conv forward (separable factors)")


def separable_factorize(w, fac, resid, tuple geom):
    """fac[k, c, :] = the factors through each slice's largest element, resid[k, c] = the relative
    max-abs residual of that rank-1 reconstruction (float64). All arrays 1-D views; w, fac one dtype."""
    cdef ck_conv_params p
    cdef ck_status status
    _fill(&p, geom, 1)
    cdef const float[::1] wf
    cdef float[::1] ff
    cdef const double[::1] wd
    cdef double[::1] fd
    cdef double[::1] rd = resid
    if fac.dtype.itemsize == 4:
        wf, ff = w, fac
        _tok = interrupt_enter()
        with nogil:
            status = ck_conv_separable_factorize_f32(&p, &wf[0], &ff[0], &rd[0])
        status = interrupt_leave(_tok, status)
    else:
        wd, fd = w, fac
        _tok = interrupt_enter()
        with nogil:
            status = ck_conv_separable_factorize_f64(&p, &wd[0], &fd[0], &rd[0])
        status = interrupt_leave(_tok, status)
    _check(status, "separable factorisation")


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


def gemm_has_blas(int itemsize):
    """True if GEMMs of this element size (4 or 8) currently go to the installed BLAS."""
    return bool(ck_gemm_has_blas(itemsize))


def im2col_set_workspace_limit(size_t nbytes):
    ck_conv_im2col_set_workspace_limit(nbytes)


def im2col_get_workspace_limit():
    return ck_conv_im2col_get_workspace_limit()


def im2col_set_threading(bint openmp_loops):
    """0: the BLAS threads and the im2col loops are serial (default); 1: OpenMP loops, BLAS on one thread."""
    ck_conv_im2col_set_threading(1 if openmp_loops else 0)


def im2col_get_threading():
    return ck_conv_im2col_get_threading()


def im2col_workspace(tuple geom, int direction, int itemsize, int num_threads):
    """Bytes of workspace the im2col operator allocates for this problem (direction 0/1/2 = fwd/bwd_input/bwd_weight)."""
    cdef ck_conv_params p
    _fill(&p, geom, num_threads)
    return ck_conv_workspace__im2col(&p, <ck_conv_direction>direction, itemsize)


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

def winograd_supports(tuple geom):
    cdef ck_conv_params p
    _fill(&p, geom, 1)
    return bool(ck_conv_winograd_supports(&p))


def winograd_weight_elems(tuple geom):
    cdef ck_conv_params p
    _fill(&p, geom, 1)
    return int(ck_conv_winograd_weight_elems(&p))


def winograd_workspace(tuple geom, int direction, int itemsize, int num_threads):
    """Bytes a plain winograd call allocates (direction 0/1 = fwd/bwd_input)."""
    cdef ck_conv_params p
    _fill(&p, geom, num_threads)
    return int(ck_conv_workspace__winograd(&p, <ck_conv_direction>direction, itemsize))


def winograd_transform_weight(tuple geom, int direction, w, U, int num_threads):
    """U[...] = the transformed kernel of w for direction 0 (forward) or 1 (backward-input)."""
    cdef ck_conv_params p
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef Py_ssize_t size = (<cnp.ndarray?>U).itemsize
    cdef const void *wp = _ptr(w, size, False)
    cdef void *up = _ptr(U, size, True)
    _tok = interrupt_enter()
    if size == 4:
        with nogil:
            status = ck_conv_winograd_transform_weight_f32(&p, <ck_conv_direction>direction,
                                                           <const float *>wp, <float *>up)
    else:
        with nogil:
            status = ck_conv_winograd_transform_weight_f64(&p, <ck_conv_direction>direction,
                                                           <const double *>wp, <double *>up)
    status = interrupt_leave(_tok, status)
    _check(status, "winograd kernel transform")


def winograd_run(tuple geom, int direction, U, inp, b, out, int num_threads):
    """out[...] = the direction's result from the transformed kernel U (b: forward bias or None)."""
    cdef ck_conv_params p
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef const void *xp
    cdef const void *up
    cdef const void *bp
    cdef void *op
    cdef Py_ssize_t size = _forward_pointers(inp, U, b, out, &xp, &up, &bp, &op)
    _tok = interrupt_enter()
    if size == 4:
        with nogil:
            status = ck_conv_winograd_run_f32(&p, <ck_conv_direction>direction, <const float *>up,
                                              <const float *>xp, <const float *>bp, <float *>op)
    else:
        with nogil:
            status = ck_conv_winograd_run_f64(&p, <ck_conv_direction>direction, <const double *>up,
                                              <const double *>xp, <const double *>bp, <double *>op)
    status = interrupt_leave(_tok, status)
    _check(status, "winograd run")


def winograd_reference_tile(d, g):
    """The plain reference of the transforms: the 4x4 outputs of one 6x6 tile d and 3x3 kernel g (float64)."""
    cdef const double[::1] dd = d
    cdef const double[::1] gd = g
    import numpy as np
    y = np.empty(16)
    cdef double[::1] yd = y
    ck_conv_winograd_reference_tile(&dd[0], &gd[0], &yd[0])
    return y.reshape(4, 4)

# ---- END winograd hook ----


# ---- algorithm "fft": complex GEMM, plans, and the transform layer's test entry points -----------
include "_conv_fft.pxi"
