"""Fit the cost-model constants of cnnkern's algorithm chooser (cnnkern/_choose.py) from bench runs.

    cnnkern-bench --threads 2 --repeat 7 --out run1      # repeat a few times (run2, run3, ...)
    python benchmarks/fit_chooser.py run1/results.json run2/results.json run3/results.json [--write]

How the constants are fitted:
  1.+2. Each (case, pass, algorithm) gets one time: by default (--stat min) the MINIMUM over every
     timed call of every run (on a shared machine other processes only ever add time, so the
     minimum is the least disturbed figure); with --stat median (for a quiet machine) the median
     over runs of each run's median.
  3. Per algorithm and direction, the estimated time is sum(c_i * count_i(case)) with the counts of
     that algorithm's entry in cnnkern/_choose.py (calls, flops, elements, ...). The c_i >= 0 are the
     non-negative least-squares solution of  count_i(case) / t(case) . c = 1  over the cases (each
     row divided by its measured time, so every case weighs the same in relative error).
  4. Quality: for every (case, pass) the model's choice (the least estimated cost) against the
     fastest measured algorithm: the fraction within 1.1x and the worst ratio; in-sample, and
     leave-one-case-out (each case predicted by constants fitted without it).
Only algorithms of cnnkern.algorithms() present in the runs are fitted; with --write the file
cnnkern/data/chooser_constants.json is replaced (constants of algorithms not in these runs are kept).
"""
import argparse
import datetime
import json
import os
import statistics
import sys

import numpy as np
from scipy.optimize import nnls

from cnnkern import _choose
from cnnkern._params import make_conv_params

PASS_DIRECTION = {"fwd": "forward", "bwd_input": "backward_input", "bwd_weight": "backward_weight"}
CONSTANTS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "cnnkern", "data",
                              "chooser_constants.json")


REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))


def _shown_path(path):
    """A results path as written down: relative to the repository when inside it, else dir/file."""
    full = os.path.abspath(path)
    if full.startswith(REPO + os.sep):
        return os.path.relpath(full, REPO)
    return os.path.basename(os.path.dirname(full)) + "/" + os.path.basename(full)


def load_runs(paths, stat):
    """-> (cases {name: (params, rank1)}, times {(case, pass, algorithm): seconds}, run metadata)."""
    per_run = {}
    cases, meta = {}, []
    for path in paths:
        with open(path) as fh:
            res = json.load(fh)
        if res.get("format") != "cnnkern-bench":
            sys.exit(f"{path}: not a cnnkern-bench results file")
        meta.append(dict(file=_shown_path(path),
                         created=res.get("created"), threads=res["threads"], dtype=res["dtype"],
                         cpu=res["machine"].get("cpu"), repeat=res.get("repeat")))
        for c in res["cases"]:
            p = make_conv_params(len(c["x_shape"]) - 2, c["x_shape"], c["w_shape"], stride=c["stride"],
                                 padding=[tuple(pp) for pp in c["padding"]], dilation=c["dilation"],
                                 groups=c["groups"])
            cases[c["name"]] = (p, bool(c.get("rank1")))
        for r in res["rows"]:
            if r.get("compare") or not r.get("supported"):
                continue
            t = min(r["times"]) if stat == "min" else r["median_s"]
            per_run.setdefault((r["case"], r["pass_"], r["algorithm"]), []).append(t)
    combine = min if stat == "min" else statistics.median
    if len({(m["threads"], m["dtype"]) for m in meta}) > 1:
        print("warning: the runs differ in threads or dtype:", meta, file=sys.stderr)
    return cases, {k: combine(v) for k, v in per_run.items()}, meta


def fit(cases, times, exclude=()):
    """{algorithm: {direction: {count: constant}}} by weighted NNLS; cases in `exclude` left out."""
    constants = {}
    for entry in _choose.ENTRIES:
        for pas, direction in PASS_DIRECTION.items():
            rows, names = [], None
            for (case, p_, algo), t in times.items():
                if algo != entry.algorithm or p_ != pas or case in exclude:
                    continue
                feats = entry.features(cases[case][0])
                names = names or sorted(feats)
                rows.append(([feats[n] for n in names], t))
            if not rows:
                continue
            a = np.array([r[0] for r in rows], dtype=float)
            t = np.array([r[1] for r in rows], dtype=float)
            aw = a / t[:, None]
            scale = aw.max(axis=0)
            scale[scale == 0] = 1.0
            coef, _ = nnls(aw / scale, np.ones(len(t)))
            constants.setdefault(entry.algorithm, {})[direction] = {
                n: float(c / s) for n, c, s in zip(names, coef, scale)}
    return constants


