"""Merging layers: combine a list of tensors into one.

Elementwise merges (`Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`)
broadcast their inputs as Keras 2 does: sizes of the non-batch axes must agree or be 1,
and an input of lower rank gains axes right after the batch axis, so `(batch, features)`
merges with `(batch, steps, features)`. Their output mask is the logical AND of the input
masks. `Concatenate` joins along an axis; its mask concatenates the input masks (inputs
without a mask count as unmasked). `Dot` takes the dot product of two inputs along given
axes for each example (Keras' `batch_dot`).

Each layer has a functional form (`add([a, b])` is `Add()([a, b])`).
"""

from __future__ import annotations

import functools
import operator

import engine
from engine.errors import ShapeError
from engine.keras.layers.base import Layer
from engine.keras.layers.merging_axes import Concatenate, Dot, concatenate, dot
from engine.keras.layers.merging_inputs import _and_masks, _as_shape_list, _describe, _input_shapes

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Dot", "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot"]


class _Merge(Layer):
    """Elementwise merge of a list of inputs, broadcasting as Keras 2 (see the module)."""

    supports_masking = True
    _input_count = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        self._check_shapes(_as_shape_list(self, input_shape, self._input_count))
        self.built = True

    def _check_shapes(self, shapes) -> None:
        batch = {s[0] for s in shapes if s.rank and s[0] is not None}
        if len(batch) > 1:
            raise ShapeError(f"{self.name} ({type(self).__name__}): inputs have different "
                             f"batch sizes; got shapes {_describe(shapes)}.")
        known = [s.as_list()[1:] for s in shapes if s.rank is not None]
        for axis in range(1, max(map(len, known), default=0) + 1):  # right-aligned
            sizes = {d[-axis] for d in known if len(d) >= axis and d[-axis] not in (None, 1)}
            if len(sizes) > 1:
                raise ShapeError(
                    f"{self.name} ({type(self).__name__}): inputs have incompatible shapes "
                    f"{_describe(shapes)}; sizes of the non-batch axes must match or be 1 "
                    f"(sizes {sorted(sizes)}). Check the layers that produce them.")

    def call(self, inputs):
        self._check_shapes(_input_shapes(self, inputs, self._input_count))
        ranks = [x.shape.rank for x in inputs]
        if None not in ranks and len(set(ranks)) > 1:
            top = max(ranks)
            inputs = [self._expand(x, top) for x in inputs]
        return self._merge(inputs)

    @staticmethod
    def _expand(x, rank: int):
        """Adds axes after the batch axis until `x` has `rank` axes (Keras 2 broadcasting)."""
        while x.shape.rank < rank:
            x = engine.expand_dims(x, 1)
        return x

    def _merge(self, inputs):
        """Combines inputs of equal rank; each merge layer defines it."""
        raise NotImplementedError(f"{type(self).__name__}: a merge layer must implement "
                                  "_merge(inputs), combining inputs of equal rank.")

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            raise ValueError(f"{self.name} ({type(self).__name__}): expected a list of masks "
                             f"(one per input); got {type(mask).__name__}.")
        return _and_masks(mask)


class Add(_Merge):
    """Adds a list of inputs elementwise.

    Args:
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> engine.keras.layers.Add()([engine.ones([2, 3]), engine.ones([2, 3])]).numpy()
        array([[2., 2., 2.],
               [2., 2., 2.]], dtype=float32)
    """

    def _merge(self, inputs):
        return functools.reduce(operator.add, inputs)


