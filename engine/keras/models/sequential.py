"""`Sequential`: a plain stack of layers, each feeding the next.

Once the input shape is known (an `Input` first, `input_shape=` on the first layer, or
`build(input_shape)`), the model calls each layer on a symbolic input as it is added, as
Keras 2 does: that builds the layers and connects them, so `layer.input`, `layer.output`,
`model.inputs` and `model.outputs` exist (e.g. to make a feature extractor with the
functional API). `call` casts inputs to that input's dtype (uint8 images to float32).
A model without an input shape builds on its first call and stays unconnected.
"""

from __future__ import annotations

from engine import nest
from engine.keras.layers.base import Layer
from engine.keras.layers.functional import (
    Input,
    InputLayer,
    cast_to_input_dtype,
    conform_to_input_rank,
)
from engine.keras.models.model import Model
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape

__all__ = ["Sequential"]


class Sequential(Model):
    """A model that applies its layers one after the other.

    Args:
        layers: the layers (an `engine.keras.Input(...)` first fixes the input shape; so
            does `input_shape=` on the first layer). Without either, the model builds on
            its first call.
        name: the model's name.

    Example:
        >>> model = engine.keras.Sequential([
        ...     engine.keras.Input(shape=(4,)),
        ...     engine.keras.layers.Dense(8, activation="relu"),
        ...     engine.keras.layers.Dense(1)])
        >>> model.output_shape, model.count_params()
        (TensorShape([None, 1]), 49)
    """

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._autocast = False  # `call` casts inputs to the input's dtype instead
        self._stack: list = []
        self._input_shape_hint = None
        self._symbolic_input = None
        self._wired: list = []  # (layer, its node, its output) per connected layer
        self._cast_dtype = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list:
        """The layers, in order (without the input layer)."""
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def add(self, layer) -> None:
        """Appends a layer (or an `Input` tensor, which fixes the input shape).

        Raises:
            TypeError: for something that is not a layer.
        """
        from engine.keras.layers import functional as keras_functional  # noqa: PLC0415

        if keras_functional.is_keras_tensor(layer):
            input_layer = layer._node.graph.input_layers.get(id(layer._node))
            if input_layer is None:
                raise TypeError(f"{self.name}.add: only engine.keras.Input(...) tensors can be "
                                "added; add layers for the rest.")
            layer = input_layer
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name}.add: got {type(layer).__name__} {layer!r}; expected "
                            "a Keras layer (engine.keras.layers.*).")
        if isinstance(layer, InputLayer) and self._stack:
            raise ValueError(f"{self.name}.add: an Input can only come first.")
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"{self.name}.add: a layer named {layer.name!r} is already in the "
                             "model; layer names must be unique.")
        self._stack.append(layer)
        shape = getattr(layer, "_batch_input_shape", None)
        if len(self._stack) == 1 and shape is not None:
            self._input_shape_hint = tuple(shape)
        self.built = False
        self._reset_functions()
        if self._input_shape_hint is not None and self.layers:
            self.build(self._input_shape_hint)

    def pop(self) -> None:
        """Removes the last layer.

        Raises:
            TypeError: if there is no layer.
        """
        if not self.layers:
            raise TypeError(f"{self.name}.pop: the model has no layers.")
        layer = self._stack.pop()
        if self._wired and self._wired[-1][0] is layer:
            _forget_node(layer, self._wired.pop()[1])
        self._reset_functions()

    def build(self, input_shape=None) -> None:
        """Builds every layer for inputs of `input_shape` (batch dimension included)."""
        if input_shape is None:
            input_shape = self._input_shape_hint
        if input_shape is None:
            raise ValueError(f"{self.name}.build: give the input shape (with the batch "
                             "dimension, e.g. (None, 784)), or add an engine.keras.Input.")
        shape = TensorShape(input_shape)
        old = (self._input_shape_hint, self._symbolic_input, self._wired, self._cast_dtype)
        anew = self._input_shape_hint != tuple(shape.as_list())
        if anew:  # a new input shape: connect the layers again from a new input
            self._input_shape_hint = tuple(shape.as_list())
            self._symbolic_input, self._wired, self._cast_dtype = None, [], None
        done = len(self._wired)
        try:
            self._wire()
        except Exception:
            # A layer rejected the shape: leave the model as it was before this call.
            for layer, node, _ in self._wired[done:]:
                _forget_node(layer, node)
            self._input_shape_hint, self._symbolic_input, self._wired, self._cast_dtype = old
            raise
        if anew:
            for layer, node, _ in old[2]:
                _forget_node(layer, node)
        self._build_input_shape = shape
        self.built = True

    def _input_dtype(self):
        first = self._stack[0] if self._stack else None
        return first.output.dtype if isinstance(first, InputLayer) else None

    # --- connecting the layers (Keras 2's graph network) --------------------------------
    def _wire(self) -> None:
        """Calls each layer not yet connected on the previous layer's symbolic output."""
        if self._symbolic_input is None:
            self._symbolic_input, self._cast_dtype = self._make_symbolic_input()
        x = self._wired[-1][2] if self._wired else self._symbolic_input
        for layer in self.layers[len(self._wired):]:
            before = len(layer.__dict__.get("_inbound_nodes", []))
            x = layer(x)
            nodes = layer.__dict__.get("_inbound_nodes", [])
            self._wired.append((layer, nodes[-1] if len(nodes) > before else None, x))

    def _make_symbolic_input(self):
        """The symbolic input and the dtype `call` casts inputs to (None: none)."""
        first = self._stack[0] if self._stack else None
        shape = list(self._input_shape_hint)
        if isinstance(first, InputLayer) and list(first.output.shape.as_list()) == shape:
            return first.output, first.output.dtype
        if first is None:
            return Input(batch_shape=shape, name=f"{self.name}_input"), None
        # No Input given: make one, as Keras 2, with the first layer's dtype. Inputs are
        # cast to it only if that layer casts its inputs itself (not an Embedding's ids).
        tensor = Input(batch_shape=shape, dtype=first.dtype, name=f"{first.name}_input")
        return tensor, tensor.dtype if first._autocast else None

    def _unwire(self) -> None:
        for layer, node, _ in self._wired:
            _forget_node(layer, node)
        self._wired = []
        self._symbolic_input = None
        self._cast_dtype = None

    @property
    def input(self):
        """The model's symbolic input (a Keras tensor).

        Raises:
            AttributeError: before the input shape is known.
        """
        if self._symbolic_input is None:
            raise self._not_connected("input")
        return self._symbolic_input

    @property
    def output(self):
        """The last layer's symbolic output (a Keras tensor).

        Raises:
            AttributeError: before the input shape is known.
        """
        if self._symbolic_input is None:
            raise self._not_connected("output")
        return self._wired[-1][2] if self._wired else self._symbolic_input

    @property
    def inputs(self) -> list | None:
        """`[input]` once the input shape is known, else None (as Keras 2)."""
        return None if self._symbolic_input is None else [self.input]

    @property
    def outputs(self) -> list | None:
        """`[output]` once the input shape is known, else None (as Keras 2)."""
        return None if self._symbolic_input is None else nest.flatten(self.output)

    def _maybe_build(self, inputs) -> None:
        if not self.built:
            self._build_input_shape = nest.map_structure(lambda t: t.shape, inputs)
            self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        if self._symbolic_input is not None and isinstance(x, Tensor):
            x = conform_to_input_rank(x, self._symbolic_input.shape)
        dtype = self._cast_dtype
        if dtype is not None:
            x = cast_to_input_dtype(x, dtype) if isinstance(x, Tensor) else \
                nest.map_structure(lambda t: cast_to_input_dtype(t, dtype), x)
        for layer in self.layers:
            kwargs = {}
            if layer._call_spec.training:
                kwargs["training"] = training
            x = layer(x, **kwargs)
        return x

    @property
    def input_shape(self):
        """The input shape, batch dimension included (None until known)."""
        return None if self._input_shape_hint is None else TensorShape(self._input_shape_hint)

    @property
    def output_shape(self):
        """The output shape, batch dimension included.

        Raises:
            AttributeError: before the input shape is known.
        """
        if self._input_shape_hint is None:
            raise AttributeError(f"{self.name}: the output shape is unknown until the model is "
                                 "built (give an Input, input_shape=, or call it on data).")
        if self._symbolic_input is not None:
            return nest.map_structure(lambda t: t.shape, self.output)
        return Layer.compute_output_shape(self, TensorShape(self._input_shape_hint),
                                          self._input_dtype())

    def get_config(self) -> dict:
        """The model's name and its layers' configs."""
        from engine.keras.serialization import serialize_object  # noqa: PLC0415

        layers = []
        if self._input_shape_hint is not None:
            given = next((lay for lay in self._stack if isinstance(lay, InputLayer)), None)
            layers.append({"class_name": "InputLayer", "config": {
                "batch_input_shape": list(self._input_shape_hint),
                "dtype": given.dtype if given is not None else self.dtype,
                "name": given.name if given is not None else f"{self.name}_input"}})
        layers += [serialize_object(layer) for layer in self.layers]
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuilds the model from `get_config()`'s output."""
        from engine.keras import layers as layers_module  # noqa: PLC0415

        model = cls(name=config.get("name"))
        for item in config["layers"]:
            if item["class_name"] == "InputLayer":
                cfg = dict(item["config"])
                shape = cfg.pop("batch_input_shape")
                model.add(InputLayer(batch_input_shape=shape, dtype=cfg.get("dtype")))
                continue
            model.add(layers_module.deserialize(item, custom_objects=custom_objects))
        return model


def _forget_node(layer, node) -> None:
    """Removes `node` (a call this model made) from `layer`'s inbound nodes."""
    if node is not None:
        nodes = layer.__dict__.get("_inbound_nodes", [])
        layer._inbound_nodes = [n for n in nodes if n is not node]
