"""Image measures and filters of `tf.image`.

`total_variation`, `psnr`, `ssim`, `ssim_multiscale`, `sobel_edges` and `image_gradients`.

All are composites of engine ops (differences, depthwise convolutions with fixed filters,
average pooling), so gradients, tracing and GPUs come for free. Integer images are
converted to float32 in [0, 1] first with `convert_image_dtype` (and `max_val` with them),
as TensorFlow does; floating images keep their dtype (TensorFlow converts them to float32),
so float64 images give float64 results.
"""

from __future__ import annotations

import math

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import ShapeError
from engine.ops import math_ops as _m
from engine.ops.activation_ops import relu
from engine.ops.array_ops import reshape
from engine.ops.depthwise_conv_ops import depthwise_conv2d
from engine.ops.fill_ops import zeros_like
from engine.ops.image_color import convert_image_dtype
from engine.ops.join_ops import concat, stack
from engine.ops.pad_ops import pad
from engine.ops.pool_ops import avg_pool2d
from engine.ops.reduce_ops import reduce_mean, reduce_prod, reduce_sum
from engine.ops.unary_ops import abs as _abs
from engine.ops.unary_ops import log, square

__all__ = ["total_variation", "psnr", "ssim", "ssim_multiscale", "sobel_edges",
           "image_gradients"]

_MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang et al. (2003)


def _rank(op: str, image, ranks=(3, 4)) -> int:
    rank = image.shape.rank
    if rank not in ranks:
        raise ShapeError(f"{op}: got an image of shape {image.shape}; expected rank "
                         f"{' or '.join(map(str, ranks))} ([batch,] height, width, channels).")
    return rank


def _as_float(image):
    image = convert_to_tensor(image)
    return image if image.dtype.is_floating else convert_image_dtype(image, _dt.float32)


def _pair(op: str, a, b):
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    if a.dtype != b.dtype:
        raise ShapeError(f"{op}: got images of dtypes {a.dtype.name} and {b.dtype.name}; "
                         "expected one dtype. Cast one with engine.cast.")
    if not a.shape.is_compatible_with(b.shape):
        raise ShapeError(f"{op}: got images of shapes {a.shape} and {b.shape}; expected one "
                         "shape.")
    return a, b


def _max_val(max_val, like, dtype):
    value = convert_to_tensor(max_val, None)
    if not like.is_floating:  # integer images are scaled to [0, 1]: scale max_val with them
        return _m.cast(_m.divide(_m.cast(value, _dt.float64), float(like.max)), dtype)
    return _m.cast(value, dtype)


def total_variation(images, name=None):
    """The sum of absolute differences between neighbouring pixels, per image.

    Args:
        images: a 3-D `[height, width, channels]` or 4-D `[batch, ...]` tensor.

    Returns:
        A scalar for one image, a `[batch]` vector for a batch.

    Example:
        >>> engine.image.total_variation(engine.reshape(engine.range(12.0), [2, 3, 2])).numpy()
        np.float32(52.0)
    """
    images = convert_to_tensor(images)
    _rank("total_variation", images)
    axes = [-3, -2, -1]
    down = images[..., 1:, :, :] - images[..., :-1, :, :]
    right = images[..., :, 1:, :] - images[..., :, :-1, :]
    return reduce_sum(_abs(down), axis=axes) + reduce_sum(_abs(right), axis=axes)


def psnr(a, b, max_val, name=None):
    """The peak signal-to-noise ratio `10 log10(max_val^2 / mse)` of each image pair.

    Args:
        a: images `[..., height, width, channels]`.
        b: images of the same shape and dtype.
        max_val: the dynamic range (255 for uint8 images, 1.0 for images in [0, 1]).

    Returns:
        One value per image (the leading axes), float32 for integer images.

    Example:
        >>> engine.image.psnr([[[0.0]], [[1.0]]], [[[0.0]], [[0.5]]], max_val=1.0).numpy()
        np.float32(9.030899)
    """
    a, b = _pair("psnr", a, b)
    _rank("psnr", a, (3, 4, 5))
    peak = _max_val(max_val, a.dtype, _as_float(a).dtype)
    a, b = _as_float(a), _as_float(b)
    mse = reduce_mean(_m.squared_difference(a, b), axis=[-3, -2, -1])
    return _m.multiply(_m.subtract(_m.multiply(2.0, log(peak)), log(mse)), 10.0 / math.log(10.0))


