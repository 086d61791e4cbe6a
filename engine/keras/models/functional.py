"""`Functional`: a model defined by wiring layers from `Input`s to outputs.

It keeps the part of the Keras graph between its inputs and outputs as a plan: for each
node in order, what to run (a layer call, an engine op, a constant, a variable read) and
which earlier values it reads. `call` casts each input to its `Input`'s dtype (as Keras 2:
uint8 images become float32), then walks that plan on real tensors. Shared layers and
nested models are layer nodes like any other.
"""

from __future__ import annotations

from engine import nest
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.keras.layers import functional as keras_functional
from engine.keras.models.model import Model
from engine.tensor import Tensor, wrap

__all__ = ["Functional"]


class Functional(Model):
    """A model built with the functional API: `Model(inputs=..., outputs=...)`.

    Args:
        inputs: a Keras tensor, or a list or dict of them, from `engine.keras.Input`.
        outputs: a Keras tensor or a nested structure of them.
        name: the model's name.
        trainable: whether training updates the model's weights.

    Example:
        >>> x = engine.keras.Input(shape=(4,))
        >>> y = engine.keras.layers.Dense(2)(x)
        >>> model = engine.keras.Model(inputs=x, outputs=y)
        >>> model(engine.ones([3, 4])).shape
        TensorShape([3, 2])
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        if name is None and type(self) is Functional:  # Keras 2 names `Model(...)` "model"
            from engine.keras.backend import unique_object_name  # noqa: PLC0415

            name = unique_object_name("model")
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._autocast = False  # inputs are cast to their Input's dtype in `call` instead
        for t in nest.flatten(inputs):
            if not keras_functional.is_keras_tensor(t) or t._node.type != "Placeholder":
                raise ValueError(f"Model(inputs=...): got {t!r}; inputs must be the tensors "
                                 "returned by engine.keras.Input(...).")
        for t in nest.flatten(outputs):
            if not keras_functional.is_keras_tensor(t):
                raise ValueError(f"Model(outputs=...): got {t!r}; outputs must be Keras "
                                 "tensors computed from the model's inputs.")
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = nest.flatten(inputs)
        self.outputs = nest.flatten(outputs)
        self._input_dtypes = [t.dtype for t in self.inputs]
        self._graph = self.inputs[0]._node.graph if self.inputs else keras_functional.keras_graph()
        self._loss_tensors: list = []  # `add_loss(keras_tensor)`: recomputed every call
        self._metric_tensors: list = []  # `add_metric(keras_tensor, name)`: (tensor, name, agg)
        self._plan = self._make_plan()
        self.built = True
        self._build_input_shape = nest.map_structure(lambda t: t.shape, inputs)

    def _make_plan(self) -> list:
        graph = self._graph
        needed: set[int] = set()
        stack = [t._node for t in self.outputs + self._loss_tensors
                 + [m[0] for m in self._metric_tensors]]
        input_nodes = {id(t._node) for t in self.inputs}
        while stack:
            node = stack.pop()
            if id(node) in needed:
                continue
            needed.add(id(node))
            if id(node) in input_nodes:
                continue
            if node.type == "Placeholder":
                layer = graph.input_layers.get(id(node))
                raise ValueError(
                    f"Graph disconnected: the outputs depend on input {node.name!r} "
                    f"({layer.name if layer else node.name}), which is not among the model's "
                    f"inputs {[t._node.name for t in self.inputs]}. Add it to inputs=.")
            stack.extend(t._node for t in node.inputs)
        plan = []
        layers = []
        for node in graph.nodes:
            if id(node) not in needed or id(node) in input_nodes:
                continue
            if node.type == "KerasLayer":
                call = graph.calls[id(node)]
                plan.append(("layer", node, call))
                if not any(layer is call.layer for layer in layers):
                    layers.append(call.layer)
            elif node.type == "Const":
                plan.append(("const", node, graph.arrays[node.attrs["array"]]))
            elif node.type == "ReadVariableOp":
                plan.append(("variable", node, graph.variables[node.attrs["variable"]]))
            else:
                plan.append(("op", node, node.op))
        input_layers = [graph.input_layers.get(id(t._node)) for t in self.inputs]
        self._input_layers = [layer for layer in input_layers if layer is not None]
        self._layers_in_order = self._input_layers + layers
        return plan

    @property
    def layers(self) -> list:
        """The model's layers (its input layers first), each once, in wiring order."""
        return list(self._layers_in_order)

    @property
    def input(self):
        """The model's input Keras tensor(s), structured as given to `Model(inputs=...)`."""
        return self._nested_inputs

    @property
    def output(self):
        """The model's output Keras tensor(s), structured as given to `Model(outputs=...)`."""
        return self._nested_outputs

    @property
    def input_shape(self):
        """The shape(s) of `input`, batch dimension included."""
        return nest.map_structure(lambda t: t.shape, self._nested_inputs)

    @property
    def output_shape(self):
        """The shape(s) of `output`, batch dimension included."""
        return nest.map_structure(lambda t: t.shape, self._nested_outputs)

    @property
    def input_names(self) -> list:
        """The names of the input layers."""
        return [self._producer_name(t) for t in self.inputs]

    @property
    def output_names(self) -> list:
        """The names of the layers producing the outputs, as Keras 2 names them.

        An output's name is its layer's name (a layer called several times keeps its
        own name); when two outputs come from layers of the same name, the later ones
        get `_1`, `_2`, ... added. The per-output loss and metric names (`d_loss`)
        start with these.
        """
        names, taken, counts = [], set(), {}
        for t in self.outputs:
            base = proposal = self._producer_name(t)
            while proposal in taken:
                count = counts.get(base, 1)
                proposal = f"{base}_{count}"
                counts[base] = count + 1
            taken.add(proposal)
            names.append(proposal)
        return names

    def _producer_name(self, tensor) -> str:
        """The name of the layer that made `tensor` (its node's name for an engine op)."""
        node = tensor._node
        call = self._graph.calls.get(id(node))
        if call is not None:
            return call.layer.name
        layer = self._graph.input_layers.get(id(node))
        return layer.name if layer is not None else node.name

    def call(self, inputs, training=None, mask=None):
        values: dict[int, object] = {}
        flat = self._flatten_call_inputs(inputs)
        for placeholder, dtype, value in zip(self.inputs, self._input_dtypes, flat):
            # As Keras 2, inputs take their Input's dtype (uint8 images -> float32).
            values[id(placeholder)] = keras_functional.cast_to_input_dtype(value, dtype)
        for kind, node, what in self._plan:
            if kind == "layer":
                args = [values[id(t)] for t in node.inputs]
                outs = keras_functional.run_layer_call(what, args, training)
            elif kind == "const":
                outs = [_constant(node, what)]
            elif kind == "variable":
                outs = [what.read_value()]
            else:
                args = [values[id(t)] for t in node.inputs]
                result = dispatch(what, tuple(args), node.attrs)
                outs = list(result) if isinstance(result, tuple) else [result]
            for t, v in zip(node.outputs, outs):
                values[id(t)] = v
        for t in self._loss_tensors:
            super().add_loss(values[id(t)])
        for t, name, aggregation in self._metric_tensors:
            super().add_metric(values[id(t)], name=name, aggregation=aggregation)
        results = [values[id(t)] for t in self.outputs]
        for t, r in zip(self.outputs, results):
            mask = getattr(t, "_keras_mask", None)
            if mask is not None and isinstance(r, Tensor) and id(mask) in values:
                r._keras_mask = values[id(mask)]
        return nest.pack_sequence_as(self._nested_outputs, results)

    def add_loss(self, loss) -> None:
        """Adds a loss: a tensor, a zero-argument callable, or (as Keras 2) a Keras tensor
        computed from the model's inputs, which then is recomputed on every call.

        Example:
            >>> x = engine.keras.Input(shape=(4,))
            >>> h = engine.keras.layers.Dense(2)(x)
            >>> model = engine.keras.Model(x, h)
            >>> model.add_loss(1e-3 * engine.reduce_sum(engine.square(h)))
        """
        if keras_functional.is_keras_tensor(loss):
            self._add_symbolic(self._loss_tensors, loss)
            return
        super().add_loss(loss)

    def add_metric(self, value, name: str | None = None, aggregation: str | None = None):
        """Reports `value` as a metric named `name`: inside `call` as any layer does, or (as
        Keras 2) as a Keras tensor computed from the model's inputs, which then is computed
        and averaged on every call.

        Example:
            >>> x = engine.keras.Input(shape=(4,))
            >>> h = engine.keras.layers.Dense(2)(x)
            >>> model = engine.keras.Model(x, h)
            >>> model.add_metric(engine.reduce_mean(h), name="mean_h")
            >>> _ = model(np.ones((3, 4), np.float32))
            >>> [m.name for m in model.metrics]
            ['mean_h']
        """
        if not keras_functional.is_keras_tensor(value):
            super().add_metric(value, name=name, aggregation=aggregation)
            return
        if not name:
            raise ValueError(f"{self.name}.add_metric: got a Keras tensor and no name; give "
                             "the metric a name, e.g. model.add_metric(engine.reduce_mean(h), "
                             "name='mean_h').")
        if aggregation not in (None, "mean"):
            raise ValueError(f"{self.name}.add_metric: got aggregation={aggregation!r}; "
                             "expected None or 'mean' (the metric is a Mean over calls).")
        if any(n == name for _, n, _ in self._metric_tensors):
            raise ValueError(f"{self.name}.add_metric: a metric named {name!r} was added "
                             "already; give each one its own name.")
        self._add_symbolic(self._metric_tensors, (value, name, aggregation))

    def _add_symbolic(self, where: list, item) -> None:
        """Appends a symbolic loss or metric and replans; raises (and forgets it) if it needs
        inputs the model does not have."""
        where.append(item)
        try:
            self._plan = self._make_plan()
        except ValueError:
            where.pop()
            raise

    def _flatten_call_inputs(self, inputs) -> list:
        structure = self._nested_inputs
        if isinstance(structure, dict):
            if not isinstance(inputs, dict):
                if len(structure) == 1:
                    return self._conform([inputs])
                raise ValueError(f"{self.name}: expects a dict with keys {sorted(structure)}; "
                                 f"got {type(inputs).__name__}.")
            missing = [k for k in structure if k not in inputs]
            if missing:
                raise ValueError(f"{self.name}: missing inputs {missing}; expected keys "
                                 f"{sorted(structure)}, got {sorted(inputs)}.")
            return self._conform([inputs[k] for k in sorted(structure)])
        flat = nest.flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if isinstance(inputs, dict):
            names = self.input_names
            flat = [inputs[n] for n in names]
        if len(flat) != len(self.inputs):
            raise ValueError(f"{self.name}: expects {len(self.inputs)} inputs "
                             f"{[(t._node.name, t.shape.as_list()) for t in self.inputs]}; "
                             f"got {len(flat)}.")
        flat = self._conform(flat)
        for t, x in zip(self.inputs, flat):
            want = t.shape
            got = getattr(x, "shape", None)
            if got is not None and want.rank is not None and len(got) != want.rank:
                raise ShapeError(f"{self.name}: input {t._node.name!r} expects shape "
                                 f"{want}; got {tuple(got)}.")
            if got is not None and want.rank is not None:
                for w, g in zip(want.as_list(), list(got)):
                    if w is not None and g is not None and w != g:
                        raise ShapeError(f"{self.name}: input {t._node.name!r} expects shape "
                                         f"{want}; got {tuple(got)}.")
        return flat

    def _conform(self, flat: list) -> list:
        # As Keras 2: (batch,) feeds Input(shape=(1,)) as (batch, 1), and back.
        return [keras_functional.conform_to_input_rank(x, t.shape)
                for t, x in zip(self.inputs, flat)]

    def get_config(self) -> dict:
        """The wiring: layers with their configs and inbound connections."""
        from engine.keras.models.serialization import functional_config  # noqa: PLC0415

        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuilds a functional model from `get_config()`'s output."""
        from engine.keras.models.serialization import functional_from_config  # noqa: PLC0415

        return functional_from_config(config, custom_objects)


def _constant(node, array) -> Tensor:
    from engine.backend import devices  # noqa: PLC0415

    if node.device is None or node.device is devices.CPU0:
        return wrap(array)
    return wrap(devices.transfer(array, devices.CPU0, node.device), node.device)
