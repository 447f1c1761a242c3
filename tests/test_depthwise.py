"""The depthwise kernels behind algorithm "direct" (csrc/conv/depthwise/) against the NumPy oracle.

groups == C_in with a channel multiplier of 1-4 runs the depthwise operator (1-D and 2-D; backward-
input only at stride 1, through the direct operator's transposed forward, which also sends groups
with one output and 2-4 input channels there); the other cases here (multiplier 5, 3-D, strided
backward-input) check that the hand-back to the general direct code is right too. Every ISA the CPU
has, both dtypes.
"""
import numpy as np
import pytest

import cnnkern

import oracle
from conftest import ISAS, conv_functions
from oracle import assert_close


# (id, x_shape, multiplier, kernel, keywords)
CASES = [
    ("3x3-s1", (2, 5, 9, 17), 1, (3, 3), dict(padding=1)),
    ("3x3-tiny", (1, 3, 1, 1), 1, (3, 3), dict(padding=1)),
    ("3x3-w2", (2, 3, 4, 2), 1, (3, 3), dict(padding=1)),
    ("3x3-valid", (1, 7, 6, 5), 1, (3, 3), dict(padding="valid")),
    ("3x3-full", (1, 2, 5, 7), 1, (3, 3), dict(padding="full")),
    ("3x3-asym", (2, 4, 11, 33), 1, (3, 3), dict(padding=((2, 0), (0, 3)))),
    ("3x3-bigpad", (1, 3, 4, 6), 1, (3, 3), dict(padding=((4, 5), (6, 2)))),
    ("3x3-s2", (2, 6, 15, 31), 1, (3, 3), dict(stride=2, padding=1)),
    ("3x3-s23", (1, 5, 16, 35), 1, (3, 3), dict(stride=(2, 3), padding=((1, 0), (2, 1)))),
    ("3x3-d2", (2, 4, 13, 19), 1, (3, 3), dict(padding=2, dilation=2)),
    ("3x3-d2s2", (1, 3, 14, 23), 1, (3, 3), dict(stride=2, padding=2, dilation=(2, 3))),
    ("5x5-m2", (2, 3, 12, 17), 2, (5, 5), dict(padding=2)),
    ("3x5-m3", (1, 4, 10, 9), 3, (3, 5), dict(padding=((1, 1), (2, 2)))),
    ("7x7-m4-s2", (1, 2, 23, 29), 4, (7, 7), dict(stride=2, padding=3)),
    ("4x4-even", (2, 3, 9, 10), 1, (4, 4), dict(padding=((1, 2), (2, 1)))),
    ("1x1", (2, 9, 5, 33), 1, (1, 1), dict()),
    ("m5-fallback", (1, 3, 8, 9), 5, (3, 3), dict(padding=1)),
    ("c17-w65", (1, 17, 3, 65), 1, (3, 3), dict(padding=1)),
    # the register-blocked 3x3 bodies: row blocks of 6 / 4 with 2- and 1-row remainders, column steps
    # of 1..4 vectors with partial last vectors, and the shortest planes (2 dy rows; 1 row falls back)
    ("3x3-tall-w40", (2, 3, 13, 40), 1, (3, 3), dict(padding=1)),
    ("3x3-h9-w70", (1, 2, 9, 70), 1, (3, 3), dict(padding=1)),
    ("3x3-h8-w23", (1, 3, 8, 23), 1, (3, 3), dict(padding=1)),
    ("3x3-oh2", (1, 2, 4, 21), 1, (3, 3), dict(padding="valid")),
    ("3x3-oh1", (1, 2, 3, 9), 1, (3, 3), dict(padding="valid")),
    ("reflect", (2, 4, 9, 10), 1, (3, 3), dict(padding=1, padding_mode="reflect")),
    ("replicate", (1, 3, 7, 8), 2, (3, 3), dict(padding=(2, 1), padding_mode="replicate")),
    ("circular", (1, 3, 7, 8), 1, (3, 3), dict(padding=1, padding_mode="circular")),
    ("same-d3", (1, 4, 11, 13), 1, (3, 3), dict(padding="same", dilation=3)),
    ("1d-k3", (3, 6, 50), 1, (3,), dict(padding=1)),
    ("1d-k7-s2-m2", (2, 5, 47), 2, (7,), dict(stride=2, padding=3)),
    ("1d-w1", (2, 3, 1), 1, (5,), dict(padding=2)),
    ("3d-fallback", (1, 3, 4, 5, 6), 1, (3, 3, 3), dict(padding=1)),
]