def _gaussian_filter(size: int, sigma: float, channels: int, dtype):
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-coords ** 2 / (2.0 * sigma ** 2))
    window = np.outer(g, g) / np.sum(np.outer(g, g))
    tiled = np.tile(window[:, :, None, None], (1, 1, channels, 1))
    return convert_to_tensor(tiled.astype(np.dtype(dtype._np)))


def _ssim_parts(op, img1, img2, max_val, filter_size, filter_sigma, k1, k2):
    """The SSIM and contrast-structure maps, averaged over height and width: `[..., C]`."""
    img1, img2 = _pair(op, img1, img2)
    rank = _rank(op, img1)
    peak = _max_val(max_val, img1.dtype, _as_float(img1).dtype)
    x, y = _as_float(img1), _as_float(img2)
    if rank == 3:
        x, y = x[None], y[None]
    height, width, channels = x.shape.as_list()[1:]
    if None in (height, width, channels) or min(height, width) < filter_size:
        raise ShapeError(f"{op}: got images of shape {img1.shape}; expected known height and "
                         f"width of at least filter_size={filter_size}. Pass a smaller "
                         "filter_size.")
    window = _gaussian_filter(filter_size, filter_sigma, channels, x.dtype)

    def blur(t):
        return depthwise_conv2d(t, window, [1, 1, 1, 1], "VALID")

    c1, c2 = square(_m.multiply(peak, k1)), square(_m.multiply(peak, k2))
    mean_x, mean_y = blur(x), blur(y)
    mean_xy = _m.multiply(_m.multiply(mean_x, mean_y), 2.0)
    mean_sq = _m.add(square(mean_x), square(mean_y))
    luminance = _m.divide(_m.add(mean_xy, c1), _m.add(mean_sq, c1))
    cross_term = _m.multiply(blur(_m.multiply(x, y)), 2.0)
    power = blur(_m.add(square(x), square(y)))
    cs = _m.divide(_m.add(_m.subtract(cross_term, mean_xy), c2),
                   _m.add(_m.subtract(power, mean_sq), c2))
    ssim_map = reduce_mean(_m.multiply(luminance, cs), axis=[1, 2])
    cs_map = reduce_mean(cs, axis=[1, 2])
    if rank == 3:
        ssim_map, cs_map = ssim_map[0], cs_map[0]
    return ssim_map, cs_map


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """The structural similarity (SSIM) of each image pair, with a Gaussian window.

    Args:
        img1: images `[batch, height, width, channels]` (or one 3-D image).
        img2: images of the same shape and dtype.
        max_val: the dynamic range of the images (255 for uint8, 1.0 for [0, 1]).
        filter_size: the Gaussian window's size (height and width must be at least this).
        filter_sigma: its standard deviation.
        k1: the luminance constant factor.
        k2: the contrast constant factor.
        return_index_map: not supported (engine returns the mean over the map).

    Returns:
        One value per image, averaged over the window positions and channels.

    Example:
        >>> x = engine.reshape(engine.range(64.0) / 64.0, [1, 8, 8, 1])
        >>> engine.image.ssim(x, x, max_val=1.0, filter_size=3).numpy()
        array([1.], dtype=float32)
    """
    if return_index_map:
        raise ShapeError("ssim: return_index_map=True is not supported; compute the map from "
                         "engine.nn.depthwise_conv2d if you need it.")
    ssim_map, _ = _ssim_parts("ssim", img1, img2, max_val, filter_size, filter_sigma, k1, k2)
    return reduce_mean(ssim_map, axis=-1)


def _halve(images):
    """Average-pools by 2, padding an odd height or width by repeating the edge."""
    height, width = images.shape.as_list()[-3:-1]
    paddings = [[0, 0]] * (images.shape.rank - 3) + [[0, height % 2], [0, width % 2], [0, 0]]
    padded = pad(images, paddings, mode="SYMMETRIC")
    return avg_pool2d(padded, 2, 2, "VALID")


