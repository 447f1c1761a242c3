# cython: language_level=3
"""Thin shim over the C pooling operators (csrc/include/cnnkern/ck_pool.h).

Arguments were validated once, in cnnkern/pooling.py. Arrays are C-contiguous ndarrays of any shape
(float32 or float64, the dtype of the first one; int64 indices, float64 weights); outputs are allocated
by the caller. The shim reads their data pointers directly (cheaper than a typed memoryview per array
on small calls) after checking type, contiguity, size against the parameters and writeability: a
mismatch is a ValueError, never a wild read. Every C call runs with the GIL released; a C status
becomes MemoryError / ValueError / NotImplementedError.
`prm` is the bytes of one ck_pool_params, made once per problem by pack() from the tuple
    (planes, in_size, kernel, out_size, stride, dilation, pad_before, pad_after,
     num_threads, count_include_pad, divisor_override, p, use_fast_paths)
One entry, run(op, prm, a0, a1, a2=None, a3=None), calls every operator: the table _SLOTS says, per
operator, what each array argument is (the order of the C function's arrays), so the checks are
written once.
"""
from libc.stdint cimport int64_t
from libc.string cimport memcpy
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
cimport numpy as cnp

from cnnkern._ck_status cimport bind_runtime, ck_index, ck_status, check_status, runtime_probe
from cnnkern._ck_status cimport interrupt_enter, interrupt_leave, ck_interrupt_set_main_thread
import threading as _threading_for_interrupt

cnp.import_array()
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


def pack(tuple prm):
    """The bytes of the ck_pool_params described by the tuple `prm` (see the module docstring)."""
    cdef ck_pool_params p
    cdef ck_index *triples = &p.in_size[0]  # in_size .. pad_after: 7 adjacent ck_index[3] (checked below)
    cdef int t, a
    p.planes = prm[0]
    for t in range(7):
        for a in range(3):
            triples[3 * t + a] = prm[1 + t][a]
    p.num_threads = prm[8]
    p.count_include_pad = prm[9]
    p.divisor_override = prm[10]
    p.p = prm[11]
    p.use_fast_paths = prm[12]
    return PyBytes_FromStringAndSize(<char *>&p, sizeof(ck_pool_params))


cdef ck_pool_params _layout
if <char *>&_layout.pad_after[0] - <char *>&_layout.in_size[0] != 18 * sizeof(ck_index):
    raise ImportError("cnnkern._pool_ext: ck_pool_params's size arrays are not adjacent (pack() relies on it)")


cdef inline ck_pool_params _unpack(bytes prm) except *:
    cdef ck_pool_params p
    if len(prm) != sizeof(ck_pool_params):
        raise ValueError("cnnkern._pool_ext: prm must come from pack()")
    memcpy(&p, PyBytes_AS_STRING(prm), sizeof(ck_pool_params))
    return p


# Operators (the values of `op`); the module exports them without the OP_ prefix.
cdef enum:
    OP_MAX_FWD, OP_MIN_FWD, OP_MAX_BWD, OP_MIN_BWD, OP_MAX_UNPOOL, OP_AVG_FWD, OP_AVG_BWD, OP_LP_FWD,
    OP_LP_BWD, OP_ADAPTIVE_MAX_FWD, OP_ADAPTIVE_MAX_BWD, OP_ADAPTIVE_AVG_FWD, OP_ADAPTIVE_AVG_BWD, N_OPS
MAX_FWD, MIN_FWD, MAX_BWD, MIN_BWD, MAX_UNPOOL = OP_MAX_FWD, OP_MIN_FWD, OP_MAX_BWD, OP_MIN_BWD, OP_MAX_UNPOOL
AVG_FWD, AVG_BWD, LP_FWD, LP_BWD = OP_AVG_FWD, OP_AVG_BWD, OP_LP_FWD, OP_LP_BWD
ADAPTIVE_MAX_FWD, ADAPTIVE_MAX_BWD = OP_ADAPTIVE_MAX_FWD, OP_ADAPTIVE_MAX_BWD
ADAPTIVE_AVG_FWD, ADAPTIVE_AVG_BWD = OP_ADAPTIVE_AVG_FWD, OP_ADAPTIVE_AVG_BWD

