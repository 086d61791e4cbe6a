"""TensorFlow 2's `tf.image` colors: dtype conversion, color spaces and photometric adjustments.

Images hold floats in [0, 1] or integers in [0, dtype.max]; `convert_image_dtype` scales
between the two as TensorFlow does. The adjustments work on floats: float32 and float64
images in their own dtype (TF turns float64 into float32 on the way), integer and
half-precision images in float32, and the result is converted back to the input's dtype
(saturating for brightness, contrast and gamma). Half precision is scaled in float32 too:
TF's `x * 255.5` in bfloat16, or `x / MAX` of an int32 image in float16, overflows or
underflows. Everything is a composite of existing ops, so it differentiates (almost
everywhere), traces and runs on GPUs.

HSV follows TF's kernels: `v = max(r, g, b)`, `s = (v - min) / v` (0 for black), and the hue
in [0, 1) measured from red (then yellow at 1/6, green at 1/3, ...); 0 for grays.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import tensor_or_variable
from engine.errors import DTypeError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.clip_ops import clip_by_value
from engine.ops.join_ops import concat, stack, unstack
from engine.ops.random_ops import uniform
from engine.ops.reduce_composites import reduce_std
from engine.ops.reduce_ops import reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_sum
from engine.ops.select_ops import where
from engine.ops.shape_tensors import is_symbolic

__all__ = [
    "convert_image_dtype", "rgb_to_grayscale", "grayscale_to_rgb", "rgb_to_hsv", "hsv_to_rgb",
    "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue", "adjust_gamma",
    "random_brightness", "random_contrast", "random_saturation", "random_hue",
    "per_image_standardization",
]

_INTS = (_dt.uint8, _dt.uint16, _dt.uint32, _dt.uint64, _dt.int8, _dt.int16, _dt.int32,
         _dt.int64)
_FLOATS = (_dt.float16, _dt.bfloat16, _dt.float32, _dt.float64)
_NATIVE = (_dt.float32, _dt.float64)  # adjusted in their own dtype; others in float32
_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)  # TF's (ITU-R 601) luma weights


# --- dtype conversion -------------------------------------------------------------------------
def _saturate_cast(x, dtype):
    """`x` clipped to `dtype`'s range (and the input's), then cast."""
    low, high = max(x.dtype.min, dtype.min), min(x.dtype.max, dtype.max)
    if x.dtype.is_floating:  # clip in float64, to the largest float64 that fits the integer
        x = _m.cast(x, _dt.float64)
        low = float(low)
        high = float(np.nextafter(np.float64(high), 0.0) if float(high) > high else high)
    return _m.cast(clip_by_value(x, low, high), dtype)


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Converts `image` to `dtype`, scaling between [0, 1] floats and [0, MAX] integers.

    Integers become floats `x / MAX`; floats become integers `x * (MAX + 0.5)`, truncated;
    integers are rescaled by the ratio of the ranges `(MAX_in + 1) / (MAX_out + 1)`. Floats
    to floats is a plain cast.

    Args:
        image: an image tensor of an integer (u)int8-64 or float16/bfloat16/32/64 dtype.
        dtype: the dtype to convert to (same choices).
        saturate: clip to the output's range before a cast that could overflow.

    Returns:
        `image` converted to `dtype`.

    Raises:
        DTypeError: an unsupported input dtype or `dtype`.

    Example:
        >>> image = engine.constant([0, 128, 255], engine.uint8)
        >>> engine.image.convert_image_dtype(image, engine.float32).numpy()
        array([0.       , 0.5019608, 1.       ], dtype=float32)
    """
    image = tensor_or_variable(image)
    dtype = _dt.as_dtype(dtype)
    for what, d in (("image", image.dtype), ("dtype", dtype)):
        if d not in _INTS + _FLOATS:
            raise DTypeError(f"convert_image_dtype: got {what} {d.name}; expected an integer "
                             "(uint8, ..., int64) or floating (float16, bfloat16, float32, "
                             "float64) dtype.")
    if image.dtype is dtype:
        return image
    if image.dtype.is_integer and dtype.is_integer:
        ratio = (image.dtype.max + 1) // (dtype.max + 1)
        if ratio:  # fewer output levels: scale down first, then cast
            scaled = _m.floordiv(image, ratio)
            return _saturate_cast(scaled, dtype) if saturate else _m.cast(scaled, dtype)
        cast = _saturate_cast(image, dtype) if saturate else _m.cast(image, dtype)
        return _m.multiply(cast, (dtype.max + 1) // (image.dtype.max + 1))
    if image.dtype.is_floating and dtype.is_floating:
        return _m.cast(image, dtype)
    if image.dtype.is_integer:
        wide = dtype if dtype in _NATIVE else _dt.float32
        return _m.cast(_m.multiply(_m.cast(image, wide), 1.0 / image.dtype.max), dtype)
    wide = image if image.dtype in _NATIVE else _m.cast(image, _dt.float32)
    scaled = _m.multiply(wide, dtype.max + 0.5)
    return _saturate_cast(scaled, dtype) if saturate else _m.cast(scaled, dtype)


def _to_float(image):
    image = tensor_or_variable(image)
    if image.dtype in _NATIVE:
        return image, image.dtype
    return convert_image_dtype(image, _dt.float32), image.dtype


def _channels(op: str, image, count=None, min_rank: int = 1):
    """Checks that `image` has rank >= min_rank and (if given) `count` channels, last."""
    shape = tensor_or_variable(image).shape
    if shape.rank is None:
        return
    if shape.rank < min_rank or (count is not None and shape[-1] not in (count, None)):
        channels = f" with {count} channels in the last axis" if count else ""
        raise ShapeError(f"{op}: got images of shape {shape}; expected rank >= "
                         f"{min_rank}{channels}.")


# --- color spaces -----------------------------------------------------------------------------
def rgb_to_grayscale(images, name=None):
    """Converts RGB images to grayscale with TF's luma weights (0.2989, 0.5870, 0.1140).

    Args:
        images: a tensor whose last axis holds 3 channels (R, G, B).

    Returns:
        A tensor of the same dtype with 1 channel.

    Example:
        >>> engine.image.rgb_to_grayscale(engine.constant([[255, 0, 0]], engine.uint8)).numpy()
        array([[76]], dtype=uint8)
    """
    _channels("rgb_to_grayscale", images, 3)
    x, dtype = _to_float(images)
    gray = reduce_sum(_m.multiply(x, _m.cast(_GRAY_WEIGHTS, x.dtype)), -1, keepdims=True)
    return convert_image_dtype(gray, dtype)


def grayscale_to_rgb(images, name=None):
    """Repeats the single channel of grayscale images three times.

    Args:
        images: a tensor of rank >= 2 whose last axis has size 1.

    Returns:
        A tensor of the same dtype with 3 channels.

    Example:
        >>> engine.image.grayscale_to_rgb(engine.constant([[0.5]])).numpy()
        array([[0.5, 0.5, 0.5]], dtype=float32)
    """
    _channels("grayscale_to_rgb", images, 1, min_rank=2)
    x = tensor_or_variable(images)
    return concat([x, x, x], -1)


def _float_only(op: str, images):
    x = tensor_or_variable(images)
    if not x.dtype.is_floating:
        raise DTypeError(f"{op}: got images of dtype {x.dtype.name}; expected floats in [0, 1]. "
                         "Convert with engine.image.convert_image_dtype(images, engine.float32).")
    return x


def rgb_to_hsv(images, name=None):
    """Converts RGB images to HSV: hue in [0, 1), saturation and value in [0, 1].

    Args:
        images: float RGB images in [0, 1] (last axis of size 3).

    Returns:
        HSV images of the same shape and dtype.

    Example:
        >>> engine.image.rgb_to_hsv(engine.constant([[0.0, 1.0, 1.0]])).numpy()  # cyan
        array([[0.5, 1. , 1. ]], dtype=float32)
    """
    _channels("rgb_to_hsv", images, 3)
    x = _float_only("rgb_to_hsv", images)
    red, green, blue = unstack(x, 3, axis=-1)
    value = reduce_max(x, -1)
    spread = value - reduce_min(x, -1)
    # Divide by 1 where a division would fail, so that the unused branch has no inf/NaN
    # (whose zero-weighted gradient would still be NaN).
    saturation = where(value > 0, spread / where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * where(spread > 0, spread, 1.0))
    hue = where(_m.equal(red, value), (green - blue) * norm,
                where(_m.equal(green, value), 2.0 / 6.0 + (blue - red) * norm,
                      4.0 / 6.0 + (red - green) * norm))
    hue = where(spread > 0, hue, 0.0)
    hue = where(hue < 0, hue + 1.0, hue)
    return stack([hue, saturation, value], axis=-1)


def hsv_to_rgb(images, name=None):
    """Converts HSV images (all channels in [0, 1]) to RGB.

    Args:
        images: float HSV images (last axis of size 3).

    Returns:
        RGB images of the same shape and dtype.

    Example:
        >>> engine.image.hsv_to_rgb(engine.constant([[0.5, 1.0, 1.0]])).numpy()
        array([[0., 1., 1.]], dtype=float32)
    """
    _channels("hsv_to_rgb", images, 3)
    x = _float_only("hsv_to_rgb", images)
    hue, saturation, value = unstack(x, 3, axis=-1)
    sector = hue * 6.0
    # How much of each primary the fully saturated color of this hue holds.
    primaries = [_u.abs(sector - 3.0) - 1.0, 2.0 - _u.abs(sector - 2.0),
                 2.0 - _u.abs(sector - 4.0)]
    rgb = [((1.0 - saturation) + saturation * clip_by_value(p, 0.0, 1.0)) * value
           for p in primaries]
    return stack(rgb, axis=-1)


# --- adjustments ------------------------------------------------------------------------------
def adjust_brightness(image, delta):
    """Adds `delta` to every channel (of the image as floats in [0, 1]).

    Args:
        image: an image tensor (any rank).
        delta: a number or scalar tensor, typically in (-1, 1).

    Returns:
        The brightened image, in the input's dtype (integers saturate).

    Example:
        >>> engine.image.adjust_brightness(engine.constant([0.2, 0.5]), 0.1).numpy()
        array([0.3, 0.6], dtype=float32)
    """
    x, dtype = _to_float(image)
    return convert_image_dtype(x + _m.cast(delta, x.dtype), dtype, saturate=True)


def adjust_contrast(images, contrast_factor):
    """Scales each channel's distance from its mean over the image: `(x - mean) * f + mean`.

    Args:
        images: images of rank >= 3; the mean is taken over the last 3 axes but the channels.
        contrast_factor: a number or scalar tensor.

    Returns:
        The adjusted images, in the input's dtype (integers saturate).

    Example:
        >>> image = engine.constant([[[0.25], [0.75]]])
        >>> engine.image.adjust_contrast(image, 2.0)[..., 0].numpy()
        array([[0., 1.]], dtype=float32)
    """
    _channels("adjust_contrast", images, min_rank=3)
    x, dtype = _to_float(images)
    mean = reduce_mean(x, [-3, -2], keepdims=True)
    adjusted = (x - mean) * _m.cast(contrast_factor, x.dtype) + mean
    return convert_image_dtype(adjusted, dtype, saturate=True)


def adjust_gamma(image, gamma=1, gain=1):
    """Gamma correction: `gain * x ** gamma` of the image as floats in [0, 1].

    Args:
        image: an image tensor (any rank).
        gamma: a non-negative number or scalar tensor (< 1 brightens, > 1 darkens).
        gain: a number or scalar tensor multiplying the result.

    Returns:
        The corrected image, in the input's dtype (integers saturate).

    Raises:
        ValueError: a negative `gamma`.

    Example:
        >>> engine.image.adjust_gamma(engine.constant([0.25, 1.0]), gamma=0.5).numpy()
        array([0.5, 1. ], dtype=float32)
    """
    if not is_symbolic(gamma) and float(np.min(np.asarray(gamma))) < 0:
        raise ValueError(f"adjust_gamma: got gamma={gamma!r}; expected a non-negative number.")
    x, dtype = _to_float(image)
    adjusted = _m.cast(gain, x.dtype) * _m.pow(x, _m.cast(gamma, x.dtype))
    return convert_image_dtype(adjusted, dtype, saturate=True)


def _adjust_hsv(op: str, image, change):
    _channels(op, image, 3)
    x, dtype = _to_float(image)
    hue, saturation, value = unstack(rgb_to_hsv(x), 3, axis=-1)
    hue, saturation = change(hue, saturation)
    return convert_image_dtype(hsv_to_rgb(stack([hue, saturation, value], axis=-1)), dtype)


def adjust_saturation(image, saturation_factor, name=None):
    """Multiplies the HSV saturation of RGB images by `saturation_factor` (clipped to [0, 1]).

    Args:
        image: RGB images (last axis of size 3).
        saturation_factor: a non-negative number or scalar tensor.

    Returns:
        The adjusted images, in the input's dtype.

    Example:
        >>> engine.image.adjust_saturation(engine.constant([[0.2, 0.4, 0.8]]), 0.0).numpy()
        array([[0.8, 0.8, 0.8]], dtype=float32)
    """
    def change(hue, saturation):
        factor = _m.cast(saturation_factor, saturation.dtype)
        return hue, clip_by_value(saturation * factor, 0.0, 1.0)

    return _adjust_hsv("adjust_saturation", image, change)


def adjust_hue(image, delta, name=None):
    """Rotates the HSV hue of RGB images by `delta` (a fraction of a full turn).

    Args:
        image: RGB images (last axis of size 3).
        delta: a number or scalar tensor, typically in [-1, 1].

    Returns:
        The adjusted images, in the input's dtype.

    Example:
        >>> engine.image.adjust_hue(engine.constant([[1.0, 0.0, 0.0]]), 1 / 3).numpy()
        array([[0., 1., 0.]], dtype=float32)
    """
    def change(hue, saturation):
        turned = hue + _m.cast(delta, hue.dtype)
        return turned - _u.floor(turned), saturation

    return _adjust_hsv("adjust_hue", image, change)


def per_image_standardization(image):
    """Scales each image to mean 0 and variance 1: `(x - mean) / max(stddev, 1 / sqrt(N))`.

    Args:
        image: images of rank >= 3; statistics are over the last 3 axes (N elements).

    Returns:
        Float32 images of the same shape.

    Example:
        >>> image = engine.reshape(engine.range(1, 5), [2, 2, 1])
        >>> engine.image.per_image_standardization(image)[..., 0].numpy()
        array([[-1.3416407, -0.4472136],
               [ 0.4472136,  1.3416407]], dtype=float32)
    """
    _channels("per_image_standardization", image, min_rank=3)
    x = _m.cast(tensor_or_variable(image), _dt.float32)
    axes = [-3, -2, -1]
    count = x.shape.as_list()[-3:]
    if None in count:
        count = reduce_prod(_a.shape(x)[-3:])
    else:
        count = int(np.prod(count))
    floor = _u.rsqrt(_m.cast(count, _dt.float32))
    mean = reduce_mean(x, axes, keepdims=True)
    return (x - mean) / _m.maximum(reduce_std(x, axes, keepdims=True), floor)


# --- random adjustments -----------------------------------------------------------------------
def _check_number(op: str, what: str, value, low=None, high=None):
    """Checks a bound known now (a number or an eager tensor); symbolic ones run unchecked."""
    if is_symbolic(value):
        return
    number = float(np.asarray(value))
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"[{low}, {'inf' if high is None else high}]"
        raise ValueError(f"{op}: got {what}={value!r}; expected a number in {bounds}.")


def _check_range(op: str, lower, upper):
    _check_number(op, "lower", lower, low=0.0)
    if not (is_symbolic(lower) or is_symbolic(upper)) and (
            float(np.asarray(upper)) <= float(np.asarray(lower))):
        raise ValueError(f"{op}: got lower={lower!r} and upper={upper!r}; expected "
                         "0 <= lower < upper.")


def random_brightness(image, max_delta, seed=None):
    """`adjust_brightness` by a delta drawn uniformly from [-max_delta, max_delta).

    One delta serves the whole tensor (all images of a batch).

    Args:
        image: an image tensor.
        max_delta: a non-negative number.
        seed: the op seed (TF's seed rules, see `engine.random.set_seed`), or None.

    Returns:
        The brightened image, in the input's dtype.

    Raises:
        ValueError: a negative `max_delta`.

    Example:
        >>> out = engine.image.random_brightness(engine.constant([0.5]), 0.1, seed=1)
        >>> bool(abs(float(out[0]) - 0.5) <= 0.1)
        True
    """
    _check_number("random_brightness", "max_delta", max_delta, low=0.0)
    return adjust_brightness(image, uniform([], -max_delta, max_delta, seed=seed))


def random_contrast(image, lower, upper, seed=None):
    """`adjust_contrast` by a factor drawn uniformly from [lower, upper).

    Args:
        image: images of rank >= 3.
        lower, upper: the factor's bounds, 0 <= lower < upper.
        seed: the op seed, or None.

    Returns:
        The adjusted images, in the input's dtype.

    Raises:
        ValueError: bounds that are negative or not increasing.

    Example:
        >>> image = engine.constant([[[0.5], [0.5]]])
        >>> engine.image.random_contrast(image, 0.5, 1.5, seed=1)[..., 0].numpy()
        array([[0.5, 0.5]], dtype=float32)
    """
    _check_range("random_contrast", lower, upper)
    return adjust_contrast(image, uniform([], lower, upper, seed=seed))


def random_saturation(image, lower, upper, seed=None):
    """`adjust_saturation` by a factor drawn uniformly from [lower, upper).

    Args:
        image: RGB images (last axis of size 3).
        lower, upper: the factor's bounds, 0 <= lower < upper.
        seed: the op seed, or None.

    Returns:
        The adjusted images, in the input's dtype.

    Raises:
        ValueError: bounds that are negative or not increasing.

    Example:
        >>> gray = engine.constant([[0.3, 0.3, 0.3]])
        >>> engine.image.random_saturation(gray, 0.5, 1.5, seed=1).numpy()
        array([[0.3, 0.3, 0.3]], dtype=float32)
    """
    _check_range("random_saturation", lower, upper)
    return adjust_saturation(image, uniform([], lower, upper, seed=seed))


def random_hue(image, max_delta, seed=None):
    """`adjust_hue` by a delta drawn uniformly from [-max_delta, max_delta).

    Args:
        image: RGB images (last axis of size 3).
        max_delta: a number in [0, 0.5].
        seed: the op seed, or None.

    Returns:
        The adjusted images, in the input's dtype.

    Raises:
        ValueError: `max_delta` outside [0, 0.5].

    Example:
        >>> gray = engine.constant([[0.3, 0.3, 0.3]])
        >>> engine.image.random_hue(gray, 0.2, seed=1).numpy()
        array([[0.3, 0.3, 0.3]], dtype=float32)
    """
    _check_number("random_hue", "max_delta", max_delta, low=0.0, high=0.5)
    return adjust_hue(image, uniform([], -max_delta, max_delta, seed=seed))
