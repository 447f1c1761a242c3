"""Optional cross-checks against torch.nn.functional (skipped as a module when torch is missing)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from cnnkern import pooling as P  # noqa: E402

RNG = np.random.default_rng(7)


def t(a, grad=True):
    return torch.tensor(a, requires_grad=grad)


def torch_fwd_bwd(f, x, dy_shape_from_y=True, **kw):
    tx = t(x)
    out = f(tx, **kw)
    ty = out[0] if isinstance(out, tuple) else out
    dy = RNG.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(dy))
    return out, dy, tx.grad.numpy()


def as_1d(f2d):
    """A 1-D pool through its 2-D PyTorch twin on (N, C, 1, L) (F.avg_pool1d has no divisor_override,
    F.lp_pool1d no inf branch)."""
    def pair(v, fill):
        return None if v is None else (fill, v if not isinstance(v, (tuple, list)) else v[0])

    def f(x, kernel_size, stride=None, padding=None, **kw):
        if padding is not None:
            kw["padding"] = pair(padding, 0)
        out = f2d(x[:, :, None, :], kernel_size=pair(kernel_size, 1), stride=pair(stride, 1), **kw)
        return out[:, :, 0, :]
    return f


def rand(shape, kind="normal"):
    if kind == "ties":
        return RNG.integers(0, 3, size=shape).astype(np.float64)
    x = RNG.standard_normal(shape)
    if kind == "nan":
        x[RNG.random(shape) < 0.15] = np.nan
    return x


MAX_CASES = [
    (1, (2, 3, 11), dict(kernel_size=3, stride=2, padding=1)),
    (1, (2, 3, 10), dict(kernel_size=4, stride=3, padding=2, dilation=2, ceil_mode=True)),
    (2, (2, 3, 13, 12), dict(kernel_size=3, stride=2, padding=1)),
    (2, (2, 3, 12, 13), dict(kernel_size=2, stride=2)),
    (2, (1, 3, 13, 11), dict(kernel_size=2, ceil_mode=True)),
    (2, (2, 2, 11, 9), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 3), ceil_mode=True)),
    (2, (1, 1, 1, 1), dict(kernel_size=2, padding=1, dilation=2)),
    (3, (1, 2, 6, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (3, (2, 1, 5, 6, 7), dict(kernel_size=(2, 3, 1), stride=(1, 2, 1), dilation=(2, 1, 1))),
]


@pytest.mark.parametrize("kind", ["normal", "ties", "nan"])
@pytest.mark.parametrize("case", MAX_CASES, ids=lambda c: f"{c[0]}d-{c[1]}-{c[2]}")
def test_max_pool_matches_torch(case, kind):
    d, shape, kw = case
    x = rand(shape, kind)
    (ty, ti), dy, tdx = torch_fwd_bwd(getattr(F, f"max_pool{d}d"), x, return_indices=True, **kw)
    y, idx = getattr(P, f"max_pool{d}d_forward")(x, return_indices=True, **kw)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(idx, ti.numpy())
    if np.all(idx < np.prod(shape[2:])):
        np.testing.assert_allclose(getattr(P, f"max_pool{d}d_backward")(dy, x, **kw), tdx, rtol=1e-12)
    # min pooling is defined as -max_pool(-x)
    (ty, ti), _, _ = torch_fwd_bwd(getattr(F, f"max_pool{d}d"), -x, return_indices=True, **kw)
    y, idx = getattr(P, f"min_pool{d}d_forward")(x, return_indices=True, **kw)
    np.testing.assert_array_equal(y, -ty.detach().numpy())
    np.testing.assert_array_equal(idx, ti.numpy())


def test_max_pool_float32_matches_torch():
    x = rand((4, 8, 57, 61)).astype(np.float32)
    for kw in (dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, stride=2),
               dict(kernel_size=3, stride=2, ceil_mode=True)):
        ty, ti = F.max_pool2d(torch.from_numpy(x), return_indices=True, **kw)
        y, idx = P.max_pool2d_forward(x, return_indices=True, **kw)
        np.testing.assert_array_equal(y, ty.numpy())
        np.testing.assert_array_equal(idx, ti.numpy())


AVG_CASES = [
    (1, (2, 3, 11), dict(kernel_size=3, stride=2, padding=1)),
    (2, (2, 3, 13, 12), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (2, (1, 2, 10, 9), dict(kernel_size=(3, 2), stride=(1, 3), padding=(1, 1), ceil_mode=True)),
    (3, (1, 2, 6, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (3, (1, 2, 5, 6, 7), dict(kernel_size=(2, 3, 2), stride=(2, 1, 3))),
]


@pytest.mark.parametrize("opt", [dict(), dict(count_include_pad=False), dict(divisor_override=4),
                                 dict(count_include_pad=False, divisor_override=-3)], ids=str)
@pytest.mark.parametrize("case", AVG_CASES, ids=lambda c: f"{c[0]}d-{c[1]}-{c[2]}")
def test_avg_pool_matches_torch(case, opt):
    d, shape, kw = case
    kw = dict(kw, **opt)
    x = rand(shape)
    ty, dy, tdx = torch_fwd_bwd(as_1d(F.avg_pool2d) if d == 1 else getattr(F, f"avg_pool{d}d"), x, **kw)
    np.testing.assert_allclose(getattr(P, f"avg_pool{d}d_forward")(x, **kw), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(getattr(P, f"avg_pool{d}d_backward")(dy, x, **kw), tdx, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("p", [1, 2, 3, 1.5, 4.0, float("inf")])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_lp_pool_matches_torch(d, p):
    shape = (2, 2) + (11, 9, 7)[:d]
    x = rand(shape)
    if p == 1.5:
        x = np.abs(x) + 0.1
    x.reshape(-1)[:5] = 0.0  # a zero window (lp gradient 0) is likely at the start
    for kw in (dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=2)):
        f = as_1d(F.lp_pool2d) if d == 1 else getattr(F, f"lp_pool{d}d")
        ty, dy, tdx = torch_fwd_bwd(f, x, norm_type=p, **kw)
        y = getattr(P, f"lp_pool{d}d_forward")(x, p, **kw)
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-14)
        if p == 3:
            assert np.isnan(y).any()
        dx = getattr(P, f"lp_pool{d}d_backward")(dy, x, p, **kw)
        np.testing.assert_allclose(dx, tdx, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", [(1, (2, 3, 10), 3), (1, (1, 2, 4), 7), (2, (2, 2, 7, 10), (3, 4)),
                                  (2, (1, 2, 5, 5), (5, 2)), (2, (1, 1, 3, 4), (5, 7)),
                                  (3, (1, 2, 5, 6, 7), (2, 4, 3)), (3, (2, 1, 3, 4, 5), 4)],
                         ids=str)
@pytest.mark.parametrize("kind", ["normal", "nan"])
def test_adaptive_matches_torch(case, kind):
    d, shape, out = case
    x = rand(shape, kind)
    (ty, ti), dy, tdx = torch_fwd_bwd(getattr(F, f"adaptive_max_pool{d}d"), x, output_size=out,
                                      return_indices=True)
    y, idx = getattr(P, f"adaptive_max_pool{d}d_forward")(x, out, return_indices=True)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(idx, ti.numpy())
    np.testing.assert_allclose(getattr(P, f"adaptive_max_pool{d}d_backward")(dy, x, out), tdx, rtol=1e-12)
    x = np.nan_to_num(x)
    ty, dy, tdx = torch_fwd_bwd(getattr(F, f"adaptive_avg_pool{d}d"), x, output_size=out)
    np.testing.assert_allclose(getattr(P, f"adaptive_avg_pool{d}d_forward")(x, out), ty.detach().numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(getattr(P, f"adaptive_avg_pool{d}d_backward")(dy, x, out), tdx, rtol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_global_and_unpool_match_torch(d):
    shape = (2, 3) + (8, 6, 4)[:d]
    x = rand(shape)
    ty, dy, tdx = torch_fwd_bwd(getattr(F, f"adaptive_avg_pool{d}d"), x, output_size=1)
    np.testing.assert_allclose(getattr(P, f"global_avg_pool{d}d_forward")(x), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(getattr(P, f"global_avg_pool{d}d_backward")(dy, x), tdx, rtol=1e-12)
    (ty, ti), dy, tdx = torch_fwd_bwd(getattr(F, f"adaptive_max_pool{d}d"), x, output_size=1,
                                      return_indices=True)
    y, idx = getattr(P, f"global_max_pool{d}d_forward")(x, return_indices=True)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(idx, ti.numpy())
    np.testing.assert_allclose(getattr(P, f"global_max_pool{d}d_backward")(dy, x), tdx, rtol=1e-12)
    ty, dy, tdx = torch_fwd_bwd(getattr(F, f"lp_pool{d}d"), x, norm_type=2,
                                 kernel_size=shape[2] if d == 1 else shape[2:])
    np.testing.assert_allclose(getattr(P, f"global_lp_pool{d}d_forward")(x, 2), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(getattr(P, f"global_lp_pool{d}d_backward")(dy, x, 2), tdx, rtol=1e-12)
    # unpool, with PyTorch's default output size from kernel_size
    y, idx = getattr(P, f"max_pool{d}d_forward")(x, 2, return_indices=True)
    tout = getattr(F, f"max_unpool{d}d")(torch.tensor(y), torch.tensor(idx), kernel_size=2)
    np.testing.assert_array_equal(getattr(P, f"max_unpool{d}d")(y, idx, kernel_size=2), tout.numpy())


def test_unbatched_matches_torch():
    x = rand((3, 9, 8))
    ty, ti = F.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    y, idx = P.max_pool2d_forward(x, 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(y, ty.numpy())
    np.testing.assert_array_equal(idx, ti.numpy())
    np.testing.assert_allclose(P.avg_pool2d_forward(x, 3, 2, 1), F.avg_pool2d(torch.tensor(x), 3, 2, 1).numpy())
