"""A/B timing of im2col with and without cnnkern's own GEMM kernels (small-N and panels), in one process.

    python benchmarks/gemm_panels_ab.py [--threads 2] [--rounds 11] [--dtype float32] [--passes fwd,bwd_input]
                                        [--layers r50_1x1_56,...]

For each layer and pass, im2col runs with cnnkern's own GEMM kernels on ("new"; the test hook
cnnkern._conv_ext.gemm_use_small_n(True), the default) and off ("old": the BLAS takes every GEMM), plus
a second "old" as a control for the noise; the three are called in a shuffled order every round and the
best time of each is reported with the ratio old / new (above 1: the kernels are faster). On an AVX2-only
CPU (or under CNNKERN_ISA=avx2) the layers below run their GEMMs through gemm_small_n.h's panels; with
AVX-512 the panels decline and new == old up to the small-N GEMMs. Layers: (batch, in channels, size,
out channels, kernel, padding), the ResNet-50 / VGG shapes whose GEMMs the panels take, and two that
they decline (A too large).
"""
import argparse
import random
import time

import numpy as np

import cnnkern
from cnnkern import _conv_ext

LAYERS = {
    "r50_1x1_56/1": (1, 256, 56, 64, 1, 0), "r50_1x1_56/8": (8, 256, 56, 64, 1, 0),
    "1x1_64to256_56/1": (1, 64, 56, 256, 1, 0), "1x1_64to256_56/8": (8, 64, 56, 256, 1, 0),
    "1x1_512to128_28/1": (1, 512, 28, 128, 1, 0), "1x1_512to128_28/8": (8, 512, 28, 128, 1, 0),
    "r50_3x3_56/1": (1, 64, 56, 64, 3, 1), "r50_3x3_56/8": (8, 64, 56, 64, 3, 1),
    "vgg_conv1_2/1": (1, 64, 224, 64, 3, 1),
    "r50_3x3_28/8 (declined)": (8, 128, 28, 128, 3, 1), "r50_1x1_14/8 (declined)": (8, 1024, 14, 256, 1, 0),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--passes", default="fwd,bwd_input")
    ap.add_argument("--layers", default=",".join(LAYERS))
    args = ap.parse_args(argv)
    dtype = np.dtype(args.dtype)
    info = _conv_ext.runtime_info()
    print(f"cnnkern isa={info['isa']} threads={args.threads} dtype={args.dtype} best of {args.rounds}, "
          f"shuffled; old = the BLAS for every GEMM, old2 = the same again (noise control)")
    for name in args.layers.split(","):
        n, c, size, k, ks, pad = LAYERS[name]
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, c, size, size)).astype(dtype)
        w = (rng.standard_normal((k, c, ks, ks)) / np.sqrt(c * ks * ks)).astype(dtype)
        dy = rng.standard_normal((n, k, size, size)).astype(dtype)
        for pas in args.passes.split(","):
            if pas == "fwd":
                def call():
                    return cnnkern.conv2d_forward(x, w, padding=pad, algorithm="im2col")
            else:
                def call():
                    return cnnkern.conv2d_backward_input(dy, w, x.shape, padding=pad, algorithm="im2col")

            def variant(on):
                def run():
                    _conv_ext.gemm_use_small_n(on)
                    try:
                        t = time.perf_counter()
                        call()
                        return time.perf_counter() - t
                    finally:
                        _conv_ext.gemm_use_small_n(True)
                return run

            contenders = {"new": variant(True), "old": variant(False), "old2": variant(False)}
            best = dict.fromkeys(contenders, float("inf"))
            with cnnkern.num_threads(args.threads):
                for run in contenders.values():  # warm-up: first-call set-up is not timed
                    run()
                for _ in range(args.rounds):
                    order = list(contenders)
                    random.shuffle(order)
                    for key in order:
                        best[key] = min(best[key], contenders[key]())
            flops = 2.0 * n * c * size * size * k * ks * ks
            cols = "  ".join(f"{key} {best[key] * 1e3:7.2f} ms {flops / best[key] / 1e9:4.0f} GF/s" for key in best)
            print(f"{name:24s} {pas:9s} {cols}  old/new {best['old'] / best['new']:.2f}x "
                  f"(control old/old2 {best['old'] / best['old2']:.2f})", flush=True)


if __name__ == "__main__":
    main()
