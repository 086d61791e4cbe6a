"""Reading and creating optimizer state: slot variables, values, hyperparameters.

Optimizer code runs eagerly and while `engine.function` traces, so it reads a variable
once with `read` (a snapshot eagerly, one `ReadVariableOp` in program order when tracing)
and then uses the value in ops. Slot variables are created outside any graph being traced
(`init_scope`) and outside any name scope, named `{slot}/{variable name}` as in Keras.
"""

from __future__ import annotations

from engine import context
from engine.convert import convert_to_tensor
from engine.dtypes import as_dtype
from engine.graph.trace import init_scope
from engine.ops.fill_ops import fill, zeros
from engine.ops.math_ops import cast
from engine.scopes import device, name_scope
from engine.tensor import Tensor
from engine.variable import Variable

__all__ = ["read", "hyper", "shared_name", "slot_variable", "new_variable", "CallableList"]

_THREAD = context.THREAD


def read(variable):
    """A variable's current value for use in ops: a snapshot eagerly, one read when tracing.

    Reading once (rather than handing the variable to each op) costs no op eagerly and adds
    one `ReadVariableOp` node when tracing, ordered after the assignments before it.

    Args:
        variable: an `engine.Variable`.

    Returns:
        A tensor (symbolic while tracing).
    """
    graph = _THREAD.graph
    if graph is None:
        return variable._read()
    return graph.read_variable(variable)


def hyper(value, dtype):
    """A hyperparameter ready for math with tensors of `dtype`.

    Python numbers stay numbers (no op); callables are called; tensors and variables are
    cast (so a variable is read when the step runs).

    Args:
        value: a number, a zero-argument callable, a tensor or a variable.
        dtype: the dtype of the tensors it meets.

    Returns:
        A number or a tensor of `dtype`.
    """
    if isinstance(value, (int, float)):
        return value
    if callable(value) and not hasattr(value, "_read") and not isinstance(value, Tensor):
        value = value()
        if isinstance(value, (int, float)):
            return value
    return cast(value, dtype)


def shared_name(variable) -> str:
    """A variable's name without the `:0` suffix (`dense/kernel` for `dense/kernel:0`).

    Args:
        variable: a variable.

    Returns:
        The name.
    """
    head, _, tail = variable.name.rpartition(":")
    return head if head and tail.isdigit() else variable.name


def slot_variable(model_variable, slot_name: str, shape=None, initial_value=None) -> Variable:
    """A non-trainable variable `{slot_name}/{model_variable's name}` beside the variable.

    Args:
        model_variable: the variable the slot belongs to (gives dtype and device).
        slot_name: the name prefix, e.g. "m".
        shape: the slot's shape (default: the variable's).
        initial_value: a number to fill with, a tensor or variable to copy, or None (zeros).

    Returns:
        The new variable.
    """
    dtype = model_variable.dtype
    with init_scope(), name_scope("/"), device(model_variable.device):
        static = model_variable.shape
        if shape is None:
            dims = tuple(model_variable._read().shape)
            shape = static
        else:
            dims = shape = tuple(shape)
        if initial_value is None:
            initial_value = zeros(dims, dtype=dtype)
        elif isinstance(initial_value, (int, float)):
            initial_value = fill(dims, convert_to_tensor(initial_value, dtype=dtype))
        elif hasattr(initial_value, "_read"):
            initial_value = initial_value._read()
        return Variable(initial_value, name=f"{slot_name}/{shared_name(model_variable)}",
                        dtype=dtype, trainable=False, shape=shape)


def new_variable(shape, dtype=None, initializer="zeros", name=None) -> Variable:
    """A non-trainable variable made by an initializer, outside any graph or name scope.

    Args:
        shape: its shape (None or () for a scalar).
        dtype: its dtype (default: `engine.keras.backend.floatx()`).
        initializer: "zeros", "ones", another Keras initializer name, or a callable
            `initializer(shape, dtype)`.
        name: its name.

    Returns:
        The new variable.
    """
    from engine.keras import backend  # noqa: PLC0415 - siblings that load on first use

    dtype = as_dtype(dtype or backend.floatx())
    shape = tuple(shape or ())
    if isinstance(initializer, str) and initializer not in ("zeros", "ones"):
        from engine.keras import initializers  # noqa: PLC0415

        initializer = initializers.get(initializer)
    with init_scope(), name_scope("/"):
        if initializer in ("zeros", "ones"):
            value = fill(shape, convert_to_tensor(int(initializer == "ones"), dtype=dtype))
        else:
            value = initializer(shape, dtype)
        return Variable(value, name=name, dtype=dtype, trainable=False)


class CallableList(list):
    """A list that returns itself when called (older code calls `optimizer.variables()`).

    Example:
        >>> from engine.keras.optimizers.variables import CallableList
        >>> CallableList([1, 2])()
        [1, 2]
    """

    def __call__(self):
        return self
