"""CS231n-style fast layers on cnnkern (drop-in for the assignment's ``fast_layers``).

    from cnnkern.contrib.cs231n import (conv_forward_fast, conv_backward_fast,
                                        max_pool_forward_fast, max_pool_backward_fast)

Layouts as in the assignment: x (N, C, H, W), w (F, C, HH, WW), b (F,);
``conv_param = {"stride": s, "pad": p}`` (zero padding on both sides), output
(N, F, 1 + (H + 2p - HH) // s, 1 + (W + 2p - WW) // s);
``pool_param = {"pool_height": ph, "pool_width": pw, "stride": s}``, output
(N, C, 1 + (H - ph) // s, 1 + (W - pw) // s).

Caches hold copies of the inputs, never references, so a numerical gradient check that perturbs x, w
or b in place between the forward and backward calls does not change the gradient. Max-pool backward
sends each window's gradient to its first maximum (row-major); with ties the assignment's naive
version may split or duplicate it, with distinct values they agree. Results have the dtype cnnkern
computes in: float32 when every input is float32, float64 otherwise.
"""
import numpy as np

import cnnkern

__all__ = ["conv_forward_fast", "conv_backward_fast", "max_pool_forward_fast", "max_pool_backward_fast",
           "conv_relu_forward", "conv_relu_backward", "conv_relu_pool_forward", "conv_relu_pool_backward"]


def _conv_kw(conv_param):
    return dict(stride=int(conv_param["stride"]), padding=int(conv_param["pad"]))


def _pool_kw(pool_param):
    return dict(kernel_size=(int(pool_param["pool_height"]), int(pool_param["pool_width"])),
                stride=int(pool_param["stride"]))


def conv_forward_fast(x, w, b, conv_param):
    """Convolution forward -> (out, cache)."""
    kw = _conv_kw(conv_param)
    out = cnnkern.conv2d_forward(x, w, b, **kw)
    cache = (np.array(x, copy=True), np.array(w, copy=True), np.array(b, copy=True), dict(conv_param))
    return out, cache


def conv_backward_fast(dout, cache):
    """Convolution backward -> (dx, dw, db)."""
    x, w, b, conv_param = cache
    dx, dw, db = cnnkern.conv2d_backward(dout, x, w, bias=True, **_conv_kw(conv_param))
    return dx, dw, db


def max_pool_forward_fast(x, pool_param):
    """Max pooling forward -> (out, cache)."""
    out = cnnkern.max_pool2d_forward(x, **_pool_kw(pool_param))
    return out, (np.array(x, copy=True), dict(pool_param))


def max_pool_backward_fast(dout, cache):
    """Max pooling backward -> dx."""
    x, pool_param = cache
    return cnnkern.max_pool2d_backward(dout, x, **_pool_kw(pool_param))


# The assignment's layer_utils sandwiches, for convenience.

def conv_relu_forward(x, w, b, conv_param):
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out = np.maximum(a, 0)
    return out, (conv_cache, a)


def conv_relu_backward(dout, cache):
    conv_cache, a = cache
    return conv_backward_fast(dout * (a > 0), conv_cache)


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    s, relu_cache = conv_relu_forward(x, w, b, conv_param)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    return out, (relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    relu_cache, pool_cache = cache
    return conv_relu_backward(max_pool_backward_fast(dout, pool_cache), relu_cache)
