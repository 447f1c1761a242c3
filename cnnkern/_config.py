"""cnnkern.show_config(): build and run-time configuration, like numpy.show_config()."""
import platform
import sys

import numpy as np


def config_info():
    """A dict of what cnnkern was built with and what it will use now."""
    from . import __version__, _blas, _conv_ext
    from ._threads import get_num_threads
    from .conv import algorithms

    info = dict(_conv_ext.runtime_info())
    info.update(
        version=__version__,
        python=sys.version.split()[0],
        numpy=np.__version__,
        machine=platform.machine(),
        num_threads=get_num_threads(),
        algorithms=list(algorithms()),
        blas=_blas.blas_info(),
    )
    return info


def show_config():
    """Print cnnkern's build and run-time configuration."""
    info = config_info()
    print("cnnkern", info["version"])
    print(f"  python {info['python']}, numpy {info['numpy']}, machine {info['machine']}")
    print(f"  compiler flags: {info['cflags']}")
    print(f"  OpenMP: {'yes' if info['openmp'] else 'no (kernels run serially)'}")
    print(f"  instruction set in use: {info['isa']}")
    print(f"  threads: {info['num_threads']} (set with cnnkern.set_num_threads)")
    print(f"  algorithms: {', '.join(info['algorithms'])}")
    blas = info["blas"]
    print(f"  BLAS (im2col): {blas['source'] or 'none: naive C GEMM'}"
          + (f" [{blas['library']}]" if blas["library"] else "") + f", {blas['threading']}")
