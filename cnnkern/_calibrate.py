"""Per-machine calibration of the chooser: a few measured rates, stored per machine identity.

The cost model of cnnkern/_choose.py estimates a call's time as  sum(e_i * count_i / rate[class_i])
where the e_i are dimensionless efficiency terms fitted once across machines
(cnnkern/data/chooser_constants.json) and the rates are a handful of machine figures per dtype:

  gemm    flop/s of the im2col GEMM (a 1x1 convolution run in place: one BLAS sgemm/dgemm)
  direct  flop/s of the direct kernels on a dense 3x3 convolution
  fft     transform units/s of algorithm="fft" on a transform-bound case (units: see _choose)
  mem     elements/s of a large array copy (NumPy, one thread)
  call    calls/s of a tiny convolution (the fixed cost of one call)

`cnnkern._calibrate_probes.calibrate()` measures them (probes of a few ms, best of several, capped at 0.4 s per probe and
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

from . import __version__, _blas, _conv_ext
from ._cachedir import cache_dir as _package_cache_dir
from ._threads import get_num_threads

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
    info = _blas.blas_info()
    if not info.get("source"):
        return "none"
    lib = os.path.basename(info.get("library") or "?")
    return f"{lib.split('-')[0].split('.')[0]}/{info.get('architecture') or '?'}"


def current_isa():
    return _conv_ext.runtime_info()["isa"]


def calibration_key(threads=None):
    """What a calibration is valid for (see KEY_FIELDS)."""
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
    """The directory for cnnkern's caches (cnnkern._cachedir.cache_dir())."""
    return str(_package_cache_dir())


def calibration_path():
    """$CNNKERN_CALIBRATION, else cache_dir()/calibration.json."""
    return os.environ.get(ENV_CALIBRATION_PATH) or os.path.join(cache_dir(), "calibration.json")


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


generation = 0  # bumped by forget(): the chooser's rate cache and cnnkern._problem's memo key on it


def forget():
    """Drop what this process read from calibration files (the next choice reads them again)."""
    global generation
    with _lock:
        _loaded.clear()
        _warned.clear()
        generation += 1


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