class Subtract(_Merge):
    """Subtracts the second of two inputs from the first, elementwise.

    Args:
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> a, b = engine.constant([[5.0, 3.0]]), engine.constant([[1.0, 1.0]])
        >>> engine.keras.layers.Subtract()([a, b]).numpy()
        array([[4., 2.]], dtype=float32)
    """

    _input_count = 2

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies a list of inputs elementwise.

    Args:
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> a, b = engine.constant([[2.0, 3.0]]), engine.constant([[4.0, 5.0]])
        >>> engine.keras.layers.Multiply()([a, b]).numpy()
        array([[ 8., 15.]], dtype=float32)
    """

    def _merge(self, inputs):
        return functools.reduce(operator.mul, inputs)


class Average(_Merge):
    """The elementwise mean of a list of inputs.

    Args:
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> a, b = engine.constant([[2.0, 3.0]]), engine.constant([[4.0, 5.0]])
        >>> engine.keras.layers.Average()([a, b]).numpy()
        array([[3., 4.]], dtype=float32)
    """

    def _merge(self, inputs):
        return functools.reduce(operator.add, inputs) / float(len(inputs))


class Maximum(_Merge):
    """The elementwise maximum of a list of inputs.

    Args:
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> a, b = engine.constant([[2.0, 7.0]]), engine.constant([[4.0, 5.0]])
        >>> engine.keras.layers.Maximum()([a, b]).numpy()
        array([[4., 7.]], dtype=float32)
    """

    def _merge(self, inputs):
        return functools.reduce(engine.maximum, inputs)


class Minimum(_Merge):
    """The elementwise minimum of a list of inputs.

    Args:
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> a, b = engine.constant([[2.0, 7.0]]), engine.constant([[4.0, 5.0]])
        >>> engine.keras.layers.Minimum()([a, b]).numpy()
        array([[2., 5.]], dtype=float32)
    """

    def _merge(self, inputs):
        return functools.reduce(engine.minimum, inputs)


def add(inputs, **kwargs):
    """The elementwise sum of `inputs` (the functional form of `Add`).

    Args:
        inputs: a list of tensors (or Keras tensors).
        **kwargs: arguments of the `Add` layer.

    Returns:
        The sum.

    Example:
        >>> engine.keras.layers.add([engine.ones([1, 2]), engine.ones([1, 2])]).numpy()
        array([[2., 2.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """`inputs[0] - inputs[1]` (the functional form of `Subtract`).

    Args:
        inputs: a list of two tensors (or Keras tensors).
        **kwargs: arguments of the `Subtract` layer.

    Returns:
        The difference.

    Example:
        >>> engine.keras.layers.subtract([engine.ones([1, 2]), engine.ones([1, 2])]).numpy()
        array([[0., 0.]], dtype=float32)
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """The elementwise product of `inputs` (the functional form of `Multiply`).

    Args:
        inputs: a list of tensors (or Keras tensors).
        **kwargs: arguments of the `Multiply` layer.

    Returns:
        The product.

    Example:
        >>> x = engine.constant([[2.0, 3.0]])
        >>> engine.keras.layers.multiply([x, x]).numpy()
        array([[4., 9.]], dtype=float32)
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """The elementwise mean of `inputs` (the functional form of `Average`).

    Args:
        inputs: a list of tensors (or Keras tensors).
        **kwargs: arguments of the `Average` layer.

    Returns:
        The mean.

    Example:
        >>> engine.keras.layers.average([engine.ones([1, 2]), engine.zeros([1, 2])]).numpy()
        array([[0.5, 0.5]], dtype=float32)
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """The elementwise maximum of `inputs` (the functional form of `Maximum`).

    Args:
        inputs: a list of tensors (or Keras tensors).
        **kwargs: arguments of the `Maximum` layer.

    Returns:
        The maximum.

    Example:
        >>> engine.keras.layers.maximum([engine.ones([1, 2]), engine.zeros([1, 2])]).numpy()
        array([[1., 1.]], dtype=float32)
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """The elementwise minimum of `inputs` (the functional form of `Minimum`).

    Args:
        inputs: a list of tensors (or Keras tensors).
        **kwargs: arguments of the `Minimum` layer.

    Returns:
        The minimum.

    Example:
        >>> engine.keras.layers.minimum([engine.ones([1, 2]), engine.zeros([1, 2])]).numpy()
        array([[0., 0.]], dtype=float32)
    """
    return Minimum(**kwargs)(inputs)