def ssim_multiscale(img1, img2, max_val, power_factors=_MS_SSIM_WEIGHTS, filter_size=11,
                    filter_sigma=1.5, k1=0.01, k2=0.03):
    """Multi-scale SSIM: contrast-structure terms at halving scales, SSIM at the last one.

    Args:
        img1: images `[batch, height, width, channels]`.
        img2: images of the same shape and dtype.
        max_val: the dynamic range of the images.
        power_factors: one weight per scale (default: five, from Wang et al.).
        filter_size: the Gaussian window's size; the smallest scale must still hold it.
        filter_sigma: its standard deviation.
        k1: the luminance constant factor.
        k2: the contrast constant factor.

    Returns:
        One value per image.

    Example:
        >>> x = engine.reshape(engine.range(256.0) / 256.0, [1, 16, 16, 1])
        >>> engine.image.ssim_multiscale(x, x, 1.0, (0.5, 0.5), filter_size=3).numpy()
        array([1.], dtype=float32)
    """
    x, y = _pair("ssim_multiscale", img1, img2)
    _rank("ssim_multiscale", x, (4,))
    peak = _max_val(max_val, x.dtype, _as_float(x).dtype)
    x, y = _as_float(x), _as_float(y)
    weights = convert_to_tensor(np.asarray(power_factors), x.dtype)
    terms = []
    for scale in range(len(power_factors)):
        if scale:
            x, y = _halve(x), _halve(y)
        ssim_c, cs_c = _ssim_parts("ssim_multiscale", x, y, peak, filter_size, filter_sigma,
                                   k1, k2)
        terms.append(relu(ssim_c if scale == len(power_factors) - 1 else cs_c))
    stacked = stack(terms, axis=-1)  # (batch, channels, scales)
    return reduce_mean(reduce_prod(_m.pow(stacked, weights), axis=-1), axis=-1)


def sobel_edges(image):
    """The Sobel filter responses `[..., 2]` (vertical dy, then horizontal dx) of each channel.

    The image is padded by reflection, so the output keeps its height and width.

    Args:
        image: a floating 4-D tensor `[batch, height, width, channels]`.

    Returns:
        A tensor of shape `[batch, height, width, channels, 2]`.

    Example:
        >>> ramp = engine.reshape(engine.range(16.0), [1, 4, 4, 1])
        >>> engine.image.sobel_edges(ramp)[0, 1, 1].numpy()
        array([[32.,  8.]], dtype=float32)
    """
    image = _as_float(image)
    _rank("sobel_edges", image, (4,))
    channels = image.shape[-1]
    dy = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64)
    filters = np.stack([dy, dy.T], axis=-1)  # (3, 3, 2)
    taps = np.tile(filters[:, :, None, :], (1, 1, channels, 1))  # (3, 3, C, 2)
    padded = pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    out = depthwise_conv2d(padded, convert_to_tensor(taps.astype(np.dtype(image.dtype._np))),
                           [1, 1, 1, 1], "VALID")  # (B, H, W, C * 2), the pair per channel
    return reshape(out, [-1] + out.shape.as_list()[1:3] + [channels, 2])


def image_gradients(image):
    """The forward differences `(dy, dx)` of each image, zero in the last row / column.

    Args:
        image: a 4-D tensor `[batch, height, width, channels]`.

    Returns:
        A pair `(dy, dx)`, each shaped like `image`.

    Example:
        >>> dy, dx = engine.image.image_gradients(engine.reshape(engine.range(4.0), [1, 2, 2, 1]))
        >>> dy.numpy().ravel(), dx.numpy().ravel()
        (array([2., 2., 0., 0.], dtype=float32), array([1., 0., 1., 0.], dtype=float32))
    """
    image = convert_to_tensor(image)
    _rank("image_gradients", image, (4,))
    dy = image[:, 1:] - image[:, :-1]
    dx = image[:, :, 1:] - image[:, :, :-1]
    dy = concat([dy, zeros_like(image[:, :1])], axis=1)
    dx = concat([dx, zeros_like(image[:, :, :1])], axis=2)
    return dy, dx
