"""Keras 2's geometric augmentation layers: flips, rotations, zooms and translations.

`RandomFlip` reverses axes. `RandomRotation`, `RandomZoom` and `RandomTranslation` build
one projective transform per image, a row `[a0, a1, a2, b0, b1, b2, c0, c1]` mapping each
output pixel `(x, y)` to the input point `(a0 x + a1 y + a2, b0 x + b1 y + b2)` it reads
(see `engine.ops.image_transform`), and apply them with the `ImageProjectiveTransformV3`
op. The rows, with h and w the image's height and width and pixel centres at integers:

- rotation by angle t about the centre: `[cos t, -sin t, x0, sin t, cos t, y0, 0, 0]`,
  where `(x0, y0)` is what maps the centre `((w - 1) / 2, (h - 1) / 2)` to itself;
- zoom by zx, zy about the centre: `[zx, 0, (w - 1) / 2 * (1 - zx), 0, zy, ..., 0, 0]`
  (a zoom factor above 1 reads a larger area: the picture shrinks);
- translation by (dx, dy) pixels: `[1, 0, -dx, 0, 1, -dy, 0, 0]`.

All of them keep the input's size; every image of a batch draws its own numbers.
"""

from __future__ import annotations

import math

from engine.keras.layers.preprocessing.image_layer import (
    FILL_MODES,
    INTERPOLATIONS,
    RandomImageLayer,
    as_float,
    check_choice,
    factor_range,
    sizes,
)
from engine.ops import array_ops as _a
from engine.ops import unary_ops as _u
from engine.ops.fill_ops import ones_like, zeros_like
from engine.ops.image_transform import projective_transform
from engine.ops.join_ops import stack
from engine.ops.manip_ops import reverse
from engine.ops.select_ops import where

__all__ = ["RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom"]

HORIZONTAL, VERTICAL = "horizontal", "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


def _rows(*columns):
    """(batch, 8) transforms from 8 columns of shape (batch,)."""
    return stack(list(columns), axis=1)


def rotation_transforms(angles, height, width):
    """Rows rotating each image by `angles` (radians, counter-clockwise) about its centre."""
    cos, sin = _u.cos(angles), _u.sin(angles)
    h, w = as_float(height) - 1.0, as_float(width) - 1.0
    x0 = (w - (cos * w - sin * h)) / 2.0
    y0 = (h - (sin * w + cos * h)) / 2.0
    zero = zeros_like(angles)
    return _rows(cos, -sin, x0, sin, cos, y0, zero, zero)


def zoom_transforms(zoom_x, zoom_y, height, width):
    """Rows scaling the reading grid by `zoom_x`, `zoom_y` (shape (batch,)) about the centre."""
    x0 = (as_float(width) - 1.0) / 2.0 * (1.0 - zoom_x)
    y0 = (as_float(height) - 1.0) / 2.0 * (1.0 - zoom_y)
    zero = zeros_like(zoom_x)
    return _rows(zoom_x, zero, x0, zero, zoom_y, y0, zero, zero)


def translation_transforms(dx, dy):
    """Rows moving each image right by `dx` and down by `dy` pixels (shape (batch,))."""
    zero, one = zeros_like(dx), ones_like(dx)
    return _rows(one, zero, -dx, zero, one, -dy, zero, zero)


