"""The C algorithm table (csrc/conv/conv_algorithms.c) as the shim and the Python layers see it."""
import numpy as np
import pytest

import cnnkern
from cnnkern import _conv_ext, _execute
from cnnkern._params import make_conv_params

import oracle

DIRECTIONS = ("forward", "backward_input", "backward_weight")


def test_names_come_from_the_table():
    assert cnnkern.algorithms() == _conv_ext.ALGORITHMS
    assert _conv_ext.ALGORITHMS[:2] == ("reference", "direct")
    assert len(set(_conv_ext.ALGORITHMS)) == len(_conv_ext.ALGORITHMS)
    with pytest.raises(ValueError, match="unknown C convolution algorithm"):
        _conv_ext.unsupported("nope", make_conv_params(2, (1, 1, 4, 4), (1, 1, 3, 3)).c_struct, 0)


def test_packed_and_tuple_geometry_agree():
    p = make_conv_params(2, (2, 4, 9, 7), (6, 2, 3, 3), stride=(2, 1), padding=(1, 2), groups=2)
    for d in range(3):
        assert (_conv_ext.workspace("im2col", p.c_struct, d, 4, 2)
                == _conv_ext.workspace("im2col", p.as_c_tuple(), d, 4, 2) > 0)
    with pytest.raises(ValueError, match="packed geometry"):
        _conv_ext.workspace("im2col", p.c_struct[:-8], 0, 4, 1)


def test_rows_without_a_workspace_query_report_zero():
    p = make_conv_params(2, (1, 3, 16, 16), (4, 3, 3, 3), padding=1)
    assert _conv_ext.workspace("direct", p.c_struct, 0, 4, 1) == 0
    assert _conv_ext.workspace("reference", p.c_struct, 2, 8, 1) == 0


@pytest.mark.parametrize("kw,declined", [
    (dict(), {("separable", "backward_weight")}),
    (dict(stride=2), {("separable", "backward_weight"), ("winograd", "forward"), ("winograd", "backward_input"),
                      ("winograd", "backward_weight"), ("fft", "forward"), ("fft", "backward_input"),
                      ("fft", "backward_weight")}),
])
def test_support_tests_per_row_and_direction(kw, declined):
    p = make_conv_params(2, (1, 2, 8, 8), (3, 2, 3, 3), **kw)
    got = {(a, d) for a in _conv_ext.ALGORITHMS for d in DIRECTIONS
           if _execute.unsupported_reason(a, p, d) is not None}
    assert got == {(a, d) for a, d in declined if a in _conv_ext.ALGORITHMS}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_c_table_refuses_what_its_support_test_declines(dtype):
    """Called past the Python checks, the table still refuses: no pass runs on a declined problem."""
    p = make_conv_params(2, (1, 2, 8, 8), (3, 2, 3, 3), stride=2)
    x, w = np.ones(p.x_shape, dtype), np.ones(p.w_shape, dtype)
    y = np.zeros(p.y_shape, dtype)
    with pytest.raises(NotImplementedError, match="not supported"):
        _conv_ext.conv_run("fft", 0, x, w, None, y, p.c_struct, 1)
    dy = np.ones(p.y_shape, dtype)
    with pytest.raises(NotImplementedError, match="not supported"):
        _conv_ext.conv_run("separable", 2, dy, x, None, np.zeros(p.w_shape, dtype), p.c_struct, 1)
    with pytest.raises(ValueError, match="direction"):
        _conv_ext.conv_run("direct", 3, x, w, None, y, p.c_struct, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("algorithm", ["reference", "direct", "im2col"])
def test_one_run_entry_for_every_direction_and_dtype(algorithm, dtype):
    rng = np.random.default_rng(3)
    p = make_conv_params(2, (2, 4, 7, 6), (6, 2, 3, 2), stride=(1, 2), padding=1, groups=2)
    x, w = rng.standard_normal(p.x_shape).astype(dtype), rng.standard_normal(p.w_shape).astype(dtype)
    dy, b = rng.standard_normal(p.y_shape).astype(dtype), rng.standard_normal(6).astype(dtype)
    kw = dict(stride=(1, 2), padding=1, groups=2)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    y = np.empty(p.y_shape, dtype)
    _conv_ext.conv_run(algorithm, 0, x, w, b, y, p.c_struct, 1)
    np.testing.assert_allclose(y, oracle.conv_forward(x, w, b, **kw), rtol=tol, atol=tol)
    dx = np.empty(p.x_shape, dtype)
    _conv_ext.conv_run(algorithm, 1, dy, w, None, dx, p.c_struct, 1)
    np.testing.assert_allclose(dx, oracle.conv_backward_input(dy, w, x.shape, **kw), rtol=tol, atol=tol)
    dw = np.empty(p.w_shape, dtype)
    _conv_ext.conv_run(algorithm, 2, dy, x, None, dw, p.c_struct, 1)
    np.testing.assert_allclose(dw, oracle.conv_backward_weight(dy, x, w.shape, **kw), rtol=tol, atol=tol)