# What an array argument is: its element type, size (input plane, output plane or window) and role.
cdef enum:
    NONE = 0
    X_IN        # float, input-sized, read
    X_IN_OUT    # float, input-sized, written
    Y_IN        # float, output-sized, read
    Y_OUT       # float, output-sized, written
    IDX_IN      # int64, output-sized, read; None allowed
    IDX_OUT     # int64, output-sized, written; None allowed
    WEIGHTS     # float64, one per window tap, read; None allowed
    UNPOOL_IDX  # int64, input-sized (the pooled y), read

cdef int _SLOTS[N_OPS * 4]  # 4 slots per operator
_SLOTS[:] = [
    X_IN, Y_OUT, IDX_OUT, NONE, X_IN, Y_OUT, IDX_OUT, NONE,               # max / min fwd
    Y_IN, X_IN, X_IN_OUT, IDX_IN, Y_IN, X_IN, X_IN_OUT, IDX_IN,           # max / min bwd: dy, x, dx
    X_IN, UNPOOL_IDX, Y_OUT, NONE,                                          # unpool: y, idx, out
    X_IN, Y_OUT, WEIGHTS, NONE, Y_IN, X_IN_OUT, WEIGHTS, NONE,            # avg fwd, bwd
    X_IN, Y_OUT, NONE, NONE, Y_IN, X_IN, X_IN_OUT, NONE,                  # lp fwd, bwd
    X_IN, Y_OUT, IDX_OUT, NONE, Y_IN, X_IN, X_IN_OUT, IDX_IN,             # adaptive max fwd, bwd
    X_IN, Y_OUT, NONE, NONE, Y_IN, X_IN_OUT, NONE, NONE,                  # adaptive avg fwd, bwd
]


cdef inline void *_data(object a, int slot, int ftype, const ck_pool_params *p) except? NULL:
    """The data of array argument `a` after checking it against its slot (NULL for an allowed None)."""
    cdef ck_index in_n = p.planes * p.in_size[0] * p.in_size[1] * p.in_size[2]
    cdef ck_index out_n = p.planes * p.out_size[0] * p.out_size[1] * p.out_size[2]
    cdef int typenum = ftype if slot <= Y_OUT else (cnp.NPY_DOUBLE if slot == WEIGHTS else cnp.NPY_INT64)
    cdef ck_index n = (in_n if slot in (X_IN, X_IN_OUT, UNPOOL_IDX) else
                       p.kernel[0] * p.kernel[1] * p.kernel[2] if slot == WEIGHTS else out_n)
    cdef bint out = slot in (X_IN_OUT, Y_OUT, IDX_OUT)
    if a is None and slot in (IDX_IN, IDX_OUT, WEIGHTS):
        return NULL
    cdef cnp.ndarray arr = <cnp.ndarray?>a
    if (cnp.PyArray_TYPE(arr) != typenum or not cnp.PyArray_IS_C_CONTIGUOUS(arr)
            or not cnp.PyArray_ISALIGNED(arr) or cnp.PyArray_SIZE(arr) != n
            or (out and not cnp.PyArray_ISWRITEABLE(arr))):
        raise ValueError("cnnkern._pool_ext: arrays must be C-contiguous, aligned, of one float dtype "
                         "(int64 indices, float64 weights), sized as the parameters say, outputs writeable")
    return cnp.PyArray_DATA(arr)


