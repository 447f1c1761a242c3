"""Public convolution API: conv{1,2,3}d forward/backward and transposed convolution.

Semantics follow torch.nn.functional.conv{1,2,3}d for the same argument values (cross-correlation;
`flip=True` gives true convolution). Every argument is validated here, once; the C code trusts it.
Layering: this module -> cnnkern._conv_ext (Cython shim, GIL released) -> csrc/conv (C operators).
"""
import numpy as np

from . import _blas, _conv_ext
from . import separable as _separable
from ._api import export_per_ndim
from ._choose import DIRECTIONS, choose_algorithm  # noqa: F401  (choose_algorithm is public API)
from ._choose import choose_for_params as _choose  # the cost model (+ autotuning) behind "auto"
from ._dtypes import as_compute_array, check_out, result_dtype
from ._params import (
    PADDING_MODES,
    ConvParams,
    _as_int,
    expand_ints,
    make_conv_params,
    normalize_padding,
)
from ._threads import get_num_threads

# The per-dimension public functions are appended by export_per_ndim at the end of this module.
__all__ = ["algorithms", "choose_algorithm", "set_workspace_limit", "get_workspace_limit"]

def algorithms():
    """Names accepted by `algorithm=` (besides "auto")."""
    return tuple(_conv_ext.ALGORITHMS)


def set_workspace_limit(nbytes):
    """Cap the extra memory of algorithm="im2col" (its column buffers) at nbytes; default 64 MiB.

    Process-wide. Larger problems are split into more tiles; a single column (C_in/groups * kernel
    volume elements per worker thread) is the floor.
    """
    nbytes = _as_int("nbytes", nbytes)
    if not 0 <= nbytes < 2**63:
        raise ValueError(f"nbytes (the workspace limit) must be between 0 and 2**63 - 1 bytes, got {nbytes}")
    _conv_ext.im2col_set_workspace_limit(nbytes)


def get_workspace_limit():
    """The workspace limit of algorithm="im2col" in bytes."""
    return int(_conv_ext.im2col_get_workspace_limit())


def _resolve_algorithm(algorithm, params, dtype, direction, w=None):
    if not isinstance(algorithm, str):
        raise TypeError(f"algorithm must be a string, got {type(algorithm).__name__}")
    if algorithm == "auto":
        algorithm = _choose(params, dtype, direction,
                            separable=_separable.auto_flag(params, w, direction))
        if algorithm == "separable":  # auto_flag just tested the kernel: do not test it again
            algorithm = _separable.CHECKED
    elif algorithm not in _conv_ext.ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose 'auto' or one of {algorithms()}")
    if algorithm in ("im2col", "fft"):
        _blas.ensure_installed()
    if algorithm == "fft":
        _check_fft_supported(params)
    return algorithm


def _check_fft_supported(params):
    """algorithm="fft" computes stride-1, dilation-1 convolutions only: say so before the C call."""
    if params.is_strided() or params.is_dilated():  # the predicates _choose's fft entry uses too
        raise NotImplementedError(
            f"algorithm='fft' supports stride 1 and dilation 1 only (got stride={params.stride}, "
            f"dilation={params.dilation}): a strided or dilated correlation is not a plain product of "
            "spectra; use algorithm='auto', 'direct' or 'im2col'")


# ---------------------------------------------------------------------------------------------------
# Non-zero padding modes: the input is padded explicitly (as torch does), then convolved with no
# padding. The backward pass folds the padded gradient back onto the input (the adjoint of padding).

_NP_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _check_padding_mode(padding_mode, before, after, in_size):
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    for axis, (b, a, n) in enumerate(zip(before, after, in_size)):
        if padding_mode == "reflect" and max(b, a) >= n:
            raise ValueError(
                f"padding_mode='reflect' needs padding < input size on every axis; spatial axis {axis} "
                f"has size {n} and padding ({b}, {a})"
            )
        if padding_mode == "circular" and max(b, a) > n:
            raise ValueError(
                f"padding_mode='circular' needs padding <= input size on every axis; spatial axis {axis} "
                f"has size {n} and padding ({b}, {a})"
            )


def _pad_input(x, before, after, padding_mode):
    pads = [(0, 0), (0, 0)] + list(zip(before, after))
    return np.ascontiguousarray(np.pad(x, pads, mode=_NP_PAD_MODE[padding_mode]))


