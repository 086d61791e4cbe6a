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

Cells may take and keep nests (Keras 2's "nested" cells): `RNN(cell)((x1, x2))` passes a
tuple of inputs (each `(batch, time, ...)`; a list is `[inputs, *initial_states]`, as in
Keras 2), `cell.build` gets their shapes without the time axis, each step gets that tuple,
and `state_size`/`output_size` may be nests of ints or `TensorShape`s (a state of shape
`(batch, 20, 30)` has size `TensorShape([20, 30])`).

Dropout in cells (`DropoutRNNCellMixin`, rnn_cell_base.py): one mask per call, the same at
every time step (Keras' behaviour), drawn before the loop and only while training.
"""

from __future__ import annotations

import inspect

import numpy as np

from engine import nest
from engine.convert import convert_to_tensor
from engine.graph.trace import init_scope
from engine.keras.layers import rnn_kernels
from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.rnn_cell_base import DropoutRNNCellMixin
from engine.ops import array_ops
from engine.ops.fill_ops import zeros, zeros_like
from engine.scopes import name_scope
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape
from engine.variable import Variable

__all__ = ["RNN", "StackedRNNCells", "DropoutRNNCellMixin"]


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
        """Each state's size: an int, or a tuple for a state of several axes."""
        return [_state_size(s) for s in nest.flatten(self.cell.state_size)]

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and not _is_shape(input_shape):
            input_shape = input_shape[0]  # [inputs, *initial_states]
        nested = isinstance(input_shape, tuple) and not _is_shape(input_shape)
        shapes = [TensorShape(s) for s in nest.flatten(input_shape)] if nested else [
            TensorShape(input_shape)]
        for shape in shapes:
            if shape.rank is not None and shape.rank < 3:
                raise ValueError(f"{self.name}: expected inputs of rank 3 or more (batch, "
                                 f"time, features...); got shape {shape}.")
        batch = shapes[0][1 if self.time_major else 0]

        def step_shape(shape):                     # the shape of one step: no time axis
            return TensorShape([batch] + TensorShape(shape).as_list()[2:])

        if nested:
            self.input_spec = None  # the inputs' ranks may differ
            build_sublayer(self.cell, nest.pack_sequence_as(
                input_shape, [step_shape(s) for s in shapes]))
        else:
            build_sublayer(self.cell, step_shape(shapes[0]))
        if self.stateful and batch is not None:
            self._make_state_variables(batch)
        self.built = True

    # --- states -----------------------------------------------------------------------------
    def _make_state_variables(self, batch: int) -> None:
        with init_scope():
            self.states = [Variable(np.zeros([batch] + _dims(size), self._dtype.as_numpy_dtype),
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
        """Zero states for `inputs` (a tensor or a nest of them), one `(batch, size)` (or
        `(batch, *size)`) tensor per state."""
        inputs = nest.flatten(inputs)[0]
        step = inputs[0] if self.time_major else inputs[:, 0]        # (batch, features)
        batch = step.shape[0]
        if batch is not None:
            return [zeros([batch] + _dims(size), inputs.dtype) for size in self._state_sizes]
        lead = zeros_like(step[(slice(None),) + (0,) * (step.shape.rank - 1)])  # (batch,)
        return [array_ops.reshape(lead, [-1] + [1] * len(_dims(size)))
                + zeros(_dims(size), inputs.dtype) for size in self._state_sizes]

    def _initial_states(self, inputs, initial_state) -> list:
        sizes = self._state_sizes
        inputs = nest.flatten(inputs)[0]
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
        if isinstance(inputs, list):  # Keras allows [inputs, *initial_states]
            inputs, extra = inputs[0], list(inputs[1:])
            initial_state = extra or initial_state
        mask = _first_mask(mask)
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
        first = nest.flatten(inputs)[0]
        template = first[0] if self.time_major else first[:, 0]
        flat = list(initial_states)
        for cell in getattr(self.cell, "cells", [self.cell]):
            n = len(nest.flatten(cell.state_size))
            if hasattr(cell, "get_dropout_mask_for_cell"):
                cell.get_dropout_mask_for_cell(template, training)
                cell.get_recurrent_dropout_mask_for_cell(flat[0], training)
            template, flat = flat[0], flat[n:]

    def compute_mask(self, inputs, mask=None):
        mask = _first_mask(mask)
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


def _state_size(size):
    """An int, or a tuple for a state of several axes (`TensorShape([20, 30])`)."""
    if isinstance(size, (int, np.integer)):
        return int(size)
    dims = tuple(TensorShape(size).as_list())
    return dims[0] if len(dims) == 1 else dims


def _dims(size) -> list:
    """A state's shape without the batch axis."""
    return [size] if isinstance(size, int) else list(size)


def _is_shape(value) -> bool:
    """Whether a list or tuple is one shape (`(None, 5, 3)`), not a nest of shapes."""
    return all(d is None or isinstance(d, (int, np.integer)) for d in value)


def _first_mask(mask):
    """The mask of the (first masked) sequence input, from a mask or a nest of masks."""
    if not isinstance(mask, (list, tuple)):
        return mask
    return next((m for m in nest.flatten(mask) if m is not None), None)


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
