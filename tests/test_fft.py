"""algorithm="fft": the transform layer against numpy.fft, the complex GEMM adapter against NumPy, and
the convolution against the NumPy oracle in both regimes (whole image, overlap-save tiles), at tile
boundaries, on the standard layers, through ConvPlan, and for the unsupported cases.

(The whole generic suite also runs "fft" through conftest's algorithm parametrization.)
"""
import concurrent.futures
import json
import os

import numpy as np
import pytest

import cnnkern
from cnnkern import _blas, _conv_ext

import oracle
from conftest import tolerance_factor

FFT_FACTOR = tolerance_factor("fft")


# ---- the transform layer ------------------------------------------------------------------------

TRANSFORM_SHAPES = [(1, 1, 2), (1, 1, 4), (1, 1, 6), (1, 1, 10), (1, 1, 30), (1, 1, 128), (1, 1, 250),
                    (1, 3, 8), (1, 5, 12), (1, 16, 16), (1, 45, 50), (1, 27, 18), (4, 9, 16), (3, 8, 2),
                    (2, 25, 6), (1, 72, 72), (1, 1, 1000)]


@pytest.mark.parametrize("shape", TRANSFORM_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 3, 17])
def test_transform_matches_numpy(shape, dtype, batch):
    rng = np.random.default_rng(sum(shape) + batch)
    x = rng.standard_normal((batch,) + shape).astype(dtype)
    got = _conv_ext.fft_rfftn_test(x)
    ref = np.fft.rfftn(x.astype(np.float64), axes=(1, 2, 3))
    assert got.shape == ref.shape
    tol = 2e-6 if dtype == np.float32 else 1e-14
    scale = np.abs(ref).max()
    assert np.abs(got - ref).max() <= tol * scale * np.log2(max(np.prod(shape), 2))
    # inverse: n * irfftn of a Hermitian spectrum (that of real data)
    back = _conv_ext.fft_rfftn_test(ref.astype(got.dtype), inverse=True, shape=shape)
    expected = x.astype(np.float64) * np.prod(shape)
    assert np.abs(back - expected).max() <= tol * np.abs(expected).max() * np.log2(max(np.prod(shape), 2))


# sizes for every radix mix and the copy paths: each factor 2, 3, 5 (and 8) alone and mixed, lines shorter and
# not a multiple of the SIMD width (real-axis half lengths 1 ... 9), long lines (the vector transposes
# and their remainders), size 1 axes
EXTRA_SHAPES = [(1, 1, 8), (1, 1, 12), (1, 1, 18), (1, 1, 20), (1, 1, 50), (1, 2, 2), (1, 3, 6),
                (1, 1, 64), (1, 1, 90), (1, 1, 96), (1, 1, 1152), (1, 1, 1250), (2, 5, 16),
                (1, 64, 64), (1, 81, 24), (1, 125, 10), (1, 1, 32), (5, 3, 4), (1, 256, 18),
                # radix-8 stages (lines of >= 512): 512, 576 = 8 8 3 3, 768 = 8 8 4 3, 2048 = 8 8 8 4
                (1, 1, 1024), (1, 512, 4), (1, 1, 1536), (1, 1, 4096), (1, 576, 6)]


@pytest.mark.parametrize("shape", EXTRA_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 9])
def test_transform_more_sizes(shape, dtype, batch):
    test_transform_matches_numpy(shape, dtype, batch)


LANE_SHAPES = [(1, 1, 2), (1, 1, 4), (1, 1, 10), (1, 1, 18), (1, 8, 8), (1, 12, 12), (1, 16, 16),
               (1, 24, 24), (1, 32, 32), (1, 48, 48), (1, 64, 64), (1, 96, 96), (1, 64, 128), (1, 45, 50),
               (3, 9, 16), (2, 5, 6), (1, 1, 1000), (1, 256, 256), (1, 1, 1152), (1, 512, 6), (1, 1, 4096)]


