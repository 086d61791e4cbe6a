"""Initializers that need no random numbers: `Zeros`, `Ones`, `Constant`, `Identity`."""

from __future__ import annotations

import math

import numpy as np

import engine
from engine.keras.initializers.initializer import Initializer, dtype_of, shape_of

__all__ = ["Zeros", "Ones", "Constant", "Identity"]


class Zeros(Initializer):
    """Fills with zeros.

    Example:
        >>> engine.keras.initializers.Zeros()((2,)).numpy()
        array([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return engine.zeros(shape_of(shape, "Zeros"), dtype=dtype_of(dtype, "Zeros"))


class Ones(Initializer):
    """Fills with ones.

    Example:
        >>> engine.keras.initializers.Ones()((2,), dtype="int32").numpy()
        array([1, 1], dtype=int32)
    """

    def __call__(self, shape, dtype=None):
        return engine.ones(shape_of(shape, "Ones"), dtype=dtype_of(dtype, "Ones"))


class Constant(Initializer):
    """Fills with a constant value.

    Args:
        value: a number, or an array-like with as many elements as the weight (reshaped to
            the weight's shape).

    Example:
        >>> engine.keras.initializers.Constant(3.0)((2,)).numpy()
        array([3., 3.], dtype=float32)
    """

    def __init__(self, value=0):
        if isinstance(value, engine.Tensor):
            value = value.numpy()
        self.value = value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value

    def __call__(self, shape, dtype=None):
        shape = shape_of(shape, "Constant")
        try:
            return engine.constant(self.value, dtype=dtype_of(dtype, "Constant"), shape=shape)
        except (ValueError, TypeError) as error:
            raise ValueError(f"Constant: cannot fill shape {shape} with value {self.value!r}: "
                             f"{error}. Pass a scalar, or a value with {math.prod(shape)} "
                             "elements.") from None

    def get_config(self):
        return {"value": self.value}


class Identity(Initializer):
    """The identity matrix times `gain`, for 2-D weights.

    A rectangular weight gets `gain` on its main diagonal and zeros elsewhere.

    Args:
        gain: the value on the diagonal.

    Example:
        >>> engine.keras.initializers.Identity(gain=2.0)((2, 2)).numpy()
        array([[2., 0.],
               [0., 2.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = shape_of(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(f"Identity: got shape {shape}; the identity initializer needs a "
                             "2-D shape (rows, columns).")
        dtype = dtype_of(dtype, "Identity", floating=True, integer_ok=True)
        return engine.eye(shape[0], shape[1], dtype=dtype) * engine.cast(self.gain, dtype)

    def get_config(self):
        return {"gain": self.gain}
