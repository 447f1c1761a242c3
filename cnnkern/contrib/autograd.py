"""autograd primitives on cnnkern: convolution and pooling with gradients of every order.

    >>> import autograd.numpy as anp
    >>> from autograd import grad
    >>> from cnnkern.contrib.autograd import conv2d, max_pool2d
    >>> loss = lambda w: anp.sum(max_pool2d(conv2d(x, w, stride=1, padding=1), 2) ** 2)
    >>> dw = grad(loss)(w)

``conv{1,2,3}d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
flip=False)`` takes the keywords of ``cnnkern.conv{d}d_forward``; ``max_pool{d}d`` and
``avg_pool{d}d`` take those of ``cnnkern.max_pool{d}d_forward`` / ``avg_pool{d}d_forward``. x, w and b
are differentiable, the other arguments are not.

Every VJP is written with primitives that have VJPs themselves, so the graph is closed under
differentiation (``autograd.test_util.check_grads(f, modes=["rev"], order=2)`` passes):

* conv's input gradient ``conv_grad_input(dy, w)`` and weight gradient ``conv_grad_weight(dy, x)`` are
  bilinear, and their VJPs are conv, conv_grad_input and conv_grad_weight again;
* max pooling's gradient scatters dy to each window's argmax (``max_pool_grad``); its VJP gathers at the
  same positions (``max_pool_gather``) and vice versa; both are locally constant in x;
* average pooling is linear: its gradient's VJP is the pooling itself.
"""
import autograd.numpy as anp
from autograd.extend import defvjp, primitive

import numpy as np

import cnnkern

__all__ = [f"{kind}{d}d" for kind in ("conv", "max_pool", "avg_pool") for d in (1, 2, 3)]


def _zeros_like(x):
    return lambda g: anp.zeros_like(x)


def _kernels(op, *directions):
    """cnnkern's functions f"{op}_{direction}" for each direction, e.g. ("max_pool2d", "forward")."""
    return [getattr(cnnkern, f"{op}_{direction}") for direction in directions]


def _public(f, name, doc):
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


# ------------------------------------------------------------------------------------------------
# Convolution

def _make_conv(d):
    fwd, bwd_in, bwd_w = _kernels(f"conv{d}d", "forward", "backward_input", "backward_weight")
    bias_axes = (0,) + tuple(range(2, d + 2))

    @primitive
    def conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
             flip=False):
        return fwd(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups,
                   padding_mode=padding_mode, flip=flip)

    @primitive
    def conv_grad_input(dy, w, x_shape, **kw):
        return bwd_in(dy, w, x_shape, **kw)

    @primitive
    def conv_grad_weight(dy, x, w_shape, **kw):
        return bwd_w(dy, x, w_shape, **kw)

    defvjp(conv,
           lambda ans, x, w, b=None, **kw: lambda g: conv_grad_input(g, w, anp.shape(x), **kw),
           lambda ans, x, w, b=None, **kw: lambda g: conv_grad_weight(g, x, anp.shape(w), **kw),
           lambda ans, x, w, b=None, **kw: lambda g: anp.sum(g, axis=bias_axes))
    # <h, Bi(dy, w)> = <conv(h, w), dy> = <Bw(dy, h), w>
    defvjp(conv_grad_input,
           lambda ans, dy, w, x_shape, **kw: lambda h: conv(h, w, None, **kw),
           lambda ans, dy, w, x_shape, **kw: lambda h: conv_grad_weight(dy, h, anp.shape(w), **kw))
    # <h, Bw(dy, x)> = <conv(x, h), dy> = <Bi(dy, h), x>
    defvjp(conv_grad_weight,
           lambda ans, dy, x, w_shape, **kw: lambda h: conv(x, h, None, **kw),
           lambda ans, dy, x, w_shape, **kw: lambda h: conv_grad_input(dy, h, anp.shape(x), **kw))

    _public(conv, f"conv{d}d", f"{d}-D convolution as cnnkern.conv{d}d_forward(x, w, b, ...), "
            "differentiable in x, w and b to any order.")
    return conv, conv_grad_input, conv_grad_weight


