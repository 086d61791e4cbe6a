"""Slicing: `slice`, `strided_slice` (gradient: `StridedSliceGrad`) and `tensor[key]`.

`strided_slice` takes TensorFlow's begin/end/strides with bit masks for `...`, new axes and
integer indices. `getitem` turns NumPy basic indexing (`x[1:, None, ..., ::-1]`) into ONE
StridedSlice op, so a whole key costs one op and has one gradient; a boolean mask or an
integer array as the whole key runs `boolean_mask` or `gather` (gather_ops).

An integer index out of range raises `InvalidIndexError` (engine.errors), which is an
`InvalidArgumentError` (as in TensorFlow) and an `IndexError` (as in NumPy and Python).

This module defines `slice`; inside it, the builtin is `_slice`.
"""

from __future__ import annotations

import builtins
import functools

import numpy as np

from engine import context, registry
from engine.backend import devices as _devices
from engine.dispatch import dispatch
from engine.errors import InvalidIndexError, ShapeError
from engine.ops import static_args as _sa
from engine.ops.gather_ops import boolean_mask, gather
from engine.registry import OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["slice", "strided_slice"]

_slice = builtins.slice
_G = context.GLOBAL
_CPU0 = _devices.CPU0
_ndarray = np.ndarray
_asarray = np.asarray
_new = object.__new__


# --- StridedSlice -----------------------------------------------------------------------------
def _check_index(op: str, index: int, size, axis: int, shape) -> None:
    if size is not None and not -size <= index < size:
        raise InvalidIndexError(
            f"{op}: index {index} is out of range for dimension {axis} of size {size} (shape "
            f"{shape}); expected {-size} <= index < {size}.", op="StridedSlice")


def _strided_slice_infer(x, begin=(), end=(), strides=None, begin_mask=0, end_mask=0,
                         ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0):
    op = "strided_slice"
    n = len(begin)
    strides = (1,) * n if strides is None else strides
    if len(end) != n or len(strides) != n:
        raise ShapeError(f"{op}: got begin, end and strides of lengths {n}, {len(end)} and "
                         f"{len(strides)}; expected equal lengths (one entry per index).")
    bits = [1 << i for i in range(n)]
    if sum(1 for b in bits if ellipsis_mask & b) > 1:
        raise InvalidIndexError(f"{op}: the index has more than one ellipsis (...); expected "
                                "at most one.", op="StridedSlice")
    for i, b in enumerate(bits):
        if not (ellipsis_mask | new_axis_mask) & b:
            if strides[i] == 0:
                raise ShapeError(f"{op}: strides[{i}] is 0; slice steps must be non-zero.")
            if shrink_axis_mask & b and strides[i] < 0:
                raise ShapeError(f"{op}: strides[{i}] is {strides[i]} for an integer index "
                                 "(shrink_axis_mask); expected a positive stride.")
    if x.shape.rank is None:
        return TensorSpec(None, x.dtype)
    dims = x.shape.as_list()
    rank = len(dims)
    used = sum(1 for b in bits if not (ellipsis_mask | new_axis_mask) & b)
    if used > rank:
        raise InvalidIndexError(f"{op}: too many indices for a tensor of rank {rank} (shape "
                                f"{x.shape}): {used} dimensions were indexed.",
                                op="StridedSlice")
    out, d = [], 0
    for i, b in enumerate(bits):
        if ellipsis_mask & b:
            out.extend(dims[d:d + rank - used])
            d += rank - used
        elif new_axis_mask & b:
            out.append(1)
        else:
            size = dims[d]
            if shrink_axis_mask & b:
                _check_index(op, begin[i], size, d, x.shape)
            elif size is None:
                out.append(None)
            else:
                start = None if begin_mask & b else begin[i]
                stop = None if end_mask & b else end[i]
                out.append(len(range(*_slice(start, stop, strides[i]).indices(size))))
            d += 1
    out.extend(dims[d:])
    return TensorSpec(out, x.dtype)


@functools.lru_cache(maxsize=4096)
def _cached_index(begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                  shrink_axis_mask) -> tuple:
    n = len(begin)
    if strides is None:
        strides = (1,) * n
    if len(end) != n or len(strides) != n:
        raise ValueError("begin, end and strides differ in length")
    items = []
    for i in range(n):
        bit = 1 << i
        if ellipsis_mask & bit:
            items.append(Ellipsis)
        elif new_axis_mask & bit:
            items.append(None)
        elif shrink_axis_mask & bit:
            if strides[i] <= 0:
                raise ValueError("an integer index needs a positive stride")
            items.append(int(begin[i]))
        else:
            items.append(_slice(None if begin_mask & bit else int(begin[i]),
                                None if end_mask & bit else int(end[i]), int(strides[i])))
    return tuple(items)


