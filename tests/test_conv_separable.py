"""algorithm="separable" and the factor API on separable (rank-1) kernels, against the NumPy oracle.

The shared suite (conftest.py) runs "separable" with random kernels, which it declines
(KernelNotSeparableError is a NotImplementedError); here every kernel slice is an outer product of
random vectors, so the separable code itself must compute every CONV_CASES geometry, both dtypes,
forward and backward-input, and nothing may fall back to another algorithm.
"""
import numpy as np
import pytest

import cnnkern
import oracle
from cnnkern import KernelNotSeparableError
from cnnkern import _conv_ext
from oracle import CONV_CASES, ConvCase, assert_close

FWD = {d: getattr(cnnkern, f"conv{d}d_forward") for d in (1, 2, 3)}
BWD = {d: getattr(cnnkern, f"conv{d}d_backward") for d in (1, 2, 3)}
BWD_IN = {d: getattr(cnnkern, f"conv{d}d_backward_input") for d in (1, 2, 3)}
BWD_W = {d: getattr(cnnkern, f"conv{d}d_backward_weight") for d in (1, 2, 3)}
SEP = {2: cnnkern.conv2d_separable, 3: cnnkern.conv3d_separable}


def rank1_factors(rng, w_shape):
    """One random vector per kernel axis and slice: shapes (C_out, C_in/g, k_axis), float64."""
    lead = tuple(w_shape[:2])
    return [rng.standard_normal(lead + (k,)) for k in w_shape[2:]]


def outer(factors):
    """w[k, c] = outer(f0[k, c], f1[k, c], ...) (the test's own construction, plain NumPy)."""
    w = factors[0]
    for f in factors[1:]:
        w = w[..., None] * f.reshape(f.shape[:2] + (1,) * (w.ndim - 2) + (f.shape[2],))
    return w


def inputs(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.x_shape).astype(dtype)
    factors = rank1_factors(rng, case.w_shape)
    w = outer(factors).astype(dtype)
    b = rng.standard_normal(case.w_shape[0]).astype(dtype) if case.bias else None
    dy = rng.standard_normal(oracle.output_shape(case.x_shape, case.w_shape, case.stride, case.padding,
                                                 case.dilation)).astype(dtype)
    return x, factors, w, b, dy


