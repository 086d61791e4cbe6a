"""Small TensorFlow 2 functions: top-level, `engine.math` and `engine.nn` ones.

`timestamp`, `realdiv`, `bitcast`; `engine.math` special functions (`angle`, `lbeta`,
`nextafter`, the modified Bessel functions `bessel_i0`, `bessel_i0e`, `bessel_i1`,
`bessel_i1e`) and `engine.nn` convolution aliases (`conv_transpose`, `atrous_conv2d`,
`atrous_conv2d_transpose`).

Registered ops: `Bitcast`, `NextAfter` (no gradients, as in TensorFlow) and `BesselI0e`,
`BesselI1e`, computed in float64 with NumPy only: the power series for |x| <= 30 (all terms
positive, so no cancellation) and the asymptotic expansion of `I_n(x) exp(-x)` beyond (its
smallest term there is ~1e-26). `bessel_i0` and `bessel_i1` are `exp(|x|)` times those.
"""

from __future__ import annotations

import math
import time

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor, tensor_or_variable
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import conv3d_ops as _c3
from engine.ops import conv_ops as _c
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.fill_ops import ones_like, zeros_like
from engine.ops.reduce_ops import reduce_sum
from engine.ops.select_ops import where
from engine.ops.special_ops import lgamma
from engine.registry import FLOAT, OpDef, register
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["timestamp", "realdiv", "bitcast", "angle", "lbeta", "nextafter", "bessel_i0",
           "bessel_i0e", "bessel_i1", "bessel_i1e", "conv_transpose", "atrous_conv2d",
           "atrous_conv2d_transpose"]

_BITCAST_DTYPES = frozenset(d for d in (
    _dt.bfloat16, _dt.float16, _dt.float32, _dt.float64, _dt.int8, _dt.int16, _dt.int32,
    _dt.int64, _dt.uint8, _dt.uint16, _dt.uint32, _dt.uint64, _dt.complex64, _dt.complex128) if d)




# --- timestamp, realdiv --------------------------------------------------------------------
def timestamp(name=None):
    """The current time in seconds since the epoch, as a float64 scalar.

    Inside `engine.function` it is read each time the graph runs, not while tracing.

    Args:
        name: ignored.

    Returns:
        A float64 scalar tensor.

    Example:
        >>> float(engine.timestamp()) > 1.5e9
        True
    """
    from engine.graph.runtime_ops import py_function  # noqa: PLC0415 - graph sits above ops

    now = py_function(lambda: np.float64(time.time()), [], _dt.float64)
    return _a.reshape(now, [])  # a static scalar shape for the graph


def realdiv(x, y, name=None):
    """`x / y` for floating or complex tensors (raw op `RealDiv`); integers are refused.

    Args:
        x: a floating or complex tensor.
        y: a tensor of `x`'s dtype (broadcasts).
        name: ignored.

    Returns:
        `x / y`.

    Raises:
        DTypeError: for integer or bool inputs (use `engine.math.truediv` or `floordiv`).

    Example:
        >>> engine.realdiv(engine.constant([3.0, 1.0]), 2.0).numpy()
        array([1.5, 0.5], dtype=float32)
    """
    x = tensor_or_variable(x)
    y = y if hasattr(y, "dtype") and hasattr(y, "shape") else convert_to_tensor(
        y, dtype=x.dtype if x.dtype.is_floating or x.dtype.is_complex else None)
    for arg, value in (("x", x), ("y", y)):
        if not (value.dtype.is_floating or value.dtype.is_complex):
            raise DTypeError(f"realdiv: got {arg} of dtype {value.dtype.name}; expected a "
                             "floating or complex tensor. Use engine.math.truediv for integers "
                             "(it divides in floating point) or engine.math.floordiv.")
    return _m.divide(x, y)