@pytest.mark.parametrize("shape", LANE_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lane_transform_matches_numpy(shape, dtype):
    """The lane-interleaved transforms (ck_fft_*_lanes_*, the small images of the conv layers)."""
    lanes = 16 if dtype == np.float32 else 8
    rng = np.random.default_rng(sum(shape) + lanes)
    x = rng.standard_normal((lanes,) + shape).astype(dtype)
    got = _conv_ext.fft_rfftn_lanes_test(x)
    ref = np.fft.rfftn(x.astype(np.float64), axes=(1, 2, 3))
    assert got.shape == ref.shape
    tol = (2e-6 if dtype == np.float32 else 1e-14) * np.log2(max(np.prod(shape), 2))
    assert np.abs(got - ref).max() <= tol * np.abs(ref).max()
    back = _conv_ext.fft_rfftn_lanes_test(ref.astype(got.dtype), inverse=True, shape=shape)
    expected = x.astype(np.float64) * np.prod(shape)
    assert np.abs(back - expected).max() <= tol * np.abs(expected).max()
    # zero rows outside a box on axes 0 and 1 (kernels, output tiles): skipped lines, same spectrum
    r0, r1 = max(shape[0] // 2, 1), max(shape[1] // 3, 1)
    xz = x.copy()
    xz[:, r0:] = 0
    xz[:, :, r1:] = 0
    got = _conv_ext.fft_rfftn_lanes_test(xz, nonzero=(r0, r1))
    ref = np.fft.rfftn(xz.astype(np.float64), axes=(1, 2, 3))
    assert np.abs(got - ref).max() <= tol * np.abs(ref).max()


def test_transform_rejects_bad_sizes():
    with pytest.raises(ValueError):
        _conv_ext.fft_rfftn_test(np.zeros((1, 1, 1, 14)))  # 7 is not a supported factor
    with pytest.raises(ValueError):
        _conv_ext.fft_rfftn_test(np.zeros((1, 1, 1, 15)))  # the real axis must be even


def test_good_size():
    assert [_conv_ext.fft_good_size(n) for n in (1, 7, 11, 13, 17, 31, 97, 1025)] == [1, 8, 12, 15, 18, 32, 100, 1080]
    assert [_conv_ext.fft_good_size(n, True) for n in (1, 7, 15, 25, 1086)] == [2, 8, 16, 30, 1152]


# ---- the complex GEMM adapter ------------------------------------------------------------------

@pytest.mark.parametrize("naive", [False, True], ids=["blas", "naive"])
@pytest.mark.parametrize("op_a", [0, 1, 2])
@pytest.mark.parametrize("op_b", [0, 1, 2])
def test_complex_gemm(naive, op_a, op_b):
    _blas.ensure_installed()
    rng = np.random.default_rng(op_a * 3 + op_b)
    M, N, K = 5, 7, 6
    ops = [lambda a: a, lambda a: a.T, lambda a: a.conj().T]
    def mat(r, c):
        return rng.standard_normal((r, c)) + 1j * rng.standard_normal((r, c))
    a = mat(M, K) if op_a == 0 else mat(K, M)
    b = mat(K, N) if op_b == 0 else mat(N, K)
    c0 = mat(M, N)
    expected = ops[op_a](a) @ ops[op_b](b)
    with _blas.naive_gemm() if naive else _nullcontext():
        assert _conv_ext.gemm_has_complex_blas(8) == (not naive)
        c = c0.copy()
        _conv_ext.cgemm_test(op_a, op_b, a, b, c, False)
        np.testing.assert_allclose(c, expected, rtol=1e-12, atol=1e-12)
        c = c0.copy()
        _conv_ext.cgemm_test(op_a, op_b, a, b, c, True)
        np.testing.assert_allclose(c, c0 + expected, rtol=1e-12, atol=1e-12)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---- the convolution in both regimes ------------------------------------------------------------

def _check_plan(x_shape, w_shape, dtype, fft_tile=None, b=True, seed=0, **kw):
    """ConvPlan(fft) forward / backward_input / backward_weight / bias against the oracle."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    bias = rng.standard_normal(w_shape[0]).astype(dtype) if b else None
    groups = kw.get("groups", 1)
    plan = cnnkern.ConvPlan(w, x_shape, algorithm="fft", fft_tile=fft_tile, **kw)
    kw = dict(kw, padding=oracle.normalise_padding(kw.get("padding", 0), x_shape[2:], w_shape[2:]))
    y_ref = oracle.conv_forward(x.astype(np.float64), w.astype(np.float64), None if bias is None else bias, **kw)
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    lf, lbi, lbw = oracle.reduction_lengths(x.shape, w.shape, y_ref.shape, groups)
    what = f"fft {x_shape} {w_shape} {kw} tile={fft_tile}"
    oracle.assert_close(plan.forward(x, bias), y_ref, dtype, lf, FFT_FACTOR, what=what + " forward")
    dx, dw, db = plan.backward(dy, x)
    oracle.assert_close(dx, oracle.conv_backward_input(dy, w, x_shape, **kw), dtype, lbi, FFT_FACTOR,
                        what=what + " grad input")
    oracle.assert_close(dw, oracle.conv_backward_weight(dy, x, w_shape, **kw), dtype, lbw, FFT_FACTOR,
                        what=what + " grad weight")
    oracle.assert_close(db, oracle.conv_backward_bias(dy), dtype, lbw, what=what + " grad bias")
    return plan


# (x_shape, w_shape, keywords, fft_tile): every regime forced, tile boundaries, primes, edge kernels
REGIME_CASES = [
    ((2, 3, 20, 21), (4, 3, 5, 5), dict(padding="same"), None),
    ((2, 3, 20, 21), (4, 3, 5, 5), dict(padding="same"), "whole"),
    ((2, 3, 20, 21), (4, 3, 5, 5), dict(padding="same"), 8),
    ((2, 3, 20, 21), (4, 3, 5, 5), dict(padding="same"), (12, 16)),
    # tile 16, kernel 5: 12 outputs per tile; outputs tile-1, tile, tile+1
    ((1, 2, 15, 15), (3, 2, 5, 5), dict(padding=2), 16),
    ((1, 2, 16, 16), (3, 2, 5, 5), dict(padding=2), 16),
    ((1, 2, 17, 17), (3, 2, 5, 5), dict(padding=2), 16),
    ((1, 2, 15, 16), (3, 2, 5, 5), dict(padding=0), 16),   # out 11, 12: one tile
    ((1, 2, 16, 17), (3, 2, 5, 5), dict(padding=0), 16),   # out 12, 13: one and two tiles
    ((1, 2, 29, 30), (3, 2, 5, 5), dict(padding=0), 16),   # out 25, 26: two and three tiles
    # primes, kernel = input, 1x1, asymmetric and large padding, valid / full
    ((2, 3, 13, 17), (5, 3, 7, 3), dict(padding="full"), None),
    ((2, 3, 13, 17), (5, 3, 7, 3), dict(padding="full"), 8),
    ((2, 3, 11, 7), (2, 3, 11, 7), dict(padding="valid"), None),
    ((2, 3, 11, 7), (2, 3, 11, 7), dict(padding="full"), "whole"),
    ((2, 5, 9, 10), (4, 5, 1, 1), dict(padding=0), None),
    ((2, 5, 9, 10), (4, 5, 1, 1), dict(padding=0), 8),
    ((2, 4, 9, 10), (6, 2, 4, 3), dict(padding=((1, 3), (0, 2)), groups=2), None),
    ((2, 4, 9, 10), (6, 2, 4, 3), dict(padding=((1, 3), (0, 2)), groups=2), 8),
    ((1, 2, 6, 7), (3, 2, 3, 3), dict(padding=((5, 0), (0, 6))), None),   # padding beyond the kernel
    ((1, 2, 6, 7), (3, 2, 3, 3), dict(padding=((5, 0), (0, 6))), 8),
    ((2, 6, 12, 12), (6, 1, 3, 3), dict(padding=1, groups=6), None),      # depthwise
    ((2, 6, 12, 12), (12, 1, 5, 5), dict(padding=2, groups=6), 8),        # depthwise multiplier 2
    # 1-D (incl. long, the signal path) and 3-D
    ((3, 2, 97), (4, 2, 9), dict(padding="same"), None),
    ((3, 2, 97), (4, 2, 9), dict(padding="full"), 16),
    ((1, 1, 1000), (1, 1, 31), dict(padding="valid"), None),
    ((1, 1, 1000), (1, 1, 31), dict(padding="full"), 64),
    ((2, 2, 7, 6, 9), (3, 2, 3, 2, 4), dict(padding=1), None),
    ((2, 2, 7, 6, 9), (3, 2, 3, 2, 4), dict(padding=1), 8),
    ((1, 2, 5, 6, 7), (3, 2, 2, 3, 2), dict(padding="full"), "whole"),
]


@pytest.mark.parametrize("case", range(len(REGIME_CASES)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_fft_regimes_match_oracle(case, dtype):
    x_shape, w_shape, kw, tile = REGIME_CASES[case]
    plan = _check_plan(x_shape, w_shape, dtype, fft_tile=tile, seed=case, **kw)
    info = plan.fft_info()
    if tile == "whole":
        assert info["tiles"] == (1, 1, 1)
    elif isinstance(tile, int):
        nd = len(x_shape) - 2
        assert info["transform_size"][3 - nd:] == (tile,) * nd


@pytest.mark.parametrize("tile", ["whole", 8])
def test_fft_plain_call_and_plan_agree(tile):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 14, 15))
    w = rng.standard_normal((4, 3, 3, 3))
    plan = cnnkern.ConvPlan(w, x.shape, padding=1, algorithm="fft", fft_tile=tile)
    y = cnnkern.conv2d_forward(x, w, padding=1, algorithm="fft")
    np.testing.assert_allclose(plan.forward(x), y, rtol=0, atol=1e-12)


def test_fft_empty_batch():
    x = np.zeros((0, 3, 9, 9), np.float32)
    w = np.ones((4, 3, 3, 3), np.float32)
    plan = cnnkern.ConvPlan(w, x.shape, padding=1, algorithm="fft")
    y = plan.forward(x)
    assert y.shape == (0, 4, 9, 9)
    dx, dw, db = plan.backward(np.zeros(y.shape, np.float32), x)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dw, 0)
    np.testing.assert_array_equal(db, 0)
    assert cnnkern.conv2d_forward(x, w, padding=1, algorithm="fft").shape == (0, 4, 9, 9)


def test_fft_small_workspace_many_blocks():
    """A tiny workspace limit splits the tiles into many passes (dW accumulates across them)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 21, 22))
    w = rng.standard_normal((5, 4, 5, 5))
    before = cnnkern.get_workspace_limit()
    try:
        cnnkern.set_workspace_limit(1)
        plan = _check_plan(x.shape, w.shape, np.float64, fft_tile=8, padding=2)
        assert plan.fft_info()["block_tiles"] == 1
    finally:
        cnnkern.set_workspace_limit(before)


