"""`Sequential`: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from engine import nest
from engine.keras.layers.base import Layer
from engine.keras.layers.functional import InputLayer
from engine.keras.models.model import Model
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
        self._stack: list = []
        self._input_shape_hint = None
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
        if self._input_shape_hint is not None and self.layers:
            self.build(self._input_shape_hint)

    def pop(self) -> None:
        """Removes the last layer.

        Raises:
            TypeError: if there is no layer.
        """
        if not self.layers:
            raise TypeError(f"{self.name}.pop: the model has no layers.")
        self._stack.pop()
        self._reset_functions()

    def build(self, input_shape=None) -> None:
        """Builds every layer for inputs of `input_shape` (batch dimension included)."""
        if input_shape is None:
            input_shape = self._input_shape_hint
        if input_shape is None:
            raise ValueError(f"{self.name}.build: give the input shape (with the batch "
                             "dimension, e.g. (None, 784)), or add an engine.keras.Input.")
        shape = TensorShape(input_shape)
        self._input_shape_hint = tuple(shape.as_list())
        self._output_shape = Layer.compute_output_shape(self, shape, self._input_dtype())
        self._build_input_shape = shape
        self.built = True

    def _input_dtype(self):
        first = self._stack[0] if self._stack else None
        return first.output.dtype if isinstance(first, InputLayer) else None

    def _maybe_build(self, inputs) -> None:
        if not self.built:
            self._build_input_shape = nest.map_structure(lambda t: t.shape, inputs)
            self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
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
        return Layer.compute_output_shape(self, TensorShape(self._input_shape_hint),
                                          self._input_dtype())

    def get_config(self) -> dict:
        """The model's name and its layers' configs."""
        from engine.keras.serialization import serialize_object  # noqa: PLC0415

        layers = []
        if self._input_shape_hint is not None:
            layers.append({"class_name": "InputLayer", "config": {
                "batch_input_shape": list(self._input_shape_hint), "dtype": self.dtype,
                "name": next((lay.name for lay in self._stack if isinstance(lay, InputLayer)),
                             f"{self.name}_input")}})
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
