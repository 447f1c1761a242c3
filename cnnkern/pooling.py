"""Pooling, forward and backward: max, min, average (optionally weighted), Lp, global and adaptive,
for 1-D, 2-D and 3-D inputs.

Semantics follow the ``torch.nn.functional`` function of the same name for the same arguments
(``max_pool2d_forward`` <-> ``F.max_pool2d``, ...). Inputs are ``(N, C, *spatial)`` or unbatched
``(C, *spatial)``, any strides, float32/float64 computed natively (bool/int -> float64). Results are
fresh C-contiguous arrays; inputs are never modified.

Every backward function takes ``dy`` first, then the forward's input and keyword arguments, so the
same keyword dict works for both directions::

    kw = dict(kernel_size=3, stride=2, padding=1)
    y = max_pool2d_forward(x, **kw)
    dx = max_pool2d_backward(dy, x, **kw)

All argument validation happens here, once; the C kernels (csrc/pool/, contract in
csrc/include/cnnkern/ck_pool.h) trust what they receive.

Extensions beyond PyTorch:
  * ``min_pool*``: the minimum instead of the maximum (PyTorch's max-pool rules mirrored: padding is
    +inf, ties keep the first minimum, a NaN wins).
  * ``avg_pool*(..., weights=w)``: weighted average. ``w`` has the window's shape and must be finite
    and >= 0. y = sum(w * x over the taps inside the input) / divisor, where the divisor is the sum of
    the weights of the taps that fall inside the input, or ``divisor_override``. ``count_include_pad``
    applies to unweighted averages only (so ``weights=ones`` equals plain average pooling with
    ``count_include_pad=False``).
  * ``global_*`` pools summarise the whole spatial extent; outputs keep singleton spatial axes
    (``(N, C, 1, 1)`` in 2-D), like ``adaptive_*_pool(x, 1)``.
"""
import math

import numpy as np

from . import _pool_ext as _ext
from . import _problem
from ._api import export_per_ndim
from ._dtypes import as_compute_array, c_array, result_dtype
from ._params import as_int as _as_int
from ._params import expand_ints
from ._threads import get_num_threads


_fast_memo = {}  # plain-int window arguments -> _Geom (the rest goes through _problem.memoised)

# Tests flip this to compare the 2x2/stride-2 and 3x3/stride-2 max/min kernels with the general one.
_USE_FAST_PATHS = True


# ------------------------------------------------------------------------------------------------
# Argument normalisation: the per-axis integer rule is convolution's (cnnkern/_params.py), and the
# geometry of a window is validated once per distinct call and memoised (cnnkern/_problem.py).

def _ints(name, value, d, minimum):
    """An int or a sequence of d ints -> tuple of d ints, each >= minimum."""
    return expand_ints(name, value, d, minimum)


def _as_input(name, arr, d, fn, dtype):
    """(array as C-contiguous `dtype`, batched?) after checking ndim and spatial sizes."""
    a = arr if type(arr) is np.ndarray else np.asarray(arr)
    if a.ndim not in (d + 1, d + 2):
        raise ValueError(
            f"{fn}: {name} must have {d + 1} (C, {'spatial, ' * d}unbatched) or {d + 2} "
            f"(N, C, {d} spatial) dimensions, got shape {a.shape}"
        )
    if 0 in a.shape[-d:]:
        raise ValueError(f"{fn}: {name} has an empty spatial axis, shape {a.shape}")
    return as_compute_array(name, a, dtype), a.ndim == d + 2


def _forward_input(fn, d, x):
    """(dtype, x as a C-contiguous array of it, batched?) for a forward pass's only array input."""
    if type(x) is np.ndarray and (x.dtype is _F32 or x.dtype is _F64) and x.flags.c_contiguous \
            and x.flags.aligned and (x.ndim == d + 2 or x.ndim == d + 1) and 0 not in x.shape[-d:]:
        return x.dtype, x, x.ndim == d + 2
    dtype = _dtype_of(("x", x))
    return (dtype,) + _as_input("x", x, d, fn, dtype)


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _pool_out_size(n, k, s, p, dil, ceil_mode):
    """PyTorch's pooling_output_shape (the only place the windowed output size is computed)."""
    num = n + 2 * p - dil * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1  # floor division, as PyTorch's div_rtn
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1  # the last window must start inside the input or the left padding
    return out


