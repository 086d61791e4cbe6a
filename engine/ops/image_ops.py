"""TensorFlow 2's `tf.image` geometry: flips, rotations, crops and pads.

Images are 3-D `(height, width, channels)` or 4-D `(batch, height, width, channels)`. Every
function is a composite of existing ops (reverses, transposes, slices, pads), so gradients,
tracing and GPUs come for free; sizes known only when a graph runs (an unknown batch, or
images of varying size in `Dataset.map`) are computed with ops instead of Python ints.
Resizing lives in `image_resize`, as do the argument helpers that both modules share.
"""

from __future__ import annotations

import functools

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor, tensor_or_variable
from engine.errors import ShapeError
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops.image_resize import (
    _batched,
    _box_args,
    _dims,
    _image,
    _int_arg,
    _known,
    _pad_to_bounding_box,
    _require,
    _unbatch,
)
from engine.ops.manip_ops import reverse
from engine.ops.random_ops import uniform
from engine.ops.select_ops import where
from engine.ops.shape_tensors import is_symbolic
from engine.ops.slicing_ops import slice as _slice
from engine.tensor import Tensor

__all__ = [
    "resize_with_crop_or_pad", "flip_left_right", "flip_up_down", "random_flip_left_right",
    "random_flip_up_down", "rot90", "transpose", "crop_to_bounding_box", "pad_to_bounding_box",
    "central_crop", "random_crop",
]


# --- arguments (the shared helpers are in image_resize) ---------------------------------------
def _max(a, b):
    return max(a, b) if isinstance(a, int) and isinstance(b, int) else _m.maximum(a, b)


def _min(a, b):
    return min(a, b) if isinstance(a, int) and isinstance(b, int) else _m.minimum(a, b)


# --- flips, rotations, transposes -------------------------------------------------------------
def flip_left_right(image):
    """Reverses the width axis (a mirror image).

    Args:
        image: a 3-D or 4-D image tensor.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.image.flip_left_right(engine.constant([[[1], [2], [3]]]))[..., 0].numpy()
        array([[3, 2, 1]], dtype=int32)
    """
    x, rank = _image("flip_left_right", image)
    return reverse(x, [rank - 2])


def flip_up_down(image):
    """Reverses the height axis (upside down).

    Args:
        image: a 3-D or 4-D image tensor.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.image.flip_up_down(engine.constant([[[1]], [[2]]]))[..., 0].numpy()
        array([[2],
               [1]], dtype=int32)
    """
    x, rank = _image("flip_up_down", image)
    return reverse(x, [rank - 3])


def _random_flip(op: str, image, axis: int, seed):
    x, rank = _image(op, image)
    flipped = reverse(x, [axis + rank - 3])
    if rank == 3:
        return where(uniform([], seed=seed) < 0.5, flipped, x)
    draws = uniform([_dims(x)[0]], seed=seed)  # one coin per image of the batch
    return where(_a.reshape(draws < 0.5, [-1, 1, 1, 1]), flipped, x)


def random_flip_left_right(image, seed=None):
    """Flips each image left to right with probability 1/2.

    Args:
        image: a 3-D image, or a 4-D batch (each image decides on its own).
        seed: the op seed (TF's seed rules, see `engine.random.set_seed`), or None.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> image = engine.constant([[[1.0], [2.0]]])
        >>> out = engine.image.random_flip_left_right(image, seed=1)[..., 0].numpy()
        >>> out.tolist() in ([[1.0, 2.0]], [[2.0, 1.0]])
        True
    """
    return _random_flip("random_flip_left_right", image, 1, seed)


def random_flip_up_down(image, seed=None):
    """Flips each image upside down with probability 1/2.

    Args:
        image: a 3-D image, or a 4-D batch (each image decides on its own).
        seed: the op seed, or None.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> image = engine.constant([[[1.0]], [[2.0]]])
        >>> out = engine.image.random_flip_up_down(image, seed=1)[..., 0].numpy()
        >>> out.ravel().tolist() in ([1.0, 2.0], [2.0, 1.0])
        True
    """
    return _random_flip("random_flip_up_down", image, 0, seed)


def _rotate(x, rank: int, quarter: int):
    """`x` turned counter-clockwise by `quarter` (0..3) quarter turns."""
    h, w = rank - 3, rank - 2
    perm = list(range(rank))
    perm[h], perm[w] = w, h
    if quarter == 0:
        return x
    if quarter == 2:
        return reverse(x, [h, w])
    if quarter == 1:
        return _a.transpose(reverse(x, [w]), perm)
    return reverse(_a.transpose(x, perm), [w])