def test_fft_naive_gemm_path():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 16, 10, 10))
    w = rng.standard_normal((16, 16, 3, 3))
    expected = oracle.conv_forward(x, w, None, padding=1)
    dy = rng.standard_normal(expected.shape)
    with _blas.naive_gemm():
        y = cnnkern.conv2d_forward(x, w, padding=1, algorithm="fft")
        dw = cnnkern.conv2d_backward_weight(dy, x, w.shape, padding=1, algorithm="fft")
    oracle.assert_close(y, expected, np.float64, 144, FFT_FACTOR)
    oracle.assert_close(dw, oracle.conv_backward_weight(dy, x, w.shape, padding=1), np.float64, 400, FFT_FACTOR)


def test_fft_workspace_query_is_bounded():
    p = cnnkern.ConvParams  # noqa: F841  (the query takes the C tuple)
    from cnnkern._params import make_conv_params
    big = make_conv_params(2, (8, 64, 512, 512), (64, 64, 5, 5), padding=2)
    limit = cnnkern.get_workspace_limit()
    for direction in (0, 1, 2):
        ws = _conv_ext.fft_workspace(big.as_c_tuple(), direction, 4, 2)
        assert 0 < ws <= limit * 1.5, (direction, ws)


# ---- unsupported configurations ------------------------------------------------------------------

