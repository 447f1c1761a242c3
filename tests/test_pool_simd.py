"""The SIMD row kernels of max/min and average pooling (csrc/pool/kernels/) on every ISA.

Each case runs with the ISA capped to generic, avx2 and avx512 (a cap above what the CPU has is
skipped) and checks: the values equal the NumPy oracle (max/min exactly, NaN positions included;
avg to rounding), equal the plain reference row kernel (max/min with the fast paths off), and are
bit-identical across ISAs (the kernels keep the reference's tap and summation order). Widths are
chosen around and off the vector widths (8/16 floats, 4/8 doubles), with padding, ceil_mode and
dilation on the other axes (a W dilation takes the reference path and must agree too).
"""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import pool_oracle as O  # noqa: E402

from cnnkern import _conv_ext  # noqa: E402
from cnnkern import pooling as P  # noqa: E402

ISAS = ("generic", "avx2", "avx512")
ORDER = {name: i for i, name in enumerate(ISAS)}
CPU_ISA = _conv_ext.runtime_info()["isa"]

WIDTHS = (1, 3, 7, 17, 33, 40, 67)
# (kernel, stride, padding, dilation, ceil_mode) in 2-D; the W axis decides which kernel runs
WINDOWS = [
    (2, 2, 0, 1, False),            # 2x2 stride 2: max_hs2 / sum_hs2, K = 2
    (3, 2, 1, 1, False),            # 3x3 stride 2 padded: K = 3
    (3, 2, 0, 1, True),             # ceil_mode: the last window hangs over the edge
    (3, 1, 1, 1, False),            # 3x3 stride 1: max_hs1 / sum_hs1
    (3, 1, 0, 1, False),
    ((3, 5), 1, (1, 2), 1, False),  # a wider stride-1 window
    (2, 2, 1, 1, True),
    (3, 2, 1, (2, 1), False),       # H dilation: the evenly spaced rows still use max_cols
    (3, 2, 1, (1, 2), False),       # W dilation: reference path
]


def _data(shape, kind, dtype, seed):
    rng = np.random.default_rng(seed)
    if kind == "ties":  # many equal values and signed zeros
        x = rng.integers(-1, 2, size=shape).astype(dtype)
        x[rng.random(shape) < 0.3] = -0.0
        return x
    x = rng.standard_normal(shape).astype(dtype)
    if kind == "nan":
        x[rng.random(shape) < 0.1] = np.nan
    return x


@pytest.fixture
def isa_cap():
    yield lambda name: _conv_ext.set_isa_cap(name)
    _conv_ext.set_isa_cap("avx512")  # the cap never raises the ISA above what the CPU has


def _per_isa(fn, isa_cap):
    out = {}
    for isa in ISAS:
        if ORDER[isa] > ORDER[CPU_ISA]:
            continue
        isa_cap(isa)
        assert _conv_ext.runtime_info()["isa"] == isa
        out[isa] = fn()
    return out


def _bits_equal(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("window", range(len(WINDOWS)))
@pytest.mark.parametrize("mode", ["max", "min"])
def test_max_min_simd_equals_reference_and_oracle(mode, window, dtype, isa_cap, monkeypatch):
    k, s, p, dl, ceil = WINDOWS[window]
    kw = dict(kernel_size=k, stride=s, padding=p, dilation=dl, ceil_mode=ceil)
    fwd = getattr(P, f"{mode}_pool2d_forward")
    for w in WIDTHS:
        for kind in ("normal", "ties", "nan"):
            x = _data((2, 3, 9, w + 4), kind, dtype, seed=w)
            if (k if isinstance(k, int) else k[1]) > w + 4 + 2 * (p if isinstance(p, int) else p[1]):
                continue
            ys = _per_isa(lambda: fwd(x, **kw), isa_cap)
            y_ref, _, _ = O.max_pool_forward(x, 2, mode=mode, **kw)
            monkeypatch.setattr(P, "_USE_FAST_PATHS", False)
            y_plain = fwd(x, **kw)
            monkeypatch.setattr(P, "_USE_FAST_PATHS", True)
            for isa, y in ys.items():
                np.testing.assert_array_equal(y, y_ref.astype(dtype), err_msg=f"{isa} vs oracle, W={w + 4}")
                np.testing.assert_array_equal(y, y_plain, err_msg=f"{isa} vs reference, W={w + 4}")
                _bits_equal(y, ys["generic"])


AVG_WINDOWS = [wd for wd in WINDOWS if wd[3] == 1]  # avg pooling has no dilation


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("window", range(len(AVG_WINDOWS)))
def test_avg_simd_equals_oracle_and_generic(window, dtype, isa_cap):
    k, s, p, _, ceil = AVG_WINDOWS[window]
    tol = dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for w in WIDTHS:
        for cip in (True, False):
            kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=cip)
            x = _data((2, 3, 9, w + 4), "normal", dtype, seed=w)
            ys = _per_isa(lambda: P.avg_pool2d_forward(x, **kw), isa_cap)
            y_ref = O.avg_pool_forward(x, 2, **kw)
            for isa, y in ys.items():
                np.testing.assert_allclose(y, y_ref, err_msg=f"{isa}, W={w + 4}", **tol)
                _bits_equal(y, ys["generic"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_simd_rows_in_1d_and_3d(dtype, isa_cap):
    x1 = _data((2, 3, 45), "nan", dtype, seed=1)
    x3 = _data((1, 2, 4, 5, 37), "normal", dtype, seed=3)
    calls = [
        (lambda: P.max_pool1d_forward(x1, 3, 2, 1), lambda: O.max_pool_forward(x1, 1, 3, 2, 1)[0]),
        (lambda: P.max_pool3d_forward(x3, 3, 1, 1), lambda: O.max_pool_forward(x3, 3, 3, 1, 1)[0]),
        (lambda: P.avg_pool3d_forward(x3, 2, 2), lambda: O.avg_pool_forward(x3, 3, 2, 2)),
    ]
    for call, oracle in calls:
        ys = _per_isa(call, isa_cap)
        for y in ys.values():
            np.testing.assert_allclose(y, oracle(), rtol=1e-5, atol=1e-6)
            _bits_equal(y, ys["generic"])
