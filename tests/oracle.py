"""An independent NumPy oracle for cnnkern's convolutions, plus the shared test tables.

This module never imports cnnkern: a wrong C kernel cannot confirm itself through it. Everything is
plain NumPy in float64, written from the definitions in /work/shared/design/BACKGROUND.md:

    y[n, k, o] = b[k] + sum_{c in group(k), t} w[k, c, t] * xp[n, c, o * s + t * d]

where `xp` is the input padded by (before, after) per spatial axis, `o` and `t` are multi-indices over
the output positions and the kernel taps, `s` the stride and `d` the dilation (cross-correlation, as
in every deep-learning library).

Each function loops over the kernel taps; for one tap `t` the input positions `o * s + t * d` over
all `o` form one strided slice of `xp`, and the channel sum is an einsum. The backward passes are NOT
derived from the forward: the input gradient scatter-adds `dy * w` over the taps into a padded buffer
and crops it; the weight gradient correlates `dy` with the input slices; the transposed convolution
scatters `x * w` into a full-size buffer and crops it. They are validated against PyTorch in
test_oracle_vs_torch.py.
"""
import itertools
import math
from dataclasses import KW_ONLY, dataclass

import numpy as np

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NP_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# --------------------------------------------------------------------------------------------------
# Shape arithmetic and padding.

def as_tuple(value, ndim, name="value"):
    """An int or a sequence of ndim ints -> tuple of ndim ints."""
    if isinstance(value, (list, tuple)):
        if len(value) != ndim:
            raise ValueError(f"{name} needs {ndim} entries, got {value!r}")
        return tuple(int(v) for v in value)
    return (int(value),) * ndim


def _pairs(padding, ndim):
    """Numeric padding (int, ints per axis, or (before, after) pairs per axis) -> list of pairs."""
    if isinstance(padding, (list, tuple)) and len(padding) == ndim and all(
            isinstance(p, (list, tuple)) for p in padding):
        return [(int(b), int(a)) for b, a in padding]
    return [(p, p) for p in as_tuple(padding, ndim, "padding")]


