"""Rearranging tensors: `pad`, `tile`, `split`, `reverse`, `roll`, `repeat`, `meshgrid`.

`pad` has three modes: CONSTANT (PadV2, whose gradient is a `slice`) and REFLECT /
SYMMETRIC (MirrorPad, whose gradient MirrorPadGrad folds the mirrored borders back).
`repeat` and `meshgrid` are composites of `gather`, `reshape` and `broadcast_to`.
"""

from __future__ import annotations

import numpy as np

from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import reduce_ops as _r
from engine.ops import slicing_ops
from engine.ops import static_args as _sa
from engine.ops.gather_ops import gather
from engine.ops.join_ops import concat
from engine.ops.static_args import concrete_shape, static_int
from engine.registry import OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["pad", "tile", "split", "reverse", "roll", "repeat", "meshgrid"]


# --- pad --------------------------------------------------------------------------------------
def _static_paddings(paddings, op: str = "pad") -> tuple:
    value = np.asarray(paddings) if not isinstance(paddings, Tensor) else paddings.numpy()
    if value.ndim != 2 or value.shape[1] != 2 or value.dtype.kind not in "iu":
        raise ShapeError(f"{op}: got paddings of shape {value.shape} and dtype {value.dtype}; "
                         "expected integers of shape (rank, 2): [[before, after], ...], one "
                         "row per dimension.")
    return tuple((int(a), int(b)) for a, b in value)


def _padded_shape(op: str, shape: TensorShape, paddings, limit=None):
    if shape.rank is None:
        return TensorShape([None] * len(paddings))
    if len(paddings) != shape.rank:
        raise ShapeError(f"{op}: got {len(paddings)} rows of paddings for a tensor of shape "
                         f"{shape}; expected {shape.rank} rows (one [before, after] pair per "
                         "dimension).")
    out = []
    for i, ((a, b), d) in enumerate(zip(paddings, shape)):
        if a < 0 or b < 0:
            raise ShapeError(f"{op}: paddings[{i}] = {[a, b]} is negative; expected >= 0.")
        if limit is not None and d is not None and max(a, b) > d - limit:
            raise ShapeError(f"{op}: paddings[{i}] = {[a, b]} is too large for dimension {i} "
                             f"of size {d}; this mode needs paddings <= {d - limit}.")
        out.append(None if d is None else d + a + b)
    return TensorShape(out)


def _pad_infer(x, constant_values, paddings=()):
    dtype = _inf.same_dtype("pad", x, constant_values)
    if constant_values.shape.rank not in (None, 0):
        raise ShapeError(f"pad: constant_values must be a scalar; got shape "
                         f"{constant_values.shape}.")
    return TensorSpec(_padded_shape("pad", x.shape, paddings), dtype)


def _pad_kernel(xp, x, constant_values, paddings=()):
    if len(paddings) != x.ndim or constant_values.ndim:
        raise ValueError("pad: bad paddings or constant_values")
    shape, key = [], []
    for (a, b), d in zip(paddings, x.shape):
        if a < 0 or b < 0:
            raise ValueError("pad: negative padding")
        shape.append(d + a + b)
        key.append(slice(a, a + d))
    if constant_values == 0:
        out = xp.zeros(shape, dtype=x.dtype)
    else:
        out = xp.full(shape, constant_values, dtype=x.dtype)
    out[tuple(key)] = x
    return out


def _pad_vjp(ctx, g):
    begin = tuple(a for a, _ in ctx.attrs["paddings"])
    return slicing_ops.slice(g, begin, ctx.inputs[0]._value.shape), None


_PAD = register(OpDef("pad", "PadV2", ("input", "constant_values"), _pad_infer, _pad_kernel,
                      vjp=_pad_vjp, attrs={"paddings": ()},
                      doc="Pads with a constant value."))

_MIRROR_LIMIT = {"REFLECT": 1, "SYMMETRIC": 0}


def _mirror_infer(x, paddings=(), mode="REFLECT"):
    if mode not in _MIRROR_LIMIT:
        raise ValueError(f"pad: got mode {mode!r}; expected 'REFLECT' or 'SYMMETRIC'.")
    return TensorSpec(_padded_shape(f"pad (mode {mode})", x.shape, paddings,
                                    _MIRROR_LIMIT[mode]), x.dtype)


def _mirror_kernel(xp, x, paddings=(), mode="REFLECT"):
    limit = _MIRROR_LIMIT[mode]
    if len(paddings) != x.ndim or any(
            min(p) < 0 or max(p) > d - limit for p, d in zip(paddings, x.shape)):
        raise ValueError("pad: paddings out of range for the mode")
    return xp.pad(x, paddings, mode=mode.lower())


