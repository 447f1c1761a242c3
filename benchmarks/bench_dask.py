"""cnnkern.dask on a 2-worker distributed.LocalCluster (issue 17's benchmark).

(a) A 16384 x 16384 float32 image (generated lazily by dask's random generator in 2048 x 2048 chunks,
    1 GiB in all) correlated with a 31 x 31 kernel: cnnkern.dask.correlate(mode="same") beside
    dask_image.ndfilters.correlate on the same chunks. Boundary: dask-image runs scipy.ndimage per chunk
    (halos from neighbours) with mode="constant", cval=0 at the image edges, which for an odd kernel
    with origin 0 is scipy.signal's "same" correlation with zero padding: the two agree everywhere (the
    script checks the whole result on a 1024^2 image in 256^2 chunks first). scipy.ndimage is ~10x slower
    per chunk, so dask-image runs on a band of chunk rows only (--band, default 1 row = 8 chunks); cnnkern
    runs on the same band (the speed-up is taken there, same chunks, same cluster) and on the whole image.
(b) A batch of 256 3x64x64 images through conv 3x3 (3->32, padding 1) -> max-pool 2 -> conv 3x3
    (32->64, padding 1), float32, chunked by 32, on the cluster (input generated and persisted on the
    workers before timing), beside the in-memory calls on the same values (1 and 2 threads).

Each worker is one process with one Dask thread and cnnkern.set_num_threads(1) (two workers on two
cores: no oversubscription). Results are reduced (sum) on the workers so 1 GiB does not travel to the
client. Time: best of --repeat runs. Peak memory per worker: ru_maxrss of each worker process, read via
client.run (also right after start: the idle worker's footprint); each contender gets a fresh cluster so the peak is that contender's.

    python benchmarks/bench_dask.py            # full size (a few minutes on 2 cores)
    python benchmarks/bench_dask.py --small    # 2048^2 image, 512 px chunks, batch 64: seconds
"""
import argparse
import resource
import time

import numpy as np


def _peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _one_thread():
    import cnnkern
    cnnkern.set_num_threads(1)


class Cluster:
    """A fresh 2-worker LocalCluster per contender, so each worker's peak RSS is that contender's."""

    def __enter__(self):
        import distributed
        self.cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                                dashboard_address=None, memory_limit=0)
        self.client = distributed.Client(self.cluster)
        self.client.run(_one_thread)
        self.baseline = sorted(self.client.run(_peak_rss_mib).values())
        return self

    def __exit__(self, *exc):
        self.client.close()
        self.cluster.close()


def _timed(make, repeat):
    """Best wall time of computing make(client) (a fresh graph each run; make may persist inputs first,
    untimed) and the workers' peak RSS."""
    with Cluster() as cl:
        client = cl.client
        best, value = float("inf"), None
        for _ in range(repeat):
            graph = make(client)
            t = time.perf_counter()
            value = client.compute(graph).result()
            best = min(best, time.perf_counter() - t)
        peaks = sorted(client.run(_peak_rss_mib).values())
    return best, value, (peaks, cl.baseline)


def _fmt_peaks(peaks_and_baseline):
    peaks, baseline = peaks_and_baseline
    return ("/".join(f"{p:.0f}" for p in peaks) + " MiB (idle worker: "
            + "/".join(f"{p:.0f}" for p in baseline) + " MiB)")


