"""Algorithm "winograd" (F(4x4, 3x3) and F(2x2, 5x5), csrc/conv/winograd/) against the NumPy oracle.

The shared suites (test_conv_forward.py, test_conv_backward.py, test_isa_dispatch.py, ...) run it
through cnnkern.algorithms() already; here, for the forward, the input gradient and the weight
gradient: tile edges, every padding kind, groups, channel counts around the SIMD widths, batch 0, each
ISA, 1 vs 2 threads bit for bit, the adjoint identities, the declined cases and their reasons,
ConvPlan's transformed kernel, the workspace bound, the weight gradient's blocked paths (channels,
chunks, tile blocks), and the float32 / float64 accuracy bounds on a layer-sized case.
"""
import numpy as np
import pytest

import cnnkern
from cnnkern import _choose, _conv_ext
from cnnkern._params import make_conv_params

import oracle

pytestmark = pytest.mark.skipif("winograd" not in cnnkern.algorithms(), reason="winograd not built")

ISAS = ("generic", "avx2", "avx512")
CPU_ISA = _conv_ext.runtime_info()["isa"]
FACTOR = 64.0  # Winograd's own error on top of the sum tolerance (measured errors are ~10x below)


@pytest.fixture
def isa(request):
    name = request.param
    if ISAS.index(name) > ISAS.index(CPU_ISA):
        pytest.skip(f"this CPU (or CNNKERN_ISA) runs {CPU_ISA}, not {name}")
    _conv_ext.set_isa_cap(name)
    yield name
    _conv_ext.set_isa_cap(CPU_ISA)


KERNELS = (3, 5)  # F(4x4, 3x3) and F(2x2, 5x5)


def _spelled_out(padding, k):
    """A padding string for a k x k kernel at stride 1, spelled out for the oracle."""
    if isinstance(padding, str):
        return {"same": k // 2, "valid": 0, "full": k - 1}[padding]
    return padding


def _fits_one_pixel(padding, k):
    """Does a 1x1 image with this padding give an output for a k x k kernel?"""
    try:
        cnnkern.conv2d_forward(np.zeros((1, 1, 1, 1)), np.zeros((1, 1, k, k)), padding=padding, algorithm="direct")
    except ValueError:
        return False
    return True


def _check(x_shape, w_shape, dtype, padding, groups=1, seed=0, bias=True):
    rng = np.random.default_rng(seed)
    okw = dict(padding=_spelled_out(padding, w_shape[-1]), groups=groups)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype) if bias else None
    kw = dict(padding=padding, groups=groups)
    y_ref = oracle.conv_forward(x, w, b, **okw) if x_shape[0] else None
    y = cnnkern.conv2d_forward(x, w, b, algorithm="winograd", **kw)
    if x_shape[0] == 0:
        y_shape = cnnkern.conv2d_forward(np.zeros((1,) + x_shape[1:], dtype),
                                         w, b, algorithm="direct", **kw).shape[1:]
        assert y.shape == (0,) + y_shape
        dx = cnnkern.conv2d_backward_input(np.zeros(y.shape, dtype), w, x_shape, algorithm="winograd", **kw)
        assert dx.shape == x_shape and dx.dtype == dtype
        dw = cnnkern.conv2d_backward_weight(np.zeros(y.shape, dtype), x, w_shape, algorithm="winograd", **kw)
        assert dw.shape == w_shape and dw.dtype == dtype and not dw.any()
        return
    lf, lbi, lbw = oracle.reduction_lengths(x.shape, w.shape, y_ref.shape, groups)
    oracle.assert_close(y, y_ref, dtype, lf, FACTOR, what="winograd forward")
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    dx = cnnkern.conv2d_backward_input(dy, w, x.shape, algorithm="winograd", **kw)
    dx_ref = oracle.conv_backward_input(dy, w, x.shape, **okw)
    oracle.assert_close(dx, dx_ref, dtype, lbi, FACTOR, what="winograd backward-input")
    # the adjoint identity <conv(x, w), dy> = <x, dx> with both sides from winograd
    y0 = cnnkern.conv2d_forward(x, w, None, algorithm="winograd", **kw).astype(np.float64)
    lhs, rhs = float(np.vdot(y0, dy)), float(np.vdot(x.astype(np.float64), dx))
    scale = float(np.abs(y0).sum() * np.abs(dy).max() + 1e-300)
    assert abs(lhs - rhs) <= oracle.tolerance(dtype, lf, FACTOR) * scale
    # the weight gradient, and its adjoint identity <conv(x, w), dy> = <w, dw>
    dw = cnnkern.conv2d_backward_weight(dy, x, w.shape, algorithm="winograd", **kw)
    dw_ref = oracle.conv_backward_weight(dy, x, w.shape, **okw)
    oracle.assert_close(dw, dw_ref, dtype, lbw, FACTOR, what="winograd backward-weight")
    rhs_w = float(np.vdot(w.astype(np.float64), dw))
    assert abs(lhs - rhs_w) <= oracle.tolerance(dtype, lbw, FACTOR) * scale


