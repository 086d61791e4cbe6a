"""Keras 2's size-changing image layers: Resizing, crops, RandomHeight and RandomWidth.

`Resizing`, `CenterCrop`, `RandomCrop`, `RandomHeight` and `RandomWidth` take 3-D
`(height, width, channels)` images or 4-D batches and return the layer's compute dtype
(float32 by default), as Keras 2 does. Where a crop does not fit, and for
`Resizing(crop_to_aspect_ratio=True)`, they "smart resize": crop the largest centred
window of the target's aspect ratio, then resize it to the target size. Sizes known only
when a graph runs (images of varying size in `Dataset.map`) are handled with ops, the
choice between cropping and resizing with `engine.cond`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.keras.layers.base import Layer
from engine.keras.layers.preprocessing.image_layer import (
    RandomImageLayer,
    as_float,
    check_choice,
    check_size,
    factor_range,
    image_tensor,
    sizes,
)
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops.image_ops import crop_to_bounding_box
from engine.ops.image_resize import resize
from engine.ops.slicing_ops import slice as _slice

__all__ = ["CenterCrop", "RandomCrop", "RandomHeight", "RandomWidth", "Resizing"]

RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "area")
# Keras 2 accepts these too; eagerlab's `engine.image.resize` does not implement them yet.
_NOT_IMPLEMENTED = ("lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def _check_interpolation(layer: str, interpolation) -> str:
    if interpolation in _NOT_IMPLEMENTED:
        raise ValueError(f"{layer}: got interpolation={interpolation!r}, a Keras method that "
                         "eagerlab does not implement yet; expected one of "
                         f"{', '.join(repr(m) for m in RESIZE_METHODS)}.")
    return check_choice(layer, "interpolation", interpolation, RESIZE_METHODS)


def _batched(x):
    return (x, False) if x.shape.rank == 4 else (_a.expand_dims(x, 0), True)


def _unbatched(x, added: bool):
    return _a.squeeze(x, [0]) if added else x


def _fits(h, w, height: int, width: int):
    """Whether an image of h x w holds a crop of height x width: a bool, or a bool tensor."""
    if isinstance(h, int) and isinstance(w, int):
        return h >= height and w >= width
    return _m.logical_and(_m.greater_equal(h, height), _m.greater_equal(w, width))


def _choose(pred, true_fn, false_fn):
    if isinstance(pred, bool):
        return true_fn() if pred else false_fn()
    from engine.graph.control_flow import cond  # noqa: PLC0415 - graph sits below keras

    return cond(pred, true_fn, false_fn)


def _aspect_crop(size, other, target, other_target):
    """The window along one axis: Keras 2 computes `other * target / other_target` in float32
    and truncates; returns (start, length)."""
    if isinstance(size, int) and isinstance(other, int):
        length = min(size, int(np.float32(other * target) / np.float32(other_target)))
        return int(np.float32(size - length) / np.float32(2)), length
    length = _m.cast(as_float(other * target) / float(other_target), _dt.int32)
    length = _m.minimum(_m.cast(size, _dt.int32), length)
    return _m.cast(as_float(size - length) / 2.0, _dt.int32), length


def smart_resize(x, height: int, width: int, interpolation: str = "bilinear"):
    """Crops 4-D `x` centrally to the aspect ratio height:width, then resizes it to that size.

    Returns float32 (the input's dtype for 'nearest'), as `engine.image.resize` does.
    """
    _, h, w, _ = sizes(x)
    top, crop_h = _aspect_crop(h, w, height, width)
    left, crop_w = _aspect_crop(w, h, width, height)
    cropped = _slice(x, [0, top, left, 0], [-1, crop_h, crop_w, -1])
    return resize(cropped, [height, width], method=interpolation)


class Resizing(Layer):
    """Resizes images to `height x width` (Keras 2's `Resizing`).

    Args:
        height, width: the output size in pixels.
        interpolation: 'bilinear' (default), 'nearest', 'bicubic' or 'area'.
        crop_to_aspect_ratio: first crop the largest centred window with the output's
            aspect ratio, so that the image is not distorted.

    Inputs are 3-D or 4-D images of any dtype; outputs have the layer's dtype.

    Example:
        >>> layer = engine.keras.layers.Resizing(2, 3)
        >>> layer(np.zeros([4, 4, 1])).shape
        TensorShape([2, 3, 1])
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.height = check_size("Resizing", "height", height)
        self.width = check_size("Resizing", "width", width)
        self.interpolation = _check_interpolation("Resizing", interpolation)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)

    def call(self, inputs):
        dtype = self._dtype if self.interpolation == "nearest" else _dt.float32
        x, added = _batched(image_tensor("Resizing", inputs, dtype))
        if self.crop_to_aspect_ratio:
            out = smart_resize(x, self.height, self.width, self.interpolation)
        else:
            out = resize(x, [self.height, self.width], method=self.interpolation)
        return _unbatched(_m.cast(out, self._dtype), added)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"height": self.height, "width": self.width,
                       "interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio})
        return config


class CenterCrop(Layer):
    """Crops the central `height x width` window of images (Keras 2's `CenterCrop`).

    An image smaller than the window in either dimension is smart-resized instead: cropped
    to the window's aspect ratio and resized (bilinear) to `height x width`.

    Args:
        height, width: the output size in pixels.

    Example:
        >>> image = np.arange(16.0).reshape([4, 4, 1])
        >>> engine.keras.layers.CenterCrop(2, 2)(image)[..., 0].numpy()
        array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height, width, **kwargs):
        super().__init__(**kwargs)
        self.height = check_size("CenterCrop", "height", height)
        self.width = check_size("CenterCrop", "width", width)

    def call(self, inputs):
        x, added = _batched(image_tensor("CenterCrop", inputs, self._dtype))
        _, h, w, _ = sizes(x)

        def crop():
            return crop_to_bounding_box(x, (h - self.height) // 2, (w - self.width) // 2,
                                        self.height, self.width)

        def fit():
            return _m.cast(smart_resize(x, self.height, self.width), self._dtype)

        return _unbatched(_choose(_fits(h, w, self.height, self.width), crop, fit), added)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config


class RandomCrop(RandomImageLayer):
    """Crops a random `height x width` window while training (Keras 2's `RandomCrop`).

    The whole batch shares one window. At inference, and for images smaller than the
    window, images are smart-resized instead: the largest centred window of the target's
    aspect ratio, resized (bilinear) to `height x width`.

    Args:
        height, width: the output size in pixels.
        seed: an int seed for the random offsets.

    Example:
        >>> layer = engine.keras.layers.RandomCrop(2, 3, seed=1)
        >>> layer(np.zeros([2, 5, 5, 3]), training=True).shape
        TensorShape([2, 2, 3, 3])
    """

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height = check_size("RandomCrop", "height", height)
        self.width = check_size("RandomCrop", "width", width)

    def call(self, inputs, training=True):
        """Random crops while training, smart resizing otherwise."""
        if training:
            return super().call(inputs, training=True)
        x, added = _batched(image_tensor("RandomCrop", inputs, self._dtype))
        return _unbatched(self._resized(x), added)

    def _resized(self, x):
        return _m.cast(smart_resize(x, self.height, self.width), self._dtype)

    def augment(self, images):
        """A random window of the batch (one for all images)."""
        _, h, w, _ = sizes(images)

        def crop():
            draws = self._uniform([2], 0, _dt.int32.max, dtype=_dt.int32)
            top = _m.floormod(draws[0], _m.cast(h - self.height + 1, _dt.int32))
            left = _m.floormod(draws[1], _m.cast(w - self.width + 1, _dt.int32))
            return crop_to_bounding_box(images, top, left, self.height, self.width)

        return _choose(_fits(h, w, self.height, self.width), crop,
                       lambda: self._resized(images))

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config


class _RandomSide(RandomImageLayer):
    """RandomHeight and RandomWidth: resize one side by a random factor per call."""

    _cast_when_inferring = False  # Keras 2 returns the inputs as they are
    _axis = 1

    def __init__(self, factor, interpolation="bilinear", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        name = type(self).__name__
        self.factor = list(factor) if isinstance(factor, (tuple, list)) else factor
        self.lower, self.upper = factor_range(name, "factor", factor, low=-1.0)
        self.interpolation = _check_interpolation(name, interpolation)

    def augment(self, images):
        """The batch resized along one side (one factor for the whole batch)."""
        dims = sizes(images)[1:3]
        scale = self._uniform([], 1.0 + self.lower, 1.0 + self.upper)
        side = dims[self._axis - 1]
        dims[self._axis - 1] = _m.cast(scale * as_float(side), _dt.int32)
        return _m.cast(resize(images, dims, method=self.interpolation), self._dtype)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"factor": self.factor, "interpolation": self.interpolation})
        return config


class RandomHeight(_RandomSide):
    """Resizes the height of images by a random factor while training (Keras 2).

    Each call draws one factor in `[1 + lower, 1 + upper)` for the whole batch; the new
    height is `int(factor * height)` and the width stays.

    Args:
        factor: a number f for (-f, f), or a pair (lower, upper), each >= -1; e.g. 0.2
            makes heights between 80% and 120% of the input's.
        interpolation: 'bilinear' (default), 'nearest', 'bicubic' or 'area'.
        seed: an int seed.

    Example:
        >>> layer = engine.keras.layers.RandomHeight((1.0, 1.0), seed=1)
        >>> layer(np.zeros([4, 6, 1])).shape
        TensorShape([8, 6, 1])
    """


class RandomWidth(_RandomSide):
    """Resizes the width of images by a random factor while training (Keras 2).

    Each call draws one factor in `[1 + lower, 1 + upper)` for the whole batch; the new
    width is `int(factor * width)` and the height stays.

    Args:
        factor: a number f for (-f, f), or a pair (lower, upper), each >= -1.
        interpolation: 'bilinear' (default), 'nearest', 'bicubic' or 'area'.
        seed: an int seed.

    Example:
        >>> layer = engine.keras.layers.RandomWidth((-0.5, -0.5), seed=1)
        >>> layer(np.zeros([4, 6, 1])).shape
        TensorShape([4, 3, 1])
    """

    _axis = 2
