"""Separable (rank-1) kernels: detection, factorisation, and convolution from the factors.

A 2-D kernel slice w[k, c] is separable when it is the outer product of two vectors (rank 1), a 3-D
slice when it is the outer product of three. Then the correlation is one 1-D pass per axis:
O(k0 + k1 + k2) multiply-adds per output and slice instead of O(k0 * k1 * k2)
(algorithm="separable", C code in csrc/conv/separable/).

Factorisation (the same in C, csrc/conv/separable/conv_separable_template.h): pivot on the slice's
largest-magnitude element w[i*, j*] = v (the first one in C order), then
    w = outer(w[:, j*], w[i*, :] / v)                      (2-D)
    w = w[:, j*, l*] (x) (w[i*, :, l*] / v) (x) (w[i*, j*, :] / v)   (3-D)
which is exact, up to rounding, for a rank-1 slice. The slice is accepted as separable when the
reconstruction differs from it by at most rtol * max|slice| everywhere (rtol defaults to
32 * eps(dtype)); an all-zero slice is separable.

1-D kernels are trivially separable: algorithm="separable" on a 1-D convolution runs the "direct"
algorithm (a single 1-D pass is exactly what it computes, and it blocks output channels in
registers, which the separable passes do not).
"""
import numpy as np

from . import _conv_ext
from ._api import export_per_ndim
from ._dtypes import as_compute_array, check_out, result_dtype

__all__ = ["KernelNotSeparableError", "separable_factors", "is_separable"]



class KernelNotSeparableError(ValueError, NotImplementedError):
    """algorithm="separable" was given a kernel with a slice that is not rank 1.

    A ValueError (the argument is wrong for this algorithm) and a NotImplementedError (the way every
    cnnkern algorithm declines a configuration it cannot compute; "auto" computes it instead)."""


def default_rtol(dtype):
    """The separability tolerance, relative to each slice's largest magnitude: 32 * eps(dtype)."""
    return 32.0 * float(np.finfo(np.dtype(dtype)).eps)


def _rank1(w, ndim):
    """Pivot factorisation of every slice (in C: csrc/conv/separable, ck_conv_separable_factorize_*).

    w: C-contiguous float32/float64 (C_out, C_in/g, *kernel) with ndim = 2 or 3 spatial axes, finite.
    Returns (factors, resid): one factor per axis of shape (C_out, C_in/g, k_axis) in w's dtype, and
    resid[k, c] = max|w[k, c] - outer(factors)| / max|w[k, c]| (float64; 0 for a zero slice).
    """
    lead, kernel = w.shape[:2], w.shape[2:]
    k3 = (1,) * (3 - ndim) + tuple(kernel)
    geom = (0, lead[1], lead[0], 1, (1, 1, 1), k3, (1, 1, 1), (1, 1, 1), (1, 1, 1), (0, 0, 0), (0, 0, 0))
    fac = np.empty(lead + (sum(k3),), dtype=w.dtype)
    resid = np.empty(lead, dtype=np.float64)
    _conv_ext.separable_factorize(np.ascontiguousarray(w).ravel(), fac.reshape(-1), resid.reshape(-1), geom)
    cuts = np.cumsum(k3)[:-1]
    f = np.split(fac, cuts, axis=2)
    if ndim == 2:  # the size-1 leading axis holds the pivot value: fold it into the first factor
        f = [f[0] * f[1], f[2]]
    return [np.ascontiguousarray(a) for a in f], resid


def _kernel_ndim(w):
    if w.ndim not in (3, 4, 5):
        raise ValueError(f"w must have shape (C_out, C_in // groups, *kernel) with 1 to 3 kernel axes, "
                         f"got shape {w.shape}")
    return w.ndim - 2


