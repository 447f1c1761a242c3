"""cnnkern on Dask arrays (``pip install "cnnkern[dask]"``): Dask schedules, cnnkern computes each chunk.

Two kinds of chunking are supported:

* **Batch-chunked layers.** ``conv{1,2,3}d_forward``, ``conv{d}d_backward``, ``conv{d}d_backward_input``,
  ``conv{d}d_backward_weight``, ``conv_transpose{d}d_forward`` and the pooling forwards
  (``max/min/avg/lp_pool``, ``global_*``, ``adaptive_*``) take a Dask array ``(N, C, *spatial)``
  chunked along the batch axis N and give what the in-memory function of the same name gives on the
  whole array, as a Dask array chunked the same way along N. The channel axis -- and the spatial axes,
  except for ``conv{d}d_forward`` (below) -- are rechunked to a single chunk when they are not one
  already (each task needs whole samples). Arguments and keywords are the in-memory function's and
  are passed through to it (``out=`` is refused). Weights and bias (NumPy or Dask arrays) enter the
  graph once, as one single-chunk array that every task reads (not copied into each task).
  ``conv{d}d_backward_weight`` sums the per-chunk weight gradients with Dask's tree reduction.
* **Images chunked in space.** ``correlate``/``convolve`` (1-3-D, scipy.signal's modes "full",
  "same", "valid") and ``conv{d}d_forward`` when a spatial axis has more than one chunk (any batch,
  padding_mode="zeros") run on overlapping blocks (``dask.array.overlap`` with boundary="none", then
  ``map_blocks``; no trim: each block returns exactly its outputs): each output chunk is computed from its input chunk plus a halo taken from the
  neighbours, the halo derived from the kernel size, dilation, stride and padding/mode; zeros are
  supplied where the padded window leaves the array. Output chunks equal input chunks for "same"
  (stride 1); "full" grows the last chunk, "valid" shrinks the last chunk(s) (possibly to empty
  chunks). Axes with a chunk smaller than the halo are rechunked (neighbouring chunks merged) first.
  The results equal ``cnnkern.signal.correlate``/``convolve`` and ``cnnkern.conv{d}d_forward`` on the
  whole array (up to floating-point rounding: the algorithm may differ per chunk).

algorithm="auto" (and signal's method="auto") is resolved here, on the driver, once per distinct
chunk shape with ``cnnkern.choose_algorithm`` (``cnnkern.signal.choose_method``), and the concrete name
is put into the tasks, so every worker of a cluster runs the same choice. Integer and bool images in
``correlate``/``convolve`` use method="direct" (exact, the values in-memory "auto" gives too).
"""
from dataclasses import dataclass
import inspect

import numpy as np

try:
    import dask
    import dask.array as da
except ImportError as _exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(f"cnnkern.dask needs Dask ({_exc}); install it with: pip install \"cnnkern[dask]\"") from _exc

import cnnkern

from . import _problem
from . import pooling as _pooling
from . import signal as _signal
from ._dtypes import result_dtype
from ._params import expand_ints, make_conv_params, normalize_padding

__all__ = ["correlate", "convolve"]


# ---------------------------------------------------------------------------------------------------
# Argument handling (driver side)

def _dask(name, a):
    if not isinstance(a, da.Array):
        raise TypeError(f"{name} must be a dask.array.Array (wrap NumPy data with dask.array.from_array), "
                        f"got {type(a).__name__}")
    return a


def _dtype_of(**named):
    """The in-memory dtype policy (cnnkern._dtypes) applied to dtypes only: nothing is computed."""
    return result_dtype(*((n, None if dt is None else np.empty(0, dt)) for n, dt in named.items()))


def _dt(a):
    """dtype of a NumPy/Dask array or array-like (None for None), without computing anything."""
    if a is None:
        return None
    return a.dtype if isinstance(a, da.Array) else np.asarray(a).dtype


def _shape(a):
    return tuple(a.shape) if isinstance(a, da.Array) else np.shape(a)


def _whole(name, a, dtype):
    """A weight-like array as one single-chunk Dask array of `dtype` (a single key in the graph)."""
    if a is None:
        return None
    if isinstance(a, da.Array):
        return a.astype(dtype).rechunk(a.shape)
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {a.dtype}; use float32 or float64")
    return da.from_array(np.ascontiguousarray(a, dtype=dtype), chunks=a.shape)


