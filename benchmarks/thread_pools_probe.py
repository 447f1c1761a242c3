"""Which thread pool burns CPU while another one works: NumPy's OpenBLAS, SciPy's OpenBLAS, cnnkern's libgomp.

    python benchmarks/thread_pools_probe.py [--first numpy|cnnkern] [--pause 0] [--algorithm im2col]
                                            [--rounds 20]   (Linux only: reads /proc/self/task)

Each round runs the `--first` call (NumPy's 2-thread matmul of r50_1x1_14's GEMM, or cnnkern's
2-thread r50_1x1_14 forward), sleeps `--pause` seconds, then times the other one while reading every
thread's run time from /proc/self/task/TID/schedstat. The threads are told apart by when they
appeared (NumPy's OpenBLAS workers at `import numpy`, SciPy's at `import scipy.linalg`, libgomp's at
the first cnnkern call). Printed: CPU seconds each pool used per wall second of the timed calls. A
pool that is not running the timed call but still shows CPU is busy-waiting after its own last call.
Seen on the 2-core VM (busy with other jobs): NumPy's OpenBLAS worker 0.31 during the cnnkern call
right after a matmul, 0.0 after a 0.3 s pause or with OPENBLAS_THREAD_TIMEOUT=4; cnnkern's libgomp
worker 0.57 during the matmul right after a cnnkern call with libgomp's default spin, 0.0-0.08
with GOMP_SPINCOUNT=10000 (cnnkern's earlier default; now 100000, cnnkern/_omp_env.py, ~3 ms of spin); SciPy's OpenBLAS (pinned to
one thread inside im2col calls) 0.0 always.
"""
import argparse
import os
import statistics
import sys
import time


def _tids():
    return {int(t) for t in os.listdir("/proc/self/task")}


def _runtime_ns(tid):
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as fh:
            return int(fh.read().split()[0])
    except OSError:  # the thread ended
        return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--first", choices=("numpy", "cnnkern"), default="numpy")
    ap.add_argument("--pause", type=float, default=0.0)
    ap.add_argument("--algorithm", default="im2col")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args(argv)
    start = _tids()
    import numpy as np
    numpy_pool = _tids() - start
    import scipy.linalg  # noqa: F401
    scipy_pool = _tids() - start - numpy_pool
    import cnnkern
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1024, 14, 14)).astype(np.float32)
    w = rng.standard_normal((256, 1024, 1, 1)).astype(np.float32)
    a = rng.standard_normal((256, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 1568)).astype(np.float32)
    cnnkern.set_num_threads(2)
    before = _tids()
    ours = lambda: cnnkern.conv2d_forward(x, w, algorithm=args.algorithm)  # noqa: E731
    ours()
    pools = {"numpy-openblas": numpy_pool, "scipy-openblas": scipy_pool,
             "cnnkern-gomp": _tids() - before - numpy_pool - scipy_pool, "main": {os.getpid()}}
    matmul = lambda: a @ b  # noqa: E731
    first, timed = (matmul, ours) if args.first == "numpy" else (ours, matmul)
    used = dict.fromkeys(pools, 0)
    wall = []
    with threadpool_limits(limits=2, user_api="blas"):
        for _ in range(args.rounds):
            first()
            if args.pause:
                time.sleep(args.pause)
            at = {k: sum(_runtime_ns(t) for t in v) for k, v in pools.items()}
            t0 = time.perf_counter()
            timed()
            wall.append(time.perf_counter() - t0)
            for k, v in pools.items():
                used[k] += sum(_runtime_ns(t) for t in v) - at[k]
    total = sum(wall)
    name = "cnnkern" if args.first == "numpy" else "numpy matmul"
    print(f"threads: {dict((k, sorted(v)) for k, v in pools.items())}")
    print(f"timed {name} after {args.first} (pause {args.pause} s): median {statistics.median(wall) * 1e3:.2f} ms; "
          "CPU s per wall s: " + ", ".join(f"{k} {v / 1e9 / total:.2f}" for k, v in used.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
