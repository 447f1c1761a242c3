"""Issue 3's im2col figures in one run: ours vs NumPy's matmul of the same GEMM vs PyTorch, interleaved.

    python benchmarks/im2col_targets.py [--threads 2] [--rounds 9] [--settle 0.15] [--layers a,b]
                                        [--algorithms im2col,direct] [--dtype float32]

Per layer (default: r50_3x3_28, r50_3x3_14, r50_1x1_14, r50_1x1_56 of cnnkern/data/shapes.json) it
reports GFLOP/s (2*N*C_out*C_in/g*k*k*out_pixels over the time; backward = bwd_input + bwd_weight, so
twice the flops over the two times), the ratio to NumPy's matmul of the equivalent GEMM
(M = C_out/g, K = C_in/g*k*k, N = batch*out_pixels) -- issue 3 asks fwd >= 0.80 and bwd >= 0.70 at 2
threads -- the ratio to torch.nn.functional.conv2d / torch.nn.grad (if torch is installed), and the
peak extra memory: the workspace the im2col operator allocates (ck_conv_workspace__im2col, the exact
bytes it asks malloc for; the in-place 1x1 path needs none) next to the full column matrix.

Fairness. Three thread pools live in this process: NumPy's OpenBLAS (ILP64), PyTorch's OpenMP and
cnnkern's libgomp (SciPy's OpenBLAS, which im2col calls, is pinned to one thread inside our calls).
After a call, each pool's idle workers busy-wait for a while (measured on the 2-core VM: NumPy's
OpenBLAS worker kept 0.3 of a core during the next cnnkern call; cnnkern's workers, before
cnnkern/_omp_env.py, 0.5 of a core during the next matmul), so whoever runs right after another
pool is slowed. Here every measurement is: sleep `--settle` seconds (longer than OpenBLAS's ~0.1 s
thread timeout), one untimed warm-up call of the same function (wakes its own pool), then `--burst`
timed calls whose median is that round's time; the candidates are taken in rotating order each round,
and each candidate's burst is paired with a NumPy-matmul burst right before or after it (alternating
by round). Rows: "median" and "best" are the medians / best of each side's own times over the rounds;
"paired" is the median over rounds of the ratio within each pair -- the figure to quote on a shared
machine, where another job taking one of the two cores for a second halves whatever runs then (seen
here on NumPy's matmul as much as on ours), and an adjacent pair sees the same state. With
`--threads 1 --clock cpu` the figures are CPU-time based and barely move with other processes' load.
"""
import argparse
import statistics
import sys
import time

import numpy as np

import cnnkern
from cnnkern import _conv_ext
from cnnkern.bench import layer_problem, load_shapes, median_call_time

LAYERS = ("r50_3x3_28", "r50_3x3_14", "r50_1x1_14", "r50_1x1_56")


def _blas_limits(n):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n, user_api="blas")


def _torch_fns(x, w, dy, kw, threads):
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


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _round_time(fn, settle, burst, clock=time.perf_counter):
    time.sleep(settle)
    return median_call_time(fn, burst, clock)