def _values(a):
    """NumPy values of a weight when they are at hand (not for a lazy Dask weight)."""
    return None if a is None or isinstance(a, da.Array) else np.asarray(a)


def _single_chunk_except(x, axes_free):
    """Rechunk every axis not in axes_free to one chunk (each task needs those axes whole)."""
    merge = {ax: -1 for ax in range(x.ndim) if ax not in axes_free and len(x.chunks[ax]) > 1}
    return x.rechunk(merge) if merge else x


def _bind(fn, args, kwargs, n_arrays):
    """Bind a call to the in-memory function's signature -> (array arguments, every other as keyword)."""
    sig = inspect.signature(fn)
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    names = list(sig.parameters)
    arrays = [bound.arguments[n] for n in names[:n_arrays]]
    kw = {n: bound.arguments[n] for n in names[n_arrays:]}
    if kw.pop("out", None) is not None:
        raise ValueError(f"{fn.__name__}: out= is not supported on Dask arrays (the result is a new Dask array)")
    return arrays, kw


@dataclass(frozen=True, eq=False)
class _Call:
    """What a task runs: cnnkern.<name>(*blocks, **kwargs), with `algorithm` looked up per chunk shape.

    A plain picklable object (a name, keywords, a dict of algorithm names): no C state travels."""

    name: str
    kwargs: dict
    algorithms: dict = None  # chunk key (see the callers) -> algorithm name, resolved on the driver

    def __call__(self, *blocks, key=None, **extra):
        kw = dict(self.kwargs, **extra)
        if self.algorithms is not None:
            kw["algorithm"] = self.algorithms[key]
        return getattr(cnnkern, self.name)(*blocks, **kw)

    def __dask_tokenize__(self):
        return (self.name, dask.base.tokenize(self.kwargs), dask.base.tokenize(self.algorithms))


# ---------------------------------------------------------------------------------------------------
# Tasks (module-level functions: pickled by reference)

def _task_forward(call, x, w, b):
    return call(x, w, b, key=x.shape[0])


def _task_backward_input(call, in_tail, dy, w):
    return call(dy, w, (dy.shape[0],) + tuple(in_tail), key=dy.shape[0])


def _task_backward_weight(call, w_shape, dy, x):
    return call(dy, x, tuple(w_shape), key=x.shape[0])[None]  # leading axis: one per batch chunk


def _task_pool(call, x):
    return call(x)


def _task_part(pair, part):
    return pair[part]


def _blockwise_batch(task, literals, batched, whole, out_tail, out_batch_chunks, dtype):
    """One task per batch chunk: task(*literals, *batched blocks, *whole arrays) -> block of the output
    (out_batch_chunks[i], *out_tail). Axes other than the batch are single chunks, contracted, so each
    task receives whole samples and the whole weights (one key shared by every task)."""
    out_ind = ("n",) + tuple(f"o{i}" for i in range(len(out_tail)))
    args = []
    for v in literals:
        args += [v, None]
    for i, a in enumerate(batched):
        args += [a, ("n",) + tuple(f"b{i}_{j}" for j in range(1, a.ndim))]
    for i, a in enumerate(whole):
        args += [None, None] if a is None else [a, tuple(f"w{i}_{j}" for j in range(a.ndim))]
    return da.blockwise(task, out_ind, *args, new_axes={f"o{i}": s for i, s in enumerate(out_tail)},
                        adjust_chunks={"n": tuple(out_batch_chunks)}, concatenate=True, dtype=dtype,
                        meta=np.empty((0,) * len(out_ind), dtype))


# ---------------------------------------------------------------------------------------------------
# Convolution: the algorithm per distinct chunk shape

