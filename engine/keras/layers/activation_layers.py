"""Activation layers: `ReLU`, `LeakyReLU`, `PReLU`, `ELU`, `ThresholdedReLU`, `Softmax`.

Layer forms of activations with parameters (Keras 2 names and defaults; `LeakyReLU`'s
slope is `alpha=0.3`). They pass masks through, and `engine.keras.activations` resolves
them by class name, so `Dense(4, activation=LeakyReLU(0.1))` serializes and loads back.
"""

from __future__ import annotations

import numbers

import engine
from engine.keras import activations, constraints, initializers, regularizers
from engine.keras.layers.base import InputSpec, Layer

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax"]


def _number(cls: str, arg: str, value, minimum=None) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{cls}: {arg} must be a number; got {arg}={value!r}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{cls}: {arg} must be >= {minimum}; got {arg}={value!r}.")
    return float(value)


class _ActivationLayer(Layer):
    supports_masking = True


class ReLU(_ActivationLayer):
    """Rectified linear unit with an optional ceiling, leak and threshold.

    `max_value` for `x >= max_value`; `x` for `threshold <= x < max_value`;
    `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: the ceiling (>= 0), or None.
        negative_slope: the slope below the threshold (>= 0).
        threshold: where the unit starts to pass `x` through (>= 0).
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> engine.keras.layers.ReLU(max_value=1.0)(engine.constant([-1.0, 0.5, 2.0])).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _number("ReLU", "max_value",
                                                                max_value, 0)
        self.negative_slope = _number("ReLU", "negative_slope", negative_slope, 0)
        self.threshold = _number("ReLU", "threshold", threshold, 0)

    def call(self, inputs):
        return activations.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class LeakyReLU(_ActivationLayer):
    """Leaky ReLU: `x` for `x >= 0`, `alpha * x` otherwise.

    Args:
        alpha: the slope for negative inputs (>= 0; Keras 2's default 0.3).
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> engine.keras.layers.LeakyReLU(alpha=0.5)(engine.constant([-2.0, 3.0])).numpy()
        array([-1.,  3.], dtype=float32)
    """

    def __init__(self, alpha=0.3, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number("LeakyReLU", "alpha", alpha, 0)

    def call(self, inputs):
        return engine.nn.leaky_relu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class ELU(_ActivationLayer):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: the scale of the negative part.
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> engine.keras.layers.ELU(alpha=2.0)(engine.constant([-100.0, 1.0])).numpy()
        array([-2.,  1.], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number("ELU", "alpha", alpha)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class ThresholdedReLU(_ActivationLayer):
    """`x` where `x > theta`, 0 elsewhere.

    Args:
        theta: the threshold (>= 0).
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> engine.keras.layers.ThresholdedReLU(1.0)(engine.constant([0.5, 1.0, 2.0])).numpy()
        array([0., 0., 2.], dtype=float32)
    """

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.theta = _number("ThresholdedReLU", "theta", theta, 0)

    def call(self, inputs):
        keep = engine.greater(inputs, self.theta)
        return inputs * engine.cast(keep, inputs.dtype)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["theta"] = self.theta
        return config


class Softmax(_ActivationLayer):
    """Softmax over `axis`; with a mask, masked positions get (nearly) zero probability.

    A mask of the inputs' rank (True = keep) lowers the logits of masked positions by 1e9
    (float16: 65504) before the softmax, as Keras 2 does. A mask of lower rank (the time
    steps masked by `Embedding` or `Masking`) is only passed on to the next layer.

    Args:
        axis: the axis (or list of axes) that sums to 1.
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> layer = engine.keras.layers.Softmax()
        >>> layer(engine.constant([[1.0, 1.0, 5.0]]), mask=engine.constant([[1, 1, 0]])).numpy()
        array([[0.5, 0.5, 0. ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis) if isinstance(axis, numbers.Integral) else list(axis)

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = engine.convert_to_tensor(mask)
        if mask is not None and mask.shape.rank == inputs.shape.rank:
            negative = -65504.0 if inputs.dtype == engine.float16 else -1e9
            inputs = inputs + (1.0 - engine.cast(mask, inputs.dtype)) * negative
        axis = self.axis if isinstance(self.axis, int) else tuple(self.axis)
        return activations.softmax(inputs, axis=axis)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["axis"] = self.axis
        return config


class PReLU(Layer):
    """Parametric ReLU: `x` for `x >= 0`, `alpha * x` otherwise, with a learned `alpha`.

    `alpha` has one value per input element (without the batch axis), shared along
    `shared_axes` (e.g. `shared_axes=[1, 2]` for images: one slope per channel).

    Args:
        alpha_initializer: the initializer of `alpha` (default zeros: a plain ReLU).
        alpha_regularizer: a regularizer of `alpha`.
        alpha_constraint: a constraint on `alpha`.
        shared_axes: an axis or list of axes (1-based, the batch is 0) sharing one slope.
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> slope = engine.keras.initializers.Constant(0.1)
        >>> layer = engine.keras.layers.PReLU(alpha_initializer=slope)
        >>> layer(engine.constant([[-10.0, 10.0]])).numpy()
        array([[-1., 10.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, numbers.Integral):
            self.shared_axes = [int(shared_axes)]
        else:
            self.shared_axes = [int(a) for a in shared_axes]

    def build(self, input_shape):
        rank = input_shape.rank
        shared = set()
        for a in self.shared_axes or ():
            if not 1 <= a < rank:
                raise ValueError(f"{self.name} (PReLU): shared_axes={self.shared_axes} must be "
                                 f"axes in [1, {rank}) of the inputs (shape {input_shape}); "
                                 "the batch axis 0 cannot be shared.")
            shared.add(a)
        param_shape = []
        for i in range(1, rank):
            if i in shared:
                param_shape.append(1)
            elif input_shape[i] is None:
                raise ValueError(f"{self.name} (PReLU): axis {i} of the inputs has an unknown "
                                 f"size (shape {input_shape}); share it with shared_axes.")
            else:
                param_shape.append(input_shape[i])
        self.alpha = self.add_weight("alpha", shape=param_shape,
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.input_spec = InputSpec(ndim=rank, axes={i: input_shape[i] for i in range(1, rank)
                                                     if i not in shared})
        self.built = True

    def call(self, inputs):
        return engine.nn.relu(inputs) - self.alpha * engine.nn.relu(-inputs)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes})
        return config