def rot90(image, k=1, name=None):
    """Rotates images counter-clockwise by `k` quarter turns.

    Args:
        image: a 3-D or 4-D image tensor.
        k: the number of quarter turns (any int; a scalar int tensor works inside
            `engine.function`, where the height and width then become unknown).

    Returns:
        The rotated images (height and width swap for odd `k`).

    Example:
        >>> image = engine.constant([[1, 2], [3, 4]])[..., None]
        >>> engine.image.rot90(image)[..., 0].numpy()
        array([[2, 4],
               [1, 3]], dtype=int32)
    """
    x, rank = _image("rot90", image)
    k = _int_arg("rot90", "k", k)
    if isinstance(k, int):
        return _rotate(x, rank, k % 4)
    from engine.graph.control_flow import switch_case  # noqa: PLC0415 - graph sits above ops

    turns = [functools.partial(_rotate, x, rank, q) for q in range(4)]
    return switch_case(_m.floormod(_m.cast(k, _dt.int32), 4), turns)


def transpose(image, name=None):
    """Swaps the height and width axes of images.

    Args:
        image: a 3-D or 4-D image tensor.

    Returns:
        A tensor of shape `(w, h, c)` or `(batch, w, h, c)`.

    Example:
        >>> image = engine.constant([[1, 2, 3]])[..., None]
        >>> engine.image.transpose(image).shape
        TensorShape([3, 1, 1])
    """
    x, rank = _image("transpose", image)
    return _a.transpose(x, [1, 0, 2] if rank == 3 else [0, 2, 1, 3])


