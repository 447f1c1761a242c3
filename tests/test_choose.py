"""choose_algorithm is a pure rule list; pin its pick on the standard layers and its contract."""
import json
from importlib import resources

import numpy as np
import pytest

import cnnkern

with resources.files("cnnkern").joinpath("data/shapes.json").open() as fh:
    LAYERS = {layer["name"]: layer for layer in json.load(fh)["conv2d"]}

# The faster algorithm per layer in the forward pass of the run the rules were fitted on
# (README "Results"); the rules must reproduce these picks.
EXPECTED = {
    "r50_conv1_7x7s2": "direct", "r50_3x3_56": "direct", "r50_3x3_28": "im2col",
    "r50_3x3_14": "im2col", "r50_3x3_7": "im2col", "r50_1x1_56": "im2col", "r50_1x1_14": "im2col",
    "r50_1x1s2_28": "im2col", "vgg_conv1_2": "direct", "vgg_conv4_2": "im2col",
    "alex_conv2": "direct", "cb_l2_k9": "direct", "cb_l4_k7": "im2col", "dw3x3_56": "direct",
}


def _shapes(layer):
    x = (layer["n"], layer["c_in"], layer["h"], layer["w"])
    w = (layer["c_out"], layer["c_in"] // layer["groups"], layer["k"], layer["k"])
    kw = dict(stride=layer["stride"], padding=layer["pad"], groups=layer["groups"])
    return x, w, kw


def test_every_standard_layer_has_an_expectation():
    assert set(EXPECTED) == set(LAYERS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_choice_on_standard_layers(name):
    x, w, kw = _shapes(LAYERS[name])
    assert cnnkern.choose_algorithm(x, w, dtype=np.float32, **kw) == EXPECTED[name]


@pytest.mark.parametrize("direction", ["forward", "backward_input", "backward_weight"])
def test_choice_is_pure_and_valid(direction):
    x, w, kw = _shapes(LAYERS["r50_3x3_28"])
    picks = {cnnkern.choose_algorithm(x, w, dtype=np.float32, direction=direction, **kw) for _ in range(3)}
    assert len(picks) == 1 and picks <= set(cnnkern.algorithms())


def test_choice_validates_arguments():
    with pytest.raises(ValueError, match="direction"):
        cnnkern.choose_algorithm((1, 8, 8, 8), (8, 8, 3, 3), direction="sideways")
    with pytest.raises(ValueError, match="groups"):
        cnnkern.choose_algorithm((1, 8, 8, 8), (8, 8, 3, 3), groups=3)
