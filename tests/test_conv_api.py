"""The cnnkern convolution API contract: dtypes, out=, errors, empty batches, strides, read-only inputs."""
import numpy as np
import pytest

import cnnkern
import oracle
from oracle import assert_close

FWD = {d: getattr(cnnkern, f"conv{d}d_forward") for d in (1, 2, 3)}
BWD = {d: getattr(cnnkern, f"conv{d}d_backward") for d in (1, 2, 3)}
BWD_IN = {d: getattr(cnnkern, f"conv{d}d_backward_input") for d in (1, 2, 3)}
BWD_W = {d: getattr(cnnkern, f"conv{d}d_backward_weight") for d in (1, 2, 3)}
TFWD = {d: getattr(cnnkern, f"conv_transpose{d}d_forward") for d in (1, 2, 3)}

SPATIAL = {1: (9,), 2: (6, 7), 3: (4, 5, 4)}
KERNEL = {1: (3,), 2: (3, 2), 3: (2, 3, 2)}


def problem(ndim, dtype=np.float64, n=2, c_in=4, c_out=6, groups=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in) + SPATIAL[ndim]).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups) + KERNEL[ndim]).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    return x, w, b


KW = dict(stride=2, padding=1, groups=2)


def test_public_names_exist():
    names = [f"conv{d}d_{kind}" for d in (1, 2, 3)
             for kind in ("forward", "backward", "backward_input", "backward_weight")]
    names += [f"conv_transpose{d}d_forward" for d in (1, 2, 3)]
    names += ["conv_output_shape", "algorithms", "set_num_threads", "get_num_threads", "num_threads"]
    missing = [n for n in names if not callable(getattr(cnnkern, n, None))]
    assert not missing, f"missing from the cnnkern API: {missing}"


def test_algorithms_list():
    algs = cnnkern.algorithms()
    assert isinstance(algs, tuple)
    assert "reference" in algs and "direct" in algs
    assert "auto" not in algs
    assert len(set(algs)) == len(algs)
    assert all(isinstance(a, str) for a in algs)


# ---- dtypes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_dtypes_kept(ndim, dtype):
    x, w, b = problem(ndim, dtype)
    y = FWD[ndim](x, w, b, **KW)
    assert y.dtype == dtype
    dy = np.ones_like(y)
    dx, dw, db = BWD[ndim](dy, x, w, **KW)
    assert (dx.dtype, dw.dtype, db.dtype) == (np.dtype(dtype),) * 3
    assert BWD_IN[ndim](dy, w, x.shape, **KW).dtype == dtype
    assert BWD_W[ndim](dy, x, w.shape, **KW).dtype == dtype


@pytest.mark.parametrize("which", ["x", "w", "b"])
def test_mixed_float_promotes_to_float64(which):
    x, w, b = problem(2, np.float32)
    args = {"x": x, "w": w, "b": b}
    args[which] = args[which].astype(np.float64)
    y = cnnkern.conv2d_forward(args["x"], args["w"], args["b"], **KW)
    assert y.dtype == np.float64
    # computed in float64 from the given values
    ref = oracle.conv_forward(args["x"], args["w"], args["b"], 2, [(1, 1)] * 2, 1, 2)
    assert_close(y, ref, np.float64, 12)


def test_mixed_float_backward_promotes():
    x, w, _ = problem(2, np.float32)
    y_shape = cnnkern.conv_output_shape(x.shape, w.shape, stride=2, padding=1)
    dy = np.ones(y_shape, dtype=np.float64)
    dx, dw, db = cnnkern.conv2d_backward(dy, x, w, **KW)
    assert (dx.dtype, dw.dtype, db.dtype) == (np.dtype(np.float64),) * 3
    assert cnnkern.conv2d_backward_input(dy, w, x.shape, **KW).dtype == np.float64
    assert cnnkern.conv2d_backward_weight(dy, x, w.shape, **KW).dtype == np.float64


