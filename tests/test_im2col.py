"""algorithm="im2col": column matrix in tiles + GEMM through SciPy's OpenBLAS (cnnkern/_blas.py).

Checked against the C reference algorithm AND an independent NumPy computation written here (einsum
over sliding windows of an explicitly padded input); tiling via a tiny workspace limit; the naive-GEMM
plug-in; both threading layers; bounded memory on a large input; concurrent calls from Python threads.
"""
import os
import re
import threading

import numpy as np
import pytest

import cnnkern
from cnnkern import _blas, _conv_ext

FWD = {1: cnnkern.conv1d_forward, 2: cnnkern.conv2d_forward, 3: cnnkern.conv3d_forward}
BWD_IN = {1: cnnkern.conv1d_backward_input, 2: cnnkern.conv2d_backward_input,
          3: cnnkern.conv3d_backward_input}
BWD_W = {1: cnnkern.conv1d_backward_weight, 2: cnnkern.conv2d_backward_weight,
         3: cnnkern.conv3d_backward_weight}


# ---- independent NumPy computation -------------------------------------------------------------------

def _windows(x, ksize, stride, dilation, pads):
    """xw[n, g, c, o..., t...] = padded x at o*s + t*d (view over a padded copy)."""
    nd = len(ksize)
    xp = np.pad(x, [(0, 0), (0, 0)] + list(pads))
    span = tuple(d * (k - 1) + 1 for k, d in zip(ksize, dilation))
    win = np.lib.stride_tricks.sliding_window_view(xp, span, axis=tuple(range(2, 2 + nd)))
    sl = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride) + \
         tuple(slice(None, None, d) for d in dilation)
    return win[sl]


