"""TensorFlow 2's `tf.image` resizing: `resize`, `resize_with_pad` and `ResizeMethod`.

Resizing works one axis at a time, as TF's separable kernels do, with half-pixel centres:
output pixel `o` of `out` looks at input position `(o + 0.5) * in / out - 0.5` (computed in
float32, as TensorFlow does). Bilinear blends the two neighbours (clamped at the edges),
nearest takes `floor((o + 0.5) * in / out)`, bicubic four Keys-cubic taps (a = -0.5, outside
taps dropped and the rest renormalized), area averages the input cells that the output
cell's box `[o, o + 1) * in / out` overlaps. With `antialias`, downsampling widens the
bilinear (triangle) or bicubic kernel by `in / out` (TF's ScaleAndTranslate). The index and
weight tables of sizes known while tracing are computed once in NumPy and cached.

The image-argument helpers (`_image`, `_batched`, `_dims`, `_int_arg`, ...) and the zero
padding behind `pad_to_bounding_box` live here too; `image_ops` imports them from this module.
"""

from __future__ import annotations

import functools
import operator
import types

import numpy as np

from engine import dtypes as _dt
from engine.convert import tensor_or_variable
from engine.errors import DTypeError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.einsum_ops import einsum
from engine.ops.gather_ops import gather
from engine.ops.image_resize_kernels import KERNEL_METHODS, kernel_matrix
from engine.ops.manip_ops import pad
from engine.ops.reduce_ops import reduce_sum
from engine.ops.select_ops import where
from engine.ops.sequence_ops import range as _range
from engine.ops.shape_tensors import is_symbolic, known_int
from engine.tensor import Tensor

__all__ = ["ResizeMethod", "resize", "resize_with_pad"]


class ResizeMethod:
    """The names of `resize`'s methods (TF's `tf.image.ResizeMethod`); plain strings work too.

    Example:
        >>> engine.image.ResizeMethod.NEAREST_NEIGHBOR
        'nearest'
    """

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


_METHODS = ("bilinear", "nearest", "bicubic", "area", *KERNEL_METHODS)
_NOT_IMPLEMENTED = ()


# --- arguments (shared with image_ops) --------------------------------------------------------
def _image(op: str, image):
    """(image tensor, rank 3 or 4); rejects other ranks and empty images."""
    x = tensor_or_variable(image)
    shape = x.shape
    if shape.rank not in (3, 4):
        got = "an unknown rank" if shape.rank is None else f"shape {shape}"
        raise ShapeError(f"{op}: got an image of {got}; expected rank 3 (height, width, "
                         "channels) or 4 (batch, height, width, channels). Add or remove the "
                         "batch axis with engine.expand_dims / engine.squeeze.")
    if 0 in shape.as_list()[-3:]:
        raise ShapeError(f"{op}: got an image of shape {shape}; expected height, width and "
                         "channels > 0.")
    return x, shape.rank


def _batched(op: str, image):
    """(4-D image, whether the input was 4-D already)."""
    x, rank = _image(op, image)
    return (x, True) if rank == 4 else (_a.expand_dims(x, 0), False)


def _unbatch(x, batched: bool):
    return x if batched else _a.squeeze(x, [0])


def _dims(x) -> list:
    """x's sizes: ints where known while tracing, scalar int32 tensors elsewhere."""
    static = x.shape.as_list()
    if None not in static:
        return static
    dynamic = _a.shape(x)
    return [dynamic[i] if d is None else d for i, d in enumerate(static)]


def _int_arg(op: str, what: str, value):
    """An integer argument: a Python int, or a scalar int tensor known only when a graph runs."""
    if isinstance(value, Tensor) or hasattr(value, "_read"):
        value = tensor_or_variable(value)
        if not value.dtype.is_integer or value.shape.rank not in (0, None):
            raise DTypeError(f"{op}: got {what} of dtype {value.dtype.name} and shape "
                             f"{value.shape}; expected a scalar integer.")
        known = known_int(value) if is_symbolic(value) else int(value.numpy())
        return value if known is None else known
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{op}: got {what}={value!r}; expected an int.") from None


def _require(op: str, ok: bool, message: str) -> None:
    if not ok:
        raise ShapeError(f"{op}: {message}")


def _known(*values) -> bool:
    return all(isinstance(v, int) for v in values)


# --- zero padding: image_ops.pad_to_bounding_box, which resize_with_pad uses ------------------
def _box_args(op: str, names: tuple, values: tuple) -> list:
    return [_int_arg(op, n, v) for n, v in zip(names, values)]