def _conv_problem(nd, x_shape, w_shape, kw):
    """ConvParams the in-memory call will run (padding_mode other than zeros pads explicitly)."""
    p = make_conv_params(nd, x_shape, w_shape, stride=kw["stride"], padding=kw["padding"],
                         dilation=kw["dilation"], groups=kw["groups"])
    if kw.get("padding_mode", "zeros") != "zeros" and p.is_padded():
        padded = tuple(i + b + a for i, b, a in zip(p.in_size, p.pad_before, p.pad_after))
        p = make_conv_params(nd, x_shape[:2] + padded, w_shape, stride=p.stride, padding=0,
                             dilation=p.dilation, groups=p.groups)
    return p


def _choose(algorithm, params_by_key, w_values, direction, dtype):
    """algorithm="auto" -> {chunk key: concrete name} via cnnkern.choose_algorithm (once per key);
    a concrete name is used as given."""
    out = {}
    for key, p in params_by_key.items():
        if algorithm != "auto":
            out[key] = algorithm
            continue
        sep = w_values is not None and _problem.auto_factors(
            p, np.ascontiguousarray(w_values, dtype=dtype), direction) is not None
        out[key] = cnnkern.choose_algorithm(
            p.x_shape, p.w_shape, stride=p.stride, padding=tuple(zip(p.pad_before, p.pad_after)),
            dilation=p.dilation, groups=p.groups, dtype=dtype, direction=direction, separable=sep)
    return out


def _layer_args(nd, name, args, kwargs):
    """(input, weight, bias) of a forward layer call and its other arguments, checked on the driver."""
    (x, w, b), kw = _bind(getattr(cnnkern, name), args, kwargs, 3)
    x = _dask("input", x)
    if x.ndim != nd + 2:
        raise ValueError(f"{name} expects input (N, C_in, *spatial) with {nd + 2} dims, got shape {x.shape}")
    return x, w, b, kw, _dtype_of(input=x.dtype, weight=_dt(w), bias=_dt(b)), _values(w), _shape(w)


def _conv_forward(nd, name, *args, **kwargs):
    x, w, b, kw, dtype, w_values, w_shape = _layer_args(nd, name, args, kwargs)
    make_conv_params(nd, x.shape, w_shape, stride=kw["stride"], padding=kw["padding"],
                     dilation=kw["dilation"], groups=kw["groups"])  # validate on the driver
    wd, bd = _whole("weight", w, dtype), _whole("bias", b, dtype)
    x = _single_chunk_except(x, (0,) + tuple(range(2, nd + 2)))
    if all(len(c) == 1 for c in x.chunks[2:]):
        x_shapes = {n: (n,) + x.shape[1:] for n in set(x.chunks[0])}
        algos = _choose(kw["algorithm"], {n: _conv_problem(nd, s, w_shape, kw) for n, s in x_shapes.items()},
                        w_values, "forward", dtype)
        call = _Call(name, {k: v for k, v in kw.items() if k != "algorithm"}, algos)
        y_shape = cnnkern.conv_output_shape(x.shape, w_shape, stride=kw["stride"], padding=kw["padding"],
                                            dilation=kw["dilation"], groups=kw["groups"])
        return _blockwise_batch(_task_forward, [call], [x], [wd, bd], y_shape[1:], x.chunks[0], dtype)
    return _conv_forward_spatial(nd, name, x, wd, bd, w_shape, w_values, kw, dtype)


def _conv_transpose_forward(nd, name, *args, **kwargs):
    x, w, b, kw, dtype, w_values, w_shape = _layer_args(nd, name, args, kwargs)
    if len(w_shape) != nd + 2:
        raise ValueError(f"{name} expects weight (C_in, C_out // groups, *kernel) with {nd + 2} dims, "
                         f"got shape {w_shape}")
    if isinstance(kw["padding"], str):
        raise ValueError(f"{name} takes numeric padding, got {kw['padding']!r}")
    x = _single_chunk_except(x, (0,))
    out_tail = _transpose_out_tail(nd, x.shape, w_shape, kw)
    params = {n: make_conv_params(nd, (n,) + out_tail, w_shape, stride=kw["stride"], padding=kw["padding"],
                                  dilation=kw["dilation"], groups=kw["groups"]) for n in set(x.chunks[0])}
    algos = _choose(kw["algorithm"], params, w_values, "backward_input", dtype)
    call = _Call(name, {k: v for k, v in kw.items() if k != "algorithm"}, algos)
    return _blockwise_batch(_task_forward, [call], [x], [_whole("weight", w, dtype), _whole("bias", b, dtype)],
                            out_tail, x.chunks[0], dtype)