def lengths(case):
    k = int(np.prod(case.w_shape[2:]))
    fold = 3 ** case.ndim if case.padding_mode != "zeros" else 1
    return ((case.x_shape[1] // case.groups) * k * fold, (case.w_shape[0] // case.groups) * k * fold)


# ---- forward and backward-input over every shared geometry ----------------------------------------

@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_forward_matches_oracle(case, dtype):
    x, factors, w, b, _ = inputs(case, dtype)
    d = case.ndim
    L, _ = lengths(case)
    ref = oracle.conv_forward_mode(x, w, b, **case.kwargs())
    y = FWD[d](x, w, b, algorithm="separable", **case.kwargs())
    assert_close(y, ref, dtype, L, what=f"{case.id} separable forward")
    if d > 1:  # from the factors directly, without forming w
        y2 = SEP[d](x, tuple(f.astype(dtype) for f in factors), b, **case.kwargs())
        assert_close(y2, ref, dtype, L, what=f"{case.id} conv{d}d_separable")
        yf = SEP[d](x, tuple(f.astype(dtype) for f in factors), b, flip=True, **case.kwargs())
        assert_close(yf, oracle.conv_forward_mode(x, w, b, flip=True, **case.kwargs()), dtype, L,
                     what=f"{case.id} conv{d}d_separable flip")


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_backward_matches_oracle(case, dtype):
    x, _, w, b, dy = inputs(case, dtype, seed=1)
    d = case.ndim
    _, L_in = lengths(case)
    L_w = dy.shape[0] * int(np.prod(dy.shape[2:]))
    rdx, rdw, rdb = oracle.conv_backward_mode(dy, x, w, **case.kwargs())
    dx = BWD_IN[d](dy, w, x.shape, algorithm="separable", **case.kwargs())
    assert_close(dx, rdx, dtype, L_in, what=f"{case.id} separable backward_input")
    # conv{d}d_backward: dx by separable, dw through "auto" (no separable weight gradient), db shared
    dx2, dw2, db2 = BWD[d](dy, x, w, algorithm="separable", **case.kwargs())
    np.testing.assert_array_equal(dx2, dx)
    assert_close(dw2, rdw, dtype, L_w, what=f"{case.id} dw")
    assert_close(db2, rdb, dtype, L_w, what=f"{case.id} db")
    # flip: true convolution, the kernel reversed on every axis (still rank 1)
    rdxf, _, _ = oracle.conv_backward_mode(dy, x, w, flip=True, **case.kwargs())
    dxf = BWD_IN[d](dy, w, x.shape, algorithm="separable", flip=True, **case.kwargs())
    assert_close(dxf, rdxf, dtype, L_in, what=f"{case.id} separable backward_input flip")


@pytest.mark.parametrize("case", [c for c in CONV_CASES if c.padding_mode == "zeros" and c.ndim > 1],
                         ids=lambda c: c.id)
def test_adjoint_identity(case):
    """<conv(x, w), g> == <x, bwd_input(g, w)> in float64, for the separable pair of passes."""
    x, _, w, _, g = inputs(case, np.float64, seed=2)
    d = case.ndim
    y = FWD[d](x, w, algorithm="separable", **case.kwargs())
    dx = BWD_IN[d](g, w, x.shape, algorithm="separable", **case.kwargs())
    lhs, rhs = float(np.vdot(y, g)), float(np.vdot(x, dx))
    scale = float(np.abs(y).sum() * np.abs(g).max() + np.abs(x).sum() * np.abs(dx).max())
    assert abs(lhs - rhs) <= 1e-12 * scale, (lhs, rhs)


@pytest.mark.parametrize("case", [
    ConvCase("fd-2d", (1, 2, 7, 8), (3, 2, 3, 4), stride=(2, 1), padding=[(1, 2), (0, 3)], dilation=(1, 2)),
    ConvCase("fd-3d", (1, 2, 5, 4, 6), (2, 1, 3, 2, 3), stride=(1, 2, 2), padding=1, groups=2),
    ConvCase("fd-2d-dw", (2, 3, 6, 9), (6, 1, 5, 3), stride=(1, 3), padding="same", groups=3),
], ids=lambda c: c.id)
def test_finite_differences(case):
    """A few entries of dx against central differences of L(x) = <conv(x, w), g>."""
    x, _, w, _, g = inputs(case, np.float64, seed=3)
    d = case.ndim
    dx = BWD_IN[d](g, w, x.shape, algorithm="separable", **case.kwargs())
    rng = np.random.default_rng(4)
    h = 1e-6
    for flat in rng.choice(x.size, size=6, replace=False):
        idx = np.unravel_index(flat, x.shape)
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        num = (np.vdot(FWD[d](xp, w, algorithm="separable", **case.kwargs()), g)
               - np.vdot(FWD[d](xm, w, algorithm="separable", **case.kwargs()), g)) / (2 * h)
        assert abs(num - dx[idx]) <= 1e-6 * max(1.0, abs(dx[idx])), (idx, num, dx[idx])


# ---- every tail length of the tap-sum kernel, every ISA path, threads ----------------------------

@pytest.mark.parametrize("width", oracle.EDGE_WIDTHS + (47, 64, 65, 129))
@pytest.mark.parametrize("stride", [1, 2])
def test_edge_widths(width, stride, dtype):
    case = ConvCase("w", (1, 2, 6, width), (2, 2, 3, 3), stride=(1, stride), padding=1)
    x, _, w, b, dy = inputs(case, dtype, seed=width)
    L, L_in = lengths(case)
    assert_close(cnnkern.conv2d_forward(x, w, b, algorithm="separable", **case.kwargs()),
                 oracle.conv_forward_mode(x, w, b, **case.kwargs()), dtype, L, what=f"fwd width {width}")
    assert_close(cnnkern.conv2d_backward_input(dy, w, x.shape, algorithm="separable", **case.kwargs()),
                 oracle.conv_backward_input(dy, w, x.shape, case.stride, [(1, 1), (1, 1)]), dtype, L_in,
                 what=f"bwd_input width {width}")


@pytest.fixture
def isa_cap():
    yield lambda name: _conv_ext.set_isa_cap(name)
    _conv_ext.set_isa_cap("avx512")


ISA_CASES = [
    ConvCase("isa-2d", (2, 3, 11, 37), (4, 3, 5, 3), stride=(1, 2), padding=2, dilation=(2, 1)),
    ConvCase("isa-3d", (1, 2, 5, 6, 19), (3, 2, 3, 2, 3), padding=1, stride=(2, 1, 1)),
]


ISA_ORDER = {"generic": 0, "avx2": 1, "avx512": 2}


def skip_unless_cpu_has(isa):
    if ISA_ORDER[isa] > ISA_ORDER[_conv_ext.runtime_info()["isa"]]:
        pytest.skip(f"this CPU has no {isa}")


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
@pytest.mark.parametrize("case", ISA_CASES, ids=lambda c: c.id)
def test_each_isa(isa, case, dtype, isa_cap):
    skip_unless_cpu_has(isa)
    isa_cap(isa)
    assert _conv_ext.runtime_info()["isa"] == isa
    x, _, w, b, dy = inputs(case, dtype, seed=5)
    d = case.ndim
    L, L_in = lengths(case)
    assert_close(FWD[d](x, w, b, algorithm="separable", **case.kwargs()),
                 oracle.conv_forward_mode(x, w, b, **case.kwargs()), dtype, L, what=f"{isa} forward")
    assert_close(BWD_IN[d](dy, w, x.shape, algorithm="separable", **case.kwargs()),
                 oracle.conv_backward_mode(dy, x, w, **case.kwargs())[0], dtype, L_in, what=f"{isa} dx")


# The blocked column pass (CK_SEP_NB = 4 rows per call where every tap is inside the image), the
# unit-shift row pass (TAPSUM_SHIFT: valign on AVX-512) and their tails: widths around the vector
# lengths (8/16 floats, 4/8 doubles) and the 8-vector row blocks, heights around the 4-row blocks,
# 1-row images, kernel = image, W dilation and strides (the pointer paths), short rows (flattened).
KERNEL_EDGE_CASES = [
    ConvCase("k31-same", (1, 1, 40, 150), (1, 1, 31, 31), padding="same"),
    ConvCase("w129", (1, 2, 21, 129), (2, 2, 5, 17), padding=(2, 8)),
    ConvCase("w1", (1, 1, 20, 1), (1, 1, 3, 1), padding=(1, 0)),
    ConvCase("w17-valid", (2, 1, 19, 33), (1, 1, 3, 17)),
    ConvCase("one-row", (1, 2, 1, 600), (3, 2, 1, 9), padding=(0, 4)),
    ConvCase("one-row-k3", (1, 1, 1, 77), (1, 1, 3, 3), padding=1),
    ConvCase("kernel-is-image", (1, 1, 23, 45), (1, 1, 23, 45)),
    ConvCase("kernel-is-image-same", (1, 1, 9, 40), (1, 1, 9, 40), padding="same"),
    ConvCase("h-not-4", (1, 1, 43, 530), (2, 1, 7, 7), padding=3),
    ConvCase("w-dilated", (1, 1, 30, 70), (1, 1, 5, 5), padding=4, dilation=(1, 2)),
    ConvCase("w-stride", (1, 1, 30, 70), (1, 1, 5, 5), padding=2, stride=(1, 2)),
    ConvCase("short-rows", (2, 3, 24, 40), (2, 3, 5, 5), padding=2),
    ConvCase("ntap-33", (1, 1, 12, 300), (1, 1, 3, 33), padding=(1, 16)),
    ConvCase("pairs-w100", (1, 1, 24, 100), (1, 1, 5, 31), padding="same"),   # row pairs + tails
    ConvCase("pairs-w40", (1, 2, 17, 40), (2, 2, 3, 21), padding=(1, 10)),
]


@pytest.mark.parametrize("case", KERNEL_EDGE_CASES, ids=lambda c: c.id)
def test_kernel_edges_each_isa_and_identical_across_fma_isas(case, dtype, isa_cap):
    """Forward and backward-input: every ISA matches the oracle; AVX2 and AVX-512 give bit-identical results (each element is the
    same FMA chain in tap order whichever kernel -- per row, blocked rows, shifted -- computes it)."""
    x, _, w, b, dy = inputs(case, dtype, seed=11)
    d = case.ndim
    L, L_in = lengths(case)
    ref = oracle.conv_forward_mode(x, w, b, **case.kwargs())
    ref_dx = oracle.conv_backward_mode(dy, x, w, **case.kwargs())[0]
    got = {}
    for isa in ("generic", "avx2", "avx512"):
        if ISA_ORDER[isa] > ISA_ORDER[_conv_ext.runtime_info()["isa"]]:
            continue
        isa_cap(isa)
        assert _conv_ext.runtime_info()["isa"] == isa
        got[isa] = (FWD[d](x, w, b, algorithm="separable", **case.kwargs()),
                    BWD_IN[d](dy, w, x.shape, algorithm="separable", **case.kwargs()))
        assert_close(got[isa][0], ref, dtype, L, what=f"{isa} forward {case.id}")
        assert_close(got[isa][1], ref_dx, dtype, L_in, what=f"{isa} dx {case.id}")
        isa_cap("avx512")
    if "avx512" in got:
        np.testing.assert_array_equal(got["avx512"][0], got["avx2"][0])
        np.testing.assert_array_equal(got["avx512"][1], got["avx2"][1])


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
@pytest.mark.parametrize("height,kh,padding", [(40, 5, "valid"), (30, 9, "same"), (5, 9, "same"), (6, 3, "same")])
@pytest.mark.parametrize("width,kw", [(600, 7), (70, 21)])  # long rows; short rows (row pairs)
def test_blocked_rows_equal_single_rows(isa, height, kh, padding, width, kw, dtype, isa_cap):
    """Every output row (4-row blocks in the column pass, with partial windows at the edges under
    "same"; short rows' row pass in pairs) is bit-identical to the one-output-row problem on the input
    rows it reads (one row: the per-row tap sums). Four output channels keep the row blocks >= 4 rows
    on one image; the widths avoid the flattened short-row path (its padding rows are real zeros)."""
    skip_unless_cpu_has(isa)
    isa_cap(isa)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 1, height, width)).astype(dtype)
    w = outer(rank1_factors(rng, (4, 1, kh, kw))).astype(dtype)
    p = (kh - 1) // 2 if padding == "same" else 0
    y = cnnkern.conv2d_forward(x, w, algorithm="separable", padding=((p, kh - 1 - p), (0, 0)))
    for i in range(y.shape[2]):
        lo, hi = i - p, i - p + kh  # the padded input rows output row i reads
        xi = x[:, :, max(lo, 0):min(hi, height)]
        yi = cnnkern.conv2d_forward(xi, w, algorithm="separable",
                                    padding=((max(0, -lo), max(0, hi - height)), (0, 0)))
        assert yi.shape[2] == 1
        np.testing.assert_array_equal(yi[0, :, 0], y[0, :, i], err_msg=f"row {i}")