def _problem(case, dtype, seed=0):
    _, x_shape, mult, kernel, kw = case
    c = x_shape[1]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((c * mult, 1) + kernel).astype(dtype)
    b = rng.standard_normal(c * mult).astype(dtype)
    kw = dict(kw, groups=c)
    return x, w, b, kw


def _oracle_all(x, w, b, dy, kw):
    mode = kw.get("padding_mode", "zeros")
    if mode == "zeros" and not isinstance(kw.get("padding", 0), str):
        plain = {k: v for k, v in kw.items() if k != "padding_mode"}
        return (oracle.conv_forward(x, w, b, **plain), oracle.conv_backward_input(dy, w, x.shape, **plain),
                oracle.conv_backward_weight(dy, x, w.shape, **plain))
    y = oracle.conv_forward_mode(x, w, b, **kw)
    dx, dw, _ = oracle.conv_backward_mode(dy, x, w, **kw)
    return y, dx, dw


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_depthwise_matches_oracle(case, dtype, isa, isa_cap):
    isa_cap(isa)
    x, w, b, kw = _problem(case, dtype)
    nd = x.ndim - 2
    fwd, bwd = conv_functions(nd)
    y = fwd(x, w, b, algorithm="direct", **kw)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    y_ref, dx_ref, dw_ref = _oracle_all(x, w, b, dy, kw)
    kvol = int(np.prod(w.shape[2:]))
    mult = w.shape[0] // x.shape[1]
    assert_close(y, y_ref, dtype, kvol, what=f"{case[0]} y")
    dx, dw, db = bwd(dy, x, w, algorithm="direct", **kw)
    assert_close(dx, dx_ref, dtype, mult * kvol, what=f"{case[0]} dx")
    assert_close(dw, dw_ref, dtype, dy.shape[0] * int(np.prod(dy.shape[2:])), what=f"{case[0]} dw")
    assert_close(db, dy.sum(axis=tuple(i for i in range(dy.ndim) if i != 1), dtype=np.float64), dtype,
                 dy.size // dy.shape[1], what=f"{case[0]} db")
    # the separate entry points give the same arrays as the combined backward
    dx1 = getattr(cnnkern, f"conv{nd}d_backward_input")(dy, w, x.shape, algorithm="direct", **kw)
    dw1 = getattr(cnnkern, f"conv{nd}d_backward_weight")(dy, x, w.shape, algorithm="direct", **kw)
    np.testing.assert_array_equal(dx1, dx)
    np.testing.assert_array_equal(dw1, dw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [c for c in CASES if "padding_mode" not in c[4]], ids=lambda c: c[0])
def test_depthwise_adjoint_identity(case, dtype):
    """<conv(x, w), dy> = <x, dx(dy, w)> = <w, dw(dy, x)> (the convolution is bilinear; no bias)."""
    x, w, _, kw = _problem(case, dtype, seed=3)
    nd = x.ndim - 2
    y = getattr(cnnkern, f"conv{nd}d_forward")(x, w, None, algorithm="direct", **kw)
    dy = np.random.default_rng(4).standard_normal(y.shape).astype(dtype)
    dx, dw, _ = getattr(cnnkern, f"conv{nd}d_backward")(dy, x, w, algorithm="direct", bias=False, **kw)
    lhs = float(np.vdot(y.astype(np.float64), dy))
    scale = float(np.abs(y).astype(np.float64).ravel() @ np.abs(dy).astype(np.float64).ravel()) + 1.0
    tol = 64 * np.finfo(dtype).eps * scale
    assert abs(lhs - float(np.vdot(x.astype(np.float64), dx))) <= tol
    assert abs(lhs - float(np.vdot(w.astype(np.float64), dw))) <= tol


THREAD_CASES = [
    ("dw3x3", (3, 20, 41, 37), 1, (3, 3), dict(padding=1)),
    ("dw3x3-s2-m2", (2, 12, 40, 45), 2, (3, 3), dict(stride=2, padding=1)),
    ("dw5x5-d2", (1, 24, 33, 30), 1, (5, 5), dict(padding=4, dilation=2)),
    ("dw1d", (4, 16, 3001), 1, (3,), dict(padding=1)),
]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", THREAD_CASES, ids=lambda c: c[0])
def test_depthwise_bitwise_identical_for_1_and_2_threads(case, dtype, isa, isa_cap):
    isa_cap(isa)
    x, w, b, kw = _problem(case, dtype, seed=5)
    nd = x.ndim - 2
    fwd, bwd = conv_functions(nd)
    dy = None
    res = {}
    for nt in (1, 2):
        with cnnkern.num_threads(nt):
            y = fwd(x, w, b, algorithm="direct", **kw)
            if dy is None:
                dy = np.random.default_rng(6).standard_normal(y.shape).astype(dtype)
            res[nt] = (y,) + tuple(bwd(dy, x, w, algorithm="direct", **kw))
    for a, b_ in zip(res[1], res[2]):
        np.testing.assert_array_equal(a, b_)
    y_ref = oracle.conv_forward(x, w, b, **kw)
    assert_close(res[1][0], y_ref, dtype, int(np.prod(w.shape[2:])), what="y")


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cg", [2, 3, 4, 5])
def test_one_output_per_group_forward(cg, dtype, isa, isa_cap):
    """Groups with 2-4 input channels and one output channel take the depthwise forward body too."""
    isa_cap(isa)
    rng = np.random.default_rng(cg)
    g = 3
    x = rng.standard_normal((2, g * cg, 9, 21)).astype(dtype)
    w = rng.standard_normal((g, cg, 3, 5)).astype(dtype)
    b = rng.standard_normal(g).astype(dtype)
    kw = dict(stride=(1, 2), padding=((1, 0), (2, 2)), dilation=(2, 1), groups=g)
    y = cnnkern.conv2d_forward(x, w, b, algorithm="direct", **kw)
    assert_close(y, oracle.conv_forward(x, w, b, **kw), dtype, cg * 15, what="y")


@pytest.mark.parametrize("isa", ISAS)
def test_depthwise_weight_gradient_keeps_inf_out_of_taps_that_never_see_it(isa, isa_cap):
    """An inf in input row 0 of a 'valid' 3x3 reaches only the kh = 0 taps of its channel: the others
    stay finite and equal to the gradient of the same input with a zero there."""
    isa_cap(isa)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 7, 37)).astype(np.float32)
    x0 = x.copy()
    x0[1, 2, 0, 5] = 0
    x[1, 2, 0, 5] = np.inf
    w_shape = (3, 1, 3, 3)
    dy = rng.standard_normal((2, 3, 5, 35)).astype(np.float32)
    kw = dict(padding="valid", groups=3, algorithm="direct")
    dw = cnnkern.conv2d_backward_weight(dy, x, w_shape, **kw)
    dw0 = cnnkern.conv2d_backward_weight(dy, x0, w_shape, **kw)
    assert not np.isfinite(dw[2, 0, 0]).all()
    np.testing.assert_array_equal(dw[:, :, 1:], dw0[:, :, 1:])
    np.testing.assert_array_equal(dw[:2], dw0[:2])


