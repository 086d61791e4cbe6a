"""Static arguments: the Python values an op needs before it runs.

Attributes (an axis, a count, a depth) must be plain Python values, but users pass NumPy
scalars and 0-d tensors too. Composites (`split`, `repeat`, `boolean_mask`) also need the
concrete shape of an input to build their index arrays. These two helpers are shared by
the gather, manipulation and sequence ops; `array_ops.static_shape` is their sibling for
shape-like lists.
"""

from __future__ import annotations

import numpy as np

from engine.tensor import Tensor


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
