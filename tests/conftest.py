"""Shared pytest machinery for the cnnkern test suite.

* Any test that takes an `algorithm` argument is parametrized, at collection time, with every name in
  `cnnkern.algorithms()`, so a newly registered algorithm is tested everywhere without edits.
* `isa_cap(name)` (fixture) runs the rest of a test on one instruction set, or skips it.
* `run_algo(fn, *args, algorithm=..., **kw)` calls a cnnkern entry point with one algorithm; when that
  algorithm raises NotImplementedError for the configuration, it checks that algorithm="auto" still
  handles it and returns the auto result (which the caller then compares with the oracle). It returns
  `(result, tolerance_factor)`.

The oracle and the shared case tables live in tests/oracle.py (pure NumPy, never imports cnnkern).
cnnkern is imported lazily here so that test_oracle_vs_torch.py runs even when the package is not built.
"""
import os

import numpy as np
import pytest

# The chooser must not depend on the machine's stored calibration (cnnkern.calibrate()) or on timings
# during the suite: no calibration file is read, and the timing guard of algorithm="auto" is off except
# in the tests that turn it on (tests/test_calibrate.py).
os.environ["CNNKERN_CALIBRATION"] = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "no-such-dir", "calibration.json")


@pytest.fixture(autouse=True)
def _auto_guard_off():
    try:
        from cnnkern import _choose
    except ImportError:  # not built: only the oracle tests run
        yield
        return
    previous = _choose.get_auto_guard()
    _choose.set_auto_guard(False)
    yield
    _choose.set_auto_guard(previous)

ISAS = ("generic", "avx2", "avx512")  # the order of ck_isa (csrc/include/cnnkern/ck_common.h)


@pytest.fixture
def isa_cap():
    """isa_cap(name) caps the kernels' instruction set at `name` for the rest of the test, which is
    skipped when the CPU (or this run's CNNKERN_ISA cap) does not have it; lifted afterwards (the cap
    never raises the ISA above what the CPU has)."""
    from cnnkern import _conv_ext
    have = _conv_ext.runtime_info()["isa"]

    def cap(name):
        if ISAS.index(name) > ISAS.index(have):
            pytest.skip(f"this CPU runs {have}, not {name}")
        _conv_ext.set_isa_cap(name)

    yield cap
    _conv_ext.set_isa_cap("avx512")


@pytest.fixture
def clean_autotune():
    """An empty autotune cache before and after the test, and autotuning off after it (use it as
    `pytestmark = pytest.mark.usefixtures("clean_autotune")`)."""
    from cnnkern import _choose, set_autotune
    _choose.clear_autotune_cache()
    yield
    _choose.clear_autotune_cache()
    set_autotune(False)


def conv_functions(nd):
    """cnnkern's conv{nd}d_forward and conv{nd}d_backward."""
    import cnnkern
    return getattr(cnnkern, f"conv{nd}d_forward"), getattr(cnnkern, f"conv{nd}d_backward")


# Algorithms with their own approximation error on top of accumulation rounding get a looser
# tolerance (a factor on oracle.tolerance). Everything else must meet the plain sum tolerance.
ALGORITHM_TOLERANCE_FACTOR = {"fft": 32.0, "winograd": 1024.0}


def tolerance_factor(name):
    """Factor for an algorithm name; variants match by substring ("winograd_f4x4" -> "winograd")."""
    if name == "auto":
        return max([1.0] + list(ALGORITHM_TOLERANCE_FACTOR.values()))
    return max([1.0] + [f for key, f in ALGORITHM_TOLERANCE_FACTOR.items() if key in name])


def _algorithms():
    import cnnkern
    names = tuple(cnnkern.algorithms())
    assert names, "cnnkern.algorithms() is empty"
    return names


def pytest_generate_tests(metafunc):
    explicit = any(m.args and "algorithm" in str(m.args[0]).replace(" ", "").split(",")
                   for m in metafunc.definition.iter_markers("parametrize"))
    if "algorithm" in metafunc.fixturenames and not explicit:
        metafunc.parametrize("algorithm", _algorithms())


def _run_algo(fn, *args, algorithm, **kwargs):
    try:
        return fn(*args, algorithm=algorithm, **kwargs), tolerance_factor(algorithm)
    except NotImplementedError:
        if algorithm == "auto":
            raise
        # Allowed: an algorithm may decline a configuration. "auto" must still compute it.
        return fn(*args, algorithm="auto", **kwargs), tolerance_factor("auto")


@pytest.fixture(scope="session")
def run_algo():
    return _run_algo


@pytest.fixture(scope="session")
def tol_factor():
    return tolerance_factor


@pytest.fixture(scope="session")
def all_algorithms():
    return _algorithms()


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    return np.dtype(request.param)
