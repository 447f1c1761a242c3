"""Algorithm choice for algorithm="auto": a flat list of (supports, estimated cost) entries.

`choose_algorithm(...)` (and `algorithm="auto"`, which calls it) returns the supported algorithm of
least estimated cost. Each entry of ENTRIES below says, for one algorithm,

  supports(p, direction, separable) -> bool   which problems it can run (never a guess: an algorithm
                                              chosen here must not raise NotImplementedError), and
  features(p) -> {name: value}                the work it does, in counts that its time should be
                                              proportional to (flops, elements moved, calls);

and the estimated time is  sum(constant[algorithm][direction][name] * value)  in seconds. The
constants live in cnnkern/data/chooser_constants.json, written by `python benchmarks/fit_chooser.py
RESULTS.json... --write` from `cnnkern-bench` runs: a non-negative least-squares fit of the measured
medians, each row weighted by 1 / measured time (so the fit minimises relative error), per algorithm
and direction; the file records the machine, the runs and the fit quality. An algorithm that
cnnkern.algorithms() does not list, or that has no constants yet, is skipped, so a new algorithm
joins `auto` by adding its entry here and re-running the fit. If no entry applies (not expected),
"direct" runs: it supports every parameter.

Without measurement the choice is a pure function of the shapes and parameters (no timing, no
state). With measure=True, or globally after `set_autotune(True)` (as cuDNN's benchmark mode), the
candidates are timed once per distinct case on random data of the case's shapes and the winner is
cached in memory, keyed by direction, shapes, parameters, dtype, the separable flag and the thread
count; `save_autotune_cache()` / `load_autotune_cache()` write and read it as JSON (default path
below; nothing is ever written unless asked).
"""
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from importlib import resources
from typing import Callable

import numpy as np

from . import _conv_ext
from ._params import make_conv_params
from ._threads import get_num_threads

DIRECTIONS = ("forward", "backward_input", "backward_weight")
FALLBACK = "direct"  # supports every parameter and direction
_INT_MAX = 2 ** 31 - 1  # the BLAS takes int dimensions


def _prod(values):
    out = 1
    for v in values:
        out *= v
    return out


# ---------------------------------------------------------------------------------------------------
# Work counts. Every count is in the forward problem's geometry; backward passes get their own
# constants, so the same counts serve all three directions.

