"""`Tensor`: an immutable array on a device.

A Tensor wraps one backend array (`numpy.ndarray` on CPUs, `cupy.ndarray` on GPUs) and the
`Device` it lives on. Its operators (`+`, `@`, `[]`, …) are installed by
`engine/ops/operators.py`, so that this module stays below the op definitions.

The array inside a tensor is never written to. `numpy()` therefore hands out a read-only
view; copy it (`np.array(t)`) to get a writable array.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dtypes
from engine.backend import devices as _devices
from engine.tensor_shape import TensorShape

__all__ = ["Tensor", "Reference", "is_tensor"]

_new = object.__new__
_CPU0 = _devices.CPU0


class Tensor:
    """An immutable, eagerly computed n-dimensional array.

    Tensors come from `engine.constant`, from ops, and from reading variables. They work
    with NumPy (`np.asarray(t)`), support Python operators, and carry a shape, a dtype and
    a device.

    Example:
        >>> t = engine.constant([[1.0, 2.0], [3.0, 4.0]])
        >>> t.shape, t.dtype
        (TensorShape([2, 2]), engine.float32)
        >>> (t @ t).numpy()
        array([[ 7., 10.],
               [15., 22.]], dtype=float32)
    """

    # `_keras_mask`: the Keras mask a layer attached (unset on most tensors: read it with
    # getattr(t, "_keras_mask", None)). `_keras_fold`: how a Keras layer made this tensor,
    # for the next layer to fuse with it: `("rows", table, ids)` from an Embedding
    # (`table[ids]`), `("finish", pre, finish, data_format)` from a convolution whose bias and
    # activation commute with max pooling (`finish(pre)`).
    # `_variable_slice`: `(variable, key)` when this tensor is `variable[key]`, whose
    # `assign`, `assign_add` and `assign_sub` write that slice.
    __slots__ = ("_value", "_device", "_keras_mask", "_keras_fold", "_variable_slice")
    # Makes `ndarray + tensor` call `Tensor.__radd__` (NumPy defers to higher priority
    # objects that define the reflected operator and no __array_ufunc__).
    __array_priority__ = 100

    def __init__(self, value, device: _devices.Device = _CPU0):
        if not hasattr(value, "shape") or not hasattr(value, "dtype"):
            raise TypeError(f"Tensor: got {type(value).__name__}; tensors are made by "
                            "engine.constant(...) or engine.convert_to_tensor(...), not by "
                            "calling engine.Tensor directly.")
        self._value = value
        self._device = device

    # --- description -------------------------------------------------------------------
    @property
    def shape(self) -> TensorShape:
        """The shape, as a fully known `TensorShape`."""
        return TensorShape(self._value.shape)

    def get_shape(self) -> TensorShape:
        """Alias of `shape` (TensorFlow compatibility)."""
        return TensorShape(self._value.shape)

    def set_shape(self, shape) -> None:
        """Checks that `shape` (a partial shape, None for unknown) fits this tensor.

        An eager tensor's shape is fully known, so this only checks (as TensorFlow);
        while tracing it also refines the static shape.

        Args:
            shape: a `TensorShape`, list or tuple; None entries match any size.

        Raises:
            ValueError: when `shape` is incompatible with the tensor's shape.

        Example:
            >>> engine.zeros([2, 3]).set_shape([None, 3])
        """
        if not self.shape.is_compatible_with(TensorShape(shape)):
            raise ValueError(f"set_shape: got shape {TensorShape(shape)}; the tensor has "
                             f"shape {self.shape}, which it does not fit. Pass None for "
                             "dimensions that may vary.")

    @property
    def dtype(self) -> _dtypes.DType:
        """The element type, e.g. `engine.float32`."""
        return _dtypes.from_numpy(self._value.dtype)

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._value.ndim

    @property
    def device(self) -> str:
        """The full name of the device holding the tensor."""
        return self._device.name

    @property
    def backing_device(self) -> str:
        """Where the memory lives (same as `device`)."""
        return self._device.name

    # A slice of a variable, `v[key]`, has the variable's assignment methods for that
    # slice. Properties, not methods: on any other tensor they raise AttributeError, so
    # `hasattr(t, "assign")` stays False (and other missing attributes cost nothing).
    @property
    def assign(self):
        """`v[key].assign(value)`: writes the slice of the variable (slices only)."""
        return self._slice_assignment("assign")

    @property
    def assign_add(self):
        """`v[key].assign_add(delta)`: adds to the slice of the variable (slices only)."""
        return self._slice_assignment("assign_add")

    @property
    def assign_sub(self):
        """`v[key].assign_sub(delta)`: subtracts from the slice of the variable."""
        return self._slice_assignment("assign_sub")

    def _slice_assignment(self, how: str):
        try:
            variable, key = self._variable_slice
        except AttributeError:
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute {how!r}: tensors are "
                "immutable. Keep the value in an engine.Variable (v.assign(...), "
                "v[key].assign(...)), or build a new tensor with "
                "engine.tensor_scatter_nd_update or engine.tensor_strided_slice_update."
            ) from None
        from engine.ops.slice_update_ops import assign_slice  # noqa: PLC0415

        def assign(value, use_locking=None, name=None, read_value=True):
            return assign_slice(variable, key, value, how)

        return assign

    def numpy(self):
        """The value as a NumPy array: a read-only view on CPU, a host copy from a GPU.

        A scalar tensor gives a NumPy scalar (`np.float32(3.0)`), as in TensorFlow.
        """
        value = self._value
        if type(value) is not np.ndarray:
            value = self._device.backend.to_host(value)
            return value[()] if value.ndim == 0 else value
        if value.ndim == 0:
            return value[()]
        view = value.view()
        view.flags.writeable = False
        return view

    def __array__(self, dtype=None, copy=None):
        # NumPy's protocol: copy=None copies only if needed, copy=False must not copy.
        value = self._value
        on_host = type(value) is np.ndarray
        convert = dtype is not None and np.dtype(dtype) != value.dtype
        if copy is False and (convert or not on_host):
            raise ValueError(f"Cannot view a tensor of dtype {self.dtype.name} on "
                             f"{self._device.short_name} as a NumPy array of dtype "
                             f"{np.dtype(dtype) if convert else value.dtype} without a copy; "
                             "pass copy=None or call .numpy().")
        if not on_host:
            value = self._device.backend.to_host(value)  # already a fresh copy
            return value.astype(dtype, copy=False) if convert else value
        if convert:
            return value.astype(dtype)
        if copy:
            return value.copy()
        view = value.view()
        view.flags.writeable = False
        return view

    # --- Python protocols --------------------------------------------------------------
    def __len__(self) -> int:
        if self._value.ndim == 0:
            raise TypeError("len() of a scalar tensor (shape ()); index it or call .numpy()")
        return self._value.shape[0]

    def __bool__(self) -> bool:
        if self._value.size != 1:
            raise ValueError(
                f"The truth value of a tensor with shape {self.shape} is ambiguous; "
                "use engine.reduce_any(t) or engine.reduce_all(t).")
        return bool(self._value)

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __index__(self) -> int:
        if self._value.dtype.kind not in "iu":
            raise TypeError(f"Only integer scalar tensors can be used as an index; "
                            f"got dtype {self.dtype.name}. Cast it with engine.cast.")
        return int(self._scalar("index"))

    def _scalar(self, what: str):
        value = self._value
        if value.size != 1:
            raise TypeError(f"Only single-element tensors can be converted to {what}; "
                            f"got shape {self.shape}.")
        return value.reshape(()).item() if type(value) is np.ndarray else value.item()

    def __hash__(self):
        raise TypeError("Tensor is unhashable (== compares elementwise). "
                        "Use tensor.ref() as a dictionary key or set member instead.")

    def ref(self) -> Reference:
        """A hashable reference to this tensor; `ref.deref()` returns it."""
        return Reference(self)

    experimental_ref = ref

    def __copy__(self) -> Tensor:
        return self

    def __deepcopy__(self, memo) -> Tensor:
        return self

    def __reduce__(self):
        return _rebuild, (np.asarray(self), self._device.short_name)

    def cpu(self) -> Tensor:
        """A copy of this tensor on `/CPU:0`."""
        return self._to(_CPU0)

    def gpu(self, index: int = 0) -> Tensor:
        """A copy of this tensor on `/GPU:{index}`."""
        return self._to(_devices.get(f"/GPU:{index}"))

    def _to(self, device: _devices.Device) -> Tensor:
        if device is self._device:
            return self
        return Tensor(_devices.transfer(self._value, self._device, device), device)

    # --- printing ----------------------------------------------------------------------
    def __repr__(self) -> str:
        return (f"<engine.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={numpy_text(np.asarray(self), True)}>")

    def __str__(self) -> str:
        return (f"engine.Tensor({numpy_text(np.asarray(self), False)}, shape={self.shape}, "
                f"dtype={self.dtype.name})")

    def __format__(self, spec: str) -> str:
        if spec and self._value.size == 1:
            return format(self._scalar("a formatted number"), spec)
        return str(self) if not spec else format(str(self), spec)


def numpy_text(array: np.ndarray, is_repr: bool) -> str:
    """The value part of a tensor's repr/str, formatted as TensorFlow does.

    Scalars print as the number (`3.0`, `True`, `b'abc'`); arrays as NumPy's repr (for
    `repr`) or str, starting on a new line when they span several lines.
    """
    if array.ndim == 0:
        text = str(array[()])
    else:
        text = repr(array) if is_repr else str(array)
    return "\n" + text if "\n" in text else text


def _rebuild(array, device_name):
    device = _devices.get(device_name)
    if device is not _CPU0:
        array = _devices.transfer(array, _CPU0, device)
    return Tensor(array, device)


def wrap(value, device: _devices.Device = _CPU0) -> Tensor:
    """Wraps a backend array as a Tensor without copying (internal fast constructor)."""
    tensor = _new(Tensor)
    tensor._value = value
    tensor._device = device
    return tensor


class Reference:
    """A hashable stand-in for a tensor or variable (compares by identity)."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        """The referenced tensor or variable."""
        return self._obj

    def __eq__(self, other) -> bool:
        return isinstance(other, Reference) and other._obj is self._obj

    def __hash__(self) -> int:
        return id(self._obj)

    def __repr__(self) -> str:
        return f"<Reference to {self._obj!r}>"


def is_tensor(x) -> bool:
    """True for tensors and tensor-like objects such as variables.

    Args:
        x: any value.

    Returns:
        True for `engine.Tensor`, `engine.Variable` and other tensor-like objects.

    Example:
        >>> engine.is_tensor(engine.constant(1.0)), engine.is_tensor(1.0)
        (True, False)
    """
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")