@pytest.mark.parametrize("int_dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64, np.bool_])
def test_integer_and_bool_inputs_compute_in_float64(int_dtype):
    rng = np.random.default_rng(3)
    hi = 2 if int_dtype == np.bool_ else 5
    x = rng.integers(0, hi, size=(2, 4, 6, 7)).astype(int_dtype)
    w = rng.integers(0, hi, size=(6, 2, 3, 2)).astype(int_dtype)
    y = cnnkern.conv2d_forward(x, w, **KW)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, oracle.conv_forward(x, w, None, 2, [(1, 1)] * 2, 1, 2))
    # int x with float32 w: not all-float32 -> float64
    y2 = cnnkern.conv2d_forward(x, w.astype(np.float32), **KW)
    assert y2.dtype == np.float64
    dx, dw, db = cnnkern.conv2d_backward(np.ones(y.shape, dtype=int_dtype), x, w, **KW)
    assert dx.dtype == dw.dtype == db.dtype == np.float64
    t = cnnkern.conv_transpose2d_forward(x, w.reshape(4, 3, 3, 2), groups=2)
    assert t.dtype == np.float64


BAD_DTYPES = [np.float16, np.complex64, np.complex128, object, np.longdouble]


def _bad(arr, dt):
    if dt is object:
        return arr.astype(object)
    return arr.astype(dt)


