"""cnnkern convolution forward vs the NumPy oracle, for every algorithm in cnnkern.algorithms()."""
import numpy as np
import pytest

import cnnkern
import oracle
from oracle import CONV_CASES, EDGE_WIDTHS, EDGE_WIDTHS_1D, ConvCase, assert_close

FWD = {d: getattr(cnnkern, f"conv{d}d_forward") for d in (1, 2, 3)}


def make_inputs(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.x_shape).astype(dtype)
    w = rng.standard_normal(case.w_shape).astype(dtype)
    b = rng.standard_normal(case.w_shape[0]).astype(dtype) if case.bias else None
    return x, w, b


def check_forward(case, dtype, algorithm, run_algo, flip=False, seed=0):
    x, w, b = make_inputs(case, dtype, seed)
    y, factor = run_algo(FWD[case.ndim], x, w, b, algorithm=algorithm, flip=flip, **case.kwargs())
    ref = oracle.conv_forward_mode(x, w, b, flip=flip, **case.kwargs())
    L = (case.x_shape[1] // case.groups) * int(np.prod(case.w_shape[2:]))
    assert_close(y, ref, dtype, L, factor, what=f"{case.id} forward[{algorithm}]")
    assert y.flags.c_contiguous
    assert not np.shares_memory(y, x) and not np.shares_memory(y, w)
    return y


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_forward_matches_oracle(case, dtype, algorithm, run_algo):
    check_forward(case, dtype, algorithm, run_algo)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_forward_auto_matches_oracle(case, tol_factor):
    x, w, b = make_inputs(case, np.float32, seed=3)
    y = FWD[case.ndim](x, w, b, **case.kwargs())  # default algorithm="auto"
    ref = oracle.conv_forward_mode(x, w, b, **case.kwargs())
    L = (case.x_shape[1] // case.groups) * int(np.prod(case.w_shape[2:]))
    assert_close(y, ref, np.float32, L, tol_factor("auto"), what=f"{case.id} forward[auto]")


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_forward_flip_matches_oracle(case, algorithm, run_algo):
    check_forward(case, np.float64, algorithm, run_algo, flip=True, seed=1)


def test_flip_is_np_convolve(algorithm, run_algo):
    """BACKGROUND.md: np.convolve((1,2,3), (4,5,6)) == (4, 13, 28, 27, 18)."""
    x = np.array([[[1.0, 2.0, 3.0]]])
    w = np.array([[[4.0, 5.0, 6.0]]])
    y, _ = run_algo(cnnkern.conv1d_forward, x, w, algorithm=algorithm, padding="full", flip=True)
    np.testing.assert_allclose(y.ravel(), [4, 13, 28, 27, 18], rtol=1e-15)
    y, _ = run_algo(cnnkern.conv1d_forward, x, w, algorithm=algorithm, padding="full", flip=False)
    np.testing.assert_allclose(y.ravel(), np.correlate([1, 2, 3], [4, 5, 6], mode="full"), rtol=1e-15)


def test_flip_2d_is_scipy_style_convolution(algorithm, run_algo):
    """A 2-D true convolution with an asymmetric kernel, written out by hand (full mode)."""
    x = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)          # [[1,2,3],[4,5,6]]
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    # full convolution = polynomial product in two variables
    expected = np.zeros((3, 4))
    for i in range(2):
        for j in range(3):
            expected[i:i + 2, j:j + 2] += x[0, 0, i, j] * w[0, 0]
    y, _ = run_algo(cnnkern.conv2d_forward, x, w, algorithm=algorithm, padding="full", flip=True)
    np.testing.assert_allclose(y[0, 0], expected, rtol=1e-15)


# ---- edge-width sweeps (SIMD tails, tile-1/tile/tile+1, primes) -------------------------------------

@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("k", [1, 3, 4])
@pytest.mark.parametrize("width", EDGE_WIDTHS_1D)
def test_forward_1d_output_widths(width, k, stride, algorithm, run_algo):
    # input sized so that the OUTPUT has exactly `width` positions (valid padding)
    case = ConvCase("w", (2, 3, (width - 1) * stride + k), (5, 3, k), stride=stride)
    y = check_forward(case, np.float32, algorithm, run_algo, seed=width)
    assert y.shape[-1] == width


@pytest.mark.parametrize("width", EDGE_WIDTHS)
def test_forward_1d_same_padding_widths(width, algorithm, run_algo):
    case = ConvCase("w", (1, 2, width), (3, 2, 3), padding="same")
    check_forward(case, np.float64, algorithm, run_algo, seed=width)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("width", EDGE_WIDTHS)
def test_forward_2d_output_widths(width, stride, dtype, algorithm, run_algo):
    case = ConvCase("w", (1, 3, 5, (width - 1) * stride + 3), (4, 3, 3, 3), stride=stride, padding=(1, 0))
    y = check_forward(case, dtype, algorithm, run_algo, seed=width)
    assert y.shape[-1] == width


@pytest.mark.parametrize("width", EDGE_WIDTHS)
def test_forward_2d_input_widths_padded(width, algorithm, run_algo):
    case = ConvCase("w", (2, 2, 4, width), (3, 2, 3, 3), padding=1)
    check_forward(case, np.float32, algorithm, run_algo, seed=width)


@pytest.mark.parametrize("c_out", [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17])
def test_forward_2d_output_channel_blocks(c_out, dtype, algorithm, run_algo):
    """Output channels held in registers in blocks: every remainder of the channel blocking."""
    case = ConvCase("c", (2, 3, 6, 10), (c_out, 3, 3, 3), padding=1)
    check_forward(case, dtype, algorithm, run_algo, seed=c_out)


@pytest.mark.parametrize("c_in", [1, 2, 3, 5, 8, 9, 17])
def test_forward_2d_input_channels(c_in, algorithm, run_algo):
    case = ConvCase("c", (1, c_in, 7, 9), (4, c_in, 3, 3), padding=1)
    check_forward(case, np.float32, algorithm, run_algo, seed=c_in)


@pytest.mark.parametrize("mult", [1, 2, 3])
@pytest.mark.parametrize("channels", [1, 3, 8, 9, 17])
def test_forward_depthwise_channels(channels, mult, algorithm, run_algo):
    case = ConvCase("dw", (2, channels, 9, 11), (channels * mult, 1, 3, 3), groups=channels, padding=1)
    check_forward(case, np.float32, algorithm, run_algo, seed=channels)


@pytest.mark.parametrize("width", [5, 8, 9, 16, 17])
def test_forward_3d_widths(width, algorithm, run_algo):
    case = ConvCase("w", (1, 2, 3, 4, width), (3, 2, 2, 3, 3), padding=(0, 1, 1))
    check_forward(case, np.float32, algorithm, run_algo, seed=width)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_forward_batch_sizes(n, algorithm, run_algo):
    case = ConvCase("n", (n, 3, 7, 8), (4, 3, 3, 3), padding=1, stride=(1, 2))
    check_forward(case, np.float32, algorithm, run_algo, seed=n)


@pytest.mark.parametrize("padding", [0, 1, 2, 3, (0, 2), [(0, 1), (2, 0)], [(3, 0), (0, 3)],
                                     "valid", "same", "full"],
                         ids=str)
@pytest.mark.parametrize("mode", oracle.PADDING_MODES)
def test_forward_padding_kinds_and_modes(padding, mode, algorithm, run_algo):
    case = ConvCase("p", (2, 2, 5, 6), (3, 2, 3, 4), padding=padding, padding_mode=mode, dilation=(1, 1))
    check_forward(case, np.float64, algorithm, run_algo)


@pytest.mark.parametrize("stride,dilation", [(1, 2), (2, 2), (3, 1), (1, 3), ((2, 3), (3, 2))])
@pytest.mark.parametrize("padding", ["same", "full", "valid", 2])
def test_forward_same_full_with_stride_dilation(stride, dilation, padding, algorithm, run_algo):
    case = ConvCase("sd", (1, 2, 11, 10), (2, 2, 3, 2), stride=stride, dilation=dilation, padding=padding)
    y = check_forward(case, np.float64, algorithm, run_algo)
    if padding == "same":
        s = oracle.as_tuple(stride, 2)
        assert y.shape[2:] == tuple(-(-n // si) for n, si in zip((11, 10), s))


def test_forward_real_values_not_trivial(algorithm, run_algo):
    """An integer-exact case checked element by element against explicit loops (tiny, float64)."""
    rng = np.random.default_rng(11)
    x = rng.integers(-3, 4, size=(2, 4, 5, 6)).astype(np.float64)
    w = rng.integers(-3, 4, size=(6, 2, 2, 3)).astype(np.float64)
    b = np.arange(6.0)
    y, _ = run_algo(cnnkern.conv2d_forward, x, w, b, algorithm=algorithm, stride=(2, 1),
                    padding=[(1, 0), (0, 2)], groups=2)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 0), (0, 2)])
    expected = np.zeros((2, 6, 3, 6))
    for n in range(2):
        for k in range(6):
            g = k // 3
            for i in range(3):
                for j in range(6):
                    acc = b[k]
                    for c in range(2):
                        for a in range(2):
                            for bb in range(3):
                                acc += w[k, c, a, bb] * xp[n, g * 2 + c, i * 2 + a, j + bb]
                    expected[n, k, i, j] = acc
    np.testing.assert_array_equal(y, expected)


