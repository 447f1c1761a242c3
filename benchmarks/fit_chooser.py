"""Fit the chooser's efficiency terms and default rates (cnnkern/data/chooser_constants.json) from the
data of benchmarks/collect_chooser_data.py, and validate them as a new machine would see them.

    python benchmarks/fit_chooser.py benchmarks/fit_data/chooser/*.json [--write]

Model (cnnkern/_choose.py): the time of algorithm a in direction d on a case is
    sum_i e[a][d][i] * count_i(case) / rate[class_i]
with the counts of a's entry, each count's rate class (gemm, direct, fft, mem, call; _choose.RATE_CLASS)
and the rates of the environment (cnnkern/_calibrate.py's probes, measured in every environment by the
collection script). The efficiency terms e >= 0 are fitted once over every environment and case: per
algorithm and direction, the non-negative least-squares solution of (count_i / rate[class_i]) / t . e = 1
(each row divided by its measured time, so every case weighs the same in relative error), refitted
after dropping rows measured over TRIM_FACTOR x slower than predicted (on a shared machine a disturbed
timing is only ever too slow). direct and separable never call the BLAS, so their times in
environments that differ only in the BLAS kernel set are merged (minimum).

Default rates (what an uncalibrated machine uses): per dtype and ISA, from the environments with
OpenBLAS on its native kernels (a user's setting), at 1 thread; rate(T) = rate(1) * T**s[class], s
fitted from the 1- and 2-thread environments.

Validation: for every held-out (environment, case, direction) the model's choice against the fastest
measured algorithm; printed: the share within 1.1x of the fastest and the worst ratio,
  - in-sample (fitted on everything);
  - leave-one-environment-out: fitted on all environments but one, which is predicted with its own
    measured rates ("calibrated") and with default rates computed without it ("defaults");
  - leave-one-shape-family-out: fitted without one family's cases (in every environment), which are
    predicted with calibrated and with default rates.
"+guard" also counts what cnnkern's guard does (_choose.guard_pick): the fastest measured of the
algorithms it would time (_choose.guard_candidates). With --noise, guard_noise also scores the guard
with its own timing noise: picks by one run's timings, judged on the repeat run's.
"""
import argparse
import datetime
import json
import math
import os
import sys
from collections import defaultdict

import numpy as np
from scipy.optimize import nnls

from cnnkern import _choose

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collect_chooser_data import case_params  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
CONSTANTS_PATH = os.path.join(REPO, "cnnkern", "data", "chooser_constants.json")
TOL = 1.1
# Timings disturbed by other processes are too slow, never too fast: rows measured over TRIM_FACTOR x
# slower than the fit predicts are dropped and the fit repeated (TRIM_ROUNDS times).
TRIM_FACTOR = 2.5
TRIM_ROUNDS = 2
CLASSES = ("gemm", "direct", "fft", "mem", "call")


def _shown(path):
    full = os.path.abspath(path)
    return os.path.relpath(full, REPO) if full.startswith(REPO + os.sep) else os.path.basename(full)


def load(paths):
    """[env]: env = {name, file, dtype, isa, threads, native, rates, rows: [(family, case, p, rank1,
    direction, {algorithm: seconds})]}."""
    envs = []
    for path in paths:
        with open(path) as fh:
            doc = json.load(fh)
        if doc.get("format") != "cnnkern-chooser-data":
            sys.exit(f"{path}: not a collect_chooser_data.py file")
        e = doc["environment"]
        env = dict(name=os.path.splitext(os.path.basename(path))[0], file=_shown(path), dtype=e["dtype"],
                   isa=e["isa"], threads=e["threads"], blas=e["blas"],
                   native=e["env"].get("OPENBLAS_CORETYPE") is None, rates=doc["rates"], rows=[],
                   load=(e.get("load_average") or [None])[0], cpu=e["cpu"].get("model_name"))
        for r in doc["rows"]:
            c = r["case"]
            p = case_params(c)
            for direction, times in r["times"].items():
                if times:
                    env["rows"].append((r["family"], c["name"], p, bool(c.get("rank1")), direction, times))
        envs.append(env)
    _merge_blas_free(envs)
    return envs


BLAS_FREE = ("direct", "separable")  # algorithms that never call the BLAS


def _merge_blas_free(envs):
    """direct and separable do not call the BLAS: in two environments that differ only in the BLAS
    kernel set they are the same measurement, so both get the minimum of the two (the noise on a
    shared machine only ever adds time)."""
    groups = defaultdict(list)
    for e in envs:
        groups[(e["dtype"], e["isa"], e["threads"])].append(e)
    for group in groups.values():
        if len(group) < 2:
            continue
        best = {}
        for e in group:
            for fam, name, _, _, direction, times in e["rows"]:
                for a in BLAS_FREE:
                    if a in times:
                        k = (name, direction, a)
                        best[k] = min(best.get(k, math.inf), times[a])
        for e in group:
            for fam, name, _, _, direction, times in e["rows"]:
                for a in BLAS_FREE:
                    if a in times:
                        times[a] = best[(name, direction, a)]


