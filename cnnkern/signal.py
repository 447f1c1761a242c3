"""scipy.signal-compatible N-D convolution and correlation on cnnkern's kernels.

    >>> import numpy as np, cnnkern.signal as cs
    >>> cs.convolve([1, 2, 3], [4, 5, 6])
    array([ 4, 13, 28, 27, 18])

`convolve(in1, in2, mode="full", method="auto")`, `correlate(...)` and `choose_method(in1, in2, mode,
measure=False)` take the arguments of `scipy.signal.convolve`, `correlate` and `choose_conv_method` and
give the same values, dtypes, shapes and exceptions for real inputs (bool, integer, float; any number of
dimensions). How each case runs:

- Every mode is a window of the full cross-correlation: per axis, with N = in1 and K = in2 sizes, the
  full result has N + K - 1 entries, "same" keeps N of them and "valid" |N - K| + 1, both centred
  (first index `(N + K - 1 - out) // 2`, scipy's `_centered`). `convolve` is `correlate` with `in2`
  reversed on every axis. When `in2` has more elements than `in1` the roles are swapped (the window
  and the result reversed), so the direct work is out * min(size) as in scipy.
- Result dtype: `numpy.result_type(in1, in2)` in every method (scipy's rule).
- Integers and bool, method "direct": exact. When no partial sum can reach 2^24 (2^53) in magnitude
  (bound max|in1| * max|in2| * min(size)), the float32 (float64) kernels below compute the exact
  integer sums; otherwise a C kernel sums in uint32 / uint64 modulo 2^32 / 2^64 (32 bits when the
  result dtype has at most 32). Either way the result is cast to the result dtype with scipy's
  wrap-around (its direct method sums in the integer dtype). Bool results are "any product true".
  Method "fft" on integers: the float64 result rounded (`np.around`) and cast, as scipy; on bool
  inputs the exact direct result (scipy casts the unrounded FFT result to bool, so FFT round-off
  noise there turns into True values).
- Floats (float16 and float32 computed in float32, float64 and longdouble in float64, cast back to the
  result dtype): 1-D and 2-D direct run a single-channel SIMD correlation kernel on a zero-padded
  copy (csrc/signal/corr2d*.c; 1-D is one row and pads only its two ends); 3-D runs
  `cnnkern.conv3d_forward(algorithm="direct")` with batch 1, channel 1 and (before, after) padding;
  more than 3 dims a plain C loop in double (csrc/signal/corr_nd.c). Method "fft" runs
  `cnnkern.conv{1,2,3}d_forward(algorithm="fft")` (batch 1, channel 1) when `"fft" in
  cnnkern.algorithms()` and it does not raise NotImplementedError; otherwise, and for more than 3
  dims, it falls back to the direct path (never numpy.fft / scipy.fft).
- 0-D inputs: `in1 * in2`, as scipy (mode and method are not looked at).
- Empty inputs: scipy's results there come from accidents of its implementation (a (3, 3) "valid"
  (0, 2) gives a (4, 2) array, most other cases raise assorted ValueError/IndexError). Here "same"
  with an empty `in1` and a non-empty `in2` returns an empty array of `in1`'s shape; every other empty
  case raises `ValueError` (after the dimensionality, "valid"-size, mode and method checks, which
  behave as scipy's).
- Cases scipy rejects with "Unsupported type" (bool x bool or float16 inputs in its N-D direct path)
  are computed here; complex, object and other non-real dtypes raise TypeError.

The GIL is released in every kernel; the thread count is `cnnkern.get_num_threads()` (problems under
convolution's serial size, cnnkern._execute.SERIAL_FLOPS, run on one thread).
"""
import math
import timeit
import warnings

import numpy as np

from . import _choose as _conv_choose
from . import _execute, _signal_ext
from . import conv as _conv
from ._dtypes import c_array

__all__ = ["convolve", "correlate", "choose_method"]

MODES = ("full", "same", "valid")
METHODS = ("auto", "direct", "fft")

