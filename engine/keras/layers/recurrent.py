"""Recurrent layers: `RNN` (a cell looped over time), `SimpleRNN` and `StackedRNNCells`.

A *cell* computes one time step: `cell.call(inputs_t, states) -> (output_t, new_states)`,
with `cell.state_size` (an int, or a list for several states) and optionally
`output_size`. `RNN(cell)` runs it over the time axis of `(batch, time, features)` inputs
(`rnn_kernels.generic_loop`), and handles what every recurrent layer shares:
`return_sequences`, `return_state`, `go_backwards`, `stateful` (the final states of one
call, kept in non-trainable variables, start the next; `reset_states()` zeroes them),
masks (a masked step keeps the states and repeats the previous output, or outputs zeros
with `zero_output_for_mask=True`, as `Bidirectional` asks), `initial_state` and
`time_major`. `LSTM` and `GRU` (lstm.py, gru.py) subclass `RNN` to run a fused kernel when
they can (rnn_kernels.py).

Dropout in cells (`DropoutRNNCellMixin`): one mask per call, the same at every time step
(Keras' behaviour), drawn before the loop and only while training.
"""

from __future__ import annotations

import inspect

import numpy as np

from engine import nest
from engine.convert import convert_to_tensor
from engine.graph.trace import init_scope
from engine.keras import activations, constraints, initializers, regularizers
from engine.keras.layers import rnn_kernels
from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.weight_options import weight_options_config
from engine.ops import random_ops
from engine.ops.fill_ops import ones_like, zeros, zeros_like
from engine.scopes import name_scope
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape
from engine.variable import Variable

__all__ = ["RNN", "StackedRNNCells", "DropoutRNNCellMixin"]


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