# ------------------------------------------------------------------------------------------------
# Max pooling

def _make_max_pool(d):
    fwd, bwd = _kernels(f"max_pool{d}d", "forward", "backward")

    def _kw(kernel_size, stride, padding, dilation, ceil_mode):
        return dict(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                    ceil_mode=ceil_mode)

    @primitive
    def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        return fwd(x, kernel_size, stride, padding, dilation, ceil_mode)

    @primitive
    def max_pool_grad(dy, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        """Scatter dy to each window's argmax in x (cnnkern's rule: first maximum, last NaN)."""
        return bwd(dy, x, **_kw(kernel_size, stride, padding, dilation, ceil_mode))

    @primitive
    def max_pool_gather(h, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        """h (x's shape) read at each window's argmax in x: the adjoint of max_pool_grad."""
        _, idx = fwd(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)
        h = np.asarray(h)
        lead = idx.shape[: idx.ndim - d]
        hp = h.reshape((-1,) + (int(np.prod(h.shape[h.ndim - d:])),))
        out = np.take_along_axis(hp, idx.reshape(hp.shape[0], -1), axis=1)
        return out.reshape(lead + idx.shape[idx.ndim - d:])

    defvjp(max_pool, lambda ans, x, *a, **kw: lambda g: max_pool_grad(g, x, *a, **kw))
    defvjp(max_pool_grad,
           lambda ans, dy, x, *a, **kw: lambda h: max_pool_gather(h, x, *a, **kw),
           lambda ans, dy, x, *a, **kw: _zeros_like(x))
    defvjp(max_pool_gather,
           lambda ans, h, x, *a, **kw: lambda g: max_pool_grad(g, x, *a, **kw),
           lambda ans, h, x, *a, **kw: _zeros_like(x))

    _public(max_pool, f"max_pool{d}d", f"{d}-D max pooling as cnnkern.max_pool{d}d_forward (without "
            "return_indices), differentiable in x to any order.")
    return max_pool, max_pool_grad, max_pool_gather


# ------------------------------------------------------------------------------------------------
# Average pooling

def _make_avg_pool(d):
    fwd, bwd = _kernels(f"avg_pool{d}d", "forward", "backward")

    @primitive
    def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        return fwd(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)

    @primitive
    def avg_pool_grad(dy, x_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                      count_include_pad=True, divisor_override=None):
        dy = np.asarray(dy)
        dtype = dy.dtype if dy.dtype in (np.float32, np.float64) else np.float64
        return bwd(dy, np.empty(x_shape, dtype), kernel_size, stride, padding, ceil_mode,
                   count_include_pad, divisor_override)

    defvjp(avg_pool, lambda ans, x, *a, **kw: lambda g: avg_pool_grad(g, anp.shape(x), *a, **kw))
    defvjp(avg_pool_grad, lambda ans, dy, x_shape, *a, **kw: lambda h: avg_pool(h, *a, **kw))

    _public(avg_pool, f"avg_pool{d}d", f"{d}-D average pooling as cnnkern.avg_pool{d}d_forward (no "
            "weights), differentiable in x to any order.")
    return avg_pool, avg_pool_grad


conv1d, conv1d_grad_input, conv1d_grad_weight = _make_conv(1)
conv2d, conv2d_grad_input, conv2d_grad_weight = _make_conv(2)
conv3d, conv3d_grad_input, conv3d_grad_weight = _make_conv(3)
max_pool1d, max_pool1d_grad, max_pool1d_gather = _make_max_pool(1)
max_pool2d, max_pool2d_grad, max_pool2d_gather = _make_max_pool(2)
max_pool3d, max_pool3d_grad, max_pool3d_gather = _make_max_pool(3)
avg_pool1d, avg_pool1d_grad = _make_avg_pool(1)
avg_pool2d, avg_pool2d_grad = _make_avg_pool(2)
avg_pool3d, avg_pool3d_grad = _make_avg_pool(3)