def _pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """`image_ops.pad_to_bounding_box`: checks the box, then pads with zeros."""
    op = "pad_to_bounding_box"
    x, batched = _batched(op, image)
    oh, ow, th, tw = _box_args(op, ("offset_height", "offset_width", "target_height",
                                    "target_width"), (offset_height, offset_width,
                                                      target_height, target_width))
    _, h, w, _ = _dims(x)
    for what, v in (("offset_height", oh), ("offset_width", ow)):
        _require(op, not isinstance(v, int) or v >= 0, f"got {what}={v}; expected >= 0.")
    for what, size, offset, target in (("height", h, oh, th), ("width", w, ow, tw)):
        _require(op, not _known(size, offset, target) or offset + size <= target,
                 f"got target_{what}={target}; expected >= offset_{what} + {what} = "
                 f"{offset} + {size} (image shape {x.shape}).")
    paddings = [[0, 0], [oh, th - oh - h], [ow, tw - ow - w], [0, 0]]
    return _unbatch(pad(x, paddings), batched)


# --- resize: index and weight tables ----------------------------------------------------------
# The same formulas run on NumPy (sizes known now: computed once and cached) or on engine ops
# (sizes known only when a graph runs), in float32 as TensorFlow's kernels compute them.
_NP = types.SimpleNamespace(
    floor=np.floor, ceil=np.ceil, rint=np.rint, abs=np.abs, minimum=np.minimum,
    maximum=np.maximum, where=np.where, equal=np.equal, sin=np.sin, exp=np.exp,
    arange=lambda n: np.arange(n, dtype=np.float32), size=np.float32,
    index=lambda x: np.asarray(x, np.int32), weights=lambda x: np.asarray(x, np.float32),
    row_sums=lambda x: x.sum(axis=1, keepdims=True))
_OPS = types.SimpleNamespace(
    floor=_u.floor, ceil=_u.ceil, rint=_u.round, abs=_u.abs, minimum=_m.minimum,
    maximum=_m.maximum, where=where, equal=_m.equal, sin=_u.sin, exp=_u.exp,
    arange=lambda n: _m.cast(_range(n), _dt.float32),
    size=lambda n: _m.cast(n, _dt.float32), index=lambda x: _m.cast(x, _dt.int32),
    weights=lambda x: x, row_sums=lambda x: reduce_sum(x, 1, keepdims=True))


def _keys_cubic(m, x):
    """Keys' cubic convolution kernel with a = -0.5 (Catmull-Rom) at distances `x` >= 0."""
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return m.where(x < 1.0, near, m.where(x < 2.0, far, 0.0 * x))


def _taps(m, method: str, n_in, n_out) -> list:
    """One axis' `[(indices, weights), ...]`: output o = sum of weights[o] * x[indices[o]]
    (weights None for nearest)."""
    scale = m.size(n_in) / m.size(n_out)
    last = m.size(n_in - 1)
    if method == "nearest":
        return [(m.index(m.minimum(m.floor((m.arange(n_out) + 0.5) * scale), last)), None)]
    pos = (m.arange(n_out) + 0.5) * scale - 0.5
    base = m.floor(pos)
    if method == "bilinear":  # TF clamps the neighbours at the edges
        frac = pos - base
        return [(m.index(m.maximum(base, 0.0)), m.weights(1.0 - frac)),
                (m.index(m.minimum(m.ceil(pos), last)), m.weights(frac))]
    # TF's bicubic kernel reads the cubic from a table at offsets rounded to 1/1024.
    t = m.rint((pos - base) * 1024.0) / 1024.0
    taps, total = [], 0.0
    for j, distance in enumerate((1.0 + t, t, 1.0 - t, 2.0 - t)):
        at = base + (j - 1.0)
        inside = m.minimum(m.maximum(at, 0.0), last)
        weight = _keys_cubic(m, distance)
        weight = m.where(m.equal(inside, at), weight, 0.0 * weight)  # outside taps: 0
        taps.append((m.index(inside), weight))
        total = total + weight
    return [(index, m.weights(weight / total)) for index, weight in taps]