@pytest.mark.parametrize("bad", BAD_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("which", ["x", "w", "b"])
def test_unsupported_dtype_raises_type_error_naming_it(which, bad):
    if bad is np.longdouble and np.dtype(np.longdouble) == np.dtype(np.float64):
        pytest.skip("longdouble is float64 on this platform")
    x, w, b = problem(2, np.float32)
    args = {"x": x, "w": w, "b": b}
    args[which] = _bad(args[which], bad)
    with pytest.raises(TypeError, match=np.dtype(bad).name):
        cnnkern.conv2d_forward(args["x"], args["w"], args["b"], **KW)


@pytest.mark.parametrize("bad", [np.float16, np.complex128, object], ids=lambda d: np.dtype(d).name)
def test_unsupported_dtype_in_backward_and_transpose(bad):
    x, w, _ = problem(1, np.float64)
    y_shape = cnnkern.conv_output_shape(x.shape, w.shape, stride=2, padding=1)
    dy = np.ones(y_shape)
    name = np.dtype(bad).name
    with pytest.raises(TypeError, match=name):
        cnnkern.conv1d_backward(_bad(dy, bad), x, w, **KW)
    with pytest.raises(TypeError, match=name):
        cnnkern.conv1d_backward(dy, _bad(x, bad), w, **KW)
    with pytest.raises(TypeError, match=name):
        cnnkern.conv1d_backward_input(dy, _bad(w, bad), x.shape, **KW)
    with pytest.raises(TypeError, match=name):
        cnnkern.conv1d_backward_weight(dy, _bad(x, bad), w.shape, **KW)
    with pytest.raises(TypeError, match=name):
        cnnkern.conv_transpose1d_forward(_bad(x, bad), w.reshape(4, 3, 3), groups=2)


def test_python_lists_accepted():
    y = cnnkern.conv1d_forward([[[1.0, 2.0, 3.0, 4.0]]], [[[1.0, -1.0]]])
    np.testing.assert_array_equal(y, [[[-1.0, -1.0, -1.0]]])


# ---- result allocation and out= ------------------------------------------------------------------

@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_result_fresh_and_c_contiguous(ndim):
    x, w, b = problem(ndim, np.float32, groups=1, c_in=3, c_out=3)
    w1 = np.zeros((3, 3) + (1,) * ndim, dtype=np.float32)
    for c in range(3):
        w1[(c, c) + (0,) * ndim] = 1.0  # identity 1x1 conv: y == x, still a fresh array
    y = FWD[ndim](x, w1)
    np.testing.assert_array_equal(y, x)
    assert y.flags.c_contiguous and y.flags.writeable
    assert not np.shares_memory(y, x) and not np.shares_memory(y, w1)
    y[...] = 0
    assert np.any(x != 0)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_out_argument(ndim, algorithm, run_algo):
    x, w, b = problem(ndim, np.float32)
    shape = cnnkern.conv_output_shape(x.shape, w.shape, stride=2, padding=1)
    out = np.full(shape, np.nan, dtype=np.float32)
    y, _ = run_algo(FWD[ndim], x, w, b, algorithm=algorithm, out=out, **KW)
    assert y is out
    ref = oracle.conv_forward(x, w, b, 2, [(1, 1)] * ndim, 1, 2)
    assert_close(out, ref, np.float32, 2 * int(np.prod(KERNEL[ndim])), 1024.0)


def test_out_argument_with_padding_mode_and_flip():
    x, w, b = problem(2, np.float64)
    kw = dict(padding=2, padding_mode="reflect", flip=True, groups=2)
    out = np.full(cnnkern.conv_output_shape(x.shape, w.shape, padding=2), np.nan)
    y = cnnkern.conv2d_forward(x, w, b, out=out, **kw)
    assert y is out
    assert_close(out, oracle.conv_forward_mode(x, w, b, **kw), np.float64, 12)


def test_out_wrong_shape_dtype_contiguity():
    x, w, b = problem(2, np.float32)
    shape = cnnkern.conv_output_shape(x.shape, w.shape, stride=2, padding=1)
    with pytest.raises(ValueError):
        cnnkern.conv2d_forward(x, w, b, out=np.empty(shape[:-1] + (shape[-1] + 1,), np.float32), **KW)
    with pytest.raises(ValueError):
        cnnkern.conv2d_forward(x, w, b, out=np.empty((np.prod(shape),), np.float32), **KW)
    with pytest.raises(TypeError):
        cnnkern.conv2d_forward(x, w, b, out=np.empty(shape, np.float64), **KW)
    with pytest.raises(TypeError):
        # float64 result into a float32 out
        cnnkern.conv2d_forward(x.astype(np.float64), w, b, out=np.empty(shape, np.float32), **KW)
    strided = np.empty(shape[:-1] + (2 * shape[-1],), np.float32)[..., ::2]
    assert strided.shape == shape
    with pytest.raises(ValueError):
        cnnkern.conv2d_forward(x, w, b, out=strided, **KW)
    fortran = np.asfortranarray(np.empty(shape, np.float32))
    with pytest.raises(ValueError):
        cnnkern.conv2d_forward(x, w, b, out=fortran, **KW)


# ---- error paths ---------------------------------------------------------------------------------

def _fwd_error(exc, match, *args, ndim=2, **kw):
    with pytest.raises(exc, match=match):
        FWD[ndim](*args, **kw)


def test_wrong_ndim():
    x, w, b = problem(2)
    _fwd_error(ValueError, None, x[0, 0], w, ndim=2, groups=2)       # x 2-D for conv2d (3-D is unbatched)
    _fwd_error(ValueError, None, x[..., None], w, ndim=2, groups=2)  # x 5-D
    _fwd_error(ValueError, None, x, w[..., 0], ndim=2, groups=2)     # w 3-D
    _fwd_error(ValueError, None, x, w, ndim=1, groups=2)              # 2-D data to conv1d
    _fwd_error(ValueError, None, x, w, ndim=3, groups=2)
    with pytest.raises(ValueError):
        cnnkern.conv2d_backward_input(np.ones((2, 6, 3, 4)), w, (2, 4, 6), groups=2)
    with pytest.raises(ValueError):
        cnnkern.conv2d_backward_weight(np.ones((2, 6, 3, 4)), x, (6, 2, 3), groups=2)
    with pytest.raises(ValueError):
        cnnkern.conv_transpose2d_forward(x[0, 0], np.ones((4, 3, 3, 3)), groups=2)


def test_channel_mismatch():
    x, w, b = problem(2, groups=1)
    _fwd_error(ValueError, "C_in|channel", x[:, :3], w)
    _fwd_error(ValueError, "C_in|channel|groups", x, w, groups=2)  # C_in 4 != 4 * 2


def test_groups_not_dividing():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 6, 5, 5))
    _fwd_error(ValueError, "groups", x, rng.standard_normal((4, 2, 3, 3)), groups=3)   # C_out 4 % 3
    _fwd_error(ValueError, "groups", rng.standard_normal((1, 5, 5, 5)), rng.standard_normal((4, 2, 3, 3)),
               groups=2)  # C_in 5 % 2 (and 2 * 2 != 5)
    _fwd_error(ValueError, "groups", x, rng.standard_normal((6, 6, 3, 3)), groups=0)
    _fwd_error(ValueError, "groups", x, rng.standard_normal((6, 6, 3, 3)), groups=-1)


def test_bias_wrong_shape():
    x, w, b = problem(2)
    _fwd_error(ValueError, "bias", x, w, b[:-1], groups=2)
    _fwd_error(ValueError, "bias", x, w, b[None, :], groups=2)
    _fwd_error(ValueError, "bias", x, w, np.float64(1.0), groups=2)
    with pytest.raises(ValueError, match="bias"):
        cnnkern.conv_transpose2d_forward(x, np.ones((4, 3, 3, 3)), np.ones(5), groups=2)