def _transpose_out_tail(nd, x_shape, w_shape, kw):
    """(C_out, *out_size) of a transposed convolution: the input shape of the convolution it is the
    adjoint of, checked with make_conv_params (the one place output sizes are computed)."""
    stride = expand_ints("stride", kw["stride"], nd, minimum=1)
    dilation = expand_ints("dilation", kw["dilation"], nd, minimum=1)
    output_padding = expand_ints("output_padding", kw["output_padding"], nd, minimum=0)
    before, after = normalize_padding(kw["padding"], nd, x_shape[2:], w_shape[2:], stride, dilation)
    out = tuple((i - 1) * s - b - a + d * (k - 1) + op + 1 for i, s, b, a, d, k, op in
                zip(x_shape[2:], stride, before, after, dilation, w_shape[2:], output_padding))
    if any(o < 1 for o in out):
        raise ValueError(f"transposed convolution output size {out} is not positive")
    return (w_shape[1] * kw["groups"],) + out


def _conv_backward_input(nd, name, *args, **kwargs):
    fn = getattr(cnnkern, name)
    (dy, w, input_shape), kw = _bind(fn, args, kwargs, 3)
    dy = _single_chunk_except(_dask("dy", dy), (0,))
    w_values, w_shape = _values(w), _shape(w)
    input_shape = tuple(int(s) for s in input_shape)
    if len(input_shape) != nd + 2 or input_shape[0] != dy.shape[0]:
        raise ValueError(f"input_shape {input_shape} must have {nd + 2} entries and the batch of dy {dy.shape}")
    dtype = _dtype_of(dy=dy.dtype, weight=_dt(w))
    y_shape = cnnkern.conv_output_shape(input_shape, w_shape, stride=kw["stride"], padding=kw["padding"],
                                        dilation=kw["dilation"], groups=kw["groups"])
    if tuple(dy.shape) != tuple(y_shape):
        raise ValueError(f"dy has shape {dy.shape}, but the forward output has shape {y_shape}")
    params = {n: _conv_problem(nd, (n,) + input_shape[1:], w_shape, kw) for n in set(dy.chunks[0])}
    call = _Call(name, {k: v for k, v in kw.items() if k != "algorithm"},
                 _choose(kw["algorithm"], params, w_values, "backward_input", dtype))
    return _blockwise_batch(_task_backward_input, [call, input_shape[1:]], [dy], [_whole("weight", w, dtype)],
                            input_shape[1:], dy.chunks[0], dtype)


def _weight_gradient(nd, name, dy, x, w_shape, kw, dtype, split_every=None):
    """Sum over batch chunks of the per-chunk weight gradients (Dask's tree reduction)."""
    dy = _single_chunk_except(dy, (0,))
    x = _single_chunk_except(x, (0,))
    if dy.chunks[0] != x.chunks[0]:
        dy = dy.rechunk({0: x.chunks[0]})
    params = {n: _conv_problem(nd, (n,) + x.shape[1:], w_shape, kw) for n in set(x.chunks[0])}
    call = _Call(name, {k: v for k, v in kw.items() if k != "algorithm"},
                 _choose(kw["algorithm"], params, None, "backward_weight", dtype))
    parts = _blockwise_batch(_task_backward_weight, [call, w_shape], [dy, x], [], w_shape,
                             (1,) * len(x.chunks[0]), dtype)
    return parts.sum(axis=0, dtype=dtype, split_every=split_every)


def _conv_backward_weight(nd, name, *args, **kwargs):
    fn = getattr(cnnkern, name)
    (dy, x, weight_shape), kw = _bind(fn, args, kwargs, 3)
    dy, x = _dask("dy", dy), _dask("x", x)
    weight_shape = tuple(int(s) for s in weight_shape)
    y_shape = cnnkern.conv_output_shape(x.shape, weight_shape, stride=kw["stride"], padding=kw["padding"],
                                        dilation=kw["dilation"], groups=kw["groups"])
    if tuple(dy.shape) != tuple(y_shape):
        raise ValueError(f"dy has shape {dy.shape}, but the forward output has shape {y_shape}")
    dtype = _dtype_of(dy=dy.dtype, x=x.dtype)
    return _weight_gradient(nd, name, dy, x, weight_shape, kw, dtype)


