"""cnnkern: fast CPU convolution and pooling kernels (C, wrapped in Cython) with a NumPy API.

    >>> import numpy as np, cnnkern
    >>> x = np.random.rand(2, 3, 32, 32).astype(np.float32)
    >>> w = np.random.rand(8, 3, 3, 3).astype(np.float32)
    >>> y = cnnkern.conv2d_forward(x, w, padding="same")
    >>> y.shape
    (2, 8, 32, 32)
"""
__version__ = "0.1.0"

from ._config import config_info, show_config
from ._params import ConvParams, conv_output_shape
from ._threads import get_num_threads, num_threads, set_num_threads
from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv_all

__all__ = [
    "config_info", "show_config", "ConvParams", "conv_output_shape",
    "get_num_threads", "num_threads", "set_num_threads",
] + list(_conv_all)
