"""Patches, crops and box selection of `tf.image`.

`extract_patches`, `crop_and_resize` and non-maximum suppression.

`extract_patches` and `crop_and_resize` are composites: a gather at precomputed positions,
and bilinear (or nearest) sampling built from `gather_nd` and arithmetic, so gradients reach
the image and, for `crop_and_resize`, the boxes. Non-maximum suppression is one registered
op, `NonMaxSuppressionV5` (a greedy NumPy kernel; no gradient, as in TensorFlow).
"""

from __future__ import annotations

import math

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import math_ops as _m
from engine.ops.array_ops import broadcast_to, reshape
from engine.ops.conv_kernels import padding_amounts
from engine.ops.gather_ops import gather, gather_nd
from engine.ops.join_ops import stack
from engine.ops.pad_ops import pad
from engine.ops.select_ops import where
from engine.ops.unary_ops import floor
from engine.ops.window_attrs import spatial
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["extract_patches", "crop_and_resize", "non_max_suppression",
           "non_max_suppression_with_scores", "non_max_suppression_padded"]


# --- extract_patches --------------------------------------------------------------------------
def extract_patches(images, sizes, strides, rates, padding, name=None):
    """Patches of each image, flattened into the depth: `[batch, rows, cols, kh * kw * C]`.

    Each output pixel holds the patch's values row by row, then column, then channel; with
    `rates` the patch taps are that far apart. "SAME" pads with zeros.

    Args:
        images: a 4-D tensor `[batch, height, width, channels]` of known height and width.
        sizes: the patch size `[1, kh, kw, 1]` (or `[kh, kw]`).
        strides: the step between patches, in the same forms.
        rates: the step between taps of one patch, in the same forms.
        padding: "VALID" or "SAME".

    Returns:
        A tensor of shape `[batch, out_rows, out_cols, kh * kw * channels]`.

    Example:
        >>> image = engine.reshape(engine.range(1.0, 10.0), [1, 3, 3, 1])
        >>> engine.image.extract_patches(image, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1],
        ...                              "VALID")[0, 0, 0].numpy()
        array([1., 2., 4., 5.], dtype=float32)
    """
    op = "extract_patches"
    images = convert_to_tensor(images)
    if images.shape.rank != 4 or None in images.shape.as_list()[1:]:
        raise ShapeError(f"{op}: got images of shape {images.shape}; expected 4-D [batch, "
                         "height, width, channels] with known height, width and channels.")
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ShapeError(f"{op}: got padding={padding!r}; expected 'SAME' or 'VALID'.")
    k = spatial(op, "sizes", sizes, 2, False)
    s = spatial(op, "strides", strides, 2, False)
    r = spatial(op, "rates", rates, 2, False)
    _, height, width, channels = images.shape.as_list()
    pads = [padding_amounts(n, kk, ss, rr, padding) for n, kk, ss, rr in
            zip((height, width), k, s, r)]
    span = [(kk - 1) * rr + 1 for kk, rr in zip(k, r)]
    sizes_p = [n + p[0] + p[1] for n, p in zip((height, width), pads)]
    outs = [(n - sp) // ss + 1 for n, sp, ss in zip(sizes_p, span, s)]
    if min(outs) < 1:
        raise ShapeError(f"{op}: got images of shape {images.shape} and sizes {list(k)} with "
                         f"rates {list(r)}; the patch does not fit. Use padding='SAME'.")
    rows = (np.arange(outs[0]) * s[0])[:, None, None, None] + (np.arange(k[0]) * r[0])[:, None]
    cols = (np.arange(outs[1]) * s[1])[None, :, None, None] + (np.arange(k[1]) * r[1])[None, :]
    positions = (rows * sizes_p[1] + cols).reshape(-1)  # (out_h, out_w, kh, kw) flattened
    padded = pad(images, [[0, 0], list(pads[0]), list(pads[1]), [0, 0]])
    flat = reshape(padded, [-1, sizes_p[0] * sizes_p[1], channels])
    picked = gather(flat, positions.astype(np.int32), axis=1)
    return reshape(picked, [-1, outs[0], outs[1], k[0] * k[1] * channels])


# --- crop_and_resize --------------------------------------------------------------------------
def _sample_coords(starts, ends, size: int, crop: int):
    """Where each of `crop` samples falls in an axis of `size` pixels: (boxes, crop)."""
    if crop > 1:
        step = _m.divide(_m.multiply(_m.subtract(ends, starts), size - 1), crop - 1)
        return _m.add(_m.multiply(starts, size - 1)[:, None],
                      _m.multiply(step[:, None], np.arange(crop, dtype=np.float64)))
    return _m.multiply(_m.add(starts, ends), 0.5 * (size - 1))[:, None]


def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear",
                    extrapolation_value=0.0, name=None):
    """Crops boxes out of a batch of images and resizes each crop to `crop_size`.

    A box `[y1, x1, y2, x2]` is in normalized coordinates (0 and 1 are the first and last
    pixel centres; `y1 > y2` flips the crop). Samples outside the image take
    `extrapolation_value`. Gradients reach the image and the boxes (bilinear only).

    Args:
        image: a 4-D tensor `[batch, height, width, channels]`.
        boxes: a float tensor `[num_boxes, 4]`.
        box_indices: an int tensor `[num_boxes]`: the image each box crops.
        crop_size: `[crop_height, crop_width]`.
        method: "bilinear" or "nearest".
        extrapolation_value: the value of samples outside the image.

    Returns:
        A tensor `[num_boxes, crop_height, crop_width, channels]`: float32, or float64 for a
        float64 image (TensorFlow always returns float32).

    Example:
        >>> image = engine.reshape(engine.range(1.0, 26.0), [1, 5, 5, 1])
        >>> crops = engine.image.crop_and_resize(image, [[0.0, 0.0, 1.0, 1.0]], [0], [2, 2])
        >>> crops[0, :, :, 0].numpy()
        array([[ 1.,  5.],
               [21., 25.]], dtype=float32)
    """
    op = "crop_and_resize"
    image = convert_to_tensor(image)
    if image.dtype != _dt.float64:
        image = _m.cast(image, _dt.float32)
    boxes = _m.cast(convert_to_tensor(boxes), image.dtype)
    crop_h, crop_w = (int(v) for v in crop_size)
    if image.shape.rank != 4 or None in image.shape.as_list()[1:3]:
        raise ShapeError(f"{op}: got image of shape {image.shape}; expected 4-D [batch, height, "
                         "width, channels] with known height and width.")
    if boxes.shape.rank != 2 or boxes.shape[-1] != 4 or boxes.shape[0] is None or min(
            crop_h, crop_w) < 1:
        raise ShapeError(f"{op}: got boxes of shape {boxes.shape} and crop_size "
                         f"{list(crop_size)}; expected [num_boxes, 4] and two positive sizes.")
    if method not in ("bilinear", "nearest"):
        raise ShapeError(f"{op}: got method={method!r}; expected 'bilinear' or 'nearest'.")
    height, width = image.shape.as_list()[1:3]
    in_y = _sample_coords(boxes[:, 0], boxes[:, 2], height, crop_h)  # (boxes, crop_h)
    in_x = _sample_coords(boxes[:, 1], boxes[:, 3], width, crop_w)  # (boxes, crop_w)
    inside_y = _m.logical_and(_m.greater_equal(in_y, 0), _m.less_equal(in_y, height - 1))
    inside_x = _m.logical_and(_m.greater_equal(in_x, 0), _m.less_equal(in_x, width - 1))
    valid = _m.logical_and(inside_y[:, :, None], inside_x[:, None, :])[..., None]
    target = [boxes.shape[0], crop_h, crop_w]  # (boxes, crop_h, crop_w)
    index = broadcast_to(_m.cast(convert_to_tensor(box_indices), _dt.int32)[:, None, None],
                         target)

    def at(ys, xs):
        """The pixels at rows ys (boxes, crop_h) and columns xs (boxes, crop_w)."""
        ys = _m.minimum(_m.maximum(_m.cast(ys, _dt.int32), 0), height - 1)
        xs = _m.minimum(_m.maximum(_m.cast(xs, _dt.int32), 0), width - 1)
        coords = [index, broadcast_to(ys[:, :, None], target),
                  broadcast_to(xs[:, None, :], target)]
        return gather_nd(image, stack(coords, axis=-1))

    if method == "nearest":
        out = at(floor(_m.add(in_y, 0.5)), floor(_m.add(in_x, 0.5)))
    else:
        top, left = floor(in_y), floor(in_x)
        y_lerp = _m.subtract(in_y, top)[:, :, None, None]
        x_lerp = _m.subtract(in_x, left)[:, None, :, None]
        top_left, top_right = at(top, left), at(top, _m.add(left, 1))
        bottom_left, bottom_right = at(_m.add(top, 1), left), at(_m.add(top, 1), _m.add(left, 1))
        upper = _m.add(top_left, _m.multiply(_m.subtract(top_right, top_left), x_lerp))
        lower = _m.add(bottom_left, _m.multiply(_m.subtract(bottom_right, bottom_left), x_lerp))
        out = _m.add(upper, _m.multiply(_m.subtract(lower, upper), y_lerp))
    fill = _m.cast(convert_to_tensor(extrapolation_value), out.dtype)
    return where(valid, out, fill)


