"""Run MyGrad's ``conv_nd`` and ``max_pool`` on cnnkern.

    >>> import mygrad as mg
    >>> import cnnkern.contrib.mygrad as ckmg
    >>> ckmg.install()                    # process-wide, until ckmg.uninstall()
    >>> with ckmg.installed():            # or only inside a block
    ...     y = mg.nnet.conv_nd(x, w, stride=1)

MyGrad looks its operation classes ``ConvND`` (``mygrad.nnet.layers.conv``) and ``MaxPoolND``
(``mygrad.nnet.layers.pooling``) up at call time, so installing replaces those two module attributes
with subclasses. The subclasses keep MyGrad's own argument checks (same exception types and messages),
compute on cnnkern when it can -- 1 to 3 convolved/pooled axes, float32/float64 arrays (the dtype
NumPy would give: float32 with float32 stays float32, anything with float64 is float64) -- and
otherwise run MyGrad's original code: more spatial axes, complex/integer/float16 results, empty
arrays, and max-pool backward when a window holds a NaN (MyGrad routes the gradient to the first
NaN, cnnkern to the last). Max-pool ties go to the first maximum in row-major window order, as
MyGrad's ``argmax`` does.
"""
from numbers import Integral

import numpy as np

import mygrad.nnet.layers.conv as _mg_conv
import mygrad.nnet.layers.pooling as _mg_pool

import cnnkern

__all__ = ["install", "uninstall", "installed", "is_installed", "ConvND", "MaxPoolND"]

_ORIG_CONV = _mg_conv.ConvND
_ORIG_POOL = _mg_pool.MaxPoolND
_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))

_CONV_FWD = {1: cnnkern.conv1d_forward, 2: cnnkern.conv2d_forward, 3: cnnkern.conv3d_forward}
_CONV_BI = {1: cnnkern.conv1d_backward_input, 2: cnnkern.conv2d_backward_input,
            3: cnnkern.conv3d_backward_input}
_CONV_BW = {1: cnnkern.conv1d_backward_weight, 2: cnnkern.conv2d_backward_weight,
            3: cnnkern.conv3d_backward_weight}
_POOL_FWD = {1: cnnkern.max_pool1d_forward, 2: cnnkern.max_pool2d_forward, 3: cnnkern.max_pool3d_forward}
_POOL_BWD = {1: cnnkern.max_pool1d_backward, 2: cnnkern.max_pool2d_backward,
             3: cnnkern.max_pool3d_backward}


def _per_axis(value, n, least):
    """An int or n ints -> an int array of n values, each an integer >= least (else AssertionError)."""
    values = np.array((value,) * n) if isinstance(value, Integral) else np.array(value, dtype=int)
    assert len(values) == n and all(v >= least and isinstance(v, Integral) for v in values)
    return values


def _conv_check(x, w, stride, padding, dilation):
    """MyGrad 2.x ConvND.__call__'s validation rules (the same asserts and message): -> (stride,
    padding, dilation) arrays."""
    assert x.ndim > 2
    assert x.ndim == w.ndim
    assert (
        w.shape[1] == x.shape[1]
    ), "The channel-depth of the batch and filters must agree"

    num_conv_channels = w.ndim - 2
    x_shape = np.array(x.shape[2:])
    w_shape = np.array(w.shape[2:])

    dilation = _per_axis(dilation, num_conv_channels, 1)
    padding = _per_axis(padding, num_conv_channels, 0)
    stride = _per_axis(stride, num_conv_channels, 1)

    out_shape = (x_shape + 2 * padding - ((w_shape - 1) * dilation + 1)) / stride + 1
    if not all(i.is_integer() and i > 0 for i in out_shape):
        msg = "Stride and kernel dimensions are incompatible: \n"
        msg += f"Input dimensions: {tuple(x_shape)}\n"
        msg += f"Stride dimensions: {tuple(stride)}\n"
        msg += f"Kernel dimensions: {tuple(w_shape)}\n"
        msg += f"Padding dimensions: {tuple(padding)}\n"
        msg += f"Dilation dimensions: {tuple(dilation)}\n"
        raise ValueError(msg)
    # MyGrad's sliding_window_view (run on the padded input) also requires kernel * dilation to fit
    # in every padded axis -- stricter than the output-size check above; keep its error too.
    padded = tuple(int(i + 2 * p) for i, p in zip(x.shape[2:], padding))
    if any(wk * d > s for wk, d, s in zip(tuple(w_shape)[::-1], dilation[::-1], padded[::-1])):
        raise ValueError(
            f"The dilated window ({tuple(wk * d for wk, d in zip(tuple(w_shape), dilation))}) "
            f"must fit within the trailing "
            f"dimensions of `arr` ({padded})"
        )
    return stride, padding, dilation


def _pool_check(x, pool, stride):
    """MyGrad 2.x MaxPoolND.__call__'s validation rules (the same asserts and message): -> (pool,
    stride) arrays."""
    assert isinstance(pool, (tuple, list, np.ndarray)) and all(
        i >= 0 and isinstance(i, Integral) for i in pool
    )
    pool = np.asarray(pool, dtype=int)
    assert all(i > 0 for i in pool)
    assert x.ndim >= len(
        pool
    ), "The number of pooled dimensions cannot exceed the dimensionality of the data."

    stride = _per_axis(stride, len(pool), 1)
    num_pool = len(pool)
    x_shape = np.array(x.shape[x.ndim - num_pool:])
    out_shape = (x_shape - pool) / stride + 1
    if not all(i.is_integer() and i > 0 for i in out_shape):
        msg = "Stride and kernel dimensions are incompatible: \n"
        msg += f"Input dimensions: {(tuple(x_shape))}\n"
        msg += f"Stride dimensions: {(tuple(stride))}\n"
        msg += f"Pooling dimensions: {(tuple(pool))}\n"
        raise ValueError(msg)
    return pool, stride


