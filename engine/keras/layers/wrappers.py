"""Layer wrappers: `TimeDistributed` (a layer on every time step) and `Bidirectional`."""

from __future__ import annotations

import inspect

from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.recurrent import build_sublayer
from engine.keras.layers.rnn_kernels import generic_loop
from engine.ops import array_ops, join_ops, manip_ops, reduce_ops
from engine.tensor_shape import TensorShape

__all__ = ["Wrapper", "TimeDistributed", "Bidirectional"]

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Wrapper(Layer):
    """Base class of layers that wrap another layer (`self.layer`).

    Args:
        layer: the wrapped layer.

    Example:
        >>> wrapper = engine.keras.layers.TimeDistributed(engine.keras.layers.Dense(2))
        >>> wrapper.layer.units
        2
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__}: expected a Layer to wrap; got "
                             f"{type(layer).__name__} {layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self) -> dict:
        """The wrapper's arguments, the wrapped layer serialized."""
        from engine.keras.layers import serialize  # noqa: PLC0415 - the package imports us

        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuilds the wrapper and the wrapped layer."""
        from engine.keras.layers import deserialize  # noqa: PLC0415

        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies a layer to every time step: `(batch, time, ...)` in, `(batch, time, ...)` out.

    The steps are folded into the batch (`(batch * time, ...)`, one call of the layer)
    when the time and feature dimensions are static; otherwise the layer is called step by
    step. The wrapped layer's weights are shared by all steps.

    Args:
        layer: the layer to apply (it sees inputs without the time axis).

    Example:
        >>> layer = engine.keras.layers.TimeDistributed(engine.keras.layers.Dense(2))
        >>> layer(engine.ones([4, 5, 3])).shape
        TensorShape([4, 5, 2])
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        if len(dims) < 3:
            raise ValueError(f"{self.name}: expected inputs of rank >= 3 (batch, time, ...); "
                             f"got shape {TensorShape(input_shape)}.")
        merged = None if None in dims[:2] else dims[0] * dims[1]
        build_sublayer(self.layer, TensorShape([merged] + dims[2:]))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        layer = self.layer
        kwargs = {"training": training} if layer._call_spec.training else {}
        dims = inputs.shape.as_list()
        inner = dims[2:]
        if dims[1] is not None and None not in inner:
            if mask is not None and layer._call_spec.mask and mask.shape.rank > 2:
                kwargs["mask"] = array_ops.reshape(mask, [-1] + mask.shape.as_list()[2:])
            outputs = layer(array_ops.reshape(inputs, [-1] + inner), **kwargs)
            out_dims = outputs.shape.as_list()[1:]
            if None not in out_dims:
                return array_ops.reshape(outputs, [-1, dims[1]] + out_dims)

        def step(x_t, states):
            return layer(x_t, **kwargs), []

        return generic_loop(step, inputs, [], return_sequences=True)[1]

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if mask.shape.rank is not None and mask.shape.rank > 2:
            return reduce_ops.reduce_any(mask, axis=list(range(2, mask.shape.rank)))
        return mask


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy backwards over the inputs, and merges.

    The forward layer is a copy of `layer` (`forward_<name>`), the backward one a copy with
    `go_backwards` flipped (`backward_<name>`) unless `backward_layer` is given. The
    backward outputs are reversed back into input order before merging, and masked steps
    output zeros in both directions.

    Args:
        layer: an `RNN` instance (`LSTM`, `GRU`, ...).
        merge_mode: "concat" (default), "sum", "mul", "ave" or None (a list of both).
        weights: initial weights, forward layer's first.
        backward_layer: a recurrent layer to use backwards (same `return_sequences` and
            `return_state` as `layer`, opposite `go_backwards`).

    Call arguments: `inputs`, `training`, `mask`, `initial_state` (the forward layer's
    states, then the backward layer's).

    Example:
        >>> layer = engine.keras.layers.Bidirectional(
        ...     engine.keras.layers.LSTM(4, return_sequences=True))
        >>> layer(engine.ones([2, 5, 3])).shape
        TensorShape([2, 5, 8])
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional: expected a recurrent layer (an RNN instance such "
                             f"as LSTM or GRU); got {layer!r}.")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {list(_MERGE_MODES)}; "
                             f"got {merge_mode!r}.")
        forward = _copy_layer(layer, f"forward_{layer.name}", layer.go_backwards)
        if backward_layer is None:
            backward = _copy_layer(layer, f"backward_{layer.name}", not layer.go_backwards)
        else:
            _check_backward_layer(layer, backward_layer)
            backward = backward_layer
        super().__init__(forward, weights=weights, **kwargs)
        self._source_name = layer.name
        self._custom_backward = backward_layer is not None
        self.forward_layer = forward
        self.backward_layer = backward
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        # As Keras: masked steps output zeros, so the merged outputs are zero there.
        forward.zero_output_for_mask = backward.zero_output_for_mask = self.return_sequences
        self.input_spec = layer.input_spec

    def build(self, input_shape):
        build_sublayer(self.forward_layer, input_shape)
        build_sublayer(self.backward_layer, input_shape)
        self.built = True

    def call(self, inputs, training=None, mask=None, initial_state=None):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            states = list(initial_state)
            half = len(states) // 2
            forward_state, backward_state = states[:half], states[half:]
        y = self.forward_layer(inputs, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(inputs, initial_state=backward_state, **kwargs)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = manip_ops.reverse(y_rev, [0 if self.forward_layer.time_major else 1])
        output = self._merge(y, y_rev)
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def _merge(self, y, y_rev):
        mode = self.merge_mode
        if mode == "concat":
            return join_ops.concat([y, y_rev], axis=-1)
        if mode == "sum":
            return y + y_rev
        if mode == "mul":
            return y * y_rev
        if mode == "ave":
            return (y + y_rev) * 0.5
        return [y, y_rev]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.merge_mode is None:
            output_mask = [output_mask, output_mask]
        if self.return_state:
            n_states = 2 * len(self.forward_layer._state_sizes)
            masks = output_mask if isinstance(output_mask, list) else [output_mask]
            return masks + [None] * n_states
        return output_mask

    def reset_states(self, states=None) -> None:
        """Resets both directions' states (zeros, or `states`: forward's then backward's)."""
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        states = list(states)
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    def get_config(self) -> dict:
        """The wrapper's arguments (the layer as given, and a custom backward layer)."""
        from engine.keras.layers import serialize  # noqa: PLC0415

        config = Layer.get_config(self)
        layer = serialize(self.forward_layer)
        layer["config"]["name"] = self._source_name
        config.update({"layer": layer, "merge_mode": self.merge_mode})
        if self._custom_backward:
            config["backward_layer"] = serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuilds the wrapper, its layer and a custom backward layer."""
        from engine.keras.layers import deserialize  # noqa: PLC0415

        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = deserialize(backward, custom_objects)
        return cls(layer, backward_layer=backward, **config)


def _copy_layer(layer, name: str, go_backwards: bool):
    """A new, unbuilt layer with `layer`'s configuration, `name` and `go_backwards`."""
    config = layer.get_config()
    config.update({"name": name, "go_backwards": go_backwards})
    if "custom_objects" not in inspect.signature(type(layer).from_config).parameters:
        return type(layer).from_config(config)
    # The classes of its cells, which may be the user's own (an RNN of a custom cell)
    cells, found = [getattr(layer, "cell", None)], {}
    while cells:
        cell = cells.pop()
        if cell is not None:
            found[type(cell).__name__] = type(cell)
            cells.extend(getattr(cell, "cells", None) or ())
    return type(layer).from_config(config, custom_objects=found)


def _check_backward_layer(layer, backward) -> None:
    for attr in ("return_sequences", "return_state"):
        if getattr(backward, attr, None) != getattr(layer, attr):
            raise ValueError(f"Bidirectional: backward_layer.{attr} is "
                             f"{getattr(backward, attr, None)}; it must equal layer.{attr} "
                             f"({getattr(layer, attr)}).")
    if getattr(backward, "go_backwards", None) == layer.go_backwards:
        raise ValueError("Bidirectional: backward_layer.go_backwards must be the opposite of "
                         f"layer.go_backwards ({layer.go_backwards}).")
