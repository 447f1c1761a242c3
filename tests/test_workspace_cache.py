"""The workspace cache of the C allocator (csrc/common/ck_runtime.c): freed blocks of 4 MiB or more are
kept (up to 4, within cnnkern.set_workspace_cache_limit; the least recently freed are evicted to make
room) and handed to the next request they hold."""
import threading

import numpy as np
import pytest

import cnnkern
from cnnkern import _conv_ext

MiB = 1 << 20


@pytest.fixture
def cache_limit():
    """Sets the limit for one test (freeing what the cache holds), restores it afterwards."""
    before = cnnkern.get_workspace_cache_limit()
    yield cnnkern.set_workspace_cache_limit
    cnnkern.set_workspace_cache_limit(before)


def test_large_blocks_are_kept_and_reused(cache_limit):
    cache_limit(128 * MiB)
    assert _conv_ext.workspace_cache_bytes() == 0
    held = _conv_ext.workspace_bytes()[0]
    assert _conv_ext.workspace_alloc_probe(8 * MiB)[0]
    kept = _conv_ext.workspace_cache_bytes()
    assert 8 * MiB <= kept <= 10 * MiB  # whole 2 MiB pages
    assert _conv_ext.workspace_alloc_probe(6 * MiB)[0]  # fits in the kept block: taken and put back
    assert _conv_ext.workspace_cache_bytes() == kept
    assert _conv_ext.workspace_alloc_probe(12 * MiB)[0]  # does not fit: a second block
    assert _conv_ext.workspace_cache_bytes() > kept
    # the accounting counts handed-out blocks only
    assert _conv_ext.workspace_bytes()[0] == held


def test_full_cache_evicts_the_least_recently_freed(cache_limit):
    """Four slots filled by blocks too small for a later request: its block replaces the oldest
    instead of being freed, so that request's next call reuses it (no fresh pages)."""
    cache_limit(128 * MiB)
    for size in (6, 10, 14, 18):  # each larger than the last: four distinct blocks
        assert _conv_ext.workspace_alloc_probe(size * MiB)[0]
    four = _conv_ext.workspace_cache_bytes()
    assert 48 * MiB <= four <= 56 * MiB
    assert _conv_ext.workspace_alloc_probe(24 * MiB)[0]  # no slot free: the 6 MiB block goes
    five = _conv_ext.workspace_cache_bytes()
    assert five - four >= 16 * MiB  # + 24 MiB - (6 MiB + rounding)
    assert _conv_ext.workspace_alloc_probe(24 * MiB)[0]  # reused: the cache neither grows nor shrinks
    assert _conv_ext.workspace_cache_bytes() == five
    cache_limit(40 * MiB)  # the limit evicts too: a 26 MiB block kept, then a 32 MiB one replaces it
    assert _conv_ext.workspace_alloc_probe(24 * MiB)[0]
    assert 24 * MiB <= _conv_ext.workspace_cache_bytes() <= 26 * MiB
    assert _conv_ext.workspace_alloc_probe(30 * MiB)[0]  # does not fit the 26 MiB block: a new one
    assert 30 * MiB <= _conv_ext.workspace_cache_bytes() <= 32 * MiB


def test_small_blocks_are_freed(cache_limit):
    cache_limit(128 * MiB)
    assert _conv_ext.workspace_alloc_probe(1 * MiB)[0]
    assert _conv_ext.workspace_cache_bytes() == 0


def test_limit_bounds_the_cache_and_setting_it_frees(cache_limit):
    cache_limit(10 * MiB)
    assert _conv_ext.workspace_alloc_probe(16 * MiB)[0]
    assert _conv_ext.workspace_cache_bytes() == 0  # over the limit: freed
    assert _conv_ext.workspace_alloc_probe(5 * MiB)[0]
    assert 0 < _conv_ext.workspace_cache_bytes() <= 10 * MiB
    cache_limit(10 * MiB)
    assert _conv_ext.workspace_cache_bytes() == 0
    cache_limit(0)
    assert cnnkern.get_workspace_cache_limit() == 0
    assert _conv_ext.workspace_alloc_probe(5 * MiB)[0]
    assert _conv_ext.workspace_cache_bytes() == 0


def test_limit_argument_checks():
    with pytest.raises(ValueError, match="nbytes"):
        cnnkern.set_workspace_cache_limit(-1)
    with pytest.raises(TypeError, match="nbytes"):
        cnnkern.set_workspace_cache_limit(1.5)


# Problems whose workspace has blocks of >= 4 MiB (the cached size class), in several sizes, so that a
# reused block holds another problem's data: no algorithm may rely on fresh (zeroed) pages.
def _calls():
    rng = np.random.default_rng(0)
    out = []
    for algo, xs, ws, pad in (("fft", (1, 64, 27, 27), (192, 64, 5, 5), 2),
                              ("fft", (2, 16, 40, 40), (48, 16, 9, 9), 4),
                              ("im2col", (2, 64, 48, 48), (64, 64, 3, 3), 1),
                              ("winograd", (2, 128, 28, 28), (128, 128, 3, 3), 1)):
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        dy = rng.standard_normal(cnnkern.conv_output_shape(xs, ws, padding=pad)).astype(np.float32)
        out.append((algo, x, w, dy, pad))
    return out


def _run_all(calls):
    """Per call: (y, dx, dw)."""
    res = []
    for algo, x, w, dy, pad in calls:
        res.append((cnnkern.conv2d_forward(x, w, padding=pad, algorithm=algo),
                    cnnkern.conv2d_backward_input(dy, w, x.shape, padding=pad, algorithm=algo),
                    cnnkern.conv2d_backward_weight(dy, x, w.shape, padding=pad, algorithm=algo)))
    return res


def _assert_same(got, want):
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            np.testing.assert_array_equal(a, b)


def test_results_do_not_depend_on_the_cache(cache_limit):
    calls = _calls()
    cache_limit(0)
    _conv_ext.workspace_reset_peak()
    before = _conv_ext.workspace_bytes()[0]
    plain = _run_all(calls)
    assert _conv_ext.workspace_bytes()[1] - before >= 4 * MiB  # the cached size class is exercised
    cache_limit(128 * MiB)
    _assert_same(_run_all(calls), plain)
    assert _conv_ext.workspace_cache_bytes() > 0
    _assert_same(_run_all(calls[::-1]), plain[::-1])  # blocks now hold other problems' data
    _assert_same(_run_all(calls), plain)


def test_concurrent_calls_share_the_cache(cache_limit):
    calls = _calls()
    cache_limit(0)
    with cnnkern.num_threads(1):
        want = _run_all(calls)
    cache_limit(64 * MiB)
    errors, got = [], {}

    def work(i):
        try:
            with cnnkern.num_threads(1):
                for _ in range(2):
                    got[i] = _run_all(calls[i:] + calls[:i])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(4):
        _assert_same(got[i], want[i:] + want[:i])
    assert _conv_ext.workspace_cache_bytes() <= 64 * MiB
