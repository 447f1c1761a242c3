"""A long cnnkern call to interrupt with SIGINT (tests/test_reliability.py, benchmarks/interrupt_latency.py).

python tests/interrupt_child.py ALGORITHM [SCALE]: builds the arrays, prints READY, runs one call of
several seconds (at SCALE 1 on a 2-core machine) and prints COMPLETED, or on KeyboardInterrupt prints
INTERRUPTED and whether it came out of the cnnkern call (a cnnkern frame in the traceback) and exits 3.
"""
import signal
import sys
import time
import traceback

import numpy as np

import cnnkern

# Python's own Ctrl-C handler, as in an interactive session: a process started as a background job of a
# non-interactive shell (`pytest tests &`, nohup, some CI runners) inherits SIGINT ignored, and Python
# then leaves it ignored, so the signal these tests send would never arrive.
signal.signal(signal.SIGINT, signal.default_int_handler)


def case(algorithm, scale):
    rng = np.random.default_rng(0)
    f32 = np.float32
    if algorithm in ("direct", "im2col"):
        x = rng.standard_normal((1, 64, 256 * scale, 512), dtype=f32)
        w = rng.standard_normal((64, 64, 15, 15), dtype=f32)
        return lambda: cnnkern.conv2d_forward(x, w, algorithm=algorithm)
    if algorithm == "reference":
        x = rng.standard_normal((1, 16, 128 * scale, 128), dtype=f32)
        w = rng.standard_normal((16, 16, 9, 9), dtype=f32)
        return lambda: cnnkern.conv2d_forward(x, w, algorithm="reference")
    if algorithm == "fft":
        x = rng.standard_normal((16 * scale, 64, 128, 128), dtype=f32)
        w = rng.standard_normal((64, 64, 31, 31), dtype=f32)
        return lambda: cnnkern.conv2d_forward(x, w, algorithm="fft")
    if algorithm == "separable":
        x = rng.standard_normal((1, 64, 256 * scale, 1024), dtype=f32)
        v = rng.standard_normal((64, 64, 63, 1), dtype=f32)
        w = v * rng.standard_normal((1, 1, 1, 63), dtype=f32)
        return lambda: cnnkern.conv2d_forward(x, w, algorithm="separable")
    if algorithm == "pooling":
        x = rng.standard_normal((1, 64 * scale, 64, 64, 64), dtype=f32)
        return lambda: cnnkern.lp_pool3d_forward(x, 3.0, 15, stride=1)
    if algorithm == "signal":
        x = rng.standard_normal((2048 * scale, 2048), dtype=f32)
        w = rng.standard_normal((61, 61), dtype=f32)
        return lambda: cnnkern.signal.correlate(x, w, "valid", method="direct")
    raise SystemExit(f"unknown algorithm {algorithm}")


def main():
    algorithm = sys.argv[1]
    scale = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    call = case(algorithm, scale)
    print("READY", flush=True)
    t0 = time.perf_counter()
    try:
        call()
    except KeyboardInterrupt:
        frames = traceback.extract_tb(sys.exc_info()[2])
        inside = any("cnnkern" in f.filename and "interrupt_child" not in f.filename for f in frames)
        print(f"INTERRUPTED inside={int(inside)} after={time.perf_counter() - t0:.3f}", flush=True)
        sys.exit(3)
    print(f"COMPLETED after={time.perf_counter() - t0:.3f}", flush=True)


if __name__ == "__main__":
    main()
