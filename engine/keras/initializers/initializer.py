"""The `Initializer` base class and the argument checks all initializers share."""

from __future__ import annotations

import math
import operator

import numpy as np

import engine
from engine.keras import backend as _backend

__all__ = ["Initializer"]


class Initializer:
    """Base class of initializers: `__call__(shape, dtype=None)` returns a tensor.

    Subclasses implement `__call__` and, when they take arguments, `get_config`.

    Example:
        >>> class Halves(engine.keras.initializers.Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return engine.fill(shape, engine.constant(0.5, dtype=dtype or "float32"))
        >>> Halves()((2,)).numpy()
        array([0.5, 0.5], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        """The initial values.

        Args:
            shape: the weight's shape (tuple, list or TensorShape of ints).
            dtype: the dtype (default: `engine.keras.backend.floatx()`).

        Returns:
            A tensor of `shape` and `dtype`.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, "
                                  "dtype=None).")

    def get_config(self) -> dict:
        """The constructor arguments, as JSON-able values.

        Returns:
            A dict that `from_config` accepts.
        """
        return {}

    @classmethod
    def from_config(cls, config: dict):
        """Builds an initializer from `get_config()`'s output.

        Args:
            config: a dict of constructor arguments (a legacy "dtype" key is ignored).

        Returns:
            A new initializer.
        """
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    def clone(self):
        """A new initializer with the same configuration (an unseeded one draws anew).

        Returns:
            A new instance of the same class.
        """
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def shape_of(shape, who: str) -> tuple:
    """`shape` as a tuple of ints, or a ValueError naming the initializer `who`."""
    if isinstance(shape, engine.TensorShape):
        shape = shape.as_list()
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise ValueError(f"{who}: got shape {shape!r}; expected a tuple of non-negative ints "
                         "with no unknown (None) dimensions.") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"{who}: got shape {shape!r}; dimensions must be >= 0.")
    return dims


def dtype_of(dtype, who: str, floating: bool = False, integer_ok: bool = False):
    """`dtype` as an engine DType (default `floatx()`), checked to be floating if asked."""
    dtype = engine.as_dtype(_backend.floatx() if dtype is None else dtype)
    if floating and not (dtype.is_floating or (integer_ok and dtype.is_integer)):
        kinds = "a floating or integer" if integer_ok else "a floating"
        raise ValueError(f"{who}: got dtype {dtype.name}; expected {kinds} dtype such as "
                         "float32. Pass dtype='float32' or change backend.set_floatx.")
    return dtype


def compute_fans(shape: tuple) -> tuple:
    """`(fan_in, fan_out)` of a weight, counting a convolution's window (Keras' rule)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field
