# cython: language_level=3
"""Thin shim over the single-channel correlation kernels (csrc/include/cnnkern/ck_signal.h).

cnnkern/signal.py validated everything and padded the input, so every call here is a "valid"
cross-correlation y[o] = sum_k w[k] * x[o + k]. Arrays arrive flattened (1-D, C-contiguous) with
their N-D shapes as int64 arrays; y is allocated by the caller. The GIL is released around each C
call; a C status becomes an exception in cnnkern/_ck_status.pxd.
"""
from libc.stdint cimport int64_t, uint32_t, uint64_t
cimport numpy as cnp

cnp.import_array()

from cnnkern._ck_status cimport bind_runtime, ck_index, ck_status, check_status, runtime_probe
from cnnkern._ck_status cimport interrupt_enter, interrupt_leave, ck_interrupt_set_main_thread
import threading as _threading_for_interrupt

bind_runtime()  # the one runtime state, owned by cnnkern._conv_ext (ck_runtime.h)
ck_interrupt_set_main_thread(_threading_for_interrupt.main_thread().ident)  # this module's Ctrl-C flag


cdef extern from "cnnkern/ck_signal.h" nogil:
    ck_status ck_signal_corr_nd__direct_u64(int ndim, const ck_index *x_shape, const uint64_t *x,
                                            const ck_index *w_shape, const uint64_t *w, uint64_t *y,
                                            int num_threads)
    ck_status ck_signal_corr_nd__direct_u32(int ndim, const ck_index *x_shape, const uint32_t *x,
                                            const ck_index *w_shape, const uint32_t *w, uint32_t *y,
                                            int num_threads)
    ck_status ck_signal_corr_nd__direct_f64(int ndim, const ck_index *x_shape, const double *x,
                                            const ck_index *w_shape, const double *w, double *y,
                                            int num_threads)
    ctypedef enum ck_isa:
        CK_ISA_GENERIC
        CK_ISA_AVX2
        CK_ISA_AVX512
    ck_status ck_signal_corr_2d__direct_f32(ck_index out_h, ck_index out_w, const float *x,
                                            ck_index x_pitch, ck_index kh, ck_index kw,
                                            const float *w, float *y, ck_index y_pitch,
                                            int num_threads)
    ck_status ck_signal_corr_2d__direct_f64(ck_index out_h, ck_index out_w, const double *x,
                                            ck_index x_pitch, ck_index kh, ck_index kw,
                                            const double *w, double *y, ck_index y_pitch,
                                            int num_threads)
    ck_status ck_signal_corr_2d__direct_isa_f32(ck_isa isa, ck_index out_h, ck_index out_w,
                                                const float *x, ck_index x_pitch, ck_index kh,
                                                ck_index kw, const float *w, float *y,
                                                ck_index y_pitch)
    ck_status ck_signal_corr_2d__direct_isa_f64(ck_isa isa, ck_index out_h, ck_index out_w,
                                                const double *x, ck_index x_pitch, ck_index kh,
                                                ck_index kw, const double *w, double *y,
                                                ck_index y_pitch)


ctypedef fused nd_t:
    uint64_t
    uint32_t
    double


def corr_nd(const nd_t[::1] x, const int64_t[::1] x_shape, const nd_t[::1] w,
            const int64_t[::1] w_shape, nd_t[::1] y, int num_threads):
    """The N-D valid correlation of the flattened x and w (shapes given) into y: uint64 / uint32
    (wrapping) or float64."""
    cdef int ndim = <int>x_shape.shape[0]
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        if nd_t is uint64_t:
            st = ck_signal_corr_nd__direct_u64(ndim, &x_shape[0], &x[0], &w_shape[0], &w[0], &y[0],
                                               num_threads)
        elif nd_t is uint32_t:
            st = ck_signal_corr_nd__direct_u32(ndim, &x_shape[0], &x[0], &w_shape[0], &w[0], &y[0],
                                               num_threads)
        else:
            st = ck_signal_corr_nd__direct_f64(ndim, &x_shape[0], &x[0], &w_shape[0], &w[0], &y[0],
                                               num_threads)
    st = interrupt_leave(_tok, st)
    check_status(st, "signal")


