"""The Python call path (cnnkern/_problem.py, _execute.py): torch-style calls, unbatched input, out=
aliasing, argument limits, size limits, the dtype rule, pooling index round trips, and memoisation
that never changes a result."""
import inspect
import warnings

import numpy as np
import pytest

import cnnkern
from cnnkern import _choose, _conv_ext, _execute, _problem
from oracle import conv_forward as oracle_forward

RNG = np.random.default_rng(12)
ALGOS = cnnkern.algorithms()


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def fwd(d):
    return getattr(cnnkern, f"conv{d}d_forward")


# ---- torch-style signatures ------------------------------------------------------------------------

@pytest.mark.parametrize("d", [1, 2, 3])
def test_torch_order_positional_and_keywords(d):
    x, w, b = rand(2, 4, *(7,) * d), rand(6, 2, *(3,) * d), rand(6)
    ref = fwd(d)(x, w, b, stride=2, padding=1, dilation=1, groups=2)
    np.testing.assert_array_equal(fwd(d)(x, w, b, 2, 1, 1, 2), ref)
    np.testing.assert_array_equal(fwd(d)(input=x, weight=w, bias=b, stride=2, padding=1, groups=2), ref)
    np.testing.assert_allclose(ref, oracle_forward(x, w, b, 2, [(1, 1)] * d, 1, 2), rtol=1e-10, atol=1e-10)
    params = list(inspect.signature(fwd(d)).parameters)
    assert params == ["input", "weight", "bias", "stride", "padding", "dilation", "groups",
                      "padding_mode", "flip", "algorithm", "out"]


@pytest.mark.parametrize("d", [1, 2, 3])
def test_transposed_torch_order(d):
    x, w, b = rand(2, 4, *(5,) * d), rand(4, 3, *(3,) * d), rand(6)
    kw = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    ref = getattr(cnnkern, f"conv_transpose{d}d_forward")(x, w, b, **kw)
    got = getattr(cnnkern, f"conv_transpose{d}d_forward")(x, w, b, 2, 1, 1, 2, 1)
    np.testing.assert_array_equal(got, ref)
    assert list(inspect.signature(getattr(cnnkern, f"conv_transpose{d}d_forward")).parameters) == [
        "input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation",
        "algorithm", "out"]
    # the adjoint identity against the convolution with the same weight
    y_shape = ref.shape
    dy = rand(*y_shape)
    conv = fwd(d)(dy, w, None, 2, 1, 1, 2)
    lhs = np.vdot(ref - b.reshape((1, -1) + (1,) * d), dy)
    rhs = np.vdot(x, conv)
    assert np.isclose(lhs, rhs, rtol=1e-10)


def test_wrong_calls_name_the_public_function():
    x, w = rand(1, 1, 5, 5), rand(1, 1, 3, 3)
    with pytest.raises(TypeError, match="conv2d_forward"):
        cnnkern.conv2d_forward(x)
    with pytest.raises(TypeError, match="conv2d_forward"):
        cnnkern.conv2d_forward(x, w, None, 1, 0, 1, 1, "zeros")  # padding_mode is keyword-only
    with pytest.raises(TypeError, match="max_pool2d_forward"):
        cnnkern.max_pool2d_forward(x, 2, nonsense=1)
    with pytest.raises(TypeError, match="conv_transpose1d_forward"):
        cnnkern.conv_transpose1d_forward(x[0], w[0], bogus=3)


# ---- unbatched input -------------------------------------------------------------------------------

@pytest.mark.parametrize("d", [1, 2, 3])
def test_unbatched_conv_matches_batch_of_one(d):
    x, w, b = rand(1, 3, *(6,) * d), rand(4, 3, *(3,) * d), rand(4)
    y = fwd(d)(x[0], w, b, padding=1)
    np.testing.assert_array_equal(y, fwd(d)(x, w, b, padding=1)[0])
    dy = rand(*y.shape)
    dx, dw, db = getattr(cnnkern, f"conv{d}d_backward")(dy, x[0], w, padding=1)
    dx1, dw1, db1 = getattr(cnnkern, f"conv{d}d_backward")(dy[None], x, w, padding=1)
    np.testing.assert_array_equal(dx, dx1[0])
    np.testing.assert_array_equal(dw, dw1)
    np.testing.assert_array_equal(db, db1)
    bi = getattr(cnnkern, f"conv{d}d_backward_input")(dy, w, x.shape[1:], padding=1)
    np.testing.assert_array_equal(bi, dx1[0])
    bw = getattr(cnnkern, f"conv{d}d_backward_weight")(dy, x[0], w.shape, padding=1)
    np.testing.assert_array_equal(bw, dw1)
    wt = rand(3, 2, *(3,) * d)
    t = getattr(cnnkern, f"conv_transpose{d}d_forward")
    np.testing.assert_array_equal(t(x[0], wt, None, 2), t(x, wt, None, 2)[0])