def normalise_padding(padding, in_spatial, kernel, stride=1, dilation=1):
    """Any accepted padding spec -> list of (before, after) pairs, one per spatial axis.

    "valid": no padding. "same": output size ceil(in / stride); total padding
    max((ceil(in/s) - 1) * s + d * (k - 1) + 1 - in, 0), before = total // 2, the extra element at the
    end (TensorFlow). "full": d * (k - 1) on both sides. Otherwise an int, one int per axis, or one
    (before, after) pair per axis.
    """
    ndim = len(in_spatial)
    kernel = as_tuple(kernel, ndim, "kernel")
    stride = as_tuple(stride, ndim, "stride")
    dilation = as_tuple(dilation, ndim, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * ndim
        if padding == "full":
            return [(d * (k - 1), d * (k - 1)) for k, d in zip(kernel, dilation)]
        if padding == "same":
            pairs = []
            for n, k, s, d in zip(in_spatial, kernel, stride, dilation):
                total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
                pairs.append((total // 2, total - total // 2))
            return pairs
        raise ValueError(f"unknown padding string {padding!r}")
    return _pairs(padding, ndim)


def output_size(n, before, after, k, s=1, d=1):
    """floor((in + before + after - d*(k-1) - 1) / s) + 1 (Python's // is floor division)."""
    return (n + before + after - d * (k - 1) - 1) // s + 1


def output_shape(x_shape, w_shape, stride=1, padding=0, dilation=1):
    """Full output shape (N, C_out, *out_spatial) of a convolution; padding in any accepted form."""
    ndim = len(x_shape) - 2
    stride = as_tuple(stride, ndim, "stride")
    dilation = as_tuple(dilation, ndim, "dilation")
    kernel = tuple(w_shape[2:])
    pairs = normalise_padding(padding, tuple(x_shape[2:]), kernel, stride, dilation)
    spatial = tuple(output_size(n, b, a, k, s, d)
                    for n, (b, a), k, s, d in zip(x_shape[2:], pairs, kernel, stride, dilation))
    return (x_shape[0], w_shape[0]) + spatial


def transpose_output_size(n, before, after, k, s=1, d=1, output_padding=0):
    """Transposed convolution output length: (in-1)*s - before - after + d*(k-1) + output_padding + 1."""
    return (n - 1) * s - before - after + d * (k - 1) + output_padding + 1


def pad_input(x, pairs, mode="zeros"):
    """Pad the spatial axes of x (N, C, *spatial) by (before, after) pairs with a torch padding mode."""
    x = np.asarray(x)
    pads = [(0, 0), (0, 0)] + [tuple(p) for p in pairs]
    return np.pad(x, pads, mode=_NP_PAD_MODE[mode])


def _tap_window(tap, count, stride, dilation):
    """Slices selecting positions o * s + t * d for o in range(count), one per spatial axis."""
    return tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                 for t, o, s, d in zip(tap, count, stride, dilation))


def _setup(x_shape, w_shape, stride, padding, dilation, groups):
    ndim = len(x_shape) - 2
    stride = as_tuple(stride, ndim, "stride")
    dilation = as_tuple(dilation, ndim, "dilation")
    pairs = _pairs(padding, ndim)
    kernel = tuple(w_shape[2:])
    assert x_shape[1] == w_shape[1] * groups, (x_shape, w_shape, groups)
    assert w_shape[0] % groups == 0, (w_shape, groups)
    out = tuple(output_size(n, b, a, k, s, d)
                for n, (b, a), k, s, d in zip(x_shape[2:], pairs, kernel, stride, dilation))
    assert all(o >= 1 for o in out), f"empty output {out}"
    return ndim, stride, dilation, pairs, kernel, out


# --------------------------------------------------------------------------------------------------
# Convolution: forward and the three gradients (zeros padding; for other modes pad with pad_input).

def conv_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """y = cross_correlate(zero_pad(x), w) + b; x (N, C_in, *sp), w (C_out, C_in // groups, *k)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    ndim, stride, dilation, pairs, kernel, out = _setup(x.shape, w.shape, stride, padding, dilation, groups)
    n, c_in = x.shape[:2]
    c_out = w.shape[0]
    g = groups
    xp = np.pad(x, [(0, 0), (0, 0)] + pairs).reshape((n, g, c_in // g) + tuple(
        s + b_ + a_ for s, (b_, a_) in zip(x.shape[2:], pairs)))
    wg = w.reshape((g, c_out // g, c_in // g) + kernel)
    y = np.zeros((n, g, c_out // g) + out)
    for tap in itertools.product(*(range(k) for k in kernel)):
        window = xp[(slice(None),) * 3 + _tap_window(tap, out, stride, dilation)]
        y += np.einsum("ngc...,gkc->ngk...", window, wg[(Ellipsis,) + tap])
    y = y.reshape((n, c_out) + out)
    if b is not None:
        y += np.asarray(b, dtype=np.float64).reshape((1, c_out) + (1,) * ndim)
    return y


def conv_backward_input(dy, w, input_shape, stride=1, padding=0, dilation=1, groups=1):
    """dL/dx: every dy[n, k, o] * w[k, c, t] is added to padded input position o * s + t * d."""
    dy = np.asarray(dy, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    input_shape = tuple(input_shape)
    ndim, stride, dilation, pairs, kernel, out = _setup(input_shape, w.shape, stride, padding, dilation,
                                                        groups)
    n, c_in = input_shape[:2]
    c_out = w.shape[0]
    g = groups
    assert dy.shape == (n, c_out) + out, (dy.shape, (n, c_out) + out)
    padded = tuple(s + b_ + a_ for s, (b_, a_) in zip(input_shape[2:], pairs))
    dxp = np.zeros((n, g, c_in // g) + padded)
    dyg = dy.reshape((n, g, c_out // g) + out)
    wg = w.reshape((g, c_out // g, c_in // g) + kernel)
    for tap in itertools.product(*(range(k) for k in kernel)):
        dxp[(slice(None),) * 3 + _tap_window(tap, out, stride, dilation)] += np.einsum(
            "ngk...,gkc->ngc...", dyg, wg[(Ellipsis,) + tap])
    crop = tuple(slice(b_, b_ + s) for s, (b_, _) in zip(input_shape[2:], pairs))
    return dxp.reshape((n, c_in) + padded)[(slice(None), slice(None)) + crop].copy()


def conv_backward_weight(dy, x, weight_shape, stride=1, padding=0, dilation=1, groups=1):
    """dL/dw[k, c, t] = sum_{n, o} dy[n, k, o] * xp[n, c, o * s + t * d]."""
    dy = np.asarray(dy, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    weight_shape = tuple(weight_shape)
    ndim, stride, dilation, pairs, kernel, out = _setup(x.shape, weight_shape, stride, padding, dilation,
                                                        groups)
    n, c_in = x.shape[:2]
    c_out = weight_shape[0]
    g = groups
    assert dy.shape == (n, c_out) + out, (dy.shape, (n, c_out) + out)
    xp = np.pad(x, [(0, 0), (0, 0)] + pairs)
    xp = xp.reshape((n, g, c_in // g) + xp.shape[2:])
    dyg = dy.reshape((n, g, c_out // g) + out)
    dw = np.zeros((g, c_out // g, c_in // g) + kernel)
    for tap in itertools.product(*(range(k) for k in kernel)):
        window = xp[(slice(None),) * 3 + _tap_window(tap, out, stride, dilation)]
        dw[(Ellipsis,) + tap] = np.einsum("ngkp,ngcp->gkc", dyg.reshape(dyg.shape[:3] + (-1,)),
                                          window.reshape(window.shape[:3] + (-1,)))
    return dw.reshape(weight_shape)


def conv_backward_bias(dy):
    """dL/db[k] = sum over the batch and every output position of dy[n, k, ...]."""
    dy = np.asarray(dy, dtype=np.float64)
    return dy.sum(axis=(0,) + tuple(range(2, dy.ndim)))


# --------------------------------------------------------------------------------------------------
# Convolutions with a padding mode, and true convolution (flip=True).

def flip_kernel(w):
    """Reverse every spatial axis of w (true convolution = correlation with the flipped kernel)."""
    w = np.asarray(w)
    return w[(slice(None), slice(None)) + (slice(None, None, -1),) * (w.ndim - 2)]


def unpad_gradient(gp, input_shape, pairs, mode="zeros"):
    """Adjoint of pad_input: fold the gradient of the padded tensor back onto the input positions.

    For each axis, padded position j copies input position src[j] (np.pad applied to arange); the
    gradient of every padded position is added to its source (zeros padding: the pad is dropped).
    """
    g = np.asarray(gp, dtype=np.float64)
    for axis, (size, (b, a)) in enumerate(zip(input_shape[2:], pairs)):
        ax = axis + 2
        out = np.zeros(g.shape[:ax] + (size,) + g.shape[ax + 1:])
        if mode == "zeros":
            src = np.concatenate([np.full(b, -1), np.arange(size), np.full(a, -1)])
        else:
            src = np.pad(np.arange(size), (b, a), mode=_NP_PAD_MODE[mode])
        for j, s in enumerate(src):
            if s >= 0:
                index_out = (slice(None),) * ax + (s,)
                index_in = (slice(None),) * ax + (j,)
                out[index_out] += g[index_in]
        g = out
    return g


def conv_forward_mode(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
                      flip=False):
    """The full cnnkern forward contract: any padding spec, any padding_mode, optional flip."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if flip:
        w = flip_kernel(w)
    pairs = normalise_padding(padding, x.shape[2:], w.shape[2:], stride, dilation)
    if padding_mode != "zeros":
        x = pad_input(x, pairs, padding_mode)
        pairs = [(0, 0)] * len(pairs)
    return conv_forward(x, w, b, stride, pairs, dilation, groups)


def conv_backward_mode(dy, x, w, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
                       flip=False):
    """(dx, dw, db) for conv_forward_mode with a bias."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    wk = flip_kernel(w) if flip else w
    pairs = normalise_padding(padding, x.shape[2:], w.shape[2:], stride, dilation)
    if padding_mode != "zeros":
        xp = pad_input(x, pairs, padding_mode)
        zero = [(0, 0)] * len(pairs)
        dxp = conv_backward_input(dy, wk, xp.shape, stride, zero, dilation, groups)
        dx = unpad_gradient(dxp, x.shape, pairs, padding_mode)
        dw = conv_backward_weight(dy, xp, w.shape, stride, zero, dilation, groups)
    else:
        dx = conv_backward_input(dy, wk, x.shape, stride, pairs, dilation, groups)
        dw = conv_backward_weight(dy, x, w.shape, stride, pairs, dilation, groups)
    if flip:
        dw = flip_kernel(dw).copy()
    return dx, dw, conv_backward_bias(dy)


# --------------------------------------------------------------------------------------------------
# Transposed convolution (PyTorch semantics), scatter form.

def conv_transpose_forward(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """x (N, C_in, *sp), w (C_in, C_out // groups, *k): every x[n, c, i] * w[c, k, t] lands at
    output position i * s + t * d - before; positions outside [0, out) are dropped.
    out = (in - 1) * s - before - after + d * (k - 1) + output_padding + 1 per axis."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    ndim = x.ndim - 2
    stride = as_tuple(stride, ndim, "stride")
    dilation = as_tuple(dilation, ndim, "dilation")
    output_padding = as_tuple(output_padding, ndim, "output_padding")
    pairs = _pairs(padding, ndim)
    kernel = tuple(w.shape[2:])
    n, c_in = x.shape[:2]
    g = groups
    assert w.shape[0] == c_in and c_in % g == 0, (x.shape, w.shape, groups)
    c_out = w.shape[1] * g
    insz = tuple(x.shape[2:])
    out = tuple(transpose_output_size(i, b_, a_, k, s, d, op)
                for i, (b_, a_), k, s, d, op in zip(insz, pairs, kernel, stride, dilation, output_padding))
    assert all(o >= 1 for o in out), f"empty output {out}"
    full = tuple(max((i - 1) * s + d * (k - 1) + 1, b_ + o)
                 for i, (b_, _), k, s, d, o in zip(insz, pairs, kernel, stride, dilation, out))
    buf = np.zeros((n, g, c_out // g) + full)
    xg = x.reshape((n, g, c_in // g) + insz)
    wg = w.reshape((g, c_in // g, c_out // g) + kernel)
    for tap in itertools.product(*(range(k) for k in kernel)):
        buf[(slice(None),) * 3 + _tap_window(tap, insz, stride, dilation)] += np.einsum(
            "ngc...,gck->ngk...", xg, wg[(Ellipsis,) + tap])
    crop = tuple(slice(b_, b_ + o) for (b_, _), o in zip(pairs, out))
    y = buf.reshape((n, c_out) + full)[(slice(None), slice(None)) + crop].copy()
    if b is not None:
        y += np.asarray(b, dtype=np.float64).reshape((1, c_out) + (1,) * ndim)
    return y


# --------------------------------------------------------------------------------------------------
# Tolerances (grow with the reduction length, like XNNPACK's compute_sum_tolerance).

def tolerance(dtype, reduction_length, factor=1.0):
    """Allowed max-abs error relative to max|reference|, for sums of `reduction_length` products.

    Rounding error of a sum of L products of O(1) numbers grows like eps * sqrt(L) (random walk)
    times the partial-sum size; relative to the output scale that is c * eps * sqrt(L). The constant
    term covers the final rounding and blocked/reordered accumulation. `factor` loosens it for
    algorithms with their own error (FFT, Winograd).
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    return factor * eps * (16.0 + 8.0 * math.sqrt(max(int(reduction_length), 1)))


def assert_close(actual, expected, dtype, reduction_length, factor=1.0, what="result"):
    """actual has dtype `dtype`, the shape of `expected`, is finite and within tolerance of it."""
    expected = np.asarray(expected, dtype=np.float64)
    assert isinstance(actual, np.ndarray), f"{what}: expected an ndarray, got {type(actual).__name__}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != expected {expected.shape}"
    assert actual.dtype == np.dtype(dtype), f"{what}: dtype {actual.dtype} != expected {np.dtype(dtype)}"
    if expected.size == 0:
        return
    a = actual.astype(np.float64)
    assert np.isfinite(a).all(), f"{what}: non-finite values"
    scale = float(np.max(np.abs(expected)))
    scale = scale if scale > 0 else 1.0
    err = np.abs(a - expected)
    tol = tolerance(dtype, reduction_length, factor) * scale
    worst = np.unravel_index(int(np.argmax(err)), err.shape)
    assert err[worst] <= tol, (
        f"{what}: max error {err[worst]:.3g} at {worst} (got {a[worst]!r}, expected {expected[worst]!r}) "
        f"exceeds {tol:.3g} = tolerance({np.dtype(dtype)}, L={reduction_length}) * max|ref| {scale:.3g}; "
        f"{int(np.sum(err > tol))} of {err.size} elements off")


def reduction_lengths(x_shape, w_shape, y_shape, groups=1, stride=1):
    """Products summed per output element: forward, backward-input, backward-weight."""
    kernel = int(np.prod(w_shape[2:]))
    fwd = (x_shape[1] // groups) * kernel
    bwd_in = (w_shape[0] // groups) * kernel
    bwd_w = y_shape[0] * int(np.prod(y_shape[2:]))
    return fwd, bwd_in, max(bwd_w, 1)


# --------------------------------------------------------------------------------------------------
# Shared tables: edge widths (tile-1 / tile / tile+1 for 8-, 16- and 32-wide tiles, primes; AVX2 has 8
# float32 / 4 float64 lanes, AVX-512 16 / 8, so every tail length appears) and curated cases.

EDGE_WIDTHS = (1, 2, 3, 4, 5, 7, 8, 9, 11, 13, 15, 16, 17, 23, 31, 32, 33)
EDGE_WIDTHS_1D = EDGE_WIDTHS + (47, 63, 64, 65, 97, 127, 128, 129)


@dataclass(eq=False, repr=False)
class _Case:
    """A configuration of the case tables below (the settings after the shapes by keyword); `id`
    names it in test reports."""

    id: str
    x_shape: tuple
    w_shape: tuple
    _: KW_ONLY
    stride: object = 1
    padding: object = 0
    dilation: object = 1
    groups: int = 1
    bias: bool = True

    def __post_init__(self):
        self.x_shape, self.w_shape = tuple(self.x_shape), tuple(self.w_shape)

    @property
    def ndim(self):
        return len(self.x_shape) - 2

    def __repr__(self):
        return f"{type(self).__name__}({self.id})"


@dataclass(eq=False, repr=False, kw_only=True)
class ConvCase(_Case):
    """One convolution configuration."""

    padding_mode: str = "zeros"

    def kwargs(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups, padding_mode=self.padding_mode)


def _c(id, x, w, **kw):
    return ConvCase(id, x, w, **kw)


CONV_CASES = [
    # ---- 1-D
    _c("1d-basic", (2, 3, 17), (4, 3, 3)),
    _c("1d-pad1", (2, 3, 16), (4, 3, 3), padding=1),
    _c("1d-stride2", (2, 3, 17), (4, 3, 3), stride=2, padding=1),
    _c("1d-stride>kernel", (2, 2, 19), (3, 2, 2), stride=4),
    _c("1d-dil2-same", (1, 3, 15), (2, 3, 3), dilation=2, padding="same"),
    _c("1d-same-stride3", (2, 2, 16), (3, 2, 4), stride=3, padding="same"),
    _c("1d-same-evenk", (2, 2, 9), (3, 2, 4), padding="same"),
    _c("1d-full", (2, 2, 7), (3, 2, 4), padding="full"),
    _c("1d-full-dil", (1, 2, 7), (3, 2, 3), padding="full", dilation=3),
    _c("1d-valid", (2, 3, 33), (5, 3, 5), padding="valid"),
    _c("1d-asym", (2, 2, 11), (3, 2, 3), padding=[(0, 3)]),
    _c("1d-asym2", (1, 2, 10), (2, 2, 4), padding=[(3, 1)], stride=2),
    _c("1d-pad>kernel", (2, 2, 6), (3, 2, 3), padding=5),
    _c("1d-kernel==input", (2, 3, 7), (4, 3, 7)),
    _c("1d-1x1", (2, 5, 31), (7, 5, 1)),
    _c("1d-1x1-stride", (2, 5, 31), (7, 5, 1), stride=3),
    _c("1d-groups2", (2, 4, 13), (6, 2, 3), groups=2, padding=1),
    _c("1d-depthwise", (2, 4, 17), (4, 1, 3), groups=4, padding=1),
    _c("1d-depthwise-x2", (2, 3, 17), (6, 1, 5), groups=3, padding=2, stride=2),
    _c("1d-nobias", (2, 3, 9), (4, 3, 3), bias=False),
    _c("1d-single", (1, 1, 5), (1, 1, 2)),
    _c("1d-wide", (1, 2, 129), (3, 2, 7), padding=3),
    _c("1d-reflect", (2, 2, 9), (3, 2, 3), padding=2, padding_mode="reflect"),
    _c("1d-replicate", (2, 2, 9), (3, 2, 3), padding=[(3, 1)], padding_mode="replicate"),
    _c("1d-circular", (2, 2, 9), (3, 2, 5), padding="same", padding_mode="circular"),
    _c("1d-circular-full", (1, 2, 5), (3, 2, 3), padding=5, padding_mode="circular"),
    # ---- 2-D
    _c("2d-basic", (2, 3, 9, 11), (4, 3, 3, 3), padding=1),
    _c("2d-valid", (2, 3, 9, 11), (4, 3, 3, 3), padding="valid"),
    _c("2d-stride-mixed", (2, 3, 10, 9), (4, 3, 3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
    _c("2d-stride2-same", (2, 2, 11, 8), (3, 2, 3, 3), stride=2, padding="same"),
    _c("2d-same-evenk", (1, 2, 7, 6), (3, 2, 4, 2), padding="same", dilation=(1, 2)),
    _c("2d-full", (2, 2, 5, 6), (3, 2, 3, 2), padding="full"),
    _c("2d-asym", (2, 2, 8, 7), (3, 2, 3, 3), padding=[(0, 2), (1, 0)]),
    _c("2d-asym-stride", (1, 3, 9, 9), (2, 3, 3, 3), padding=[(2, 0), (0, 3)], stride=(2, 3)),
    _c("2d-pad>kernel", (1, 2, 4, 5), (2, 2, 3, 3), padding=4),
    _c("2d-stride>kernel", (2, 2, 11, 13), (3, 2, 2, 2), stride=3),
    _c("2d-kernel==input", (2, 3, 5, 5), (4, 3, 5, 5)),
    _c("2d-kernel==input-rect", (1, 2, 3, 7), (2, 2, 3, 7), bias=False),
    _c("2d-1x1", (2, 8, 7, 9), (5, 8, 1, 1)),
    _c("2d-1x1-stride2", (2, 8, 7, 9), (5, 8, 1, 1), stride=2),
    _c("2d-tall", (1, 2, 9, 8), (3, 2, 5, 1), padding=(2, 0)),
    _c("2d-wide", (1, 2, 8, 9), (3, 2, 1, 5), padding=(0, 2)),
    _c("2d-dil3", (1, 2, 12, 12), (2, 2, 3, 3), dilation=3, padding=1),
    _c("2d-groups2", (2, 4, 7, 8), (6, 2, 3, 3), groups=2, padding=1),
    _c("2d-groups4", (1, 8, 6, 6), (8, 2, 3, 3), groups=4, padding=1, stride=2),
    _c("2d-depthwise", (2, 4, 9, 9), (4, 1, 3, 3), groups=4, padding=1),
    _c("2d-depthwise-x2", (2, 3, 8, 7), (6, 1, 3, 3), groups=3, padding="same", stride=2),
    _c("2d-depthwise-5x5-nobias", (1, 5, 9, 10), (5, 1, 5, 5), groups=5, padding=2, bias=False),
    _c("2d-nobias", (2, 3, 6, 7), (2, 3, 3, 3), bias=False),
    _c("2d-reflect", (2, 2, 6, 7), (3, 2, 3, 3), padding=1, padding_mode="reflect"),
    _c("2d-reflect-asym", (1, 2, 6, 7), (3, 2, 3, 3), padding=[(2, 0), (1, 3)], padding_mode="reflect"),
    _c("2d-replicate", (2, 2, 6, 7), (3, 2, 3, 3), padding=2, padding_mode="replicate"),
    _c("2d-replicate-same-s2", (1, 2, 7, 6), (2, 2, 4, 3), padding="same", stride=2,
       padding_mode="replicate"),
    _c("2d-circular", (2, 2, 6, 7), (3, 2, 3, 3), padding=(1, 2), padding_mode="circular"),
    _c("2d-circular-groups", (1, 4, 5, 5), (4, 2, 3, 3), padding=2, padding_mode="circular", groups=2),
    _c("2d-medium", (1, 8, 17, 17), (8, 8, 3, 3), padding=1),
    _c("2d-medium-s2", (2, 8, 16, 15), (16, 8, 3, 3), padding=1, stride=2),
    _c("2d-medium-depthwise", (1, 16, 15, 16), (16, 1, 3, 3), padding=1, groups=16),
    # ---- 3-D
    _c("3d-basic", (1, 2, 5, 6, 7), (3, 2, 3, 3, 3), padding=1),
    _c("3d-valid", (2, 2, 4, 5, 6), (2, 2, 2, 3, 2)),
    _c("3d-stride-dil", (1, 2, 6, 7, 6), (3, 2, 2, 3, 2), stride=(2, 1, 2), dilation=(1, 2, 1),
       padding=(1, 0, 1)),
    _c("3d-same-s2", (1, 2, 5, 6, 5), (2, 2, 3, 2, 3), stride=2, padding="same"),
    _c("3d-full", (1, 1, 3, 4, 3), (2, 1, 2, 3, 2), padding="full"),
    _c("3d-asym", (1, 2, 4, 5, 4), (2, 2, 3, 3, 3), padding=[(0, 2), (1, 1), (2, 0)]),
    _c("3d-groups2", (1, 4, 4, 5, 4), (4, 2, 3, 3, 3), groups=2, padding=1),
    _c("3d-depthwise", (2, 3, 4, 4, 5), (3, 1, 3, 3, 3), groups=3, padding=1),
    _c("3d-depthwise-x2", (1, 2, 5, 4, 4), (4, 1, 3, 2, 3), groups=2, stride=(1, 2, 1)),
    _c("3d-kernel==input", (1, 2, 3, 4, 3), (2, 2, 3, 4, 3)),
    _c("3d-1x1", (2, 6, 3, 4, 5), (4, 6, 1, 1, 1), bias=False),
    _c("3d-stride>kernel", (1, 2, 7, 7, 7), (2, 2, 2, 1, 2), stride=3),
    _c("3d-reflect", (1, 2, 4, 5, 4), (2, 2, 3, 3, 3), padding=1, padding_mode="reflect"),
    _c("3d-replicate", (1, 2, 4, 4, 5), (2, 2, 3, 3, 3), padding=[(2, 0), (0, 1), (1, 1)],
       padding_mode="replicate"),
    _c("3d-circular", (1, 2, 4, 5, 4), (2, 2, 3, 3, 3), padding="same", padding_mode="circular"),
]


@dataclass(eq=False, repr=False, kw_only=True)
class TransposeCase(_Case):
    """One transposed-convolution configuration (weight (C_in, C_out // groups, *k))."""

    output_padding: object = 0

    @property
    def c_out(self):
        return self.w_shape[1] * self.groups

    def kwargs(self):
        return dict(stride=self.stride, padding=self.padding, output_padding=self.output_padding,
                    dilation=self.dilation, groups=self.groups)


TRANSPOSE_CASES = [
    TransposeCase("t1d-basic", (2, 3, 9), (3, 4, 3)),
    TransposeCase("t1d-stride2-op1", (2, 3, 8), (3, 2, 3), stride=2, padding=1, output_padding=1),
    TransposeCase("t1d-stride3-op2", (1, 2, 5), (2, 3, 4), stride=3, output_padding=2),
    TransposeCase("t1d-dil2", (2, 2, 7), (2, 3, 3), dilation=2, padding=2),
    TransposeCase("t1d-op<dilation", (1, 2, 6), (2, 2, 3), stride=1, dilation=3, output_padding=2),
    TransposeCase("t1d-groups2", (2, 4, 7), (4, 3, 3), groups=2, stride=2, padding=1),
    TransposeCase("t1d-depthwise", (1, 3, 9), (3, 1, 3), groups=3, stride=2),
    TransposeCase("t1d-asym", (1, 2, 7), (2, 3, 4), padding=[(2, 0)], stride=2),
    TransposeCase("t1d-nobias", (2, 2, 33), (2, 2, 5), stride=2, padding=2, bias=False),
    TransposeCase("t2d-basic", (2, 3, 5, 6), (3, 4, 3, 3), padding=1),
    TransposeCase("t2d-stride2-op1", (2, 2, 5, 4), (2, 3, 3, 3), stride=2, padding=1, output_padding=1),
    TransposeCase("t2d-mixed", (1, 2, 4, 5), (2, 2, 3, 2), stride=(2, 3), padding=(1, 0),
                  output_padding=(1, 2), dilation=(1, 2)),
    TransposeCase("t2d-groups2", (2, 4, 5, 5), (4, 2, 3, 3), groups=2, stride=2),
    TransposeCase("t2d-depthwise-x2", (1, 3, 6, 5), (3, 2, 3, 3), groups=3, padding=1),
    TransposeCase("t2d-dil2", (1, 2, 5, 5), (2, 3, 3, 3), dilation=2, padding=1, stride=2, output_padding=1),
    TransposeCase("t2d-1x1", (2, 5, 4, 4), (5, 3, 1, 1), stride=2, output_padding=1),
    TransposeCase("t2d-stride>kernel", (1, 2, 4, 3), (2, 2, 2, 2), stride=3, output_padding=(2, 1)),
    TransposeCase("t2d-asym", (1, 2, 5, 4), (2, 2, 3, 3), padding=[(0, 2), (1, 0)], stride=2),
    TransposeCase("t3d-basic", (1, 2, 3, 4, 3), (2, 3, 3, 3, 3), padding=1),
    TransposeCase("t3d-stride-op", (1, 2, 3, 3, 4), (2, 2, 3, 2, 3), stride=(2, 2, 1), padding=1,
                  output_padding=(1, 0, 0)),
    TransposeCase("t3d-groups", (1, 4, 3, 3, 3), (4, 1, 2, 2, 2), groups=4, stride=2, dilation=(1, 2, 1)),
]
