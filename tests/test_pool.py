"""cnnkern.pooling against the independent NumPy oracle (tests/pool_oracle.py), plus dtype, layout,
threading, fast-path and error-path checks. PyTorch cross-checks live in test_pool_torch.py."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import pool_oracle as O  # noqa: E402

from cnnkern import pooling as P  # noqa: E402
from cnnkern._threads import num_threads  # noqa: E402

RNG = np.random.default_rng(20261122)


def fn(name, d):
    return getattr(P, name.format(d=d))


def rand(shape, kind="normal", dtype=np.float64, seed=None):
    rng = RNG if seed is None else np.random.default_rng(seed)
    if kind == "ties":
        return rng.integers(0, 3, size=shape).astype(dtype)
    if kind == "nan":
        x = rng.standard_normal(shape).astype(dtype)
        x[rng.random(shape) < 0.15] = np.nan
        return x
    if kind == "positive":
        return (rng.random(shape) + 0.2).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


# (d, input shape, keyword arguments) for windowed max / min pooling
MAX_CASES = [
    (1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
    (1, (1, 2, 10), dict(kernel_size=4, stride=3, padding=2, dilation=2, ceil_mode=True)),
    (1, (2, 1, 7), dict(kernel_size=2, ceil_mode=True)),
    (1, (2, 2, 6), dict(kernel_size=1)),
    (1, (1, 2, 5), dict(kernel_size=5)),
    (1, (1, 1, 1), dict(kernel_size=2, padding=1, dilation=2)),      # window 0 entirely in padding
    (2, (2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1)),      # 3x3s2 fast path + borders
    (2, (2, 2, 8, 10), dict(kernel_size=2, stride=2)),                # 2x2s2 fast path
    (2, (1, 3, 9, 11), dict(kernel_size=2, ceil_mode=True)),          # 2x2s2, partial last windows
    (2, (2, 2, 8, 9), dict(kernel_size=3, stride=2, ceil_mode=True)),
    (2, (1, 2, 10, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (2, (1, 2, 9, 8), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1), dilation=(2, 1))),
    (2, (2, 2, 6, 7), dict(kernel_size=3, stride=1, padding=1)),      # heavy overlap
    (2, (1, 2, 8, 9), dict(kernel_size=2, stride=3)),                 # stride > kernel
    (2, (1, 1, 5, 5), dict(kernel_size=5)),
    (2, (1, 2, 11, 13), dict(kernel_size=(5, 3), stride=(2, 3), padding=(2, 0), dilation=(1, 3),
                             ceil_mode=True)),
    (3, (1, 2, 5, 6, 7), dict(kernel_size=3, stride=2, padding=1)),
    (3, (2, 1, 4, 5, 6), dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), dilation=(1, 1, 2),
                              ceil_mode=True)),
    (3, (1, 2, 3, 6, 8), dict(kernel_size=(1, 2, 2), stride=(1, 2, 2))),  # 2x2s2 fast path in 3-D
    (3, (1, 1, 3, 7, 7), dict(kernel_size=(1, 3, 3), stride=(2, 2, 2), padding=(0, 1, 1))),
]


def case_id(c):
    return f"{c[0]}d-{'x'.join(map(str, c[1]))}-" + "-".join(f"{k}={v}" for k, v in c[2].items())


@pytest.mark.parametrize("mode", ["max", "min"])
@pytest.mark.parametrize("kind", ["normal", "ties", "nan"])
@pytest.mark.parametrize("case", MAX_CASES, ids=case_id)
def test_max_min_vs_oracle(case, kind, mode):
    d, shape, kw = case
    x = rand(shape, kind, np.float32).astype(np.float64)  # float32-exact values: one oracle, two dtypes
    ry, ridx, has = O.max_pool_forward(x, d, mode=mode, **kw)
    dy = rand(ry.shape, "normal", np.float32).astype(np.float64)
    ref = O._scatter_add(dy, ridx, has, x, d)
    for dtype in (np.float64, np.float32):
        xt, dyt = x.astype(dtype), dy.astype(dtype)
        y, idx = fn(mode + "_pool{d}d_forward", d)(xt, return_indices=True, **kw)
        assert y.dtype == dtype and y.shape == ry.shape and y.flags.c_contiguous
        np.testing.assert_array_equal(y, ry.astype(dtype))          # a selection: exact (NaN == NaN)
        np.testing.assert_array_equal(idx, ridx)
        assert np.array_equal(fn(mode + "_pool{d}d_forward", d)(xt, **kw), y, equal_nan=True)
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        dx = fn(mode + "_pool{d}d_backward", d)(dyt, xt, **kw)
        assert dx.dtype == dtype and dx.shape == x.shape
        np.testing.assert_allclose(dx, ref, rtol=rtol, atol=rtol)
        if has.all():  # with every window touching the input, the returned indices give the same dx
            dx_i = fn(mode + "_pool{d}d_backward", d)(dyt, xt, indices=idx, **kw)
            np.testing.assert_allclose(dx_i, ref, rtol=rtol, atol=rtol)
    # the oracle's own backward (recomputing) agrees with the scatter used above
    np.testing.assert_allclose(O.max_pool_backward(dy, x, d, mode=mode, **kw), ref)


def test_max_ties_and_nan_hand_cases():
    # written out by hand, so a shared misunderstanding of oracle and C cannot hide here
    x = np.array([[[2.0, 5.0, 5.0, 1.0]]])
    y, i = P.max_pool1d_forward(x, 4, return_indices=True)
    assert y[0, 0, 0] == 5.0 and i[0, 0, 0] == 1                      # first maximum wins ties
    y, i = P.min_pool1d_forward(np.array([[[3.0, 1.0, 4.0, 1.0]]]), 4, return_indices=True)
    assert y[0, 0, 0] == 1.0 and i[0, 0, 0] == 1
    x = np.array([[[1.0, np.nan, 3.0, np.nan]]])
    y, i = P.max_pool1d_forward(x, 4, return_indices=True)
    assert np.isnan(y[0, 0, 0]) and i[0, 0, 0] == 3                   # PyTorch reports the last NaN
    dx = P.max_pool1d_backward(np.array([[[2.0]]]), x, 4)
    np.testing.assert_array_equal(dx, [[[0.0, 0.0, 0.0, 2.0]]])
    # padding is never selected, even when every real value is -inf
    x = np.full((1, 1, 3), -np.inf)
    y, i = P.max_pool1d_forward(x, 3, stride=1, padding=1, return_indices=True)
    np.testing.assert_array_equal(i[0, 0], [0, 0, 1])
    # overlapping windows accumulate gradient on the shared maximum
    x = np.array([[[0.0, 9.0, 0.0]]])
    dx = P.max_pool1d_backward(np.array([[[1.0, 2.0]]]), x, 2, stride=1)
    np.testing.assert_array_equal(dx, [[[0.0, 3.0, 0.0]]])
    # 2x2 stride 2 in 2-D with a hand-checked index
    x = np.arange(16.0).reshape(1, 1, 4, 4)[..., ::-1].copy()
    y, i = P.max_pool2d_forward(x, 2, return_indices=True)
    np.testing.assert_array_equal(y[0, 0], [[7, 5], [15, 13]])
    np.testing.assert_array_equal(i[0, 0], [[4, 6], [12, 14]])


@pytest.mark.parametrize("mode", ["max", "min"])
@pytest.mark.parametrize("case", [c for c in MAX_CASES if c[0] >= 2], ids=case_id)
def test_fast_paths_equal_general_kernel(case, mode, monkeypatch):
    d, shape, kw = case
    for dtype in (np.float32, np.float64):
        for kind in ("normal", "ties", "nan"):
            x = rand(shape, kind, dtype)
            y1, i1 = fn(mode + "_pool{d}d_forward", d)(x, return_indices=True, **kw)
            dy = rand(y1.shape, "normal", dtype)
            dx1 = fn(mode + "_pool{d}d_backward", d)(dy, x, **kw)
            monkeypatch.setattr(P, "_USE_FAST_PATHS", False)
            y2, i2 = fn(mode + "_pool{d}d_forward", d)(x, return_indices=True, **kw)
            dx2 = fn(mode + "_pool{d}d_backward", d)(dy, x, **kw)
            monkeypatch.setattr(P, "_USE_FAST_PATHS", True)
            np.testing.assert_array_equal(y1, y2)
            np.testing.assert_array_equal(i1, i2)
            np.testing.assert_array_equal(dx1, dx2)


def test_fast_path_large_planes():
    # bigger rows than the sweep, so vectorised loops run their main body and remainders
    for kw in (dict(kernel_size=2, stride=2), dict(kernel_size=3, stride=2, padding=1),
               dict(kernel_size=3, stride=2, ceil_mode=True)):
        x = rand((2, 3, 37, 41), "ties", np.float32)
        y, i = P.max_pool2d_forward(x, return_indices=True, **kw)
        ry, ri, _ = O.max_pool_forward(x, 2, **kw)
        np.testing.assert_array_equal(y, ry.astype(np.float32))
        np.testing.assert_array_equal(i, ri)


# ---------------------------------------------------------------------------------------- average

AVG_CASES = [
    (1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
    (1, (1, 2, 8), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
    (2, (2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1)),
    (2, (1, 2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (2, (2, 2, 8, 10), dict(kernel_size=2)),
    (2, (1, 2, 9, 7), dict(kernel_size=(3, 2), stride=(1, 3), padding=(1, 1), ceil_mode=True)),
    (2, (1, 2, 6, 6), dict(kernel_size=3, stride=1, padding=1)),
    (3, (1, 2, 5, 6, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (3, (2, 1, 4, 5, 6), dict(kernel_size=(2, 3, 2), stride=(1, 2, 3))),
]
AVG_OPTIONS = [
    dict(),
    dict(count_include_pad=False),
    dict(divisor_override=5),
    dict(count_include_pad=False, divisor_override=-3),
    dict(weights="ramp"),
    dict(weights="ramp", count_include_pad=False),
    dict(weights="ramp", divisor_override=7),
]


def _weights(kernel_size, d, seed=1):
    k = O.as_tuple(kernel_size, d)
    grids = np.meshgrid(*[np.arange(n) - (n - 1) / 2 for n in k], indexing="ij")
    r2 = sum(g ** 2 for g in grids)
    return np.exp(-r2 / 2.0) + np.random.default_rng(seed).random(k) * 0.1   # distance fall-off


def _avg_kw(kw, opt, d):
    kw = dict(kw, **opt)
    if kw.get("weights") == "ramp":
        kw["weights"] = _weights(kw["kernel_size"], d)
    return kw


@pytest.mark.parametrize("opt", AVG_OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "plain")
@pytest.mark.parametrize("case", AVG_CASES, ids=case_id)
def test_avg_vs_oracle(case, opt):
    d, shape, base = case
    kw = _avg_kw(base, opt, d)
    x = rand(shape)
    y = fn("avg_pool{d}d_forward", d)(x, **kw)
    ry = O.avg_pool_forward(x, d, **kw)
    np.testing.assert_allclose(y, ry, rtol=1e-12, atol=1e-13)
    dy = rand(y.shape)
    dx = fn("avg_pool{d}d_backward", d)(dy, x, **kw)
    np.testing.assert_allclose(dx, O.avg_pool_backward(dy, x, d, **kw), rtol=1e-12, atol=1e-13)
    # adjoint identity: avg pooling is linear, so <pool(x), dy> == <x, pool_backward(dy)>
    assert np.isclose(np.vdot(y, dy), np.vdot(x, dx), rtol=1e-12, atol=1e-12)
    # float32 follows within float32 tolerance
    y32 = fn("avg_pool{d}d_forward", d)(x.astype(np.float32), **kw)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, ry, rtol=2e-6, atol=2e-6)
    dx32 = fn("avg_pool{d}d_backward", d)(dy.astype(np.float32), x.astype(np.float32), **kw)
    np.testing.assert_allclose(dx32, dx, rtol=2e-5, atol=2e-6)


def test_weights_of_ones_equal_plain_average_without_padding_count():
    """Weighted pooling divides by the weights inside the input (the issue's rule), so weights=ones is
    average pooling with count_include_pad=False, whatever count_include_pad says."""
    x = rand((2, 3, 9, 8))
    base = dict(kernel_size=3, stride=2, padding=1)
    for extra in (dict(), dict(count_include_pad=False), dict(count_include_pad=False, ceil_mode=True)):
        kw = dict(base, **extra)
        plain = P.avg_pool2d_forward(x, **dict(kw, count_include_pad=False))
        ones = P.avg_pool2d_forward(x, weights=np.ones((3, 3)), **kw)
        np.testing.assert_allclose(ones, plain, rtol=1e-14)
        dy = rand(plain.shape)
        np.testing.assert_allclose(P.avg_pool2d_backward(dy, x, weights=np.ones((3, 3)), **kw),
                                   P.avg_pool2d_backward(dy, x, **dict(kw, count_include_pad=False)),
                                   rtol=1e-14)
    # and it differs from the padding-counting default at the borders
    assert not np.allclose(P.avg_pool2d_forward(x, weights=np.ones((3, 3)), **base),
                           P.avg_pool2d_forward(x, **base))


def test_weighted_average_hand_case():
    x = np.array([[[1.0, 2.0, 4.0]]])
    w = np.array([1.0, 2.0, 1.0])
    # window 0 = taps (pad, 1.0, 2.0) -> (2*1 + 1*2) / (2 + 1) over the weights inside the input
    y = P.avg_pool1d_forward(x, 3, stride=1, padding=1, count_include_pad=False, weights=w)
    np.testing.assert_allclose(y[0, 0], [4 / 3, (1 + 4 + 4) / 4, (2 + 8) / 3])
    y = P.avg_pool1d_forward(x, 3, stride=1, padding=0, weights=w)   # no padding: identical rules
    np.testing.assert_allclose(y[0, 0], [(1 + 4 + 4) / 4])
    # the default count_include_pad=True does not count padding weights in a weighted average
    y = P.avg_pool1d_forward(x, 3, stride=1, padding=1, weights=w)
    np.testing.assert_allclose(y[0, 0], [4 / 3, (1 + 4 + 4) / 4, (2 + 8) / 3])
    dx = P.avg_pool1d_backward(np.ones((1, 1, 3)), x, 3, stride=1, padding=1, weights=w)
    # window o covers input o-1..o+1 with weights 1, 2, 1; each tap's share is its weight / divisor
    np.testing.assert_allclose(dx[0, 0], [2 / 3 + 1 / 4, 1 / 3 + 2 / 4 + 1 / 3, 1 / 4 + 2 / 3])


# ---------------------------------------------------------------------------------------- Lp

LP_CASES = [
    (1, (2, 3, 9), dict(kernel_size=3, stride=2)),
    (1, (1, 2, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
    (2, (2, 2, 7, 9), dict(kernel_size=3, stride=2, ceil_mode=True)),
    (2, (1, 2, 6, 7), dict(kernel_size=(2, 3), stride=1)),
    (3, (1, 2, 4, 5, 6), dict(kernel_size=2, stride=(1, 2, 2), ceil_mode=True)),
]


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, 0.5, -2, np.inf, -np.inf])
@pytest.mark.parametrize("case", LP_CASES, ids=case_id)
def test_lp_vs_oracle(case, p):
    d, shape, kw = case
    x = rand(shape, "positive" if p in (1.5, 0.5, -2) else "normal")
    if p == 3:  # make the first window's sum of cubes negative (-> NaN) and the last one positive
        x[(0, 0) + tuple(slice(0, k) for k in O.as_tuple(kw["kernel_size"], d))] = -1.0
        x[(0, 1) + (slice(-1, None),) * d] = 5.0
    y = fn("lp_pool{d}d_forward", d)(x, p, **kw)
    ry = O.lp_pool_forward(x, d, p, **kw)
    np.testing.assert_allclose(y, ry, rtol=1e-12, atol=1e-13)        # NaN positions must agree too
    if p == 3:
        assert np.isnan(y).any() and not np.isnan(y).all()            # odd p: negative sums -> NaN
    dy = rand(y.shape)
    dx = fn("lp_pool{d}d_backward", d)(dy, x, p, **kw)
    np.testing.assert_allclose(dx, O.lp_pool_backward(dy, x, d, p, **kw), rtol=1e-10, atol=1e-12)
    y32 = fn("lp_pool{d}d_forward", d)(x.astype(np.float32), p, **kw)
    np.testing.assert_allclose(y32, ry, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("p", [2, 1.5, 3])
def test_lp_backward_finite_differences(p):
    x = rand((1, 2, 6, 7), "positive")
    kw = dict(kernel_size=3, stride=2, ceil_mode=True)
    dy = rand(P.lp_pool2d_forward(x, p, **kw).shape)
    dx = P.lp_pool2d_backward(dy, x, p, **kw)
    eps = 1e-6
    for flat in RNG.choice(x.size, 12, replace=False):
        e = np.zeros(x.size)
        e[flat] = eps
        e = e.reshape(x.shape)
        num = (np.vdot(P.lp_pool2d_forward(x + e, p, **kw), dy)
               - np.vdot(P.lp_pool2d_forward(x - e, p, **kw), dy)) / (2 * eps)
        assert np.isclose(dx.reshape(-1)[flat], num, rtol=1e-6, atol=1e-8)


def test_lp_zero_window_has_zero_gradient():
    x = np.zeros((1, 1, 4))
    x[0, 0, 3] = 2.0
    dx = P.lp_pool1d_backward(np.ones((1, 1, 2)), x, 2, 2)
    np.testing.assert_array_equal(dx[0, 0], [0, 0, 0, 1.0])
    np.testing.assert_allclose(P.lp_pool1d_forward(x, 2, 2)[0, 0], [0.0, 2.0])


# ---------------------------------------------------------------------------------------- global

@pytest.mark.parametrize("d", [1, 2, 3])
def test_global_pools(d):
    shape = (2, 3) + (5, 4, 3)[:d]
    axes = tuple(range(2, 2 + d))
    x = rand(shape, "ties")
    x[0, 1].flat[2] = np.nan
    gshape = shape[:2] + (1,) * d
    for mode in ("max", "min"):
        y, idx = fn(f"global_{mode}_pool{{d}}d_forward", d)(x, return_indices=True)
        red = np.max if mode == "max" else np.min
        np.testing.assert_array_equal(y, red(x, axis=axes, keepdims=True))
        ry, ri, _ = O.max_pool_forward(x, d, shape[2:], mode=mode)
        np.testing.assert_array_equal(idx, ri)
        dy = rand(gshape)
        dx = fn(f"global_{mode}_pool{{d}}d_backward", d)(dy, x)
        np.testing.assert_allclose(dx, O.max_pool_backward(dy, x, d, shape[2:], mode=mode))
        np.testing.assert_allclose(fn(f"global_{mode}_pool{{d}}d_backward", d)(dy, x, indices=idx), dx)
    x = rand(shape)
    y = fn("global_avg_pool{d}d_forward", d)(x)
    np.testing.assert_allclose(y, x.mean(axis=axes, keepdims=True), rtol=1e-13)
    dy = rand(gshape)
    np.testing.assert_allclose(fn("global_avg_pool{d}d_backward", d)(dy, x),
                               np.broadcast_to(dy / np.prod(shape[2:]), shape), rtol=1e-13)
    for p in (2, 3):
        y = fn("global_lp_pool{d}d_forward", d)(x, p)
        with np.errstate(invalid="ignore"):
            ref = np.power(np.sum(x ** p, axis=axes, keepdims=True), 1 / p)
        np.testing.assert_allclose(y, ref, rtol=1e-12)
        dx = fn("global_lp_pool{d}d_backward", d)(dy, x, p)
        np.testing.assert_allclose(dx, O.lp_pool_backward(dy, x, d, p, shape[2:]), rtol=1e-10)


# ---------------------------------------------------------------------------------------- adaptive

ADAPTIVE_CASES = [
    (1, (2, 3, 10), 3), (1, (1, 2, 7), 7), (1, (1, 2, 4), 6),
    (2, (2, 2, 7, 10), (3, 4)), (2, (1, 2, 5, 5), (5, 2)), (2, (1, 1, 3, 4), (5, 7)),
    (2, (1, 2, 9, 6), (None, 4)),
    (3, (1, 2, 5, 6, 7), (2, 4, 3)), (3, (2, 1, 3, 4, 5), 4),
]


@pytest.mark.parametrize("case", ADAPTIVE_CASES, ids=lambda c: f"{c[0]}d-{c[1]}-{c[2]}")
def test_adaptive_vs_oracle(case):
    d, shape, out = case
    for kind in ("normal", "ties", "nan"):
        x = rand(shape, kind)
        y, idx = fn("adaptive_max_pool{d}d_forward", d)(x, out, return_indices=True)
        ry, ri = O.adaptive_max_pool_forward(x, d, out)
        np.testing.assert_array_equal(y, ry)
        np.testing.assert_array_equal(idx, ri)
        dy = rand(y.shape)
        ref = O.adaptive_max_pool_backward(dy, x, d, out)
        np.testing.assert_allclose(fn("adaptive_max_pool{d}d_backward", d)(dy, x, out), ref, rtol=1e-13)
        np.testing.assert_allclose(fn("adaptive_max_pool{d}d_backward", d)(dy, x, out, indices=idx),
                                   ref, rtol=1e-13)
    if any(o is None for o in np.atleast_1d(np.array(out, dtype=object))):
        return
    x = rand(shape)
    y = fn("adaptive_avg_pool{d}d_forward", d)(x, out)
    np.testing.assert_allclose(y, O.adaptive_avg_pool_forward(x, d, out), rtol=1e-13)
    dy = rand(y.shape)
    dx = fn("adaptive_avg_pool{d}d_backward", d)(dy, x, out)
    np.testing.assert_allclose(dx, O.adaptive_avg_pool_backward(dy, x, d, out), rtol=1e-13)
    assert np.isclose(np.vdot(y, dy), np.vdot(x, dx), rtol=1e-12)


def test_adaptive_none_entry_keeps_size():
    x = rand((1, 2, 9, 6))
    y = P.adaptive_avg_pool2d_forward(x, (None, 3))
    assert y.shape == (1, 2, 9, 3)
    np.testing.assert_allclose(y, O.adaptive_avg_pool_forward(x, 2, (9, 3)), rtol=1e-13)
    np.testing.assert_array_equal(P.adaptive_avg_pool2d_forward(x, np.array([9, 3])), y)


# ---------------------------------------------------------------------------------------- unpool

@pytest.mark.parametrize("d", [1, 2, 3])
def test_max_unpool(d):
    shape = (2, 3) + (8, 6, 4)[:d]
    x = rand(shape)
    y, idx = fn("max_pool{d}d_forward", d)(x, 2, return_indices=True)
    out = fn("max_unpool{d}d", d)(y, idx, shape[2:])
    np.testing.assert_array_equal(out, O.max_unpool(y, idx, d, shape[2:]))
    # the unpooled array holds every maximum at its place and zeros elsewhere
    mask = out != 0
    np.testing.assert_array_equal(out[mask], x[mask])
    assert mask.sum() == y.size
    # output_size as the full shape, and derived from kernel_size like PyTorch
    np.testing.assert_array_equal(fn("max_unpool{d}d", d)(y, idx, shape), out)
    derived = fn("max_unpool{d}d", d)(y, idx, kernel_size=2)
    assert derived.shape == shape[:2] + tuple(2 * n for n in y.shape[2:])
    np.testing.assert_array_equal(fn("max_unpool{d}d", d)(y, idx, np.array(shape[2:])), out)
    if d == 1:
        np.testing.assert_array_equal(P.max_unpool1d(y, idx, shape[2]), out)
    # duplicates: the last write wins, as PyTorch's serial CPU loop
    yy = np.array([[[1.0, 2.0, 3.0]]])
    np.testing.assert_array_equal(P.max_unpool1d(yy, np.array([[[1, 1, 0]]]), (3,))[0, 0], [3.0, 2.0, 0.0])


# ---------------------------------------------------------------------------------------- layouts, dtypes

def test_dtypes():
    x64 = rand((2, 3, 6, 6))
    for dt in (np.int32, np.int64, np.uint8, np.bool_):
        xi = (x64 > 0).astype(dt) if dt is np.bool_ else (x64 * 5).astype(dt)
        y = P.max_pool2d_forward(xi, 2)
        assert y.dtype == np.float64
        np.testing.assert_array_equal(y, P.max_pool2d_forward(xi.astype(np.float64), 2))
        assert P.avg_pool2d_forward(xi, 2).dtype == np.float64
    y32 = P.avg_pool2d_forward(x64.astype(np.float32), 2)
    assert y32.dtype == np.float32
    # mixed float32 dy / float64 x promote to float64
    dx = P.avg_pool2d_backward(y32, x64, 2)
    assert dx.dtype == np.float64
    for bad in (np.float16, np.complex128, object):
        with pytest.raises(TypeError, match=np.dtype(bad).name if bad is not object else "object"):
            P.max_pool2d_forward(x64.astype(bad), 2)
        with pytest.raises(TypeError):
            P.avg_pool2d_backward(np.zeros((2, 3, 3, 3), bad), x64, 2)


def test_noncontiguous_and_readonly_inputs_unchanged():
    base = rand((3, 4, 14, 20))
    x = base[::2, 1:, ::2, ::2].transpose(0, 1, 3, 2)                  # strided, not contiguous
    assert not x.flags.c_contiguous
    xc = np.ascontiguousarray(x)
    ro = xc.copy()
    ro.flags.writeable = False
    before = base.copy()
    kw = dict(kernel_size=3, stride=2, padding=1)
    for name, extra in (("max_pool2d", {}), ("min_pool2d", {}), ("avg_pool2d", {})):
        ref = getattr(P, name + "_forward")(xc, **kw, **extra)
        np.testing.assert_array_equal(getattr(P, name + "_forward")(x, **kw, **extra), ref)
        np.testing.assert_array_equal(getattr(P, name + "_forward")(ro, **kw, **extra), ref)
        dy = rand(ref.shape)[..., ::1]
        dy_nc = np.asfortranarray(dy)
        dy_ro = dy.copy()
        dy_ro.flags.writeable = False
        refb = getattr(P, name + "_backward")(dy, xc, **kw, **extra)
        np.testing.assert_array_equal(getattr(P, name + "_backward")(dy_nc, x, **kw, **extra), refb)
        np.testing.assert_array_equal(getattr(P, name + "_backward")(dy_ro, ro, **kw, **extra), refb)
    y, idx = P.max_pool2d_forward(ro, return_indices=True, **kw)
    idx.flags.writeable = False
    P.max_pool2d_backward(y, ro, indices=idx, **kw)
    P.max_unpool2d(y, idx[..., ::1], ro.shape[2:])
    P.lp_pool2d_forward(ro, 2, 3)
    P.adaptive_max_pool2d_forward(ro, 3)
    P.adaptive_avg_pool2d_backward(np.ones((2, 3, 3, 3)), ro, 3)
    np.testing.assert_array_equal(base, before)


def test_list_input():
    y = P.max_pool1d_forward([[[1, 3, 2, 0]]], 2)
    np.testing.assert_array_equal(y, [[[3.0, 2.0]]])


@pytest.mark.parametrize("d", [1, 2, 3])
def test_unbatched_equals_batched(d):
    x = rand((3,) + (6, 5, 4)[:d])
    checks = [
        ("max_pool{d}d", dict(kernel_size=2, padding=1)), ("min_pool{d}d", dict(kernel_size=3, stride=1)),
        ("avg_pool{d}d", dict(kernel_size=2, ceil_mode=True)), ("lp_pool{d}d", dict(p=2, kernel_size=2)),
        ("adaptive_max_pool{d}d", dict(output_size=3)), ("adaptive_avg_pool{d}d", dict(output_size=3)),
        ("global_avg_pool{d}d", {}), ("global_max_pool{d}d", {}),
    ]
    for name, kw in checks:
        f, b = fn(name + "_forward", d), fn(name + "_backward", d)
        y = f(x, **kw)
        yb = f(x[None], **kw)
        np.testing.assert_array_equal(y, yb[0])
        dy = rand(y.shape)
        np.testing.assert_array_equal(b(dy, x, **kw), b(dy[None], x[None], **kw)[0])


@pytest.mark.parametrize("d", [1, 2, 3])
def test_empty_batch(d):
    x = np.zeros((0, 3) + (6, 5, 4)[:d], np.float32)
    out_sp = (3, 2, 2)[:d]
    for name, kw in (("max_pool{d}d", dict(kernel_size=2)), ("min_pool{d}d", dict(kernel_size=2)),
                     ("avg_pool{d}d", dict(kernel_size=2)), ("lp_pool{d}d", dict(p=2, kernel_size=2)),
                     ("adaptive_max_pool{d}d", dict(output_size=out_sp)),
                     ("adaptive_avg_pool{d}d", dict(output_size=out_sp))):
        y = fn(name + "_forward", d)(x, **kw)
        assert y.shape == (0, 3) + out_sp and y.dtype == np.float32
        dx = fn(name + "_backward", d)(y, x, **kw)
        assert dx.shape == x.shape
    y, i = fn("max_pool{d}d_forward", d)(x, 2, return_indices=True)
    assert i.shape == y.shape and i.dtype == np.int64
    assert fn("max_unpool{d}d", d)(y, i, x.shape[2:]).shape == x.shape
    assert fn("global_avg_pool{d}d_forward", d)(x).shape == (0, 3) + (1,) * d


def test_thread_counts_agree():
    x = rand((3, 5, 47, 53), "ties", np.float32)   # above the C parallel grain (32768 elements)
    kw = dict(kernel_size=3, stride=2, padding=1)
    results = []
    for n in (1, 2, 3):
        with num_threads(n):
            y, i = P.max_pool2d_forward(x, return_indices=True, **kw)
            results.append((y, i, P.max_pool2d_backward(y, x, **kw), P.avg_pool2d_forward(x, **kw),
                            P.avg_pool2d_backward(y, x, **kw),
                            P.lp_pool2d_backward(P.lp_pool2d_forward(x, 2, 3), x, 2, 3)))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------------------- errors

X2 = np.zeros((1, 2, 6, 6))
Y2 = np.zeros((1, 2, 3, 3))

ERROR_CASES = [
    (lambda: P.max_pool2d_forward(X2, 0), ValueError, "kernel_size"),
    (lambda: P.max_pool2d_forward(X2, (2, -1)), ValueError, "kernel_size"),
    (lambda: P.max_pool2d_forward(X2, (2, 2, 2)), ValueError, "kernel_size"),
    (lambda: P.max_pool2d_forward(X2, 2.5), TypeError, "kernel_size"),
    (lambda: P.max_pool2d_forward(X2, True), TypeError, "kernel_size"),
    (lambda: P.max_pool2d_forward(X2, 2, stride=0), ValueError, "stride"),
    (lambda: P.max_pool2d_forward(X2, 2, dilation=0), ValueError, "dilation"),
    (lambda: P.max_pool2d_forward(X2, 2, padding=-1), ValueError, "padding"),
    (lambda: P.max_pool2d_forward(X2, 3, padding=2), ValueError, "padding"),
    (lambda: P.max_pool2d_forward(X2, 2, padding=(0, 2)), ValueError, "padding"),
    (lambda: P.avg_pool2d_forward(X2, 2, padding=2), ValueError, "padding"),
    (lambda: P.max_pool2d_forward(X2, 7), ValueError, "empty output"),
    (lambda: P.max_pool2d_forward(X2, 3, dilation=3), ValueError, "empty output"),
    (lambda: P.avg_pool1d_forward(np.zeros((1, 1, 2)), 3), ValueError, "empty output"),
    (lambda: P.max_pool2d_forward(np.zeros((6, 6)), 2), ValueError, "dimensions"),
    (lambda: P.max_pool2d_forward(np.zeros((1, 1, 1, 6, 6)), 2), ValueError, "dimensions"),
    (lambda: P.max_pool1d_forward(np.zeros((1, 1, 0)), 1), ValueError, "empty spatial"),
    (lambda: P.max_pool2d_backward(np.zeros((1, 2, 2, 3)), X2, 2), ValueError, "dy"),
    (lambda: P.avg_pool2d_backward(np.zeros((2, 3, 3)), X2, 2), ValueError, "dy"),
    (lambda: P.lp_pool2d_backward(np.zeros((1, 2, 4, 4)), X2, 2, 2), ValueError, "dy"),
    (lambda: P.adaptive_avg_pool2d_backward(np.zeros((1, 2, 2, 2)), X2, 3), ValueError, "dy"),
    (lambda: P.adaptive_max_pool2d_backward(np.zeros((1, 2, 2, 2)), X2, 3), ValueError, "dy"),
    (lambda: P.global_max_pool2d_backward(np.zeros((1, 2, 2, 1)), X2), ValueError, "dy"),
    (lambda: P.max_pool2d_backward(Y2, X2, 2, indices=np.zeros((1, 2, 3), np.int64)), ValueError, "indices"),
    (lambda: P.max_pool2d_backward(Y2, X2, 2, indices=np.full((1, 2, 3, 3), 36)), ValueError, "indices"),
    (lambda: P.max_pool2d_backward(Y2, X2, 2, indices=np.full((1, 2, 3, 3), -1)), ValueError, "indices"),
    (lambda: P.max_pool2d_backward(Y2, X2, 2, indices=np.zeros((1, 2, 3, 3))), TypeError, "indices"),
    (lambda: P.adaptive_max_pool2d_backward(Y2, X2, 3, indices=np.zeros((1, 2, 3, 4), np.int64)),
     ValueError, "indices"),
    (lambda: P.max_unpool2d(Y2, np.zeros((1, 2, 3, 2), np.int64), (6, 6)), ValueError, "indices"),
    (lambda: P.max_unpool2d(Y2, np.full((1, 2, 3, 3), 36), (6, 6)), ValueError, "indices"),
    (lambda: P.max_unpool2d(Y2, np.zeros((1, 2, 3, 3), np.int64), (6, 0)), ValueError, "output_size"),
    (lambda: P.max_unpool2d(Y2, np.zeros((1, 2, 3, 3), np.int64)), ValueError, "output_size"),
    (lambda: P.avg_pool2d_forward(X2, 2, divisor_override=0), ValueError, "divisor_override"),
    (lambda: P.avg_pool2d_forward(X2, 2, divisor_override=1.5), TypeError, "divisor_override"),
    (lambda: P.avg_pool2d_forward(X2, 2, weights=np.ones((2, 3))), ValueError, "weights"),
    (lambda: P.avg_pool2d_forward(X2, 2, weights=np.array([[1, -1], [1, 1.0]])), ValueError, "weights"),
    (lambda: P.avg_pool2d_forward(X2, 2, weights=np.array([[1, np.nan], [1, 1.0]])), ValueError, "weights"),
    (lambda: P.avg_pool2d_backward(Y2, X2, 2, weights=np.ones(4)), ValueError, "weights"),
    (lambda: P.lp_pool2d_forward(X2, 0, 2), ValueError, "p"),
    (lambda: P.lp_pool2d_forward(X2, np.nan, 2), ValueError, "p"),
    (lambda: P.lp_pool2d_forward(X2, "2", 2), TypeError, "p"),
    (lambda: P.lp_pool2d_forward(X2, 2, 7), ValueError, "empty output"),
    (lambda: P.adaptive_avg_pool2d_forward(X2, 0), ValueError, "output_size"),
    (lambda: P.adaptive_max_pool2d_forward(X2, (2, 2, 2)), ValueError, "output_size"),
    (lambda: P.adaptive_max_pool2d_forward(X2, None), ValueError, "output_size"),
    (lambda: P.global_avg_pool3d_forward(np.zeros((6, 6))), ValueError, "dimensions"),
    (lambda: P.max_pool2d_forward(X2.astype(np.complex64), 2), TypeError, "complex64"),
]


@pytest.mark.parametrize("call,exc,match", ERROR_CASES, ids=[str(i) for i in range(len(ERROR_CASES))])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_all_lists_every_public_function():
    public = {n for n in dir(P) if not n.startswith("_") and callable(getattr(P, n))
              and getattr(getattr(P, n), "__module__", None) == P.__name__}
    assert public == set(P.__all__)
    assert len(P.__all__) == 63
    for d in (1, 2, 3):
        for stem in ("max_pool", "min_pool", "avg_pool", "lp_pool", "global_max_pool", "global_min_pool",
                     "global_avg_pool", "global_lp_pool", "adaptive_max_pool", "adaptive_avg_pool"):
            for direction in ("forward", "backward"):
                assert f"{stem}{d}d_{direction}" in P.__all__
        assert f"max_unpool{d}d" in P.__all__


def test_same_kwargs_dict_for_both_directions():
    x = rand((1, 2, 7, 7))
    kw = dict(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True, return_indices=True)
    y, idx = P.max_pool2d_forward(x, **kw)
    dx = P.max_pool2d_backward(np.ones_like(y), x, **kw)
    assert dx.sum() == y.size
    kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False,
              divisor_override=None, weights=np.ones((3, 3)))
    P.avg_pool2d_backward(P.avg_pool2d_forward(x, **kw), x, **kw)
    kw = dict(p=2, kernel_size=2, stride=1, ceil_mode=False)
    P.lp_pool2d_backward(P.lp_pool2d_forward(x, **kw), x, **kw)
    kw = dict(output_size=(3, 2), return_indices=True)
    y, idx = P.adaptive_max_pool2d_forward(x, **kw)
    P.adaptive_max_pool2d_backward(y, x, **kw)


def test_whole_plane_windows_use_global_kernels_correctly():
    # kernel == input size, no padding: the C operators take their whole-plane (global) kernels
    x = rand((3, 4, 5, 6))
    for kw in (dict(divisor_override=7), dict(weights=_weights((5, 6), 2)), dict(count_include_pad=False)):
        y = P.avg_pool2d_forward(x, (5, 6), **kw)
        np.testing.assert_allclose(y, O.avg_pool_forward(x, 2, (5, 6), **kw), rtol=1e-13)
        dy = rand(y.shape)
        np.testing.assert_allclose(P.avg_pool2d_backward(dy, x, (5, 6), **kw),
                                   O.avg_pool_backward(dy, x, 2, (5, 6), **kw), rtol=1e-13)
    xt = rand((3, 4, 5, 6), "ties", np.float32)
    xt[0, 0, 2, 3] = np.nan
    xt[0, 0, 4, 1] = np.nan
    xt[1, 1] = -np.inf
    xt[2, 2] = 0.0
    xt[2, 2, 1, 1] = -0.0
    for mode in ("max", "min"):
        y, i = fn(mode + "_pool{d}d_forward", 2)(xt, (5, 6), return_indices=True)
        ry, ri, has = O.max_pool_forward(xt, 2, (5, 6), mode=mode)
        np.testing.assert_array_equal(y, ry.astype(np.float32))
        np.testing.assert_array_equal(i, ri)
        assert i[0, 0, 0, 0] == 4 * 6 + 1          # the last NaN
        dy = rand(y.shape, "normal", np.float32)
        np.testing.assert_allclose(fn(mode + "_pool{d}d_backward", 2)(dy, xt, (5, 6)),
                                   O._scatter_add(dy, ri, has, xt, 2), rtol=1e-6)
