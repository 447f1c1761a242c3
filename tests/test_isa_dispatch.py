"""Every instruction-set path of the fast kernels agrees with the NumPy oracle.

The kernels pick AVX-512 / AVX2 / generic code at run time; capping the ISA (a test hook in the C
runtime) makes the portable paths run on this machine too. A path the CPU cannot run is skipped.
"""
import numpy as np
import pytest

import cnnkern
from cnnkern import _conv_ext

import oracle
from conftest import ISAS, conv_functions, tolerance_factor

ORDER = {name: i for i, name in enumerate(ISAS)}
CPU_ISA = _conv_ext.runtime_info()["isa"]  # after any CNNKERN_ISA cap of this run

CASES = [
    # (x_shape, w_shape, keywords): tails, strides, dilation, groups, 1-D and 3-D
    ((2, 5, 9, 17), (7, 5, 3, 3), dict(stride=1, padding=1)),
    ((1, 4, 11, 33), (6, 2, 3, 5), dict(stride=(2, 3), padding=((1, 0), (2, 3)), dilation=(1, 2), groups=2)),
    ((2, 6, 8, 8), (6, 1, 3, 3), dict(stride=1, padding=1, groups=6)),
    ((3, 3, 50), (8, 3, 7), dict(stride=2, padding=3)),
    ((1, 2, 5, 6, 7), (3, 2, 2, 3, 3), dict(stride=(1, 2, 1), padding=1, dilation=(2, 1, 1))),
]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fast_algorithms_on_each_isa(isa, dtype, case, isa_cap):
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
    fwd, bwd = conv_functions(nd)
    for algo in cnnkern.algorithms():
        if algo == "reference":
            continue
        try:
            y = fwd(x, w, b, algorithm=algo, **kw)
            dx, dw, db = bwd(dy, x, w, algorithm=algo, **kw)
        except NotImplementedError:
            # declined: fft on strided/dilated cases (tests/test_fft.py checks the message), separable
            # with these random kernels (tests/test_conv_separable.py runs its ISA paths on rank-1
            # kernels); every other fast algorithm computes every case
            assert algo in ("fft", "separable", "winograd"), algo
            continue
        f = tolerance_factor(algo)
        oracle.assert_close(y, y_ref, dtype, lf, f, what=f"{algo}/{isa} forward")
        oracle.assert_close(dx, dx_ref, dtype, lbi, f, what=f"{algo}/{isa} grad input")
        oracle.assert_close(dw, dw_ref, dtype, lbw, f, what=f"{algo}/{isa} grad weight")
        oracle.assert_close(db, oracle.conv_backward_bias(dy), dtype, lbw, what=f"{algo}/{isa} grad bias")


# Output widths around the SIMD tile widths: vectors of 4/8/16 lanes, tiles of up to 3 vectors
# (48 floats / 24 doubles on AVX-512), one-channel tiles of up to 8 vectors (128 floats on AVX-512).
EDGE_WIDTHS = (1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 63, 64, 65, 97, 127, 128, 129)
# Channel blocks around OCB = 8 (AVX-512) / 4 (AVX2) output channels and BT = 6 / 3 (channel, tap) pairs.
EDGE_CHANNELS = ((1, 1, 1), (6, 7, 1), (5, 9, 1), (8, 17, 1), (4, 8, 4), (3, 3, 3))  # (C, K, groups)


def _edge_case(width, case, dtype):
    c, k, groups = EDGE_CHANNELS[case]
    rng = np.random.default_rng(1000 * width + case)
    x = rng.standard_normal((2, c, width)).astype(dtype)
    w = rng.standard_normal((k, c // groups, 3)).astype(dtype)
    b = rng.standard_normal(k).astype(dtype)
    return x, w, b, dict(padding=1, groups=groups)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(EDGE_CHANNELS)))