class StackedRNNCells(Layer):
    """Cells applied one after another within each time step (a deep RNN in one loop).

    Args:
        cells: a list of cells; each one's output is the next one's input.

    Example:
        >>> cells = [engine.keras.layers.LSTMCell(4), engine.keras.layers.GRUCell(3)]
        >>> rnn = engine.keras.layers.RNN(engine.keras.layers.StackedRNNCells(cells))
        >>> rnn(engine.ones([2, 5, 6])).shape
        TensorShape([2, 3])
    """

    def __init__(self, cells, **kwargs):
        cells = list(cells)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells: every cell needs `call` and `state_size`; "
                                 f"got {cell!r}.")
        super().__init__(**kwargs)
        self.cells = cells

    @property
    def state_size(self) -> tuple:
        """Each cell's `state_size`, in order."""
        return tuple(cell.state_size for cell in self.cells)

    @property
    def output_size(self) -> int:
        """The last cell's output size."""
        last = self.cells[-1]
        return getattr(last, "output_size", nest.flatten(last.state_size)[0])

    def build(self, input_shape):
        shape = TensorShape(input_shape)
        for cell in self.cells:
            build_sublayer(cell, shape)
            shape = TensorShape([shape[0], _output_size(cell)])
        self.built = True

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            if not nest.is_nested(cell.state_size):
                cell_states = [cell_states]
            inputs, new = _call_cell(cell, inputs, cell_states, training)
            new_states.append(new if nest.is_nested(cell.state_size) else nest.flatten(new)[:1])
        return inputs, tuple(new_states)

    def get_config(self) -> dict:
        """The cells, serialized."""
        from engine.keras.layers import serialize  # noqa: PLC0415 - the package imports us

        config = super().get_config()
        config["cells"] = [serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuilds the cells from their configs."""
        from engine.keras.layers import deserialize  # noqa: PLC0415

        config = dict(config)
        cells = [deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def _output_size(cell) -> int:
    return getattr(cell, "output_size", None) or nest.flatten(cell.state_size)[0]


def build_sublayer(layer, input_shape) -> None:
    """Builds `layer` (a cell or a wrapped layer) for inputs of `input_shape`, outside any
    traced graph, unless it is built already (or not a Layer)."""
    if not isinstance(layer, Layer) or layer.built:
        return
    with init_scope(), name_scope(layer.name):
        layer.build(input_shape)
    layer._build_input_shape = input_shape
    layer.built = True


def _call_cell(cell, inputs, states, training):
    """`cell.call(inputs, states)`, with `training` if the cell's call takes it."""
    if isinstance(cell, Layer):
        takes_training = cell._call_spec.training
    else:
        takes_training = "training" in inspect.signature(cell.call).parameters
    if takes_training:
        return cell.call(inputs, states, training=training)
    return cell.call(inputs, states)


def _reset_dropout(cell) -> None:
    for c in getattr(cell, "cells", [cell]):
        for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
            if hasattr(c, reset):
                getattr(c, reset)()


class RNN(Layer):
    """Runs a cell over the time axis of its inputs; the base of every recurrent layer.

    Args:
        cell: a cell (`call(inputs, states) -> (output, new_states)` and `state_size`),
            or a list of cells (stacked with `StackedRNNCells`).
        return_sequences: return every step's output `(batch, time, units)`, not only the
            last `(batch, units)`.
        return_state: also return the final states (a list: `[output] + states`).
        go_backwards: process the sequence last step first (the outputs keep that order).
        stateful: each call starts from the previous call's final states (needs a static
            batch size); `reset_states()` zeroes them.
        unroll: accepted as Keras has it: the loop needs a static number of time steps and
            the fused LSTM/GRU kernels are not used.
        time_major: inputs and outputs are `(time, batch, ...)`.
        zero_output_for_mask: output zeros (not the previous output) at masked steps.

    Call arguments: `inputs`, `mask` (bool `(batch, time)`), `training`, `initial_state`
    (a list of tensors, one per state).

    Example:
        >>> rnn = engine.keras.layers.RNN(engine.keras.layers.LSTMCell(4),
        ...                               return_sequences=True, return_state=True)
        >>> outputs, h, c = rnn(engine.ones([2, 5, 3]))
        >>> outputs.shape, h.shape
        (TensorShape([2, 5, 4]), TensorShape([2, 4]))
    """

    # Stateful states are not weights: `weights` and `get_weights` leave them out (Keras 2).
    _untracked_attributes = ("states",)

    supports_masking = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, time_major=False, **kwargs):
        zero_output_for_mask = kwargs.pop("zero_output_for_mask", False)
        kwargs.pop("implementation", None)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"{type(self).__name__}: the cell needs a `call(inputs, states)` "
                             f"method and a `state_size` attribute; got {cell!r}.")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.time_major = bool(time_major)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(ndim=3)
        self.states = None

    @property
    def _state_sizes(self) -> list:
        return [int(s) for s in nest.flatten(self.cell.state_size)]

    def build(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(
                input_shape[0], TensorShape):
            input_shape = input_shape[0]
        shape = TensorShape(input_shape)
        if shape.rank is not None and shape.rank < 3:
            raise ValueError(f"{self.name}: expected inputs of rank 3 (batch, time, features); "
                             f"got shape {shape}.")
        dims = shape.as_list()
        batch = dims[1] if self.time_major else dims[0]
        build_sublayer(self.cell, TensorShape([batch] + dims[2:]))
        if self.stateful and batch is not None:
            self._make_state_variables(batch)
        self.built = True

    # --- states -----------------------------------------------------------------------------
    def _make_state_variables(self, batch: int) -> None:
        with init_scope():
            self.states = [Variable(np.zeros((batch, size), self._dtype.as_numpy_dtype),
                                    trainable=False, name=f"{self.name}/state_{i}")
                           for i, size in enumerate(self._state_sizes)]

    def reset_states(self, states=None) -> None:
        """Sets the states of a stateful layer to zeros, or to `states` (arrays).

        Raises:
            AttributeError: if the layer is not stateful.
            ValueError: for a wrong number of states or wrong shapes.
        """
        if not self.stateful:
            raise AttributeError(f"{self.name}: reset_states() needs stateful=True.")
        if self.states is None:
            return  # created, as zeros, on the first call
        values = [np.zeros(s.shape.as_list()) for s in self.states] if states is None else (
            [np.asarray(v) for v in nest.flatten(states)])
        if len(values) != len(self.states):
            raise ValueError(f"{self.name}.reset_states: got {len(values)} states; the layer "
                             f"has {len(self.states)}.")
        for var, value in zip(self.states, values):
            if tuple(value.shape) != tuple(var.shape.as_list()):
                raise ValueError(f"{self.name}.reset_states: state {var.name} has shape "
                                 f"{tuple(var.shape.as_list())}; got {value.shape}.")
            var.assign(value.astype(var.dtype.as_numpy_dtype))

    def get_initial_state(self, inputs) -> list:
        """Zero states for `inputs`, one `(batch, size)` tensor per state."""
        step = inputs[0] if self.time_major else inputs[:, 0]        # (batch, features)
        batch = step.shape[0]
        if batch is not None:
            return [zeros([batch, size], inputs.dtype) for size in self._state_sizes]
        column = zeros_like(step[:, :1])                             # (batch, 1)
        return [column + zeros([size], inputs.dtype) for size in self._state_sizes]

    def _initial_states(self, inputs, initial_state) -> list:
        sizes = self._state_sizes
        if initial_state is not None:
            states = [convert_to_tensor(s, dtype=inputs.dtype) if not isinstance(s, Tensor)
                      else s for s in nest.flatten(initial_state)]
            if len(states) != len(sizes):
                raise ValueError(f"{self.name}: got {len(states)} initial states; the layer "
                                 f"has {len(sizes)} (sizes {sizes}).")
            return states
        if self.stateful:
            if self.states is None:
                batch = inputs.shape[1 if self.time_major else 0]
                if batch is None:
                    raise ValueError(f"{self.name}: a stateful RNN needs a static batch size; "
                                     "give batch_input_shape (or batch_size to Input).")
                self._make_state_variables(batch)
            return [v.read_value() for v in self.states]
        return self.get_initial_state(inputs)

    # --- running ----------------------------------------------------------------------------
    def call(self, inputs, mask=None, training=None, initial_state=None):
        if isinstance(inputs, (list, tuple)):  # Keras allows [inputs, *initial_states]
            inputs, extra = inputs[0], list(inputs[1:])
            initial_state = extra or initial_state
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        states = self._initial_states(inputs, initial_state)
        _reset_dropout(self.cell)
        last, outputs, states = self._run(inputs, mask, training, states)
        if self.stateful:
            for var, value in zip(self.states, states):
                var.assign(value)
        output = outputs if self.return_sequences else last
        if self.return_state:
            return [output] + list(states)
        return output

    def _run(self, inputs, mask, training, initial_states):
        """`(last_output, outputs or None, final_states)` by the generic cell loop."""
        cell = self.cell
        self._draw_dropout_masks(inputs, initial_states, training)

        def step(x_t, states):
            output, new_states = _call_cell(cell, x_t, _pack_states(cell, states), training)
            return output, nest.flatten(new_states)

        return rnn_kernels.generic_loop(
            step, inputs, initial_states, mask=mask, go_backwards=self.go_backwards,
            unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask,
            time_major=self.time_major, return_sequences=self.return_sequences)

    def _draw_dropout_masks(self, inputs, initial_states, training) -> None:
        """Draws the cells' dropout masks before the loop (never inside a loop body)."""
        if not training:
            return
        template = inputs[0] if self.time_major else inputs[:, 0]
        flat = list(initial_states)
        for cell in getattr(self.cell, "cells", [self.cell]):
            n = len(nest.flatten(cell.state_size))
            if hasattr(cell, "get_dropout_mask_for_cell"):
                cell.get_dropout_mask_for_cell(template, training)
                cell.get_recurrent_dropout_mask_for_cell(flat[0], training)
            template, flat = flat[0], flat[n:]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._state_sizes)
        return output_mask

    def get_config(self) -> dict:
        """The layer's arguments (the cell serialized)."""
        from engine.keras.layers import serialize  # noqa: PLC0415

        config = self._layer_config()
        config["cell"] = serialize(self.cell)
        return config

    def _layer_config(self) -> dict:
        """The base layer's config and the looping flags (without the cell)."""
        config = Layer.get_config(self)
        config.update({"return_sequences": self.return_sequences,
                       "return_state": self.return_state, "go_backwards": self.go_backwards,
                       "stateful": self.stateful, "unroll": self.unroll,
                       "time_major": self.time_major})
        if self.zero_output_for_mask:
            config["zero_output_for_mask"] = True
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuilds the layer and its cell."""
        from engine.keras.layers import deserialize  # noqa: PLC0415

        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects)
        return cls(cell, **config)


def _pack_states(cell, flat: list):
    """The flat state list in the structure of `cell.state_size` (a list for one state)."""
    if not nest.is_nested(cell.state_size):
        return [flat[0]]
    return nest.pack_sequence_as(cell.state_size, flat)


def cell_properties(*names):
    """Class decorator: read-only properties that return the cell's attributes `names`."""
    def decorate(cls):
        for name in names:
            setattr(cls, name, property(lambda self, n=name: getattr(self.cell, n),
                                        doc=f"The cell's `{name}`."))
        return cls

    return decorate


WEIGHT_ARGS = ("units", "activation", "use_bias", "kernel_initializer",
                "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")


def cell_layer_kwargs(kwargs: dict) -> dict:
    """The arguments a layer passes on to the cell it creates (dtype, trainable)."""
    return {k: kwargs[k] for k in ("dtype", "trainable") if k in kwargs}