cdef ck_status _dispatch(int op, bint f32, const ck_pool_params *p, void **a) noexcept nogil:
    """The C operator `op` of the dtype on the arrays a[0..3] (in _SLOTS order)."""
    if op == OP_MAX_FWD or op == OP_MIN_FWD:
        if f32:
            return (ck_minpool_fwd_f32 if op == OP_MIN_FWD else ck_maxpool_fwd_f32)(
                p, <const float *>a[0], <float *>a[1], <int64_t *>a[2])
        return (ck_minpool_fwd_f64 if op == OP_MIN_FWD else ck_maxpool_fwd_f64)(
            p, <const double *>a[0], <double *>a[1], <int64_t *>a[2])
    if op == OP_MAX_BWD or op == OP_MIN_BWD:
        if f32:
            return (ck_minpool_bwd_f32 if op == OP_MIN_BWD else ck_maxpool_bwd_f32)(
                p, <const float *>a[0], <const float *>a[1], <const int64_t *>a[3], <float *>a[2])
        return (ck_minpool_bwd_f64 if op == OP_MIN_BWD else ck_maxpool_bwd_f64)(
            p, <const double *>a[0], <const double *>a[1], <const int64_t *>a[3], <double *>a[2])
    if op == OP_MAX_UNPOOL:
        if f32:
            return ck_max_unpool_f32(p, <const float *>a[0], <const int64_t *>a[1], <float *>a[2])
        return ck_max_unpool_f64(p, <const double *>a[0], <const int64_t *>a[1], <double *>a[2])
    if op == OP_AVG_FWD:
        if f32:
            return ck_avgpool_fwd_f32(p, <const float *>a[0], <const double *>a[2], <float *>a[1])
        return ck_avgpool_fwd_f64(p, <const double *>a[0], <const double *>a[2], <double *>a[1])
    if op == OP_AVG_BWD:
        if f32:
            return ck_avgpool_bwd_f32(p, <const float *>a[0], <const double *>a[2], <float *>a[1])
        return ck_avgpool_bwd_f64(p, <const double *>a[0], <const double *>a[2], <double *>a[1])
    if op == OP_LP_FWD:
        if f32:
            return ck_lppool_fwd_f32(p, <const float *>a[0], <float *>a[1])
        return ck_lppool_fwd_f64(p, <const double *>a[0], <double *>a[1])
    if op == OP_LP_BWD:
        if f32:
            return ck_lppool_bwd_f32(p, <const float *>a[0], <const float *>a[1], <float *>a[2])
        return ck_lppool_bwd_f64(p, <const double *>a[0], <const double *>a[1], <double *>a[2])
    if op == OP_ADAPTIVE_MAX_FWD:
        if f32:
            return ck_adaptive_maxpool_fwd_f32(p, <const float *>a[0], <float *>a[1], <int64_t *>a[2])
        return ck_adaptive_maxpool_fwd_f64(p, <const double *>a[0], <double *>a[1], <int64_t *>a[2])
    if op == OP_ADAPTIVE_MAX_BWD:
        if f32:
            return ck_adaptive_maxpool_bwd_f32(p, <const float *>a[0], <const float *>a[1],
                                               <const int64_t *>a[3], <float *>a[2])
        return ck_adaptive_maxpool_bwd_f64(p, <const double *>a[0], <const double *>a[1],
                                           <const int64_t *>a[3], <double *>a[2])
    if op == OP_ADAPTIVE_AVG_FWD:
        if f32:
            return ck_adaptive_avgpool_fwd_f32(p, <const float *>a[0], <float *>a[1])
        return ck_adaptive_avgpool_fwd_f64(p, <const double *>a[0], <double *>a[1])
    if f32:  # ADAPTIVE_AVG_BWD
        return ck_adaptive_avgpool_bwd_f32(p, <const float *>a[0], <float *>a[1])
    return ck_adaptive_avgpool_bwd_f64(p, <const double *>a[0], <double *>a[1])


def run(int op, bytes prm, a0, a1, a2=None, a3=None):
    """Run operator `op` (MAX_FWD, ...) with the parameters `prm` (from pack()) on the arrays, given in
    the order of _SLOTS[op] (the C function's array order; outputs are overwritten)."""
    if op < 0 or op >= N_OPS:
        raise ValueError(f"cnnkern._pool_ext: unknown operator {op}")
    cdef ck_pool_params p = _unpack(prm)
    cdef cnp.ndarray first = <cnp.ndarray?>a0
    cdef int ftype = cnp.PyArray_TYPE(first)
    if ftype != cnp.NPY_FLOAT and ftype != cnp.NPY_DOUBLE:
        raise ValueError("cnnkern._pool_ext: arrays must be float32 or float64")
    cdef void *ptr[4]
    cdef int k
    cdef tuple arrays = (a0, a1, a2, a3)
    for k in range(4):
        if _SLOTS[op * 4 + k] == NONE:
            if arrays[k] is not None:
                raise ValueError(f"cnnkern._pool_ext: operator {op} takes no array argument {k}")
            ptr[k] = NULL
        else:
            ptr[k] = _data(arrays[k], _SLOTS[op * 4 + k], ftype, &p)
    cdef ck_status st
    tok = interrupt_enter()
    with nogil:
        st = _dispatch(op, ftype == cnp.NPY_FLOAT, &p, ptr)
    check_status(interrupt_leave(tok, st), "pooling")


def _runtime_probe(size_t nbytes):
    """For tests of the one runtime state: see _ck_status.runtime_probe."""
    return runtime_probe(nbytes)