@pytest.mark.parametrize("k", KERNELS)
def test_reference_tile_is_a_correlation(k):
    """The plain reference of the transforms (the matrices of winograd_internal.h) in double:
    F(4x4, 3x3) for k = 3, F(2x2, 5x5) for k = 5."""
    rng = np.random.default_rng(1)
    m = 7 - k
    for _ in range(5):
        d, g = rng.standard_normal(36), rng.standard_normal(k * k)
        y = _conv_ext.winograd_reference_tile(d, g)
        D, G = d.reshape(6, 6), g.reshape(k, k)
        ref = np.array([[np.sum(D[i:i + k, j:j + k] * G) for j in range(m)] for i in range(m)])
        assert y.shape == (m, m)
        np.testing.assert_allclose(y, ref, rtol=0, atol=1e-13 * np.abs(ref).max())


# sizes that are not multiples of the 4x4 or 2x2 output tile, smaller than a tile, and 1x1 images
SIZES = [(1, 1), (2, 3), (4, 4), (5, 7), (8, 9), (13, 6), (17, 17)]


@pytest.mark.parametrize("isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("hw", SIZES, ids=[f"{h}x{w}" for h, w in SIZES])
@pytest.mark.parametrize("k", KERNELS)
def test_tile_edges(isa, dtype, hw, k):
    h, w = hw
    _check((2, 5, h, w), (6, 5, k, k), dtype, padding=k // 2, seed=h * 31 + w)
    if h >= k and w >= k:
        _check((1, 3, h, w), (4, 3, k, k), dtype, padding=0, seed=h + w)


PADDINGS = [0, 1, 2, "same", "valid", "full", ((2, 0), (1, 3)), ((0, 4), (3, 0)), (4, 5)]


@pytest.mark.parametrize("isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("padding", PADDINGS, ids=[str(p) for p in PADDINGS])
@pytest.mark.parametrize("k", KERNELS)
def test_every_padding(isa, dtype, padding, k):
    _check((2, 4, 9, 6), (5, 4, k, k), dtype, padding=padding, seed=7)
    _check((1, 2, 1, 1), (3, 2, k, k), dtype, padding=padding if _fits_one_pixel(padding, k) else k // 2, seed=8)


# (C_in, C_out, groups): channel counts around 4/8/16 lanes, grouped and depthwise
CHANNELS = [(1, 1, 1), (3, 5, 1), (7, 9, 1), (8, 8, 1), (16, 16, 1), (17, 15, 1), (33, 31, 1),
            (6, 4, 2), (12, 18, 3), (8, 8, 8), (16, 32, 16), (20, 20, 4)]


@pytest.mark.parametrize("isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("ch", CHANNELS, ids=[f"{c}-{k}-g{g}" for c, k, g in CHANNELS])
@pytest.mark.parametrize("r", KERNELS)
def test_channels_and_groups(isa, dtype, ch, r):
    c, k, g = ch
    _check((2, c, 10, 7), (k, c // g, r, r), dtype, padding=r // 2, groups=g, seed=c * 100 + k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("k", KERNELS)
def test_batch_zero_and_no_bias(dtype, k):
    _check((0, 4, 6, 6), (3, 4, k, k), dtype, padding=k // 2)
    _check((3, 4, 6, 6), (3, 4, k, k), dtype, padding=k // 2, bias=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape", [(3, 16, 40, 37), (2, 24, 7, 7), (2, 40, 5, 5)],
                         ids=["many-blocks", "few-blocks", "one-tile-per-image"])
@pytest.mark.parametrize("k", KERNELS)
def test_one_and_two_threads_bitwise(dtype, shape, k):
    """Blocks and sums never depend on the thread count (per-thread blocks or the shared-block path)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((shape[1] + 3, shape[1], k, k)).astype(dtype)
    b = rng.standard_normal(shape[1] + 3).astype(dtype)
    out = {}
    for t in (1, 2):
        with cnnkern.num_threads(t):
            y = cnnkern.conv2d_forward(x, w, b, padding=k // 2, algorithm="winograd")
            dx = cnnkern.conv2d_backward_input(y, w, x.shape, padding=k // 2, algorithm="winograd")
            dw = cnnkern.conv2d_backward_weight(y, x, w.shape, padding=k // 2, algorithm="winograd")
        out[t] = (y, dx, dw)
    for a, b2 in zip(out[1], out[2]):
        assert np.array_equal(a, b2)


def test_small_workspace_limit_chunks_the_batch():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 8, 12, 11)).astype(np.float32)
    w = rng.standard_normal((6, 8, 3, 3)).astype(np.float32)
    y_ref = oracle.conv_forward(x, w, padding=1)
    old = cnnkern.get_workspace_limit()
    try:
        cnnkern.set_workspace_limit(1)  # one image per chunk: the floor
        y = cnnkern.conv2d_forward(x, w, padding=1, algorithm="winograd")
    finally:
        cnnkern.set_workspace_limit(old)
    oracle.assert_close(y, y_ref, np.float32, 72, FACTOR)


def test_workspace_formula_bounds_the_peak():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 16, 20, 20)).astype(np.float32)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    dy = np.ones((2, 8, 20, 20), np.float32)
    p = make_conv_params(2, x.shape, w.shape, padding=1)
    for direction, fn in ((0, lambda: cnnkern.conv2d_forward(x, w, padding=1, algorithm="winograd")),
                          (1, lambda: cnnkern.conv2d_backward_input(dy, w, x.shape, padding=1, algorithm="winograd")),
                          (2, lambda: cnnkern.conv2d_backward_weight(dy, x, w.shape, padding=1,
                                                                     algorithm="winograd"))):
        with cnnkern.num_threads(2):
            before = _conv_ext.workspace_bytes()[0]
            _conv_ext.workspace_reset_peak()
            fn()
            current, peak = _conv_ext.workspace_bytes()
            formula = _conv_ext.winograd_workspace(p.as_c_tuple(), direction, 4, 2)
        assert current == before
        assert 0 < peak - before <= formula


@pytest.mark.parametrize("dtype,bound", [(np.float32, 1e-5), (np.float64, 1e-12)], ids=["f32", "f64"])
@pytest.mark.parametrize("layer", [((1, 256, 14, 14), (64, 256, 3, 3), 1), ((1, 64, 27, 27), (192, 64, 5, 5), 2)],
                         ids=["r50_3x3_14", "alex_conv2"])
def test_accuracy_bound_on_a_layer(dtype, bound, layer):
    """Item 2's bound: max error relative to the largest output, N(0,1) data (r50_3x3_14 channels for
    F(4x4, 3x3), alex_conv2 for F(2x2, 5x5)), forward and both gradients."""
    xs, ws, pad = layer
    rng = np.random.default_rng(6)
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    y_ref = oracle.conv_forward(x, w, padding=pad)
    y = cnnkern.conv2d_forward(x.astype(dtype), w.astype(dtype), padding=pad, algorithm="winograd")
    assert np.abs(y - y_ref).max() / np.abs(y_ref).max() <= bound
    dy = rng.standard_normal(y_ref.shape)
    dx_ref = oracle.conv_backward_input(dy, w, xs, padding=pad)
    dx = cnnkern.conv2d_backward_input(dy.astype(dtype), w.astype(dtype), xs, padding=pad, algorithm="winograd")
    assert np.abs(dx - dx_ref).max() / np.abs(dx_ref).max() <= bound
    dw_ref = oracle.conv_backward_weight(dy, x, w.shape, padding=pad)
    dw = cnnkern.conv2d_backward_weight(dy.astype(dtype), x.astype(dtype), w.shape, padding=pad, algorithm="winograd")
    assert np.abs(dw - dw_ref).max() / np.abs(dw_ref).max() <= bound


@pytest.mark.parametrize("case,needle", [
    (dict(x=(1, 2, 8, 8), w=(3, 2, 7, 7), kw={}), "3x3 and 5x5"),
    (dict(x=(1, 2, 8, 8), w=(3, 2, 3, 5), kw={}), "3x3 and 5x5"),
    (dict(x=(1, 2, 8, 8), w=(3, 2, 5, 5), kw=dict(stride=2)), "stride 1"),
    (dict(x=(1, 2, 8, 8), w=(3, 2, 3, 3), kw=dict(stride=2)), "stride 1"),
    (dict(x=(1, 2, 8, 8), w=(3, 2, 3, 3), kw=dict(dilation=2)), "dilation 1"),
    (dict(x=(1, 2, 8), w=(3, 2, 3), kw={}), "2-D"),
    (dict(x=(1, 2, 5, 5, 5), w=(3, 2, 3, 3, 3), kw={}), "2-D"),
])
def test_declined_configurations_say_why(case, needle):
    nd = len(case["x"]) - 2
    x, w = np.ones(case["x"], np.float32), np.ones(case["w"], np.float32)
    with pytest.raises(NotImplementedError, match=needle):
        getattr(cnnkern, f"conv{nd}d_forward")(x, w, algorithm="winograd", **case["kw"])
    assert "winograd" not in _choose.supported_algorithms(
        make_conv_params(nd, x.shape, w.shape, **case["kw"]), "forward")


def test_auto_skips_layers_whose_kernel_transform_dominates():
    """A large U on many tiles of few channels' blocks is left out; r50_3x3_7 (U made per block of
    output channels in cache, _winograd_kblocked) is in; explicit calls run either."""
    p = make_conv_params(2, (8, 512, 7, 7), (512, 512, 3, 3), padding=1)
    assert "winograd" in _choose.supported_algorithms(p, "forward")
    assert "winograd" in _choose.supported_algorithms(p, "backward_input")
    p = make_conv_params(2, (8, 64, 56, 56), (64, 64, 3, 3), padding=1)
    assert "winograd" in _choose.supported_algorithms(p, "forward")
    # 24 output channels: too few to block, U 36 x 4096 x 24 is 12x the tiles' data
    p = make_conv_params(2, (1, 4096, 4, 4), (24, 4096, 3, 3), padding=1)
    assert "winograd" not in _choose.supported_algorithms(p, "forward")
    x = np.ones((1, 64, 2, 2), np.float32)
    w = np.ones((64, 64, 3, 3), np.float32)
    y = cnnkern.conv2d_forward(x, w, padding=1, algorithm="winograd")
    np.testing.assert_allclose(y, oracle.conv_forward(x, w, padding=1), rtol=1e-5)


# Shapes on the output-channel-blocked path of plain calls (wino_kblocked in conv_winograd.c: U of a
# group >= 2 MiB, >= 32 output channels, few tiles): channel counts off the SIMD widths and off the
# 16-channel block, tile edges (5, 7, 9 pixels), groups.
KBLOCKED = [((2, 130, 9, 9), (123, 130, 3, 3), 1, 1), ((1, 128, 7, 5), (136, 128, 3, 3), (0, 2), 1),
            ((3, 260, 5, 7), (246, 130, 3, 3), "same", 2), ((2, 130, 9, 9), (123, 130, 5, 5), 2, 1),
            ((1, 128, 7, 6), (136, 128, 5, 5), ((1, 3), (4, 0)), 1)]


def _is_kblocked(p, direction, elem):
    """The path is taken when the workspace holds less than the whole transformed kernel."""
    u_bytes = _conv_ext.winograd_weight_elems(p.c_geom) * elem
    return _conv_ext.winograd_workspace(p.as_c_tuple(), direction, elem, 2) < u_bytes


@pytest.mark.parametrize("isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", KBLOCKED, ids=["odd-channels", "asymmetric-pad", "groups", "5x5", "5x5-asymmetric-pad"])
def test_output_channel_blocked_path(isa, dtype, case):
    xs, ws, padding, groups = case
    p = make_conv_params(2, xs, ws, padding=_spelled_out(padding, ws[-1]), groups=groups)
    elem = np.dtype(dtype).itemsize
    assert _is_kblocked(p, 0, elem) and _is_kblocked(p, 1, elem)
    _check(xs, ws, dtype, padding=padding, groups=groups)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("k", KERNELS)
def test_output_channel_blocked_path_threads_plan_workspace(dtype, k):
    """1 vs 2 threads bit for bit, the plan (whole U kept, read per block) equal to the plain call,
    and the workspace figure equal to the allocator's peak, on the blocked path."""
    xs, ws = (2, 130, 9, 9), (123, 130, k, k)
    rng = np.random.default_rng(8)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype)
    dy = rng.standard_normal((2, 123, 9, 9)).astype(dtype)
    out = {}
    for t in (1, 2):
        with cnnkern.num_threads(t):
            out[t] = (cnnkern.conv2d_forward(x, w, b, padding=k // 2, algorithm="winograd"),
                      cnnkern.conv2d_backward_input(dy, w, xs, padding=k // 2, algorithm="winograd"))
    assert np.array_equal(out[1][0], out[2][0]) and np.array_equal(out[1][1], out[2][1])
    plan = cnnkern.ConvPlan(w, xs, padding=k // 2, algorithm="winograd")
    assert np.array_equal(plan.forward(x, b), out[1][0])
    assert np.array_equal(plan.backward_input(dy), out[1][1])
    p = make_conv_params(2, xs, ws, padding=k // 2)
    elem = np.dtype(dtype).itemsize
    for direction, fn in ((0, lambda: cnnkern.conv2d_forward(x, w, b, padding=k // 2, algorithm="winograd")),
                          (1, lambda: cnnkern.conv2d_backward_input(dy, w, xs, padding=k // 2, algorithm="winograd"))):
        with cnnkern.num_threads(2):
            before = _conv_ext.workspace_bytes()[0]
            _conv_ext.workspace_reset_peak()
            fn()
            current, peak = _conv_ext.workspace_bytes()
            formula = _conv_ext.winograd_workspace(p.as_c_tuple(), direction, elem, 2)
        assert current == before
        assert peak - before == formula


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("limit", [1 << 30, 100_000, 1], ids=["whole", "channel-blocks", "floor"])
@pytest.mark.parametrize("k", KERNELS)
def test_weight_gradient_blocked_paths(dtype, limit, k):
    """The weight gradient's blocking (wino_make_wgrad_plan): with a small workspace limit dU is made
    per block of output channels, the batch in chunks and the tiles in several blocks; every path
    agrees with the oracle and is the same bit for bit on 1 and 2 threads."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 20, 13, 10)).astype(dtype)
    dy = rng.standard_normal((3, 37, 13, 10)).astype(dtype)
    ws = (37, 20, k, k)
    dw_ref = oracle.conv_backward_weight(dy, x, ws, padding=k // 2)
    old = cnnkern.get_workspace_limit()
    try:
        cnnkern.set_workspace_limit(limit)
        out = {}
        for t in (1, 2):
            with cnnkern.num_threads(t):
                before = _conv_ext.workspace_bytes()[0]
                _conv_ext.workspace_reset_peak()
                out[t] = cnnkern.conv2d_backward_weight(dy, x, ws, padding=k // 2, algorithm="winograd")
                current, peak = _conv_ext.workspace_bytes()
        p = make_conv_params(2, x.shape, ws, padding=k // 2)
        formula = _conv_ext.winograd_workspace(p.as_c_tuple(), 2, np.dtype(dtype).itemsize, 2)
    finally:
        cnnkern.set_workspace_limit(old)
    assert np.array_equal(out[1], out[2])
    oracle.assert_close(out[1], dw_ref, dtype, 3 * 13 * 10, FACTOR, what="winograd backward-weight")
    assert current == before and peak - before == formula
    du_whole = 36 * 20 * 37 * np.dtype(dtype).itemsize  # the sums of all 37 output channels at once
    assert (formula > du_whole) == (limit == 1 << 30)


def test_weight_gradient_joins_auto_and_the_combined_backward():
    x, w = np.ones((2, 4, 8, 8), np.float32), np.ones((4, 4, 3, 3), np.float32)
    dy = np.ones((2, 4, 8, 8), np.float32)
    p = make_conv_params(2, x.shape, w.shape, padding=1)
    for direction in ("forward", "backward_input", "backward_weight"):
        assert "winograd" in _choose.supported_algorithms(p, direction)
    assert "winograd" in _choose.estimate_costs(p, "backward_weight")
    # the combined backward computes dx and dw with winograd
    dx, dw, db = cnnkern.conv2d_backward(dy, x, w, padding=1, algorithm="winograd")
    np.testing.assert_allclose(dw, oracle.conv_backward_weight(dy, x, w.shape, padding=1), rtol=1e-5)
    np.testing.assert_array_equal(dw, cnnkern.conv2d_backward_weight(dy, x, w.shape, padding=1, algorithm="winograd"))
    # a weight gradient winograd does not cover says why
    with pytest.raises(NotImplementedError, match="stride 1"):
        cnnkern.conv2d_backward_weight(np.ones((2, 4, 4, 4), np.float32), x, w.shape, padding=1, stride=2,
                                       algorithm="winograd")


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect"])
@pytest.mark.parametrize("k", KERNELS)
def test_plan_keeps_the_transformed_kernel(flip, padding_mode, k):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 6, 9, 11))
    w = rng.standard_normal((4, 3, k, k))
    b = rng.standard_normal(4)
    kw = dict(padding=k // 2, groups=2, flip=flip, padding_mode=padding_mode)
    plan = cnnkern.ConvPlan(w, x.shape, algorithm="winograd", **kw)
    ref = cnnkern.ConvPlan(w, x.shape, algorithm="reference", **kw)
    assert plan.algorithm == "winograd" and "forward" in plan._wino
    y = plan.forward(x, b)
    np.testing.assert_allclose(y, ref.forward(x, b), rtol=0, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    for got, want in zip(plan.backward(dy, x), ref.backward(dy, x)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert "backward_input" in plan._wino
    w[...] = 0  # the plan copied the weight
    np.testing.assert_allclose(plan.forward(x, b), y, rtol=0, atol=0)