def _features(algo, p):
    return _choose._ENTRY[algo].features(p)


def fit(envs, skip_env=None, skip_family=None):
    """{algorithm: {direction: {count: efficiency}}} by weighted NNLS over the envs' rows."""
    rows = defaultdict(list)  # (algo, direction) -> [(x / rate vector dict, t)]
    for env in envs:
        if env["name"] == skip_env:
            continue
        for fam, _, p, _, direction, times in env["rows"]:
            if fam == skip_family:
                continue
            for algo, t in times.items():
                if algo not in _choose._ENTRY:
                    continue
                cls = _choose.RATE_CLASS[algo]
                x = {n: v / env["rates"][cls[n]] for n, v in _features(algo, p).items()}
                rows[(algo, direction)].append((x, t))
    eff = {}
    for (algo, direction), data in rows.items():
        names = sorted(data[0][0])
        a = np.array([[x[n] for n in names] for x, _ in data]) / np.array([t for _, t in data])[:, None]
        scale = a.max(axis=0)
        scale[scale == 0] = 1.0
        a = a / scale
        keep = np.ones(len(data), dtype=bool)
        for _ in range(TRIM_ROUNDS + 1):
            coef, _ = nnls(a[keep], np.ones(int(keep.sum())), maxiter=50 * len(names))
            predicted = a @ coef  # estimate / measured time
            keep = predicted > 1.0 / TRIM_FACTOR
        eff.setdefault(algo, {})[direction] = {n: float(c / s) for n, c, s in zip(names, coef, scale)}
    return eff


def defaults(envs, skip_env=None):
    """(table {dtype: {isa: {class: rate at 1 thread}}}, scaling {class: exponent})."""
    use = [e for e in envs if e["name"] != skip_env]
    groups = defaultdict(list)
    for e in use:
        groups[(e["dtype"], e["isa"], e["native"], e["threads"])].append(e["rates"])

    def gmean(rs, cls):
        return math.exp(sum(math.log(r[cls]) for r in rs) / len(rs))

    scaling = {}
    for cls in CLASSES:
        logs = [math.log2(gmean(groups[(d, i, n, 2)], cls) / gmean(groups[(d, i, n, 1)], cls))
                for (d, i, n, t) in groups if t == 1 and (d, i, n, 2) in groups]
        scaling[cls] = max(0.0, sum(logs) / len(logs)) if logs else 0.0
    table = {}
    for dtype in sorted({e["dtype"] for e in use}):
        for isa in sorted({e["isa"] for e in use}):
            for native in (True, False):  # native OpenBLAS kernels when there are any
                rs = [{c: r[c] / e_t ** scaling[c] for c in CLASSES}
                      for (d, i, n, e_t), lst in groups.items() if d == dtype and i == isa and n == native
                      for r in lst]
                if rs:
                    table.setdefault(dtype, {})[isa] = {c: gmean(rs, c) for c in CLASSES}
                    break
    return table, scaling


def evaluate(env, eff, rates, skip_family_only=None):
    """[(family, case, direction, chosen, fastest, ratio, guarded ratio)]."""
    out = []
    for fam, name, p, rank1, direction, times in env["rows"]:
        if skip_family_only is not None and fam != skip_family_only:
            continue
        costs = {a: c for a, c in _choose.estimate_costs(p, direction, separable=rank1, rates=rates,
                                                          efficiency=eff).items() if a in times}
        fastest = min(times, key=times.get)
        chosen = min(costs, key=costs.get) if costs else "direct"
        ratio = times[chosen] / times[fastest]
        picked = _choose.guard_pick(costs, times)
        guarded = times[picked] / times[fastest] if picked else ratio
        out.append((fam, name, direction, chosen, fastest, ratio, guarded))
    return out


def env_default_rates(env, table, scaling):
    return _choose.default_rates(env["dtype"], env["isa"], env["threads"], table=table, scaling=scaling)


def summary(rows, col=5):
    if not rows:
        return dict(count=0)
    ratios = [r[col] for r in rows]
    worst = max(rows, key=lambda r: r[col])
    return dict(count=len(ratios), within=sum(x <= TOL for x in ratios),
                share=sum(x <= TOL for x in ratios) / len(ratios), worst=max(ratios),
                worst_case=f"{worst[1]} {worst[2]} ({worst[3]} vs {worst[4]})")


