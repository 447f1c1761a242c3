"""cnnkern transposed convolution vs the oracle (PyTorch semantics, weight (C_in, C_out // groups, *k))."""
import numpy as np
import pytest

import cnnkern
import oracle
from oracle import EDGE_WIDTHS, TRANSPOSE_CASES, TransposeCase, assert_close

TFWD = {d: getattr(cnnkern, f"conv_transpose{d}d_forward") for d in (1, 2, 3)}
BWD_IN = {d: getattr(cnnkern, f"conv{d}d_backward_input") for d in (1, 2, 3)}


def check_transpose(case, dtype, algorithm, run_algo, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.x_shape).astype(dtype)
    w = rng.standard_normal(case.w_shape).astype(dtype)
    b = rng.standard_normal(case.c_out).astype(dtype) if case.bias else None
    copies = [a.copy() for a in (x, w) + ((b,) if b is not None else ())]
    y, factor = run_algo(TFWD[case.ndim], x, w, b, algorithm=algorithm, **case.kwargs())
    ref = oracle.conv_transpose_forward(x, w, b, **case.kwargs())
    L = (case.w_shape[1]) * int(np.prod(case.w_shape[2:]))  # taps landing on one output, upper bound
    L = max(L, (case.x_shape[1] // case.groups) * int(np.prod(case.w_shape[2:])))
    assert_close(y, ref, dtype, L, factor, what=f"{case.id}[{algorithm}]")
    assert y.flags.c_contiguous
    for a, a0 in zip((x, w) + ((b,) if b is not None else ()), copies):
        np.testing.assert_array_equal(a, a0)
    return y


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=lambda c: c.id)
def test_transpose_matches_oracle(case, dtype, algorithm, run_algo):
    check_transpose(case, dtype, algorithm, run_algo)


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=lambda c: c.id)
def test_transpose_auto(case):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(case.x_shape)
    w = rng.standard_normal(case.w_shape)
    y = TFWD[case.ndim](x, w, **case.kwargs())
    assert_close(y, oracle.conv_transpose_forward(x, w, None, **case.kwargs()), np.float64, 64, 1024.0)


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("width", EDGE_WIDTHS)
def test_transpose_widths(width, stride, algorithm, run_algo):
    case = TransposeCase("w", (2, 3, 3, width), (3, 4, 3, 3), stride=stride, padding=1,
                         output_padding=stride - 1)
    y = check_transpose(case, np.float32, algorithm, run_algo, seed=width)
    assert y.shape[-1] == (width - 1) * stride - 2 + 3 + stride - 1


# torch requires output_padding < stride or < dilation (the error path is in test_conv_api.py)
@pytest.mark.parametrize("stride,dilation,output_padding", [
    (s, d, op) for s, d in [(3, 1), (1, 3), (2, 2), (3, 2)] for op in (0, 1, 2) if op < s or op < d])
def test_transpose_output_padding(stride, dilation, output_padding, algorithm, run_algo):
    case = TransposeCase("op", (1, 2, 4, 5), (2, 3, 2, 3), stride=stride, dilation=dilation, padding=(1, 0),
                         output_padding=output_padding)
    check_transpose(case, np.float64, algorithm, run_algo)


@pytest.mark.parametrize("case", [c for c in TRANSPOSE_CASES if all(
    o < s for o, s in zip(oracle.as_tuple(c.output_padding, c.ndim), oracle.as_tuple(c.stride, c.ndim)))],
    ids=lambda c: c.id)
def test_transpose_equals_backward_input(case, algorithm, run_algo):
    """conv_transpose(x, w) is conv_backward_input(dy=x, w) for the conv from the output's shape."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal(case.x_shape)
    w = rng.standard_normal(case.w_shape)
    y, f1 = run_algo(TFWD[case.ndim], x, w, algorithm=algorithm, **case.kwargs())
    pairs = oracle._pairs(case.padding, case.ndim)
    dx, f2 = run_algo(BWD_IN[case.ndim], x, w, y.shape, algorithm=algorithm, stride=case.stride,
                      padding=pairs, dilation=case.dilation, groups=case.groups)
    assert_close(dx, y, np.float64, 64, 2 * max(f1, f2))
