"""ConvPlan: a convolution whose weight and geometry are fixed, prepared once and run many times.

    plan = cnnkern.ConvPlan(w, x.shape, padding="same", algorithm="fft")
    y = plan.forward(x, b)
    dx, dw, db = plan.backward(dy, x)

For algorithm="fft" the plan holds the C plans (tiling, transform sizes and twiddle tables) and the
kernel spectra, so repeated calls skip the weight transform -- for many channels that is most of
a plain call's work. For algorithm="winograd" it holds the transformed kernels
(36/9 of the weight's size per direction, built on first use), so forward and backward_input skip the
kernel transform. For every other algorithm it holds the validated parameters and calls the
plain functions. A plan is immutable after creation (the backward-input spectrum and the
backward-weight plan are built on first use, under a lock) and may be used from several Python
threads at once. The weight is copied at creation: later changes to `w` do not affect the plan.
"""
import threading

import numpy as np

from . import _conv_ext, _execute
from . import _problem as P
from ._dtypes import as_compute_array, result_dtype
from ._params import as_int

__all__ = ["ConvPlan"]

_DIRECTION = _execute.DIRECTION_INDEX


def _flip_kernel(w, ndim):
    return np.ascontiguousarray(w[(Ellipsis,) + (slice(None, None, -1),) * ndim])


def _normalize_fft_tile(fft_tile, ndim):
    """None/"auto" -> 0 per axis, "whole" -> -1, int or one int per axis -> that tile transform size."""
    def one(v):
        if v is None or (isinstance(v, str) and v == "auto"):
            return 0
        if isinstance(v, str):
            if v == "whole":
                return -1
            raise ValueError(f"fft_tile must be None, 'auto', 'whole', an int or one per axis, got {v!r}")
        v = as_int("fft_tile", v)
        if v < 1 or _conv_ext.fft_good_size(v) != v:
            raise ValueError(f"fft_tile sizes must be 2^a 3^b 5^c >= 1, got {v}")
        return v
    if isinstance(fft_tile, (list, tuple)):
        if len(fft_tile) != ndim:
            raise ValueError(f"fft_tile must have one entry per spatial axis ({ndim}), got {fft_tile!r}")
        vals = tuple(one(v) for v in fft_tile)
    else:
        vals = (one(fft_tile),) * ndim
    return (0,) * (3 - ndim) + vals


