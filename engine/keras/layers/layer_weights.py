"""A layer's weights and losses: `LayerWeights`, a mixin of `Layer`.

`add_weight` creates a layer's variables (in `build`), named `layer/weight:0` as in Keras,
and lists them as trainable or not; `weights`, `trainable_weights` and
`non_trainable_weights` collect them from the layer and its sublayers, in Keras' order
(trainable ones first); `get_weights`/`set_weights` move their values as NumPy arrays.
`losses` gathers the losses added by `add_loss` during the last call and the weight
regularization losses, which are computed when asked.

The mixin reads state that `Layer.__init__` sets (`_trainable`, `_dtype`,
`_variable_dtype`, `_autocast_dtype`, `_trainable_weights`, `_non_trainable_weights`,
`_losses`, `_callable_losses`, `built`) and finds sublayers with `Layer._flatten_layers`.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape
from engine.variable import Variable

__all__ = ["LayerWeights"]


class LayerWeights:
    """The weight and loss bookkeeping of `Layer` (see the module docstring)."""

    @property
    def trainable_weights(self) -> list:
        """The weights training updates (empty when the layer is frozen)."""
        if not self._trainable:
            return []
        out = list(self._trainable_weights)
        out.extend(v for v in _attribute_variables(self) if v.trainable)
        for layer in self._flatten_layers(include_self=False, recursive=False):
            out.extend(w for w in layer.trainable_weights if not _contains(out, w))
        return out

    @property
    def non_trainable_weights(self) -> list:
        """The weights training leaves alone (all of them when the layer is frozen)."""
        attribute_variables = _attribute_variables(self)
        out = list(self._non_trainable_weights)
        out.extend(v for v in attribute_variables if not v.trainable)
        if not self._trainable:
            trainable = [v for v in attribute_variables if v.trainable]
            out = list(self._trainable_weights) + trainable + out
        for layer in self._flatten_layers(include_self=False, recursive=False):
            extra = layer.non_trainable_weights if self._trainable else layer.weights
            out.extend(w for w in extra if not _contains(out, w))
        return out

    @property
    def weights(self) -> list:
        """Every weight: trainable ones first, then the others."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def variables(self) -> list:
        """Same as `weights`."""
        return self.weights

    @property
    def trainable_variables(self) -> list:
        """Same as `trainable_weights`."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        """Same as `non_trainable_weights`."""
        return self.non_trainable_weights

    def count_params(self) -> int:
        """The number of scalars in the layer's weights.

        Raises:
            ValueError: if the layer is not built yet.
        """
        if not self.built:
            raise ValueError(f"{self.name}: count_params() needs the layer built; call it "
                             "on data first or call build(input_shape).")
        return int(sum(int(np.prod(w.shape.as_list())) for w in self.weights))

    # --- weights ------------------------------------------------------------------------
    def add_weight(self, name=None, shape=None, dtype=None, initializer=None,
                   regularizer=None, trainable=None, constraint=None, use_resource=None,
                   synchronization=None, aggregation=None, **kwargs) -> Variable:
        """Creates a weight variable of this layer.

        Args:
            name: the weight's name (scoped by the layer's name).
            shape: its shape (default scalar).
            dtype: its dtype (default the layer's variable dtype, `layer.dtype`; under a
                mixed policy the compute dtype also gives the variable dtype, float32).
            initializer: an initializer, its name, or None (glorot_uniform for floats,
                zeros otherwise).
            regularizer: a regularizer whose value joins `losses`.
            trainable: whether training updates it (default True).
            constraint: a function applied after each optimizer update.
            use_resource, synchronization, aggregation: accepted for compatibility.
            experimental_autocast: under a mixed policy, whether `call` reads the weight
                in the compute dtype (default: for trainable float weights of the
                policy's variable dtype; see engine/keras/mixed_precision/autocast.py).

        Returns:
            The new `engine.Variable`.
        """
        from engine.keras import constraints, initializers, regularizers  # noqa: PLC0415

        dtype = _dt.as_dtype(dtype or self._variable_dtype)
        if self._autocast_dtype is not None and dtype is self._dtype:
            dtype = self._variable_dtype  # half-precision weights would lose small updates
        shape = () if shape is None else tuple(TensorShape(shape).as_list())
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        init = initializers.get(initializer)
        trainable = True if trainable is None else bool(trainable)
        constraint = constraints.get(constraint)
        from engine.graph.trace import init_scope  # noqa: PLC0415

        with init_scope():
            variable = Variable(lambda: init(shape, dtype=dtype), name=name or "Variable",
                                trainable=trainable, dtype=dtype, constraint=constraint)
        # Keras names weights `layer/weight:0`, wherever the layer is built.
        variable._name = f"{self.name}/{name or 'Variable'}:0"
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        if self._autocast_dtype is not None and dtype is self._variable_dtype and (
                dtype.is_floating):
            if kwargs.get("experimental_autocast", trainable):
                from engine.keras.mixed_precision import autocast  # noqa: PLC0415

                autocast.track(self, variable)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._callable_losses.append(lambda v=variable, r=regularizer: r(v))
        return variable

    def get_weights(self) -> list:
        """The weights' values as NumPy arrays, in `weights` order."""
        return [np.array(w.numpy()) for w in self.weights]

    def set_weights(self, weights) -> None:
        """Sets the weights from NumPy arrays in `weights` order.

        Raises:
            ValueError: for a wrong count or shape, naming the weight.
        """
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f"{self.name}.set_weights: got {len(weights)} arrays; the layer "
                             f"has {len(mine)} weights ({[w.name for w in mine]}).")
        for variable, value in zip(mine, weights):
            value = np.asarray(value)
            if tuple(value.shape) != tuple(variable.shape.as_list()):
                raise ValueError(f"{self.name}.set_weights: weight {variable.name!r} has shape "
                                 f"{tuple(variable.shape.as_list())}; got an array of shape "
                                 f"{value.shape}.")
            variable.assign(value.astype(variable.dtype.as_numpy_dtype, copy=False))

    # --- losses -------------------------------------------------------------------------
    def add_loss(self, loss) -> None:
        """Adds a loss (a tensor, or a zero-argument callable evaluated when asked)."""
        if callable(loss) and not isinstance(loss, Tensor):
            self._callable_losses.append(loss)
        else:
            self._losses.append(loss)

    @property
    def losses(self) -> list:
        """Losses added in the last call (activity regularization, `add_loss`) and the weight
        regularization losses, of this layer and its sublayers."""
        out = []
        for layer in self._flatten_layers():
            out.extend(loss for loss in layer._losses if _visible(loss))
            out.extend(f() for f in layer._callable_losses)
        return out

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer._losses = []


