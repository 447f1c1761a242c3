"""The dtype policy shared by every cnnkern operator.

float32 and float64 are computed natively. The compute (and result) dtype is float32 when every
float input is float32, else float64: mixed float inputs promote to float64 (numpy.result_type of
the float inputs), bool and integer inputs count as float64. ConvPlan computes in its weight's
dtype, fixed at creation. Every algorithm follows the same rule. Anything else (complex, object, strings, float16, ...) raises
TypeError naming the dtype. Arrays are made C-contiguous only when they are not already; inputs are
never modified (read-only arrays are fine).
"""
import numpy as np

NATIVE_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_F32, _F64 = NATIVE_DTYPES


def _check_supported(name, dtype):
    if dtype in NATIVE_DTYPES or dtype.kind in "biu":
        return
    raise TypeError(
        f"{name} has dtype {dtype}, which cnnkern does not support; "
        "use float32 or float64 (bool and integer arrays are converted to float64)"
    )


def result_dtype(*named_arrays):
    """The compute dtype for (name, array) pairs, None entries skipped."""
    single = True
    seen = False
    for name, arr in named_arrays:
        if arr is None:
            continue
        dt = arr.dtype if type(arr) is np.ndarray else np.asarray(arr).dtype
        if dt is not _F32:
            _check_supported(name, dt)
            single = single and dt == _F32
        seen = True
    return _F32 if single and seen else _F64


def c_array(a, dtype):
    """`a` as a C-contiguous, aligned array of `dtype`, copying only when needed. The C code reads
    elements through typed pointers: an element at an address that is not a multiple of its size
    (np.frombuffer at an odd offset, a field of a packed record) is undefined behaviour there."""
    return np.require(a, dtype=dtype, requirements=("C", "A"))


def as_compute_array(name, arr, dtype):
    """`arr` as a C-contiguous, aligned array of `dtype`, copying only when needed."""
    if type(arr) is np.ndarray and arr.dtype is dtype and arr.flags.c_contiguous and arr.flags.aligned:
        return arr
    a = np.asarray(arr)
    _check_supported(name, a.dtype)
    return c_array(a, dtype)


def check_out(out, shape, dtype):
    """Validate a caller-provided output array."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"out has shape {out.shape}, expected {tuple(shape)}")
    if out.dtype != dtype:
        raise TypeError(f"out has dtype {out.dtype}, expected {dtype}")
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    return out