class ConvPlan:
    """A convolution with fixed weight and input shape: forward / backward_input / backward_weight.

    Arguments as conv{d}d_forward (d = len(input_shape) - 2): stride, padding, dilation, groups,
    padding_mode, flip, algorithm ("auto" or a name of cnnkern.algorithms()). fft_tile (fft only):
    None (the cost model chooses), "whole" (one transform per image), or an int / one int per
    spatial axis: overlap-save tiles with that transform size (2^a 3^b 5^c, >= the kernel, even on
    the last axis). Inputs must have exactly `input_shape`.

    Dtype: the plan computes in w's dtype (float32 for float32 w, else float64), on every
    algorithm; x, b and dy are converted to it, and results have it.
    """

    def __init__(self, w, input_shape, *, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
                 flip=False, algorithm="auto", fft_tile=None):
        w = np.asarray(w)
        try:
            input_shape = tuple(as_int("input_shape", s) for s in input_shape)
        except TypeError:
            raise TypeError(f"input_shape must be a sequence of ints, got {input_shape!r}") from None
        ndim = len(input_shape) - 2
        if ndim not in (1, 2, 3):
            raise ValueError(f"input_shape must be (N, C, *spatial) with 1 to 3 spatial axes, got {input_shape}")
        dtype = result_dtype(("w", w))
        self.dtype = dtype
        self.ndim = ndim
        self.input_shape = input_shape
        self._flip = bool(flip)
        self._w = np.array(as_compute_array("w", w, dtype), copy=True)
        self._w.setflags(write=False)
        # the C kernels see the kernel as given, flipped once here when flip=True
        self._wk = _flip_kernel(self._w, ndim) if flip else self._w
        self._prob = P.ConvProblem("ConvPlan", ndim, input_shape, self._w.shape, stride, padding, dilation,
                                   groups, padding_mode, dtype)
        p = self._prob.params
        self.output_shape = self._prob.user.y_shape
        self.algorithm, self._factors = P.choose(self._prob, algorithm, "forward", self._wk)
        self._lock = threading.Lock()
        self._fft = {}
        self._algos = {}
        if self.algorithm == "fft":
            self._tile = _normalize_fft_tile(fft_tile, ndim)
            self._fft_prepare("forward")
        elif fft_tile is not None:
            raise ValueError(f"fft_tile applies to algorithm='fft' only, not {self.algorithm!r}")
        self._wino = {}  # direction -> transformed kernel (algorithm="winograd")
        if self.algorithm == "winograd":
            self._wino_prepare("forward")

    # ---- winograd: the transformed kernel per direction (csrc/conv/winograd/) -------------------
    def _wino_prepare(self, direction):
        U = self._wino.get(direction)
        if U is None:
            with self._lock:
                U = self._wino.get(direction)
                if U is None:
                    geom = self._prob.params.c_geom
                    U = np.empty(_conv_ext.winograd_weight_elems(geom), dtype=self.dtype)
                    _conv_ext.winograd_transform_weight(geom, _DIRECTION[direction], self._wk.ravel(), U,
                                                        _execute.threads_for(self._prob.params))
                    U.setflags(write=False)
                    self._wino[direction] = U
        return U

    def _wino_run(self, direction, inp, b, out):
        p = self._prob.params
        if p.batch:
            _conv_ext.winograd_run(p.c_struct, _DIRECTION[direction], self._wino_prepare(direction), inp.ravel(),
                                   None if b is None else b.ravel(), out.reshape(-1), _execute.threads_for(p))

    def _algorithm(self, direction):
        """The C algorithm of a backward direction: the plan's, except that separable has no weight
        gradient (auto computes it, as conv{d}d_backward does)."""
        if self.algorithm in _execute.WEIGHT_GRADIENT_STAND_IN and direction == "backward_weight":
            return P.choose(self._prob, _execute.WEIGHT_GRADIENT_STAND_IN[self.algorithm], direction)[0]
        algo = self._algos.get(direction)
        if algo is None:
            algo = self._algos[direction] = P.choose(self._prob, self.algorithm, direction, self._wk)[0]
        return algo

    # ---- fft machinery --------------------------------------------------------------------------
    def _fft_prepare(self, direction):
        """(C plan, kernel spectrum or None) for a direction; built once, under the lock."""
        entry = self._fft.get(direction)
        if entry is not None:
            return entry
        with self._lock:
            entry = self._fft.get(direction)
            if entry is None:
                p = self._prob.params
                itemsize = self.dtype.itemsize
                plan = _conv_ext.FFTPlan(p.as_c_tuple(), _DIRECTION[direction], self._tile, itemsize)
                spec = None
                if direction != "backward_weight":
                    spec = np.empty(2 * plan.spectrum_elems(), dtype=self.dtype)
                    plan.weight_spectrum(self._wk.ravel(), spec, _execute.threads_for(p))
                    spec.setflags(write=False)
                entry = (plan, spec)
                self._fft[direction] = entry
        return entry

    def fft_info(self, direction="forward"):
        """Transform sizes, tiles per axis and tiles per pass of the fft plan for a direction."""
        if self.algorithm != "fft":
            raise ValueError(f"fft_info needs algorithm='fft', this plan runs {self.algorithm!r}")
        if direction not in _DIRECTION:
            raise ValueError(f"direction must be one of {tuple(_DIRECTION)}, got {direction!r}")
        return self._fft_prepare(direction)[0].info()

    def _input(self, name, a):
        a = as_compute_array(name, a, self.dtype)  # no copy for a C-contiguous, aligned array of the dtype
        if a.shape != self.input_shape:
            raise ValueError(f"{name} has shape {a.shape}, but this plan was made for input shape {self.input_shape}")
        return a

    def _grad(self, dy):
        dy = as_compute_array("dy", dy, self.dtype)
        y_shape = self._prob.params.y_shape
        if dy.shape != y_shape:
            raise ValueError(f"dy has shape {dy.shape}, but the forward output has shape {y_shape}")
        return dy

    # ---- the three directions -------------------------------------------------------------------
    def forward(self, x, b=None, *, out=None):
        """y = conv(x, w) + b, as conv{d}d_forward with the plan's arguments."""
        xa = self._input("x", x)
        prob = self._prob
        p = prob.params
        ba = None if b is None else P.check_bias(b, p.out_channels, self.dtype)
        if out is None:
            y, copy = np.empty(self.output_shape, self.dtype), False
        else:
            y, copy = P.output(out, self.output_shape, self.dtype, (x, b))
        if prob.explicit_pad:
            xa = prob.prepare_input(xa)
        self._run("forward", xa, ba, y)
        if copy:
            out[...] = y
            return out
        return y

    def _run(self, direction, inp, b, out):
        """out = the pass `direction` ("forward" or "backward_input") of inp with the stored kernel."""
        p = self._prob.params
        if self.algorithm == "fft":
            if p.batch:
                plan, spec = self._fft_prepare(direction)
                plan.run(spec, inp.ravel(), b, out.reshape(-1), _execute.threads_for(p))
        elif self.algorithm == "winograd":
            self._wino_run(direction, inp, b, out)
        elif direction == "forward":
            _execute.run_forward(self.algorithm, p, inp, self._wk, b, out, self._factors)
        else:
            _execute.run_backward_input(self._algorithm("backward_input"), p, inp, self._wk, out)

    def backward_input(self, dy):
        """dL/dx for upstream gradient dy."""
        dy = self._grad(dy)
        p = self._prob.params
        dx = np.empty(p.x_shape, dtype=self.dtype)
        self._run("backward_input", dy, None, dx)
        return self._prob.finish_input_gradient(dx)

    def backward_weight(self, dy, x):
        """dL/dw for upstream gradient dy and the forward input x."""
        dy = self._grad(dy)
        x = self._input("x", x)
        p = self._prob.params
        dw = np.empty(p.w_shape, dtype=self.dtype)
        if self.algorithm == "fft":
            if not p.batch:
                dw[...] = 0
            else:
                plan, _ = self._fft_prepare("backward_weight")
                plan.run_bwd_weight(dy.ravel(), self._prob.prepare_input(x).ravel(), dw.reshape(-1),
                                    _execute.threads_for(p))
        else:
            _execute.run_backward_weight(self._algorithm("backward_weight"), p, dy,
                                         self._prob.prepare_input(x), dw)
        return _flip_kernel(dw, self.ndim) if self._flip else dw

    def backward(self, dy, x, *, bias=True):
        """(dx, dw, db) as conv{d}d_backward; db is None when bias=False."""
        dy = self._grad(dy)
        if self.algorithm not in ("fft", "winograd"):  # those run from the plan's stored transforms
            algo = self._algorithm("backward_input")
            if algo == self._algorithm("backward_weight"):
                x = self._input("x", x)
                fused = _execute.run_backward(algo, self._prob.params, dy, self._prob.prepare_input(x), self._wk,
                                              self.dtype, bias)
                if fused is not None:
                    dx, dw, db = fused
                    return (self._prob.finish_input_gradient(dx), _flip_kernel(dw, self.ndim) if self._flip else dw,
                            db)
        dx = self.backward_input(dy)
        dw = self.backward_weight(dy, x)
        db = _execute.run_backward_bias(self._prob.params, dy, self.dtype) if bias else None
        return dx, dw, db

    def __repr__(self):
        return (f"ConvPlan(input_shape={self.input_shape}, weight_shape={self._w.shape}, "
                f"algorithm={self.algorithm!r}, dtype={self.dtype.name})")
