"""cnnkern.signal against scipy.signal (the oracle): values, dtypes, shapes and exceptions.

Integers are compared exactly, including wrap-around on overflow (scipy's direct method sums in the
integer dtype). Floats get a tolerance that grows with the reduction length. scipy's N-D direct path
has no loop for bool x bool or float16 ("Unsupported type"); there the oracle is scipy on int64 (then
!= 0) or float32 inputs. Small cases only: the whole module runs in a few seconds.
"""
import warnings

import numpy as np
import pytest

scipy_signal = pytest.importorskip("scipy.signal")

import cnnkern
import cnnkern.signal as cs
from cnnkern import _signal_ext

# scipy's own N-D loop warns when casting NaN-free but out-of-range float sums; not ours to judge
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")

MODES = ("full", "same", "valid")
METHODS = ("direct", "auto", "fft")
FUNCS = ("correlate", "convolve")

INT_DTYPES = (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64)
DTYPE_PAIRS = (
    [(np.float64, np.float64), (np.float32, np.float32), (np.float32, np.float64),
     (np.float32, np.int16), (np.int32, np.float32), (np.float64, np.uint8), (np.bool_, np.float64),
     (np.bool_, np.int8), (np.int8, np.uint8), (np.int64, np.uint64), (np.int16, np.int32),
     (np.uint64, np.uint32), (np.bool_, np.bool_), (np.float16, np.float16), (np.float16, np.int8)]
    + [(d, d) for d in INT_DTYPES]
)


def _random(rng, shape, dtype, small):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if small:  # |values| small enough for exact float64 FFT results
            lo, hi = (max(int(info.min), -8), min(int(info.max), 8))
        else:      # the full range: sums overflow and must wrap exactly as scipy's
            lo, hi = int(info.min), int(info.max)
        return rng.integers(lo, hi, shape, dtype=dtype, endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


def _oracle(func, a, b, mode, method):
    """scipy.signal's answer; for the dtypes its N-D direct loop lacks, the same sums on wider types."""
    f = getattr(scipy_signal, func)
    rt = np.result_type(a, b)
    if rt == np.bool_:
        r = f(a.astype(np.int64), b.astype(np.int64), mode, "direct")
        return r != 0
    if rt == np.float16:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return f(a.astype(np.float32), b.astype(np.float32), mode, method).astype(np.float16)
    return f(a, b, mode, method)


def _float_tolerance(a, b, r_dtype, method):
    """Bound on |ours - scipy|: eps of the least precise input times the sum of |products|."""
    eps = max(np.finfo(d).eps if d.kind == "f" else np.finfo(np.float64).eps
              for d in (a.dtype, b.dtype, r_dtype))
    scale = float(np.abs(a.astype(np.float64)).max() * np.abs(b.astype(np.float64)).max())
    scale *= min(a.size, b.size)
    return (64 if method != "direct" else 8) * eps * (scale + 1.0)


def _compare(func, a, b, mode, method):
    ctx = f"{func}({a.shape} {a.dtype}, {b.shape} {b.dtype}, {mode!r}, {method!r})"
    try:
        expected = _oracle(func, a, b, mode, method)
    except ValueError as exc:
        with pytest.raises(ValueError):
            getattr(cs, func)(a, b, mode, method)
        return str(exc)
    got = getattr(cs, func)(a, b, mode, method)
    assert got.shape == expected.shape, ctx
    assert got.dtype == expected.dtype, ctx
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected, err_msg=ctx)
    else:
        tol = _float_tolerance(a, b, got.dtype, method)
        err = np.abs(got.astype(np.float64) - expected.astype(np.float64)).max(initial=0.0)
        assert err <= tol, f"{ctx}: max error {err} > {tol}"
    return None


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=lambda p: f"{np.dtype(p[0])}-{np.dtype(p[1])}")
def test_matches_scipy_random_shapes(ndim, dtypes):
    rng = np.random.default_rng(hash((ndim, str(dtypes))) % 2**32)
    max_size = {1: 12, 2: 7, 3: 5, 4: 4}[ndim]
    for trial in range(4):
        s1 = tuple(int(v) for v in rng.integers(1, max_size + 1, ndim))
        if trial == 0:   # in2 larger than in1 on every axis (the "valid" swap)
            s2 = tuple(v + int(rng.integers(0, 3)) for v in s1)
        elif trial == 1:  # size-1 axes
            s2 = tuple(1 if i % 2 == 0 else int(rng.integers(1, max_size + 1)) for i in range(ndim))
        else:
            s2 = tuple(int(v) for v in rng.integers(1, max_size + 1, ndim))
        for method in METHODS:
            # integer FFT results are exact only for small values; direct also sees full-range data
            for small in ((True, False) if method == "direct" else (True,)):
                a = _random(rng, s1, dtypes[0], small)
                b = _random(rng, s2, dtypes[1], small)
                for func in FUNCS:
                    for mode in MODES:
                        _compare(func, a, b, mode, method)


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("mode", MODES)
def test_1d_long_signals_match_numpy(func, mode):
    rng = np.random.default_rng(7)
    for n, k in [(1000, 101), (257, 256), (100, 333), (64, 64), (5, 200), (1, 1), (777, 1)]:
        for dtype in (np.float64, np.float32):
            a = rng.standard_normal(n).astype(dtype)
            b = rng.standard_normal(k).astype(dtype)
            _compare(func, a, b, mode, "direct")
            _compare(func, a, b, mode, "auto")


