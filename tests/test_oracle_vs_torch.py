"""Validate the NumPy oracle (tests/oracle.py) against PyTorch, so that a wrong oracle cannot pass a
wrong cnnkern. Skipped when torch is not installed. Does not import cnnkern."""
import itertools
import warnings

import numpy as np
import pytest

import oracle

torch = pytest.importorskip("torch")
F = torch.nn.functional
# torch only computes small references here; its own OpenMP pool spinning beside cnnkern's makes
# every call slow on a 2-core machine.
torch.set_num_threads(1)

TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TORCH_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
TORCH_PAD_MODE = {"reflect": "reflect", "replicate": "replicate", "circular": "circular", "zeros": "constant"}


def _torch_pad_arg(pairs):
    """F.pad takes (before, after) pairs from the LAST axis backwards."""
    return tuple(v for b, a in reversed(pairs) for v in (b, a))


def torch_conv(x, w, b, stride, pairs, dilation, groups, padding_mode="zeros"):
    """Torch forward with explicit (possibly asymmetric) padding via F.pad, float64, autograd on."""
    ndim = x.ndim - 2
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = None if b is None else torch.tensor(b, dtype=torch.float64, requires_grad=True)
    xp = F.pad(xt, _torch_pad_arg(pairs), mode=TORCH_PAD_MODE[padding_mode])
    yt = TORCH_CONV[ndim](xp, wt, bt, stride=stride, padding=0, dilation=dilation, groups=groups)
    return xt, wt, bt, yt


def _rng(*key):
    return np.random.default_rng(abs(hash(key)) % (2 ** 32))


def _case_params(case):
    pairs = oracle.normalise_padding(case.padding, case.x_shape[2:], case.w_shape[2:], case.stride,
                                     case.dilation)
    return pairs


@pytest.mark.parametrize("case", oracle.CONV_CASES, ids=lambda c: c.id)
def test_forward_and_gradients_match_torch(case):
    rng = np.random.default_rng(1234)
    x = rng.standard_normal(case.x_shape)
    w = rng.standard_normal(case.w_shape)
    b = rng.standard_normal(case.w_shape[0]) if case.bias else None
    pairs = _case_params(case)
    xt, wt, bt, yt = torch_conv(x, w, b, case.stride, pairs, case.dilation, case.groups, case.padding_mode)

    y = oracle.conv_forward_mode(x, w, b, stride=case.stride, padding=case.padding, dilation=case.dilation,
                                 groups=case.groups, padding_mode=case.padding_mode)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert y.shape == oracle.output_shape(case.x_shape, case.w_shape, case.stride, case.padding, case.dilation)

    dy = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(dy))
    dx, dw, db = oracle.conv_backward_mode(dy, x, w, stride=case.stride, padding=case.padding,
                                           dilation=case.dilation, groups=case.groups,
                                           padding_mode=case.padding_mode)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-12, atol=1e-12)
    if bt is not None:
        np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in oracle.CONV_CASES if c.padding_mode == "zeros"], ids=lambda c: c.id)
def test_zero_padding_primitives_match_torch(case):
    """The zeros-padding primitives (padding as pairs) directly, including conv_backward_bias."""
    rng = np.random.default_rng(99)
    x = rng.standard_normal(case.x_shape)
    w = rng.standard_normal(case.w_shape)
    pairs = _case_params(case)
    xt, wt, _, yt = torch_conv(x, w, None, case.stride, pairs, case.dilation, case.groups)
    y = oracle.conv_forward(x, w, None, case.stride, pairs, case.dilation, case.groups)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(dy))
    dx = oracle.conv_backward_input(dy, w, x.shape, case.stride, pairs, case.dilation, case.groups)
    dw = oracle.conv_backward_weight(dy, x, w.shape, case.stride, pairs, case.dilation, case.groups)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(oracle.conv_backward_bias(dy), dy.sum(axis=(0,) + tuple(range(2, dy.ndim))),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_flip_is_true_convolution(ndim, flip):
    rng = np.random.default_rng(ndim)
    x = rng.standard_normal((2, 2) + (5,) * ndim)
    w = rng.standard_normal((3, 2) + (3, 2, 2)[:ndim])
    y = oracle.conv_forward_mode(x, w, padding="full", flip=flip)
    wt = torch.tensor(w.copy())
    if flip:
        wt = torch.flip(wt, dims=tuple(range(2, 2 + ndim)))
    pairs = oracle.normalise_padding("full", x.shape[2:], w.shape[2:])
    yt = TORCH_CONV[ndim](F.pad(torch.tensor(x), _torch_pad_arg(pairs)), wt)
    np.testing.assert_allclose(y, yt.numpy(), rtol=1e-12, atol=1e-12)


def test_flip_matches_np_convolve():
    """BACKGROUND.md: np.convolve((1,2,3), (4,5,6)) == (4, 13, 28, 27, 18) is true convolution."""
    y = oracle.conv_forward_mode(np.array([[[1.0, 2, 3]]]), np.array([[[4.0, 5, 6]]]), padding="full", flip=True)
    np.testing.assert_array_equal(y.ravel(), [4, 13, 28, 27, 18])
    np.testing.assert_array_equal(y.ravel(), np.convolve([1, 2, 3], [4, 5, 6]))


@pytest.mark.parametrize("case", oracle.TRANSPOSE_CASES, ids=lambda c: c.id)
def test_conv_transpose_matches_torch(case):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(case.x_shape)
    w = rng.standard_normal(case.w_shape)
    b = rng.standard_normal(case.c_out) if case.bias else None
    y = oracle.conv_transpose_forward(x, w, b, **case.kwargs())
    pairs = oracle._pairs(case.padding, case.ndim)
    ndim = case.ndim
    if all(bf == af for bf, af in pairs):
        yt = TORCH_CONV_T[ndim](torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b),
                                stride=case.stride, padding=tuple(bf for bf, _ in pairs),
                                output_padding=case.output_padding, groups=case.groups,
                                dilation=case.dilation)
    else:
        # Asymmetric padding: run torch with no padding (output_padding kept) and crop the result.
        yt = TORCH_CONV_T[ndim](torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b),
                                stride=case.stride, padding=0, output_padding=case.output_padding,
                                groups=case.groups, dilation=case.dilation)
        crop = tuple(slice(bf, yt.shape[2 + i] - af) for i, (bf, af) in enumerate(pairs))
        yt = yt[(slice(None), slice(None)) + crop]
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y, yt.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", oracle.TRANSPOSE_CASES, ids=lambda c: c.id)
def test_conv_transpose_is_adjoint_of_conv_torch(case):
    """conv_transpose(x, w) is the input-gradient of conv with weight w (torch's definition)."""
    pairs = oracle._pairs(case.padding, case.ndim)
    if any(bf != af for bf, af in pairs):
        pytest.skip("torch conv_transpose has symmetric padding only")
    rng = np.random.default_rng(8)
    x = rng.standard_normal(case.x_shape)
    w = rng.standard_normal(case.w_shape)
    y = oracle.conv_transpose_forward(x, w, None, **case.kwargs())
    # The conv mapping y-shaped (N, C_out, *out) to x-shaped has weight w (C_in as its C_out).
    dx = oracle.conv_backward_input(x, w, y.shape, case.stride, pairs, case.dilation, case.groups) \
        if oracle.output_shape(y.shape, w.shape, case.stride, pairs, case.dilation)[2:] == case.x_shape[2:] \
        else None
    if dx is None:
        pytest.skip("output_padding >= stride: the forward conv of y's shape has more positions than x")
    np.testing.assert_allclose(dx, y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_pad_input_matches_torch(ndim, mode):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3) + (5, 4, 6)[:ndim])
    pairs = [(2, 1), (0, 3), (1, 1)][:ndim]
    got = oracle.pad_input(x, pairs, mode)
    want = F.pad(torch.tensor(x), _torch_pad_arg(pairs), mode=TORCH_PAD_MODE[mode]).numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("ndim", [1, 2])
