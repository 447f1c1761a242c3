"""The execution layer: the C boundary of convolution, below validation and the chooser.

Everything here trusts its arguments: arrays are C-contiguous, of one dtype (float32 or float64), of
the shapes that a validated ConvParams `p` says; the algorithm is a C algorithm name that supports
the problem. Callers: the problem layer (cnnkern/_problem.py, for the public modules) and the
chooser's autotuning (cnnkern/_choose.py), which times candidates through `timing_runner` without
validating again. This module imports nothing of cnnkern's Python layers but the thread count.

One rule decides when a call runs on one thread (`threads_for_flops`), for convolution, ConvPlan
and cnnkern.signal; pooling's C code has its own grain per output element (CK_POOL_PARALLEL_GRAIN).
"""
import numpy as np

from . import _blas, _conv_ext
from ._threads import get_num_threads

ALGORITHMS = tuple(_conv_ext.ALGORITHMS)  # the C algorithms, in the shim's table order

# Below this many flops (multiply-adds count 2) a call runs on one thread: waking an OpenMP team
# costs more than the work (microseconds on an idle machine, milliseconds when the cores are
# busy). Every algorithm gives bitwise-identical results for any thread count, so this changes speed
# only.
SERIAL_FLOPS = 1_000_000


def threads_for_flops(flops):
    return 1 if flops < SERIAL_FLOPS else get_num_threads()


def threads_for(p):
    return threads_for_flops(p.flop_count)


# ---- what each C algorithm can run (the one statement of these rules in Python) -----------------

def unsupported_reason(algorithm, p, direction):
    """None when the C algorithm runs ConvParams p in `direction`, else why not (a sentence)."""
    if algorithm == "fft" and (p.is_strided() or p.is_dilated()):
        return (f"algorithm='fft' supports stride 1 and dilation 1 only (got stride={p.stride}, "
                f"dilation={p.dilation}): a strided or dilated correlation is not a plain product of "
                "spectra; use algorithm='auto', 'direct' or 'im2col'")
    if algorithm == "winograd":
        reason = winograd_unsupported_reason(p, direction)
        if reason:
            return f"algorithm='winograd' {reason}; use algorithm='auto', 'direct' or 'im2col'"
    if algorithm == "separable" and direction == "backward_weight":
        return ("algorithm='separable' has no backward-weight pass: the weight gradient of a separable "
                "kernel is in general not rank 1, so there is no separable shortcut; use algorithm='auto' "
                "(conv{d}d_backward(..., algorithm='separable') already does for dw)")
    return None


def winograd_unsupported_reason(p, direction):
    """Why algorithm="winograd" (F(4x4, 3x3), csrc/conv/winograd/) cannot run this case, or "" if it can."""
    if direction == "backward_weight":
        return ("has no weight-gradient pass (the Winograd-domain weight gradient was not faster than "
                "direct/im2col; conv*_backward(..., algorithm='winograd') takes dw from 'im2col')")
    if p.ndim != 2 or tuple(p.kernel_size) != (3, 3):
        return f"computes 2-D 3x3 kernels only (got kernel {tuple(p.kernel_size)})"
    if p.is_strided() or p.is_dilated():
        return f"needs stride 1 and dilation 1 (got stride={tuple(p.stride)}, dilation={tuple(p.dilation)})"
    return ""


# The algorithm that computes dw in conv*_backward / ConvPlan for an algorithm without a weight-gradient
# pass. winograd's is fixed (not "auto", whose pick may change with the thread count), so its results
# stay bitwise identical for any thread count; im2col runs every case winograd runs.
WEIGHT_GRADIENT_STAND_IN = {"separable": "auto", "winograd": "im2col"}


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
            _conv_ext.conv_forward_separable_factors(x, factors, b, y, p.c_geom, threads_for(p))
        else:
            _conv_ext.conv_forward(algorithm, x, w, b, y, p.c_geom, threads_for(p))
    return y


def run_backward_input(algorithm, p, dy, w, dx):
    if p.batch:
        _conv_ext.conv_backward_input(algorithm, dy, w, dx, p.c_geom, threads_for(p))
    return dx


def run_backward_weight(algorithm, p, dy, x, dw):
    if p.batch:
        _conv_ext.conv_backward_weight(algorithm, dy, x, dw, p.c_geom, threads_for(p))
    else:
        dw[...] = 0
    return dw


def run_backward_bias(p, dy, dtype):
    db = np.zeros((p.out_channels,), dtype=dtype)
    if p.batch:
        _conv_ext.conv_backward_bias(dy, db, p.c_geom, threads_for(p))
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


# ---- process-wide settings that a memoised decision depends on ----------------------------------

def set_workspace_limit(nbytes):
    global workspace_limit
    _conv_ext.im2col_set_workspace_limit(nbytes)
    workspace_limit = int(_conv_ext.im2col_get_workspace_limit())


workspace_limit = int(_conv_ext.im2col_get_workspace_limit())
