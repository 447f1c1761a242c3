"""The small-N GEMM kernels (csrc/gemm/gemm_small_n.h) against NumPy, and im2col's GEMMs through them.

They take the GEMMs with few columns (N <= 256, B within 2 MiB; on AVX2-only CPUs within 256 KiB) that
im2col's and winograd's parallel work items hand to a one-thread BLAS: a 7x7 feature map at batch 1
(r50_3x3_7), winograd's per-element products. An 8 x 3-vector (AVX-512) or 4 x 3-vector (AVX2)
register tile, the last vector masked; every element one FMA chain over k, so im2col's bits do not
depend on its tiling, and both ISAs give the same bits. Their "panels" form (AVX2) takes im2col's
forward GEMMs with many columns whose B rows lie far apart (a plane or a column tile) and a small A:
each 96 columns of B are copied contiguous and run through the same kernel (a transposed A, the input
gradient's, copied row-major first), so the bits equal the small-N kernel's on any split of the columns.
"""
import numpy as np
import pytest

import cnnkern
from cnnkern import _conv_ext

import oracle
from conftest import ISAS
from oracle import assert_close

SHAPES = [  # (M, N, K)
    (8, 49, 4608 // 16), (9, 1, 16), (13, 7, 17), (17, 15, 100), (24, 16, 33), (33, 17, 64), (5, 31, 20),
    (40, 32, 19), (8, 47, 300), (19, 48, 129), (70, 63, 40), (8, 64, 16), (11, 100, 37), (16, 196, 64),
    (9, 256, 24),
]


def _declines_transposed(isa, trans_a, a, b, c):
    """AVX2 leaves op(A) = A^T to the BLAS (im2col's input gradient ran slower): the probe declines and
    c is untouched. True when that was checked (the caller stops there)."""
    if isa != "avx2" or not trans_a:
        return False
    c0 = c.copy()
    assert not _conv_ext.gemm_small_n_probe(trans_a, a, b, c, False)
    np.testing.assert_array_equal(c, c0)
    return True


def _operands(m, n, k, dtype, trans_a, rng):
    # views into larger arrays: leading dimensions > the sizes
    a_big = rng.standard_normal((k + 3, m + 5) if trans_a else (m + 3, k + 5)).astype(dtype)
    a = a_big[1:k + 1, 2:m + 2] if trans_a else a_big[1:m + 1, 2:k + 2]
    b = rng.standard_normal((k + 2, n + 7)).astype(dtype)[1:k + 1, 3:n + 3]
    c = rng.standard_normal((m + 1, n + 9)).astype(dtype)[:m, 4:n + 4]
    return a, b, c


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_small_n_kernels_match_numpy(shape, accumulate, trans_a, dtype, isa, isa_cap):
    isa_cap(isa)
    m, n, k = shape
    rng = np.random.default_rng(m * 1000 + n * 10 + k)
    a, b, c = _operands(m, n, k, dtype, trans_a, rng)
    if _declines_transposed(isa, trans_a, a, b, c):
        return
    c0 = c.copy()
    opa = (a.T if trans_a else a).astype(np.float64)
    want = opa @ b.astype(np.float64) + (c0 if accumulate else 0)
    assert _conv_ext.gemm_small_n_probe(trans_a, a, b, c, accumulate)
    eps = np.finfo(dtype).eps
    scale = np.abs(opa) @ np.abs(b.astype(np.float64)) + (np.abs(c0) if accumulate else 0)
    assert np.all(np.abs(c - want) <= 4 * k * eps * scale + 1e-30)
    # every element of c was written (the neighbours of the view were not: checked by the parent arrays' copies)
    assert np.isfinite(c).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("mn", [(8, 49), (33, 49), (21, 1), (9, 17), (40, 100), (16, 196), (70, 66), (13, 3)],
                         ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_small_n_last_columns_same_bits(mn, trans_a, dtype, isa, isa_cap):
    """The few columns past the last full vector (rows in the lanes) give the bits they get inside a
    full vector: C of N columns equals the first N columns of C for B widened to whole vectors."""
    isa_cap(isa)
    m, n = mn
    k = 45
    lanes = (64 if isa == "avx512" else 32) // np.dtype(dtype).itemsize
    wide = -(-n // lanes) * lanes + lanes  # whole vectors, and one more so that no tail is left
    rng = np.random.default_rng(m + n)
    a, b_wide, c_any = _operands(m, wide, k, dtype, trans_a, rng)
    if _declines_transposed(isa, trans_a, a, b_wide, c_any):
        return
    for accumulate in (False, True):
        c0 = rng.standard_normal((m, wide)).astype(dtype)
        c_wide, c_n = c0.copy(), np.ascontiguousarray(c0[:, :n])
        assert _conv_ext.gemm_small_n_probe(trans_a, a, b_wide, c_wide, accumulate)
        assert _conv_ext.gemm_small_n_probe(trans_a, a, np.ascontiguousarray(b_wide[:, :n]), c_n, accumulate)
        np.testing.assert_array_equal(c_n, c_wide[:, :n])


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_small_n_writes_only_c(isa, isa_cap):
    isa_cap(isa)
    rng = np.random.default_rng(1)
    big = rng.standard_normal((20, 70)).astype(np.float32)
    keep = big.copy()
    a = rng.standard_normal((9, 33)).astype(np.float32)
    b = rng.standard_normal((33, 49)).astype(np.float32)
    c = big[3:12, 5:54]
    assert _conv_ext.gemm_small_n_probe(False, a, b, c, False)
    mask = np.ones(big.shape, bool)
    mask[3:12, 5:54] = False
    np.testing.assert_array_equal(big[mask], keep[mask])
    np.testing.assert_allclose(c, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-4)


def test_small_n_declines_on_generic(isa_cap):
    """Without AVX2 the adapter keeps the BLAS."""
    isa_cap("generic")
    a = np.ones((8, 16), np.float32)
    b = np.ones((16, 4), np.float32)
    c = np.zeros((8, 4), np.float32)
    assert not _conv_ext.gemm_small_n_probe(False, a, b, c, False)
    assert not c.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_n_avx2_declines_large_b(dtype, isa_cap):
    """AVX2 runs B of at most 256 KiB (it streams B once per 4 rows of C: larger ones lost to the BLAS):
    the boundary, and one row of B more."""
    isa_cap("avx2")
    item = np.dtype(dtype).itemsize
    n = 64
    k_fit = (256 << 10) // (n * item)
    rng = np.random.default_rng(5)
    for k, runs in ((k_fit, True), (k_fit + 1, False)):
        a = rng.standard_normal((8, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        c = np.zeros((8, n), dtype)
        assert _conv_ext.gemm_small_n_probe(False, a, b, c, False) == runs
        if runs:
            assert_close(c, a.astype(np.float64) @ b, dtype, k, what=f"k={k}")
        else:
            assert not c.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_n_same_bits_on_both_isas(dtype, isa_cap):
    """One FMA chain over k per element on both ISAs: AVX2 and AVX-512 give the same C."""
    rng = np.random.default_rng(6)
    for m, n, k in ((8, 49, 288), (13, 63, 40), (33, 17, 64), (70, 100, 37)):
        a, b, c = _operands(m, n, k, dtype, False, rng)
        out = {}
        for isa in ("avx2", "avx512"):
            isa_cap(isa)
            c_isa = c.copy()
            assert _conv_ext.gemm_small_n_probe(False, a, b, c_isa, True)
            out[isa] = c_isa
        np.testing.assert_array_equal(out["avx2"], out["avx512"])


PANEL_SHAPES = [  # (M, N, K): N past the small-N limit, not a multiple of the 96-column copies
    (1, 257, 16), (4, 300, 33), (13, 385, 40), (64, 1568, 256), (7, 96 * 3 + 5, 17), (9, 1000, 129),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("shape", PANEL_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_panels_match_numpy_and_small_n_bits(shape, accumulate, trans_a, dtype, isa_cap):
    """The panels form against NumPy (views: leading dimensions past the sizes), and bit for bit the
    small-N kernel on contiguous 50-column slices of B (another split than the 96-column copies) with
    op(A) as a row-major copy (what the panels form makes of a transposed A)."""
    isa_cap("avx2")
    m, n, k = shape
    rng = np.random.default_rng(7)
    a, b, c = _operands(m, n, k, dtype, trans_a, rng)
    op_a = np.ascontiguousarray(a.T if trans_a else a)
    c0 = c.copy()
    assert _conv_ext.gemm_small_n_probe(trans_a, a, b, c, accumulate, panels=True)
    expect = op_a.astype(np.float64) @ b + (c0 if accumulate else 0)
    assert_close(c, expect, dtype, k, what="panels")
    for j0 in range(0, n, 50):
        cj = c0[:, j0:j0 + 50].copy()
        assert _conv_ext.gemm_small_n_probe(False, op_a, np.ascontiguousarray(b[:, j0:j0 + 50]), cj, accumulate)
        np.testing.assert_array_equal(cj, c[:, j0:j0 + 50])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_panels_decline(dtype, isa_cap):
    """Declined (c untouched, the BLAS runs): without AVX2, and when a 96-column copy of B would pass
    1 MiB (the boundary, and one row of B more)."""
    rng = np.random.default_rng(8)
    isa_cap("generic")
    a, b, c = _operands(4, 300, 20, dtype, False, rng)
    c0 = c.copy()
    assert not _conv_ext.gemm_small_n_probe(False, a, b, c, False, panels=True)
    np.testing.assert_array_equal(c, c0)
    isa_cap("avx2")
    k_fit = (1 << 20) // (96 * np.dtype(dtype).itemsize)
    for k, runs in ((k_fit, True), (k_fit + 1, False)):
        a = rng.standard_normal((2, k)).astype(dtype)
        b = rng.standard_normal((k, 260)).astype(dtype)
        c = np.zeros((2, 260), dtype)
        assert _conv_ext.gemm_small_n_probe(False, a, b, c, False, panels=True) == runs
        if runs:
            assert_close(c, a.astype(np.float64) @ b, dtype, k, what=f"k={k}")
        else:
            assert not c.any()


# im2col problems whose GEMMs have few columns (7x7 and smaller maps, batch 1, pixel tiles split
# across workers) or many far apart, in every pass, against the oracle; 1 and 2 threads give the same bits.
CONV_CASES = [
    ((1, 64, 7, 7), (96, 64, 3, 3), dict(padding=1)),           # r50_3x3_7-like: N = 49 (or tiles of it)
    ((1, 32, 5, 6), (40, 32, 3, 3), dict(padding=1)),
    ((2, 24, 4, 4), (36, 12, 3, 3), dict(padding=1, groups=2)),
    ((1, 20, 9, 7), (24, 20, 1, 1), dict()),                     # pointwise: the GEMM reads x in place
    ((1, 16, 8, 8), (64, 16, 3, 3), dict(stride=2, padding=1)),
    # many columns, far apart: the panels form (pointwise: 2 tiles of 512 of a 1024-pixel plane; column
    # tiles of 900 and 800 pixels)
    ((1, 20, 32, 32), (24, 20, 1, 1), dict()),
    ((2, 6, 30, 30), (10, 6, 3, 3), dict(padding=2, dilation=2)),
    ((1, 4, 40, 40), (8, 2, 3, 3), dict(padding=1, groups=2)),
    ((1, 8, 36, 36), (16, 8, 3, 3), dict(padding=1)),           # input gradient: dy's rows, a plane apart
    ((2, 24, 28, 28), (20, 24, 1, 1), dict()),
]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_im2col_with_small_n_gemms(case, dtype, isa, isa_cap):
    isa_cap(isa)
    xs, ws, kw = case
    rng = np.random.default_rng(3)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype)
    res = {}
    for nt in (1, 2):
        with cnnkern.num_threads(nt):
            y = cnnkern.conv2d_forward(x, w, b, algorithm="im2col", **kw)
            dy = np.random.default_rng(4).standard_normal(y.shape).astype(dtype)
            res[nt] = (y,) + cnnkern.conv2d_backward(dy, x, w, algorithm="im2col", **kw)
    for a_, b_ in zip(res[1], res[2]):
        np.testing.assert_array_equal(a_, b_)
    y, dx, dw, db = res[1]
    kvol = int(np.prod(ws[1:]))
    assert_close(y, oracle.conv_forward(x, w, b, **kw), dtype, kvol, what="y")
    assert_close(dx, oracle.conv_backward_input(dy, w, x.shape, **kw), dtype, ws[0] * 9, what="dx")
    assert_close(dw, oracle.conv_backward_weight(dy, x, w.shape, **kw), dtype, int(np.prod(dy.shape[2:])),
                 what="dw")
