"""Public convolution API: conv{1,2,3}d forward/backward and transposed convolution.

Semantics follow torch.nn.functional.conv{1,2,3}d for the same argument values (cross-correlation;
`flip=True` gives true convolution). Every argument is validated here, once; the C code trusts it.
Layering: this module -> cnnkern._conv_ext (Cython shim, GIL released) -> csrc/conv (C operators).
"""
import numpy as np

from . import _conv_ext, _execute
from . import _problem as P
from ._api import export_per_ndim
from ._choose import DIRECTIONS, choose_algorithm  # noqa: F401  (choose_algorithm is public API)
from ._dtypes import NATIVE_DTYPES, as_compute_array, result_dtype
from ._params import as_int

_F32, _F64 = NATIVE_DTYPES

# The per-dimension public functions are appended by export_per_ndim at the end of this module.
__all__ = ["algorithms", "choose_algorithm", "set_workspace_limit", "get_workspace_limit", "set_workspace_cache_limit",
           "get_workspace_cache_limit"]


def algorithms():
    """Names accepted by `algorithm=` (besides "auto")."""
    return tuple(_conv_ext.ALGORITHMS)


def _byte_count(nbytes, what):
    nbytes = as_int("nbytes", nbytes, limit=2 ** 63 - 1)
    if nbytes < 0:
        raise ValueError(f"nbytes ({what}) must be between 0 and 2**63 - 1 bytes, got {nbytes}")
    return nbytes


def set_workspace_limit(nbytes):
    """Cap the extra memory of algorithm="im2col" (its column buffers) at nbytes; default 64 MiB.

    Process-wide. Larger problems are split into more tiles; a single column (C_in/groups * kernel
    volume elements per worker thread) is the floor.
    """
    _execute.set_workspace_limit(_byte_count(nbytes, "the workspace limit"))


def get_workspace_limit():
    """The workspace limit of algorithm="im2col" in bytes."""
    return int(_conv_ext.im2col_get_workspace_limit())


def set_workspace_cache_limit(nbytes):
    """Keep at most nbytes of freed large workspace blocks for reuse; default 128 MiB; 0 keeps none.

    Process-wide, for every algorithm and for pooling and cnnkern.signal. Workspace blocks of 4 MiB or
    more (fft's spectra, winograd's transforms, im2col's column tiles) are kept when a call frees them
    (up to 4 blocks within this limit; a block that finds no room evicts the least recently freed
    ones) and handed to the next call that fits in one, which then does not fault fresh pages in: on a
    repeated call that can be most of its time. The kept blocks stay resident until reused or
    evicted; calling this (with any value) frees them.
    """
    _conv_ext.workspace_cache_set_limit(_byte_count(nbytes, "the workspace cache limit"))


def get_workspace_cache_limit():
    """The workspace cache limit in bytes (set_workspace_cache_limit)."""
    return int(_conv_ext.workspace_cache_get_limit())


def _flip_kernel(w, ndim):
    return np.ascontiguousarray(w[(Ellipsis,) + (slice(None, None, -1),) * ndim])


def _shape_tuple(name, shape, ndim):
    try:
        shape = tuple(as_int(name, s) for s in shape)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints, got {shape!r}") from None
    if len(shape) not in (ndim + 1, ndim + 2):
        raise ValueError(f"{name} must have {ndim + 2} entries (or {ndim + 1} for unbatched input), "
                         f"got {shape}")
    return shape


def _check_ndim(fn, name, a, ndim):
    if a.ndim not in (ndim + 1, ndim + 2):
        raise ValueError(f"{fn} expects {name} of shape {_input_dims(ndim)} with {ndim + 2} dims (or "
                         f"{ndim + 1} without the batch axis), got shape {a.shape}")


def _check_dy(dy, expected_shape):
    if dy.shape != tuple(expected_shape):
        raise ValueError(f"dy has shape {dy.shape}, but the forward output has shape {tuple(expected_shape)}")


_NAMES = {(kind, d): kind.format(d=d) for d in (1, 2, 3) for kind in (
    "conv{d}d_forward", "conv{d}d_backward_input", "conv{d}d_backward_weight", "conv{d}d_backward",
    "conv_transpose{d}d_forward")}


def _gradient_arrays(*named):
    """(dtype, *arrays) of a gradient call: the common dtype of the (name, array) pairs and the arrays
    in it, C-contiguous."""
    dtype = result_dtype(*named)
    return (dtype,) + tuple(as_compute_array(name, a, dtype) for name, a in named)


def _input_dims(ndim):
    return "(N, C_in, " + ", ".join(("D", "H", "W")[3 - ndim:]) + ")"