def measure_layer(layer, dtype, threads, rounds, settle, burst, algorithms, rng, clock=time.perf_counter):
    x, w, dy, kw, p = layer_problem(layer, dtype, rng)
    m = p.out_channels // p.groups
    kk = (p.in_channels // p.groups) * int(np.prod(p.kernel_size))
    nn = p.batch * int(np.prod(p.out_size))
    a = rng.standard_normal((m, kk)).astype(dtype)
    b = rng.standard_normal((kk, nn)).astype(dtype)
    fns = {("numpy", "gemm"): lambda: a @ b}
    for algo in algorithms:
        fns[(algo, "fwd")] = lambda algo=algo: cnnkern.conv2d_forward(x, w, algorithm=algo, **kw)
        fns[(algo, "bwd_input")] = lambda algo=algo: cnnkern.conv2d_backward_input(
            dy, w, x.shape, algorithm=algo, **kw)
        fns[(algo, "bwd_weight")] = lambda algo=algo: cnnkern.conv2d_backward_weight(
            dy, x, w.shape, algorithm=algo, **kw)
    tfns = _torch_fns(x, w, dy, kw, threads)
    if tfns:
        fns.update({("torch", k): f for k, f in tfns.items()})
    keys = [k for k in fns if k != ("numpy", "gemm")]
    times = {k: [] for k in fns}
    # paired[k][r] = (NumPy's time, k's time) of round r, measured back to back (order alternating by
    # round), so both see the same machine state: another tenant taking a core for a second slows both.
    paired = {k: [] for k in keys}
    for r in range(rounds):
        shift = r % len(keys)
        for k in keys[shift:] + keys[:shift]:
            if r % 2 == 0:
                t_np = _round_time(fns[("numpy", "gemm")], settle, burst, clock)
                t_k = _round_time(fns[k], settle, burst, clock)
            else:
                t_k = _round_time(fns[k], settle, burst, clock)
                t_np = _round_time(fns[("numpy", "gemm")], settle, burst, clock)
            times[("numpy", "gemm")].append(t_np)
            times[k].append(t_k)
            paired[k].append((t_np, t_k))
    flops = p.flops()
    ws = {d: _conv_ext.im2col_workspace(p.as_c_tuple(), i, np.dtype(dtype).itemsize, threads)
          for i, d in enumerate(("fwd", "bwd_input", "bwd_weight"))}
    col_bytes = kk * nn // p.batch * np.dtype(dtype).itemsize * p.groups  # one image's full column matrix
    return dict(name=layer["name"], flops=flops, times=times, paired=paired, workspace=ws,
                col_bytes=col_bytes, gemm_shape=(m, kk, nn))


def paired_ratios(res, algorithms):
    """Per candidate, the median over rounds of the ratio to the NumPy matmul measured next to it:
    fwd = t_np / t_fwd; bwd = 2 / (t_bwd_input / t_np' + t_bwd_weight / t_np'') (two flop counts over
    the two times, each time expressed in units of its own neighbouring matmul)."""
    pr = res["paired"]
    rows = []
    for algo in list(algorithms) + (["torch"] if ("torch", "fwd") in pr else []):
        fwd = [a / b for a, b in pr[(algo, "fwd")]]
        bwd = [2 / (bi / ai + bw / aw)
               for (ai, bi), (aw, bw) in zip(pr[(algo, "bwd_input")], pr[(algo, "bwd_weight")])]
        rows.append((algo, statistics.median(fwd), statistics.median(bwd)))
    return rows


def report(res, stat, algorithms):
    f = res["flops"]
    t = {k: stat(v) for k, v in res["times"].items()}
    gemm = f / t[("numpy", "gemm")] / 1e9
    rows = []
    for algo in list(algorithms) + (["torch"] if ("torch", "fwd") in t else []):
        fwd = f / t[(algo, "fwd")] / 1e9
        bwd = 2 * f / (t[(algo, "bwd_input")] + t[(algo, "bwd_weight")]) / 1e9
        rows.append((algo, fwd, bwd))
    return gemm, rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--burst", type=int, default=3)
    ap.add_argument("--settle", type=float, default=0.15)
    ap.add_argument("--layers", default=",".join(LAYERS))
    ap.add_argument("--algorithms", default="im2col")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--clock", default="wall", choices=tuple(CLOCKS),
                    help="cpu: the process's CPU time (all threads) instead of wall time; with --threads 1 "
                         "it is immune to other processes' load (idle-spinning pools still count)")
    args = ap.parse_args(argv)
    algorithms = args.algorithms.split(",")
    shapes = {layer["name"]: layer for layer in load_shapes()["conv2d"]}
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(0)
    print(f"cnnkern {cnnkern.__version__} | isa {_conv_ext.runtime_info()['isa']} | {args.threads} thread(s) | "
          f"{args.dtype} | {args.rounds} rounds x {args.burst} calls, settle {args.settle} s | {args.clock} clock")
    print(f"{'layer':<12} {'stat':<6} {'np GEMM':>8} " + " ".join(
        f"{a + ' fwd':>11} {'ratio':>5} {a + ' bwd':>11} {'ratio':>5}" for a in algorithms + ["torch"])
        + "   ours/torch fwd bwd")
    with cnnkern.num_threads(args.threads), _blas_limits(args.threads):
        for name in args.layers.split(","):
            res = measure_layer(shapes[name], dtype, args.threads, args.rounds, args.settle, args.burst,
                                algorithms, rng, CLOCKS[args.clock])
            for label, stat in (("median", statistics.median), ("best", min)):
                gemm, rows = report(res, stat, algorithms)
                cells = " ".join(f"{fwd:11.1f} {fwd / gemm:5.2f} {bwd:11.1f} {bwd / gemm:5.2f}"
                                 for _, fwd, bwd in rows)
                torch_row = next((r for r in rows if r[0] == "torch"), None)
                vs = (f"   {rows[0][1] / torch_row[1]:.2f} {rows[0][2] / torch_row[2]:.2f}"
                      if torch_row else "")
                print(f"{name:<12} {label:<6} {gemm:8.1f} {cells}{vs}", flush=True)
            prow = paired_ratios(res, algorithms)
            cells = " ".join(f"{'':11} {fwd:5.2f} {'':11} {bwd:5.2f}" for _, fwd, bwd in prow)
            print(f"{name:<12} {'paired':<6} {'':8} {cells}", flush=True)
            ws = res["workspace"]
            print(f"{'':<12} im2col workspace MiB: fwd {ws['fwd'] / 2**20:.2f}, bwd_input "
                  f"{ws['bwd_input'] / 2**20:.2f}, bwd_weight {ws['bwd_weight'] / 2**20:.2f} "
                  f"(one image's full column matrix {res['col_bytes'] / 2**20:.2f}); GEMM M,K,N = "
                  f"{res['gemm_shape']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
