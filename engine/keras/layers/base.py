"""`Layer`: the Keras building block — weights, a deferred `build`, and `call`.

A layer creates its weights in `build(input_shape)` (called on first use with the input's
shape, or explicitly), computes in `call(inputs, ...)`, and describes itself with
`get_config()`. `__call__` does the bookkeeping around `call`:
- converts NumPy/Python inputs to tensors and casts floating inputs to the layer's dtype;
- builds the layer from the inputs' shapes the first time (under its name scope, outside
  any graph being traced, so weights are ordinary variables);
- checks `input_spec` and names the layer in the error;
- passes `training` (explicit, else inherited from the enclosing layer's call, else False)
  and `mask` (explicit, else the inputs' Keras mask) to `call` if it accepts them;
- runs `call` inside the layer's name scope (graphs and the profiler show layer paths);
- attaches the output mask (`compute_mask`) and records activity regularization losses;
- on functional-API inputs (`engine.keras.Input`), records a node of the layer graph
  instead (see `functional.py`); `layer.input`/`layer.output` then give its Keras
  tensors (see `connections.py`).

Creating and tracking weights and losses (`add_weight`, `weights`, `get_weights`,
`losses`, ...) is the `LayerWeights` mixin's part, in `layer_weights.py`; `add_metric` and
`metrics` are the `LayerMetrics` mixin's, in `layer_metrics.py`.

A second positional argument reaches `call` as Keras 2 passes it: `model(x, True)` is
`training=True` when `call(self, inputs, training=None)` has `training` (or `mask`) in that
place; for `call(self, query, value, ...)` it stays the second input.
"""

from __future__ import annotations

import inspect
import threading

import numpy as np

from engine import context, nest
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.keras.layers.connections import LayerConnections
from engine.keras.layers.input_spec import InputSpec, check_input_spec
from engine.keras.layers.layer_metrics import LayerMetrics
from engine.keras.layers.layer_weights import LayerWeights
from engine.keras.mixed_precision import autocast as _autocast
from engine.keras.mixed_precision import policy as _policy
from engine.module import Module
from engine.scopes import name_scope
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape

__all__ = ["Layer", "InputSpec", "check_input_spec", "current_training", "in_layer_call"]

_ALLOWED_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights",
                   "activity_regularizer", "autocast", "implementation"}
_STATE = threading.local()
_G = context.GLOBAL
_THREAD = context.THREAD


def current_training():
    """The `training` value of the innermost layer call in progress (None outside)."""
    stack = getattr(_STATE, "training", None)
    return stack[-1] if stack else None


def in_layer_call() -> bool:
    """Whether a layer's `call` is in progress (in this thread)."""
    return bool(getattr(_STATE, "training", None))


class _TrainingScope:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        stack = getattr(_STATE, "training", None)
        if stack is None:
            stack = _STATE.training = []
        stack.append(self.value)

    def __exit__(self, *exc):
        _STATE.training.pop()


