"""Conversion of Python and NumPy values to tensors, with TensorFlow's dtype rules.

- Python floats become float32, ints int32 (int64 if they do not fit), bools bool,
  strings `engine.string` (stored as bytes).
- NumPy arrays keep their dtype (a float64 array stays float64).
- A requested dtype is honoured when the conversion loses nothing that matters
  (ints to floats, integral floats to ints); otherwise a `DTypeError` says why.
- Where an op combines a tensor with a Python number, the number adopts the tensor's
  dtype (dispatch passes that dtype here).
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.backend import devices as _devices
from engine.errors import DTypeError, ShapeError
from engine.tensor import Tensor, wrap

__all__ = ["constant", "convert_to_tensor", "to_array"]

_INT32 = np.iinfo(np.int32)
_INT64 = np.iinfo(np.int64)


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _python_scalar(value, dtype):
    kind = type(value)
    if kind is bool or kind is np.bool_:
        if dtype is None or dtype is _dt.bool:
            return np.asarray(value, np.bool_)
        raise DTypeError(f"Cannot convert {value!r} to a tensor of dtype {dtype.name}; "
                         "booleans convert only to engine.bool. Cast with engine.cast.")
    if kind is int:
        if dtype is None:
            dtype = _dt.int32 if _INT32.min <= value <= _INT32.max else _dt.int64
            if not _INT64.min <= value <= _INT64.max:
                raise DTypeError(f"Cannot convert {value} to a tensor: it is out of the range "
                                 f"of int64 [{_INT64.min}, {_INT64.max}]. Pass a float, or "
                                 "an explicit dtype such as engine.uint64 if it fits.")
        if dtype is _dt.bool or dtype is _dt.string:
            raise DTypeError(f"Cannot convert {value!r} to a tensor of dtype {dtype.name}.")
        if dtype.is_integer:
            info = np.iinfo(dtype._np)
            if not info.min <= value <= info.max:
                raise DTypeError(f"Cannot convert {value} to a tensor of dtype {dtype.name}: "
                                 f"out of range [{info.min}, {info.max}].")
        return np.asarray(value, dtype._np)
    if kind is float:
        if dtype is None:
            return np.asarray(value, np.float32)
        if dtype.is_integer:
            if not value.is_integer():
                raise DTypeError(f"Cannot convert {value!r} to a tensor of dtype "
                                 f"{dtype.name}: it has a fractional part. Cast explicitly "
                                 "with engine.cast, or use a float tensor.")
            return np.asarray(int(value), dtype._np)
        if dtype is _dt.bool or dtype is _dt.string:
            raise DTypeError(f"Cannot convert {value!r} to a tensor of dtype {dtype.name}.")
        return np.asarray(value, dtype._np)
    if kind is complex:
        if dtype is None:
            return np.asarray(value, np.complex128)
        if not dtype.is_complex:
            raise DTypeError(f"Cannot convert {value!r} to a tensor of dtype {dtype.name}.")
        return np.asarray(value, dtype._np)
    return None


def _strings(array: np.ndarray, value=None) -> np.ndarray:
    """`array` of str/bytes as an object array of Python bytes (str encoded as UTF-8).

    Raises a ValueError when an element is not a string (`value` is what the user gave),
    as for `[1, "a"]`: NumPy would turn the number into the text "1"; TensorFlow refuses.
    """
    out = np.empty(array.shape, dtype=object)
    flat = out.reshape(-1)
    for i, item in enumerate(array.reshape(-1).tolist()):
        if isinstance(item, str):
            item = item.encode("utf-8")
        elif isinstance(item, bytes):
            item = bytes(item)  # np.bytes_ -> bytes, as TensorFlow's elements are
        else:
            raise ValueError(f"Cannot convert {_describe(array if value is None else value)} "
                             f"to a tensor: it mixes strings with {type(item).__name__} "
                             "values. Make every element a string (e.g. str(x)), or none.")
        flat[i] = item
    return out


def _cast_array(array: np.ndarray, dtype: _dt.DType, value) -> np.ndarray:
    """`array` as `dtype` when nothing that matters is lost; DTypeError otherwise.

    Allowed: strings to strings, numbers to wider or other numeric kinds, integral floats
    to ints. Refused: strings to numbers (and back), bools to numbers and numbers to bools
    (compare explicitly), fractional floats to ints, complex to real.
    """
    if array.dtype == dtype._np:
        return array
    src = array.dtype
    text_in, text_out = src.kind in "USO", dtype is _dt.string
    if text_in and text_out:
        # a list of bytes: its elements as given (NumPy's `S` arrays drop trailing NULs)
        listed = isinstance(value, (list, tuple)) and src.kind == "S"
        return _strings(np.asarray(value, dtype=object) if listed else array, value)
    if text_out and array.size == 0:  # an empty list (NumPy makes it float64) has no text
        return np.empty(array.shape, dtype=object)
    lossless = not (text_in or text_out or src.kind == "b" or dtype is _dt.bool
                    or (src.kind == "c" and not dtype.is_complex))
    if lossless and src in _dt.INEXACT_NUMPY and dtype.is_integer:  # bfloat16's kind is "V"
        lossless = bool(np.all(np.mod(array, 1) == 0))
    if lossless:
        return array.astype(dtype._np)
    raise DTypeError(f"Cannot convert {_describe(value)} (dtype {src}) to a tensor of dtype "
                     f"{dtype.name}. Cast it explicitly with engine.cast.")


def to_array(value, dtype: _dt.DType | None = None) -> np.ndarray:
    """Converts a Python or NumPy value to a NumPy array with TensorFlow's dtype rules.

    Raises:
        DTypeError: when the value cannot be represented in `dtype`.
        ValueError: for ragged nested lists or None.
    """
    scalar = _python_scalar(value, dtype)
    if scalar is not None:
        return scalar
    if isinstance(value, np.ndarray):
        if dtype is None:
            if value.dtype.kind in "US" or (value.dtype == object and _has_str(value)):
                return _strings(value)  # str elements become UTF-8 bytes, as in TensorFlow
            return value
        return _cast_array(value, dtype, value)
    if isinstance(value, np.generic):
        array = np.asarray(value)
        return array if dtype is None else _cast_array(array, dtype, value)
    if isinstance(value, (str, bytes)):
        if dtype is not None and dtype is not _dt.string:
            raise DTypeError(f"Cannot convert the string {_describe(value)} to a tensor of "
                             f"dtype {dtype.name}.")
        out = np.empty((), dtype=object)
        out[()] = value.encode("utf-8") if isinstance(value, str) else value
        return out
    if value is None:
        raise ValueError("Cannot convert None to a tensor; pass a number, list or array.")
    try:
        array = np.asarray(value)
    except ValueError as exc:
        reason = str(exc).rstrip(".")
        raise ValueError(f"Cannot convert {_describe(value)} to a tensor: {reason}. Nested "
                         "lists must be rectangular: pad the shorter rows.") from None
    if array.dtype == object and not _all_strings(array):
        raise ValueError(f"Cannot convert {_describe(value)} to a tensor: it is ragged or "
                         "mixes types; nested lists must be rectangular.")
    if isinstance(value, (list, tuple, range)) and dtype is None:
        # Python numbers inside lists follow the scalar rules (float -> float32, ...).
        if array.dtype == np.float64 and not _has_numpy_float64(value):
            array = array.astype(np.float32)
        elif array.dtype == np.int64 and array.size and (
                array.min() >= _INT32.min and array.max() <= _INT32.max):
            array = array.astype(np.int32)
        elif array.dtype.kind in "US" or array.dtype == object:
            # NumPy turns numbers mixed into a list of strings into text (check the leaves),
            # and drops trailing NULs from bytes: convert the elements as given
            array = _strings(np.asarray(value, dtype=object) if array.dtype.kind in "US"
                             else array, value)
        elif array.dtype == np.int64 and not array.size:
            array = array.astype(np.float32)
        elif array.dtype == np.float64 and not array.size:
            array = array.astype(np.float32)
        return array
    if dtype is None:
        return _strings(array) if array.dtype.kind in "US" else array
    return _cast_array(array, dtype, value)


def _has_str(array) -> bool:
    return any(isinstance(x, str) for x in array.reshape(-1))


def _all_strings(array) -> bool:
    return all(isinstance(x, (str, bytes)) for x in array.reshape(-1))


def _has_numpy_float64(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_has_numpy_float64(v) for v in value)
    return isinstance(value, (np.ndarray, np.float64)) and value.dtype == np.float64


def _contains_tensors(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_contains_tensors(v) for v in value)
    return isinstance(value, Tensor) or hasattr(value, "_as_tensor")


def _current_device() -> _devices.Device:
    stack = context.THREAD.devices
    return stack[-1] if stack else _devices.CPU0


def _place(array: np.ndarray) -> Tensor:
    device = _current_device()
    if device is _devices.CPU0 or array.dtype == object:  # strings live on the host (TF too)
        return wrap(array)
    return wrap(_devices.transfer(array, _devices.CPU0, device), device)


def tensor_or_variable(value):
    """`value` itself when it is a tensor or a variable (a tape then sees the variable),
    else `convert_to_tensor(value)`: what ops that read `.dtype` / `.shape` of their
    arguments before dispatching take.

    Example:
        >>> from engine.convert import tensor_or_variable
        >>> v = engine.Variable(1.0)
        >>> tensor_or_variable(v) is v, tensor_or_variable([1, 2]).dtype
        (True, engine.int32)
    """
    if isinstance(value, Tensor) or hasattr(value, "_read"):
        return value
    return convert_to_tensor(value)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name: str | None = None) -> Tensor:
    """Converts a tensor, variable, NumPy array, Python number or nested list to a Tensor.

    Args:
        value: what to convert. Tensors are returned as they are.
        dtype: the dtype required (a `DTypeError` if `value` cannot have it).
        dtype_hint: a dtype to use when `value` does not determine one (Python numbers).
        name: ignored in eager mode (kept for TensorFlow compatibility).

    Returns:
        A `Tensor` on the current device.

    Example:
        >>> engine.convert_to_tensor([1, 2]).dtype
        engine.int32
    """
    dtype = None if dtype is None else _dt.as_dtype(dtype)
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype is not dtype:
            raise DTypeError(f"convert_to_tensor: requested dtype {dtype.name} for a tensor of "
                             f"dtype {value.dtype.name}. Use engine.cast(x, {dtype!r}).")
        return value
    if hasattr(value, "_as_tensor"):
        return value._as_tensor(dtype)
    if _contains_tensors(value):
        return _pack(value, dtype)
    if dtype is None and dtype_hint is not None:
        try:
            return _place(np.array(to_array(value, _dt.as_dtype(dtype_hint)), copy=True))
        except (DTypeError, ValueError):
            pass
    return _place(np.array(to_array(value, dtype), copy=True))


def _first_dtype(value):
    """The dtype of the first tensor or variable inside nested lists (None if none)."""
    if isinstance(value, (list, tuple)):
        for v in value:
            found = _first_dtype(v)
            if found is not None:
                return found
        return None
    return value.dtype if isinstance(value, Tensor) or hasattr(value, "_as_tensor") else None


def _pack(value, dtype) -> Tensor:
    """Stacks nested lists holding tensors with the `Pack` op, so gradients flow through."""
    from engine import dispatch, registry  # noqa: PLC0415 - dispatch sits above this module

    if dtype is None:
        dtype = _first_dtype(value)  # Python numbers beside tensors adopt their dtype
    items = [convert_to_tensor(v, dtype) if not isinstance(v, (list, tuple)) else
             _pack(v, dtype) for v in value]
    if not items:
        return _place(np.zeros((0,), (dtype or _dt.float32)._np))
    return dispatch.dispatch(registry.get("Pack"), tuple(items), {"axis": 0})


def constant(value, dtype=None, shape=None, name: str | None = None) -> Tensor:
    """Creates a tensor from a Python or NumPy value (the data are copied).

    Args:
        value: a number, string, nested list, NumPy array or tensor.
        dtype: the element type; by default float32 for Python floats, int32 for ints,
            the array's own dtype for NumPy arrays.
        shape: optional shape; a scalar is broadcast to it, other values are reshaped
            (the number of elements must match).
        name: ignored in eager mode.

    Returns:
        A `Tensor` on the current device.

    Raises:
        DTypeError: if `value` cannot be represented with `dtype`.
        ShapeError: if `value` cannot take `shape`.

    Example:
        >>> engine.constant(0.0, shape=[2, 2]).numpy()
        array([[0., 0.],
               [0., 0.]], dtype=float32)
    """
    dtype = None if dtype is None else _dt.as_dtype(dtype)
    shape = None if shape is None else tuple(int(d) for d in shape)
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor") or _contains_tensors(value):
        source = convert_to_tensor(value)
        if dtype is None or source.dtype is dtype:
            return _tensor_constant(source, shape)
        array = _cast_array(np.asarray(source), dtype, value)
    else:
        array = to_array(value, dtype)
    array = np.array(array, copy=True)
    if shape is not None:
        _check_shape(array.shape, shape)
        if array.size == 1 and int(np.prod(shape)) != 1:
            array = np.array(np.broadcast_to(array.reshape(()), shape))
        else:
            array = array.reshape(shape)
    return _place(array)


def _check_shape(have: tuple, shape: tuple) -> None:
    size, want = int(np.prod(have)), int(np.prod(shape))
    if size != want and size != 1:
        raise ShapeError(f"constant: got a value with {size} elements (shape {have}) and "
                         f"shape={list(shape)} ({want} elements); expected a scalar or the "
                         "same number of elements.")


def _tensor_constant(source: Tensor, shape) -> Tensor:
    """`constant` of tensors: built with ops (Pack, Reshape), so it stays differentiable."""
    from engine import dispatch, registry  # noqa: PLC0415 - dispatch sits above this module

    devices = context.THREAD.devices
    if devices and source._device is not devices[-1]:
        source = dispatch.dispatch(registry.get("Identity"), (source,))
    if shape is None or tuple(source._value.shape) == shape:
        return source
    _check_shape(tuple(source._value.shape), shape)
    if source._value.size == 1 and int(np.prod(shape)) != 1:
        scalar = dispatch.dispatch(registry.get("Reshape"), (source,), {"shape": ()})
        return dispatch.dispatch(registry.get("BroadcastTo"), (scalar,), {"shape": shape})
    return dispatch.dispatch(registry.get("Reshape"), (source,), {"shape": shape})
