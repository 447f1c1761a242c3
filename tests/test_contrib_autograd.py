"""cnnkern.contrib.autograd: gradients of every order through autograd's check_grads."""
import numpy as np
import pytest

autograd = pytest.importorskip("autograd")
from autograd import grad  # noqa: E402
from autograd.test_util import check_grads  # noqa: E402
import autograd.numpy as anp  # noqa: E402

import cnnkern  # noqa: E402
from cnnkern.contrib import autograd as ckag  # noqa: E402


def _rng(seed):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=2),
                                dict(groups=2, padding=(1,) * 3)])
def test_conv_check_grads_order2(d, kw):
    if "padding" in kw and isinstance(kw["padding"], tuple):
        kw = dict(kw, padding=kw["padding"][:d])
    rng = _rng(d)
    size = (5, 4, 3)[d - 1]
    x = rng.standard_normal((2, 4) + (size,) * d)
    w = rng.standard_normal((4, 4 // kw.get("groups", 1)) + (2,) * d)
    b = rng.standard_normal(4)
    conv = getattr(ckag, f"conv{d}d")

    def f(x, w, b):
        return anp.sum(anp.tanh(conv(x, w, b, **kw)))

    check_grads(f, modes=["rev"], order=2)(x, w, b)
    # first-order values against cnnkern's own backward
    y = conv(x, w, b, **kw)
    dy = 1 - np.tanh(y) ** 2
    dx, dw, db = getattr(cnnkern, f"conv{d}d_backward")(dy, x, w, **kw)
    gx, gw, gb = grad(f, 0)(x, w, b), grad(f, 1)(x, w, b), grad(f, 2)(x, w, b)
    np.testing.assert_allclose(gx, dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw, dw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb, db, rtol=1e-10, atol=1e-12)


def test_conv_padding_mode_and_no_bias():
    rng = _rng(7)
    x = rng.standard_normal((1, 2, 6, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    check_grads(lambda x, w: anp.sum(ckag.conv2d(x, w, padding=1, padding_mode="reflect") ** 2),
                modes=["rev"], order=2)(x, w)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_max_pool_check_grads_order2(d):
    rng = _rng(10 + d)
    x = rng.standard_normal((2, 2) + ((7, 6, 4)[d - 1],) * d)
    pool = getattr(ckag, f"max_pool{d}d")
    for args, kw in [((2,), {}), ((3,), dict(stride=1, padding=1)), ((2,), dict(stride=1, dilation=2))]:
        check_grads(lambda x: anp.sum(anp.sin(pool(x, *args, **kw)) * pool(x, *args, **kw)),
                    modes=["rev"], order=2)(x)
    check_grads(lambda x: anp.sum(pool(x[0], 2) ** 3), modes=["rev"], order=2)(x)  # unbatched


@pytest.mark.parametrize("d", [1, 2, 3])
def test_avg_pool_check_grads_order2(d):
    rng = _rng(20 + d)
    x = rng.standard_normal((2, 3) + ((7, 5, 4)[d - 1],) * d)
    pool = getattr(ckag, f"avg_pool{d}d")
    for args, kw in [((2,), {}), ((3,), dict(stride=2, padding=1, count_include_pad=False)),
                     ((2,), dict(ceil_mode=True, stride=2))]:
        check_grads(lambda x: anp.sum(anp.cos(pool(x, *args, **kw))), modes=["rev"], order=2)(x)


def test_small_network_order2():
    rng = _rng(30)
    x = rng.standard_normal((2, 1, 8, 8))
    w1 = rng.standard_normal((3, 1, 3, 3)) * 0.5
    w2 = rng.standard_normal((2, 3, 3, 3)) * 0.5

    def net(w1, w2):
        h = ckag.max_pool2d(anp.tanh(ckag.conv2d(x, w1, padding=1)), 2)
        h = ckag.avg_pool2d(ckag.conv2d(h, w2, padding=1), 2)
        return anp.sum(h ** 2)

    check_grads(net, modes=["rev"], order=2)(w1, w2)