def _unpad_gradient(dx_padded, in_size, before, after, padding_mode):
    """Adjoint of _pad_input: every padded element's gradient flows to the element it copied."""
    g = dx_padded
    for axis, (n, b, a) in enumerate(zip(in_size, before, after)):
        source = np.pad(np.arange(n), (b, a), mode=_NP_PAD_MODE[padding_mode])
        ax = axis + 2
        moved = np.moveaxis(g, ax, 0)
        folded = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
        np.add.at(folded, source, moved)
        g = np.moveaxis(folded, 0, ax)
    return np.ascontiguousarray(g)


class _Problem:
    """A validated convolution call: params for the C kernels plus the padding-mode wrapping."""

    def __init__(self, ndim, x_shape, w_shape, stride, padding, dilation, groups, padding_mode):
        user = make_conv_params(ndim, x_shape, w_shape, stride=stride, padding=padding,
                                dilation=dilation, groups=groups)
        _check_padding_mode(padding_mode, user.pad_before, user.pad_after, user.in_size)
        self.user = user  # shapes as the caller sees them
        self.padding_mode = padding_mode
        if padding_mode == "zeros" or not user.is_padded():
            self.params = user
            self.explicit_pad = False
        else:
            padded = tuple(i + b + a for i, b, a in zip(user.in_size, user.pad_before, user.pad_after))
            self.params = make_conv_params(ndim, user.x_shape[:2] + padded, w_shape, stride=user.stride,
                                           padding=0, dilation=user.dilation, groups=user.groups)
            self.explicit_pad = True

    def prepare_input(self, x):
        if self.explicit_pad:
            return _pad_input(x, self.user.pad_before, self.user.pad_after, self.padding_mode)
        return x

    def finish_input_gradient(self, dx):
        if self.explicit_pad:
            u = self.user
            return _unpad_gradient(dx, u.in_size, u.pad_before, u.pad_after, self.padding_mode)
        return dx


def _flip_kernel(w, ndim):
    return np.ascontiguousarray(w[(Ellipsis,) + (slice(None, None, -1),) * ndim])


def _shape_tuple(name, shape, ndim):
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints, got {shape!r}") from None
    if len(shape) != ndim + 2:
        raise ValueError(f"{name} must have {ndim + 2} entries, got {shape}")
    return shape


def _check_dy(dy, expected_shape):
    if dy.shape != tuple(expected_shape):
        raise ValueError(f"dy has shape {dy.shape}, but the forward output has shape {tuple(expected_shape)}")


# ---------------------------------------------------------------------------------------------------
# The three directions on validated, contiguous arrays of one dtype (the C boundary).

# Below this many flops a call runs on one thread: waking an OpenMP team costs more than the work
# (microseconds on an idle machine, milliseconds when the cores are busy). Every algorithm gives
# bitwise-identical results for any thread count, so this changes speed only.
SERIAL_FLOPS = 1_000_000


def _threads_for(p: ConvParams):
    return 1 if p.flops() < SERIAL_FLOPS else get_num_threads()


def _run_forward(algorithm, p: ConvParams, x, w, b, y):
    algorithm = _separable.resolve(algorithm, p, w, "forward")
    if p.batch:
        _conv_ext.conv_forward(algorithm, x.ravel(), w.ravel(), None if b is None else b.ravel(),
                               y.reshape(-1), p.as_c_tuple(), _threads_for(p))
    return y


def _run_backward_input(algorithm, p: ConvParams, dy, w, dtype):
    algorithm = _separable.resolve(algorithm, p, w, "backward_input")
    dx = np.empty(p.x_shape, dtype=dtype)
    if p.batch:
        _conv_ext.conv_backward_input(algorithm, dy.ravel(), w.ravel(), dx.reshape(-1),
                                      p.as_c_tuple(), _threads_for(p))
    return dx


def _run_backward_weight(algorithm, p: ConvParams, dy, x, dtype):
    algorithm = _separable.resolve(algorithm, p, None, "backward_weight")
    if not p.batch:
        return np.zeros(p.w_shape, dtype=dtype)
    dw = np.empty(p.w_shape, dtype=dtype)
    _conv_ext.conv_backward_weight(algorithm, dy.ravel(), x.ravel(), dw.reshape(-1),
                                   p.as_c_tuple(), _threads_for(p))
    return dw


def _run_backward_bias(p: ConvParams, dy, dtype):
    db = np.zeros((p.out_channels,), dtype=dtype)
    if p.batch:
        _conv_ext.conv_backward_bias(dy.ravel(), db, p.as_c_tuple(), _threads_for(p))
    return db


# ---------------------------------------------------------------------------------------------------
# Public entry points (generic in ndim; conv{1,2,3}d_* below bind ndim).

