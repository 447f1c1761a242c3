"""Real-network layers (the benchmark table, cnnkern/data/shapes.json) scaled down to test size, plus a few
full-channel medium shapes whose long reductions stress blocking and the tolerance model."""
import json
from importlib import resources

import numpy as np
import pytest

import cnnkern
import oracle
from oracle import ConvCase, assert_close


def _load_shapes():
    try:
        with resources.files("cnnkern").joinpath("data/shapes.json").open() as fh:
            return json.load(fh)
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return {}


SHAPES = _load_shapes()


def _scaled(layer):
    k, s, p, g = layer["k"], layer["stride"], layer["pad"], layer["groups"]
    depthwise = g > 1 and g == layer["c_in"]
    c_in = min(layer["c_in"], 16)
    c_out = min(layer["c_out"], 16)
    if depthwise:
        g, c_out = c_in, c_in * (layer["c_out"] // layer["c_in"])
    size = min(layer["h"], max(k + 5, 13))
    return ConvCase(layer["name"], (1, c_in, size, size + 1), (c_out, c_in // g, k, k), stride=s, padding=p,
                    groups=g)


LAYER_CASES = [_scaled(layer) for layer in SHAPES.get("conv2d", [])]
SWEEP = SHAPES.get("kernel_sweep", {})
SWEEP_CASES = [ConvCase(f"k{k}", (1, 4, 40, 37), (4, 4, k, k), padding="same") for k in SWEEP.get("k", [])]

MEDIUM_CASES = [
    ConvCase("r50_3x3_7-n1", (1, 512, 7, 7), (512, 512, 3, 3), padding=1),
    ConvCase("r50_1x1_14-c1024-7x7", (1, 1024, 7, 7), (64, 1024, 1, 1)),
    ConvCase("dw3x3-c128", (1, 128, 14, 14), (128, 1, 3, 3), padding=1, groups=128),
    ConvCase("conv1_7x7s2-40", (2, 3, 40, 40), (64, 3, 7, 7), stride=2, padding=3),
]


def _check(case, dtype, algorithm, run_algo, backward=True):
    rng = np.random.default_rng(len(case.id))
    x = rng.standard_normal(case.x_shape).astype(dtype)
    w = rng.standard_normal(case.w_shape).astype(dtype)
    b = rng.standard_normal(case.w_shape[0]).astype(dtype)
    d = case.ndim
    kw = case.kwargs()
    y, f = run_algo(getattr(cnnkern, f"conv{d}d_forward"), x, w, b, algorithm=algorithm, **kw)
    kprod = int(np.prod(case.w_shape[2:]))
    assert_close(y, oracle.conv_forward_mode(x, w, b, **kw), dtype, case.x_shape[1] // case.groups * kprod, f,
                 what=f"{case.id} forward")
    if not backward:
        return
    dy = rng.standard_normal(y.shape).astype(dtype)
    (dx, dw, db), f = run_algo(getattr(cnnkern, f"conv{d}d_backward"), dy, x, w, algorithm=algorithm, **kw)
    rdx, rdw, rdb = oracle.conv_backward_mode(dy, x, w, **kw)
    L_w = y.shape[0] * int(np.prod(y.shape[2:]))
    assert_close(dx, rdx, dtype, case.w_shape[0] // case.groups * kprod, f, what=f"{case.id} dx")
    assert_close(dw, rdw, dtype, L_w, f, what=f"{case.id} dw")
    assert_close(db, rdb, dtype, L_w, 1.0, what=f"{case.id} db")


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c.id)
def test_network_layers_scaled(case, dtype, algorithm, run_algo):
    _check(case, dtype, algorithm, run_algo)


@pytest.mark.parametrize("case", SWEEP_CASES, ids=lambda c: c.id)
def test_kernel_size_sweep(case, algorithm, run_algo):
    _check(case, np.float32, algorithm, run_algo)


@pytest.mark.parametrize("case", MEDIUM_CASES, ids=lambda c: c.id)
def test_medium_layers(case, algorithm, run_algo):
    _check(case, np.float32, algorithm, run_algo)


def test_shapes_table_present():
    """The benchmark layer table ships with the package and the tests above really ran over it."""
    assert len(LAYER_CASES) >= 10 and len(SWEEP_CASES) >= 5
