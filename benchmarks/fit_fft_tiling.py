"""Measure every tiling of algorithm="fft" plain calls and refit the tiling cost model (choose_tiles in
csrc/conv/fft/conv_fft.c, constants COST_*_F of forward-type plans).

    PYTHONPATH=$PWD python benchmarks/fit_fft_tiling.py [--repeat 5] [--only k11_64,cb_l2_k9]
                                                         [--json out.json] [--load out.json]

1. Problems: the three bench layers (float32 forward; also bwd_input, which runs a forward-type plan of
   the transposed problem), the kernel sweep n4 32->32 64x64 "same" k 3..31 (float32), and one-channel
   float64 1024x1024 images with k 15 "same", 31 and 63 (padding 0 and k-1; per-image transforms,
   the older COST_FFT/COST_MAC/COST_COPY model, reported, not fitted).
2. Candidates: whole image, and per spatial axis each tile size the operator allows (TILE_SIZES below,
   as axis_candidates: m = n - k + 1 >= 1, n < whole size, >= 2 tiles); every pair of per-axis choices
   for the small problems, "square" ones (same choice on both axes) for the 1024x1024 images.
3. Timing: a plain cnnkern.conv2d_forward / conv2d_backward_input call with the tiling forced through
   the environment variable CNNKERN_FFT_TILE="n0,n1,n2" (read by the plain entry points only; 0 auto,
   -1 whole, N tile size), at 1 thread, process CPU time, the MINIMUM of `repeat` calls; all
   candidates of a problem interleaved (shuffled per round) in this one process, since the machine's
   speed drifts 15-45% between processes while adjacent calls compare well. The auto pick (variable
   unset) is timed in the same rounds.
4. Fit: per candidate the model's feature counts (a replica of choose_tiles' forward-type cost:
   transform N log2 N units incl. the kernel spectrum's, GEMM-form spectrum flops, product complex
   MACs, moved spectrum elements, stored-spectrum bytes, fused X-pass bytes); the constants are the
   non-negative least-squares solution of features / t . c = 1 (relative error, every measurement
   weighs the same) over the lane-interleaved (forward-type) candidates within 2x of their
   problem's best; COST_OLD_SCALE_F (the older model's factor for per-image candidates of forward-type
   plans) the geometric mean of measured / modelled; then a coordinate search of the constants
   minimising the picks' slowdowns (sum of log(pick / best) + 2 x the largest).
   Quality: per problem the model's pick (least modelled cost among the measured candidates) against
   the fastest measured one; the fitted constants are printed as C #defines to paste into conv_fft.c.
The 2026-12-02 fit: benchmarks/fit_data/fft_tiling/run1_before.json (measured with the old constants)
and run2_after.json (with the fitted ones; its "auto" entries are the new picks), fitted with
    PYTHONPATH=$PWD python benchmarks/fit_fft_tiling.py --load benchmarks/fit_data/fft_tiling/run*.json
Takes ~2 minutes; run it on an otherwise idle machine if possible.
"""
import argparse
import itertools
import json
import math
import os
import random
import sys
import time

import numpy as np
from scipy.optimize import nnls

import cnnkern

TILE_SIZES = (8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)  # conv_fft.c TILE_SIZES
LANE_BYTES = 2 << 20  # CK_FFT_LANE_BYTES
# the constants in conv_fft.c (update together); names as there
CURRENT = dict(COST_FFT_F=0.0533e-9, COST_DFT_F=0.0193e-9, COST_MAC_F=0.0623e-9, COST_COPY_F=0.698e-9,
               COST_SPEC_BYTE_F=0.118e-9, COST_XPASS_BYTE_F=0.0113e-9, COST_OLD_SCALE_F=0.30)
BEFORE = dict(COST_FFT_F=0.2e-9, COST_DFT_F=0.0126e-9, COST_MAC_F=0.117e-9, COST_COPY_F=2.16e-9,
              COST_SPEC_BYTE_F=0.5e-9, COST_XPASS_BYTE_F=0.05e-9, COST_OLD_SCALE_F=1.0)  # before 2026-12-02
OLD = dict(COST_FFT=0.6e-9, COST_MAC=0.12e-9, COST_COPY=0.4e-9)  # the older model (kept)
FEATURES = tuple(k for k in CURRENT if k != "COST_OLD_SCALE_F")

