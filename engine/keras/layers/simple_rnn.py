"""`SimpleRNN`: the fully connected recurrent layer, and its cell `SimpleRNNCell`."""

from __future__ import annotations

from engine import nest
from engine.keras import regularizers
from engine.keras.layers.base import Layer
from engine.keras.layers.recurrent import (
    RNN,
    WEIGHT_ARGS,
    cell_layer_kwargs,
    cell_properties,
)
from engine.keras.layers.rnn_cell_base import CellArguments, DropoutRNNCellMixin
from engine.ops import matmul_ops

__all__ = ["SimpleRNN", "SimpleRNNCell"]


class SimpleRNNCell(DropoutRNNCellMixin, CellArguments, Layer):
    """One step of a fully connected RNN: `h = activation(x @ kernel + h @ recurrent + b)`.

    Args:
        units: the state size.
        activation: default tanh.
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers
            (default glorot_uniform, orthogonal, zeros).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: the fraction of the inputs dropped while training.
        recurrent_dropout: the fraction of the previous state dropped while training.

    Example:
        >>> cell = engine.keras.layers.SimpleRNNCell(4)
        >>> engine.keras.layers.RNN(cell)(engine.ones([2, 5, 3])).shape
        TensorShape([2, 4])
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self._init_weights_args(units, activation, use_bias, kernel_initializer,
                                recurrent_initializer, bias_initializer, kernel_regularizer,
                                recurrent_regularizer, bias_regularizer, kernel_constraint,
                                recurrent_constraint, bias_constraint, dropout,
                                recurrent_dropout)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape, 1)
        if self.use_bias:
            self._add_bias([self.units])
        else:
            self.bias = None
        self.built = True

    def call(self, inputs, states, training=None):
        prev = states[0] if nest.is_nested(states) else states
        keep = self.get_dropout_mask_for_cell(inputs, training)
        keep_rec = self.get_recurrent_dropout_mask_for_cell(prev, training)
        h = matmul_ops.matmul(inputs if keep is None else inputs * keep, self.kernel)
        if self.bias is not None:
            h = h + self.bias
        h = h + matmul_ops.matmul(prev if keep_rec is None else prev * keep_rec,
                                  self.recurrent_kernel)
        h = self.activation(h)
        return h, [h]

    def get_config(self) -> dict:
        """The cell's arguments."""
        config = super().get_config()
        config.update(self._weights_config())
        return config



@cell_properties(*WEIGHT_ARGS)
class SimpleRNN(RNN):
    """A fully connected RNN layer: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent + b)`.

    Args:
        units: the state size.
        activation, use_bias: as `SimpleRNNCell`.
        kernel_initializer, recurrent_initializer, bias_initializer: as `SimpleRNNCell`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: as `SimpleRNNCell`.
        kernel_constraint, recurrent_constraint, bias_constraint: as `SimpleRNNCell`.
        dropout, recurrent_dropout: as `SimpleRNNCell`.
        return_sequences, return_state, go_backwards, stateful, unroll, time_major: as `RNN`.
        activity_regularizer: a regularizer of the outputs.

    Example:
        >>> layer = engine.keras.layers.SimpleRNN(4, return_sequences=True)
        >>> layer(engine.ones([2, 5, 3])).shape
        TensorShape([2, 5, 4])
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, **cell_layer_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def get_config(self) -> dict:
        """The layer's arguments (Keras' flat form, without a nested cell)."""
        config = self._layer_config()
        config.update(self.cell._weights_config())
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Creates the layer from `get_config()`'s output."""
        return cls(**config)
