"""Slicing: `slice`, `strided_slice` (in strided_slice_ops) and `tensor[key]`.

`getitem` turns NumPy basic indexing (`x[1:, None, ..., ::-1]`) into ONE StridedSlice op,
so a whole key costs one op and has one gradient; a boolean mask or an integer array as
the whole key runs `boolean_mask` or `gather` (gather_ops).

Inside `engine.function` bounds may be symbolic scalars (`x[:engine.shape(x)[0] - 1]`,
`engine.slice(x, [0], [n])`): the node then takes them as tensor inputs, as TensorFlow's
`Slice(input, begin, size)` and `StridedSlice(input, begin, end, strides)` do, and its
static shape is unknown only along the axes those bounds cut.

An integer index out of range raises `InvalidIndexError` (engine.errors), which is an
`InvalidArgumentError` (as in TensorFlow) and an `IndexError` (as in NumPy and Python).

This module defines `slice`; inside it, the builtin is `_slice`.
"""

from __future__ import annotations

import builtins

import numpy as np

from engine import context, registry
from engine.backend import devices as _devices
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch, host_array
from engine.errors import InvalidArgumentError, ShapeError, TracingError
from engine.ops import static_args as _sa
from engine.ops.array_ops import shape as _shape
from engine.ops.gather_ops import boolean_mask, gather
from engine.ops.math_ops import add
from engine.ops.shape_tensors import int_list_argument, is_symbolic, known_int, run_time_ints
from engine.ops.strided_slice_ops import (
    _STRIDED_SLICE,
    dispatch_strided_slice,
    strided_slice,
    strided_slice_grad,
)
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


# --- Slice ----------------------------------------------------------------------------------
def _slice_infer(x, *bounds, begin=(), size=()):
    if len(begin) != len(size):
        raise ShapeError(f"slice: got begin {list(begin)} and size {list(size)}; expected "
                         "equal lengths.")
    for name, spec in zip(("begin", "size"), bounds):
        if not spec.dtype.is_integer or spec.shape.rank not in (None, 1):
            raise ShapeError(f"slice: {name} is a {spec.dtype.name} tensor of shape "
                             f"{spec.shape}; expected a 1-D integer tensor.")
    if x.shape.rank is None:
        return TensorSpec([None if s in (-1, None) else s for s in size], x.dtype)
    if len(begin) != x.shape.rank:
        raise ShapeError(f"slice: got begin {list(begin)} for a tensor of shape {x.shape}; "
                         f"expected {x.shape.rank} entries (one per dimension).")
    return TensorSpec(_sliced_sizes(begin, size, x.shape.as_list(), x.shape), x.dtype)


def _sliced_sizes(begin, size, dims, shape) -> list:
    """The output sizes of Slice (None where unknown); raises when a range does not fit."""
    out = []
    for i, (b, s, d) in enumerate(zip(begin, size, dims)):
        end = None if b is None or s in (-1, None) else b + s
        if (b is not None and (b < 0 or (d is not None and b > d))) or (
                s is not None and s < -1) or (end is not None and d is not None and end > d):
            raise ShapeError(f"slice: begin[{i}] = {b} and size[{i}] = {s} do not fit "
                             f"dimension {i} of shape {shape}; expected 0 <= begin <= dim "
                             "and 0 <= size <= dim - begin (or size -1 for 'to the end').")
        if s == -1:
            out.append(None if d is None or b is None else d - b)
        else:
            out.append(s)
    return out


def _slice_kernel(xp, x, *bounds, begin=(), size=()):
    if bounds:  # known only when the graph runs: begin and size are inputs
        begin, size = (run_time_ints("slice", "Slice", name, b, known)
                       for name, b, known in zip(("begin", "size"), bounds, (begin, size)))
        if len(begin) != x.ndim or len(size) != x.ndim:
            raise InvalidArgumentError(
                f"slice: got begin {list(begin)} and size {list(size)} when the graph runs "
                f"for a tensor of shape {x.shape}; expected {x.ndim} entries each.", op="Slice")
        _sliced_sizes(begin, size, x.shape, tuple(x.shape))
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
    x = ctx.inputs[0]
    in_shape = x._value.shape
    out_shape = ctx.outputs[0]._value.shape
    if len(ctx.inputs) == 1 and in_shape is not None and None not in in_shape + out_shape:
        paddings = tuple((b, d - b - s)
                         for b, s, d in zip(ctx.attrs["begin"], out_shape, in_shape))
        # PadV2 is registered by manip_ops, which imports this module (pad's gradient is a
        # slice), so the gradient finds it through the registry.
        return (dispatch(registry.get("PadV2"), (g, 0), {"paddings": paddings}),)
    # Some size is known only when the graph runs: scatter g into zeros of x's shape at
    # begin .. begin + shape(g), with StridedSlice's gradient.
    begin = ctx.attrs["begin"]
    begin_t = ctx.inputs[1] if len(ctx.inputs) > 1 else convert_to_tensor(begin)
    end_t = add(begin_t, _shape(g, out_type=begin_t.dtype))
    strides_t = convert_to_tensor([1] * len(begin), begin_t.dtype)
    attrs = {"begin": begin, "strides": (1,) * len(begin), "shape": in_shape,
             "end": tuple(None if b is None or s is None else b + s
                          for b, s in zip(begin, out_shape))}
    grad = strided_slice_grad(g, _shape(x, out_type=begin_t.dtype), begin_t, end_t, strides_t,
                              attrs)
    return (grad,) + (None,) * (len(ctx.inputs) - 1)


