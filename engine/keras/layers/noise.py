"""Noise layers: `GaussianNoise`, `GaussianDropout` and `AlphaDropout`.

Regularizers that perturb their inputs while training (`training=True`) and pass them
through unchanged otherwise, as Keras 2's do. Each takes a `seed`: the noise is then a
repeatable sequence under TensorFlow's seeding rules (`engine.random`), drawn by ordinary
random ops, so a traced train step draws new noise on every run of its graph.
"""

from __future__ import annotations

import math
import numbers

import engine
from engine.keras.layers.base import Layer

__all__ = ["GaussianNoise", "GaussianDropout", "AlphaDropout"]

# The SELU constants: AlphaDropout sets dropped units to SELU's negative saturation value.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _number(layer: str, arg: str, value, low: float, high: float | None = None) -> float:
    """`value` as a float in [low, high) (or [low, inf)), else a ValueError naming `arg`."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{layer}: {arg} must be a number; got {arg}={value!r}.")
    if high is None and not value >= low:
        raise ValueError(f"{layer}: {arg} must be >= {low}; got {arg}={value!r}.")
    if high is not None and not low <= value < high:
        raise ValueError(f"{layer}: {arg} must be in [{low}, {high}); got {arg}={value!r}. "
                         f"It is the fraction of units to drop; 1 would drop them all.")
    return float(value)


def _seed(layer: str, seed):
    if seed is not None and (not isinstance(seed, numbers.Integral) or isinstance(seed, bool)):
        raise TypeError(f"{layer}: seed must be an int or None; got seed={seed!r}.")
    return None if seed is None else int(seed)


def _noise_shape_of(x):
    """The shape for a noise tensor like `x`: static ints, or `engine.shape(x)` while some
    size is known only when a traced graph runs."""
    dims = x.shape.as_list()
    return dims if None not in dims else engine.shape(x)


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` while training.

    A regularizer (e.g. against overfitting small data sets) that is active only with
    `training=True`; at inference the inputs pass through unchanged.

    Args:
        stddev: the standard deviation of the noise (>= 0).
        seed: an int seed for repeatable noise, or None.
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.GaussianNoise(0.1, seed=1)
        >>> layer(engine.ones([2, 2])).numpy()  # inference: unchanged
        array([[1., 1.],
               [1., 1.]], dtype=float32)
        >>> bool(engine.reduce_all(layer(engine.ones([2, 2]), training=True) != 1.0))
        True
    """

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = _number("GaussianNoise", "stddev", stddev, 0.0)
        self.seed = _seed("GaussianNoise", seed)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        noise = engine.random.normal(_noise_shape_of(inputs), stddev=self.stddev,
                                     dtype=inputs.dtype, seed=self.seed)
        return inputs + noise

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class GaussianDropout(Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 while training.

    The noise has standard deviation `sqrt(rate / (1 - rate))`, the spread of the scaled
    keep/drop factor of `Dropout(rate)`; the mean of every unit is unchanged. Active only
    with `training=True`.

    Args:
        rate: the equivalent drop probability, in [0, 1).
        seed: an int seed for repeatable noise, or None.
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.GaussianDropout(0.5, seed=1)
        >>> y = layer(engine.ones([1000]), training=True).numpy()
        >>> bool(abs(y.mean() - 1.0) < 0.1 and abs(y.std() - 1.0) < 0.1)
        True
    """

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _number("GaussianDropout", "rate", rate, 0.0, 1.0)
        self.seed = _seed("GaussianDropout", seed)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = engine.random.normal(_noise_shape_of(inputs), mean=1.0, stddev=stddev,
                                     dtype=inputs.dtype, seed=self.seed)
        return inputs * noise

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of its inputs, for SELU networks.

    While training, each unit is dropped with probability `rate` and set to SELU's
    negative saturation value `-alpha * scale`, then the result is transformed as
    `a * x + b` with `a` and `b` chosen so that inputs of mean 0 and variance 1 keep them
    (self-normalizing networks). Inference passes the inputs through.

    Args:
        rate: the probability of dropping a unit, in [0, 1).
        noise_shape: the shape of the keep/drop pattern, as in `Dropout` (None entries
            take the input's size), e.g. `(None, 1, None)` to drop the same features at
            every time step.
        seed: an int seed for a repeatable pattern, or None.
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.AlphaDropout(0.2, seed=1)
        >>> x = engine.random.normal([20000], seed=2)
        >>> y = layer(x, training=True).numpy()
        >>> bool(abs(y.mean()) < 0.05 and abs(y.std() - 1.0) < 0.05)
        True
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _number("AlphaDropout", "rate", rate, 0.0, 1.0)
        if noise_shape is not None and not isinstance(noise_shape, (list, tuple)):
            raise TypeError(f"AlphaDropout: noise_shape must be a list or tuple of sizes (None "
                            f"for the input's size); got noise_shape={noise_shape!r}.")
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = _seed("AlphaDropout", seed)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        rate = self.rate
        saturation = -_SELU_ALPHA * _SELU_SCALE
        # dropout() of ones is 0 where a unit is dropped (its keep test is `uniform >= rate`,
        # and it broadcasts a noise_shape pattern and handles sizes known only at run time).
        pattern = engine.nn.dropout(engine.ones_like(inputs), rate=rate,
                                    noise_shape=self.noise_shape, seed=self.seed)
        kept = engine.cast(pattern > 0, inputs.dtype)
        a = ((1.0 - rate) * (1.0 + rate * saturation ** 2)) ** -0.5
        b = -a * saturation * rate
        x = inputs * kept + saturation * (1.0 - kept)
        return a * x + b

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config
