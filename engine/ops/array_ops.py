"""Core shape and construction ops.

Identity, reshape, fill/zeros/ones, stack/unstack, concat, expand_dims/squeeze, transpose,
broadcast_to, where and the shape queries.

Attributes such as shapes, axes and permutations are static Python values (they are part
of the op, not tensor inputs), so shape inference and graphs can rely on them; a shape
given as a tensor is converted to a tuple of ints first.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.registry import OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = [
    "identity", "stop_gradient", "reshape", "zeros_like", "ones_like", "zeros", "ones", "fill",
    "stack", "unstack", "concat", "expand_dims", "squeeze", "transpose", "broadcast_to",
    "where", "shape", "size", "rank",
]


def static_shape(value, what: str = "shape") -> tuple:
    """A shape argument (list, tuple, TensorShape or 1-D int tensor) as a tuple of ints.

    -1 is kept (reshape infers it); None is not allowed.
    """
    if isinstance(value, TensorShape):
        value = value.as_list()
    if isinstance(value, Tensor) or hasattr(value, "_read"):
        value = np.asarray(value).tolist()
    if isinstance(value, (int, np.integer)):
        value = [value]
    try:
        return tuple(int(d) for d in value)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: got {value!r}; expected a list of ints.") from None


def _static_axis(axis):
    if isinstance(axis, Tensor) or hasattr(axis, "_read"):
        axis = np.asarray(axis).tolist()
    return axis


def _rank(s: TensorSpec):
    return s.shape.rank


# --- identity / stop_gradient --------------------------------------------------------------
_IDENTITY = register(OpDef("identity", "Identity", ("input",), lambda x: x,
                           lambda xp, x: x, vjp=lambda ctx, g: (g,),
                           doc="Returns the input unchanged."))
_STOP = register(OpDef("stop_gradient", "StopGradient", ("input",), lambda x: x,
                       lambda xp, x: x, vjp=None,
                       doc="Returns the input; gradients do not flow through it."))


def identity(input, name=None):
    """Returns a tensor with the value of `input` (copied to the current device scope).

    Args:
        input: a tensor, variable or value.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype (a variable's current value, for a variable).

    Example:
        >>> engine.identity(engine.Variable(2.0))
        <engine.Tensor: shape=(), dtype=float32, numpy=2.0>
    """
    return dispatch(_IDENTITY, (input,))


def stop_gradient(input, name=None):
    """Returns `input`; `GradientTape` treats the result as a constant.

    Args:
        input: a tensor, variable or value.
        name: ignored in eager mode.

    Returns:
        A tensor equal to `input` whose gradient is None.

    Example:
        >>> x = engine.constant(2.0)
        >>> with engine.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * engine.stop_gradient(x)
        >>> float(tape.gradient(y, x))
        2.0
    """
    return dispatch(_STOP, (input,))


# --- reshape --------------------------------------------------------------------------------
def _reshape_target(op: str, in_shape: TensorShape, shape: tuple) -> TensorShape:
    if shape.count(-1) > 1:
        raise ShapeError(f"{op}: shape {list(shape)} has more than one -1; at most one "
                         "dimension can be inferred.")
    if any(d < -1 for d in shape):
        raise ShapeError(f"{op}: shape {list(shape)} has a negative size other than -1.")
    total = in_shape.num_elements()
    known = 1
    for d in shape:
        if d != -1:
            known *= d
    if -1 in shape:
        if total is None:
            return TensorShape([None if d == -1 else d for d in shape])
        if known == 0 or total % known:
            raise ShapeError(f"{op}: cannot reshape a tensor of shape {in_shape} ({total} "
                             f"elements) to {list(shape)}: {total} is not a multiple of "
                             f"{known}.")
        return TensorShape([total // known if d == -1 else d for d in shape])
    if total is not None and total != known:
        raise ShapeError(f"{op}: cannot reshape a tensor of shape {in_shape} ({total} "
                         f"elements) to {list(shape)} ({known} elements); the number of "
                         "elements must match. Use -1 for one dimension to infer it.")
    return TensorShape(shape)


def _reshape_vjp(ctx, g):
    return (reshape(g, ctx.inputs[0]._value.shape),)


_RESHAPE = register(OpDef(
    "reshape", "Reshape", ("tensor",),
    lambda x, shape: TensorSpec(_reshape_target("reshape", x.shape, tuple(shape)), x.dtype),
    lambda xp, x, shape: x.reshape(shape), vjp=_reshape_vjp, attrs={"shape": None},
    doc="Gives a tensor a new shape with the same elements."))


def reshape(tensor, shape, name=None):
    """Returns `tensor` with a new `shape` (one dimension may be -1 to infer it).

    Args:
        tensor: a tensor or value.
        shape: a list, tuple, `TensorShape` or 1-D integer tensor.
        name: ignored in eager mode.

    Returns:
        A tensor of `shape` with the elements of `tensor` in row-major order.

    Raises:
        ShapeError: if the number of elements does not match.

    Example:
        >>> engine.reshape(engine.range(6), [2, -1]).shape
        TensorShape([2, 3])
    """
    return dispatch(_RESHAPE, (tensor,), {"shape": static_shape(shape, "reshape")})


# --- constructors --------------------------------------------------------------------------
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
    return out if dtype is None else _m.cast(out, dtype)


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
    return out if dtype is None else _m.cast(out, dtype)


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


# --- stack / unstack / concat ---------------------------------------------------------------
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
    return xp.stack(values, axis=axis)


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
    return dispatch(_PACK, tuple(values), {"axis": int(axis)})


def _unstack_infer(x, num=None, axis=0):
    rank = x.shape.rank
    axis = _inf.normalize_axis("unstack", axis, rank)
    count = x.shape[axis] if rank is not None else num
    if count is None:
        raise ShapeError(f"unstack: cannot infer the number of outputs from shape {x.shape}; "
                         "pass num=.")
    dims = x.shape.as_list()
    del dims[axis]
    return tuple(TensorSpec(dims, x.dtype) for _ in range(count))


def _unstack_kernel(xp, x, num=None, axis=0):
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
    return xp.concatenate(values, axis=axis)


def _concat_vjp(ctx, g):
    axis = ctx.attrs.get("axis", 0)
    sizes = [t._value.shape[axis] for t in ctx.inputs]
    from engine.ops.manip_ops import split  # noqa: PLC0415 - sits above this module

    return tuple(split(g, sizes, axis=axis))


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
    return dispatch(_CONCAT, tuple(values), {"axis": int(_static_axis(axis))})


# --- axes -----------------------------------------------------------------------------------
def _expand_infer(x, axis):
    rank = x.shape.rank
    if rank is None:
        return TensorSpec(None, x.dtype)
    axis = _inf.normalize_axis("expand_dims", axis, rank + 1)
    dims = x.shape.as_list()
    dims.insert(axis, 1)
    return TensorSpec(dims, x.dtype)


_EXPAND = register(OpDef("expand_dims", "ExpandDims", ("input",), _expand_infer,
                         lambda xp, x, axis: xp.expand_dims(x, axis), vjp=_reshape_vjp,
                         attrs={"axis": 0}, doc="Inserts a dimension of size 1."))


def expand_dims(input, axis, name=None):
    """Inserts a dimension of size 1 at `axis`.

    Args:
        input: a tensor.
        axis: where the new dimension goes, in `[-(rank + 1), rank]`.
        name: ignored in eager mode.

    Returns:
        A tensor of rank one more, with the same elements.

    Example:
        >>> engine.expand_dims(engine.zeros([3]), 0).shape
        TensorShape([1, 3])
    """
    return dispatch(_EXPAND, (input,), {"axis": int(_static_axis(axis))})


def _squeeze_infer(x, axis=None):
    rank = x.shape.rank
    if rank is None:
        return TensorSpec(None, x.dtype)
    if axis is None:
        if None in x.shape.as_list():
            return TensorSpec(None, x.dtype)
        return TensorSpec([d for d in x.shape if d != 1], x.dtype)
    axes = _inf.normalize_axes("squeeze", axis, rank)
    for a in axes:
        if x.shape[a] not in (1, None):
            raise ShapeError(f"squeeze: cannot squeeze axis {a} of shape {x.shape}; its size "
                             f"is {x.shape[a]}, expected 1.")
    return TensorSpec([d for i, d in enumerate(x.shape) if i not in axes], x.dtype)


def _squeeze_kernel(xp, x, axis=None):
    return xp.squeeze(x, axis=axis)


_SQUEEZE = register(OpDef("squeeze", "Squeeze", ("input",), _squeeze_infer, _squeeze_kernel,
                          vjp=_reshape_vjp, attrs={"axis": None}, tf_args={"squeeze_dims": "axis"},
                          doc="Removes dimensions of size 1."))


def squeeze(input, axis=None, name=None):
    """Removes dimensions of size 1 (all of them, or those in `axis`).

    Args:
        input: a tensor.
        axis: an int or list of ints; None removes every dimension of size 1.
        name: ignored in eager mode.

    Returns:
        A tensor with the same elements.

    Raises:
        ShapeError: if a dimension in `axis` is not of size 1.

    Example:
        >>> engine.squeeze(engine.zeros([1, 3, 1])).shape
        TensorShape([3])
        >>> engine.squeeze(engine.zeros([1, 3, 1]), axis=[0]).shape
        TensorShape([3, 1])
    """
    axis = _static_axis(axis)
    if isinstance(axis, (list, tuple)):
        axis = tuple(int(a) for a in axis)
    return dispatch(_SQUEEZE, (input,), {"axis": axis})


def _transpose_infer(x, perm=None):
    rank = x.shape.rank
    if rank is None:
        return TensorSpec(None, x.dtype)
    if perm is None:
        perm = tuple(reversed(range(rank)))
    if sorted(perm) != list(range(rank)):
        raise ShapeError(f"transpose: perm {list(perm)} is not a permutation of the "
                         f"{rank} axes of shape {x.shape}.")
    return TensorSpec([x.shape[p] for p in perm], x.dtype)


def _transpose_vjp(ctx, g):
    perm = ctx.attrs.get("perm")
    if perm is None:
        return (transpose(g),)
    return (transpose(g, tuple(int(i) for i in np.argsort(perm))),)


_TRANSPOSE = register(OpDef("transpose", "Transpose", ("x",), _transpose_infer,
                            lambda xp, x, perm=None: xp.transpose(x, perm), vjp=_transpose_vjp,
                            attrs={"perm": None}, doc="Permutes the axes."))


def transpose(a, perm=None, conjugate=False, name=None):
    """Permutes the axes of `a` (reverses them when `perm` is None).

    Args:
        a: a tensor.
        perm: a permutation of `range(rank)`, or None.
        conjugate: also take the complex conjugate (no effect on real tensors).
        name: ignored in eager mode.

    Returns:
        A tensor whose axis `i` is axis `perm[i]` of `a`.

    Example:
        >>> engine.transpose(engine.zeros([2, 3, 4]), [2, 0, 1]).shape
        TensorShape([4, 2, 3])
    """
    perm = None if perm is None else static_shape(perm, "transpose perm")
    out = dispatch(_TRANSPOSE, (a,), {"perm": perm})
    return _m.conj(out) if conjugate else out


def _broadcast_to_infer(x, shape):
    out = _inf.broadcast_shapes("broadcast_to", x.shape, TensorShape(shape))
    if out != TensorShape(shape) and out.rank is not None:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {list(shape)}.")
    return TensorSpec(shape, x.dtype)


_BROADCAST_TO = register(OpDef(
    "broadcast_to", "BroadcastTo", ("input",), _broadcast_to_infer,
    lambda xp, x, shape: xp.broadcast_to(x, shape), vjp=lambda ctx, g: (g,),
    attrs={"shape": None}, broadcasts=True, doc="Broadcasts a tensor to a shape."))


def broadcast_to(input, shape, name=None):
    """Broadcasts `input` to `shape` with NumPy's rules.

    Args:
        input: a tensor.
        shape: the target shape: a list, tuple or 1-D integer tensor.
        name: ignored in eager mode.

    Returns:
        A tensor of `shape`.

    Raises:
        ShapeError: if `input`'s shape does not broadcast to `shape`.

    Example:
        >>> engine.broadcast_to(engine.constant([1, 2]), [2, 2]).numpy()
        array([[1, 2],
               [1, 2]], dtype=int32)
    """
    return dispatch(_BROADCAST_TO, (input,), {"shape": static_shape(shape, "broadcast_to")})


# --- where ----------------------------------------------------------------------------------
def _where_infer(condition, x, y):
    if condition.dtype is not _dt.bool:
        raise _dt_error(condition)
    dtype = _inf.same_dtype("where", x, y)
    shape = _inf.broadcast_shapes("where", condition.shape, x.shape, y.shape)
    return TensorSpec(shape, dtype)


def _dt_error(condition):
    from engine.errors import DTypeError  # noqa: PLC0415

    return DTypeError(f"where: condition must be bool; got {condition.dtype.name}. Compare "
                      "first, e.g. engine.where(x > 0, ...).")


def _select_kernel(xp, c, x, y):
    if c.dtype != np.bool_:
        raise TypeError("where: condition must be bool")  # infer explains
    return xp.where(c, x, y)


def _where_vjp(ctx, g):
    condition = ctx.inputs[0]
    zeros = zeros_like(g)
    return None, where(condition, g, zeros), where(condition, zeros, g)


_SELECT = register(OpDef("where", "SelectV2", ("condition", "t", "e"), _where_infer,
                         _select_kernel, vjp=_where_vjp,
                         same_dtype=(1, 2), broadcasts=True,
                         doc="Chooses elements of x where condition holds, else of y."))


def _coords_infer(condition):
    if condition.dtype is not _dt.bool:
        raise _dt_error(condition)
    return TensorSpec([None, condition.shape.rank], _dt.int64)


_WHERE_COORDS = register(OpDef(
    "where_coords", "Where", ("input",), _coords_infer,
    lambda xp, c: xp.argwhere(c).astype(np.int64), vjp=None, dtypes=frozenset((_dt.bool,)),
    doc="The coordinates of the True elements, shape (num_true, rank)."))


def where(condition, x=None, y=None, name=None):
    """Elementwise `x if condition else y`, with broadcasting.

    With only `condition`, returns the int64 coordinates of its True elements, shape
    `(num_true, rank)` (as TF does).

    Args:
        condition: a bool tensor.
        x, y: tensors of one dtype, broadcastable with `condition`; give both or neither.
        name: ignored in eager mode.

    Returns:
        The chosen elements, or the coordinates of the True elements.

    Raises:
        DTypeError: if `condition` is a tensor that is not bool.
        ValueError: if only one of `x` and `y` is given.

    Example:
        >>> engine.where(engine.constant([True, False]), 1.0, 0.0).numpy()
        array([1., 0.], dtype=float32)
        >>> engine.where([True, False, True]).numpy()
        array([[0],
               [2]])
    """
    if x is None and y is None:
        return dispatch(_WHERE_COORDS, (condition,))
    if x is None or y is None:
        raise ValueError("where: give both x and y, or neither.")
    return dispatch(_SELECT, (condition, x, y))


# --- shape queries (values known eagerly) ---------------------------------------------------
def shape(input, out_type=_dt.int32, name=None):
    """The shape of `input` as a 1-D integer tensor.

    Args:
        input: a tensor or value.
        out_type: int32 or int64.
        name: ignored in eager mode.

    Returns:
        A 1-D tensor of length `rank(input)`.

    Example:
        >>> engine.shape(engine.zeros([2, 3])).numpy()
        array([2, 3], dtype=int32)
    """
    dims = tuple(convert_to_tensor(input)._value.shape)
    return convert_to_tensor(np.asarray(dims, _dt.as_dtype(out_type)._np))


def size(input, out_type=_dt.int32, name=None):
    """The number of elements of `input` as a scalar integer tensor.

    Args:
        input: a tensor or value.
        out_type: int32 or int64.
        name: ignored in eager mode.

    Returns:
        A scalar tensor of `out_type`.

    Example:
        >>> engine.size(engine.zeros([2, 3]))
        <engine.Tensor: shape=(), dtype=int32, numpy=6>
    """
    n = int(np.prod(convert_to_tensor(input)._value.shape))
    return convert_to_tensor(np.asarray(n, _dt.as_dtype(out_type)._np))


def rank(input, name=None):
    """The number of dimensions of `input` as a scalar int32 tensor.

    Args:
        input: a tensor or value.
        name: ignored in eager mode.

    Returns:
        A scalar int32 tensor.

    Example:
        >>> engine.rank(engine.zeros([2, 3]))
        <engine.Tensor: shape=(), dtype=int32, numpy=2>
    """
    return convert_to_tensor(np.asarray(convert_to_tensor(input)._value.ndim, np.int32))
