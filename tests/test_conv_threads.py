"""Threading: the num_threads knob, results independent of the thread count, and concurrent calls
from several Python threads matching serial calls."""
import concurrent.futures

import numpy as np
import pytest

import cnnkern
import oracle
from oracle import ConvCase, assert_close


def test_num_threads_knob():
    before = cnnkern.get_num_threads()
    assert isinstance(before, int) and before >= 1
    try:
        cnnkern.set_num_threads(1)
        assert cnnkern.get_num_threads() == 1
        cnnkern.set_num_threads(3)
        assert cnnkern.get_num_threads() == 3
        with cnnkern.num_threads(2):
            assert cnnkern.get_num_threads() == 2
            with cnnkern.num_threads(1):
                assert cnnkern.get_num_threads() == 1
            assert cnnkern.get_num_threads() == 2
        assert cnnkern.get_num_threads() == 3
        with pytest.raises(RuntimeError):
            with cnnkern.num_threads(1):
                raise RuntimeError("boom")
        assert cnnkern.get_num_threads() == 3, "num_threads() must restore the count after an exception"
        for bad in (0, -1):
            with pytest.raises(ValueError):
                cnnkern.set_num_threads(bad)
        with pytest.raises((TypeError, ValueError)):
            cnnkern.set_num_threads(1.5)
        assert cnnkern.get_num_threads() == 3
    finally:
        cnnkern.set_num_threads(before)


# Problems big enough that every parallel loop (batch, channel blocks) has several chunks.
THREAD_CASES = [
    ConvCase("2d", (4, 16, 13, 17), (24, 16, 3, 3), padding=1),
    ConvCase("2d-s2-groups", (3, 8, 17, 16), (16, 4, 3, 3), padding="same", stride=2, groups=2),
    ConvCase("2d-depthwise", (2, 24, 15, 15), (48, 1, 3, 3), padding=1, groups=24),
    ConvCase("1d", (5, 8, 67), (12, 8, 5), padding=2, dilation=2),
    ConvCase("3d", (2, 6, 6, 7, 8), (10, 6, 3, 3, 3), padding=1),
    ConvCase("2d-reflect", (2, 6, 9, 10), (8, 6, 3, 3), padding=1, padding_mode="reflect"),
    # batch 1: im2col splits the image (columns; output channels when Kg >= 2 P) into GEMMs the BLAS runs
    # (N > 256; on AVX2-only CPUs B > 256 KiB), whose bits depend on each GEMM's shape
    ConvCase("2d-batch1-columns", (1, 32, 23, 23), (16, 32, 3, 3), padding=1),
    ConvCase("2d-batch1-channels", (1, 256, 6, 6), (128, 256, 3, 3), padding=1),
]


def _run_all(case, algorithm, x, w, b, dy):
    d = case.ndim
    kw = case.kwargs()
    out = {}
    for name, call in (
            ("y", lambda: getattr(cnnkern, f"conv{d}d_forward")(x, w, b, algorithm=algorithm, **kw)),
            ("bwd", lambda: getattr(cnnkern, f"conv{d}d_backward")(dy, x, w, algorithm=algorithm, **kw)),
            ("dx", lambda: getattr(cnnkern, f"conv{d}d_backward_input")(dy, w, x.shape, algorithm=algorithm,
                                                                          **kw)),
            ("dw", lambda: getattr(cnnkern, f"conv{d}d_backward_weight")(dy, x, w.shape, algorithm=algorithm,
                                                                           **kw))):
        try:
            out[name] = call()
        except NotImplementedError:
            out[name] = None
    return out


def _inputs(case, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.x_shape).astype(dtype)
    w = rng.standard_normal(case.w_shape).astype(dtype)
    b = rng.standard_normal(case.w_shape[0]).astype(dtype)
    dy = rng.standard_normal(oracle.output_shape(case.x_shape, case.w_shape, case.stride, case.padding,
                                                 case.dilation)).astype(dtype)
    return x, w, b, dy


def _assert_same(a, b_, what):
    if isinstance(a, tuple):
        for i, (u, v) in enumerate(zip(a, b_)):
            _assert_same(u, v, f"{what}[{i}]")
        return
    if a is None:
        assert b_ is None, what
        return
    np.testing.assert_array_equal(a, b_, err_msg=what)


def _assert_close_all(a, b_, dtype, what):
    if isinstance(a, tuple):
        for i, (u, v) in enumerate(zip(a, b_)):
            _assert_close_all(u, v, dtype, f"{what}[{i}]")
        return
    if a is None:
        assert b_ is None, what
        return
    assert_close(b_, a.astype(np.float64), dtype, 4096, 1.0, what=what)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", THREAD_CASES, ids=lambda c: c.id)
def test_results_identical_for_1_and_2_threads(case, dtype, algorithm):
    x, w, b, dy = _inputs(case, dtype, 1)
    with cnnkern.num_threads(1):
        one = _run_all(case, algorithm, x, w, b, dy)
    with cnnkern.num_threads(2):
        two = _run_all(case, algorithm, x, w, b, dy)
    with cnnkern.num_threads(3):  # more threads than cores, uneven split
        three = _run_all(case, algorithm, x, w, b, dy)
    for key in one:
        _assert_same(one[key], two[key], f"{case.id} {key}: 1 vs 2 threads")
        # 3 threads on 2 cores: an uneven split may reorder a reduction (backward-weight sums over the
        # batch and positions), so only the rounding may differ there.
        _assert_close_all(one[key], three[key], dtype, f"{case.id} {key}: 1 vs 3 threads")
    # and the single-thread result is right
    if one["y"] is not None:
        L = (case.x_shape[1] // case.groups) * int(np.prod(case.w_shape[2:]))
        assert_close(one["y"], oracle.conv_forward_mode(x, w, b, **case.kwargs()), dtype, L, 1024.0)


def test_concurrent_python_threads_match_serial(all_algorithms):
    jobs = []
    for i, case in enumerate(THREAD_CASES):
        for dtype in (np.float32, np.float64):
            x, w, b, dy = _inputs(case, dtype, 100 + i)
            for algorithm in all_algorithms:
                jobs.append((case, algorithm, x, w, b, dy))
    serial = [_run_all(*job) for job in jobs]
    rounds = 3
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(_run_all, *job) for _ in range(rounds) for job in jobs]
        results = [f.result() for f in futures]
    for r, res in enumerate(results):
        job = jobs[r % len(jobs)]
        expected = serial[r % len(jobs)]
        for key in expected:
            _assert_same(res[key], expected[key], f"{job[0].id} {job[1]} {key} (concurrent call {r})")


def test_concurrent_transpose_and_padding_modes():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 6, 9, 8))
    wt = rng.standard_normal((6, 4, 3, 3))   # transposed-conv weight (C_in, C_out // groups, ...)
    wc = rng.standard_normal((5, 6, 3, 3))   # conv weight (C_out, C_in, ...)
    calls = [
        lambda: cnnkern.conv_transpose2d_forward(x, wt, stride=2, padding=1, output_padding=1, groups=2),
        lambda: cnnkern.conv2d_forward(x, wc, padding=2, padding_mode="circular", flip=True),
        lambda: cnnkern.conv2d_forward(x, wc[:, ::-1], padding="same", padding_mode="replicate"),
        lambda: cnnkern.conv2d_backward(np.ones((3, 5, 9, 8)), x, wc, padding=1, padding_mode="reflect"),
    ]
    serial = [c() for c in calls]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: calls[i % len(calls)](), range(4 * len(calls))))
    for i, r in enumerate(results):
        _assert_same(r, serial[i % len(calls)], f"call {i % len(calls)}")
