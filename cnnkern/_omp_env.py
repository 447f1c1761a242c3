"""How long cnnkern's OpenMP workers spin after a call: a short default, set before libgomp loads.

libgomp reads its environment once, when it is loaded (with cnnkern's extension). Left alone, an idle
worker busy-waits for GOMP's default spin count (measured: ~5 ms of a core after every call on the
2-core Zen 5 VM) before it sleeps; that core is then missing for whatever runs next in the process
(NumPy's or PyTorch's BLAS, another cnnkern call from another Python thread) and for other processes
on a busy machine. GOMP_SPINCOUNT=10000 keeps a short spin (back-to-back calls stay fast) and then
sleeps. The variable is set only while the extension loads and removed afterwards, so child
processes and later-loaded libraries see the user's environment; a user's own OMP_WAIT_POLICY or
GOMP_SPINCOUNT always wins. (If libgomp was already loaded by another module, it keeps its settings.)
"""
import contextlib
import os

SPINCOUNT = "10000"


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
