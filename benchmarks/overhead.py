"""Per-call overhead of cnnkern's Python layer on a tiny problem, beside PyTorch's in the same run.

    python benchmarks/overhead.py [--calls 2000] [--repeat 5]

1x1x8x8 float32 input, 3x3 kernel (the kernel itself takes about 3 us of the call): microseconds per
call, best of `repeat` runs of `calls` calls each; PyTorch's F.conv2d / F.max_pool2d beside them
when torch is installed (on one thread, as cnnkern runs calls this small). Works on older cnnkern
versions too, for before/after comparisons.
"""
import argparse
import time

import numpy as np

import cnnkern


def per_call_us(fn, calls, repeat):
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, time.perf_counter() - t0)
    return best / calls * 1e6


def cases():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 8, 8)).astype(np.float32)
    w = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    plan = cnnkern.ConvPlan(w, x.shape, algorithm="direct")
    rows = [
        ("conv2d_forward direct", lambda: cnnkern.conv2d_forward(x, w, algorithm="direct")),
        ("conv2d_forward auto", lambda: cnnkern.conv2d_forward(x, w)),
        ("ConvPlan(direct).forward", lambda: plan.forward(x)),
        ("max_pool2d_forward", lambda: cnnkern.max_pool2d_forward(x, 2)),
    ]
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return rows
    torch.set_num_threads(1)  # cnnkern runs a call this small on one thread too (SERIAL_FLOPS)
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    rows += [
        ("torch F.conv2d", lambda: F.conv2d(xt, wt)),
        ("torch F.conv2d + from_numpy/.numpy()",
         lambda: F.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy()),
        ("torch F.max_pool2d", lambda: F.max_pool2d(xt, 2)),
    ]
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    print(f"cnnkern {cnnkern.__version__}, {cnnkern.get_num_threads()} threads, "
          f"best of {args.repeat} x {args.calls} calls")
    for name, fn in cases():
        print(f"{name:40s} {per_call_us(fn, args.calls, args.repeat):7.2f} us")


if __name__ == "__main__":
    main()
