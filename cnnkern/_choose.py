"""Algorithm choice for algorithm="auto": a flat list of (supports, estimated cost) entries.

`choose_algorithm(...)` (and `algorithm="auto"`, which calls it) returns the supported algorithm of
least estimated cost. Each entry of ENTRIES below says, for one algorithm,

  supports(p, direction, separable) -> bool   which problems it can run (never a guess: an algorithm
                                              chosen here must not raise NotImplementedError), and
  features(p) -> {name: value}                the work it does, in counts that its time should be
                                              proportional to (flops, elements moved, calls);

and the estimated time is  sum(e[algorithm][direction][name] * value / rate[RATE_CLASS[name]])  in
seconds. The rates are a handful of machine figures per dtype (gemm, direct and fft throughput, copy
bandwidth, calls per second; cnnkern/_calibrate.py): this machine's stored calibration when one
matches (source "calibrated"), else the shipped defaults per dtype and ISA scaled to the thread count
("defaults"). The efficiency terms e are dimensionless and fitted once across environments by
benchmarks/fit_chooser.py into cnnkern/data/chooser_constants.json (see docs/CHOOSER.md). An
algorithm that cnnkern.algorithms() does not list, or that has no terms, is skipped, so a new
algorithm joins `auto` by adding its entry here and re-running the fit. If no entry applies (not
expected), "direct" runs: it supports every parameter.

The guard (set_auto_guard, on by default): when the two best estimates are within guard_factor (2.5,
or 3 on calls estimated under a millisecond) and the best is above GUARD_MIN_SECONDS, every algorithm
estimated within that factor of the best is timed (a warm-up, then GUARD_ROUNDS calls each, taking turns) and the fastest is cached per case. With
measure=True, or globally after `set_autotune(True)` (as cuDNN's benchmark mode), every candidate is
timed once per distinct case on random data of the case's shapes and the winner is cached in memory,
keyed by direction, shapes, parameters, dtype, the separable flag and the thread count;
`save_autotune_cache()` / `load_autotune_cache()` write and read it as JSON (default path below;
nothing is ever written unless asked).
"""
import functools
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable

import numpy as np

