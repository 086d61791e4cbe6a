"""One-hot encoding: `one_hot` (TensorFlow's OneHot).

Each index becomes a vector of length `depth` along a new axis, holding `on_value` at
the index and `off_value` elsewhere; indices outside [0, depth) give all `off_value`.
It has no gradient rule: tapes do not record it.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops.static_args import static_int
from engine.registry import INTEGER, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["one_hot"]


def _one_hot_infer(indices, on_value, off_value, depth=0, axis=-1):
    _inf.check_dtype("one_hot", indices, INTEGER, "indices")
    dtype = _inf.same_dtype("one_hot", on_value, off_value)
    if on_value.shape.rank not in (None, 0) or off_value.shape.rank not in (None, 0):
        raise ShapeError(f"one_hot: on_value and off_value must be scalars; got shapes "
                         f"{on_value.shape} and {off_value.shape}.")
    if depth < 0:
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


def _one_hot_kernel(xp, indices, on_value, off_value, depth=0, axis=-1):
    if on_value.ndim or off_value.ndim or not -1 <= axis <= indices.ndim:
        raise ValueError("one_hot: bad on/off value or axis")
    axis = indices.ndim if axis == -1 else axis
    shape = [1] * (indices.ndim + 1)
    shape[axis] = depth
    hot = xp.expand_dims(indices, axis) == xp.arange(depth).reshape(shape)
    return xp.where(hot, on_value, off_value)


_ONE_HOT = register(OpDef(
    "one_hot", "OneHot", ("indices", "on_value", "off_value"), _one_hot_infer, _one_hot_kernel,
    vjp=None, attrs={"depth": 0, "axis": -1}, same_dtype=(1, 2),
    doc="One-hot vectors: on_value at each index, off_value elsewhere."))


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot encodes integer `indices` along a new dimension of size `depth`.

    Indices outside [0, depth) give rows of `off_value` (as in TensorFlow).

    Args:
        indices: an integer tensor.
        depth: the size of the new dimension.
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
    attrs = {"depth": static_int(depth, "one_hot depth"),
             "axis": -1 if axis is None else int(axis)}
    return dispatch(_ONE_HOT, (indices, on, off), attrs)
