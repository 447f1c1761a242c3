"""The problem layer: a public call's arguments -> a validated, memoised problem and its algorithm.

Layers (each calls only the ones below it; docs/ARCHITECTURE.md):

    public modules (conv, separable, plan, pooling, signal)
      -> _problem (this module: validation, memo, separable-kernel analysis)   uses _params, _dtypes
      -> _choose (algorithm="auto": the cost model, autotuning)
      -> _execute (the C boundary: runs, thread rule, factorisation)
      -> the Cython shims and C operators

A convolution problem (ConvProblem) depends only on shapes, dtype and the hyper-parameters, so it is
validated once per distinct call signature and kept (`conv_problem`, `transpose_problem`); a repeated
call costs a dictionary lookup. The choice of algorithm="auto" is kept on the problem, keyed by
everything it may depend on besides the problem: direction, the separable flag, the thread count,
the im2col workspace limit and the instruction set in use (the autotune mode bypasses this memo:
_choose keeps its own cache of measured winners).
"""
import math
import os
import warnings

import numpy as np

from . import _calibrate, _choose, _conv_ext, _execute
from ._dtypes import as_compute_array, check_out, result_dtype
from ._params import PADDING_MODES, as_int, expand_ints, make_conv_params, normalize_padding
from ._threads import get_num_threads

ALGORITHMS = _execute.ALGORITHMS
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_MEMO_SIZE = 4096  # distinct problems kept; the memo is emptied when it grows past this


# ---- sizes: refuse, before allocating, what cannot fit ------------------------------------------

def _default_max_bytes():
    env = os.environ.get("CNNKERN_MAX_ARRAY_BYTES", "").strip()
    if env.isdigit():
        return int(env)
    try:
        phys = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        phys = 2 ** 40
    return phys // 2


# No single array cnnkern allocates (an output, a padded copy of the input) may exceed this: half
# the physical memory, or $CNNKERN_MAX_ARRAY_BYTES (read at import).
MAX_ARRAY_BYTES = _default_max_bytes()


def check_size(fn, what, shape, itemsize):
    """MemoryError naming the size when an array of `shape` would exceed MAX_ARRAY_BYTES."""
    nbytes = math.prod(shape) * itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise MemoryError(
            f"{fn}: {what} would have shape {tuple(shape)}, {nbytes:,} bytes, more than cnnkern allocates "
            f"for one array ({MAX_ARRAY_BYTES:,} bytes: half the physical memory, or "
            "$CNNKERN_MAX_ARRAY_BYTES)")


# ---- arrays ---------------------------------------------------------------------------------------

def conv_dtype(fn, x, w, bias):
    """The compute dtype of a convolution (cnnkern/_dtypes.py's rule: float32 when every float input is
    float32, else float64). A bias that alone turns a float32 convolution into float64 is computed
    as asked, with a warning: it doubles the time and memory of the whole call."""
    if bias is None and type(x) is np.ndarray and type(w) is np.ndarray:
        dt = x.dtype
        if dt is w.dtype and (dt is _F32 or dt is _F64):
            return dt
    b = bias
    dtype = result_dtype(("x", x), ("w", w), ("b", b))
    if b is not None and dtype.char == "d" and result_dtype(("x", x), ("w", w)).char == "f":
        warnings.warn(f"{fn}: bias has dtype {np.asarray(b).dtype} while input and weight are float32, "
                      "so the convolution runs in float64; cast the bias to float32 to stay in float32",
                      UserWarning, stacklevel=4)
    return dtype


def check_bias(b, out_channels, dtype):
    b = as_compute_array("bias", b, dtype)
    if b.shape != (out_channels,):
        raise ValueError(f"bias must have shape ({out_channels},) = (C_out,), got {b.shape}")
    return b


def output(out, shape, dtype, inputs):
    """(the array to compute into, whether to copy it to `out` afterwards).

    out=None: a fresh array. Otherwise `out` is checked (shape, dtype, C-contiguous, writeable); when
    it may overlap one of `inputs`, the result goes to a temporary first (NumPy's rule for ufuncs),
    since the kernels read their inputs while writing the output; so it does when `out` is not aligned
    (the C code writes whole elements through typed pointers)."""
    if out is None:
        return np.empty(shape, dtype), False
    check_out(out, shape, dtype)
    if not out.flags.aligned:
        return np.empty(shape, dtype), True
    for a in inputs:
        if a is not None and np.may_share_memory(out, a):
            return np.empty(shape, dtype), True
    return out, False