# ---- out= overlapping an input ---------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ALGOS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_aliasing_input_conv(algorithm, dtype):
    x = rand(2, 4, 9, 9, dtype=dtype)
    if algorithm == "separable":
        w = (rand(4, 4, 3, 1, dtype=dtype) * rand(4, 4, 1, 3, dtype=dtype)).astype(dtype)
    else:
        w = rand(4, 4, 3, 3, dtype=dtype)
    ref = cnnkern.conv2d_forward(x, w, padding="same", algorithm=algorithm)
    buf = x.copy()
    y = cnnkern.conv2d_forward(buf, w, padding="same", algorithm=algorithm, out=buf)
    assert y is buf
    np.testing.assert_array_equal(buf, ref)
    # out overlapping the weight, and a partial overlap (a view of the input's memory)
    big = np.zeros(ref.size + 40, dtype)
    big[:w.size] = w.ravel()
    wv = big[:w.size].reshape(w.shape)
    outv = big[:ref.size].reshape(ref.shape)
    cnnkern.conv2d_forward(x, wv, padding="same", algorithm=algorithm, out=outv)
    np.testing.assert_array_equal(outv, ref)


def test_out_aliasing_transposed_separable_plan():
    x, w = rand(2, 4, 6, 6), rand(4, 4, 3, 3)
    ref = cnnkern.conv_transpose2d_forward(x, w, None, 1, 1)
    buf = x.copy()
    assert cnnkern.conv_transpose2d_forward(buf, w, None, 1, 1, out=buf) is buf
    np.testing.assert_array_equal(buf, ref)

    f0, f1 = rand(4, 4, 3), rand(4, 4, 3)
    ref = cnnkern.conv2d_separable(x, (f0, f1), padding=1)
    buf = x.copy()
    cnnkern.conv2d_separable(buf, (f0, f1), padding=1, out=buf)
    np.testing.assert_allclose(buf, ref, rtol=0, atol=0)

    for algorithm in [a for a in ALGOS if a != "separable"]:
        plan = cnnkern.ConvPlan(w, x.shape, padding=1, algorithm=algorithm)
        ref = plan.forward(x)
        buf = x.copy()
        assert plan.forward(buf, out=buf) is buf
        np.testing.assert_array_equal(buf, ref)


# ---- argument limits --------------------------------------------------------------------------------

@pytest.mark.parametrize("kw, name", [
    (dict(stride=10 ** 30), "stride"), (dict(padding=2 ** 70), "padding"), (dict(dilation=2 ** 64), "dilation"),
    (dict(groups=2 ** 63), "groups"), (dict(padding=[(0, 2 ** 65)]), "padding"),
])
def test_huge_ints_raise_value_error_naming_the_argument(kw, name):
    x, w = np.ones((1, 2, 5), "f4"), np.ones((2, 2, 3), "f4")
    with pytest.raises(ValueError, match=name):
        cnnkern.conv1d_forward(x, w, **kw)


def test_huge_ints_elsewhere():
    x = np.ones((1, 2, 5, 5))
    with pytest.raises(ValueError, match="nbytes"):
        cnnkern.set_workspace_limit(2 ** 64)
    with pytest.raises(ValueError, match="kernel_size"):
        cnnkern.max_pool2d_forward(x, 10 ** 30)
    with pytest.raises(ValueError, match="stride"):
        cnnkern.avg_pool2d_forward(x, 2, 2 ** 80)
    with pytest.raises(ValueError, match="output_size"):
        cnnkern.adaptive_avg_pool2d_forward(x, 2 ** 70)
    with pytest.raises(ValueError, match="output_padding"):
        cnnkern.conv_transpose1d_forward(x[0], np.ones((2, 2, 3)), None, 1, 0, 2 ** 70)
    with pytest.raises(ValueError, match="input_shape"):
        cnnkern.ConvPlan(np.ones((1, 1, 3)), (1, 1, 2 ** 70))
    with pytest.raises(ValueError, match="stride"):
        cnnkern.conv_output_shape((1, 1, 5), (1, 1, 3), stride=10 ** 20)


