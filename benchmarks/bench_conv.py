"""pytest-benchmark suite for convolution over the standard layer set (cnnkern/data/shapes.json).

Run:  pytest benchmarks/bench_conv.py --benchmark-only --benchmark-group-by=param:layer
Each case records GFLOP/s (2*N*C_out*C_in/g*prod(k)*prod(out) / median) in extra_info; the
"numpy_gemm" cases time NumPy's matmul of the equivalent GEMM shape for a same-run baseline.
"""
import numpy as np
import pytest

import cnnkern
from cnnkern.bench import load_shapes, _layer_problem

LAYERS = load_shapes()["conv2d"]
ALGORITHMS = [a for a in cnnkern.algorithms() if a != "reference"]
PASSES = ("fwd", "bwd_input", "bwd_weight")


@pytest.fixture(scope="module")
def problems():
    rng = np.random.default_rng(0)
    return {layer["name"]: _layer_problem(layer, np.float32, rng) for layer in LAYERS}


@pytest.mark.parametrize("pass_", PASSES)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("layer", [layer["name"] for layer in LAYERS])
def test_conv2d(benchmark, problems, layer, algorithm, pass_):
    x, w, dy, kw, p = problems[layer]
    fn = {
        "fwd": lambda: cnnkern.conv2d_forward(x, w, algorithm=algorithm, **kw),
        "bwd_input": lambda: cnnkern.conv2d_backward_input(dy, w, x.shape, algorithm=algorithm, **kw),
        "bwd_weight": lambda: cnnkern.conv2d_backward_weight(dy, x, w.shape, algorithm=algorithm, **kw),
    }[pass_]
    try:
        fn()
    except NotImplementedError as exc:  # fft on a strided layer
        pytest.skip(str(exc))
    benchmark.group = layer
    benchmark.extra_info["threads"] = cnnkern.get_num_threads()
    benchmark.pedantic(fn, rounds=5, warmup_rounds=1)
    benchmark.extra_info["gflops"] = p.flops() / benchmark.stats.stats.median / 1e9


@pytest.mark.parametrize("layer", [layer["name"] for layer in LAYERS])
def test_numpy_gemm(benchmark, problems, layer):
    _, _, _, _, p = problems[layer]
    rng = np.random.default_rng(1)
    m = p.out_channels // p.groups
    k = (p.in_channels // p.groups) * int(np.prod(p.kernel_size))
    n = p.batch * int(np.prod(p.out_size))
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    benchmark.group = layer
    benchmark.pedantic(lambda: a @ b, rounds=5, warmup_rounds=1)
    benchmark.extra_info["gflops"] = 2 * m * k * n / benchmark.stats.stats.median / 1e9