@pytest.mark.parametrize("kw", [dict(stride=2), dict(dilation=2), dict(stride=(1, 2)), dict(dilation=(2, 1))])
def test_fft_rejects_stride_and_dilation(kw):
    x = np.ones((1, 2, 9, 9))
    w = np.ones((3, 2, 3, 3))
    with pytest.raises(NotImplementedError, match="stride 1 and dilation 1"):
        cnnkern.conv2d_forward(x, w, algorithm="fft", **kw)
    with pytest.raises(NotImplementedError, match="stride 1 and dilation 1"):
        cnnkern.conv2d_backward(np.ones(oracle.output_shape(x.shape, w.shape, **kw)), x, w, algorithm="fft", **kw)
    with pytest.raises(NotImplementedError):
        cnnkern.ConvPlan(w, x.shape, algorithm="fft", **kw)
    # "auto" still computes it
    np.testing.assert_allclose(cnnkern.conv2d_forward(x, w, **kw), oracle.conv_forward(x, w, None, **kw), rtol=1e-12)


@pytest.mark.parametrize("bad", [7, 14, 0, -3, "big", (8,), (8, 8, 8)])
def test_fft_tile_validation(bad):
    w = np.ones((3, 2, 3, 3))
    with pytest.raises((ValueError, TypeError)):
        cnnkern.ConvPlan(w, (1, 2, 20, 20), algorithm="fft", fft_tile=bad)