def test_simd_kernels_agree_with_generic():
    rng = np.random.default_rng(3)
    for (h, n), (kh, k) in [((1, 1), (1, 1)), ((1, 7), (1, 3)), ((1, 31), (1, 31)), ((1, 32), (1, 1)),
                            ((1, 200), (1, 17)), ((1, 1000), (1, 101)), ((1, 4099), (1, 64)),
                            ((9, 70), (3, 5)), ((40, 41), (7, 40)), ((5, 33), (5, 2))]:
        x = rng.standard_normal((h, n))
        w = rng.standard_normal((kh, k))
        out = (h - kh + 1, n - k + 1)
        y_fast, y_ref = np.empty(out), np.empty(out)
        _signal_ext.corr_2d(x, w, y_fast, 2)
        _signal_ext.corr_2d(x, w, y_ref, 1, isa="generic")
        atol = 1e-12 * w.size
        np.testing.assert_allclose(y_fast, y_ref, rtol=1e-12, atol=atol)
        np.testing.assert_allclose(y_ref, scipy_signal.correlate(x, w, "valid", "direct"),
                                   rtol=1e-12, atol=atol)
        y32 = np.empty(out, np.float32)
        _signal_ext.corr_2d(x.astype(np.float32), w.astype(np.float32), y32, 1)
        np.testing.assert_allclose(y32, y_ref, rtol=1e-4, atol=1e-5 * w.size)
    with pytest.raises(ValueError, match="valid correlation"):
        _signal_ext.corr_2d(np.ones((3, 3)), np.ones((2, 2)), np.ones((3, 3)), 1)


def _cpu_has(isa):
    if isa == "generic":
        return True
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # pragma: no cover - older NumPy
        from numpy.core._multiarray_umath import __cpu_features__ as features
    need = {"avx2": ("AVX2", "FMA3"), "avx512": ("AVX512F",)}[isa]
    return all(features.get(f, False) for f in need)