class _Geom:
    """One pooling problem: shapes and window parameters, normalised to 3 spatial axes for C."""

    def __init__(self, d, shape, batched, kernel, stride, pad, dilation, out_size):
        self.d = d
        self.shape = tuple(shape)
        self.batched = batched
        self.lead = self.shape[: len(self.shape) - d]          # (N, C) or (C,)
        self.planes = math.prod(self.lead)
        self.in_size = self.shape[-d:]
        self.kernel, self.stride, self.pad, self.dilation = kernel, stride, pad, dilation
        self.out_size = tuple(out_size)
        self.out_shape = self.lead + self.out_size

        def three(v, fill):
            return (fill,) * (3 - d) + tuple(int(t) for t in v)
        self._prm_key = self._prm = None
        self._geom = (three(self.in_size, 1), three(self.kernel, 1), three(self.out_size, 1),
                      three(self.stride, 1), three(self.dilation, 1), three(self.pad, 0), three(self.pad, 0))

    def prm(self, count_include_pad=False, divisor_override=0.0, p=0.0):
        threads = get_num_threads()
        if not count_include_pad and not divisor_override and not p:  # max/min, adaptive: kept
            key = (threads, _USE_FAST_PATHS)
            if self._prm_key == key:
                return self._prm
            self._prm_key = key
            self._prm = self._make_prm(threads, False, 0.0, 0.0)
            return self._prm
        return self._make_prm(threads, count_include_pad, divisor_override, p)

    def _make_prm(self, threads, count_include_pad, divisor_override, p):
        return _ext.pack((self.planes,) + self._geom + (
            threads, int(bool(count_include_pad)), float(divisor_override), float(p),
            int(bool(_USE_FAST_PATHS)),
        ))

    def empty_windows(self):
        """Boolean mask of the output: True where a window has no tap inside the input (only padding)."""
        mask = np.zeros(self.out_size, bool)
        for axis, (n, k, s, p, dl, o) in enumerate(zip(self.in_size, self.kernel, self.stride, self.pad,
                                                       self.dilation, self.out_size)):
            start = np.arange(o) * s - p
            taps = start[:, None] + dl * np.arange(k)[None, :]
            empty = ~((taps >= 0) & (taps < n)).any(axis=1)
            if empty.any():
                shape = [1] * self.d
                shape[axis] = o
                mask |= empty.reshape(shape)
        return np.broadcast_to(mask, self.out_shape)


_SIMPLE = frozenset((int, type(None)))


def _window_geom(fn, d, shape, batched, kernel_size, stride, padding, dilation, ceil_mode):
    if (type(kernel_size) in _SIMPLE and type(stride) in _SIMPLE and type(padding) in _SIMPLE
            and type(dilation) in _SIMPLE and type(ceil_mode) is bool):
        key = (fn, shape, kernel_size, stride, padding, dilation, ceil_mode)  # the common call
        g = _fast_memo.get(key)
        if g is None:
            g = _new_window_geom(fn, d, shape, batched, kernel_size, stride, padding, dilation, ceil_mode)
            if len(_fast_memo) >= 4096:
                _fast_memo.clear()
            _fast_memo[key] = g
        return g
    return _problem.memoised(
        ("pool", fn, (d, shape, batched, bool(ceil_mode)), kernel_size, stride, padding, dilation),
        lambda: _new_window_geom(fn, d, shape, batched, kernel_size, stride, padding, dilation, ceil_mode))


def _new_window_geom(fn, d, shape, batched, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _ints("kernel_size", kernel_size, d, 1)
    if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0):
        stride = kernel
    else:
        stride = _ints("stride", stride, d, 1)
    pad = _ints("padding", padding, d, 0)
    dil = _ints("dilation", dilation, d, 1)
    for k, p in zip(kernel, pad):
        if p > k // 2:
            raise ValueError(
                f"{fn}: padding should be at most half of kernel_size, got padding={padding!r} "
                f"for kernel_size={kernel_size!r}"
            )
    in_size = shape[-d:]
    out = tuple(_pool_out_size(n, k, s, p, dl, bool(ceil_mode))
                for n, k, s, p, dl in zip(in_size, kernel, stride, pad, dil))
    if any(o < 1 for o in out):
        raise ValueError(
            f"{fn}: kernel_size={kernel_size!r}, stride={stride!r}, padding={padding!r}, "
            f"dilation={dilation!r} give an empty output {out} for input spatial size {tuple(in_size)}"
        )
    g = _Geom(d, shape, batched, kernel, stride, pad, dil, out)
    _problem.check_size(fn, "the output", g.out_shape, 8)
    return g


