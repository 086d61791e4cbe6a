"""Kernel helpers for bfloat16: compute in float32, round the result back to bfloat16.

NumPy knows bfloat16 only through the optional `ml_dtypes` package, and only partly:
its elementwise ufuncs are exact (each element is computed in float32 and rounded), but
its sums accumulate in bfloat16, so a sum of a few hundred ones stops growing at 256;
its matmul returns float32 (from a slow loop instead of BLAS); `einsum` refuses it; and
Python floats in an expression promote it to float32. TensorFlow's CPU kernels compute
bfloat16 in float32 and round once at the end; kernels do the same with this module:

- `@computes_in_float32` on a kernel that reduces, contracts or runs several steps;
- `run_in_float32(kernel, xp, ...)` from inside a kernel on a hot path, after a
  `x.dtype is BFLOAT16` test, so that float32 and float64 calls pay nothing more.

Integer, bool, float16/32/64 and complex inputs pass through untouched.
"""

from __future__ import annotations

import functools

import numpy as np

from engine import dtypes as _dt

__all__ = ["BFLOAT16", "computes_in_float32", "run_in_float32"]

# NumPy's bfloat16 dtype (one instance, so `is` compares), or None without ml_dtypes.
BFLOAT16 = _dt.bfloat16._np if _dt.bfloat16 is not None else None
_FLOAT32 = np.dtype(np.float32)


def run_in_float32(kernel, xp, *arrays, **attrs):
    """Runs `kernel(xp, *arrays, **attrs)` with bfloat16 arrays widened to float32.

    Args:
        kernel: an op kernel `kernel(xp, *arrays, **attrs)`.
        xp: the array module.
        *arrays: the kernel's array inputs; the bfloat16 ones are computed in float32.
        **attrs: the kernel's attributes.

    Returns:
        The kernel's output (or tuple of outputs), float32 outputs rounded to bfloat16.

    Example:
        >>> x = np.ones(1000, engine.bfloat16.as_numpy_dtype)
        >>> float(x.sum())  # NumPy adds in bfloat16: the sum stops growing at 256
        256.0
        >>> float(engine.ops.widening.run_in_float32(lambda xp, a: a.sum(), np, x))
        1000.0
    """
    wide = [a.astype(_FLOAT32) if a.dtype is BFLOAT16 else a for a in arrays]
    out = kernel(xp, *wide, **attrs)
    if type(out) is tuple or type(out) is list:
        return type(out)(_narrow(xp, o) for o in out)
    return _narrow(xp, out)


def _narrow(xp, out):
    if out.dtype != _FLOAT32:
        return out
    return xp.asarray(out).astype(BFLOAT16)  # asarray: a 0-d result may be a NumPy scalar


def computes_in_float32(kernel):
    """Decorates a kernel so that bfloat16 inputs run in float32 (see `run_in_float32`).

    Without ml_dtypes there is no bfloat16 and the kernel is returned unchanged.

    Args:
        kernel: an op kernel `kernel(xp, *arrays, **attrs)`.

    Returns:
        The kernel, wrapped: calls without a bfloat16 input go straight through.

    Example:
        >>> @engine.ops.widening.computes_in_float32
        ... def total(xp, x):
        ...     return x.sum()
        >>> y = total(np, np.ones(1000, engine.bfloat16.as_numpy_dtype))
        >>> y.dtype.name, float(y)
        ('bfloat16', 1000.0)
    """
    if BFLOAT16 is None:  # pragma: no cover - depends on the environment
        return kernel

    @functools.wraps(kernel)
    def wrapped(xp, *arrays, **attrs):
        for a in arrays:
            if a.dtype is BFLOAT16:
                return run_in_float32(kernel, xp, *arrays, **attrs)
        return kernel(xp, *arrays, **attrs)

    return wrapped
