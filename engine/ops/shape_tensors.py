"""Sizes and shapes given as tensors: what is known while tracing, and the run-time tensor.

Inside `engine.function` a size may be a symbolic tensor (`engine.shape(x)[0]`, a loop
bound, a function argument), whose value exists only when the graph runs. The creation
ops (`fill`, `zeros`, `ones`, `range`, `TensorArray`) then take the size as a tensor input
of their node, as TensorFlow's `Fill(dims, value)` and `Range(start, limit, delta)` do, and
record in their static shape whatever is known already.

What is known comes from a small evaluation of the graph, as in TensorFlow's shape
inference (`constant_value_as_shape`): constants, the static dimensions of a `Shape` node,
and packing, concatenating, slicing, gathering and casting them; any other side-effect-free
op whose (small, integer) inputs are all known is run once on them, and so is one with no
inputs, on its attrs (a `Range` whose bounds were known while tracing). So
`engine.zeros([engine.shape(x)[0], 3])` has the static shape `(None, 3)` for `x` of shape
`(None, 4)`, and `engine.zeros(engine.shape(x))` has `(None, 4)`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, ShapeError
from engine.ops.math_ops import cast
from engine.ops.static_args import static_int
from engine.tensor import Tensor

__all__ = ["is_symbolic", "known_scalar", "known_int", "known_dims", "shape_argument"]

_INDEX_DTYPES = (_dt.int32, _dt.int64)
_MAX_KNOWN = 64  # elements: shape tensors are short; nothing larger is evaluated
_MAX_NODES = 64  # tensors looked at to evaluate one size, at most
# Ops that pick elements of their first input; the positions they pick come from running
# the kernel on `arange(n)` with the node's other (known) inputs and attrs.
_SELECTIONS = frozenset({"StridedSlice", "Slice", "GatherV2", "ReverseV2", "Identity"})
_STRUCTURAL = _SELECTIONS | {"Pack", "ConcatV2", "Cast"}


def is_symbolic(value) -> bool:
    """Whether `value` is a symbolic tensor (its value exists only when a graph runs)."""
    return isinstance(value, Tensor) and getattr(value, "_node", None) is not None


def known_int(value) -> int | None:
    """A scalar integer size as a Python int, or None if known only when the graph runs.

    Example:
        >>> engine.ops.shape_tensors.known_int(engine.constant(3))
        3
    """
    known = known_scalar(value)
    return None if known is None else int(known)


def known_dims(value) -> list | None:
    """A 1-D integer shape tensor as a list of ints, None where a dimension is unknown.

    Returns None when even the length is unknown.

    Example:
        >>> engine.ops.shape_tensors.known_dims(engine.constant([2, 3]))
        [2, 3]
    """
    known = _known(value)
    if known is None:
        length = _static_length(value)
        return None if length is None else [None] * length
    if known.ndim != 1:
        return None
    return [None if d is None else int(d) for d in known.tolist()]


def shape_argument(op: str, value) -> tuple:
    """A shape argument that holds symbolic tensors, split into what tracing knows and the
    tensor the graph computes it from.

    Args:
        op: the op's name for error messages.
        value: a 1-D (or scalar) integer tensor, or a list mixing Python ints and scalar
            integer tensors.

    Returns:
        `(dims, runtime)`: `dims` is a tuple of ints with None for dimensions known only
        when the graph runs (None itself when even the rank is unknown); `runtime` is the
        shape as a 1-D integer tensor, or None when every dimension is known.

    Raises:
        DTypeError: a non-integer dimension. ShapeError: a tensor of the wrong rank.
    """
    if isinstance(value, Tensor):
        tensor = _index_tensor(op, "shape", value)
        if tensor.shape.rank == 0:
            tensor = convert_to_tensor([tensor])
        elif tensor.shape.rank not in (None, 1):
            raise ShapeError(f"{op}: got a shape tensor of shape {tensor.shape}; expected a 1-D "
                             "integer tensor such as engine.shape(x), or a list of sizes.")
        dims = known_dims(tensor)
    else:
        items = list(value)
        for k, d in enumerate(items):
            if isinstance(d, Tensor):
                items[k] = _index_tensor(op, f"shape[{k}]", d)
                if items[k].shape.rank != 0:
                    raise ShapeError(f"{op}: shape[{k}] is a tensor of shape {d.shape}; "
                                     "expected a scalar (or pass one 1-D shape tensor).")
            else:
                items[k] = static_int(d, f"{op} shape[{k}]")
        dims = [known_int(d) if isinstance(d, Tensor) else d for d in items]
        wide = any(isinstance(d, Tensor) and d.dtype is _dt.int64 for d in items)
        dtype = _dt.int64 if wide else _dt.int32
        tensor = None
        if None in dims:
            tensor = convert_to_tensor([cast(d, dtype) if isinstance(d, Tensor) else d
                                        for d in items], dtype)
    if dims is not None and None not in dims:
        return tuple(dims), None
    return (None if dims is None else tuple(dims)), tensor


def known_scalar(value):
    """A scalar tensor's value as a Python number when tracing knows it, else None.

    Example:
        >>> engine.ops.shape_tensors.known_scalar(engine.constant(2.5))
        2.5
    """
    known = _known(value)
    if known is None or known.ndim != 0:
        return None
    return known.item()


def _index_tensor(op: str, what: str, value):
    if value.dtype not in _INDEX_DTYPES:
        raise DTypeError(f"{op}: {what} is a {value.dtype.name} tensor; expected int32 or "
                         f"int64. Cast it with engine.cast({what.split('[')[0]}, "
                         "engine.int32).")
    return value


def _static_length(value) -> int | None:
    shape = getattr(getattr(value, "_value", None), "shape", None)
    if shape is None or len(shape) != 1:
        return None
    return shape[0]


def _known(value, memo: dict | None = None) -> np.ndarray | None:
    """`value`'s elements as an object array (None where unknown), or None if its shape is
    not fully known, it is too large, or it is not a tensor of numbers."""
    if not isinstance(value, Tensor):
        return None
    node = getattr(value, "_node", None)
    if node is None:  # an eager tensor
        array = np.asarray(value._value)
        return array.astype(object) if array.size <= _MAX_KNOWN else None
    shape = value._value.shape
    if shape is None or None in shape or len(shape) > 1 or value._value.dtype.kind not in "iubf":
        return None
    if int(np.prod(shape)) > _MAX_KNOWN:
        return None
    memo = {} if memo is None else memo
    key = id(value)
    if key not in memo:
        memo[key] = None  # a cycle or too deep a chain: unknown
        known = _evaluate(node, value._index, memo) if len(memo) <= _MAX_NODES else None
        if known is None or known.shape != tuple(shape):
            known = np.full(shape, None, dtype=object)
        memo[key] = known
    return memo[key]


def _evaluate(node, index: int, memo: dict) -> np.ndarray | None:
    """What tracing knows of output `index` of `node`; the rules follow TensorFlow's.

    Besides the structural rules (`_structural`), any side-effect-free, non-random op whose
    inputs are all known is run once on them; that includes an op with no tensor inputs at
    all, which computes from its attrs (a `Range` whose bounds were known while tracing),
    as TensorFlow's `constant_value` evaluates it."""
    kind = node.type
    if kind == "Const":
        return np.asarray(node.value).astype(object)
    if kind == "Shape":
        dims = node.inputs[0]._value.shape
        return None if dims is None else np.array(dims, dtype=object).reshape(len(dims))
    parts = [_known(t, memo) for t in node.inputs]
    if kind in _STRUCTURAL:
        found = _structural(node, parts)
        if found is not None:
            return found
    op = node.op
    if op is None or op.stateful or node.stateful or "Random" in kind or not _all_known(parts):
        return None
    try:
        out = op.cpu_kernel(*_arrays(parts, node.inputs), **node.attrs)
    except Exception:  # noqa: BLE001 - unknown at trace time; the graph run reports it
        return None
    out = out[index] if isinstance(out, (tuple, list)) else out
    return np.asarray(out).astype(object)