def _check_dy(fn, dy, g, dtype):
    a = np.asarray(dy)
    if a.shape != g.out_shape:
        raise ValueError(f"{fn}: dy has shape {a.shape}, expected the forward output shape {g.out_shape}")
    return as_compute_array("dy", a, dtype)


def _check_indices(fn, indices, shape, limit):
    a = np.asarray(indices)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{fn}: indices must be an integer array, got dtype {a.dtype}")
    if a.shape != tuple(shape):
        raise ValueError(f"{fn}: indices has shape {a.shape}, expected {tuple(shape)}")
    a = c_array(a, np.int64)
    if limit is not None and a.size and (a.min() < 0 or a.max() >= limit):
        raise ValueError(f"{fn}: indices must lie in [0, {limit}) (flat offsets into one plane)")
    return a


def _window_indices(fn, indices, g, dy):
    """(indices, dy) for the backward of a windowed max/min pool. A window that lies entirely in the
    padding has no input element: its output does not depend on x, and the C backward gives it no
    gradient whatever index the forward gave it (torch's index for it may lie outside the plane, or
    alias another element's flat offset). Every other index must lie in the plane."""
    limit = math.prod(g.in_size)
    a = _check_indices(fn, indices, g.out_shape, None)
    if a.size and (a.min() < 0 or a.max() >= limit):
        outside = (a < 0) | (a >= limit)
        if (outside & ~g.empty_windows()).any():
            raise ValueError(f"{fn}: indices must lie in [0, {limit}) (flat offsets into one plane)")
    return a, dy


def _dtype_of(*named):
    return result_dtype(*named)


# ------------------------------------------------------------------------------------------------
# Max / min

def _max_forward(fn, d, is_min, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    dtype, xa, batched = _forward_input(fn, d, x)
    g = _window_geom(fn, d, xa.shape, batched, kernel_size, stride, padding, dilation, ceil_mode)
    y = np.empty(g.out_shape, dtype)
    idx = np.empty(g.out_shape, np.int64) if return_indices else None
    if g.planes:
        _ext.run(_ext.MIN_FWD if is_min else _ext.MAX_FWD, g.prm(), xa, y, idx)
    return (y, idx) if return_indices else y


def _max_backward(fn, d, is_min, dy, x, kernel_size, stride, padding, dilation, ceil_mode, indices):
    dtype = _dtype_of(("dy", dy), ("x", x))
    xa, batched = _as_input("x", x, d, fn, dtype)
    g = _window_geom(fn, d, xa.shape, batched, kernel_size, stride, padding, dilation, ceil_mode)
    dya = _check_dy(fn, dy, g, dtype)
    ia = None
    if indices is not None:
        ia, dya = _window_indices(fn, indices, g, dya)
    dx = np.empty(xa.shape, dtype)
    if g.planes:
        _ext.run(_ext.MIN_BWD if is_min else _ext.MAX_BWD, g.prm(), dya, xa, dx, ia)
    return dx


def _max_unpool(fn, d, y, indices, output_size, kernel_size, stride, padding):
    dtype = _dtype_of(("y", y))
    ya, batched = _as_input("y", y, d, fn, dtype)
    in_size = ya.shape[-d:]
    if output_size is None:
        if kernel_size is None:
            raise ValueError(f"{fn}: give output_size (or kernel_size to derive it as PyTorch)")
        k = _ints("kernel_size", kernel_size, d, 1)
        s = k if stride is None else _ints("stride", stride, d, 1)
        p = _ints("padding", padding, d, 0)
        out = tuple((n - 1) * si - 2 * pi + ki for n, ki, si, pi in zip(in_size, k, s, p))
    else:
        if isinstance(output_size, (list, tuple, np.ndarray)):
            sizes = list(np.asarray(output_size).ravel()) if isinstance(output_size, np.ndarray) \
                else list(output_size)
        else:
            sizes = [output_size] * d
        if len(sizes) in (d + 1, d + 2) and len(sizes) == ya.ndim:
            sizes = sizes[-d:]
        out = _ints("output_size", sizes, d, 1)
    if any(o < 1 for o in out):
        raise ValueError(f"{fn}: output_size must be positive, got {out}")
    lead = ya.shape[: ya.ndim - d]
    _problem.check_size(fn, "the output", lead + out, ya.dtype.itemsize)
    idx = _check_indices(fn, indices, ya.shape, math.prod(out))
    res = np.empty(lead + out, dtype)
    g = _Geom(d, ya.shape, batched, (1,) * d, (1,) * d, (0,) * d, (1,) * d, out)
    if g.planes:
        _ext.run(_ext.MAX_UNPOOL, g.prm(), ya, idx, res)
    return res


# ------------------------------------------------------------------------------------------------
# Average (optionally weighted)

def _avg_common(fn, d, xa, batched, kernel_size, stride, padding, ceil_mode, divisor_override, weights):
    g = _window_geom(fn, d, xa.shape, batched, kernel_size, stride, padding, 1, ceil_mode)
    if d == 3 and any(n < k for n, k in zip(g.in_size, g.kernel)):
        # torch's avg_pool3d rule (its other pools accept a window that overhangs the input)
        raise ValueError(f"{fn}: the input's spatial size {tuple(g.in_size)} is smaller than the "
                         f"kernel size {g.kernel} on some axis")
    div = 0.0
    if divisor_override is not None:
        div = _as_int("divisor_override", divisor_override)
        if div == 0:
            raise ValueError(f"{fn}: divisor_override must be non-zero")
    w = None
    if weights is not None:
        wa = np.asarray(weights)
        if wa.dtype.kind not in "biuf":
            raise TypeError(f"{fn}: weights has dtype {wa.dtype}; use a real-valued array")
        if wa.shape != g.kernel:
            raise ValueError(f"{fn}: weights has shape {wa.shape}, expected the window shape {g.kernel}")
        w = c_array(wa, np.float64)
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"{fn}: weights must be finite and non-negative")
    return g, float(div), w


