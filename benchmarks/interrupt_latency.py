"""Ctrl-C latency per algorithm: start a long call (tests/interrupt_child.py) in a subprocess, send
SIGINT DELAY s after it printed READY, and time until the process exits. Reports, per algorithm, the
latency (best and worst of --repeat runs) and whether KeyboardInterrupt came out of the cnnkern call
(inside=1) rather than after it finished.

    python benchmarks/interrupt_latency.py [--repeat 3] [--delay 1.0] [ALGORITHM ...]
"""
import argparse
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = os.path.join(os.path.dirname(HERE), "tests", "interrupt_child.py")
ALGORITHMS = ("direct", "im2col", "fft", "reference", "separable", "pooling", "signal")


def interrupt_once(algorithm, delay=1.0, scale=1, timeout=120.0):
    """-> (latency seconds, child's last line, return code)."""
    proc = subprocess.Popen([sys.executable, CHILD, algorithm, str(scale)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if line.strip() != "READY":
            proc.kill()
            raise RuntimeError(f"child did not start: {line!r} {proc.stderr.read()}")
        time.sleep(delay)
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=timeout)
        latency = time.perf_counter() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return latency, (out.strip().splitlines() or [""])[-1], proc.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("algorithms", nargs="*", default=list(ALGORITHMS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--delay", type=float, default=1.0)
    args = ap.parse_args()
    for a in args.algorithms:
        runs = [interrupt_once(a, args.delay) for _ in range(args.repeat)]
        lat = [r[0] for r in runs]
        # in the call: the child's time from starting the call to KeyboardInterrupt minus the delay
        # (READY is printed just before the call starts); to exit adds the interpreter's shutdown
        inside = [float(r[1].split("after=")[1]) - args.delay for r in runs if "after=" in r[1]]
        print(f"{a:10s} SIGINT->KeyboardInterrupt ~{min(inside):.3f}..{max(inside):.3f} s, "
              f"SIGINT->exit {min(lat):.3f}..{max(lat):.3f} s; last: {runs[-1][1]} (rc {runs[-1][2]})",
              flush=True)


if __name__ == "__main__":
    main()
