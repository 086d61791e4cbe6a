"""Keras 2 backend functions for variables, constants and control flow.

`K.variable`, `K.zeros`, `K.ones` and `K.eye` return variables (as in Keras 2); the
`*_like` functions return tensors. `K.gradients` has no eager meaning and says to use
`engine.GradientTape`.
"""

from __future__ import annotations

import numpy as np

import engine as _engine
from engine import convert_to_tensor
from engine import dtypes as _dt

__all__ = ["variable", "constant", "zeros", "ones", "eye", "zeros_like", "ones_like",
           "get_value", "set_value", "batch_get_value", "batch_set_value", "eval", "update",
           "update_add", "update_sub", "moving_average_update", "count_params",
           "is_keras_tensor", "gradients", "stop_gradient", "name_scope", "map_fn", "foldl",
           "foldr"]


def _floatx(dtype):
    from engine.keras.backend import floatx  # noqa: PLC0415 - backend re-exports this module

    return floatx() if dtype is None else dtype


def variable(value, dtype=None, name=None, constraint=None):
    """A variable holding `value` (in `floatx()` unless `dtype` says otherwise).

    Args:
        value: a number, array or tensor.
        dtype: the dtype (default: `floatx()`).
        name: the variable's name.
        constraint: a function applied after optimizer updates.

    Returns:
        An `engine.Variable`.

    Example:
        >>> v = engine.keras.backend.variable([[1, 2]])
        >>> v.dtype, engine.keras.backend.get_value(v).tolist()
        (engine.float32, [[1.0, 2.0]])
    """
    initial = np.asarray(value, dtype=_dt.as_dtype(_floatx(dtype)).as_numpy_dtype)
    return _engine.Variable(initial, name=name, constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    """A constant tensor (in `floatx()` unless `dtype` says otherwise).

    Args:
        value: a number or array (a number fills `shape`).
        dtype: the dtype (default: `floatx()`).
        shape: the shape to fill or check.
        name: accepted for Keras 2 compatibility.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.constant(2, shape=(2,)).numpy().tolist()
        [2.0, 2.0]
    """
    return _engine.constant(value, dtype=_floatx(dtype), shape=shape, name=name)


def zeros(shape, dtype=None, name=None):
    """A variable of zeros.

    Args:
        shape: the shape.
        dtype: the dtype (default: `floatx()`).
        name: the variable's name.

    Returns:
        An `engine.Variable`.

    Example:
        >>> engine.keras.backend.zeros((2, 1)).numpy().tolist()
        [[0.0], [0.0]]
    """
    return variable(np.zeros(shape), dtype, name)


def ones(shape, dtype=None, name=None):
    """A variable of ones.

    Args:
        shape: the shape.
        dtype: the dtype (default: `floatx()`).
        name: the variable's name.

    Returns:
        An `engine.Variable`.

    Example:
        >>> engine.keras.backend.ones((2,)).numpy().tolist()
        [1.0, 1.0]
    """
    return variable(np.ones(shape), dtype, name)


def eye(size, dtype=None, name=None):
    """A variable holding an identity matrix.

    Args:
        size: an int (square) or a pair `(rows, columns)`.
        dtype: the dtype (default: `floatx()`).
        name: the variable's name.

    Returns:
        An `engine.Variable`.

    Example:
        >>> engine.keras.backend.eye(2).numpy().tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    rows, columns = (size, size) if isinstance(size, int) else tuple(size)
    return variable(np.eye(rows, columns), dtype, name)


def zeros_like(x, dtype=None, name=None):
    """A tensor of zeros shaped like `x`.

    Args:
        x: a tensor.
        dtype: the dtype (default: that of `x`).
        name: accepted for Keras 2 compatibility.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.zeros_like([1.0, 2.0]).numpy().tolist()
        [0.0, 0.0]
    """
    del name
    return _engine.zeros_like(convert_to_tensor(x), dtype=dtype)


def ones_like(x, dtype=None, name=None):
    """A tensor of ones shaped like `x`.

    Args:
        x: a tensor.
        dtype: the dtype (default: that of `x`).
        name: accepted for Keras 2 compatibility.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.ones_like([[5, 6]]).numpy().tolist()
        [[1, 1]]
    """
    del name
    return _engine.ones_like(convert_to_tensor(x), dtype=dtype)


def get_value(x):
    """The value of a variable or tensor as a NumPy array.

    Args:
        x: a variable, tensor or array.

    Returns:
        A NumPy array.

    Example:
        >>> engine.keras.backend.get_value(engine.Variable([1.0]))
        array([1.], dtype=float32)
    """
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def set_value(x, value) -> None:
    """Assigns `value` (a NumPy array or number) to the variable `x`.

    Args:
        x: an `engine.Variable`.
        value: the new value, of `x`'s shape.

    Raises:
        TypeError: if `x` is not a variable.

    Example:
        >>> v = engine.Variable([1.0, 2.0])
        >>> engine.keras.backend.set_value(v, [3.0, 4.0])
        >>> v.numpy().tolist()
        [3.0, 4.0]
    """
    if not hasattr(x, "assign"):
        raise TypeError(f"set_value: got {type(x).__name__}; expected a variable (e.g. "
                        "engine.keras.backend.variable(...) or a layer weight).")
    x.assign(np.asarray(value, dtype=x.dtype.as_numpy_dtype))


def batch_get_value(tensors) -> list:
    """The values of several variables or tensors.

    Args:
        tensors: a list of variables or tensors.

    Returns:
        A list of NumPy arrays.

    Example:
        >>> engine.keras.backend.batch_get_value([engine.Variable(1.0)])
        [array(1., dtype=float32)]
    """
    return [get_value(x) for x in tensors]


def batch_set_value(tuples) -> None:
    """Assigns several values: `[(variable, value), ...]`.

    Args:
        tuples: pairs of a variable and its new value.

    Example:
        >>> v = engine.Variable(0.0)
        >>> engine.keras.backend.batch_set_value([(v, 5.0)])
        >>> float(v.numpy())
        5.0
    """
    for x, value in tuples:
        set_value(x, value)


def eval(x):  # noqa: A001 - Keras 2's name
    """The value of a tensor or variable as a NumPy array (eager: `x.numpy()`).

    Args:
        x: a tensor or variable.

    Returns:
        A NumPy array.

    Example:
        >>> engine.keras.backend.eval(engine.constant([1, 2]))
        array([1, 2], dtype=int32)
    """
    return get_value(x)


def update(x, new_x):
    """Assigns `new_x` to the variable `x`.

    Args:
        x: a variable.
        new_x: a tensor of the same shape.

    Returns:
        The variable.

    Example:
        >>> v = engine.Variable([1.0])
        >>> engine.keras.backend.update(v, [2.0]).numpy().tolist()
        [2.0]
    """
    return x.assign(new_x)


def update_add(x, increment):
    """Adds `increment` to the variable `x`.

    Args:
        x: a variable.
        increment: a tensor of the same shape.

    Returns:
        The variable.

    Example:
        >>> v = engine.Variable([1.0])
        >>> engine.keras.backend.update_add(v, [2.0]).numpy().tolist()
        [3.0]
    """
    return x.assign_add(increment)


def update_sub(x, decrement):
    """Subtracts `decrement` from the variable `x`.

    Args:
        x: a variable.
        decrement: a tensor of the same shape.

    Returns:
        The variable.

    Example:
        >>> v = engine.Variable([1.0])
        >>> engine.keras.backend.update_sub(v, [2.0]).numpy().tolist()
        [-1.0]
    """
    return x.assign_sub(decrement)


def moving_average_update(x, value, momentum):
    """Sets the variable `x` to `x * momentum + value * (1 - momentum)`.

    Args:
        x: a variable (the moving average).
        value: the new observation.
        momentum: the weight of the old average.

    Returns:
        The variable.

    Example:
        >>> v = engine.Variable([10.0])
        >>> engine.keras.backend.moving_average_update(v, [0.0], 0.9).numpy().tolist()
        [9.0]
    """
    value = convert_to_tensor(value, dtype=x.dtype)
    return x.assign(x * momentum + value * (1.0 - momentum))


def count_params(x) -> int:
    """The number of scalars in `x`.

    Args:
        x: a variable or tensor of known shape.

    Returns:
        An int.

    Example:
        >>> engine.keras.backend.count_params(engine.Variable(np.zeros((2, 3))))
        6
    """
    return int(np.prod([int(d) for d in x.shape], dtype=np.int64))


def is_keras_tensor(x) -> bool:
    """Whether `x` is a symbolic tensor of the functional API (from `engine.keras.Input`).

    Args:
        x: a tensor or variable.

    Returns:
        True for Keras tensors, False for other tensors.

    Raises:
        ValueError: for values that are not tensors at all (as in Keras 2).

    Example:
        >>> engine.keras.backend.is_keras_tensor(engine.keras.Input((2,)))
        True
        >>> engine.keras.backend.is_keras_tensor(engine.constant(1.0))
        False
    """
    from engine.keras.layers.functional import is_keras_tensor as _is_keras  # noqa: PLC0415
    from engine.tensor import Tensor  # noqa: PLC0415

    if not (isinstance(x, Tensor) or getattr(x, "_is_variable", False)):
        raise ValueError(f"is_keras_tensor: got an instance of {type(x).__name__}; "
                         "expected a tensor or variable.")
    return _is_keras(x)


def gradients(loss, variables) -> None:
    """Keras 2's graph-mode gradients, which have no meaning in eager code: always raises.

    Args:
        loss: the loss tensor.
        variables: the variables.

    Raises:
        RuntimeError: always; the message shows the `GradientTape` equivalent.

    Example:
        >>> engine.keras.backend.gradients(None, [])
        Traceback (most recent call last):
        RuntimeError: ...GradientTape...
    """
    raise RuntimeError("keras.backend.gradients works only in TF1 graph mode; eagerlab runs "
                       "eagerly. Record the loss with a tape instead:\n"
                       "    with engine.GradientTape() as tape:\n"
                       "        loss = compute_loss()\n"
                       "    grads = tape.gradient(loss, variables)")


def stop_gradient(variables):
    """`variables` with gradients blocked (a tensor, or a list of them).

    Args:
        variables: a tensor or a list of tensors.

    Returns:
        The same structure of tensors, treated as constants by `GradientTape`.

    Example:
        >>> x = engine.Variable(2.0)
        >>> with engine.GradientTape() as tape:
        ...     y = engine.keras.backend.stop_gradient(x * x) + x
        >>> float(tape.gradient(y, x))
        1.0
    """
    if isinstance(variables, (list, tuple)):
        return type(variables)(_engine.stop_gradient(v) for v in variables)
    return _engine.stop_gradient(variables)


def name_scope(name):
    """A context manager that prefixes the names of ops and variables made inside it.

    Args:
        name: the scope's name.

    Returns:
        `engine.name_scope(name)`.

    Example:
        >>> with engine.keras.backend.name_scope("block"):
        ...     pass
    """
    return _engine.name_scope(name)


def map_fn(fn, elems, name=None, dtype=None):
    """`fn` applied to each slice `elems[i]`, the results stacked.

    Args:
        fn: a function of one slice.
        elems: a tensor (or nest of tensors) sliced along its first axis.
        name: accepted for Keras 2 compatibility.
        dtype: the dtype of `fn`'s output, if it differs from `elems`'.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.map_fn(lambda v: v * 2, engine.constant([1, 2])).numpy()
        array([2, 4], dtype=int32)
    """
    del name
    return _engine.map_fn(fn, elems, dtype=dtype)


def foldl(fn, elems, initializer=None, name=None):
    """Reduces `elems` from the first slice to the last: `acc = fn(acc, elems[i])`.

    Args:
        fn: a function `(accumulator, slice) -> accumulator`.
        elems: a tensor sliced along its first axis.
        initializer: the first accumulator (default: `elems[0]`, then from `elems[1]`).
        name: accepted for Keras 2 compatibility.

    Returns:
        The final accumulator.

    Example:
        >>> engine.keras.backend.foldl(lambda a, v: a - v, engine.constant([1, 2, 3])).numpy()
        np.int32(-4)
    """
    del name
    return _engine.foldl(fn, elems, initializer=initializer)


def foldr(fn, elems, initializer=None, name=None):
    """Reduces `elems` from the last slice to the first: `acc = fn(acc, elems[i])`.

    Args:
        fn: a function `(accumulator, slice) -> accumulator`.
        elems: a tensor sliced along its first axis.
        initializer: the first accumulator (default: the last slice).
        name: accepted for Keras 2 compatibility.

    Returns:
        The final accumulator.

    Example:
        >>> engine.keras.backend.foldr(lambda a, v: a - v, engine.constant([1, 2, 3])).numpy()
        np.int32(0)
    """
    del name
    return _engine.foldr(fn, elems, initializer=initializer)
