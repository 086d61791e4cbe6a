"""Keras 2's intensity augmentation layers: RandomContrast and RandomBrightness.

Both work in the layer's compute dtype (float32 by default) on pixel values in a known
range and clip the result to it: [0, 255] for `RandomContrast` (as Keras 2 does, whatever
the images' range) and `value_range` for `RandomBrightness`.
"""

from __future__ import annotations

from engine.keras.layers.preprocessing.image_layer import (
    RandomImageLayer,
    factor_range,
    number_arg,
    sizes,
)
from engine.ops import math_ops as _m
from engine.ops.clip_ops import clip_by_value
from engine.ops.reduce_ops import reduce_mean

__all__ = ["RandomBrightness", "RandomContrast"]


class RandomContrast(RandomImageLayer):
    """Scales the contrast of images by a random factor while training (Keras 2).

    Each call draws one factor c in `[1 - lower, 1 + upper)` for the whole batch, and each
    channel of each image becomes `(x - mean) * c + mean`, `mean` the channel's mean over
    the image; the result is clipped to [0, 255].

    Args:
        factor: a number f for (f, f), or a pair (lower, upper); both >= 0 and lower <= 1.
        seed: an int seed.

    Example:
        >>> layer = engine.keras.layers.RandomContrast((0.0, 0.0), seed=1)  # factor 1
        >>> layer(np.array([[[10.0], [20.0]]]))[..., 0].numpy()
        array([[10., 20.]], dtype=float32)
    """

    def __init__(self, factor, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = list(factor) if isinstance(factor, (tuple, list)) else factor
        pair = factor if isinstance(factor, (tuple, list)) else (factor, factor)
        if len(pair) != 2:
            raise ValueError(f"RandomContrast: got factor={factor!r}; expected a number or a "
                             "tuple of two numbers (lower, upper).")
        self.lower, self.upper = (number_arg("RandomContrast", "factor", f) for f in pair)
        if self.lower < 0 or self.upper < 0 or self.lower > 1:
            raise ValueError(f"RandomContrast: got factor={factor!r}; expected values >= 0 "
                             "with the lower one <= 1 (contrast factors are drawn in "
                             "[1 - lower, 1 + upper)).")

    def augment(self, images):
        """The batch with its contrast scaled by one random factor."""
        contrast = _m.cast(self._uniform([], 1.0 - self.lower, 1.0 + self.upper), images.dtype)
        mean = reduce_mean(images, [1, 2], keepdims=True)
        return clip_by_value((images - mean) * contrast + mean, 0.0, 255.0)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["factor"] = self.factor
        return config


class RandomBrightness(RandomImageLayer):
    """Adds a random brightness offset to each image while training (Keras 2).

    Each image draws one factor in `[lower, upper)` and adds
    `factor * (value_range[1] - value_range[0])` to all its pixels; the result is clipped
    to `value_range`.

    Args:
        factor: a number f for (-f, f), or a pair (lower, upper), in [-1, 1].
        value_range: the (min, max) of the pixel values, default (0, 255).
        seed: an int seed.

    Example:
        >>> layer = engine.keras.layers.RandomBrightness((0.5, 0.5), value_range=(0, 1))
        >>> layer(np.array([[[0.25], [0.75]]]))[..., 0].numpy()
        array([[0.75, 1.  ]], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = list(factor) if isinstance(factor, (tuple, list)) else factor
        self.lower, self.upper = factor_range("RandomBrightness", "factor", factor, -1.0, 1.0)
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           for v in value_range)):
            raise ValueError(f"RandomBrightness: got value_range={value_range!r}; expected "
                             "a list of two numbers (min, max), e.g. (0, 255) or (0, 1).")
        self.value_range = sorted(float(v) for v in value_range)

    def augment(self, images):
        """The batch with one random offset per image."""
        batch = sizes(images)[0]
        low, high = self.value_range
        delta = self._uniform([batch, 1, 1, 1], self.lower, self.upper) * (high - low)
        return clip_by_value(images + _m.cast(delta, images.dtype), low, high)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config
