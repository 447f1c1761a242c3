# cython: language_level=3
"""Thin shim over the single-channel correlation kernels (csrc/include/cnnkern/ck_signal.h).

cnnkern/signal.py validated everything and padded the input, so every call here is a "valid"
cross-correlation y[o] = sum_k w[k] * x[o + k]. Arrays arrive flattened (1-D, C-contiguous) with
their N-D shapes as int64 arrays; y is allocated by the caller. The GIL is released around each C
call; a C status becomes ValueError / MemoryError.
"""
from libc.stdint cimport int64_t, uint64_t


cdef extern from "cnnkern/ck_signal.h" nogil:
    ctypedef int64_t ck_index
    ctypedef enum ck_status:
        CK_OK
        CK_ERR_NOMEM
        CK_ERR_INVALID
        CK_ERR_UNSUPPORTED
    ck_status ck_signal_corr_nd__direct_u64(int ndim, const ck_index *x_shape, const uint64_t *x,
                                            const ck_index *w_shape, const uint64_t *w, uint64_t *y,
                                            int num_threads)
    ck_status ck_signal_corr_nd__direct_f64(int ndim, const ck_index *x_shape, const double *x,
                                            const ck_index *w_shape, const double *w, double *y,
                                            int num_threads)
    ck_status ck_signal_corr_1d__direct_f64(ck_index n, const double *x, ck_index k,
                                            const double *w, double *y)
    ck_status ck_signal_corr_1d__direct_f32(ck_index n, const float *x, ck_index k,
                                            const float *w, float *y)
    void ck_signal_corr_1d__generic_f64(ck_index n, const double *x, ck_index k,
                                        const double *w, double *y)


cdef int _check(ck_status st) except -1:
    if st == CK_OK:
        return 0
    if st == CK_ERR_NOMEM:
        raise MemoryError("cnnkern.signal: workspace allocation failed")
    raise ValueError(f"cnnkern.signal: the C kernel rejected its arguments (status {<int>st})")


def corr_nd_u64(const uint64_t[::1] x, const int64_t[::1] x_shape, const uint64_t[::1] w,
                const int64_t[::1] w_shape, uint64_t[::1] y, int num_threads):
    cdef int ndim = <int>x_shape.shape[0]
    cdef ck_status st
    with nogil:
        st = ck_signal_corr_nd__direct_u64(ndim, &x_shape[0], &x[0], &w_shape[0], &w[0], &y[0],
                                           num_threads)
    _check(st)


def corr_nd_f64(const double[::1] x, const int64_t[::1] x_shape, const double[::1] w,
                const int64_t[::1] w_shape, double[::1] y, int num_threads):
    cdef int ndim = <int>x_shape.shape[0]
    cdef ck_status st
    with nogil:
        st = ck_signal_corr_nd__direct_f64(ndim, &x_shape[0], &x[0], &w_shape[0], &w[0], &y[0],
                                           num_threads)
    _check(st)


def corr_1d_f64(const double[::1] x, const double[::1] w, double[::1] y):
    cdef ck_status st
    with nogil:
        st = ck_signal_corr_1d__direct_f64(x.shape[0], &x[0], w.shape[0], &w[0], &y[0])
    _check(st)


def corr_1d_f32(const float[::1] x, const float[::1] w, float[::1] y):
    cdef ck_status st
    with nogil:
        st = ck_signal_corr_1d__direct_f32(x.shape[0], &x[0], w.shape[0], &w[0], &y[0])
    _check(st)


def corr_1d_generic_f64(const double[::1] x, const double[::1] w, double[::1] y):
    """The portable kernel whatever the CPU (for the tests: every ISA must agree with it)."""
    if w.shape[0] < 1 or w.shape[0] > x.shape[0] or y.shape[0] != x.shape[0] - w.shape[0] + 1:
        raise ValueError("corr_1d_generic_f64: need 1 <= len(w) <= len(x), len(y) = len(x)-len(w)+1")
    with nogil:
        ck_signal_corr_1d__generic_f64(x.shape[0], &x[0], w.shape[0], &w[0], &y[0])
