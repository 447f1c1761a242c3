"""The execution layer: the C boundary of convolution, below validation and the chooser.

Everything here trusts its arguments: arrays are C-contiguous, of one dtype (float32 or float64), of
the shapes that a validated ConvParams `p` says; the algorithm is a C algorithm name that supports
the problem. Callers: the problem layer (cnnkern/_problem.py, for the public modules) and the
chooser's autotuning (cnnkern/_choose.py), which times candidates through `timing_runner` without
validating again. This module imports nothing of cnnkern's Python layers but the thread count.

One rule decides when a call runs on one thread (`threads_for_flops`), for convolution, ConvPlan
and cnnkern.signal; pooling's C code has its own grain per output element (CK_POOL_PARALLEL_GRAIN).
"""
import random
import time

import numpy as np

from . import _blas, _conv_ext
from ._threads import get_num_threads

ALGORITHMS = tuple(_conv_ext.ALGORITHMS)  # the C algorithms, in the order of the C table

# Below this many flops (multiply-adds count 2) a call runs on one thread: waking an OpenMP team
# costs more than the work (microseconds on an idle machine, milliseconds when the cores are
# busy). Every algorithm gives bitwise-identical results for any thread count, so this changes speed
# only.
SERIAL_FLOPS = 1_000_000


def threads_for_flops(flops):
    return 1 if flops < SERIAL_FLOPS else get_num_threads()


def threads_for(p):
    return threads_for_flops(p.flop_count)


# ---- what each C algorithm can run: the C table's support tests (csrc/conv/conv_algorithms.c) ------

DIRECTION_INDEX = {"forward": 0, "backward_input": 1, "backward_weight": 2}  # ck_conv_direction


def unsupported_reason(algorithm, p, direction):
    """None when the C algorithm runs ConvParams p in `direction`, else why not (a sentence): the C
    support test's reason, the problem's facts and what to use instead."""
    reason = _conv_ext.unsupported(algorithm, p.c_struct, DIRECTION_INDEX[direction])
    if reason is None:
        return None
    stand_in = WEIGHT_GRADIENT_STAND_IN.get(algorithm) if direction == "backward_weight" else None
    instead = (f"; conv{p.ndim}d_backward(..., algorithm={algorithm!r}) takes dw from {stand_in!r}"
               if stand_in else "")
    return (f"algorithm={algorithm!r} {reason} (got kernel {tuple(p.kernel_size)}, stride={tuple(p.stride)}, "
            f"dilation={tuple(p.dilation)}); use algorithm='auto', 'direct' or 'im2col'{instead}")


# The algorithm that computes dw in conv*_backward / ConvPlan for an algorithm without a weight-gradient
# pass (separable: dw is not rank 1).
WEIGHT_GRADIENT_STAND_IN = {"separable": "auto"}


def prepare(algorithm):
    """One-time set-up an algorithm needs before its first call (the BLAS for im2col, fft and winograd's
    per-element GEMMs)."""
    if algorithm in ("im2col", "fft", "winograd"):
        _blas.ensure_installed()


# ---- the three directions and the bias gradient ---------------------------------------------------

def run_forward(algorithm, p, x, w, b, y, factors=None):
    """y = conv(x, w) + b. `factors` (separable only): the packed 1-D factors of w from factorize(),
    so the C code does not factorise the kernel again."""
    if p.batch:
        if factors is not None:
            _conv_ext.conv_forward_separable_factors(x, factors, b, y, p.c_struct, threads_for(p))
        else:
            _conv_ext.conv_run(algorithm, 0, x, w, b, y, p.c_struct, threads_for(p))
    return y


def run_backward_input(algorithm, p, dy, w, dx):
    if p.batch:
        _conv_ext.conv_run(algorithm, 1, dy, w, None, dx, p.c_struct, threads_for(p))
    return dx


def run_backward_weight(algorithm, p, dy, x, dw):
    if p.batch:
        _conv_ext.conv_run(algorithm, 2, dy, x, None, dw, p.c_struct, threads_for(p))
    else:
        dw[...] = 0
    return dw


