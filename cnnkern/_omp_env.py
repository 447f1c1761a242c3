"""How long cnnkern's OpenMP workers spin after a call: a moderate default, set before libgomp loads.

libgomp reads its environment once, when it is loaded (with cnnkern's extension). Left alone, an idle
worker busy-waits for GOMP's default spin count (measured: ~8.7 ms of a core after every call on the
2-core Zen 5 VM) before it sleeps; that core is then missing for whatever runs next in the process
(NumPy's or PyTorch's BLAS, another cnnkern call from another Python thread) and for other processes.
Too short a spin costs more, though: a worker that has gone to sleep is slow to wake on a VM, and a
call of a few ms then runs on one core. Measured (2 threads, im2col on r50_1x1_14, ~4 ms per call,
bursts of calls paired with NumPy's matmul, benchmarks/im2col_targets.py): GOMP_SPINCOUNT=10000
(~0.35 ms of spin) gave 0.61-0.74 of NumPy's GFLOP/s with rounds at half speed; 100000 (~3.2 ms)
0.87-0.88 in every run, as steady as 300000 (0.90-0.91); a NumPy matmul started right after a cnnkern
call took 4.5 ms (10000), 7.7 ms (100000), 11.9 ms (300000) instead of 4.2. So 100000: back-to-back
calls keep both workers, and the core is given back ~3 ms after the last call. The variable is set
only while the extension loads and removed afterwards, so child processes and later-loaded libraries
see the user's environment; a user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT always wins. (If libgomp
was already loaded by another module, it keeps its settings.)
"""
import contextlib
import os

SPINCOUNT = "100000"


@contextlib.contextmanager
def short_openmp_spin():
    """Around the first import of cnnkern's compiled extension."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        yield
        return
    os.environ["GOMP_SPINCOUNT"] = SPINCOUNT
    try:
        yield
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)