def _np_index(begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
              shrink_axis_mask) -> tuple:
    """The NumPy basic index equal to a StridedSlice spec (it needs no shape)."""
    return _cached_index(tuple(begin), tuple(end), None if strides is None else tuple(strides),
                         begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask)


def _strided_slice_kernel(xp, x, **spec):
    return x[_np_index(**spec)]


_SPEC_ATTRS = {"begin": (), "end": (), "strides": None, "begin_mask": 0, "end_mask": 0,
               "ellipsis_mask": 0, "new_axis_mask": 0, "shrink_axis_mask": 0}


def _strided_slice_vjp(ctx, g):
    return (dispatch(_STRIDED_SLICE_GRAD, (g,),
                     dict(ctx.attrs, shape=tuple(ctx.inputs[0]._value.shape))),)


_STRIDED_SLICE = register(OpDef(
    "strided_slice", "StridedSlice", ("input",), _strided_slice_infer, _strided_slice_kernel,
    vjp=_strided_slice_vjp, attrs=_SPEC_ATTRS,
    doc="Slices with begin/end/strides and TF's masks (what tensor[...] runs)."))


def _strided_slice_grad_infer(dy, shape=(), **spec):
    expected = _strided_slice_infer(TensorSpec(shape, dy.dtype), **spec)
    if not expected.shape.is_compatible_with(dy.shape):
        raise ShapeError(f"strided_slice_grad: got dy of shape {dy.shape}; slicing shape "
                         f"{list(shape)} gives {expected.shape}.")
    return TensorSpec(shape, dy.dtype)


def _strided_slice_grad_kernel(xp, dy, shape=(), **spec):
    out = xp.zeros(shape, dtype=dy.dtype)
    out[_np_index(**spec)] = dy
    return out


def _strided_slice_grad_vjp(ctx, g):
    spec = {k: v for k, v in ctx.attrs.items() if k != "shape"}
    return (dispatch(_STRIDED_SLICE, (g,), spec),)


_STRIDED_SLICE_GRAD = register(OpDef(
    "strided_slice_grad", "StridedSliceGrad", ("dy",), _strided_slice_grad_infer,
    _strided_slice_grad_kernel, vjp=_strided_slice_grad_vjp, attrs=dict(_SPEC_ATTRS, shape=()),
    doc="Scatters dy into zeros of `shape` where StridedSlice read (its gradient)."))


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """Extracts a strided slice, with TensorFlow's mask semantics (what `t[...]` runs).

    Entry `i` of `begin`/`end`/`strides` is one index of the key; bit `i` of a mask says:
    `begin_mask`/`end_mask`: ignore begin[i]/end[i] (slice to the edge); `ellipsis_mask`:
    this entry is `...`; `new_axis_mask`: this entry is `None` (a new axis of size 1);
    `shrink_axis_mask`: this entry is the integer `begin[i]` (the axis is removed).

    Args:
        input_: the tensor to slice.
        begin, end, strides: lists (or 1-D int tensors) of equal length; strides default 1.
        begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask: bit masks.
        var: accepted for TensorFlow compatibility; ignored.

    Returns:
        The slice (its gradient scatters into zeros of the input's shape).

    Raises:
        InvalidIndexError: an integer index out of range (also an `IndexError`).
        ShapeError: mismatched lengths or a zero stride.

    Example:
        >>> x = engine.reshape(engine.range(12), [3, 4])
        >>> engine.strided_slice(x, [0, 3], [0, 0], [1, -1], begin_mask=1, end_mask=3).numpy()
        array([[ 3,  2,  1,  0],
               [ 7,  6,  5,  4],
               [11, 10,  9,  8]], dtype=int32)
    """
    begin = _sa.static_shape(begin, "strided_slice begin")
    end = _sa.static_shape(end, "strided_slice end")
    strides = (1,) * len(begin) if strides is None else _sa.static_shape(
        strides, "strided_slice strides")
    return dispatch(_STRIDED_SLICE, (input_,), {
        "begin": begin, "end": end, "strides": strides, "begin_mask": int(begin_mask),
        "end_mask": int(end_mask), "ellipsis_mask": int(ellipsis_mask),
        "new_axis_mask": int(new_axis_mask), "shrink_axis_mask": int(shrink_axis_mask)})


