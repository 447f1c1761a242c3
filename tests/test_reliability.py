"""Regression tests of issue 15's reliability items owned here: thread counts (2, 3), huge integers for
the process-wide knobs (3), CNNKERN_FFT_TILE never failing a call (4), Ctrl-C during long kernels (5),
deeply nested autotune caches (9) and float32 FFT accuracy (11). The fuzz driver has its own test
(tests/test_fuzz.py)."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import cnnkern
import oracle

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = os.path.join(HERE, "interrupt_child.py")


# ---- 2, 3: thread counts --------------------------------------------------------------------------

@pytest.mark.parametrize("value, exc", [
    (2**31, ValueError), (10**5, ValueError), (10**6, ValueError), (cnnkern._threads.MAX_THREADS + 1, ValueError),
    (0, ValueError), (-1, ValueError), (-(2**70), ValueError),
    (1.5, TypeError), ("4", TypeError), (True, TypeError), (None, TypeError), (np.float64(2), TypeError),
])
def test_set_num_threads_rejects(value, exc):
    before = cnnkern.get_num_threads()
    with pytest.raises(exc, match="num_threads"):
        cnnkern.set_num_threads(value)
    with pytest.raises(exc, match="num_threads"):
        with cnnkern.num_threads(value):
            pass
    assert cnnkern.get_num_threads() == before
    cnnkern.conv1d_forward(np.ones((1, 1, 5)), np.ones((1, 1, 3)))  # later calls still work


def test_max_threads_runs_every_operator():
    """The largest accepted count: every operator starts at most one thread per work item."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 12, 12)), rng.standard_normal((4, 3, 3, 3))
    want = oracle.conv_forward(x, w)
    with cnnkern.num_threads(cnnkern._threads.MAX_THREADS):
        assert cnnkern.get_num_threads() == cnnkern._threads.MAX_THREADS
        for algo in cnnkern.algorithms():
            if algo == "separable":
                continue
            np.testing.assert_allclose(cnnkern.conv2d_forward(x, w, algorithm=algo), want, atol=1e-9)
        np.testing.assert_allclose(cnnkern.max_pool2d_forward(x, 2), x.reshape(2, 3, 6, 2, 6, 2).max((3, 5)))
        cnnkern.signal.correlate(x[0, 0], w[0, 0], method="direct")
        cnnkern.conv2d_backward(rng.standard_normal(want.shape), x, w)


def test_omp_num_threads_huge_is_capped():
    code = ("import numpy as np, cnnkern; print(cnnkern.get_num_threads()); "
            "print(cnnkern.conv2d_forward(np.ones((1, 2, 9, 9)), np.ones((3, 2, 3, 3)), algorithm='direct').sum())")
    for value in ("100000", "1000000"):
        env = dict(os.environ, OMP_NUM_THREADS=value)
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=HERE)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.split()
        assert int(lines[0]) == cnnkern._threads.MAX_THREADS
        assert float(lines[1]) == 3 * 2 * 9 * 49


@pytest.mark.parametrize("value", [2**64, 2**63, -1, -(2**70)])
def test_set_workspace_limit_huge(value):
    before = cnnkern.get_workspace_limit()
    with pytest.raises(ValueError, match="nbytes"):
        cnnkern.set_workspace_limit(value)
    assert cnnkern.get_workspace_limit() == before


# ---- 6: workspaces larger than the machine are refused before allocating ---------------------------

def test_workspace_larger_than_memory_is_refused():
    from cnnkern import _conv_ext
    t0 = time.monotonic()
    for nbytes in (2**62, 2**50, 2**64 - 1):
        ok, failed = _conv_ext.workspace_alloc_probe(nbytes)
        assert not ok and failed == nbytes
    assert time.monotonic() - t0 < 5  # nothing was touched
    assert _conv_ext.workspace_alloc_probe(1 << 20)[0]


# ---- 4: CNNKERN_FFT_TILE ----------------------------------------------------------------------------

@pytest.mark.parametrize("tile", ["7,7,7", "2,2,2", "1024,1024,1024", "0,1024,3", "-1,-1,7", "5,5,5",
                                  "9999999999999999999999,1,1", "x", "1,2", " "])
