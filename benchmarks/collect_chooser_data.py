"""Time every algorithm on the chooser's shape families in this environment; write one JSON.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE CNNKERN_ISA=avx512 \
        python benchmarks/collect_chooser_data.py --threads 2 --dtype float32 --out env.json

Cases: cnnkern/data/chooser_cases.json (families of 2-D cases; --families picks some). For each case
and pass (forward, backward_input, backward_weight), every supported algorithm but `reference` is
called in turn (interleaved, so a burst of load from other processes hits all alike), in sweeps over
every case: one warm-up sweep, then --rounds timed sweeps; the figure kept is the minimum over the
sweeps (other processes only ever add time, and sweeps are a minute or more apart). An algorithm
whose warm-up took over --slow seconds is not repeated: its loss is clear. The environment's rates
(cnnkern._calibrate_probes.measure_rates) are measured before every sweep and at the end, the largest kept, and written with the CPU identity, the ISA in use, the
BLAS kernel set and the environment variables that select them.
"""
import argparse
import datetime
import json
import math
import os
import sys
import time

import numpy as np

import cnnkern
from cnnkern import _calibrate, _calibrate_probes, _choose, _conv_ext, conv
from cnnkern._params import make_conv_params

PASSES = ("forward", "backward_input", "backward_weight")
CASES_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "cnnkern", "data",
                          "chooser_cases.json")


def load_cases(path=CASES_PATH, families=None):
    """[(family, case dict, ConvParams)] of the case file (all families, or those named)."""
    with open(path) as fh:
        doc = json.load(fh)
    out = []
    for fam, cases in doc["families"].items():
        if families and fam not in families:
            continue
        for c in cases:
            out.append((fam, c, case_params(c)))
    return out


def case_params(c):
    return make_conv_params(2, (c["n"], c["c_in"], c["h"], c["w"]),
                            (c["c_out"], c["c_in"] // c["groups"], c["k"], c["k"]),
                            stride=c["stride"], padding=c["pad"], dilation=c["dilation"], groups=c["groups"])


def _calls(p, algo, x, w, dy):
    kw = dict(stride=p.stride, padding=tuple(zip(p.pad_before, p.pad_after)), dilation=p.dilation,
              groups=p.groups, algorithm=algo)
    return {
        "forward": lambda: conv._conv_forward(2, x, w, **kw),
        "backward_input": lambda: conv._conv_backward_input(2, dy, w, p.x_shape, **kw),
        "backward_weight": lambda: conv._conv_backward_weight(2, dy, x, p.w_shape, **kw),
    }


def prepare_case(p, rank1, dtype, passes=PASSES):
    """{pass: {algorithm: call}} of one case (arrays allocated once), unsupported algorithms left out."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(p.x_shape).astype(dtype)
    w = _choose._rank1_weight(p.w_shape, dtype, rng) if rank1 else rng.standard_normal(p.w_shape).astype(dtype)
    dy = rng.standard_normal(p.y_shape).astype(dtype)
    return {pas: {a: _calls(p, a, x, w, dy)[pas]
                  for a in _choose.supported_algorithms(p, pas, separable=rank1) if a != "reference"}
            for pas in passes}


def time_round(calls, times, slow):
    """One call of every algorithm of one case in turn, per pass; times[pass][algo] keeps the minimum.
    An algorithm slower than `slow` seconds (on its first call) is not called again."""
    for pas, fns in calls.items():
        for a, fn in list(fns.items()):
            t0 = time.perf_counter()
            try:
                fn()
            except NotImplementedError:
                del fns[a]
                continue
            t = time.perf_counter() - t0
            best = times.setdefault(pas, {})
            first = a not in best
            best[a] = min(best.get(a, math.inf), t)
            if first and t >= slow:
                del fns[a]


def environment(threads, dtype):
    from cnnkern._config import config_info

    cfg = config_info()
    return dict(cpu=_calibrate.cpu_identity(), isa=cfg["isa"], blas=_calibrate.blas_kernel_set(),
                blas_info=cfg["blas"], threads=threads, dtype=np.dtype(dtype).name,
                cnnkern=cnnkern.__version__, numpy=np.__version__,
                env={k: os.environ.get(k) for k in ("CNNKERN_ISA", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                    "OMP_NUM_THREADS")},
                load_average=list(os.getloadavg()) if hasattr(os, "getloadavg") else None)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timed rounds after the warm-up")
    ap.add_argument("--slow", type=float, default=0.25, help="seconds: slower warm-ups are not repeated")
    ap.add_argument("--families", help="comma-separated families (default: all)")
    ap.add_argument("--cases", default=CASES_PATH)
    args = ap.parse_args(argv)
    threads = args.threads or cnnkern.get_num_threads()
    dtype = np.dtype(args.dtype)
    fams = [f for f in (args.families or "").split(",") if f]
    cases = load_cases(args.cases, fams)
    start = time.perf_counter()
    with cnnkern.num_threads(threads):
        env = environment(threads, dtype)
        rate_runs = []
        calls = [prepare_case(p, bool(c.get("rank1")), dtype) for _, c, p in cases]
        times = [{} for _ in cases]
        # Sweeps over every case, one warm-up sweep then `rounds` timed ones: the minimum of a case is
        # then taken over calls minutes apart, so one burst of load from other processes cannot spoil
        # all of them.
        for sweep in range(args.rounds + 1):
            rate_runs.append(_calibrate_probes.measure_rates(dtype))
            t0 = time.perf_counter()
            for i in range(len(cases)):
                if sweep == 0:  # warm-up: the first call of each algorithm is discarded
                    warm = {}
                    time_round(calls[i], warm, args.slow)
                    for pas, best in warm.items():  # a slow algorithm ran once: that time is its figure
                        for a, t in best.items():
                            if a not in calls[i][pas]:
                                times[i].setdefault(pas, {})[a] = t
                else:
                    time_round(calls[i], times[i], math.inf)
            print(f"sweep {sweep}: {time.perf_counter() - t0:5.1f} s", file=sys.stderr, flush=True)
        rows = [dict(family=fam, case=c, times=t) for (fam, c, _), t in zip(cases, times)]
        rate_runs.append(_calibrate_probes.measure_rates(dtype))
    rates = {k: max(r[k] for r in rate_runs) for k in rate_runs[0]}
    env["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    doc = dict(format="cnnkern-chooser-data", version=1,
               created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               command=" ".join(["python", "benchmarks/collect_chooser_data.py"] + list(sys.argv[1:] if argv is None else argv)),
               environment=env, rates=rates, rates_runs=rate_runs, rounds=args.rounds,
               elapsed_s=time.perf_counter() - start, rows=rows)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"wrote {args.out} ({doc['elapsed_s']:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