def test_fft_tile_smaller_than_kernel_or_odd_last_axis():
    w = np.ones((3, 2, 9, 9))
    with pytest.raises(ValueError):
        cnnkern.ConvPlan(w, (1, 2, 20, 20), algorithm="fft", fft_tile=8)   # tile < kernel
    with pytest.raises(ValueError):
        cnnkern.ConvPlan(np.ones((3, 2, 3, 3)), (1, 2, 20, 20), algorithm="fft", fft_tile=(16, 15))  # odd last axis
    with pytest.raises(ValueError):
        cnnkern.ConvPlan(np.ones((3, 2, 3, 3)), (1, 2, 20, 20), algorithm="direct", fft_tile=16)


@pytest.mark.parametrize("tile", ["0,-1,-1", "0,16,-1", "0,-1,24", "0,24,24", "0,16,32",
                                  "junk", "0,16", "0,16,16,16", "0,-5,8", ""])
def test_fft_env_tile_plain_calls(monkeypatch, tile):
    """CNNKERN_FFT_TILE (benchmarks/fit_fft_tiling.py) forces the tiling of plain forward / bwd_input
    calls (fused and unfused); malformed values are ignored."""
    rng = np.random.default_rng(3)
    for (n, cin, cout, size, k, pad) in ((2, 3, 4, 29, 5, "same"), (2, 16, 24, 20, 7, 0)):
        x = rng.standard_normal((n, cin, size, size))
        w = rng.standard_normal((cout, cin, k, k))
        b = rng.standard_normal(cout)
        padding = oracle.normalise_padding(pad, x.shape[2:], w.shape[2:])
        y_ref = oracle.conv_forward(x, w, b, padding=padding)
        dy = rng.standard_normal(y_ref.shape)
        dx_ref = oracle.conv_backward_input(dy, w, x.shape, padding=padding)
        monkeypatch.setenv("CNNKERN_FFT_TILE", tile)
        y = cnnkern.conv2d_forward(x, w, b, padding=pad, algorithm="fft")
        dx = cnnkern.conv2d_backward_input(dy, w, x.shape, padding=pad, algorithm="fft")
        monkeypatch.delenv("CNNKERN_FFT_TILE")
        lf, lbi, _ = oracle.reduction_lengths(x.shape, w.shape, y_ref.shape, 1)
        oracle.assert_close(y, y_ref, np.float64, lf, FFT_FACTOR, what=f"env tile {tile} forward")
        oracle.assert_close(dx, dx_ref, np.float64, lbi, FFT_FACTOR, what=f"env tile {tile} grad input")


def test_fft_env_tile_smaller_than_kernel(monkeypatch):
    """A tiling the problem cannot use is ignored (the model's choice): a tuning knob never fails a call."""
    x, w = np.ones((1, 2, 20, 20)), np.ones((3, 2, 9, 9))
    monkeypatch.setenv("CNNKERN_FFT_TILE", "0,8,8")
    y = cnnkern.conv2d_forward(x, w, algorithm="fft")
    np.testing.assert_allclose(y, oracle.conv_forward(x, w, None, padding=((0, 0), (0, 0))), rtol=1e-9)


# ---- ConvPlan ------------------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["fft", "direct", "im2col", "auto"])
def test_plan_matches_functions(algorithm):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 11, 12)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    kw = dict(padding="same", groups=2)
    plan = cnnkern.ConvPlan(w, x.shape, algorithm=algorithm, **kw)
    kw = dict(kw, padding=oracle.normalise_padding("same", x.shape[2:], w.shape[2:]))
    y = plan.forward(x, b)
    oracle.assert_close(y, oracle.conv_forward(x, w, b, **kw), np.float32, 18, FFT_FACTOR)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx, dw, db = plan.backward(dy, x)
    rdx, rdw, rdb = oracle.conv_backward_mode(dy, x, w, **kw)
    oracle.assert_close(dx, rdx, np.float32, 27, FFT_FACTOR)
    oracle.assert_close(dw, rdw, np.float32, 264, FFT_FACTOR)
    oracle.assert_close(db, rdb, np.float32, 264)
    assert plan.backward(dy, x, bias=False)[2] is None