@pytest.mark.parametrize("name,value", [("stride", 0), ("stride", -1), ("stride", (1, 0)),
                                        ("dilation", 0), ("dilation", (0, 1)), ("dilation", -2)])
def test_stride_dilation_below_one(name, value):
    x, w, b = problem(2)
    _fwd_error(ValueError, name, x, w, b, groups=2, **{name: value})
    dy = np.ones((2, 6, 6, 6))
    with pytest.raises(ValueError, match=name):
        cnnkern.conv2d_backward_input(dy, w, x.shape, groups=2, **{name: value})
    with pytest.raises(ValueError, match=name):
        cnnkern.conv_transpose2d_forward(x, np.ones((4, 3, 3, 3)), groups=2, **{name: value})


@pytest.mark.parametrize("padding", [-1, (0, -1), [(0, 0), (-1, 2)], [(1, 1), (2, -1)]], ids=str)
def test_negative_padding(padding):
    x, w, b = problem(2)
    _fwd_error(ValueError, "padding", x, w, b, groups=2, padding=padding)
    with pytest.raises(ValueError, match="padding"):
        cnnkern.conv2d_backward(np.ones((2, 6, 6, 6)), x, w, groups=2, padding=padding)
    with pytest.raises(ValueError, match="padding"):
        cnnkern.conv_transpose2d_forward(x, np.ones((4, 3, 3, 3)), groups=2, padding=padding)


@pytest.mark.parametrize("padding", ["middle", "SAMEISH", "", (1, 2, 3), [(1, 2, 3), (0, 0)], [(1,), (2,)]],
                         ids=repr)
def test_unknown_padding(padding):
    x, w, b = problem(2)
    with pytest.raises(ValueError, match="padding"):
        cnnkern.conv2d_forward(x, w, b, groups=2, padding=padding)


@pytest.mark.parametrize("mode", ["constant", "wrap", "edge", "zero", "", None])
def test_unknown_padding_mode(mode):
    x, w, b = problem(2)
    with pytest.raises((ValueError, TypeError), match="padding_mode"):
        cnnkern.conv2d_forward(x, w, b, groups=2, padding=1, padding_mode=mode)
    with pytest.raises((ValueError, TypeError), match="padding_mode"):
        cnnkern.conv2d_backward(np.ones((2, 6, 6, 7)), x, w, groups=2, padding=1, padding_mode=mode)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_kernel_larger_than_padded_input(ndim):
    x, w, _ = problem(ndim)
    big = np.ones((6, 2) + tuple(s + 1 for s in SPATIAL[ndim]))
    with pytest.raises(ValueError):
        FWD[ndim](x, big, groups=2)
    fits = np.ones((6, 2) + tuple(s + 1 for s in SPATIAL[ndim]))
    y = FWD[ndim](x, fits, groups=2, padding=1)      # with padding 1 it fits: 2 outputs per axis
    assert y.shape == (2, 6) + (2,) * ndim
    with pytest.raises(ValueError):
        FWD[ndim](x, np.ones((6, 2) + KERNEL[ndim]), groups=2, dilation=10)
    with pytest.raises(ValueError):
        BWD_IN[ndim](np.ones((2, 6) + (1,) * ndim), big, x.shape, groups=2)
    with pytest.raises(ValueError):
        BWD_W[ndim](np.ones((2, 6) + (1,) * ndim), x, big.shape, groups=2)
    with pytest.raises(ValueError):
        cnnkern.conv_output_shape(x.shape, big.shape)