def _conv_backward(nd, name, *args, **kwargs):
    fn = getattr(cnnkern, name)
    (dy, x, w), kw = _bind(fn, args, kwargs, 3)
    dy, x = _dask("dy", dy), _dask("x", x)
    bias = kw.pop("bias", True)
    algorithm = kw.pop("algorithm")
    w_shape = _shape(w)
    dtype = _dtype_of(dy=dy.dtype, x=x.dtype, weight=_dt(w))
    dy, x = dy.astype(dtype), x.astype(dtype)  # one compute dtype for the three, as in memory
    dx = _conv_backward_input(nd, f"conv{nd}d_backward_input", dy, w, x.shape, algorithm=algorithm, **kw)
    # separable has no weight-gradient pass: "auto" there, as the in-memory conv{d}d_backward does
    algo_w = "auto" if algorithm == "separable" else algorithm
    dw = _weight_gradient(nd, f"conv{nd}d_backward_weight", dy, x, w_shape, dict(kw, algorithm=algo_w), dtype)
    db = dy.sum(axis=(0,) + tuple(range(2, nd + 2)), dtype=dtype) if bias else None
    return dx, dw, db


# ---------------------------------------------------------------------------------------------------
# Pooling forwards over batch chunks

def _pool_out_shape(name, nd, shape, kw):
    """Output shape of a pooling forward from cnnkern.pooling's geometry (nothing is computed)."""
    if name.startswith("global_"):
        return tuple(shape[:2]) + (1,) * nd
    if name.startswith("adaptive_"):
        proxy = np.broadcast_to(np.zeros((), np.float32), shape)
        return _pooling._adaptive_geom(name, nd, proxy, True, kw["output_size"]).out_shape
    stride = kw.get("stride")
    padding = kw.get("padding", 0)
    dilation = kw.get("dilation", 1)
    return _pooling._window_geom(name, nd, tuple(shape), True, kw["kernel_size"], stride, padding, dilation,
                                 kw.get("ceil_mode", False)).out_shape


def _pool_forward(nd, name, *args, **kwargs):
    fn = getattr(cnnkern, name)
    (x,), kw = _bind(fn, args, kwargs, 1)
    x = _dask("x", x)
    if x.ndim != nd + 2:
        raise ValueError(f"{name} on Dask arrays expects a batched input (N, C, *spatial) with {nd + 2} dims, "
                         f"got shape {x.shape}")
    x = _single_chunk_except(x, (0,))
    dtype = _dtype_of(x=x.dtype)
    out_tail = _pool_out_shape(name, nd, x.shape, kw)[1:]
    call = _Call(name, kw)
    if not kw.get("return_indices", False):
        return _blockwise_batch(_task_pool, [call], [x], [], out_tail, x.chunks[0], dtype)
    # One task per chunk returns the (values, indices) pair; two light tasks pick each part.
    pairs = _blockwise_batch(_task_pool, [call], [x], [], out_tail, x.chunks[0], dtype)
    y = pairs.map_blocks(_task_part, 0, dtype=dtype, meta=np.empty((0,) * x.ndim, dtype))
    idx = pairs.map_blocks(_task_part, 1, dtype=np.int64, meta=np.empty((0,) * x.ndim, np.int64))
    return y, idx


# ---------------------------------------------------------------------------------------------------
# Spatially chunked inputs: overlapping blocks

@dataclass(frozen=True)
class _AxisPlan:
    """One spatial axis of a windowed operation split along its chunks.

    Output m reads the input window [m * stride - pad_before, ... + extent). Chunk j (input [c0, c1))
    computes outputs [lo, hi) and needs input [need0, need1); it receives [c0 - got_l, c1 + got_r)."""

    depth: tuple            # (left, right) halo
    out_chunks: tuple
    blocks: tuple           # per chunk: (c0 - got_l, c1 + got_r, need0, need1, lo, hi)