# Every case is above conv.SERIAL_FLOPS, so 2 and 3 threads really run (checked in the test).
THREAD_CASES = [
    ConvCase("t-one-image", (1, 2, 120, 45), (2, 2, 7, 5), padding="same"),   # row blocks split the planes
    ConvCase("t-channels", (3, 6, 41, 32), (8, 3, 3, 5), padding=1, groups=2, stride=(2, 1)),
    ConvCase("t-w-stride", (2, 4, 30, 61), (4, 4, 5, 5), padding=2, stride=(1, 3)),  # rows-first order
    ConvCase("t-3d", (2, 3, 10, 14, 16), (4, 3, 3, 3, 2), padding=1, dilation=(1, 2, 1)),
    # 4-row blocked column pass, short rows' row pass in pairs (not the flattened path: 4*130 > 5*100)
    ConvCase("t-blocked", (1, 2, 120, 100), (2, 2, 9, 31), padding="same"),
]


@pytest.mark.parametrize("case", THREAD_CASES, ids=lambda c: c.id)
def test_identical_for_any_thread_count(case, dtype):
    x, factors, w, b, dy = inputs(case, dtype, seed=6)
    d = case.ndim
    from cnnkern._execute import SERIAL_FLOPS
    assert make_params(case).flops() >= SERIAL_FLOPS, "too small to run threaded"
    fs = tuple(f.astype(dtype) for f in factors)
    runs = []
    for n in (1, 2, 3):
        with cnnkern.num_threads(n):
            runs.append((FWD[d](x, w, b, algorithm="separable", **case.kwargs()),
                         BWD_IN[d](dy, w, x.shape, algorithm="separable", **case.kwargs()),
                         SEP[d](x, fs, b, **case.kwargs())))
    for r in runs[1:]:
        for a, e in zip(r, runs[0]):
            np.testing.assert_array_equal(a, e)
    L, _ = lengths(case)
    assert_close(runs[0][0], oracle.conv_forward_mode(x, w, b, **case.kwargs()), dtype, L)


