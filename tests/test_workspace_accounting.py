"""Process-wide accounting of the C workspace allocator (ck_aligned_alloc): what cnnkern-bench
reports as each algorithm's extra memory."""
import threading

import numpy as np
import pytest

import cnnkern
from cnnkern import _conv_ext
from cnnkern._params import make_conv_params

FAST = [a for a in cnnkern.algorithms() if a != "reference"]


def _peak_of(fn):
    before = _conv_ext.workspace_bytes()[0]
    _conv_ext.workspace_reset_peak()
    fn()
    current, peak = _conv_ext.workspace_bytes()
    return current - before, peak - before


@pytest.mark.parametrize("algorithm", FAST)
def test_every_pass_frees_what_it_allocates(algorithm):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 12, 12)).astype(np.float32)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    if algorithm == "separable":  # it runs rank-1 kernels only, and has no weight-gradient pass
        w = w[..., :, :1] * w[..., :1, :]
    dy = rng.standard_normal((2, 16, 12, 12)).astype(np.float32)
    kw = dict(padding=1, algorithm=algorithm)
    passes = [lambda: cnnkern.conv2d_forward(x, w, **kw),
              lambda: cnnkern.conv2d_backward_input(dy, w, x.shape, **kw)]
    if algorithm not in ("separable", "winograd"):  # neither has a weight-gradient pass
        passes.append(lambda: cnnkern.conv2d_backward_weight(dy, x, w.shape, **kw))
    for fn in passes:
        left, peak = _peak_of(fn)
        assert left == 0
        assert peak > 0  # every fast algorithm packs or copies through the counted allocator


def test_im2col_peak_covers_its_workspace_formula():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 16, 20, 20)).astype(np.float32)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    p = make_conv_params(2, x.shape, w.shape, padding=1)
    with cnnkern.num_threads(2):
        _, peak = _peak_of(lambda: cnnkern.conv2d_forward(x, w, padding=1, algorithm="im2col"))
        formula = _conv_ext.im2col_workspace(p.as_c_tuple(), 0, 4, 2)
    assert formula > 0 and formula <= peak <= formula + 64 * 1024


def test_reset_peak_and_concurrent_calls():
    x = np.ones((1, 8, 16, 16), np.float32)
    w = np.ones((8, 8, 3, 3), np.float32)
    base = _conv_ext.workspace_bytes()[0]
    errors = []

    def work():
        try:
            for _ in range(20):
                cnnkern.conv2d_forward(x, w, padding=1, algorithm="direct")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _conv_ext.workspace_bytes()[0] == base
    _conv_ext.workspace_reset_peak()
    assert _conv_ext.workspace_bytes() == (base, base)


POOL_PASSES = {
    "max": lambda x, dy: (cnnkern.max_pool2d_forward(x, 3, 2, padding=1),
                          cnnkern.max_pool2d_backward(dy, x, 3, 2, padding=1)),
    "min": lambda x, dy: (cnnkern.min_pool2d_forward(x, 3, 2, padding=1),
                          cnnkern.min_pool2d_backward(dy, x, 3, 2, padding=1)),
    "avg": lambda x, dy: (cnnkern.avg_pool2d_forward(x, 3, 2, padding=1),
                          cnnkern.avg_pool2d_backward(dy, x, 3, 2, padding=1)),
    "avg_pad": lambda x, dy: (cnnkern.avg_pool2d_forward(x, 3, 2, padding=1, count_include_pad=True),
                              cnnkern.avg_pool2d_backward(dy, x, 3, 2, padding=1, count_include_pad=True)),
    "weighted": lambda x, dy: (cnnkern.avg_pool2d_forward(x, 3, 2, padding=1, weights=np.ones((3, 3))),
                               cnnkern.avg_pool2d_backward(dy, x, 3, 2, padding=1, weights=np.ones((3, 3)))),
}


@pytest.mark.parametrize("kind", sorted(POOL_PASSES))
@pytest.mark.parametrize("width", [7, 40])  # rows under and over the SIMD kernels' short-row cut
def test_every_pooling_pass_frees_what_it_allocates(kind, width):
    """Pooling allocates through the same counted allocator (one runtime for every extension): a call
    that returns must have freed its workspace (an average backward once kept its tap tables)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, width, width)).astype(np.float32)
    out = (width + 2 - 3) // 2 + 1
    dy = rng.standard_normal((2, 3, out, out)).astype(np.float32)
    left, peak = _peak_of(lambda: POOL_PASSES[kind](x, dy))
    assert left == 0