def _avg_forward(fn, d, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override, weights):
    dtype, xa, batched = _forward_input(fn, d, x)
    g, div, w = _avg_common(fn, d, xa, batched, kernel_size, stride, padding, ceil_mode,
                            divisor_override, weights)
    y = np.empty(g.out_shape, dtype)
    if g.planes:
        _ext.run(_ext.AVG_FWD, g.prm(count_include_pad and w is None, div), xa, y, w)
    return y


def _avg_backward(fn, d, dy, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                  divisor_override, weights):
    dtype = _dtype_of(("dy", dy), ("x", x))
    xa, batched = _as_input("x", x, d, fn, dtype)
    g, div, w = _avg_common(fn, d, xa, batched, kernel_size, stride, padding, ceil_mode,
                            divisor_override, weights)
    dya = _check_dy(fn, dy, g, dtype)
    dx = np.empty(xa.shape, dtype)
    if g.planes:
        _ext.run(_ext.AVG_BWD, g.prm(count_include_pad and w is None, div), dya, dx, w)
    return dx


# ------------------------------------------------------------------------------------------------
# Lp

def _check_p(fn, p):
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: p (norm_type) must be a real number, got {type(p).__name__}")
    p = float(p)
    if math.isnan(p) or p == 0.0:
        raise ValueError(f"{fn}: p (norm_type) must be non-zero and not NaN, got {p}")
    return p


def _lp_forward(fn, d, x, p, kernel_size, stride, ceil_mode):
    p = _check_p(fn, p)
    if math.isinf(p):  # PyTorch: max_pool(|x|) for +inf, -max_pool(-|x|) = min_pool(|x|) for -inf
        dtype = _dtype_of(("x", x))
        xa, _ = _as_input("x", x, d, fn, dtype)
        return _max_forward(fn, d, p < 0, np.abs(xa), kernel_size, stride, 0, 1, ceil_mode, False)
    dtype, xa, batched = _forward_input(fn, d, x)
    g = _window_geom(fn, d, xa.shape, batched, kernel_size, stride, 0, 1, ceil_mode)
    y = np.empty(g.out_shape, dtype)
    if g.planes:
        _ext.run(_ext.LP_FWD, g.prm(p=p), xa, y)
    return y


