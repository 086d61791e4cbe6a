"""`Embedding` (integer ids to dense vectors) and `Masking` (skip padded time steps).

Both start masks: `Embedding(mask_zero=True)` marks id 0 as padding, and `Masking` marks
the time steps whose features all equal `mask_value`. `Layer.__call__` attaches the mask
to the output (`_keras_mask`), and layers downstream receive it as their `mask` argument.
"""

from __future__ import annotations

import numbers

import engine
from engine.errors import InvalidIndexError
from engine.keras import constraints, initializers, regularizers
from engine.keras.layers.base import Layer

__all__ = ["Embedding", "Masking"]


class Embedding(Layer):
    """Maps non-negative integer ids to dense vectors: row `id` of `embeddings`.

    The output has the input's shape plus `output_dim`. Float inputs (e.g. from a model
    whose Input is float32) are cast to int32. Ids outside [0, input_dim) are errors.

    Args:
        input_dim: the vocabulary size (largest id + 1).
        output_dim: the size of each vector.
        embeddings_initializer: the initializer of the `(input_dim, output_dim)` table
            (default "uniform": U(-0.05, 0.05)).
        embeddings_regularizer, activity_regularizer: regularizers.
        embeddings_constraint: a constraint on the table.
        mask_zero: treat id 0 as padding: the output's mask is `inputs != 0` (then id 0
            cannot be a real token, so `input_dim` should be vocabulary size + 1).
        input_length: the length of input sequences, if fixed (sets the input shape of a
            first layer in `Sequential`).
        sparse: accepted for Keras compatibility (gradients are dense).
        **kwargs: base layer arguments (name, dtype, ...).

    Raises:
        ValueError: for a non-positive `input_dim` or `output_dim`.

    Example:
        >>> layer = engine.keras.layers.Embedding(10, 3, mask_zero=True)
        >>> out = layer(engine.constant([[4, 0]]))
        >>> out.shape, out._keras_mask.numpy()
        (TensorShape([1, 2, 3]), array([[ True, False]]))
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None,
                 sparse=False, **kwargs):
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"Embedding: {arg} must be a positive integer; got "
                                 f"{arg}={value!r}.")
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            # As Keras 2: a first layer of a Sequential model knows its input's rank.
            kwargs["input_shape"] = (input_length,) if isinstance(
                input_length, numbers.Integral) or input_length is None else tuple(input_length)
        kwargs.setdefault("autocast", False)  # ids stay integers
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = input_length
        self.sparse = bool(sparse)

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", shape=[self.input_dim, self.output_dim],
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in (engine.int32, engine.int64):
            inputs = engine.cast(inputs, engine.int32)
        try:
            out = engine.gather(self.embeddings, inputs)
        except InvalidIndexError as error:  # eager; in graphs the node is named after us
            raise InvalidIndexError(
                f"{self.name} (Embedding): an input id is outside [0, input_dim) with "
                f"input_dim={self.input_dim}: {error} Make input_dim larger than the largest "
                "id (vocabulary size, + 1 with mask_zero=True).") from error
        if out.dtype != self._dtype:
            return engine.cast(out, self._dtype)
        out._keras_fold = ("rows", self.embeddings, inputs)  # LSTM/GRU may fold the gather
        return out

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return engine.not_equal(inputs, 0)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero, "input_length": self.input_length,
            "sparse": self.sparse})
        return config


class Masking(Layer):
    """Masks the time steps whose features all equal `mask_value`, and zeroes them.

    For inputs `(batch, steps, features)`, the mask is `any(inputs != mask_value, -1)`:
    `(batch, steps)` booleans. Layers downstream that support masking skip or ignore the
    masked steps.

    Args:
        mask_value: the padding value.
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> x = engine.constant([[[1.0, 2.0], [0.0, 0.0]]])
        >>> out = engine.keras.layers.Masking()(x)
        >>> out._keras_mask.numpy()
        array([[ True, False]])
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(mask_value, numbers.Number):
            raise TypeError(f"Masking: mask_value must be a number; got {mask_value!r}.")
        self.mask_value = mask_value

    def _keep(self, inputs, keepdims: bool):
        differs = engine.not_equal(inputs, self.mask_value)
        return engine.reduce_any(differs, axis=-1, keepdims=keepdims)

    def call(self, inputs):
        return inputs * engine.cast(self._keep(inputs, True), inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs, False)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
