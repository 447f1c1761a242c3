# cython: language_level=3
"""Thin shim over the C pooling operators (csrc/include/cnnkern/ck_pool.h).

Arguments were validated once, in cnnkern/pooling.py. Arrays arrive flattened (1-D, C-contiguous,
float32 or float64, int64 indices, float64 weights); outputs are allocated by the caller. Every C call
runs with the GIL released; a C status becomes MemoryError / ValueError / NotImplementedError.
`prm` is the tuple built by pooling._Params.as_tuple():
    (planes, in_size, kernel, out_size, stride, dilation, pad_before, pad_after,
     num_threads, count_include_pad, divisor_override, p, use_fast_paths)
"""
from cython cimport floating
from libc.stdint cimport int64_t

from cnnkern._ck_status cimport bind_runtime, ck_index, ck_status, check_status, runtime_probe
from cnnkern._ck_status cimport interrupt_enter, interrupt_leave, ck_interrupt_set_main_thread
import threading as _threading_for_interrupt

bind_runtime()  # the one runtime state, owned by cnnkern._conv_ext (ck_runtime.h)
ck_interrupt_set_main_thread(_threading_for_interrupt.main_thread().ident)  # this module's Ctrl-C flag


cdef extern from "cnnkern/ck_pool.h" nogil:
    ctypedef struct ck_pool_params:
        ck_index planes
        ck_index in_size[3]
        ck_index kernel[3]
        ck_index out_size[3]
        ck_index stride[3]
        ck_index dilation[3]
        ck_index pad_before[3]
        ck_index pad_after[3]
        int num_threads
        int count_include_pad
        double divisor_override
        double p
        int use_fast_paths

    ck_status ck_maxpool_fwd_f32(const ck_pool_params *p, const float *x, float *y, int64_t *idx)
    ck_status ck_maxpool_fwd_f64(const ck_pool_params *p, const double *x, double *y, int64_t *idx)
    ck_status ck_minpool_fwd_f32(const ck_pool_params *p, const float *x, float *y, int64_t *idx)
    ck_status ck_minpool_fwd_f64(const ck_pool_params *p, const double *x, double *y, int64_t *idx)
    ck_status ck_maxpool_bwd_f32(const ck_pool_params *p, const float *dy, const float *x,
                                 const int64_t *idx, float *dx)
    ck_status ck_maxpool_bwd_f64(const ck_pool_params *p, const double *dy, const double *x,
                                 const int64_t *idx, double *dx)
    ck_status ck_minpool_bwd_f32(const ck_pool_params *p, const float *dy, const float *x,
                                 const int64_t *idx, float *dx)
    ck_status ck_minpool_bwd_f64(const ck_pool_params *p, const double *dy, const double *x,
                                 const int64_t *idx, double *dx)
    ck_status ck_max_unpool_f32(const ck_pool_params *p, const float *y, const int64_t *idx, float *out)
    ck_status ck_max_unpool_f64(const ck_pool_params *p, const double *y, const int64_t *idx, double *out)
    ck_status ck_avgpool_fwd_f32(const ck_pool_params *p, const float *x, const double *w, float *y)
    ck_status ck_avgpool_fwd_f64(const ck_pool_params *p, const double *x, const double *w, double *y)
    ck_status ck_avgpool_bwd_f32(const ck_pool_params *p, const float *dy, const double *w, float *dx)
    ck_status ck_avgpool_bwd_f64(const ck_pool_params *p, const double *dy, const double *w, double *dx)
    ck_status ck_lppool_fwd_f32(const ck_pool_params *p, const float *x, float *y)
    ck_status ck_lppool_fwd_f64(const ck_pool_params *p, const double *x, double *y)
    ck_status ck_lppool_bwd_f32(const ck_pool_params *p, const float *dy, const float *x, float *dx)
    ck_status ck_lppool_bwd_f64(const ck_pool_params *p, const double *dy, const double *x, double *dx)
    ck_status ck_adaptive_maxpool_fwd_f32(const ck_pool_params *p, const float *x, float *y, int64_t *idx)
    ck_status ck_adaptive_maxpool_fwd_f64(const ck_pool_params *p, const double *x, double *y, int64_t *idx)
    ck_status ck_adaptive_maxpool_bwd_f32(const ck_pool_params *p, const float *dy, const float *x,
                                          const int64_t *idx, float *dx)
    ck_status ck_adaptive_maxpool_bwd_f64(const ck_pool_params *p, const double *dy, const double *x,
                                          const int64_t *idx, double *dx)
    ck_status ck_adaptive_avgpool_fwd_f32(const ck_pool_params *p, const float *x, float *y)
    ck_status ck_adaptive_avgpool_fwd_f64(const ck_pool_params *p, const double *x, double *y)
    ck_status ck_adaptive_avgpool_bwd_f32(const ck_pool_params *p, const float *dy, float *dx)
    ck_status ck_adaptive_avgpool_bwd_f64(const ck_pool_params *p, const double *dy, double *dx)


cdef ck_pool_params _fill(tuple prm) except *:
    cdef ck_pool_params p
    cdef int a
    p.planes = prm[0]
    for a in range(3):
        p.in_size[a] = prm[1][a]
        p.kernel[a] = prm[2][a]
        p.out_size[a] = prm[3][a]
        p.stride[a] = prm[4][a]
        p.dilation[a] = prm[5][a]
        p.pad_before[a] = prm[6][a]
        p.pad_after[a] = prm[7][a]
    p.num_threads = prm[8]
    p.count_include_pad = prm[9]
    p.divisor_override = prm[10]
    p.p = prm[11]
    p.use_fast_paths = prm[12]
    return p


