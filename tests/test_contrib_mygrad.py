"""cnnkern.contrib.mygrad: stock MyGrad and the cnnkern backend agree on values, gradients and errors."""
from types import SimpleNamespace

import numpy as np
import pytest

mg = pytest.importorskip("mygrad")
ckmg = pytest.importorskip("cnnkern.contrib.mygrad")

from mygrad.nnet.layers import conv_nd, max_pool  # noqa: E402


@pytest.fixture(autouse=True)
def _restore():
    ckmg.uninstall()
    yield
    ckmg.uninstall()


def _tol(*dtypes):
    return dict(rtol=2e-4, atol=2e-4) if any(np.dtype(d) == np.float32 for d in dtypes) else \
        dict(rtol=1e-9, atol=1e-9)


def _run(fn, arrays, grad_seed, constant=()):
    """Forward fn(*tensors), backward a random upstream gradient; -> (out, grads, creator)."""
    tensors = [mg.tensor(a, constant=(i in constant) or None) for i, a in enumerate(arrays)]
    y = fn(*tensors)
    creator = y.creator  # cleared by backward()
    g = np.random.default_rng(grad_seed).standard_normal(y.shape)
    y.backward(g)
    return y.data.copy(), [t.grad for t in tensors], creator


def _both(fn, arrays, grad_seed=0, constant=()):
    stock = _run(fn, arrays, grad_seed, constant)
    with ckmg.installed():
        ours = _run(fn, arrays, grad_seed, constant)
    assert not ckmg.is_installed()
    return stock, ours


def _assert_same(stock, ours, tol):
    (y0, g0, _), (y1, g1, _) = stock, ours
    assert y0.dtype == y1.dtype and y0.shape == y1.shape
    np.testing.assert_allclose(y1, y0, **tol)
    for a, b in zip(g0, g1):
        if a is None:
            assert b is None
            continue
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(b, a, **tol)


def _conv_case(rng, nd):
    n, c, f = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 5)
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    s = tuple(int(v) for v in rng.integers(1, 3, nd))
    d = tuple(int(v) for v in rng.integers(1, 3, nd))
    p = tuple(int(v) for v in rng.integers(0, 2, nd))
    o = tuple(int(v) for v in rng.integers(1, 4, nd))
    # MyGrad accepts only exact fits: (X + 2p - (d(k-1)+1)) / s + 1 == o
    size = tuple(max((oi - 1) * si + di * (ki - 1) + 1 - 2 * pi, 0)
                 for oi, si, di, ki, pi in zip(o, s, d, k, p))
    size = tuple(sz if sz >= 1 else sz + si for sz, si in zip(size, s))  # keep the input non-empty
    size = tuple(sz + (si if (sz + 2 * pi - di * (ki - 1) - 1) % si else 0) for sz, si, pi, di, ki in
                 zip(size, s, p, d, k))
    x = rng.standard_normal((n, c) + size)
    w = rng.standard_normal((f, c) + k)
    return x, w, dict(stride=s if rng.random() < 0.7 else s[0] if len(set(s)) == 1 else s,
                      padding=p if rng.random() < 0.5 else (p[0] if len(set(p)) == 1 else p),
                      dilation=d)


def _fits(x, w, kw):
    nd = x.ndim - 2
    ex = lambda v: (v,) * nd if isinstance(v, int) else v  # noqa: E731
    s, p, d = ex(kw["stride"]), ex(kw["padding"]), ex(kw["dilation"])
    return all((xs + 2 * pi - di * (ks - 1) - 1) % si == 0 and xs + 2 * pi - di * (ks - 1) - 1 >= 0
               for xs, ks, si, pi, di in zip(x.shape[2:], w.shape[2:], s, p, d))


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("float32", "float32"),
                                    ("float32", "float64"), ("float64", "float32")])
def test_conv_matches_stock(nd, dtypes):
    rng = np.random.default_rng(100 * nd + len(dtypes[0]) + 7 * (dtypes[0] != dtypes[1]))
    done = 0
    while done < 8:
        x, w, kw = _conv_case(rng, nd)
        if not _fits(x, w, kw):
            continue
        x, w = x.astype(dtypes[0]), w.astype(dtypes[1])
        stock_err = _error(lambda: conv_nd(x, w, **kw))
        if stock_err is not None:  # e.g. MyGrad's "dilated window must fit" (kernel * dilation > size)
            with ckmg.installed():
                assert _error(lambda: conv_nd(x, w, **kw)) == stock_err
            continue
        stock, ours = _both(lambda a, b: conv_nd(a, b, **kw), [x, w], grad_seed=done)
        assert isinstance(ours[2], ckmg.ConvND) and ours[2]._ck
        _assert_same(stock, ours, _tol(*dtypes))
        done += 1


