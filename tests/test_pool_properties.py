"""Hypothesis property tests: random pooling configurations against the NumPy oracle, plus
algebraic identities (adjointness of linear pools, max >= avg >= min, min = -max(-x))."""
import os
import sys

import numpy as np
from hypothesis import assume, given, settings, strategies as st

sys.path.insert(0, os.path.dirname(__file__))
import pool_oracle as O  # noqa: E402

from cnnkern import pooling as P  # noqa: E402


@st.composite
def window_configs(draw, dilation=True, padding=True):
    d = draw(st.integers(1, 3))
    max_in = (12, 8, 5)[d - 1]
    in_size = tuple(draw(st.integers(1, max_in)) for _ in range(d))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 4)) for _ in range(d))
    pad = tuple(draw(st.integers(0, k // 2)) for k in kernel) if padding else (0,) * d
    dil = tuple(draw(st.integers(1, 3)) for _ in range(d)) if dilation else (1,) * d
    ceil_mode = draw(st.booleans())
    out = [O.n_windows(n, k, s, p, dl, ceil_mode) for n, k, s, p, dl in zip(in_size, kernel, stride, pad, dil)]
    assume(all(o >= 1 for o in out))
    lead = (draw(st.integers(1, 2)), draw(st.integers(1, 3)))
    seed = draw(st.integers(0, 2 ** 31))
    kind = draw(st.sampled_from(["normal", "ties", "nan"]))
    kw = dict(kernel_size=kernel, stride=stride, padding=pad, ceil_mode=ceil_mode)
    if dilation:
        kw["dilation"] = dil
    return d, lead + in_size, kw, seed, kind


def make_x(shape, seed, kind):
    rng = np.random.default_rng(seed)
    if kind == "ties":
        return rng.integers(-2, 3, size=shape).astype(np.float64)
    x = rng.standard_normal(shape)
    if kind == "nan":
        x[rng.random(shape) < 0.2] = np.nan
    return x


@settings(max_examples=60, deadline=None)
@given(window_configs(), st.sampled_from(["max", "min"]))
def test_max_min_random(cfg, mode):
    d, shape, kw, seed, kind = cfg
    x = make_x(shape, seed, kind)
    f = getattr(P, f"{mode}_pool{d}d_forward")
    y, idx = f(x, return_indices=True, **kw)
    ry, ridx, has = O.max_pool_forward(x, d, mode=mode, **kw)
    np.testing.assert_array_equal(y, ry)
    np.testing.assert_array_equal(idx, ridx)
    dy = make_x(y.shape, seed + 1, "normal")
    dx = getattr(P, f"{mode}_pool{d}d_backward")(dy, x, **kw)
    np.testing.assert_allclose(dx, O._scatter_add(dy, ridx, has, x, d), rtol=1e-12, atol=1e-12)
    # min pooling is max pooling of -x (values; indices agree as well, NaN rule included)
    other = P.__dict__[f"{'min' if mode == 'max' else 'max'}_pool{d}d_forward"]
    y2, idx2 = other(-x, return_indices=True, **kw)
    np.testing.assert_array_equal(-y2, y)
    np.testing.assert_array_equal(idx2, idx)


@settings(max_examples=60, deadline=None)
@given(window_configs(dilation=False), st.booleans(), st.sampled_from([None, 3, -2]), st.booleans())
def test_avg_random(cfg, count_include_pad, divisor_override, weighted):
    d, shape, kw, seed, kind = cfg
    assume(d != 3 or all(n >= k for n, k in zip(shape[2:], kw["kernel_size"])))  # torch's avg_pool3d raises
    x = make_x(shape, seed, "normal" if kind == "nan" else kind)
    kw = dict(kw, count_include_pad=count_include_pad, divisor_override=divisor_override)
    if weighted:
        kw["weights"] = np.random.default_rng(seed).random(kw["kernel_size"]) + 0.05
    y = getattr(P, f"avg_pool{d}d_forward")(x, **kw)
    np.testing.assert_allclose(y, O.avg_pool_forward(x, d, **kw), rtol=1e-11, atol=1e-12)
    dy = make_x(y.shape, seed + 1, "normal")
    dx = getattr(P, f"avg_pool{d}d_backward")(dy, x, **kw)
    np.testing.assert_allclose(dx, O.avg_pool_backward(dy, x, d, **kw), rtol=1e-11, atol=1e-12)
    assert np.isclose(np.vdot(y, dy), np.vdot(x, dx), rtol=1e-10, atol=1e-10)
    if divisor_override is None and not count_include_pad:
        # an average of the values inside each window lies between their min and max
        mx = getattr(P, f"max_pool{d}d_forward")(x, **{k: kw[k] for k in ("kernel_size", "stride", "padding",
                                                                         "ceil_mode")})
        mn = getattr(P, f"min_pool{d}d_forward")(x, **{k: kw[k] for k in ("kernel_size", "stride", "padding",
                                                                         "ceil_mode")})
        assert np.all(y <= mx + 1e-12) and np.all(y >= mn - 1e-12)


@settings(max_examples=40, deadline=None)
@given(window_configs(dilation=False, padding=False), st.sampled_from([1, 2, 3, 1.5, np.inf]))
def test_lp_random(cfg, p):
    d, shape, kw, seed, kind = cfg
    kw.pop("padding")
    x = make_x(shape, seed, "normal")
    if p == 1.5:
        x = np.abs(x) + 0.1
    y = getattr(P, f"lp_pool{d}d_forward")(x, p, **kw)
    np.testing.assert_allclose(y, O.lp_pool_forward(x, d, p, **kw), rtol=1e-10, atol=1e-12)
    dy = make_x(y.shape, seed + 1, "normal")
    dx = getattr(P, f"lp_pool{d}d_backward")(dy, x, p, **kw)
    np.testing.assert_allclose(dx, O.lp_pool_backward(dy, x, d, p, **kw), rtol=1e-9, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.data())
def test_adaptive_random(d, data):
    in_size = tuple(data.draw(st.integers(1, (9, 7, 5)[d - 1])) for _ in range(d))
    out = tuple(data.draw(st.integers(1, (9, 7, 5)[d - 1])) for _ in range(d))
    kind = data.draw(st.sampled_from(["normal", "ties", "nan"]))
    x = make_x((2, 2) + in_size, data.draw(st.integers(0, 1000)), kind)
    y, idx = getattr(P, f"adaptive_max_pool{d}d_forward")(x, out, return_indices=True)
    ry, ri = O.adaptive_max_pool_forward(x, d, out)
    np.testing.assert_array_equal(y, ry)
    np.testing.assert_array_equal(idx, ri)
    dy = make_x(y.shape, 7, "normal")
    np.testing.assert_allclose(getattr(P, f"adaptive_max_pool{d}d_backward")(dy, x, out),
                               O.adaptive_max_pool_backward(dy, x, d, out), rtol=1e-12, atol=1e-12)
    x = np.nan_to_num(x)
    ya = getattr(P, f"adaptive_avg_pool{d}d_forward")(x, out)
    np.testing.assert_allclose(ya, O.adaptive_avg_pool_forward(x, d, out), rtol=1e-12, atol=1e-12)
    dx = getattr(P, f"adaptive_avg_pool{d}d_backward")(dy, x, out)
    np.testing.assert_allclose(dx, O.adaptive_avg_pool_backward(dy, x, d, out), rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(window_configs(dilation=False, padding=False))
def test_unpool_roundtrip(cfg):
    d, shape, kw, seed, kind = cfg
    x = make_x(shape, seed, "normal")
    y, idx = getattr(P, f"max_pool{d}d_forward")(x, return_indices=True, **kw)
    out = getattr(P, f"max_unpool{d}d")(y, idx, shape[2:])
    np.testing.assert_array_equal(out, O.max_unpool(y, idx, d, shape[2:]))
    # pooling the unpooled array with the same windows gives y back wherever y > 0
    # (zeros elsewhere can only win where the maxima were negative)
    y2 = getattr(P, f"max_pool{d}d_forward")(out, **kw)
    np.testing.assert_array_equal(y2[y > 0], y[y > 0])