def _forward_arrays(fn, ndim, input, weight, bias):
    """(dtype, x with a batch axis, w, was x unbatched?) of a forward call."""
    if bias is None and type(input) is np.ndarray and type(weight) is np.ndarray:
        # the common call, checked without conversions: batched arrays of one native dtype, in C order
        dtype = input.dtype
        if dtype is weight.dtype and (dtype is _F32 or dtype is _F64) and input.ndim == ndim + 2:
            fx, fw = input.flags, weight.flags
            if fx.c_contiguous and fw.c_contiguous and fx.aligned and fw.aligned:
                return dtype, input, weight, False
    dtype = P.conv_dtype(fn, input, weight, bias)
    x = as_compute_array("input", input, dtype)
    w = as_compute_array("weight", weight, dtype)
    _check_ndim(fn, "input", x, ndim)
    unbatched = x.ndim == ndim + 1
    return dtype, (x[None] if unbatched else x), w, unbatched


# ---------------------------------------------------------------------------------------------------
# Public entry points (generic in ndim; conv{1,2,3}d_* below bind ndim). Each validates once (the
# problem layer memoises), resolves the algorithm once and calls the execution layer.

def _conv_forward(ndim, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
                  padding_mode="zeros", flip=False, algorithm="auto", out=None):
    """Convolution (cross-correlation) forward: y = conv(input, weight) + bias, as torch's F.conv{d}d.

    {d}-D. input: (N, C_in, *spatial) or unbatched (C_in, *spatial); weight: (C_out, C_in // groups,
    *kernel); bias: (C_out,) or None. stride, dilation: int or one per axis (>= 1). padding: int, one
    per axis, (before, after) per axis, "valid", "same" or "full". padding_mode: "zeros", "reflect",
    "replicate" or "circular". flip=True reverses the kernel per spatial axis (true convolution).
    algorithm: "auto" or one of cnnkern.algorithms(). out: optional C-contiguous array of the result's
    shape and dtype (it may overlap the inputs: the result then goes through a temporary).
    Returns y of shape cnnkern.conv_output_shape(input.shape, weight.shape, ...).
    Dtype: float32 when every float input is float32, else float64 (a float64 bias on float32 data
    warns); bool and integers count as float64."""
    fn = _NAMES["conv{d}d_forward", ndim]
    dtype, x, w, unbatched = _forward_arrays(fn, ndim, input, weight, bias)
    prob = P.conv_problem(fn, ndim, x.shape, w.shape, stride, padding, dilation, groups, padding_mode,
                          dtype)
    p = prob.params
    b = None if bias is None else P.check_bias(bias, p.out_channels, dtype)
    if flip:
        w = _flip_kernel(w, ndim)
    algo, factors = P.choose(prob, algorithm, "forward", w)
    if out is None and not unbatched:
        y, copy = np.empty(prob.y_shape, dtype), False
    else:
        y, copy = P.output(out, prob.y_shape[1:] if unbatched else prob.y_shape, dtype,
                           (input, weight, bias))
    _execute.run_forward(algo, p, prob.prepare_input(x) if prob.explicit_pad else x, w, b,
                         y.reshape(p.y_shape) if unbatched else y, factors)
    if copy:
        out[...] = y
        return out
    return y


def _conv_backward_input(ndim, dy, w, input_shape, *, stride=1, padding=0, dilation=1, groups=1,
                         padding_mode="zeros", flip=False, algorithm="auto"):
    """Gradient with respect to the input only, given dy, w and the input shape."""
    fn = _NAMES["conv{d}d_backward_input", ndim]
    dtype, dy, w = _gradient_arrays(("dy", dy), ("w", w))
    input_shape = _shape_tuple("input_shape", input_shape, ndim)
    unbatched = len(input_shape) == ndim + 1
    prob = P.conv_problem(fn, ndim, (1,) + input_shape if unbatched else input_shape, w.shape, stride,
                          padding, dilation, groups, padding_mode, dtype)
    p = prob.params
    _check_dy(dy, prob.user.y_shape[1:] if unbatched else p.y_shape)
    if flip:
        w = _flip_kernel(w, ndim)
    algo, _ = P.choose(prob, algorithm, "backward_input", w)
    dx = _execute.run_backward_input(algo, p, dy.reshape(p.y_shape), w, np.empty(p.x_shape, dtype))
    dx = prob.finish_input_gradient(dx)
    return dx[0] if unbatched else dx


