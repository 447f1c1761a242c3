"""Benchmark of algorithm="fft" (a script, not a pytest-benchmark suite; prints tables, --json saves).

    python benchmarks/bench_fft.py [--quick] [--repeat 5] [--json out.json]

1. layers: float32 forward at 2 threads on k11_64 (n=4, 32->32, 64x64, 11x11, "same"), cb_l2_k9 and
   cb_l4_k7: fft (plain call, and through a ConvPlan whose kernel spectrum is reused) against direct
   and im2col. GFLOP/s-equivalent = 2*N*C_out*C_in/g*k*k*out_pixels / time (the direct count).
2. kernel sweep: the same three layers with k = 1, 3, ..., 31 (kernels that fit): the fft time against
   the faster of direct/im2col, and the crossover (smallest k from which fft stays faster).
3. signal: one channel, float64, 1 thread, 1024x1024 image, 15/31/63 kernels, "valid" and "full":
   conv2d_forward(x[None, None], w[None, None], algorithm="fft") against scipy.signal.correlate
   (method="fft") and scipy.signal.fftconvolve (pocketfft) on the same data.
Timings are medians of `repeat` runs of wall time after one warm-up call (`--timer cpu`: process CPU
time instead, meaningful at 1 thread only, and steadier than wall time on a machine shared with other jobs).
"""
import argparse
import json
import sys
import time

import numpy as np

import cnnkern
from cnnkern._params import make_conv_params
from cnnkern.bench import median_call_time

LAYERS = [
    # name, n, c_in, c_out, size, k, padding
    ("k11_64", 4, 32, 32, 64, 11, "same"),
    ("cb_l2_k9", 4, 64, 128, 64, 9, 0),
    ("cb_l4_k7", 8, 128, 128, 16, 7, 0),
]
SWEEP = (1, 3, 5, 7, 9, 11, 15, 21, 31)


CLOCK = [time.perf_counter]


def median_time(fn, repeat):
    return median_call_time(fn, repeat, CLOCK[0])


def conv_case(n, c_in, c_out, size, k, padding, dtype, rng):
    x = rng.standard_normal((n, c_in, size, size)).astype(dtype)
    w = rng.standard_normal((c_out, c_in, k, k)).astype(dtype)
    p = make_conv_params(2, x.shape, w.shape, padding=padding)
    return x, w, p.flops()


def bench_layers(repeat, rng, out):
    rows = []
    print("\n== layers: float32 forward, %d threads, %s time (GFLOP/s-equivalent, ratio = faster of direct/im2col "
          "time / fft time)" % (cnnkern.get_num_threads(), CLOCK[0].__name__), file=out)
    print(f"{'layer':<10} {'direct':>14} {'im2col':>14} {'fft':>14} {'fft plan':>14} {'ratio':>6} {'plan ratio':>10}",
          file=out)
    for name, n, ci, co, size, k, pad in LAYERS:
        x, w, flops = conv_case(n, ci, co, size, k, pad, np.float32, rng)
        t = {a: median_time(lambda: cnnkern.conv2d_forward(x, w, padding=pad, algorithm=a), repeat)
             for a in ("direct", "im2col", "fft")}
        plan = cnnkern.ConvPlan(w, x.shape, padding=pad, algorithm="fft")
        t["fft_plan"] = median_time(lambda: plan.forward(x), repeat)
        best = min(t["direct"], t["im2col"])
        row = dict(layer=name, flops=flops, **{a + "_s": v for a, v in t.items()},
                   ratio=best / t["fft"], plan_ratio=best / t["fft_plan"], fft_plan_info=plan.fft_info())
        rows.append(row)
        cell = lambda a: f"{t[a] * 1e3:6.1f}ms {flops / t[a] / 1e9:5.0f}"  # noqa: E731
        print(f"{name:<10} {cell('direct'):>14} {cell('im2col'):>14} {cell('fft'):>14} {cell('fft_plan'):>14} "
              f"{row['ratio']:6.2f} {row['plan_ratio']:10.2f}", file=out, flush=True)
    return rows


def bench_sweep(repeat, rng, out):
    rows = []
    print("\n== kernel sweep: float32 forward, %d threads: fft time / faster of direct, im2col "
          "(< 1: fft wins)" % cnnkern.get_num_threads(), file=out)
    crossover = {}
    for name, n, ci, co, size, _, pad in LAYERS:
        line = []
        wins = []
        for k in SWEEP:
            if pad == 0 and k > size:
                continue
            x, w, flops = conv_case(n, ci, co, size, k, pad, np.float32, rng)
            t = {a: median_time(lambda: cnnkern.conv2d_forward(x, w, padding=pad, algorithm=a), repeat)
                 for a in ("direct", "im2col", "fft")}
            rel = t["fft"] / min(t["direct"], t["im2col"])
            rows.append(dict(layer=name, k=k, **{a + "_s": v for a, v in t.items()}, fft_relative=rel))
            wins.append((k, rel < 1))
            line.append(f"k{k}:{rel:.2f}")
        cross = next((k for i, (k, _) in enumerate(wins) if all(w for _, w in wins[i:])), None)
        crossover[name] = cross
        print(f"{name:<10} " + " ".join(line) + f"   crossover k = {cross}", file=out, flush=True)
    return rows, crossover


def bench_signal(repeat, rng, out):
    import scipy.signal

    rows = []
    print("\n== signal: 1 channel, float64, 1 thread, 1024x1024 (ratio = faster scipy time / cnnkern time)",
          file=out)
    x = rng.standard_normal((1024, 1024))
    with cnnkern.num_threads(1):
        for k in (15, 31, 63):
            w = rng.standard_normal((k, k))
            for mode in ("valid", "full"):
                t_ck = median_time(lambda: cnnkern.conv2d_forward(x[None, None], w[None, None], padding=mode,
                                                                  algorithm="fft"), repeat)
                t_corr = median_time(lambda: scipy.signal.correlate(x, w, mode=mode, method="fft"), repeat)
                t_conv = median_time(lambda: scipy.signal.fftconvolve(x, w[::-1, ::-1], mode=mode), repeat)
                ratio = min(t_corr, t_conv) / t_ck
                rows.append(dict(k=k, mode=mode, cnnkern_s=t_ck, scipy_correlate_s=t_corr,
                                 scipy_fftconvolve_s=t_conv, ratio=ratio))
                print(f"k={k:<3} {mode:<6} cnnkern {t_ck * 1e3:7.1f} ms  scipy.correlate {t_corr * 1e3:7.1f} ms  "
                      f"fftconvolve {t_conv * 1e3:7.1f} ms  ratio {ratio:5.2f}", file=out, flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="threads for the layer and sweep parts (default 2)")
    ap.add_argument("--quick", action="store_true", help="layers and signal only (no kernel sweep)")
    ap.add_argument("--json", help="write the measurements here")
    ap.add_argument("--timer", choices=("wall", "cpu"), default="wall",
                    help="wall: perf_counter; cpu: process_time (use with --threads 1)")
    args = ap.parse_args(argv)
    CLOCK[0] = time.process_time if args.timer == "cpu" else time.perf_counter
    rng = np.random.default_rng(0)
    out = sys.stdout
    res = {}
    with cnnkern.num_threads(args.threads):
        res["layers"] = bench_layers(args.repeat, rng, out)
        if not args.quick:
            res["sweep"], res["crossover"] = bench_sweep(args.repeat, rng, out)
    res["signal"] = bench_signal(args.repeat, rng, out)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