# --- bitcast -------------------------------------------------------------------------------
def _bitcast_infer(x: TensorSpec, type):
    out = _dt.as_dtype(type)
    for what, dtype in (("input", x.dtype), ("type", out)):
        if dtype not in _BITCAST_DTYPES:
            raise DTypeError(f"bitcast: got {what} dtype {dtype.name}; expected a numeric dtype "
                             "(not bool or string).")
    if x.shape.rank is None:
        return TensorSpec(None, out)
    dims = list(x.shape.as_list())
    if x.dtype.size > out.size:
        return TensorSpec(dims + [x.dtype.size // out.size], out)
    if x.dtype.size < out.size:
        ratio = out.size // x.dtype.size
        if not dims or (dims[-1] is not None and dims[-1] != ratio):
            raise InvalidArgumentError(
                f"bitcast: got an input of shape {x.shape} and dtype {x.dtype.name}; casting to "
                f"{out.name} needs its last dimension to be {ratio} (the size ratio). Reshape "
                f"it to [..., {ratio}].")
        return TensorSpec(dims[:-1], out)
    return TensorSpec(dims, out)


def _bitcast_kernel(xp, x, type):
    out = _dt.as_dtype(type)
    flat = xp.ascontiguousarray(x).reshape(-1).view(out._np)
    shape = x.shape
    if x.dtype.itemsize > out.size:
        return flat.reshape(shape + (x.dtype.itemsize // out.size,))
    if x.dtype.itemsize < out.size:
        return flat.reshape(shape[:-1])
    return flat.reshape(shape)


_BITCAST = register(OpDef("bitcast", "Bitcast", ("input",), _bitcast_infer, _bitcast_kernel,
                          attrs={"type": "float32"}, dtypes=_BITCAST_DTYPES,
                          doc="Reinterprets a tensor's bytes as another dtype."))


def bitcast(input, type, name=None):
    """Reinterprets the bytes of `input` as dtype `type`, without copying values over.

    Equal item sizes keep the shape. Casting to a smaller type adds a last dimension of
    `input_size / type_size`; casting to a larger one needs that last dimension and drops it.

    Args:
        input: a numeric tensor (not bool or string).
        type: the numeric dtype to read the bytes as.
        name: ignored.

    Returns:
        A tensor of dtype `type`.

    Raises:
        InvalidArgumentError: when casting to a larger type and the last dimension is not the
            size ratio.

    Example:
        >>> engine.bitcast(engine.constant([1.0], engine.float32), engine.uint8).numpy()
        array([[  0,   0, 128,  63]], dtype=uint8)
    """
    return dispatch(_BITCAST, (input,), {"type": _dt.as_dtype(type).name})


# --- engine.math: angle, lbeta, nextafter --------------------------------------------------
def angle(input, name=None):
    """The argument (phase) of each element: `atan2(imag, real)`.

    For real input: pi where the value is negative and 0 elsewhere.

    Args:
        input: a floating or complex tensor.
        name: ignored.

    Returns:
        A real floating tensor (float32 for complex64, float64 for complex128).

    Example:
        >>> engine.math.angle(engine.constant([1j, -1 + 0j, 1 + 1j])).numpy().round(4)
        array([1.5708, 3.1416, 0.7854])
    """
    x = tensor_or_variable(input)
    if x.dtype.is_complex:
        return _m.atan2(_m.imag(x), _m.real(x))
    if not x.dtype.is_floating:
        raise DTypeError(f"angle: got a tensor of dtype {x.dtype.name}; expected a floating or "
                         "complex tensor. Cast it with engine.cast.")
    return where(_m.less(x, 0), math.pi * ones_like(x), zeros_like(x))


def lbeta(x, name=None):
    """`log(|Beta(x)|)` along the last dimension: `sum(lgamma(x)) - lgamma(sum(x))`.

    Args:
        x: a floating tensor of rank >= 1; each row along the last dimension is one argument.
        name: ignored.

    Returns:
        A tensor of `x`'s shape without its last dimension.

    Example:
        >>> engine.math.lbeta(engine.constant([[1.0, 1.0], [2.0, 3.0]])).numpy().round(4)
        array([ 0.    , -2.4849], dtype=float32)
    """
    x = tensor_or_variable(x)
    if x.shape.rank == 0:
        raise ShapeError("lbeta: got a scalar; expected a tensor of rank >= 1 (the Beta "
                         "function's arguments along the last dimension).")
    return _m.subtract(reduce_sum(lgamma(x), axis=-1), lgamma(reduce_sum(x, axis=-1)))


_NEXTAFTER_DTYPES = frozenset((_dt.float32, _dt.float64))
_NEXTAFTER = register(OpDef("nextafter", "NextAfter", ("x1", "x2"),
                            _inf.elementwise("nextafter", _NEXTAFTER_DTYPES), ufunc="nextafter",
                            dtypes=_NEXTAFTER_DTYPES, broadcasts=True,
                            doc="The next representable value after x1 towards x2."))


def nextafter(x1, x2, name=None):
    """The next representable floating value after `x1` in the direction of `x2`.

    Args:
        x1: a float32 or float64 tensor.
        x2: a tensor of the same dtype (broadcasts).
        name: ignored.

    Returns:
        A tensor of `x1`'s dtype.

    Example:
        >>> float(engine.math.nextafter(engine.constant(1.0, engine.float64), 2.0)) - 1.0
        2.220446049250313e-16
    """
    return dispatch(_NEXTAFTER, (x1, x2))


# --- modified Bessel functions of the first kind -------------------------------------------
_SERIES_LIMIT = 30.0  # series below, asymptotic expansion above
_SERIES_TERMS = 80
_ASYMPTOTIC_TERMS = 40


def _bessel_scaled64(xp, x, order: int):
    """`I_order(|x|) exp(-|x|)` for order 0 or 1, in float64."""
    a = xp.abs(x)
    small = xp.minimum(a, _SERIES_LIMIT)
    q = small * small / 4
    term = xp.ones_like(a) if order == 0 else small / 2
    total = term.copy()
    for k in range(1, _SERIES_TERMS):
        term = term * q / (k * (k + order))
        total = total + term
    series = total * xp.exp(-small)
    big = xp.maximum(a, _SERIES_LIMIT)
    mu = 4.0 * order * order
    term = xp.ones_like(a)
    total = term.copy()
    for k in range(1, _ASYMPTOTIC_TERMS):
        term = term * (-(mu - (2 * k - 1) ** 2) / (k * 8.0 * big))
        total = total + term
    asymptotic = total / xp.sqrt(2 * math.pi * big)
    return xp.where(a <= _SERIES_LIMIT, series, asymptotic)


def _i0e64(xp, x):
    return _bessel_scaled64(xp, x, 0)


def _i1e64(xp, x):
    return xp.sign(x) * _bessel_scaled64(xp, x, 1)


def _bessel_kernel(fn):
    def kernel(xp, x):
        with np.errstate(all="ignore"):
            return xp.asarray(fn(xp, x.astype(np.float64))).astype(x.dtype)

    return kernel


def _g_i0e(ctx, g):  # d/dx [I0(x) e^-|x|] = I1e(x) - sign(x) I0e(x)
    x, y = ctx.inputs[0], ctx.outputs[0]
    return (_m.multiply(g, _m.subtract(bessel_i1e(x), _m.multiply(_u.sign(x), y))),)


def _g_i1e(ctx, g):  # d/dx [I1(x) e^-|x|] = I0e(x) - I1e(x) (sign(x) + 1/x); 1/2 at 0
    x, y = ctx.inputs[0], ctx.outputs[0]
    at_zero = _m.equal(x, 0)
    safe = where(at_zero, ones_like(x), x)
    slope = _m.subtract(bessel_i0e(x), _m.multiply(y, _m.add(_u.sign(x), _u.reciprocal(safe))))
    return (_m.multiply(g, where(at_zero, 0.5 * ones_like(x), slope)),)


_I0E = register(OpDef("bessel_i0e", "BesselI0e", ("x",), _inf.elementwise("bessel_i0e", FLOAT),
                      _bessel_kernel(_i0e64), vjp=_g_i0e, dtypes=FLOAT,
                      doc="The exponentially scaled modified Bessel function I0(x) e^-|x|."))
_I1E = register(OpDef("bessel_i1e", "BesselI1e", ("x",), _inf.elementwise("bessel_i1e", FLOAT),
                      _bessel_kernel(_i1e64), vjp=_g_i1e, dtypes=FLOAT,
                      doc="The exponentially scaled modified Bessel function I1(x) e^-|x|."))


def bessel_i0e(x, name=None):
    """`I0(x) exp(-|x|)`: the exponentially scaled modified Bessel function of order 0.

    Args:
        x: a floating tensor.
        name: ignored.

    Returns:
        A tensor like `x`; finite for every finite `x`.

    Example:
        >>> engine.math.bessel_i0e(engine.constant([0.0, 1.0, 100.0])).numpy().round(5)
        array([1.     , 0.46576, 0.03994], dtype=float32)
    """
    return dispatch(_I0E, (x,))


def bessel_i1e(x, name=None):
    """`I1(x) exp(-|x|)`: the exponentially scaled modified Bessel function of order 1.

    Args:
        x: a floating tensor.
        name: ignored.

    Returns:
        A tensor like `x` (an odd function).

    Example:
        >>> engine.math.bessel_i1e(engine.constant([0.0, 1.0, -1.0])).numpy().round(5)
        array([ 0.     ,  0.20791, -0.20791], dtype=float32)
    """
    return dispatch(_I1E, (x,))


def bessel_i0(x, name=None):
    """`I0(x)`, the modified Bessel function of the first kind of order 0.

    Its derivative is `bessel_i1`.

    Args:
        x: a floating tensor.
        name: ignored.

    Returns:
        A tensor like `x` (inf once `I0` overflows).

    Example:
        >>> engine.math.bessel_i0(engine.constant([0.0, 1.0, 2.0])).numpy().round(5)
        array([1.     , 1.26607, 2.27959], dtype=float32)
    """
    x = tensor_or_variable(x)
    return _m.multiply(bessel_i0e(x), _u.exp(_u.abs(x)))


def bessel_i1(x, name=None):
    """`I1(x)`, the modified Bessel function of the first kind of order 1.

    Its derivative is `I0(x) - I1(x) / x`.

    Args:
        x: a floating tensor.
        name: ignored.

    Returns:
        A tensor like `x`.

    Example:
        >>> engine.math.bessel_i1(engine.constant([0.0, 1.0, -2.0])).numpy().round(5)
        array([ 0.     ,  0.56516, -1.59064], dtype=float32)
    """
    x = tensor_or_variable(x)
    return _m.multiply(bessel_i1e(x), _u.exp(_u.abs(x)))


# --- engine.nn: convolution aliases --------------------------------------------------------
def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,
                   dilations=None, name=None):
    """A transposed convolution, 1-D, 2-D or 3-D by the length of `output_shape`.

    `conv1d_transpose` for 3 sizes, `conv2d_transpose` for 4, `conv3d_transpose` for 5.

    Args:
        input: the input, `(batch, ..., in_channels)` (or channels first).
        filters: `(k..., out_channels, in_channels)`.
        output_shape: the output shape (3, 4 or 5 sizes, or a 1-D int tensor of them).
        strides: an int or a list of ints.
        padding: `'SAME'` or `'VALID'`.
        data_format: None (channels last), `'NWC'`/`'NCW'`, `'NHWC'`/`'NCHW'` or
            `'NDHWC'`/`'NCDHW'`.
        dilations: an int or a list of ints.
        name: ignored.

    Returns:
        A tensor of `output_shape`.

    Raises:
        ShapeError: for an `output_shape` of another length than 3, 4 or 5.

    Example:
        >>> engine.nn.conv_transpose(engine.ones([1, 3, 3, 2]), engine.ones([3, 3, 1, 2]),
        ...                          [1, 6, 6, 1], strides=2).shape
        TensorShape([1, 6, 6, 1])
    """
    shape = getattr(output_shape, "shape", None)
    if shape is not None and not isinstance(output_shape, (list, tuple, np.ndarray)):
        n = TensorShape(shape)[0] if TensorShape(shape).rank == 1 else None
    else:
        n = len(output_shape)
    if n is None:
        raise ShapeError(f"conv_transpose: got output_shape {output_shape!r} of unknown length; "
                         "expected 3 or 4 sizes.")
    if n == 3:
        return _c.conv1d_transpose(input, filters, output_shape, strides, padding,
                                   data_format or "NWC", dilations)
    if n == 4:
        return _c.conv2d_transpose(input, filters, output_shape, strides, padding,
                                   data_format or "NHWC", dilations)
    if n == 5:
        return _c3.conv3d_transpose(input, filters, output_shape, strides, padding,
                                    data_format or "NDHWC", dilations)
    raise ShapeError(f"conv_transpose: got output_shape {output_shape!r} with {n} sizes; "
                     "expected 3 (1-D), 4 (2-D) or 5 (3-D).")


def _rate(op: str, rate) -> int:
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate < 1:
        raise InvalidArgumentError(f"{op}: got rate={rate!r}; expected an int >= 1 (the spacing "
                                   "of the filter taps).")
    return int(rate)


def atrous_conv2d(value, filters, rate, padding, name=None):
    """Atrous (dilated) 2-D convolution: `conv2d` with stride 1 and dilation `rate`.

    Args:
        value: `(batch, height, width, in_channels)`.
        filters: `(kh, kw, in_channels, out_channels)`.
        rate: an int >= 1, the spacing of the filter taps along height and width.
        padding: `'SAME'` or `'VALID'`.
        name: ignored.

    Returns:
        `(batch, out_height, out_width, out_channels)`.

    Example:
        >>> engine.nn.atrous_conv2d(engine.ones([1, 7, 7, 1]), engine.ones([3, 3, 1, 1]),
        ...                         rate=2, padding="VALID").shape
        TensorShape([1, 3, 3, 1])
    """
    return _c.conv2d(value, filters, 1, padding, "NHWC", _rate("atrous_conv2d", rate))


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """The transpose of `atrous_conv2d`: `conv2d_transpose` with stride 1 and dilation `rate`.

    Args:
        value: `(batch, height, width, in_channels)`.
        filters: `(kh, kw, out_channels, in_channels)`.
        output_shape: the 4-D output shape.
        rate: an int >= 1.
        padding: `'SAME'` or `'VALID'`.
        name: ignored.

    Returns:
        A tensor of `output_shape`.

    Example:
        >>> engine.nn.atrous_conv2d_transpose(engine.ones([1, 3, 3, 1]), engine.ones([3, 3, 1, 1]),
        ...                                   [1, 7, 7, 1], rate=2, padding="VALID").shape
        TensorShape([1, 7, 7, 1])
    """
    return _c.conv2d_transpose(value, filters, output_shape, 1, padding, "NHWC",
                               _rate("atrous_conv2d_transpose", rate))
