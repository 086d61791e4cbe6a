"""`FusedRNN`: the base of LSTM and GRU, the layers that pick a fused kernel at run time.

Each call asks `rnn_kernels.fused_unavailable_reason` whether the fused sequence kernel may
run (default activations, no recurrent dropout, not unrolled, ...); if so it runs the
subclass's `_fused_kernel`, otherwise it says once why not and runs `RNN`'s cell loop.
The flat Keras config (the cell's weight options plus the gate settings) is written here
too; a subclass adds its own keys in `_own_config`.
"""

from __future__ import annotations

from engine.keras import activations, regularizers
from engine.keras.layers import rnn_kernels
from engine.keras.layers.recurrent import RNN

__all__ = ["FusedRNN"]


class FusedRNN(RNN):
    """An `RNN` over one LSTM-like cell that runs a fused kernel when it can.

    Subclasses set `_fused_kernel` (a `rnn_kernels.run_fused_*` function) and return
    their own config keys from `_own_config`.
    """

    _fused_kernel = None

    def _run(self, inputs, mask, training, initial_states):
        reason = rnn_kernels.fused_unavailable_reason(self, inputs)
        if reason is None:
            return type(self)._fused_kernel(self, inputs, mask, training, initial_states)
        rnn_kernels.report_fallback(self, reason)
        return super()._run(inputs, mask, training, initial_states)

    def _own_config(self) -> dict:
        return {}

    def get_config(self) -> dict:
        """The layer's arguments (Keras' flat form, without a nested cell)."""
        config = self._layer_config()
        config.update(self.cell._weights_config())
        config.update({
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            **self._own_config(), "implementation": self.implementation,
            "activity_regularizer": regularizers.serialize(self.activity_regularizer)})
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Creates the layer from `get_config()`'s output."""
        return cls(**config)