def _plan_axis(chunks, extent, stride, pad_before, out):
    """Assign outputs to chunks so that, at stride 1, output chunks match input chunks for "same" and
    "full" (shift = pad_before, capped at extent - 1), and compute the halo each chunk needs."""
    shift = min(pad_before, extent - 1)
    starts = np.cumsum((0,) + tuple(chunks))
    lo = [0]
    for c0 in starts[1:-1]:
        lo.append(min(max(-(-(int(c0) + pad_before - shift) // stride), lo[-1]), out))
    hi = lo[1:] + [out]
    need = [(l_ * stride - pad_before, (h - 1) * stride - pad_before + extent) for l_, h in zip(lo, hi)]
    last = len(chunks) - 1
    depth_l = max([int(starts[j]) - need[j][0] for j in range(1, last + 1) if hi[j] > lo[j]] + [0])
    depth_r = max([need[j][1] - int(starts[j + 1]) for j in range(last) if hi[j] > lo[j]] + [0])
    blocks = tuple((int(starts[j]) - (depth_l if j > 0 else 0), int(starts[j + 1]) + (depth_r if j < last else 0),
                    need[j][0], need[j][1], lo[j], hi[j]) for j in range(last + 1))
    return _AxisPlan((depth_l, depth_r), tuple(h - l_ for l_, h in zip(lo, hi)), blocks)


def _merge_small(chunks, minimum):
    """Merge neighbouring chunks until each has at least `minimum` elements (halo source)."""
    out = []
    for c in chunks:
        if out and out[-1] < minimum:
            out[-1] += c
        else:
            out.append(c)
    if len(out) > 1 and out[-1] < minimum:
        tail = out.pop()
        out[-1] += tail
    return tuple(out)


def _plan(x, spatial_axes, extents, strides, pads_before, outs):
    """Plans for the spatial axes; axes whose chunks cannot supply the halo are rechunked first."""
    while True:
        plans = [_plan_axis(x.chunks[ax], e, s, p, o)
                 for ax, e, s, p, o in zip(spatial_axes, extents, strides, pads_before, outs)]
        small = {ax: _merge_small(x.chunks[ax], max(pl.depth)) for ax, pl in zip(spatial_axes, plans)
                 if len(x.chunks[ax]) > 1 and min(x.chunks[ax]) < max(pl.depth)}
        if not small:
            return x, plans
        x = x.rechunk(small)


def _window_piece(block, plans, block_id, spatial_axes):
    """The block cut and zero-padded to exactly the input its outputs need; None when it has none."""
    index, pads = [slice(None)] * block.ndim, [(0, 0)] * block.ndim
    for ax, pl in zip(spatial_axes, plans):
        have0, have1, need0, need1, lo, hi = pl.blocks[block_id[ax]]
        if block.shape[ax] != have1 - have0:
            raise RuntimeError(f"overlapped block has {block.shape[ax]} elements on axis {ax}, expected "
                               f"{have1 - have0}: dask's overlap semantics changed")
        if hi == lo:
            return None
        index[ax] = slice(max(need0 - have0, 0), min(need1, have1) - have0)
        pads[ax] = (max(have0 - need0, 0), max(need1 - have1, 0))
    piece = block[tuple(index)]
    if any(p != (0, 0) for p in pads):
        piece = np.pad(piece, pads)
    return piece


def _task_window(block, weight, bias, *, call, plans, spatial_axes, out_lead, out_dtype, block_id=None):
    piece = _window_piece(block, plans, block_id, spatial_axes)
    if piece is None:
        shape = list(out_lead(block)) + [pl.out_chunks[block_id[ax]] for ax, pl in zip(spatial_axes, plans)]
        return np.empty(shape, out_dtype)
    return call(piece, weight, bias, key=piece.shape)


class _SignalCall(_Call):
    """correlate(piece, kernel, "valid", method) through cnnkern.signal."""

    def __call__(self, piece, kernel, bias=None, key=None):
        return _signal.correlate(piece, kernel, mode="valid", method=self.algorithms[key])


def _lead_none(block):
    return ()


@dataclass(frozen=True)
class _LeadConv:
    c_out: int

    def __call__(self, block):
        return (block.shape[0], self.c_out)


def _conv_forward_spatial(nd, name, x, wd, bd, w_shape, w_values, kw, dtype):
    if kw.get("padding_mode", "zeros") != "zeros":
        raise NotImplementedError(
            f"{name}: an input chunked along spatial axes supports padding_mode='zeros' only (got "
            f"{kw['padding_mode']!r}); pad with dask.array.pad(..., mode=...) first, then use padding=0")
    p = make_conv_params(nd, x.shape, w_shape, stride=kw["stride"], padding=kw["padding"],
                         dilation=kw["dilation"], groups=kw["groups"])
    spatial = tuple(range(2, nd + 2))
    extents = [d * (k - 1) + 1 for d, k in zip(p.dilation, p.kernel_size)]
    x, plans = _plan(x, spatial, extents, p.stride, p.pad_before, p.out_size)
    # the chunk shapes the kernel runs on: batch chunk x piece size per axis (distinct ones only)
    keys = set()
    for n in set(x.chunks[0]):
        for combo in _product([{b[3] - b[2] for b in pl.blocks if b[5] > b[4]} for pl in plans]):
            keys.add((n, p.in_channels) + combo)
    params = {k: make_conv_params(nd, k, w_shape, stride=p.stride, padding=0, dilation=p.dilation,
                                  groups=p.groups) for k in keys}
    algos = _choose(kw["algorithm"], params, w_values, "forward", dtype)
    call = _Call(name, dict(stride=p.stride, padding=0, dilation=p.dilation, groups=p.groups,
                            flip=kw.get("flip", False)), algos)
    out_chunks = (x.chunks[0], (p.out_channels,)) + tuple(pl.out_chunks for pl in plans)
    depth = {0: 0, 1: 0}
    depth.update({ax: pl.depth for ax, pl in zip(spatial, plans)})
    return _overlapped_map(x, depth, out_chunks, dtype, _delayed_whole(wd), _delayed_whole(bd), call=call,
                           plans=plans, spatial_axes=spatial, out_lead=_LeadConv(p.out_channels), out_dtype=dtype)


def _overlapped_map(x, depth, out_chunks, dtype, weight, bias, **kw):
    """dask.array.overlap (boundary "none": halos from neighbours only; _window_piece adds the zeros)
    then one _task_window per block. Not map_overlap itself: the weight and bias are Delayed
    dependencies, which map_blocks takes as positional arguments (map_overlap would treat them as
    arrays to overlap, and keyword Delayed values lose their graph)."""
    xo = da.overlap.overlap(x, depth=depth, boundary="none")
    return da.map_blocks(_task_window, xo, weight, bias, chunks=out_chunks, dtype=dtype,
                         meta=np.empty((0,) * x.ndim, dtype), **kw)


def _product(sets):
    combos = [()]
    for s in sets:
        combos = [c + (v,) for c in combos for v in sorted(s)]
    return combos


def _delayed_whole(a):
    """A single-chunk Dask array as the Delayed of its one block (a task keyword that is a dependency)."""
    return None if a is None else a.to_delayed(optimize_graph=False).ravel()[0]


def _spatial_correlate(in1, in2, mode, method, flip, fname):
    a = _dask("in1", in1)
    b = in2.compute() if isinstance(in2, da.Array) else np.asarray(in2)
    if a.ndim not in (1, 2, 3):
        raise ValueError(f"cnnkern.dask.{fname} takes 1-D to 3-D arrays, got in1 with shape {a.shape}")
    if a.ndim != b.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    if not isinstance(mode, str) or mode not in _signal.MODES:
        raise ValueError(_signal._MODE_ERROR)
    if not isinstance(method, str) or method not in _signal.METHODS:
        raise ValueError(_signal._METHOD_ERROR)
    _signal._check_real(np.empty(0, a.dtype), b)
    _signal._valid_mode_swap_needed(mode, a.shape, b.shape)
    if a.size == 0 or b.size == 0:
        raise ValueError(f"in1 (shape {a.shape}) and in2 (shape {b.shape}) must not be empty")
    if flip:
        b = np.ascontiguousarray(b[(slice(None, None, -1),) * b.ndim])  # convolution = reversed correlation
    dtype = np.result_type(a.dtype, b.dtype)
    axes = tuple(range(a.ndim))
    window = _signal._output_window(mode, a.shape, b.shape)
    pads_before = [k - 1 - start for (start, _), k in zip(window, b.shape)]
    a, plans = _plan(a, axes, b.shape, (1,) * a.ndim, pads_before, [out for _, out in window])
    pieces = _product([{blk[3] - blk[2] for blk in pl.blocks if blk[5] > blk[4]} for pl in plans])
    algos = {}
    for shape in pieces:
        if method != "auto":
            algos[shape] = method
        elif dtype.kind not in "fc":
            algos[shape] = "direct"  # exact; what in-memory "auto" gives whenever it matters
        else:
            proxy = np.broadcast_to(np.zeros((), a.dtype), shape)  # shapes only: no chunk-sized allocation
            algos[shape] = _signal.choose_method(proxy, b, mode="valid")
    call = _SignalCall(fname, {}, algos)
    kernel = dask.delayed(b, pure=True)
    return _overlapped_map(a, {ax: pl.depth for ax, pl in zip(axes, plans)}, tuple(pl.out_chunks for pl in plans),
                           dtype, kernel, None, call=call, plans=plans, spatial_axes=axes, out_lead=_lead_none,
                           out_dtype=dtype)


def correlate(in1, in2, mode="full", method="auto"):
    """Cross-correlation of a Dask array in1 (1-3-D, any chunks) with a small kernel in2, as
    cnnkern.signal.correlate / scipy.signal.correlate on the whole array, as a Dask array.

    Runs on overlapping blocks (halo from in2's shape and mode); chunks smaller than the halo are merged
    with a neighbour first. Output chunks: in1's for "same"; "full" grows the last chunk of each axis by
    K - 1, "valid" shrinks the last chunk(s). method: "auto" (resolved per distinct block shape on the
    driver), "direct" or "fft". in2 is NumPy (a Dask in2 is computed: it is the small operand)."""
    return _spatial_correlate(in1, in2, mode, method, False, "correlate")


def convolve(in1, in2, mode="full", method="auto"):
    """Convolution of a Dask array in1 with a small kernel in2, as cnnkern.signal.convolve on the whole
    array (correlate with in2 reversed on every axis); see correlate."""
    return _spatial_correlate(in1, in2, mode, method, True, "convolve")


# ---------------------------------------------------------------------------------------------------
# Public per-dimension functions, with the in-memory function's signature

_NOTES = {
    "conv": ("Dask version of cnnkern.{name}: input chunked along the batch axis (or, for the forward, "
             "also along spatial axes: overlapping blocks, padding_mode='zeros'); channel axis rechunked "
             "to one chunk. See cnnkern.dask.\n\n"),
    "batch": ("Dask version of cnnkern.{name}: inputs chunked along the batch axis; the other axes are "
              "rechunked to one chunk. See cnnkern.dask.\n\n"),
}


def _export(template, name, nd, note):
    def public(*args, **kwargs):
        return template(nd, name, *args, **kwargs)

    inner = getattr(cnnkern, name)
    public.__name__ = public.__qualname__ = name
    public.__module__ = __name__
    public.__signature__ = inspect.signature(inner)
    public.__doc__ = _NOTES[note].format(name=name) + (inner.__doc__ or "")
    globals()[name] = public
    __all__.append(name)


for _d in (1, 2, 3):
    _export(_conv_forward, f"conv{_d}d_forward", _d, "conv")
    _export(_conv_backward, f"conv{_d}d_backward", _d, "batch")
    _export(_conv_backward_input, f"conv{_d}d_backward_input", _d, "batch")
    _export(_conv_backward_weight, f"conv{_d}d_backward_weight", _d, "batch")
    _export(_conv_transpose_forward, f"conv_transpose{_d}d_forward", _d, "batch")
    for _kind in ("max_pool", "min_pool", "avg_pool", "lp_pool", "global_max_pool", "global_min_pool",
                  "global_avg_pool", "global_lp_pool", "adaptive_max_pool", "adaptive_avg_pool"):
        _export(_pool_forward, f"{_kind}{_d}d_forward", _d, "batch")
del _d, _kind
