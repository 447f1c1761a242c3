"""Provisional chooser constants for algorithm "winograd", anchored on the shipped constants.

    python benchmarks/fit_winograd_constants.py [--write]

Times winograd against the algorithm the shipped constants would choose (interleaved, best of 3, the
current thread count) on the 3x3 stride-1 standard layers at their batch and at batch 1, plus small
cases, and sets winograd's estimated cost of each case to (the anchor's estimated cost) x (measured
winograd / anchor time): a non-negative least-squares fit, each row weighted by 1 / target, of
winograd's features (cnnkern/_choose.py) per direction. So the constants say how winograd compares
with the others on this machine even when the absolute times are disturbed by other jobs. The
chooser's full refit (benchmarks/fit_chooser.py on cnnkern-bench runs) replaces them.
"""
import argparse
import json
import math
import os

import numpy as np
from scipy.optimize import nnls

from cnnkern import _choose
from cnnkern._params import make_conv_params

SHAPES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench", "shapes.json")
CONSTANTS = os.path.join(os.path.dirname(__file__), "..", "cnnkern", "data", "chooser_constants.json")


def _cases():
    with open(SHAPES) as fh:
        layers = [l for l in json.load(fh)["conv2d"] if l["k"] == 3 and l["stride"] == 1]
    out = []
    for l in layers:
        for n in (l["n"], 1):
            out.append(((n, l["c_in"], l["h"], l["w"]), (l["c_out"], l["c_in"] // l["groups"], 3, 3), l["pad"],
                        l["groups"]))
    out += [((1, 4, 9, 9), (8, 4, 3, 3), 1, 1), ((4, 32, 64, 64), (32, 32, 3, 3), 1, 1),
            ((2, 16, 20, 20), (16, 16, 3, 3), 1, 1), ((4, 64, 28, 28), (64, 16, 3, 3), 1, 4)]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    fitted = {}
    for direction in ("forward", "backward_input"):
        rows, targets = [], []
        for xs, ws, pad, groups in _cases():
            p = make_conv_params(2, xs, ws, padding=pad, groups=groups)
            costs = _choose.estimate_costs(p, direction)
            costs.pop("winograd", None)
            anchor = min(costs, key=costs.get)
            t = {anchor: math.inf, "winograd": math.inf}
            for _ in range(2):  # interleaved
                for a in t:
                    t[a] = min(t[a], _choose.time_algorithm(a, p, np.float32, direction, repeat=3))
            target = costs[anchor] * t["winograd"] / t[anchor]
            feats = _choose._winograd_features(p)
            rows.append(feats)
            targets.append(target)
            print(f"{direction:<15}{str(xs):<22}g{groups:<4}{anchor:<8} winograd/anchor {t['winograd'] / t[anchor]:.2f}", flush=True)
        names = sorted(rows[0])
        A = np.array([[r[n] for n in names] for r in rows]) / np.array(targets)[:, None]
        sol, _ = nnls(A, np.ones(len(targets)))
        fitted[direction] = {n: float(v) for n, v in zip(names, sol)}
        est = A @ sol
        print(direction, "fit: estimate/target from", f"{est.min():.2f} to {est.max():.2f}")
    print(json.dumps(fitted, indent=1))
    if args.write:
        with open(CONSTANTS) as fh:
            doc = json.load(fh)
        doc["constants"]["winograd"] = fitted  # only winograd's block: the chooser's refit owns the rest
        with open(CONSTANTS, "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")


if __name__ == "__main__":
    main()
