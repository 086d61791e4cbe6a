"""Joining tensors and its inverse: stack, unstack and concat.

`stack` and `unstack` are each other's gradients; the gradient of `concat` is a `split`
along the same axis.
"""

from __future__ import annotations

from engine.backend import cupy_backend
from engine.convert import _contains_tensors, convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops import shape_ops as _shape_ops
from engine.ops.array_ops import identity
from engine.ops.static_args import static_axis
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["stack", "unstack", "concat"]


def _stack_infer(*values, axis=0):
    if not values:
        raise ShapeError("stack: got an empty list; expected at least one tensor.")
    dtype = _inf.same_dtype("stack", *values)
    shape = values[0].shape
    for v in values[1:]:
        if not shape.is_compatible_with(v.shape):
            raise ShapeError(f"stack: got shapes {values[0].shape} and {v.shape}; expected all "
                             "tensors to have the same shape.")
        shape = shape.merge_with(v.shape)
    if shape.rank is None:
        return TensorSpec(None, dtype)
    axis = _inf.normalize_axis("stack", axis, shape.rank + 1)
    dims = shape.as_list()
    dims.insert(axis, len(values))
    return TensorSpec(dims, dtype)


def _stack_kernel(xp, *values, axis=0):
    if cupy_backend._capturing:
        return _join_by_copies(xp, values, axis, new_axis=True)
    return xp.stack(values, axis=axis)


def _join_by_copies(xp, values, axis: int, new_axis: bool):
    """stack / concatenate as one copy kernel per input, for a CUDA graph capture.

    CuPy's own join of many arrays copies a table of their addresses from the host, which
    a capture cannot record.
    """
    first = values[0]
    rank = first.ndim + (1 if new_axis else 0)
    axis = axis + rank if axis < 0 else axis
    sizes = [1 if new_axis else v.shape[axis] for v in values]
    shape = list(first.shape)
    if new_axis:
        shape.insert(axis, len(values))
    else:
        shape[axis] = sum(sizes)
    out = xp.empty(tuple(shape), xp.result_type(*values))
    start = 0
    lead = (slice(None),) * axis
    for v, size in zip(values, sizes):
        out[lead + (start if new_axis else slice(start, start + size),)] = v
        start += size
    return out


def _stack_vjp(ctx, g):
    return tuple(unstack(g, axis=ctx.attrs.get("axis", 0)))


_PACK = register(OpDef("stack", "Pack", ("*values",), _stack_infer, _stack_kernel,
                       vjp=_stack_vjp, attrs={"axis": 0},
                       doc="Stacks tensors of one shape along a new axis."))


def stack(values, axis=0, name=None):
    """Stacks a list of same-shape tensors along a new axis.

    Args:
        values: a list of tensors of one shape and dtype.
        axis: where the new axis goes, in `[-(rank + 1), rank]`.
        name: ignored in eager mode.

    Returns:
        A tensor of rank one more than the inputs.

    Raises:
        ShapeError: if the shapes differ.

    Example:
        >>> engine.stack([engine.constant([1, 2]), engine.constant([3, 4])], axis=1).numpy()
        array([[1, 3],
               [2, 4]], dtype=int32)
    """
    if int(axis) == 0 and not _contains_tensors(values):
        # As in TensorFlow, plain values convert as one list, so [1, 2.5] is float32 (one
        # at a time, each would take the first value's dtype, int32).
        try:
            return convert_to_tensor(values)
        except (TypeError, ValueError):
            pass  # e.g. ragged: the op below names the problem
    return dispatch(_PACK, tuple(values), {"axis": int(axis)})


def _unstack_infer(x, num=None, axis=0):
    rank = x.shape.rank
    axis = _inf.normalize_axis("unstack", axis, rank)
    known = x.shape[axis] if rank is not None else None
    if known is not None and num is not None and known != num:
        raise ShapeError(f"unstack: num={num} but dimension {axis} of shape {x.shape} is "
                         f"{known}; they must match.")
    count = known if known is not None else num
    if count is None:
        raise ShapeError(f"unstack: cannot infer the number of outputs from shape {x.shape}; "
                         "pass num=.")
    if rank is None:
        return tuple(TensorSpec(None, x.dtype) for _ in range(count))
    dims = x.shape.as_list()
    del dims[axis]
    return tuple(TensorSpec(dims, x.dtype) for _ in range(count))


