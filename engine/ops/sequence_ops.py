"""Sequences: `range` and `linspace`, evenly spaced values as 1-D (or stacked) tensors.

`range`'s start, limit and step are attributes, and its dtype is inferred from them as in
TensorFlow. Inside `engine.function` a bound may be a symbolic scalar (`engine.range(n)`
for an argument `n`); the node then takes all three as scalar inputs, as TensorFlow's
`Range(start, limit, delta)` does, and its static shape is `(None,)`. `linspace` takes
tensors (broadcast together) and is differentiable with respect to both ends; a symbolic
`num` is its third input, as in TensorFlow's `LinSpace(start, stop, num)`.
"""

from __future__ import annotations

import math

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, TracingError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops.math_ops import cast
from engine.ops.shape_tensors import is_symbolic, known_int, known_scalar
from engine.ops.static_args import static_int
from engine.ops.widening import BFLOAT16
from engine.registry import FLOAT, OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["range", "linspace"]


def _range_length(start, limit, delta) -> int:
    if delta == 0:
        raise InvalidArgumentError("range: delta is 0; expected a non-zero step.", op="Range")
    if (delta > 0 and start > limit) or (delta < 0 and start < limit):
        raise InvalidArgumentError(
            f"range: got start={start}, limit={limit}, delta={delta}; expected start <= limit "
            "when delta > 0 (start >= limit when delta < 0), as in TensorFlow.", op="Range")
    if all(isinstance(v, (int, np.integer)) for v in (start, limit, delta)):
        return int(-((start - limit) // delta))
    return int(math.ceil((limit - start) / delta))


def _range_infer(*bounds, start=0, limit=0, delta=1, dtype=_dt.int32):
    dtype = _dt.as_dtype(dtype)
    if not bounds:
        return TensorSpec([_range_length(start, limit, delta)], dtype)
    for name, spec in zip(("start", "limit", "delta"), bounds):
        if spec.shape.rank not in (None, 0) or spec.dtype is not dtype:
            raise ShapeError(f"range: {name} is a {spec.dtype.name} tensor of shape "
                             f"{spec.shape}; expected a {dtype.name} scalar.")
    return TensorSpec([None], dtype)


def _range_kernel(xp, *bounds, start=0, limit=0, delta=1, dtype=_dt.int32):
    if bounds:  # known only when the graph runs: scalar inputs of the node
        start, limit, delta = (b.item() for b in bounds)
    n = _range_length(start, limit, delta)
    np_dtype = _dt.as_dtype(dtype)._np
    if np_dtype.kind in "iu":
        return xp.arange(start, start + n * delta, delta, dtype=np_dtype)[:n]
    return (xp.arange(n, dtype=np.float64) * delta + start).astype(np_dtype)


_RANGE = register(OpDef("range", "Range", (), _range_infer, _range_kernel, vjp=None,
                        attrs={"start": 0, "limit": 0, "delta": 1, "dtype": _dt.int32},
                        tf_args={"Tidx": "dtype"},
                        doc="A 1-D sequence from start to limit (exclusive) in steps of delta. "
                            "Bounds known only when a graph runs are the node's three "
                            "scalar inputs (start, limit, delta); the attrs are then None."))
_RANGE_ORDER = tuple(d for d in (_dt.int32, _dt.int64, _dt.float16, _dt.bfloat16, _dt.float32,
                                  _dt.float64) if d is not None)


def _python_value(value):
    """(Python number or symbolic scalar tensor, its dtype) for a range argument."""
    if isinstance(value, bool):
        raise TypeError(f"range: got bool {value!r}; expected a number.")
    if isinstance(value, int):
        return value, _dt.int32 if -2**31 <= value < 2**31 else _dt.int64
    if isinstance(value, float):
        return value, _dt.float32
    if is_symbolic(value):
        if value.shape.rank not in (None, 0) or value.dtype not in _RANGE_ORDER:
            raise TypeError(f"range: got a {value.dtype.name} tensor of shape {value.shape}; "
                            "expected a scalar number.")
        known = known_scalar(value)
        return (value if known is None else known), value.dtype
    array = np.asarray(value)
    if array.ndim or not (array.dtype.kind in "iuf" or array.dtype is BFLOAT16):
        raise TypeError(f"range: got {value!r}; expected a scalar number.")
    return array.item(), _dt.from_numpy(array.dtype)


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """A 1-D tensor `[start, start + delta, ...]` up to (not including) `limit`.

    With one argument, counts from 0 to `start`. The dtype is inferred as in TensorFlow:
    the widest of the arguments' dtypes in int32 < int64 < float32 < float64 (Python ints
    are int32, floats float32), unless `dtype` is given. Inside `engine.function` the
    arguments may be scalar tensors known only when the graph runs; the result then has
    the static shape `(None,)`.

    Args:
        start: the first value (or, alone, the limit).
        limit: the end, not included.
        delta: the step.
        dtype: the output dtype.

    Returns:
        A 1-D tensor.

    Raises:
        InvalidArgumentError: delta == 0, or a delta pointing away from limit.

    Example:
        >>> engine.range(3, 10, 3).numpy()
        array([3, 6, 9], dtype=int32)
        >>> engine.range(0.0, 1.0, 0.25).numpy()
        array([0.  , 0.25, 0.5 , 0.75], dtype=float32)
    """
    if limit is None:
        start, limit = 0, start
    values = [_python_value(v) for v in (start, limit, delta)]
    if dtype is None:
        ranked = [d for _, d in values]
        dtype = max(ranked, key=lambda d: _RANGE_ORDER.index(d) if d in _RANGE_ORDER else -1)
    dtype = _dt.as_dtype(dtype)
    number = int if dtype.is_integer else float
    try:
        numbers = [number(v) for v, _ in values]
    except TracingError:  # a symbolic bound: its value exists only when the graph runs
        bounds = tuple(cast(v, dtype) if isinstance(v, Tensor) else number(v) for v, _ in values)
        return dispatch(_RANGE, bounds, {"start": None, "limit": None, "delta": None,
                                         "dtype": dtype})
    attrs = {"start": numbers[0], "limit": numbers[1], "delta": numbers[2], "dtype": dtype}
    return dispatch(_RANGE, (), attrs)


def _linspace_infer(start, stop, *count, num=0, axis=0):
    dtype = _inf.same_dtype("linspace", start, stop)
    _inf.check_dtype("linspace", start, FLOAT, "start")
    if count:  # num is a scalar input, known only when the graph runs
        if count[0].dtype not in (_dt.int32, _dt.int64) or count[0].shape.rank not in (None, 0):
            raise ShapeError(f"linspace: num is a {count[0].dtype.name} tensor of shape "
                             f"{count[0].shape}; expected an int32 or int64 scalar.")
    elif num < 0:
        raise ShapeError(f"linspace: num is {num}; expected >= 0.")
    shape = _inf.broadcast_shapes("linspace", start.shape, stop.shape)
    if shape.rank is None:
        return TensorSpec(None, dtype)
    axis = _inf.normalize_axis("linspace", axis, shape.rank + 1)
    dims = shape.as_list()
    dims.insert(axis, num)
    return TensorSpec(dims, dtype)


def _linspace_kernel(xp, start, stop, *count, num=0, axis=0):
    if count:
        num = int(count[0])
        if num < 0:
            raise InvalidArgumentError(f"linspace: num is {num} when the graph runs; expected "
                                       ">= 0.", op="LinSpace")
    if num < 0:
        raise ValueError("linspace: negative num")
    return xp.linspace(start, stop, num, axis=axis, dtype=start.dtype)


def _linspace_vjp(ctx, g):
    num = ctx.attrs["num"]
    rank = g._value.ndim
    axis = ctx.attrs.get("axis", 0) % rank
    shape = [1] * rank
    if num is not None:
        shape[axis] = num
        weights = np.linspace(0.0, 1.0, num).astype(g._value.dtype).reshape(shape)
    else:  # num is the third input: the weights are a LinSpace of their own
        shape[axis] = -1
        ends = [convert_to_tensor(np.asarray(v, g._value.dtype)) for v in (0.0, 1.0)]
        weights = _a.reshape(dispatch(_LINSPACE, (*ends, ctx.inputs[2]), {"num": None, "axis": 0}),
                             shape)
    g_stop = _r.reduce_sum(_m.multiply(g, weights), axis=axis)
    g_start = _m.subtract(_r.reduce_sum(g, axis=axis), g_stop)
    return (g_start, g_stop) + (None,) * (len(ctx.inputs) - 2)


_LINSPACE = register(OpDef("linspace", "LinSpace", ("start", "stop"), _linspace_infer,
                           _linspace_kernel, vjp=_linspace_vjp, attrs={"num": 0, "axis": 0},
                           dtypes=FLOAT, same_dtype=(0, 1), broadcasts=True,
                           doc="num evenly spaced values from start to stop (inclusive). A num "
                               "known only when a graph runs is a third input (an int scalar); "
                               "the attr num is then None."))


def linspace(start, stop, num, name=None, axis=0):
    """`num` evenly spaced values from `start` to `stop`, both included.

    `start` and `stop` may be tensors (broadcast together); the values run along `axis`.
    Integer inputs are converted to float64, as in TensorFlow (to the other end's float dtype
    when only one end is an integer). Inside `engine.function`, `num` may be a scalar
    integer tensor known only when the graph runs (`engine.shape(x)[0]`); the new dimension
    is then unknown while tracing.

    Args:
        start, stop: the first and last values (floating scalars or tensors).
        num: how many values (>= 0).
        axis: where the new dimension goes in the output.

    Returns:
        A tensor with `num` inserted at `axis` into the broadcast shape of start and stop.

    Example:
        >>> engine.linspace(0.0, 1.0, 5).numpy()
        array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    ends = []
    for value in (start, stop):
        if not isinstance(value, Tensor) and not hasattr(value, "_read"):
            value = convert_to_tensor(value)
        ends.append(value)
    floats = [v.dtype for v in ends if v.dtype.is_floating]
    # Integer ends become float64, as in TensorFlow, or the other end's float dtype.
    ends = [v if v.dtype.is_floating else _m.cast(v, floats[0] if floats else _dt.float64)
            for v in ends]
    attrs = {"num": None, "axis": static_int(axis, "linspace axis")}
    try:
        attrs["num"] = static_int(num, "linspace num")
    except TracingError:  # a symbolic num: its value exists only when the graph runs
        if num.dtype not in (_dt.int32, _dt.int64) or num.shape.rank not in (None, 0):
            raise DTypeError(f"linspace: num is a {num.dtype.name} tensor of shape "
                             f"{num.shape}; expected an int32 or int64 scalar. Cast it with "
                             "engine.cast(num, engine.int32).") from None
        attrs["num"] = known_int(num)
        if attrs["num"] is None:
            return dispatch(_LINSPACE, (*ends, num), attrs)
    return dispatch(_LINSPACE, tuple(ends), attrs)
