"""`LSTM` and its cell `LSTMCell` (Keras' gate order `[i, f, c, o]`).

`LSTM` runs the fused `LSTMSequence` op when its configuration allows and the cell loop
otherwise (see rnn_kernels.py); `RNN(LSTMCell(...))` always runs the cell loop.
"""

from __future__ import annotations

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
from engine.ops import join_ops, manip_ops, matmul_ops
from engine.ops.fill_ops import ones

__all__ = ["LSTM", "LSTMCell"]


class _UnitForgetBias:
    """Bias initializer: the wrapped one for the i, c, o gates, ones for the forget gate."""

    def __init__(self, initializer, units: int):
        self.initializer = initializer
        self.units = units

    def __call__(self, shape, dtype=None):
        u = self.units
        return join_ops.concat([self.initializer((u,), dtype=dtype), ones((u,), dtype),
                                self.initializer((2 * u,), dtype=dtype)], axis=0)


class LSTMCell(DropoutRNNCellMixin, CellArguments, Layer):
    """One step of a long short-term memory network.

    `[i, f, c~, o] = x @ kernel + h @ recurrent_kernel + bias` (four slabs of `units`),
    `c = f * c + i * c~` and `h = o * activation(c)`, with `recurrent_activation` on i, f, o
    and `activation` on c~.

    Args:
        units: the state size.
        activation: default tanh.
        recurrent_activation: the gates' activation, default sigmoid.
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers
            (default glorot_uniform, orthogonal, zeros).
        unit_forget_bias: start the forget gate's bias at 1 (Jozefowicz et al., 2015).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: the fraction of the inputs dropped while training.
        recurrent_dropout: the fraction of the previous `h` dropped while training.

    Example:
        >>> rnn = engine.keras.layers.RNN(engine.keras.layers.LSTMCell(4))
        >>> rnn(engine.ones([2, 5, 3])).shape
        TensorShape([2, 4])
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        self._init_weights_args(units, activation, use_bias, kernel_initializer,
                                recurrent_initializer, bias_initializer, kernel_regularizer,
                                recurrent_regularizer, bias_regularizer, kernel_constraint,
                                recurrent_constraint, bias_constraint, dropout,
                                recurrent_dropout)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape, 4)
        self.bias = None
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                init = _UnitForgetBias(init, self.units)
            self._add_bias([4 * self.units], init)
        self.built = True

    def call(self, inputs, states, training=None):
        h_prev, c_prev = states[0], states[1]
        keep = self.get_dropout_mask_for_cell(inputs, training)
        keep_rec = self.get_recurrent_dropout_mask_for_cell(h_prev, training)
        z = matmul_ops.matmul(inputs if keep is None else inputs * keep, self.kernel)
        z = z + matmul_ops.matmul(h_prev if keep_rec is None else h_prev * keep_rec,
                                  self.recurrent_kernel)
        if self.bias is not None:
            z = z + self.bias
        i, f, g, o = manip_ops.split(z, 4, axis=1)
        gate = self.recurrent_activation
        c = gate(f) * c_prev + gate(i) * self.activation(g)
        h = gate(o) * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict:
        """The cell's arguments."""
        config = super().get_config()
        config.update(self._weights_config())
        config.update({
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias})
        return config


@cell_properties(*WEIGHT_ARGS, "recurrent_activation", "unit_forget_bias")
class LSTM(FusedRNN):
    """Long short-term memory layer (Hochreiter & Schmidhuber, 1997), as TF 2's Keras.

    Runs the fused `LSTMSequence` kernel (one op for the whole sequence, with a hand-written
    backprop through time) when activation is tanh, recurrent_activation sigmoid,
    recurrent_dropout 0, use_bias True, unroll False and floating inputs;
    otherwise the generic cell loop, after logging once why. Both give the same results.

    Args:
        units: the state size.
        activation, recurrent_activation, use_bias, unit_forget_bias: as `LSTMCell`.
        kernel_initializer, recurrent_initializer, bias_initializer: as `LSTMCell`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: as `LSTMCell`.
        kernel_constraint, recurrent_constraint, bias_constraint: as `LSTMCell`.
        dropout, recurrent_dropout: as `LSTMCell`.
        return_sequences, return_state, go_backwards, stateful, time_major, unroll: as
            `RNN`.
        activity_regularizer: a regularizer of the outputs.

    Example:
        >>> layer = engine.keras.layers.LSTM(4, return_sequences=True, return_state=True)
        >>> outputs, h, c = layer(engine.ones([2, 5, 3]))
        >>> outputs.shape, c.shape
        (TensorShape([2, 5, 4]), TensorShape([2, 4]))
    """

    _cell_class = LSTMCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, time_major=False, unroll=False, **kwargs):
        self.implementation = kwargs.pop("implementation", 2)
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, **cell_layer_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         time_major=time_major, activity_regularizer=activity_regularizer,
                         **kwargs)

    _fused_kernel = rnn_kernels.run_fused_lstm

    def _own_config(self) -> dict:
        return {"unit_forget_bias": self.unit_forget_bias}
