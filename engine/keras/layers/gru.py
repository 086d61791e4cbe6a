"""`GRU` and its cell `GRUCell` (Keras' gate order `[z, r, h]`, `reset_after` both ways).

`GRU` runs the fused `GRUSequence` op when its configuration allows (`reset_after=True`,
the TF 2 default, among others) and the cell loop otherwise (see rnn_kernels.py).
"""

from __future__ import annotations

from engine import nest
from engine.keras import activations
from engine.keras.layers import rnn_kernels
from engine.keras.layers.base import Layer
from engine.keras.layers.fused_rnn import FusedRNN
from engine.keras.layers.recurrent import (
    WEIGHT_ARGS,
    cell_layer_kwargs,
    cell_properties,
)
from engine.keras.layers.rnn_cell_base import CellArguments, DropoutRNNCellMixin
from engine.ops import manip_ops, matmul_ops

__all__ = ["GRU", "GRUCell"]


class GRUCell(DropoutRNNCellMixin, CellArguments, Layer):
    """One step of a gated recurrent unit (Cho et al., 2014).

    `z` (update) and `r` (reset) gates, candidate `hh`, new state `h = z * h + (1 - z) * hh`.
    With `reset_after=True` (default, cuDNN-compatible) the reset gate multiplies the
    recurrent product: `hh = activation(x_h + r * (h @ U_h + b_rec_h))`, and the bias is
    `(2, 3 * units)` (input and recurrent biases); with False it multiplies the state
    first: `hh = activation(x_h + (r * h) @ U_h)`, with a `(3 * units,)` bias.

    Args:
        units: the state size.
        activation: default tanh.
        recurrent_activation: the gates' activation, default sigmoid.
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers
            (default glorot_uniform, orthogonal, zeros).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: the fraction of the inputs dropped while training.
        recurrent_dropout: the fraction of the previous state dropped while training.
        reset_after: where the reset gate applies (see above).

    Example:
        >>> rnn = engine.keras.layers.RNN(engine.keras.layers.GRUCell(4))
        >>> rnn(engine.ones([2, 5, 3])).shape
        TensorShape([2, 4])
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, reset_after=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        self._init_weights_args(units, activation, use_bias, kernel_initializer,
                                recurrent_initializer, bias_initializer, kernel_regularizer,
                                recurrent_regularizer, bias_regularizer, kernel_constraint,
                                recurrent_constraint, bias_constraint, dropout,
                                recurrent_dropout)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape, 3)
        self.bias = None
        if self.use_bias:
            shape = [2, 3 * self.units] if self.reset_after else [3 * self.units]
            self._add_bias(shape)
        self.built = True

    def call(self, inputs, states, training=None):
        h_prev = states[0] if nest.is_nested(states) else states
        keep = self.get_dropout_mask_for_cell(inputs, training)
        keep_rec = self.get_recurrent_dropout_mask_for_cell(h_prev, training)
        x = inputs if keep is None else inputs * keep
        h_in = h_prev if keep_rec is None else h_prev * keep_rec
        u, gate = self.units, self.recurrent_activation
        x_part = matmul_ops.matmul(x, self.kernel)
        if self.reset_after:
            rec = matmul_ops.matmul(h_in, self.recurrent_kernel)
            if self.bias is not None:
                x_part, rec = x_part + self.bias[0], rec + self.bias[1]
            x_z, x_r, x_h = manip_ops.split(x_part, 3, axis=1)
            r_z, r_r, r_h = manip_ops.split(rec, 3, axis=1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            hh = self.activation(x_h + r * r_h)
        else:
            if self.bias is not None:
                x_part = x_part + self.bias
            x_z, x_r, x_h = manip_ops.split(x_part, 3, axis=1)
            # split, not slicing: its gradient needs no static batch size when traced
            r_z, r_r = manip_ops.split(
                matmul_ops.matmul(h_in, self.recurrent_kernel[:, :2 * u]), 2, axis=1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            hh = self.activation(x_h + matmul_ops.matmul(r * h_in,
                                                         self.recurrent_kernel[:, 2 * u:]))
        h = z * h_prev + (1.0 - z) * hh
        return h, [h]

    def get_config(self) -> dict:
        """The cell's arguments."""
        config = super().get_config()
        config.update(self._weights_config())
        config.update({
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after})
        return config


@cell_properties(*WEIGHT_ARGS, "recurrent_activation", "reset_after")
class GRU(FusedRNN):
    """Gated recurrent unit layer, as TF 2's Keras (`reset_after=True` by default).

    Runs the fused `GRUSequence` kernel when activation is tanh, recurrent_activation
    sigmoid, recurrent_dropout 0, use_bias True, reset_after True, unroll False and the
    inputs floating; otherwise the generic cell loop, after logging once why.

    Args:
        units: the state size.
        activation, recurrent_activation, use_bias, reset_after: as `GRUCell`.
        kernel_initializer, recurrent_initializer, bias_initializer: as `GRUCell`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: as `GRUCell`.
        kernel_constraint, recurrent_constraint, bias_constraint: as `GRUCell`.
        dropout, recurrent_dropout: as `GRUCell`.
        return_sequences, return_state, go_backwards, stateful, time_major, unroll: as
            `RNN`.
        activity_regularizer: a regularizer of the outputs.

    Example:
        >>> layer = engine.keras.layers.GRU(4, return_state=True)
        >>> output, h = layer(engine.ones([2, 5, 3]))
        >>> output.shape, [w.shape for w in layer.weights][-1]
        (TensorShape([2, 4]), TensorShape([2, 12]))
    """

    _cell_class = GRUCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, time_major=False, reset_after=True, **kwargs):
        self.implementation = kwargs.pop("implementation", 2)
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            **cell_layer_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         time_major=time_major, activity_regularizer=activity_regularizer,
                         **kwargs)

    _fused_kernel = rnn_kernels.run_fused_gru

    def _own_config(self) -> dict:
        return {"reset_after": self.reset_after}
