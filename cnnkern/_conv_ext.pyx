# cython: language_level=3
"""Cython shim over csrc/conv: pointers from typed memoryviews, the C call without the GIL, and the
C status turned into an exception. No validation here: cnnkern/conv.py validated everything once.

Arrays arrive flattened (ravel of C-contiguous arrays) in float32 or float64; inputs are declared
`const` so read-only arrays are accepted.
"""
from libc.stdint cimport int64_t

cdef extern from "cnnkern/ck_common.h" nogil:
    ctypedef int64_t ck_index
    ctypedef enum ck_status:
        CK_OK
        CK_ERR_NOMEM
        CK_ERR_INVALID
        CK_ERR_UNSUPPORTED
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

    ck_status ck_conv_bwd_bias_f32(const ck_conv_params *p, const float *dy, float *db)
    ck_status ck_conv_bwd_bias_f64(const ck_conv_params *p, const double *dy, double *db)

ctypedef ck_status (*fwd_f32_fn)(const ck_conv_params *, const float *, const float *, const float *, float *) noexcept nogil
ctypedef ck_status (*fwd_f64_fn)(const ck_conv_params *, const double *, const double *, const double *, double *) noexcept nogil
ctypedef ck_status (*bwd_f32_fn)(const ck_conv_params *, const float *, const float *, float *) noexcept nogil
ctypedef ck_status (*bwd_f64_fn)(const ck_conv_params *, const double *, const double *, double *) noexcept nogil

# The C algorithms this extension provides, in the order of the tables below.
ALGORITHMS = ("reference", "direct")

cdef fwd_f32_fn FWD_F32[2]
cdef fwd_f64_fn FWD_F64[2]
cdef bwd_f32_fn BWD_INPUT_F32[2]
cdef bwd_f64_fn BWD_INPUT_F64[2]
cdef bwd_f32_fn BWD_WEIGHT_F32[2]
cdef bwd_f64_fn BWD_WEIGHT_F64[2]
FWD_F32[:] = [ck_conv_fwd__reference_f32, ck_conv_fwd__direct_f32]
FWD_F64[:] = [ck_conv_fwd__reference_f64, ck_conv_fwd__direct_f64]
BWD_INPUT_F32[:] = [ck_conv_bwd_input__reference_f32, ck_conv_bwd_input__direct_f32]
BWD_INPUT_F64[:] = [ck_conv_bwd_input__reference_f64, ck_conv_bwd_input__direct_f64]
BWD_WEIGHT_F32[:] = [ck_conv_bwd_weight__reference_f32, ck_conv_bwd_weight__direct_f32]
BWD_WEIGHT_F64[:] = [ck_conv_bwd_weight__reference_f64, ck_conv_bwd_weight__direct_f64]


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


cdef int _check(ck_status status, str what) except -1:
    if status == CK_OK:
        return 0
    if status == CK_ERR_NOMEM:
        raise MemoryError(f"cnnkern: {what}: out of memory allocating workspace")
    if status == CK_ERR_UNSUPPORTED:
        raise NotImplementedError(f"cnnkern: {what}: configuration not supported by this algorithm")
    raise ValueError(f"cnnkern: {what}: invalid parameters (C status {<int>status})")


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