def test_fft_tile_env_never_fails(monkeypatch, tile):
    rng = np.random.default_rng(1)
    monkeypatch.setenv("CNNKERN_FFT_TILE", tile)
    for d, sp, k in ((1, (40,), (5,)), (2, (19, 23), (4, 3)), (3, (7, 9, 8), (3, 2, 3))):
        x = rng.standard_normal((2, 3) + sp).astype(np.float32)
        w = rng.standard_normal((4, 3) + k).astype(np.float32)
        for pad in (0, "same"):
            y = getattr(cnnkern, f"conv{d}d_forward")(x, w, padding=pad, algorithm="fft")
            want = oracle.conv_forward_mode(x, w, None, padding=pad)
            oracle.assert_close(y, want, np.float32, int(np.prod(w.shape[1:])), 64, what=f"fft tile {tile}")
            dy = rng.standard_normal(want.shape).astype(np.float32)
            dx = getattr(cnnkern, f"conv{d}d_backward_input")(dy, w, x.shape, padding=pad, algorithm="fft")
            dx_want = oracle.conv_backward_mode(dy, x, w, padding=pad)[0]
            oracle.assert_close(dx, dx_want, np.float32, int(np.prod(w.shape[:1] + k)), 64, what=f"fft tile {tile}")
    a, b = rng.standard_normal((30, 31)), rng.standard_normal((7, 6))
    import scipy.signal
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(cnnkern.signal.convolve(a, b, mode, method="fft"),
                                   scipy.signal.convolve(a, b, mode, method="direct"), atol=1e-10)


# ---- 5: Ctrl-C ------------------------------------------------------------------------------------

def _interrupt(algorithm, delay=0.5):
    """Run tests/interrupt_child.py, SIGINT it `delay` s into its call -> (seconds to the child's
    INTERRUPTED line, that line); retries with a larger problem if the call finished first."""
    for scale in (1, 4, 16):
        proc = subprocess.Popen([sys.executable, CHILD, algorithm, str(scale)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
            time.sleep(delay)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGINT)
            line = proc.stdout.readline().strip()
            latency = time.monotonic() - t0
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if not line.startswith("COMPLETED"):
            assert proc.returncode == 3, (line, proc.stderr.read())
            return latency, line
    pytest.fail(f"{algorithm}: the call finished before SIGINT even at scale 16: {line}")


@pytest.mark.parametrize("algorithm", ["direct", "im2col", "fft", "reference", "separable", "pooling", "signal"])
def test_ctrl_c_interrupts_the_kernel(algorithm):
    latency, line = _interrupt(algorithm)
    # inside=1: KeyboardInterrupt came out of the cnnkern call, not after it returned
    assert line.startswith("INTERRUPTED inside=1"), line
    assert latency < 2.0, f"{algorithm}: {latency:.2f} s from SIGINT to KeyboardInterrupt"


def test_sigint_handler_restored_after_calls():
    """After kernel calls, SIGINT reaches Python's handler as before (the C handler is uninstalled).
    Python's handler is installed first: pytest started as a background job inherits SIGINT ignored
    (interrupt_child.py)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        x, w = np.ones((1, 2, 16, 16)), np.ones((3, 2, 3, 3))
        for algo in ("direct", "im2col", "reference"):
            cnnkern.conv2d_forward(x, w, algorithm=algo)
        cnnkern.max_pool2d_forward(x, 2)
        cnnkern.signal.correlate(x[0, 0], w[0, 0])
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_with_a_handler_that_does_not_raise():
    """A user SIGINT handler that returns: the handler runs, and the unfinished call still raises
    KeyboardInterrupt instead of returning a half-written result."""
    code = f"""
import signal, sys, time, threading, os
sys.argv = ["x", "direct", "4"]
sys.path.insert(0, {HERE!r})
import interrupt_child, numpy as np
seen = []
signal.signal(signal.SIGINT, lambda s, f: seen.append(s))
call = interrupt_child.case("direct", 4)
threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
t0 = time.monotonic()
try:
    call()
    print("COMPLETED", seen)
except KeyboardInterrupt as e:
    print("RAISED", len(seen), round(time.monotonic() - t0, 2), e)
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=HERE)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("RAISED 1"), r.stdout
    assert "interrupted" in r.stdout