def _structural(node, parts: list) -> np.ndarray | None:
    """The rules that move entries without computing with them: packing, concatenating,
    casting between integer types and selecting (`_SELECTIONS`). `parts` are the inputs'
    entries as object arrays (None where a whole input is unknown); an entry may be an int,
    None (unknown) or a `DimensionOf`, which these rules carry along unchanged."""
    kind = node.type
    if kind == "Pack" and node.attrs.get("axis", 0) == 0 and all(
            p is not None and p.ndim == 0 for p in parts):
        found = np.empty(len(parts), dtype=object)
        for k, p in enumerate(parts):
            found[k] = p.item()
        return found
    if kind == "ConcatV2" and all(p is not None and p.ndim == 1 for p in parts):
        return np.concatenate(parts)
    if kind == "Cast" and parts[0] is not None and node.inputs[0].dtype.is_integer and (
            _dt.as_dtype(node.attrs["dtype"]).is_integer):
        return parts[0]
    if kind in _SELECTIONS and parts and parts[0] is not None and parts[0].ndim == 1:
        if not _all_known(parts[1:]):
            return None
        positions = node.op.cpu_kernel(np.arange(len(parts[0])),
                                       *_arrays(parts[1:], node.inputs[1:]), **node.attrs)
        picked = np.asarray(positions)
        found = np.empty(picked.shape, dtype=object)
        found[...] = parts[0][picked]  # a 0-d pick gives the entry itself
        return found
    return None