# --- Slice ----------------------------------------------------------------------------------
def _slice_infer(x, begin=(), size=()):
    if len(begin) != len(size):
        raise ShapeError(f"slice: got begin {list(begin)} and size {list(size)}; expected "
                         "equal lengths.")
    if x.shape.rank is None:
        return TensorSpec([None if s == -1 else s for s in size], x.dtype)
    if len(begin) != x.shape.rank:
        raise ShapeError(f"slice: got begin {list(begin)} for a tensor of shape {x.shape}; "
                         f"expected {x.shape.rank} entries (one per dimension).")
    out = []
    for i, (b, s, d) in enumerate(zip(begin, size, x.shape)):
        if b < 0 or s < -1 or (d is not None and (b > d or (s != -1 and b + s > d))):
            raise ShapeError(f"slice: begin[{i}] = {b} and size[{i}] = {s} do not fit "
                             f"dimension {i} of shape {x.shape}; expected 0 <= begin <= dim "
                             "and 0 <= size <= dim - begin (or size -1 for 'to the end').")
        out.append((None if d is None else d - b) if s == -1 else s)
    return TensorSpec(out, x.dtype)


def _slice_kernel(xp, x, begin=(), size=()):
    if len(begin) != x.ndim or len(size) != x.ndim:
        raise ValueError("begin/size length")
    key = []
    for b, s, d in zip(begin, size, x.shape):
        stop = d if s == -1 else b + s
        if b < 0 or s < -1 or stop > d or b > d:
            raise ValueError("slice out of range")
        key.append(_slice(b, stop))
    return x[tuple(key)]


def _slice_vjp(ctx, g):
    in_shape = ctx.inputs[0]._value.shape
    out_shape = ctx.outputs[0]._value.shape
    paddings = tuple((b, d - b - s) for b, s, d in zip(ctx.attrs["begin"], out_shape, in_shape))
    # PadV2 is registered by manip_ops, which imports this module (pad's gradient is a
    # slice), so the gradient finds it through the registry.
    return (dispatch(registry.get("PadV2"), (g, 0), {"paddings": paddings}),)


_SLICE = register(OpDef("slice", "Slice", ("input",), _slice_infer, _slice_kernel,
                        vjp=_slice_vjp, attrs={"begin": (), "size": ()},
                        doc="Extracts size[i] elements from begin[i] along each dimension."))


def slice(input_, begin, size, name=None):  # noqa: A001 - TensorFlow's name
    """Extracts a slice of `size` elements starting at `begin` in each dimension.

    Args:
        input_: a tensor.
        begin: start offsets, one per dimension (0 <= begin[i] <= shape[i]).
        size: lengths, one per dimension; -1 takes everything to the end.

    Returns:
        The slice; its gradient pads the upstream gradient with zeros.

    Raises:
        ShapeError: when a range does not fit the input (TensorFlow does not clamp).

    Example:
        >>> engine.slice(engine.constant([[1, 2, 3], [4, 5, 6]]), [0, 1], [-1, 2]).numpy()
        array([[2, 3],
               [5, 6]], dtype=int32)
    """
    return dispatch(_SLICE, (input_,), {"begin": _sa.static_shape(begin, "slice begin"),
                                        "size": _sa.static_shape(size, "slice size")})


# --- tensor[key] ----------------------------------------------------------------------------
_KEY_HELP = ("expected ints, slices, `...`, None (engine.newaxis) or a tuple of these; or, as "
             "the whole key, a boolean mask or an integer index array. To index with arrays "
             "along other axes use engine.gather(x, indices, axis=k), engine.gather_nd or "
             "engine.boolean_mask.")


def _key_error(key) -> TypeError:
    text = repr(key)
    text = text if len(text) <= 80 else text[:77] + "..."
    return TypeError(f"tensor[...]: got index {text} ({type(key).__name__}); {_KEY_HELP}")


def _int_like(item, key):
    """An int from a NumPy integer or a 0-d integer tensor/array; TypeError otherwise."""
    if isinstance(item, (bool, np.bool_)):
        raise _key_error(key)
    if isinstance(item, Tensor) or hasattr(item, "_read") or isinstance(item, np.ndarray):
        value = np.asarray(item)
        if value.ndim == 0 and value.dtype.kind in "iu":
            return int(value)
        raise _key_error(key)
    if isinstance(item, np.integer):
        return int(item)
    raise _key_error(key)


def _bound(value, key):
    return value if value is None or type(value) is int else _int_like(value, key)


def _normalize_items(items: tuple, key) -> tuple:
    """A key whose entries are all int, slice (int/None parts), None or Ellipsis."""
    out = []
    for item in items:
        t = type(item)
        if t is int or item is None or item is Ellipsis:
            out.append(item)
        elif t is _slice:
            out.append(_slice(_bound(item.start, key), _bound(item.stop, key),
                              _bound(item.step, key)))
        else:
            out.append(_int_like(item, key))
    return tuple(out)


