"""`AbstractRNNCell`: the base class for custom recurrent cells.

A cell computes one time step; `engine.keras.layers.RNN(cell)` loops it over a sequence
(recurrent.py). A subclass creates its weights in `build`, computes in
`call(inputs, states) -> (output, new_states)`, and declares `state_size` and
`output_size` as properties. `get_initial_state` then gives zero states of the right
shapes.
"""

from __future__ import annotations

from engine import nest
from engine.keras.layers.base import Layer
from engine.ops import shape_ops
from engine.ops.fill_ops import zeros

__all__ = ["AbstractRNNCell"]


class AbstractRNNCell(Layer):
    """Base class for RNN cells: subclass it and define `call`, `state_size`, `output_size`.

    `call(inputs, states)` gets the step's inputs `(batch, features)` and the list of the
    previous states, each `(batch, size)`, and returns the step's output and the list of
    new states (the output is often the new state itself).

    Args:
        **kwargs: base layer arguments (name, dtype, trainable, ...).

    Example:
        >>> class MinimalRNNCell(engine.keras.layers.AbstractRNNCell):
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = units
        ...     @property
        ...     def state_size(self):
        ...         return self.units
        ...     @property
        ...     def output_size(self):
        ...         return self.units
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight("kernel", shape=[input_shape[-1], self.units])
        ...         self.recurrent_kernel = self.add_weight(
        ...             "recurrent_kernel", shape=[self.units, self.units])
        ...     def call(self, inputs, states):
        ...         output = engine.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        ...         return output, [output]
        >>> rnn = engine.keras.layers.RNN(MinimalRNNCell(4))
        >>> rnn(engine.ones([2, 5, 3])).shape
        TensorShape([2, 4])
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs, states):
        """One time step: `(output, new_states)` from `inputs` and the previous `states`.

        Raises:
            NotImplementedError: always; subclasses implement it.
        """
        raise NotImplementedError(f"{type(self).__name__}: a subclass of AbstractRNNCell must "
                                  "implement call(inputs, states) -> (output, new_states).")

    @property
    def state_size(self):
        """The size of the state (an int), or of each state (a list of ints)."""
        raise NotImplementedError(f"{type(self).__name__}: a subclass of AbstractRNNCell must "
                                  "define the state_size property (an int, or a list of ints "
                                  "for several states).")

    @property
    def output_size(self):
        """The size of the output of one step (an int)."""
        raise NotImplementedError(f"{type(self).__name__}: a subclass of AbstractRNNCell must "
                                  "define the output_size property (an int).")

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """Zero states: one `(batch, size)` tensor, or a list of them for several states.

        Args:
            inputs: a tensor whose first axis gives the batch size and whose dtype is used
                (optional).
            batch_size: the batch size, when `inputs` is not given.
            dtype: the states' dtype (default the inputs', else the layer's).

        Returns:
            A tensor, or a list of tensors in the structure of `state_size`.

        Raises:
            ValueError: when neither `inputs` nor `batch_size` gives the batch size.

        Example:
            >>> cell = engine.keras.layers.SimpleRNNCell(3)
            >>> engine.keras.layers.AbstractRNNCell.get_initial_state(cell, batch_size=2).shape
            TensorShape([2, 3])
        """
        if inputs is not None:
            batch_size = inputs.shape[0]
            if batch_size is None:  # known only when a traced graph runs
                batch_size = shape_ops.shape(inputs)[0]
            dtype = dtype or inputs.dtype
        if batch_size is None:
            raise ValueError(f"{type(self).__name__}.get_initial_state: got neither inputs "
                             "with a known batch size nor batch_size; pass batch_size=...")
        dtype = dtype or self.dtype
        sizes = self.state_size
        flat = [zeros([batch_size, int(size)], dtype) for size in nest.flatten(sizes)]
        return nest.pack_sequence_as(sizes, flat) if nest.is_nested(sizes) else flat[0]
