"""`tf.image`'s stateless random augmentations, and JPEG quality (`adjust_jpeg_quality`).

Each `stateless_random_*` function draws with `stateless_uniform` from a seed of two integers,
so the same seed gives the same image, eagerly, traced and in `Dataset.map`. The draws are
TensorFlow's: flips draw one coin per image of a batch; brightness, contrast, hue and
saturation draw one value for the whole tensor; a crop draws one offset per dimension. (The
numbers differ from TensorFlow's, whose generator differs, but not their ranges.)

JPEG quality encodes and decodes through Pillow (`engine.io.encode_jpeg`), so it runs
eagerly on a 3-D image only, as TensorFlow's, with no gradient.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor, tensor_or_variable
from engine.errors import ShapeError
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops.image_color import (
    _check_number,
    _check_range,
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    convert_image_dtype,
)
from engine.ops.image_resize import _dims, _image, _int_arg, _known, _require
from engine.ops.manip_ops import reverse
from engine.ops.png_codec import decode_jpeg, encode_jpeg
from engine.ops.random_ops import uniform
from engine.ops.select_ops import where
from engine.ops.shape_tensors import is_symbolic
from engine.ops.slicing_ops import slice as _slice
from engine.ops.stateless_random_ops import stateless_uniform
from engine.tensor import Tensor

__all__ = [
    "stateless_random_flip_left_right", "stateless_random_flip_up_down",
    "stateless_random_brightness", "stateless_random_contrast", "stateless_random_hue",
    "stateless_random_saturation", "stateless_random_crop", "adjust_jpeg_quality",
    "random_jpeg_quality", "stateless_random_jpeg_quality",
]


# --- flips ------------------------------------------------------------------------------------
def _stateless_flip(op: str, image, axis: int, seed):
    x, rank = _image(op, image)
    flipped = reverse(x, [axis + rank - 3])
    if rank == 3:
        return where(stateless_uniform([], seed) < 0.5, flipped, x)
    coins = stateless_uniform([_dims(x)[0]], seed)  # one coin per image of the batch
    return where(_a.reshape(coins < 0.5, [-1, 1, 1, 1]), flipped, x)


def stateless_random_flip_left_right(image, seed):
    """Flips each image left to right with probability 1/2, decided by `seed`.

    Args:
        image: a 3-D image, or a 4-D batch (one draw per image).
        seed: two integers (a list or an int tensor of shape [2]).

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> image = engine.constant([[[1.0], [2.0]]])
        >>> a = engine.image.stateless_random_flip_left_right(image, seed=[1, 2])
        >>> b = engine.image.stateless_random_flip_left_right(image, seed=[1, 2])
        >>> bool(engine.reduce_all(a == b))
        True
    """
    return _stateless_flip("stateless_random_flip_left_right", image, 1, seed)


def stateless_random_flip_up_down(image, seed):
    """Flips each image upside down with probability 1/2, decided by `seed`.

    Args:
        image: a 3-D image, or a 4-D batch (one draw per image).
        seed: two integers (a list or an int tensor of shape [2]).

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> image = engine.constant([[[1.0]], [[2.0]]])
        >>> engine.image.stateless_random_flip_up_down(image, seed=[3, 4]).shape
        TensorShape([2, 1, 1])
    """
    return _stateless_flip("stateless_random_flip_up_down", image, 0, seed)


# --- color ------------------------------------------------------------------------------------
def stateless_random_brightness(image, max_delta, seed):
    """`adjust_brightness` by one delta drawn from [-max_delta, max_delta) with `seed`.

    Args:
        image: an image tensor (one delta serves every image of a batch).
        max_delta: a non-negative number.
        seed: two integers (a list or an int tensor of shape [2]).

    Returns:
        The brightened image, in the input's dtype.

    Raises:
        ValueError: a negative `max_delta`.

    Example:
        >>> out = engine.image.stateless_random_brightness(engine.constant([0.5]), 0.1, [1, 2])
        >>> bool(abs(float(out[0]) - 0.5) <= 0.1)
        True
    """
    _check_number("stateless_random_brightness", "max_delta", max_delta, low=0.0)
    return adjust_brightness(image, stateless_uniform([], seed, -max_delta, max_delta))


def stateless_random_contrast(image, lower, upper, seed):
    """`adjust_contrast` by one factor drawn from [lower, upper) with `seed`.

    Args:
        image: images of rank >= 3 (one factor serves every image of a batch).
        lower, upper: the factor's bounds, 0 <= lower < upper.
        seed: two integers (a list or an int tensor of shape [2]).

    Returns:
        The adjusted images, in the input's dtype.

    Raises:
        ValueError: bounds that are negative or not increasing.

    Example:
        >>> image = engine.constant([[[0.5], [0.5]]])
        >>> engine.image.stateless_random_contrast(image, 0.5, 1.5, [1, 2])[..., 0].numpy()
        array([[0.5, 0.5]], dtype=float32)
    """
    _check_range("stateless_random_contrast", lower, upper)
    return adjust_contrast(image, stateless_uniform([], seed, lower, upper))


def stateless_random_saturation(image, lower, upper, seed):
    """`adjust_saturation` by one factor drawn from [lower, upper) with `seed`.

    Args:
        image: RGB images (last axis of size 3).
        lower, upper: the factor's bounds, 0 <= lower < upper.
        seed: two integers (a list or an int tensor of shape [2]).

    Returns:
        The adjusted images, in the input's dtype.

    Raises:
        ValueError: bounds that are negative or not increasing.

    Example:
        >>> gray = engine.constant([[0.3, 0.3, 0.3]])
        >>> engine.image.stateless_random_saturation(gray, 0.5, 1.5, [1, 2]).numpy()
        array([[0.3, 0.3, 0.3]], dtype=float32)
    """
    _check_range("stateless_random_saturation", lower, upper)
    return adjust_saturation(image, stateless_uniform([], seed, lower, upper))


def stateless_random_hue(image, max_delta, seed):
    """`adjust_hue` by one delta drawn from [-max_delta, max_delta) with `seed`.

    Args:
        image: RGB images (last axis of size 3).
        max_delta: a number in [0, 0.5].
        seed: two integers (a list or an int tensor of shape [2]).

    Returns:
        The adjusted images, in the input's dtype.

    Raises:
        ValueError: `max_delta` outside [0, 0.5].

    Example:
        >>> gray = engine.constant([[0.3, 0.3, 0.3]])
        >>> engine.image.stateless_random_hue(gray, 0.2, [1, 2]).numpy()
        array([[0.3, 0.3, 0.3]], dtype=float32)
    """
    _check_number("stateless_random_hue", "max_delta", max_delta, low=0.0, high=0.5)
    return adjust_hue(image, stateless_uniform([], seed, -max_delta, max_delta))


# --- crop -------------------------------------------------------------------------------------
def _crop_sizes(op: str, x, size) -> list:
    if isinstance(size, Tensor) and is_symbolic(size):
        items = [size[k] for k in range(size.shape[0] or 0)]
    else:
        items = list(size.numpy() if isinstance(size, Tensor) else size)
    if x.shape.rank is None or len(items) != x.shape.rank:
        raise ShapeError(f"{op}: got size={items!r} for value of shape {x.shape}; expected "
                         "one entry per dimension of value (of known rank).")
    return [_int_arg(op, f"size[{k}]", v) for k, v in enumerate(items)]


def stateless_random_crop(value, size, seed, name=None):
    """Crops a slice of shape `size` from `value` at offsets drawn with `seed`.

    Args:
        value: the tensor to crop (any rank).
        size: the slice's shape, one entry per dimension, each at most `value`'s size.
        seed: two integers (a list or an int tensor of shape [2]).
        name: ignored.

    Returns:
        A tensor of shape `size` and `value`'s dtype.

    Raises:
        ShapeError: `size` of the wrong length, or larger than `value`.

    Example:
        >>> image = engine.reshape(engine.range(64), [8, 8, 1])
        >>> engine.image.stateless_random_crop(image, [4, 4, 1], seed=[1, 2]).shape
        TensorShape([4, 4, 1])
    """
    op = "stateless_random_crop"
    x = tensor_or_variable(value)
    sizes = _crop_sizes(op, x, size)
    dims = _dims(x)
    _require(op, not _known(*dims, *sizes) or all(0 <= s <= d for s, d in zip(sizes, dims)),
             f"got size {sizes} for value of shape {x.shape}; expected 0 <= size <= "
             "value.shape in every dimension.")
    limits = [_m.cast(d - s + 1, _dt.int32) if isinstance(d - s + 1, Tensor) else d - s + 1
              for d, s in zip(dims, sizes)]
    draws = stateless_uniform([len(sizes)], seed, maxval=_dt.int32.max, dtype=_dt.int32)
    offsets = _m.floormod(draws, convert_to_tensor(limits, _dt.int32))
    return _slice(x, offsets, sizes)


# --- JPEG quality -----------------------------------------------------------------------------
def _check_quality(op: str, low, high) -> None:
    for what, v in (("min_jpeg_quality", low), ("max_jpeg_quality", high)):
        if not 0 <= v <= 100:
            raise ValueError(f"{op}: got {what}={v}; expected a quality in [0, 100].")
    if low >= high:
        raise ValueError(f"{op}: got min_jpeg_quality={low} and max_jpeg_quality={high}; "
                         "expected min_jpeg_quality < max_jpeg_quality.")


def adjust_jpeg_quality(image, jpeg_quality, name=None):
    """Encodes a 3-D image as JPEG at `jpeg_quality` and decodes it again (needs Pillow).

    Args:
        image: a `(height, width, 1 or 3)` image (floats in [0, 1], or integers).
        jpeg_quality: an int (or scalar int tensor) in [0, 100].
        name: ignored.

    Returns:
        The image with JPEG's artifacts, in the input's dtype.

    Raises:
        ShapeError: an image that is not 3-D with 1 or 3 channels.
        ValueError: a quality outside [0, 100].
        UnimplementedError: Pillow is not installed.

    Example:
        >>> flat = engine.fill([8, 8, 3], 0.5)
        >>> out = engine.image.adjust_jpeg_quality(flat, 90)
        >>> bool(engine.reduce_max(engine.abs(out - flat)) < 0.01)
        True
    """
    op = "adjust_jpeg_quality"
    x = tensor_or_variable(image)
    if x.shape.rank != 3 or x.shape[-1] not in (1, 3):
        raise ShapeError(f"{op}: got an image of shape {x.shape}; expected a 3-D (height, "
                         "width, channels) image with 1 or 3 channels. Apply it to each image "
                         "of a batch, e.g. with engine.map_fn.")
    quality = int(np.asarray(jpeg_quality.numpy() if isinstance(jpeg_quality, Tensor)
                             else jpeg_quality))
    if not 0 <= quality <= 100:
        raise ValueError(f"{op}: got jpeg_quality={quality}; expected a quality in [0, 100].")
    pixels = convert_image_dtype(x, _dt.uint8, saturate=True)
    decoded = decode_jpeg(encode_jpeg(pixels, quality=quality), channels=x.shape[-1])
    return convert_image_dtype(decoded, x.dtype, saturate=True)


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    """`adjust_jpeg_quality` at a quality drawn uniformly from [min, max) (needs Pillow).

    Args:
        image: a 3-D `(height, width, 1 or 3)` image.
        min_jpeg_quality, max_jpeg_quality: ints, 0 <= min < max <= 100.
        seed: the op seed (TF's seed rules), or None.

    Returns:
        The image with JPEG's artifacts, in the input's dtype.

    Raises:
        ValueError: qualities outside [0, 100] or not increasing.

    Example:
        >>> engine.image.random_jpeg_quality(engine.zeros([8, 8, 3]), 50, 90, seed=1).shape
        TensorShape([8, 8, 3])
    """
    _check_quality("random_jpeg_quality", min_jpeg_quality, max_jpeg_quality)
    quality = uniform([], min_jpeg_quality, max_jpeg_quality, _dt.int32, seed=seed)
    return adjust_jpeg_quality(image, quality)


def stateless_random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed):
    """`adjust_jpeg_quality` at a quality drawn from [min, max) with `seed` (needs Pillow).

    Args:
        image: a 3-D `(height, width, 1 or 3)` image.
        min_jpeg_quality, max_jpeg_quality: ints, 0 <= min < max <= 100.
        seed: two integers (a list or an int tensor of shape [2]).

    Returns:
        The image with JPEG's artifacts, in the input's dtype.

    Raises:
        ValueError: qualities outside [0, 100] or not increasing.

    Example:
        >>> image = engine.zeros([8, 8, 3])
        >>> engine.image.stateless_random_jpeg_quality(image, 50, 90, seed=[1, 2]).shape
        TensorShape([8, 8, 3])
    """
    _check_quality("stateless_random_jpeg_quality", min_jpeg_quality, max_jpeg_quality)
    quality = stateless_uniform([], seed, min_jpeg_quality, max_jpeg_quality, _dt.int32)
    return adjust_jpeg_quality(image, quality)