@pytest.mark.parametrize("isa", _signal_ext.KERNEL_ISAS)
def test_every_isa_kernel_matches_scipy(isa):
    # every per-ISA body, whatever ck_cpu_isa() would pick (AVX-512 is opt-in for dispatch)
    if not _cpu_has(isa):
        pytest.skip(f"this CPU lacks {isa}")
    rng = np.random.default_rng(8)
    for (h, n), (kh, k) in [((1, 5), (1, 2)), ((1, 300), (1, 37)), ((7, 129), (3, 2)),
                            ((20, 20), (20, 20)), ((6, 1000), (2, 101))]:
        x = rng.standard_normal((h, n))
        w = rng.standard_normal((kh, k))
        expected = scipy_signal.correlate(x, w, "valid", "direct")
        y = np.empty(expected.shape)
        _signal_ext.corr_2d(x, w, y, 1, isa=isa)
        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12 * w.size)
        y32 = np.empty(expected.shape, np.float32)
        _signal_ext.corr_2d(x.astype(np.float32), w.astype(np.float32), y32, 1, isa=isa)
        np.testing.assert_allclose(y32, expected, rtol=1e-4, atol=1e-5 * w.size)


def test_integer_wraparound_is_exact():
    # every sum overflows int8: scipy's direct method wraps modulo 256, and so must we
    a = np.full((9, 9), 127, np.int8)
    b = np.full((5, 5), 127, np.int8)
    for func in FUNCS:
        for mode in MODES:
            _compare(func, a, b, mode, "direct")
    a64 = np.full(50, np.iinfo(np.int64).max, np.int64)
    for mode in MODES:
        _compare("convolve", a64, a64[:7], mode, "direct")
    u = np.full((4, 4), np.iinfo(np.uint64).max, np.uint64)
    _compare("correlate", u, u[:2, :3], "full", "direct")


def test_integer_paths_at_the_float_exactness_bounds():
    # |partial sums| <= max|a| * max|b| * taps decides float32 (< 2**24), float64 (< 2**53) or the
    # integer kernel; just below and above each bound the results must stay exact
    rng = np.random.default_rng(12)
    for value, taps in [(2**11 - 1, 4), (2**11 - 1, 5), (2**26, 1), (2**26, 2), (2**26 + 1, 3)]:
        for dtype in (np.int32, np.int64):
            if np.iinfo(dtype).max < value:
                continue
            a = rng.choice(np.array([-value, value], dtype), size=(6, 40))
            b = rng.choice(np.array([-value, value], dtype), size=(1, taps))
            b[0, 0] = value  # the bound is attained by equal signs somewhere
            for func in FUNCS:
                for mode in MODES:
                    _compare(func, a, b, mode, "direct")
                    _compare(func, a[0], b[0], mode, "direct")


def test_zero_dim_inputs():
    for a, b in [(np.float32(2.5), np.int8(3)), (np.array(2, np.int8), np.array(100, np.int8)),
                 (np.array(True), np.array(True)), (3, 4.5)]:
        for func in FUNCS:
            expected = getattr(scipy_signal, func)(a, b)
            got = getattr(cs, func)(a, b)
            assert type(got) is type(expected)
            assert np.asarray(got).dtype == np.asarray(expected).dtype
            assert got == expected
    # scipy looks at neither mode nor method for 0-D inputs
    assert cs.convolve(np.float64(2), np.float64(3), mode="nonsense", method="nonsense") == 6.0


def test_empty_inputs():
    for func in FUNCS:
        for method in METHODS:
            r = getattr(cs, func)(np.ones((0, 3)), np.ones((2, 2)), "same", method)
            assert r.shape == (0, 3) and r.dtype == np.float64
            r = getattr(cs, func)(np.ones(0, np.int16), np.ones(4, np.int8), "same", method)
            assert r.shape == (0,) and r.dtype == np.int16
            for s1, s2 in [((0, 3), (2, 2)), ((3, 3), (0, 2)), ((0,), (0,)), ((2, 0), (2, 0)),
                           ((0,), (3,))]:
                for mode in MODES:
                    if mode == "same" and np.prod(s1) == 0 and np.prod(s2) > 0:
                        continue
                    with pytest.raises(ValueError):
                        getattr(cs, func)(np.ones(s1), np.ones(s2), mode, method)


