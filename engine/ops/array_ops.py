"""Core shape ops.

Identity, reshape, expand_dims/squeeze, transpose and broadcast_to; the shape queries
(`shape`, `size`, `rank`) live in `shape_ops` and are re-exported here. Constructors (fill,
zeros, ones, …) live in `fill_ops`, stack/unstack/concat in `join_ops` and `where` in
`select_ops`.

Attributes such as shapes, axes and permutations are static Python values (they are part
of the op, not tensor inputs), so shape inference and graphs can rely on them; a shape
given as a tensor is converted to a tuple of ints first. Inside `engine.function` a shape
for `reshape` or `broadcast_to` may hold sizes known only when the graph runs: the node
then also takes it as a 1-D integer input, as TensorFlow's `Reshape(tensor, shape)` does,
and the attr keeps what tracing knows of the result's shape (see `shape_tensors`).
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError, TracingError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import shape_tensors as _st
from engine.ops import static_args as _sa
from engine.ops.shape_ops import rank, shape, size
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


def _reshape_infer(x, *runtime, shape=None):
    if not runtime:
        return TensorSpec(_reshape_target("reshape", x.shape, tuple(shape)), x.dtype)
    # The shape is a tensor input; `shape` holds what tracing knew of the output's shape.
    _check_shape_input("reshape", runtime[0])
    if shape is None and runtime[0].shape.rank == 1 and runtime[0].shape[0] is not None:
        shape = [None] * runtime[0].shape[0]
    return TensorSpec(shape, x.dtype)


def _check_shape_input(op: str, spec) -> None:
    if spec.dtype not in (_dt.int32, _dt.int64) or spec.shape.rank not in (None, 1):
        raise ShapeError(f"{op}: shape is a {spec.dtype.name} tensor of shape {spec.shape}; "
                         "expected a 1-D int32 or int64 tensor.")


def _reshape_kernel(xp, x, *runtime, shape=None):
    if not runtime:
        return x.reshape(shape)
    target = tuple(int(d) for d in runtime[0].tolist())
    try:
        out = x.reshape(target)
    except ValueError:
        out = None
    if out is None or target.count(-1) > 1 or (shape is not None and (
            len(shape) != out.ndim or any(k not in (None, d) for k, d in zip(shape, out.shape)))):
        known = "" if shape is None else f" (tracing knew the result's shape {list(shape)})"
        raise InvalidArgumentError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) to "
            f"{list(target)} when the graph runs{known}; expected as many elements, and at "
            "most one -1.", op="Reshape")
    return out


def _reshape_vjp(ctx, g):
    grad = reshape_like(g, ctx.inputs[0])
    return (grad,) if len(ctx.inputs) == 1 else (grad, None)


_RESHAPE = register(OpDef(
    "reshape", "Reshape", ("tensor",), _reshape_infer, _reshape_kernel, vjp=_reshape_vjp,
    attrs={"shape": None}, same_dtype=(0,),
    doc="Gives a tensor a new shape with the same elements. A shape known only when a graph "
        "runs is a second input (a 1-D int tensor); shape then holds the known sizes."))


def reshape(tensor, shape, name=None):
    """Returns `tensor` with a new `shape` (one dimension may be -1 to infer it).

    Inside `engine.function`, `shape` may hold sizes known only when the graph runs: a 1-D
    integer tensor or a list mixing ints and scalar integer tensors (`[engine.shape(x)[0],
    -1]`). The static shape keeps what is known: `(None, 6)` for that list and `x` of
    shape `(None, 2, 3)`.

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
    try:
        dims = _sa.static_shape(shape, "reshape")
    except TracingError:  # a symbolic size: its value exists only when the graph runs
        return _reshape_symbolic(tensor, shape)
    return dispatch(_RESHAPE, (tensor,), {"shape": dims})


def _reshape_symbolic(tensor, shape):
    dims, runtime = _st.shape_argument("reshape", shape)
    if runtime is None:
        return dispatch(_RESHAPE, (tensor,), {"shape": dims})
    if dims is not None and (dims.count(-1) > 1 or any(d is not None and d < -1 for d in dims)):
        raise ShapeError(f"reshape: shape {list(dims)} (None: known when the graph runs) has "
                         "more than one -1 or a negative size; expected sizes >= 0 and at most "
                         "one -1.")
    if not isinstance(tensor, Tensor) and not hasattr(tensor, "_read"):
        tensor = convert_to_tensor(tensor)
    known = _reshape_known(tensor, _st.dimension_sources(runtime))
    return dispatch(_RESHAPE, (tensor, runtime), {"shape": known})


def _reshape_known(x, sources):
    """What tracing knows of the shape `x` is reshaped to, given the target's entries (ints,
    `DimensionOf`s of traced tensors, None): as TensorFlow's shape inference, an unknown
    dimension of `x` given back as is cancels out, and one remaining unknown size is the
    ratio of the known sizes."""
    if sources is None:
        return None
    out = [d if isinstance(d, int) and d >= 0 else None for d in sources]
    in_shape = TensorShape(x.shape)
    if in_shape.rank is None:
        return tuple(out)
    in_dims = in_shape.as_list()
    free = {i for i, d in enumerate(in_dims) if d is None}
    open_out = []
    for j, d in enumerate(sources):
        if isinstance(d, _st.DimensionOf) and d.tensor is x and d.axis in free:
            free.discard(d.axis)
        elif out[j] is None:
            open_out.append(j)
    if free or len(open_out) > 1:
        return tuple(out)
    known_in = int(np.prod([d for d in in_dims if d is not None], dtype=np.int64))
    known_out = int(np.prod([d for d in out if d is not None], dtype=np.int64))
    if open_out and known_out and known_in % known_out == 0:
        out[open_out[0]] = known_in // known_out
    elif (open_out and known_out) or (not open_out and known_in != known_out):
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {x.shape} to "
                         f"{[d if isinstance(d, int) else None for d in sources]} (None: known "
                         f"when the graph runs); its known sizes hold {known_in} elements, the "
                         f"target's {known_out}. Check the shape.")
    return tuple(out)


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


