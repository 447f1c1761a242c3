"""cnnkern vs PyTorch on the depthwise, 1x1 and small-image layers of shared/bench/shapes.json (issue 13.3-5).

Same process, interleaved, best-of-N single calls, both libraries at the same thread count.
Forward = conv2d_forward; training step = forward + conv2d_backward (dx, dw, db) for cnnkern and
F.conv2d + autograd backward (dx, dw, db) for PyTorch. Ratios are torch time / cnnkern time.

    python benchmarks/depthwise_1x1.py [--layers dw3x3_56,r50_1x1_14] [--batch 8,1] [--repeat 7]
        [--threads 2] [--algorithms auto,direct,im2col] [--dtype float32]

Run once per ISA (CNNKERN_ISA=avx2 / avx512); the ISA is fixed per process.
"""
import argparse
import json
import os
import time

import numpy as np

import cnnkern

SHAPES = os.environ.get("CNNKERN_SHAPES", "/work/shared/bench/shapes.json")
DEFAULT_LAYERS = "dw3x3_56,r50_1x1_56,r50_1x1_14,r50_3x3_7"


def _best(fn, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", default=DEFAULT_LAYERS)
    ap.add_argument("--batch", default="8,1")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--algorithms", default="auto")
    ap.add_argument("--dtype", default="float32")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    cnnkern.set_num_threads(args.threads)
    with open(SHAPES) as f:
        layers = {d["name"]: d for d in json.load(f)["conv2d"]}
    algos = args.algorithms.split(",")
    rng = np.random.default_rng(0)
    print(f"ISA cap {os.environ.get('CNNKERN_ISA', '(none)')}, threads {args.threads}, {args.dtype}, "
          f"best of {args.repeat}; ratio = torch / cnnkern")
    print(f"{'layer':<14}{'N':>3} {'algo':<8}{'fwd ms':>8}{'torch':>8}{'ratio':>7}"
          f"{'train ms':>10}{'torch':>8}{'ratio':>7}{'GF/s fwd':>10}")
    for name in args.layers.split(","):
        L = layers[name]
        for n in (int(b) for b in args.batch.split(",")):
            c, k, h, ks, s, pad, g = L["c_in"], L["c_out"], L["h"], L["k"], L["stride"], L["pad"], L["groups"]
            x = rng.standard_normal((n, c, h, L["w"])).astype(args.dtype)
            w = rng.standard_normal((k, c // g, ks, ks)).astype(args.dtype)
            b = rng.standard_normal(k).astype(args.dtype)
            kw = dict(stride=s, padding=pad, groups=g)
            y = cnnkern.conv2d_forward(x, w, b, **kw)
            dy = rng.standard_normal(y.shape).astype(args.dtype)
            flops = 2.0 * y.size * (c // g) * ks * ks
            tx = torch.from_numpy(x).requires_grad_(True)
            tw = torch.from_numpy(w).requires_grad_(True)
            tb = torch.from_numpy(b).requires_grad_(True)
            tdy = torch.from_numpy(dy)

            def t_fwd():
                with torch.no_grad():
                    F.conv2d(tx, tw, tb, **kw)

            def t_train():
                tx.grad = tw.grad = tb.grad = None
                F.conv2d(tx, tw, tb, **kw).backward(tdy)

            fns = {"torch_fwd": t_fwd, "torch_train": t_train}
            for a in algos:
                fns[a + "_fwd"] = lambda a=a: cnnkern.conv2d_forward(x, w, b, algorithm=a, **kw)

                def c_train(a=a):
                    cnnkern.conv2d_forward(x, w, b, algorithm=a, **kw)
                    cnnkern.conv2d_backward(dy, x, w, algorithm=a, **kw)
                fns[a + "_train"] = c_train
            best = {key: float("inf") for key in fns}
            for key, fn in fns.items():  # warm-up
                fn()
            for _ in range(args.repeat):  # interleaved rounds
                for key, fn in fns.items():
                    best[key] = min(best[key], _best(fn, 1))
            for a in algos:
                f, tr = best[a + "_fwd"], best[a + "_train"]
                print(f"{name:<14}{n:>3} {a:<8}{f * 1e3:8.3f}{best['torch_fwd'] * 1e3:8.3f}"
                      f"{best['torch_fwd'] / f:7.2f}{tr * 1e3:10.3f}{best['torch_train'] * 1e3:8.3f}"
                      f"{best['torch_train'] / tr:7.2f}{flops / f / 1e9:10.1f}")


if __name__ == "__main__":
    main()
