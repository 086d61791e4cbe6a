"""Static arguments: the Python values an op needs before it runs.

Attributes (an axis, a count, a depth, a shape) must be plain Python values, but users pass
NumPy scalars, lists and tensors too. Every op module converts them here. Composites
(`split`, `repeat`, `boolean_mask`) also need the concrete shape of an input to build their
index arrays.
"""

from __future__ import annotations

import numpy as np

from engine.tensor import Tensor
from engine.tensor_shape import TensorShape


def static_int(value, what: str) -> int:
    """An int from a Python int, a NumPy integer or a 0-d integer tensor/array.

    Args:
        value: the argument.
        what: the op and argument name for the error message, e.g. "gather axis".

    Returns:
        The Python int.

    Raises:
        TypeError: when `value` is not a single integer.

    Example:
        >>> engine.ops.static_args.static_int(engine.constant(3), "split axis")
        3
    """
    if type(value) is int:
        return value
    try:
        return int(np.asarray(value).reshape(()))
    except (TypeError, ValueError):
        raise TypeError(f"{what}: got {value!r}; expected an int.") from None


def concrete_shape(x) -> tuple:
    """The concrete shape of a tensor, a variable or an array-like value.

    Args:
        x: a `Tensor`, a variable (anything with `_read()`) or a NumPy-convertible value.

    Returns:
        The shape as a tuple of ints.

    Example:
        >>> engine.ops.static_args.concrete_shape(engine.zeros([2, 3]))
        (2, 3)
    """
    if isinstance(x, Tensor):
        return tuple(x._value.shape)
    if hasattr(x, "_read"):
        return tuple(x._read()._value.shape)
    return tuple(np.shape(x))


def static_shape(value, what: str = "shape") -> tuple:
    """A shape argument (list, tuple, TensorShape or 1-D int tensor) as a tuple of ints.

    -1 is kept (reshape infers it); None is not allowed.

    Args:
        value: the argument.
        what: the op and argument name for the error message, e.g. "reshape".

    Returns:
        The shape as a tuple of ints.

    Raises:
        TypeError: when `value` is not a list of integers.

    Example:
        >>> engine.ops.static_args.static_shape(engine.constant([2, -1]), "reshape")
        (2, -1)
    """
    if isinstance(value, TensorShape):
        value = value.as_list()
    if isinstance(value, Tensor) or hasattr(value, "_read"):
        value = np.asarray(value).tolist()
    if isinstance(value, (int, np.integer)):
        value = [value]
    try:
        return tuple(int(d) for d in value)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: got {value!r}; expected a list of ints.") from None


def static_axis(axis):
    """An axis argument with tensors and variables turned into Python values.

    Args:
        axis: None, an int, a list of ints, or a tensor holding them.

    Returns:
        The same value as Python ints (lists stay lists; None stays None).

    Example:
        >>> engine.ops.static_args.static_axis(engine.constant([0, 1]))
        [0, 1]
    """
    if isinstance(axis, Tensor) or hasattr(axis, "_read"):
        axis = np.asarray(axis).tolist()
    return axis
