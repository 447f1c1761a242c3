"""Build the cnnkern C/Cython extensions.

Environment variables:
  CNNKERN_NO_OPENMP=1   build without OpenMP even if the compiler supports it (kernels run serially).
  CNNKERN_NATIVE=1      add -march=native (local tuning only: the result may not run on other CPUs).
  CNNKERN_DEBUG=1       -O0 -g, asserts enabled (the default build passes -g0: no debug info, even though
                        Python's own CFLAGS, which setuptools puts first, usually contain -g).
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


def _build_cc():
    return os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"


def _compiler_accepts(flags, code="int main(void){return 0;}\n", link_flags=()):
    """Try to compile and link a tiny program with the build compiler and the given flags."""
    cc = _build_cc().split()
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
    # -g0 last: cancels the -g of Python's CFLAGS (5 MB of debug info in _conv_ext otherwise).
    compile_args += ["-O3", "-fno-math-errno", "-fno-trapping-math", "-g0"]
    define_macros.append(("NDEBUG", None))
if _env_flag("CNNKERN_NATIVE"):
    compile_args.append("-march=native")

# How to turn OpenMP on, tried in order: gcc and LLVM clang (with libomp installed, e.g. Debian's
# libomp-dev) both take -fopenmp; Apple clang needs -Xpreprocessor -fopenmp and libomp's paths.
OPENMP_FLAG_SETS = [(["-fopenmp"], ["-fopenmp"])]
for _prefix in filter(None, [os.environ.get("LIBOMP_PREFIX"), "/opt/homebrew/opt/libomp", "/usr/local/opt/libomp"]):
    if os.path.isdir(_prefix):
        OPENMP_FLAG_SETS.append((["-Xpreprocessor", "-fopenmp", "-I" + os.path.join(_prefix, "include")],
                                 ["-L" + os.path.join(_prefix, "lib"), "-lomp"]))
        break

NO_OPENMP_BANNER = (
    "\n" + "=" * 78 + "\n"
    "cnnkern: WARNING: building WITHOUT OpenMP: every kernel will run on ONE thread\n"
    "  (set_num_threads(n > 1) will have no effect). Reason: {reason}.\n"
    "  To get threads: with gcc nothing more is needed; with clang install libomp\n"
    "  (Debian/Ubuntu: apt install libomp-dev; macOS: brew install libomp), then reinstall.\n"
    + "=" * 78 + "\n"
)

openmp = False
if _env_flag("CNNKERN_NO_OPENMP"):
    print("cnnkern: CNNKERN_NO_OPENMP set, building without OpenMP (kernels run on one thread)", file=sys.stderr)
else:
    for _cflags, _lflags in OPENMP_FLAG_SETS:
        if _compiler_accepts(_cflags, OPENMP_PROBE, _lflags):
            openmp = True
            compile_args += _cflags
            link_args += _lflags
            break
    else:
        # pip shows a successful build's output only with -v, so the package says it too:
        # show_config() and a one-time warning from set_num_threads(n > 1).
        print(NO_OPENMP_BANNER.format(reason="the C compiler (%s) could not compile and link an OpenMP "
                                      "program" % _build_cc()), file=sys.stderr)

define_macros.append(("CK_BUILD_OPENMP", "1" if openmp else "0"))
define_macros.append(("CK_BUILD_CFLAGS", '"%s"' % " ".join(compile_args)))

include_dirs = ["csrc/include", np.get_include()]
# One runtime state (ISA cap, allocation counters; cnnkern/ck_runtime.h): csrc/common/ is linked into
# _conv_ext, the owner; the other modules link the client, which forwards to the owner's table.
RUNTIME_CLIENT = "csrc/common/ck_runtime_client.c"
# The Ctrl-C flag (ck_interrupt.h) is polled inline by every operator, so each module links its own
# copy: a module's calls bracket themselves (enter/leave), and the calls of one module never nest in
# another's.
INTERRUPT = "csrc/common/ck_interrupt.c"
runtime_sources = sorted(set(glob("csrc/common/*.c")) - {RUNTIME_CLIENT, INTERRUPT})

# One entry per extension module: the Cython shim and the C sources of its operator family.
EXTENSIONS = {
    "cnnkern._conv_ext": ["cnnkern/_conv_ext.pyx"] + sorted(glob("csrc/conv/**/*.c", recursive=True))
                         + sorted(glob("csrc/fft/*.c"))  # the transforms of algorithm "fft"
                         + sorted(glob("csrc/gemm/*.c"))  # the BLAS adapter (im2col, fft, winograd)
                         + runtime_sources + [INTERRUPT],
    "cnnkern._pool_ext": ["cnnkern/_pool_ext.pyx"] + sorted(glob("csrc/pool/**/*.c", recursive=True))
                         + [RUNTIME_CLIENT, INTERRUPT],
    "cnnkern._signal_ext": ["cnnkern/_signal_ext.pyx"] + sorted(glob("csrc/signal/*.c"))
                           + [RUNTIME_CLIENT, INTERRUPT],
}

# A missing source is a broken checkout or sdist: fail loudly rather than build a wheel with no
# compiled code (which then fails at import time with a misleading message).
_missing = [src for sources in EXTENSIONS.values() for src in sources[:1] if not os.path.exists(src)]
_missing += [name for name, sources in EXTENSIONS.items() if len(sources) < 2]
if _missing or not runtime_sources or not os.path.exists(RUNTIME_CLIENT) or not os.path.exists(INTERRUPT):
    sys.exit("cnnkern: cannot build, extension sources are missing: %s (an incomplete sdist or checkout?)"
             % ", ".join(_missing or ["csrc/common/*.c"]))

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
