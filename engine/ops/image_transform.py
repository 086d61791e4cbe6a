"""Projective image transforms: TensorFlow's raw op `ImageProjectiveTransformV3`.

Each image of a batch has a row of 8 numbers `[a0, a1, a2, b0, b1, b2, c0, c1]`. They map
an output pixel `(x, y)` (x the column, y the row, pixel centres at integers) to the input
point

    x_in = (a0 x + a1 y + a2) / k,   y_in = (b0 x + b1 y + b2) / k,   k = c0 x + c1 y + 1,

so the row describes the inverse of the geometric change: `[1, 0, -dx, 0, 1, -dy, 0, 0]`
moves the picture right by dx and down by dy. Points with k == 0 get `fill_value`.

Where the point falls outside the image, `fill_mode` moves it back (as TensorFlow does):
REFLECT mirrors about the edges (`d c b a | a b c d | d c b a`), WRAP tiles the image,
with TensorFlow's formula (which shifts by whole periods only up to about twice the size),
NEAREST clamps to the edge, and CONSTANT leaves it, so that it reads `fill_value`. Then
NEAREST interpolation reads the pixel at the rounded point (halves round away from zero),
and BILINEAR blends the four neighbours; a neighbour outside the image counts as
`fill_value`. Integer images are interpolated in float32 and cast back (truncating).

The kernel is one vectorized gather over the whole batch, written against `xp`, so it runs
on NumPy and CuPy. There is no gradient rule: tapes do not record the op (TensorFlow's rule
for images is an approximation, and none exists for the transforms).
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.registry import OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["projective_transform"]

_IMAGE_DTYPES = frozenset(d for d in (_dt.uint8, _dt.int32, _dt.int64, _dt.float16,
                                      _dt.bfloat16, _dt.float32, _dt.float64) if d)
_TRANSFORM_DTYPES = frozenset((_dt.float32, _dt.float64))
FILL_MODES = ("REFLECT", "WRAP", "CONSTANT", "NEAREST")
INTERPOLATIONS = ("NEAREST", "BILINEAR")
_OP = "ImageProjectiveTransformV3"


# --- shape and dtype inference ----------------------------------------------------------------
def _check_attrs(output_shape, interpolation, fill_mode, dynamic: bool) -> None:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{_OP}: got interpolation={interpolation!r}; expected one of "
                         f"{', '.join(repr(m) for m in INTERPOLATIONS)} (upper case).")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"{_OP}: got fill_mode={fill_mode!r}; expected one of "
                         f"{', '.join(repr(m) for m in FILL_MODES)} (upper case).")
    if dynamic:
        return
    if (not isinstance(output_shape, (tuple, list)) or len(output_shape) != 2
            or not all(isinstance(s, int) and s > 0 for s in output_shape)):
        raise ShapeError(f"{_OP}: got output_shape={output_shape!r}; expected two positive "
                         "ints [new_height, new_width].")


def _transform_infer(images, transforms, fill_value, *shape_input, output_shape=None,
                     interpolation="BILINEAR", fill_mode="CONSTANT"):
    _inf.check_dtype(_OP, images, _IMAGE_DTYPES, "images")
    _inf.check_dtype(_OP, transforms, _TRANSFORM_DTYPES, "transforms")
    _inf.check_dtype(_OP, fill_value, _TRANSFORM_DTYPES, "fill_value")
    _check_attrs(output_shape, interpolation, fill_mode, bool(shape_input))
    if images.shape.rank not in (None, 4):
        raise ShapeError(f"{_OP}: got images of shape {images.shape}; expected rank 4 (batch, "
                         "height, width, channels). Add a batch axis with engine.expand_dims.")
    if transforms.shape.rank is not None and (
            transforms.shape.rank != 2 or transforms.shape.as_list()[-1] not in (8, None)):
        raise ShapeError(f"{_OP}: got transforms of shape {transforms.shape}; expected "
                         "(batch, 8) or (1, 8).")
    if fill_value.shape.rank not in (None, 0):
        raise ShapeError(f"{_OP}: got fill_value of shape {fill_value.shape}; expected a "
                         "scalar.")
    dims = images.shape.as_list() if images.shape.rank is not None else [None] * 4
    if transforms.shape.rank == 2:
        count, batch = transforms.shape[0], dims[0]
        if None not in (count, batch) and count not in (1, batch):
            raise ShapeError(f"{_OP}: got {count} transforms for a batch of {batch} images; "
                             "expected one per image, or one for all.")
    if shape_input:
        size = shape_input[0]
        if size.dtype not in (_dt.int32, _dt.int64) or size.shape.rank not in (None, 1):
            raise ShapeError(f"{_OP}: output_shape is a {size.dtype.name} tensor of shape "
                             f"{size.shape}; expected 2 int32 values.")
        height = width = None
    else:
        height, width = output_shape
    return TensorSpec([dims[0], height, width, dims[3]], images.dtype)


# --- the kernel -------------------------------------------------------------------------------
def _reflect(xp, coord, size: int):
    # Mirror about -0.5 and size - 0.5: a period of 2 * size.
    if size <= 1:
        return xp.zeros_like(coord)
    t = xp.mod(coord + 0.5, 2.0 * size)
    return xp.where(t < size, t, 2.0 * size - t) - 0.5


def _wrap(xp, coord, size: int):
    # TensorFlow's formula, which divides by size - 1 but shifts by size.
    if size <= 1:
        return xp.zeros_like(coord)
    span = size - 1
    low = coord + size * (xp.trunc(-coord / span) + 1)
    high = coord - size * xp.trunc(coord / span)
    return xp.where(coord < 0, low, xp.where(coord > size - 1, high, coord))


def _map_coordinate(xp, coord, size: int, fill_mode: str):
    if fill_mode == "CONSTANT":
        return coord
    if fill_mode == "REFLECT":
        coord = _reflect(xp, coord, size)
    elif fill_mode == "WRAP":
        coord = _wrap(xp, coord, size)
    return xp.clip(coord, 0.0, size - 1.0)


def _round_half_away(xp, v):
    return xp.sign(v) * xp.floor(xp.abs(v) + 0.5)


def _transform_kernel(xp, images, transforms, fill_value, *shape_input, output_shape=None,
                      interpolation="BILINEAR", fill_mode="CONSTANT"):
    if shape_input:
        output_shape = [int(v) for v in shape_input[0].reshape(-1).tolist()]
        if len(output_shape) != 2 or min(output_shape) <= 0:
            raise InvalidArgumentError(f"{_OP}: output_shape is {output_shape} when the graph "
                                       "runs; expected two positive sizes.", op=_OP)
    if images.ndim != 4 or transforms.ndim != 2 or transforms.shape[1] != 8:
        raise ValueError(f"{_OP}: bad images or transforms")  # `infer` explains which
    batch, height, width, _ = images.shape
    if transforms.shape[0] not in (1, batch):
        raise InvalidArgumentError(f"{_OP}: got {transforms.shape[0]} transforms for a batch "
                                   f"of {batch} images; expected one per image, or one for "
                                   "all.", op=_OP)
    out_h, out_w = output_shape
    coord_dtype = transforms.dtype
    y = xp.arange(out_h, dtype=coord_dtype).reshape(1, out_h, 1)
    x = xp.arange(out_w, dtype=coord_dtype).reshape(1, 1, out_w)
    a0, a1, a2, b0, b1, b2, c0, c1 = (transforms[:, k].reshape(-1, 1, 1) for k in range(8))
    k = c0 * x + c1 * y + 1.0  # (batch or 1, out_h, out_w)
    valid_k = k != 0
    safe_k = xp.where(valid_k, k, 1.0)
    in_x = (a0 * x + a1 * y + a2) / safe_k
    in_y = (b0 * x + b1 * y + b2) / safe_k
    usable = valid_k & xp.isfinite(in_x) & xp.isfinite(in_y)
    in_x = _map_coordinate(xp, xp.where(usable, in_x, -2.0), width, fill_mode)
    in_y = _map_coordinate(xp, xp.where(usable, in_y, -2.0), height, fill_mode)
    in_x, in_y = (xp.broadcast_to(v, (batch, out_h, out_w)) for v in (in_x, in_y))
    usable = xp.broadcast_to(usable, (batch, out_h, out_w))
    work = xp.float64 if images.dtype == xp.float64 else xp.float32
    fill = xp.asarray(fill_value, dtype=work)
    n = xp.arange(batch).reshape(-1, 1, 1)

    def read(row, col):  # (batch, out_h, out_w) float indices -> (batch, out_h, out_w, c)
        inside = usable & (row >= 0) & (row <= height - 1) & (col >= 0) & (col <= width - 1)
        r = xp.clip(row, 0, height - 1).astype(xp.int64)
        c = xp.clip(col, 0, width - 1).astype(xp.int64)
        return xp.where(inside[..., None], images[n, r, c].astype(work), fill)

    if interpolation == "NEAREST":
        out = read(_round_half_away(xp, in_y), _round_half_away(xp, in_x))
    else:
        y0, x0 = xp.floor(in_y), xp.floor(in_x)
        wy, wx = (in_y - y0).astype(work)[..., None], (in_x - x0).astype(work)[..., None]
        top = (1 - wx) * read(y0, x0) + wx * read(y0, x0 + 1)
        bottom = (1 - wx) * read(y0 + 1, x0) + wx * read(y0 + 1, x0 + 1)
        out = (1 - wy) * top + wy * bottom
        out = xp.where(usable[..., None], out, fill)
    return out.astype(images.dtype)


_TRANSFORM = register(OpDef(
    "image_projective_transform_v3", _OP, ("images", "transforms", "fill_value"),
    _transform_infer, _transform_kernel, vjp=None,
    attrs={"output_shape": None, "interpolation": "BILINEAR", "fill_mode": "CONSTANT"},
    same_dtype=(),
    doc="Applies a projective transform per image (rows [a0, a1, a2, b0, b1, b2, c0, c1] map "
        "output to input points), filling per fill_mode. An output_shape known only when a "
        "graph runs is a fourth input (2 int32 values); the output_shape attr is then None."))


# --- the public function ----------------------------------------------------------------------
def _output_shape(images, output_shape):
    """(attr, extra inputs): static sizes as an attr, sizes known at run time as an input."""
    if output_shape is None:
        static = images.shape.as_list()[1:3]
        if None not in static:
            return tuple(static), ()
        return None, (_a.shape(images)[1:3],)
    if isinstance(output_shape, Tensor):
        from engine.ops.shape_tensors import is_symbolic  # noqa: PLC0415

        if is_symbolic(output_shape):
            return None, (_m.cast(output_shape, _dt.int32),)
        output_shape = output_shape.numpy().tolist()
    return tuple(int(v) for v in output_shape), ()


def projective_transform(images, transforms, fill_mode="reflect", fill_value=0.0,
                         interpolation="bilinear", output_shape=None):
    """Applies one projective transform per image (Keras 2's preprocessing `transform`).

    Args:
        images: a 4-D `(batch, height, width, channels)` image tensor.
        transforms: `(batch, 8)` or `(1, 8)` float32 rows `[a0, a1, a2, b0, b1, b2, c0, c1]`
            that map each output pixel to the input point it reads (see the module's
            docstring).
        fill_mode: 'reflect', 'wrap', 'constant' or 'nearest' (either case).
        fill_value: the value of points outside the image with 'constant'.
        interpolation: 'bilinear' or 'nearest' (either case).
        output_shape: `[height, width]` of the output (default: the input's).

    Returns:
        The transformed images, with the dtype of `images`.

    Raises:
        ShapeError / DTypeError / ValueError: bad images, transforms or modes.

    Example:
        >>> image = engine.reshape(engine.range(4.0), [1, 1, 4, 1])
        >>> shift_right = [[1.0, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0]]
        >>> engine.ops.image_transform.projective_transform(
        ...     image, shift_right, fill_mode="constant")[0, 0, :, 0].numpy()
        array([0., 0., 1., 2.], dtype=float32)
    """
    images = convert_to_tensor(images)
    transforms = convert_to_tensor(transforms, _dt.float32)
    fill = convert_to_tensor(fill_value, _dt.float32)
    attr, extra = _output_shape(images, output_shape)
    attrs = {"output_shape": attr, "interpolation": str(interpolation).upper(),
             "fill_mode": str(fill_mode).upper()}
    return dispatch(_TRANSFORM, (images, transforms, fill) + extra, attrs)