def test_conv_read_only_and_constant_inputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 7)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    x.flags.writeable = False
    w.flags.writeable = False
    for constant in [(), (0,), (1,)]:
        stock, ours = _both(lambda a, b: conv_nd(a, b, stride=2, padding=1), [x, w], constant=constant)
        _assert_same(stock, ours, _tol(np.float32))
    # plain read-only arrays, no tensors
    with ckmg.installed():
        y = conv_nd(x, w, stride=1)
    np.testing.assert_allclose(y.data, conv_nd(x, w, stride=1).data, rtol=1e-4, atol=1e-4)


def test_conv_integer_input_and_upstream_gradient():
    rng = np.random.default_rng(2)
    xi = rng.integers(-3, 4, (2, 2, 6, 6))             # integer tensors are constants in MyGrad
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    stock, ours = _both(lambda a, b: conv_nd(a, b, stride=1), [xi, w], constant=(0,))
    _assert_same(stock, ours, _tol(np.float32))
    both_int = [xi, rng.integers(-2, 3, (3, 2, 3, 3))]
    stock, ours = _both(lambda a, b: conv_nd(a, b, stride=1), both_int, constant=(0, 1))
    assert stock[0].dtype == ours[0].dtype and not ours[2]._ck          # int64 result: MyGrad's code
    np.testing.assert_array_equal(stock[0], ours[0])

    x = rng.standard_normal((2, 2, 6, 6))
    res = []
    for install in (False, True):
        with (ckmg.installed() if install else _Null()):
            tx, tw = mg.tensor(x), mg.tensor(w)
            y = conv_nd(tx, tw, stride=1, padding=1)
            y.backward(np.arange(y.size, dtype=np.int64).reshape(y.shape) % 5 - 2)
            res.append((tx.grad, tw.grad))
    for a, b in zip(*res):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-4)


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_conv_fallbacks():
    rng = np.random.default_rng(3)
    # complex inputs: MyGrad's own code
    # (MyGrad tensors cannot hold complex data while tracking a graph; its own numerical-gradient
    # tests call the operation on complex arrays directly, as here.)
    x = rng.standard_normal((2, 2, 5, 5)) + 1j * rng.standard_normal((2, 2, 5, 5))
    w = rng.standard_normal((3, 2, 2, 2)) + 0j
    g = rng.standard_normal((2, 3, 4, 4)) + 1j * rng.standard_normal((2, 3, 4, 4))
    res = []
    for cls in (ckmg._ORIG_CONV, ckmg.ConvND):
        op = cls()
        y = op(SimpleNamespace(data=x), SimpleNamespace(data=w), stride=1)
        res.append((y, op.backward_var(g, 0), op.backward_var(g, 1)))
        assert getattr(op, "_ck", False) is False
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a)
    op0, op1 = ckmg._ORIG_POOL(), ckmg.MaxPoolND()
    np.testing.assert_array_equal(op1(SimpleNamespace(data=x), (2, 2), 1),
                                  op0(SimpleNamespace(data=x), (2, 2), 1))
    assert not op1._ck
    # four convolved axes
    x4 = rng.standard_normal((1, 2, 4, 3, 3, 4))
    w4 = rng.standard_normal((2, 2, 2, 2, 2, 2))
    stock, ours = _both(lambda a, b: conv_nd(a, b, stride=1), [x4, w4])
    assert not ours[2]._ck
    _assert_same(stock, ours, _tol(np.float64))
    # float16
    x16, w16 = x4[:, :, 0].astype(np.float16), w4[:, :, 0].astype(np.float16)
    with ckmg.installed():
        y = conv_nd(x16, w16, stride=1)
    assert y.dtype == np.float16 and not y.creator._ck