def test_direct_edge_widths_each_isa_and_threads(dtype, case, isa_cap, monkeypatch):
    """direct on every width around the tile sizes, on each SIMD ISA the CPU has: oracle-exact, and
    bitwise the same on 1 and 2 threads."""
    monkeypatch.setattr(cnnkern._execute, "SERIAL_FLOPS", 0)  # these small calls would otherwise run serially
    isas = [isa for isa in ("avx2", "avx512") if ORDER[isa] <= ORDER[CPU_ISA]]
    if not isas:
        pytest.skip(f"this CPU runs {CPU_ISA} only")
    for width in EDGE_WIDTHS:
        x, w, b, kw = _edge_case(width, case, dtype)
        for stride in (1, 2):
            y_ref = oracle.conv_forward(x, w, b, stride=stride, **kw)
            dy = np.random.default_rng(width).standard_normal(y_ref.shape).astype(dtype)
            dx_ref = oracle.conv_backward_input(dy, w, x.shape, stride=stride, **kw)
            dw_ref = oracle.conv_backward_weight(dy, x, w.shape, stride=stride, **kw)
            lf, lbi, lbw = oracle.reduction_lengths(x.shape, w.shape, y_ref.shape, kw["groups"], stride)
            for isa in isas:
                isa_cap(isa)
                results = []
                for threads in (1, 2):
                    with cnnkern.num_threads(threads):
                        y = cnnkern.conv1d_forward(x, w, b, stride=stride, algorithm="direct", **kw)
                        dx, dw, _ = cnnkern.conv1d_backward(dy, x, w, stride=stride, algorithm="direct", **kw)
                    what = f"{isa} width {width} stride {stride} threads {threads}"
                    oracle.assert_close(y, y_ref, dtype, lf, what=f"{what} forward")
                    oracle.assert_close(dx, dx_ref, dtype, lbi, what=f"{what} grad input")
                    oracle.assert_close(dw, dw_ref, dtype, lbw, what=f"{what} grad weight")
                    results.append((y, dx, dw))
                for one, two in zip(*results):
                    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_direct_2d_tiles_span_rows_each_isa(dtype, isa_cap):
    """Flattened multi-row tiles (RH rows of J columns) on a 2-D layer with OCB tails, per available ISA."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 13, 21, 50)).astype(dtype)
    w = rng.standard_normal((19, 13, 3, 3)).astype(dtype)
    kw = dict(stride=1, padding=(1, 2), dilation=(1, 2))
    y_ref = oracle.conv_forward(x, w, None, **kw)
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    dx_ref = oracle.conv_backward_input(dy, w, x.shape, **kw)
    dw_ref = oracle.conv_backward_weight(dy, x, w.shape, **kw)
    lf, lbi, lbw = oracle.reduction_lengths(x.shape, w.shape, y_ref.shape, 1)
    for isa in ISAS[: ORDER[CPU_ISA] + 1]:
        isa_cap(isa)
        y = cnnkern.conv2d_forward(x, w, algorithm="direct", **kw)
        dx, dw, _ = cnnkern.conv2d_backward(dy, x, w, algorithm="direct", **kw)
        oracle.assert_close(y, y_ref, dtype, lf, what=f"{isa} forward")
        oracle.assert_close(dx, dx_ref, dtype, lbi, what=f"{isa} grad input")
        oracle.assert_close(dw, dw_ref, dtype, lbw, what=f"{isa} grad weight")


# (H, W, kernel, stride, dilation): packed rows J = OW + ((k-1)*d)/s narrower than one vector (a vector
# then meets three or more rows), around 8/16 lanes, and with wide padding gaps (J - OW up to 12); then
# rows the forward tiles one by one (ceil(OW / lanes) a multiple of the tile's 3 vectors, or one short
# of it), several with a partial last vector: 20, 47 and 43 (8 lanes), 40, 47 and 90 (16), 112 (8).
STORE_CASES = ((9, 3, 3, 1, 1), (7, 6, 3, 1, 1), (12, 14, 3, 1, 1), (12, 15, 3, 1, 1), (10, 16, 3, 1, 1),
               (11, 17, 1, 1, 1), (9, 33, 7, 1, 2), (21, 40, 7, 2, 1), (23, 61, 5, 2, 3), (6, 130, 3, 1, 1),
               (13, 20, 3, 1, 1), (9, 47, 3, 1, 1), (11, 43, 5, 1, 1), (8, 40, 3, 1, 1), (8, 90, 3, 1, 1),
               (14, 224, 7, 2, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", STORE_CASES)
def test_direct_forward_store_over_row_ends_each_isa(dtype, case, isa_cap):
    """The forward tile's store (vectors within a row, masked pairs over a row's end, lane by lane
    when a row is narrower than a vector) with a bias, on every ISA the CPU has: oracle-exact."""
    h, wd, k, stride, dil = case
    rng = np.random.default_rng(h * wd + k)
    x = rng.standard_normal((2, 5, h, wd)).astype(dtype)
    w = rng.standard_normal((11, 5, k, k)).astype(dtype)
    b = rng.standard_normal(11).astype(dtype)
    kw = dict(stride=stride, padding=k // 2, dilation=dil)
    y_ref = oracle.conv_forward(x, w, b, **kw)
    lf = oracle.reduction_lengths(x.shape, w.shape, y_ref.shape, 1, stride)[0]
    for isa in ISAS[: ORDER[CPU_ISA] + 1]:
        isa_cap(isa)
        y = cnnkern.conv2d_forward(x, w, b, algorithm="direct", **kw)
        oracle.assert_close(y, y_ref, dtype, lf, what=f"{isa} {case} forward")
        y0 = cnnkern.conv2d_forward(x, w, None, algorithm="direct", **kw)
        oracle.assert_close(y0, y_ref - b[:, None, None], dtype, lf, what=f"{isa} {case} forward, no bias")


# Layers the direct forward runs with the output channels in the lanes (AVX2: <= 16 input channels
# per group, an even number of channel vectors or >= 5): (x shape, w shape, keywords). Output widths
# around its 6- and 12-column tiles and 4/8-lane transposes, channel tails, strides, dilation,
# asymmetric padding, groups; the last two reach it through backward-input (64 -> 3 and 40 -> 2
# layers at unit stride: dx is a forward with 3 / 2 input channels, the second cropped by padding 3).
CL_CASES = [
    ((2, 3, 17, 40), (64, 3, 7, 7), dict(stride=2, padding=3)),
    ((1, 1, 9, 13), (16, 1, 3, 3), dict(padding=1)),
    ((2, 2, 8, 6), (10, 2, 3, 3), dict(padding=((2, 0), (1, 3)))),
    ((1, 4, 11, 29), (40, 4, 3, 5), dict(stride=(1, 3), dilation=(2, 1), padding=(1, 4))),
    ((2, 3, 10, 12), (24, 3, 5, 2), dict(padding=(2, 0), dilation=(1, 3))),
    ((1, 16, 6, 31), (32, 16, 3, 3), dict(padding=1)),
    ((2, 6, 7, 25), (32, 3, 3, 3), dict(padding=1, groups=2)),
    ((2, 4, 9, 20), (64, 1, 3, 3), dict(padding=1, groups=4)),  # depthwise, multiplier 16
    ((1, 3, 5, 1), (16, 3, 1, 1), dict()),
    ((1, 2, 1, 2100), (512, 2, 1, 5), dict(stride=(1, 2), padding=(0, 2))),  # 1-D: 1050 columns, cl called on chunks of 120 (float32)
    ((2, 64, 6, 13), (3, 64, 3, 3), dict(padding=1)),
    ((1, 40, 5, 11), (2, 40, 3, 3), dict(padding=3)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CL_CASES)))
def test_direct_channels_in_lanes_each_isa_and_threads(dtype, case, isa_cap, monkeypatch):
    """The channels-in-lanes forward (and the backward-input that runs it), with and without bias, on
    every ISA the CPU has: oracle-exact, and bitwise the same on 1 and 2 threads."""
    monkeypatch.setattr(cnnkern._execute, "SERIAL_FLOPS", 0)  # these small calls would otherwise run serially
    x_shape, w_shape, kw = CL_CASES[case]
    groups = kw.get("groups", 1)
    rng = np.random.default_rng(case + 50)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    y_ref = oracle.conv_forward(x, w, b, **kw)
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    dx_ref = oracle.conv_backward_input(dy, w, x.shape, **kw)
    lf, lbi, _ = oracle.reduction_lengths(x.shape, w.shape, y_ref.shape, groups, kw.get("stride", 1))
    for isa in ISAS[: ORDER[CPU_ISA] + 1]:
        isa_cap(isa)
        results = []
        for threads in (1, 2):
            with cnnkern.num_threads(threads):
                y = cnnkern.conv2d_forward(x, w, b, algorithm="direct", **kw)
                y0 = cnnkern.conv2d_forward(x, w, None, algorithm="direct", **kw)
                dx = cnnkern.conv2d_backward_input(dy, w, x.shape, algorithm="direct", **kw)
            what = f"{isa} case {case} threads {threads}"
            oracle.assert_close(y, y_ref, dtype, lf, what=f"{what} forward")
            oracle.assert_close(y0, y_ref - b[:, None, None], dtype, lf, what=f"{what} forward, no bias")
            oracle.assert_close(dx, dx_ref, dtype, lbi, what=f"{what} grad input")
            results.append((y, y0, dx))
        for one, two in zip(*results):
            np.testing.assert_array_equal(one, two)


def _isa_in_subprocess(env_update):
    """(ISA in use, warning texts) of a fresh interpreter with these environment variables."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("CNNKERN_ISA", "CNNKERN_AVX512")}
    env.update(env_update)
    code = ("import json, warnings\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    import cnnkern\n"
            "print(json.dumps([cnnkern.config_info()['isa'], [str(w.message) for w in caught]]))\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd="/")  # not the checkout: its cnnkern/ has no compiled extension
    isa, warns = json.loads(out.stdout.strip().splitlines()[-1])
    return isa, warns


def _linux_cpu_flags():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def test_isa_environment_caps_and_defaults():
    """Default: the best ISA of the CPU (AVX-512 included); CNNKERN_ISA caps it; bad values warn."""
    best, warns = _isa_in_subprocess({})
    assert warns == [] and ORDER[best] >= ORDER[CPU_ISA]
    flags = _linux_cpu_flags()
    if flags is not None:  # the default is what the CPU's flags say (checked independently of C)
        if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
            assert best == "avx512"
        elif {"avx2", "fma"} <= flags:
            assert best == "avx2"
    for name in ISAS:
        isa, warns = _isa_in_subprocess({"CNNKERN_ISA": name})
        assert isa == ISAS[min(ORDER[name], ORDER[best])] and warns == []
    isa, warns = _isa_in_subprocess({"CNNKERN_ISA": "sse9"})
    assert isa == best and any("CNNKERN_ISA='sse9'" in w for w in warns)
    isa, warns = _isa_in_subprocess({"CNNKERN_AVX512": "0"})
    assert isa == ISAS[min(ORDER["avx2"], ORDER[best])] and any("deprecated" in w for w in warns)
    isa, warns = _isa_in_subprocess({"CNNKERN_AVX512": "1"})
    assert isa == best and any("deprecated" in w for w in warns)


def test_isa_cap_for_tests_never_lifts_the_environment_cap():
    import os
    import subprocess
    import sys

    env = dict(os.environ, CNNKERN_ISA="generic")
    code = ("from cnnkern import _conv_ext\n"
            "_conv_ext.set_isa_cap('avx512')\n"
            "print(_conv_ext.runtime_info()['isa'])\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd="/")  # not the checkout: its cnnkern/ has no compiled extension
    assert out.stdout.strip().splitlines()[-1] == "generic"


def test_short_openmp_spin_is_set_only_while_the_extension_loads(monkeypatch):
    """cnnkern sets GOMP_SPINCOUNT for its libgomp's start-up only, and never over the user's settings."""
    import os

    from cnnkern._omp_env import SPINCOUNT, short_openmp_spin

    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    with short_openmp_spin():
        assert os.environ["GOMP_SPINCOUNT"] == SPINCOUNT
    assert "GOMP_SPINCOUNT" not in os.environ
    monkeypatch.setenv("GOMP_SPINCOUNT", "5")
    with short_openmp_spin():
        assert os.environ["GOMP_SPINCOUNT"] == "5"
    assert os.environ["GOMP_SPINCOUNT"] == "5"
    monkeypatch.delenv("GOMP_SPINCOUNT")
    monkeypatch.setenv("OMP_WAIT_POLICY", "active")
    with short_openmp_spin():
        assert "GOMP_SPINCOUNT" not in os.environ
    assert not _import_leaves_gomp_spincount_set()


def _import_leaves_gomp_spincount_set():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    code = "import os, cnnkern; print('GOMP_SPINCOUNT' in os.environ)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd="/")  # not the checkout: its cnnkern/ has no compiled extension
    return out.stdout.strip().splitlines()[-1] == "True"
