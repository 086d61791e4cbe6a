"""TensorFlow 2's initializer classes (`engine.zeros_initializer`, ...): `init(shape, dtype)`.

`tf.zeros_initializer`, `tf.ones_initializer`, `tf.constant_initializer`,
`tf.random_normal_initializer` and `tf.random_uniform_initializer`. Unlike Keras' initializers
(`engine.keras.initializers`) the default dtype is float32 and an unseeded random one draws
new values on every call. Class names and configs match Keras', so models that use them save.
Composites of the fill and random ops; `engine.ops.misc_extras` re-exports them.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import constant
from engine.ops.fill_ops import ones, zeros
from engine.ops.random_ops import normal, uniform
from engine.ops.stateless_random_ops import stateless_normal, stateless_uniform
from engine.ops.static_args import static_shape
from engine.tensor import Tensor

__all__ = [
    "zeros_initializer", "ones_initializer", "constant_initializer",
    "random_normal_initializer", "random_uniform_initializer",
]



class _Initializer:
    _kinds = ("floating", "integer", "bool")

    def _dtype(self, dtype):
        dtype = _dt.as_dtype(dtype)
        if not any(getattr(dtype, f"is_{k}") for k in self._kinds):
            raise ValueError(f"{type(self).__name__}: got dtype {dtype.name}; expected a "
                             f"{' or '.join(self._kinds)} dtype.")
        return dtype

    def get_config(self) -> dict:
        """The constructor arguments, as a dict for `from_config`."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    @classmethod
    def from_config(cls, config: dict):
        """A new initializer from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(_Initializer):
    """Initializer of zeros (TensorFlow 2's `tf.zeros_initializer`).

    Example:
        >>> engine.zeros_initializer()([2], engine.int32).numpy()
        array([0, 0], dtype=int32)
    """

    def __call__(self, shape, dtype=_dt.float32, **kwargs):
        return zeros(static_shape(shape, "zeros_initializer"), self._dtype(dtype))


class Ones(_Initializer):
    """Initializer of ones (TensorFlow 2's `tf.ones_initializer`).

    Example:
        >>> engine.ones_initializer()([2]).numpy()
        array([1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=_dt.float32, **kwargs):
        return ones(static_shape(shape, "ones_initializer"), self._dtype(dtype))


class Constant(_Initializer):
    """Initializer of a constant (TensorFlow 2's `tf.constant_initializer`).

    Args:
        value: a number (filled in), or a list or array with as many elements as the shape.
        support_partition: accepted for TensorFlow parity (engine has no partitioned
            variables).

    Example:
        >>> engine.constant_initializer([1, 2, 3, 4])([2, 2]).numpy()
        array([[1., 2.],
               [3., 4.]], dtype=float32)
    """

    def __init__(self, value=0, support_partition=False):
        if isinstance(value, Tensor):
            value = value.numpy()
        self.value = value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value

    def __call__(self, shape, dtype=_dt.float32, **kwargs):
        shape = static_shape(shape, "constant_initializer")
        try:
            return constant(self.value, dtype=self._dtype(dtype), shape=shape)
        except (TypeError, ValueError) as error:
            raise ValueError(f"constant_initializer: cannot fill shape {shape} with "
                             f"{self.value!r}: {error}. Give a number, or a value with "
                             f"{int(np.prod(shape))} elements.") from None


class RandomNormal(_Initializer):
    """Initializer of normal draws (TensorFlow 2's `tf.random_normal_initializer`).

    With a seed every call gives the same values; without one each call draws anew.

    Args:
        mean: the mean.
        stddev: the standard deviation.
        seed: an int, or None.

    Example:
        >>> init = engine.random_normal_initializer(stddev=1.0, seed=3)
        >>> bool(engine.reduce_all(init([4]) == init([4])))
        True
    """

    _kinds = ("floating",)

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=_dt.float32, **kwargs):
        shape, dtype = static_shape(shape, "random_normal_initializer"), self._dtype(dtype)
        if self.seed is None:
            return normal(shape, self.mean, self.stddev, dtype)
        return stateless_normal(shape, [self.seed, 0], self.mean, self.stddev, dtype)


class RandomUniform(_Initializer):
    """Initializer of uniform draws in `[minval, maxval)` (`tf.random_uniform_initializer`).

    With a seed every call gives the same values; without one each call draws anew.

    Args:
        minval: the lower bound (included).
        maxval: the upper bound (excluded).
        seed: an int, or None.

    Example:
        >>> x = engine.random_uniform_initializer(0, 10, seed=1)([100], engine.int32)
        >>> bool(engine.reduce_all((x >= 0) & (x < 10)))
        True
    """

    _kinds = ("floating", "integer")

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=_dt.float32, **kwargs):
        shape, dtype = static_shape(shape, "random_uniform_initializer"), self._dtype(dtype)
        if self.seed is None:
            return uniform(shape, self.minval, self.maxval, dtype)
        return stateless_uniform(shape, [self.seed, 0], self.minval, self.maxval, dtype)


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
random_uniform_initializer = RandomUniform