def choices(cases, times, constants):
    """[(case, pass, chosen, fastest, ratio)] for the (case, pass) pairs measured."""
    out = []
    for case, (p, rank1) in cases.items():
        for pas, direction in PASS_DIRECTION.items():
            measured = {a: t for (c, p_, a), t in times.items() if c == case and p_ == pas}
            if not measured:
                continue
            costs = {a: v for a, v in _choose.estimate_costs(p, direction, separable=rank1,
                                                               constants=constants).items() if a in measured}
            chosen = min(costs, key=costs.get) if costs else _choose.model_choice(p, direction, separable=rank1,
                                                                                   constants=constants)
            fastest = min(measured, key=measured.get)
            ratio = measured[chosen] / measured[fastest] if chosen in measured else float("nan")
            out.append((case, pas, chosen, fastest, ratio))
    return out


def quality(rows, tolerance=1.1):
    ratios = [r[4] for r in rows if r[4] == r[4]]
    if not ratios:
        return dict(count=0)
    worst = max(rows, key=lambda r: r[4] if r[4] == r[4] else 0)
    return dict(count=len(ratios), within=sum(r <= tolerance for r in ratios),
                fraction=sum(r <= tolerance for r in ratios) / len(ratios), worst_ratio=max(ratios),
                worst=f"{worst[0]} {worst[1]}", tolerance=tolerance)


def leave_one_out(cases, times):
    rows = []
    for case in cases:
        constants = fit(cases, times, exclude=(case,))
        rows += [r for r in choices({case: cases[case]}, times, constants)]
    return rows


def _fmt_quality(q):
    if not q.get("count"):
        return "no cases"
    return (f"{q['within']}/{q['count']} ({100 * q['fraction']:.0f}%) within {q['tolerance']}x of the fastest, "
            f"worst {q['worst_ratio']:.2f}x ({q['worst']})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="+", help="cnnkern-bench results.json files (same machine, threads, dtype)")
    ap.add_argument("--stat", choices=("min", "median"), default="min",
                    help="per-run figure of each timing: min (default) or median of its calls")
    ap.add_argument("--write", action="store_true", help=f"write {os.path.normpath(CONSTANTS_PATH)}")
    args = ap.parse_args(argv)

    cases, times, meta = load_runs(args.results, args.stat)
    constants = fit(cases, times)
    fitted_rows = choices(cases, times, constants)
    current_rows = choices(cases, times, _choose.CONSTANTS)
    loo_rows = leave_one_out(cases, times)

    print("fitted constants (seconds per unit count):")
    for algo, per_dir in constants.items():
        for direction, consts in per_dir.items():
            print(f"  {algo:<10} {direction:<16} " + "  ".join(f"{n}={v:.3g}" for n, v in consts.items()))
    print()
    print(f"{'case':<22} {'pass':<11} {'fastest':<10} {'model':<10} {'ratio':>6}   measured ms / estimated ms")
    for case, pas, chosen, fastest, ratio in fitted_rows:
        p, rank1 = cases[case]
        est = _choose.estimate_costs(p, PASS_DIRECTION[pas], separable=rank1, constants=constants)
        detail = "  ".join(f"{a} {times[(case, pas, a)] * 1e3:.2f}/{est.get(a, float('nan')) * 1e3:.2f}"
                           for a in sorted({k[2] for k in times if k[0] == case and k[1] == pas}))
        print(f"{case:<22} {pas:<11} {fastest:<10} {chosen:<10} {ratio:6.2f}   {detail}")
    q_fit, q_cur, q_loo = quality(fitted_rows), quality(current_rows), quality(loo_rows)
    print()
    print(f"quality, fitted constants (in-sample):   {_fmt_quality(q_fit)}")
    print(f"quality, leave-one-case-out:             {_fmt_quality(q_loo)}")
    print(f"quality, constants now in the package:   {_fmt_quality(q_cur)}")

    if args.write:
        with open(CONSTANTS_PATH) as fh:
            old = json.load(fh)
        merged = dict(old.get("constants", {}))
        merged.update(constants)
        doc = {
            "about": "Cost-model constants of cnnkern/_choose.py (seconds per unit of each count), written by "
                     "benchmarks/fit_chooser.py; see its docstring for the method.",
            "fitted": {
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "command": "python benchmarks/fit_chooser.py " + " ".join(
                    _shown_path(r) for r in args.results) + f" --stat {args.stat} --write",
                "method": ("weighted non-negative least squares (rows weighted by 1/time) on the "
                           + ("minimum over every timed call" if args.stat == "min" else "median of the per-run medians")
                           + f" of {len(meta)} run(s)"),
                "runs": meta,
                "algorithms_fitted": sorted(constants),
                "quality_in_sample": q_fit,
                "quality_leave_one_case_out": q_loo,
            },
            "constants": merged,
        }
        with open(CONSTANTS_PATH, "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
        print(f"wrote {os.path.normpath(CONSTANTS_PATH)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
