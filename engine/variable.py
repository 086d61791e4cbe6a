"""`Variable`: named, mutable state such as a layer's weights.

A variable owns one array. Reading it (`read_value()`, or using it in an op) yields an
immutable `Tensor` snapshot; `assign*` changes the variable and every later reader sees the
new value, while snapshots taken before keep theirs.

Updates are copy-on-write without a copy in the common case: `assign_add`/`assign_sub`
write in place when nothing else references the current array (checked with the
reference count), and allocate a new array otherwise. Optimizer updates therefore cost no
allocation, and a tensor read before an update never changes under its holder.
"""

from __future__ import annotations

import enum
import sys

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.backend import devices as _devices
from engine.convert import convert_to_tensor, to_array
from engine.errors import DTypeError, ShapeError
from engine.tensor import Reference, Tensor, numpy_text, wrap
from engine.tensor_shape import TensorShape
from engine.variable_scatter import VariableScatter

__all__ = ["Variable", "VariableSynchronization", "VariableAggregation"]

_getrefcount = sys.getrefcount


class VariableSynchronization(enum.Enum):
    """When a distributed variable is synchronized (TensorFlow's names).

    Example:
        >>> v = engine.Variable(0.0, synchronization=engine.VariableSynchronization.ON_READ)
        >>> v.synchronization
        <VariableSynchronization.ON_READ: 3>
    """

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How updates from several replicas are combined (TensorFlow's names).

    Example:
        >>> v = engine.Variable(0.0, aggregation=engine.VariableAggregation.MEAN)
        >>> v.aggregation
        <VariableAggregation.MEAN: 2>
    """

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


class Variable(VariableScatter):
    """A mutable tensor-like value that persists across calls: weights, counters, state.

    Args:
        initial_value: a tensor, array, number or list, or a zero-argument callable
            returning one.
        trainable: whether `GradientTape` watches it automatically (default True unless
            `synchronization` is ON_READ).
        name: the variable's name; the current name scope is prepended and `:0` appended,
            as in TensorFlow.
        dtype: convert the initial value to this dtype.
        shape: the variable's static shape (default: the initial value's). Dimensions
            given as None, or `TensorShape(None)` for any shape, let `assign` change them.
        validate_shape: if False and `shape` is not given, the shape is unknown
            (`TensorShape(None)`): any shape may be assigned later.
        constraint: a function applied to the variable by optimizers after each update.
        synchronization, aggregation: how a distribution strategy treats it.
        caching_device, variable_def, import_scope, experimental_enable_variable_lifting:
            accepted for TensorFlow compatibility; ignored.

    Raises:
        ValueError: without an initial value, for a non-callable `constraint`, or for a
            trainable ON_READ variable.
        ShapeError: if the initial value does not fit `shape`.

    Example:
        >>> v = engine.Variable([1.0, 2.0], name="w")
        >>> v.assign_add([1.0, 1.0]).numpy()
        array([2., 3.], dtype=float32)
        >>> v.name
        'w:0'
    """

    _is_variable = True
    __array_priority__ = 100

    def __init__(self, initial_value=None, trainable: bool | None = None,
                 validate_shape: bool = True, caching_device=None, name: str | None = None,
                 variable_def=None, dtype=None, import_scope=None, constraint=None,
                 synchronization=VariableSynchronization.AUTO,
                 aggregation=VariableAggregation.NONE, shape=None,
                 experimental_enable_variable_lifting=True):
        if initial_value is None:
            raise ValueError("Variable: initial_value is required (a value or a callable).")
        if constraint is not None and not callable(constraint):
            raise ValueError(f"Variable: constraint must be callable; got {constraint!r}.")
        graph = context.THREAD.graph
        if graph is not None:
            value = _initial_value_while_tracing(graph, initial_value, dtype, name)
        else:
            if callable(initial_value) and not isinstance(initial_value, Tensor) and not (
                    hasattr(initial_value, "_as_tensor")):
                initial_value = initial_value()
            value = convert_to_tensor(initial_value, dtype=dtype)
        placed = context.THREAD.devices
        self._device = placed[-1] if placed else value._device  # a device scope places it
        array = value._value
        if value._device is not self._device:
            array = _devices.transfer(array, value._device, self._device)
        # Always a private copy; `.copy()` keeps the backend's array type (NumPy, CuPy).
        self._value = _as_ndarray(array.copy(), self._device.xp)
        self._tensor = None
        if synchronization == VariableSynchronization.ON_READ and trainable:
            raise ValueError("Variable: synchronization=ON_READ variables cannot be trainable.")
        if trainable is None:
            trainable = synchronization != VariableSynchronization.ON_READ
        self._trainable = bool(trainable)
        scope = context.current_name_scope()
        base = name if name else "Variable"
        self._name = f"{scope}/{base}:0" if scope else f"{base}:0"
        self._validate_shape = validate_shape
        if shape is not None:
            self._shape = TensorShape(shape)
        else:
            self._shape = TensorShape(self._value.shape if validate_shape else None)
        if not self._shape.is_compatible_with(self._value.shape):
            raise ShapeError(f"Variable {self._name!r}: initial value has shape "
                             f"{self._value.shape}, incompatible with shape={self._shape}.")
        self._constraint = constraint
        self.synchronization = synchronization
        self.aggregation = aggregation
        if graph is not None:
            graph.on_variable_created(self)

    # --- reading ------------------------------------------------------------------------
    # Set by engine.graph.cuda_graphs on a variable that a captured CUDA graph writes in
    # place: its snapshots are then copies, so that later calls do not change them.
    _written_in_place = False

    def _read(self) -> Tensor:
        """The current value as a Tensor snapshot (no op, no tape)."""
        tensor = self._tensor
        if tensor is None:
            value = self._value
            if self._written_in_place:
                value = value.copy()
            tensor = self._tensor = wrap(value, self._device)
        return tensor

    def read_value(self) -> Tensor:
        """The current value as a Tensor; recorded on gradient tapes."""
        if context.THREAD.tapes or context.THREAD.graph is not None:
            from engine import dispatch, registry  # noqa: PLC0415 - above this module

            return dispatch.dispatch(registry.get("Identity"), (self,))
        return self._read()

    value = read_value

    def _as_tensor(self, dtype=None) -> Tensor:
        if dtype is not None and _dt.as_dtype(dtype) is not self.dtype:
            raise DTypeError(f"Variable {self._name!r} has dtype {self.dtype.name}; "
                             f"requested {_dt.as_dtype(dtype).name}. Use engine.cast.")
        return self.read_value()

    def numpy(self) -> np.ndarray:
        """The current value as a read-only NumPy array (a snapshot)."""
        return self._eager_read("numpy()").numpy()

    def __array__(self, dtype=None, copy=None):
        return self._eager_read("Converting to a NumPy array").__array__(dtype, copy)

    def _eager_read(self, what: str) -> Tensor:
        """`_read()`, refused while tracing (the value would be frozen into the graph)."""
        if context.THREAD.graph is not None:
            from engine.errors import TracingError  # noqa: PLC0415

            raise TracingError(
                f"{what} on variable {self._name!r} inside engine.function: the graph would "
                "keep the value it has now, not the value when the graph runs. Use the "
                "variable in engine ops (v * 2, v.read_value()), engine.print(v) to print "
                "it, or read it outside the function.")
        return self._read()

    # --- writing ------------------------------------------------------------------------
    def _coerce(self, value, op: str):
        if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
            tensor = value if isinstance(value, Tensor) else value._read()
            if tensor._value.dtype != self._value.dtype:
                raise DTypeError(f"Variable.{op}: variable {self._name!r} has dtype "
                                 f"{self.dtype.name}, got a value of dtype {tensor.dtype.name}."
                                 f" Cast it with engine.cast(value, {self.dtype!r}).")
            array = tensor._value
            if tensor._device is not self._device:
                array = _devices.transfer(array, tensor._device, self._device)
        else:
            array = to_array(value, self.dtype)
            if self._device.backend is not _devices.CPU0.backend:
                array = _devices.transfer(array, _devices.CPU0, self._device)
        if array.shape != self._value.shape:
            if op == "assign" and self._shape.is_compatible_with(array.shape):
                return array
            broadcastable = op != "assign" and _broadcasts_to(array.shape, self._value.shape)
            if not broadcastable:
                declared = ("" if self._shape.is_fully_defined() else
                            f" (declared shape {self._shape})")
                raise ShapeError(f"Variable.{op}: variable {self._name!r} has shape "
                                 f"{tuple(self._value.shape)}{declared}, got a value of shape "
                                 f"{tuple(array.shape)}. Reshape the value, or create the "
                                 "variable with shape=[None, ...] (None where sizes may "
                                 "change) or validate_shape=False.")
        return array

    def assign(self, value, use_locking=None, name=None, read_value=True) -> Variable:
        """Sets the variable to `value` (same dtype and shape); returns the variable.

        Eagerly, `read_value=False` returns None (as in TensorFlow).

        Inside `engine.function` this adds an assignment to the graph, run in program order.
        A slice assigns itself too: `v[0].assign(x)`, `v[:, 1:].assign_add(d)` (basic
        indices; `engine.ops.slice_update_ops`).
        """
        graph = context.THREAD.graph
        if graph is not None:
            graph.assign_variable(self, value, "assign")
            return self
        array = self._coerce(value, "assign")
        if isinstance(value, np.ndarray) or array is value:
            array = array.copy()
        self._tensor = None
        self._value = _as_ndarray(array, self._device.xp)
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True) -> Variable:
        """Adds `delta` to the variable; returns the variable (eagerly with
        `read_value=False`, None)."""
        return self if self._update(delta, "assign_add", "add") or read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True) -> Variable:
        """Subtracts `delta` from the variable; returns the variable (eagerly with
        `read_value=False`, None)."""
        return self if self._update(delta, "assign_sub", "subtract") or read_value else None

    def _update(self, delta, op: str, ufunc: str) -> bool:
        """Applies the update; True when it was added to a graph being traced."""
        graph = context.THREAD.graph
        if graph is not None:
            graph.assign_variable(self, delta, op)
            return True
        array = self._coerce(delta, op)
        self._tensor = None
        current = self._value
        xp = self._device.xp
        # Three references: the attribute, `current`, and getrefcount's own argument.
        if _getrefcount(current) <= 3 and _writable_owner(current):
            getattr(xp, ufunc)(current, array, out=current)
        else:
            # A ufunc on 0-d arrays returns a NumPy scalar: keep the value an array.
            self._value = _as_ndarray(getattr(xp, ufunc)(current, array), xp)
        return False

    # --- description --------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The name with scope and `:0`, e.g. `'dense/kernel:0'`."""
        return self._name

    @property
    def dtype(self) -> _dt.DType:
        """The element type."""
        return _dt.from_numpy(self._value.dtype)

    @property
    def shape(self) -> TensorShape:
        """The static shape; None where created with `shape=[None, ...]` (see `__init__`)."""
        return self._shape

    def get_shape(self) -> TensorShape:
        """Alias of `shape`."""
        return self.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._value.ndim

    @property
    def device(self) -> str:
        """The full name of the device holding the variable."""
        return self._device.name

    @property
    def trainable(self) -> bool:
        """Whether tapes watch the variable automatically and optimizers update it."""
        return self._trainable

    @property
    def constraint(self):
        """The constraint function applied after optimizer updates, or None."""
        return self._constraint

    def ref(self) -> Reference:
        """A hashable reference (variables compare elementwise, so they are unhashable)."""
        return Reference(self)

    experimental_ref = ref

    def __hash__(self):
        raise TypeError("Variable is unhashable (== compares elementwise). "
                        "Use variable.ref() as a dictionary key or set member instead.")

    def __len__(self) -> int:
        return len(self._read())

    def __bool__(self) -> bool:
        return bool(self._eager_read("bool()"))

    def __float__(self) -> float:
        return float(self._eager_read("float()"))

    def __int__(self) -> int:
        return int(self._eager_read("int()"))

    def __index__(self) -> int:
        return self._eager_read("Using as an index").__index__()

    def __deepcopy__(self, memo) -> Variable:
        copy = Variable.__new__(Variable)
        copy.__dict__.update(self.__dict__)
        copy._value = self._value.copy()
        copy._tensor = None
        memo[id(self)] = copy
        return copy

    def __reduce__(self):
        # The constraint is left out (often a lambda), as TensorFlow does.
        state = {"value": np.asarray(self._read()), "device": self._device.short_name,
                 "name": self._name, "trainable": self._trainable,
                 "validate_shape": self._validate_shape, "shape": self._shape.dims,
                 "synchronization": self.synchronization, "aggregation": self.aggregation}
        return _unpickle_variable, (state,)

    def __repr__(self) -> str:
        return (f"<engine.Variable {self._name!r} shape={self.shape} "
                f"dtype={self.dtype.name}, numpy={numpy_text(np.asarray(self._read()), True)}>")