_MODE_ERROR = "Acceptable mode flags are 'valid', 'same', or 'full'."
_METHOD_ERROR = "Acceptable method flags are 'auto', 'direct', or 'fft'."
_VALID_ERROR = "For 'valid' mode, one must be at least as large as the other in every dimension"


# ----------------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------------

def correlate(in1, in2, mode="full", method="auto"):
    """Cross-correlate two N-D arrays, as `scipy.signal.correlate` (real inputs).

    z[k] = sum_l in1[l] * in2[l - k + K - 1] in "full" mode (K = in2's shape), i.e. in2 slides over
    in1 without being flipped; "same" keeps the centred in1.shape part, "valid" the part that needs
    no zero padding. method: "auto" (`choose_method`), "direct" or "fft".
    """
    a, b, product = _arrays(in1, in2, "in1 and in2 should have the same dimensionality")
    if product is not None:
        return product
    _check_flag(mode, MODES, _MODE_ERROR)
    _check_flag(method, METHODS, _METHOD_ERROR)
    _check_real(a, b)
    _valid_mode_swap_needed(mode, a.shape, b.shape)
    return _run(a, b, mode, method, flip=False)


def convolve(in1, in2, mode="full", method="auto"):
    """Convolve two N-D arrays, as `scipy.signal.convolve` (real inputs).

    z[k] = sum_l in1[l] * in2[k - l] in "full" mode; "same" keeps the centred in1.shape part, "valid"
    the part that needs no zero padding (either input may be the larger one, but it must be at least
    as large as the other in every dimension). method: "auto" (`choose_method`), "direct" or "fft".
    """
    a, b, product = _arrays(in1, in2, "volume and kernel should have the same dimensionality")
    if product is not None:
        return product
    if _valid_mode_swap_needed(mode, a.shape, b.shape):
        a, b = b, a  # convolution commutes; scipy swaps here too
    _check_flag(method, METHODS, _METHOD_ERROR)  # method before mode, as scipy's convolve
    _check_flag(mode, MODES, _MODE_ERROR)
    _check_real(a, b)
    return _run(a, b, mode, method, flip=True)


def choose_method(in1, in2, mode="full", measure=False):
    """The method ("direct" or "fft") that method="auto" runs, as `scipy.signal.choose_conv_method`.

    Without `measure`: a cost model (see `_direct_seconds` / `_fft_seconds` for the constants, fitted on
    the development machine and scaled to this machine by the chooser's rates: `cnnkern.calibrate()`
    or its defaults) plus exactness rules: bool inputs, and integer inputs whose sums could
    exceed what float64 rounds back exactly or what the integer result dtype holds, always use
    "direct" (so "auto" integer results always equal the direct method's, wrap-around included); so
    does everything when cnnkern has no "fft" algorithm or the inputs have more than 3 dims. With measure=True: times both methods on these inputs with
    `convolve` and returns (method, {"direct": seconds, "fft": seconds}).
    """
    a, b = np.asarray(in1), np.asarray(in2)
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"Acceptable mode flags are 'valid', 'same', or 'full', not mode={mode}")
    if a.ndim != b.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    _check_real(a, b)
    if measure:
        times = {m: _time_call(lambda m=m: convolve(a, b, mode=mode, method=m))
                 for m in ("fft", "direct")}
        return ("fft" if times["fft"] < times["direct"] else "direct"), times
    return _choose(a, b, mode)


# ----------------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------------

def _arrays(in1, in2, ndim_error):
    """(a, b, product): the inputs as arrays, and their product when both are 0-d (the answer then,
    as scipy), else None. Different ndims raise ValueError(ndim_error)."""
    a, b = np.asarray(in1), np.asarray(in2)
    if a.ndim == 0 and b.ndim == 0:
        _check_real(a, b)
        return a, b, a * b
    if a.ndim != b.ndim:
        raise ValueError(ndim_error)
    return a, b, None


def _check_flag(value, allowed, message):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(message)


def _check_real(*arrays):
    for name, arr in zip(("in1", "in2"), arrays):
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} has dtype {arr.dtype}; cnnkern.signal supports bool, integer and float "
                "arrays only (use scipy.signal for complex or object arrays)"
            )


