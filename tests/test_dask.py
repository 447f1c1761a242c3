"""cnnkern.dask against the in-memory functions on the whole array.

Random (seeded) chunkings with uneven last chunks, float32 and float64, on Dask's threaded scheduler;
one graph of every kind on a 2-process distributed.LocalCluster (module fixture). Skipped without dask
(and the cluster test without distributed).
"""
import pickle

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import cnnkern  # noqa: E402
import cnnkern.dask as ckd  # noqa: E402
import cnnkern.signal as cks  # noqa: E402

DTYPES = [np.float32, np.float64]


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


def compute(*collections):
    return dask.compute(*collections, scheduler="threads")


def _chunks(rng, n, smallest=1):
    """A random split of n into chunks (the last one usually uneven)."""
    size = int(rng.integers(smallest, max(smallest, n) + 1))
    out = [size] * (n // size)
    if n % size:
        out.append(n % size)
    return tuple(out)


def _rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _close(got, want, dtype, reduction=1):
    want = np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    eps = np.finfo(dtype).eps
    scale = max(float(np.abs(want).max(initial=0.0)), 1.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=50 * eps * scale * max(reduction, 1) ** 0.5)


# ---------------------------------------------------------------------------------------------------
# Batch-chunked layers

CONV_CASES = [  # nd, x spatial, C_in, C_out, kernel, keywords
    (1, (17,), 3, 4, (3,), dict(padding=1)),
    (1, (20,), 4, 6, (4,), dict(stride=2, dilation=2, groups=2, padding="same")),
    (2, (9, 11), 3, 5, (3, 3), dict(padding="same")),
    (2, (10, 8), 4, 4, (2, 3), dict(stride=(2, 1), padding=((1, 0), (2, 1)), groups=4)),
    (2, (8, 8), 2, 3, (3, 3), dict(padding=1, padding_mode="reflect", flip=True)),
    (3, (5, 6, 4), 2, 3, (3, 2, 2), dict(padding="valid", dilation=(1, 2, 1))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_forward_batch_chunks(case, dtype):
    nd, spatial, cin, cout, k, kw = CONV_CASES[case]
    rng = np.random.default_rng(case)
    n = 11
    x = _rand(rng, (n, cin) + spatial, dtype)
    w = _rand(rng, (cout, cin // kw.get("groups", 1)) + k, dtype)
    b = _rand(rng, (cout,), dtype)
    fn, dfn = getattr(cnnkern, f"conv{nd}d_forward"), getattr(ckd, f"conv{nd}d_forward")
    want = fn(x, w, b, **kw)
    xd = da.from_array(x, chunks=(_chunks(rng, n),) + x.shape[1:])
    y = dfn(xd, w, b, **kw)
    assert y.chunks[0] == xd.chunks[0] and y.shape == want.shape and y.dtype == want.dtype
    (got,) = compute(y)
    _close(got, want, dtype, cin * np.prod(k))


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_forward_dask_weights_and_channel_chunks(dtype):
    rng = np.random.default_rng(1)
    x = _rand(rng, (7, 6, 9, 9), dtype)
    w = _rand(rng, (4, 6, 3, 3), dtype)
    xd = da.from_array(x, chunks=(3, 2, 9, 9))  # channels chunked: rechunked to one chunk
    wd = da.from_array(w, chunks=(2, 3, 3, 3))
    got = ckd.conv2d_forward(xd, wd, None, padding=1).compute(scheduler="threads")
    _close(got, cnnkern.conv2d_forward(x, w, None, padding=1), dtype, 54)


def test_mixed_dtypes_follow_in_memory():
    rng = np.random.default_rng(2)
    x = _rand(rng, (4, 2, 8), np.float32)
    w = _rand(rng, (3, 2, 3), np.float64)
    y = ckd.conv1d_forward(da.from_array(x, chunks=(3, 2, 8)), w)
    want = cnnkern.conv1d_forward(x, w)
    assert y.dtype == want.dtype == np.float64
    _close(y.compute(scheduler="threads"), want, np.float64, 6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_backward_batch_chunks(nd, dtype):
    rng = np.random.default_rng(10 + nd)
    n, cin, cout = 9, 4, 3
    spatial = (12, 9, 7)[:nd]
    k = (3, 2, 3)[:nd]
    kw = dict(stride=2 if nd == 1 else 1, padding=1, groups=1)
    x = _rand(rng, (n, cin) + spatial, dtype)
    w = _rand(rng, (cout, cin) + k, dtype)
    y_shape = cnnkern.conv_output_shape(x.shape, w.shape, **kw)
    dy = _rand(rng, y_shape, dtype)
    bwd = getattr(cnnkern, f"conv{nd}d_backward")
    dx_want, dw_want, db_want = bwd(dy, x, w, **kw)
    ch = _chunks(rng, n)
    xd = da.from_array(x, chunks=(ch,) + x.shape[1:])
    dyd = da.from_array(dy, chunks=(ch,) + dy.shape[1:])
    dx, dw, db = getattr(ckd, f"conv{nd}d_backward")(dyd, xd, w, **kw)
    dxi = getattr(ckd, f"conv{nd}d_backward_input")(dyd, w, x.shape, **kw)
    dwi = getattr(ckd, f"conv{nd}d_backward_weight")(dyd, xd, w.shape, **kw)
    assert dw.shape == w.shape and dx.chunks[0] == ch
    got = compute(dx, dw, db, dxi, dwi)
    red = n * int(np.prod(y_shape[2:]))
    for g, want in zip(got, (dx_want, dw_want, db_want, dx_want, dw_want)):
        _close(g, want, dtype, red)


def test_backward_weight_is_a_tree_reduction():
    rng = np.random.default_rng(3)
    x = _rand(rng, (64, 2, 6, 6), np.float64)
    w = _rand(rng, (3, 2, 3, 3), np.float64)
    dy = _rand(rng, cnnkern.conv_output_shape(x.shape, w.shape), np.float64)
    dw = ckd.conv2d_backward_weight(da.from_array(dy, chunks=2), da.from_array(x, chunks=2), w.shape)
    # 32 per-chunk gradients summed in a tree: more than one level of partial sums
    names = {k[0] if isinstance(k, tuple) else k for k in dict(dw.__dask_graph__())}
    assert sum("sum" in str(nm) for nm in names) >= 2
    _close(dw.compute(scheduler="threads"), cnnkern.conv2d_backward_weight(dy, x, w.shape), np.float64, 64 * 16)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_batch_chunks(nd, dtype):
    rng = np.random.default_rng(20 + nd)
    x = _rand(rng, (7, 4) + (5, 4, 3)[:nd], dtype)
    w = _rand(rng, (4, 3) + (3, 2, 3)[:nd], dtype)  # groups=2: C_out = 6
    b = _rand(rng, (6,), dtype)
    kw = dict(stride=2, padding=1, output_padding=1, groups=2)
    want = getattr(cnnkern, f"conv_transpose{nd}d_forward")(x, w, b, **kw)
    xd = da.from_array(x, chunks=(_chunks(rng, 7),) + x.shape[1:])
    y = getattr(ckd, f"conv_transpose{nd}d_forward")(xd, w, b, **kw)
    assert y.shape == want.shape
    (got,) = compute(y)
    _close(got, want, dtype, 8)


POOL_CASES = [
    ("max_pool", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("min_pool", dict(kernel_size=2, dilation=2)),
    ("avg_pool", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("lp_pool", dict(p=2.0, kernel_size=2)),
    ("global_max_pool", {}),
    ("global_avg_pool", {}),
    ("global_lp_pool", dict(p=3.0)),
    ("adaptive_max_pool", dict(output_size=3)),
    ("adaptive_avg_pool", dict(output_size=2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_pool_forward_batch_chunks(case, nd, dtype):
    kind, kw = POOL_CASES[case]
    rng = np.random.default_rng(100 * case + nd)
    x = np.abs(_rand(rng, (10, 3) + (9, 8, 7)[:nd], dtype))
    name = f"{kind}{nd}d_forward"
    want = getattr(cnnkern, name)(x, **kw)
    xd = da.from_array(x, chunks=(_chunks(rng, 10), 2) + x.shape[2:])  # channels rechunked
    y = getattr(ckd, name)(xd, **kw)
    assert y.shape == want.shape and y.dtype == want.dtype and y.chunks[0] == xd.chunks[0]
    _close(y.compute(scheduler="threads"), want, dtype, 27)


def test_max_pool_return_indices():
    rng = np.random.default_rng(5)
    x = _rand(rng, (9, 2, 10, 10), np.float32)
    y_want, i_want = cnnkern.max_pool2d_forward(x, 3, 2, 1, return_indices=True)
    y, idx = ckd.max_pool2d_forward(da.from_array(x, chunks=(4, 2, 10, 10)), 3, 2, 1, return_indices=True)
    assert idx.dtype == np.int64
    y_got, i_got = compute(y, idx)
    np.testing.assert_array_equal(y_got, y_want)
    np.testing.assert_array_equal(i_got, i_want)


# ---------------------------------------------------------------------------------------------------
# Spatially chunked: correlate / convolve and conv forward on overlapping blocks

SIGNAL_SHAPES = [((40,), (5,)), ((33,), (4,)), ((23, 19), (3, 4)), ((20, 17), (6, 5)), ((9, 10, 8), (3, 2, 4)),
                 ((12,), (12,)), ((5, 30), (7, 3)), ((4, 6), (5, 9))]
SIGNAL_CASES = [(case, mode) for case, (shape, kshape) in enumerate(SIGNAL_SHAPES) for mode in ("full", "same", "valid")
                if mode != "valid" or all(s >= k for s, k in zip(shape, kshape))
                or all(s <= k for s, k in zip(shape, kshape))]  # "valid": one input must dominate


@pytest.mark.parametrize("func", ["correlate", "convolve"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case,mode", SIGNAL_CASES)
def test_signal_spatial_chunks(case, mode, dtype, func):
    shape, kshape = SIGNAL_SHAPES[case]
    rng = np.random.default_rng(case)
    a = _rand(rng, shape, dtype)
    k = _rand(rng, kshape, dtype)
    want = getattr(cks, func)(a, k, mode=mode)
    chunks = tuple(_chunks(rng, n, 2) for n in shape)  # often smaller than the halo: merged
    for method in ("auto", "direct"):
        z = getattr(ckd, func)(da.from_array(a, chunks=chunks), k, mode=mode, method=method)
        assert z.shape == want.shape and z.dtype == want.dtype
        _close(z.compute(scheduler="threads"), want, dtype, np.prod(kshape))


def test_signal_same_keeps_chunks_and_integers_are_exact():
    rng = np.random.default_rng(7)
    a = rng.integers(-50, 50, (30, 26)).astype(np.int32)
    k = rng.integers(-5, 5, (4, 3)).astype(np.int16)
    ad = da.from_array(a, chunks=(8, 7))
    z = ckd.correlate(ad, k, mode="same")
    assert z.chunks == ad.chunks
    np.testing.assert_array_equal(z.compute(scheduler="threads"), cks.correlate(a, k, mode="same"))
    full = ckd.convolve(ad, k, mode="full")
    assert full.chunks[0][:-1] == ad.chunks[0][:-1] and full.chunks[0][-1] == ad.chunks[0][-1] + 3
    np.testing.assert_array_equal(full.compute(scheduler="threads"), cks.convolve(a, k))


def test_signal_three_modes_one_compute():
    rng = np.random.default_rng(8)
    a = _rand(rng, (50, 45), np.float32)
    k = _rand(rng, (6, 5), np.float32)
    ad = da.from_array(a, chunks=(13, 11))
    zs = [ckd.correlate(ad, k, mode=m) for m in ("full", "same", "valid")]
    for z, m in zip(compute(*zs), ("full", "same", "valid")):
        _close(z, cks.correlate(a, k, mode=m), np.float32, 30)


SPATIAL_CONV = [  # nd, spatial, kernel, keywords
    (1, (37,), (4,), dict(padding="same")),
    (1, (40,), (3,), dict(stride=3, dilation=2, padding=2)),
    (2, (23, 21), (3, 3), dict(padding="same")),
    (2, (24, 19), (4, 2), dict(padding="full", flip=True)),
    (2, (25, 22), (3, 5), dict(stride=(2, 3), dilation=(2, 1), padding=((1, 3), (0, 2)))),
    (2, (20, 20), (5, 5), dict(padding="valid", groups=2)),
    (3, (9, 11, 10), (3, 2, 3), dict(padding="same", stride=(1, 2, 1))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", range(len(SPATIAL_CONV)))
def test_conv_forward_spatial_chunks(case, dtype):
    nd, spatial, k, kw = SPATIAL_CONV[case]
    rng = np.random.default_rng(30 + case)
    groups = kw.get("groups", 1)
    x = _rand(rng, (2, 4) + spatial, dtype)
    w = _rand(rng, (6, 4 // groups) + k, dtype)
    b = _rand(rng, (6,), dtype)
    want = getattr(cnnkern, f"conv{nd}d_forward")(x, w, b, **kw)
    chunks = (1, 4) + tuple(_chunks(rng, n, 2) for n in spatial)
    y = getattr(ckd, f"conv{nd}d_forward")(da.from_array(x, chunks=chunks), w, b, **kw)
    assert y.shape == want.shape and y.dtype == want.dtype
    (got,) = compute(y)
    _close(got, want, dtype, 4 * np.prod(k))


def test_single_image_conv2d_same_keeps_chunks():
    rng = np.random.default_rng(9)
    x = _rand(rng, (1, 1, 64, 48), np.float32)
    w = _rand(rng, (1, 1, 7, 7), np.float32)
    xd = da.from_array(x, chunks=(1, 1, 16, 16))
    y = ckd.conv2d_forward(xd, w, padding="same")
    assert y.chunks == xd.chunks
    _close(y.compute(scheduler="threads"), cnnkern.conv2d_forward(x, w, padding="same"), np.float32, 49)


def test_on_local_cluster(cluster_client):
    """One graph of each kind on 2 worker processes: tasks, weights and plans travel by pickle."""
    rng = np.random.default_rng(15)
    x = _rand(rng, (10, 3, 12, 12), np.float32)
    w = _rand(rng, (4, 3, 3, 3), np.float32)
    b = _rand(rng, (4,), np.float32)
    xd = da.from_array(x, chunks=(3, 3, 12, 12))
    y = ckd.conv2d_forward(xd, w, b, padding=1)
    dx, dw, db = ckd.conv2d_backward(y, xd, w, padding=1)
    yt = ckd.conv_transpose2d_forward(xd, w.transpose(1, 0, 2, 3).copy(), stride=2)
    pooled, idx = ckd.max_pool2d_forward(xd, 2, return_indices=True)
    img = _rand(rng, (1, 3, 40, 35), np.float64)
    ys = ckd.conv2d_forward(da.from_array(img, chunks=(1, 3, 11, 9)), w, b, stride=2, padding="same")
    a = _rand(rng, (50, 45), np.float32)
    k = _rand(rng, (6, 5), np.float32)
    zs = [ckd.correlate(da.from_array(a, chunks=(13, 11)), k, mode=m) for m in ("full", "same", "valid")]
    got = dask.compute(y, dx, dw, db, yt, pooled, idx, ys, *zs, scheduler=cluster_client)
    y_want = cnnkern.conv2d_forward(x, w, b, padding=1)
    want = [y_want, *cnnkern.conv2d_backward(y_want, x, w, padding=1),
            cnnkern.conv_transpose2d_forward(x, w.transpose(1, 0, 2, 3).copy(), stride=2),
            *cnnkern.max_pool2d_forward(x, 2, return_indices=True),
            cnnkern.conv2d_forward(img, w, b, stride=2, padding="same")]
    want += [cks.correlate(a, k, mode=m) for m in ("full", "same", "valid")]
    for g, wnt in zip(got, want):
        if wnt.dtype == np.int64:
            np.testing.assert_array_equal(g, wnt)
        else:
            _close(g, wnt, wnt.dtype, 1000)


# ---------------------------------------------------------------------------------------------------
# Algorithm choice, graph contents, errors

def _calls(collection):
    """The _Call objects inside a collection's tasks."""
    found = []

    def walk(obj):
        if isinstance(obj, ckd._Call):
            found.append(obj)
        elif isinstance(obj, (list, tuple)):
            for o in obj:
                walk(o)
        elif isinstance(obj, dict):
            for o in obj.values():
                walk(o)
        elif hasattr(obj, "args") and hasattr(obj, "kwargs"):  # dask Task objects
            walk(tuple(obj.args))
            walk(dict(obj.kwargs))
        elif hasattr(obj, "value"):  # DataNode
            walk(obj.value)

    for task in dict(collection.__dask_graph__()).values():
        walk(task)
    return found


def test_algorithm_chosen_once_per_chunk_shape(monkeypatch):
    seen = []
    real = cnnkern.choose_algorithm

    def counting(*args, **kwargs):
        seen.append(tuple(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(cnnkern, "choose_algorithm", counting)
    rng = np.random.default_rng(11)
    x = da.from_array(_rand(rng, (23, 3, 16, 16), np.float32), chunks=(5, 3, 16, 16))  # 5,5,5,5,3
    w = _rand(rng, (8, 3, 3, 3), np.float32)
    y = ckd.conv2d_forward(x, w, padding=1)
    assert sorted(seen) == [(3, 3, 16, 16), (5, 3, 16, 16)]
    calls = _calls(y)
    assert calls and all(set(c.algorithms) == {3, 5} for c in calls)
    for n, name in calls[0].algorithms.items():
        assert name == real((n, 3, 16, 16), w.shape, padding=1, dtype=np.float32)
        assert name in cnnkern.algorithms()
    y.compute(scheduler="threads")
    assert len(seen) == 2  # nothing chosen again while computing (the tasks get concrete names)


def test_weights_enter_graph_once_and_graph_pickles():
    cloudpickle = pytest.importorskip("cloudpickle")
    rng = np.random.default_rng(12)
    w = _rand(rng, (64, 32, 3, 3), np.float64)  # 147 KiB
    x = da.random.default_rng(0).standard_normal((64, 32, 8, 8), chunks=(4, 32, 8, 8))  # 16 chunks
    y = ckd.conv2d_forward(x, w, None, padding=1)
    graph = dict(y.__dask_graph__())
    blob = pickle.dumps(graph)
    assert len(blob) < 2 * w.nbytes  # the weight once, not once per task
    assert len(cloudpickle.dumps(graph)) < 2 * w.nbytes
    g2 = pickle.loads(blob)
    blocks = dask.get(g2, list(dask.core.flatten(y.__dask_keys__())))
    np.testing.assert_array_equal(np.concatenate(blocks, axis=0), y.compute(scheduler="threads"))


def test_spatial_graph_pickles():
    rng = np.random.default_rng(13)
    a = da.from_array(_rand(rng, (30, 30), np.float32), chunks=10)
    for z in (ckd.correlate(a, np.ones((5, 4), np.float32), mode="valid"),
              ckd.conv2d_forward(a[None, None], np.ones((2, 1, 3, 3), np.float32), padding="same")):
        g = pickle.loads(pickle.dumps(dict(z.__dask_graph__())))
        blocks = dask.get(g, list(dask.core.flatten(z.__dask_keys__())))
        assert sum(b.size for b in blocks) == z.size  # runs from the unpickled graph


def test_errors():
    rng = np.random.default_rng(14)
    x = _rand(rng, (4, 2, 8, 8), np.float32)
    w = _rand(rng, (3, 2, 3, 3), np.float32)
    with pytest.raises(TypeError, match="dask.array"):
        ckd.conv2d_forward(x, w)
    xd = da.from_array(x, chunks=(2, 2, 8, 8))
    with pytest.raises(ValueError, match="out="):
        ckd.conv2d_forward(xd, w, out=np.empty((4, 3, 6, 6), np.float32))
    with pytest.raises(ValueError, match="expects input"):
        ckd.conv1d_forward(xd, w)
    with pytest.raises(NotImplementedError, match="padding_mode"):
        ckd.conv2d_forward(da.from_array(x, chunks=(2, 2, 4, 4)), w, padding=1, padding_mode="reflect")
    with pytest.raises(ValueError, match="dy has shape"):
        ckd.conv2d_backward_weight(xd, xd, w.shape)
    with pytest.raises(ValueError, match="mode"):
        ckd.correlate(da.from_array(x[0, 0], chunks=4), w[0, 0], mode="nope")
    with pytest.raises(ValueError, match="valid"):
        ckd.correlate(da.from_array(x[0, 0, :, :2], chunks=4), np.ones((3, 3)), mode="valid")
    with pytest.raises(TypeError, match="dtype"):
        ckd.correlate(da.from_array(x[0, 0], chunks=4), np.ones((3, 3), np.complex64))