def fmt(s):
    if not s.get("count"):
        return "-"
    return f"{s['within']:>4}/{s['count']:<4} {100 * s['share']:5.1f}%  worst {s['worst']:5.2f}"


def table(title, label, groups):
    """groups: [(name, cal rows, default rows)]"""
    print(f"\n{title}")
    print(f"{label:<28} {'calibrated: within 1.1x, worst':<32} {'calibrated+guard':<32} "
          f"{'defaults: within 1.1x, worst':<32} {'defaults+guard':<32}")
    all_c, all_d = [], []
    for name, cal, dfl in groups:
        all_c += cal
        all_d += dfl
        print(f"{name:<28} {fmt(summary(cal)):<32} {fmt(summary(cal, 6)):<32} {fmt(summary(dfl)):<32} "
              f"{fmt(summary(dfl, 6)):<32}")
    print(f"{'ALL':<28} {fmt(summary(all_c)):<32} {fmt(summary(all_c, 6)):<32} {fmt(summary(all_d)):<32} "
          f"{fmt(summary(all_d, 6)):<32}")
    return dict(calibrated=summary(all_c), defaults=summary(all_d), defaults_guard=summary(all_d, 6),
                calibrated_guard=summary(all_c, 6))


def judged_on_the_other_run(a, b, pick, title, top):
    """Each (case, direction) of either run a or b: the algorithm pick(row) chooses from that run's row,
    judged on the other run's timings; printed and returned as a summary."""
    rows = []
    for first, second in ((a, b), (b, a)):
        times2 = {(r[1], r[4]): r[5] for r in second["rows"]}
        for row in first["rows"]:
            fam, name, direction = row[0], row[1], row[4]
            other = times2.get((name, direction))
            if not other:
                continue
            chosen = pick(row)
            fastest = min(other, key=other.get)
            rows.append((fam, name, direction, chosen, fastest, other[chosen] / other[fastest], 0))
    print(f"{title}: {fmt(summary(rows))}")
    for r in sorted(rows, key=lambda r: -r[5])[:top]:
        print(f"  {r[1]:<22} {r[2]:<16} {r[3]:<9} vs {r[4]:<9} {r[5]:.2f}x")
    return summary(rows)


def noise_floor(path_a, path_b):
    """The measurement noise as a chooser score: pick the fastest algorithm of run A, judge it on run B
    of the same environment (and the reverse). No model can score better on these data."""
    a, b = (load([p])[0] for p in (path_a, path_b))
    return judged_on_the_other_run(a, b, lambda row: min(row[5], key=row[5].get),
                                   "noise floor (fastest of one run judged on the other, both ways)", 5)