def _spec_from_items(items: tuple) -> dict:
    """StridedSlice attrs for a normalized basic key."""
    begin, end, strides = [], [], []
    begin_mask = end_mask = ellipsis_mask = new_axis_mask = shrink_axis_mask = 0
    for i, item in enumerate(items):
        bit = 1 << i
        if type(item) is _slice:
            start, stop, step = item.start, item.stop, item.step
            if start is None:
                begin_mask |= bit
            if stop is None:
                end_mask |= bit
            begin.append(0 if start is None else start)
            end.append(0 if stop is None else stop)
            strides.append(1 if step is None else step)
            continue
        if item is None:
            new_axis_mask |= bit
            begin.append(0)
            end.append(0)
        elif item is Ellipsis:
            ellipsis_mask |= bit
            begin.append(0)
            end.append(0)
        else:
            shrink_axis_mask |= bit
            begin.append(item)
            end.append(item + 1)
        strides.append(1)
    return {"begin": tuple(begin), "end": tuple(end), "strides": tuple(strides),
            "begin_mask": begin_mask, "end_mask": end_mask, "ellipsis_mask": ellipsis_mask,
            "new_axis_mask": new_axis_mask, "shrink_axis_mask": shrink_axis_mask}


def _array_key(tensor, key):
    """`tensor[mask]` / `tensor[int_array]`, or None when `key` is a scalar integer."""
    if isinstance(key, (bool, np.bool_)):
        raise _key_error(key)
    if isinstance(key, Tensor) or hasattr(key, "_read"):
        value = key if isinstance(key, Tensor) else key._read()
        kind, ndim = value._value.dtype.kind, value._value.ndim
    elif isinstance(key, (list, np.ndarray, np.generic)):
        try:
            value = np.asarray(key)
        except ValueError:
            raise _key_error(key) from None
        kind, ndim = value.dtype.kind, value.ndim
    else:
        raise _key_error(key)
    if kind == "b" and ndim:
        return boolean_mask(tensor, value)
    if kind in "iu":
        # A scalar index known only when a graph runs (a loop counter) gathers one row.
        return gather(tensor, value, axis=0) if ndim or hasattr(value, "_node") else None
    raise _key_error(key)


def getitem(tensor, key):
    """`tensor[key]`: NumPy basic indexing as ONE StridedSlice op (one gradient).

    Supports ints (negative count from the end), slices with any step (also negative),
    `...`, None / `engine.newaxis`, and tuples of these. As the whole key, a boolean mask
    runs `boolean_mask` and an integer list/array/tensor runs `gather` along axis 0.

    Args:
        tensor: a tensor or variable.
        key: the index.

    Returns:
        A tensor (a view of the input's memory on CPUs; tensors are never written to).

    Raises:
        InvalidIndexError: an integer out of range (an `IndexError` too).
        TypeError: a key of another kind, e.g. index arrays mixed with slices.

    Example:
        >>> x = engine.reshape(engine.range(6), [2, 3])
        >>> x[:, ::-1].numpy()
        array([[2, 1, 0],
               [5, 4, 3]], dtype=int32)
        >>> x[1, None, 1:].numpy()
        array([[4, 5]], dtype=int32)
    """
    tk = type(key)
    if tk is tuple:
        items = key
        for item in key:
            t = type(item)
            if t is int or item is None or item is Ellipsis:
                continue
            if t is _slice:
                a, b, c = item.start, item.stop, item.step
                if ((a is None or type(a) is int) and (b is None or type(b) is int)
                        and (c is None or type(c) is int)):
                    continue
            items = _normalize_items(key, key)
            break
    elif tk is int or tk is _slice or key is None or key is Ellipsis:
        items = _normalize_items((key,), key) if tk is _slice else (key,)
    else:
        result = _array_key(tensor, key)
        if result is not None:
            return result
        items = (_int_like(key, key),)
    if not _G.slow:  # nothing records ops: index the array directly, skipping dispatch
        source = tensor
        if type(source) is not Tensor and hasattr(source, "_read"):
            source = source._read()
        if type(source) is Tensor and source._device is _CPU0:
            try:
                value = source._value[items]
            except (IndexError, ValueError):
                pass  # dispatch below raises the engine error, with infer's message
            else:
                if type(value) is not _ndarray:
                    value = _asarray(value)
                out = _new(Tensor)
                out._value = value
                out._device = _CPU0
                return out
    return dispatch(_STRIDED_SLICE, (tensor,), _spec_from_items(items))