def _matrix(m, method: str, n_in, n_out):
    """The (out, in) weights of area resizing or of an antialiased (widened) kernel."""
    scale = m.size(n_in) / m.size(n_out)
    o, i = m.arange(n_out)[:, None], m.arange(n_in)[None, :]
    if method == "area":  # the overlap of input cell [i, i + 1) with box [o, o + 1) * scale
        overlap = m.minimum(i + 1.0, (o + 1.0) * scale) - m.maximum(i, o * scale)
        return m.weights(m.maximum(overlap, 0.0) / scale)
    widen = m.maximum(scale, 1.0)
    distance = m.abs(i + 0.5 - (o + 0.5) * scale) / widen
    kernel = (m.maximum(1.0 - distance, 0.0) if method == "bilinear"
              else _keys_cubic(m, distance))
    return m.weights(kernel / m.row_sums(kernel))


def _dense(method: str, antialias: bool, shrinks: bool) -> bool:
    """Whether an axis needs a dense matrix: area, or an antialiased kernel. (Upsampling,
    the triangle filter is bilinear interpolation exactly; TF's bicubic reads a table.)"""
    return method == "area" or (antialias and (method == "bicubic" or (
        method == "bilinear" and shrinks)))


# Up to this input size an axis resizes as a matmul with its (out, in) weights even where a
# few gathers would do: faster forward and much faster backward than gathers' segment sums.
_MATMUL_MAX_IN = 256


@functools.lru_cache(maxsize=256)
def _static_table(method: str, antialias: bool, n_in: int, n_out: int):
    """A cached ("matrix", weights) or ("taps", pairs) for sizes known while tracing."""
    if method in KERNEL_METHODS:
        return "matrix", kernel_matrix(_NP, method, antialias, n_in, n_out)
    if _dense(method, antialias, n_out < n_in):
        return "matrix", _matrix(_NP, method, n_in, n_out)
    taps = _taps(_NP, method, n_in, n_out)
    if method == "nearest" or n_in > _MATMUL_MAX_IN:
        return "taps", taps
    matrix = np.zeros((n_out, n_in), np.float32)
    for index, weight in taps:
        np.add.at(matrix, (np.arange(n_out), index), weight)
    return "matrix", matrix


def _resize_axis(x, axis: int, n_in, n_out, method: str, antialias: bool):
    """Resizes 4-D `x` along axis 1 or 2 from `n_in` to `n_out` (ints or scalar tensors)."""
    if _known(n_in, n_out):
        if n_in == n_out and method not in KERNEL_METHODS:
            return x  # these methods map pixel o to pixel o (the KERNEL_METHODS blur)
        kind, table = _static_table(method, antialias, n_in, n_out)
    elif method in KERNEL_METHODS:
        kind, table = "matrix", kernel_matrix(_OPS, method, antialias, n_in, n_out)
    elif _dense(method, antialias, True):
        kind, table = "matrix", _matrix(_OPS, method, n_in, n_out)
    else:
        kind, table = "taps", _taps(_OPS, method, n_in, n_out)
    if kind == "matrix":
        spec = "oh,nhwc->nowc" if axis == 1 else "ow,nhwc->nhoc"
        return einsum(spec, _m.cast(table, x.dtype), x)
    column = [-1] + [1] * (3 - axis)  # weights broadcast along the resized axis
    total = None
    for index, weight in table:
        term = gather(x, index, axis=axis)
        if weight is not None:
            term = term * _a.reshape(_m.cast(weight, x.dtype), column)
        total = term if total is None else total + term
    return total


def _check_method(method) -> str:
    name = str(getattr(method, "value", method)).lower()
    if name not in _METHODS:
        also = (f" ({name!r} is a TensorFlow method that eagerlab does not implement yet)"
                if name in _NOT_IMPLEMENTED else "")
        raise ValueError(f"resize: got method={method!r}{also}; expected one of "
                         f"{', '.join(repr(m) for m in _METHODS)} (or engine.image.ResizeMethod"
                         ".BILINEAR, ...).")
    return name


def _size_pair(op: str, size) -> list:
    if isinstance(size, Tensor) or hasattr(size, "_read"):
        size = tensor_or_variable(size)
        if size.shape.rank != 1 or size.shape[0] not in (2, None):
            raise ShapeError(f"{op}: got size of shape {size.shape}; expected a 1-D tensor of "
                             "2 elements: [new_height, new_width].")
        items = list(size.numpy()) if not is_symbolic(size) else [size[0], size[1]]
    else:
        items = list(size) if isinstance(size, (list, tuple, np.ndarray)) else [size]
        if len(items) != 2:
            raise ShapeError(f"{op}: got size={size!r}; expected 2 elements: [new_height, "
                             "new_width].")
    pair = [_int_arg(op, f"size[{k}]", v) for k, v in enumerate(items)]
    for k, v in enumerate(pair):
        _require(op, not isinstance(v, int) or v > 0,
                 f"got size[{k}]={v}; expected a positive output size.")
    return pair