def _all_known(parts: list) -> bool:
    """Whether every entry of every part is a number (not None, not a `DimensionOf`)."""
    return all(p is not None and not any(v is None or isinstance(v, DimensionOf)
                                         for v in p.ravel().tolist()) for p in parts)


def _arrays(parts: list, tensors: list) -> list:
    return [np.asarray(p.tolist(), t._value.dtype) for p, t in zip(parts, tensors)]


def known_values(value) -> np.ndarray | None:
    """A small integer tensor's elements as an int64 array when tracing knows every one.

    Like `known_dims` and `known_int` (nodes that compute from their attrs alone, such as
    a `Range` with bounds known while tracing, count as known, as TensorFlow's
    `constant_value` evaluates them): `engine.range(engine.rank(x))` for `x` of known rank.

    Args:
        value: anything; only integer tensors can be known.

    Returns:
        An int64 array of the tensor's shape, or None when some element is known only
        when the graph runs.

    Example:
        >>> engine.ops.shape_tensors.known_values(engine.constant([0, 1])).tolist()
        [0, 1]
    """
    if not isinstance(value, Tensor) or value.dtype not in _INDEX_DTYPES:
        return None
    known = _known(value)
    if known is None or not _all_known([known]):
        return None
    return np.asarray(known.tolist(), np.int64)


# --- integer lists other than shapes, and where unknown sizes come from ----------------------
def int_list_argument(op: str, what: str, value, names: list | None = None) -> tuple:
    """Like `shape_argument`, for any list of integers an op takes (`multiples`, `paddings`):
    what tracing knows of it, and the tensor the graph computes it from.

    Args:
        op: the op's name for error messages.
        what: the argument's name for error messages, e.g. "multiples".
        value: a 1-D integer tensor, or a list mixing Python ints and scalar integer tensors.
        names: one name per list entry for error messages (default `what[k]`).

    Returns:
        `(known, runtime)`: `known` is a tuple of ints with None where an entry is known only
        when the graph runs (None itself when even the length is unknown); `runtime` is the
        list as a 1-D integer tensor, or None when every entry is known.

    Raises:
        DTypeError: a non-integer entry. ShapeError: a tensor of the wrong rank.

    Example:
        >>> engine.ops.shape_tensors.int_list_argument("tile", "multiples", [2, 3])
        ((2, 3), None)
    """
    if isinstance(value, Tensor):
        tensor = _index_tensor(op, what, value)
        if tensor.shape.rank not in (None, 1):
            raise ShapeError(f"{op}: got {what} as a tensor of shape {tensor.shape}; expected a "
                             "1-D integer tensor or a list of ints and scalar integer tensors.")
        known = known_dims(tensor)
        if known is not None and None not in known:
            return tuple(known), None
        return (None if known is None else tuple(known)), tensor
    items = list(value)
    names = names or [f"{what}[{k}]" for k in range(len(items))]
    for k, item in enumerate(items):
        if isinstance(item, Tensor):
            _index_tensor(op, names[k], item)
            if item.shape.rank != 0:
                raise ShapeError(f"{op}: {names[k]} is a tensor of shape {item.shape}; expected "
                                 "a scalar integer tensor.")
        else:
            items[k] = static_int(item, f"{op} {names[k]}")
    known = tuple(known_int(d) if isinstance(d, Tensor) else d for d in items)
    if None not in known:
        return known, None
    wide = any(isinstance(d, Tensor) and d.dtype is _dt.int64 for d in items)
    dtype = _dt.int64 if wide else _dt.int32
    return known, convert_to_tensor([cast(d, dtype) if isinstance(d, Tensor) else d
                                     for d in items], dtype)