_SLICE = register(OpDef("slice", "Slice", ("input",), _slice_infer, _slice_kernel,
                        vjp=_slice_vjp, attrs={"begin": (), "size": ()}, same_dtype=(0,),
                        doc="Extracts size[i] elements from begin[i] along each dimension. "
                            "Bounds known only when a graph runs are two more inputs (begin, "
                            "size: 1-D int tensors); the attrs then hold None for them."))


def slice(input_, begin, size, name=None):  # noqa: A001 - TensorFlow's name
    """Extracts a slice of `size` elements starting at `begin` in each dimension.

    Inside `engine.function`, `begin` and `size` may hold tensors known only when the graph
    runs (a list mixing ints and scalar integer tensors, or a 1-D integer tensor).

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
    try:
        attrs = {"begin": _sa.static_shape(begin, "slice begin"),
                 "size": _sa.static_shape(size, "slice size")}
    except TracingError:  # a symbolic bound: its value exists only when the graph runs
        return _dynamic_slice(input_, begin, size)
    return dispatch(_SLICE, (input_,), attrs)


def _dynamic_slice(input_, begin, size):
    (b, b_t), (s, s_t) = (int_list_argument("slice", k, v)
                          for k, v in (("begin", begin), ("size", size)))
    if b is None or s is None:
        raise ShapeError("slice: begin or size is a 1-D tensor of unknown length; expected "
                         "one entry per dimension, a length known while tracing.")
    if b_t is None and s_t is None:
        return dispatch(_SLICE, (input_,), {"begin": b, "size": s})
    tensors = tuple(convert_to_tensor(k) if t is None else t for k, t in ((b, b_t), (s, s_t)))
    return dispatch(_SLICE, (input_,) + tensors, {"begin": b, "size": s})


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
    """An int from a NumPy integer or a 0-d integer tensor/array; TypeError otherwise.

    A symbolic scalar whose value tracing does not know is returned as it is."""
    if isinstance(item, (bool, np.bool_)):
        raise _key_error(key)
    if is_symbolic(item):
        if not item.dtype.is_integer or item.shape.rank != 0:
            raise _key_error(key)
        known = known_int(item)
        return item if known is None else known
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
    """A key whose entries are all int, slice (int/None parts), None or Ellipsis; inside
    `engine.function`, an int may be a symbolic scalar tensor."""
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


def _holds_tensors(items: tuple) -> bool:
    for item in items:
        parts = (item.start, item.stop, item.step) if type(item) is _slice else (item,)
        if any(isinstance(p, Tensor) for p in parts):
            return True
    return False


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
    symbolic = False  # whether a bound is a tensor known only when a graph runs
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
            symbolic = _holds_tensors(items)
            break
    elif tk is int or tk is _slice or key is None or key is Ellipsis:
        if tk is _slice:
            items = _normalize_items((key,), key)
            symbolic = _holds_tensors(items)
        else:
            items = (key,)
    else:
        result = _array_key(tensor, key)
        if result is not None:
            return result
        items = (_int_like(key, key),)
    if symbolic:
        spec = _spec_from_items(items)
        bounds = [spec.pop(k) for k in ("begin", "end", "strides")]
        return dispatch_strided_slice("tensor[...]", tensor, *bounds, spec)
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
                    value = host_array(value)  # a NumPy scalar or a string element
                out = _new(Tensor)
                out._value = value
                out._device = _CPU0
                return out
    return dispatch(_STRIDED_SLICE, (tensor,), _spec_from_items(items))

