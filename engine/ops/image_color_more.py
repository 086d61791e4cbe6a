"""More of `tf.image`: the YIQ and YUV color spaces, and drawing boxes on images.

The color conversions are composites (an einsum with a 3 x 3 matrix over the channel axis),
so gradients, tracing and GPUs come for free. The matrices are TensorFlow's: Y is the luma
0.299 R + 0.587 G + 0.114 B; I, Q (NTSC) and U, V (PAL) are scaled color differences. Each
inverse is TensorFlow's rounded inverse, so results match TensorFlow's, round trips included
(which are off by up to about 1e-4).

`draw_bounding_boxes` is one registered op, `DrawBoundingBoxesV2`: a kernel that paints
1-pixel box outlines over a copy of the images (no gradient, as in TensorFlow).
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor, tensor_or_variable
from engine.dispatch import dispatch
from engine.errors import DTypeError, ShapeError
from engine.ops import math_ops as _m
from engine.ops.einsum_ops import einsum
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["rgb_to_yiq", "yiq_to_rgb", "rgb_to_yuv", "yuv_to_rgb", "draw_bounding_boxes"]

# (in channel, out channel): out = sum over c of x[..., c] * matrix[c, out]
_RGB_TO_YIQ = np.array([[0.299, 0.59590059, 0.2115],
                        [0.587, -0.27455667, -0.52273617],
                        [0.114, -0.32134392, 0.31119955]])
_YIQ_TO_RGB = np.array([[1.0, 1.0, 1.0],
                        [0.95598634, -0.27201283, -1.10674021],
                        [0.6208248, -0.64720424, 1.70423049]])
_RGB_TO_YUV = np.array([[0.299, -0.14714119, 0.61497538],
                        [0.587, -0.28886916, -0.51496512],
                        [0.114, 0.43601035, -0.10001026]])
_YUV_TO_RGB = np.array([[1.0, 1.0, 1.0],
                        [0.0, -0.394642334, 2.03206185],
                        [1.13988303, -0.58062185, 0.0]])


def _convert(op: str, images, matrix):
    x = tensor_or_variable(images)
    if not x.dtype.is_floating:
        raise DTypeError(f"{op}: got images of dtype {x.dtype.name}; expected floats. Convert "
                         "with engine.image.convert_image_dtype(images, engine.float32).")
    shape = x.shape
    if shape.rank is not None and (shape.rank < 1 or shape[-1] not in (3, None)):
        raise ShapeError(f"{op}: got images of shape {shape}; expected 3 channels in the last "
                         "axis.")
    return einsum("...c,cd->...d", x, _m.cast(matrix, x.dtype))


def rgb_to_yiq(images):
    """Converts RGB images to YIQ (luma and the NTSC chroma pair).

    Args:
        images: float images whose last axis holds R, G, B.

    Returns:
        Images of the same shape and dtype holding Y, I, Q.

    Raises:
        DTypeError: integer images.
        ShapeError: a last axis of size other than 3.

    Example:
        >>> engine.image.rgb_to_yiq(engine.constant([[1.0, 0.0, 0.0]])).numpy()
        array([[0.299    , 0.5959006, 0.2115   ]], dtype=float32)
    """
    return _convert("rgb_to_yiq", images, _RGB_TO_YIQ)


def yiq_to_rgb(images):
    """Converts YIQ images back to RGB (the inverse of `rgb_to_yiq`).

    Args:
        images: float images whose last axis holds Y, I, Q.

    Returns:
        Images of the same shape and dtype holding R, G, B.

    Example:
        >>> engine.image.yiq_to_rgb(engine.constant([[0.5, 0.0, 0.0]])).numpy()
        array([[0.5, 0.5, 0.5]], dtype=float32)
    """
    return _convert("yiq_to_rgb", images, _YIQ_TO_RGB)


def rgb_to_yuv(images):
    """Converts RGB images to YUV (luma and the PAL chroma pair).

    Args:
        images: float images whose last axis holds R, G, B.

    Returns:
        Images of the same shape and dtype holding Y, U, V.

    Example:
        >>> engine.image.rgb_to_yuv(engine.constant([[0.0, 0.0, 1.0]])).numpy()
        array([[ 0.114     ,  0.43601036, -0.10001026]], dtype=float32)
    """
    return _convert("rgb_to_yuv", images, _RGB_TO_YUV)


def yuv_to_rgb(images):
    """Converts YUV images back to RGB (the inverse of `rgb_to_yuv`).

    Args:
        images: float images whose last axis holds Y, U, V.

    Returns:
        Images of the same shape and dtype holding R, G, B.

    Example:
        >>> engine.image.yuv_to_rgb(engine.constant([[0.5, 0.0, 0.0]])).numpy()
        array([[0.5, 0.5, 0.5]], dtype=float32)
    """
    return _convert("yuv_to_rgb", images, _YUV_TO_RGB)


# --- draw_bounding_boxes ----------------------------------------------------------------------
# The colors boxes cycle through when `colors` is empty (RGBA): yellow, blue, red, lime,
# purple, olive, maroon, navy, aqua, fuchsia.
_DEFAULT_COLORS = np.array([
    [1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0.5, 0, 0.5, 1],
    [0.5, 0.5, 0, 1], [0.5, 0, 0, 1], [0, 0, 0.5, 1], [0, 1, 1, 1], [1, 0, 1, 1]], np.float32)


def _draw_infer(images, boxes, colors):
    op = "draw_bounding_boxes"
    if images.shape.rank not in (4, None) or images.shape.rank == 4 and (
            images.shape[-1] not in (1, 3, 4, None)):
        raise ShapeError(f"{op}: got images of shape {images.shape}; expected 4-D (batch, "
                         "height, width, depth) with depth 1, 3 or 4.")
    if boxes.shape.rank not in (3, None) or boxes.shape.rank == 3 and (
            boxes.shape[-1] not in (4, None)):
        raise ShapeError(f"{op}: got boxes of shape {boxes.shape}; expected (batch, num_boxes, "
                         "4): [y_min, x_min, y_max, x_max] as fractions of the image.")
    if colors.shape.rank not in (2, None):
        raise ShapeError(f"{op}: got colors of shape {colors.shape}; expected (num_colors, "
                         "channels), or shape (0, 4) for the default colors.")
    return TensorSpec(images.shape, images.dtype)


def _draw_kernel(xp, images, boxes, colors):
    canvas = images.copy()
    _, height, width, depth = images.shape
    table = np.asarray(colors, np.float32)
    table = _DEFAULT_COLORS if table.size == 0 else table
    if table.shape[1] < depth:
        raise ShapeError(f"draw_bounding_boxes: got colors with {table.shape[1]} channels for "
                         f"images of depth {depth}; expected at least {depth} channels.")
    # Corners in pixels, truncated toward zero as TensorFlow's integer conversion does.
    scale = np.array([height - 1, width - 1, height - 1, width - 1], np.float32)
    corners = np.trunc(np.asarray(boxes, np.float32) * scale).astype(np.int64)
    for b, image_boxes in enumerate(corners):
        for k, (top, left, bottom, right) in enumerate(image_boxes):
            if top > bottom or left > right or bottom < 0 or right < 0 or (
                    top >= height or left >= width):
                continue  # inverted, or wholly outside the image: nothing to draw
            color = xp.asarray(table[k % len(table), :depth], images.dtype)
            rows = slice(max(top, 0), min(bottom, height - 1) + 1)
            cols = slice(max(left, 0), min(right, width - 1) + 1)
            if top >= 0:
                canvas[b, top, cols] = color
            if bottom < height:
                canvas[b, bottom, cols] = color
            if left >= 0:
                canvas[b, rows, left] = color
            if right < width:
                canvas[b, rows, right] = color
    return canvas


_DRAW = register(OpDef(
    "draw_bounding_boxes", "DrawBoundingBoxesV2", ("images", "boxes", "colors"), _draw_infer,
    _draw_kernel, same_dtype=(), gpu=False,
    doc="Paints the outlines of boxes over images, cycling through colors."))


def draw_bounding_boxes(images, boxes, colors, name=None):
    """Draws the 1-pixel outlines of boxes over a batch of images.

    Box `k` of image `b` is `boxes[b, k] = [y_min, x_min, y_max, x_max]` in fractions of the
    image (0 to 1; corners map to pixel `int(fraction * (size - 1))`), painted with color
    `colors[k % num_colors]`. Edges outside the image are left out; later boxes paint over
    earlier ones.

    Args:
        images: float images `(batch, height, width, depth)`, depth 1, 3 or 4.
        boxes: `(batch, num_boxes, 4)` float boxes.
        colors: `(num_colors, channels)` floats with channels >= depth; an empty array picks
            TensorFlow's default palette (yellow, blue, red, ...).
        name: ignored.

    Returns:
        The images with the boxes drawn, float32 (float16 and bfloat16 stay as they are).

    Raises:
        ShapeError: arrays of the wrong rank, or colors with fewer channels than the images.

    Example:
        >>> image = engine.zeros([1, 3, 3, 1])
        >>> boxes = engine.constant([[[0.0, 0.0, 1.0, 1.0]]])
        >>> engine.image.draw_bounding_boxes(image, boxes, [[1.0]])[0, ..., 0].numpy()
        array([[1., 1., 1.],
               [1., 0., 1.],
               [1., 1., 1.]], dtype=float32)
    """
    x = tensor_or_variable(images)
    if x.dtype not in (_dt.float16, _dt.bfloat16):
        x = _m.cast(x, _dt.float32)
    boxes = _m.cast(convert_to_tensor(boxes), _dt.float32)
    colors = _m.cast(convert_to_tensor(colors, _dt.float32), _dt.float32)
    return dispatch(_DRAW, (x, boxes, colors), {})
