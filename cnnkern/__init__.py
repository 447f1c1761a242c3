"""cnnkern: fast CPU convolution and pooling kernels (C, wrapped in Cython) with a NumPy API.

    >>> import numpy as np, cnnkern
    >>> x = np.random.rand(2, 3, 32, 32).astype(np.float32)
    >>> w = np.random.rand(8, 3, 3, 3).astype(np.float32)
    >>> y = cnnkern.conv2d_forward(x, w, padding="same")
    >>> y.shape
    (2, 8, 32, 32)
"""
__version__ = "0.1.0"

from ._omp_env import short_openmp_spin as _short_openmp_spin

try:
    with _short_openmp_spin():  # libgomp reads its settings when it loads, with the extension
        from . import _conv_ext  # noqa: F401  (the compiled extension; fail early with a clear message)
except ImportError as _exc:  # pragma: no cover - depends on how cnnkern was installed
    import os as _os

    raise ImportError(
        f"cnnkern's compiled extension could not be imported from {_os.path.dirname(__file__)} "
        f"({_exc}). If that is the source checkout, either install cnnkern (pip install .) and run "
        "from another directory -- use `pytest tests`, not `python -m pytest`, which puts the "
        "checkout first on sys.path -- or build in place with `python setup.py build_ext --inplace`."
    ) from _exc

from ._calibrate_probes import calibrate
from ._choose import (autotune_cache_path, clear_autotune_cache, get_auto_guard, get_autotune,
                      load_autotune_cache, save_autotune_cache, set_auto_guard, set_autotune)
from ._config import config_info, show_config
from ._params import ConvParams, conv_output_shape
from ._threads import get_num_threads, num_threads, set_num_threads
from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv_all
from .pooling import *  # noqa: F401,F403
from .pooling import __all__ as _pool_all
from .plan import ConvPlan
from .separable import *  # noqa: F401,F403
from .separable import __all__ as _separable_all

__all__ = [
    "config_info", "show_config", "ConvParams", "conv_output_shape",
    "get_num_threads", "num_threads", "set_num_threads", "ConvPlan",
    "set_autotune", "get_autotune", "save_autotune_cache", "load_autotune_cache", "clear_autotune_cache",
    "autotune_cache_path", "calibrate", "set_auto_guard", "get_auto_guard",
] + list(_conv_all) + list(_pool_all) + list(_separable_all)


def __getattr__(name):
    # cnnkern.signal (scipy.signal-compatible convolve/correlate) is imported on first use, so that
    # `import cnnkern` stays cheap.
    if name == "signal":
        import importlib

        return importlib.import_module(".signal", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