def _conv_backward_weight(ndim, dy, x, weight_shape, *, stride=1, padding=0, dilation=1, groups=1,
                          padding_mode="zeros", flip=False, algorithm="auto"):
    """Gradient with respect to the weight only, given dy, x and the weight shape."""
    fn = _NAMES["conv{d}d_backward_weight", ndim]
    dtype, dy, x = _gradient_arrays(("dy", dy), ("x", x))
    _check_ndim(fn, "x", x, ndim)
    if x.ndim == ndim + 1:
        x, dy = x[None], dy[None]
    weight_shape = _shape_tuple("weight_shape", weight_shape, ndim)
    if len(weight_shape) != ndim + 2:
        raise ValueError(f"weight_shape must have {ndim + 2} entries, got {weight_shape}")
    prob = P.conv_problem(fn, ndim, x.shape, weight_shape, stride, padding, dilation, groups,
                          padding_mode, dtype)
    p = prob.params
    _check_dy(dy, p.y_shape)
    algo, _ = P.choose(prob, algorithm, "backward_weight")
    dw = _execute.run_backward_weight(algo, p, dy, prob.prepare_input(x), np.empty(p.w_shape, dtype))
    return _flip_kernel(dw, ndim) if flip else dw


def _conv_backward(ndim, dy, x, w, *, stride=1, padding=0, dilation=1, groups=1,
                   padding_mode="zeros", flip=False, algorithm="auto", bias=True):
    """Gradients of a convolution: returns (dx, dw, db); db is None when bias=False.
    Takes the forward's keywords."""
    fn = _NAMES["conv{d}d_backward", ndim]
    dtype, dy, x, w = _gradient_arrays(("dy", dy), ("x", x), ("w", w))
    _check_ndim(fn, "x", x, ndim)
    unbatched = x.ndim == ndim + 1
    if unbatched:
        x, dy = x[None], dy[None]
    prob = P.conv_problem(fn, ndim, x.shape, w.shape, stride, padding, dilation, groups, padding_mode,
                          dtype)
    p = prob.params
    _check_dy(dy, p.y_shape)
    wk = _flip_kernel(w, ndim) if flip else w
    algo, _ = P.choose(prob, algorithm, "backward_input", wk)
    # separable has no weight-gradient pass (dw is not rank 1): dw comes from a stand-in
    algo_w, _ = P.choose(prob, _execute.WEIGHT_GRADIENT_STAND_IN.get(algorithm, algorithm), "backward_weight")
    xp = prob.prepare_input(x)
    fused = _execute.run_backward(algo, p, dy, xp, wk, dtype, bias) if algo == algo_w else None
    if fused is not None:
        dx, dw, db = fused
    else:
        dx = _execute.run_backward_input(algo, p, dy, wk, np.empty(p.x_shape, dtype))
        dw = _execute.run_backward_weight(algo_w, p, dy, xp, np.empty(p.w_shape, dtype))
        db = _execute.run_backward_bias(p, dy, dtype) if bias else None
    dx = prob.finish_input_gradient(dx)
    return (dx[0] if unbatched else dx), (_flip_kernel(dw, ndim) if flip else dw), db


def _conv_transpose_forward(ndim, input, weight, bias=None, stride=1, padding=0, output_padding=0,
                            groups=1, dilation=1, *, algorithm="auto", out=None):
    """Transposed convolution ({d}-D, torch's F.conv_transpose{d}d): the input-gradient of a convolution
    whose weight is `weight`.

    input: (N, C_in, *spatial) or unbatched (C_in, *spatial); weight: (C_in, C_out // groups, *kernel);
    the output's spatial size per axis is
    (in - 1) * stride - pad_before - pad_after + dilation * (kernel - 1) + output_padding + 1.
    """
    fn = _NAMES["conv_transpose{d}d_forward", ndim]
    dtype, x, w, unbatched = _forward_arrays(fn, ndim, input, weight, bias)
    prob = P.transpose_problem(fn, ndim, x.shape, w.shape, stride, padding, output_padding, groups,
                               dilation, dtype)
    p = prob.params
    b = None if bias is None else P.check_bias(bias, p.in_channels, dtype)
    if prob.grow is not None:
        x = np.ascontiguousarray(np.pad(x, prob.grow))
    algo, _ = P.choose(prob, algorithm, "backward_input", w)
    shape = p.x_shape[1:] if unbatched else p.x_shape
    y, copy = P.output(out, shape, dtype, (input, weight, bias))
    _execute.run_backward_input(algo, p, x, w, y.reshape(p.x_shape))
    if b is not None:
        y += b.reshape((p.in_channels,) + (1,) * ndim)
    if copy:
        out[...] = y
        return out
    return y


__all__ += export_per_ndim(globals(), {
    "conv{d}d_forward": _conv_forward,
    "conv{d}d_backward": _conv_backward,
    "conv{d}d_backward_input": _conv_backward_input,
    "conv{d}d_backward_weight": _conv_backward_weight,
    "conv_transpose{d}d_forward": _conv_transpose_forward,
}, __name__)
