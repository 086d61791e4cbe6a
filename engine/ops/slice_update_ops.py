"""`tensor_strided_slice_update` and sliced variable assignment (`v[key].assign(value)`).

`TensorStridedSliceUpdate(input, value)` is `input` with the strided slice that
`StridedSlice` would read replaced by `value`, in TensorFlow's begin/end/strides/mask form
(`engine.ops.strided_slice_ops`); bounds known only when a graph runs are three more
inputs, as for `StridedSlice`. Its gradient: the output's gradient with the slice zeroed
for `input`, the slice of it for `value`.

`Variable.__getitem__` returns the slice read now, which remembers the variable and the key:
its `assign`, `assign_add` and `assign_sub` write that slice of the variable, eagerly or as
graph nodes (TensorFlow's `v[0].assign(1.0)`, `v[:, 1:].assign_add(d)`, also with a loop
counter as index inside `engine.function`). Unlike TensorFlow's `StridedSliceAssign`,
a value that broadcasts to the slice's shape is accepted (`v[2:].assign(0.0)`).
"""

from __future__ import annotations

from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import array_ops as _a
from engine.ops import slicing_ops as _sl
from engine.ops import strided_slice_ops as _ss
from engine.ops.fill_ops import zeros_like
from engine.ops.shape_ops import shape
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["tensor_strided_slice_update", "assign_slice"]

_OP = "tensor_strided_slice_update"


def _update_infer(x, value, *bounds, **spec):
    if bounds:
        _ss._check_bound_inputs(_OP, bounds, len(spec.get("begin", ())))
    target = _ss._strided_slice_infer(x, *bounds, **spec)
    if value.dtype is not x.dtype:
        raise ShapeError(f"{_OP}: got a value of dtype {value.dtype.name} for a tensor of "
                         f"dtype {x.dtype.name}; cast it with engine.cast.")
    if not value.shape.is_compatible_with(target.shape):
        raise ShapeError(f"{_OP}: got a value of shape {value.shape}; the slice has shape "
                         f"{target.shape}. Give a value of the slice's shape.")
    return TensorSpec(x.shape, x.dtype)


def _update_kernel(xp, x, value, *bounds, **spec):
    if bounds:
        spec = _ss._run_time_spec(_OP, x.shape, bounds, spec)
    index = _ss._np_index(**spec)
    out = x.copy()
    if out[index].shape != value.shape:
        raise ValueError(f"{_OP}: the value does not fit the slice")  # infer explains
    out[index] = value
    return out


def _update_vjp(ctx, g):
    x, value, *bounds = ctx.inputs
    spec = dict(ctx.attrs)
    zeros = zeros_like(value)
    dx = dispatch(_UPDATE, (g, zeros, *bounds), spec)
    dvalue = dispatch(_ss._STRIDED_SLICE, (g, *bounds), spec)
    return (dx, dvalue) + (None,) * len(bounds)


_UPDATE = register(OpDef(
    _OP, "TensorStridedSliceUpdate", ("input", "value"), _update_infer, _update_kernel,
    vjp=_update_vjp, attrs=dict(_ss._SPEC_ATTRS), same_dtype=(0, 1),
    doc="The input with the strided slice StridedSlice would read replaced by value. Bounds "
        "known only when a graph runs are three more inputs (begin, end, strides)."))


def _dispatch_update(op: str, tensor, value, begin, end, strides, masks: dict):
    known, tensors = _ss._bound_tensors(op, begin, end, strides)
    attrs = dict(zip(_ss._BOUNDS, known), **masks)
    return dispatch(_UPDATE, (tensor, value) + (tensors or ()), attrs)


def tensor_strided_slice_update(input, begin, end, strides, value, begin_mask=0, end_mask=0,
                                ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0,
                                name=None):
    """`input` with its strided slice (as `engine.strided_slice` reads it) set to `value`.

    Args:
        input: the tensor.
        begin, end, strides: lists (or 1-D integer tensors) of equal length, as for
            `engine.strided_slice`.
        value: a tensor of the slice's shape and the input's dtype.
        begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask: bit masks, as
            for `engine.strided_slice`.
        name: ignored in eager mode.

    Returns:
        A new tensor of the input's shape (tensors are immutable).

    Raises:
        ShapeError: a value whose shape is not the slice's.

    Example:
        >>> x = engine.zeros([2, 3])
        >>> engine.tensor_strided_slice_update(x, [0, 1], [2, 3], [1, 1],
        ...                                    engine.ones([2, 2])).numpy()
        array([[0., 1., 1.],
               [0., 1., 1.]], dtype=float32)
    """
    masks = {"begin_mask": int(begin_mask), "end_mask": int(end_mask),
             "ellipsis_mask": int(ellipsis_mask), "new_axis_mask": int(new_axis_mask),
             "shrink_axis_mask": int(shrink_axis_mask)}
    input = convert_to_tensor(input)
    value = convert_to_tensor(value, dtype=input.dtype)
    return _dispatch_update(_OP, input, value, begin, end, strides, masks)


def _key_spec(variable, key) -> dict:
    """StridedSlice attrs (bounds included) of a basic index; TypeError for index arrays."""
    try:
        items = _sl._normalize_items(key if type(key) is tuple else (key,), key)
    except TypeError:
        text = repr(key)
        raise TypeError(
            f"{variable.name}[{text if len(text) < 60 else text[:57] + '...'}].assign: only "
            "basic indices (ints, slices, ..., None, scalar integer tensors) select a slice "
            "to assign. For index arrays or masks build the new value with "
            "engine.tensor_scatter_nd_update and assign it to the whole variable.") from None
    return _sl._spec_from_items(items)


def assign_slice(variable, key, value, how: str):
    """Writes `variable[key]` = `value` (`how` "assign"), += or -= (`assign_add`,
    `assign_sub`); returns the variable."""
    current = variable.read_value()
    spec = _key_spec(variable, key)
    bounds = [spec.pop(k) for k in _ss._BOUNDS]
    value = convert_to_tensor(value, dtype=current.dtype)
    target = _sl.getitem(current, key)
    if how != "assign":
        value = (target + value) if how == "assign_add" else (target - value)
    if value.shape.as_list() != target.shape.as_list():
        dims = target.shape.as_list()
        value = _a.broadcast_to(value, dims if None not in dims else shape(target))
    variable.assign(_dispatch_update(f"{variable.name}[...].{how}", current, value, *bounds,
                                     spec))
    return variable
