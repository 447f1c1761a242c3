"""Shared pytest machinery for the cnnkern test suite.

* Any test that takes an `algorithm` argument is parametrized, at collection time, with every name in
  `cnnkern.algorithms()`, so a newly registered algorithm is tested everywhere without edits.
* `run_algo(fn, *args, algorithm=..., **kw)` calls a cnnkern entry point with one algorithm; when that
  algorithm raises NotImplementedError for the configuration, it checks that algorithm="auto" still
  handles it and returns the auto result (which the caller then compares with the oracle). It returns
  `(result, tolerance_factor)`.

The oracle and the shared case tables live in tests/oracle.py (pure NumPy, never imports cnnkern).
cnnkern is imported lazily here so that test_oracle_vs_torch.py runs even when the package is not built.
"""
import numpy as np
import pytest

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