@pytest.mark.parametrize("algorithm_name", ["fastest", "AUTO", "Direct", "", "winograd_nonexistent"])
def test_unknown_algorithm(algorithm_name):
    x, w, b = problem(2)
    with pytest.raises(ValueError, match="algorithm"):
        cnnkern.conv2d_forward(x, w, b, groups=2, algorithm=algorithm_name)
    with pytest.raises(ValueError, match="algorithm"):
        cnnkern.conv2d_backward(np.ones((2, 6, 4, 6)), x, w, groups=2, algorithm=algorithm_name)
    with pytest.raises(ValueError, match="algorithm"):
        cnnkern.conv_transpose2d_forward(x, np.ones((4, 3, 3, 3)), groups=2, algorithm=algorithm_name)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_dy_wrong_shape(ndim):
    x, w, _ = problem(ndim)
    y_shape = cnnkern.conv_output_shape(x.shape, w.shape, stride=2, padding=1)
    for bad in (y_shape[:-1] + (y_shape[-1] + 1,), (y_shape[0] + 1,) + y_shape[1:],
                y_shape[:1] + (y_shape[1] - 1,) + y_shape[2:], y_shape[1:]):
        dy = np.ones(bad)
        with pytest.raises(ValueError, match="dy"):
            BWD[ndim](dy, x, w, **KW)
        with pytest.raises(ValueError, match="dy"):
            BWD_IN[ndim](dy, w, x.shape, **KW)
        with pytest.raises(ValueError, match="dy"):
            BWD_W[ndim](dy, x, w.shape, **KW)


def test_reflect_circular_padding_limits_match_torch():
    """torch: reflect needs padding < size, circular needs padding <= size."""
    x = np.random.default_rng(0).standard_normal((1, 1, 4))
    w = np.ones((1, 1, 3))
    with pytest.raises(ValueError):
        cnnkern.conv1d_forward(x, w, padding=4, padding_mode="reflect")
    y = cnnkern.conv1d_forward(x, w, padding=3, padding_mode="reflect")
    assert_close(y, oracle.conv_forward_mode(x, w, padding=3, padding_mode="reflect"), np.float64, 3)
    with pytest.raises(ValueError):
        cnnkern.conv1d_forward(x, w, padding=5, padding_mode="circular")
    y = cnnkern.conv1d_forward(x, w, padding=4, padding_mode="circular")
    assert_close(y, oracle.conv_forward_mode(x, w, padding=4, padding_mode="circular"), np.float64, 3)