def _lp_backward(fn, d, dy, x, p, kernel_size, stride, ceil_mode):
    p = _check_p(fn, p)
    dtype = _dtype_of(("dy", dy), ("x", x))
    xa, batched = _as_input("x", x, d, fn, dtype)
    if math.isinf(p):
        dxa = _max_backward(fn, d, p < 0, dy, np.abs(xa), kernel_size, stride, 0, 1, ceil_mode, None)
        return c_array(dxa * np.sign(xa), dtype)
    g = _window_geom(fn, d, xa.shape, batched, kernel_size, stride, 0, 1, ceil_mode)
    dya = _check_dy(fn, dy, g, dtype)
    dx = np.empty(xa.shape, dtype)
    if g.planes:
        _ext.run(_ext.LP_BWD, g.prm(p=p), dya, xa, dx)
    return dx


# ------------------------------------------------------------------------------------------------
# Global: one window covering the whole spatial extent (outputs keep singleton spatial axes)

def _spatial(fn, d, x):
    a = np.asarray(x)
    if a.ndim not in (d + 1, d + 2):
        raise ValueError(f"{fn}: x must have {d + 1} or {d + 2} dimensions, got shape {a.shape}")
    if any(s < 1 for s in a.shape[-d:]):
        raise ValueError(f"{fn}: x has an empty spatial axis, shape {a.shape}")
    return tuple(a.shape[-d:])


# ------------------------------------------------------------------------------------------------
# Adaptive

def _adaptive_geom(fn, d, xa, batched, output_size):
    in_size = xa.shape[-d:]
    if isinstance(output_size, np.ndarray):
        output_size = tuple(output_size.ravel().tolist())
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != d:
            raise ValueError(f"{fn}: output_size must be an int or {d} ints, got {output_size!r}")
        out = tuple(n if o is None else _as_int("output_size", o) for o, n in zip(output_size, in_size))
    elif output_size is None:
        raise ValueError(f"{fn}: output_size is required")
    else:
        out = (_as_int("output_size", output_size),) * d
    if any(o < 1 for o in out):
        raise ValueError(f"{fn}: output_size must be positive, got {output_size!r}")
    g = _Geom(d, xa.shape, batched, (1,) * d, (1,) * d, (0,) * d, (1,) * d, out)
    _problem.check_size(fn, "the output", g.out_shape, xa.dtype.itemsize)
    return g


def _adaptive_max_forward(fn, d, x, output_size, return_indices):
    dtype, xa, batched = _forward_input(fn, d, x)
    g = _adaptive_geom(fn, d, xa, batched, output_size)
    y = np.empty(g.out_shape, dtype)
    idx = np.empty(g.out_shape, np.int64) if return_indices else None
    if g.planes:
        _ext.run(_ext.ADAPTIVE_MAX_FWD, g.prm(), xa, y, idx)
    return (y, idx) if return_indices else y


def _adaptive_max_backward(fn, d, dy, x, output_size, indices):
    dtype = _dtype_of(("dy", dy), ("x", x))
    xa, batched = _as_input("x", x, d, fn, dtype)
    g = _adaptive_geom(fn, d, xa, batched, output_size)
    dya = _check_dy(fn, dy, g, dtype)
    ia = None
    if indices is not None:
        ia = _check_indices(fn, indices, g.out_shape, int(np.prod(g.in_size)))
    dx = np.empty(xa.shape, dtype)
    if g.planes:
        _ext.run(_ext.ADAPTIVE_MAX_BWD, g.prm(), dya, xa, dx, ia)
    return dx


def _adaptive_avg_forward(fn, d, x, output_size):
    dtype, xa, batched = _forward_input(fn, d, x)
    g = _adaptive_geom(fn, d, xa, batched, output_size)
    y = np.empty(g.out_shape, dtype)
    if g.planes:
        _ext.run(_ext.ADAPTIVE_AVG_FWD, g.prm(), xa, y)
    return y