def separable_factors(w, rtol=None):
    """The 1-D factors of a separable kernel, or None when some slice is not rank 1 within rtol.

    w: (C_out, C_in // groups, *kernel) with 1, 2 or 3 kernel axes. Returns a tuple with one array
    per kernel axis, each of shape (C_out, C_in // groups, k_axis) in w's compute dtype (float32 stays
    float32, everything else is float64), such that w[k, c] == outer(f[0][k, c], f[1][k, c], ...) up
    to rounding: for 2-D, (v_rows, v_cols) with w[k, c] == np.outer(v_rows[k, c], v_cols[k, c]).
    A 1-D kernel is returned as is, (w,). rtol is relative to each slice's largest magnitude
    (default 32 * eps of the dtype). The result can be passed to conv2d_separable / conv3d_separable.
    """
    dtype = result_dtype(("w", w))
    w = as_compute_array("w", w, dtype)
    ndim = _kernel_ndim(w)
    if ndim == 1:
        return (w.copy(),)
    rtol = default_rtol(dtype) if rtol is None else float(rtol)
    if not rtol >= 0:
        raise ValueError(f"rtol must be >= 0, got {rtol!r}")
    if not np.isfinite(w).all():
        return None
    factors, resid = _rank1(w, ndim)
    if not (resid <= rtol).all():
        return None
    return tuple(factors)


def is_separable(w, rtol=None):
    """True if every slice w[k, c] is rank 1 within rtol (see separable_factors)."""
    return separable_factors(w, rtol) is not None


def check_separable(w, ndim, rtol=None):
    """Raise KernelNotSeparableError naming the worst slice unless every slice is rank 1."""
    if ndim == 1:
        return
    dtype = w.dtype
    rtol = default_rtol(dtype) if rtol is None else rtol
    if not np.isfinite(w).all():
        raise KernelNotSeparableError("algorithm='separable' needs a finite kernel; w has inf or nan")
    _, resid = _rank1(w, ndim)
    worst = np.unravel_index(int(np.argmax(resid)), resid.shape)
    if resid[worst] > rtol:
        bad = int(np.sum(resid > rtol))
        raise KernelNotSeparableError(
            f"algorithm='separable': the kernel is not separable: slice w[{worst[0]}, {worst[1]}] is "
            f"{resid[worst]:.3g} (relative to its largest element) away from the nearest rank-1 outer "
            f"product through its largest element, above the tolerance {rtol:.3g} "
            f"({bad} of {resid.size} slices fail); use algorithm='auto' or another algorithm")


# The name conv.py's auto path uses for "separable" after auto_flag tested the kernel (internal only;
# resolve() turns it back into "separable" without testing again).
CHECKED = "separable (kernel checked)"


def resolve(algorithm, params, w, direction):
    """The C algorithm to run for `algorithm` (identity unless it is "separable").

    "separable": checks the kernel (KernelNotSeparableError), runs 1-D problems on "direct", and
    declines the weight gradient (NotImplementedError: the gradient of a rank-1 kernel is not rank 1,
    so there is nothing separable to exploit; conv{d}d_backward computes dw with "auto" instead).
    """
    if algorithm == CHECKED:
        return "separable"
    if algorithm != "separable":
        return algorithm
    if direction == "backward_weight":
        raise NotImplementedError(
            "algorithm='separable' has no backward-weight pass: the weight gradient of a separable "
            "kernel is in general not rank 1, so there is no separable shortcut; use algorithm='auto' "
            "(conv{d}d_backward(..., algorithm='separable') already does for dw)")
    check_separable(w, params.ndim)
    return "direct" if params.ndim == 1 else "separable"


def could_win(params):
    """Can separable beat the other algorithms on this shape (if the kernel is rank 1)? 2-D or 3-D
    and prod(k) > 3 * sum(k) (separable ran its passes at about a third of direct's flop rate, AVX2).
    It only gates auto_flag's rank-1 test; the choice itself is the cost model's (cnnkern/_choose.py)."""
    if params.ndim == 1:
        return False
    taps = 1
    for k in params.kernel_size:
        taps *= k
    return taps > 3 * sum(params.kernel_size)