def test_transpose_errors():
    x = np.ones((1, 4, 5, 5))
    with pytest.raises(ValueError):
        cnnkern.conv_transpose2d_forward(x, np.ones((3, 2, 3, 3)))  # w.shape[0] != C_in
    with pytest.raises(ValueError, match="groups"):
        cnnkern.conv_transpose2d_forward(x, np.ones((4, 2, 3, 3)), groups=3)
    with pytest.raises(ValueError, match="output_padding"):
        cnnkern.conv_transpose2d_forward(x, np.ones((4, 2, 3, 3)), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        cnnkern.conv_transpose2d_forward(x, np.ones((4, 2, 3, 3)), output_padding=-1)
    with pytest.raises(ValueError):
        # output size (5-1)*1 - 2*4 + 2 + 1 < 1
        cnnkern.conv_transpose2d_forward(x, np.ones((4, 2, 3, 3)), padding=4)


# ---- empty batch ---------------------------------------------------------------------------------

@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_empty_batch(ndim, algorithm, run_algo):
    # run_algo: an algorithm may decline the configuration (fft: stride 2; separable: this random
    # kernel), then "auto" must handle the empty batch
    x, w, b = problem(ndim, np.float32, n=0)
    y, _ = run_algo(FWD[ndim], x, w, b, algorithm=algorithm, **KW)
    expected = oracle.output_shape(x.shape, w.shape, 2, 1, 1)
    assert y.shape == expected and y.dtype == np.float32
    dy = np.ones(expected, np.float32)
    (dx, dw, db), _ = run_algo(BWD[ndim], dy, x, w, algorithm=algorithm, **KW)
    assert dx.shape == x.shape and dx.dtype == np.float32
    np.testing.assert_array_equal(dw, np.zeros(w.shape, np.float32))
    np.testing.assert_array_equal(db, np.zeros(6, np.float32))
    assert run_algo(BWD_IN[ndim], dy, w, x.shape, algorithm=algorithm, **KW)[0].shape == x.shape
    np.testing.assert_array_equal(run_algo(BWD_W[ndim], dy, x, w.shape, algorithm=algorithm, **KW)[0], 0)
    t, _ = run_algo(TFWD[ndim], x, w.reshape((4, 3) + KERNEL[ndim]), groups=2, algorithm=algorithm)
    assert t.shape[0] == 0 and t.shape[1] == 6


def test_empty_batch_padding_mode():
    x, w, b = problem(2, np.float64, n=0)
    y = cnnkern.conv2d_forward(x, w, b, padding=1, padding_mode="reflect", groups=2)
    assert y.shape == (0, 6, 6, 8)
    dx, dw, db = cnnkern.conv2d_backward(np.ones(y.shape), x, w, padding=1, padding_mode="circular", groups=2)
    assert dx.shape == x.shape and dw.shape == w.shape
    np.testing.assert_array_equal(dw, 0)


# ---- read-only, non-contiguous inputs, inputs never modified -------------------------------------

def _readonly(a):
    a = a.copy()
    a.setflags(write=False)
    return a


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_read_only_inputs(ndim, algorithm, run_algo):
    x, w, b = problem(ndim, np.float32)
    xr, wr, br = _readonly(x), _readonly(w), _readonly(b)
    y, f = run_algo(FWD[ndim], xr, wr, br, algorithm=algorithm, **KW)
    assert_close(y, oracle.conv_forward(x, w, b, 2, [(1, 1)] * ndim, 1, 2), np.float32, 12, f)
    dyr = _readonly(np.ones(y.shape, np.float32))
    (dx, dw, db), f = run_algo(BWD[ndim], dyr, xr, wr, algorithm=algorithm, **KW)
    rdx, rdw, rdb = oracle.conv_backward_mode(dyr, x, w, **KW)
    assert_close(dx, rdx, np.float32, 12, f)
    assert_close(dw, rdw, np.float32, 64, f)
    for mode in ("reflect", "circular"):
        y, f = run_algo(FWD[ndim], xr, wr, br, algorithm=algorithm, padding_mode=mode, flip=True, **KW)
        assert_close(y, oracle.conv_forward_mode(x, w, b, padding_mode=mode, flip=True, **KW), np.float32, 12, f)
    t, f = run_algo(TFWD[ndim], xr, _readonly(w.reshape((4, 3) + KERNEL[ndim])), algorithm=algorithm, groups=2)
    assert_close(t, oracle.conv_transpose_forward(x, w.reshape((4, 3) + KERNEL[ndim]), groups=2),
                 np.float32, 12, f)


def _views(a, rng):
    """Non-contiguous views holding the same values as `a`: strided slice, transpose, negative strides."""
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    big[..., ::2] = a
    yield "strided", big[..., ::2]
    rev = a[..., ::-1].copy()
    yield "negative", rev[..., ::-1]
    perm = tuple(reversed(range(a.ndim)))
    yield "transposed", a.transpose(perm).copy().transpose(perm)
    yield "fortran", np.asfortranarray(a)
    fullrev = a[::-1, ::-1].copy()
    yield "reversed-leading", fullrev[::-1, ::-1]


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_non_contiguous_inputs(ndim, algorithm, run_algo):
    rng = np.random.default_rng(4)
    x, w, b = problem(ndim, np.float64)
    ref = oracle.conv_forward(x, w, b, 2, [(1, 1)] * ndim, 1, 2)
    y_shape = ref.shape
    dy = rng.standard_normal(y_shape)
    rdx, rdw, rdb = oracle.conv_backward_mode(dy, x, w, **KW)
    for (nx, xv), (nw, wv), (ndy, dyv) in zip(_views(x, rng), _views(w, rng), _views(dy, rng)):
        assert not xv.flags.c_contiguous and not wv.flags.c_contiguous
        np.testing.assert_array_equal(xv, x)
        y, f = run_algo(FWD[ndim], xv, wv, b[::-1].copy()[::-1], algorithm=algorithm, **KW)
        assert_close(y, ref, np.float64, 12, f, what=f"forward x {nx}, w {nw}")
        (dx, dw, db), f = run_algo(BWD[ndim], dyv, xv, wv, algorithm=algorithm, **KW)
        assert_close(dx, rdx, np.float64, 12, f, what=f"dx {ndy}")
        assert_close(dw, rdw, np.float64, 64, f, what=f"dw {ndy}")
        assert_close(db, rdb, np.float64, 64, 1.0, what=f"db {ndy}")
        dx2, f = run_algo(BWD_IN[ndim], dyv, wv, x.shape, algorithm=algorithm, **KW)
        assert_close(dx2, rdx, np.float64, 12, f)
        dw2, f = run_algo(BWD_W[ndim], dyv, xv, w.shape, algorithm=algorithm, **KW)
        assert_close(dw2, rdw, np.float64, 64, f)


def test_non_contiguous_transpose_input():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 4, 5, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    ref = oracle.conv_transpose_forward(x, w, None, stride=2, padding=1, output_padding=1, groups=2)
    y = cnnkern.conv_transpose2d_forward(x[..., ::-1].copy()[..., ::-1], w.transpose(0, 1, 3, 2).copy()
                                         .transpose(0, 1, 3, 2), stride=2, padding=1, output_padding=1, groups=2)
    assert_close(y, ref, np.float64, 27)


@pytest.mark.parametrize("mode", oracle.PADDING_MODES)
@pytest.mark.parametrize("flip", [False, True])
def test_inputs_never_modified(mode, flip, algorithm):
    x, w, b = problem(2, np.float32)
    dy = np.random.default_rng(1).standard_normal(
        cnnkern.conv_output_shape(x.shape, w.shape, stride=2, padding=1)).astype(np.float32)
    copies = [a.copy() for a in (x, w, b, dy)]
    kw = dict(KW, padding_mode=mode, flip=flip, algorithm=algorithm)
    try:
        cnnkern.conv2d_forward(x, w, b, **kw)
        cnnkern.conv2d_backward(dy, x, w, **kw)
        cnnkern.conv2d_backward_input(dy, w, x.shape, **kw)
        cnnkern.conv2d_backward_weight(dy, x, w.shape, **kw)
    except NotImplementedError:
        pass
    cnnkern.conv_transpose2d_forward(x, w.reshape(4, 3, 3, 2), b, groups=2)
    for a, a0 in zip((x, w, b, dy), copies):
        np.testing.assert_array_equal(a, a0)


# ---- hyper-parameter forms -----------------------------------------------------------------------

def test_int_and_tuple_hyperparameters_agree():
    x, w, b = problem(3, np.float64)
    a = cnnkern.conv3d_forward(x, w, b, stride=2, padding=1, dilation=1, groups=2)
    c = cnnkern.conv3d_forward(x, w, b, stride=(2, 2, 2), padding=(1, 1, 1), dilation=(1, 1, 1), groups=2)
    d = cnnkern.conv3d_forward(x, w, b, stride=[2, 2, 2], padding=[(1, 1)] * 3, dilation=[1, 1, 1], groups=2)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(a, d)
    e = cnnkern.conv3d_forward(x, w, b, stride=np.int64(2), padding=np.int32(1), groups=np.int64(2))
    np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_wrong_number_of_per_axis_values(ndim):
    x, w, b = problem(ndim)
    for name in ("stride", "dilation", "padding"):
        with pytest.raises(ValueError, match=name):
            FWD[ndim](x, w, b, groups=2, **{name: (1,) * (ndim + 1)})


def _unaligned_copy(a, offset):
    """A C-contiguous copy of `a` whose data pointer is NOT aligned to its itemsize."""
    buf = np.zeros(a.nbytes + 16, np.uint8)
    u = np.frombuffer(buf.data, dtype=a.dtype, count=a.size, offset=offset).reshape(a.shape)
    u[...] = a
    assert not u.flags.aligned
    return u


@pytest.mark.parametrize("dtype,offset", [(np.float32, 2), (np.float64, 4)])
def test_unaligned_inputs(dtype, offset, algorithm, run_algo):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 8, 9, 33)).astype(dtype)
    w = rng.standard_normal((16, 8, 3, 3)).astype(dtype)
    b = rng.standard_normal(16).astype(dtype)
    y, f = run_algo(cnnkern.conv2d_forward, _unaligned_copy(x, offset), _unaligned_copy(w, offset),
                    _unaligned_copy(b, offset), algorithm=algorithm, padding=1)
    assert_close(y, oracle.conv_forward(x, w, b, 1, [(1, 1)] * 2), dtype, 72, f)
    dy = rng.standard_normal(y.shape).astype(dtype)
    (dx, dw, db), f = run_algo(cnnkern.conv2d_backward, _unaligned_copy(dy, offset), _unaligned_copy(x, offset),
                               _unaligned_copy(w, offset), algorithm=algorithm, padding=1)
    rdx, rdw, rdb = oracle.conv_backward_mode(dy, x, w, padding=1)
    assert_close(dx, rdx, dtype, 144, f)
    assert_close(dw, rdw, dtype, 2 * 9 * 33, f)


