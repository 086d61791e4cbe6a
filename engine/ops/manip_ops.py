"""Rearranging tensors: `pad`, `tile`, `split`, `reverse`, `roll`, `repeat`, `meshgrid`.

`pad` (CONSTANT, REFLECT and SYMMETRIC) lives in `pad_ops` and is re-exported here.
`repeat` and `meshgrid` are composites of `gather`, `reshape` and `broadcast_to`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError, TracingError, UnimplementedError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import reduce_ops as _r
from engine.ops import static_args as _sa
from engine.ops.gather_ops import gather
from engine.ops.join_ops import concat
from engine.ops.pad_ops import pad
from engine.ops.shape_tensors import int_list_argument, is_symbolic, run_time_ints
from engine.ops.static_args import concrete_shape, static_int
from engine.registry import OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["pad", "tile", "split", "reverse", "roll", "repeat", "meshgrid"]


# --- tile ---------------------------------------------------------------------------------
def _tile_infer(x, *runtime, multiples=()):
    if runtime:  # the multiples are a tensor input; `multiples` holds what tracing knew
        spec = runtime[0]
        if spec.dtype not in (_dt.int32, _dt.int64) or spec.shape.rank not in (None, 1):
            raise ShapeError(f"tile: multiples is a {spec.dtype.name} tensor of shape "
                             f"{spec.shape}; expected a 1-D int32 or int64 tensor.")
        if multiples is None and spec.shape.rank == 1 and spec.shape[0] is not None:
            multiples = (None,) * spec.shape[0]
    if multiples is None:
        return TensorSpec(None if x.shape.rank is None else [None] * x.shape.rank, x.dtype)
    if x.shape.rank is None:
        return TensorSpec([None] * len(multiples), x.dtype)
    if len(multiples) != x.shape.rank or any(m is not None and m < 0 for m in multiples):
        raise ShapeError(f"tile: got multiples {list(multiples)} for a tensor of shape "
                         f"{x.shape}; expected {x.shape.rank} non-negative entries.")
    return TensorSpec([_tiled(d, m) for d, m in zip(x.shape, multiples)], x.dtype)


def _tiled(d, m):
    if d is not None and m is not None:
        return d * m
    if m == 1 or (m is None and d == 0):
        return d
    return 0 if m == 0 else None


def _tile_kernel(xp, x, *runtime, multiples=()):
    if runtime:
        multiples = run_time_ints("tile", "Tile", "multiples", runtime[0], multiples)
    if len(multiples) != x.ndim or any(m < 0 for m in multiples):
        if runtime:
            raise InvalidArgumentError(f"tile: multiples is {list(multiples)} when the graph "
                                       f"runs, for a tensor of shape {x.shape}; expected "
                                       f"{x.ndim} non-negative entries.", op="Tile")
        raise ValueError("tile: bad multiples")
    return xp.tile(x, multiples)


def _tile_vjp(ctx, g):
    x = ctx.inputs[0]
    dims = x._value.shape
    multiples = ctx.attrs["multiples"]
    extra = (None,) * (len(ctx.inputs) - 1)
    if multiples is not None and all(m == 1 for m in multiples):
        return (g,) + extra
    if multiples is None and dims is None:
        raise UnimplementedError("tile: the gradient needs the rank of the input or of the "
                                 "multiples while tracing; give the input a known rank.")
    rank = len(multiples) if multiples is not None else len(dims)
    split_shape = []  # (m0, d0, m1, d1, ...)
    for i in range(rank):
        m = multiples[i] if multiples is not None else None
        d = dims[i] if dims is not None else None
        split_shape.append(ctx.inputs[1][i] if m is None else m)
        split_shape.append(_a.shape(x)[i] if d is None else d)
    summed = _r.reduce_sum(_a.reshape(g, split_shape), axis=tuple(range(0, 2 * rank, 2)))
    return (summed,) + extra


_TILE = register(OpDef("tile", "Tile", ("input",), _tile_infer, _tile_kernel, vjp=_tile_vjp,
                       attrs={"multiples": ()}, same_dtype=(0,),
                       doc="Repeats a tensor multiples[i] times. Multiples known only when a "
                           "graph runs are a second input (a 1-D int tensor); multiples then "
                           "holds the known ones."))


def tile(input, multiples, name=None):  # noqa: A002 - TensorFlow's argument name
    """Repeats `input` `multiples[i]` times along each dimension `i`.

    Inside `engine.function`, `multiples` may hold counts known only when the graph runs:
    a 1-D integer tensor or a list mixing ints and scalar integer tensors.

    Args:
        input: a tensor.
        multiples: one non-negative int per dimension.

    Returns:
        A tensor of shape `input.shape * multiples`; its gradient sums the copies.

    Raises:
        ShapeError: when `multiples` does not have one entry per dimension.

    Example:
        >>> engine.tile(engine.constant([[1, 2]]), [2, 2]).numpy()
        array([[1, 2, 1, 2],
               [1, 2, 1, 2]], dtype=int32)
    """
    try:
        counts = _sa.static_shape(multiples, "tile multiples")
    except TracingError:  # a symbolic count: its value exists only when the graph runs
        counts, runtime = int_list_argument("tile", "multiples", multiples)
        if runtime is not None:
            return dispatch(_TILE, (input, runtime), {"multiples": counts})
    return dispatch(_TILE, (input,), {"multiples": counts})


# --- split --------------------------------------------------------------------------------
def _split_sizes(op: str, sizes: tuple, dim, shape) -> list:
    """Resolves one -1 in `sizes` against `dim` (None: unknown) and checks the sum.

    A None size is known only when the graph runs; when it is the only size left open
    (no -1), the sum fixes it, as a -1 would be fixed.
    """
    if sum(1 for s in sizes if s == -1) > 1 or any(s is not None and s < -1 for s in sizes):
        raise ShapeError(f"{op}: got size_splits {list(sizes)}; expected non-negative sizes "
                         "with at most one -1.")
    known = sum(s for s in sizes if s is not None and s != -1)
    open_sizes = sum(1 for s in sizes if s is None or s == -1)
    if dim is None:
        return [None if s == -1 else s for s in sizes]
    if open_sizes:
        if known > dim:
            raise ShapeError(f"{op}: size_splits {list(sizes)} need {known} entries but the "
                             f"split dimension of shape {shape} has {dim}.")
        rest = dim - known if open_sizes == 1 else None
        return [rest if s is None or s == -1 else s for s in sizes]
    if known != dim:
        raise ShapeError(f"{op}: size_splits {list(sizes)} sum to {known}, but the split "
                         f"dimension of shape {shape} has size {dim}; expected them to sum to "
                         f"{dim} (use -1 for one size to infer it).")
    return list(sizes)


def _split_infer(value, *sizes, size_splits=(), axis=0):
    if sizes and (not sizes[0].dtype.is_integer or sizes[0].shape.rank not in (None, 1)):
        raise ShapeError(f"split: size_splits is a {sizes[0].dtype.name} tensor of shape "
                         f"{sizes[0].shape}; expected a 1-D integer tensor.")
    if value.shape.rank is None:
        return tuple(TensorSpec(None, value.dtype) for _ in size_splits)
    axis = _inf.normalize_axis("split", axis, value.shape.rank)
    sizes = _split_sizes("split", size_splits, value.shape[axis], value.shape)
    dims = value.shape.as_list()
    return tuple(TensorSpec(dims[:axis] + [s] + dims[axis + 1:], value.dtype) for s in sizes)


def _split_kernel(xp, value, *run_time, size_splits=(), axis=0):
    axis = axis + value.ndim if axis < 0 else axis
    dim = value.shape[axis]
    if run_time:  # known only when the graph runs: the sizes are the second input
        size_splits = run_time_ints("split", "SplitV", "size_splits", run_time[0], size_splits)
    known = sum(s for s in size_splits if s != -1)
    sizes = [dim - known if s == -1 else s for s in size_splits]
    if sum(sizes) != dim or any(s < 0 for s in sizes) or list(size_splits).count(-1) > 1:
        if not run_time:
            raise ValueError("split: sizes do not sum to the dimension")  # infer explains
        raise InvalidArgumentError(
            f"split: size_splits {list(size_splits)} when the graph runs do not fit "
            f"dimension {axis} of size {dim} (shape {value.shape}); expected sizes >= 0 (at "
            f"most one -1) that sum to {dim}. An int num_or_size_splits must divide the "
            "dimension.", op="SplitV")
    lead = (slice(None),) * axis
    out, start = [], 0
    for s in sizes:
        out.append(value[lead + (slice(start, start + s),)])
        start += s
    return tuple(out)


def _split_vjp(ctx, *grads):
    return (concat(list(grads), axis=ctx.attrs.get("axis", 0)),) + (None,) * (
        len(ctx.inputs) - 1)


_SPLIT = register(OpDef(
    "split", "SplitV", ("value",), _split_infer, _split_kernel, vjp=_split_vjp,
    attrs={"size_splits": (), "axis": 0}, num_outputs=None, same_dtype=(0,),
    tf_args={"split_dim": "axis"},
    doc="Splits a tensor into pieces of given sizes. Sizes known only when a graph runs are "
        "a second input (a 1-D int tensor); size_splits then holds None for them."))


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits `value` along `axis` into equal pieces or pieces of given sizes.

    Inside `engine.function` the sizes may be tensors known only when the graph runs (a
    list mixing ints and scalar integer tensors, or a 1-D integer tensor), and an int
    splits a dimension known only then; a piece's static size is then unknown unless the
    other sizes fix it.

    Args:
        value: the tensor to split.
        num_or_size_splits: an int (that many equal pieces) or a list of sizes, one of
            which may be -1 (the rest).
        axis: the dimension to split.
        num: the number of pieces, needed only for a sizes tensor of unknown length.

    Returns:
        A list of tensors.

    Raises:
        ShapeError: when the sizes do not sum to the dimension or the int does not
            divide it.

    Example:
        >>> [t.shape for t in engine.split(engine.zeros([5, 2]), [2, -1])]
        [TensorShape([2, 2]), TensorShape([3, 2])]
    """
    axis = static_int(axis, "split axis")
    if not isinstance(num_or_size_splits, (list, tuple)) and np.ndim(num_or_size_splits) == 0:
        count = _split_count(num_or_size_splits)
        dims = (None,) if is_symbolic(value) and value.ndim is None else concrete_shape(value)
        dim = dims[axis] if -len(dims) <= axis < len(dims) else None
        if dim is None and is_symbolic(value) and count > 0:  # the size is known at run time
            piece = _a.shape(value)[axis] // count
            sizes = convert_to_tensor([piece] * count)
            return list(dispatch(_SPLIT, (value, sizes),
                                 {"size_splits": (None,) * count, "axis": axis}))
        if dim is None or count <= 0 or dim % count:
            raise ShapeError(f"split: cannot split dimension {axis} of shape {dims} into "
                             f"{count} equal pieces; give a list of sizes instead.")
        sizes = (dim // count,) * count
    else:
        try:
            sizes = _sa.static_shape(num_or_size_splits, "split num_or_size_splits")
        except TracingError:  # a symbolic size: its value exists only when the graph runs
            return _split_symbolic(value, num_or_size_splits, axis, num)
    out = dispatch(_SPLIT, (value,), {"size_splits": sizes, "axis": axis})
    return list(out)


def _split_count(value) -> int:
    try:
        return static_int(value, "split num_or_size_splits")
    except TracingError:
        raise TypeError("split: num_or_size_splits is a scalar tensor known only when the "
                        "graph runs; expected a Python int (the number of pieces must be known "
                        "while tracing) or a list of sizes.") from None


def _split_symbolic(value, size_splits, axis: int, num) -> list:
    known, sizes = int_list_argument("split", "num_or_size_splits", size_splits)
    if known is None:
        if num is None:
            raise ShapeError("split: num_or_size_splits is a 1-D tensor of unknown length; "
                             "pass num= (the number of pieces) or a tensor of known length.")
        known = (None,) * static_int(num, "split num")
    inputs = (value,) if sizes is None else (value, sizes)
    return list(dispatch(_SPLIT, inputs, {"size_splits": known, "axis": axis}))


# --- reverse / roll -----------------------------------------------------------------------
def _reverse_infer(x, axis=()):
    _inf.normalize_axes("reverse", axis, x.shape.rank)
    return x


_REVERSE = register(OpDef(
    "reverse", "ReverseV2", ("tensor",), _reverse_infer,
    lambda xp, x, axis=(): xp.flip(x, axis) if axis else x,
    vjp=lambda ctx, g: (reverse(g, ctx.attrs["axis"]),), attrs={"axis": ()},
    doc="Reverses the order of elements along axes."))


def reverse(tensor, axis, name=None):
    """Reverses `tensor` along each axis in `axis`.

    Args:
        tensor: a tensor.
        axis: a list of distinct axes (negative counts from the end).

    Returns:
        The reversed tensor.

    Raises:
        ShapeError: an axis out of range or repeated.

    Example:
        >>> engine.reverse(engine.constant([[1, 2], [3, 4]]), [1]).numpy()
        array([[2, 1],
               [4, 3]], dtype=int32)
    """
    return dispatch(_REVERSE, (tensor,), {"axis": _sa.static_shape(axis, "reverse axis")})


def _roll_infer(x, shift=(), axis=()):
    if len(shift) != len(axis):
        raise ShapeError(f"roll: got shift {list(shift)} and axis {list(axis)}; expected "
                         "equal lengths.")
    for a in axis:
        _inf.normalize_axis("roll", a, x.shape.rank)
    return x


def _roll_kernel(xp, x, shift=(), axis=()):
    if len(shift) != len(axis):
        raise ValueError("roll: shift and axis differ in length")
    return xp.roll(x, shift, axis) if axis else x


_ROLL = register(OpDef(
    "roll", "Roll", ("input",), _roll_infer, _roll_kernel,
    vjp=lambda ctx, g: (roll(g, [-s for s in ctx.attrs["shift"]], ctx.attrs["axis"]),),
    attrs={"shift": (), "axis": ()}, doc="Rolls elements along axes (wrapping around)."))


def roll(input, shift, axis, name=None):  # noqa: A002 - TensorFlow's argument name
    """Shifts elements of `input` by `shift` along `axis`, wrapping around.

    Args:
        input: a tensor.
        shift: an int or one int per axis in `axis`.
        axis: an int or a list of axes.

    Returns:
        The rolled tensor.

    Example:
        >>> engine.roll(engine.constant([1, 2, 3, 4]), 1, 0).numpy()
        array([4, 1, 2, 3], dtype=int32)
    """
    return dispatch(_ROLL, (input,), {"shift": _sa.static_shape(shift, "roll shift"),
                                      "axis": _sa.static_shape(axis, "roll axis")})


# --- composites: repeat, meshgrid -----------------------------------------------------------
def repeat(input, repeats, axis=None, name=None):  # noqa: A002 - TensorFlow's argument name
    """Repeats each element (or slice along `axis`) of `input` `repeats` times.

    With `axis=None` the input is flattened first. A composite of `gather`, so the
    gradient sums the copies.

    Args:
        input: a tensor.
        repeats: an int, or one int per slice along `axis`.
        axis: the axis to repeat along (None: flatten).

    Returns:
        A tensor with the copies next to each other along `axis` (1-D when `axis` is None).

    Raises:
        ShapeError: when `repeats` has the wrong length.

    Example:
        >>> engine.repeat(engine.constant([1, 2]), [1, 3], axis=0).numpy()
        array([1, 2, 2, 2], dtype=int32)
    """
    if not isinstance(input, Tensor) and not hasattr(input, "_read"):
        input = convert_to_tensor(input)
    if axis is None:
        input = _a.reshape(input, [-1])
        axis = 0
    axis = static_int(axis, "repeat axis")
    dims = concrete_shape(input)
    axis = _inf.normalize_axis("repeat", axis, len(dims))
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or (
            counts.ndim == 1 and counts.shape[0] not in (1, dims[axis])) or np.any(counts < 0):
        raise ShapeError(f"repeat: got repeats {counts.tolist()} for dimension {axis} of size "
                         f"{dims[axis]}; expected a non-negative int or {dims[axis]} of them.")
    index = np.repeat(np.arange(dims[axis], dtype=np.int32), counts)  # counts broadcast
    return gather(input, index, axis=axis)


def meshgrid(*args, **kwargs):
    """Coordinate grids from 1-D tensors, like NumPy's `meshgrid` (indexing 'xy' or 'ij').

    Args:
        *args: 1-D tensors (others are flattened).
        indexing: 'xy' (Cartesian: the first two output dimensions swapped) or 'ij'.

    Returns:
        A list of tensors, all of the grid's shape.

    Example:
        >>> x, y = engine.meshgrid([1, 2, 3], [4, 5])
        >>> x.shape
        TensorShape([2, 3])
    """
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"meshgrid: unexpected arguments {sorted(kwargs)}; expected indexing=.")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: got indexing={indexing!r}; expected 'xy' or 'ij'.")
    vectors = [_a.reshape(a, [-1]) for a in args]
    sizes = [v._value.shape[0] for v in vectors]
    positions = list(range(len(vectors)))
    if indexing == "xy" and len(vectors) > 1:
        positions[0], positions[1] = 1, 0
    full = [0] * len(vectors)
    for p, s in zip(positions, sizes):
        full[p] = s
    grids = []
    for v, p in zip(vectors, positions):
        shape = [1] * len(vectors)
        shape[p] = -1
        grids.append(_a.broadcast_to(_a.reshape(v, shape), full))
    return grids
