"""Merging layers that work along axes: `Concatenate` joins inputs, `Dot` contracts them.

`Concatenate` joins a list of inputs along an axis; its mask concatenates the input masks
(inputs without a mask count as unmasked). `Dot` takes the dot product of two inputs along
given axes for each example (Keras' `batch_dot`). Each has a functional form
(`concatenate([a, b])` is `Concatenate()([a, b])`). The elementwise merges are in
`merging.py`, which re-exports these.
"""

from __future__ import annotations

import numbers

import engine
from engine.errors import ShapeError
from engine.keras.layers.base import Layer
from engine.keras.layers.merging_inputs import _and_masks, _as_shape_list, _describe, _input_shapes

__all__ = ["Concatenate", "Dot", "concatenate", "dot"]


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