def _scipy_error(fn, *args):
    with pytest.raises(Exception) as info:
        fn(*args)
    return info.type, str(info.value)


@pytest.mark.parametrize("func", FUNCS)
def test_errors_match_scipy(func):
    ours, theirs = getattr(cs, func), getattr(scipy_signal, func)
    cases = [
        (np.ones((3, 3)), np.ones(3), "full", "auto"),          # mixed ndim
        (np.ones((2, 5)), np.ones((3, 3)), "valid", "auto"),    # neither input dominates
        (np.ones((2, 5)), np.ones((3, 3)), "valid", "direct"),
        (np.ones((3, 3)), np.ones((2, 2)), "bogus", "direct"),  # bad mode
        (np.ones(5), np.ones(2), "full", "bogus"),              # bad method
        (np.ones(5), np.ones(2), 1, "direct"),
    ]
    for args in cases:
        etype, msg = _scipy_error(theirs, *args)
        with pytest.raises(etype) as info:
            ours(*args)
        # the same wording where it matters (scipy's mode message differs between its code paths)
        key = msg.split(",")[0][:20]
        assert key.lower() in str(info.value).lower(), (args[2:], msg, str(info.value))


def test_non_real_inputs_raise_type_error():
    for func in FUNCS:
        with pytest.raises(TypeError, match="complex128"):
            getattr(cs, func)(np.ones(4, complex), np.ones(2))
        with pytest.raises(TypeError, match="in2"):
            getattr(cs, func)(np.ones(4), np.array(["a", "b"]))
        with pytest.raises(TypeError):
            getattr(cs, func)(np.array(1j), np.array(2.0))
    with pytest.raises(TypeError):
        cs.choose_method(np.ones(3, object), np.ones(3))


def test_lists_views_and_read_only_inputs():
    rng = np.random.default_rng(5)
    big = rng.standard_normal((12, 14))
    a = big[::2, 1::3]                      # non-contiguous view
    b = np.asfortranarray(rng.standard_normal((3, 2)))
    b.setflags(write=False)
    for func in FUNCS:
        for mode in MODES:
            _compare(func, a, b, mode, "direct")
    assert cs.convolve([1, 2, 3], [4, 5, 6]).tolist() == [4, 13, 28, 27, 18]
    assert cs.correlate([1, 2, 3], [0, 1, 0.5]).tolist() == [0.5, 2.0, 3.5, 3.0, 0.0]


def test_nan_warning_for_fft_like_scipy():
    a = np.ones((4, 4))
    a[0, 0] = np.nan
    with pytest.warns(RuntimeWarning, match="NAN or inf"):
        cs.convolve(a, np.ones((2, 2)), method="fft")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = cs.convolve(a, np.ones((2, 2)), method="direct")
    assert np.isnan(r[0, 0]) and r[3, 3] == 4.0


def test_bool_fft_gives_the_exact_logical_result():
    # scipy casts the unrounded FFT result to bool, so round-off noise reads True; we are exact
    rng = np.random.default_rng(11)
    a = rng.random((30, 30)) > 0.9
    b = rng.random((5, 5)) > 0.9
    exact = scipy_signal.correlate(a.astype(int), b.astype(int), "full", "direct") != 0
    np.testing.assert_array_equal(cs.correlate(a, b, "full", "fft"), exact)


@pytest.mark.parametrize("ndim", [1, 2, 4])
def test_results_do_not_depend_on_thread_count(ndim):
    rng = np.random.default_rng(2)
    shape = {1: (200000,), 2: (300, 300), 4: (6, 7, 20, 20)}[ndim]
    kshape = {1: (9,), 2: (5, 5), 4: (2, 3, 4, 4)}[ndim]
    for dtype in (np.int32, np.float64):
        a = _random(rng, shape, dtype, small=False)
        b = _random(rng, kshape, dtype, small=False)
        with cnnkern.num_threads(1):
            one = cs.correlate(a, b, "same", "direct")
        with cnnkern.num_threads(2):
            two = cs.correlate(a, b, "same", "direct")
        np.testing.assert_array_equal(one, two)