def _conv_forward(ndim, x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1,
                  padding_mode="zeros", flip=False, algorithm="auto", out=None):
    """Convolution (cross-correlation) forward: y = conv(x, w) + b.

    {d}-D. x: (N, C_in, *spatial); w: (C_out, C_in // groups, *kernel); b: (C_out,) or None.
    stride, dilation: int or one per axis (>= 1). padding: int, one per axis, (before, after) per axis,
    "valid", "same" or "full". padding_mode: "zeros", "reflect", "replicate" or "circular".
    flip=True reverses the kernel per spatial axis (true convolution). algorithm: "auto" or one of
    cnnkern.algorithms(). out: optional C-contiguous array of the result's shape and dtype.
    Returns y of shape cnnkern.conv_output_shape(x.shape, w.shape, ...)."""
    dtype = result_dtype(("x", x), ("w", w), ("b", b))
    x = as_compute_array("x", x, dtype)
    w = as_compute_array("w", w, dtype)
    prob = _Problem(ndim, x.shape, w.shape, stride, padding, dilation, groups, padding_mode)
    p = prob.params
    if b is not None:
        b = as_compute_array("b", b, dtype)
        if b.shape != (p.out_channels,):
            raise ValueError(f"bias must have shape ({p.out_channels},) = (C_out,), got {b.shape}")
    algo = _resolve_algorithm(algorithm, p, dtype, "forward", w)
    y = np.empty(p.y_shape, dtype=dtype) if out is None else check_out(out, p.y_shape, dtype)
    if flip:
        w = _flip_kernel(w, ndim)
    return _run_forward(algo, p, prob.prepare_input(x), w, b, y)


def _conv_backward_input(ndim, dy, w, input_shape, *, stride=1, padding=0, dilation=1, groups=1,
                         padding_mode="zeros", flip=False, algorithm="auto"):
    """Gradient with respect to the input only, given dy, w and the input shape."""
    dtype = result_dtype(("dy", dy), ("w", w))
    dy = as_compute_array("dy", dy, dtype)
    w = as_compute_array("w", w, dtype)
    input_shape = _shape_tuple("input_shape", input_shape, ndim)
    prob = _Problem(ndim, input_shape, w.shape, stride, padding, dilation, groups, padding_mode)
    _check_dy(dy, prob.params.y_shape)
    algo = _resolve_algorithm(algorithm, prob.params, dtype, "backward_input", w)
    if flip:
        w = _flip_kernel(w, ndim)
    dx = _run_backward_input(algo, prob.params, dy, w, dtype)
    return prob.finish_input_gradient(dx)


def _conv_backward_weight(ndim, dy, x, weight_shape, *, stride=1, padding=0, dilation=1, groups=1,
                          padding_mode="zeros", flip=False, algorithm="auto"):
    """Gradient with respect to the weight only, given dy, x and the weight shape."""
    dtype = result_dtype(("dy", dy), ("x", x))
    dy = as_compute_array("dy", dy, dtype)
    x = as_compute_array("x", x, dtype)
    weight_shape = _shape_tuple("weight_shape", weight_shape, ndim)
    prob = _Problem(ndim, x.shape, weight_shape, stride, padding, dilation, groups, padding_mode)
    _check_dy(dy, prob.params.y_shape)
    algo = _resolve_algorithm(algorithm, prob.params, dtype, "backward_weight")
    dw = _run_backward_weight(algo, prob.params, dy, prob.prepare_input(x), dtype)
    return _flip_kernel(dw, ndim) if flip else dw


def _conv_backward(ndim, dy, x, w, *, stride=1, padding=0, dilation=1, groups=1,
                   padding_mode="zeros", flip=False, algorithm="auto", bias=True):
    """Gradients of a convolution: returns (dx, dw, db); db is None when bias=False.
    Takes the forward's keywords."""
    dtype = result_dtype(("dy", dy), ("x", x), ("w", w))
    dy = as_compute_array("dy", dy, dtype)
    x = as_compute_array("x", x, dtype)
    w = as_compute_array("w", w, dtype)
    prob = _Problem(ndim, x.shape, w.shape, stride, padding, dilation, groups, padding_mode)
    p = prob.params
    _check_dy(dy, p.y_shape)
    wk = _flip_kernel(w, ndim) if flip else w
    dx = _run_backward_input(_resolve_algorithm(algorithm, p, dtype, "backward_input", w), p, dy, wk, dtype)
    # separable has no weight-gradient pass (not rank 1): dw comes from "auto" (cnnkern/separable.py)
    algo_w = "auto" if algorithm == "separable" else algorithm
    dw = _run_backward_weight(_resolve_algorithm(algo_w, p, dtype, "backward_weight"), p, dy,
                              prob.prepare_input(x), dtype)
    db = _run_backward_bias(p, dy, dtype) if bias else None
    return prob.finish_input_gradient(dx), (_flip_kernel(dw, ndim) if flip else dw), db


