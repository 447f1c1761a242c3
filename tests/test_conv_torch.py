"""Optional: the cnnkern API against PyTorch directly, with torch's own argument forms (skipped without torch)."""
import numpy as np
import pytest

import cnnkern
from oracle import assert_close

torch = pytest.importorskip("torch")
F = torch.nn.functional
# torch only computes small references here; its own OpenMP pool spinning beside cnnkern's makes
# every call slow on a 2-core machine.
torch.set_num_threads(1)

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
MODULE = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}
SPATIAL = {1: (23,), 2: (9, 11), 3: (5, 6, 7)}

# Arguments valid for both torch.nn.functional.convNd and cnnkern.convNd_forward.
TORCH_CONFIGS = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(3,), padding=(2,), dilation=(2,)),
    dict(padding="same", dilation=2),
    dict(padding="valid", stride=2),
    dict(groups=2, padding=1),
    dict(groups=4, padding=2, stride=2),  # depthwise
]


def _axis(cfg, ndim):
    """Expand 1-tuples in a config to ndim-tuples."""
    return {k: (v * ndim if isinstance(v, tuple) else v) for k, v in cfg.items()}


@pytest.mark.parametrize("cfg", range(len(TORCH_CONFIGS)))
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_forward_and_backward_vs_torch(ndim, cfg, algorithm, run_algo):
    kw = _axis(TORCH_CONFIGS[cfg], ndim)
    groups = kw.get("groups", 1)
    rng = np.random.default_rng(10 * ndim + cfg)
    x = rng.standard_normal((2, 4) + SPATIAL[ndim])
    w = rng.standard_normal((8, 4 // groups) + (3, 2, 3)[:ndim])
    b = rng.standard_normal(8)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = CONV[ndim](xt, wt, bt, **kw)
    y, f = run_algo(getattr(cnnkern, f"conv{ndim}d_forward"), x, w, b, algorithm=algorithm, **kw)
    assert_close(y, yt.detach().numpy(), np.float64, 4 * 18, f)
    dy = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(dy))
    (dx, dw, db), f = run_algo(getattr(cnnkern, f"conv{ndim}d_backward"), dy, x, w, algorithm=algorithm, **kw)
    assert_close(dx, xt.grad.numpy(), np.float64, 8 * 18, f)
    assert_close(dw, wt.grad.numpy(), np.float64, dy[:, 0].size, f)
    assert_close(db, bt.grad.numpy(), np.float64, dy[:, 0].size, 1.0)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_padding_mode_vs_torch_module(ndim, mode, algorithm, run_algo):
    """padding_mode as in torch.nn.ConvNd(padding_mode=...), forward and all gradients."""
    rng = np.random.default_rng(ndim)
    torch.manual_seed(ndim)
    m = MODULE[ndim](4, 6, (3, 2, 3)[:ndim], stride=2, padding=2 if ndim < 3 else 1, dilation=1, groups=2,
                     padding_mode=mode, bias=True).double()
    x = rng.standard_normal((2, 4) + SPATIAL[ndim])
    xt = torch.tensor(x, requires_grad=True)
    yt = m(xt)
    w = m.weight.detach().numpy().copy()
    b = m.bias.detach().numpy().copy()
    kw = dict(stride=2, padding=2 if ndim < 3 else 1, groups=2, padding_mode=mode)
    y, f = run_algo(getattr(cnnkern, f"conv{ndim}d_forward"), x, w, b, algorithm=algorithm, **kw)
    assert_close(y, yt.detach().numpy(), np.float64, 36, f)
    dy = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(dy))
    (dx, dw, db), f = run_algo(getattr(cnnkern, f"conv{ndim}d_backward"), dy, x, w, algorithm=algorithm, **kw)
    assert_close(dx, xt.grad.numpy(), np.float64, 3 ** ndim * 36, f)
    assert_close(dw, m.weight.grad.numpy(), np.float64, dy[:, 0].size, f)
    assert_close(db, m.bias.grad.numpy(), np.float64, dy[:, 0].size, 1.0)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_float32_vs_torch(ndim, algorithm, run_algo):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5) + SPATIAL[ndim]).astype(np.float32)
    w = rng.standard_normal((7, 5) + (3,) * ndim).astype(np.float32)
    y, f = run_algo(getattr(cnnkern, f"conv{ndim}d_forward"), x, w, algorithm=algorithm, padding=1)
    yt = CONV[ndim](torch.tensor(x).double(), torch.tensor(w).double(), padding=1).numpy()
    assert_close(y, yt, np.float32, 5 * 3 ** ndim, f)


@pytest.mark.parametrize("cfg", [
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=3, padding=0, output_padding=2, groups=2),
    dict(stride=1, padding=2, dilation=2),
    dict(stride=2, padding=1, output_padding=1, dilation=3, groups=4),
], ids=str)
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_conv_transpose_vs_torch(ndim, cfg, algorithm, run_algo):
    groups = cfg.get("groups", 1)
    rng = np.random.default_rng(ndim)
    x = rng.standard_normal((2, 4) + tuple(s // 2 + 1 for s in SPATIAL[ndim]))
    w = rng.standard_normal((4, {1: 6, 2: 3, 4: 1}[groups]) + (3, 2, 3)[:ndim])  # (C_in, C_out // groups, *k)
    b = rng.standard_normal(w.shape[1] * groups)
    yt = CONV_T[ndim](torch.tensor(x), torch.tensor(w), torch.tensor(b), **cfg).numpy()
    y, f = run_algo(getattr(cnnkern, f"conv_transpose{ndim}d_forward"), x, w, b, algorithm=algorithm, **cfg)
    assert_close(y, yt, np.float64, 4 * 18, f)


def test_flip_matches_torch_flipped_kernel():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 7, 8))
    w = rng.standard_normal((3, 2, 3, 4))
    y = cnnkern.conv2d_forward(x, w, padding="full", flip=True)
    pad = (3, 3, 2, 2)
    yt = F.conv2d(F.pad(torch.tensor(x), pad), torch.flip(torch.tensor(w), dims=(2, 3))).numpy()
    assert_close(y, yt, np.float64, 24)
