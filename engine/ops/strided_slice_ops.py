"""`strided_slice` (what `tensor[key]` runs) and its gradient, `StridedSliceGrad`.

`strided_slice` takes TensorFlow's begin/end/strides with bit masks for `...`, new axes and
integer indices; `slicing_ops.getitem` turns a NumPy key into one such op.

Inside `engine.function` a bound may be a symbolic tensor (`x[:engine.shape(x)[0] - 1]`).
The node then takes begin, end and strides as 1-D integer tensor inputs, as TensorFlow's
`StridedSlice(input, begin, end, strides)` does, and its attrs keep what tracing knows of
them (None where a bound is known only when the graph runs), so the static shape stays
known along every other axis. Likewise the gradient takes the input's shape as a tensor
when a dimension is unknown: `StridedSliceGrad(dy, shape[, begin, end, strides])`.
"""

from __future__ import annotations

import builtins
import functools

from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidIndexError, ShapeError, TracingError
from engine.ops import static_args as _sa
from engine.ops.array_ops import shape as _shape
from engine.ops.shape_tensors import int_list_argument, run_time_ints
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["strided_slice"]

_slice = builtins.slice
_BOUNDS = ("begin", "end", "strides")


def _check_index(op: str, index: int, size, axis: int, shape) -> None:
    if size is not None and not -size <= index < size:
        raise InvalidIndexError(
            f"{op}: index {index} is out of range for dimension {axis} of size {size} (shape "
            f"{shape}); expected {-size} <= index < {size}.", op="StridedSlice")


def _check_spec(op: str, begin, end, strides, ellipsis_mask, new_axis_mask,
                shrink_axis_mask) -> None:
    """Rejects mismatched lengths, several ellipses and bad strides (None: unknown)."""
    n = len(begin)
    if len(end) != n or len(strides) != n:
        raise ShapeError(f"{op}: got begin, end and strides of lengths {n}, {len(end)} and "
                         f"{len(strides)}; expected equal lengths (one entry per index).")
    if bin(ellipsis_mask & ((1 << n) - 1)).count("1") > 1:
        raise InvalidIndexError(f"{op}: the index has more than one ellipsis (...); expected "
                                "at most one.", op="StridedSlice")
    for i, stride in enumerate(strides):
        b = 1 << i
        if (ellipsis_mask | new_axis_mask) & b or stride is None:
            continue
        if stride == 0:
            raise ShapeError(f"{op}: strides[{i}] is 0; slice steps must be non-zero.")
        if shrink_axis_mask & b and stride < 0:
            raise ShapeError(f"{op}: strides[{i}] is {stride} for an integer index "
                             "(shrink_axis_mask); expected a positive stride.")


def _sliced_dims(op: str, dims: list, shape, begin, end, strides, begin_mask, end_mask,
                 ellipsis_mask, new_axis_mask, shrink_axis_mask) -> list:
    """The output dims of slicing `dims`; None where a dim or a bound it needs is unknown."""
    rank = len(dims)
    bits = [1 << i for i in range(len(begin))]
    used = sum(1 for b in bits if not (ellipsis_mask | new_axis_mask) & b)
    if used > rank:
        raise InvalidIndexError(f"{op}: too many indices for a tensor of rank {rank} (shape "
                                f"{shape}): {used} dimensions were indexed.",
                                op="StridedSlice")
    out, d = [], 0
    for i, b in enumerate(bits):
        if ellipsis_mask & b:
            out.extend(dims[d:d + rank - used])
            d += rank - used
            continue
        if new_axis_mask & b:
            out.append(1)
            continue
        size = dims[d]
        if shrink_axis_mask & b:
            if begin[i] is not None:
                _check_index(op, begin[i], size, d, shape)
        else:
            start = None if begin_mask & b else begin[i]
            stop = None if end_mask & b else end[i]
            unknown = (size is None or strides[i] is None or (start is None and not begin_mask & b)
                       or (stop is None and not end_mask & b))
            out.append(None if unknown else len(range(*_slice(start, stop, strides[i]).indices(
                size))))
        d += 1
    out.extend(dims[d:])
    return out


def _check_bound_inputs(op: str, bounds: tuple, n: int) -> None:
    if len(bounds) != 3:
        raise ShapeError(f"{op}: got {len(bounds)} bound inputs; expected begin, end and "
                         "strides as three 1-D integer tensors (or none: bounds as attrs).")
    for name, spec in zip(_BOUNDS, bounds):
        if not spec.dtype.is_integer or spec.shape.rank not in (None, 1) or (
                spec.shape.rank == 1 and spec.shape[0] not in (None, n)):
            raise ShapeError(f"{op}: {name} is a {spec.dtype.name} tensor of shape {spec.shape}; "
                             f"expected a 1-D integer tensor of length {n}.")