class _TransformLayer(RandomImageLayer):
    """A random projective transform per image, with Keras' fill and interpolation args."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        name = type(self).__name__
        self.fill_mode = check_choice(name, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = check_choice(name, "interpolation", interpolation,
                                          INTERPOLATIONS)
        try:
            self.fill_value = float(fill_value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: got fill_value={fill_value!r}; expected a number (the "
                             "value of points outside the image with fill_mode='constant')."
                             ) from None

    def _apply(self, images, transforms):
        return projective_transform(images, transforms, fill_mode=self.fill_mode,
                                    fill_value=self.fill_value,
                                    interpolation=self.interpolation)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "interpolation": self.interpolation})
        return config


class RandomFlip(RandomImageLayer):
    """Flips each image at random while training (Keras 2's `RandomFlip`).

    Each image of a batch flips left-right with probability 1/2 and (independently) upside
    down with probability 1/2, as `mode` allows.

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical' (default).
        seed: an int seed.

    Example:
        >>> layer = engine.keras.layers.RandomFlip("horizontal", seed=3)
        >>> out = layer(np.array([[[1.0], [2.0]]]))[..., 0].numpy()
        >>> out.tolist() in ([[1.0, 2.0]], [[2.0, 1.0]])
        True
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = check_choice("RandomFlip", "mode", mode,
                                 (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL))

    def augment(self, images):
        """Each image flipped along the allowed axes by its own coin tosses."""
        batch = sizes(images)[0]
        axes = {HORIZONTAL: [2], VERTICAL: [1], HORIZONTAL_AND_VERTICAL: [2, 1]}[self.mode]
        for axis in axes:
            flip = self._uniform([batch], 0.0, 1.0) > 0.5
            images = where(_a.reshape(flip, [-1, 1, 1, 1]), reverse(images, [axis]), images)
        return images

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["mode"] = self.mode
        return config


class RandomRotation(_TransformLayer):
    """Rotates each image by a random angle while training (Keras 2's `RandomRotation`).

    Args:
        factor: a fraction of a full turn: a number f draws angles in [-f * 2pi, f * 2pi),
            a pair (lower, upper) in [lower * 2pi, upper * 2pi). Positive angles turn
            counter-clockwise.
        fill_mode: how points outside the image are filled: 'reflect' (default), 'wrap',
            'constant' (`fill_value`) or 'nearest' (the edge pixel).
        interpolation: 'bilinear' (default) or 'nearest'.
        seed: an int seed.
        fill_value: the value for `fill_mode='constant'`.

    Example:
        >>> layer = engine.keras.layers.RandomRotation((0.25, 0.25), interpolation="nearest")
        >>> image = np.array([[1.0, 2.0], [3.0, 4.0]])[..., None]
        >>> layer(image)[..., 0].numpy()
        array([[2., 4.],
               [1., 3.]], dtype=float32)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = list(factor) if isinstance(factor, (tuple, list)) else factor
        self.lower, self.upper = factor_range("RandomRotation", "factor", factor)

    def augment(self, images):
        """Each image rotated by its own angle."""
        batch, h, w, _ = sizes(images)
        turn = 2.0 * math.pi
        angles = self._uniform([batch], self.lower * turn, self.upper * turn)
        return self._apply(images, rotation_transforms(angles, h, w))

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["factor"] = self.factor
        return config


class RandomZoom(_TransformLayer):
    """Zooms each image in or out at random while training (Keras 2's `RandomZoom`).

    Args:
        height_factor: a number f for (-f, f), or a pair (lower, upper), in [-1, 1]: the
            vertical zoom is drawn in [1 + lower, 1 + upper). Positive values zoom out
            (the picture shrinks), negative values zoom in.
        width_factor: the same for the horizontal zoom; None (default) uses the vertical
            zoom, keeping the aspect ratio.
        fill_mode, interpolation, seed, fill_value: as in `RandomRotation`.

    Example:
        >>> layer = engine.keras.layers.RandomZoom((-0.5, -0.5), seed=1)  # zoom in 2x
        >>> image = np.arange(9.0).reshape([3, 3, 1])
        >>> layer(image, training=False).shape
        TensorShape([3, 3, 1])
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor = _listed(height_factor)
        self.height_lower, self.height_upper = factor_range(
            "RandomZoom", "height_factor", height_factor, -1.0, 1.0)
        self.width_factor = _listed(width_factor)
        if width_factor is not None:
            self.width_lower, self.width_upper = factor_range(
                "RandomZoom", "width_factor", width_factor, -1.0, 1.0)

    def augment(self, images):
        """Each image zoomed by its own factors."""
        batch, h, w, _ = sizes(images)
        zoom_y = self._uniform([batch], 1.0 + self.height_lower, 1.0 + self.height_upper)
        zoom_x = zoom_y
        if self.width_factor is not None:
            zoom_x = self._uniform([batch], 1.0 + self.width_lower, 1.0 + self.width_upper)
        return self._apply(images, zoom_transforms(zoom_x, zoom_y, h, w))

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"height_factor": self.height_factor,
                       "width_factor": self.width_factor})
        return config


class RandomTranslation(_TransformLayer):
    """Shifts each image by a random offset while training (Keras 2's `RandomTranslation`).

    Args:
        height_factor: a fraction of the height: a number f for (-f, f) or a pair
            (lower, upper), in [-1, 1]. Positive values move the picture down.
        width_factor: the same for the width; positive values move the picture right.
        fill_mode, interpolation, seed, fill_value: as in `RandomRotation`.

    Example:
        >>> layer = engine.keras.layers.RandomTranslation(0.0, (0.5, 0.5),
        ...                                               fill_mode="constant", seed=1)
        >>> layer(np.array([[[1.0], [2.0]]]))[..., 0].numpy()
        array([[0., 1.]], dtype=float32)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor = _listed(height_factor)
        self.width_factor = _listed(width_factor)
        self.height_lower, self.height_upper = factor_range(
            "RandomTranslation", "height_factor", height_factor, -1.0, 1.0)
        self.width_lower, self.width_upper = factor_range(
            "RandomTranslation", "width_factor", width_factor, -1.0, 1.0)

    def augment(self, images):
        """Each image shifted by its own offsets."""
        batch, h, w, _ = sizes(images)
        dy = self._uniform([batch], self.height_lower, self.height_upper) * as_float(h)
        dx = self._uniform([batch], self.width_lower, self.width_upper) * as_float(w)
        return self._apply(images, translation_transforms(dx, dy))

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"height_factor": self.height_factor,
                       "width_factor": self.width_factor})
        return config


def _listed(factor):
    return list(factor) if isinstance(factor, (tuple, list)) else factor