# --- non-maximum suppression ------------------------------------------------------------------
def _iou(box, others):
    """Intersection over union of one box with each of `others` (corners in any order)."""
    y1, x1 = np.minimum(box[0], box[2]), np.minimum(box[1], box[3])
    y2, x2 = np.maximum(box[0], box[2]), np.maximum(box[1], box[3])
    oy1, ox1 = np.minimum(others[:, 0], others[:, 2]), np.minimum(others[:, 1], others[:, 3])
    oy2, ox2 = np.maximum(others[:, 0], others[:, 2]), np.maximum(others[:, 1], others[:, 3])
    inter = (np.clip(np.minimum(y2, oy2) - np.maximum(y1, oy1), 0, None)
             * np.clip(np.minimum(x2, ox2) - np.maximum(x1, ox1), 0, None))
    union = (y2 - y1) * (x2 - x1) + (oy2 - oy1) * (ox2 - ox1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _nms_infer(boxes, scores, max_output_size=0, iou_threshold=0.5,
               score_threshold=-math.inf, soft_nms_sigma=0.0, pad_to_max_output_size=False):
    op = "non_max_suppression"
    if boxes.shape.rank is not None and (boxes.shape.rank != 2 or boxes.shape[-1] not in (4, None)):
        raise ShapeError(f"{op}: got boxes of shape {boxes.shape}; expected [num_boxes, 4].")
    if not scores.shape.is_compatible_with(boxes.shape[:1] if boxes.shape.rank else [None]):
        raise ShapeError(f"{op}: got scores of shape {scores.shape} for boxes of shape "
                         f"{boxes.shape}; expected one score per box, shape [num_boxes].")
    size = max_output_size if pad_to_max_output_size else None
    return (TensorSpec([size], _dt.int32), TensorSpec([size], scores.dtype),
            TensorSpec([], _dt.int32))


def _nms_kernel(xp, boxes, scores, max_output_size=0, iou_threshold=0.5,
                score_threshold=-math.inf, soft_nms_sigma=0.0, pad_to_max_output_size=False):
    boxes_np, current = np.asarray(boxes, np.float64), np.asarray(scores, np.float64).copy()
    alive = current > score_threshold
    picked, picked_scores = [], []
    decay = -0.5 / soft_nms_sigma if soft_nms_sigma > 0 else 0.0
    while len(picked) < max_output_size and alive.any():
        best = int(np.argmax(np.where(alive, current, -np.inf)))  # ties: the lower index
        picked.append(best)
        picked_scores.append(current[best])
        alive[best] = False
        iou = _iou(boxes_np[best], boxes_np)
        if soft_nms_sigma > 0:  # Soft-NMS decays the scores instead of dropping boxes
            current = np.where(alive, current * np.exp(decay * iou * iou), current)
            alive &= current > score_threshold
        else:
            alive &= iou <= iou_threshold
    valid = len(picked)
    if pad_to_max_output_size:
        picked += [0] * (max_output_size - valid)
        picked_scores += [0.0] * (max_output_size - valid)
    return (np.asarray(picked, np.int32), np.asarray(picked_scores, scores.dtype),
            np.asarray(valid, np.int32))


_NMS = register(OpDef(
    "non_max_suppression", "NonMaxSuppressionV5", ("boxes", "scores"), _nms_infer, _nms_kernel,
    attrs={"max_output_size": 0, "iou_threshold": 0.5, "score_threshold": -math.inf,
           "soft_nms_sigma": 0.0, "pad_to_max_output_size": False},
    num_outputs=3, same_dtype=(), gpu=False,
    doc="Greedy (optionally soft) non-maximum suppression of scored boxes."))


def _run_nms(boxes, scores, max_output_size, iou_threshold, score_threshold, sigma, padded):
    boxes, scores = convert_to_tensor(boxes), convert_to_tensor(scores)
    size = int(max_output_size)
    if size < 0 or not 0.0 <= float(iou_threshold) <= 1.0:
        raise ShapeError(f"non_max_suppression: got max_output_size={size} and iou_threshold="
                         f"{iou_threshold}; expected a size >= 0 and a threshold in [0, 1].")
    attrs = {"max_output_size": size, "iou_threshold": float(iou_threshold),
             "score_threshold": float(score_threshold), "soft_nms_sigma": float(sigma),
             "pad_to_max_output_size": bool(padded)}
    return dispatch(_NMS, (boxes, scores), attrs)


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5,
                        score_threshold=float("-inf"), name=None):
    """Greedily picks boxes by score, dropping those overlapping a picked box too much.

    Args:
        boxes: a float tensor `[num_boxes, 4]` of `[y1, x1, y2, x2]` corners.
        scores: a float tensor `[num_boxes]`.
        max_output_size: the most boxes to pick.
        iou_threshold: boxes with IoU above this with a picked box are dropped.
        score_threshold: boxes scoring at most this are never picked.

    Returns:
        The picked indices, an int32 vector (best first).

    Example:
        >>> boxes = [[0.0, 0.0, 1.0, 1.0], [0.0, 0.1, 1.0, 1.1], [0.0, 2.0, 1.0, 3.0]]
        >>> engine.image.non_max_suppression(boxes, [0.9, 0.8, 0.7], 3).numpy()
        array([0, 2], dtype=int32)
    """
    return _run_nms(boxes, scores, max_output_size, iou_threshold, score_threshold, 0.0,
                    False)[0]