def _initial_value_while_tracing(graph, initial_value, dtype, name) -> Tensor:
    """Evaluates a variable's initial value eagerly (outside the graph being traced)."""
    from engine.graph.trace import init_scope  # noqa: PLC0415 - graph sits above this module

    if not graph.allow_variable_creation:
        graph.on_variable_created(_Named(name))
    with init_scope():
        if callable(initial_value) and not isinstance(initial_value, Tensor) and not hasattr(
                initial_value, "_as_tensor"):
            initial_value = initial_value()
        if isinstance(initial_value, Tensor) and getattr(initial_value, "_node", None):
            initial_value = _lift(initial_value, name)
        return convert_to_tensor(initial_value, dtype=dtype)


def _lift(tensor, name) -> Tensor:
    """A symbolic initial value evaluated now, as TF's `init_scope` lifts initializers.

    Constants, static shapes and random draws are fine (a random initializer draws once);
    a value computed from the function's inputs or from variable reads is refused.
    """
    from engine.graph import lifting  # noqa: PLC0415 - graph sits above this module

    reason = lifting.blocker(tensor)
    if reason is not None:
        raise ValueError(
            f"Variable {name or 'Variable'!r}: the initial value {tensor.name} is computed "
            f"inside engine.function from {reason}: its value is known only when the "
            "function runs. Initial values must not depend on them (inputs, variable "
            "reads); they may use constants, static shapes (x.shape) and "
            "random draws: create the variable from such a value (e.g. "
            "engine.zeros([x.shape[-1], units])) and assign the input-dependent value "
            "afterwards with `variable.assign(...)`.")
    return lifting.lift(tensor)


