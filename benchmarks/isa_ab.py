"""A/B timing of the direct algorithm's instruction-set paths, interleaved in one process.

    python benchmarks/isa_ab.py [--isas avx2,avx512] [--threads 2] [--rounds 15] [--dtype float32]
                                [--layers a,b] [--passes fwd,bwd_input,bwd_weight]

For each layer of the standard set and each pass, the ISA cap (the test hook
cnnkern._conv_ext.set_isa_cap) is switched between the ISAs before every single call, in the order
A B B A A B ... (so neither side always runs first after the switch), and the median time per ISA is
reported with the ratio. Interleaving makes the comparison fair on a busy machine: background load
hits both sides alike. The ISAs must be available on this CPU (runtime_info()["isa"] says which).
"""
import argparse
import statistics
import sys
import time

import numpy as np

import cnnkern
from cnnkern import _conv_ext
from cnnkern.bench import layer_problem, load_shapes

PASSES = ("fwd", "bwd_input", "bwd_weight")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--isas", default="avx2,avx512")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--layers")
    ap.add_argument("--passes", default=",".join(PASSES))
    ap.add_argument("--algorithm", default="direct")
    args = ap.parse_args(argv)
    isas = args.isas.split(",")
    top = _conv_ext.runtime_info()["isa"]
    order = ("generic", "avx2", "avx512")
    for isa in isas:
        if order.index(isa) > order.index(top):
            ap.error(f"this process runs at most {top}; {isa} is not available "
                     "(AVX-512 needs the CPU flags, and CNNKERN_ISA must not cap it)")
    layers = load_shapes()["conv2d"]
    if args.layers:
        layers = [layer for layer in layers if layer["name"] in args.layers.split(",")]
    passes = args.passes.split(",")
    rng = np.random.default_rng(0)
    algo = args.algorithm
    print(f"{args.algorithm} | {args.threads} thread(s) | {args.dtype} | {args.rounds} rounds | "
          f"ISAs {' vs '.join(isas)} (interleaved per call)")
    print(f"{'layer':<16} {'pass':<11}" + "".join(f"{i + ' ms':>12}" for i in isas) + f"{'ratio':>8}")
    ratios = []
    with cnnkern.num_threads(args.threads):
        for layer in layers:
            x, w, dy, kw, p = layer_problem(layer, np.dtype(args.dtype), rng)
            calls = {
                "fwd": lambda: cnnkern.conv2d_forward(x, w, algorithm=algo, **kw),
                "bwd_input": lambda: cnnkern.conv2d_backward_input(dy, w, x.shape, algorithm=algo, **kw),
                "bwd_weight": lambda: cnnkern.conv2d_backward_weight(dy, x, w.shape, algorithm=algo, **kw),
            }
            for pas in passes:
                fn = calls[pas]
                times = {isa: [] for isa in isas}
                for isa in isas:  # warm-up per ISA
                    _conv_ext.set_isa_cap(isa)
                    fn()
                for r in range(args.rounds):
                    seq = isas if r % 2 == 0 else isas[::-1]
                    for isa in seq:
                        _conv_ext.set_isa_cap(isa)
                        t0 = time.perf_counter()
                        fn()
                        times[isa].append(time.perf_counter() - t0)
                med = {isa: statistics.median(times[isa]) for isa in isas}
                ratio = med[isas[0]] / med[isas[-1]]
                ratios.append(ratio)
                print(f"{layer['name']:<16} {pas:<11}" + "".join(f"{med[i] * 1e3:12.2f}" for i in isas)
                      + f"{ratio:8.2f}", flush=True)
    _conv_ext.set_isa_cap("avx512")
    gm = float(np.exp(np.mean(np.log(ratios))))
    print(f"geometric mean of {isas[0]} time / {isas[-1]} time: {gm:.3f} (> 1: {isas[-1]} is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