def _valid_mode_swap_needed(mode, shape1, shape2):
    """scipy's `_inputs_swap_needed`: in "valid" mode one input must dominate in every axis."""
    if mode != "valid" or not shape1:
        return False
    ok1 = all(s1 >= s2 for s1, s2 in zip(shape1, shape2))
    ok2 = all(s2 >= s1 for s1, s2 in zip(shape1, shape2))
    if not (ok1 or ok2):
        raise ValueError(_VALID_ERROR)
    return not ok1


def _output_window(mode, shape1, shape2):
    """Per axis (start, length) of the result inside the full correlation of shape1 with shape2."""
    window = []
    for n, k in zip(shape1, shape2):
        full = n + k - 1
        out = {"full": full, "same": n, "valid": abs(n - k) + 1}[mode]
        window.append(((full - out) // 2, out))
    return window


# ----------------------------------------------------------------------------------------------------
# dispatch
# ----------------------------------------------------------------------------------------------------

def _run(a, b, mode, method, flip):
    result_dtype = np.result_type(a, b)
    if a.size == 0 or b.size == 0:
        if mode == "same" and a.size == 0 and b.size > 0:
            return np.empty(a.shape, result_dtype)
        raise ValueError(
            f"in1 (shape {a.shape}) and in2 (shape {b.shape}) must not be empty in mode {mode!r} "
            "(the only empty case with a defined result is mode='same' with an empty in1)"
        )
    if method == "auto":
        method = _choose(a, b, mode)
    if flip:
        b = b[(slice(None, None, -1),) * b.ndim]  # convolution = correlation with in2 reversed
    window = _output_window(mode, a.shape, b.shape)
    reverse = b.size > a.size
    if reverse:
        # corr(a, b)[f] = corr(b, a)[F - 1 - f] on every axis (F = full size): the same window,
        # mirrored, of the swapped correlation; the direct work becomes out * min(size).
        window = [(n + k - 1 - start - out, out) for (start, out), n, k in
                  zip(window, a.shape, b.shape)]
        a, b = b, a

    a, pads = _crop_to_window(a, _padding(window, a.shape, b.shape))
    if result_dtype.kind in "biu":
        if method == "fft" and result_dtype.kind != "b":
            y = _correlate_float(a, b, pads, np.dtype(np.float64), "fft")
            y = np.around(y).astype(result_dtype)
        else:
            y = _correlate_int_exact(a, b, pads, result_dtype)
    else:
        compute = np.dtype(np.float32) if result_dtype.itemsize <= 4 else np.dtype(np.float64)
        y = _correlate_float(a, b, pads, compute, method)
        if method == "fft":
            first = y.flat[0]
            if np.isnan(first) or np.isinf(first):
                warnings.warn("Use of fft convolution on input with NAN or inf results in NAN or "
                              "inf output. Consider using method='direct' instead.",
                              category=RuntimeWarning, stacklevel=3)
        if y.dtype != result_dtype:
            y = y.astype(result_dtype)
    if reverse:
        y = np.ascontiguousarray(y[(slice(None, None, -1),) * y.ndim])
    return y


def _padding(window, shape1, shape2):
    """(before, after) zero padding of in1 so that a "valid" correlation yields the window.
    Negative values mean cropping (mode "same" when in2 is the larger input on some axis)."""
    pads = []
    for (start, out), n, k in zip(window, shape1, shape2):
        before = k - 1 - start
        pads.append((before, out + k - 1 - n - before))
    return pads


def _crop_to_window(x, pads):
    """Apply the negative parts of `pads` by slicing x; returns (view, pads with both sides >= 0)."""
    if all(lo >= 0 and hi >= 0 for lo, hi in pads):
        return x, pads
    index = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, pads))
    return x[index], [(max(lo, 0), max(hi, 0)) for lo, hi in pads]


def _out_shape(x_shape, w_shape, pads):
    return [n + lo + hi - k + 1 for n, k, (lo, hi) in zip(x_shape, w_shape, pads)]