def _conv_transpose_forward(ndim, x, w, b=None, *, stride=1, padding=0, output_padding=0, dilation=1,
                            groups=1, algorithm="auto", out=None):
    """Transposed convolution ({d}-D, torch semantics): the input-gradient of a convolution whose weight is w.

    w has shape (C_in, C_out // groups, *kernel); out spatial size per axis is
    (in - 1) * stride - pad_before - pad_after + dilation * (kernel - 1) + output_padding + 1.
    """
    dtype = result_dtype(("x", x), ("w", w), ("b", b))
    x = as_compute_array("x", x, dtype)
    w = as_compute_array("w", w, dtype)
    if x.ndim != ndim + 2:
        raise ValueError(f"conv_transpose{ndim}d expects input (N, C_in, *spatial) with {ndim + 2} dims, "
                         f"got shape {x.shape}")
    if w.ndim != ndim + 2:
        raise ValueError(f"conv_transpose{ndim}d expects weight (C_in, C_out // groups, *kernel) with "
                         f"{ndim + 2} dims, got shape {w.shape}")
    if isinstance(padding, str):
        raise ValueError("conv_transpose takes numeric padding (an int, one per axis, or (before, after) "
                         f"pairs), got {padding!r}")
    groups_i = _as_int("groups", groups)
    if groups_i < 1:
        raise ValueError(f"groups must be >= 1, got {groups_i}")
    stride = expand_ints("stride", stride, ndim, minimum=1)
    dilation = expand_ints("dilation", dilation, ndim, minimum=1)
    output_padding = expand_ints("output_padding", output_padding, ndim, minimum=0)
    kernel = w.shape[2:]
    before, after = normalize_padding(padding, ndim, x.shape[2:], kernel, stride, dilation)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"output_padding must be smaller than either stride or dilation, got "
                             f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"input has C_in={x.shape[1]} channels but the transposed-conv weight {w.shape} "
                         f"expects w.shape[0] = {w.shape[0]}")
    if w.shape[0] % groups_i:
        raise ValueError(f"groups={groups_i} does not divide the input channels C_in={w.shape[0]}")
    out_channels = w.shape[1] * groups_i
    out_size = tuple((i - 1) * s - b_ - a_ + d * (k - 1) + op + 1
                     for i, s, b_, a_, d, k, op in zip(x.shape[2:], stride, before, after, dilation,
                                                       kernel, output_padding))
    if any(o < 1 for o in out_size):
        raise ValueError(f"transposed convolution output size {out_size} is not positive "
                         f"(input {x.shape[2:]}, padding {tuple(zip(before, after))})")
    # The equivalent convolution maps (N, out_channels, out_size) -> (N, C_in, in_size).
    pairs = tuple(zip(before, after))
    p = make_conv_params(ndim, (x.shape[0], out_channels) + out_size, w.shape, stride=stride,
                         padding=pairs, dilation=dilation, groups=groups_i)
    if p.out_size != x.shape[2:]:
        # output_padding >= stride (allowed when it is < dilation): the forward conv of out_size
        # would produce more positions than x has; the extra ones receive zero gradient.
        grow = [(0, 0), (0, 0)] + [(0, po - xi) for po, xi in zip(p.out_size, x.shape[2:])]
        x = np.ascontiguousarray(np.pad(x, grow))
    algo = _resolve_algorithm(algorithm, p, dtype, "backward_input", w)
    y = _run_backward_input(algo, p, x, w, dtype)
    if b is not None:
        b = as_compute_array("b", b, dtype)
        if b.shape != (out_channels,):
            raise ValueError(f"bias must have shape ({out_channels},) = (C_out,), got {b.shape}")
        y += b.reshape((1, out_channels) + (1,) * ndim)
    if out is not None:
        check_out(out, y.shape, dtype)[...] = y
        return out
    return y


__all__ += export_per_ndim(globals(), {
    "conv{d}d_forward": _conv_forward,
    "conv{d}d_backward": _conv_backward,
    "conv{d}d_backward_input": _conv_backward_input,
    "conv{d}d_backward_weight": _conv_backward_weight,
    "conv_transpose{d}d_forward": _conv_transpose_forward,
}, __name__)