def _base_counts(p):
    out_px = _prod(p.out_size)
    return {
        "call": 1.0,                                              # fixed cost of one call (s)
        "flop": float(p.flops()),                                 # 2 * N * C_out * C_in/g * prod(k) * prod(out)
        "out_elem": float(p.batch * p.out_channels * out_px),     # y / dy elements
        "in_elem": float(p.batch * p.in_channels * _prod(p.in_size)),  # x / dx elements
        "w_elem": float(p.out_channels * (p.in_channels // p.groups) * _prod(p.kernel_size)),  # w / dw
    }


def _direct_features(p):
    # Packed input rows and register tiles over flattened output rows: flops, per-output-element
    # work (stores, tile set-up: what makes depthwise and short reductions slow), the packing of the
    # input, per-thread dw copies (backward_weight). A packed row is OW + (KW-1)*dilation/stride long
    # but only OW of it is output, so the tiles also compute the difference ("flop_row_edge": large
    # for small images with wide kernels); strided problems run phase by phase ("flop_strided").
    c = _base_counts(p)
    ow, kw = p.out_size[-1], p.kernel_size[-1]
    edge = (kw - 1) * p.dilation[-1] / p.stride[-1]
    c["flop_row_edge"] = c["flop"] * edge / ow
    c["flop_strided"] = c["flop"] if p.is_strided() else 0.0
    # Short reductions per weight element (few output pixels per image against many input channels:
    # vgg_conv4_2, r50_3x3_7, r50_1x1_14) make the weight gradient 3-4x slower per flop than the
    # forward pass, whose register tiles run along the output rows.
    # One input channel per group (depthwise layers, single-channel images): no channel blocking in
    # the register tiles, about a tenth of the dense flop rate (dw3x3_56).
    c["flop_one_channel"] = c["flop"] if p.in_channels == p.groups else 0.0
    c["flop_short_reduction"] = c["flop"] * min(1.0, (p.in_channels // p.groups) / max(1, p.batch * _prod(p.out_size)))
    return c


def _im2col_in_place(p):
    return p.is_pointwise() and not p.is_strided() and not p.is_padded()


def _im2col_features(p):
    # column matrix of (C_in/g * prod(k)) x (N * prod(out)) per group, copied (skipped for an
    # unpadded stride-1 1x1), then one GEMM per image and group (per-call overhead of the BLAS).
    c = _base_counts(p)
    kv = _prod(p.kernel_size)
    c["col_elem"] = 0.0 if _im2col_in_place(p) else float(
        p.batch * p.in_channels * kv * _prod(p.out_size))
    c["gemm_call"] = float(p.batch * p.groups)
    return c


def _im2col_supports(p, direction, separable):
    kv = _prod(p.kernel_size)
    return max(p.out_channels // p.groups, (p.in_channels // p.groups) * kv, _prod(p.out_size)) <= _INT_MAX


def _fft_size(p):
    # transform length per axis: the padded input (the kernel's extent fits inside it)
    return _prod(i + b + a for i, b, a in zip(p.in_size, p.pad_before, p.pad_after))


def _fft_features(p):
    # transforms of x, y and w: (N*C_in + N*C_out + C_out*C_in/g) * P log2 P, and the
    # per-frequency complex products N * C_out * C_in/g * P; nearly independent of the kernel size.
    size = _fft_size(p)
    c = _base_counts(p)
    del c["flop"]
    cg = p.in_channels // p.groups
    c["transform"] = float((p.batch * p.in_channels + p.batch * p.out_channels + p.out_channels * cg)
                           * size * max(1.0, math.log2(size)))
    c["spectral_mac"] = float(p.batch * p.out_channels * cg * size)
    return c


def _fft_supports(p, direction, separable):
    return (not p.is_strided() and not p.is_dilated() and p.ndim in (1, 2))


def _separable_features(p):
    c = _base_counts(p)
    del c["flop"]
    c["sep_flop"] = float(2 * p.batch * p.out_channels * (p.in_channels // p.groups)
                          * _prod(p.out_size) * sum(p.kernel_size))
    return c


def _separable_supports(p, direction, separable):
    # 1-D kernels are trivially rank 1: algorithm="separable" runs "direct" for them
    return bool(separable) and p.ndim >= 2 and direction in ("forward", "backward_input")


def _always(p, direction, separable):
    return True


@dataclass(frozen=True)
class Entry:
    algorithm: str
    supports: Callable  # (ConvParams, direction, separable) -> bool
    features: Callable  # (ConvParams) -> {count name: value}


# The flat list. Order only breaks ties (and the first supported entry is the fallback).
ENTRIES = (
    Entry("direct", _always, _direct_features),
    Entry("im2col", _im2col_supports, _im2col_features),
    Entry("fft", _fft_supports, _fft_features),
    Entry("separable", _separable_supports, _separable_features),
    Entry("reference", _always, lambda p: {"call": 1.0, "flop": float(p.flops())}),
)
_ENTRY = {e.algorithm: e for e in ENTRIES}


def _load_constants():
    with resources.files("cnnkern").joinpath("data/chooser_constants.json").open() as fh:
        return json.load(fh)


CONSTANTS_FILE = _load_constants()
CONSTANTS = CONSTANTS_FILE["constants"]  # {algorithm: {direction: {count name: seconds per unit}}}


def _check_direction(direction):
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")


def supported_algorithms(p, direction, *, separable=False):
    """Every algorithm of cnnkern.algorithms() whose entry says it can run this case."""
    _check_direction(direction)
    return tuple(a for a in _conv_ext.ALGORITHMS
                 if a not in _ENTRY or _ENTRY[a].supports(p, direction, separable))


def estimate_costs(p, direction, *, separable=False, constants=None):
    """{algorithm: estimated seconds} for the available, supported algorithms that have constants."""
    _check_direction(direction)
    constants = CONSTANTS if constants is None else constants
    costs = {}
    for e in ENTRIES:
        fitted = constants.get(e.algorithm, {}).get(direction)
        if e.algorithm not in _conv_ext.ALGORITHMS or not fitted or not e.supports(p, direction, separable):
            continue
        feats = e.features(p)
        costs[e.algorithm] = sum(fitted.get(name, 0.0) * value for name, value in feats.items())
    return costs


def model_choice(p, direction, *, separable=False, constants=None):
    """The unmeasured choice: the least estimated cost (pure)."""
    costs = estimate_costs(p, direction, separable=separable, constants=constants)
    if costs:
        return min(costs, key=costs.get)  # min keeps the first of equal costs, in ENTRIES order
    return FALLBACK if FALLBACK in _conv_ext.ALGORITHMS else _conv_ext.ALGORITHMS[0]


def choose_for_params(p, dtype, direction, *, separable=False, measure=None):
    """What algorithm="auto" runs for validated ConvParams p (called by cnnkern/conv.py)."""
    _check_direction(direction)
    if measure is None:
        measure = _autotune_enabled
    if measure:
        return _measured_choice(p, np.dtype(dtype), direction, bool(separable))
    return model_choice(p, direction, separable=separable)


def choose_algorithm(x_shape, w_shape, *, stride=1, padding=0, dilation=1, groups=1,
                     dtype=np.float32, direction="forward", measure=None, separable=False):
    """The algorithm that algorithm="auto" runs for this convolution.

    direction: "forward", "backward_input" or "backward_weight". separable=True says that every
    kernel slice w[k, c] is rank-1 (an outer product of per-axis vectors), which lets the
    "separable" algorithm apply. measure: None follows the global switch (cnnkern.set_autotune,
    off by default); False uses the cost model only (pure: no timing, no state); True times the
    candidates once for this case and caches the winner (see cnnkern.save_autotune_cache).
    """
    ndim = len(tuple(x_shape)) - 2
    if ndim not in (1, 2, 3):
        raise ValueError(f"x_shape must be (N, C, *spatial) with 1 to 3 spatial dims, got {x_shape}")
    p = make_conv_params(ndim, x_shape, w_shape, stride=stride, padding=padding, dilation=dilation,
                         groups=groups)
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return choose_for_params(p, dt, direction, separable=separable, measure=measure)


# ---------------------------------------------------------------------------------------------------
# Autotuning: measured winners, in memory; JSON on request.

_autotune_enabled = False
_cache = {}  # key (tuple, see _cache_key) -> {"algorithm": name, "times": {name: seconds}}
_cache_lock = threading.Lock()  # guards _cache
_tune_lock = threading.Lock()  # one measurement at a time: concurrent timings would disturb each other
ENV_CACHE_PATH = "CNNKERN_AUTOTUNE_CACHE"
CACHE_FORMAT = "cnnkern-autotune-cache"


def set_autotune(enabled):
    """Turn autotuning on or off for algorithm="auto" (process-wide; off by default).

    When on, the first call of each distinct case (shapes, parameters, dtype, direction, thread
    count) times every supported algorithm once on random data of those shapes and caches the
    fastest; later calls reuse it. Like cuDNN's benchmark mode: worth it for repeated shapes."""
    global _autotune_enabled
    if not isinstance(enabled, (bool, np.bool_)):
        raise TypeError(f"set_autotune takes True or False, got {enabled!r}")
    _autotune_enabled = bool(enabled)


def get_autotune():
    return _autotune_enabled


def _cache_key(p, dtype, direction, separable, threads):
    return (direction, p.ndim, p.x_shape, p.w_shape, tuple(p.stride),
            tuple(zip(p.pad_before, p.pad_after)), tuple(p.dilation), p.groups, np.dtype(dtype).name,
            bool(separable), int(threads))


_KEY_FIELDS = ("direction", "ndim", "x_shape", "w_shape", "stride", "padding", "dilation", "groups",
               "dtype", "separable", "threads")


def _key_to_json(key):
    return dict(zip(_KEY_FIELDS, key))


def _key_from_json(d):
    def ints(v):
        return tuple(int(i) for i in v)
    direction = d["direction"]
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    return (direction, int(d["ndim"]), ints(d["x_shape"]), ints(d["w_shape"]), ints(d["stride"]),
            tuple(ints(pair) for pair in d["padding"]), ints(d["dilation"]), int(d["groups"]),
            np.dtype(d["dtype"]).name, bool(d["separable"]), int(d["threads"]))


def _rank1_weight(shape, dtype, rng):
    """Weights whose every kernel slice is an outer product of per-axis vectors."""
    w = np.ones(shape, dtype=dtype)
    for axis, k in enumerate(shape[2:]):
        vec_shape = [shape[0], shape[1]] + [1] * (len(shape) - 2)
        vec_shape[2 + axis] = k
        w = w * rng.standard_normal(vec_shape).astype(dtype)
    return np.ascontiguousarray(w)


def time_algorithm(algorithm, p, dtype, direction, *, separable=False, repeat=3, rng=None):
    """Seconds of one call (best of `repeat`, after one warm-up) of `algorithm` on random data of p's
    shapes; raises NotImplementedError when the algorithm cannot run the case."""
    from . import conv

    rng = np.random.default_rng(0) if rng is None else rng
    kw = dict(stride=p.stride, padding=tuple(zip(p.pad_before, p.pad_after)), dilation=p.dilation,
              groups=p.groups, algorithm=algorithm)
    x = rng.standard_normal(p.x_shape).astype(dtype)
    w = (_rank1_weight(p.w_shape, dtype, rng) if separable else rng.standard_normal(p.w_shape).astype(dtype))
    dy = rng.standard_normal(p.y_shape).astype(dtype)
    if direction == "forward":
        def run():
            conv._conv_forward(p.ndim, x, w, **kw)
    elif direction == "backward_input":
        def run():
            conv._conv_backward_input(p.ndim, dy, w, p.x_shape, **kw)
    else:
        def run():
            conv._conv_backward_weight(p.ndim, dy, x, p.w_shape, **kw)
    t0 = time.perf_counter()
    run()  # warm-up; raises NotImplementedError for an unsupported case
    best = time.perf_counter() - t0
    if best > 0.5:  # a slow candidate: its warm-up time is precise enough, and the loser is clear
        return best
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def _candidates(p, direction, separable):
    names = [a for a in supported_algorithms(p, direction, separable=separable) if a != "reference"]
    return names or ["reference"]


def _measured_choice(p, dtype, direction, separable):
    key = _cache_key(p, dtype, direction, separable, get_num_threads())
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and hit["algorithm"] in _conv_ext.ALGORITHMS:
        return hit["algorithm"]
    with _tune_lock:
        with _cache_lock:  # another thread may have measured it while we waited
            hit = _cache.get(key)
        if hit is not None and hit["algorithm"] in _conv_ext.ALGORITHMS:
            return hit["algorithm"]
        times = {}
        for algo in _candidates(p, direction, separable):
            try:
                times[algo] = time_algorithm(algo, p, dtype, direction, separable=separable)
            except NotImplementedError:
                continue
        if not times:
            return model_choice(p, direction, separable=separable)
        winner = min(times, key=times.get)
        with _cache_lock:
            _cache[key] = {"algorithm": winner, "times": times}
        return winner


def record_autotune_result(p, dtype, direction, times, *, separable=False, threads=None):
    """Store measured times {algorithm: seconds} for a case as if autotuning had run (the bench uses
    this to fill the cache from its own timings). Returns the winner."""
    _check_direction(direction)
    times = {a: float(t) for a, t in times.items() if a in _conv_ext.ALGORITHMS}
    if not times:
        raise ValueError("record_autotune_result needs at least one time of an available algorithm")
    winner = min(times, key=times.get)
    key = _cache_key(p, dtype, direction, separable, get_num_threads() if threads is None else threads)
    with _cache_lock:
        _cache[key] = {"algorithm": winner, "times": times}
    return winner


def autotune_cache_entries():
    """A snapshot of the in-memory cache: a list of (key dict, algorithm, times)."""
    with _cache_lock:
        return [(_key_to_json(k), v["algorithm"], dict(v["times"])) for k, v in _cache.items()]


def clear_autotune_cache():
    """Forget every measured winner (in memory; files are untouched)."""
    with _cache_lock:
        _cache.clear()


def autotune_cache_path():
    """Where save/load_autotune_cache() go by default: $CNNKERN_AUTOTUNE_CACHE, else
    $XDG_CACHE_HOME/cnnkern/autotune.json, else ~/.cache/cnnkern/autotune.json."""
    env = os.environ.get(ENV_CACHE_PATH)
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cnnkern", "autotune.json")


def save_autotune_cache(path=None):
    """Write the in-memory autotune cache as JSON (merging nothing: the file is replaced atomically).
    Returns the path written."""
    path = autotune_cache_path() if path is None else os.fspath(path)
    entries = [{"key": k, "algorithm": a, "times": t} for k, a, t in autotune_cache_entries()]
    doc = {"format": CACHE_FORMAT, "version": 1, "entries": entries}
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}.{threading.get_ident()}"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=1)
    os.replace(tmp, path)
    return path


def load_autotune_cache(path=None, *, missing_ok=False):
    """Read winners saved by save_autotune_cache() into memory (entries already in memory for the
    same key are replaced). Returns the number of entries read. A missing file raises
    FileNotFoundError (or returns 0 with missing_ok=True); a file that is not a valid cache raises
    ValueError naming it, and nothing is loaded."""
    path = autotune_cache_path() if path is None else os.fspath(path)
    try:
        with open(path) as fh:
            text = fh.read()
    except FileNotFoundError:
        if missing_ok:
            return 0
        raise
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != CACHE_FORMAT:
            raise ValueError(f"not a {CACHE_FORMAT} file")
        if doc.get("version") != 1:
            raise ValueError(f"unsupported version {doc.get('version')!r}")
        loaded = {}
        for entry in doc["entries"]:
            algo = entry["algorithm"]
            if not isinstance(algo, str):
                raise ValueError(f"algorithm must be a string, got {algo!r}")
            times = {str(a): float(t) for a, t in entry.get("times", {}).items()}
            loaded[_key_from_json(entry["key"])] = {"algorithm": algo, "times": times}
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as exc:  # deep nesting
        raise ValueError(f"cnnkern: {path} is not a valid autotune cache ({exc}); delete it or "
                         f"save a new one with cnnkern.save_autotune_cache()") from None
    with _cache_lock:
        _cache.update(loaded)
    return len(loaded)
