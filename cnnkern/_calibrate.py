"""Per-machine calibration of the chooser: a few measured rates, stored per machine identity.

The cost model of cnnkern/_choose.py estimates a call's time as  sum(e_i * count_i / rate[class_i])
where the e_i are dimensionless efficiency terms fitted once across machines
(cnnkern/data/chooser_constants.json) and the rates are a handful of machine figures per dtype:

  gemm    flop/s of the im2col GEMM (a 1x1 convolution run in place: one BLAS sgemm/dgemm)
  direct  flop/s of the direct kernels on a dense 3x3 convolution
  fft     transform units/s of algorithm="fft" on a transform-bound case (units: see _choose)
  mem     elements/s of a large array copy (NumPy, one thread)
  call    calls/s of a tiny convolution (the fixed cost of one call)

`calibrate()` measures them (probes of a few ms, best of several, capped at 0.4 s per probe and
round) and stores them in the cache directory, keyed by the CPU identity, the ISA in use, the BLAS
kernel set, the thread count and the cnnkern version. `rates(dtype)` returns the stored rates when a
stored calibration matches this process (source "calibrated"), else the shipped default rates for
this ISA/dtype/BLAS scaled to the thread count (source "defaults"); a stored calibration that does not
match is ignored with one warning saying which field differs.
"""
import datetime
import hashlib
import json
import math
import os
import platform
import threading
import time
import warnings

import numpy as np

CALIBRATION_FORMAT = "cnnkern-calibration"
CALIBRATION_VERSION = 1
ENV_CALIBRATION_PATH = "CNNKERN_CALIBRATION"
RATE_CLASSES = ("gemm", "direct", "fft", "mem", "call")
KEY_FIELDS = ("cpu", "isa", "blas", "threads", "cnnkern")


class CalibrationWarning(UserWarning):
    """A stored calibration was ignored (mismatching machine identity or an unreadable file)."""


# ---------------------------------------------------------------------------------------------------
# Identity

def _read(path):
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return None


def cpu_identity():
    """{vendor, family, model, stepping, model_name, flags, caches}: /proc/cpuinfo and sysfs on Linux,
    platform.* elsewhere (flags and caches then empty)."""
    info = dict(vendor=None, family=None, model=None, stepping=None, model_name=None, flags=[], caches={})
    text = _read("/proc/cpuinfo")
    if text:
        first = text.split("\n\n", 1)[0]
        fields = {}
        for line in first.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                fields[k.strip()] = v.strip()
        info.update(vendor=fields.get("vendor_id") or fields.get("CPU implementer"),
                    family=fields.get("cpu family") or fields.get("CPU architecture"),
                    model=fields.get("model") or fields.get("CPU part"),
                    stepping=fields.get("stepping") or fields.get("CPU revision"),
                    model_name=fields.get("model name"),
                    flags=sorted((fields.get("flags") or fields.get("Features") or "").split()))
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        entries = sorted(os.listdir(base))
    except OSError:
        entries = []
    for entry in entries:
        if not entry.startswith("index"):
            continue
        level, kind, size = (_read(os.path.join(base, entry, f)) for f in ("level", "type", "size"))
        if level and size:
            info["caches"][f"L{level}{'' if kind == 'Unified' else kind[0].lower() if kind else ''}"] = size
    if info["model_name"] is None:
        info["model_name"] = platform.processor() or platform.machine()
    if info["vendor"] is None:
        info["vendor"] = platform.machine()
    return info


def blas_kernel_set():
    """The BLAS behind im2col/fft: "<library basename>/<kernel set>" (threadpoolctl's architecture),
    or "none" without SciPy's BLAS."""
    from . import _blas

    info = _blas.blas_info()
    if not info.get("source"):
        return "none"
    lib = os.path.basename(info.get("library") or "?")
    return f"{lib.split('-')[0].split('.')[0]}/{info.get('architecture') or '?'}"


def current_isa():
    from . import _conv_ext

    return _conv_ext.runtime_info()["isa"]


def calibration_key(threads=None):
    """What a calibration is valid for (see KEY_FIELDS)."""
    from . import __version__
    from ._threads import get_num_threads

    cpu = cpu_identity()
    cpu_id = {k: cpu[k] for k in ("vendor", "family", "model", "stepping", "model_name", "caches")}
    cpu_id["flags_sha1"] = hashlib.sha1(" ".join(cpu["flags"]).encode()).hexdigest()[:16]
    return dict(cpu=cpu_id, isa=current_isa(), blas=blas_kernel_set(),
                threads=int(get_num_threads() if threads is None else threads), cnnkern=__version__)


def key_mismatch(stored, current):
    """None when two keys match, else a short text naming the first differing field."""
    for field in KEY_FIELDS:
        a, b = stored.get(field), current.get(field)
        if a != b:
            if field == "cpu" and isinstance(a, dict) and isinstance(b, dict):
                sub = next((k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)), "?")
                return f"cpu {sub} {a.get(sub)!r} != this machine's {b.get(sub)!r}"
            return f"{field} {a!r} != this process's {b!r}"
    return None