cdef int _check_2d(Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t yh,
                   Py_ssize_t yw) except -1:
    if kh < 1 or kw < 1 or yh < 1 or yw < 1 or xh != yh + kh - 1 or xw < yw + kw - 1:
        raise ValueError(f"corr_2d: shapes x ({xh}, {xw}), w ({kh}, {kw}), y ({yh}, {yw}) do not "
                         "form a valid correlation")
    return 0


cdef inline void *_matrix(object a, int typenum, bint out, ck_index *shape) except NULL:
    """The data of a C-contiguous 2-D ndarray of the given dtype (writeable when `out`); its shape."""
    cdef cnp.ndarray arr = <cnp.ndarray?>a
    if (cnp.PyArray_NDIM(arr) != 2 or cnp.PyArray_TYPE(arr) != typenum
            or not cnp.PyArray_IS_C_CONTIGUOUS(arr) or not cnp.PyArray_ISALIGNED(arr)
            or (out and not cnp.PyArray_ISWRITEABLE(arr))):
        raise ValueError("corr_2d: x, w and y must be C-contiguous, aligned 2-D arrays of one dtype, "
                         "float32 or float64, and y writeable")
    shape[0], shape[1] = cnp.PyArray_DIM(arr, 0), cnp.PyArray_DIM(arr, 1)
    return cnp.PyArray_DATA(arr)


def corr_2d(x, w, y, int num_threads, isa=None):
    """y[r, c] = sum_ij w[i, j] * x[r + i, c + j] (x rows may be longer than needed: a pitch), float32
    or float64 C-contiguous arrays (read through their data pointers: cheaper than typed memoryviews
    on small calls). With isa (one of KERNEL_ISAS) that ISA's kernel runs, serially, whatever
    ck_cpu_isa() says: for the tests, which check first that the CPU has the instructions (calling an
    AVX kernel on a CPU without them crashes)."""
    cdef int typenum = cnp.PyArray_TYPE(<cnp.ndarray?>y)
    if typenum != cnp.NPY_FLOAT32:
        typenum = cnp.NPY_FLOAT64
    cdef ck_index xs[2]
    cdef ck_index ws[2]
    cdef ck_index ys[2]
    cdef const void *xp = _matrix(x, typenum, False, xs)
    cdef const void *wp = _matrix(w, typenum, False, ws)
    cdef void *yp = _matrix(y, typenum, True, ys)
    _check_2d(xs[0], xs[1], ws[0], ws[1], ys[0], ys[1])
    cdef int which = -1
    if isa is not None:
        if isa not in KERNEL_ISAS:
            raise ValueError(f"isa must be one of {KERNEL_ISAS}, got {isa!r}")
        which = KERNEL_ISAS.index(isa)
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        if typenum == cnp.NPY_FLOAT32:
            st = (ck_signal_corr_2d__direct_f32(ys[0], ys[1], <const float *>xp, xs[1], ws[0], ws[1],
                                                <const float *>wp, <float *>yp, ys[1], num_threads)
                  if which < 0 else
                  ck_signal_corr_2d__direct_isa_f32(<ck_isa>which, ys[0], ys[1], <const float *>xp, xs[1],
                                                    ws[0], ws[1], <const float *>wp, <float *>yp, ys[1]))
        else:
            st = (ck_signal_corr_2d__direct_f64(ys[0], ys[1], <const double *>xp, xs[1], ws[0], ws[1],
                                                <const double *>wp, <double *>yp, ys[1], num_threads)
                  if which < 0 else
                  ck_signal_corr_2d__direct_isa_f64(<ck_isa>which, ys[0], ys[1], <const double *>xp,
                                                    xs[1], ws[0], ws[1], <const double *>wp,
                                                    <double *>yp, ys[1]))
    st = interrupt_leave(_tok, st)
    check_status(st, "signal")


# the order of ck_isa (ck_common.h)
KERNEL_ISAS = ("generic", "avx2", "avx512")


def _runtime_probe(size_t nbytes):
    """For tests of the one runtime state: see _ck_status.runtime_probe."""
    return runtime_probe(nbytes)