def _fit_inside(h, w, out_h, out_w) -> list:
    """`preserve_aspect_ratio`: the largest (h, w) * scale that fits, rounded as TF does."""
    m = _NP if _known(h, w, out_h, out_w) else _OPS
    h_f, w_f = m.size(h), m.size(w)
    scale = m.minimum(m.size(out_h) / h_f, m.size(out_w) / w_f)
    sizes = [m.index(m.rint(scale * h_f)), m.index(m.rint(scale * w_f))]
    return [int(s) for s in sizes] if m is _NP else sizes


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """Resizes images to `size` with half-pixel centres (TF 2's `tf.image.resize`).

    Args:
        images: a 3-D `(h, w, c)` or 4-D `(batch, h, w, c)` image tensor.
        size: `[new_height, new_width]`: ints, scalar int tensors or a 1-D int tensor.
        method: 'bilinear', 'nearest', 'bicubic', 'area', 'lanczos3', 'lanczos5',
            'gaussian' or 'mitchellcubic' (or a `ResizeMethod` name).
        preserve_aspect_ratio: resize to the largest size within `size` of the same aspect.
        antialias: when downsampling, widen the filter (no effect on 'nearest', 'area' or
            upsampling).

    Returns:
        The resized images, float32 (the input's dtype for 'nearest').

    Raises:
        ShapeError: an image of rank other than 3 or 4, or a bad `size`.
        ValueError: an unknown or unimplemented method.

    Example:
        >>> image = engine.constant([[0.0, 4.0]])[..., None]  # (1, 2, 1)
        >>> engine.image.resize(image, [1, 4])[..., 0].numpy()
        array([[0., 1., 3., 4.]], dtype=float32)
    """
    method = _check_method(method)
    x, batched = _batched("resize", images)
    out_h, out_w = _size_pair("resize", size)
    _, h, w, _ = _dims(x)
    if preserve_aspect_ratio:
        out_h, out_w = _fit_inside(h, w, out_h, out_w)
    if method != "nearest":
        x = _m.cast(x, _dt.float32)
    x = _resize_axis(x, 1, h, out_h, method, bool(antialias))
    x = _resize_axis(x, 2, w, out_w, method, bool(antialias))
    return _unbatch(x, batched)


def resize_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR,
                    antialias=False):
    """Resizes to fit inside the target keeping the aspect ratio, then pads with zeros.

    Args:
        image: a 3-D or 4-D image tensor.
        target_height, target_width: the output size (ints or scalar int tensors).
        method: as in `resize`.
        antialias: as in `resize`.

    Returns:
        Float32 images of height `target_height` and width `target_width`.

    Example:
        >>> image = engine.ones([2, 4, 1])
        >>> engine.image.resize_with_pad(image, 4, 4)[..., 0].numpy()
        array([[0., 0., 0., 0.],
               [1., 1., 1., 1.],
               [1., 1., 1., 1.],
               [0., 0., 0., 0.]], dtype=float32)
    """
    op = "resize_with_pad"
    x, batched = _batched(op, image)
    target = [_int_arg(op, "target_height", target_height),
              _int_arg(op, "target_width", target_width)]
    for what, v in zip(("target_height", "target_width"), target):
        _require(op, not isinstance(v, int) or v > 0, f"got {what}={v}; expected > 0.")
    _, h, w, _ = _dims(x)
    m = _NP if _known(h, w, *target) else _OPS
    h_f, w_f, th_f, tw_f = (m.size(v) for v in (h, w, *target))
    ratio = m.maximum(w_f / tw_f, h_f / th_f)
    new_h, new_w = h_f / ratio, w_f / ratio
    sizes = [m.index(m.floor(new_h)), m.index(m.floor(new_w)),
             m.index(m.maximum(m.floor((th_f - new_h) / 2.0), 0.0)),
             m.index(m.maximum(m.floor((tw_f - new_w) / 2.0), 0.0))]
    if m is _NP:
        sizes = [int(s) for s in sizes]
    resized = resize(x, sizes[:2], method=method, antialias=antialias)
    return _unbatch(_pad_to_bounding_box(resized, sizes[2], sizes[3], *target), batched)