def auto_flag(params, w, direction):
    """For algorithm="auto": is the kernel known to be separable (the chooser's `separable` flag)?

    Tested only where separable can win (could_win: 2-D/3-D kernels with prod(k) > 3 * sum(k), so at
    least 7x7 in 2-D; forward or backward-input) and cheaply: the first slice alone first, so a
    random kernel costs one slice; small kernels cost nothing."""
    if w is None or direction == "backward_weight" or "separable" not in _conv_ext.ALGORITHMS:
        return False
    if not could_win(params):
        return False
    rtol = default_rtol(w.dtype)
    _, first = _rank1(w[:1, :1], params.ndim)
    if not first[0, 0] <= rtol or not np.isfinite(w).all():
        return False
    _, resid = _rank1(w, params.ndim)
    return bool((resid <= rtol).all())


# ---------------------------------------------------------------------------------------------------
# Convolution from the factors.

def _factor_array(name, f, dtype):
    a = as_compute_array(name, f, dtype)
    if a.ndim == 1:
        a = a.reshape(1, 1, -1)
    if a.ndim != 3 or a.shape[2] < 1 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"{name} must have shape (C_out, C_in // groups, k) or (k,), got shape "
                         f"{np.shape(f)}")
    return a


def _conv_separable(ndim, x, factors, b=None, *, stride=1, padding=0, dilation=1, groups=1,
                    padding_mode="zeros", flip=False, out=None):
    """Convolution (cross-correlation) with a separable kernel given by its {d} 1-D factors.

    factors: a sequence of {d} arrays, one per spatial axis, each of shape (C_out, C_in // groups, k_axis);
    the kernel is w[k, c] = outer(factors[0][k, c], factors[1][k, c], ...). A plain 1-D vector (k_axis,)
    stands for shape (1, 1, k_axis) (one input and one output channel). Other arguments and the result
    as conv{d}d_forward (which this equals for w built from the factors), computed by the separable
    algorithm without forming w."""
    from .conv import _Problem, _threads_for  # conv imports this module

    if isinstance(factors, np.ndarray) or not isinstance(factors, (list, tuple)):
        raise TypeError(f"factors must be a tuple of {ndim} arrays (one per spatial axis), got "
                        f"{type(factors).__name__}")
    if len(factors) != ndim:
        raise ValueError(f"conv{ndim}d_separable needs {ndim} factors (one per spatial axis), got {len(factors)}")
    dtype = result_dtype(("x", x), ("b", b), *((f"factors[{i}]", f) for i, f in enumerate(factors)))
    x = as_compute_array("x", x, dtype)
    fs = [_factor_array(f"factors[{i}]", f, dtype) for i, f in enumerate(factors)]
    lead = fs[0].shape[:2]
    for i, f in enumerate(fs):
        if f.shape[:2] != lead:
            raise ValueError(f"every factor must have the same (C_out, C_in // groups) leading shape; "
                             f"factors[0] has {lead}, factors[{i}] has {f.shape[:2]}")
    if flip:
        fs = [f[:, :, ::-1] for f in fs]
    w_shape = lead + tuple(f.shape[2] for f in fs)
    prob = _Problem(ndim, x.shape, w_shape, stride, padding, dilation, groups, padding_mode)
    p = prob.params
    if b is not None:
        b = as_compute_array("b", b, dtype)
        if b.shape != (p.out_channels,):
            raise ValueError(f"bias must have shape ({p.out_channels},) = (C_out,), got {b.shape}")
    y = np.empty(p.y_shape, dtype=dtype) if out is None else check_out(out, p.y_shape, dtype)
    if not p.batch:
        return y
    parts = ([np.ones(lead + (1,), dtype)] if ndim == 2 else []) + fs
    fac = np.ascontiguousarray(np.concatenate(parts, axis=2))
    _conv_ext.conv_forward_separable_factors(prob.prepare_input(x).ravel(), fac.ravel(),
                                             None if b is None else b.ravel(), y.reshape(-1),
                                             p.as_c_tuple(), _threads_for(p))
    return y


__all__ += export_per_ndim(globals(), {"conv{d}d_separable": _conv_separable}, __name__, dims=(2, 3))
