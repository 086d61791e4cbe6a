"""More of `tf.nn`: `crelu`, `normalize_moments` and `max_pool_with_argmax`.

`crelu` and `normalize_moments` are composites. `max_pool_with_argmax` is one registered op,
`MaxPoolWithArgmax` (NHWC, a kernel written against `xp` that scans the window taps), whose
argmax is TensorFlow's flat index `((b * height + y) * width + x) * channels + c`, with the
`b * height` term only when `include_batch_in_index`. Its gradient routes each output
gradient to the input position its argmax names.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, ShapeError
from engine.ops import math_ops as _m
from engine.ops.activation_ops import relu
from engine.ops.array_ops import reshape
from engine.ops.conv_kernels import padding_amounts
from engine.ops.gather_ops import unsorted_segment_sum
from engine.ops.join_ops import concat
from engine.ops.unary_ops import negative, square
from engine.ops.window_attrs import spatial
from engine.registry import REAL, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["crelu", "normalize_moments", "max_pool_with_argmax"]


def crelu(features, axis=-1, name=None):
    """Concatenated ReLU: `concat([relu(x), relu(-x)], axis)`, doubling that axis.

    Args:
        features: a real tensor.
        axis: the axis to concatenate along.

    Returns:
        A tensor with `axis` twice as long.

    Example:
        >>> engine.nn.crelu([[1.0, -2.0]]).numpy()
        array([[1., 0., 0., 2.]], dtype=float32)
    """
    features = convert_to_tensor(features)
    return concat([relu(features), relu(negative(features))], axis=axis)


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """The mean and variance from sufficient statistics (sums, sums of squares, a shift).

    `mean = mean_ss / counts + shift` and `variance = variance_ss / counts - (mean_ss /
    counts)^2`, where the sums were taken of `x - shift` (shift None: 0).

    Args:
        counts: the number of values summed.
        mean_ss: the sum of the (shifted) values.
        variance_ss: the sum of their squares.
        shift: the shift subtracted before summing, or None.

    Returns:
        A pair `(mean, variance)`.

    Example:
        >>> mean, var = engine.nn.normalize_moments(4.0, [8.0, 4.0], [20.0, 24.0], None)
        >>> mean.numpy(), var.numpy()
        (array([2., 1.], dtype=float32), array([1., 5.], dtype=float32))
    """
    mean_ss = convert_to_tensor(mean_ss)
    variance_ss = convert_to_tensor(variance_ss, mean_ss.dtype)
    divisor = _m.divide(1.0, convert_to_tensor(counts, mean_ss.dtype))
    shifted_mean = _m.multiply(mean_ss, divisor)
    mean = shifted_mean if shift is None else _m.add(shifted_mean, shift)
    variance = _m.subtract(_m.multiply(variance_ss, divisor), square(shifted_mean))
    return mean, variance


# --- max_pool_with_argmax ---------------------------------------------------------------------
def _geometry(in_h, in_w, ksize, strides, padding):
    pads = [padding_amounts(size, k, s, 1, padding)
            for size, k, s in zip((in_h, in_w), ksize, strides)]
    outs = [(size + p[0] + p[1] - k) // s + 1
            for size, p, k, s in zip((in_h, in_w), pads, ksize, strides)]
    return pads, outs


def _mpwa_infer(x, ksize=(1, 1), strides=(1, 1), padding="VALID", Targmax=_dt.int64,
                include_batch_in_index=False):
    op = "max_pool_with_argmax"
    if x.dtype not in REAL:
        raise DTypeError(f"{op}: got input of dtype {x.dtype.name}; expected a real dtype. "
                         "Cast it with engine.cast(x, engine.float32).")
    if x.shape.rank is None:
        return TensorSpec(None, x.dtype), TensorSpec(None, _dt.as_dtype(Targmax))
    if x.shape.rank != 4:
        raise ShapeError(f"{op}: got input of shape {x.shape}; expected 4-D NHWC "
                         "[batch, height, width, channels].")
    n, h, w, c = x.shape.as_list()
    out_hw = [None, None]
    if h is not None and w is not None:
        _, out_hw = _geometry(h, w, ksize, strides, padding)
        if min(out_hw) < 1:
            raise ShapeError(f"{op}: got input of shape {x.shape}, ksize={list(ksize)} and "
                             f"padding={padding!r}; the window does not fit. Use padding='SAME'"
                             " or a smaller ksize.")
    shape = [n, *out_hw, c]
    return TensorSpec(shape, x.dtype), TensorSpec(shape, _dt.as_dtype(Targmax))


def _mpwa_kernel(xp, x, ksize=(1, 1), strides=(1, 1), padding="VALID", Targmax=_dt.int64,
                 include_batch_in_index=False):
    n, h, w, c = x.shape
    (top, _), (left, _) = _geometry(h, w, ksize, strides, padding)[0]
    out_h, out_w = _geometry(h, w, ksize, strides, padding)[1]
    best = xp.full((n, out_h, out_w, c), -xp.inf, dtype=np.float64)
    index = xp.zeros((n, out_h, out_w, c), dtype=np.int64)
    oy = xp.arange(out_h) * strides[0] - top  # (out_h,) the window's first input row
    ox = xp.arange(out_w) * strides[1] - left
    channel = xp.arange(c)
    for dy in range(ksize[0]):  # the taps in row-major order; ties keep the first, as TF
        for dx in range(ksize[1]):
            y, xx = oy + dy, ox + dx
            inside = ((y >= 0) & (y < h))[:, None] & ((xx >= 0) & (xx < w))[None, :]
            yc, xc = xp.clip(y, 0, h - 1), xp.clip(xx, 0, w - 1)
            values = x[:, yc][:, :, xc].astype(np.float64)  # (n, out_h, out_w, c)
            values = xp.where(inside[None, :, :, None], values, -xp.inf)
            flat = (yc[:, None] * w + xc[None, :])[None, :, :, None] * c + channel
            better = values > best
            best = xp.where(better, values, best)
            index = xp.where(better, flat, index)
    if include_batch_in_index:
        index = index + (xp.arange(n) * (h * w * c)).reshape((n, 1, 1, 1))
    out_type = np.dtype(_dt.as_dtype(Targmax)._np)
    return best.astype(x.dtype), index.astype(out_type)


def _mpwa_vjp(ctx, g, g_argmax=None):
    x = ctx.inputs[0]
    n, h, w, c = x.shape.as_list()
    index = _m.cast(ctx.outputs[1], _dt.int64)
    if not ctx.attrs["include_batch_in_index"]:
        batch = _m.cast(np.arange(n).reshape((n, 1, 1, 1)) * (h * w * c), _dt.int64)
        index = _m.add(index, batch)
    flat = unsorted_segment_sum(reshape(g, [-1]), reshape(index, [-1]), n * h * w * c)
    return (reshape(flat, [n, h, w, c]),)


_MPWA = register(OpDef(
    "max_pool_with_argmax", "MaxPoolWithArgmax", ("input",), _mpwa_infer, _mpwa_kernel,
    vjp=_mpwa_vjp, attrs={"ksize": (1, 1), "strides": (1, 1), "padding": "VALID",
                          "Targmax": _dt.int64, "include_batch_in_index": False},
    num_outputs=2, dtypes=REAL,
    doc="2-D max pooling (NHWC) that also returns the flat index of each maximum."))


def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC",  # noqa: A002
                         output_dtype=_dt.int64, include_batch_in_index=False, name=None):
    """2-D max pooling that also returns where each maximum came from.

    The argmax of an output is the flat index `(y * width + x) * channels + c` of its
    input (plus `b * height * width * channels` with `include_batch_in_index`); ties pick
    the first position in the window, scanning rows first.

    Args:
        input: a real NHWC tensor `[batch, height, width, channels]`.
        ksize: the window size: an int or a list of 1, 2 or 4 ints.
        strides: the window step, in the same forms.
        padding: "VALID" or "SAME".
        data_format: only "NHWC".
        output_dtype: the argmax dtype, int64 (TF's default) or int32.
        include_batch_in_index: whether the flat index includes the batch.

    Returns:
        A pair `(output, argmax)` of shape `[batch, out_height, out_width, channels]`.

    Raises:
        ShapeError: for a non-4-D input, bad sizes or another data_format.

    Example:
        >>> x = engine.reshape(engine.constant([1.0, 4.0, 3.0, 2.0]), [1, 2, 2, 1])
        >>> out, argmax = engine.nn.max_pool_with_argmax(x, 2, 2, "VALID")
        >>> out.numpy().ravel(), argmax.numpy().ravel()
        (array([4.], dtype=float32), array([1]))
    """
    op = "max_pool_with_argmax"
    if data_format != "NHWC":
        raise ShapeError(f"{op}: got data_format={data_format!r}; expected 'NHWC'. Transpose "
                         "the input with engine.transpose(x, [0, 2, 3, 1]).")
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ShapeError(f"{op}: got padding={padding!r}; expected 'SAME' or 'VALID'.")
    index_type = _dt.as_dtype(output_dtype)
    if index_type not in (_dt.int32, _dt.int64):
        raise ShapeError(f"{op}: got output_dtype={index_type.name}; expected int64 or int32.")
    attrs = {"ksize": spatial(op, "ksize", ksize, 2, False),
             "strides": spatial(op, "strides", strides, 2, False),
             "padding": padding.upper(), "Targmax": index_type,
             "include_batch_in_index": bool(include_batch_in_index)}
    return tuple(dispatch(_MPWA, (input,), attrs))
