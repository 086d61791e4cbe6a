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
import numbers
import operator

import engine
from engine.errors import ShapeError
from engine.keras.layers.base import Layer
from engine.tensor_shape import TensorShape

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Dot", "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot"]


def _describe(shapes) -> str:
    return ", ".join(str(s) for s in shapes)


def _as_shape_list(layer, input_shape, count=None) -> list:
    """The input shapes as a list of TensorShapes; the inputs must be a list of tensors."""
    if isinstance(input_shape, TensorShape) or not isinstance(input_shape, (list, tuple)) or (
            input_shape and not isinstance(input_shape[0], (TensorShape, list, tuple))):
        raise ValueError(f"{layer.name} ({type(layer).__name__}): call the layer on a list of "
                         f"tensors, e.g. layer([a, b]); got one input of shape {input_shape}.")
    shapes = [TensorShape(s) for s in input_shape]
    if count is not None and len(shapes) != count:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): expected exactly {count} "
                         f"inputs; got {len(shapes)} (shapes {_describe(shapes)}).")
    if not shapes:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): called on an empty list; "
                         "pass at least one tensor.")
    return shapes


def _input_shapes(layer, inputs, count=None) -> list:
    """The shapes of a list of input tensors (checked as `_as_shape_list` does)."""
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"{layer.name} ({type(layer).__name__}): call the layer on a list of "
                         f"tensors, e.g. layer([a, b]); got {type(inputs).__name__}.")
    return _as_shape_list(layer, [x.shape for x in inputs], count)


def _and_masks(masks):
    """The logical AND of the masks that are not None (None if all are)."""
    present = [m for m in masks if m is not None]
    return functools.reduce(engine.logical_and, present) if present else None


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