def _adaptive_avg_backward(fn, d, dy, x, output_size):
    dtype = _dtype_of(("dy", dy), ("x", x))
    xa, batched = _as_input("x", x, d, fn, dtype)
    g = _adaptive_geom(fn, d, xa, batched, output_size)
    dya = _check_dy(fn, dy, g, dtype)
    dx = np.empty(xa.shape, dtype)
    if g.planes:
        _ext.run(_ext.ADAPTIVE_AVG_BWD, g.prm(), dya, dx)
    return dx


# ------------------------------------------------------------------------------------------------
# Public API: one template per function; max_pool1d_forward, max_pool2d_forward, ... are made from
# it by cnnkern._api.export_per_ndim with the template's signature minus `d`.

def _extreme_pool(mode, forward_doc):
    """The forward and backward templates of max (mode "max") or min pooling: one pair of bodies."""
    is_min = mode == "min"

    def forward(d, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
        return _max_forward(f"{mode}_pool{d}d_forward", d, is_min, x, kernel_size, stride, padding, dilation,
                            ceil_mode, return_indices)

    def backward(d, dy, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, indices=None,
                 return_indices=False):
        return _max_backward(f"{mode}_pool{d}d_backward", d, is_min, dy, x, kernel_size, stride, padding,
                             dilation, ceil_mode, indices)

    forward.__doc__ = forward_doc
    backward.__doc__ = (f"Gradient of {mode}_pool{{d}}d_forward w.r.t. x (uses `indices` when given; "
                        "return_indices is ignored).")
    return forward, backward


_max_pool_forward, _max_pool_backward = _extreme_pool(
    "max", "Max pooling over {d} spatial axes, as F.max_pool{d}d; -> y, or (y, int64 indices).")
_min_pool_forward, _min_pool_backward = _extreme_pool(
    "min", "Min pooling over {d} spatial axes, as -F.max_pool{d}d(-x) (minimum pooling); -> y, or (y, int64 "
           "indices).")


def _max_unpool_public(d, y, indices, output_size=None, kernel_size=None, stride=None, padding=0):
    """Partial inverse of max_pool{d}d_forward, as F.max_unpool{d}d: zeros with y placed at `indices`.

    output_size: the {d} spatial sizes (or the full output shape); if None it is derived from
    kernel_size/stride/padding as PyTorch does."""
    return _max_unpool(f"max_unpool{d}d", d, y, indices, output_size, kernel_size, stride, padding)


def _avg_pool_forward(d, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                      divisor_override=None, weights=None):
    """Average pooling as F.avg_pool{d}d; `weights` (window-shaped) gives weighted-average pooling."""
    return _avg_forward(f"avg_pool{d}d_forward", d, x, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override, weights)


def _avg_pool_backward(d, dy, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None, weights=None):
    """Gradient of avg_pool{d}d_forward w.r.t. x."""
    return _avg_backward(f"avg_pool{d}d_backward", d, dy, x, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override, weights)


def _lp_pool_forward(d, x, p, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling as F.lp_pool{d}d(x, p, ...): (kernel numel * mean(x**p))**(1/p)."""
    return _lp_forward(f"lp_pool{d}d_forward", d, x, p, kernel_size, stride, ceil_mode)


def _lp_pool_backward(d, dy, x, p, kernel_size, stride=None, ceil_mode=False):
    """Gradient of lp_pool{d}d_forward w.r.t. x (0 where a window's sum of x**p is 0, as PyTorch)."""
    return _lp_backward(f"lp_pool{d}d_backward", d, dy, x, p, kernel_size, stride, ceil_mode)


def _global_max_pool_forward(d, x, return_indices=False):
    """Max over the whole spatial extent -> shape (N, C, 1, ...) with {d} singleton axes (and indices)."""
    fn = f"global_max_pool{d}d_forward"
    return _max_forward(fn, d, False, x, _spatial(fn, d, x), None, 0, 1, False, return_indices)


def _global_max_pool_backward(d, dy, x, indices=None, return_indices=False):
    """Gradient of global_max_pool{d}d_forward w.r.t. x."""
    fn = f"global_max_pool{d}d_backward"
    return _max_backward(fn, d, False, dy, x, _spatial(fn, d, x), None, 0, 1, False, indices)


def _global_min_pool_forward(d, x, return_indices=False):
    """Min over the whole spatial extent -> shape (N, C, 1, ...) with {d} singleton axes (and indices)."""
    fn = f"global_min_pool{d}d_forward"
    return _max_forward(fn, d, True, x, _spatial(fn, d, x), None, 0, 1, False, return_indices)


def _global_min_pool_backward(d, dy, x, indices=None, return_indices=False):
    """Gradient of global_min_pool{d}d_forward w.r.t. x."""
    fn = f"global_min_pool{d}d_backward"
    return _max_backward(fn, d, True, dy, x, _spatial(fn, d, x), None, 0, 1, False, indices)


def _global_avg_pool_forward(d, x):
    """Mean over the whole spatial extent -> shape (N, C, 1, ...) with {d} singleton axes."""
    fn = f"global_avg_pool{d}d_forward"
    return _avg_forward(fn, d, x, _spatial(fn, d, x), None, 0, False, True, None, None)


def _global_avg_pool_backward(d, dy, x):
    """Gradient of global_avg_pool{d}d_forward w.r.t. x."""
    fn = f"global_avg_pool{d}d_backward"
    return _avg_backward(fn, d, dy, x, _spatial(fn, d, x), None, 0, False, True, None, None)


def _global_lp_pool_forward(d, x, p):
    """Lp norm over the whole spatial extent (lp_pool{d}d with the kernel covering the input)."""
    fn = f"global_lp_pool{d}d_forward"
    return _lp_forward(fn, d, x, p, _spatial(fn, d, x), None, False)


def _global_lp_pool_backward(d, dy, x, p):
    """Gradient of global_lp_pool{d}d_forward w.r.t. x."""
    fn = f"global_lp_pool{d}d_backward"
    return _lp_backward(fn, d, dy, x, p, _spatial(fn, d, x), None, False)


def _adaptive_max_pool_forward(d, x, output_size, return_indices=False):
    """Adaptive max pooling as F.adaptive_max_pool{d}d; -> y, or (y, int64 indices)."""
    return _adaptive_max_forward(f"adaptive_max_pool{d}d_forward", d, x, output_size, return_indices)


def _adaptive_max_pool_backward(d, dy, x, output_size, indices=None, return_indices=False):
    """Gradient of adaptive_max_pool{d}d_forward w.r.t. x."""
    return _adaptive_max_backward(f"adaptive_max_pool{d}d_backward", d, dy, x, output_size, indices)


def _adaptive_avg_pool_forward(d, x, output_size):
    """Adaptive average pooling as F.adaptive_avg_pool{d}d."""
    return _adaptive_avg_forward(f"adaptive_avg_pool{d}d_forward", d, x, output_size)


def _adaptive_avg_pool_backward(d, dy, x, output_size):
    """Gradient of adaptive_avg_pool{d}d_forward w.r.t. x."""
    return _adaptive_avg_backward(f"adaptive_avg_pool{d}d_backward", d, dy, x, output_size)


__all__ = export_per_ndim(globals(), {
    "max_pool{d}d_forward": _max_pool_forward,
    "max_pool{d}d_backward": _max_pool_backward,
    "min_pool{d}d_forward": _min_pool_forward,
    "min_pool{d}d_backward": _min_pool_backward,
    "max_unpool{d}d": _max_unpool_public,
    "avg_pool{d}d_forward": _avg_pool_forward,
    "avg_pool{d}d_backward": _avg_pool_backward,
    "lp_pool{d}d_forward": _lp_pool_forward,
    "lp_pool{d}d_backward": _lp_pool_backward,
    "global_max_pool{d}d_forward": _global_max_pool_forward,
    "global_max_pool{d}d_backward": _global_max_pool_backward,
    "global_min_pool{d}d_forward": _global_min_pool_forward,
    "global_min_pool{d}d_backward": _global_min_pool_backward,
    "global_avg_pool{d}d_forward": _global_avg_pool_forward,
    "global_avg_pool{d}d_backward": _global_avg_pool_backward,
    "global_lp_pool{d}d_forward": _global_lp_pool_forward,
    "global_lp_pool{d}d_backward": _global_lp_pool_backward,
    "adaptive_max_pool{d}d_forward": _adaptive_max_pool_forward,
    "adaptive_max_pool{d}d_backward": _adaptive_max_pool_backward,
    "adaptive_avg_pool{d}d_forward": _adaptive_avg_pool_forward,
    "adaptive_avg_pool{d}d_backward": _adaptive_avg_pool_backward,
}, __name__)