# ---- convolution problems -------------------------------------------------------------------------

_NP_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _check_padding_mode(padding_mode, before, after, in_size):
    if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
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


class ConvProblem:
    """A validated convolution: `params` for the C kernels, `user` as the caller sees the shapes
    (they differ when a non-zero padding_mode pads the input explicitly, as torch does)."""

    def __init__(self, fn, ndim, x_shape, w_shape, stride, padding, dilation, groups, padding_mode,
                 dtype):
        user = make_conv_params(ndim, x_shape, w_shape, stride=stride, padding=padding,
                                dilation=dilation, groups=groups)
        _check_padding_mode(padding_mode, user.pad_before, user.pad_after, user.in_size)
        check_size(fn, "the output", user.y_shape, dtype.itemsize)
        self.user = user
        self.padding_mode = padding_mode
        self.dtype = dtype
        self.explicit_pad = padding_mode != "zeros" and user.is_padded()
        if self.explicit_pad:
            padded = tuple(i + b + a for i, b, a in zip(user.in_size, user.pad_before, user.pad_after))
            check_size(fn, "the padded input", user.x_shape[:2] + padded, dtype.itemsize)
            self.params = make_conv_params(ndim, user.x_shape[:2] + padded, w_shape, stride=user.stride,
                                           padding=0, dilation=user.dilation, groups=user.groups)
        else:
            self.params = user
        self.y_shape = user.y_shape
        # algorithm="auto" tests the kernel for rank 1 only where separable can win
        self.separable_candidate = "separable" in ALGORITHMS and could_win(self.params)
        self.choices = {}  # memo of algorithm="auto" (see choose)
        self.grow = None   # transposed convolution only (see transpose_problem)

    def prepare_input(self, x):
        if self.explicit_pad:
            u = self.user
            pads = [(0, 0), (0, 0)] + list(zip(u.pad_before, u.pad_after))
            return np.ascontiguousarray(np.pad(x, pads, mode=_NP_PAD_MODE[self.padding_mode]))
        return x

    def finish_input_gradient(self, dx):
        """Adjoint of prepare_input: every padded element's gradient flows to the element it copied."""
        if not self.explicit_pad:
            return dx
        u = self.user
        g = dx
        for axis, (n, b, a) in enumerate(zip(u.in_size, u.pad_before, u.pad_after)):
            source = np.pad(np.arange(n), (b, a), mode=_NP_PAD_MODE[self.padding_mode])
            moved = np.moveaxis(g, axis + 2, 0)
            folded = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
            np.add.at(folded, source, moved)
            g = np.moveaxis(folded, 0, axis + 2)
        return np.ascontiguousarray(g)


_memo = {}


def clear_memo():
    """Forget every memoised problem and choice (after the chooser's constants change)."""
    _memo.clear()


def _key_part(v):
    """A hashable stand-in for an argument that cannot be confused with another valid argument: exact
    ints and strings, and lists/tuples of them. Anything else (bools, floats, NumPy scalars, arrays)
    raises TypeError and takes the unmemoised path, which validates it."""
    t = type(v)
    if t is int or t is str or v is None:
        return v
    if t is tuple or t is list:
        return tuple(_key_part(e) for e in v)
    raise TypeError


def memoised(key_args, build):
    """build(), kept under key_args (positions 3 on are user arguments, see _key_part)."""
    try:
        key = key_args[:3] + tuple(map(_key_part, key_args[3:]))
    except TypeError:
        return build()
    prob = _memo.get(key)
    if prob is None:
        prob = build()
        if len(_memo) >= _MEMO_SIZE:
            _memo.clear()
        _memo[key] = prob
    return prob


_SIMPLE = frozenset((int, str))


