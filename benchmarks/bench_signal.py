"""cnnkern.signal against scipy.signal and NumPy, single channel, one thread (pytest-benchmark).

    python -m pytest benchmarks/bench_signal.py --benchmark-only -q --benchmark-group-by=group

Cases (issue 4's speed targets):
  corr2d_k15 / k31 / k63: correlate a 1024x1024 float64 image with a KxK kernel, mode "full".
      Baselines: scipy.signal.correlate (method "auto": it picks the FFT here) and
      scipy.signal.fftconvolve(image, kernel[::-1, ::-1]) (the same correlation).
  conv1d_1e6_k101: convolve a 1,000,000-sample float64 signal with a 101-tap filter, mode "full".
      Baselines: np.convolve and scipy.signal.convolve.
cnnkern runs with method "auto" (what a user gets), "direct", and "fft" when cnnkern has that
algorithm (otherwise method="fft" would silently be the direct path, so that row is skipped).
Each result records GMAC/s = out_size * kernel_size / median time in extra_info. cnnkern runs on one
thread (cnnkern.num_threads(1)); scipy.fft also defaults to one worker, NumPy's convolve is serial.
"""
import numpy as np
import pytest

import cnnkern
import cnnkern.signal as cs

scipy_signal = pytest.importorskip("scipy.signal")

ROUNDS = 7

CASES_2D = {f"corr2d_k{k}": k for k in (15, 31, 63)}


def _image(k):
    rng = np.random.default_rng(k)
    return rng.standard_normal((1024, 1024)), rng.standard_normal((k, k))


def _signal_1d():
    rng = np.random.default_rng(0)
    return rng.standard_normal(1_000_000), rng.standard_normal(101)


def _run(benchmark, fn, group, impl, macs):
    benchmark.group = group
    benchmark.extra_info.update(impl=impl, threads=1)
    with cnnkern.num_threads(1):
        fn()  # warm-up: first-touch of the output, plan / ISA detection
        result = benchmark.pedantic(fn, rounds=ROUNDS, iterations=1)
    benchmark.extra_info["gmac_per_s"] = macs / benchmark.stats.stats.median / 1e9
    return result


def _impls_2d(image, kernel):
    impls = {
        "cnnkern.signal.correlate auto": lambda: cs.correlate(image, kernel),
        "cnnkern.signal.correlate direct": lambda: cs.correlate(image, kernel, method="direct"),
        "scipy.signal.correlate": lambda: scipy_signal.correlate(image, kernel),
        "scipy.signal.fftconvolve": lambda: scipy_signal.fftconvolve(image, kernel[::-1, ::-1]),
    }
    if "fft" in cnnkern.algorithms():
        impls["cnnkern.signal.correlate fft"] = lambda: cs.correlate(image, kernel, method="fft")
    return impls


IMPLS_2D = ["cnnkern.signal.correlate auto", "cnnkern.signal.correlate direct",
            "cnnkern.signal.correlate fft", "scipy.signal.correlate", "scipy.signal.fftconvolve"]


@pytest.mark.parametrize("impl", IMPLS_2D)
@pytest.mark.parametrize("case", list(CASES_2D))
def test_correlate_2d(benchmark, case, impl):
    k = CASES_2D[case]
    image, kernel = _image(k)
    impls = _impls_2d(image, kernel)
    if impl not in impls:
        pytest.skip("cnnkern has no 'fft' algorithm in this build")
    macs = (1024 + k - 1) ** 2 * k * k
    _run(benchmark, impls[impl], case, impl, macs)


IMPLS_1D = ["cnnkern.signal.convolve auto", "cnnkern.signal.convolve direct", "np.convolve",
            "scipy.signal.convolve"]


@pytest.mark.parametrize("impl", IMPLS_1D)
def test_convolve_1d(benchmark, impl):
    x, w = _signal_1d()
    impls = {
        "cnnkern.signal.convolve auto": lambda: cs.convolve(x, w),
        "cnnkern.signal.convolve direct": lambda: cs.convolve(x, w, method="direct"),
        "np.convolve": lambda: np.convolve(x, w),
        "scipy.signal.convolve": lambda: scipy_signal.convolve(x, w),
    }
    macs = (x.size + w.size - 1) * w.size
    _run(benchmark, impls[impl], "conv1d_1e6_k101", impl, macs)