def _padded(x, pads, dtype):
    if all(p == (0, 0) for p in pads):
        return c_array(x, dtype)
    xp = np.zeros([n + lo + hi for n, (lo, hi) in zip(x.shape, pads)], dtype)
    xp[tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape, pads))] = x
    return xp


def _correlate_int_exact(a, b, pads, result_dtype):
    """Direct integer correlation, exact. When every partial sum is bounded by
    max|a| * max|b| * b.size < 2**24 (2**53), float32 (float64) arithmetic is exact too, so up to 3
    dims the fast float kernels run and the integer sums are read back from the float result
    (wrapped to the result dtype as the integer kernel would); otherwise the uint32/uint64 kernel."""
    if a.ndim <= 3:
        bound = _max_abs(a) * _max_abs(b) * b.size
        compute = (np.dtype(np.float32) if bound < 2**24 else
                   np.dtype(np.float64) if bound < 2**53 else None)
        if compute is not None:
            y = _correlate_float(a, b, pads, compute, "direct")
            if result_dtype.kind == "b":
                return y != 0
            return y.astype(np.int64).astype(result_dtype)  # exact integers; wrap as the kernel
    return _correlate_int(a, b, pads, result_dtype)


def _correlate_int(a, b, pads, result_dtype):
    """Exact direct correlation of bool/integer data: unsigned wrap-around sums (modulo 2^32 when the
    result dtype has at most 32 bits, else 2^64), cast to the result dtype."""
    narrow = result_dtype.itemsize <= 4 and min(a.size, b.size) < 2**31
    # two's complement: -1 -> 2**bits - 1, as C casts
    y = _correlate_nd(a, b, pads, np.uint32 if narrow else np.uint64)
    if result_dtype.kind == "b":
        return y != 0
    return y.astype(result_dtype)  # keeps the low bits (wrap-around), as scipy's integer sums


def _correlate_float(a, b, pads, compute, method):
    ndim = a.ndim
    if method == "fft":
        y = _correlate_conv(a, b, pads, compute, "fft")
        if y is not None:
            return y
    if ndim == 1:
        return _correlate_1d(a, b, pads, compute)
    if ndim == 2:
        return _correlate_2d(a, b, pads, compute)
    if ndim == 3:
        return _correlate_conv(a, b, pads, compute, "direct")
    return _correlate_nd(a, b, pads, np.float64)


def _correlate_nd(a, b, pads, dtype):
    """The plain N-D C loop (csrc/signal/corr_nd.c) in dtype: uint64, uint32 or float64."""
    x = _padded(a, pads, dtype)
    w = c_array(b, dtype)
    y = np.empty(_out_shape(a.shape, b.shape, pads), dtype)
    _signal_ext.corr_nd(x.ravel(), np.array(x.shape, np.int64), w.ravel(), np.array(w.shape, np.int64),
                        y.reshape(-1), _threads_for(y.size, w.size))
    return y


def _correlate_conv(a, b, pads, compute, algorithm):
    """Batch-1, channel-1 cnnkern.conv{d}d_forward; None when `algorithm` cannot run this case."""
    ndim = a.ndim
    if ndim > 3 or algorithm not in _conv.algorithms():
        return None
    forward = {1: _conv.conv1d_forward, 2: _conv.conv2d_forward, 3: _conv.conv3d_forward}[ndim]
    x = c_array(a, compute)[None, None]
    w = c_array(b, compute)[None, None]
    try:
        y = forward(x, w, padding=[tuple(p) for p in pads], algorithm=algorithm)
    except NotImplementedError:
        return None
    return y[0, 0]


