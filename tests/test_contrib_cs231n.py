"""cnnkern.contrib.cs231n against naive NumPy layers and numerical gradients."""
import numpy as np
import pytest

from cnnkern.contrib import cs231n


def conv_forward_naive(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    Ho, Wo = 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s
    out = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            win = xp[:, :, i * s:i * s + HH, j * s:j * s + WW]
            out[:, :, i, j] = np.tensordot(win, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def conv_backward_naive(dout, x, w, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = xp[:, :, i * s:i * s + HH, j * s:j * s + WW]
            g = dout[:, :, i, j]
            dw += np.tensordot(g, win, axes=([0], [0]))
            dxp[:, :, i * s:i * s + HH, j * s:j * s + WW] += np.tensordot(g, w, axes=([1], [0]))
    dx = dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pp):
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out


def max_pool_backward_naive(dout, x, pp):
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    N, C = x.shape[:2]
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    win = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    a, b_ = np.unravel_index(np.argmax(win), win.shape)
                    dx[n, c, i * s + a, j * s + b_] += dout[n, c, i, j]
    return dx


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """The assignment's checker: perturbs x IN PLACE."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = f(x).copy()
        x[ix] = old - h
        neg = f(x).copy()
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


@pytest.mark.parametrize("seed", range(6))
def test_conv_matches_naive(seed):
    rng = np.random.default_rng(seed)
    N, C, F = rng.integers(1, 4, 3)
    H, W = rng.integers(4, 10, 2)
    HH, WW = rng.integers(1, 4, 2)
    cp = {"stride": int(rng.integers(1, 3)), "pad": int(rng.integers(0, 3))}
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, HH, WW))
    b = rng.standard_normal(F)
    out, cache = cs231n.conv_forward_fast(x, w, b, cp)
    ref = conv_forward_naive(x, w, b, cp)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10)
    dout = rng.standard_normal(out.shape)
    for got, want in zip(cs231n.conv_backward_fast(dout, cache), conv_backward_naive(dout, x, w, cp)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("pp", [dict(pool_height=2, pool_width=2, stride=2),
                                dict(pool_height=3, pool_width=2, stride=1),
                                dict(pool_height=2, pool_width=3, stride=2)])
def test_max_pool_matches_naive(pp):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 8))
    out, cache = cs231n.max_pool_forward_fast(x, pp)
    np.testing.assert_array_equal(out, max_pool_forward_naive(x, pp))
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(cs231n.max_pool_backward_fast(dout, cache),
                               max_pool_backward_naive(dout, x, pp), rtol=1e-12, atol=1e-12)


def test_numerical_gradients_with_in_place_mutation():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    cp = {"stride": 1, "pad": 1}
    out, cache = cs231n.conv_forward_fast(x, w, b, cp)
    dout = rng.standard_normal(out.shape)
    dx_num = eval_numerical_gradient_array(lambda v: cs231n.conv_forward_fast(v, w, b, cp)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: cs231n.conv_forward_fast(x, v, b, cp)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda v: cs231n.conv_forward_fast(x, w, v, cp)[0], b, dout)
    x += 1.0  # mutate the inputs after the forward: the cache must not see it
    w *= 2.0
    dx, dw, db = cs231n.conv_backward_fast(dout, cache)
    x -= 1.0
    w /= 2.0
    for got, num in ((dx, dx_num), (dw, dw_num), (db, db_num)):
        np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-7)

    pp = dict(pool_height=2, pool_width=2, stride=2)
    out, cache = cs231n.max_pool_forward_fast(x, pp)
    dout = rng.standard_normal(out.shape)
    dx_num = eval_numerical_gradient_array(lambda v: cs231n.max_pool_forward_fast(v, pp)[0], x, dout)
    x[...] = 0.0
    np.testing.assert_allclose(cs231n.max_pool_backward_fast(dout, cache), dx_num, rtol=1e-6, atol=1e-7)


def test_sandwich_layers():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 8, 8))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    cp, pp = {"stride": 1, "pad": 1}, dict(pool_height=2, pool_width=2, stride=2)
    out, cache = cs231n.conv_relu_pool_forward(x, w, b, cp, pp)
    assert out.shape == (2, 4, 4, 4)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = cs231n.conv_relu_pool_backward(dout, cache)
    dw_num = eval_numerical_gradient_array(lambda v: cs231n.conv_relu_pool_forward(x, v, b, cp, pp)[0],
                                           w.copy(), dout)
    np.testing.assert_allclose(dw, dw_num, rtol=1e-5, atol=1e-6)