def test_plan_padding_mode_and_flip():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 9, 10))
    w = rng.standard_normal((4, 3, 3, 3))
    kw = dict(padding=1, padding_mode="reflect", flip=True)
    plan = cnnkern.ConvPlan(w, x.shape, algorithm="fft", **kw)
    np.testing.assert_allclose(plan.forward(x), cnnkern.conv2d_forward(x, w, algorithm="direct", **kw), atol=1e-11)
    dy = rng.standard_normal(plan.output_shape)
    for got, ref in zip(plan.backward(dy, x), cnnkern.conv2d_backward(dy, x, w, algorithm="direct", **kw)):
        np.testing.assert_allclose(got, ref, atol=1e-10)


def test_plan_copies_weight_and_checks_shapes():
    w = np.ones((2, 1, 3, 3))
    plan = cnnkern.ConvPlan(w, (1, 1, 8, 8), padding=1, algorithm="fft")
    x = np.random.default_rng(6).standard_normal((1, 1, 8, 8))
    y0 = plan.forward(x)
    w[...] = 5.0
    np.testing.assert_array_equal(plan.forward(x), y0)
    with pytest.raises(ValueError, match="input shape"):
        plan.forward(np.ones((2, 1, 8, 8)))
    with pytest.raises(ValueError, match="dy"):
        plan.backward_input(np.ones((1, 2, 7, 7)))
    with pytest.raises(ValueError, match="bias"):
        plan.forward(x, np.ones(3))
    with pytest.raises(ValueError):
        cnnkern.ConvPlan(w, (1, 1, 8), algorithm="fft")


def test_plan_concurrent_threads_match_serial():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 8, 24, 24)).astype(np.float32)
    w = rng.standard_normal((8, 8, 5, 5)).astype(np.float32)
    plan = cnnkern.ConvPlan(w, x.shape, padding=2, algorithm="fft")
    dy = rng.standard_normal(plan.output_shape).astype(np.float32)
    serial = (plan.forward(x), plan.backward_input(dy), plan.backward_weight(dy, x))
    fresh = cnnkern.ConvPlan(w, x.shape, padding=2, algorithm="fft")  # lazily built parts under races
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(lambda i=i: (fresh.forward(x), fresh.backward_input(dy), fresh.backward_weight(dy, x)))
                   for i in range(8)]
        for f in futures:
            for got, ref in zip(f.result(), serial):
                np.testing.assert_array_equal(got, ref)


def test_fft_threads_bitwise_identical():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 16, 20, 20)).astype(np.float32)
    w = rng.standard_normal((16, 16, 5, 5)).astype(np.float32)
    dy = rng.standard_normal((4, 16, 20, 20)).astype(np.float32)
    out = []
    for n in (1, 2):
        with cnnkern.num_threads(n):
            for tile in ("whole", 8):
                plan = cnnkern.ConvPlan(w, x.shape, padding=2, algorithm="fft", fft_tile=tile)
                out.append((n, tile, plan.forward(x), plan.backward_input(dy), plan.backward_weight(dy, x)))
    for a, b in zip(out[:2], out[2:]):
        for u, v in zip(a[2:], b[2:]):
            np.testing.assert_array_equal(u, v)