# ---------------------------------------------------------------------------------------------------
# Where calibrations live

def cache_dir():
    """The directory for cnnkern's caches: cnnkern._cachedir.cache_dir() when present, else
    $XDG_CACHE_HOME/cnnkern or ~/.cache/cnnkern (the autotune cache's directory)."""
    try:
        from ._cachedir import cache_dir as shared  # added by the packaging work
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return os.path.join(base, "cnnkern")
    return shared()


def calibration_path():
    """$CNNKERN_CALIBRATION, else cache_dir()/calibration.json."""
    return os.environ.get(ENV_CALIBRATION_PATH) or os.path.join(cache_dir(), "calibration.json")


# ---------------------------------------------------------------------------------------------------
# Probes

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
    from . import _choose, conv
    from ._params import make_conv_params

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
    from . import _blas

    dtype = np.dtype(dtype)
    _blas.ensure_installed()
    rates = {}
    for cls, (fn, units) in _probe_calls(dtype).items():
        rates[cls] = units / _best_time(fn, repeat if cls != "call" else 5 * repeat, budget)
    return rates


# ---------------------------------------------------------------------------------------------------
# Store / load

_lock = threading.Lock()
_loaded = {}  # (path, threads, dtype) -> (rates or None, source detail)
_warned = set()


def _read_file(path):
    """The entries of a calibration file ([] when missing). Raises ValueError when unreadable."""
    try:
        with open(path) as fh:
            text = fh.read()
    except FileNotFoundError:
        return []
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != CALIBRATION_FORMAT:
            raise ValueError(f"not a {CALIBRATION_FORMAT} file")
        if doc.get("version") != CALIBRATION_VERSION:
            raise ValueError(f"unsupported version {doc.get('version')!r}")
        entries = doc["entries"]
        if not isinstance(entries, list):
            raise ValueError("entries is not a list")
        for e in entries:
            if not isinstance(e.get("key"), dict) or not isinstance(e.get("rates"), dict):
                raise ValueError("an entry lacks key or rates")
            for dt, r in e["rates"].items():
                for cls, v in r.items():
                    if not (isinstance(v, (int, float)) and v > 0 and math.isfinite(v)):
                        raise ValueError(f"rate {dt}/{cls} is {v!r}, not a positive number")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"cnnkern: {path} is not a valid calibration file ({exc}); delete it or run "
                         "cnnkern.calibrate() again") from None
    return entries


def _write_file(path, entries):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}.{threading.get_ident()}"
    with open(tmp, "w") as fh:
        json.dump({"format": CALIBRATION_FORMAT, "version": CALIBRATION_VERSION, "entries": entries}, fh,
                  indent=1)
    os.replace(tmp, path)


def calibrate(*, threads=None, dtypes=("float32", "float64"), path=None, save=True, repeat=15, rounds=3):
    """Measure this machine's rates for the chooser and store them (see the module docstring).

    threads: an int or a list of thread counts to calibrate (default: the current count);
    dtypes: which dtypes; path: the calibration file (default calibration_path()); save=False only
    measures; rounds: the probes run this many times, alternating dtypes, and each rate keeps its
    best (other processes only ever slow a probe down). Returns a list of the entries written ({key,
    rates, created, seconds}). Takes about 1-2 s per round, dtype and thread count. Later choices in
    this process use the new rates."""
    from ._threads import get_num_threads, num_threads

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
        with _lock:
            try:
                old = _read_file(path)
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
            _write_file(path, keep + new)
    forget()
    return new


def forget():
    """Drop what this process read from calibration files (the next choice reads them again)."""
    with _lock:
        _loaded.clear()
        _warned.clear()
    from . import _choose

    _choose._rates_changed()


def _warn_once(message):
    with _lock:
        if message in _warned:
            return
        _warned.add(message)
    warnings.warn(message, CalibrationWarning, stacklevel=4)


def stored_rates(dtype, threads):
    """The calibrated rates of dtype for this process at `threads`, or None (with one warning when a
    stored calibration exists but does not match, or the file is unreadable)."""
    path = calibration_path()
    cache_key = (path, int(threads), np.dtype(dtype).name)
    with _lock:
        if cache_key in _loaded:
            return _loaded[cache_key]
    try:
        entries = _read_file(path)
    except ValueError as exc:
        _warn_once(f"{exc}; using the default rates")
        entries = []
    found = None
    if entries:
        key = calibration_key(threads)
        reasons = []
        for e in entries:
            why = key_mismatch(e["key"], key)
            if why is None:
                r = e["rates"].get(np.dtype(dtype).name)
                if r is not None:
                    found = {c: float(v) for c, v in r.items()}
                    break
                why = f"no {np.dtype(dtype).name} rates"
            reasons.append(why)
        if found is None:
            _warn_once(f"cnnkern: the calibration in {path} does not match this process "
                       f"({reasons[0]}); using the default rates (run cnnkern.calibrate() to add one)")
    with _lock:
        _loaded[cache_key] = found
    return found