def test_choose_method_contract():
    rng = np.random.default_rng(4)
    small = rng.standard_normal((8, 8)), rng.standard_normal((3, 3))
    assert cs.choose_method(*small) == "direct"
    assert cs.choose_method(np.ones((8, 8), bool), np.ones((3, 3), bool)) == "direct"
    # sums that float64 cannot hold exactly must not go through an FFT
    huge = np.full((512, 512), 2**40, np.int64), np.full((64, 64), 2**20, np.int64)
    assert cs.choose_method(*huge) == "direct"
    big_image, big_kernel = rng.standard_normal((512, 512)), rng.standard_normal((63, 63))
    expected = "fft" if "fft" in cnnkern.algorithms() else "direct"
    assert cs.choose_method(big_image, big_kernel) == expected
    with pytest.raises(ValueError, match="mode"):
        cs.choose_method(*small, mode="bogus")
    method, times = cs.choose_method(*small, measure=True)
    assert method in ("direct", "fft") and set(times) == {"direct", "fft"}
    assert method == min(times, key=times.get)
    assert all(t > 0 for t in times.values())


def test_auto_integer_results_equal_the_direct_method():
    # whichever method "auto" picks (the FFT for these sizes when cnnkern has it), integer results
    # are exact; near int32 overflow it must keep to the wrapping direct sums
    rng = np.random.default_rng(9)
    for hi in (2**8, 2**15):
        a = rng.integers(-hi, hi, (60, 60), dtype=np.int32)
        b = rng.integers(-hi, hi, (31, 31), dtype=np.int32)
        for mode in MODES:
            expected = scipy_signal.correlate(a, b, mode, "direct")
            np.testing.assert_array_equal(cs.correlate(a, b, mode, "auto"), expected)
    small = rng.integers(-4, 4, (300, 300)).astype(np.int16), rng.integers(-4, 4, (41, 41)).astype(np.int16)
    expected = "fft" if "fft" in cnnkern.algorithms() else "direct"
    assert cs.choose_method(*small) == expected
    # sums of at most 16 * 41**2 in magnitude: scipy's rounded FFT result is exact here
    np.testing.assert_array_equal(cs.convolve(*small), scipy_signal.convolve(*small, method="fft"))


def test_longdouble_and_float16_keep_their_dtype():
    rng = np.random.default_rng(13)
    a, b = rng.standard_normal((9, 7)), rng.standard_normal((3, 4))
    for dtype in (np.longdouble, np.float16):
        for func in FUNCS:
            got = getattr(cs, func)(a.astype(dtype), b.astype(dtype), "same")
            assert got.dtype == np.dtype(dtype)
            expected = getattr(scipy_signal, func)(a, b, "same")
            tol = 1e-12 if dtype == np.longdouble else 2e-2  # computed in float64 / float32
            np.testing.assert_allclose(got.astype(np.float64), expected, rtol=tol, atol=tol * 12)


def test_concurrent_calls_from_python_threads():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(14)
    jobs = [(rng.standard_normal((200, 150)), rng.standard_normal((7, 5))),
            (rng.integers(-99, 99, (120, 130)), rng.integers(-99, 99, (9, 9))),
            (rng.standard_normal(50000), rng.standard_normal(33)),
            (rng.integers(-2**40, 2**40, (3, 4, 20, 20)), rng.integers(-9, 9, (2, 2, 3, 3)))]
    expected = [cs.correlate(a, b, "same", "direct") for a, b in jobs]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda ab: cs.correlate(ab[0], ab[1], "same", "direct"), jobs * 3))
    for i, r in enumerate(results):
        np.testing.assert_array_equal(r, expected[i % len(jobs)])


def test_signal_is_reachable_as_attribute():
    assert cnnkern.signal is cs