def _mirror_grad_infer(dy, paddings=(), mode="REFLECT"):
    if dy.shape.rank is None:
        return TensorSpec(None, dy.dtype)
    if len(paddings) != dy.shape.rank:
        raise ShapeError(f"mirror_pad_grad: got {len(paddings)} rows of paddings for shape "
                         f"{dy.shape}.")
    return TensorSpec([None if d is None else d - a - b for (a, b), d in zip(paddings, dy.shape)],
                      dy.dtype)


def _mirror_grad_kernel(xp, dy, paddings=(), mode="REFLECT"):
    """Folds the mirrored borders of `dy` back onto the entries they copied."""
    shift = 1 if mode == "REFLECT" else 0
    out = dy
    for axis, (a, b) in enumerate(paddings):
        if not a and not b:
            continue
        moved = xp.moveaxis(out, axis, 0)
        n = moved.shape[0] - a - b
        core = moved[a:a + n].copy()
        if a:
            core[shift:shift + a] += moved[:a][::-1]
        if b:
            core[n - shift - b:n - shift] += moved[a + n:][::-1]
        out = xp.moveaxis(core, 0, axis)
    return xp.ascontiguousarray(out)


_MIRROR_PAD = register(OpDef(
    "mirror_pad", "MirrorPad", ("input",), _mirror_infer, _mirror_kernel,
    vjp=lambda ctx, g: (dispatch(_MIRROR_PAD_GRAD, (g,), ctx.attrs),),
    attrs={"paddings": (), "mode": "REFLECT"}, doc="Pads by mirroring (REFLECT or SYMMETRIC)."))
_MIRROR_PAD_GRAD = register(OpDef(
    "mirror_pad_grad", "MirrorPadGrad", ("input",), _mirror_grad_infer, _mirror_grad_kernel,
    vjp=lambda ctx, g: (dispatch(_MIRROR_PAD, (g,), ctx.attrs),),
    attrs={"paddings": (), "mode": "REFLECT"}, doc="The gradient of MirrorPad."))


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pads `tensor`: `paddings[i] = [before, after]` entries around dimension `i`.

    Args:
        tensor: a tensor.
        paddings: integers of shape (rank, 2).
        mode: 'CONSTANT' (fill with `constant_values`), 'REFLECT' (mirror without the edge;
            paddings < size) or 'SYMMETRIC' (mirror with the edge; paddings <= size).
            Case-insensitive.
        constant_values: the fill value for 'CONSTANT'.

    Returns:
        The padded tensor; its gradient slices (CONSTANT) or folds the borders back.

    Raises:
        ShapeError: paddings of the wrong shape, negative, or too large for the mode.

    Example:
        >>> engine.pad(engine.constant([[1, 2]]), [[0, 0], [1, 2]]).numpy()
        array([[0, 1, 2, 0, 0]], dtype=int32)
        >>> engine.pad(engine.constant([1, 2, 3]), [[2, 1]], "REFLECT").numpy()
        array([3, 2, 1, 2, 3, 2], dtype=int32)
    """
    paddings = _static_paddings(paddings)
    mode_name = str(mode).upper()
    if mode_name == "CONSTANT":
        return dispatch(_PAD, (tensor, constant_values), {"paddings": paddings})
    if mode_name in _MIRROR_LIMIT:
        return dispatch(_MIRROR_PAD, (tensor,), {"paddings": paddings, "mode": mode_name})
    raise ValueError(f"pad: got mode {mode!r}; expected 'CONSTANT', 'REFLECT' or 'SYMMETRIC'.")


# --- tile ---------------------------------------------------------------------------------
def _tile_infer(x, multiples=()):
    if x.shape.rank is None:
        return TensorSpec([None] * len(multiples), x.dtype)
    if len(multiples) != x.shape.rank or any(m < 0 for m in multiples):
        raise ShapeError(f"tile: got multiples {list(multiples)} for a tensor of shape "
                         f"{x.shape}; expected {x.shape.rank} non-negative entries.")
    return TensorSpec([None if d is None else d * m for d, m in zip(x.shape, multiples)],
                      x.dtype)


def _tile_kernel(xp, x, multiples=()):
    if len(multiples) != x.ndim or any(m < 0 for m in multiples):
        raise ValueError("tile: bad multiples")
    return xp.tile(x, multiples)


def _tile_vjp(ctx, g):
    dims = ctx.inputs[0]._value.shape
    multiples = ctx.attrs["multiples"]
    if all(m == 1 for m in multiples):
        return (g,)
    split_shape = [s for m, d in zip(multiples, dims) for s in (m, d)]   # (m0, d0, m1, d1, ...)
    summed = _r.reduce_sum(_a.reshape(g, split_shape), axis=tuple(range(0, 2 * len(dims), 2)))
    return (summed,)


_TILE = register(OpDef("tile", "Tile", ("input",), _tile_infer, _tile_kernel, vjp=_tile_vjp,
                       attrs={"multiples": ()}, doc="Repeats a tensor multiples[i] times."))


def tile(input, multiples, name=None):  # noqa: A002 - TensorFlow's argument name
    """Repeats `input` `multiples[i]` times along each dimension `i`.

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
    return dispatch(_TILE, (input,), {"multiples": _sa.static_shape(multiples, "tile multiples")})


