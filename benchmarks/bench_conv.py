"""pytest-benchmark suite for convolution: every algorithm x pass x case of the packaged shapes file
(the kernel-size sweep sweep_k1..sweep_k31 and the standard layers, as cnnkern-bench runs them).

Run (separately from the tests; .ci/run never collects benchmarks/):
    pytest benchmarks/bench_conv.py --benchmark-only --benchmark-group-by=param:shape
    pytest benchmarks/bench_conv.py --benchmark-only --benchmark-group-by=param:shape -k "sweep and fwd"
Each case records GFLOP/s (2*N*C_out*C_in/g*prod(k)*prod(out) / median), the thread count and the
measured peak workspace in extra_info. An algorithm that cannot run a case is skipped with the reason.
The "numpy_gemm" cases time NumPy's matmul of the equivalent GEMM shape, a same-run baseline.
"""
import numpy as np
import pytest

import cnnkern
from cnnkern import bench

ALGORITHMS = [a for a in cnnkern.algorithms() if a != "reference"]
CASES = bench.cases_from_shapes(bench.load_shapes(), rank1_variants="separable" in ALGORITHMS)
BY_NAME = {c.name: c for c in CASES}


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = bench._case_arrays(BY_NAME[name], np.float32, rng)
        return cache[name]

    return get


@pytest.mark.parametrize("pass_", bench.PASSES)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("shape", list(BY_NAME))
def test_conv2d(benchmark, arrays, shape, algorithm, pass_):
    case = BY_NAME[shape]
    x, w, dy = arrays(shape)
    fn = bench._cnnkern_calls(case, algorithm, x, w, dy)[pass_]
    try:
        extra = bench._peak_extra_bytes(fn)
    except (NotImplementedError, ValueError) as exc:
        pytest.skip(f"{algorithm} does not run {shape} {pass_}: {exc}")
    benchmark.extra_info.update(threads=cnnkern.get_num_threads(), extra_bytes=extra,
                                auto=cnnkern.choose_algorithm(x.shape, w.shape, stride=case.stride,
                                                              padding=case.pad_pairs, groups=case.groups,
                                                              direction=bench.DIRECTION[pass_],
                                                              separable=case.rank1, measure=False))
    benchmark.pedantic(fn, rounds=5, warmup_rounds=1)
    benchmark.extra_info["gflops"] = case.params.flops() / benchmark.stats.stats.median / 1e9


@pytest.mark.parametrize("shape", [c.name for c in CASES if not c.rank1])
def test_numpy_gemm(benchmark, arrays, shape):
    case = BY_NAME[shape]
    x, w, dy = arrays(shape)
    gemm = bench._numpy_calls(case, x, w, dy, cnnkern.get_num_threads())["fwd"]
    benchmark.extra_info["threads"] = cnnkern.get_num_threads()
    benchmark.pedantic(gemm, rounds=5, warmup_rounds=1)
    benchmark.extra_info["gflops"] = case.params.flops() / benchmark.stats.stats.median / 1e9