# The weight gradient and the fused backward hand out blocks of consecutive groups (up to 8, at least 4
# tasks per thread): 36 and 37 groups give blocks of 8 with a shorter last block on 1 thread and of 4
# (one group left over at 37) on 2 threads; 5 groups one group per task.
GROUP_BLOCK_CASES = [
    ("c36", (2, 36, 9, 11), 1, (3, 3), dict(padding=1)),
    ("c37-m2", (2, 37, 8, 10), 2, (3, 3), dict(padding=1)),
    ("c37-5x5-s2", (2, 37, 11, 12), 1, (5, 5), dict(stride=2, padding=2)),
    ("c5", (3, 5, 7, 9), 1, (3, 3), dict(padding=1)),
]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", GROUP_BLOCK_CASES, ids=lambda c: c[0])
def test_depthwise_backward_group_blocks(case, dtype, isa, isa_cap, monkeypatch):
    """dx, dw and db on 1 and 2 threads (different group blocks): bitwise the same, the fused pass equal
    to the separate ones, and oracle-close."""
    monkeypatch.setattr(cnnkern._execute, "SERIAL_FLOPS", 0)  # these small calls would otherwise run serially
    isa_cap(isa)
    x, w, b, kw = _problem(case, dtype, seed=11)
    y = cnnkern.conv2d_forward(x, w, b, algorithm="direct", **kw)
    dy = np.random.default_rng(12).standard_normal(y.shape).astype(dtype)
    res = {}
    for nt in (1, 2):
        with cnnkern.num_threads(nt):
            dx, dw, db = cnnkern.conv2d_backward(dy, x, w, algorithm="direct", **kw)
            dw1 = cnnkern.conv2d_backward_weight(dy, x, w.shape, algorithm="direct", **kw)
            dx1 = cnnkern.conv2d_backward_input(dy, w, x.shape, algorithm="direct", **kw)
        res[nt] = (dx, dw, db, dw1, dx1)
        np.testing.assert_array_equal(dw, dw1)
        np.testing.assert_array_equal(dx, dx1)
    for a, b_ in zip(res[1], res[2]):
        np.testing.assert_array_equal(a, b_)
    _, dx_ref, dw_ref = _oracle_all(x, w, b, dy, kw)
    kvol = int(np.prod(w.shape[2:]))
    assert_close(res[1][0], dx_ref, dtype, (w.shape[0] // x.shape[1]) * kvol, what=f"{case[0]} dx")
    assert_close(res[1][1], dw_ref, dtype, dy.shape[0] * int(np.prod(dy.shape[2:])), what=f"{case[0]} dw")
    assert_close(res[1][2], oracle.conv_backward_bias(dy), dtype, dy.shape[0] * int(np.prod(dy.shape[2:])),
                 what=f"{case[0]} db")


# At unit stride with >= 4 groups per thread, conv*_backward computes dx, dw and db in one pass over dy
# (the direct row's fused backward, ck_conv_bwd__depthwise_*); it must give the separate passes' bits.
FUSED_CASES = [(name, (xs[0], 8 * xs[1]) + xs[2:], m, k, kw) for name, xs, m, k, kw in CASES
               if "stride" not in kw and name not in ("m5-fallback", "3d-fallback")]


def _spy_fused(monkeypatch):
    from cnnkern import _execute
    ran = []
    real = _execute.run_backward

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        ran.append(out is not None)
        return out
    monkeypatch.setattr(_execute, "run_backward", spy)
    return ran


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", FUSED_CASES, ids=lambda c: c[0])
def test_fused_backward_is_the_separate_passes(case, dtype, isa, isa_cap, monkeypatch):
    isa_cap(isa)
    ran = _spy_fused(monkeypatch)
    x, w, b, kw = _problem(case, dtype, seed=8)
    nd = x.ndim - 2
    fwd, bwd = conv_functions(nd)
    y = fwd(x, w, b, algorithm="direct", **kw)
    dy = np.random.default_rng(9).standard_normal(y.shape).astype(dtype)
    with cnnkern.num_threads(2):
        dx, dw, db = bwd(dy, x, w, algorithm="direct", **kw)
        dx_nb, dw_nb, db_nb = bwd(dy, x, w, algorithm="direct", bias=False, **kw)
    assert ran == [True, True], "the fused backward declined a problem it should take"
    dx1 = getattr(cnnkern, f"conv{nd}d_backward_input")(dy, w, x.shape, algorithm="direct", **kw)
    dw1 = getattr(cnnkern, f"conv{nd}d_backward_weight")(dy, x, w.shape, algorithm="direct", **kw)
    db1 = bwd(dy, x, w, algorithm="im2col", **kw)[2]  # the shared bias-gradient pass
    for got, want in ((dx, dx1), (dw, dw1), (db, db1), (dx_nb, dx1), (dw_nb, dw1)):
        np.testing.assert_array_equal(got, want)
    assert db_nb is None
    _, dx_ref, dw_ref = _oracle_all(x, w, b, dy, kw)
    kvol = int(np.prod(w.shape[2:]))
    assert_close(dx, dx_ref, dtype, (w.shape[0] // x.shape[1]) * kvol, what=f"{case[0]} dx")
    assert_close(dw, dw_ref, dtype, dy.shape[0] * int(np.prod(dy.shape[2:])), what=f"{case[0]} dw")


@pytest.mark.parametrize("flip", [False, True])
def test_fused_backward_through_conv_plan(flip, monkeypatch):
    """ConvPlan.backward takes the fused pass too (flip: the kernel is flipped in and dw flipped back)."""
    ran = _spy_fused(monkeypatch)
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 16, 12, 19)).astype(np.float32)
    w = rng.standard_normal((32, 1, 3, 5)).astype(np.float32)
    kw = dict(padding=(1, 2), groups=16, flip=flip)
    plan = cnnkern.ConvPlan(w, x.shape, algorithm="direct", **kw)
    dy = rng.standard_normal(plan.forward(x).shape).astype(np.float32)
    with cnnkern.num_threads(2):
        got = plan.backward(dy, x)
        want = cnnkern.conv2d_backward(dy, x, w, algorithm="direct", **kw)
    assert ran == [True, True]
    np.testing.assert_array_equal(got[0], plan.backward_input(dy))
    np.testing.assert_array_equal(got[1], plan.backward_weight(dy, x))
    for a, b_ in zip(got, want):
        np.testing.assert_array_equal(a, b_)


def test_fused_backward_declines_too_few_groups_and_strides(monkeypatch):
    """Fewer than 4 groups per thread, or a stride: the separate passes run (same results). The
    problems are above the flop count that runs on one thread."""
    ran = _spy_fused(monkeypatch)
    rng = np.random.default_rng(11)
    for c, stride in ((4, 1), (16, 2)):
        x = rng.standard_normal((4, c, 64, 65)).astype(np.float64)
        w = rng.standard_normal((c, 1, 3, 3)).astype(np.float64)
        kw = dict(padding=1, stride=stride, groups=c)
        dy = rng.standard_normal(cnnkern.conv2d_forward(x, w, **kw).shape)
        with cnnkern.num_threads(2):
            dx, dw, _ = cnnkern.conv2d_backward(dy, x, w, algorithm="direct", **kw)
        assert_close(dx, oracle.conv_backward_input(dy, w, x.shape, **kw), np.float64, 9, what="dx")
        assert_close(dw, oracle.conv_backward_weight(dy, x, w.shape, **kw), np.float64, dy[:, 0].size, what="dw")
    assert ran == [False, False]


def test_depthwise_batch_zero():
    x = np.zeros((0, 4, 6, 6), np.float32)
    w = np.ones((4, 1, 3, 3), np.float32)
    y = cnnkern.conv2d_forward(x, w, None, padding=1, groups=4, algorithm="direct")
    assert y.shape == (0, 4, 6, 6)
    dx, dw, db = cnnkern.conv2d_backward(y, x, w, padding=1, groups=4, algorithm="direct")
    assert dx.shape == x.shape and dw.shape == w.shape and not dw.any() and not db.any()


# The 3x3 unit-stride forward reads the input planes in place on AVX2 in float32 (fwd3u; float64 and
# the other ISAs pack, under the same tests): a row-end vector loads across the row's ends and zeroes
# the lanes outside the image, rows outside the image read a zero row, and the tensor's first and last
# planes (and planes shorter than the loads' reach) stay on the packed path. Widths around the vector
# and column-step sizes, each padding side.
UNPACKED_WIDTHS = [3, 7, 8, 9, 10, 15, 16, 17, 23, 31, 32, 33, 34, 40, 56, 57, 65]
UNPACKED_PADS = [((1, 1), (1, 1)), ((0, 0), (0, 0)), ((0, 2), (3, 0)), ((2, 1), (0, 5)), ((1, 0), (9, 8))]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pad", UNPACKED_PADS, ids=str)
def test_depthwise_3x3_unpacked_edges(pad, dtype, isa, isa_cap):
    isa_cap(isa)
    rng = np.random.default_rng(11)
    for width in UNPACKED_WIDTHS:
        x = rng.standard_normal((2, 3, 5, width)).astype(dtype)
        w = rng.standard_normal((3, 1, 3, 3)).astype(dtype)
        b = rng.standard_normal(3).astype(dtype)
        kw = dict(padding=pad, groups=3)
        if width + sum(pad[1]) < 3:
            continue
        y = cnnkern.conv2d_forward(x, w, b, algorithm="direct", **kw)
        assert_close(y, oracle.conv_forward(x, w, b, **kw), dtype, 9, what=f"width {width} y")


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_3x3_unpacked_keeps_neighbour_planes_out(dtype, isa, isa_cap):
    """The row-end loads also read the neighbouring planes' elements; NaN there must not leak into
    a plane's output (the lanes are zeroed, not multiplied by zero)."""
    isa_cap(isa)
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 4, 6, 21)).astype(dtype)
    w = rng.standard_normal((4, 1, 3, 3)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    kw = dict(padding=((1, 1), (2, 3)), groups=4)
    clean = cnnkern.conv2d_forward(x, w, b, algorithm="direct", **kw)
    x[0, 0] = np.nan
    x[0, 2] = np.nan
    x[1, 1] = np.nan
    y = cnnkern.conv2d_forward(x, w, b, algorithm="direct", **kw)
    np.testing.assert_array_equal(y[0, 1], clean[0, 1])
    np.testing.assert_array_equal(y[0, 3], clean[0, 3])
    np.testing.assert_array_equal(y[1, 0], clean[1, 0])
    np.testing.assert_array_equal(y[1, 2:], clean[1, 2:])
    # the NaN planes' own outputs: NaN wherever the window meets the image (the last column sees padding only)
    for n, c in ((0, 0), (0, 2), (1, 1)):
        assert np.isnan(y[n, c, :, :-1]).all() and not np.isnan(y[n, c, :, -1]).any()


@pytest.mark.parametrize("isa", ISAS)
def test_depthwise_3x3_unpacked_inf_weight_meets_padding_as_the_oracle(isa, isa_cap):
    """An infinite weight times the zero padding is NaN, in the oracle as in every plane here."""
    isa_cap(isa)
    rng = np.random.default_rng(13)
    x = rng.standard_normal((1, 5, 6, 19)).astype(np.float32)
    w = rng.standard_normal((5, 1, 3, 3)).astype(np.float32)
    w[:, 0, 0, 0] = np.inf
    kw = dict(padding=1, groups=5)
    y = cnnkern.conv2d_forward(x, w, None, algorithm="direct", **kw)
    y_ref = oracle.conv_forward(x, w, None, **kw)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(y_ref))
    finite = np.isfinite(y_ref)
    np.testing.assert_allclose(y[finite], y_ref[finite], rtol=1e-4, atol=1e-4)