def image_benchmark(size, chunk, ksize, band, repeat):
    import dask
    import dask.array as da
    import dask_image.ndfilters as dif

    import cnnkern.dask as ckd

    kernel = np.random.default_rng(1).standard_normal((ksize, ksize)).astype(np.float32)

    def image():
        return da.random.default_rng(0).standard_normal((size, size), dtype=np.float32, chunks=chunk)

    def ours(rows=size):
        return ckd.correlate(image()[:rows], kernel, mode="same")

    def theirs(rows=size):
        return dif.correlate(image()[:rows], kernel, mode="constant", cval=0.0)

    # Equivalence (boundary, centring) on a 1024^2 image in 256^2 chunks with the same kernel, whole result.
    small = da.random.default_rng(3).standard_normal((1024, 1024), dtype=np.float32, chunks=256)
    a, b = dask.compute(ckd.correlate(small, kernel, mode="same"),
                        dif.correlate(small, kernel, mode="constant", cval=0.0), scheduler="threads")
    err = float(np.abs(a - b).max() / np.abs(b).max())
    print(f"  check (1024^2 image, 256^2 chunks): max |cnnkern - dask_image| / max |dask_image| = {err:.1e}")
    assert err < 1e-4, "boundary/centring mismatch"

    rows = min(size, band * chunk)
    n_band = -(-rows // chunk) * -(-size // chunk)
    print(f"(a) {size}x{size} float32 (chunks {chunk}x{chunk}) * {ksize}x{ksize} kernel, mode='same'")
    t_ck_band, _, p_ck_band = _timed(lambda client: ours(rows).sum(), repeat)
    t_di_band, _, p_di_band = _timed(lambda client: theirs(rows).sum(), 1)
    t_ck, _, p_ck = _timed(lambda client: ours().sum(), 1)  # one run: it is the long one
    print(f"  band of {rows} rows ({n_band} chunks): cnnkern.dask {t_ck_band:7.2f} s  peak/worker {_fmt_peaks(p_ck_band)}")
    print(f"  band of {rows} rows ({n_band} chunks): dask_image  {t_di_band:7.2f} s  peak/worker {_fmt_peaks(p_di_band)}")
    print(f"  speed-up over dask_image (same chunks): {t_di_band / t_ck_band:.1f}x")
    print(f"  whole image ({(-(-size // chunk)) ** 2} chunks): cnnkern.dask {t_ck:7.2f} s  peak/worker {_fmt_peaks(p_ck)}"
          f"  (dask_image extrapolated from the band: {t_di_band * size / rows:.0f} s)")


def batch_benchmark(batch, chunk, size, repeat):
    import dask.array as da

    import cnnkern
    import cnnkern.dask as ckd

    rng = np.random.default_rng(2)

    def images():  # generated on the workers (no 12 MiB array inside the graph)
        return da.random.default_rng(4).standard_normal((batch, 3, size, size), dtype=np.float32,
                                                        chunks=(chunk, 3, size, size))

    x = images().compute(scheduler="threads")
    w1 = (rng.standard_normal((32, 3, 3, 3)) * 0.2).astype(np.float32)
    w2 = (rng.standard_normal((64, 32, 3, 3)) * 0.06).astype(np.float32)

    def in_memory(xa):
        y = cnnkern.conv2d_forward(xa, w1, None, padding=1)
        y = cnnkern.max_pool2d_forward(y, 2)
        return cnnkern.conv2d_forward(y, w2, None, padding=1)

    def on_dask(client):
        import distributed
        xd = client.persist(images())  # in worker memory before the clock starts
        distributed.wait(xd)
        y = ckd.conv2d_forward(xd, w1, None, padding=1)
        y = ckd.max_pool2d_forward(y, 2)
        return ckd.conv2d_forward(y, w2, None, padding=1)

    print(f"(b) batch {batch} x 3x{size}x{size} float32, conv3x3(3->32) -> maxpool2 -> conv3x3(32->64), chunks of {chunk}")
    t_dask, value, peaks = _timed(lambda client: on_dask(client).sum(dtype=np.float64), repeat)
    print(f"  cnnkern.dask on the cluster: {t_dask:7.3f} s  peak/worker {_fmt_peaks(peaks)}")
    for threads in (1, 2):
        with cnnkern.num_threads(threads):
            best = float("inf")
            for _ in range(repeat):
                t = time.perf_counter()
                y = in_memory(x)
                best = min(best, time.perf_counter() - t)
        print(f"  in memory, {threads} thread(s):  {best:7.3f} s  (this process's peak RSS so far "
              f"{_peak_rss_mib():.0f} MiB)")
    # The same graph on Dask's threaded scheduler in this process (2 threads, cnnkern 1 thread each):
    # separates the graph's own cost from the cluster's (processes, transfers).
    with cnnkern.num_threads(1):
        best = float("inf")
        for _ in range(repeat):
            xd = da.from_array(x, chunks=(chunk, 3, size, size))
            graph = ckd.conv2d_forward(ckd.max_pool2d_forward(ckd.conv2d_forward(xd, w1, None, padding=1), 2),
                                       w2, None, padding=1).sum(dtype=np.float64)
            t = time.perf_counter()
            graph.compute(scheduler="threads", num_workers=2)
            best = min(best, time.perf_counter() - t)
    print(f"  cnnkern.dask, threaded scheduler in this process (2 threads): {best:7.3f} s")
    ref = float(y.sum(dtype=np.float64))
    print(f"  sums: dask {value:.6e}, in memory {ref:.6e}")
    assert abs(value - ref) <= 1e-3 * max(abs(ref), float(np.abs(y).sum())) + 1e-3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", action="store_true", help="quick run: 2048^2 image, 512 chunks, batch 64")
    ap.add_argument("--band", type=int, default=1, help="chunk rows dask_image runs on (default 1)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per contender (best is reported)")
    ap.add_argument("--skip-image", action="store_true")
    ap.add_argument("--skip-batch", action="store_true")
    args = ap.parse_args(argv)

    import dask
    import distributed

    import cnnkern

    size, chunk, batch = (2048, 512, 64) if args.small else (16384, 2048, 256)
    print(f"cnnkern {cnnkern.__version__}, dask {dask.__version__}, distributed {distributed.__version__}; "
          "LocalCluster(n_workers=2, processes=True, threads_per_worker=1), cnnkern 1 thread per worker")
    if not args.skip_image:
        image_benchmark(size, chunk, 31, args.band, args.repeat)
    if not args.skip_batch:
        batch_benchmark(batch, 32, 64, args.repeat)


if __name__ == "__main__":
    main()