def _correlate_1d(a, b, pads, compute):
    """1-D direct correlation on the SIMD kernel. The outputs whose window lies inside in1 run on
    in1 itself; only the ends (at most K - 1 outputs each) run on small zero-padded copies."""
    def kernel(xs, ws, ys):  # one row of the 2-D kernel (threads split long rows into chunks)
        _signal_ext.corr_2d(xs[None], ws[None], ys[None], _threads_for(ys.size, ws.size))

    x = c_array(a, compute)
    w = c_array(b, compute)
    n, k = x.shape[0], w.shape[0]
    (lo, hi), = pads
    out = n + lo + hi - k + 1
    y = np.empty(out, compute)
    # y[i] = sum_j w[j] * xpad[i + j] with xpad = lo zeros, x, hi zeros; xpad[p] = x[p - lo]
    mid_lo, mid_hi = lo, lo + n - k + 1  # outputs whose taps all fall inside x
    if mid_lo < mid_hi:
        kernel(x[mid_lo - lo:mid_hi - lo + k - 1], w, y[mid_lo:mid_hi])
        ends = ((0, mid_lo), (mid_hi, out))
    else:
        ends = ((0, out),)
    for s, e in ends:
        if s >= e:
            continue
        seg = np.zeros(e - s + k - 1, compute)  # xpad[s .. e + k - 2]
        src_lo, src_hi = max(s - lo, 0), min(e + k - 1 - lo, n)
        if src_lo < src_hi:
            seg[src_lo + lo - s:src_hi + lo - s] = x[src_lo:src_hi]
        kernel(seg, w, y[s:e])
    return y


def _correlate_2d(a, b, pads, compute):
    """2-D direct correlation on the SIMD row kernel (csrc/signal/corr2d*.c), on a zero-padded copy."""
    x = _padded(a, pads, compute)
    w = c_array(b, compute)
    y = np.empty(_out_shape(a.shape, b.shape, pads), compute)
    _signal_ext.corr_2d(x, w, y, _threads_for(y.size, w.size))
    return y


def _threads_for(out_size, kernel_size):
    return _execute.threads_for_flops(2 * out_size * kernel_size)  # convolution's serial rule


# ----------------------------------------------------------------------------------------------------
# method choice: a cost model
# ----------------------------------------------------------------------------------------------------

# Seconds per multiply-add (MAC) of the direct paths, float64, one thread, fitted on the development
# machine (2-core AMD EPYC VM, AVX2 kernels, shared and noisy: the figures are the quieter runs of
# cnnkern.signal.correlate(method="direct") over 2-3 shapes per row, e.g. 1024^2 x 15^2 / 31^2 / 63^2
# in 14.7 / 68 / 280 ms): 1-D 16-18 GMAC/s, 2-D 15-17, 3-D (conv3d direct) 12-14, more dims (plain C
# loop) 2.6-3.8; integer results of <= 32 bits (uint32 kernel) 3.4-3.7 GMAC/s, 64-bit results
# (uint64, no SIMD multiply on AVX2) 0.85-0.9. float32 runs about twice as fast as float64.
_DIRECT_SEC_PER_MAC = {1: 1 / 16e9, 2: 1 / 15e9, 3: 1 / 12e9}
_DIRECT_SEC_PER_MAC_ND = 1 / 3e9
_DIRECT_SEC_PER_MAC_INT32 = 1 / 3.5e9
_DIRECT_SEC_PER_MAC_INT64 = 1 / 0.9e9
_DIRECT_SEC_FIXED = 10e-6  # per call: validation, allocation (7-23 us measured on tiny inputs)
# FFT (cnnkern's algorithm="fft", float64, one thread): seconds per N*log2(N), N = the number of
# elements of the full result, fitted on the same machine with the fft branch at commit dc87dba:
# 2-D 0.7-1.0 ns for large images (1024^2 x 31^2 in 20 ms), ~2 ns for 64^2-128^2 (where the fixed
# cost dominates), 3-D 1.2-1.3 ns, 1-D 0.6-8.6 ns (strongly size-dependent; 6 ns keeps 1-D on the
# direct kernel except for long kernels); plus ~60 us per call (64^2 x 7^2 in 0.12 ms).
# float32: ~0.7x.
_FFT_SEC_PER_NLOGN = {1: 6e-9, 2: 1.0e-9, 3: 1.3e-9}
_FFT_SEC_FIXED = 60e-6


