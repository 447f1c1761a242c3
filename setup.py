"""Build the cnnkern C/Cython extensions.

Environment variables:
  CNNKERN_NO_OPENMP=1   build without OpenMP even if the compiler supports it (kernels run serially).
  CNNKERN_NATIVE=1      add -march=native (local tuning only: the result may not run on other CPUs).
  CNNKERN_DEBUG=1       -O0 -g, asserts enabled.
The default build runs on any x86-64: AVX2 / AVX-512 kernels are compiled with per-function target
attributes and chosen at run time (csrc/common/ck_runtime.c). gcc or clang (clang needs libomp for OpenMP).
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from glob import glob

import numpy as np
from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # pragma: no cover - Cython is declared in [build-system]
    sys.exit("cnnkern needs Cython to build (it is listed in pyproject.toml [build-system]).")


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _compiler_accepts(flags, code="int main(void){return 0;}\n", link_flags=()):
    """Try to compile and link a tiny program with the build compiler and the given flags."""
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cc = cc.split()
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as fh:
            fh.write(code)
        cmd = cc + list(flags) + [src, "-o", os.path.join(tmp, "probe")] + list(link_flags)
        return subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    except OSError:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


OPENMP_PROBE = """
#include <omp.h>
int main(void) { int n = 0;
#pragma omp parallel reduction(+:n)
  n += 1;
  return n > 0 ? 0 : 1; }
"""

compile_args = ["-std=c11"]
link_args = []
define_macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]

if _env_flag("CNNKERN_DEBUG"):
    compile_args += ["-O0", "-g"]
else:
    compile_args += ["-O3", "-fno-math-errno", "-fno-trapping-math"]
    define_macros.append(("NDEBUG", None))
if _env_flag("CNNKERN_NATIVE"):
    compile_args.append("-march=native")

openmp = False
if _env_flag("CNNKERN_NO_OPENMP"):
    print("cnnkern: CNNKERN_NO_OPENMP set, building without OpenMP (kernels run on one thread)")
elif _compiler_accepts(["-fopenmp"], OPENMP_PROBE, ["-fopenmp"]):
    openmp = True
    compile_args.append("-fopenmp")
    link_args.append("-fopenmp")
else:
    print("cnnkern: WARNING: the C compiler does not accept -fopenmp; "
          "building without OpenMP (kernels run on one thread)", file=sys.stderr)

define_macros.append(("CK_BUILD_OPENMP", "1" if openmp else "0"))
define_macros.append(("CK_BUILD_CFLAGS", '"%s"' % " ".join(compile_args)))

include_dirs = ["csrc/include", np.get_include()]
# One runtime state (ISA cap, allocation counters; cnnkern/ck_runtime.h): csrc/common/ is linked into
# _conv_ext, the owner; the other modules link the client, which forwards to the owner's table.
RUNTIME_CLIENT = "csrc/common/ck_runtime_client.c"
runtime_sources = sorted(set(glob("csrc/common/*.c")) - {RUNTIME_CLIENT})

# One entry per extension module: the Cython shim and the C sources of its operator family.
EXTENSIONS = {
    "cnnkern._conv_ext": ["cnnkern/_conv_ext.pyx"] + sorted(glob("csrc/conv/**/*.c", recursive=True))
                         + sorted(glob("csrc/fft/*.c"))  # the transforms of algorithm "fft"
                         + runtime_sources,
    "cnnkern._pool_ext": ["cnnkern/_pool_ext.pyx"] + sorted(glob("csrc/pool/**/*.c", recursive=True))
                         + [RUNTIME_CLIENT],
    "cnnkern._signal_ext": ["cnnkern/_signal_ext.pyx"] + sorted(glob("csrc/signal/*.c")) + [RUNTIME_CLIENT],
}

extensions = [
    Extension(
        name,
        sources=sources,
        include_dirs=include_dirs,
        define_macros=define_macros,
        extra_compile_args=compile_args,
        extra_link_args=link_args,
    )
    for name, sources in EXTENSIONS.items()
    if os.path.exists(sources[0])
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
)