def test_unaligned_out_and_the_other_entry_points():
    """An unaligned out= is computed through a temporary; pooling, ConvPlan and cnnkern.signal copy
    unaligned inputs (the C code reads whole elements through typed pointers): same results."""
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 4, 9, 11)).astype(np.float32)
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    want = cnnkern.conv2d_forward(x, w, padding=1)
    out = _unaligned_copy(np.zeros_like(want), 2)
    got = cnnkern.conv2d_forward(_unaligned_copy(x, 2), w, padding=1, out=out)
    assert got is out
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(cnnkern.max_pool2d_forward(_unaligned_copy(x, 2), 3, 2, padding=1),
                                  cnnkern.max_pool2d_forward(x, 3, 2, padding=1))
    np.testing.assert_array_equal(cnnkern.ConvPlan(_unaligned_copy(w, 2), x.shape, padding=1).forward(_unaligned_copy(x, 2)),
                                  cnnkern.ConvPlan(w, x.shape, padding=1).forward(x))
    a = rng.standard_normal((40, 37))
    k = rng.standard_normal((5, 4))
    for method in ("direct", "fft"):
        np.testing.assert_array_equal(cnnkern.signal.correlate(_unaligned_copy(a, 4), _unaligned_copy(k, 4), method=method),
                                      cnnkern.signal.correlate(a, k, method=method))


