"""pytest-benchmark suite: algorithm="separable" against the non-separable paths on rank-1 kernels.

Run:  pytest benchmarks/bench_separable.py --benchmark-only --benchmark-group-by=group \
          --benchmark-columns=median,rounds
Three comparisons in one run, each a benchmark group with one entry per algorithm:
  gauss31-1024-<dtype>   a 31x31 Gaussian on one 1024x1024 channel, "same", 1 thread, float32 and
                         float64: separable (from w, and from the factors) vs direct vs im2col
  sweep-k<k>-<pass>      the kernel sweep of cnnkern/data/shapes.json (n=4, 32 -> 32 channels, 64x64,
                         "same", k = 3..31) with rank-1 kernels, 2 threads, forward and backward-input
  cb_l2_k9-<pass>        the cb_l2_k9 standard layer with a rank-1 kernel, 2 threads
extra_info["gflops"] counts the dense convolution's flops (2*N*C_out*C_in*prod(k)*prod(out)) for every
algorithm, so it reads as "equivalent GFLOP/s" and the ratio of two entries is the speed-up.
"""
import numpy as np
import pytest

import cnnkern
from cnnkern._params import make_conv_params
from cnnkern.bench import load_shapes

SHAPES = load_shapes()
SWEEP = SHAPES["kernel_sweep"]
CB = next(layer for layer in SHAPES["conv2d"] if layer["name"] == "cb_l2_k9")
ALGORITHMS = ("separable", "direct", "im2col")


def _gaussian(k, sigma):
    t = np.arange(k) - (k - 1) / 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    return g / g.sum()


def _rank1(rng, c_out, c_in, k):
    """w[o, c] = outer(a[o, c], b[o, c]) for random vectors a, b."""
    return rng.standard_normal((c_out, c_in, k, 1)) * rng.standard_normal((c_out, c_in, 1, k))


def _run(benchmark, group, fn, p, threads, rounds):
    benchmark.group = group
    benchmark.extra_info["threads"] = threads
    with cnnkern.num_threads(threads):
        benchmark.pedantic(fn, rounds=rounds, warmup_rounds=1)
    benchmark.extra_info["gflops"] = p.flops() / benchmark.stats.stats.median / 1e9


@pytest.mark.parametrize("algorithm", ALGORITHMS + ("separable_factors",))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gaussian31_1024(benchmark, dtype, algorithm):
    x = np.random.default_rng(0).standard_normal((1, 1, 1024, 1024)).astype(dtype)
    g = _gaussian(31, 5.0).astype(dtype)
    w = np.outer(g, g)[None, None]
    p = make_conv_params(2, x.shape, w.shape, padding="same")
    if algorithm == "separable_factors":
        fn = lambda: cnnkern.conv2d_separable(x, (g, g), padding="same")  # noqa: E731
    else:
        fn = lambda: cnnkern.conv2d_forward(x, w, padding="same", algorithm=algorithm)  # noqa: E731
    _run(benchmark, f"gauss31-1024-{dtype}", fn, p, 1, 3 if algorithm == "im2col" else 7)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("pass_", ["fwd", "bwd_input"])
@pytest.mark.parametrize("k", SWEEP["k"][1:])  # k = 1 is a pointwise GEMM, nothing to separate
def test_kernel_sweep(benchmark, k, pass_, algorithm):
    rng = np.random.default_rng(k)
    x = rng.standard_normal((SWEEP["n"], SWEEP["c_in"], SWEEP["h"], SWEEP["w"])).astype(np.float32)
    w = _rank1(rng, SWEEP["c_out"], SWEEP["c_in"], k).astype(np.float32)
    p = make_conv_params(2, x.shape, w.shape, padding="same")
    if pass_ == "fwd":
        fn = lambda: cnnkern.conv2d_forward(x, w, padding="same", algorithm=algorithm)  # noqa: E731
    else:
        dy = rng.standard_normal(p.y_shape).astype(np.float32)
        fn = lambda: cnnkern.conv2d_backward_input(dy, w, x.shape, padding="same",  # noqa: E731
                                                   algorithm=algorithm)
    _run(benchmark, f"sweep-k{k:02d}-{pass_}", fn, p, 2, 5)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("pass_", ["fwd", "bwd_input"])
def test_cb_l2_k9_rank1(benchmark, pass_, algorithm):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((CB["n"], CB["c_in"], CB["h"], CB["w"])).astype(np.float32)
    w = _rank1(rng, CB["c_out"], CB["c_in"], CB["k"]).astype(np.float32)
    kw = dict(stride=CB["stride"], padding=CB["pad"], groups=CB["groups"])
    p = make_conv_params(2, x.shape, w.shape, **kw)
    if pass_ == "fwd":
        fn = lambda: cnnkern.conv2d_forward(x, w, algorithm=algorithm, **kw)  # noqa: E731
    else:
        dy = rng.standard_normal(p.y_shape).astype(np.float32)
        fn = lambda: cnnkern.conv2d_backward_input(dy, w, x.shape, algorithm=algorithm, **kw)  # noqa: E731
    _run(benchmark, f"cb_l2_k9-{pass_}", fn, p, 2, 5)