PROBLEMS = [  # name, direction, n, c_in, c_out, size, k, padding, dtype, grid (all axis pairs) or square
    ("k11_64", "fwd", 4, 32, 32, 64, 11, "same", "float32", True),
    ("cb_l2_k9", "fwd", 4, 64, 128, 64, 9, 0, "float32", True),
    ("cb_l4_k7", "fwd", 8, 128, 128, 16, 7, 0, "float32", True),
    ("k11_64", "bwd_input", 4, 32, 32, 64, 11, "same", "float32", True),
    ("cb_l2_k9", "bwd_input", 4, 64, 128, 64, 9, 0, "float32", True),
    ("cb_l4_k7", "bwd_input", 8, 128, 128, 16, 7, 0, "float32", True),
] + [("sweep_k%d" % k, "fwd", 4, 32, 32, 64, k, "same", "float32", True) for k in (3, 5, 7, 9, 11, 15, 21, 31)] + [
    ("sig_k15_same", "fwd", 1, 1, 1, 1024, 15, "same", "float64", False),
    ("sig_k31_valid", "fwd", 1, 1, 1, 1024, 31, 0, "float64", False),
    ("sig_k31_full", "fwd", 1, 1, 1, 1024, 31, 30, "float64", False),
    ("sig_k63_valid", "fwd", 1, 1, 1, 1024, 63, 0, "float64", False),
    ("sig_k63_full", "fwd", 1, 1, 1, 1024, 63, 62, "float64", False),
]


def arrays(prob, rng):
    name, d, n, cin, cout, size, k, pad, dt, _ = prob
    x = rng.standard_normal((n, cin, size, size)).astype(dt)
    w = rng.standard_normal((cout, cin, k, k)).astype(dt)
    plan = cnnkern.ConvPlan(w, x.shape, padding=pad, algorithm="fft")
    dy = rng.standard_normal(plan.output_shape).astype(dt)
    if d == "fwd":
        return plan, (lambda: cnnkern.conv2d_forward(x, w, padding=pad, algorithm="fft"))
    return plan, (lambda: cnnkern.conv2d_backward_input(dy, w, x.shape, padding=pad, algorithm="fft"))


def candidates(prob):
    """[(tile spec (3-D form), info)] -- info: transform sizes and tiles from a ConvPlan forced so."""
    name, d, n, cin, cout, size, k, pad, dt, grid = prob
    direction = "forward" if d == "fwd" else "backward_input"
    w = np.zeros((cout, cin, k, k), dt)
    xs = (n, cin, size, size)

    def info(t):
        return cnnkern.ConvPlan(w, xs, padding=pad, algorithm="fft", fft_tile=t).fft_info(direction)

    wi = info("whole")
    per_axis = []
    for a in (1, 2):
        opts = [-1]
        for t in TILE_SIZES:
            if t - k + 1 < 1 or t >= wi["transform_size"][a]:
                continue
            try:
                nt = info(tuple(t if b == a - 1 else "whole" for b in range(2)))["tiles"][a]
            except ValueError:
                continue
            if nt >= 2:
                opts.append(t)
        per_axis.append(opts)
    combos = itertools.product(*per_axis) if grid else [(t, t) for t in per_axis[0] if t in per_axis[1]]
    out = []
    for t1, t2 in combos:
        t = tuple("whole" if v < 0 else v for v in (t1, t2))
        out.append(((0, t1, t2), info(t)))
    return out


