"""cnnkern convolution gradients (dx, dw, db) vs the oracle, the adjoint identity, and finite differences."""
import numpy as np
import pytest

import cnnkern
import oracle
from oracle import CONV_CASES, EDGE_WIDTHS, EDGE_WIDTHS_1D, ConvCase, assert_close

FWD = {d: getattr(cnnkern, f"conv{d}d_forward") for d in (1, 2, 3)}
BWD = {d: getattr(cnnkern, f"conv{d}d_backward") for d in (1, 2, 3)}
BWD_IN = {d: getattr(cnnkern, f"conv{d}d_backward_input") for d in (1, 2, 3)}
BWD_W = {d: getattr(cnnkern, f"conv{d}d_backward_weight") for d in (1, 2, 3)}


def make_inputs(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.x_shape).astype(dtype)
    w = rng.standard_normal(case.w_shape).astype(dtype)
    y_shape = oracle.output_shape(case.x_shape, case.w_shape, case.stride, case.padding, case.dilation)
    dy = rng.standard_normal(y_shape).astype(dtype)
    return x, w, dy


def reduction(case, y_shape):
    k = int(np.prod(case.w_shape[2:]))
    # a padded input element can be copied up to 3 times per axis (circular padding == size)
    fold = 3 ** case.ndim if case.padding_mode != "zeros" else 1
    return ((case.w_shape[0] // case.groups) * k * fold,
            y_shape[0] * int(np.prod(y_shape[2:])))


def check_backward(case, dtype, algorithm, run_algo, flip=False, seed=0, separate=True):
    x, w, dy = make_inputs(case, dtype, seed)
    d = case.ndim
    kw = dict(case.kwargs(), flip=flip)
    x0, w0, dy0 = x.copy(), w.copy(), dy.copy()
    (dx, dw, db), factor = run_algo(BWD[d], dy, x, w, algorithm=algorithm, bias=case.bias, **kw)
    rdx, rdw, rdb = oracle.conv_backward_mode(dy, x, w, **kw)
    L_in, L_w = reduction(case, dy.shape)
    tag = f"{case.id}[{algorithm}{', flip' if flip else ''}]"
    assert_close(dx, rdx, dtype, L_in, factor, what=f"{tag} dx")
    assert_close(dw, rdw, dtype, L_w, factor, what=f"{tag} dw")
    if case.bias:
        assert_close(db, rdb, dtype, L_w, 1.0, what=f"{tag} db")
    else:
        assert db is None
    for a in (dx, dw):
        assert a.flags.c_contiguous
    if separate:
        dx2, f2 = run_algo(BWD_IN[d], dy, w, x.shape, algorithm=algorithm, **kw)
        assert_close(dx2, rdx, dtype, L_in, f2, what=f"{tag} backward_input dx")
        dw2, f3 = run_algo(BWD_W[d], dy, x, w.shape, algorithm=algorithm, **kw)
        assert_close(dw2, rdw, dtype, L_w, f3, what=f"{tag} backward_weight dw")
    # inputs untouched
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(dy, dy0)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_backward_matches_oracle(case, dtype, algorithm, run_algo):
    check_backward(case, dtype, algorithm, run_algo)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_backward_flip_matches_oracle(case, algorithm, run_algo):
    check_backward(case, np.float64, algorithm, run_algo, flip=True, seed=2, separate=False)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_backward_auto(case):
    x, w, dy = make_inputs(case, np.float64, seed=4)
    dx, dw, db = BWD[case.ndim](dy, x, w, **case.kwargs())
    rdx, rdw, rdb = oracle.conv_backward_mode(dy, x, w, **case.kwargs())
    L_in, L_w = reduction(case, dy.shape)
    assert_close(dx, rdx, np.float64, L_in, 1024.0, what="dx[auto]")
    assert_close(dw, rdw, np.float64, L_w, 1024.0, what="dw[auto]")
    assert_close(db, rdb, np.float64, L_w, 1.0, what="db[auto]")


# ---- edge-width sweeps ---------------------------------------------------------------------------

@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("width", EDGE_WIDTHS_1D)
def test_backward_1d_widths(width, stride, algorithm, run_algo):
    case = ConvCase("w", (2, 3, (width - 1) * stride + 3), (4, 3, 3), stride=stride, padding=1)
    check_backward(case, np.float32, algorithm, run_algo, seed=width, separate=False)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("width", EDGE_WIDTHS)
def test_backward_2d_widths(width, stride, dtype, algorithm, run_algo):
    case = ConvCase("w", (2, 3, 4, width), (5, 3, 3, 3), stride=stride, padding="same")
    check_backward(case, dtype, algorithm, run_algo, seed=width, separate=False)


@pytest.mark.parametrize("channels", [(1, 1), (3, 9), (8, 16), (9, 17), (16, 5)])
def test_backward_2d_channel_blocks(channels, algorithm, run_algo):
    c_in, c_out = channels
    case = ConvCase("c", (2, c_in, 6, 7), (c_out, c_in, 3, 3), padding=1)
    check_backward(case, np.float32, algorithm, run_algo, seed=c_out, separate=False)


@pytest.mark.parametrize("mult", [1, 2])
@pytest.mark.parametrize("channels", [1, 3, 8, 9, 17])
def test_backward_depthwise_channels(channels, mult, algorithm, run_algo):
    case = ConvCase("dw", (2, channels, 7, 9), (channels * mult, 1, 3, 3), groups=channels, padding=1,
                    stride=(1, 2))
    check_backward(case, np.float32, algorithm, run_algo, seed=channels, separate=False)


@pytest.mark.parametrize("padding", [0, 2, [(0, 1), (2, 0)], "valid", "same", "full"], ids=str)
@pytest.mark.parametrize("mode", oracle.PADDING_MODES)
def test_backward_padding_kinds_and_modes(padding, mode, algorithm, run_algo):
    case = ConvCase("p", (2, 2, 5, 6), (3, 2, 3, 4), padding=padding, padding_mode=mode, stride=(2, 1))
    check_backward(case, np.float64, algorithm, run_algo)


def test_backward_bias_false_returns_none(algorithm, run_algo):
    case = ConvCase("b", (2, 3, 5, 5), (4, 3, 3, 3))
    x, w, dy = make_inputs(case, np.float32)
    (dx, dw, db), _ = run_algo(cnnkern.conv2d_backward, dy, x, w, bias=False, algorithm=algorithm)
    assert db is None
    (*_, db), _ = run_algo(cnnkern.conv2d_backward, dy, x, w, algorithm=algorithm)
    assert_close(db, dy.astype(np.float64).sum(axis=(0, 2, 3)), np.float32, 2 * 9)


# ---- adjoint identity <conv(x,w), g> == <x, bwd_input(g,w)> == <w, bwd_weight(x,g)> ---------------

def random_config(rng, ndim):
    """A random small convolution with a non-empty output (also used by the thread tests)."""
    max_in = {1: 20, 2: 10, 3: 6}[ndim]
    while True:
        groups = int(rng.integers(1, 4))
        c_in = groups * int(rng.integers(1, 4))
        c_out = groups * int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 5 if ndim < 3 else 4, size=ndim))
        s = tuple(int(v) for v in rng.integers(1, 4, size=ndim))
        d = tuple(int(v) for v in rng.integers(1, 3, size=ndim))
        n_in = tuple(int(v) for v in rng.integers(1, max_in + 1, size=ndim))
        kind = int(rng.integers(0, 6))
        if kind == 0:
            padding = int(rng.integers(0, 4))
        elif kind == 1:
            padding = tuple(int(v) for v in rng.integers(0, 4, size=ndim))
        elif kind == 2:
            padding = [tuple(int(v) for v in rng.integers(0, 4, size=2)) for _ in range(ndim)]
        else:
            padding = ("valid", "same", "full")[kind - 3]
        mode = oracle.PADDING_MODES[int(rng.integers(0, 4))] if rng.random() < 0.4 else "zeros"
        pairs = oracle.normalise_padding(padding, n_in, k, s, d)
        if mode == "reflect" and any(max(p) >= n for p, n in zip(pairs, n_in)):
            continue
        if mode == "circular" and any(max(p) > n for p, n in zip(pairs, n_in)):
            continue
        if any(oracle.output_size(n, b, a, kk, ss, dd) < 1
               for n, (b, a), kk, ss, dd in zip(n_in, pairs, k, s, d)):
            continue
        n = int(rng.integers(1, 3))
        return ConvCase(f"rand{ndim}d", (n, c_in) + n_in, (c_out, c_in // groups) + k, stride=s,
                        padding=padding, dilation=d, groups=groups, padding_mode=mode)


def _abs_bound(case, x, w, g, flip):
    """sum over all products |w| |x| |g|: the scale of the rounding error of each inner product."""
    y_abs = oracle.conv_forward_mode(np.abs(x), np.abs(w), None, flip=flip, **case.kwargs())
    return float(np.sum(y_abs * np.abs(g)))


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_adjoint_identity(ndim, seed, flip, algorithm, run_algo):
    rng = np.random.default_rng(1000 * ndim + seed)
    case = random_config(rng, ndim)
    x = rng.standard_normal(case.x_shape)
    w = rng.standard_normal(case.w_shape)
    kw = dict(case.kwargs(), flip=flip)
    y, _ = run_algo(FWD[ndim], x, w, algorithm=algorithm, **kw)
    g = rng.standard_normal(y.shape)
    dx, _ = run_algo(BWD_IN[ndim], g, w, x.shape, algorithm=algorithm, **kw)
    dw, _ = run_algo(BWD_W[ndim], g, x, w.shape, algorithm=algorithm, **kw)
    lhs = float(np.sum(y * g))
    via_x = float(np.sum(x * dx))
    via_w = float(np.sum(w * dw))
    tol = 1e-12 * _abs_bound(case, x, w, g, flip)
    assert abs(lhs - via_x) <= tol, (case.__dict__, lhs, via_x)
    assert abs(lhs - via_w) <= tol, (case.__dict__, lhs, via_w)


# ---- central finite differences on the loss <conv(x, w, b), g> (float64) ---------------------------

FD_CASES = [
    ConvCase("fd1d", (2, 2, 7), (3, 2, 3), stride=2, padding=[(1, 2)], dilation=1),
    ConvCase("fd2d", (1, 4, 5, 6), (4, 2, 3, 2), padding=1, groups=2, dilation=(2, 1)),
    ConvCase("fd2d-reflect", (1, 2, 5, 5), (2, 2, 3, 3), padding=2, padding_mode="reflect", stride=2),
    ConvCase("fd2d-circular", (2, 1, 4, 5), (2, 1, 3, 3), padding="same", padding_mode="circular"),
    ConvCase("fd3d", (1, 2, 3, 4, 3), (2, 2, 2, 2, 2), padding="full", stride=(1, 2, 1)),
]


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("case", FD_CASES, ids=lambda c: c.id)
def test_finite_differences(case, flip, algorithm, run_algo):
    rng = np.random.default_rng(77)
    d = case.ndim
    x = rng.standard_normal(case.x_shape)
    w = rng.standard_normal(case.w_shape)
    b = rng.standard_normal(case.w_shape[0])
    kw = dict(case.kwargs(), flip=flip)

    def loss(x_, w_, b_):
        y_, _ = run_algo(FWD[d], x_, w_, b_, algorithm=algorithm, **kw)
        return float(np.sum(y_ * g))

    y0, _ = run_algo(FWD[d], x, w, b, algorithm=algorithm, **kw)
    g = rng.standard_normal(y0.shape)
    (dx, dw, db), _ = run_algo(BWD[d], g, x, w, algorithm=algorithm, **kw)
    h = 1e-3  # the loss is linear in each argument: central differences are exact up to rounding
    for name, arr, grad in (("x", x, dx), ("w", w, dw), ("b", b, db)):
        flat = arr.reshape(-1)
        picks = rng.choice(flat.size, size=min(flat.size, 12), replace=False)
        for i in picks:
            plus, minus = [a.copy() for a in (x, w, b)], [a.copy() for a in (x, w, b)]
            idx = ("x", "w", "b").index(name)
            plus[idx].reshape(-1)[i] += h
            minus[idx].reshape(-1)[i] -= h
            fd = (loss(*plus) - loss(*minus)) / (2 * h)
            analytic = grad.reshape(-1)[i]
            assert abs(fd - analytic) <= 1e-8 * (1 + abs(analytic)) + 1e-9 * float(np.sum(np.abs(g))), (
                f"d loss / d {name}[{np.unravel_index(i, arr.shape)}]: finite difference {fd} vs {analytic}")
