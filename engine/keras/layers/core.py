"""Core layers: `Dense`, `Activation`, `Dropout`, `Flatten`, `Lambda`."""

from __future__ import annotations

import types

import numpy as np

from engine.keras import activations, constraints, initializers, regularizers
from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.weight_options import weight_options_config
from engine.ops import array_ops, join_ops, matmul_ops, shape_ops

__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Lambda"]


class Dense(Layer):
    """A fully connected layer: `activation(inputs @ kernel + bias)`.

    Inputs of rank > 2 are multiplied along their last axis.

    Args:
        units: the output size.
        activation: an activation (name or function), default none.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers (names or objects).
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    Example:
        >>> layer = engine.keras.layers.Dense(3, activation="relu")
        >>> layer(engine.ones([2, 4])).shape
        TensorShape([2, 3])
    """

    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer; got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        last = input_shape[-1]
        if last is None:
            raise ValueError(f"{self.name}: the last dimension of the inputs must be known to "
                             f"build a Dense layer; got shape {input_shape}.")
        self.kernel = self.add_weight("kernel", shape=[last, self.units],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", shape=[self.units],
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.built = True

    def call(self, inputs):
        if inputs.shape.rank == 2:
            out = matmul_ops.matmul(inputs, self.kernel)
        else:
            out = self._matmul_last_axis(inputs)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out) if self.activation is not None else out

    def _matmul_last_axis(self, inputs):
        """`inputs @ kernel` along the last axis of a rank > 2 input, as one 2-D GEMM.

        The leading axes are folded into rows (a free reshape of contiguous inputs) so the
        product and both its gradients are plain row-major GEMMs. An einsum here returned
        its input gradient as a transposed view, and the next layer's kernel paid for it: W4's
        LSTM backward transposed a `(64, 50, 128)` gradient laid out `(U, B, T)`.
        """
        lead = list(inputs.shape)[:-1]
        rows = matmul_ops.matmul(array_ops.reshape(inputs, [-1, self.kernel.shape[0]]),
                                 self.kernel)
        if lead.count(None) > 1:  # sizes known only when the graph runs
            dynamic = shape_ops.shape(inputs)
            lead = [dynamic[i] if d is None else d for i, d in enumerate(lead)]
        else:
            lead = [-1 if d is None else d for d in lead]
        return array_ops.reshape(rows, lead + [self.units])

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({
            "units": self.units, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **weight_options_config(self)})
        return config


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: a name (`"relu"`) or a function.

    Example:
        >>> engine.keras.layers.Activation("relu")(engine.constant([-1.0, 2.0])).numpy()
        array([0., 2.], dtype=float32)
    """

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 while training, scaling the rest by 1/(1-rate).

    Args:
        rate: the fraction to drop, in [0, 1).
        noise_shape: the shape of the keep/drop pattern (None entries follow the input),
            e.g. `(batch, 1, features)` to drop the same features at every time step.
        seed: a random seed.

    Example:
        >>> layer = engine.keras.layers.Dropout(0.5)
        >>> layer(engine.ones([2, 2]), training=False).numpy()
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= float(rate) < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1); got {rate}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        from engine.ops import random_ops  # noqa: PLC0415

        noise_shape = None
        if self.noise_shape is not None:
            dims = inputs.shape.as_list()
            noise_shape = [d if n is None else n for n, d in zip(self.noise_shape, dims)]
        return random_ops.dropout(inputs, rate=self.rate, noise_shape=noise_shape,
                                  seed=self.seed)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config


class Flatten(Layer):
    """Flattens each example to one dimension: `(batch, d1, d2, ...)` to `(batch, d1*d2*...)`.

    Args:
        data_format: "channels_last" (default) or "channels_first" (transposed first so
            that the order matches channels_last).

    Example:
        >>> engine.keras.layers.Flatten()(engine.ones([2, 3, 4])).shape
        TensorShape([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"Flatten: data_format must be 'channels_last' or "
                             f"'channels_first'; got {data_format!r}.")
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.shape.rank > 2:
            rank = inputs.shape.rank
            inputs = array_ops.transpose(inputs, [0] + list(range(2, rank)) + [1])
        dims = inputs.shape.as_list()
        if len(dims) == 1:
            return array_ops.expand_dims(inputs, 1)
        tail = dims[1:]
        if None in tail:
            if dims[0] is not None:
                return array_ops.reshape(inputs, [dims[0], -1])
            # Both the batch and a feature axis are unknown: take the batch size at run time.
            batch = shape_ops.shape(inputs)[:1]
            return array_ops.reshape(inputs, join_ops.concat([batch, [-1]], 0))
        return array_ops.reshape(inputs, [-1, int(np.prod(tail))])

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Lambda(Layer):
    """Wraps a function of the inputs as a layer.

    Args:
        function: `f(inputs)` (or `f(inputs, **arguments)`), written with engine ops.
        output_shape: accepted for Keras compatibility (shapes are found by tracing).
        mask: a mask, or a function `mask(inputs, previous_mask)`.
        arguments: extra keyword arguments for `function`.

    Example:
        >>> engine.keras.layers.Lambda(lambda x: x * 2.0)(engine.ones([2])).numpy()
        array([2., 2.], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable; got {function!r}.")
        self.function = function
        self.arguments = dict(arguments or {})
        self._mask = mask
        self.output_shape_hint = output_shape

    def call(self, inputs, mask=None, training=None):
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs, mask=None):
        if callable(self._mask):
            return self._mask(inputs, mask)
        return self._mask

    def get_config(self) -> dict:
        """The layer's arguments; a lambda is stored by name only (not portable)."""
        config = super().get_config()
        fn = self.function
        config["function"] = getattr(fn, "__name__", repr(fn))
        config["arguments"] = dict(self.arguments)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuilds the layer; the function must be registered or in `custom_objects`."""
        from engine.keras.serialization import get_registered_object  # noqa: PLC0415

        config = dict(config)
        name = config.pop("function")
        fn = get_registered_object(name, custom_objects)
        if fn is None or not isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
            raise ValueError(f"Lambda.from_config: function {name!r} is not known here; pass "
                             "it in custom_objects or register it with "
                             "engine.keras.utils.register_keras_serializable.")
        return cls(fn, **config)

