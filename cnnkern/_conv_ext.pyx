# cython: language_level=3
"""Cython shim over csrc/conv: pointers from typed memoryviews, the C call without the GIL, and the
C status turned into an exception. No validation here: cnnkern/conv.py validated everything once.

Arrays arrive flattened (ravel of C-contiguous arrays) in float32 or float64; inputs are declared
`const` so read-only arrays are accepted.
"""
from libc.stdint cimport int64_t
from cpython.pycapsule cimport PyCapsule_GetName, PyCapsule_GetPointer, PyCapsule_New

from cnnkern._ck_status cimport (CK_RUNTIME_CAPSULE, ck_index, ck_runtime_api_table, ck_status,
                                 check_status as _check)

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
ALGORITHMS = ("reference", "direct", "im2col", "fft", "separable")

cdef fwd_f32_fn FWD_F32[5]
cdef fwd_f64_fn FWD_F64[5]
cdef bwd_f32_fn BWD_INPUT_F32[5]
cdef bwd_f64_fn BWD_INPUT_F64[5]
cdef bwd_f32_fn BWD_WEIGHT_F32[5]
cdef bwd_f64_fn BWD_WEIGHT_F64[5]
FWD_F32[:] = [ck_conv_fwd__reference_f32, ck_conv_fwd__direct_f32, ck_conv_fwd__im2col_f32,
              ck_conv_fwd__fft_f32, ck_conv_fwd__separable_f32]
FWD_F64[:] = [ck_conv_fwd__reference_f64, ck_conv_fwd__direct_f64, ck_conv_fwd__im2col_f64,
              ck_conv_fwd__fft_f64, ck_conv_fwd__separable_f64]
BWD_INPUT_F32[:] = [ck_conv_bwd_input__reference_f32, ck_conv_bwd_input__direct_f32,
                    ck_conv_bwd_input__im2col_f32, ck_conv_bwd_input__fft_f32, ck_conv_bwd_input__separable_f32]
BWD_INPUT_F64[:] = [ck_conv_bwd_input__reference_f64, ck_conv_bwd_input__direct_f64,
                    ck_conv_bwd_input__im2col_f64, ck_conv_bwd_input__fft_f64, ck_conv_bwd_input__separable_f64]
BWD_WEIGHT_F32[:] = [ck_conv_bwd_weight__reference_f32, ck_conv_bwd_weight__direct_f32,
                     ck_conv_bwd_weight__im2col_f32, ck_conv_bwd_weight__fft_f32, ck_conv_bwd_weight__separable_f32]
BWD_WEIGHT_F64[:] = [ck_conv_bwd_weight__reference_f64, ck_conv_bwd_weight__direct_f64,
                     ck_conv_bwd_weight__im2col_f64, ck_conv_bwd_weight__fft_f64, ck_conv_bwd_weight__separable_f64]


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


def conv_forward(str algorithm, x, w, b, y, tuple geom, int num_threads):
    """y[...] = conv(x, w) + b with the named C algorithm. All arrays 1-D views, same dtype; b may be None."""
    cdef ck_conv_params p
    cdef int a = _algorithm_index(algorithm)
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef const float[::1] xf, wf, bf
    cdef float[::1] yf
    cdef const double[::1] xd, wd, bd
    cdef double[::1] yd
    cdef const float *bf_ptr = NULL
    cdef const double *bd_ptr = NULL
    if y.dtype.itemsize == 4:
        xf, wf, yf = x, w, y
        if b is not None:
            bf = b
            bf_ptr = &bf[0]
        with nogil:
            status = FWD_F32[a](&p, &xf[0], &wf[0], bf_ptr, &yf[0])
    else:
        xd, wd, yd = x, w, y
        if b is not None:
            bd = b
            bd_ptr = &bd[0]
        with nogil:
            status = FWD_F64[a](&p, &xd[0], &wd[0], bd_ptr, &yd[0])
    _check(status, f"conv forward ({algorithm})")


