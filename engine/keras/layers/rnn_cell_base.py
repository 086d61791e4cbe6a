"""What the built-in cells share: `DropoutRNNCellMixin` and `CellArguments`.

Dropout in cells (`DropoutRNNCellMixin`): one mask per call, the same at every time step
(Keras' behaviour), drawn before the loop and only while training. `CellArguments` checks
and stores the weight arguments of `SimpleRNNCell`, `LSTMCell` and `GRUCell`.
"""

from __future__ import annotations

import numpy as np

from engine.keras import activations, constraints, initializers, regularizers
from engine.keras.layers.weight_options import weight_options_config
from engine.ops import random_ops
from engine.ops.fill_ops import ones_like

__all__ = ["DropoutRNNCellMixin", "CellArguments"]


class DropoutRNNCellMixin:
    """Dropout masks for cells: drawn once per sequence and reused at every time step.

    A cell with `dropout` and `recurrent_dropout` attributes mixes this in and asks for its
    masks in `call`; `RNN` resets them before each sequence.

    Example:
        >>> cell = engine.keras.layers.SimpleRNNCell(2, dropout=0.5)
        >>> print(cell.get_dropout_mask_for_cell(engine.ones([1, 3]), training=False))
        None
        >>> mask = cell.get_dropout_mask_for_cell(engine.ones([1, 3]), training=True)
        >>> mask is cell.get_dropout_mask_for_cell(engine.ones([1, 3]), training=True)
        True
    """

    def get_dropout_mask_for_cell(self, inputs, training, count=1):
        """The dropout mask (or `count` of them) for the inputs `(batch, features)`, or None
        when not training or `dropout == 0`. Cached until `reset_dropout_mask()`."""
        return self._cached_mask("_dropout_mask", self.dropout, inputs, training, count)

    def get_recurrent_dropout_mask_for_cell(self, inputs, training, count=1):
        """The mask for the previous state `(batch, units)`, like the input mask."""
        return self._cached_mask("_recurrent_dropout_mask", self.recurrent_dropout, inputs,
                                 training, count)

    def reset_dropout_mask(self):
        """Forgets the cached input mask (the next sequence draws a new one)."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        """Forgets the cached recurrent mask."""
        self._recurrent_dropout_mask = None

    def _cached_mask(self, attr, rate, inputs, training, count):
        if not training or rate == 0:
            return None
        masks = getattr(self, attr, None)
        if masks is None:
            ones = ones_like(inputs)
            masks = [random_ops.dropout(ones, rate=rate) for _ in range(count)]
            setattr(self, attr, masks)
        return masks[0] if count == 1 else masks


class CellArguments:
    """Argument handling shared by the cells (weights' initializers and friends)."""

    def _init_weights_args(self, units, activation, use_bias, kernel_initializer,
                           recurrent_initializer, bias_initializer, kernel_regularizer,
                           recurrent_regularizer, bias_regularizer, kernel_constraint,
                           recurrent_constraint, bias_constraint, dropout, recurrent_dropout):
        name = type(self).__name__
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"{name}: units must be a positive integer; got {units!r}.")
        for what, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= float(rate) < 1:
                raise ValueError(f"{name}: {what} must be in [0, 1); got {rate}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))

    def _add_kernels(self, input_shape, gates: int) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"{self.name}: the last dimension of the inputs must be known; "
                             f"got shape {input_shape}.")
        self.kernel = self.add_weight(
            "kernel", shape=[features, gates * self.units], initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", shape=[self.units, gates * self.units],
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)

    def _add_bias(self, shape, initializer=None) -> None:
        self.bias = self.add_weight(
            "bias", shape=shape, initializer=initializer or self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _weights_config(self) -> dict:
        return {
            "units": self.units, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **weight_options_config(self, ("kernel", "recurrent", "bias"), activity=False),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout}