def test_unpad_gradient_matches_torch(ndim, mode):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 2) + (5, 4)[:ndim])
    pairs = [(3, 1), (0, 3)][:ndim]
    xt = torch.tensor(x, requires_grad=True)
    yt = F.pad(xt, _torch_pad_arg(pairs), mode=TORCH_PAD_MODE[mode])
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(oracle.unpad_gradient(g, x.shape, pairs, mode), xt.grad.numpy(),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,k,s,d", list(itertools.product([1, 2, 5, 8, 13], [1, 2, 3, 4], [1, 2, 3], [1, 2])))
def test_same_padding_matches_torch_at_stride_1_and_ceil_rule(n, k, s, d):
    (b, a), = oracle.normalise_padding("same", (n,), (k,), (s,), (d,))
    out = oracle.output_size(n, b, a, k, s, d)
    assert out == -(-n // s), "same padding gives ceil(in / stride) outputs"
    assert 0 <= a - b <= 1, "the odd extra element goes at the end"
    if s == 1:
        # Values, not just the size: torch's "same" puts the odd extra element at the end too.
        rng = np.random.default_rng(n * 100 + k * 10 + d)
        x = rng.standard_normal((1, 2, n))
        w = rng.standard_normal((2, 2, k))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch: even kernel "same" makes a padded copy
            yt = F.conv1d(torch.tensor(x), torch.tensor(w), padding="same", dilation=d).numpy()
        y = oracle.conv_forward_mode(x, w, padding="same", dilation=d)
        np.testing.assert_allclose(y, yt, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,k,s,d", list(itertools.product([1, 3, 7, 10], [1, 2, 3], [1, 2, 3], [1, 2])))
def test_full_valid_output_sizes_match_torch(n, k, s, d):
    for kind in ("valid", "full"):
        (b, a), = oracle.normalise_padding(kind, (n,), (k,), (s,), (d,))
        assert (b, a) == ((0, 0) if kind == "valid" else (d * (k - 1),) * 2)
        out = oracle.output_size(n, b, a, k, s, d)
        if out >= 1:
            y = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=b, dilation=d)
            assert y.shape[-1] == out


def test_tolerance_grows_with_reduction_length():
    assert oracle.tolerance(np.float32, 1000) > oracle.tolerance(np.float32, 10)
    assert oracle.tolerance(np.float64, 100) < oracle.tolerance(np.float32, 100)
    assert oracle.tolerance(np.float32, 1) < 1e-5


def test_assert_close_rejects_wrong_values():
    """The comparison helper itself can fail (guard against a test suite that cannot)."""
    ref = np.arange(12.0).reshape(3, 4)
    oracle.assert_close(ref.astype(np.float32), ref, np.float32, 10)
    bad = ref.copy()
    bad[1, 2] += 1e-3
    with pytest.raises(AssertionError):
        oracle.assert_close(bad, ref, np.float64, 10)
    with pytest.raises(AssertionError):
        oracle.assert_close(ref.astype(np.float32), ref, np.float64, 10)  # wrong dtype
    with pytest.raises(AssertionError):
        oracle.assert_close(ref.T.copy(), ref, np.float64, 10)  # wrong shape
    nan = ref.copy()
    nan[0, 0] = np.nan
    with pytest.raises(AssertionError):
        oracle.assert_close(nan, ref, np.float64, 10)