# --- crops and pads ---------------------------------------------------------------------------
def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Crops the box of `target_height x target_width` pixels at `(offset_height, offset_width)`.

    Args:
        image: a 3-D or 4-D image tensor.
        offset_height, offset_width: the box's top-left corner (ints or scalar int tensors).
        target_height, target_width: the box's size.

    Returns:
        The cropped images.

    Raises:
        ShapeError: a box with a negative offset, an empty size, or not inside the image.

    Example:
        >>> image = engine.reshape(engine.range(9), [3, 3, 1])
        >>> engine.image.crop_to_bounding_box(image, 1, 0, 2, 2)[..., 0].numpy()
        array([[3, 4],
               [6, 7]], dtype=int32)
    """
    op = "crop_to_bounding_box"
    x, batched = _batched(op, image)
    oh, ow, th, tw = _box_args(op, ("offset_height", "offset_width", "target_height",
                                    "target_width"), (offset_height, offset_width,
                                                      target_height, target_width))
    _, h, w, _ = _dims(x)
    for what, v, low in (("offset_height", oh, 0), ("offset_width", ow, 0),
                         ("target_height", th, 1), ("target_width", tw, 1)):
        _require(op, not isinstance(v, int) or v >= low, f"got {what}={v}; expected >= {low}.")
    for what, size, offset, target in (("height", h, oh, th), ("width", w, ow, tw)):
        _require(op, not _known(size, offset, target) or offset + target <= size,
                 f"the box's {what} range [{offset}, {offset} + {target}) does not fit the "
                 f"image of {what} {size} (shape {x.shape}); expected offset_{what} + "
                 f"target_{what} <= {size}.")
    return _unbatch(_slice(x, [0, oh, ow, 0], [-1, th, tw, -1]), batched)


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Pads images with zeros to `target_height x target_width`, placed at the offsets.

    Args:
        image: a 3-D or 4-D image tensor.
        offset_height, offset_width: the rows and columns of zeros above and left of the image.
        target_height, target_width: the output size.

    Returns:
        The padded images.

    Raises:
        ShapeError: a negative offset, or a target smaller than offset plus image size.

    Example:
        >>> image = engine.ones([1, 1, 1])
        >>> engine.image.pad_to_bounding_box(image, 1, 0, 2, 2)[..., 0].numpy()
        array([[0., 0.],
               [1., 0.]], dtype=float32)
    """
    return _pad_to_bounding_box(image, offset_height, offset_width, target_height,
                                target_width)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Crops (centrally) or pads (with zeros, centrally) images to the target size.

    Args:
        image: a 3-D or 4-D image tensor.
        target_height, target_width: the output size (ints or scalar int tensors, > 0).

    Returns:
        Images of the target size, same dtype.

    Example:
        >>> image = engine.reshape(engine.range(1, 5), [1, 4, 1])
        >>> engine.image.resize_with_crop_or_pad(image, 3, 2)[..., 0].numpy()
        array([[0, 0],
               [2, 3],
               [0, 0]], dtype=int32)
    """
    op = "resize_with_crop_or_pad"
    x, batched = _batched(op, image)
    th, tw = _box_args(op, ("target_height", "target_width"), (target_height, target_width))
    for what, v in (("target_height", th), ("target_width", tw)):
        _require(op, not isinstance(v, int) or v > 0, f"got {what}={v}; expected > 0.")
    _, h, w, _ = _dims(x)
    crop, place = [], []
    for size, target in ((h, th), (w, tw)):
        diff = target - size
        crop.append(_max(-diff // 2, 0))
        place.append(_max(diff // 2, 0))
    cropped = crop_to_bounding_box(x, crop[0], crop[1], _min(th, h), _min(tw, w))
    return _unbatch(pad_to_bounding_box(cropped, place[0], place[1], th, tw), batched)


def central_crop(image, central_fraction):
    """Keeps the central `central_fraction` of each image's height and width.

    Args:
        image: a 3-D or 4-D image tensor.
        central_fraction: a number in (0, 1]; 1 returns the image unchanged.

    Returns:
        The cropped images.

    Raises:
        ValueError: a fraction outside (0, 1].

    Example:
        >>> image = engine.reshape(engine.range(16), [4, 4, 1])
        >>> engine.image.central_crop(image, 0.5)[..., 0].numpy()
        array([[ 5,  6],
               [ 9, 10]], dtype=int32)
    """
    x, batched = _batched("central_crop", image)
    fraction = central_fraction
    if not is_symbolic(fraction):
        fraction = float(np.asarray(fraction))
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"central_crop: got central_fraction={central_fraction!r}; "
                             "expected a number in (0, 1].")
        if fraction == 1.0:
            return tensor_or_variable(image)
    starts, sizes = [], []
    for size in _dims(x)[1:3]:
        if isinstance(size, int) and isinstance(fraction, float):
            start = int((size - size * fraction) / 2)
        else:  # TF computes the start in float64 when a size is known only at run time
            size_f = _m.cast(size, _dt.float64)
            start = _m.cast((size_f - size_f * _m.cast(fraction, _dt.float64)) / 2, _dt.int32)
        starts.append(start)
        sizes.append(size - 2 * start)
    return _unbatch(_slice(x, [0, *starts, 0], [-1, *sizes, -1]), batched)


def random_crop(value, size, seed=None, name=None):
    """Crops a random slice of shape `size` from a tensor of any rank (uniform offsets).

    Args:
        value: the tensor to crop.
        size: the slice's shape, one entry per dimension (ints or scalar int tensors, or a
            1-D int tensor), each at most `value`'s size.
        seed: the op seed (TF's seed rules), or None.

    Returns:
        A tensor of shape `size` and `value`'s dtype.

    Raises:
        ShapeError: `size` of the wrong length, or larger than `value`.

    Example:
        >>> image = engine.zeros([8, 8, 3])
        >>> engine.image.random_crop(image, [4, 4, 3], seed=1).shape
        TensorShape([4, 4, 3])
    """
    op = "random_crop"
    x = tensor_or_variable(value)
    rank = x.shape.rank
    if isinstance(size, Tensor) and is_symbolic(size):
        items = [size[k] for k in range(size.shape[0] or 0)]
    else:
        items = list(size.numpy() if isinstance(size, Tensor) else size)
    if rank is None or len(items) != rank:
        raise ShapeError(f"{op}: got size={items!r} for value of shape {x.shape}; expected "
                         "one entry per dimension of value (of known rank).")
    sizes = [_int_arg(op, f"size[{k}]", v) for k, v in enumerate(items)]
    dims = _dims(x)
    _require(op, not _known(*dims, *sizes) or all(0 <= s <= d for s, d in zip(sizes, dims)),
             f"got size {sizes} for value of shape {x.shape}; expected 0 <= size <= "
             "value.shape in every dimension.")
    limits = [d - s + 1 for d, s in zip(dims, sizes)]
    draws = uniform([rank], maxval=_dt.int32.max, dtype=_dt.int32, seed=seed)
    limits = [_m.cast(v, _dt.int32) if isinstance(v, Tensor) else v for v in limits]
    return _slice(x, _m.floormod(draws, convert_to_tensor(limits, _dt.int32)), sizes)
