"""Property tests for cnnkern.signal with hypothesis: any small real arrays, against scipy.signal."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
scipy_signal = pytest.importorskip("scipy.signal")
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cnnkern.signal as cs

DTYPES = st.sampled_from([np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64,
                          np.float32, np.float64])


@st.composite
def pairs(draw):
    ndim = draw(st.integers(1, 3))
    s1 = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1, max_side=6))
    s2 = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1, max_side=6))
    d1, d2 = draw(DTYPES), draw(DTYPES)

    def elements(dtype):
        if np.dtype(dtype).kind == "f":
            return st.floats(-100, 100, width=np.dtype(dtype).itemsize * 8)
        return None  # the dtype's full range: integer sums wrap, exactly as scipy's

    a = draw(hnp.arrays(d1, s1, elements=elements(d1)))
    b = draw(hnp.arrays(d2, s2, elements=elements(d2)))
    return a, b


@settings(max_examples=150, deadline=None)
@given(pairs(), st.sampled_from(["full", "same", "valid"]), st.sampled_from(["correlate", "convolve"]))
def test_direct_matches_scipy(ab, mode, func):
    a, b = ab
    try:
        expected = getattr(scipy_signal, func)(a, b, mode, "direct")
    except ValueError:
        with pytest.raises(ValueError):
            getattr(cs, func)(a, b, mode, "direct")
        return
    got = getattr(cs, func)(a, b, mode, "direct")
    assert got.dtype == expected.dtype and got.shape == expected.shape
    if got.dtype.kind in "iu":
        np.testing.assert_array_equal(got, expected)
    else:
        # Each output sums at most n products; two summation orders each within n u S of the exact
        # sum (u = eps / 2, S <= scale the sum of magnitudes) differ by at most n eps scale. 16 eps alone
        # failed once: 90 equal products (int8 95 x float64 87.16) differed by 18 ulps of 745187.
        eps = max(np.finfo(d).eps if d.kind == "f" else 2.0**-52 for d in (a.dtype, b.dtype))
        n = min(a.size, b.size)
        scale = float(np.abs(a.astype(float)).max() * np.abs(b.astype(float)).max()) * n
        np.testing.assert_allclose(got.astype(float), expected.astype(float), rtol=0,
                                   atol=(n + 16) * eps * (scale + 1))


@settings(max_examples=60, deadline=None)
@given(pairs(), st.sampled_from(["full", "valid"]))
def test_convolve_commutes_in_full_and_valid(ab, mode):
    a, b = ab
    hypothesis.assume(np.result_type(a, b).kind in "iu")  # exact (wrapping) integer results only
    try:
        left = cs.convolve(a, b, mode, "direct")
    except ValueError:
        return
    np.testing.assert_array_equal(left, cs.convolve(b, a, mode, "direct"))
