"""cnnkern.calibrate(): measure this machine's rates for the chooser and store them.

The probes are forward convolutions through the public API (and one array copy); what the rates mean,
how they are keyed and stored, and how the chooser reads them: cnnkern/_calibrate.py.
"""
import datetime
import math
import time
import warnings

import numpy as np

from . import _blas, _calibrate, _choose, conv
from ._calibrate import CalibrationWarning, calibration_key, calibration_path, forget, key_mismatch
from ._params import make_conv_params
from ._threads import get_num_threads, num_threads


def _best_time(fn, repeat, budget):
    fn()  # warm-up
    best, start = math.inf, time.perf_counter()
    for i in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        if i >= 2 and time.perf_counter() - start > budget:
            break
    return best


def _probe_calls(dtype):
    """{class: (function, units per call)}: the probe of each rate (forward convolutions)."""
    rng = np.random.default_rng(0)
    out = {}

    def conv_probe(x_shape, w_shape, padding, algorithm):
        p = make_conv_params(2, x_shape, w_shape, padding=padding)
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal(w_shape).astype(dtype)
        return p, (lambda: conv.conv2d_forward(x, w, padding=padding, algorithm=algorithm))

    p, fn = conv_probe((4, 128, 32, 32), (256, 128, 1, 1), 0, "im2col")
    out["gemm"] = (fn, float(p.flops()))
    p, fn = conv_probe((2, 64, 32, 32), (64, 64, 3, 3), 1, "direct")
    out["direct"] = (fn, float(p.flops()))
    if "fft" in conv.algorithms():
        p, fn = conv_probe((2, 8, 128, 128), (8, 8, 7, 7), 3, "fft")
        out["fft"] = (fn, _choose.fft_transform_units(p))
    src = np.ones(1 << 22, dtype=dtype)
    dst = np.empty_like(src)
    out["mem"] = (lambda: np.copyto(dst, src), float(src.size))
    p, fn = conv_probe((1, 1, 4, 4), (1, 1, 1, 1), 0, "direct")
    out["call"] = (fn, 1.0)
    return out


def measure_rates(dtype, *, repeat=15, budget=0.4):
    """{class: units per second} measured now, at the current thread count, for dtype."""
    dtype = np.dtype(dtype)
    _blas.ensure_installed()
    rates = {}
    for cls, (fn, units) in _probe_calls(dtype).items():
        rates[cls] = units / _best_time(fn, repeat if cls != "call" else 5 * repeat, budget)
    return rates


def calibrate(*, threads=None, dtypes=("float32", "float64"), path=None, save=True, repeat=15, rounds=3):
    """Measure this machine's rates for the chooser and store them (see the module docstring).

    threads: an int or a list of thread counts to calibrate (default: the current count);
    dtypes: which dtypes; path: the calibration file (default calibration_path()); save=False only
    measures; rounds: the probes run this many times, alternating dtypes, and each rate keeps its
    best (other processes only ever slow a probe down). Returns a list of the entries written ({key,
    rates, created, seconds}). Takes about 1-2 s per round, dtype and thread count. Later choices in
    this process use the new rates."""
    counts = [get_num_threads()] if threads is None else ([threads] if isinstance(threads, int) else list(threads))
    for t in counts:
        if isinstance(t, bool) or not isinstance(t, int) or t < 1:
            raise ValueError(f"threads must be positive integers, got {t!r}")
    dts = [np.dtype(d) for d in ([dtypes] if isinstance(dtypes, str) else dtypes)]
    for d in dts:
        if d not in (np.float32, np.float64):
            raise TypeError(f"dtypes must be float32 and/or float64, got {d}")
    path = calibration_path() if path is None else os.fspath(path)
    new = []
    for t in counts:
        with num_threads(t):
            start = time.perf_counter()
            rates = {}
            for _ in range(max(1, int(rounds))):
                for d in dts:
                    r = measure_rates(d, repeat=repeat)
                    rates[d.name] = {c: max(v, rates.get(d.name, {}).get(c, 0.0)) for c, v in r.items()}
            new.append(dict(key=calibration_key(t), rates=rates, seconds=time.perf_counter() - start,
                            created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")))
    if save:
        with _calibrate._lock:
            try:
                old = _calibrate._read_file(path)
            except ValueError as exc:
                warnings.warn(f"{exc}: replacing it", CalibrationWarning, stacklevel=2)
                old = []
            keep = []
            for e in old:  # same key: merge the dtypes, the new measurement wins
                match = next((n for n in new if key_mismatch(e["key"], n["key"]) is None), None)
                if match is None:
                    keep.append(e)
                else:
                    match["rates"] = {**e["rates"], **match["rates"]}
            _calibrate._write_file(path, keep + new)
    forget()
    return new
