"""Core shape ops.

Identity, reshape, expand_dims/squeeze, transpose, broadcast_to and the shape queries.
Constructors (fill, zeros, ones, …) live in `fill_ops`, stack/unstack/concat in `join_ops`
and `where` in `select_ops`.

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
from engine.ops import static_args as _sa
from engine.registry import OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = [
    "identity", "stop_gradient", "reshape", "expand_dims", "squeeze", "transpose",
    "broadcast_to", "shape", "size", "rank",
]


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
    return (reshape_like(g, ctx.inputs[0]),)


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
    return dispatch(_RESHAPE, (tensor,), {"shape": _sa.static_shape(shape, "reshape")})


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
    return dispatch(_EXPAND, (input,), {"axis": int(_sa.static_axis(axis))})


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
    axis = _sa.static_axis(axis)
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
    perm = None if perm is None else _sa.static_shape(perm, "transpose perm")
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
    return dispatch(_BROADCAST_TO, (input,), {"shape": _sa.static_shape(shape, "broadcast_to")})


# --- shape queries -------------------------------------------------------------------------
# Eagerly, and while tracing when the shape is fully known, the answers are constants. The
# ops run only in graphs where some dimension is known only at run time.
def _shape_infer(x, out_type="int32"):
    return TensorSpec([x.shape.rank], _dt.as_dtype(out_type))


def _shape_kernel(xp, x, out_type="int32"):
    return xp.asarray(x.shape, dtype=_dt.as_dtype(out_type)._np)


def _size_kernel(xp, x, out_type="int32"):
    return xp.asarray(x.size, dtype=_dt.as_dtype(out_type)._np)


_SHAPE = register(OpDef("shape", "Shape", ("input",), _shape_infer, _shape_kernel,
                        attrs={"out_type": "int32"},
                        doc="The shape of a tensor as a 1-D integer tensor."))
_SIZE = register(OpDef("size", "Size", ("input",),
                       lambda x, out_type="int32": TensorSpec([], _dt.as_dtype(out_type)),
                       _size_kernel, attrs={"out_type": "int32"},
                       doc="The number of elements of a tensor."))


def _out_type(out_type, caller: str) -> str:
    dtype = _dt.as_dtype(out_type)
    if dtype not in (_dt.int32, _dt.int64):
        raise ValueError(f"{caller}: out_type must be int32 or int64; got {dtype.name}.")
    return dtype.name


def _static_dims(input):
    """The input's shape as a tuple if fully known, else None (a symbolic tensor)."""
    x = input if isinstance(input, Tensor) else convert_to_tensor(input)
    dims = x._value.shape
    return x, (None if dims is None or None in dims else tuple(dims))


def shape(input, out_type=_dt.int32, name=None):
    """The shape of `input` as a 1-D integer tensor.

    Args:
        input: a tensor or value.
        out_type: int32 or int64.
        name: ignored in eager mode.

    Returns:
        A 1-D tensor of length `rank(input)` (computed when the graph runs if some
        dimension is unknown while tracing).

    Example:
        >>> engine.shape(engine.zeros([2, 3])).numpy()
        array([2, 3], dtype=int32)
    """
    kind = _out_type(out_type, "shape")
    x, dims = _static_dims(input)
    if dims is None:
        return dispatch(_SHAPE, (x,), {"out_type": kind})
    return convert_to_tensor(np.asarray(dims, _dt.as_dtype(kind)._np))


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
    kind = _out_type(out_type, "size")
    x, dims = _static_dims(input)
    if dims is None:
        return dispatch(_SIZE, (x,), {"out_type": kind})
    return convert_to_tensor(np.asarray(int(np.prod(dims)), _dt.as_dtype(kind)._np))


def rank(input, name=None):
    """The number of dimensions of `input` as a scalar int32 tensor.

    Args:
        input: a tensor or value.
        name: ignored in eager mode.

    Returns:
        A scalar int32 tensor.

    Raises:
        ValueError: while tracing a tensor of unknown rank.

    Example:
        >>> engine.rank(engine.zeros([2, 3]))
        <engine.Tensor: shape=(), dtype=int32, numpy=2>
    """
    ndim = convert_to_tensor(input)._value.ndim
    if ndim is None:
        raise ValueError("rank: the tensor's rank is unknown while tracing; give the "
                         "function an input_signature with a known rank.")
    return convert_to_tensor(np.asarray(ndim, np.int32))


def broadcast_like(value, like):
    """`value` broadcast to the shape of `like` (known statically or only at run time).

    Gradient rules use it to restore a reduced or broadcast gradient to an input's shape.
    """
    dims = like._value.shape
    if dims is not None and None not in dims:
        return broadcast_to(value, tuple(dims))
    from engine.ops import fill_ops  # noqa: PLC0415 - fill_ops imports this module

    return _m.add(value, fill_ops.zeros_like(like))


def reshape_like(value, like):
    """`value` reshaped to the shape of `like`; one unknown dimension is inferred."""
    dims = like._value.shape
    if dims is None or list(dims).count(None) > 1:
        from engine.errors import UnimplementedError  # noqa: PLC0415

        raise UnimplementedError(
            f"reshape to the shape of {getattr(like, 'name', 'a tensor')} ({like.shape}): more "
            "than one dimension is unknown while tracing. Give engine.function an "
            "input_signature with at most one None per tensor, or no input_signature.")
    return reshape(value, tuple(-1 if d is None else d for d in dims))
