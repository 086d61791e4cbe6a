"""Tensors filled with one value: fill, zeros, ones, zeros_like and ones_like.

`Fill` (a scalar broadcast to a shape) is the one differentiable op here: its gradient
sums the upstream gradient. `zeros` and `ones` are `fill` with a typed scalar;
`zeros_like` and `ones_like` are ops of their own, with no gradient.

The shape is the attr `dims` when it is known while tracing (always, eagerly). When some
size is known only when a graph runs (`engine.zeros([engine.shape(x)[0], 3])`), the node
also takes the shape as a 1-D integer tensor input, as TensorFlow's `Fill(dims, value)`
does, and `dims` keeps what tracing knows of it (`(None, 3)`); see `shape_tensors`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError, TracingError
from engine.ops.math_ops import cast
from engine.ops.shape_tensors import shape_argument
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


def _fill_infer(value, *shape, dims=None):
    if value.shape.rank not in (None, 0):
        raise ShapeError(f"fill: value must be a scalar; got shape {value.shape}.")
    if shape:  # the shape as a tensor input: dims holds what tracing knew of it
        s = shape[0]
        if s.dtype not in (_dt.int32, _dt.int64) or s.shape.rank not in (None, 1):
            raise ShapeError(f"fill: dims is a {s.dtype.name} tensor of shape {s.shape}; "
                             "expected a 1-D int32 or int64 tensor.")
        if dims is None and s.shape.rank == 1 and s.shape[0] is not None:
            dims = (None,) * s.shape[0]
    if dims is not None and any(d is not None and d < 0 for d in dims):
        raise ShapeError(f"fill: got dims {list(dims)}; expected sizes >= 0.")
    return TensorSpec(dims, value.dtype)


def _fill_kernel(xp, value, *shape, dims=None):
    if value.ndim:
        raise ValueError("fill: value must be a scalar")  # infer explains
    if shape:
        dims = _run_time_dims(shape[0], dims)
    return xp.full(dims, value, dtype=value.dtype)


def _run_time_dims(shape, known) -> tuple:
    """The shape tensor's value, checked against what tracing knew of it."""
    dims = tuple(int(d) for d in shape.tolist())
    if shape.ndim != 1 or any(d < 0 for d in dims) or (known is not None and (
            len(known) != len(dims) or any(k not in (None, d) for k, d in zip(known, dims)))):
        expected = "sizes >= 0" if known is None else f"a shape like {list(known)} (sizes >= 0)"
        raise InvalidArgumentError(f"fill: dims is {list(dims)} when the graph runs; expected "
                                   f"{expected}.", op="Fill")
    return dims


def _fill_vjp(ctx, g):
    return (_sum_all(g),) + (None,) * (len(ctx.inputs) - 1)


_FILL = register(OpDef(
    "fill", "Fill", ("value",), _fill_infer, _fill_kernel, vjp=_fill_vjp, attrs={"dims": None},
    same_dtype=(0,),
    doc="A tensor of shape dims filled with a scalar value. A shape known only when a graph "
        "runs is a second input (a 1-D int tensor); dims then holds the known sizes."))


def _sum_all(g):
    from engine.ops.reduce_ops import reduce_sum  # noqa: PLC0415 - reduce_ops imports us

    return reduce_sum(g)


def fill(dims, value, name=None):
    """A tensor of shape `dims` filled with the scalar `value`.

    Inside `engine.function`, `dims` may hold tensors known only when the graph runs: a
    1-D integer tensor (`engine.shape(x)`) or a list mixing ints and scalar integer tensors
    (`[engine.shape(x)[0], 3]`). The static shape keeps what is known, e.g. `(None, 3)`.

    Args:
        dims: the shape: a list, tuple or 1-D integer tensor.
        value: a scalar; its dtype is the result's dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of shape `dims`.

    Raises:
        ShapeError: a negative size, or a value that is not a scalar.

    Example:
        >>> engine.fill([2], 7).numpy()
        array([7, 7], dtype=int32)
    """
    try:
        shape = static_shape(dims, "fill")
    except TracingError:  # a symbolic size: its value exists only when the graph runs
        shape, runtime = shape_argument("fill", dims)
        if runtime is not None:
            return dispatch(_FILL, (value, runtime), {"dims": shape})
    return dispatch(_FILL, (value,), {"dims": shape})


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
