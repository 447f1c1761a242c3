"""Convolution parameters: normalised, validated and derived once (the ConvParams struct).

Every algorithm and every direction (forward, backward-input, backward-weight) receives the same
ConvParams. The output size per axis is computed here and nowhere else:

    out = floor((in + pad_before + pad_after - dilation * (kernel - 1) - 1) / stride) + 1
"""
from dataclasses import dataclass
from functools import cached_property
import operator
import struct

import numpy as np

PADDING_STRINGS = ("valid", "same", "full")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def conv_output_size(in_size, pad_before, pad_after, kernel, stride, dilation):
    """Output length along one axis (may be <= 0 when the kernel does not fit)."""
    return (in_size + pad_before + pad_after - dilation * (kernel - 1) - 1) // stride + 1


# The largest integer argument accepted (sizes, strides, paddings, ...): far beyond any array that
# fits in memory, and small enough that no sum or product of a few of them overflows C's int64.
INT_LIMIT = 2 ** 40


def as_int(name, value, limit=INT_LIMIT):
    """An integer argument (Python or NumPy int, not bool) -> int; |value| <= limit or ValueError."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool {value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}") from None
    if -limit <= v <= limit:
        return v
    raise ValueError(f"{name}={v} is too large in magnitude (cnnkern accepts integers up to {limit})")


_as_int = as_int  # the name pooling and older code import


def expand_ints(name, value, ndim, minimum=None):
    """An int or a sequence (list, tuple, 1-D array) of `ndim` ints -> tuple of `ndim` ints, each
    >= minimum. Convolution and pooling read every per-axis argument with this one rule."""
    if isinstance(value, np.ndarray):
        if value.ndim > 1:
            raise ValueError(f"{name} must be an int or {ndim} ints (one per spatial axis), got {value!r}")
        value = value.tolist() if value.ndim else value.item()
    if isinstance(value, (list, tuple)):
        if len(value) != ndim:
            raise ValueError(f"{name} must be an int or {ndim} ints (one per spatial axis), got {value!r}")
        out = tuple(as_int(name, v) for v in value)
    else:
        out = (as_int(name, value),) * ndim
    if minimum is not None and any(v < minimum for v in out):
        raise ValueError(f"{name} must be >= {minimum} on every axis, got {value!r}")
    return out


def normalize_padding(padding, ndim, in_size, kernel, stride, dilation):
    """Padding in any accepted form -> (before, after) tuples of ndim ints each.

    Accepted: an int; one int per axis; one (before, after) pair per axis; "valid"; "same" (output
    size ceil(in / stride), the odd extra element at the end as TensorFlow, identical to PyTorch at
    stride 1); "full" (dilation*(k-1) on both sides).
    """
    if isinstance(padding, str):
        kind = padding.lower()
        if kind == "valid":
            return (0,) * ndim, (0,) * ndim
        if kind == "full":
            full = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
            return full, full
        if kind == "same":
            before, after = [], []
            for i, k, s, d in zip(in_size, kernel, stride, dilation):
                out = -(-i // s)
                total = max((out - 1) * s + d * (k - 1) + 1 - i, 0)
                before.append(total // 2)
                after.append(total - total // 2)
            return tuple(before), tuple(after)
        raise ValueError(f"padding string must be one of {PADDING_STRINGS}, got {padding!r}")
    if isinstance(padding, (list, tuple)):
        if len(padding) != ndim:
            raise ValueError(
                f"padding must be an int, {ndim} ints, {ndim} (before, after) pairs or one of "
                f"{PADDING_STRINGS}; got {padding!r}"
            )
        if all(isinstance(v, (list, tuple)) for v in padding):
            if any(len(v) != 2 for v in padding):
                raise ValueError(f"each padding pair must be (before, after), got {padding!r}")
            before = tuple(_as_int("padding", v[0]) for v in padding)
            after = tuple(_as_int("padding", v[1]) for v in padding)
        else:
            before = after = expand_ints("padding", padding, ndim)
    else:
        before = after = expand_ints("padding", padding, ndim)
    if any(v < 0 for v in before + after):
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    return before, after


@dataclass(frozen=True)
class ConvParams:
    """Shapes and hyper-parameters of one convolution; spatial tuples have `ndim` entries."""

    ndim: int
    batch: int
    in_channels: int
    out_channels: int
    groups: int
    in_size: tuple
    kernel_size: tuple
    stride: tuple
    dilation: tuple
    pad_before: tuple
    pad_after: tuple
    out_size: tuple

    @property
    def x_shape(self):
        return (self.batch, self.in_channels) + self.in_size

    @property
    def w_shape(self):
        return (self.out_channels, self.in_channels // self.groups) + self.kernel_size

    @property
    def y_shape(self):
        return (self.batch, self.out_channels) + self.out_size

    def is_strided(self):
        return any(s != 1 for s in self.stride)

    def is_dilated(self):
        return any(d != 1 for d in self.dilation)

    def is_padded(self):
        return any(self.pad_before) or any(self.pad_after)

    def is_depthwise(self):
        return self.groups > 1 and self.groups == self.in_channels

    def is_pointwise(self):
        return all(k == 1 for k in self.kernel_size)

    def flops(self):
        """Multiply-adds counted as 2 flops: 2 * N * C_out * (C_in / groups) * prod(kernel) * prod(out)."""
        return self.flop_count

    @cached_property
    def flop_count(self):
        total = 2 * self.batch * self.out_channels * (self.in_channels // self.groups)
        for k in self.kernel_size:
            total *= k
        for o in self.out_size:
            total *= o
        return total

    def as_c_tuple(self):
        """The fields of ck_conv_params (csrc/include/cnnkern/ck_conv.h), spatial axes padded to 3-D."""
        return self.c_geom

    @cached_property
    def c_geom(self):
        lead = 3 - self.ndim

        def pad3(t, fill):
            return (fill,) * lead + tuple(t)

        return (
            self.batch, self.in_channels, self.out_channels, self.groups,
            pad3(self.in_size, 1), pad3(self.kernel_size, 1), pad3(self.out_size, 1),
            pad3(self.stride, 1), pad3(self.dilation, 1), pad3(self.pad_before, 0), pad3(self.pad_after, 0),
        )

    @cached_property
    def c_struct(self):
        """c_geom as the bytes of ck_conv_params' 25 int64 fields (num_threads excluded): the shims
        copy it instead of reading 25 Python ints on every call."""
        g = self.c_geom
        return _C_STRUCT.pack(*g[:4], *(v for t in g[4:] for v in t))


_C_STRUCT = struct.Struct("=25q")  # ck_conv_params up to num_threads (csrc/include/cnnkern/ck_conv.h)


def make_conv_params(ndim, x_shape, w_shape, *, stride=1, padding=0, dilation=1, groups=1):
    """Validate shapes and hyper-parameters of an ndim-D convolution and derive the output size."""
    x_shape, w_shape = tuple(x_shape), tuple(w_shape)
    if len(x_shape) != ndim + 2:
        raise ValueError(
            f"conv{ndim}d expects input of shape (N, C_in, {_axes(ndim)}) with {ndim + 2} dims, "
            f"got shape {x_shape}"
        )
    if len(w_shape) != ndim + 2:
        raise ValueError(
            f"conv{ndim}d expects weight of shape (C_out, C_in // groups, {_axes(ndim, 'k')}) with "
            f"{ndim + 2} dims, got shape {w_shape}"
        )
    groups = _as_int("groups", groups)
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    batch, in_channels = x_shape[:2]
    out_channels, in_per_group = w_shape[:2]
    if in_channels < 1 or out_channels < 1 or in_per_group < 1:
        raise ValueError(f"channel counts must be >= 1: input {x_shape}, weight {w_shape}")
    if in_channels % groups:
        raise ValueError(f"groups={groups} does not divide the input channels C_in={in_channels}")
    if out_channels % groups:
        raise ValueError(f"groups={groups} does not divide the output channels C_out={out_channels}")
    if in_per_group * groups != in_channels:
        raise ValueError(
            f"input has C_in={in_channels} channels but weight {w_shape} with groups={groups} "
            f"expects C_in = w.shape[1] * groups = {in_per_group * groups}"
        )
    in_size, kernel = x_shape[2:], w_shape[2:]
    if any(k < 1 for k in kernel):
        raise ValueError(f"kernel sizes must be >= 1, got weight shape {w_shape}")
    if any(i < 1 for i in in_size):
        raise ValueError(f"input spatial sizes must be >= 1, got input shape {x_shape}")
    stride = expand_ints("stride", stride, ndim, minimum=1)
    dilation = expand_ints("dilation", dilation, ndim, minimum=1)
    before, after = normalize_padding(padding, ndim, in_size, kernel, stride, dilation)
    out = tuple(
        conv_output_size(i, b, a, k, s, d)
        for i, b, a, k, s, d in zip(in_size, before, after, kernel, stride, dilation)
    )
    if any(o < 1 for o in out):
        raise ValueError(
            f"kernel {kernel} with dilation {dilation} is larger than the padded input "
            f"{tuple(i + b + a for i, b, a in zip(in_size, before, after))} "
            f"(input {in_size}, padding {tuple(zip(before, after))}): the output would be empty"
        )
    return ConvParams(
        ndim=ndim, batch=batch, in_channels=in_channels, out_channels=out_channels, groups=groups,
        in_size=in_size, kernel_size=kernel, stride=stride, dilation=dilation,
        pad_before=before, pad_after=after, out_size=out,
    )


def _axes(ndim, prefix=""):
    names = ("D", "H", "W")[3 - ndim:]
    return ", ".join(prefix + n for n in names)


def conv_output_shape(input_shape, weight_shape, stride=1, padding=0, dilation=1, groups=None):
    """Full output shape (N, C_out, *out_spatial) of a convolution, with the same checks as the ops.

    groups=None infers it as C_in // weight_shape[1] (the output shape does not depend on it).
    """
    input_shape, weight_shape = tuple(input_shape), tuple(weight_shape)
    ndim = len(input_shape) - 2
    if ndim not in (1, 2, 3):
        raise ValueError(f"input_shape must be (N, C, *spatial) with 1 to 3 spatial dims, got {input_shape}")
    if groups is None:
        ratio_ok = len(weight_shape) > 1 and weight_shape[1] > 0 and input_shape[1] % weight_shape[1] == 0
        groups = input_shape[1] // weight_shape[1] if ratio_ok else 1
    p = make_conv_params(ndim, input_shape, weight_shape, stride=stride, padding=padding,
                         dilation=dilation, groups=groups)
    return p.y_shape