# ---- the product kernel, GEMM-form kernel spectra and the fused plain run, on every ISA ----------
# (x_shape, w_shape, padding): output channels off the kernel's 8/4-row tiles, tile counts T that leave
# masked vector tails (T = 1, 3, 5) and ones that fill whole vectors, 1-D, whole image and tiles.
FUSED_CASES = [
    ((3, 5, 9, 17), (13, 5, 3, 3), 1),
    ((1, 16, 12, 12), (9, 16, 7, 7), 0),
    ((5, 8, 16, 16), (20, 8, 5, 5), "same"),
    ((2, 24, 40, 40), (6, 24, 9, 9), 0),
    ((4, 3, 70), (11, 3, 9), 2),
    ((8, 12, 16, 16), (16, 12, 7, 7), 0),
]
ISAS = ("generic", "avx2", "avx512")


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", range(len(FUSED_CASES)))
def test_fft_product_kernel_and_fused_run_each_isa(isa, dtype, case):
    order = {name: i for i, name in enumerate(ISAS)}
    cpu = _conv_ext.runtime_info()["isa"]
    if order[isa] > order[cpu]:
        pytest.skip(f"this CPU runs {cpu}, not {isa}")
    x_shape, w_shape, pad = FUSED_CASES[case]
    nd = len(x_shape) - 2
    fwd = getattr(cnnkern, f"conv{nd}d_forward")
    bwi = getattr(cnnkern, f"conv{nd}d_backward_input")
    rng = np.random.default_rng(case)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    kw = dict(padding=oracle.normalise_padding(pad, x_shape[2:], w_shape[2:]))
    y_ref = oracle.conv_forward(x.astype(np.float64), w.astype(np.float64), b, **kw)
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    dx_ref = oracle.conv_backward_input(dy, w, x_shape, **kw)
    lf, lbi, _ = oracle.reduction_lengths(x.shape, w.shape, y_ref.shape, 1)
    try:
        _conv_ext.set_isa_cap(isa)
        outs = []
        for n in (1, 2):
            with cnnkern.num_threads(n):
                y = fwd(x, w, b, padding=pad, algorithm="fft")  # plain call: fused when it applies
                dx = bwi(dy, w, x_shape, padding=pad, algorithm="fft")
            outs.append((y, dx))
            oracle.assert_close(y, y_ref, dtype, lf, FFT_FACTOR, what=f"{isa} {case} forward")
            oracle.assert_close(dx, dx_ref, dtype, lbi, FFT_FACTOR, what=f"{isa} {case} grad input")
        for u, v in zip(outs[0], outs[1]):
            np.testing.assert_array_equal(u, v)  # 1 vs 2 threads bit for bit
        for tile in (None, "whole"):  # plans: stored spectrum, products by the kernel
            plan = cnnkern.ConvPlan(w, x_shape, padding=pad, algorithm="fft", fft_tile=tile)
            oracle.assert_close(plan.forward(x, b), y_ref, dtype, lf, FFT_FACTOR, what=f"{isa} {case} plan {tile}")
    finally:
        _conv_ext.set_isa_cap("avx512")


# ---- the standard layers: float32 within 1e-4, float64 within 1e-10 of the float64 oracle ---------

def _standard_layers():
    path = os.path.join(os.path.dirname(cnnkern.__file__), "data", "shapes.json")
    with open(path) as fh:
        return json.load(fh)["conv2d"]


@pytest.mark.parametrize("layer", _standard_layers(), ids=lambda l: l["name"])
def test_fft_standard_layers_accuracy(layer):
    rng = np.random.default_rng(9)
    n = 1
    x = rng.standard_normal((n, layer["c_in"], layer["h"], layer["w"]))
    w = rng.standard_normal((layer["c_out"], layer["c_in"] // layer["groups"], layer["k"], layer["k"]))
    kw = dict(stride=layer["stride"], padding=layer["pad"], groups=layer["groups"])
    if layer["stride"] != 1:
        with pytest.raises(NotImplementedError):
            cnnkern.conv2d_forward(x.astype(np.float32), w.astype(np.float32), algorithm="fft", **kw)
        return
    y_ref = oracle.conv_forward(x, w, None, **kw)
    dy = rng.standard_normal(y_ref.shape)
    dx_ref = oracle.conv_backward_input(dy, w, x.shape, **kw)
    dw_ref = oracle.conv_backward_weight(dy, x, w.shape, **kw)
    for dtype, bound in ((np.float32, 1e-4), (np.float64, 1e-10)):
        xs, ws, dys = x.astype(dtype), w.astype(dtype), dy.astype(dtype)
        got = (cnnkern.conv2d_forward(xs, ws, algorithm="fft", **kw),
               cnnkern.conv2d_backward_input(dys, ws, x.shape, algorithm="fft", **kw),
               cnnkern.conv2d_backward_weight(dys, xs, w.shape, algorithm="fft", **kw))
        for name, g, r in zip(("forward", "grad input", "grad weight"), got, (y_ref, dx_ref, dw_ref)):
            rel = np.abs(g.astype(np.float64) - r).max() / np.abs(r).max()
            assert rel <= bound, f"{layer['name']} {np.dtype(dtype).name} {name}: relative error {rel:.3g}"