def _ints(a):
    return tuple(int(v) for v in a)


class ConvND(_ORIG_CONV):
    """MyGrad's ConvND computed by cnnkern (falls back to MyGrad's code where cnnkern cannot)."""

    def __call__(self, x, w, *, stride, padding=0, dilation=1):
        xd, wd = x.data, w.data
        self._ck = False
        if not (isinstance(xd, np.ndarray) and isinstance(wd, np.ndarray)
                and 3 <= xd.ndim <= 5 and xd.ndim == wd.ndim and xd.size and wd.size):
            return super().__call__(x, w, stride=stride, padding=padding, dilation=dilation)
        dtype = np.result_type(xd.dtype, wd.dtype)
        if dtype not in _NATIVE:
            return super().__call__(x, w, stride=stride, padding=padding, dilation=dilation)
        self.variables = (x, w)
        stride, padding, dilation = _conv_check(xd, wd, stride, padding, dilation)
        self.padding, self.stride, self.dilation = padding, stride, dilation
        self._ck = True
        self._kw = dict(stride=_ints(stride), padding=_ints(padding), dilation=_ints(dilation))
        nd = xd.ndim - 2
        return _CONV_FWD[nd](xd.astype(dtype, copy=False), wd.astype(dtype, copy=False), **self._kw)

    def backward_var(self, grad, index, **kwargs):
        if not self._ck:
            return super().backward_var(grad, index, **kwargs)
        x, w = (v.data for v in self.variables)
        grad = np.asarray(grad)
        dtype = np.result_type(grad.dtype, x.dtype, w.dtype)
        if dtype not in _NATIVE:
            return super().backward_var(grad, index, **kwargs)
        nd = x.ndim - 2
        g = grad.astype(dtype, copy=False)
        if index == 0:  # MyGrad returns dx in x's dtype
            dx = _CONV_BI[nd](g, w.astype(dtype, copy=False), x.shape, **self._kw)
            return dx.astype(x.dtype, copy=False)
        dw = _CONV_BW[nd](g, x.astype(dtype, copy=False), w.shape, **self._kw)
        return dw.astype(np.result_type(grad.dtype, x.dtype), copy=False)


class MaxPoolND(_ORIG_POOL):
    """MyGrad's MaxPoolND computed by cnnkern (falls back to MyGrad's code where cnnkern cannot)."""

    def __call__(self, x, pool, stride):
        xd = x.data
        self._ck = False
        try:
            n = len(pool)
        except TypeError:
            n = 0
        if not (isinstance(xd, np.ndarray) and xd.dtype in _NATIVE and 1 <= n <= 3 and xd.size):
            return super().__call__(x, pool, stride)
        self.variables = (x,)
        pool, stride = _pool_check(xd, pool, stride)
        self.pool, self.stride = pool, stride
        lead, spatial = xd.shape[: xd.ndim - n], xd.shape[xd.ndim - n:]
        planes = int(np.prod(lead, dtype=np.int64))
        x4 = xd.reshape((1, planes) + spatial)
        self._kw = dict(kernel_size=_ints(pool), stride=_ints(stride))
        y = _POOL_FWD[n](x4, **self._kw)
        out = y.reshape(lead + y.shape[2:])
        # MyGrad's argmax sends a NaN window's gradient to its first NaN, cnnkern (as PyTorch) to the
        # last; windows without NaN agree (first maximum in row-major window order).
        self._ck = not np.isnan(out).any()
        return out

    def backward_var(self, grad, index, **kwargs):
        if not self._ck:
            return super().backward_var(grad, index, **kwargs)
        x = self.variables[index].data
        grad = np.asarray(grad)
        if grad.dtype.kind not in "biuf" or grad.dtype == np.float16:
            return super().backward_var(grad, index, **kwargs)
        n = len(self.pool)
        lead, spatial = x.shape[: x.ndim - n], x.shape[x.ndim - n:]
        planes = int(np.prod(lead, dtype=np.int64))
        g = grad.reshape((1, planes) + grad.shape[grad.ndim - n:])
        # MyGrad accumulates the gradient in float64 whatever the dtypes; do the same.
        dx = _POOL_BWD[n](g.astype(np.float64, copy=False), x.reshape((1, planes) + spatial),
                          **self._kw)
        return dx.reshape(x.shape)


def is_installed():
    """True when MyGrad currently runs conv_nd / max_pool on cnnkern."""
    return _mg_conv.ConvND is ConvND and _mg_pool.MaxPoolND is MaxPoolND


class _Installation:
    """Returned by install(); as a context manager it restores the previous state on exit."""

    def __init__(self, previous):
        self._previous = previous

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _mg_conv.ConvND, _mg_pool.MaxPoolND = self._previous
        return False

    def __repr__(self):
        return f"<cnnkern MyGrad backend, installed={is_installed()}>"


def install():
    """Make mygrad.nnet.conv_nd and mygrad.nnet.max_pool run on cnnkern (idempotent).

    Returns a context manager that puts back whatever was installed before when its block exits.
    """
    previous = (_mg_conv.ConvND, _mg_pool.MaxPoolND)
    _mg_conv.ConvND, _mg_pool.MaxPoolND = ConvND, MaxPoolND
    return _Installation(previous)


def uninstall():
    """Restore MyGrad's own ConvND and MaxPoolND."""
    _mg_conv.ConvND, _mg_pool.MaxPoolND = _ORIG_CONV, _ORIG_POOL


def installed():
    """Context manager: ``with installed(): ...`` runs the block on cnnkern."""
    return install()
