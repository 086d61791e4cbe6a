"""The functional API's symbolic side: `Input`, Keras tensors and layer-call nodes.

`engine.keras.Input(shape)` returns a Keras tensor: a symbolic tensor of the Keras graph,
a process-wide `FuncGraph` that records how a model is wired. Calling a layer on Keras
tensors adds one `KerasLayer` node there (the layer is built from the inputs' shapes, and
its output shapes and masks come from tracing `call` once in a scratch graph). Engine ops
applied to Keras tensors (`x * 2.0`, `engine.concat([a, b], 1)`) become ordinary op nodes
of the same graph. A functional `Model(inputs, outputs)` then runs the nodes between its
inputs and outputs: layer nodes call their layer, op nodes dispatch their op.

`engine.keras.backend.clear_session()` starts a new Keras graph.
"""

from __future__ import annotations

from engine import context, hooks, nest
from engine import dtypes as _dt
from engine.errors import TracingError
from engine.graph.ir import SymbolicTensor, register_node_type
from engine.graph.trace import FuncGraph, tracing
from engine.keras.layers.base import Layer
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["Input", "InputLayer", "is_keras_tensor", "keras_graph", "reset_keras_graph",
           "call_symbolic", "LayerCall", "node_inputs", "node_outputs", "cast_to_input_dtype",
           "conform_to_input_rank"]

register_node_type("KerasLayer")
_GRAPH: list = []


class KerasGraph(FuncGraph):
    """The graph that records functional models' wiring."""

    is_keras_graph = True

    def __init__(self):
        super().__init__("keras_graph")
        self.calls: dict[int, LayerCall] = {}
        self.input_layers: dict[int, object] = {}

    def on_variable_created(self, variable) -> None:
        """Layers built while wiring a model create ordinary variables."""


def _on_clear_session(_payload=None) -> None:
    reset_keras_graph()


def keras_graph() -> KerasGraph:
    """The current Keras graph (created on first use)."""
    if not _GRAPH:
        _GRAPH.append(KerasGraph())
    return _GRAPH[0]


def reset_keras_graph() -> None:
    """Starts a new Keras graph (`clear_session`); existing models keep working."""
    _GRAPH.clear()


def is_keras_tensor(x) -> bool:
    """True for the symbolic tensors of the functional API (`Input(...)` and what follows)."""
    return (isinstance(x, SymbolicTensor) and type(x) is not Tensor
            and getattr(x._node.graph, "is_keras_graph", False))


def is_keras_tensor_structure(inputs) -> bool:
    """True if `inputs` (a tensor or nested structure) holds a Keras tensor."""
    if type(inputs) is Tensor:
        return False
    if isinstance(inputs, SymbolicTensor):
        return is_keras_tensor(inputs)
    if isinstance(inputs, (list, tuple, dict)):
        return any(is_keras_tensor(t) for t in nest.flatten(inputs))
    return False