def _direct_seconds(shape1, shape2, window, result_dtype, int_bound=None):
    """Modelled seconds of the direct method; int_bound = max|in1| * max|in2| * min(size) for
    integer results (it decides between the exact float kernels and the uint32/uint64 kernel)."""
    out = math.prod(o for _, o in window)
    macs = out * min(math.prod(shape1), math.prod(shape2))
    ndim = len(shape1)
    if result_dtype.kind in "biu" and (ndim > 3 or int_bound is None or int_bound >= 2**53):
        rate = _DIRECT_SEC_PER_MAC_INT32 if result_dtype.itemsize <= 4 else _DIRECT_SEC_PER_MAC_INT64
    else:
        rate = _DIRECT_SEC_PER_MAC.get(ndim, _DIRECT_SEC_PER_MAC_ND)
        single = (int_bound < 2**24) if result_dtype.kind in "biu" else result_dtype.itemsize <= 4
        if single:
            rate *= 0.5
    return _DIRECT_SEC_FIXED + macs * rate


def _fft_seconds(shape1, shape2, result_dtype):
    n = math.prod(s1 + s2 - 1 for s1, s2 in zip(shape1, shape2))
    cost = _FFT_SEC_FIXED + _FFT_SEC_PER_NLOGN[len(shape1)] * n * math.log2(max(n, 2))
    return cost * (0.7 if result_dtype.kind == "f" and result_dtype.itemsize <= 4 else 1.0)


def _fft_available(ndim):
    return "fft" in _conv.algorithms() and 1 <= ndim <= 3


def _max_abs(x):
    return max(abs(int(x.max())), abs(int(x.min())))


def _choose(a, b, mode):
    if a.ndim == 0 or a.size == 0 or b.size == 0 or not _fft_available(a.ndim):
        return "direct"
    kinds = a.dtype.kind + b.dtype.kind
    if kinds == "bb":
        return "direct"
    result = np.result_type(a, b)
    bound = None
    if result.kind in "biu" or any(k in "iu" for k in kinds):
        # float64 keeps integers exact below 2**53; the FFT's round-off grows with log2(size), so
        # demand headroom for it (error < 1/2) before rounding the float result back to integers.
        # And the sums must fit the integer result dtype: the direct method wraps around, while a
        # cast of an out-of-range float is undefined (scipy's auto rule checks only the first part).
        bound = _max_abs(a) * _max_abs(b) * min(a.size, b.size)
        n_full = math.prod(s1 + s2 - 1 for s1, s2 in zip(a.shape, b.shape))
        if bound * 32 * max(math.log2(max(n_full, 2)), 1.0) > 2 ** 52:
            return "direct"
        if result.kind in "iu" and bound > np.iinfo(result).max:
            return "direct"
    window = _output_window(mode, a.shape, b.shape)
    direct_speed, fft_speed = _machine_speedup()
    t_direct = _direct_seconds(a.shape, b.shape, window, result, bound) / direct_speed
    t_fft = _fft_seconds(a.shape, b.shape, result) / fft_speed
    return "fft" if t_fft < t_direct else "direct"


# The constants above hold on the machine class they were fitted on: float64, one thread, AVX2
# kernels. Elsewhere each side is scaled by this machine's rate over that class's, from the conv
# chooser's rates (cnnkern.calibrate() when a stored calibration matches, else its shipped defaults).
_SIGNAL_REFERENCE = dict(dtype="float64", isa="avx2", threads=1)


def _machine_speedup():
    """(direct speed-up, fft speed-up) of this machine and thread count over the constants' machine."""
    rates, _ = _conv_choose.machine_rates("float64")
    ref = _conv_choose.default_rates(**_SIGNAL_REFERENCE)
    return rates["direct"] / ref["direct"], rates["fft"] / ref["fft"]


def _time_call(fn, repeat=3):
    """Seconds per call: enough calls per repeat for >= 5 ms (or one call if slower), best of 3."""
    timer = timeit.Timer(fn)
    number = 1
    for p in range(10):
        number = 10 ** p
        elapsed = timer.timeit(number)
        if elapsed >= 5e-4:
            break
    if elapsed > 1:
        return elapsed / number
    number *= 10
    return min(timer.repeat(repeat, number)) / number