def conv_problem(fn, ndim, x_shape, w_shape, stride, padding, dilation, groups, padding_mode, dtype):
    """The validated ConvProblem for these arguments (memoised)."""
    if (type(stride) in _SIMPLE and type(padding) in _SIMPLE and type(dilation) in _SIMPLE
            and type(groups) in _SIMPLE and type(padding_mode) is str):
        # the common call: plain ints and strings, which no other valid argument equals
        key = (dtype, x_shape, w_shape, stride, padding, dilation, groups, padding_mode)
        prob = _memo.get(key)
        if prob is None:
            prob = ConvProblem(fn, ndim, x_shape, w_shape, stride, padding, dilation, groups, padding_mode,
                               dtype)
            if len(_memo) >= _MEMO_SIZE:
                _memo.clear()
            _memo[key] = prob
        return prob
    return memoised(
        ("conv", dtype, (ndim, x_shape, w_shape), stride, padding, dilation, groups, padding_mode),
        lambda: ConvProblem(fn, ndim, x_shape, w_shape, stride, padding, dilation, groups, padding_mode,
                            dtype))


def transpose_problem(fn, ndim, x_shape, w_shape, stride, padding, output_padding, groups, dilation,
                      dtype):
    """The convolution whose input gradient is this transposed convolution (memoised); its
    `grow` is None or the zero padding x needs when output_padding adds positions (see below)."""
    return memoised(
        ("transpose", dtype, (ndim, x_shape, w_shape), stride, padding, output_padding, groups, dilation),
        lambda: _transpose(fn, ndim, x_shape, w_shape, stride, padding, output_padding, groups,
                           dilation, dtype))


def _transpose(fn, ndim, x_shape, w_shape, stride, padding, output_padding, groups, dilation, dtype):
    if len(w_shape) != ndim + 2:
        raise ValueError(f"{fn} expects weight (C_in, C_out // groups, *kernel) with "
                         f"{ndim + 2} dims, got shape {w_shape}")
    if isinstance(padding, str):
        raise ValueError(f"{fn} takes numeric padding (an int, one per axis, or (before, after) "
                         f"pairs), got {padding!r}")
    groups = as_int("groups", groups)
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    stride = expand_ints("stride", stride, ndim, minimum=1)
    dilation = expand_ints("dilation", dilation, ndim, minimum=1)
    output_padding = expand_ints("output_padding", output_padding, ndim, minimum=0)
    kernel = w_shape[2:]
    before, after = normalize_padding(padding, ndim, x_shape[2:], kernel, stride, dilation)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"output_padding must be smaller than either stride or dilation, got "
                             f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    if x_shape[1] != w_shape[0]:
        raise ValueError(f"input has C_in={x_shape[1]} channels but the transposed-conv weight {w_shape} "
                         f"expects w.shape[0] = {w_shape[0]}")
    if w_shape[0] % groups:
        raise ValueError(f"groups={groups} does not divide the input channels C_in={w_shape[0]}")
    out_channels = w_shape[1] * groups
    out_size = tuple((i - 1) * s - b_ - a_ + d * (k - 1) + op + 1
                     for i, s, b_, a_, d, k, op in zip(x_shape[2:], stride, before, after, dilation,
                                                       kernel, output_padding))
    if any(o < 1 for o in out_size):
        raise ValueError(f"transposed convolution output size {out_size} is not positive "
                         f"(input {x_shape[2:]}, padding {tuple(zip(before, after))})")
    check_size(fn, "the output", (x_shape[0], out_channels) + out_size, dtype.itemsize)
    # The equivalent convolution maps (N, out_channels, out_size) -> (N, C_in, in_size).
    prob = ConvProblem(fn, ndim, (x_shape[0], out_channels) + out_size, w_shape, stride,
                       tuple(zip(before, after)), dilation, groups, "zeros", dtype)
    if prob.params.out_size != tuple(x_shape[2:]):
        # output_padding >= stride (allowed when it is < dilation): the forward conv of out_size
        # would produce more positions than x has; the extra ones receive zero gradient.
        prob.grow = [(0, 0), (0, 0)] + [(0, po - xi) for po, xi in zip(prob.params.out_size, x_shape[2:])]
    return prob


# ---- algorithm resolution -------------------------------------------------------------------------

class KernelNotSeparableError(ValueError, NotImplementedError):
    """algorithm="separable" was given a kernel with a slice that is not rank 1.

    A ValueError (the argument is wrong for this algorithm) and a NotImplementedError (the way every
    cnnkern algorithm declines a configuration it cannot compute; "auto" computes it instead)."""


def default_rtol(dtype):
    """The separability tolerance, relative to each slice's largest magnitude: 32 * eps(dtype)."""
    return 32.0 * float(np.finfo(np.dtype(dtype)).eps)