def max_fwd(tuple prm, const floating[::1] x, floating[::1] y, int64_t[::1] idx=None, bint is_min=False):
    cdef ck_pool_params p = _fill(prm)
    cdef int64_t *ip = NULL
    cdef ck_status st
    if idx is not None:
        ip = &idx[0]
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            if is_min:
                st = ck_minpool_fwd_f32(&p, &x[0], &y[0], ip)
            else:
                st = ck_maxpool_fwd_f32(&p, &x[0], &y[0], ip)
        else:
            if is_min:
                st = ck_minpool_fwd_f64(&p, &x[0], &y[0], ip)
            else:
                st = ck_maxpool_fwd_f64(&p, &x[0], &y[0], ip)
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def max_bwd(tuple prm, const floating[::1] dy, const floating[::1] x, floating[::1] dx,
            const int64_t[::1] idx=None, bint is_min=False):
    cdef ck_pool_params p = _fill(prm)
    cdef const int64_t *ip = NULL
    cdef ck_status st
    if idx is not None:
        ip = &idx[0]
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            if is_min:
                st = ck_minpool_bwd_f32(&p, &dy[0], &x[0], ip, &dx[0])
            else:
                st = ck_maxpool_bwd_f32(&p, &dy[0], &x[0], ip, &dx[0])
        else:
            if is_min:
                st = ck_minpool_bwd_f64(&p, &dy[0], &x[0], ip, &dx[0])
            else:
                st = ck_maxpool_bwd_f64(&p, &dy[0], &x[0], ip, &dx[0])
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def max_unpool(tuple prm, const floating[::1] y, const int64_t[::1] idx, floating[::1] out):
    cdef ck_pool_params p = _fill(prm)
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            st = ck_max_unpool_f32(&p, &y[0], &idx[0], &out[0])
        else:
            st = ck_max_unpool_f64(&p, &y[0], &idx[0], &out[0])
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def avg_fwd(tuple prm, const floating[::1] x, floating[::1] y, const double[::1] w=None):
    cdef ck_pool_params p = _fill(prm)
    cdef const double *wp = NULL
    cdef ck_status st
    if w is not None:
        wp = &w[0]
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            st = ck_avgpool_fwd_f32(&p, &x[0], wp, &y[0])
        else:
            st = ck_avgpool_fwd_f64(&p, &x[0], wp, &y[0])
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def avg_bwd(tuple prm, const floating[::1] dy, floating[::1] dx, const double[::1] w=None):
    cdef ck_pool_params p = _fill(prm)
    cdef const double *wp = NULL
    cdef ck_status st
    if w is not None:
        wp = &w[0]
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            st = ck_avgpool_bwd_f32(&p, &dy[0], wp, &dx[0])
        else:
            st = ck_avgpool_bwd_f64(&p, &dy[0], wp, &dx[0])
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def lp_fwd(tuple prm, const floating[::1] x, floating[::1] y):
    cdef ck_pool_params p = _fill(prm)
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            st = ck_lppool_fwd_f32(&p, &x[0], &y[0])
        else:
            st = ck_lppool_fwd_f64(&p, &x[0], &y[0])
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def lp_bwd(tuple prm, const floating[::1] dy, const floating[::1] x, floating[::1] dx):
    cdef ck_pool_params p = _fill(prm)
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            st = ck_lppool_bwd_f32(&p, &dy[0], &x[0], &dx[0])
        else:
            st = ck_lppool_bwd_f64(&p, &dy[0], &x[0], &dx[0])
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def adaptive_max_fwd(tuple prm, const floating[::1] x, floating[::1] y, int64_t[::1] idx=None):
    cdef ck_pool_params p = _fill(prm)
    cdef int64_t *ip = NULL
    cdef ck_status st
    if idx is not None:
        ip = &idx[0]
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            st = ck_adaptive_maxpool_fwd_f32(&p, &x[0], &y[0], ip)
        else:
            st = ck_adaptive_maxpool_fwd_f64(&p, &x[0], &y[0], ip)
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def adaptive_max_bwd(tuple prm, const floating[::1] dy, const floating[::1] x, floating[::1] dx,
                     const int64_t[::1] idx=None):
    cdef ck_pool_params p = _fill(prm)
    cdef const int64_t *ip = NULL
    cdef ck_status st
    if idx is not None:
        ip = &idx[0]
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            st = ck_adaptive_maxpool_bwd_f32(&p, &dy[0], &x[0], ip, &dx[0])
        else:
            st = ck_adaptive_maxpool_bwd_f64(&p, &dy[0], &x[0], ip, &dx[0])
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def adaptive_avg_fwd(tuple prm, const floating[::1] x, floating[::1] y):
    cdef ck_pool_params p = _fill(prm)
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            st = ck_adaptive_avgpool_fwd_f32(&p, &x[0], &y[0])
        else:
            st = ck_adaptive_avgpool_fwd_f64(&p, &x[0], &y[0])
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def adaptive_avg_bwd(tuple prm, const floating[::1] dy, floating[::1] dx):
    cdef ck_pool_params p = _fill(prm)
    cdef ck_status st
    _tok = interrupt_enter()
    with nogil:
        if floating is float:
            st = ck_adaptive_avgpool_bwd_f32(&p, &dy[0], &dx[0])
        else:
            st = ck_adaptive_avgpool_bwd_f64(&p, &dy[0], &dx[0])
    st = interrupt_leave(_tok, st)
    check_status(st, "pooling")


def _runtime_probe(size_t nbytes):
    """For tests of the one runtime state: see _ck_status.runtime_probe."""
    return runtime_probe(nbytes)