# ---- all algorithms agree with each other --------------------------------------------------------

@pytest.mark.parametrize("case", [c for c in CONV_CASES if c.id.startswith(("2d", "3d"))], ids=lambda c: c.id)
def test_algorithms_agree(case, all_algorithms, run_algo):
    x, w, b = make_inputs(case, np.float32, seed=21)
    results = {a: run_algo(FWD[case.ndim], x, w, b, algorithm=a, **case.kwargs()) for a in all_algorithms}
    L = (case.x_shape[1] // case.groups) * int(np.prod(case.w_shape[2:]))
    first = all_algorithms[0]
    for a in all_algorithms[1:]:
        assert_close(results[a][0], results[first][0].astype(np.float64), np.float32, L,
                     2 * max(results[a][1], results[first][1]), what=f"{case.id}: {a} vs {first}")


# ---- conv_output_shape ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_conv_output_shape(case):
    got = cnnkern.conv_output_shape(case.x_shape, case.w_shape, stride=case.stride, padding=case.padding,
                                    dilation=case.dilation)
    assert tuple(got) == oracle.output_shape(case.x_shape, case.w_shape, case.stride, case.padding,
                                             case.dilation)


@pytest.mark.parametrize("n,k,s,d,p", [(1, 1, 1, 1, 0), (7, 3, 2, 1, 0), (8, 3, 2, 1, 1), (5, 5, 1, 1, 0),
                                       (10, 3, 3, 2, 2), (4, 2, 5, 1, 0), (6, 3, 1, 2, 0), (9, 4, 2, 3, 4),
                                       (13, 1, 4, 1, 0), (3, 3, 2, 1, (0, 2)), (12, 5, 3, 1, "same"),
                                       (12, 5, 3, 2, "full"), (11, 2, 2, 1, "same"), (12, 4, 5, 1, "valid")])
def test_conv_output_shape_formula(n, k, s, d, p):
    pad = [p] if isinstance(p, tuple) else p
    got = cnnkern.conv_output_shape((2, 3, n), (4, 3, k), stride=s, padding=pad, dilation=d)
    (b, a), = oracle.normalise_padding(pad, (n,), (k,), (s,), (d,))
    assert tuple(got) == (2, 4, (n + b + a - d * (k - 1) - 1) // s + 1)