def _strided_slice_infer(x, *bounds, begin=(), end=(), strides=None, begin_mask=0, end_mask=0,
                         ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0):
    op = "strided_slice"
    strides = (1,) * len(begin) if strides is None else strides
    _check_spec(op, begin, end, strides, ellipsis_mask, new_axis_mask, shrink_axis_mask)
    if bounds:
        _check_bound_inputs(op, bounds, len(begin))
    if x.shape.rank is None:
        return TensorSpec(None, x.dtype)
    return TensorSpec(_sliced_dims(op, x.shape.as_list(), x.shape, begin, end, strides,
                                   begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                                   shrink_axis_mask), x.dtype)


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


def _run_time_spec(op: str, shape: tuple, bounds: tuple, spec: dict) -> dict:
    """`spec` with the bounds the graph computed, checked against the input's `shape`."""
    tf_name = "StridedSliceGrad" if op.endswith("grad") else "StridedSlice"
    begin, end, strides = (run_time_ints(op, tf_name, name, b, spec[name])
                           for name, b in zip(_BOUNDS, bounds))
    spec = dict(spec, begin=begin, end=end, strides=strides)
    masks = {k: v for k, v in spec.items() if k.endswith("_mask")}
    _check_spec(op, begin, end, strides, masks["ellipsis_mask"], masks["new_axis_mask"],
                masks["shrink_axis_mask"])
    _sliced_dims(op, list(shape), tuple(shape), begin, end, strides, **masks)
    return spec


def _strided_slice_kernel(xp, x, *bounds, **spec):
    if bounds:  # known only when the graph runs: begin, end and strides are inputs
        spec = _run_time_spec("strided_slice", x.shape, bounds, spec)
    return x[_np_index(**spec)]


_SPEC_ATTRS = {"begin": (), "end": (), "strides": None, "begin_mask": 0, "end_mask": 0,
               "ellipsis_mask": 0, "new_axis_mask": 0, "shrink_axis_mask": 0}


def _strided_slice_vjp(ctx, g):
    x = ctx.inputs[0]
    bounds = tuple(ctx.inputs[1:])
    shape = x._value.shape
    shape = None if shape is None else tuple(shape)
    inputs = (g,)
    if bounds or shape is None or None in shape:  # the shape is known when the graph runs
        inputs = (g, _shape(x)) + bounds
    grad = dispatch(_STRIDED_SLICE_GRAD, inputs, dict(ctx.attrs, shape=shape))
    return (grad,) + (None,) * len(bounds)


_STRIDED_SLICE = register(OpDef(
    "strided_slice", "StridedSlice", ("input",), _strided_slice_infer, _strided_slice_kernel,
    vjp=_strided_slice_vjp, attrs=_SPEC_ATTRS, same_dtype=(0,),
    doc="Slices with begin/end/strides and TF's masks (what tensor[...] runs). Bounds known "
        "only when a graph runs are three more inputs (begin, end, strides: 1-D int "
        "tensors); the attrs then hold None for them."))


def _strided_slice_grad_infer(dy, *extra, shape=(), **spec):
    op = "strided_slice_grad"
    if extra:  # (shape,) or (shape, begin, end, strides)
        s = extra[0]
        if not s.dtype.is_integer or s.shape.rank not in (None, 1):
            raise ShapeError(f"{op}: shape is a {s.dtype.name} tensor of shape {s.shape}; "
                             "expected a 1-D integer tensor.")
        if shape is None and s.shape.rank == 1 and s.shape[0] is not None:
            shape = (None,) * s.shape[0]
        if len(extra) != 1:
            _check_bound_inputs(op, extra[1:], len(spec.get("begin", ())))
    if shape is None:
        return TensorSpec(None, dy.dtype)
    expected = _strided_slice_infer(TensorSpec(shape, dy.dtype), **spec)
    if not expected.shape.is_compatible_with(dy.shape):
        raise ShapeError(f"{op}: got dy of shape {dy.shape}; slicing shape "
                         f"{list(shape)} gives {expected.shape}.")
    return TensorSpec(shape, dy.dtype)


def _strided_slice_grad_kernel(xp, dy, *extra, shape=(), **spec):
    if extra:
        shape = tuple(int(d) for d in extra[0].tolist())
        if len(extra) > 1:
            spec = _run_time_spec("strided_slice_grad", shape, extra[1:], spec)
    out = xp.zeros(shape, dtype=dy.dtype)
    out[_np_index(**spec)] = dy
    return out


