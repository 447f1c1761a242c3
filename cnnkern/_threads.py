"""The one threading knob.

cnnkern's C kernels parallelise with OpenMP; the team size is passed to every C call as an argument
(it is never a C global), so concurrent calls from several Python threads share no mutable state.
Default: OMP_NUM_THREADS when set, else the CPUs this process may run on.
"""
import contextlib
import os
import threading
import warnings

_lock = threading.Lock()


def _default_num_threads():
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_num_threads = _default_num_threads()


def set_num_threads(n):
    """Set the number of worker threads cnnkern's kernels use (n >= 1)."""
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
        raise TypeError(f"num_threads must be an integer, got {type(n).__name__}")
    n = int(n)
    if n < 1:
        raise ValueError(f"num_threads must be >= 1, got {n}")
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
    from . import _conv_ext

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
    previous = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(previous)