# --- split --------------------------------------------------------------------------------
def _split_sizes(op: str, sizes: tuple, dim, shape) -> list:
    """Resolves one -1 in `sizes` against `dim` (None: unknown) and checks the sum."""
    if sum(1 for s in sizes if s == -1) > 1 or any(s < -1 for s in sizes):
        raise ShapeError(f"{op}: got size_splits {list(sizes)}; expected non-negative sizes "
                         "with at most one -1.")
    known = sum(s for s in sizes if s != -1)
    if dim is None:
        return [None if s == -1 else s for s in sizes]
    if -1 in sizes:
        if known > dim:
            raise ShapeError(f"{op}: size_splits {list(sizes)} need {known} entries but the "
                             f"split dimension of shape {shape} has {dim}.")
        return [dim - known if s == -1 else s for s in sizes]
    if known != dim:
        raise ShapeError(f"{op}: size_splits {list(sizes)} sum to {known}, but the split "
                         f"dimension of shape {shape} has size {dim}; expected them to sum to "
                         f"{dim} (use -1 for one size to infer it).")
    return list(sizes)


def _split_infer(value, size_splits=(), axis=0):
    if value.shape.rank is None:
        return tuple(TensorSpec(None, value.dtype) for _ in size_splits)
    axis = _inf.normalize_axis("split", axis, value.shape.rank)
    sizes = _split_sizes("split", size_splits, value.shape[axis], value.shape)
    dims = value.shape.as_list()
    return tuple(TensorSpec(dims[:axis] + [s] + dims[axis + 1:], value.dtype) for s in sizes)


def _split_kernel(xp, value, size_splits=(), axis=0):
    axis = axis + value.ndim if axis < 0 else axis
    dim = value.shape[axis]
    known = sum(s for s in size_splits if s != -1)
    sizes = [dim - known if s == -1 else s for s in size_splits]
    if sum(sizes) != dim or any(s < 0 for s in sizes) or list(size_splits).count(-1) > 1:
        raise ValueError("split: sizes do not sum to the dimension")
    lead = (slice(None),) * axis
    out, start = [], 0
    for s in sizes:
        out.append(value[lead + (slice(start, start + s),)])
        start += s
    return tuple(out)


_SPLIT = register(OpDef(
    "split", "SplitV", ("value",), _split_infer, _split_kernel,
    vjp=lambda ctx, *grads: (concat(list(grads), axis=ctx.attrs.get("axis", 0)),),
    attrs={"size_splits": (), "axis": 0}, num_outputs=None,
    tf_args={"split_dim": "axis"}, doc="Splits a tensor into pieces of given sizes."))


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits `value` along `axis` into equal pieces or pieces of given sizes.

    Args:
        value: the tensor to split.
        num_or_size_splits: an int (that many equal pieces) or a list of sizes, one of
            which may be -1 (the rest).
        axis: the dimension to split.
        num: ignored (the number of pieces is known from the sizes).

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
    if np.ndim(num_or_size_splits) == 0:  # an int: that many equal pieces
        count = static_int(num_or_size_splits, "split num_or_size_splits")
        dims = concrete_shape(value)
        dim = dims[axis] if -len(dims) <= axis < len(dims) else None
        if dim is None or count <= 0 or dim % count:
            raise ShapeError(f"split: cannot split dimension {axis} of shape {dims} into "
                             f"{count} equal pieces; give a list of sizes instead.")
        sizes = (dim // count,) * count
    else:
        sizes = _sa.static_shape(num_or_size_splits, "split num_or_size_splits")
    out = dispatch(_SPLIT, (value,), {"size_splits": sizes, "axis": axis})
    return list(out)

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
