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
        if _functional_arguments(args, kwargs):
            # A subclass forwarding `(inputs, outputs)` (Keras 2's "customize fit" guides):
            # it becomes a functional model that keeps its own methods, e.g. `train_step`.
            from engine.keras.models.functional import Functional  # noqa: PLC0415

            if not isinstance(self, Functional):
                self.__class__ = _with_functional(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        if len(args) == 1 and args[0] is self:
            args = ()  # `super().__init__(self)`, as TF's text generation tutorial writes; Keras 2
            # ignores it
        if args:
            raise TypeError(f"{type(self).__name__}: unexpected positional arguments; a "
                            "functional model takes Model(inputs=..., outputs=...).")
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        dtype = kwargs.pop("dtype", None)
        # As Keras 2: a subclassed model casts floating inputs to its dtype (float64 data
        # into a float32 model); integers pass unchanged. Functional and Sequential models
        # cast to their Input's dtype instead (see `functional.py`, `sequential.py`).
        autocast = kwargs.pop("autocast", True)
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        self.optimizer = None
        self.compiled_loss = None
        self.compiled_metrics = None
        self.stop_training = False
        self.history = None
        self._is_compiled = False
        self._run_eagerly = None
        self._graph_functions = {}
        self._autocast = autocast

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

    # --- inspection and saving ---------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None) -> None:
        """Prints a table of the layers, output shapes and parameter counts (Keras style).

        `summary_data()` gives the same as data.

        Args:
            line_length: the table width (default 90).
            print_fn: a function taking each line (default `print`).
            positions, expand_nested, show_trainable, layer_range: accepted for Keras
                compatibility.
        """
        from engine.keras.models.summary import summary_text  # noqa: PLC0415

        text = summary_text(self, line_length or 90)
        for line in text.split("\n"):
            (print_fn or print)(line)

    def summary_data(self) -> dict:
        """The summary as data: `{"name", "layers": [rows], "total_params",
        "trainable_params"}` (rows as in `layer_graph()`'s nodes)."""
        from engine.keras.models.summary import _params, summary_rows  # noqa: PLC0415

        total, trainable = _params(self) if self.built else (0, 0)
        return {"name": self.name, "layers": summary_rows(self), "total_params": total,
                "trainable_params": trainable}

    def layer_graph(self) -> dict:
        """The layers and their connections as plain data (nodes and edges) for drawing."""
        from engine.keras.models.summary import layer_graph  # noqa: PLC0415

        return layer_graph(self)

    def save_weights(self, filepath, overwrite=True, save_format=None, options=None) -> None:
        """Saves every weight to a safetensors file (written atomically)."""
        from engine.keras.models.saving import save_weights  # noqa: PLC0415

        save_weights(self, str(filepath), overwrite)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, options=None):
        """Loads weights written by `save_weights` (by layer order, or by name)."""
        from engine.keras.models.saving import load_weights  # noqa: PLC0415

        load_weights(self, str(filepath), by_name, skip_mismatch)

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON; `engine.keras.models.model_from_json` rebuilds it."""
        from engine.keras.models.saving import model_to_json  # noqa: PLC0415

        return model_to_json(self, **kwargs)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """A model from `get_config()`'s output (functional configs give a functional
        model)."""
        if "input_layers" in config and "layers" in config:
            from engine.keras.models.functional import Functional  # noqa: PLC0415

            return Functional.from_config(config, custom_objects)
        return cls(**config)

    def get_config(self) -> dict:
        """A subclassed model's config: override it (and `from_config`) to make it
        serializable, as in Keras."""
        raise NotImplementedError(
            f"{type(self).__name__}.get_config: subclassed models define their own config; "
            "override get_config() and from_config(), or use a Sequential or functional "
            "model.")


def _functional_arguments(args: tuple, kwargs: dict) -> bool:
    """Whether `Model.__init__` got a functional model's `(inputs, outputs)`."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


_FUNCTIONAL_SUBCLASSES: dict = {}


def _with_functional(cls: type, functional: type) -> type:
    """`cls` with `Functional` mixed in after it (made once per class): its own methods win,
    and the graph of layers comes from `Functional`."""
    made = _FUNCTIONAL_SUBCLASSES.get(cls)
    if made is None:
        made = type(cls.__name__, (cls, functional), {"__module__": cls.__module__,
                                                      "__qualname__": cls.__qualname__})
        _FUNCTIONAL_SUBCLASSES[cls] = made
    return made