def guard_noise(envs, path_a, path_b):
    """The guard with its own timing noise: the environment of path_a held out (fitted without it, its
    default rates), the guard's pick ranked by one run's timings and judged on the other's (both ways)."""
    a, b = (load([p])[0] for p in (path_a, path_b))
    eff = fit(envs, skip_env=a["name"])
    tab, sc = defaults(envs, skip_env=a["name"])
    rates = env_default_rates(a, tab, sc)

    def pick(row):
        _, _, p, rank1, direction, times = row
        costs = {k: c for k, c in _choose.estimate_costs(p, direction, separable=rank1, rates=rates,
                                                          efficiency=eff).items() if k in times}
        return _choose.guard_pick(costs, times) or min(costs, key=costs.get)

    return judged_on_the_other_run(a, b, pick, "defaults+guard with the guard's own noise (held out, picks "
                                   "by one run, judged on the other)", 3)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", nargs="+", help="JSON files of benchmarks/collect_chooser_data.py")
    ap.add_argument("--held-out", nargs="+", default=[], metavar="FILE",
                    help="environments never fitted on: their case timings are only predicted (rows "
                         "'held-out' in the environment table); their probe rates still enter the "
                         "default rates and thread scaling")
    ap.add_argument("--noise", nargs=2, metavar=("RUN_A", "RUN_B"),
                    help="two runs of one environment: print the noise floor (see noise_floor)")
    ap.add_argument("--write", action="store_true", help=f"write {_shown(CONSTANTS_PATH)}")
    ap.add_argument("--worst", type=int, default=8, help="list this many worst held-out cases")
    args = ap.parse_args(argv)
    q_noise = noise_floor(*args.noise) if args.noise else None
    envs = load(args.data)
    extra = load(args.held_out) if args.held_out else []
    q_guard_noise = guard_noise(envs, *args.noise) if args.noise else None
    families = sorted({r[0] for e in envs for r in e["rows"]})
    print("environments:")
    for e in envs + extra:
        print(f"  {e['name']:<28} {e['dtype']} {e['isa']:<6} {e['blas']:<22} {e['threads']} thr  load {e['load']}  "
              + " ".join(f"{c}={e['rates'][c]:.3g}" for c in CLASSES))

    eff = fit(envs)
    tab, scaling = defaults(envs + extra)
    print("\nefficiency terms (rate units per count):")
    for algo, per in eff.items():
        for d, terms in per.items():
            print(f"  {algo:<10} {d:<16} " + " ".join(f"{n}={v:.3g}" for n, v in terms.items() if v))
    print("default rates at 1 thread:", json.dumps(tab))
    print("thread scaling exponents:", scaling)

    before = [(e["name"], evaluate(e, _choose.EFFICIENCY, e["rates"]),
               evaluate(e, _choose.EFFICIENCY, _choose.default_rates(e["dtype"], e["isa"], e["threads"])))
              for e in envs]
    q_before = table("the package's terms and default rates before this fit (cnnkern/data/chooser_constants.json "
                     "as loaded)", "environment", before)
    ins = [(e["name"], evaluate(e, eff, e["rates"]), evaluate(e, eff, env_default_rates(e, tab, scaling)))
           for e in envs]
    q_in = table("in-sample (fitted on every environment and family)", "environment", ins)

    loeo, worst_rows = [], []
    for e in envs + extra:
        eff_e = fit(envs, skip_env=e["name"])
        tab_e, sc_e = defaults(envs + extra, skip_env=e["name"])
        cal = evaluate(e, eff_e, e["rates"])
        dfl = evaluate(e, eff_e, env_default_rates(e, tab_e, sc_e))
        loeo.append((e["name"] + (" (held-out)" if e in extra else ""), cal, dfl))
        worst_rows += [("LOEO cal", e["name"]) + r for r in cal] + [("LOEO dfl", e["name"]) + r for r in dfl]
    q_loeo = table("leave-one-environment-out (row: the held-out environment)", "held-out environment", loeo)

    lofo = []
    for fam in families:
        eff_f = fit(envs, skip_family=fam)
        cal, dfl = [], []
        for e in envs:
            c = evaluate(e, eff_f, e["rates"], skip_family_only=fam)
            d = evaluate(e, eff_f, env_default_rates(e, tab, scaling), skip_family_only=fam)
            cal += c
            dfl += d
            worst_rows += [("LOFO cal", e["name"]) + r for r in c] + [("LOFO dfl", e["name"]) + r for r in d]
        lofo.append((fam, cal, dfl))
    q_lofo = table("leave-one-shape-family-out (row: the held-out family, over every environment)",
                   "held-out family", lofo)

    print(f"\nworst held-out choices:")
    for r in sorted(worst_rows, key=lambda r: -r[7])[:args.worst]:
        print(f"  {r[0]:<9} {r[1]:<26} {r[3]:<20} {r[4]:<16} chose {r[5]:<9} fastest {r[6]:<9} {r[7]:.2f}x")
    print(f"\nworst held-out choices with the guard:")
    for r in sorted(worst_rows, key=lambda r: -r[8])[:args.worst]:
        print(f"  {r[0]:<9} {r[1]:<26} {r[3]:<20} {r[4]:<16} model {r[5]:<9} fastest {r[6]:<9} {r[8]:.2f}x")

    if args.write:
        doc = {
            "about": "Chooser model of cnnkern/_choose.py: estimated seconds = sum(efficiency * count / "
                     "rate[class of the count]); efficiency terms fitted once across environments, rates "
                     "measured per machine by cnnkern.calibrate() or taken from default_rates (per dtype and "
                     "ISA at 1 thread, times threads**thread_scaling). Written by benchmarks/fit_chooser.py.",
            "fitted": {
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "command": "python benchmarks/fit_chooser.py " + " ".join(_shown(p) for p in args.data)
                           + (" --held-out " + " ".join(_shown(p) for p in args.held_out) if args.held_out else "")
                           + " --write",
                "method": "weighted non-negative least squares (rows weighted by 1/time) of the efficiency "
                          "terms over every environment and case; minimum of interleaved timings",
                "runs": [dict(file=e["file"], dtype=e["dtype"], isa=e["isa"], blas=e["blas"], threads=e["threads"],
                              cpu=e["cpu"], held_out=e in extra) for e in envs + extra],
                "families": families,
                "quality_before_this_fit": q_before,
                "quality_in_sample": q_in,
                "quality_leave_one_environment_out": q_loeo,
                "quality_leave_one_family_out": q_lofo,
                "noise_floor": q_noise,
                "guard_with_noise": q_guard_noise,
                "tolerance": TOL,
            },
            "efficiency": eff,
            "default_rates": tab,
            "thread_scaling": scaling,
        }
        with open(CONSTANTS_PATH, "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
        print(f"wrote {_shown(CONSTANTS_PATH)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