def test_memory_error_before_a_huge_output():
    x, w = np.ones((1, 2, 5), "f4"), np.ones((2, 2, 3), "f4")
    with pytest.raises(MemoryError, match="bytes"):
        cnnkern.conv1d_forward(x, w, padding=10 ** 9)
    with pytest.raises(MemoryError, match="bytes"):
        cnnkern.conv_transpose1d_forward(x, np.ones((2, 2, 3), "f4"), None, 10 ** 11)
    with pytest.raises(MemoryError, match="bytes"):
        cnnkern.conv1d_forward(x, w, padding=10 ** 11, padding_mode="zeros")
    with pytest.raises(MemoryError, match="bytes"):
        cnnkern.adaptive_max_pool1d_forward(x, 10 ** 11)
    with pytest.raises(MemoryError, match="bytes"):
        cnnkern.ConvPlan(w, (1, 2, 10 ** 11))


# ---- dtype rule -------------------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", [a for a in ALGOS if a != "separable"] + ["auto"])
def test_dtype_rule_every_algorithm(algorithm):
    x32, w32, b32 = rand(1, 2, 6, 6, dtype=np.float32), rand(3, 2, 3, 3, dtype=np.float32), rand(3, dtype=np.float32)
    assert cnnkern.conv2d_forward(x32, w32, b32, algorithm=algorithm).dtype == np.float32
    assert cnnkern.conv2d_forward(x32.astype(np.float64), w32, b32, algorithm=algorithm).dtype == np.float64
    assert cnnkern.conv2d_forward(x32, w32.astype(np.float64), None, algorithm=algorithm).dtype == np.float64
    with pytest.warns(UserWarning, match="bias has dtype float64"):
        y = cnnkern.conv2d_forward(x32, w32, b32.astype(np.float64), algorithm=algorithm)
    assert y.dtype == np.float64
    # ConvPlan: the weight's dtype on every algorithm, whatever x and b are
    for wd in (np.float32, np.float64):
        plan = cnnkern.ConvPlan(w32.astype(wd), x32.shape, algorithm=algorithm)
        for xd in (np.float32, np.float64):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                y = plan.forward(x32.astype(xd), b32.astype(np.float64))
            assert y.dtype == wd
            assert plan.backward_input(np.ones(y.shape, xd)).dtype == wd
            assert plan.backward_weight(np.ones(y.shape, xd), x32.astype(xd)).dtype == wd


# ---- pooling ----------------------------------------------------------------------------------------

def test_max_pool_indices_round_trip_with_all_padding_windows():
    x = rand(2, 3, 1)
    kw = dict(kernel_size=2, stride=1, padding=1, dilation=2)  # taps at -1 and +1: only padding
    for name in ("max_pool1d", "min_pool1d"):
        y, idx = getattr(cnnkern, name + "_forward")(x, return_indices=True, **kw)
        dy = rand(*y.shape)
        dx_idx = getattr(cnnkern, name + "_backward")(dy, x, indices=idx, **kw)
        dx = getattr(cnnkern, name + "_backward")(dy, x, **kw)
        np.testing.assert_array_equal(dx_idx, dx)
    x2 = rand(1, 2, 1, 4)
    kw2 = dict(kernel_size=(2, 2), stride=1, padding=1, dilation=(2, 1))
    y, idx = cnnkern.max_pool2d_forward(x2, return_indices=True, **kw2)
    dy = rand(*y.shape)
    np.testing.assert_array_equal(cnnkern.max_pool2d_backward(dy, x2, indices=idx, **kw2),
                                  cnnkern.max_pool2d_backward(dy, x2, **kw2))
    # a window with input taps must still point into the plane
    x3 = rand(1, 1, 4, 4)
    y3, i3 = cnnkern.max_pool2d_forward(x3, 2, return_indices=True)
    i3[0, 0, 1, 1] = 16
    with pytest.raises(ValueError, match="indices"):
        cnnkern.max_pool2d_backward(np.ones_like(y3), x3, 2, indices=i3)


def test_pool_window_larger_than_input_raises_as_torch():
    x = np.ones((0, 2, 1, 5, 5))
    with pytest.raises(ValueError, match="smaller than the kernel size"):
        cnnkern.avg_pool3d_forward(x, (4, 3, 3), 2, 1, ceil_mode=True)
    with pytest.raises(ValueError, match="smaller than the kernel size"):
        cnnkern.avg_pool3d_backward(np.ones((1, 2, 1, 2, 2)), np.ones((1, 2, 1, 5, 5)), (2, 3, 3), 2, 1)
    with pytest.raises(ValueError, match="empty output"):  # no window fits: every pool raises
        cnnkern.max_pool1d_forward(np.ones((1, 1, 2)), 5, 1, 1)
    with pytest.raises(ValueError):  # convolution raises in the same situation
        cnnkern.conv3d_forward(np.ones((1, 2, 1, 5, 5)), np.ones((1, 2, 4, 3, 3)), padding=1)
    # torch's other pools accept a window that overhangs the input (ceil_mode), and so does cnnkern
    y = cnnkern.max_pool1d_forward(np.arange(3.0)[None, None], 2, 2, ceil_mode=True)
    np.testing.assert_array_equal(y, [[[1.0, 2.0]]])