class _Named:
    """Stands in for a variable not yet made, so that the refusal can name it."""

    def __init__(self, name):
        self.name = f"{name or 'Variable'}:0"


def _unpickle_variable(state: dict) -> Variable:
    variable = Variable.__new__(Variable)
    device = _devices.get(state["device"])
    value = np.array(state["value"], copy=True)
    if device.backend is not _devices.CPU0.backend:
        value = _devices.transfer(value, _devices.CPU0, device)
    variable._device = device
    variable._value = value
    variable._tensor = None
    variable._trainable = state["trainable"]
    variable._name = state["name"]
    variable._validate_shape = state["validate_shape"]
    variable._shape = TensorShape(state["shape"])
    variable._constraint = None
    variable.synchronization = state["synchronization"]
    variable.aggregation = state["aggregation"]
    return variable


def _as_ndarray(value, xp):
    """`value` as an array of backend `xp`: NumPy returns scalars (`np.float32`) from
    ufuncs and reductions on 0-d arrays, and a variable's value must stay an array (for
    `np.asarray(v)`, in-place updates and `repr`)."""
    return value if isinstance(value, xp.ndarray) else xp.asarray(value)


def _writable_owner(array) -> bool:
    """True if `array` owns its memory and may be written (CuPy's flags lack `writeable`).

    Call it after counting references: a flags object holds one to its array.
    """
    flags = getattr(array, "flags", None)
    return flags is not None and flags.owndata and getattr(flags, "writeable", True)


def _broadcasts_to(src: tuple, dst: tuple) -> bool:
    if len(src) > len(dst):
        return False
    return all(s in (1, d) for s, d in zip(reversed(src), reversed(dst)))
