"""The one threading knob.

cnnkern's C kernels parallelise with OpenMP; the team size is passed to every C call as an argument
(it is never a C global), so concurrent calls from several Python threads share no mutable state.
Default: OMP_NUM_THREADS when set, else the CPUs this process may run on.

Bound: at most MAX_THREADS (256) threads. set_num_threads refuses more (ValueError naming
num_threads); a larger OMP_NUM_THREADS is capped at MAX_THREADS. Teams that large only cost: no
cnnkern kernel has work for them, and OpenMP's fork keeps per-thread state on the calling stack (10**5
threads overflowed it). The C operators further never start more threads than they have work items.
"""
import contextlib
import operator
import os
import threading
import warnings

from . import _conv_ext

MAX_THREADS = 256

_lock = threading.Lock()


def _default_num_threads():
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return min(int(env), MAX_THREADS)
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return min(max(1, n), MAX_THREADS)


_num_threads = _default_num_threads()


def _check_num_threads(n):
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"num_threads must be an integer, got {type(n).__name__}")
    n = operator.index(n)
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"num_threads must be between 1 and {MAX_THREADS}, got {n}")
    return n


def set_num_threads(n):
    """Set the number of worker threads cnnkern's kernels use (1 <= n <= MAX_THREADS = 256)."""
    global _num_threads
    n = _check_num_threads(n)
    if n > 1:
        _warn_if_serial_build(n)
    with _lock:
        _num_threads = n


_serial_build_warned = False


def _warn_if_serial_build(n):
    """Once per process: a build without OpenMP ignores the thread count (see show_config())."""
    global _serial_build_warned
    if _serial_build_warned:
        return
    _serial_build_warned = True  # checked once either way: the build does not change
    if not _conv_ext.runtime_info()["openmp"]:
        warnings.warn(f"set_num_threads({n}): this cnnkern was built without OpenMP, so every kernel "
                      "runs on one thread (cnnkern.show_config() says how it was built; rebuild with "
                      "a compiler that supports -fopenmp -- for clang, install libomp)",
                      RuntimeWarning, stacklevel=3)


def get_num_threads():
    """The number of worker threads cnnkern's kernels use."""
    return _num_threads


@contextlib.contextmanager
def num_threads(n):
    """Context manager: `with cnnkern.num_threads(1): ...` restores the previous count on exit."""
    n = _check_num_threads(n)
    previous = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(previous)