def check_separable(w, ndim, rtol=None):
    """The packed factors of w (see _execute.factorize), or KernelNotSeparableError naming the worst
    slice unless every slice is rank 1 within rtol."""
    rtol = default_rtol(w.dtype) if rtol is None else rtol
    if not np.isfinite(w).all():
        raise KernelNotSeparableError("algorithm='separable' needs a finite kernel; w has inf or nan")
    packed, resid = _execute.factorize(w, ndim)
    worst = np.unravel_index(int(np.argmax(resid)), resid.shape)
    if resid[worst] > rtol:
        bad = int(np.sum(resid > rtol))
        raise KernelNotSeparableError(
            f"algorithm='separable': the kernel is not separable: slice w[{worst[0]}, {worst[1]}] is "
            f"{resid[worst]:.3g} (relative to its largest element) away from the nearest rank-1 outer "
            f"product through its largest element, above the tolerance {rtol:.3g} "
            f"({bad} of {resid.size} slices fail); use algorithm='auto' or another algorithm")
    return packed


def could_win(params):
    """Can separable beat the other algorithms on this shape (if the kernel is rank 1)? 2-D or 3-D
    and prod(k) > 3 * sum(k) (separable ran its passes at about a third of direct's flop rate, AVX2).
    It only gates the rank-1 test of algorithm="auto"; the choice itself is the cost model's."""
    return params.ndim > 1 and math.prod(params.kernel_size) > 3 * sum(params.kernel_size)


def auto_factors(params, w, direction):
    """For algorithm="auto": w's packed factors when it is known to be separable (the chooser's
    `separable` flag), else None. Tested only where separable can win (could_win; forward or
    backward-input) and cheaply: the first slice alone first, so a random kernel costs one slice."""
    if w is None or direction == "backward_weight" or "separable" not in ALGORITHMS:
        return None
    if not could_win(params):
        return None
    return _rank1_factors(params, w)


def _rank1_factors(params, w):
    rtol = default_rtol(w.dtype)
    _, first = _execute.factorize(np.ascontiguousarray(w[:1, :1]), params.ndim)
    if not first[0, 0] <= rtol or not np.isfinite(w).all():
        return None
    packed, resid = _execute.factorize(w, params.ndim)
    return packed if (resid <= rtol).all() else None


def choose(prob, algorithm, direction, w=None):
    """(C algorithm, packed separable factors or None) for `algorithm` on prob in `direction`.

    "auto": the chooser's pick, memoised on the problem (see the module docstring); a named
    algorithm: checked (ValueError when unknown, NotImplementedError when it cannot run the case,
    KernelNotSeparableError for "separable" on a kernel that is not rank 1). w is the kernel as the
    C code will see it (already flipped), or None for the weight gradient."""
    p = prob.params
    if algorithm == "auto":
        factors = None
        if prob.separable_candidate and w is not None and direction != "backward_weight":
            factors = _rank1_factors(p, w)
        separable = factors is not None
        if _choose.get_autotune():
            algo = _choose.choose_for_params(p, prob.dtype, direction, separable=separable)
        else:
            key = (direction, separable, get_num_threads(), _execute.workspace_limit, _conv_ext.isa_in_use(),
                   _calibrate.generation)
            algo = prob.choices.get(key)
            if algo is None:
                algo = _choose.choose_for_params(p, prob.dtype, direction, separable=separable, measure=False)
                prob.choices[key] = algo
        _execute.prepare(algo)
        return algo, (factors if algo == "separable" and direction == "forward" else None)
    named = prob.choices.get((algorithm, direction)) if type(algorithm) is str else None
    if named is not None:  # a named algorithm already checked on this problem and direction
        return named
    if not isinstance(algorithm, str):
        raise TypeError(f"algorithm must be a string, got {type(algorithm).__name__}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose 'auto' or one of {ALGORITHMS}")
    reason = _execute.unsupported_reason(algorithm, p, direction)
    if reason is not None:
        raise NotImplementedError(reason)
    if algorithm == "separable":
        if p.ndim == 1:  # a 1-D kernel is one pass: exactly what direct computes
            return "direct", None
        packed = check_separable(w, p.ndim)
        return "separable", (packed if direction == "forward" else None)
    _execute.prepare(algorithm)
    # the checks above depend on the problem and direction only (not on w, unlike separable's)
    prob.choices[(algorithm, direction)] = (algorithm, None)
    return algorithm, None