def _visible(loss) -> bool:
    """Whether a loss the last call added can be seen here: an eager value, a tensor of the
    graph being traced now, or a Keras tensor of functional wiring. The symbolic losses of
    a traced call (fit's train step) stay inside that graph, as in Keras 2, so `losses`
    read after `fit` holds no tensors of a finished trace."""
    node = getattr(loss, "_node", None)
    if node is None:
        return True
    graph = node.graph
    return graph is context.THREAD.graph or getattr(graph, "is_keras_graph", False)


def _attribute_variables(layer) -> list:
    """Variables set as attributes of `layer` (alone, or in lists, tuples, dicts and plain
    `engine.Module`s) rather than made by `add_weight`: Keras tracks these too, so that
    `self.w = engine.Variable(...)` in a layer's or model's `__init__` gets trained.

    Runs at every `trainable_weights` read (each eager train step), so what a value is
    (`_kind`) is worked out once per type.
    """
    found: list = []
    own = None
    skip = getattr(type(layer), "_untracked_attributes", None)
    kinds = _KINDS
    pending = [v for k, v in vars(layer).items()
               if kinds.get(type(v), _NEW) and k not in _NOT_ATTRIBUTES
               and (skip is None or k not in skip)]
    while pending:
        child = pending.pop()
        kind = kinds.get(type(child))
        if kind is None:
            kind = _kind(type(child))
        if kind == _LEAF:
            continue
        if kind == _VARIABLE:
            if own is None:
                own = layer._trainable_weights + layer._non_trainable_weights
            if not _contains(own, child) and not _contains(found, child):
                found.append(child)
        elif kind == _SEQUENCE:
            pending.extend(reversed(child))
        elif kind == _MAPPING:
            pending.extend(reversed(list(child.values())))
        else:  # a plain Module
            pending.extend(reversed(list(child.variables)))
    return found


_NEW, _LEAF, _VARIABLE, _SEQUENCE, _MAPPING, _MODULE = -1, 0, 1, 2, 3, 4
# type -> what its values are, for `_attribute_variables` (filled as types are met).
_KINDS: dict = {t: _LEAF for t in (type(None), bool, int, float, str, bytes, Tensor,
                                    TensorShape)}


def _kind(t: type) -> int:
    from engine.keras.layers.base import Layer  # noqa: PLC0415 - base imports this mixin
    from engine.module import Module  # noqa: PLC0415

    if issubclass(t, Variable):
        kind = _VARIABLE
    elif issubclass(t, (list, tuple)):
        kind = _SEQUENCE
    elif issubclass(t, dict):
        kind = _MAPPING
    elif issubclass(t, Module) and not issubclass(t, Layer):
        kind = _MODULE
    else:
        kind = _LEAF
    _KINDS[t] = kind
    return kind


# Bookkeeping attributes that hold weights already listed, or other objects' state. A layer
# class lists more in `_untracked_attributes` (an RNN's `states`, as in Keras 2).
_NOT_ATTRIBUTES = frozenset(("_trainable_weights", "_non_trainable_weights", "_losses",
                             "_callable_losses", "_inbound_nodes", "_outbound_nodes"))


def _contains(items: list, obj) -> bool:
    return any(x is obj for x in items)
