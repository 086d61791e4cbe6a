"""`engine.keras.activations`: activation functions by name (Keras 2 semantics).

Each activation is a plain function of a tensor built from engine ops, so it has
gradients, runs eagerly and traces into `engine.function` graphs. Layers take them as
`activation="relu"`, a function, or None (`linear`); `get` resolves any of these.

Definitions follow Keras 2 (`tf.keras.activations`): `relu` takes `alpha`, `max_value` and
`threshold`; `hard_sigmoid` is `clip(0.2 x + 0.5, 0, 1)` (Keras 3 changed it to
`relu6(x + 3) / 6`). `relu6`, `leaky_relu`, `mish`, `silu` and `log_softmax` come from
later Keras versions. `softmax` also accepts rank-1 tensors (Keras 2 refused them).

Serialization: a built-in activation serializes to its name (`"relu"`); a registered
custom function to its registered name; an activation layer (e.g. `LeakyReLU`) to its
`{"class_name", "config"}` dict, which `deserialize` turns back into the layer.
"""

from __future__ import annotations

import importlib
import numbers

import engine
from engine.keras import serialization as _ser

__all__ = ["relu", "sigmoid", "softmax", "softplus", "softsign", "tanh", "selu", "elu",
           "exponential", "gelu", "hard_sigmoid", "silu", "swish", "linear", "mish", "relu6",
           "log_softmax", "leaky_relu", "get", "serialize", "deserialize"]


def __dir__():
    # The public API and the dunders, not the modules imported here.
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


def _is_zero(value) -> bool:
    return isinstance(value, numbers.Number) and value == 0


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras' optional leak, ceiling and threshold.

    `max_value` if `x >= max_value`; `x` if `threshold < x < max_value`; otherwise
    `alpha * (x - threshold)` (for `threshold <= 0`; Keras computes it as
    `clip(x * (x > threshold), 0, max_value) - alpha * relu(threshold - x)`).

    Args:
        x: a float tensor.
        alpha: the slope below `threshold`.
        max_value: the saturation value, or None for no ceiling.
        threshold: where the unit starts to pass `x` through.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> x = engine.constant([-10.0, -5.0, 0.0, 5.0, 10.0])
        >>> engine.keras.activations.relu(x, alpha=0.5, max_value=5.0).numpy()
        array([-5. , -2.5,  0. ,  5. ,  5. ], dtype=float32)
    """
    x = engine.convert_to_tensor(x)
    if max_value is None and _is_zero(threshold):
        if _is_zero(alpha):
            return engine.nn.relu(x)
        if isinstance(alpha, numbers.Number):
            return engine.nn.leaky_relu(x, alpha=alpha)
    negative = None
    if not _is_zero(alpha):
        negative = engine.nn.relu(-x if _is_zero(threshold) else threshold - x)
    clip_max = max_value is not None
    if not _is_zero(threshold):
        y = x * engine.cast(engine.greater(x, threshold), x.dtype)
    elif isinstance(max_value, numbers.Number) and max_value == 6:
        y = engine.nn.relu6(x)
        clip_max = False
    else:
        y = engine.nn.relu(x)
    if clip_max:
        y = engine.clip_by_value(y, engine.cast(0, x.dtype), engine.cast(max_value, x.dtype))
    if negative is not None:
        y = y - alpha * negative
    return y


def sigmoid(x):
    """Logistic sigmoid, `1 / (1 + exp(-x))`.

    Args:
        x: a float tensor.

    Returns:
        Values in (0, 1), of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.sigmoid(engine.constant([0.0])).numpy()
        array([0.5], dtype=float32)
    """
    return engine.math.sigmoid(x)


def softmax(x, axis=-1):
    """Softmax: `exp(x) / sum(exp(x), axis)`, computed without overflow.

    Args:
        x: a float tensor of rank >= 1.
        axis: the axis (or tuple of axes) that sums to 1.

    Returns:
        Probabilities of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.softmax(engine.constant([[0.0, 0.0]])).numpy()
        array([[0.5, 0.5]], dtype=float32)
    """
    if isinstance(axis, int):
        return engine.nn.softmax(x, axis=axis)
    shifted = x - engine.stop_gradient(engine.reduce_max(x, axis=axis, keepdims=True))
    numerator = engine.exp(shifted)
    return numerator / engine.reduce_sum(numerator, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """Log of the softmax: `x - log(sum(exp(x), axis))`, computed without overflow.

    Args:
        x: a float tensor of rank >= 1.
        axis: the axis (or tuple of axes) normalized over.

    Returns:
        Log-probabilities of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.log_softmax(engine.constant([[0.0, 0.0]])).numpy()
        array([[-0.6931472, -0.6931472]], dtype=float32)
    """
    if isinstance(axis, int):
        return engine.nn.log_softmax(x, axis=axis)
    shifted = x - engine.stop_gradient(engine.reduce_max(x, axis=axis, keepdims=True))
    return shifted - engine.math.log(engine.reduce_sum(engine.exp(shifted), axis=axis,
                                                      keepdims=True))


def softplus(x):
    """Softplus, `log(exp(x) + 1)`, without overflow for large `x`.

    Args:
        x: a float tensor.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.softplus(engine.constant([0.0])).numpy()
        array([0.6931472], dtype=float32)
    """
    return engine.math.softplus(x)


def softsign(x):
    """Softsign, `x / (abs(x) + 1)`.

    Args:
        x: a float tensor.

    Returns:
        Values in (-1, 1), of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.softsign(engine.constant([1.0])).numpy()
        array([0.5], dtype=float32)
    """
    return engine.nn.softsign(x)


def tanh(x):
    """Hyperbolic tangent.

    Args:
        x: a float tensor.

    Returns:
        Values in (-1, 1), of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.tanh(engine.constant([0.0])).numpy()
        array([0.], dtype=float32)
    """
    return engine.math.tanh(x)


def selu(x):
    """Scaled exponential linear unit (self-normalizing; pair with `lecun_normal`).

    `scale * x` for `x > 0`, else `scale * alpha * (exp(x) - 1)`, with
    `alpha ~ 1.6733` and `scale ~ 1.0507`.

    Args:
        x: a float tensor.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.selu(engine.constant([0.0])).numpy()
        array([0.], dtype=float32)
    """
    return engine.nn.selu(x)


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` for `x > 0`, else `alpha * (exp(x) - 1)`.

    Args:
        x: a float tensor.
        alpha: the value approached for large negative `x` is `-alpha`.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.elu(engine.constant([-100.0, 2.0]), alpha=0.5).numpy()
        array([-0.5,  2. ], dtype=float32)
    """
    out = engine.nn.elu(x)
    if isinstance(alpha, numbers.Number) and alpha == 1:
        return out
    return engine.where(engine.greater(x, 0), out, alpha * out)


