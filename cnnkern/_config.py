"""cnnkern.show_config(): build and run-time configuration, like numpy.show_config()."""
import os
import platform
import sys
import warnings

import numpy as np

from . import __version__, _blas, _conv_ext
from ._threads import get_num_threads
from .conv import algorithms

ISA_NAMES = ("generic", "avx2", "avx512")
SERIAL_BUILD_NOTE = ("NO -- built without OpenMP: every kernel runs on one thread whatever set_num_threads "
                     "says (rebuild with a compiler that supports -fopenmp; for clang, install libomp)")


def isa_environment():
    """The environment's instruction-set settings, read by the C runtime at the first kernel call.

    CNNKERN_ISA=generic|avx2|avx512 caps the SIMD kernels (default: the best the CPU has);
    CNNKERN_AVX512=0 is the deprecated spelling of CNNKERN_ISA=avx2, CNNKERN_AVX512=1 a no-op.
    """
    return {name: os.environ[name] for name in ("CNNKERN_ISA", "CNNKERN_AVX512") if name in os.environ}


def check_isa_environment(env=None):
    """Warn about instruction-set variables the C runtime will ignore or that are deprecated."""
    env = isa_environment() if env is None else env
    value = env.get("CNNKERN_ISA")
    if value is not None and value not in ISA_NAMES:
        warnings.warn(f"CNNKERN_ISA={value!r} is not one of {', '.join(ISA_NAMES)}: ignored, "
                      "the kernels use the best instruction set the CPU has", RuntimeWarning, stacklevel=2)
    legacy = env.get("CNNKERN_AVX512")
    if legacy is not None:
        hint = "use CNNKERN_ISA=avx2 to keep AVX-512 off" if legacy == "0" else \
            "AVX-512 is now used by default where the CPU has it" if legacy == "1" else \
            f"the value {legacy!r} is ignored"
        warnings.warn(f"CNNKERN_AVX512 is deprecated ({hint})", FutureWarning, stacklevel=2)


check_isa_environment()


def config_info():
    """A dict of what cnnkern was built with and what it will use now."""

    info = dict(_conv_ext.runtime_info())
    info.update(
        version=__version__,
        python=sys.version.split()[0],
        numpy=np.__version__,
        machine=platform.machine(),
        num_threads=get_num_threads(),
        algorithms=list(algorithms()),
        blas=_blas.blas_info(),
        isa_environment=isa_environment(),
    )
    return info


def show_config():
    """Print cnnkern's build and run-time configuration."""
    info = config_info()
    print("cnnkern", info["version"])
    print(f"  python {info['python']}, numpy {info['numpy']}, machine {info['machine']}")
    print(f"  compiler flags: {info['cflags']}")
    print(f"  OpenMP: {'yes' if info['openmp'] else SERIAL_BUILD_NOTE}")
    env = ", ".join(f"{k}={v}" for k, v in info["isa_environment"].items())
    print(f"  instruction set in use: {info['isa']}" + (f" (environment: {env})" if env else ""))
    print(f"  threads: {info['num_threads']} (set with cnnkern.set_num_threads)")
    print(f"  algorithms: {', '.join(info['algorithms'])}")
    blas = info["blas"]
    print(f"  BLAS (im2col): {blas['source'] or 'none: naive C GEMM'}"
          + (f" [{blas['library']}]" if blas["library"] else "")
          + (f", {blas['architecture']} kernels" if blas.get("architecture") else "") + f", {blas['threading']}")