def dft_flops(k, cout, cig, n):
    n0, n1, n2 = n
    if n0 != 1 or cout * cig < 16:
        return 0.0
    nh = n2 // 2 + 1
    gemm = 4.0 * nh * k * k + 8.0 * (n1 // 2 + 1) * k * nh
    nr = n1 * n2
    fft = 2.5 * nr * (math.log2(nr) if nr > 2 else 1.0)
    return 0.0 if gemm > 4.0 * fft else gemm


def fused_qc(cin, cout, n1, n2, T, es):
    per = es * 2 * n1 * (n2 // 2 + 1) * cin
    qc = (3 << 19) // per
    want, most = (T + 1) // 2, (2 << 20) // per
    if qc < want:
        qc = min(want, most)
    qc = (qc + 7) // 8 * 8 if qc >= 8 else 4
    return max(1, min(qc, cout))


def features(prob, info):
    """(lane_fit, forward-type feature dict, older-model feature dict, mem) of one candidate."""
    name, d, n, cin, cout, size, k, pad, dt, _ = prob
    if d == "bwd_input":
        cin, cout = cout, cin
    es = np.dtype(dt).itemsize
    lanes = 16 if es == 4 else 8
    nn, nt = info["transform_size"], info["tiles"]
    nreal = float(nn[0] * nn[1] * nn[2])
    nfreq = float(nn[0] * nn[1] * (nn[2] // 2 + 1))
    T = float(n * nt[0] * nt[1] * nt[2])
    lg = math.log2(nreal) if nreal > 2 else 1.0
    tiled = any(v > 1 for v in nt)
    big = 3.0 * es * nreal * lanes > LANE_BYTES
    per_image = 1.3 if tiled and big else 1.0
    cig = float(cin)
    g = dft_flops(k, cout, cig, nn)
    f = dict.fromkeys(FEATURES, 0.0)
    f["COST_FFT_F"] = per_image * (cin + cout) * T * nreal * lg + (0 if g > 0 else cout * cig * per_image * nreal * lg)
    f["COST_DFT_F"] = cout * cig * g
    f["COST_MAC_F"] = T * nfreq * cout * cig
    f["COST_COPY_F"] = per_image * T * nfreq * (cin + cout)
    qc = fused_qc(cin, cout, nn[1], nn[2], int(T), es) if g > 0 and not (cin == 1 and cout == 1) else 0
    if qc and T > 2 * qc:
        qc = 0
    if qc == 0:
        f["COST_SPEC_BYTE_F"] = 2.0 * es * nfreq * cout * cig
    else:
        f["COST_XPASS_BYTE_F"] = math.ceil(cout / qc) * 4.0 * es * nfreq * cin * T
    o = dict(COST_FFT=per_image * ((cin + cout) * T + cout * cig) * nreal * lg, COST_MAC=T * nfreq * cout * cig,
             COST_COPY=T * nfreq * (cin + cout))
    mem = 2.0 * es * nfreq * (cout * cig + cin + cout)
    return (not big), f, o, mem


def model_cost(lane, f, o, c):
    if lane:
        return sum(c[key] * f[key] for key in FEATURES)
    return c["COST_OLD_SCALE_F"] * sum(OLD[key] * o[key] for key in OLD)


def prepared(results):
    """[(problem, candidate rows, features per row, times)]"""
    out = []
    for res in results:
        prob = tuple(res["problem"])
        rows = res["cands"]
        out.append((prob, rows, [features(prob, r["info"]) for r in rows], np.array([r["t"] for r in rows])))
    return out


def pick_ratios(pre, c):
    """per problem: time of the model's pick / the best measured time"""
    limit = cnnkern.get_workspace_limit()
    out = []
    for prob, rows, fe, t in pre:
        costs = [model_cost(lane, f, o, c) if mem <= limit else math.inf for lane, f, o, mem in fe]
        out.append(t[int(np.argmin(costs))] / t.min())
    return np.array(out)


def measure(probs, repeat, rng):
    cnnkern.set_num_threads(1)
    results = []
    for prob in probs:
        plan, call = arrays(prob, rng)
        cands = candidates(prob)
        auto = plan.fft_info("forward" if prob[1] == "fwd" else "backward_input")
        entries = [("auto", None)] + [(",".join(map(str, t)), t) for t, _ in cands]
        times = {e: [] for e, _ in entries}
        for r in range(repeat + 1):  # round 0 warms up
            order = list(entries)
            random.Random(r).shuffle(order)
            for e, t in order:
                if t is None:
                    os.environ.pop("CNNKERN_FFT_TILE", None)
                else:
                    os.environ["CNNKERN_FFT_TILE"] = ",".join(map(str, t))
                t0 = time.process_time()
                call()
                dt = time.process_time() - t0
                if r:
                    times[e].append(dt)
        os.environ.pop("CNNKERN_FFT_TILE", None)
        rows = [dict(tile=list(t), info=info, t=min(times[",".join(map(str, t))])) for t, info in cands]
        results.append(dict(problem=list(prob), auto=auto, t_auto=min(times["auto"]), cands=rows))
        best = min(rows, key=lambda r: r["t"])
        print("%-14s %-9s auto %s x %s %.2f ms; best %s x %s %.2f ms (%d candidates)" % (
            prob[0], prob[1], auto["transform_size"][1:], auto["tiles"][1:], 1e3 * min(times["auto"]),
            best["info"]["transform_size"][1:], best["info"]["tiles"][1:], 1e3 * best["t"], len(rows)), flush=True)
    return results


def evaluate(results, c, label):
    print("\n== model picks with %s constants (pick time / best time)" % label)
    worst = 1.0
    for res in results:
        prob = tuple(res["problem"])
        rows = res["cands"]
        limit = cnnkern.get_workspace_limit()
        costs = []
        for r in rows:
            lane, f, o, mem = features(prob, r["info"])
            costs.append(model_cost(lane, f, o, c) if mem <= limit else math.inf)
        pick = rows[int(np.argmin(costs))]
        best = min(rows, key=lambda r: r["t"])
        ratio = pick["t"] / best["t"]
        if prob[8] == "float32":
            worst = max(worst, ratio)
        auto = res["auto"]
        print("%-14s %-9s pick %-12s %7.2f ms  best %-12s %7.2f ms  %.2f   (measured build's auto: %s %.2f ms)" % (
            prob[0], prob[1], "x".join(map(str, pick["info"]["transform_size"][1:])), 1e3 * pick["t"],
            "x".join(map(str, best["info"]["transform_size"][1:])), 1e3 * best["t"], ratio,
            "x".join(map(str, auto["transform_size"][1:])), 1e3 * res["t_auto"]))
    print("worst float32 ratio %.2f" % worst)
    return worst


def fit(results, within=2.0):
    """NNLS of the relative error over each problem's tilings within `within` x its best, the older
    model's scale as the geometric mean of measured / modelled over the per-image candidates; then a
    coordinate search (factors 0.5 ... 2 per constant, 8 rounds; from the NNLS solution and from the
    current constants, the better kept) minimising sum log(pick / best) +
    2 max log(pick / best) over all problems."""
    pre = prepared(results)
    A, r = [], []
    for prob, rows, fe, t in pre:
        for (lane, f, o, mem), tt in zip(fe, t):
            if lane and tt <= within * t.min():
                A.append([f[key] / tt for key in FEATURES])
            if not lane:
                r.append(tt / sum(OLD[key] * o[key] for key in OLD))
    A = np.array(A)
    scale = A.max(axis=0)
    scale[scale == 0] = 1.0
    sol, _ = nnls(A / scale, np.ones(len(A)))
    c = {key: float(v / s) for key, v, s in zip(FEATURES, sol, scale)}
    pred = (A / scale) @ sol
    c["COST_OLD_SCALE_F"] = float(np.exp(np.mean(np.log(r)))) if r else 1.0
    print("\nNNLS over %d candidates: prediction / measurement %.2f - %.2f; older-model scale %.3f" % (
        len(A), pred.min(), pred.max(), c["COST_OLD_SCALE_F"]))

    def obj(c):
        p = np.log(pick_ratios(pre, c))
        return p.sum() + 2 * p.max()
    def search(c):
        cur = obj(c)
        for _ in range(8):
            for key in FEATURES:
                for fac in (0.5, 0.7, 0.85, 1.15, 1.4, 2.0):
                    c2 = dict(c)
                    c2[key] = c[key] * fac if c[key] > 0 else 1e-12 * fac
                    v = obj(c2)
                    if v < cur - 1e-9:
                        cur, c = v, c2
        return cur, c
    # from the NNLS solution and from the current constants (with the new older-model scale)
    return min((search(c0) for c0 in (c, dict(CURRENT, COST_OLD_SCALE_F=c["COST_OLD_SCALE_F"]))),
               key=lambda r: r[0])[1]


def merge(runs):
    """One result list from several runs: per problem and tiling the geometric mean of the runs' times."""
    def key(res):
        return tuple(res["problem"])
    results = []
    for res in runs[0]:
        others = [next((r for r in run if key(r) == key(res)), None) for run in runs[1:]]
        others = [r for r in others if r is not None]
        rows = []
        for row in res["cands"]:
            ts = [row["t"]] + [c["t"] for r in others for c in r["cands"] if c["tile"] == row["tile"]]
            rows.append(dict(row, t=float(np.exp(np.mean(np.log(ts))))))
        t_auto = [res["t_auto"]] + [r["t_auto"] for r in others]
        results.append(dict(res, cands=rows, t_auto=float(np.exp(np.mean(np.log(t_auto))))))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated problem names")
    ap.add_argument("--json", help="save the measurements")
    ap.add_argument("--load", nargs="+", help="fit from saved measurements (one or more --json files of "
                    "separate runs: each candidate's time is the geometric mean over the runs) instead of measuring")
    args = ap.parse_args()
    if args.load:
        runs = []
        for path in args.load:
            with open(path) as fh:
                runs.append(json.load(fh))
        results = merge(runs)
    else:
        probs = [p for p in PROBLEMS if not args.only or p[0] in args.only.split(",")]
        results = measure(probs, args.repeat, np.random.default_rng(0))
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(results, fh)
    evaluate(results, BEFORE, "before-2026-12-02")
    evaluate(results, CURRENT, "current")
    c = fit(results)
    evaluate(results, c, "fitted")
    print("\nfitted constants (conv_fft.c):")
    for key in FEATURES:
        print("#define %s %.3ge-9" % (key, c[key] * 1e9))
    print("#define COST_OLD_SCALE_F %.3g" % c["COST_OLD_SCALE_F"])


if __name__ == "__main__":
    sys.exit(main())