def exponential(x):
    """Exponential, `exp(x)`.

    Args:
        x: a float tensor.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.exponential(engine.constant([0.0])).numpy()
        array([1.], dtype=float32)
    """
    return engine.exp(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit, `x * P(X <= x)` for a standard normal `X`.

    Args:
        x: a float tensor.
        approximate: use the tanh approximation
            `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.gelu(engine.constant([0.0, 1.0])).numpy()
        array([0.       , 0.8413447], dtype=float32)
    """
    return engine.nn.gelu(x, approximate=approximate)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid (Keras 2): `clip(0.2 * x + 0.5, 0, 1)`.

    Args:
        x: a float tensor.

    Returns:
        Values in [0, 1], of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.hard_sigmoid(engine.constant([-3.0, 0.0, 1.0])).numpy()
        array([0. , 0.5, 0.7], dtype=float32)
    """
    x = engine.convert_to_tensor(x)
    y = x * engine.cast(0.2, x.dtype) + engine.cast(0.5, x.dtype)
    return engine.clip_by_value(y, engine.cast(0, x.dtype), engine.cast(1, x.dtype))


def silu(x):
    """Sigmoid linear unit (swish): `x * sigmoid(x)`.

    Args:
        x: a float tensor.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.silu(engine.constant([0.0])).numpy()
        array([0.], dtype=float32)
    """
    return engine.nn.silu(x)


swish = silu


def mish(x):
    """Mish, `x * tanh(softplus(x))`.

    Args:
        x: a float tensor.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.mish(engine.constant([0.0])).numpy()
        array([0.], dtype=float32)
    """
    return x * engine.math.tanh(engine.math.softplus(x))


def relu6(x):
    """`min(max(x, 0), 6)`.

    Args:
        x: a float tensor.

    Returns:
        Values in [0, 6], of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.relu6(engine.constant([-1.0, 8.0])).numpy()
        array([0., 6.], dtype=float32)
    """
    return engine.nn.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: `x` for `x > 0`, else `negative_slope * x`.

    Args:
        x: a float tensor.
        negative_slope: the slope for negative inputs.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> engine.keras.activations.leaky_relu(engine.constant([-5.0, 5.0])).numpy()
        array([-1.,  5.], dtype=float32)
    """
    return engine.nn.leaky_relu(x, alpha=negative_slope)


def linear(x):
    """The identity: returns `x` unchanged (the activation of `activation=None`).

    Args:
        x: any tensor.

    Returns:
        `x` itself.

    Example:
        >>> engine.keras.activations.linear(engine.constant([-1.0])).numpy()
        array([-1.], dtype=float32)
    """
    return x


_ACTIVATIONS = {fn.__name__: fn for fn in (
    relu, sigmoid, softmax, softplus, softsign, tanh, selu, elu, exponential, gelu,
    hard_sigmoid, silu, linear, mish, relu6, log_softmax, leaky_relu)}
_ACTIVATIONS["swish"] = swish
# The built-in elementwise activations that never decrease, with their default arguments:
# they commute with a max (`max(f(a), f(b)) == f(max(a, b))`), so a max pooling can run
# before them (`engine.keras.layers.convolutional_base`). gelu, silu and mish dip below 0.
MONOTONE_ACTIVATIONS = frozenset({"linear", "relu", "relu6", "leaky_relu", "elu", "selu",
                                  "sigmoid", "hard_sigmoid", "tanh", "softplus", "softsign",
                                  "exponential"})
# Keras 2 also deserializes its activation layers by name (`{"class_name": "LeakyReLU"}`).
_LAYER_NAMES = ("ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU")


def _table() -> dict:
    table = dict(_ACTIVATIONS)
    try:
        layers = importlib.import_module("engine.keras.layers")
    except ModuleNotFoundError as error:
        if error.name not in ("engine.keras.layers", "engine.keras.layers.__init__"):
            raise
        return table
    table.update({n: getattr(layers, n) for n in _LAYER_NAMES if hasattr(layers, n)})
    return table


def get(identifier):
    """Resolves an activation: None, a name, a config dict, or a callable.

    Args:
        identifier: None (gives `linear`), a name such as "relu", a serialized activation,
            or a callable (returned as it is).

    Returns:
        A callable activation.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: for a value that is neither a name nor callable.

    Example:
        >>> engine.keras.activations.get("relu") is engine.keras.activations.relu
        True
        >>> engine.keras.activations.get(None) is engine.keras.activations.linear
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Cannot interpret {identifier!r} ({type(identifier).__name__}) as an "
                    "activation; pass a name such as 'relu', a callable, or None.")


def serialize(activation):
    """The plain-data form of an activation: its name, or a config dict for layers.

    Args:
        activation: an activation function (built-in or registered) or activation layer.

    Returns:
        A string such as "relu", or `{"class_name", "config"}`.

    Raises:
        ValueError: for a function that cannot be found again by name (a lambda).

    Example:
        >>> engine.keras.activations.serialize(engine.keras.activations.gelu)
        'gelu'
    """
    if getattr(activation, "__name__", None) == "<lambda>":
        raise ValueError("activations.serialize: got a lambda, which cannot be found again "
                         "by name. Define it with `def` and register it with "
                         "engine.keras.utils.register_keras_serializable.")
    return _ser.serialize_object(activation)


def deserialize(config, custom_objects=None):
    """The activation named by `config` (the inverse of `serialize`).

    Args:
        config: a name such as "relu", or a `{"class_name", "config"}` dict.
        custom_objects: extra `{name: function}` to look names up in.

    Returns:
        A callable activation.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).

    Example:
        >>> engine.keras.activations.deserialize("swish") is engine.keras.activations.silu
        True
    """
    if not isinstance(config, (str, dict)):
        raise TypeError(f"activations.deserialize: got {config!r}; expected a name or a "
                        "{'class_name': ..., 'config': ...} dict.")
    return _ser.resolve(config, _table(), "activation", custom_objects)