class Concatenate(Layer):
    """Concatenates a list of inputs along `axis`.

    The inputs must have the same rank and the same sizes on every other axis. The output
    mask (if any input has one) concatenates the masks; an input without a mask counts as
    unmasked everywhere.

    Args:
        axis: the axis to join along (default the last).
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> layer = engine.keras.layers.Concatenate(axis=1)
        >>> layer([engine.ones([2, 3]), engine.zeros([2, 1])]).shape
        TensorShape([2, 4])
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, numbers.Integral):
            raise TypeError(f"Concatenate: axis must be an int; got {axis!r}.")
        self.axis = int(axis)

    def build(self, input_shape):
        self._check_shapes(_as_shape_list(self, input_shape))
        self.built = True

    def _check_shapes(self, shapes) -> None:
        known = [s for s in shapes if s.rank is not None]
        if known:
            rank = known[0].rank
            if any(s.rank != rank for s in known):
                raise ShapeError(f"{self.name} (Concatenate): inputs must have the same rank; "
                                 f"got shapes {_describe(shapes)}.")
            if not -rank <= self.axis < rank:
                raise ValueError(f"{self.name} (Concatenate): axis {self.axis} is out of range "
                                 f"for inputs of rank {rank}.")
            axis = self.axis % rank
            for i in range(rank):
                sizes = {s[i] for s in known if s[i] is not None}
                if i != axis and len(sizes) > 1:
                    raise ShapeError(
                        f"{self.name} (Concatenate): inputs must match on every axis except "
                        f"the concatenation axis {self.axis}; got shapes {_describe(shapes)} "
                        f"(axis {i} differs).")

    def call(self, inputs):
        self._check_shapes(_input_shapes(self, inputs))
        return engine.concat(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        rank = inputs[0].shape.rank
        axis = self.axis % rank
        if axis == rank - 1:  # features joined: a step is kept if every input keeps it
            return _and_masks(mask)
        masks = [m if m is not None else engine.ones_like(x[..., 0], dtype=engine.bool)
                 for x, m in zip(inputs, mask)]
        return engine.concat(masks, axis=axis)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(Layer):
    """The dot product of two inputs along `axes`, for each example of the batch.

    For inputs of shapes `(batch, n)` and `(batch, n)` and `axes=1` the output has shape
    `(batch, 1)`; in general it has the first input's axes without the batch and `axes[0]`,
    then the second's without the batch and `axes[1]`.

    Args:
        axes: an int (the same axis in both inputs) or a pair of ints; never the batch
            axis 0. Negative axes count from the end of each input.
        normalize: L2-normalize both inputs along the axes first (the output is then the
            cosine similarity).
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> a, b = engine.constant([[1.0, 2.0]]), engine.constant([[3.0, 4.0]])
        >>> engine.keras.layers.Dot(axes=1)([a, b]).numpy()
        array([[11.]], dtype=float32)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, numbers.Integral):
            axes = int(axes)
        elif (isinstance(axes, (list, tuple)) and len(axes) == 2 and
              all(isinstance(a, numbers.Integral) for a in axes)):
            axes = [int(a) for a in axes]
        else:
            raise TypeError(f"Dot: axes must be an int or a list/tuple of two ints; got "
                            f"axes={axes!r}.")
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes_for(self, rank1: int, rank2: int) -> list:
        pair = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        out = []
        for a, rank in zip(pair, (rank1, rank2)):
            if not -rank <= a < rank or a % rank == 0:
                raise ValueError(f"{self.name} (Dot): axes={self.axes} does not fit inputs of "
                                 f"rank {rank1} and {rank2}; each axis must be in [1, rank) "
                                 "(or negative), never the batch axis 0.")
            out.append(a % rank)
        return out

    def build(self, input_shape):
        self._check_shapes(_as_shape_list(self, input_shape, count=2))
        self.built = True

    def _check_shapes(self, shapes) -> list:
        """The two axes as non-negative ints, after checking that the shapes fit them."""
        if shapes[0].rank is None or shapes[1].rank is None:
            raise ShapeError(f"{self.name} (Dot): the input ranks must be known; got shapes "
                             f"{_describe(shapes)}.")
        a1, a2 = self._axes_for(shapes[0].rank, shapes[1].rank)
        d1, d2 = shapes[0][a1], shapes[1][a2]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ShapeError(f"{self.name} (Dot): incompatible input shapes {_describe(shapes)}"
                             f": size {d1} at axis {a1} of the first input != size {d2} at "
                             f"axis {a2} of the second.")
        return [a1, a2]

    def call(self, inputs):
        a1, a2 = self._check_shapes(_input_shapes(self, inputs, count=2))
        x1, x2 = inputs
        r1, r2 = x1.shape.rank, x2.shape.rank
        if self.normalize:
            x1 = engine.nn.l2_normalize(x1, axis=a1)
            x2 = engine.nn.l2_normalize(x2, axis=a2)
        letters = "abcdefghijklmnopqrstuvwxyz"
        t1 = "A" + letters[:r1 - 1]
        t2 = "A" + letters[r1 - 1:r1 + r2 - 2]
        t2 = t2[:a2] + t1[a1] + t2[a2 + 1:]
        out = "A" + t1[1:].replace(t1[a1], "") + t2[1:].replace(t1[a1], "")
        result = engine.einsum(f"{t1},{t2}->{out}", x1, x2)
        return engine.expand_dims(result, 1) if len(out) == 1 else result

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


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


def concatenate(inputs, axis=-1, **kwargs):
    """`inputs` joined along `axis` (the functional form of `Concatenate`).

    Args:
        inputs: a list of tensors (or Keras tensors).
        axis: the axis to join along.
        **kwargs: arguments of the `Concatenate` layer.

    Returns:
        The concatenation.

    Example:
        >>> engine.keras.layers.concatenate([engine.ones([1, 2]), engine.zeros([1, 1])]).numpy()
        array([[1., 1., 0.]], dtype=float32)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """The per-example dot product of two inputs along `axes` (the functional form of `Dot`).

    Args:
        inputs: a list of two tensors (or Keras tensors).
        axes: an int or a pair of ints (see `Dot`).
        normalize: L2-normalize along the axes first (cosine similarity).
        **kwargs: arguments of the `Dot` layer.

    Returns:
        The dot products.

    Example:
        >>> a, b = engine.constant([[1.0, 0.0]]), engine.constant([[2.0, 0.0]])
        >>> engine.keras.layers.dot([a, b], axes=1, normalize=True).numpy()
        array([[1.]], dtype=float32)
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