def conv_backward_input(str algorithm, dy, w, dx, tuple geom, int num_threads):
    """dx[...] = the gradient of <conv(x, w), dy> with respect to x."""
    cdef ck_conv_params p
    cdef int a = _algorithm_index(algorithm)
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef const float[::1] dyf, wf
    cdef float[::1] dxf
    cdef const double[::1] dyd, wd
    cdef double[::1] dxd
    if dx.dtype.itemsize == 4:
        dyf, wf, dxf = dy, w, dx
        with nogil:
            status = BWD_INPUT_F32[a](&p, &dyf[0], &wf[0], &dxf[0])
    else:
        dyd, wd, dxd = dy, w, dx
        with nogil:
            status = BWD_INPUT_F64[a](&p, &dyd[0], &wd[0], &dxd[0])
    _check(status, f"conv backward-input ({algorithm})")


def conv_backward_weight(str algorithm, dy, x, dw, tuple geom, int num_threads):
    """dw[...] = the gradient of <conv(x, w), dy> with respect to w."""
    cdef ck_conv_params p
    cdef int a = _algorithm_index(algorithm)
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef const float[::1] dyf, xf
    cdef float[::1] dwf
    cdef const double[::1] dyd, xd
    cdef double[::1] dwd
    if dw.dtype.itemsize == 4:
        dyf, xf, dwf = dy, x, dw
        with nogil:
            status = BWD_WEIGHT_F32[a](&p, &dyf[0], &xf[0], &dwf[0])
    else:
        dyd, xd, dwd = dy, x, dw
        with nogil:
            status = BWD_WEIGHT_F64[a](&p, &dyd[0], &xd[0], &dwd[0])
    _check(status, f"conv backward-weight ({algorithm})")


def conv_backward_bias(dy, db, tuple geom, int num_threads):
    """db[k] = sum of dy over batch and spatial positions (shared by every algorithm)."""
    cdef ck_conv_params p
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef const float[::1] dyf
    cdef float[::1] dbf
    cdef const double[::1] dyd
    cdef double[::1] dbd
    if db.dtype.itemsize == 4:
        dyf, dbf = dy, db
        with nogil:
            status = ck_conv_bwd_bias_f32(&p, &dyf[0], &dbf[0])
    else:
        dyd, dbd = dy, db
        with nogil:
            status = ck_conv_bwd_bias_f64(&p, &dyd[0], &dbd[0])
    _check(status, "conv backward-bias")


def workspace_bytes():
    """(current, peak) bytes held in the C workspace allocator (ck_aligned_alloc) of this extension."""
    return int(ck_alloc_current_bytes()), int(ck_alloc_peak_bytes())


def workspace_reset_peak():
    """Set the workspace peak to the current figure (then a call's peak minus current is its extra memory)."""
    ck_alloc_reset_peak()


def conv_forward_separable_factors(x, fac, b, y, tuple geom, int num_threads):
    """y[...] = conv(x, w) + b for w[k, c] = outer product of the factors; fac is
    [C_out][C_in/groups][k0 + k1 + k2] flattened (cnnkern/separable.py builds it)."""
    cdef ck_conv_params p
    cdef ck_status status
    _fill(&p, geom, num_threads)
    cdef const float[::1] xf, ff, bf
    cdef float[::1] yf
    cdef const double[::1] xd, fd, bd
    cdef double[::1] yd
    cdef const float *bf_ptr = NULL
    cdef const double *bd_ptr = NULL
    if y.dtype.itemsize == 4:
        xf, ff, yf = x, fac, y
        if b is not None:
            bf = b
            bf_ptr = &bf[0]
        with nogil:
            status = ck_conv_fwd__separable_factors_f32(&p, &xf[0], &ff[0], bf_ptr, &yf[0])
    else:
        xd, fd, yd = x, fac, y
        if b is not None:
            bd = b
            bd_ptr = &bd[0]
        with nogil:
            status = ck_conv_fwd__separable_factors_f64(&p, &xd[0], &fd[0], bd_ptr, &yd[0])
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
        with nogil:
            status = ck_conv_separable_factorize_f32(&p, &wf[0], &ff[0], &rd[0])
    else:
        wd, fd = w, fac
        with nogil:
            status = ck_conv_separable_factorize_f64(&p, &wd[0], &fd[0], &rd[0])
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


# ---- algorithm "fft": complex GEMM, plans, and the transform layer's test entry points -----------
include "_conv_fft.pxi"