class Layer(LayerWeights, LayerMetrics, LayerConnections, Module):
    """Base class of every Keras layer (and of `Model`).

    Subclasses create weights in `build` with `add_weight` and compute in `call`.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: the layer's name (default: snake_case of the class, made unique).
        dtype: the dtype policy: a `Policy`, a policy name (`"mixed_float16"`) or a dtype
            (default: the global policy, `engine.keras.mixed_precision.global_policy()`).
        dynamic: accepted for Keras compatibility.
        input_shape, batch_input_shape, batch_size, input_dim: the input shape, for the
            first layer of a `Sequential` model.
        activity_regularizer: a regularizer applied to the layer's output.

    Example:
        >>> class Scale(engine.keras.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight("w", shape=[input_shape[-1]],
        ...                                  initializer="ones")
        ...     def call(self, x):
        ...         return x * self.w
        >>> layer = Scale()
        >>> layer(engine.ones([2, 3])).shape, [w.name for w in layer.weights]
        (TensorShape([2, 3]), ['scale/w:0'])
    """

    # Whether the layer keeps states across calls (recurrent layers with stateful=True);
    # `Model.reset_states` resets those that do.
    stateful = False
    # Set for layers whose policy is mixed: the dtype `call` reads their weights in (see
    # engine/keras/mixed_precision/autocast.py); None on the plain path.
    _autocast_dtype = None
    _autocast_seen = -1

    def __init__(self, trainable=True, name=None, dtype=None, dynamic=False, **kwargs):
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{sorted(unknown)}. Accepted besides the layer's own: "
                            f"{sorted(_ALLOWED_KWARGS)}.")
        super().__init__(name=name or _unique_name(type(self).__name__))
        policy = self._dtype_policy = _policy.policy_of(dtype)
        self._dtype = _dt.as_dtype(policy.compute_dtype)  # inputs are cast to it
        self._variable_dtype = _dt.as_dtype(policy.variable_dtype)  # the weights' dtype
        self._np_dtype = self._dtype._np
        self._autocast_dtype = self._dtype if policy._mixed else None
        self._masks_seen = False
        self._trainable = bool(trainable)
        self.built = False
        self.input_spec = None
        self.supports_masking = getattr(self, "supports_masking", False)
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._losses: list = []
        self._callable_losses: list = []
        self._build_input_shape = None
        self._autocast = kwargs.get("autocast", True)
        self.dynamic = dynamic
        self._initial_weights = kwargs.get("weights")
        batch_input_shape = kwargs.get("batch_input_shape")
        if batch_input_shape is None and ("input_shape" in kwargs or "input_dim" in kwargs):
            shape = kwargs.get("input_shape")
            if shape is None:
                shape = (kwargs["input_dim"],)
            batch_input_shape = (kwargs.get("batch_size"),) + tuple(shape)
        self._batch_input_shape = None if batch_input_shape is None else tuple(
            batch_input_shape)
        regularizer = kwargs.get("activity_regularizer")
        if regularizer is not None:
            from engine.keras import regularizers  # noqa: PLC0415

            regularizer = regularizers.get(regularizer)
        self.activity_regularizer = regularizer
        self._call_spec = _CallSpec(self.call)

    # --- description --------------------------------------------------------------------
    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights, as a name (`"float32"`; Keras 2's meaning)."""
        return self._variable_dtype.name

    @property
    def dtype_policy(self):
        """The layer's `engine.keras.mixed_precision.Policy`."""
        return self._dtype_policy

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in (its floating inputs are cast to it)."""
        return self._dtype.name

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights."""
        return self._variable_dtype.name

    @property
    def trainable(self) -> bool:
        """Whether training updates this layer's weights (False freezes it and sublayers)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._flatten_layers(include_self=False):
            layer._trainable = bool(value)

    def _flatten_layers(self, include_self=True, recursive=True) -> list:
        """This layer's sublayers in attribute order (each once), depth first."""
        out, seen = [], set()
        if include_self:
            out.append(self)
            seen.add(id(self))

        def visit(obj, depth):
            items = (list(vars(obj).items()) if isinstance(obj, Layer) else
                     list(obj.items()) if isinstance(obj, dict) else
                     list(enumerate(obj)) if isinstance(obj, (list, tuple)) else [])
            for key, child in items:
                if key in ("_scope", "_call_spec", "_inbound_nodes", "_outbound_nodes"):
                    continue
                if isinstance(child, Layer):
                    if id(child) in seen:
                        continue
                    seen.add(id(child))
                    out.append(child)
                    if recursive:
                        visit(child, depth + 1)
                elif isinstance(child, (list, tuple, dict)):
                    visit(child, depth)

        visit(self, 0)
        return out

    # --- build and call -----------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Creates the weights for inputs of `input_shape`; subclasses override it."""
        self._build_input_shape = input_shape
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation; subclasses override it."""
        return inputs

    def _maybe_build(self, inputs) -> None:
        if self.built:
            return
        shapes = nest.map_structure(lambda t: TensorShape(t.shape), inputs)
        from engine.graph.trace import init_scope  # noqa: PLC0415

        with init_scope(), name_scope(self.name):
            self.build(shapes if nest.is_nested(shapes) or not isinstance(
                shapes, TensorShape) else shapes)
        self._build_input_shape = shapes
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def __call__(self, *args, **kwargs):
        if not args:  # inputs by name: `inputs=` or `call`'s own name (`mha(query=q, ...)`)
            first = "inputs" if "inputs" in kwargs else self._call_spec.first
            if first not in kwargs:
                raise TypeError(f"{self.name}: call it with the inputs as first argument (or "
                                f"by name, {first or 'inputs'}=...); got only keyword "
                                f"arguments {sorted(kwargs)}.")
            args = (kwargs.pop(first),)
        inputs, rest = args[0], args[1:]
        if rest and len(rest) > self._call_spec.first_named:  # e.g. model(x, True)
            rest, kwargs = self._call_spec.bind_positional(self, rest, kwargs)
        if type(inputs) is Tensor and inputs._value.dtype is self._np_dtype:
            pass  # the common eager case: nothing to convert, and not a Keras tensor
        else:
            from engine.keras.layers import functional  # noqa: PLC0415

            if functional.is_keras_tensor_structure(inputs):
                return functional.call_symbolic(self, inputs, rest, kwargs)
            inputs = self._convert_inputs(inputs)
        if not self.built:
            self._maybe_build(inputs)
        if self.input_spec is not None:
            check_input_spec(self, inputs)
        spec = self._call_spec
        if spec.training:
            training = kwargs.get("training")
            if training is None:
                training = current_training()
            if training is None:
                training = spec.training_default or False
            kwargs["training"] = training
        else:
            training = kwargs.pop("training", None)
            if training is None:
                training = current_training()
        mask = kwargs.get("mask") if spec.mask else None
        if spec.mask and mask is None:
            mask = _input_mask(inputs)
            if mask is not None:
                kwargs["mask"] = mask
        self._losses = []
        scope = _TrainingScope(bool(training) if training is not None else None)
        if self._autocast_dtype is not None:  # a mixed policy (mixed_precision/autocast.py)
            outputs = _autocast.call(self, scope, inputs, rest, kwargs)
        elif _G.slow or _THREAD.graph is not None:
            # Name scopes only show in graphs and to op listeners (the profiler).
            with name_scope(self.name), scope:
                outputs = self.call(inputs, *rest, **kwargs)
        else:
            with scope:
                outputs = self.call(inputs, *rest, **kwargs)
        if self.activity_regularizer is not None:
            for out in nest.flatten(outputs):
                self.add_loss(self.activity_regularizer(out) /
                              _dt_cast_batch(out))
        if mask is None and not self._masks_seen:
            if type(self).compute_mask is Layer.compute_mask and (
                    not self.supports_masking or _input_mask(inputs) is None):
                return outputs  # no mask in, none made: skip the mask bookkeeping
        out_mask = self.compute_mask(inputs, mask if mask is not None else _input_mask(inputs))
        if out_mask is not None:
            self._masks_seen = True
            for out, m in zip(nest.flatten(outputs), _broadcast_mask(out_mask, outputs)):
                if isinstance(out, Tensor):
                    out._keras_mask = m
        return outputs

    def _convert_inputs(self, inputs):
        dtype = self._dtype

        def convert(x):
            if isinstance(x, Tensor):
                t = x
            elif getattr(x, "_is_variable", False):
                t = x.read_value()
            elif isinstance(x, (np.ndarray, list, float, int, np.generic)):
                array = np.asarray(x)
                if array.dtype.kind == "f" and self._autocast and dtype.is_floating:
                    array = array.astype(dtype.as_numpy_dtype, copy=False)
                t = convert_to_tensor(array)
            else:
                return x
            if self._autocast and t.dtype.is_floating and t.dtype is not dtype and (
                    dtype.is_floating):
                from engine.ops import math_ops  # noqa: PLC0415

                mask = getattr(t, "_keras_mask", None)
                t = math_ops.cast(t, dtype)
                if mask is not None:
                    t._keras_mask = mask
            return t

        return nest.map_structure(convert, inputs)

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: the input mask if `supports_masking`, else None."""
        if self.supports_masking:
            return mask
        return None

    def compute_output_shape(self, input_shape, dtype=None):
        """The output shape for `input_shape`, found by tracing `call` (None = unknown).

        `dtype` is the inputs' dtype (default the layer's compute dtype).
        """
        from engine.graph.function import function  # noqa: PLC0415
        from engine.tensor_shape import TensorSpec  # noqa: PLC0415

        def spec(shape):
            return TensorSpec(TensorShape(shape), _dt.as_dtype(dtype or self._dtype))

        specs = _map_shapes(spec, input_shape)
        concrete = function(lambda x: self(x), autograph=False).get_concrete_function(specs)
        return nest.map_structure(lambda t: t.shape, concrete.structured_outputs)

    # --- config -------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The layer's constructor arguments as JSON-able data."""
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": _policy.serialize(self._dtype_policy)}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Creates a layer from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"


class _CallSpec:
    """Which optional arguments `call` accepts (computed once per layer)."""

    def __init__(self, call):
        try:
            params = inspect.signature(call).parameters
        except (TypeError, ValueError):
            params = {}
        accepts_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        self.training = "training" in params or accepts_all
        self.mask = "mask" in params
        default = params["training"].default if "training" in params else None
        self.training_default = None if default is inspect.Parameter.empty else default
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        names = []
        for name, p in params.items():
            if p.kind not in positional:
                break
            names.append(name)
        # The names of `call`'s positional parameters after the inputs, and the index among
        # them of the first that `__call__` fills itself (`training`, `mask`); a call with
        # that many extra positional arguments gets them bound to their names.
        self.first = names[0] if names else None  # the inputs' parameter
        self.names = tuple(names[1:])
        found = [i for i, n in enumerate(self.names) if n in ("training", "mask")]
        self.first_named = found[0] if found else 1 << 30

    def bind_positional(self, layer, rest: tuple, kwargs: dict):
        """`(rest, kwargs)` with the extra positional arguments up to `training`/`mask`
        passed by name, so that `__call__` sees them (Keras 2: `layer(x, True)`).

        Raises:
            TypeError: if an argument is also given by name.
        """
        kwargs = dict(kwargs)
        for name, value in zip(self.names, rest):
            if name in kwargs:
                raise TypeError(f"{layer.name}: got multiple values for argument {name!r} "
                                f"of call (positional and keyword); give it once.")
            kwargs[name] = value
        return rest[len(self.names):], kwargs


def _input_mask(inputs):
    masks = [getattr(t, "_keras_mask", None) if isinstance(t, Tensor) else None
             for t in nest.flatten(inputs)]
    if not any(m is not None for m in masks):
        return None
    return masks[0] if len(masks) == 1 and not nest.is_nested(inputs) else \
        nest.pack_sequence_as(inputs, masks)


def _broadcast_mask(mask, outputs):
    flat = nest.flatten(outputs)
    if nest.is_nested(mask):
        masks = nest.flatten(mask)
        return masks if len(masks) == len(flat) else [masks[0]] * len(flat)
    return [mask] * len(flat)


def _dt_cast_batch(out):
    """The batch size as a float tensor (activity losses are averaged over the batch)."""
    from engine.ops import array_ops, math_ops  # noqa: PLC0415

    return math_ops.cast(array_ops.shape(out)[0], out.dtype)


def _is_shape_tuple(value) -> bool:
    return isinstance(value, (list, tuple)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in value)


def _map_shapes(fn, structure):
    """`fn` applied to each shape in a nest of shapes (a shape tuple or `TensorShape` is a
    leaf, so `[(2, 3), (2, 5)]` maps to two results, not one per dimension)."""
    if isinstance(structure, TensorShape) or _is_shape_tuple(structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {key: _map_shapes(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_shapes(fn, value) for value in structure)
    return fn(structure)


def _unique_name(class_name: str) -> str:
    from engine.keras import backend  # noqa: PLC0415
    from engine.keras.serialization import snake_case  # noqa: PLC0415

    return backend.unique_object_name(snake_case(class_name))
