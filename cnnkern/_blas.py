"""The BLAS behind algorithm="im2col" (sgemm/dgemm) and "fft" (cgemm/zgemm): SciPy's OpenBLAS, handed to
C as function pointers.

csrc/ never links a BLAS (see csrc/include/cnnkern/ck_gemm.h). On the first im2col call,
ensure_installed() takes the Fortran-ABI sgemm/dgemm from the PyCapsules of
scipy.linalg.cython_blas and OpenBLAS's set/get-thread-count functions, and installs them in the C
adapter (lazily, because importing scipy.linalg costs more than the rest of `import cnnkern`).
Without SciPy the C code falls back to its naive GEMM (correct, slow) and `blas_info()` says so.
Tests switch to the naive GEMM with `use_naive_gemm(True)`.
"""
import contextlib
import threading

from . import _conv_ext

_install_lock = threading.Lock()
_installed = None  # None: not yet; else (source name or None, threads-lib tuple or None)


def ensure_installed():
    """Install SciPy's BLAS (and its thread-count functions) in the C adapter once; thread-safe."""
    global _installed
    if _installed is not None:
        return
    with _install_lock:
        if _installed is not None:
            return
        source = _conv_ext._install_scipy_blas()
        lib = _find_openblas_threads()
        if lib is not None:
            import ctypes

            _conv_ext.gemm_install_threads(ctypes.cast(lib[1], ctypes.c_void_p).value,
                                           ctypes.cast(lib[2], ctypes.c_void_p).value)
        _installed = (source, lib)


def install():
    """Install SciPy's sgemm/dgemm in the C adapter again (e.g. after use_naive_gemm)."""
    ensure_installed()
    return _conv_ext._install_scipy_blas()


def blas_info():
    """Where the im2col GEMMs go: source, whether each dtype uses the BLAS, and the threading layer."""
    ensure_installed()
    source, threads_lib = _installed
    return {
        "source": source,
        "float32": _conv_ext.gemm_has_blas(4),
        "float64": _conv_ext.gemm_has_blas(8),
        # cgemm/zgemm of the same BLAS (algorithm="fft": the per-frequency channel products)
        "complex64": _conv_ext.gemm_has_complex_blas(4),
        "complex128": _conv_ext.gemm_has_complex_blas(8),
        "library": None if threads_lib is None else threads_lib[0]._name,
        "threading": "openmp-loops, BLAS pinned to 1 thread" if _conv_ext.gemm_can_pin(4)
                     and _conv_ext.im2col_get_threading() else "BLAS threads, loops serial",
    }


def use_naive_gemm(on):
    """For tests: route the im2col GEMMs to the naive C loops (True) or back to the BLAS (False)."""
    _conv_ext.gemm_use_naive(bool(on))


@contextlib.contextmanager
def naive_gemm():
    """Context manager form of use_naive_gemm(True) (process-wide: not for concurrent use)."""
    use_naive_gemm(True)
    try:
        yield
    finally:
        use_naive_gemm(False)



def _find_openblas_threads():
    """(set_num_threads, get_num_threads) ctypes functions of the OpenBLAS behind scipy.linalg, or None.

    threadpoolctl lists the BLAS libraries loaded in this process; SciPy's is the LP64 OpenBLAS that
    lives in SciPy's own install (scipy.libs/ in wheels), not NumPy's ILP64 one.
    """
    try:
        import ctypes
        import os

        import scipy
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover
        return None
    scipy_root = os.path.dirname(os.path.dirname(os.path.abspath(scipy.__file__)))
    for info in threadpool_info():
        path = info.get("filepath") or ""
        if info.get("internal_api") != "openblas" or not os.path.basename(path).startswith(
                ("libscipy_openblas", "libopenblas")):
            continue
        if "64_" in os.path.basename(path) or not os.path.abspath(path).startswith(
                os.path.join(scipy_root, "scipy")):
            continue
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            try:
                set_fn = getattr(lib, prefix + "_set_num_threads")
                get_fn = getattr(lib, prefix + "_get_num_threads")
            except AttributeError:
                continue
            return lib, set_fn, get_fn
    return None