def test_pool_and_conv_share_argument_rules():
    x = rand(1, 2, 6, 6)
    np.testing.assert_array_equal(cnnkern.max_pool2d_forward(x, np.array([2, 2])),
                                  cnnkern.max_pool2d_forward(x, (2, 2)))
    np.testing.assert_array_equal(cnnkern.conv2d_forward(x, rand(1, 2, 3, 3), stride=np.array([2, 1])).shape,
                                  (1, 1, 2, 4))
    for bad in (True, 1.0):
        with pytest.raises(TypeError):
            cnnkern.max_pool2d_forward(x, 2, bad)
        with pytest.raises(TypeError):
            cnnkern.conv2d_forward(x, rand(1, 2, 3, 3), None, bad)


# ---- memoisation ------------------------------------------------------------------------------------

def test_memo_never_accepts_what_validation_rejects():
    x, w = rand(1, 1, 6, 6), rand(1, 1, 3, 3)
    cnnkern.conv2d_forward(x, w, stride=1, padding=1)
    for bad in (dict(stride=True), dict(stride=1.0), dict(padding=1.0), dict(groups=True),
                dict(stride=(1, True)), dict(padding=((1, 1), (1, 1.0)))):
        with pytest.raises(TypeError):
            cnnkern.conv2d_forward(x, w, **{"stride": 1, "padding": 1, **bad})


def test_auto_choice_is_keyed_by_threads_workspace_and_isa(monkeypatch):
    calls = []
    real = _choose.choose_for_params

    def counting(*a, **k):
        calls.append(a[0])
        return real(*a, **k)
    monkeypatch.setattr(_choose, "choose_for_params", counting)
    _problem.clear_memo()
    x, w = rand(1, 3, 7, 7), rand(2, 3, 3, 3)
    ref = oracle_forward(x, w, None, 1, [(1, 1)] * 2, 1, 1)

    def run():
        y = cnnkern.conv2d_forward(x, w, padding=1)
        np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-10)

    run()
    run()
    assert len(calls) == 1  # the second call hit the memo
    old_threads, old_limit = cnnkern.get_num_threads(), cnnkern.get_workspace_limit()
    try:
        cnnkern.set_num_threads(old_threads + 1)
        run()
        assert len(calls) == 2
        cnnkern.set_workspace_limit(old_limit // 2)
        run()
        assert len(calls) == 3
        before = _conv_ext.isa_in_use()
        _conv_ext.set_isa_cap("generic")
        try:
            run()
            assert len(calls) == (4 if before != _conv_ext.isa_in_use() else 3)
        finally:
            _conv_ext.set_isa_cap("avx512")
        cnnkern.set_autotune(True)
        try:
            run()
            run()
            assert len(calls) >= 5  # autotune mode asks the chooser (and its own cache) each call
        finally:
            cnnkern.set_autotune(False)
    finally:
        cnnkern.set_num_threads(old_threads)
        cnnkern.set_workspace_limit(old_limit)
        _choose.clear_autotune_cache()


def test_plan_validates_once(monkeypatch):
    x, w = rand(2, 3, 8, 8), rand(4, 3, 3, 3)
    plans = {a: cnnkern.ConvPlan(w, x.shape, padding=1, algorithm=a) for a in ALGOS if a != "separable"}

    def no_validation(*a, **k):
        raise AssertionError("validated again")
    monkeypatch.setattr(_problem, "ConvProblem", no_validation)
    monkeypatch.setattr(_problem, "make_conv_params", no_validation)
    monkeypatch.setattr(_choose, "choose_for_params", no_validation)
    ref = oracle_forward(x, w, None, 1, [(1, 1)] * 2, 1, 1)
    for plan in plans.values():
        np.testing.assert_allclose(plan.forward(x), ref, rtol=1e-9, atol=1e-9)


def test_separable_kernel_factorised_once(monkeypatch):
    if "separable" not in ALGOS:
        pytest.skip("no separable algorithm")
    calls = []
    real = _execute.factorize
    monkeypatch.setattr(_execute, "factorize", lambda *a: calls.append(1) or real(*a))
    x = rand(1, 2, 20, 20)
    w = rand(3, 2, 9, 1) * rand(3, 2, 1, 9)
    y = cnnkern.conv2d_forward(x, w, algorithm="separable")
    assert len(calls) == 1
    np.testing.assert_allclose(y, oracle_forward(x, w, None, 1, [(0, 0)] * 2, 1, 1), rtol=1e-9, atol=1e-9)