def run_backward(algorithm, p, dy, x, w, dtype, bias):
    """(dx, dw, db) from the algorithm's fused backward (one pass over dy; db None when not `bias`), or
    None where it has none or declines p (the caller then runs the passes). Same bits either way."""
    threads = threads_for(p)
    if not p.batch or not _conv_ext.conv_backward_fusable(algorithm, p.c_struct, threads):
        return None
    dx = np.empty(p.x_shape, dtype=dtype)
    dw = np.empty(p.w_shape, dtype=dtype)
    db = np.empty((p.out_channels,), dtype=dtype) if bias else None
    if _conv_ext.conv_run_backward(algorithm, dy, x, w, dx, dw, db, p.c_struct, threads):
        return dx, dw, db
    return None


def run_backward_bias(p, dy, dtype):
    db = np.zeros((p.out_channels,), dtype=dtype)
    if p.batch:
        _conv_ext.conv_backward_bias(dy, db, p.c_struct, threads_for(p))
    return db


# ---- separable kernels ----------------------------------------------------------------------------

def factorize(w, ndim):
    """Pivot factorisation of every kernel slice (C: ck_conv_separable_factorize_*).

    w: C-contiguous float32/float64 (C_out, C_in/g, *kernel), ndim = 2 or 3 kernel axes, finite.
    Returns (packed, resid): packed is (C_out, C_in/g, k0 + k1 + k2) in w's dtype with k0 = 1 for 2-D
    (the pivot value), the layout run_forward's `factors` takes; resid[k, c] is the relative max-abs
    residual of each slice's rank-1 reconstruction (float64; 0 for a zero slice)."""
    lead = w.shape[:2]
    k3 = (1,) * (3 - ndim) + tuple(w.shape[2:])
    geom = (0, lead[1], lead[0], 1, (1, 1, 1), k3, (1, 1, 1), (1, 1, 1), (1, 1, 1), (0, 0, 0), (0, 0, 0))
    packed = np.empty(lead + (sum(k3),), dtype=w.dtype)
    resid = np.empty(lead, dtype=np.float64)
    _conv_ext.separable_factorize(w.reshape(-1), packed.reshape(-1), resid.reshape(-1), geom)
    return packed, resid


# ---- autotuning's entry ---------------------------------------------------------------------------

def timing_runner(algorithm, p, dtype, direction, x, w, dy):
    """A no-argument function that runs `algorithm` once on the given arrays (no validation), for
    the chooser's timing; raises NotImplementedError when the algorithm cannot run the case."""
    reason = unsupported_reason(algorithm, p, direction)
    if reason is not None:
        raise NotImplementedError(reason)
    prepare(algorithm)
    if direction == "forward":
        y = np.empty(p.y_shape, dtype)
        return lambda: run_forward(algorithm, p, x, w, None, y)
    if direction == "backward_input":
        dx = np.empty(p.x_shape, dtype)
        return lambda: run_backward_input(algorithm, p, dy, w, dx)
    dw = np.empty(p.w_shape, dtype)
    return lambda: run_backward_weight(algorithm, p, dy, x, dw)


def interleaved_times(fns, repeat, min_time=0.05, max_rounds=50):
    """{name: call times}: rounds of one call of each function in turn (so a burst of load from other
    processes hits every contender alike), at least `repeat` rounds, more (up to max_rounds) until
    min_time per function has passed. The order is shuffled every round (a fixed seed, so the same
    sequence every time): a call right after another one can wait for that call's spinning thread
    pool (OpenBLAS's, PyTorch's), so no function may keep the same predecessor. (A rotation keeps it:
    in benchmarks/vs_torch.py "auto" then followed PyTorch in most rounds, and in 8-12 rows per full
    run read 1.10-1.36x slower than its own algorithm called explicitly; shuffled, 0-1 rows.) The
    functions were warmed up by the caller.
    cnnkern-bench, the guard of algorithm="auto" and benchmarks/vs_torch.py all time through it."""
    times = {name: [] for name in fns}
    names = list(fns)
    order_rng = random.Random(0)
    start = time.perf_counter()
    rounds = 0
    while fns and (rounds < repeat or (time.perf_counter() - start < min_time * len(fns) and rounds < max_rounds)):
        order = names[:]
        order_rng.shuffle(order)
        for name in order:
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
        rounds += 1
    return times


# ---- process-wide settings that a memoised decision depends on ----------------------------------

def set_workspace_limit(nbytes):
    global workspace_limit
    _conv_ext.im2col_set_workspace_limit(nbytes)
    workspace_limit = int(_conv_ext.im2col_get_workspace_limit())


workspace_limit = int(_conv_ext.im2col_get_workspace_limit())