def make_params(case):
    from cnnkern._params import make_conv_params
    return make_conv_params(case.ndim, case.x_shape, case.w_shape, stride=case.stride, padding=case.padding,
                            dilation=case.dilation, groups=case.groups)


def test_big_problem_uses_threads_and_is_right():
    """Big enough to run threaded (> 1 MFLOP) with one image and one channel: the row blocks."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 1, 96, 130))
    g = np.exp(-0.5 * ((np.arange(15) - 7) / 3.0) ** 2)
    w = np.outer(g, g[::-1] + 0.1)[None, None]
    with cnnkern.num_threads(2):
        y2 = cnnkern.conv2d_forward(x, w, padding="same", algorithm="separable")
    with cnnkern.num_threads(1):
        y1 = cnnkern.conv2d_forward(x, w, padding="same", algorithm="separable")
    np.testing.assert_array_equal(y1, y2)
    assert_close(y1, oracle.conv_forward_mode(x, w, padding="same"), np.float64, 225)


def test_empty_batch():
    x = np.zeros((0, 2, 5, 6), np.float32)
    w = outer(rank1_factors(np.random.default_rng(0), (3, 2, 3, 3))).astype(np.float32)
    y = cnnkern.conv2d_forward(x, w, algorithm="separable", padding=1)
    assert y.shape == (0, 3, 5, 6)
    assert cnnkern.conv2d_backward_input(np.zeros(y.shape, np.float32), w, x.shape, algorithm="separable",
                                         padding=1).shape == x.shape
    assert cnnkern.conv2d_separable(x, (np.ones((3, 2, 3)), np.ones((3, 2, 3))), padding=1).shape == y.shape


# ---- declining, errors ----------------------------------------------------------------------------

def test_not_separable_error_names_the_slice():
    rng = np.random.default_rng(8)
    w = outer(rank1_factors(rng, (3, 2, 3, 3)))
    w[2, 1, 0, 0] += 0.5  # one slice is no longer rank 1
    x = rng.standard_normal((1, 2, 6, 6))
    with pytest.raises(KernelNotSeparableError, match=r"not separable.*w\[2, 1\]") as info:
        cnnkern.conv2d_forward(x, w, algorithm="separable")
    assert isinstance(info.value, ValueError) and isinstance(info.value, NotImplementedError)
    with pytest.raises(KernelNotSeparableError):
        cnnkern.conv2d_backward_input(np.ones((1, 3, 4, 4)), w, x.shape, algorithm="separable")
    with pytest.raises(KernelNotSeparableError):
        cnnkern.conv_transpose2d_forward(np.ones((1, 3, 4, 4)), w, algorithm="separable")
    # "auto" computes it
    assert_close(cnnkern.conv2d_forward(x, w), oracle.conv_forward(x, w), np.float64, 18)
    wn = w.copy()
    wn[0, 0, 1, 1] = np.nan
    with pytest.raises(KernelNotSeparableError, match="finite"):
        cnnkern.conv2d_forward(x, wn, algorithm="separable")


def test_backward_weight_declines_with_reason():
    rng = np.random.default_rng(9)
    w = outer(rank1_factors(rng, (2, 2, 3, 3)))
    x = rng.standard_normal((1, 2, 6, 6))
    with pytest.raises(NotImplementedError, match="not rank 1"):
        cnnkern.conv2d_backward_weight(np.ones((1, 2, 4, 4)), x, w.shape, algorithm="separable")


def test_one_dimensional_runs_direct():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3, 20))
    w = rng.standard_normal((4, 3, 5))  # every 1-D kernel is rank 1
    np.testing.assert_array_equal(cnnkern.conv1d_forward(x, w, algorithm="separable", padding=2),
                                  cnnkern.conv1d_forward(x, w, algorithm="direct", padding=2))
    assert cnnkern.separable_factors(w)[0].shape == w.shape


def test_factor_api_errors_and_forms():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1, 1, 9, 10))
    v, u = rng.standard_normal(3), rng.standard_normal(4)
    ref = oracle.conv_forward(x, np.outer(v, u)[None, None])
    # plain 1-D vectors: one input and one output channel
    assert_close(cnnkern.conv2d_separable(x, (v, u)), ref, np.float64, 12)
    assert_close(cnnkern.conv2d_separable(x, [v[None, None], u]), ref, np.float64, 12)
    # float32 everywhere stays float32; any float64 promotes
    y32 = cnnkern.conv2d_separable(x.astype(np.float32), (v.astype(np.float32), u.astype(np.float32)))
    assert y32.dtype == np.float32
    assert cnnkern.conv2d_separable(x.astype(np.float32), (v, u.astype(np.float32))).dtype == np.float64
    with pytest.raises(ValueError, match="2 factors"):
        cnnkern.conv2d_separable(x, (v,))
    with pytest.raises(ValueError, match="3 factors"):
        cnnkern.conv3d_separable(x[:, :, None], (v, u))
    with pytest.raises(TypeError, match="tuple"):
        cnnkern.conv2d_separable(x, np.stack([v, v]))
    with pytest.raises(ValueError, match=r"factors\[1\] must have shape"):
        cnnkern.conv2d_separable(x, (v, np.ones((4, 4))))
    with pytest.raises(ValueError, match="leading shape"):
        cnnkern.conv2d_separable(x, (np.ones((2, 1, 3)), np.ones((1, 1, 3))))
    with pytest.raises(ValueError, match="C_in"):
        cnnkern.conv2d_separable(rng.standard_normal((1, 2, 9, 10)), (v, u))
    with pytest.raises(ValueError, match="bias"):
        cnnkern.conv2d_separable(x, (v, u), np.ones(2))
    with pytest.raises(TypeError):
        cnnkern.conv2d_separable(x, (v.astype(np.complex128), u))
    out = np.empty(ref.shape)
    assert cnnkern.conv2d_separable(x, (v, u), out=out) is out


def test_separable_factors_detection():
    rng = np.random.default_rng(12)
    for shape in [(3, 2, 5, 4), (2, 3, 3, 4, 2), (1, 1, 1, 7), (2, 1, 6, 1)]:
        f = rank1_factors(rng, shape)
        w = outer(f)
        got = cnnkern.separable_factors(w)
        assert got is not None and len(got) == len(shape) - 2
        for g, k in zip(got, shape[2:]):
            assert g.shape == tuple(shape[:2]) + (k,)
        np.testing.assert_allclose(outer(list(got)), w, rtol=0, atol=1e-13 * np.abs(w).max())
        assert cnnkern.is_separable(w)
        w32 = w.astype(np.float32)
        assert all(g.dtype == np.float32 for g in cnnkern.separable_factors(w32))
    # independent check against the singular values: rank 2 is rejected, a zero kernel accepted
    w = rng.standard_normal((2, 2, 4, 4))
    assert np.linalg.svd(w, compute_uv=False)[..., 1].min() > 1e-3
    assert cnnkern.separable_factors(w) is None and not cnnkern.is_separable(w)
    assert cnnkern.is_separable(np.zeros((2, 2, 3, 3)))
    # the tolerance: a tiny perturbation passes a loose rtol only
    wp = outer(rank1_factors(rng, (1, 1, 5, 5)))
    wp[0, 0, 2, 3] += 1e-7 * np.abs(wp).max()
    assert cnnkern.separable_factors(wp) is None
    assert cnnkern.separable_factors(wp, rtol=1e-6) is not None
    with pytest.raises(ValueError, match="rtol"):
        cnnkern.separable_factors(wp, rtol=-1)
    with pytest.raises(ValueError, match="kernel axes"):
        cnnkern.separable_factors(np.ones((2, 2)))


# ---- the chooser -----------------------------------------------------------------------------------

def test_choose_with_the_separable_flag():
    """The fitted cost model (cnnkern/_choose.py) offers separable only with the flag, never for the
    weight gradient or 1-D, and picks it where it wins by far: a 31x31 blur of one 1024x1024 channel
    (separable 3.9 ms against direct 39 ms, measured at 1 thread)."""
    big = ((1, 1, 1024, 1024), (1, 1, 31, 31))
    assert cnnkern.choose_algorithm(*big, padding="same", separable=True) == "separable"
    assert cnnkern.choose_algorithm(*big, padding="same") != "separable"
    assert cnnkern.choose_algorithm(*big, padding="same", separable=True,
                                    direction="backward_weight") != "separable"
    x = (4, 32, 64, 64)
    for k in (3, 9, 31):
        for direction in ("forward", "backward_input", "backward_weight"):
            assert cnnkern.choose_algorithm(x, (32, 32, k, k), padding="same", direction=direction) != "separable"
    assert cnnkern.choose_algorithm((1, 1, 64), (1, 1, 31), separable=True) != "separable"


def test_auto_detects_rank1_kernels():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((1, 1, 256, 256)).astype(np.float32)
    w = outer(rank1_factors(rng, (1, 1, 15, 15))).astype(np.float32)
    assert cnnkern.choose_algorithm(x.shape, w.shape, padding="same", separable=True) == "separable"
    y_auto = cnnkern.conv2d_forward(x, w, padding="same")
    np.testing.assert_array_equal(y_auto, cnnkern.conv2d_forward(x, w, padding="same", algorithm="separable"))
    dy = rng.standard_normal(y_auto.shape).astype(np.float32)
    picked = cnnkern.choose_algorithm(x.shape, w.shape, padding="same", separable=True,
                                      direction="backward_input")
    np.testing.assert_array_equal(cnnkern.conv2d_backward_input(dy, w, x.shape, padding="same"),
                                  cnnkern.conv2d_backward_input(dy, w, x.shape, padding="same",
                                                                algorithm=picked))
    wr = rng.standard_normal(w.shape).astype(np.float32)  # not rank 1: auto must not pick separable
    assert_close(cnnkern.conv2d_forward(x, wr, padding="same"),
                 oracle.conv_forward_mode(x, wr, padding="same"), np.float32, 225)


# ---- hypothesis --------------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def separable_configs(draw):
    ndim = draw(st.sampled_from([2, 3]))
    max_in, max_k = {2: (14, 5), 3: (7, 3)}[ndim]
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, max_k)) for _ in range(ndim))
    s = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    d = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    n_in = tuple(draw(st.integers(1, max_in)) for _ in range(ndim))
    padding = [tuple(draw(st.integers(0, 4)) for _ in range(2)) for _ in range(ndim)]
    assume(all(oracle.output_size(n, b, a, kk, ss, dd) >= 1
               for n, (b, a), kk, ss, dd in zip(n_in, padding, k, s, d)))
    return ConvCase("hyp", (draw(st.integers(1, 2)), c_in) + n_in, (c_out, c_in // groups) + k, stride=s,
                    padding=padding, dilation=d, groups=groups)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(case=separable_configs(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 99))
def test_property_separable_matches_oracle(case, dtype, seed):
    x, factors, w, b, dy = inputs(case, dtype, seed)
    d = case.ndim
    L, L_in = lengths(case)
    ref = oracle.conv_forward(x, w, b, case.stride, case.padding, case.dilation, case.groups)
    assert_close(FWD[d](x, w, b, algorithm="separable", **case.kwargs()), ref, dtype, L)
    assert_close(SEP[d](x, tuple(f.astype(dtype) for f in factors), b, **case.kwargs()), ref, dtype, L)
    assert_close(BWD_IN[d](dy, w, x.shape, algorithm="separable", **case.kwargs()),
                 oracle.conv_backward_input(dy, w, x.shape, case.stride, case.padding, case.dilation,
                                            case.groups), dtype, L_in)
