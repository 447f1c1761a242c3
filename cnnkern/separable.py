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

from . import _execute
from . import _problem as P
from ._api import export_per_ndim
from ._dtypes import as_compute_array, result_dtype
from ._problem import KernelNotSeparableError, default_rtol

__all__ = ["KernelNotSeparableError", "separable_factors", "is_separable"]


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
    packed, resid = _execute.factorize(w, ndim)
    if not (resid <= rtol).all():
        return None
    k3 = (1,) * (3 - ndim) + w.shape[2:]
    f = np.split(packed, np.cumsum(k3)[:-1], axis=2)
    if ndim == 2:  # the size-1 leading axis holds the pivot value: fold it into the first factor
        f = [f[0] * f[1], f[2]]
    return tuple(np.ascontiguousarray(a) for a in f)


def is_separable(w, rtol=None):
    """True if every slice w[k, c] is rank 1 within rtol (see separable_factors)."""
    return separable_factors(w, rtol) is not None


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


def _conv_separable(ndim, input, factors, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
                    padding_mode="zeros", flip=False, out=None):
    """Convolution (cross-correlation) with a separable kernel given by its {d} 1-D factors.

    factors: a sequence of {d} arrays, one per spatial axis, each of shape (C_out, C_in // groups, k_axis);
    the kernel is w[k, c] = outer(factors[0][k, c], factors[1][k, c], ...). A plain 1-D vector (k_axis,)
    stands for shape (1, 1, k_axis) (one input and one output channel). Other arguments and the result
    as conv{d}d_forward (which this equals for w built from the factors), computed by the separable
    algorithm without forming w."""
    fn = f"conv{ndim}d_separable"
    if isinstance(factors, np.ndarray) or not isinstance(factors, (list, tuple)):
        raise TypeError(f"factors must be a tuple of {ndim} arrays (one per spatial axis), got "
                        f"{type(factors).__name__}")
    if len(factors) != ndim:
        raise ValueError(f"{fn} needs {ndim} factors (one per spatial axis), got {len(factors)}")
    dtype = result_dtype(("input", input), ("bias", bias),
                         *((f"factors[{i}]", f) for i, f in enumerate(factors)))
    x = as_compute_array("input", input, dtype)
    fs = [_factor_array(f"factors[{i}]", f, dtype) for i, f in enumerate(factors)]
    lead = fs[0].shape[:2]
    for i, f in enumerate(fs):
        if f.shape[:2] != lead:
            raise ValueError(f"every factor must have the same (C_out, C_in // groups) leading shape; "
                             f"factors[0] has {lead}, factors[{i}] has {f.shape[:2]}")
    if x.ndim not in (ndim + 1, ndim + 2):
        raise ValueError(f"{fn} expects input of shape (N, C_in, *spatial) with {ndim + 2} dims (or "
                         f"{ndim + 1} without the batch axis), got shape {x.shape}")
    unbatched = x.ndim == ndim + 1
    if unbatched:
        x = x[None]
    if flip:
        fs = [f[:, :, ::-1] for f in fs]
    w_shape = lead + tuple(f.shape[2] for f in fs)
    prob = P.conv_problem(fn, ndim, x.shape, w_shape, stride, padding, dilation, groups, padding_mode,
                          dtype)
    p = prob.params
    b = None if bias is None else P.check_bias(bias, p.out_channels, dtype)
    shape = prob.user.y_shape[1:] if unbatched else prob.user.y_shape
    y, copy = P.output(out, shape, dtype, (input, bias) + tuple(factors))
    parts = ([np.ones(lead + (1,), dtype)] if ndim == 2 else []) + fs
    packed = np.ascontiguousarray(np.concatenate(parts, axis=2))
    _execute.run_forward("separable", p, prob.prepare_input(x), None, b, y.reshape(p.y_shape), packed)
    if copy:
        out[...] = y
        return out
    return y


__all__ += export_per_ndim(globals(), {"conv{d}d_separable": _conv_separable}, __name__, dims=(2, 3))
