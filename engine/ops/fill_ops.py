"""Tensors filled with one value: fill, zeros, ones, zeros_like and ones_like.

`Fill` (a scalar broadcast to a static shape) is the one differentiable op here: its
gradient sums the upstream gradient. `zeros` and `ones` are `fill` with a typed scalar;
`zeros_like` and `ones_like` are ops of their own, with no gradient.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops.math_ops import cast
from engine.ops.static_args import static_shape
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["zeros_like", "ones_like", "zeros", "ones", "fill"]


def _like_kernel(value):
    def kernel(xp, x):
        return xp.full(x.shape, value, dtype=x.dtype)

    return kernel


_ZEROS_LIKE = register(OpDef("zeros_like", "ZerosLike", ("x",), lambda x: x, _like_kernel(0),
                             vjp=None, doc="A tensor of zeros shaped like x."))
_ONES_LIKE = register(OpDef("ones_like", "OnesLike", ("x",), lambda x: x, _like_kernel(1),
                            vjp=None, doc="A tensor of ones shaped like x."))


def zeros_like(input, dtype=None, name=None):
    """A tensor of zeros with the shape (and, by default, dtype) of `input`.

    Args:
        input: a tensor or value.
        dtype: the result's dtype; None keeps `input`'s.
        name: ignored in eager mode.

    Returns:
        A tensor of zeros shaped like `input`.

    Example:
        >>> engine.zeros_like(engine.constant([[1, 2]])).numpy()
        array([[0, 0]], dtype=int32)
    """
    out = dispatch(_ZEROS_LIKE, (input,))
    return out if dtype is None else cast(out, dtype)


def ones_like(input, dtype=None, name=None):
    """A tensor of ones with the shape (and, by default, dtype) of `input`.

    Args:
        input: a tensor or value.
        dtype: the result's dtype; None keeps `input`'s.
        name: ignored in eager mode.

    Returns:
        A tensor of ones shaped like `input`.

    Example:
        >>> engine.ones_like(engine.constant([1.5, 2.5]), dtype=engine.int32).numpy()
        array([1, 1], dtype=int32)
    """
    out = dispatch(_ONES_LIKE, (input,))
    return out if dtype is None else cast(out, dtype)


def _fill_infer(value, dims):
    if value.shape.rank not in (None, 0):
        raise ShapeError(f"fill: value must be a scalar; got shape {value.shape}.")
    return TensorSpec(dims, value.dtype)


def _fill_kernel(xp, value, dims):
    if value.ndim:
        raise ValueError("fill: value must be a scalar")  # infer explains
    return xp.full(dims, value, dtype=value.dtype)


_FILL = register(OpDef("fill", "Fill", ("value",), _fill_infer, _fill_kernel,
                       vjp=lambda ctx, g: (_sum_all(g),), attrs={"dims": None},
                       doc="A tensor of shape dims filled with a scalar value."))


def _sum_all(g):
    from engine.ops.reduce_ops import reduce_sum  # noqa: PLC0415 - reduce_ops imports us

    return reduce_sum(g)


def fill(dims, value, name=None):
    """A tensor of shape `dims` filled with the scalar `value`.

    Args:
        dims: the shape: a list, tuple or 1-D integer tensor.
        value: a scalar; its dtype is the result's dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of shape `dims`.

    Example:
        >>> engine.fill([2], 7).numpy()
        array([7, 7], dtype=int32)
    """
    return dispatch(_FILL, (value,), {"dims": static_shape(dims, "fill")})


def zeros(shape, dtype=_dt.float32, name=None):
    """A tensor of zeros (float32 by default).

    Args:
        shape: a list, tuple or 1-D integer tensor.
        dtype: the result's dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of zeros of `shape` and `dtype`.

    Example:
        >>> engine.zeros([2, 3]).shape
        TensorShape([2, 3])
    """
    dtype = _dt.as_dtype(dtype)
    return fill(shape, np.zeros((), dtype._np))


def ones(shape, dtype=_dt.float32, name=None):
    """A tensor of ones (float32 by default).

    Args:
        shape: a list, tuple or 1-D integer tensor.
        dtype: the result's dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of ones of `shape` and `dtype`.

    Example:
        >>> engine.ones([2], engine.int64).numpy()
        array([1, 1])
    """
    dtype = _dt.as_dtype(dtype)
    return fill(shape, np.ones((), dtype._np))