def _broadcast_to_infer(x, *runtime, shape=None):
    if not runtime:
        out = _inf.broadcast_shapes("broadcast_to", x.shape, TensorShape(shape))
        if out != TensorShape(shape) and out.rank is not None:
            raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {list(shape)}.")
        return TensorSpec(shape, x.dtype)
    # The shape is a tensor input; `shape` holds what tracing knew of it.
    _check_shape_input("broadcast_to", runtime[0])
    if shape is None:
        length = runtime[0].shape[0] if runtime[0].shape.rank == 1 else None
        shape = None if length is None else (None,) * length
    if shape is None or x.shape.rank is None:
        return TensorSpec(shape, x.dtype)
    if x.shape.rank > len(shape):
        raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to a shape of rank "
                         f"{len(shape)}; expected at most as many dimensions as the target.")
    dims = list(shape)
    lead = len(dims) - x.shape.rank
    for i, d in enumerate(x.shape.as_list()):
        # An input dimension other than 1 is the output's, as in TensorFlow.
        if d is not None and d != 1:
            if dims[lead + i] not in (None, d):
                raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to "
                                 f"{list(shape)} (None: known when the graph runs).")
            dims[lead + i] = d
    return TensorSpec(dims, x.dtype)


def _broadcast_to_kernel(xp, x, *runtime, shape=None):
    if not runtime:
        return xp.broadcast_to(x, shape)
    dims = _st.run_time_ints("broadcast_to", "BroadcastTo", "shape", runtime[0], shape)
    try:
        return xp.broadcast_to(x, dims)
    except ValueError:
        raise InvalidArgumentError(f"broadcast_to: cannot broadcast shape {x.shape} to "
                                   f"{list(dims)} when the graph runs.", op="BroadcastTo") from None


def _broadcast_to_vjp(ctx, g):
    x = ctx.inputs[0]
    dims = x._value.shape
    extra = (None,) * (len(ctx.inputs) - 1)
    if dims is None or None not in dims or g._value.ndim is None:
        return (g,) + extra  # the tape sums g over the broadcast axes of x's known shape
    return (_sum_to_shape_of(g, x),) + extra


def _sum_to_shape_of(g, x):
    """`g` summed over the axes along which `x` was broadcast, when some of `x`'s sizes are
    known only at run time (where 1 means broadcast): each such axis of `g` is split into
    `(size // x_size, x_size)` and the first part is summed, as TensorFlow's
    BroadcastGradientArgs would decide when the graph runs."""
    from engine.ops.reduce_ops import reduce_sum  # noqa: PLC0415 - reduce_ops imports us

    dims = x._value.shape
    lead = g._value.ndim - len(dims)
    if lead:
        g = reduce_sum(g, axis=tuple(range(lead)))
    split, summed = [], []
    for i, d in enumerate(dims):
        size = g._value.shape[i]
        size = shape(g)[i] if size is None else size
        if d is not None and d != 1:
            split.append(size)
            continue
        x_size = shape(x)[i] if d is None else d
        summed.append(len(split))
        split += [_m.floordiv(size, _m.maximum(x_size, 1)), x_size]
    return reduce_sum(reshape(g, split), axis=tuple(summed))


_BROADCAST_TO = register(OpDef(
    "broadcast_to", "BroadcastTo", ("input",), _broadcast_to_infer, _broadcast_to_kernel,
    vjp=_broadcast_to_vjp, attrs={"shape": None},
    broadcasts=True, same_dtype=(0,),
    doc="Broadcasts a tensor to a shape. A shape known only when a graph runs is a second "
        "input (a 1-D int tensor); shape then holds the known sizes."))


def broadcast_to(input, shape, name=None):
    """Broadcasts `input` to `shape` with NumPy's rules.

    Inside `engine.function`, `shape` may hold sizes known only when the graph runs: a 1-D
    integer tensor or a list mixing ints and scalar integer tensors (`[3,
    engine.shape(x)[0]]`); the static shape keeps what is known.

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
    try:
        dims = _sa.static_shape(shape, "broadcast_to")
    except TracingError:  # a symbolic size: its value exists only when the graph runs
        dims, runtime = _st.shape_argument("broadcast_to", shape)
        if runtime is not None:
            return dispatch(_BROADCAST_TO, (input, runtime), {"shape": dims})
    return dispatch(_BROADCAST_TO, (input,), {"shape": dims})


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
    """`value` reshaped to the shape of `like` (known statically or only at run time)."""
    dims = like._value.shape
    if dims is None or list(dims).count(None) > 1:
        return reshape(value, shape(like))  # the shape becomes a node input
    return reshape(value, tuple(-1 if d is None else d for d in dims))