def np_forward(x, w, b, stride, pads, dilation, groups):
    nd = x.ndim - 2
    win = _windows(x.astype(np.float64), w.shape[2:], stride, dilation, pads)
    n, c = x.shape[:2]
    k = w.shape[0]
    win = win.reshape((n, groups, c // groups) + win.shape[2:])
    wg = w.astype(np.float64).reshape((groups, k // groups) + w.shape[1:])
    sp = "xyz"[:nd]
    tk = "uvw"[:nd]
    y = np.einsum(f"ngc{sp}{tk},gkc{tk}->ngk{sp}", win, wg, optimize=True)
    y = y.reshape((n, k) + y.shape[3:])
    if b is not None:
        y = y + b.reshape((1, k) + (1,) * nd)
    return y


def np_backward_input(dy, w, x_shape, stride, pads, dilation, groups):
    """dx by scattering dy * w through the same windows (adjoint of np_forward)."""
    nd = dy.ndim - 2
    n, c = x_shape[:2]
    k = w.shape[0]
    padded = tuple(i + a + b for i, (a, b) in zip(x_shape[2:], pads))
    dxp = np.zeros((n, c) + padded)
    dyg = dy.astype(np.float64).reshape((n, groups, k // groups) + dy.shape[2:])
    wg = w.astype(np.float64).reshape((groups, k // groups) + w.shape[1:])
    sp = "xyz"[:nd]
    contrib = np.einsum(f"ngk{sp},gkc...->ngc{sp}...", dyg, wg, optimize=True)  # [n,g,c,o...,t...]
    contrib = contrib.reshape((n, c) + contrib.shape[3:])
    out = dy.shape[2:]
    for t in np.ndindex(*w.shape[2:]):
        idx = (slice(None), slice(None)) + tuple(
            slice(ti * d, ti * d + (o - 1) * s + 1, s) for ti, d, o, s in zip(t, dilation, out, stride))
        dxp[idx] += contrib[(Ellipsis,) + t]
    crop = (slice(None), slice(None)) + tuple(slice(a, a + i) for i, (a, _) in zip(x_shape[2:], pads))
    return dxp[crop]


def np_backward_weight(dy, x, w_shape, stride, pads, dilation, groups):
    nd = x.ndim - 2
    win = _windows(x.astype(np.float64), w_shape[2:], stride, dilation, pads)
    n, c = x.shape[:2]
    k = w_shape[0]
    win = win.reshape((n, groups, c // groups) + win.shape[2:])
    dyg = dy.astype(np.float64).reshape((n, groups, k // groups) + dy.shape[2:])
    sp = "xyz"[:nd]
    tk = "uvw"[:nd]
    dw = np.einsum(f"ngc{sp}{tk},ngk{sp}->gkc{tk}", win, dyg, optimize=True)
    return dw.reshape(w_shape)


# ---- cases: (x shape, w shape, keywords) ------------------------------------------------------------

CASES = [
    ((2, 4, 9, 11), (6, 4, 3, 3), dict(stride=1, padding=1)),
    ((2, 4, 9, 11), (6, 2, 3, 2), dict(stride=(2, 3), padding=((2, 0), (1, 3)), dilation=(2, 1), groups=2)),
    ((3, 6, 17), (6, 1, 5), dict(stride=2, padding=((4, 7),), dilation=3, groups=6)),             # depthwise 1-D
    ((2, 5, 23), (7, 5, 4), dict(stride=3, padding=((0, 2),))),
    ((2, 4, 5, 6, 7), (4, 2, 2, 3, 2), dict(stride=(1, 2, 2), padding=((1, 0), (0, 2), (3, 3)),
                                            dilation=(2, 1, 2), groups=2)),
    ((1, 3, 4, 5, 4), (5, 3, 3, 3, 3), dict(padding=1)),
    ((2, 8, 7, 7), (5, 8, 1, 1), dict()),                                                         # 1x1 in place
    ((2, 8, 7, 7), (6, 4, 1, 1), dict(groups=2)),                                                 # grouped 1x1
    ((2, 8, 7, 9), (5, 8, 1, 1), dict(stride=2)),                                                 # strided 1x1
    ((2, 3, 8, 8), (5, 3, 1, 1), dict(padding=((1, 0), (0, 2)))),                                 # padded 1x1
    ((1, 3, 4, 4), (2, 3, 3, 3), dict(padding=((5, 6), (7, 5)))),                                 # pad > kernel
    ((2, 6, 10, 10), (6, 1, 3, 3), dict(stride=2, padding=1, groups=6)),                          # depthwise 2-D
    ((2, 2, 5, 6), (3, 2, 2, 3), dict(stride=4, dilation=(1, 2))),                                 # stride > kernel
]
IDS = [f"{len(x) - 2}d-{i}" for i, (x, _, _) in enumerate(CASES)]


def _norm(kw, nd, x_shape, w_shape):
    stride = kw.get("stride", 1)
    dilation = kw.get("dilation", 1)
    stride = (stride,) * nd if isinstance(stride, int) else tuple(stride)
    dilation = (dilation,) * nd if isinstance(dilation, int) else tuple(dilation)
    pad = kw.get("padding", 0)
    if isinstance(pad, int):
        pads = ((pad, pad),) * nd
    else:
        pads = tuple(pp if isinstance(pp, tuple) else (pp, pp) for pp in pad)
    return stride, pads, dilation, kw.get("groups", 1)


def _tol(dtype, reduction):
    if dtype == np.float32:
        return dict(rtol=1e-4, atol=2e-5 * max(1, reduction) ** 0.5 * 4)
    return dict(rtol=1e-10, atol=1e-11 * max(1, reduction))


def _problem(case, dtype, seed=0):
    xs, ws, kw = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype)
    return x, w, b, kw


def _all_three(nd, x, w, b, kw, dy=None, algorithm="im2col"):
    y = FWD[nd](x, w, b, algorithm=algorithm, **kw)
    if dy is None:
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    dx = BWD_IN[nd](dy, w, x.shape, algorithm=algorithm, **kw)
    dw = BWD_W[nd](dy, x, w.shape, algorithm=algorithm, **kw)
    return y, dx, dw, dy


@pytest.fixture
def workspace_limit():
    """Yields a setter; restores the default limit afterwards."""
    old = cnnkern.get_workspace_limit()
    yield cnnkern.set_workspace_limit
    cnnkern.set_workspace_limit(old)


@pytest.fixture(params=["openmp-loops", "blas-threads"])
def threading_layer(request):
    old = _conv_ext.im2col_get_threading()
    _conv_ext.im2col_set_threading(request.param == "openmp-loops")
    yield request.param
    _conv_ext.im2col_set_threading(old)


def test_im2col_is_listed_and_uses_a_real_blas():
    assert cnnkern.algorithms()[2] == "im2col"
    info = _blas.blas_info()
    assert info["source"] == "scipy.linalg.cython_blas"
    assert info["float32"] and info["float64"]
    assert info["library"] and "openblas" in info["library"]
    threadpoolctl = pytest.importorskip("threadpoolctl")
    libs = [i["filepath"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert info["library"] in libs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_reference_and_numpy(case, dtype, threading_layer):
    x, w, b, kw = _problem(case, dtype)
    nd = x.ndim - 2
    y, dx, dw, dy = _all_three(nd, x, w, b, kw)
    yr, dxr, dwr, _ = _all_three(nd, x, w, b, kw, dy=dy, algorithm="reference")
    stride, pads, dilation, groups = _norm(kw, nd, x.shape, w.shape)
    red = int(np.prod(w.shape[1:]))
    for got, ref in ((y, yr), (dx, dxr), (dw, dwr)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, ref, **_tol(dtype, red))
    np.testing.assert_allclose(y, np_forward(x, w, b, stride, pads, dilation, groups), **_tol(dtype, red))
    np.testing.assert_allclose(dx, np_backward_input(dy, w, x.shape, stride, pads, dilation, groups),
                               **_tol(dtype, red))
    np.testing.assert_allclose(dw, np_backward_weight(dy, x, w.shape, stride, pads, dilation, groups),
                               **_tol(dtype, int(np.prod(dy.shape)) // dy.shape[1]))


@pytest.mark.parametrize("limit", [1, 200, 1000])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_tiny_workspace_tiles_match_untiled(case, limit, workspace_limit, threading_layer):
    x, w, b, kw = _problem(case, np.float64, seed=3)
    nd = x.ndim - 2
    full = _all_three(nd, x, w, b, kw)
    workspace_limit(limit)
    tiled = _all_three(nd, x, w, b, kw, dy=full[3])
    for a, t in zip(full[:3], tiled[:3]):
        np.testing.assert_allclose(t, a, rtol=1e-12, atol=1e-12)


def test_workspace_query_respects_limit(workspace_limit):
    from cnnkern._params import make_conv_params
    p = make_conv_params(2, (2, 16, 40, 40), (8, 16, 3, 3), padding=1)
    workspace_limit(64 << 20)
    big = _conv_ext.im2col_workspace(p.as_c_tuple(), 0, 4, 2)
    assert big == 2 * 16 * 9 * 1600 * 4 or big == 16 * 9 * 1600 * 4 * 1  # whole image per worker
    for limit in (10_000, 100_000):
        workspace_limit(limit)
        for direction in (0, 1, 2):
            used = _conv_ext.im2col_workspace(p.as_c_tuple(), direction, 4, 2)
            extra = (8 * 16 * 9 * 4) if direction == 2 else 0  # private dw copy of the 2nd worker
            assert 0 < used <= limit + extra
    # 1x1 stride 1 no padding: the GEMM reads x in place, no column buffer
    q = make_conv_params(2, (2, 16, 40, 40), (8, 16, 1, 1))
    assert _conv_ext.im2col_workspace(q.as_c_tuple(), 0, 4, 1) == 0


def test_set_workspace_limit_api(workspace_limit):
    assert "set_workspace_limit" in cnnkern.__all__ and "get_workspace_limit" in cnnkern.__all__
    workspace_limit(12345)
    assert cnnkern.get_workspace_limit() == 12345
    with pytest.raises(ValueError):
        cnnkern.set_workspace_limit(-1)
    with pytest.raises(TypeError):
        cnnkern.set_workspace_limit(1.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES[:7], ids=IDS[:7])
def test_naive_gemm_plugin(case, dtype, workspace_limit):
    x, w, b, kw = _problem(case, dtype, seed=5)
    nd = x.ndim - 2
    blas = _all_three(nd, x, w, b, kw)
    with _blas.naive_gemm():
        assert not _blas.blas_info()["float32"]
        workspace_limit(500)
        naive = _all_three(nd, x, w, b, kw, dy=blas[3])
    assert _blas.blas_info()["float32"]
    red = int(np.prod(w.shape[1:]))
    for a, n in zip(blas[:3], naive[:3]):
        np.testing.assert_allclose(n, a, **_tol(dtype, red * 4))


def test_single_and_many_threads_agree():
    x, w, b, kw = _problem(CASES[0], np.float64, seed=7)
    with cnnkern.num_threads(1):
        one = _all_three(2, x, w, b, kw)
    with cnnkern.num_threads(3):
        many = _all_three(2, x, w, b, kw, dy=one[3])
    for a, m in zip(one[:3], many[:3]):
        np.testing.assert_allclose(m, a, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    ((7, 4, 9, 9), (6, 4, 1, 1), dict()),                        # 1x1 in place: one row block
    ((5, 4, 8, 7), (6, 2, 3, 3), dict(padding=1, groups=2)),     # 3x3, K = 18: one row block per group
    ((3, 3, 6, 6), (4, 3, 1, 1), dict(stride=2)),                # strided 1x1 (gathered)
], ids=["1x1", "3x3-groups", "1x1-strided"])
def test_bwd_weight_batch_chunks_exact_across_threads(case, dtype, workspace_limit):
    """Few (group, row block) items: the batch is summed in fixed chunks (conv_im2col.c contract), so
    dw is bit for bit the same for 1, 2 and 4 threads, and right; also with the chunks capped to one."""
    x, w, b, kw = _problem(case, dtype, seed=11)
    y = cnnkern.conv2d_forward(x, w, b, algorithm="im2col", **kw)
    dy = np.random.default_rng(5).standard_normal(y.shape).astype(dtype)
    outs = []
    for t in (1, 2, 4):
        with cnnkern.num_threads(t):
            outs.append(cnnkern.conv2d_backward_weight(dy, x, w.shape, algorithm="im2col", **kw))
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])
    ref = cnnkern.conv2d_backward_weight(dy, x, w.shape, algorithm="reference", **kw)
    red = int(np.prod(dy.shape)) // dy.shape[1]
    np.testing.assert_allclose(outs[0], ref, **_tol(dtype, red))
    workspace_limit(1)  # no room for partial dw copies: one chunk
    with cnnkern.num_threads(2):
        one_chunk = cnnkern.conv2d_backward_weight(dy, x, w.shape, algorithm="im2col", **kw)
    np.testing.assert_allclose(one_chunk, ref, **_tol(dtype, red))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 2, 8])
@pytest.mark.parametrize("channels", [7, 8, 60, 129], ids=["K63", "K72", "K540", "K1161"])
def test_bwd_weight_column_blocks(channels, batch, dtype, workspace_limit):
    """bwd_weight splits K = C_in * 9 into blocks of a multiple of 16, at least 64 rows
    (im2col_weight_rows: 8 blocks at batch 1; with a batch whose chunks of images fill the workers,
    ceil(K / 256) blocks but at least ceil(8 / batch); one block when K <= 64, uneven last blocks),
    and each block's first GEMM overwrites its part of dw: right against the reference, bit for bit
    the same for 1, 2 and 4 threads, and the same when tiny tiles give every block several GEMMs."""
    from cnnkern._params import make_conv_params
    rng = np.random.default_rng(channels)
    x = rng.standard_normal((batch, channels, 6, 5)).astype(dtype)
    w_shape = (5, channels, 3, 3)
    dy = rng.standard_normal((batch, 5, 6, 5)).astype(dtype)
    if batch == 8 and channels == 60:  # K = 540: 3 blocks of 192 rows, 3 chunks (2 dw copies)
        p = make_conv_params(2, x.shape, w_shape, padding=1)
        item = np.dtype(dtype).itemsize
        assert _conv_ext.im2col_workspace(p.as_c_tuple(), 2, item, 2) == 2 * 192 * 30 * item + 2 * 5 * 540 * item
    outs = []
    for t in (1, 2, 4):
        with cnnkern.num_threads(t):
            outs.append(cnnkern.conv2d_backward_weight(dy, x, w_shape, padding=1, algorithm="im2col"))
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])
    ref = cnnkern.conv2d_backward_weight(dy, x, w_shape, padding=1, algorithm="reference")
    np.testing.assert_allclose(outs[0], ref, **_tol(dtype, 30 * batch))
    workspace_limit(1)  # one output pixel per tile: 30 GEMMs per block, the first with beta 0
    with cnnkern.num_threads(2):
        tiled = cnnkern.conv2d_backward_weight(dy, x, w_shape, padding=1, algorithm="im2col")
    np.testing.assert_allclose(tiled, ref, **_tol(dtype, 30 * batch))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    ((1, 128, 9, 8), (6, 128, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),    # K = 1152: blocks of 576
    ((1, 23, 12, 11), (5, 23, 7, 7), (2, 2), ((3, 3), (3, 3)), (1, 1)),    # K = 1127: uneven blocks
    ((1, 1030, 5, 4), (3, 1030, 1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1)),  # pointwise, K = 1030
    ((1, 64, 8, 9), (4, 64, 5, 4), (1, 1), ((2, 2), (3, 3)), (1, 2)),      # dilated, K = 1280
], ids=["3x3", "7x7s2", "1x1", "dilated"])
def test_fwd_k_blocks(case, dtype, workspace_limit):
    """At batch 1 the forward splits a long reduction (K / 2 >= 512, K >= 4 P) into two K blocks, the second
    into a partial copy of y added after the loop (then the bias): right against the NumPy oracle,
    bit for bit the same for 1 and 2 threads, every element of out= overwritten, and the workspace
    query counts the partial copy."""
    from cnnkern._params import make_conv_params
    xs, ws, stride, pads, dilation = case
    rng = np.random.default_rng(7)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype)
    kw = dict(stride=stride, padding=tuple(a for a, _ in pads), dilation=dilation)
    want = np_forward(x, w, b, stride, pads, dilation, 1)
    outs = []
    for t in (1, 2):
        with cnnkern.num_threads(t):
            for bias in (b, None):
                out = np.full(want.shape, np.nan, dtype)
                outs.append(cnnkern.conv2d_forward(x, w, bias, algorithm="im2col", out=out, **kw))
    K = w.shape[1] * w.shape[2] * w.shape[3]
    np.testing.assert_allclose(outs[0], want, **_tol(dtype, K))
    np.testing.assert_allclose(outs[1], want - b[:, None, None], **_tol(dtype, K))
    np.testing.assert_array_equal(outs[2], outs[0])
    np.testing.assert_array_equal(outs[3], outs[1])
    p = make_conv_params(2, x.shape, w.shape, **kw)
    y_bytes = want.size * np.dtype(dtype).itemsize
    col = 0 if w.shape[2:] == (1, 1) else 2 * (-(-K // 2)) * want.shape[2] * want.shape[3] * np.dtype(dtype).itemsize
    assert _conv_ext.im2col_workspace(p.as_c_tuple(), 0, np.dtype(dtype).itemsize, 2) == col + y_bytes
    # a wide image (K < 4 P): two column tiles of the whole K instead, no partial copy
    q = make_conv_params(2, (1, 128, 20, 20), (6, 128, 3, 3), padding=1)
    assert _conv_ext.im2col_workspace(q.as_c_tuple(), 0, 4, 2) == 2 * 1152 * 200 * 4
    workspace_limit(2 * y_bytes - 1)  # no room for the copy within half the limit: column tiles instead
    tiled = cnnkern.conv2d_forward(x, w, b, algorithm="im2col", **kw)
    np.testing.assert_allclose(tiled, want, **_tol(dtype, K))


def test_blas_thread_count_restored():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    lib = _blas.blas_info()["library"]

    def count():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["filepath"] == lib][0]

    before = count()
    x, w, b, kw = _problem(CASES[0], np.float32)
    with cnnkern.num_threads(2):
        _all_three(2, x, w, b, kw)
    assert count() == before


def test_outputs_overwritten_and_batch_zero():
    x, w, b, kw = _problem(CASES[0], np.float32)
    out = np.full((2, 6, 9, 11), np.nan, np.float32)
    y = cnnkern.conv2d_forward(x, w, b, algorithm="im2col", out=out, **kw)
    assert y is out and np.isfinite(out).all()
    x0 = np.zeros((0,) + x.shape[1:], np.float32)
    assert cnnkern.conv2d_forward(x0, w, algorithm="im2col", **kw).shape == (0, 6, 9, 11)
    dy0 = np.zeros((0, 6, 9, 11), np.float32)
    assert not cnnkern.conv2d_backward_weight(dy0, x0, w.shape, algorithm="im2col", **kw).any()


def test_choose_rule():
    # The chooser is a fitted cost model (cnnkern/_choose.py, tested in tests/test_choose.py); only the
    # choice with a wide measured margin is pinned here: depthwise goes to direct (im2col's GEMMs have
    # M = 1; measured 5-6x slower on dw3x3_56 in every direction).
    for d in ("forward", "backward_input", "backward_weight"):
        assert cnnkern.choose_algorithm((8, 32, 56, 56), (32, 1, 3, 3), groups=32, padding=1, direction=d,
                                        dtype=np.float32, measure=False) == "direct"


def _vm_hwm_bytes():
    with open("/proc/self/status") as fh:
        m = re.search(r"VmHWM:\s+(\d+) kB", fh.read())
    return int(m.group(1)) * 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc/self/status")
def test_large_input_bounded_memory():
    """1x64x1024x1024 with a 7x7 kernel: the whole column matrix would be 12.3 GiB (float32)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 64, 1024, 1024), dtype=np.float32)
    w = rng.standard_normal((4, 64, 7, 7), dtype=np.float32)
    base = _vm_hwm_bytes()
    y = cnnkern.conv2d_forward(x, w, padding=3, algorithm="im2col")
    grown = _vm_hwm_bytes() - base
    assert y.shape == (1, 4, 1024, 1024)
    # y itself is 16 MiB; workspace <= 64 MiB; allow generous slack for the allocator / OpenBLAS buffers
    assert grown < 1 << 30, f"peak RSS grew by {grown / 2**20:.0f} MiB"
    # spot-check a few output pixels against a direct sum
    for (i, j) in ((0, 0), (511, 700), (1023, 1023)):
        xs = np.pad(x[0], ((0, 0), (3, 3), (3, 3)))[:, i:i + 7, j:j + 7].astype(np.float64)
        want = np.einsum("kcuv,cuv->k", w.astype(np.float64), xs)
        np.testing.assert_allclose(y[0, :, i, j], want, rtol=1e-3, atol=1e-3)


def test_concurrent_python_threads(threading_layer):
    cases = [_problem(CASES[i], np.float32, seed=i) for i in (0, 1, 4, 6)]
    expected = [_all_three(len(x.shape) - 2, x, w, b, kw) for x, w, b, kw in cases]
    errors = []

    def worker(i):
        try:
            x, w, b, kw = cases[i]
            for _ in range(10):
                got = _all_three(x.ndim - 2, x, w, b, kw, dy=expected[i][3])
                for a, g in zip(expected[i][:3], got[:3]):
                    np.testing.assert_allclose(g, a, rtol=1e-5, atol=1e-5)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
