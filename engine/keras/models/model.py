"""`Model`: a layer with training (`compile`/`fit`), inspection and saving.

Three ways to define one, as in Keras:
- functional: `Model(inputs=engine.keras.Input(...), outputs=...)` (see `functional.py`);
- `Sequential([...])`: a stack of layers (see `sequential.py`);
- subclassing: create layers in `__init__`, compute in `call`.
"""

from __future__ import annotations

from engine.keras.layers.base import Layer
from engine.keras.models.training import TrainingMixin

__all__ = ["Model"]


class Model(TrainingMixin, Layer):
    """A trainable stack or graph of layers.

    Example:
        >>> class TwoLayers(engine.keras.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = engine.keras.layers.Dense(8, activation="relu")
        ...         self.out = engine.keras.layers.Dense(1)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> model = TwoLayers()
        >>> model(engine.ones([2, 3])).shape
        TensorShape([2, 1])
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and ("inputs" in kwargs and "outputs" in kwargs or len(args) >= 2):
            from engine.keras.models.functional import Functional  # noqa: PLC0415

            return super().__new__(Functional)  # Python then runs Functional.__init__
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args:
            raise TypeError(f"{type(self).__name__}: unexpected positional arguments; a "
                            "functional model takes Model(inputs=..., outputs=...).")
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        dtype = kwargs.pop("dtype", None)
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        self.optimizer = None
        self.compiled_loss = None
        self.compiled_metrics = None
        self.stop_training = False
        self.history = None
        self._is_compiled = False
        self._run_eagerly = None
        self._graph_functions = {}

    def _maybe_build(self, inputs) -> None:
        # A subclassed model builds its layers as `call` first uses them.
        if not self.built:
            self._build_input_shape = None
            self.built = True

    @property
    def layers(self) -> list:
        """The direct sublayers, in the order they were assigned."""
        return self._flatten_layers(include_self=False, recursive=False)

    def get_layer(self, name=None, index=None):
        """A sublayer by name or index.

        Raises:
            ValueError: if none matches, listing the layers' names.
        """
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"{self.name}.get_layer: index {index} is out of range; the "
                                 f"model has {len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{self.name}.get_layer: no layer named {name!r}; the layers are "
                         f"{[layer.name for layer in layers]}.")

    def get_config(self) -> dict:
        """A subclassed model's config: override it (and `from_config`) to make it
        serializable, as in Keras."""
        raise NotImplementedError(
            f"{type(self).__name__}.get_config: subclassed models define their own config; "
            "override get_config() and from_config(), or use a Sequential or functional "
            "model.")