from . import _calibrate, _conv_ext, _execute
from ._cachedir import cache_dir
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
    # strided depthwise layers run their own phase loop, at a different cost per flop again
    c["flop_one_channel_strided"] = c["flop_one_channel"] if p.is_strided() else 0.0
    # 1x1 kernels: a register tile's reduction is only C_in/g long, per output row
    c["flop_pointwise"] = c["flop"] if _prod(p.kernel_size) == 1 else 0.0
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
    c["col_elem_strided"] = c["col_elem"] if p.is_strided() else 0.0  # a gather, not row copies
    # A GEMM with a short side (C_out/g, C_in/g * prod(k) or the output plane) reuses each loaded
    # element only that many times: memory-bound, as depthwise (C_out/g = 1) or single-channel layers.
    short = min(p.out_channels // p.groups, (p.in_channels // p.groups) * kv, _prod(p.out_size))
    c["gemm_thin"] = c["flop"] / max(1, short)
    return c


def _im2col_supports(p, direction, separable):
    kv = _prod(p.kernel_size)
    return max(p.out_channels // p.groups, (p.in_channels // p.groups) * kv, _prod(p.out_size)) <= _INT_MAX


def _fft_size(p):
    # transform length per axis: the padded input (the kernel's extent fits inside it)
    return _prod(i + b + a for i, b, a in zip(p.in_size, p.pad_before, p.pad_after))


def fft_transform_units(p):
    """Transform work of algorithm="fft": (N*C_in + N*C_out + C_out*C_in/g) * P log2 P (P: padded
    input size), the unit of the "fft" rate."""
    size = _fft_size(p)
    cg = p.in_channels // p.groups
    return float((p.batch * p.in_channels + p.batch * p.out_channels + p.out_channels * cg)
                 * size * max(1.0, math.log2(size)))


def _fft_features(p):
    # transforms of x, y and w, and the per-frequency complex products N * C_out * C_in/g * P;
    # nearly independent of the kernel size.
    size = _fft_size(p)
    c = _base_counts(p)
    del c["flop"]
    cg = p.in_channels // p.groups
    c["transform"] = fft_transform_units(p)
    c["spectral_mac"] = float(p.batch * p.out_channels * cg * size)
    # the kernel spectrum (C_out x C_in/g x P complex) is written and read once per call whatever the
    # batch: with few images and many channels it outweighs the products (r50_3x3_7, r50_1x1_14)
    c["kernel_spectrum"] = float(p.out_channels * cg * size)
    return c


def _fft_supports(p, direction, separable):
    return _execute.unsupported_reason("fft", p, direction) is None and p.ndim in (1, 2)


def _separable_features(p):
    c = _base_counts(p)
    del c["flop"]
    c["sep_flop"] = float(2 * p.batch * p.out_channels * (p.in_channels // p.groups)
                          * _prod(p.out_size) * sum(p.kernel_size))
    return c


def _separable_supports(p, direction, separable):
    # 1-D kernels are trivially rank 1: algorithm="separable" runs "direct" for them
    return bool(separable) and p.ndim >= 2 and _execute.unsupported_reason("separable", p, direction) is None


# ---- BEGIN winograd hook: support test and cost features (csrc/conv/winograd/) ----
def _winograd_supports(p, direction, separable):
    # auto leaves out layers whose transformed kernel U (36 C_in/g C_out/g per group) would be written
    # to memory by every plain call and outweighs the tiles' transformed data 2:1, unless the call is
    # blocked over output channels (_winograd_kblocked: U made per block of 16 channels in cache; on
    # r50_3x3_7 batch 8 that took winograd from 1.1x slower than direct to 2.6x faster, one thread).
    if _execute.unsupported_reason("winograd", p, direction):
        return False
    if direction == "backward_weight" or _winograd_kblocked(p, direction):
        return True  # the weight gradient never writes U: its sums dU are priced by "wino_du"
    tiles = p.batch * _winograd_tiles_per_image(p, p.out_size)
    u_elems = 36 * (p.in_channels // p.groups) * (p.out_channels // p.groups) * p.groups
    return u_elems <= 2 * 36 * tiles * (p.in_channels + p.out_channels)


def _winograd_tiles_per_image(p, out_size):
    """6x6 tiles per image: F(4x4, 3x3) for a 3x3 kernel, F(2x2, 5x5) for 5x5 (make_job in
    csrc/conv/winograd/conv_winograd.c)."""
    m = 2 if p.kernel_size[-1] == 5 else 4
    return _prod((o + m - 1) // m for o in out_size)


def _winograd_kblocked(p, direction, elem=4):
    """Mirror of wino_kblocked (csrc/conv/winograd/conv_winograd.c) for float32: does a plain call run
    blocked over output channels (U per block of 16 channels, never the whole U in memory)?"""
    cg, kg = p.in_channels // p.groups, p.out_channels // p.groups
    cs, ks = (cg, kg) if direction == "forward" else (kg, cg)
    out = p.out_size if direction == "forward" else p.in_size
    tpi = _winograd_tiles_per_image(p, out)
    u_bytes = 36 * cs * ks * elem
    v_img = 36 * tpi * cs * elem
    if u_bytes < (2 << 20) or ks < 32:
        return False
    return not (v_img * max(p.batch, 1) > u_bytes and v_img > u_bytes // 4)


def _winograd_features(p):
    # F(4x4, 3x3) over ceil(out/4)^2 tiles per image (F(2x2, 5x5): ceil(out/2)^2): 36 GEMMs of
    # [tiles x C_in/g] x [C_in/g x C_out/g]
    # ("wino_mac"), the input and output transforms ("wino_tile_in", "wino_tile_out": per tile and
    # channel), the kernel transform (36 elements per kernel slice), and the per-group loop: every
    # group runs its own tiles and GEMMs ("wino_group_tile", "gemm_call"), which makes depthwise
    # layers 10-30x slower than "direct".
    c = _base_counts(p)
    del c["flop"]
    tiles = p.batch * _winograd_tiles_per_image(p, p.out_size)
    cg, kg = p.in_channels // p.groups, p.out_channels // p.groups
    # the per-element GEMMs of F(2x2, 5x5) ([tiles x C_in/g] with 4x the tiles per output of F(4x4, 3x3))
    # ran at a different efficiency than F(4x4, 3x3)'s in the data: a term of their own
    mac = float(2 * 36 * tiles * cg * kg * p.groups)
    five = p.kernel_size[-1] == 5
    c["wino_mac"] = 0.0 if five else mac
    c["wino_mac_5x5"] = mac if five else 0.0
    c["wino_tile_in"] = float(36 * tiles * p.in_channels)
    c["wino_tile_out"] = float(36 * tiles * p.out_channels)
    c["wino_kernel"] = float(36 * cg * kg * p.groups)
    # blocked over output channels (_winograd_kblocked): one GEMM per element and block of 16 channels
    c["gemm_call"] = float(36 * p.groups * (-(-kg // 16) if _winograd_kblocked(p, "forward")
                                            else max(1, -(-tiles // 256))))
    c["wino_group_tile"] = float(tiles * p.groups)
    # the weight gradient's sums dU (36 C_in/g C_out/g per group), read and written by every block of
    # tiles' GEMMs (wino_make_wgrad_plan in conv_winograd.c, float32 at the default 64 MiB workspace
    # limit: blocks of max(2 MiB, dU bytes) of V and Y, at most 16 MiB), plus the input tiles' V written
    # again for each further block of output channels (dU per block: at most 32 MiB)
    kb = kg
    while kb > 1 and 36 * cg * kb * 4 > (32 << 20):
        kb = (kb + 1) // 2
    du = 36 * cg * kb
    per_tile = 36 * (cg + kb) * 4
    tb = min(1024, max(16, min(16 << 20, max(2 << 20, du * 4)) // per_tile))
    nkb = -(-kg // kb)
    c["wino_du"] = float(du * p.groups * nkb * -(-max(tiles, 1) // tb) + 36 * tiles * p.in_channels * (nkb - 1))
    return c
# ---- END winograd hook ----


def _always(p, direction, separable):
    return True


# Which machine rate (cnnkern/_calibrate.py: gemm, direct, fft, mem, call) turns each count into
# seconds; a count's fitted efficiency term is the number of rate-units one count costs.
_MEM = {"in_elem": "mem", "out_elem": "mem", "w_elem": "mem", "col_elem": "mem", "call": "call"}
RATE_CLASS = {
    "direct": dict(_MEM, flop="direct", flop_row_edge="direct", flop_strided="direct",
                   flop_one_channel="direct", flop_one_channel_strided="direct",
                   flop_short_reduction="direct", flop_pointwise="direct"),
    "im2col": dict(_MEM, flop="gemm", gemm_call="call", gemm_thin="mem", col_elem_strided="mem"),
    "fft": dict(_MEM, transform="fft", spectral_mac="gemm", kernel_spectrum="mem"),
    "separable": dict(_MEM, sep_flop="direct"),
    "winograd": dict(_MEM, wino_mac="gemm", wino_mac_5x5="gemm", wino_tile_in="direct", wino_tile_out="direct",
                     wino_kernel="mem", gemm_call="call", wino_group_tile="call", wino_du="mem"),
    "reference": dict(_MEM, flop="direct"),
}

# Used only while cnnkern/data/chooser_constants.json has no fitted terms for an entry (winograd
# until its data are collected). Fitted (non-negative least squares on relative error) to one-thread
# float32 forward times of winograd on r50_3x3_{56,28,14,7} and vgg_conv4_2 at batch as listed and 1,
# AVX-512 and AVX2 (benchmarks/vs_torch.py, EPYC Zen 4, default rates): the 36 per-element GEMMs at
# about 0.94x the large-GEMM cost per flop; the input and output transforms ~29 direct-kernel
# operations per tile element and channel each (their counts are proportional on these layers, so
# the fitted sum is split evenly); the kernel transform ~1.5 memory-rate units per element of U;
# a GEMM call (blocked path: 36 per block of 16 channels) ~0.7 us (not separable in that fit: set
# by hand). Fit within 15% on those 15 cases except r50_3x3_7 batch 8 AVX2 (-15%) and
# r50_3x3_28 batch 1 (+18%).
_WINOGRAD_EFFICIENCY = {"wino_mac": 0.94, "wino_mac_5x5": 0.94, "wino_tile_in": 28.6, "wino_tile_out": 28.6, "wino_kernel": 1.5,
                        "gemm_call": 0.05, "wino_group_tile": 0.004, "call": 4.0, "in_elem": 2.0,
                        "out_elem": 2.0, "w_elem": 0.0}
# separable without fitted terms: a unit prior, its two passes' flops at the direct kernel's rate plus
# one memory pass over input and output (the fit on rank-1 cases finds 1.7-2.0 flop units: the prior
# is optimistic, as a prior for the one algorithm built for a rank-1 kernel may be).
_SEPARABLE_PRIOR = {"sep_flop": 1.0, "in_elem": 1.0, "out_elem": 1.0, "call": 1.0}
PROVISIONAL_EFFICIENCY = {
    "winograd": {"forward": dict(_WINOGRAD_EFFICIENCY), "backward_input": dict(_WINOGRAD_EFFICIENCY),
                 # the weight gradient: the forward's terms, U's transform replaced by dU's passes (a
                 # read and a write per block)
                 "backward_weight": dict(_WINOGRAD_EFFICIENCY, wino_kernel=0.0, wino_du=2.0)},
    "separable": {d: dict(_SEPARABLE_PRIOR) for d in ("forward", "backward_input")},
}


@dataclass(frozen=True)
class Entry:
    algorithm: str
    supports: Callable  # (ConvParams, direction, separable) -> bool
    features: Callable  # (ConvParams) -> {count name: value}


# The flat list. Order only breaks ties (and the first supported entry is the fallback). An entry is
# consulted only when its algorithm is in cnnkern.algorithms() (winograd: once it is built).
ENTRIES = (
    Entry("direct", _always, _direct_features),
    Entry("im2col", _im2col_supports, _im2col_features),
    Entry("fft", _fft_supports, _fft_features),
    Entry("separable", _separable_supports, _separable_features),
    Entry("winograd", _winograd_supports, _winograd_features),
)
_ENTRY = {e.algorithm: e for e in ENTRIES}


def _load_constants():
    with resources.files("cnnkern").joinpath("data/chooser_constants.json").open() as fh:
        return json.load(fh)


CONSTANTS_FILE = _load_constants()
# {algorithm: {direction: {count name: efficiency (rate units per count)}}}
EFFICIENCY = CONSTANTS_FILE["efficiency"]
DEFAULT_RATES = CONSTANTS_FILE["default_rates"]  # {dtype: {isa: {class: units/s at 1 thread}}}
THREAD_SCALING = CONSTANTS_FILE["thread_scaling"]  # {class: exponent}: rate(T) = rate(1) * T**exponent


def _check_direction(direction):
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")


def supported_algorithms(p, direction, *, separable=False):
    """Every algorithm of cnnkern.algorithms() whose entry says it can run this case."""
    _check_direction(direction)
    return tuple(a for a in _conv_ext.ALGORITHMS
                 if a not in _ENTRY or _ENTRY[a].supports(p, direction, separable))


def default_rates(dtype, isa, threads, table=None, scaling=None):
    """The shipped rates for an uncalibrated machine: {class: units/s}. Looked up by dtype and ISA
    (an unknown ISA: the slowest listed), scaled to the thread count."""
    table = DEFAULT_RATES if table is None else table
    scaling = THREAD_SCALING if scaling is None else scaling
    per_isa = table.get(np.dtype(dtype).name) or next(iter(table.values()))
    base = per_isa.get(isa)
    if base is None:
        base = {cls: min(r[cls] for r in per_isa.values()) for cls in next(iter(per_isa.values()))}
    t = max(1, int(threads))
    return {cls: v * t ** scaling.get(cls, 0.0) for cls, v in base.items()}


_rates_lock = threading.Lock()
_rates_cache = {}  # (dtype name, threads, calibration generation) -> (rates, source)


def machine_rates(dtype, threads=None):
    """(rates {class: units/s}, source): this machine's calibrated rates when a stored calibration
    matches this process ("calibrated"), else the shipped defaults ("defaults")."""
    threads = get_num_threads() if threads is None else int(threads)
    key = (np.dtype(dtype).name, threads, _calibrate.generation)
    hit = _rates_cache.get(key)
    if hit is not None:
        return hit
    rates = _calibrate.stored_rates(dtype, threads)
    if rates is not None:
        fallback = default_rates(dtype, _calibrate.current_isa(), threads)
        out = ({**fallback, **rates}, "calibrated")
    else:
        out = (default_rates(dtype, _calibrate.current_isa(), threads), "defaults")
    with _rates_lock:
        _rates_cache[key] = out
    return out


def _rates_for(p, dtype):
    """machine_rates for the thread count p runs on: problems under _execute.SERIAL_FLOPS run on one
    thread, so with default rates they are estimated at one thread (and the choice for them does not
    depend on the thread count)."""
    rates, source = machine_rates(dtype)
    if source == "defaults" and get_num_threads() > 1 and _execute.threads_for(p) == 1:
        rates = _serial_default_rates(np.dtype(dtype).name, _calibrate.current_isa())
    return rates, source


@functools.lru_cache(maxsize=None)
def _serial_default_rates(dtype_name, isa):
    return default_rates(dtype_name, isa, 1)


def estimate_costs(p, direction, *, separable=False, dtype=np.float32, rates=None, efficiency=None):
    """{algorithm: estimated seconds} for the available, supported algorithms that have efficiency
    terms: sum over counts of efficiency * count / rate[class of the count]. rates default to
    machine_rates(dtype); efficiency to the fitted terms of chooser_constants.json."""
    _check_direction(direction)
    if rates is None:
        rates = machine_rates(dtype)[0]
    efficiency = EFFICIENCY if efficiency is None else efficiency
    costs = {}
    for e in ENTRIES:
        if e.algorithm not in _conv_ext.ALGORITHMS or not e.supports(p, direction, separable):
            continue
        fitted = efficiency.get(e.algorithm, {}).get(direction) or \
            PROVISIONAL_EFFICIENCY.get(e.algorithm, {}).get(direction)
        if not fitted:
            continue
        classes = RATE_CLASS[e.algorithm]
        costs[e.algorithm] = sum(fitted.get(name, 0.0) * value / rates[classes[name]]
                                 for name, value in e.features(p).items())
    return costs


@dataclass(frozen=True)
class Choice:
    """How algorithm="auto" chose (choose_algorithm(..., details=True)):
    algorithm: the name; source: "calibrated" (the cost model with this machine's stored rates from
    cnnkern.calibrate()), "defaults" (the cost model with the shipped rates) or "measured" (timed:
    autotuning, or the guard on a close large call); costs: the model's estimates {algorithm: seconds}
    (empty when the model was not consulted)."""
    algorithm: str
    source: str
    costs: dict = field(default_factory=dict)


def _fallback():
    return FALLBACK if FALLBACK in _conv_ext.ALGORITHMS else _conv_ext.ALGORITHMS[0]


def model_choice(p, direction, *, separable=False, dtype=np.float32, rates=None, efficiency=None):
    """The unmeasured choice: the least estimated cost (pure given the rates)."""
    costs = estimate_costs(p, direction, separable=separable, dtype=dtype, rates=rates,
                           efficiency=efficiency)
    if costs:
        return min(costs, key=costs.get)  # min keeps the first of equal costs, in ENTRIES order
    return _fallback()


# The guard: a close call between the best estimates on a large problem is timed once.
GUARD_FACTOR = 2.5   # every estimate within this factor of the best ...
GUARD_WIDE_FACTOR = 3.0  # ... or this factor when the best estimate is under GUARD_WIDE_SECONDS ...
GUARD_WIDE_SECONDS = 0.001
GUARD_MIN_SECONDS = 0.00005  # ... when the best estimate is above this: time them all ...
GUARD_ROUNDS = 2  # ... taking turns, best of this many calls each after a warm-up
_guard_enabled = True
_guard_cache = {}  # key (as the autotune cache) -> {"algorithm": name, "times": {name: seconds}}


def _as_flag(function, enabled):
    if not isinstance(enabled, (bool, np.bool_)):
        raise TypeError(f"{function} takes True or False, got {enabled!r}")
    return bool(enabled)


def set_auto_guard(enabled):
    """Turn the guard of algorithm="auto" on or off (process-wide; on by default). When on and the
    second-best estimate lies within GUARD_FACTOR of the best on a call estimated above
    GUARD_MIN_SECONDS, every algorithm estimated within that factor is timed (a warm-up, then
    GUARD_ROUNDS calls each, taking turns) on random data of the call's shapes and the fastest is kept
    for that case (in memory, keyed as the autotune cache)."""
    global _guard_enabled
    _guard_enabled = _as_flag("set_auto_guard", enabled)


def get_auto_guard():
    return _guard_enabled


def guard_factor(best_estimate):
    """How far from the best estimate the guard looks: GUARD_WIDE_FACTOR on calls estimated under
    GUARD_WIDE_SECONDS (timing a slower candidate there costs milliseconds once), else GUARD_FACTOR."""
    return GUARD_WIDE_FACTOR if best_estimate < GUARD_WIDE_SECONDS else GUARD_FACTOR


def guard_candidates(costs):
    """The algorithms the guard times for these estimates {algorithm: seconds}, best estimate first:
    every one within guard_factor(best) of the best when the second-best is and the best is above
    GUARD_MIN_SECONDS; else [] (the model's choice stands)."""
    ranked = sorted(costs, key=costs.get)
    if len(ranked) < 2 or costs[ranked[0]] < GUARD_MIN_SECONDS:
        return []
    factor = guard_factor(costs[ranked[0]])
    if costs[ranked[1]] > factor * costs[ranked[0]]:
        return []
    return [a for a in ranked if costs[a] <= factor * costs[ranked[0]]]


def guard_pick(costs, times):
    """The algorithm the guard would keep for these estimates if its timings ranked its candidates as
    `times` {algorithm: seconds} does, or None when it would not time (the model's choice stands):
    how cnnkern-bench and benchmarks/fit_chooser.py score the guard."""
    close = [a for a in guard_candidates(costs) if a in times]
    return min(close, key=times.get) if close else None


def _guard_key(p, dtype, direction, separable):
    return _cache_key(p, dtype, direction, separable, get_num_threads())


def guard_decision(p, dtype, direction, *, separable=False):
    """What the guard kept for this case at the current thread count, {"algorithm": name, "times":
    {name: seconds}}, or None when it has not timed it (the model's choice stands)."""
    with _cache_lock:
        hit = _guard_cache.get(_guard_key(p, dtype, direction, separable))
    return None if hit is None else {"algorithm": hit["algorithm"], "times": dict(hit["times"])}


def _guarded_choice(p, dtype, direction, separable, costs, source):
    best = min(costs, key=costs.get)
    close = guard_candidates(costs) if _guard_enabled else []
    if not close:
        return Choice(best, source, costs)
    key = _guard_key(p, dtype, direction, separable)
    with _cache_lock:
        hit = _guard_cache.get(key)
    if hit is None:
        with _tune_lock:
            with _cache_lock:
                hit = _guard_cache.get(key)
            if hit is None:
                times = _time_interleaved(close, p, dtype, direction, separable, GUARD_ROUNDS)
                if not times:
                    return Choice(best, source, costs)
                hit = {"algorithm": min(times, key=times.get), "times": times}
                with _cache_lock:
                    _guard_cache[key] = hit
    return Choice(hit["algorithm"], "measured", costs)


def choose_for_params(p, dtype, direction, *, separable=False, measure=None, details=False):
    """What algorithm="auto" runs for validated ConvParams p (called by cnnkern/conv.py): the name,
    or with details=True a Choice (name, source, estimates)."""
    _check_direction(direction)
    if measure is None:
        measure = _autotune_enabled
    dtype = np.dtype(dtype)
    if measure:
        choice = Choice(_measured_choice(p, dtype, direction, bool(separable)), "measured")
    else:
        rates, source = _rates_for(p, dtype)
        costs = estimate_costs(p, direction, separable=separable, dtype=dtype, rates=rates)
        if not costs:
            choice = Choice(_fallback(), source)
        else:
            choice = _guarded_choice(p, dtype, direction, bool(separable), costs, source)
    return choice if details else choice.algorithm


def choose_algorithm(x_shape, w_shape, *, stride=1, padding=0, dilation=1, groups=1,
                     dtype=np.float32, direction="forward", measure=None, separable=False, details=False):
    """The algorithm that algorithm="auto" runs for this convolution.

    direction: "forward", "backward_input" or "backward_weight". separable=True says that every
    kernel slice w[k, c] is rank-1 (an outer product of per-axis vectors), which lets the
    "separable" algorithm apply. measure: None follows the global switch (cnnkern.set_autotune,
    off by default); False uses the cost model (and the guard, see cnnkern.set_auto_guard); True
    times the candidates once for this case and caches the winner (see cnnkern.save_autotune_cache).

    details=True returns a Choice: `.algorithm`, `.source` -- "calibrated" (the cost model with
    this machine's rates from cnnkern.calibrate()), "defaults" (the shipped rates) or "measured"
    (timed) -- and `.costs`, the model's estimates in seconds.
    """
    ndim = len(tuple(x_shape)) - 2
    if ndim not in (1, 2, 3):
        raise ValueError(f"x_shape must be (N, C, *spatial) with 1 to 3 spatial dims, got {x_shape}")
    p = make_conv_params(ndim, x_shape, w_shape, stride=stride, padding=padding, dilation=dilation,
                         groups=groups)
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return choose_for_params(p, dt, direction, separable=separable, measure=measure, details=details)


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
    _autotune_enabled = _as_flag("set_autotune", enabled)


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


def _random_inputs(p, dtype, separable, rng):
    """x, w (rank-1 slices when separable) and dy of p's shapes: what the timings run on."""
    x = rng.standard_normal(p.x_shape).astype(dtype)
    w = (_rank1_weight(p.w_shape, dtype, rng) if separable else rng.standard_normal(p.w_shape).astype(dtype))
    dy = rng.standard_normal(p.y_shape).astype(dtype)
    return x, w, dy


def _time_interleaved(algorithms, p, dtype, direction, separable, rounds):
    """{algorithm: seconds}, best of `rounds` calls each after one warm-up, the candidates taking turns
    (_execute.interleaved_times); algorithms that cannot run the case are left out; {} when the inputs
    do not fit in memory (the guard then keeps the model's choice rather than fail a call that would
    fit)."""
    try:
        x, w, dy = _random_inputs(p, dtype, separable, np.random.default_rng(0))
    except MemoryError:
        return {}
    runs = {}
    for algo in algorithms:
        try:
            run = _execute.timing_runner(algo, p, np.dtype(dtype), direction, x, w, dy)
            run()  # warm-up; raises NotImplementedError for an unsupported case
        except NotImplementedError:
            continue
        runs[algo] = run
    return {a: min(t) for a, t in _execute.interleaved_times(runs, rounds, min_time=0).items()}


def time_algorithm(algorithm, p, dtype, direction, *, separable=False, repeat=3, rng=None):
    """Seconds of one call (best of `repeat`, after one warm-up) of `algorithm` on random data of p's
    shapes; raises NotImplementedError when the algorithm cannot run the case."""
    x, w, dy = _random_inputs(p, dtype, separable, np.random.default_rng(0) if rng is None else rng)
    # the execution layer's entry: the case is valid already, so no validation on each run
    run = _execute.timing_runner(algorithm, p, np.dtype(dtype), direction, x, w, dy)
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
            return model_choice(p, direction, separable=separable, dtype=dtype)
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
    """Where save/load_autotune_cache() go by default: $CNNKERN_AUTOTUNE_CACHE, else autotune.json in
    the platform's cache directory (cnnkern._cachedir.cache_dir(): ~/.cache/cnnkern or
    $XDG_CACHE_HOME/cnnkern on Linux, ~/Library/Caches/cnnkern on macOS, %LOCALAPPDATA%\\cnnkern\\Cache
    on Windows)."""
    env = os.environ.get(ENV_CACHE_PATH)
    if env:
        return env
    return str(cache_dir() / "autotune.json")


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