def test_broadcast_zero_stride_inputs(algorithm, run_algo):
    rng = np.random.default_rng(13)
    xb = np.broadcast_to(rng.standard_normal((1, 3, 1, 10)), (2, 3, 6, 10))
    wb = np.broadcast_to(rng.standard_normal((1, 3, 3, 3)), (4, 3, 3, 3))
    assert not xb.flags.writeable and 0 in xb.strides
    y, f = run_algo(cnnkern.conv2d_forward, xb, wb, algorithm=algorithm, padding=1)
    assert_close(y, oracle.conv_forward(xb, wb, None, 1, [(1, 1)] * 2), np.float64, 27, f)
    dy = np.broadcast_to(np.float64(1.0), y.shape)
    (dx, dw, _), f = run_algo(cnnkern.conv2d_backward, dy, xb, wb, algorithm=algorithm, padding=1)
    rdx, rdw, _ = oracle.conv_backward_mode(dy, xb, wb, padding=1)
    assert_close(dx, rdx, np.float64, 36, f)
    assert_close(dw, rdw, np.float64, 120, f)


def test_non_native_byte_order_is_right_or_rejected():
    """Big-endian floats: either computed correctly or a TypeError naming the dtype; never a wrong answer."""
    x = np.arange(8.0).reshape(1, 1, 8).astype(">f4")
    w = np.array([[[1.0, 2.0, -1.0]]], dtype=">f4")
    try:
        y = cnnkern.conv1d_forward(x, w)
    except TypeError as e:
        assert ">f4" in str(e) or "big" in str(e).lower() or "byte order" in str(e).lower()
    else:
        np.testing.assert_array_equal(y.ravel(), np.correlate(np.arange(8.0), [1.0, 2.0, -1.0]))


def test_integer_bias_promotes():
    x, w, _ = problem(1, np.float32)
    b = np.arange(6)
    y = cnnkern.conv1d_forward(x, w, b, **KW)
    assert y.dtype == np.float64
    assert_close(y, oracle.conv_forward(x, w, b, 2, [(1, 1)], 1, 2), np.float64, 6)


@pytest.mark.parametrize("shape", [(2, 4, 0, 5), (2, 0, 5, 5), (2, 4, 5, 0)])
def test_zero_sized_spatial_or_channels_raise(shape):
    with pytest.raises(ValueError):
        cnnkern.conv2d_forward(np.ones(shape), np.ones((4, max(shape[1], 1), 1, 1)))


def test_zero_sized_kernel_raises():
    with pytest.raises(ValueError):
        cnnkern.conv2d_forward(np.ones((1, 2, 5, 5)), np.ones((3, 2, 0, 3)))
    with pytest.raises(ValueError):
        cnnkern.conv2d_forward(np.ones((1, 2, 5, 5)), np.ones((0, 2, 3, 3)))


def test_show_config_reports_threads_and_algorithms(capsys):
    with cnnkern.num_threads(1):
        cnnkern.show_config()
    text = capsys.readouterr().out.lower()
    assert "openmp" in text and "thread" in text
    for name in cnnkern.algorithms():
        assert name in text
