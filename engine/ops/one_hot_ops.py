"""Indicator encodings: `one_hot` (TensorFlow's OneHot) and `sequence_mask`.

`one_hot`: each index becomes a vector of length `depth` along a new axis, holding
`on_value` at the index and `off_value` elsewhere; indices outside [0, depth) give all
`off_value`. It has no gradient rule: tapes do not record it. Inside `engine.function`
`depth` may be a scalar tensor known only when the graph runs; the node then takes it as
a fourth input, as TensorFlow's `OneHot(indices, depth, on_value, off_value)` does.

`sequence_mask` is a composite, as in TensorFlow: `range(maxlen) < lengths[..., None]`.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError, TracingError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops import sequence_ops as _seq
from engine.ops.shape_tensors import known_int
from engine.ops.static_args import static_int
from engine.registry import INTEGER, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["one_hot", "sequence_mask"]


def _one_hot_infer(indices, on_value, off_value, *depth_input, depth=0, axis=-1):
    _inf.check_dtype("one_hot", indices, INTEGER, "indices")
    dtype = _inf.same_dtype("one_hot", on_value, off_value)
    if on_value.shape.rank not in (None, 0) or off_value.shape.rank not in (None, 0):
        raise ShapeError(f"one_hot: on_value and off_value must be scalars; got shapes "
                         f"{on_value.shape} and {off_value.shape}.")
    if depth_input:  # known only when the graph runs: the depth attr is None
        d = depth_input[0]
        if d.dtype not in (_dt.int32, _dt.int64) or d.shape.rank not in (None, 0):
            raise ShapeError(f"one_hot: depth is a {d.dtype.name} tensor of shape {d.shape}; "
                             "expected an int32 or int64 scalar.")
    elif depth is None or depth < 0:
        raise ShapeError(f"one_hot: depth is {depth}; expected >= 0.")
    rank = indices.shape.rank
    if rank is None:
        return TensorSpec(None, dtype)
    if not -1 <= axis <= rank:
        raise ShapeError(f"one_hot: axis {axis} is out of range for indices of rank {rank}; "
                         f"expected -1 <= axis <= {rank}.")
    dims = indices.shape.as_list()
    dims.insert(rank if axis == -1 else axis, depth)
    return TensorSpec(dims, dtype)


def _one_hot_kernel(xp, indices, on_value, off_value, *depth_input, depth=0, axis=-1):
    if (on_value.ndim or off_value.ndim or not -1 <= axis <= indices.ndim
            or indices.dtype.kind not in "iu"):  # `infer` explains which
        raise ValueError("one_hot: bad indices, on/off value or axis")
    if depth_input:
        depth = int(depth_input[0].reshape(()))
        if depth < 0:
            raise InvalidArgumentError(f"one_hot: depth is {depth} when the graph runs; "
                                       "expected >= 0.", op="OneHot")
    axis = indices.ndim if axis == -1 else axis
    shape = [1] * (indices.ndim + 1)
    shape[axis] = depth
    hot = xp.expand_dims(indices, axis) == xp.arange(depth).reshape(shape)
    return xp.where(hot, on_value, off_value)


_ONE_HOT = register(OpDef(
    "one_hot", "OneHot", ("indices", "on_value", "off_value"), _one_hot_infer, _one_hot_kernel,
    vjp=None, attrs={"depth": 0, "axis": -1}, same_dtype=(1, 2),
    doc="One-hot vectors: on_value at each index, off_value elsewhere. A depth known only "
        "when a graph runs is a fourth input (an int scalar); the depth attr is then None."))


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot encodes integer `indices` along a new dimension of size `depth`.

    Indices outside [0, depth) give rows of `off_value` (as in TensorFlow).

    Args:
        indices: an integer tensor.
        depth: the size of the new dimension: an int, or (inside `engine.function`) a
            scalar int tensor, perhaps known only when the graph runs.
        on_value, off_value: the values for hot and cold entries (default 1 and 0).
        axis: where the new dimension goes (default -1, the end).
        dtype: the output dtype (default: that of on_value/off_value, else float32).

    Returns:
        A tensor of shape `indices.shape` with `depth` inserted at `axis`.

    Example:
        >>> engine.one_hot([0, 2], 3).numpy()
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    given = on_value if on_value is not None else off_value
    if dtype is None:
        dtype = _dt.float32 if given is None else convert_to_tensor(given).dtype
    dtype = _dt.as_dtype(dtype)
    on = convert_to_tensor(1 if on_value is None else on_value, dtype)
    off = convert_to_tensor(0 if off_value is None else off_value, dtype)
    axis = -1 if axis is None else int(axis)
    try:
        depth = static_int(depth, "one_hot depth")
    except TracingError:  # a symbolic depth: its value exists only when the graph runs
        known = known_int(depth)
        if known is None:
            return dispatch(_ONE_HOT, (indices, on, off, depth), {"depth": None, "axis": axis})
        depth = known
    return dispatch(_ONE_HOT, (indices, on, off), {"depth": depth, "axis": axis})


def sequence_mask(lengths, maxlen=None, dtype=_dt.bool, name=None):
    """A mask of the first `lengths[i]` positions of each row: `range(maxlen) < lengths`.

    `mask[i, j] = j < lengths[i]`, for every index `i` of `lengths` (of any shape).

    Args:
        lengths: an integer tensor of sequence lengths.
        maxlen: the mask's last dimension: an int or scalar tensor (inside
            `engine.function` perhaps known only when the graph runs); None (default)
            means `max(lengths)` (at least 0).
        dtype: the result's dtype (bool by default; True and False cast to it).
        name: ignored in eager mode.

    Returns:
        A tensor of shape `lengths.shape + [maxlen]`.

    Raises:
        ValueError: a `maxlen` that is not a scalar.

    Example:
        >>> engine.sequence_mask([1, 3, 2], 4).numpy()
        array([[ True, False, False, False],
               [ True,  True,  True, False],
               [ True,  True, False, False]])
    """
    lengths = convert_to_tensor(lengths)
    if maxlen is None:
        maxlen = _m.maximum(_r.reduce_max(lengths), _m.cast(0, lengths.dtype))
    else:
        maxlen = convert_to_tensor(maxlen)
        if maxlen.shape.rank not in (None, 0):
            raise ValueError(f"sequence_mask: got maxlen of shape {maxlen.shape}; expected a "
                             "scalar (the length of the mask's last dimension).")
    positions = _seq.range(maxlen, dtype=maxlen.dtype)  # (maxlen,)
    mask = _m.less(positions, _m.cast(_a.expand_dims(lengths, -1), maxlen.dtype))
    return mask if _dt.as_dtype(dtype) is _dt.bool else _m.cast(mask, dtype)
