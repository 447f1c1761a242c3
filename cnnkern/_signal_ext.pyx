# cython: language_level=3
"""Thin shim over the single-channel correlation kernels (csrc/include/cnnkern/ck_signal.h).

cnnkern/signal.py validated everything and padded the input, so every call here is a "valid"
cross-correlation y[o] = sum_k w[k] * x[o + k]. Arrays arrive flattened (1-D, C-contiguous) with
their N-D shapes as int64 arrays; y is allocated by the caller. The GIL is released around each C
call; a C status becomes an exception in cnnkern/_ck_status.pxd.
"""
from libc.stdint cimport int64_t, uint32_t, uint64_t

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
    ck_status ck_signal_corr_2d__direct_f64(ck_index out_h, ck_index out_w, const double *x,
                                            ck_index x_pitch, ck_index kh, ck_index kw,
                                            const double *w, double *y, ck_index y_pitch,
                                            int num_threads)
    ck_status ck_signal_corr_2d__direct_f32(ck_index out_h, ck_index out_w, const float *x,
                                            ck_index x_pitch, ck_index kh, ck_index kw,
                                            const float *w, float *y, ck_index y_pitch,
                                            int num_threads)
    void ck_signal_corr_2d_rows__generic_f64(ck_index row_begin, ck_index row_end, ck_index out_w,
                                             const double *x, ck_index x_pitch, ck_index kh,
                                             ck_index kw, const double *w, double *y,
                                             ck_index y_pitch)
    void ck_signal_corr_2d_rows__avx2_f64(ck_index row_begin, ck_index row_end, ck_index out_w,
                                          const double *x, ck_index x_pitch, ck_index kh,
                                          ck_index kw, const double *w, double *y, ck_index y_pitch)
    void ck_signal_corr_2d_rows__avx512_f64(ck_index row_begin, ck_index row_end, ck_index out_w,
                                            const double *x, ck_index x_pitch, ck_index kh,
                                            ck_index kw, const double *w, double *y,
                                            ck_index y_pitch)
    void ck_signal_corr_2d_rows__generic_f32(ck_index row_begin, ck_index row_end, ck_index out_w,
                                             const float *x, ck_index x_pitch, ck_index kh,
                                             ck_index kw, const float *w, float *y, ck_index y_pitch)
    void ck_signal_corr_2d_rows__avx2_f32(ck_index row_begin, ck_index row_end, ck_index out_w,
                                          const float *x, ck_index x_pitch, ck_index kh,
                                          ck_index kw, const float *w, float *y, ck_index y_pitch)
    void ck_signal_corr_2d_rows__avx512_f32(ck_index row_begin, ck_index row_end, ck_index out_w,
                                            const float *x, ck_index x_pitch, ck_index kh,
                                            ck_index kw, const float *w, float *y, ck_index y_pitch)


def corr_nd_u64(const uint64_t[::1] x, const int64_t[::1] x_shape, const uint64_t[::1] w,
                const int64_t[::1] w_shape, uint64_t[::1] y, int num_threads):
    cdef int ndim = <int>x_shape.shape[0]
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        st = ck_signal_corr_nd__direct_u64(ndim, &x_shape[0], &x[0], &w_shape[0], &w[0], &y[0],
                                           num_threads)
    st = interrupt_leave(_tok, st)
    check_status(st, "signal")


def corr_nd_u32(const uint32_t[::1] x, const int64_t[::1] x_shape, const uint32_t[::1] w,
                const int64_t[::1] w_shape, uint32_t[::1] y, int num_threads):
    cdef int ndim = <int>x_shape.shape[0]
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        st = ck_signal_corr_nd__direct_u32(ndim, &x_shape[0], &x[0], &w_shape[0], &w[0], &y[0],
                                           num_threads)
    st = interrupt_leave(_tok, st)
    check_status(st, "signal")


def corr_nd_f64(const double[::1] x, const int64_t[::1] x_shape, const double[::1] w,
                const int64_t[::1] w_shape, double[::1] y, int num_threads):
    cdef int ndim = <int>x_shape.shape[0]
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
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