def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=float("-inf"), soft_nms_sigma=0.0,
                                    name=None):
    """Non-maximum suppression that also returns the picked scores; optionally Soft-NMS.

    With `soft_nms_sigma > 0`, overlapping boxes are not dropped but their scores decay by
    `exp(-iou^2 / (2 sigma))` (Bodla et al., 2017); `iou_threshold` is then not used (as
    TensorFlow's results show).

    Args:
        boxes: a float tensor `[num_boxes, 4]`.
        scores: a float tensor `[num_boxes]`.
        max_output_size: the most boxes to pick.
        iou_threshold: boxes with IoU above this with a picked box are dropped.
        score_threshold: boxes whose (decayed) score is at most this are dropped.
        soft_nms_sigma: the Soft-NMS width; 0 is plain NMS.

    Returns:
        A pair `(indices, scores)`.

    Example:
        >>> boxes = [[0.0, 0.0, 1.0, 1.0], [0.0, 2.0, 1.0, 3.0]]
        >>> engine.image.non_max_suppression_with_scores(boxes, [0.9, 0.7], 2)[1].numpy()
        array([0.9, 0.7], dtype=float32)
    """
    out = _run_nms(boxes, scores, max_output_size, iou_threshold, score_threshold,
                   soft_nms_sigma, False)
    return out[0], out[1]


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5,
                               score_threshold=float("-inf"), pad_to_max_output_size=False,
                               name=None, sorted_input=False, canonicalized_coordinates=False,
                               tile_size=512):
    """Non-maximum suppression of one set of boxes, padded with zeros to max_output_size.

    Only unbatched `[num_boxes, 4]` boxes are supported (TensorFlow also takes batches).

    Args:
        boxes: a float tensor `[num_boxes, 4]`.
        scores: a float tensor `[num_boxes]`.
        max_output_size: the most boxes to pick.
        iou_threshold: boxes with IoU above this with a picked box are dropped.
        score_threshold: boxes scoring at most this are never picked.
        pad_to_max_output_size: whether to pad the indices with zeros.
        sorted_input: ignored (the boxes are sorted here).
        canonicalized_coordinates: ignored (corners may come in any order).
        tile_size: ignored.

    Returns:
        A pair `(indices, valid_outputs)`: the indices and how many of them are real.

    Example:
        >>> boxes = [[0.0, 0.0, 1.0, 1.0], [0.0, 0.1, 1.0, 1.1]]
        >>> idx, n = engine.image.non_max_suppression_padded(boxes, [0.9, 0.8], 3, 0.5,
        ...                                                  pad_to_max_output_size=True)
        >>> idx.numpy(), n.numpy()
        (array([0, 0, 0], dtype=int32), np.int32(1))
    """
    out = _run_nms(boxes, scores, max_output_size, iou_threshold, score_threshold, 0.0,
                   pad_to_max_output_size)
    return out[0], out[2]
