"""Pooling benchmarks (pytest-benchmark) on the `pool2d` layers of ../shared/bench/shapes.json.

    python -m pytest benchmarks/bench_pool.py --benchmark-only -q
    CNNKERN_BENCH_THREADS=2 (default 2) sets the thread count of cnnkern and PyTorch.

Every case records in benchmark.extra_info: the layer, the bytes moved (bytes read + bytes written,
counting each array once), GB/s = bytes / median time (gb_per_s) and bytes / fastest round
(gb_per_s_best, useful on a shared machine), plus the thread count. Baselines:
np.copyto of an array the size of the layer's input (read + write = 2 * input bytes), and
torch.nn.functional.max_pool2d / avg_pool2d (and their backward ops) when PyTorch is importable.
"""
import json
import os

import numpy as np
import pytest

from cnnkern import pooling as P
from cnnkern._threads import num_threads

SHAPES = os.environ.get(
    "CNNKERN_BENCH_SHAPES",
    os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench", "shapes.json"),
)
if not os.path.exists(SHAPES):
    pytest.skip(f"benchmark shapes not found at {SHAPES}", allow_module_level=True)
with open(SHAPES) as fh:
    LAYERS = json.load(fh)["pool2d"]

THREADS = int(os.environ.get("CNNKERN_BENCH_THREADS", "2"))

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - optional baseline
    torch = None


def layer_id(layer):
    return layer["name"]


def make(layer, dtype=np.float32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((layer["n"], layer["c"], layer["h"], layer["w"])).astype(dtype)
    kw = dict(kernel_size=layer["k"], stride=layer["stride"], padding=layer["pad"])
    return x, kw


def record(benchmark, layer, nbytes):
    stats = benchmark.stats.stats
    benchmark.extra_info.update(layer=layer["name"], threads=THREADS, bytes=int(nbytes),
                                gb_per_s=nbytes / stats.median / 1e9,
                                gb_per_s_best=nbytes / stats.min / 1e9)   # least disturbed round


@pytest.mark.parametrize("layer", LAYERS, ids=layer_id)
def test_copyto_baseline(benchmark, layer):
    x, _ = make(layer)
    dst = np.empty_like(x)
    benchmark.group = layer["name"]
    benchmark(np.copyto, dst, x)
    record(benchmark, layer, 2 * x.nbytes)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("layer", LAYERS, ids=layer_id)
def test_pool_forward(benchmark, layer, kind):
    x, kw = make(layer)
    f = P.max_pool2d_forward if kind == "max" else P.avg_pool2d_forward
    benchmark.group = layer["name"]
    with num_threads(THREADS):
        y = benchmark(f, x, **kw)
    record(benchmark, layer, x.nbytes + y.nbytes)


@pytest.mark.parametrize("kind", ["max", "max_indices", "avg"])
@pytest.mark.parametrize("layer", LAYERS, ids=layer_id)
def test_pool_backward(benchmark, layer, kind):
    x, kw = make(layer)
    benchmark.group = layer["name"]
    with num_threads(THREADS):
        if kind == "avg":
            dy = P.avg_pool2d_forward(x, **kw)
            dx = benchmark(P.avg_pool2d_backward, dy, x, **kw)
            nbytes = dy.nbytes + dx.nbytes
        elif kind == "max":  # indices recomputed from x
            dy = P.max_pool2d_forward(x, **kw)
            dx = benchmark(P.max_pool2d_backward, dy, x, **kw)
            nbytes = dy.nbytes + x.nbytes + dx.nbytes
        else:  # indices from the forward, as a training framework does
            dy, idx = P.max_pool2d_forward(x, return_indices=True, **kw)
            dx = benchmark(P.max_pool2d_backward, dy, x, indices=idx, **kw)
            nbytes = dy.nbytes + idx.nbytes + dx.nbytes
    record(benchmark, layer, nbytes)


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("layer", LAYERS, ids=layer_id)
def test_torch_forward(benchmark, layer, kind):
    x, kw = make(layer)
    tx = torch.from_numpy(x)
    f = F.max_pool2d if kind == "max" else F.avg_pool2d
    benchmark.group = layer["name"]
    torch.set_num_threads(THREADS)
    with torch.no_grad():
        y = benchmark(f, tx, **kw)
    record(benchmark, layer, x.nbytes + y.numel() * 4)


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("kind", ["max_indices", "avg"])
@pytest.mark.parametrize("layer", LAYERS, ids=layer_id)
def test_torch_backward(benchmark, layer, kind):
    x, kw = make(layer)
    tx = torch.from_numpy(x)
    benchmark.group = layer["name"]
    torch.set_num_threads(THREADS)
    k, s, p = kw["kernel_size"], kw["stride"], kw["padding"]
    with torch.no_grad():
        if kind == "avg":
            dy = F.avg_pool2d(tx, **kw)
            benchmark(torch.ops.aten.avg_pool2d_backward, dy, tx, [k, k], [s, s], [p, p], False, True, None)
            nbytes = dy.numel() * 4 + x.nbytes
        else:
            dy, idx = F.max_pool2d(tx, return_indices=True, **kw)
            benchmark(torch.ops.aten.max_pool2d_with_indices_backward, dy, tx, [k, k], [s, s], [p, p],
                      [1, 1], False, idx)
            nbytes = dy.numel() * 4 + idx.numel() * 8 + x.nbytes
    record(benchmark, layer, nbytes)