def run_time_ints(op: str, tf_name: str, what: str, array, known) -> tuple:
    """A kernel's run-time integer list input as a tuple of ints, checked against what
    tracing knew of it (`known`: ints, with None where anything goes; or None).

    Raises:
        InvalidArgumentError: a value that contradicts what tracing knew.
    """
    values = tuple(int(v) for v in array.reshape(-1).tolist())
    if known is not None:
        flat = tuple(k for item in known for k in (item if isinstance(item, tuple) else (item,)))
        if len(flat) != len(values) or any(k not in (None, v) for k, v in zip(flat, values)):
            from engine.errors import InvalidArgumentError  # noqa: PLC0415 - the error path

            raise InvalidArgumentError(
                f"{op}: {what} is {array.tolist()} when the graph runs; expected values like "
                f"{_listed(known)} (None: any), as known while tracing.", op=tf_name)
    return values


def _listed(known) -> list:
    return [list(k) if isinstance(k, tuple) else k for k in known]


class DimensionOf:
    """An unknown dimension read straight from a traced tensor's shape:
    `engine.shape(tensor)[axis]`. Two sizes with the same source are equal at run time."""

    __slots__ = ("tensor", "axis")

    def __init__(self, tensor, axis: int):
        self.tensor = tensor
        self.axis = axis

    def __repr__(self) -> str:
        return f"DimensionOf({self.tensor.name}, {self.axis})"


def dimension_sources(value) -> list | None:
    """A 1-D shape tensor's entries as tracing sees them: an int where it is known, a
    `DimensionOf` where it is an unknown dimension of a traced tensor, else None.

    As TensorFlow's shape inference keeps the dimension handles of `tf.shape(x)`, this lets
    `reshape(x, [shape(x)[0], -1])` for `x` of shape `(None, 2, 3)` know the shape
    `(None, 6)`. Returns None when even the length is unknown.

    Example:
        >>> engine.ops.shape_tensors.dimension_sources(engine.constant([2, -1]))
        [2, -1]
    """
    found = _sources(value, {})
    if found is None or found.ndim != 1:
        length = _static_length(value)
        return None if length is None else [None] * length
    return [d if d is None or isinstance(d, DimensionOf) else int(d) for d in found.tolist()]


def _sources(value, memo: dict) -> np.ndarray | None:
    """`_known`, except that unknown entries of `Shape` nodes are `DimensionOf`s and are
    followed through packing, concatenating, casting and selecting."""
    if not is_symbolic(value) or len(memo) > _MAX_NODES:
        return _known(value)
    key = id(value)
    if key in memo:
        return memo[key]
    memo[key] = None
    node = value._node
    kind = node.type
    found = None
    if kind == "Shape" and node.inputs[0]._value.shape is not None:
        source = node.inputs[0]
        dims = source._value.shape
        found = np.empty(len(dims), dtype=object)
        for axis, d in enumerate(dims):
            found[axis] = DimensionOf(source, axis) if d is None else d
    elif kind in _STRUCTURAL:
        found = _structural(node, [_sources(t, memo) for t in node.inputs])
    if found is None:
        found = _known(value)
    memo[key] = found
    return found


# --- a tensor's own shape as an op's size argument ------------------------------------------
def shape_of_tensor(value, rank: int | None = None) -> tuple:
    """A tensor's shape as an op's size argument: what tracing knows, and the run-time tensor.

    For gradients that rebuild an input's shape (`Conv2DBackpropInput`'s `input_sizes`,
    `AvgPoolGrad`'s `orig_input_shape`): eagerly, and whenever tracing knows every
    dimension, the shape is a tuple of ints and needs no tensor; otherwise the op takes
    `engine.shape(value)` as an input, as TensorFlow's ops do.

    Args:
        value: a tensor (eager or symbolic).
        rank: the rank the op expects, used when even `value`'s rank is unknown.

    Returns:
        `(dims, runtime)`: `dims` a tuple of ints with None where a dimension is known only
        when the graph runs (None when the rank is unknown and `rank` is not given);
        `runtime` None when every dimension is known, else `engine.shape(value)`.

    Example:
        >>> engine.ops.shape_tensors.shape_of_tensor(engine.ones([2, 3]))
        ((2, 3), None)
    """
    dims = value._value.shape
    if dims is not None:
        dims = tuple(dims)
        if None not in dims:
            return dims, None
    elif rank is not None:
        dims = (None,) * rank
    from engine.ops.shape_ops import shape  # noqa: PLC0415 - only symbolic shapes need it

    return dims, shape(value)
