"""cnnkern-bench: time cnnkern's algorithms on the standard layer set and print a table.

Usage: cnnkern-bench [--quick] [--layers NAME,...] [--algorithms direct,...] [--passes fwd,...]
                     [--threads N] [--dtype float32] [--repeat R] [--shapes FILE] [--json FILE]
                     [--compare torch]

For each layer it reports the median time, GFLOP/s (2*N*C_out*C_in/g*prod(k)*prod(out) / t, the
same count for every pass) and the ratio to NumPy's matmul of the equivalent GEMM
(M=C_out/g, N=batch*out_pixels, K=C_in/g*prod(k), times groups) measured in the same run.
The default shapes are carried inside the package (cnnkern/data/shapes.json).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time
from importlib import resources

import numpy as np

from . import __version__
from ._params import make_conv_params
from ._threads import get_num_threads, num_threads
from .conv import algorithms, conv2d_backward_input, conv2d_backward_weight, conv2d_forward

PASSES = ("fwd", "bwd_input", "bwd_weight")
QUICK_LAYERS = ("r50_3x3_28", "r50_3x3_14", "r50_1x1_14", "dw3x3_56")


def load_shapes(path=None):
    if path is None:
        with resources.files("cnnkern").joinpath("data/shapes.json").open() as fh:
            return json.load(fh)
    with open(path) as fh:
        return json.load(fh)


def _median_time(fn, repeat, min_time=0.05):
    fn()  # warm-up: page in buffers, let OpenMP start its team
    times = []
    start = time.perf_counter()
    while len(times) < repeat or (time.perf_counter() - start < min_time and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _layer_problem(layer, dtype, rng):
    n, c, k_out, h, w, k = (layer[f] for f in ("n", "c_in", "c_out", "h", "w", "k"))
    groups = layer.get("groups", 1)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((k_out, c // groups, k, k)).astype(dtype)
    kw = dict(stride=layer.get("stride", 1), padding=layer.get("pad", 0), groups=groups)
    p = make_conv_params(2, x.shape, wt.shape, **kw)
    dy = rng.standard_normal(p.y_shape).astype(dtype)
    return x, wt, dy, kw, p


def _blas_threads(n):
    """Limit NumPy's BLAS to n threads (threadpoolctl), or do nothing without it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def _gemm_gflops(p, dtype, repeat, rng):
    """GFLOP/s of NumPy's matmul on the GEMM an im2col convolution would run (same flop count)."""
    m = p.out_channels // p.groups
    kk = (p.in_channels // p.groups) * int(np.prod(p.kernel_size))
    nn = p.batch * int(np.prod(p.out_size))
    a = rng.standard_normal((m, kk)).astype(dtype)
    b = rng.standard_normal((kk, nn)).astype(dtype)
    with _blas_threads(get_num_threads()):  # the baseline runs on as many threads as cnnkern
        t = _median_time(lambda: a @ b, repeat) * p.groups
    return 2.0 * m * kk * nn * p.groups / t / 1e9


def _torch_calls(x, w, dy, kw, threads):
    """The same three passes in PyTorch (its CPU build), or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    xt, wt, dyt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(dy)
    args = dict(stride=kw["stride"], padding=kw["padding"], groups=kw["groups"])
    return {
        "fwd": lambda: torch.nn.functional.conv2d(xt, wt, **args),
        "bwd_input": lambda: torch.nn.grad.conv2d_input(xt.shape, wt, dyt, **args),
        "bwd_weight": lambda: torch.nn.grad.conv2d_weight(xt, wt.shape, dyt, **args),
    }


def run(layers, algos, passes, dtype, repeat, out=None, compare_torch=False):
    out = out if out is not None else sys.stdout  # looked up per call: callers may redirect stdout
    rng = np.random.default_rng(0)
    rows = []
    for layer in layers:
        x, w, dy, kw, p = _layer_problem(layer, dtype, rng)
        gemm = _gemm_gflops(p, dtype, repeat, rng)
        flops = p.flops()
        if compare_torch:
            calls = _torch_calls(x, w, dy, kw, get_num_threads())
            for pas in passes:
                t = _median_time(calls[pas], repeat)
                gf = flops / t / 1e9
                rows.append(dict(layer=layer["name"], algorithm="torch", pass_=pas, median_s=t, gflops=gf,
                                 numpy_gemm_gflops=gemm, ratio_to_gemm=gf / gemm))
                print(f"{layer['name']:<18} {'torch':<10} {pas:<11} {t * 1e3:9.2f} ms {gf:8.1f} GFLOP/s "
                      f"{gemm:8.1f} {gf / gemm:6.2f}", file=out, flush=True)
        for algo in algos:
            calls = {
                "fwd": lambda: conv2d_forward(x, w, algorithm=algo, **kw),
                "bwd_input": lambda: conv2d_backward_input(dy, w, x.shape, algorithm=algo, **kw),
                "bwd_weight": lambda: conv2d_backward_weight(dy, x, w.shape, algorithm=algo, **kw),
            }
            for pas in passes:
                try:
                    t = _median_time(calls[pas], repeat)
                except NotImplementedError:  # e.g. fft on a strided layer: no row
                    print(f"{layer['name']:<18} {algo:<10} {pas:<11} (not supported)", file=out, flush=True)
                    continue
                gf = flops / t / 1e9
                row = dict(layer=layer["name"], algorithm=algo, pass_=pas, median_s=t, gflops=gf,
                           numpy_gemm_gflops=gemm, ratio_to_gemm=gf / gemm)
                rows.append(row)
                print(f"{row['layer']:<18} {algo:<10} {pas:<11} {t * 1e3:9.2f} ms {gf:8.1f} GFLOP/s "
                      f"{gemm:8.1f} {gf / gemm:6.2f}", file=out, flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(prog="cnnkern-bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK_LAYERS)}, forward and backward")
    ap.add_argument("--layers", help="comma-separated layer names from the shapes file")
    ap.add_argument("--algorithms", help="comma-separated algorithm names (default: all but reference)")
    ap.add_argument("--passes", default=",".join(PASSES), help="comma-separated subset of " + ",".join(PASSES))
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--shapes", help="a shapes JSON file in the format of cnnkern/data/shapes.json")
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument("--compare", choices=("torch",), help="also time PyTorch's conv2d passes (if installed)")
    args = ap.parse_args(argv)

    shapes = load_shapes(args.shapes)
    layers = shapes["conv2d"]
    if args.layers:
        wanted = args.layers.split(",")
        unknown = set(wanted) - {layer["name"] for layer in layers}
        if unknown:
            ap.error(f"unknown layers {sorted(unknown)}")
        layers = [layer for layer in layers if layer["name"] in wanted]
    elif args.quick:
        layers = [layer for layer in layers if layer["name"] in QUICK_LAYERS]
    algos = args.algorithms.split(",") if args.algorithms else [a for a in algorithms() if a != "reference"]
    for a in algos:
        if a not in algorithms():
            ap.error(f"unknown algorithm {a!r}; available: {', '.join(algorithms())}")
    passes = args.passes.split(",")
    for pas in passes:
        if pas not in PASSES:
            ap.error(f"unknown pass {pas!r}; choose from {', '.join(PASSES)}")
    threads = args.threads or get_num_threads()
    if args.compare == "torch":
        try:
            import torch  # noqa: F401
        except ImportError:
            ap.error("--compare torch needs PyTorch installed (pip install torch)")

    with num_threads(threads):
        print(f"cnnkern {__version__} | numpy {np.__version__} | {platform.machine()} | "
              f"{threads} thread(s) | {args.dtype}")
        print(f"{'layer':<18} {'algorithm':<10} {'pass':<11} {'median':>12} {'speed':>16} "
              f"{'np.matmul':>8} {'ratio':>6}")
        rows = run(layers, algos, passes, np.dtype(args.dtype), args.repeat, compare_torch=args.compare == "torch")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(version=__version__, threads=threads, dtype=args.dtype, cpu_count=os.cpu_count(),
                           rows=rows), fh, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
