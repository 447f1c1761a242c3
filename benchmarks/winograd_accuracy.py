"""Accuracy of algorithm "winograd" (and "fft", for comparison) on the standard 3x3 and 5x5 stride-1
layers (F(4x4, 3x3) and F(2x2, 5x5)).

    python benchmarks/winograd_accuracy.py [--batch 1]

N(0,1) input, weight and upstream gradient, max |y - y_exact| / max |y_exact| of the forward pass,
the input gradient (bwd) and the weight gradient (wgrad), y_exact from float64 direct convolution (the exact value's error is ~1e-16, far below both figures), per dtype and algorithm.
"""
import argparse
import json
import os

import numpy as np

import cnnkern

SHAPES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench", "shapes.json")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shapes", default=SHAPES)
    ap.add_argument("--batch", type=int, default=1, help="images per layer (error is a max over the batch)")
    args = ap.parse_args(argv)
    with open(args.shapes) as fh:
        layers = [l for l in json.load(fh)["conv2d"] if l["k"] in (3, 5) and l["stride"] == 1]
    print(f"{'layer':<14}{'f32 winograd':>14}{'f32 fft':>10}{'f64 winograd':>14}{'f64 fft':>10}"
          f"{'bwd f32 wino':>14}{'bwd f64 wino':>14}{'wgrad f32':>12}{'wgrad f64':>12}")
    for l in layers:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((args.batch, l["c_in"], l["h"], l["w"]))
        w = rng.standard_normal((l["c_out"], l["c_in"] // l["groups"], l["k"], l["k"]))
        kw = dict(padding=l["pad"], groups=l["groups"])
        exact = cnnkern.conv2d_forward(x, w, algorithm="direct", **kw)
        scale = np.abs(exact).max()
        errs = []
        for dt in (np.float32, np.float64):
            for a in ("winograd", "fft"):
                y = cnnkern.conv2d_forward(x.astype(dt), w.astype(dt), algorithm=a, **kw)
                errs.append(np.abs(y - exact).max() / scale)
        dy = rng.standard_normal(exact.shape)
        dx_exact = cnnkern.conv2d_backward_input(dy, w, x.shape, algorithm="direct", **kw)
        for dt in (np.float32, np.float64):
            dx = cnnkern.conv2d_backward_input(dy.astype(dt), w.astype(dt), x.shape, algorithm="winograd", **kw)
            errs.append(np.abs(dx - dx_exact).max() / np.abs(dx_exact).max())
        dw_exact = cnnkern.conv2d_backward_weight(dy, x, w.shape, algorithm="direct", **kw)
        for dt in (np.float32, np.float64):
            dw = cnnkern.conv2d_backward_weight(dy.astype(dt), x.astype(dt), w.shape, algorithm="winograd", **kw)
            errs.append(np.abs(dw - dw_exact).max() / np.abs(dw_exact).max())
        print(f"{l['name']:<14}{errs[0]:14.2e}{errs[1]:10.2e}{errs[2]:14.2e}{errs[3]:10.2e}"
              f"{errs[4]:14.2e}{errs[5]:14.2e}{errs[6]:12.2e}{errs[7]:12.2e}", flush=True)


if __name__ == "__main__":
    main()