def _strided_slice_grad_vjp(ctx, g):
    spec = {k: v for k, v in ctx.attrs.items() if k != "shape"}
    bounds = tuple(ctx.inputs[2:])
    extra = (None,) * (len(ctx.inputs) - 1)
    return (dispatch(_STRIDED_SLICE, (g,) + bounds, spec),) + extra


_STRIDED_SLICE_GRAD = register(OpDef(
    "strided_slice_grad", "StridedSliceGrad", ("dy",), _strided_slice_grad_infer,
    _strided_slice_grad_kernel, vjp=_strided_slice_grad_vjp, attrs=dict(_SPEC_ATTRS, shape=()),
    same_dtype=(0,),
    doc="Scatters dy into zeros of `shape` where StridedSlice read (its gradient). A shape "
        "known only when a graph runs is a second input (then begin, end and strides may "
        "follow, as StridedSlice's); the attrs hold what tracing knew of them."))


def strided_slice_grad(dy, shape, begin, end, strides, attrs: dict):
    """StridedSliceGrad with `shape`, `begin`, `end` and `strides` as 1-D integer tensors.

    `attrs` says what tracing knows of them, as StridedSlice's attrs plus `shape` (None
    where known only when the graph runs). `slicing_ops` runs it for `slice`'s gradient.
    """
    return dispatch(_STRIDED_SLICE_GRAD, (dy, shape, begin, end, strides),
                    dict(_SPEC_ATTRS, **attrs))


def _bound_tensors(op: str, begin, end, strides) -> tuple:
    """(known begin, end, strides, their tensors or None when all are known while tracing)."""
    parts = []
    for name, value in zip(_BOUNDS, (begin, end, strides)):
        if value is None:  # strides default to 1
            value = [1] * len(parts[0][0])
        parts.append(int_list_argument(op, name, value))
        if parts[-1][0] is None:
            raise ShapeError(f"{op}: {name} is a 1-D tensor of unknown length; expected a "
                             "length known while tracing (one entry per index).")
    known = [k for k, _ in parts]
    if all(t is None for _, t in parts):
        return tuple(known), None
    tensors = tuple(convert_to_tensor(k) if t is None else t for k, (_, t) in zip(known, parts))
    return tuple(known), tensors


def dispatch_strided_slice(op: str, input_, begin, end, strides, masks: dict):
    """Runs StridedSlice on bounds that may hold symbolic tensors (lists or 1-D tensors)."""
    known, tensors = _bound_tensors(op, begin, end, strides)
    attrs = dict(zip(_BOUNDS, known), **masks)
    return dispatch(_STRIDED_SLICE, (input_,) + (tensors or ()), attrs)


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """Extracts a strided slice, with TensorFlow's mask semantics (what `t[...]` runs).

    Entry `i` of `begin`/`end`/`strides` is one index of the key; bit `i` of a mask says:
    `begin_mask`/`end_mask`: ignore begin[i]/end[i] (slice to the edge); `ellipsis_mask`:
    this entry is `...`; `new_axis_mask`: this entry is `None` (a new axis of size 1);
    `shrink_axis_mask`: this entry is the integer `begin[i]` (the axis is removed).

    Inside `engine.function` the bounds may hold tensors known only when the graph runs
    (a list mixing ints and scalar integer tensors, or a 1-D integer tensor); the static
    shape is then unknown only along the axes those bounds slice.

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
    try:
        b = _sa.static_shape(begin, "strided_slice begin")
        e = _sa.static_shape(end, "strided_slice end")
        s = (1,) * len(b) if strides is None else _sa.static_shape(
            strides, "strided_slice strides")
    except TracingError:  # a symbolic bound: its value exists only when the graph runs
        masks = {"begin_mask": int(begin_mask), "end_mask": int(end_mask),
                 "ellipsis_mask": int(ellipsis_mask), "new_axis_mask": int(new_axis_mask),
                 "shrink_axis_mask": int(shrink_axis_mask)}
        return dispatch_strided_slice("strided_slice", input_, begin, end, strides, masks)
    return dispatch(_STRIDED_SLICE, (input_,), {
        "begin": b, "end": e, "strides": s, "begin_mask": int(begin_mask),
        "end_mask": int(end_mask), "ellipsis_mask": int(ellipsis_mask),
        "new_axis_mask": int(new_axis_mask), "shrink_axis_mask": int(shrink_axis_mask)})