class LayerCall:
    """How a layer was called on Keras tensors: enough to call it again on real tensors.

    Attributes:
        layer: the layer.
        node: its `KerasLayer` node in the Keras graph.
        args, kwargs: the call's arguments with each Keras tensor replaced by its index
            into `node.inputs`.
        outputs: the output structure with indices into `node.outputs`.
        masks: indices into `node.outputs` of the output masks (or None each).
    """

    def __init__(self, layer, node, args, kwargs, outputs, masks):
        self.layer = layer
        self.node = node
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.masks = masks


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def call_symbolic(layer, inputs, rest: tuple, kwargs: dict):
    """`layer(inputs, *rest, **kwargs)` on Keras tensors: adds a `KerasLayer` node."""
    graph = keras_graph()
    flat: list = []

    def slot(x):
        if isinstance(x, SymbolicTensor):
            if x._node.graph is not graph:
                raise TracingError(
                    f"{layer.name}: got {x.name} from an earlier Keras session (before "
                    "clear_session()) or from another graph; build the model from new "
                    "engine.keras.Input tensors.")
            flat.append(x)
            return _Slot(len(flat) - 1)
        return x

    args = nest.map_structure(slot, (inputs,) + tuple(rest))
    kw = {k: nest.map_structure(slot, v) for k, v in kwargs.items()}
    layer._maybe_build(inputs)
    scratch = FuncGraph(f"{layer.name}_shapes")
    scratch.allow_variable_creation = True
    with tracing(scratch):
        placeholders = [scratch.placeholder(TensorSpec(t.shape, t.dtype), f"in{i}", t._device)
                        for i, t in enumerate(flat)]
        for src, ph in zip(flat, placeholders):
            mask = getattr(src, "_keras_mask", None)
            if mask is not None and any(mask is f for f in flat):
                ph._keras_mask = placeholders[_index_of(flat, mask)]
            elif mask is not None:
                ph._keras_mask = scratch.placeholder(TensorSpec(mask.shape, mask.dtype),
                                                     "mask", mask._device)

        def unslot(x):
            return placeholders[x.index] if isinstance(x, _Slot) else x

        call_args = nest.map_structure(unslot, args)
        call_kwargs = {k: nest.map_structure(unslot, v) for k, v in kw.items()}
        outputs = layer(*call_args, **call_kwargs)
    flat_out = nest.flatten(outputs)
    for t in flat_out:
        if not isinstance(t, Tensor):
            raise TypeError(f"{layer.name}: call returned {type(t).__name__}; a layer used in "
                            "the functional API must return tensors (or nested structures of "
                            "tensors).")
    masks = [getattr(t, "_keras_mask", None) for t in flat_out]
    specs = [TensorSpec(t.shape, t.dtype) for t in flat_out]
    specs += [TensorSpec(m.shape, m.dtype) for m in masks if m is not None]
    node = graph.add_node("KerasLayer", flat, {"layer": layer.name,
                                               "class_name": type(layer).__name__},
                          specs, device=flat[0]._device if flat else None,
                          scope=context.current_name_scope(), name=layer.name)
    out_tensors = node.outputs[:len(flat_out)]
    next_mask = len(flat_out)
    mask_slots = []
    for t, m in zip(out_tensors, masks):
        if m is not None:
            t._keras_mask = node.outputs[next_mask]
            mask_slots.append(next_mask)
            next_mask += 1
        else:
            mask_slots.append(None)
    structure = nest.pack_sequence_as(outputs, [_Slot(i) for i in range(len(flat_out))])
    graph.calls[id(node)] = LayerCall(layer, node, args, kw, structure, mask_slots)
    inbound = layer.__dict__.setdefault("_inbound_nodes", [])
    inbound.append(node)
    return nest.pack_sequence_as(outputs, list(out_tensors))


def node_inputs(node):
    """The Keras tensors a layer call (a `KerasLayer` node) received, structured as its
    first argument."""
    call = node.graph.calls[id(node)]
    return nest.map_structure(lambda x: node.inputs[x.index] if isinstance(x, _Slot) else x,
                              call.args[0])


def node_outputs(node):
    """The Keras tensors a layer call (a `KerasLayer` node) produced, structured as the
    layer returned them."""
    call = node.graph.calls[id(node)]
    return nest.map_structure(lambda x: node.outputs[x.index], call.outputs)


def cast_to_input_dtype(value, dtype: _dt.DType):
    """`value` cast to `dtype`, the dtype of the model's `Input`, as Keras 2 does.

    Only tensors whose dtype differs are cast, and only between numeric dtypes (e.g. uint8
    images to float32); strings, booleans and non-tensors pass unchanged. A Keras mask
    stays attached.
    """
    if not isinstance(value, Tensor) or value.dtype is dtype:
        return value
    if not (value.dtype.is_numeric and dtype.is_numeric):
        return value
    from engine.ops import math_ops  # noqa: PLC0415

    mask = getattr(value, "_keras_mask", None)
    value = math_ops.cast(value, dtype)
    if mask is not None:
        value._keras_mask = mask
    return value


def conform_to_input_rank(value, shape: TensorShape):
    """`value` with its last axis of size 1 added or dropped to match an `Input`'s rank.

    As Keras 2 does for functional and Sequential models: a batch of scalars of shape
    (batch,) fed to `Input(shape=(1,))` becomes (batch, 1), and (batch, 1) fed to an
    input of shape (batch,) loses its last axis. Any other value passes unchanged.
    """
    got = getattr(value, "shape", None)
    if got is None or shape.rank is None:
        return value
    rank = got.rank if isinstance(got, TensorShape) else len(got)
    if rank is None:
        return value
    if rank + 1 == shape.rank and shape[-1] == 1:
        return _expand_or_squeeze(value, expand=True)
    if rank == shape.rank + 1 and rank > 1 and got[-1] == 1:
        return _expand_or_squeeze(value, expand=False)
    return value


def _expand_or_squeeze(value, expand: bool):
    from engine.ops import array_ops  # noqa: PLC0415

    if not isinstance(value, Tensor):
        import numpy as np  # noqa: PLC0415

        return np.expand_dims(value, -1) if expand else np.squeeze(value, -1)
    mask = getattr(value, "_keras_mask", None)
    value = array_ops.expand_dims(value, -1) if expand else array_ops.squeeze(value, [-1])
    if mask is not None:
        value._keras_mask = mask
    return value