def _error(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("args", [
    dict(stride=2),                      # 7x7 with 2x2 kernel, stride 2: does not fit
    dict(stride=(1, 2)),
    dict(stride=1, padding=-1),
    dict(stride=0),
    dict(stride=(1, 1, 1)),
    dict(stride=1.5),
    dict(stride=1, dilation=0),
    dict(stride=1, dilation=(1, 2, 3)),
    dict(stride=1, padding=(1, 1, 1)),
    dict(stride=1, dilation=9),
    dict(stride=1, dilation=6),          # fits by output size, but MyGrad wants kernel * dilation <= size
    dict(stride=1, dilation=(1, 6), padding=(0, 1)),
])
def test_conv_errors_match(args):
    x = np.ones((1, 2, 7, 7))
    w = np.ones((3, 2, 2, 2))
    stock = _error(lambda: conv_nd(x, w, **args))
    with ckmg.installed():
        ours = _error(lambda: conv_nd(x, w, **args))
    assert stock is not None and stock == ours


@pytest.mark.parametrize("shapes", [((1, 2, 7, 7), (3, 3, 2, 2)), ((1, 2, 7), (3, 2, 2, 2)),
                                    ((2, 7), (2, 2))])
def test_conv_shape_errors_match(shapes):
    x, w = np.ones(shapes[0]), np.ones(shapes[1])
    stock = _error(lambda: conv_nd(x, w, stride=1))
    with ckmg.installed():
        ours = _error(lambda: conv_nd(x, w, stride=1))
    assert stock is not None and stock == ours


def _pool_case(rng):
    n = int(rng.integers(1, 4))
    lead = tuple(int(v) for v in rng.integers(1, 4, rng.integers(0, 4)))
    pool = tuple(int(v) for v in rng.integers(1, 4, n))
    stride = tuple(int(v) for v in rng.integers(1, 4, n))
    o = tuple(int(v) for v in rng.integers(1, 4, n))
    size = tuple((oi - 1) * si + pi for oi, si, pi in zip(o, stride, pool))
    if len(set(stride)) == 1 and rng.random() < 0.5:
        stride = stride[0]
    if rng.random() < 0.3:
        pool = list(pool)
    return lead + size, pool, stride


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_max_pool_matches_stock(dtype):
    rng = np.random.default_rng(11 if dtype == "float64" else 12)
    for i in range(30):
        shape, pool, stride = _pool_case(rng)
        if i % 3 == 0:  # many ties
            x = rng.integers(0, 3, shape).astype(dtype)
        else:
            x = rng.standard_normal(shape).astype(dtype)
        stock, ours = _both(lambda a: max_pool(a, pool, stride), [x], grad_seed=i)
        assert ours[2]._ck
        _assert_same(stock, ours, _tol(dtype))


def test_max_pool_ties_overlapping_windows_exact():
    x = np.zeros((2, 3, 6, 6))
    x[..., ::2, ::2] = 1.0
    x[0, 0, 1, 1] = 1.0
    stock, ours = _both(lambda a: max_pool(a, (3, 3), 1), [x])
    _assert_same(stock, ours, dict(rtol=0, atol=1e-12))
    x = np.full((4, 5), -np.inf)
    stock, ours = _both(lambda a: max_pool(a, (2,), 1), [x])
    _assert_same(stock, ours, dict(rtol=0, atol=0))


def test_max_pool_nan_falls_back_in_backward():
    x = np.arange(16.0).reshape(1, 4, 4)
    x[0, 0, 0] = x[0, 0, 1] = np.nan
    stock, ours = _both(lambda a: max_pool(a, (2, 2), 2), [x])
    assert not ours[2]._ck
    np.testing.assert_array_equal(ours[0], stock[0])
    np.testing.assert_array_equal(ours[1][0], stock[1][0])


def test_max_pool_misc():
    rng = np.random.default_rng(5)
    # read-only, integer upstream gradient, no leading axes
    x = rng.standard_normal((6, 8)).astype(np.float32)
    x.flags.writeable = False
    res = []
    for install in (False, True):
        with (ckmg.installed() if install else _Null()):
            t = mg.tensor(x)
            y = max_pool(t, (2, 2), (2, 2))
            y.backward(np.arange(y.size).reshape(y.shape))
            res.append((y.data, t.grad))
    for a, b in zip(*res):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    # fallbacks: integer data, 4 pooled axes, complex-free but empty
    xi = rng.integers(0, 9, (2, 4, 4))
    for arr, pool in [(xi, (2, 2)), (rng.standard_normal((2, 2, 2, 2, 2)), (2, 2, 2, 2))]:
        stock = max_pool(arr, pool, 1).data
        with ckmg.installed():
            y = max_pool(arr, pool, 1)
        assert not y.creator._ck and y.dtype == stock.dtype
        np.testing.assert_array_equal(y.data, stock)


@pytest.mark.parametrize("pool,stride", [((2, 2), 2), ((3, 3), 2), ((2, 2), (1, 2, 3)), ((2, -1), 1),
                                         ((0, 2), 1), ((2, 2), 0), (2, 2), ((2, 2, 2, 2), 1),
                                         ((2.0, 2), 1), ((2, 2), 1.0)])
def test_max_pool_errors_match(pool, stride):
    x = np.ones((2, 3, 5, 5))[0]
    stock = _error(lambda: max_pool(x, pool, stride))
    with ckmg.installed():
        ours = _error(lambda: max_pool(x, pool, stride))
    assert stock == ours


def test_install_uninstall_context():
    import mygrad.nnet.layers.conv as mconv
    import mygrad.nnet.layers.pooling as mpool
    orig = (mconv.ConvND, mpool.MaxPoolND)
    assert not ckmg.is_installed()
    with ckmg.installed():
        assert ckmg.is_installed()
        with ckmg.installed():
            assert ckmg.is_installed()
        assert ckmg.is_installed()          # nested exit restores the outer state
    assert (mconv.ConvND, mpool.MaxPoolND) == orig
    ckmg.install()
    ckmg.install()
    assert ckmg.is_installed()
    ckmg.uninstall()
    assert (mconv.ConvND, mpool.MaxPoolND) == orig


def test_training_graph_with_both_ops():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
    w1 = rng.standard_normal((4, 1, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)

    def net(a, b, c):
        h = max_pool(mg.nnet.relu(conv_nd(a, b, stride=1, padding=1)), (2, 2), 2)
        return conv_nd(h, c, stride=1, padding=1)

    stock, ours = _both(net, [x, w1, w2], constant=(0,))
    _assert_same(stock, ours, _tol(np.float32))