def test_threads_calling_while_main_is_interrupted():
    """Calls from other Python threads are never cut short by a Ctrl-C aimed at the main thread:
    their results stay exact while the main thread gets its KeyboardInterrupt."""
    code = f"""
import signal, sys, threading, os, time
sys.path.insert(0, {HERE!r})
import numpy as np, cnnkern, interrupt_child
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 8, 48, 48)).astype(np.float32)
w = rng.standard_normal((8, 8, 5, 5)).astype(np.float32)
want = {{a: cnnkern.conv2d_forward(x, w, algorithm=a) for a in ("direct", "im2col", "fft")}}
stop, bad, count = threading.Event(), [], [0]
def worker(a):
    while not stop.is_set():
        if not np.array_equal(cnnkern.conv2d_forward(x, w, algorithm=a), want[a]):
            bad.append(a)
        count[0] += 1
threads = [threading.Thread(target=worker, args=(a,)) for a in want]
for t in threads:
    t.start()
call = interrupt_child.case("direct", 1)
threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
try:
    call()
    print("COMPLETED")
except KeyboardInterrupt:
    print("RAISED")
stop.set()
for t in threads:
    t.join()
print("bad", len(bad), "count", count[0])
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=HERE)
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[0] in ("RAISED", "COMPLETED") and out[1:3] == ["bad", "0"], r.stdout
    # the main call ends either way: with KeyboardInterrupt (raised when its kernel finished or, when no
    # worker call was running at the signal, at once); COMPLETED only if SIGINT missed it entirely
    assert out[0] == "RAISED", r.stdout


def test_concurrent_calls_without_signal_match_serial():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 20, 20))
    w = rng.standard_normal((5, 4, 3, 3))
    want = cnnkern.conv2d_forward(x, w, algorithm="direct")
    errors = []

    def worker():
        for _ in range(20):
            if not np.array_equal(cnnkern.conv2d_forward(x, w, algorithm="direct"), want):
                errors.append(1)
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(20):
        assert np.array_equal(cnnkern.conv2d_forward(x, w, algorithm="direct"), want)
    for t in threads:
        t.join()
    assert not errors


# ---- 9: nested autotune JSON ----------------------------------------------------------------------

@pytest.mark.parametrize("depth", [10, 100_000])
def test_deeply_nested_autotune_cache(tmp_path, depth):
    path = tmp_path / "cache.json"
    path.write_text("[" * depth + "]" * depth)
    with pytest.raises(ValueError, match="not a valid autotune cache"):
        cnnkern.load_autotune_cache(path)
    nested = {"format": "x"}
    text = json.dumps({"format": "cnnkern-autotune", "version": 1, "entries": [{"key": {"a": nested}}]})
    path.write_text(text.replace('{"format": "x"}', '{"a": ' * depth + "1" + "}" * depth))
    with pytest.raises(ValueError, match="not a valid autotune cache"):
        cnnkern.load_autotune_cache(path)


# ---- 11: FFT accuracy in float32 ------------------------------------------------------------------

def _fft_worst(dtype, sizes, taps, seed=0):
    import scipy.signal
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n in sizes:
        for k in taps:
            a = rng.standard_normal(n).astype(dtype)
            b = rng.standard_normal(k).astype(dtype)
            exact = np.convolve(a.astype(np.float64), b.astype(np.float64))
            got = cnnkern.signal.convolve(a, b, method="fft").astype(np.float64)
            worst = max(worst, float(np.max(np.abs(got - exact)) / np.max(np.abs(exact))))
    return worst


def test_fft_float32_accuracy_matches_scipy():
    """The issue's case (a 100-sample float32 signal, a short filter): the error of method='fft'
    relative to the result's scale stays within scipy.signal.fftconvolve's on the same inputs."""
    import scipy.signal
    rng = np.random.default_rng(0)
    worst_ck = worst_sp = 0.0
    for n in (100, 37, 256, 1000, 4099):
        for k in (3, 5, 16, 31):
            a = rng.standard_normal(n).astype(np.float32)
            b = rng.standard_normal(k).astype(np.float32)
            exact = np.convolve(a.astype(np.float64), b.astype(np.float64))
            scale = np.max(np.abs(exact))
            worst_ck = max(worst_ck, np.max(np.abs(cnnkern.signal.convolve(a, b, method="fft") - exact)) / scale)
            worst_sp = max(worst_sp, np.max(np.abs(scipy.signal.fftconvolve(a, b) - exact)) / scale)
    assert worst_ck <= 2.0 * worst_sp, (worst_ck, worst_sp)


# ---- issue 15 item 6: a window over a huge padding walks only the taps inside the input -----------

@pytest.mark.parametrize("family", ["avg", "max", "lp"])
def test_huge_window_in_padding_costs_its_in_range_taps(family):
    # before: avg_pool2d_forward(x, 10**9, padding=5*10**8, ceil_mode=True) took ~15 s (every tap of the
    # W axis visited); a call of this size now takes microseconds, so a run of a few seconds would
    # mean the walk is back. The value is the oracle's: the one window covers the whole input.
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 5, 7))
    k, pad = 10 ** 9, 5 * 10 ** 8
    if family == "avg":
        y = cnnkern.avg_pool2d_forward(x, k, padding=pad, ceil_mode=True, count_include_pad=False)
        np.testing.assert_allclose(y.reshape(2), x.mean(axis=(0, 2, 3)), rtol=1e-12)
        dx = cnnkern.avg_pool2d_backward(np.ones_like(y), x, k, padding=pad, ceil_mode=True,
                                         count_include_pad=False)
        np.testing.assert_allclose(dx, np.full_like(x, 1 / 35), rtol=1e-12)
    elif family == "max":
        y = cnnkern.max_pool2d_forward(x, k, padding=pad, ceil_mode=True)
        np.testing.assert_array_equal(y.reshape(2), x.max(axis=(0, 2, 3)))
    else:
        # torch's lp_pool: the average over the window's in-input part (35 elements) times the full area
        y = cnnkern.lp_pool2d_forward(np.abs(x), 1.0, k, ceil_mode=True)
        np.testing.assert_allclose(y.reshape(2), np.abs(x).sum(axis=(0, 2, 3)) * (k * k / 35), rtol=1e-12)
