"""Hypothesis property tests: random convolution configurations, every algorithm vs the oracle."""
import math

import numpy as np
import pytest

import cnnkern
import oracle
from oracle import ConvCase, TransposeCase, assert_close

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FWD = {d: getattr(cnnkern, f"conv{d}d_forward") for d in (1, 2, 3)}
BWD = {d: getattr(cnnkern, f"conv{d}d_backward") for d in (1, 2, 3)}
BWD_IN = {d: getattr(cnnkern, f"conv{d}d_backward_input") for d in (1, 2, 3)}
BWD_W = {d: getattr(cnnkern, f"conv{d}d_backward_weight") for d in (1, 2, 3)}
TFWD = {d: getattr(cnnkern, f"conv_transpose{d}d_forward") for d in (1, 2, 3)}

MAX_IN = {1: 24, 2: 12, 3: 6}
MAX_K = {1: 5, 2: 4, 3: 3}
SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _per_axis(draw, ndim, lo, hi):
    return tuple(draw(st.integers(lo, hi)) for _ in range(ndim))


@st.composite
def conv_configs(draw, with_modes=True):
    ndim = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.integers(1, 4))
    c_in = groups * draw(st.integers(1, max(1, 8 // groups)))
    c_out = groups * draw(st.integers(1, max(1, 8 // groups)))
    k = _per_axis(draw, ndim, 1, MAX_K[ndim])
    s = _per_axis(draw, ndim, 1, 3)
    d = _per_axis(draw, ndim, 1, 3)
    n_in = tuple(draw(st.integers(max(1, min(MAX_IN[ndim], dd * (kk - 1) + 1) - 3), MAX_IN[ndim]))
                 for kk, dd in zip(k, d))
    kind = draw(st.sampled_from(["int", "axis", "pairs", "valid", "same", "full"]))
    if kind == "int":
        padding = draw(st.integers(0, 4))
    elif kind == "axis":
        padding = _per_axis(draw, ndim, 0, 4)
    elif kind == "pairs":
        padding = [_per_axis(draw, 2, 0, 4) for _ in range(ndim)]
    else:
        padding = kind
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"])) if with_modes \
        else "zeros"
    pairs = oracle.normalise_padding(padding, n_in, k, s, d)
    assume(all(oracle.output_size(n, b, a, kk, ss, dd) >= 1
               for n, (b, a), kk, ss, dd in zip(n_in, pairs, k, s, d)))
    if mode == "reflect":
        assume(all(max(p) < n for p, n in zip(pairs, n_in)))
    if mode == "circular":
        assume(all(max(p) <= n for p, n in zip(pairs, n_in)))
    n = draw(st.integers(1, 2))
    case = ConvCase("hyp", (n, c_in) + n_in, (c_out, c_in // groups) + k, stride=s, padding=padding,
                    dilation=d, groups=groups, padding_mode=mode, bias=draw(st.booleans()))
    flip = draw(st.booleans())
    dtype = np.dtype(draw(st.sampled_from([np.float32, np.float64])))
    seed = draw(st.integers(0, 2 ** 31))
    return case, flip, dtype, seed


def _arrays(case, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.x_shape).astype(dtype)
    w = rng.standard_normal(case.w_shape).astype(dtype)
    b = rng.standard_normal(case.w_shape[0]).astype(dtype) if case.bias else None
    return rng, x, w, b


@SETTINGS
@given(cfg=conv_configs())
def test_forward_property(cfg, algorithm, run_algo):
    case, flip, dtype, seed = cfg
    _, x, w, b = _arrays(case, dtype, seed)
    y, f = run_algo(FWD[case.ndim], x, w, b, algorithm=algorithm, flip=flip, **case.kwargs())
    ref = oracle.conv_forward_mode(x, w, b, flip=flip, **case.kwargs())
    assert y.shape == tuple(cnnkern.conv_output_shape(case.x_shape, case.w_shape, stride=case.stride,
                                                      padding=case.padding, dilation=case.dilation))
    L = (case.x_shape[1] // case.groups) * int(np.prod(case.w_shape[2:]))
    assert_close(y, ref, dtype, L, f, what=f"{case.__dict__} flip={flip}")


def _cancel_factor(L, a, b, ref):
    """>= 1: how far the typical size of a sum of L products of a's and b's values, sqrt(L) rms(a) rms(b),
    exceeds the reference's largest value (1 unless the sums cancelled)."""
    rms = lambda v: float(np.sqrt(np.mean(np.square(v.astype(np.float64))))) if v.size else 0.0  # noqa: E731
    terms = math.sqrt(max(L, 1)) * rms(a) * rms(b)
    top = float(np.max(np.abs(ref))) if ref.size else 0.0
    return max(1.0, terms / (top if top > 0 else 1.0))  # an all-zero reference: assert_close's scale is 1


@SETTINGS
@given(cfg=conv_configs())
def test_backward_property(cfg, algorithm, run_algo):
    case, flip, dtype, seed = cfg
    rng, x, w, _ = _arrays(case, dtype, seed)
    y_shape = oracle.output_shape(case.x_shape, case.w_shape, case.stride, case.padding, case.dilation)
    dy = rng.standard_normal(y_shape).astype(dtype)
    kw = dict(case.kwargs(), flip=flip)
    (dx, dw, db), f = run_algo(BWD[case.ndim], dy, x, w, algorithm=algorithm, bias=case.bias, **kw)
    rdx, rdw, rdb = oracle.conv_backward_mode(dy, x, w, **kw)
    fold = 3 ** case.ndim if case.padding_mode != "zeros" else 1
    L_in = (case.w_shape[0] // case.groups) * int(np.prod(case.w_shape[2:])) * fold
    L_w = y_shape[0] * int(np.prod(y_shape[2:]))
    what = f"{case.__dict__} flip={flip}"
    # A gradient with few elements can cancel far below its terms (a 1x1x1 kernel's dw, one sum of 42
    # products of N(0, 1) values, was 0.021: 2 ulps of the partial sums exceeded the bound relative to
    # max|dw|), so the error is judged against the terms' typical sum, sqrt(L) rms(a) rms(b), when that
    # is the larger scale (the db check below does the same).
    cancel_dx, cancel_dw = _cancel_factor(L_in, dy, w, rdx), _cancel_factor(L_w, dy, x, rdw)
    assert_close(dx, rdx, dtype, L_in, f * cancel_dx, what="dx " + what)
    assert_close(dw, rdw, dtype, L_w, f * cancel_dw, what="dw " + what)
    if case.bias:
        # db sums L_w values of dy per channel; with few channels that sum can cancel far below its
        # partial sums (0.02 from eleven N(0, 1) terms), so the error is judged against the terms'
        # scale, sqrt(L_w) * max|dy|, when that is the larger one.
        terms = math.sqrt(L_w) * float(np.max(np.abs(dy)))
        db_factor = max(1.0, terms / max(float(np.max(np.abs(rdb))), np.finfo(np.float64).tiny))
        assert_close(db, rdb, dtype, L_w, db_factor, what="db " + what)
    else:
        assert db is None
    dx2, f = run_algo(BWD_IN[case.ndim], dy, w, x.shape, algorithm=algorithm, **kw)
    assert_close(dx2, rdx, dtype, L_in, f * cancel_dx, what="backward_input " + what)
    dw2, f = run_algo(BWD_W[case.ndim], dy, x, w.shape, algorithm=algorithm, **kw)
    assert_close(dw2, rdw, dtype, L_w, f * cancel_dw, what="backward_weight " + what)


@SETTINGS
@given(cfg=conv_configs())
def test_adjoint_property(cfg, algorithm, run_algo):
    case, flip, _, seed = cfg
    rng, x, w, _ = _arrays(case, np.float64, seed)
    kw = dict(case.kwargs(), flip=flip)
    y, _ = run_algo(FWD[case.ndim], x, w, algorithm=algorithm, **kw)
    g = rng.standard_normal(y.shape)
    dx, _ = run_algo(BWD_IN[case.ndim], g, w, x.shape, algorithm=algorithm, **kw)
    dw, _ = run_algo(BWD_W[case.ndim], g, x, w.shape, algorithm=algorithm, **kw)
    bound = float(np.sum(oracle.conv_forward_mode(np.abs(x), np.abs(w), None, flip=flip, **case.kwargs())
                         * np.abs(g)))
    lhs = float(np.sum(y * g))
    assert abs(lhs - float(np.sum(x * dx))) <= 1e-12 * bound
    assert abs(lhs - float(np.sum(w * dw))) <= 1e-12 * bound


@st.composite
def transpose_configs(draw):
    ndim = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, max(1, 6 // groups)))
    c_out_g = draw(st.integers(1, 3))
    k = _per_axis(draw, ndim, 1, MAX_K[ndim])
    s = _per_axis(draw, ndim, 1, 3)
    d = _per_axis(draw, ndim, 1, 2)
    n_in = _per_axis(draw, ndim, 1, {1: 10, 2: 6, 3: 3}[ndim])
    pairs = [_per_axis(draw, 2, 0, 3) for _ in range(ndim)]
    if draw(st.booleans()):  # symmetric padding, one int per axis (the torch form)
        padding = [p[0] for p in pairs]
        pairs = [(p[0], p[0]) for p in pairs]
    else:
        padding = pairs
    op = tuple(draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d))
    assume(all(oracle.transpose_output_size(n, b, a, kk, ss, dd, o) >= 1
               for n, (b, a), kk, ss, dd, o in zip(n_in, pairs, k, s, d, op)))
    case = TransposeCase("hyp", (draw(st.integers(1, 2)), c_in) + n_in, (c_in, c_out_g) + k, stride=s,
                         padding=padding, output_padding=op, dilation=d, groups=groups,
                         bias=draw(st.booleans()))
    return case, np.dtype(draw(st.sampled_from([np.float32, np.float64]))), draw(st.integers(0, 2 ** 31))


@SETTINGS
@given(cfg=transpose_configs())
def test_transpose_property(cfg, algorithm, run_algo):
    case, dtype, seed = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.x_shape).astype(dtype)
    w = rng.standard_normal(case.w_shape).astype(dtype)
    b = rng.standard_normal(case.c_out).astype(dtype) if case.bias else None
    y, f = run_algo(TFWD[case.ndim], x, w, b, algorithm=algorithm, **case.kwargs())
    ref = oracle.conv_transpose_forward(x, w, b, **case.kwargs())
    L = max(case.w_shape[1], case.x_shape[1] // case.groups) * int(np.prod(case.w_shape[2:]))
    assert_close(y, ref, dtype, L, f, what=f"{case.__dict__}")


@SETTINGS
@given(cfg=conv_configs(with_modes=False))
def test_output_shape_property(cfg):
    case = cfg[0]
    got = cnnkern.conv_output_shape(case.x_shape, case.w_shape, stride=case.stride, padding=case.padding,
                                    dilation=case.dilation)
    assert tuple(got) == oracle.output_shape(case.x_shape, case.w_shape, case.stride, case.padding,
                                             case.dilation)
