"""Every instruction-set path of the fast kernels agrees with the NumPy oracle.

The kernels pick AVX-512 / AVX2 / generic code at run time; capping the ISA (a test hook in the C
runtime) makes the portable paths run on this machine too. A path the CPU cannot run is skipped.
"""
import numpy as np
import pytest

import cnnkern
from cnnkern import _conv_ext

import oracle
from conftest import tolerance_factor

ISAS = ("generic", "avx2", "avx512")
ORDER = {name: i for i, name in enumerate(ISAS)}
CPU_ISA = _conv_ext.runtime_info()["isa"]

CASES = [
    # (x_shape, w_shape, keywords): tails, strides, dilation, groups, 1-D and 3-D
    ((2, 5, 9, 17), (7, 5, 3, 3), dict(stride=1, padding=1)),
    ((1, 4, 11, 33), (6, 2, 3, 5), dict(stride=(2, 3), padding=((1, 0), (2, 3)), dilation=(1, 2), groups=2)),
    ((2, 6, 8, 8), (6, 1, 3, 3), dict(stride=1, padding=1, groups=6)),
    ((3, 3, 50), (8, 3, 7), dict(stride=2, padding=3)),
    ((1, 2, 5, 6, 7), (3, 2, 2, 3, 3), dict(stride=(1, 2, 1), padding=1, dilation=(2, 1, 1))),
]


@pytest.fixture
def isa_cap():
    yield lambda name: _conv_ext.set_isa_cap(name)
    _conv_ext.set_isa_cap("avx512")  # the cap never raises the ISA above what the CPU has


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fast_algorithms_on_each_isa(isa, dtype, case, isa_cap):
    if ORDER[isa] > ORDER[CPU_ISA]:
        pytest.skip(f"this CPU runs {CPU_ISA}, not {isa}")
    isa_cap(isa)
    assert _conv_ext.runtime_info()["isa"] == isa
    x_shape, w_shape, kw = CASES[case]
    nd = len(x_shape) - 2
    rng = np.random.default_rng(case)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    groups = kw.get("groups", 1)
    y_ref = oracle.conv_forward(x, w, b, **kw)
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    dx_ref = oracle.conv_backward_input(dy, w, x.shape, **kw)
    dw_ref = oracle.conv_backward_weight(dy, x, w.shape, **kw)
    lf, lbi, lbw = oracle.reduction_lengths(x.shape, w.shape, y_ref.shape, groups)
    fwd = getattr(cnnkern, f"conv{nd}d_forward")
    bwd = getattr(cnnkern, f"conv{nd}d_backward")
    for algo in cnnkern.algorithms():
        if algo == "reference":
            continue
        try:
            y = fwd(x, w, b, algorithm=algo, **kw)
            dx, dw, db = bwd(dy, x, w, algorithm=algo, **kw)
        except NotImplementedError:  # fft: strided/dilated cases (test_conv_* checks the message)
            continue
        f = tolerance_factor(algo)
        oracle.assert_close(y, y_ref, dtype, lf, f, what=f"{algo}/{isa} forward")
        oracle.assert_close(dx, dx_ref, dtype, lbi, f, what=f"{algo}/{isa} grad input")
        oracle.assert_close(dw, dw_ref, dtype, lbw, f, what=f"{algo}/{isa} grad weight")
        oracle.assert_close(db, oracle.conv_backward_bias(dy), dtype, lbw, what=f"{algo}/{isa} grad bias")
