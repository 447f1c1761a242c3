"""cnnkern against PyTorch's CPU conv2d on the standard layers: forward and a training step.

    python benchmarks/vs_torch.py                       # float32, all standard layers, batch as listed and 1
    python benchmarks/vs_torch.py --isa avx2 --layers r50_3x3 --batch file
    python benchmarks/vs_torch.py --dtype float64 --repeat 5

Method (issue 13's): one process, PyTorch with torch.set_num_threads equal to cnnkern's thread count,
every contender timed in turn within each round (interleaved, the order shuffled every round), best of
--repeat rounds (min). Passes:
  forward  cnnkern conv2d_forward(x, w, b)          vs F.conv2d(x, w, b)
  train    cnnkern forward + conv2d_backward        vs F.conv2d + autograd backward (dx, dw, db)
           (dy, x, w): dx, dw and db
cnnkern runs algorithm="auto" and each fast algorithm that supports the layer (an algorithm without
a pass, e.g. separable's weight gradient, takes that part from "auto", as conv2d_backward does).
Printed per layer and pass: PyTorch's time, auto's time and choice, the ratio torch / auto (above 1:
cnnkern is faster), and every contender's GFLOP/s (train: 3x the forward's flops); a "!" line under
a row where auto ran over 1.1x slower than the fastest algorithm called explicitly, with what auto's
guard timed and kept per direction. Then the geometric mean of the ratios. --json writes the rows
(with the guard's decisions). --isa caps cnnkern's instruction set
(CNNKERN_ISA does the same). PyTorch is an optional dependency: without it this script exits.
The machine may be shared: report the load next to the numbers; never assert timings.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

import cnnkern
from cnnkern import _conv_ext
from cnnkern._execute import interleaved_times

SHAPES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench", "shapes.json")


def _load_layers(path):
    if not os.path.exists(path):
        from importlib import resources
        with resources.files("cnnkern").joinpath("data/shapes.json").open() as fh:
            return json.load(fh)["conv2d"]
    with open(path) as fh:
        return json.load(fh)["conv2d"]


def _flops(n, c_in, c_out, k, groups, oh, ow):
    return 2.0 * n * c_out * (c_in // groups) * k * k * oh * ow


def _best(fns, repeat):
    """Interleaved best-of-repeat seconds for each callable (one warm-up call each first), timed by
    cnnkern's one interleaving loop (cnnkern._execute.interleaved_times), which shuffles the order
    every round: a call right after another library's (or algorithm's) call can wait for that pool's
    spinning threads, so no contender keeps the same predecessor (with a fixed order auto always ran
    right after PyTorch and measured up to 2x its own algorithm's time; with a rotation it still did
    in most rounds, 1.10-1.36x in 8-12 rows per run)."""
    for f in fns.values():
        f()
    return {k: min(v) for k, v in interleaved_times(fns, repeat, min_time=0).items()}


def _supports(algo, x, w, kw, direction):
    from cnnkern import _choose
    from cnnkern._params import make_conv_params
    p = make_conv_params(2, x.shape, w.shape, stride=kw["stride"], padding=kw["padding"], groups=kw["groups"])
    return algo in _choose.supported_algorithms(p, direction)


def run_layer(layer, batch, dtype, repeat, algorithms, torch):
    F = torch.nn.functional
    n = batch if batch else layer["n"]
    c_in, c_out, h, w_, k = layer["c_in"], layer["c_out"], layer["h"], layer["w"], layer["k"]
    kw = dict(stride=layer["stride"], padding=layer["pad"], groups=layer["groups"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in, h, w_)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // kw["groups"], k, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    y = cnnkern.conv2d_forward(x, w, b, **kw)
    dy = rng.standard_normal(y.shape).astype(dtype)
    fl = _flops(n, c_in, c_out, k, kw["groups"], y.shape[2], y.shape[3])

    xt, wt, bt, dyt = (torch.from_numpy(a) for a in (x, w, b, dy))
    xg, wg, bg = (t.clone().requires_grad_(True) for t in (xt, wt, bt))

    def torch_fwd():
        with torch.no_grad():
            F.conv2d(xt, wt, bt, stride=kw["stride"], padding=kw["padding"], groups=kw["groups"])

    def torch_train():
        xg.grad = wg.grad = bg.grad = None
        out = F.conv2d(xg, wg, bg, stride=kw["stride"], padding=kw["padding"], groups=kw["groups"])
        out.backward(dyt)

    def ck_fwd(a):
        return lambda: cnnkern.conv2d_forward(x, w, b, algorithm=a, **kw)

    def ck_train(a):
        def run():
            cnnkern.conv2d_forward(x, w, b, algorithm=a, **kw)
            cnnkern.conv2d_backward(dy, x, w, algorithm=a, **kw)
        return run

    rows = []
    for pass_, tfn, cfn, direction, mult in (("forward", torch_fwd, ck_fwd, "forward", 1.0),
                                              ("train", torch_train, ck_train, "backward_input", 3.0)):
        fns = {"torch": tfn, "auto": cfn("auto")}
        for a in algorithms:
            if _supports(a, x, w, kw, "forward") and _supports(a, x, w, kw, direction):
                fns[a] = cfn(a)
        best = _best(fns, repeat)
        choice = cnnkern.choose_algorithm(x.shape, w.shape, dtype=dtype, **kw)
        rows.append({"layer": layer["name"], "batch": n, "pass": pass_, "auto_choice": choice,
                     "times_s": best, "ratio": best["torch"] / best["auto"],
                     "gflops": {a: mult * fl / t / 1e9 for a, t in best.items()},
                     "guard": _guard_decisions(x, w, kw, dtype)})
    return rows


def _guard_decisions(x, w, kw, dtype):
    """What auto's guard decided for this layer, per direction: {direction: {"algorithm", "times_ms"}}
    (directions the guard did not time are absent: the model's choice stood)."""
    from cnnkern import _choose
    from cnnkern._params import make_conv_params
    p = make_conv_params(2, x.shape, w.shape, stride=kw["stride"], padding=kw["padding"], groups=kw["groups"])
    out = {}
    for direction in ("forward", "backward_input", "backward_weight"):
        hit = _choose.guard_decision(p, dtype, direction)
        if hit:
            out[direction] = {"algorithm": hit["algorithm"],
                              "times_ms": {a: round(t * 1e3, 3) for a, t in hit["times"].items()}}
    return out


def _suspect_line(r):
    """A line naming the guard's decisions when auto ran over 1.1x slower than the fastest algorithm
    called explicitly in the same rounds (a guard timed in a disturbed moment keeps its pick for the
    process), else None."""
    explicit = {a: t for a, t in r["times_s"].items() if a not in ("torch", "auto")}
    if not explicit or r["times_s"]["auto"] <= 1.1 * min(explicit.values()):
        return None
    fastest = min(explicit, key=explicit.get)
    parts = [f"{d}: {g['algorithm']} {g['times_ms']}" for d, g in r["guard"].items()]
    return (f"  ! auto {r['times_s']['auto'] / explicit[fastest]:.2f}x {fastest}'s time; guard: "
            + ("; ".join(parts) if parts else "not timed (model's choice)"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default=SHAPES, help="shapes JSON (default: shared/bench/shapes.json)")
    ap.add_argument("--layers", default="", help="only layers whose name contains one of these (comma-separated)")
    ap.add_argument("--batch", default="file,1", help="comma-separated: 'file' (the layer's n) and/or ints")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--isa", choices=("avx2", "avx512", "generic"), help="cap cnnkern's instruction set")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5, help="rounds (best of)")
    ap.add_argument("--algorithms", default="", help="comma-separated (default: every fast algorithm)")
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("vs_torch.py needs PyTorch (pip install torch)")
    if args.isa:
        _conv_ext.set_isa_cap(args.isa)
    torch.set_num_threads(args.threads)
    cnnkern.set_num_threads(args.threads)
    algorithms = [a for a in (args.algorithms.split(",") if args.algorithms else cnnkern.algorithms())
                  if a not in ("reference", "auto", "")]
    layers = [l for l in _load_layers(args.shapes)
              if not args.layers or any(s in l["name"] for s in args.layers.split(","))]
    batches = [None if s == "file" else int(s) for s in args.batch.split(",")]
    dtype = np.dtype(args.dtype)
    print(f"cnnkern {cnnkern.__version__} isa={_conv_ext.runtime_info()['isa']} torch {torch.__version__} "
          f"threads={args.threads} dtype={dtype.name} best of {args.repeat}, interleaved; "
          f"load average {os.getloadavg()[0]:.1f}")
    all_rows = []
    for batch in batches:
        print(f"\n== batch {'as listed' if batch is None else batch} ==")
        print(f"{'layer':<16}{'pass':<8}{'torch ms':>9}{'auto ms':>9} {'auto=':<10}{'ratio':>6}   GFLOP/s")
        for layer in layers:
            for r in run_layer(layer, batch, dtype, args.repeat, algorithms, torch):
                all_rows.append(r)
                gf = "  ".join(f"{a} {g:.0f}" for a, g in r["gflops"].items())
                print(f"{r['layer'] + '/' + str(r['batch']):<16}{r['pass']:<8}{r['times_s']['torch'] * 1e3:9.2f}"
                      f"{r['times_s']['auto'] * 1e3:9.2f} {r['auto_choice']:<10}{r['ratio']:6.2f}   {gf}", flush=True)
                suspect = _suspect_line(r)
                if suspect:
                    print(suspect, flush=True)
    for pass_ in ("forward", "train"):
        ratios = [r["ratio"] for r in all_rows if r["pass"] == pass_]
        if ratios:
            geo = math.exp(sum(math.log(v) for v in ratios) / len(ratios))
            print(f"{pass_}: geomean torch/auto {geo:.2f}, worst {min(ratios):.2f} over {len(ratios)} rows")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"isa": _conv_ext.runtime_info()["isa"], "threads": args.threads, "dtype": dtype.name,
                       "rows": all_rows}, fh, indent=1)


if __name__ == "__main__":
    main()