def _index_of(items: list, obj) -> int:
    return next(i for i, x in enumerate(items) if x is obj)


def run_layer_call(call: LayerCall, values: list, training):
    """Calls `call.layer` on real tensors `values` (one per node input); returns the flat
    outputs (and masks) in node-output order."""
    def unslot(x):
        return values[x.index] if isinstance(x, _Slot) else x

    args = nest.map_structure(unslot, call.args)
    kwargs = {k: nest.map_structure(unslot, v) for k, v in call.kwargs.items()}
    if training is not None and "training" not in kwargs and call.layer._call_spec.training:
        kwargs["training"] = training
    outputs = call.layer(*args, **kwargs)
    flat = nest.flatten(outputs)
    result = list(flat)
    for t, slot in zip(flat, call.masks):
        if slot is not None:
            result.append(getattr(t, "_keras_mask", None))
    return result


# --- Input ----------------------------------------------------------------------------------
def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=None, tensor=None,  # noqa: N802
          ragged=None, type_spec=None, batch_shape=None, **kwargs):
    """A symbolic input of a functional model.

    Args:
        shape: the shape of one example, without the batch dimension (None entries for
            sizes that vary).
        batch_size: a fixed batch size, or None.
        name: the input's name (default `input_1`, `input_2`, ...).
        dtype: the dtype (default `floatx()`).
        sparse, ragged, type_spec, tensor: not supported (an error if set).
        batch_shape: the full shape including the batch dimension, instead of `shape`.

    Returns:
        A Keras tensor to call layers on.

    Raises:
        ValueError: without a shape.

    Example:
        >>> x = engine.keras.Input(shape=(784,), name="pixels")
        >>> x.shape
        TensorShape([None, 784])
    """
    if sparse or ragged or type_spec is not None or tensor is not None:
        raise ValueError("Input: sparse, ragged, type_spec and tensor= are not supported by "
                         "eagerlab; give shape= and dtype=.")
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       batch_input_shape=batch_shape, **kwargs)
    return layer.output


class InputLayer(Layer):
    """The layer behind `Input`: it owns the model's input placeholder.

    Args:
        input_shape: the shape of one example (no batch dimension).
        batch_size: a fixed batch size, or None.
        dtype: the input dtype (default `floatx()`).
        name: the layer's name.
        batch_input_shape: the full shape, instead of `input_shape` and `batch_size`.
        sparse, ragged: not supported (errors if set).

    Example:
        >>> layer = engine.keras.layers.InputLayer(input_shape=(3,))
        >>> layer.output.shape, layer.output is layer.input
        (TensorShape([None, 3]), True)
    """

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None,
                 batch_input_shape=None, sparse=None, ragged=None, **kwargs):
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError("Input: give shape= (the shape of one example, e.g. "
                                 "shape=(784,)) or batch_shape=.")
            if isinstance(input_shape, int):
                input_shape = (input_shape,)
            batch_input_shape = (batch_size,) + tuple(TensorShape(input_shape).as_list())
        from engine.keras.backend import unique_object_name  # noqa: PLC0415

        # Keras 2 numbers unnamed inputs from 1: input_1, input_2, ...
        Layer.__init__(self, name=name or unique_object_name("input", zero_based=False),
                       dtype=dtype)
        self._batch_input_shape = tuple(batch_input_shape)
        self.built = True
        graph = keras_graph()
        spec = TensorSpec(self._batch_input_shape, _dt.as_dtype(dtype or self.dtype))
        self._placeholder = graph.placeholder(spec, self.name)
        graph.input_layers[id(self._placeholder._node)] = self

    # An input layer's input and output are both its placeholder (as in Keras 2).
    @property
    def input(self):
        """The input placeholder (a Keras tensor), same as `output`."""
        return self._placeholder

    @property
    def output(self):
        """The input placeholder (a Keras tensor) that layers are called on."""
        return self._placeholder

    @property
    def input_shape(self):
        """The placeholder's shape, batch dimension included."""
        return self._placeholder.shape

    @property
    def output_shape(self):
        """The placeholder's shape, batch dimension included."""
        return self._placeholder.shape

    def get_config(self) -> dict:
        """The input layer's shape, dtype and name."""
        return {"batch_input_shape": list(self._batch_input_shape), "dtype": self.dtype,
                "name": self.name}


hooks.subscribe("keras_clear_session", _on_clear_session)
