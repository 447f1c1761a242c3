"""Run the fuzz driver for a while, surviving crashes.

    python tests/fuzz/run_fuzz.py --minutes 10 [--seed 100] [--chunk-seconds 60]

Runs tests/fuzz/fuzz_cnnkern.py in child processes (seeds SEED, SEED+1, ... each for CHUNK seconds);
a child killed by a signal or aborting (a sanitizer report) is a crash: the case seed it was running
(its --progress file) is printed with the reproducer, and the run continues with the next seed.
Prints the totals: calls, ok, raised, failures, known, crashes, and the sanitizer reports seen.
Exit status 1 if anything failed or crashed.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "fuzz_cnnkern.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--chunk-seconds", type=float, default=60.0)
    args = ap.parse_args()
    totals, crashes, sanitizer, fail_lines = {}, [], 0, []
    t_end = time.monotonic() + 60 * args.minutes
    seed = args.seed
    with tempfile.TemporaryDirectory() as tmp:
        progress = os.path.join(tmp, "progress")
        while time.monotonic() < t_end:
            chunk = min(args.chunk_seconds, max(1.0, t_end - time.monotonic()))
            r = subprocess.run([sys.executable, DRIVER, "--seed", str(seed), "--seconds", str(chunk),
                                "--progress", progress], capture_output=True, text=True, cwd=HERE)
            out = r.stdout + r.stderr
            sanitizer += len(re.findall(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:", out))
            for m in re.finditer(r"^fuzz: (calls=.*)$", r.stdout, re.M):
                for kv in m.group(1).split(", "):
                    k, v = kv.split("=")
                    totals[k] = totals.get(k, 0) + int(v)
            fail_lines += [ln for ln in r.stdout.splitlines() if ln.startswith(("FAIL", "    "))]
            if r.returncode not in (0, 1) or "runtime error:" in out:
                last = open(progress).read().strip() if os.path.exists(progress) else "?"
                crashes.append((seed, r.returncode, last))
                print(f"CRASH seed={seed} rc={r.returncode} during case {last}: reproduce with "
                      f"python tests/fuzz/fuzz_cnnkern.py --replay {last} -v", flush=True)
                print("\n".join(out.splitlines()[-40:]), flush=True)
            seed += 1
    print("\n".join(fail_lines))
    print("totals: " + ", ".join(f"{k}={v}" for k, v in sorted(totals.items())))
    print(f"seeds {args.seed}..{seed - 1}; crashes {len(crashes)}; sanitizer reports {sanitizer}")
    return 1 if crashes or sanitizer or any(k.startswith("fail") for k in totals) else 0


if __name__ == "__main__":
    sys.exit(main())