def _unstack_kernel(xp, x, num=None, axis=0):
    if num is not None and x.ndim and x.shape[axis] != num:
        raise ValueError("unstack: num does not match the axis")  # infer explains
    return tuple(xp.moveaxis(x, axis, 0)) if axis else tuple(x)


def _unstack_vjp(ctx, *grads):
    return (stack(list(grads), axis=ctx.attrs.get("axis", 0)),)


_UNPACK = register(OpDef("unstack", "Unpack", ("value",), _unstack_infer, _unstack_kernel,
                         vjp=_unstack_vjp, attrs={"num": None, "axis": 0}, num_outputs=None,
                         doc="Splits a tensor into tensors along an axis."))


def unstack(value, num=None, axis=0, name=None):
    """Splits `value` along `axis` into a list of tensors of rank one less.

    Args:
        value: a tensor.
        num: the length of `axis`; needed only when it is unknown.
        axis: the axis to split along.
        name: ignored in eager mode.

    Returns:
        A list of `value.shape[axis]` tensors.

    Example:
        >>> [t.numpy() for t in engine.unstack(engine.constant([[1, 2], [3, 4]]))]
        [array([1, 2], dtype=int32), array([3, 4], dtype=int32)]
    """
    if num is None:  # record the count in the op, so graphs know it without the shape
        shape = getattr(value, "shape", None)
        rank = None if shape is None else shape.rank
        if rank:
            num = shape[int(axis) % rank]
    out = dispatch(_UNPACK, (value,), {"num": num, "axis": int(axis)})
    return list(out)


def _concat_infer(*values, axis=0):
    if not values:
        raise ShapeError("concat: got an empty list; expected at least one tensor.")
    dtype = _inf.same_dtype("concat", *values)
    ranks = {v.shape.rank for v in values if v.shape.rank is not None}
    if len(ranks) > 1:
        raise ShapeError(f"concat: got tensors of ranks {sorted(ranks)}; expected one rank. "
                         f"Shapes: {', '.join(str(v.shape) for v in values)}.")
    if not ranks:
        return TensorSpec(None, dtype)
    rank = ranks.pop()
    axis = _inf.normalize_axis("concat", axis, rank)
    dims = [None] * rank
    total = 0
    for v in values:
        for i, d in enumerate(v.shape):
            if i == axis:
                total = None if total is None or d is None else total + d
            elif d is not None:
                if dims[i] is not None and dims[i] != d:
                    raise ShapeError(
                        f"concat: got shapes {', '.join(str(s.shape) for s in values)}; "
                        f"expected equal sizes in every dimension but axis {axis} "
                        f"(dimension {i} is {dims[i]} and {d}).")
                dims[i] = d
    dims[axis] = total
    return TensorSpec(dims, dtype)


def _concat_kernel(xp, *values, axis=0):
    if cupy_backend._capturing:
        return _join_by_copies(xp, values, axis, new_axis=False)
    return xp.concatenate(values, axis=axis)


def _concat_vjp(ctx, g):
    axis = ctx.attrs.get("axis", 0)
    from engine.ops.manip_ops import split  # noqa: PLC0415 - sits above this module

    # A size known only when the graph runs is the input's `shape(t)[axis]`, a node.
    sizes = [_size_along(t, axis) for t in ctx.inputs]
    return tuple(split(g, sizes, axis=axis))


def _size_along(t, axis: int):
    dims = t._value.shape
    size = None if dims is None else dims[axis]
    return _shape_ops.shape(t)[axis] if size is None else size


_CONCAT = register(OpDef("concat", "ConcatV2", ("*values",), _concat_infer, _concat_kernel,
                         vjp=_concat_vjp, attrs={"axis": 0},
                         doc="Joins tensors along an existing axis."))


def concat(values, axis, name=None):
    """Joins a list of tensors along an existing `axis`.

    Args:
        values: a list of tensors of one dtype, equal in every dimension but `axis`.
        axis: the axis to join along (an int or scalar integer tensor).
        name: ignored in eager mode.

    Returns:
        A tensor of the same rank.

    Raises:
        ShapeError: if the ranks or the other dimensions differ.

    Example:
        >>> engine.concat([engine.zeros([2, 1]), engine.ones([2, 2])], axis=1).shape
        TensorShape([2, 3])
    """
    values = list(values)
    if len(values) == 1:
        return identity(values[0])
    return dispatch(_CONCAT, tuple(values), {"axis": int(static_axis(axis))})