def corr_2d_f64(const double[:, ::1] x, const double[:, ::1] w, double[:, ::1] y, int num_threads):
    """y[r, c] = sum_ij w[i, j] * x[r + i, c + j] (x rows may be longer than needed: a pitch)."""
    _check_2d(x.shape[0], x.shape[1], w.shape[0], w.shape[1], y.shape[0], y.shape[1])
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        st = ck_signal_corr_2d__direct_f64(y.shape[0], y.shape[1], &x[0, 0], x.strides[0] // 8,
                                           w.shape[0], w.shape[1], &w[0, 0], &y[0, 0],
                                           y.strides[0] // 8, num_threads)
    st = interrupt_leave(_tok, st)
    check_status(st, "signal")


def corr_2d_f32(const float[:, ::1] x, const float[:, ::1] w, float[:, ::1] y, int num_threads):
    _check_2d(x.shape[0], x.shape[1], w.shape[0], w.shape[1], y.shape[0], y.shape[1])
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        st = ck_signal_corr_2d__direct_f32(y.shape[0], y.shape[1], &x[0, 0], x.strides[0] // 4,
                                           w.shape[0], w.shape[1], &w[0, 0], &y[0, 0],
                                           y.strides[0] // 4, num_threads)
    st = interrupt_leave(_tok, st)
    check_status(st, "signal")


KERNEL_ISAS = ("generic", "avx2", "avx512")


def corr_2d_isa_f64(str isa, const double[:, ::1] x, const double[:, ::1] w, double[:, ::1] y):
    """One ISA's kernel, serial, whatever ck_cpu_isa() says (for the tests, which check first that
    the CPU has the instructions: calling an AVX kernel on a CPU without them crashes)."""
    _check_2d(x.shape[0], x.shape[1], w.shape[0], w.shape[1], y.shape[0], y.shape[1])
    if isa not in KERNEL_ISAS:
        raise ValueError(f"isa must be one of {KERNEL_ISAS}, got {isa!r}")
    cdef int which = KERNEL_ISAS.index(isa)
    with nogil:
        if which == 0:
            ck_signal_corr_2d_rows__generic_f64(0, y.shape[0], y.shape[1], &x[0, 0], x.strides[0] // 8,
                                                w.shape[0], w.shape[1], &w[0, 0], &y[0, 0],
                                                y.strides[0] // 8)
        elif which == 1:
            ck_signal_corr_2d_rows__avx2_f64(0, y.shape[0], y.shape[1], &x[0, 0], x.strides[0] // 8,
                                             w.shape[0], w.shape[1], &w[0, 0], &y[0, 0],
                                             y.strides[0] // 8)
        else:
            ck_signal_corr_2d_rows__avx512_f64(0, y.shape[0], y.shape[1], &x[0, 0], x.strides[0] // 8,
                                               w.shape[0], w.shape[1], &w[0, 0], &y[0, 0],
                                               y.strides[0] // 8)


def corr_2d_isa_f32(str isa, const float[:, ::1] x, const float[:, ::1] w, float[:, ::1] y):
    """As corr_2d_isa_f64, float32."""
    _check_2d(x.shape[0], x.shape[1], w.shape[0], w.shape[1], y.shape[0], y.shape[1])
    if isa not in KERNEL_ISAS:
        raise ValueError(f"isa must be one of {KERNEL_ISAS}, got {isa!r}")
    cdef int which = KERNEL_ISAS.index(isa)
    with nogil:
        if which == 0:
            ck_signal_corr_2d_rows__generic_f32(0, y.shape[0], y.shape[1], &x[0, 0], x.strides[0] // 4,
                                                w.shape[0], w.shape[1], &w[0, 0], &y[0, 0],
                                                y.strides[0] // 4)
        elif which == 1:
            ck_signal_corr_2d_rows__avx2_f32(0, y.shape[0], y.shape[1], &x[0, 0], x.strides[0] // 4,
                                             w.shape[0], w.shape[1], &w[0, 0], &y[0, 0],
                                             y.strides[0] // 4)
        else:
            ck_signal_corr_2d_rows__avx512_f32(0, y.shape[0], y.shape[1], &x[0, 0], x.strides[0] // 4,
                                               w.shape[0], w.shape[1], &w[0, 0], &y[0, 0],
                                               y.strides[0] // 4)


def corr_2d_generic_f64(const double[:, ::1] x, const double[:, ::1] w, double[:, ::1] y):
    """The portable kernel whatever the CPU (for the tests: every ISA must agree with it)."""
    _check_2d(x.shape[0], x.shape[1], w.shape[0], w.shape[1], y.shape[0], y.shape[1])
    with nogil:
        ck_signal_corr_2d_rows__generic_f64(0, y.shape[0], y.shape[1], &x[0, 0], x.strides[0] // 8,
                                            w.shape[0], w.shape[1], &w[0, 0], &y[0, 0],
                                            y.strides[0] // 8)


def _runtime_probe(size_t nbytes):
    """For tests of the one runtime state: see _ck_status.runtime_probe."""
    return runtime_probe(nbytes)
