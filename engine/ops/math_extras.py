"""More of `tf.math`: `add_n`, the zero-safe products and quotients, small composites.

Registered ops (each one `OpDef`, kernels written against `xp`): `AddN`, `DivNoNan`,
`MulNoNan`, `Xlogy`, `Xdivy`, `Xlog1py`; `scalar_mul`, `rint` and `zero_fraction` are
composites. Conventions follow TensorFlow: the zero-safe ops give 0 (and a 0 gradient) where
TF defines the value as 0, e.g. `xlogy(0, 0) == 0`. The segment reductions are in
`segment_ops`, `bincount` and `confusion_matrix` in `counting_ops`, the special functions
in `special_ops`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError, UnimplementedError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.fill_ops import zeros_like
from engine.ops.reduce_ops import reduce_sum
from engine.ops.shape_ops import size
from engine.registry import FLOAT, INEXACT, NUMERIC, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["add_n", "accumulate_n", "divide_no_nan", "multiply_no_nan", "xlogy", "xdivy",
           "xlog1py", "scalar_mul", "rint", "zero_fraction"]


def static_rank(op: str, x) -> int:
    """The rank of tensor `x`; UnimplementedError when tracing left it unknown."""
    rank = x._value.ndim
    if rank is None:
        raise UnimplementedError(f"{op}: got a tensor of unknown rank while tracing; give "
                                 "engine.function an input_signature with known ranks, e.g. "
                                 "TensorSpec([None, 3]) instead of TensorSpec(None).")
    return rank


# --- add_n ------------------------------------------------------------------------------------
def _add_n_infer(*inputs):
    if not inputs:
        raise ShapeError("add_n: got an empty list; expected at least one tensor.")
    dtype = _inf.same_dtype("add_n", *inputs)
    _inf.check_dtype("add_n", inputs[0], NUMERIC)
    out = inputs[0].shape
    for spec in inputs[1:]:
        if not out.is_compatible_with(spec.shape):
            raise ShapeError(f"add_n: got shapes {inputs[0].shape} and {spec.shape}; expected "
                             "one shape for all inputs (add_n does not broadcast). Use "
                             "engine.broadcast_to first, or engine.add.")
        out = out.merge_with(spec.shape)
    return TensorSpec(out, dtype)


def _add_n_kernel(xp, *inputs):
    first = inputs[0]
    if any(v.shape != first.shape for v in inputs):
        raise ValueError("add_n: shapes differ")  # infer explains
    out = xp.empty_like(first)  # an array even for 0-d inputs, so `out=` works below
    if len(inputs) == 1:
        out[...] = first
        return out
    # One output buffer, added into in place. Measured on the 2-vCPU development machine,
    # float32: 10-22 % faster than a chain of engine.add for 8-16 inputs of 256x256 and
    # up (16 x 256x256: 109 vs 140 us), even at 4 inputs, slower for tiny arrays (dispatch).
    xp.add(inputs[0], inputs[1], out=out)
    for v in inputs[2:]:
        xp.add(out, v, out=out)
    return out


_ADD_N = register(OpDef("add_n", "AddN", ("*inputs",), _add_n_infer, _add_n_kernel,
                        vjp=lambda ctx, g: (g,) * len(ctx.inputs), dtypes=NUMERIC,
                        doc="Adds a list of tensors of one shape and dtype."))


def add_n(inputs, name=None):
    """Adds a list of tensors of one shape and dtype, elementwise.

    Args:
        inputs: a non-empty list of tensors (or values) with the same shape and dtype.

    Returns:
        Their sum, one tensor of that shape and dtype.

    Raises:
        ShapeError: for an empty list or differing shapes (add_n does not broadcast).

    Example:
        >>> engine.add_n([engine.constant([1, 2]), engine.constant([3, 4]), [5, 6]]).numpy()
        array([ 9, 12], dtype=int32)
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ShapeError(f"add_n: got {inputs!r}; expected a non-empty list of tensors.")
    return dispatch(_ADD_N, tuple(inputs))


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """Adds a list of tensors of one shape and dtype (TensorFlow's deprecated add_n alias).

    Args:
        inputs: a non-empty list of tensors with the same shape and dtype.
        shape: the expected shape of the inputs, checked when given.
        tensor_dtype: the expected dtype of the inputs, checked when given.

    Returns:
        Their sum.

    Raises:
        ShapeError, DTypeError: when the inputs do not have `shape` or `tensor_dtype`.

    Example:
        >>> engine.math.accumulate_n([engine.constant([1.0]), engine.constant([2.0])]).numpy()
        array([3.], dtype=float32)
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ShapeError(f"accumulate_n: got {inputs!r}; expected a non-empty list of tensors.")
    tensors = [convert_to_tensor(x, tensor_dtype) for x in inputs]
    if shape is not None:
        for t in tensors:
            if not t.shape.is_compatible_with(shape):
                raise ShapeError(f"accumulate_n: got an input of shape {t.shape}; expected "
                                 f"shape={list(shape)}.")
    return add_n(tensors)


# --- zero-safe products and quotients ------------------------------------------------------
# Each kernel replaces the operand that would make a 0 result NaN or inf (y where x == 0,
# or x where y == 0) by a harmless value, so it warns only where TF's result is inf or NaN.
def _one(xp, a):
    return xp.ones((), a.dtype)


def _div_no_nan_kernel(xp, x, y):
    if xp is np and x.ndim == 0 and y.ndim == 0 and y != 0:
        # The 0-d quotients Keras' metrics take at every step: one NumPy call, not six
        # (W6 fit: 40 -> 35 us a step). The same value as the general path below.
        return np.asarray(x / y)
    zero = y == 0
    out = x / xp.where(zero, _one(xp, y), y)
    return xp.where(zero, xp.zeros((), out.dtype), out)


def _mul_no_nan_kernel(xp, x, y):
    return xp.where(y == 0, xp.zeros((), x.dtype), x) * y


def _xlogy_kernel(xp, x, y):
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(-1) = nan
        return x * xp.log(xp.where(x == 0, _one(xp, y), y))


def _xdivy_kernel(xp, x, y):
    with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 = inf, as in TF
        return x / xp.where(x == 0, _one(xp, y), y)


def _xlog1py_kernel(xp, x, y):
    with np.errstate(divide="ignore", invalid="ignore"):  # log1p(-1) = -inf
        return x * xp.log1p(xp.where(x == 0, xp.zeros((), y.dtype), y))


def _nonzero(x):
    """1 where x != 0, else 0, in x's dtype: the x-gradients of TF's x-log-y family."""
    return _m.cast(_m.not_equal(x, 0), x.dtype)


def _g_div_no_nan(ctx, g):
    x, y = ctx.inputs
    return divide_no_nan(g, y), _m.multiply(g, divide_no_nan(divide_no_nan(_u.negative(x), y), y))


def _g_mul_no_nan(ctx, g):
    x, y = ctx.inputs
    return multiply_no_nan(g, y), multiply_no_nan(x, g)


def _g_xlogy(ctx, g):
    x, y = ctx.inputs
    return _m.multiply(g, xlogy(_nonzero(x), y)), _m.multiply(g, xdivy(x, y))


def _g_xdivy(ctx, g):
    x, y = ctx.inputs
    return (_m.multiply(g, xdivy(_nonzero(x), y)),
            _m.multiply(g, xdivy(_u.negative(x), _u.square(y))))


def _g_xlog1py(ctx, g):
    x, y = ctx.inputs
    return _m.multiply(g, xlog1py(_nonzero(x), y)), _m.multiply(g, xdivy(x, _m.add(y, 1)))


def _binary_op(name, tf_name, kernel, vjp, doc):
    return register(OpDef(name, tf_name, ("x", "y"), _inf.elementwise(name, INEXACT), kernel,
                          vjp=vjp, dtypes=INEXACT, broadcasts=True, doc=doc))


_DIV_NO_NAN = _binary_op("divide_no_nan", "DivNoNan", _div_no_nan_kernel, _g_div_no_nan,
                         "x / y, or 0 where y == 0.")
_MUL_NO_NAN = _binary_op("multiply_no_nan", "MulNoNan", _mul_no_nan_kernel, _g_mul_no_nan,
                         "x * y, or 0 where y == 0 (even where x is NaN or inf).")
_XLOGY = _binary_op("xlogy", "Xlogy", _xlogy_kernel, _g_xlogy, "x * log(y), or 0 where x == 0.")
_XDIVY = _binary_op("xdivy", "Xdivy", _xdivy_kernel, _g_xdivy, "x / y, or 0 where x == 0.")
_XLOG1PY = _binary_op("xlog1py", "Xlog1py", _xlog1py_kernel, _g_xlog1py,
                      "x * log1p(y), or 0 where x == 0.")


def divide_no_nan(x, y, name=None):
    """`x / y`, or 0 where `y == 0` (also for x == 0 or a NaN x); broadcasts like divide.

    The gradient is 0 where y == 0, never NaN.

    Args:
        x, y: floating or complex tensors of one dtype.

    Returns:
        A tensor of the broadcast shape.

    Example:
        >>> engine.math.divide_no_nan([3.0, 3.0, 0.0], [2.0, 0.0, 0.0]).numpy()
        array([1.5, 0. , 0. ], dtype=float32)
    """
    return dispatch(_DIV_NO_NAN, (x, y))


def multiply_no_nan(x, y, name=None):
    """`x * y`, or 0 where `y == 0`, even where x is NaN or inf.

    Args:
        x, y: floating or complex tensors of one dtype.

    Returns:
        A tensor of the broadcast shape.

    Example:
        >>> engine.math.multiply_no_nan([np.inf, np.nan, 2.0], [0.0, 0.0, 3.0]).numpy()
        array([0., 0., 6.], dtype=float32)
    """
    return dispatch(_MUL_NO_NAN, (x, y))


def xlogy(x, y, name=None):
    """`x * log(y)`, or 0 where `x == 0` (so xlogy(0, 0) == 0, with a 0 gradient).

    Args:
        x, y: floating or complex tensors of one dtype.

    Returns:
        A tensor of the broadcast shape.

    Example:
        >>> engine.math.xlogy([0.0, 2.0], [0.0, np.e]).numpy()
        array([0., 2.], dtype=float32)
    """
    return dispatch(_XLOGY, (x, y))


def xdivy(x, y, name=None):
    """`x / y`, or 0 where `x == 0` (so xdivy(0, 0) == 0).

    Args:
        x, y: floating or complex tensors of one dtype.

    Returns:
        A tensor of the broadcast shape.

    Example:
        >>> engine.math.xdivy([0.0, 3.0], [0.0, 2.0]).numpy()
        array([0. , 1.5], dtype=float32)
    """
    return dispatch(_XDIVY, (x, y))


def xlog1py(x, y, name=None):
    """`x * log1p(y)`, or 0 where `x == 0` (so xlog1py(0, -1) == 0).

    Args:
        x, y: floating or complex tensors of one dtype.

    Returns:
        A tensor of the broadcast shape.

    Example:
        >>> engine.math.xlog1py([0.0, 2.0], [-1.0, np.e - 1]).numpy()
        array([0., 2.], dtype=float32)
    """
    return dispatch(_XLOG1PY, (x, y))


# --- small composites ----------------------------------------------------------------------
def scalar_mul(scalar, x, name=None):
    """`scalar * x` for a 0-D `scalar`.

    Args:
        scalar: a 0-D tensor or a number (converted to x's dtype).
        x: a tensor.

    Returns:
        A tensor like `x`.

    Raises:
        ShapeError: when `scalar` is not 0-D.

    Example:
        >>> engine.scalar_mul(2.0, engine.constant([1.0, 3.0])).numpy()
        array([2., 6.], dtype=float32)
    """
    x = x if hasattr(x, "dtype") else convert_to_tensor(x)
    scalar = scalar if hasattr(scalar, "dtype") else convert_to_tensor(scalar, x.dtype)
    if scalar.shape.rank != 0:
        raise ShapeError(f"scalar_mul: got a scalar of shape {scalar.shape}; expected a 0-D "
                         "scalar. Use engine.multiply for elementwise products.")
    return _m.multiply(scalar, x)


def rint(x, name=None):
    """Rounds to the nearest integer, halves to even (as NumPy's rint); floats only.

    Args:
        x: a floating tensor.

    Returns:
        A tensor of x's dtype; it has no gradient (None), as in TensorFlow.

    Raises:
        DTypeError: for a non-floating tensor.

    Example:
        >>> engine.math.rint([-1.5, 0.5, 1.5, 2.5, 1.7]).numpy()
        array([-2.,  0.,  2.,  2.,  2.], dtype=float32)
    """
    x = convert_to_tensor(x)
    _inf.check_dtype("rint", x, FLOAT)
    return _u.round(x)


def zero_fraction(value, name=None):
    """The fraction of the elements of `value` that are 0, as float32 (NaN when empty).

    Args:
        value: a numeric tensor.

    Returns:
        A float32 scalar.

    Example:
        >>> float(engine.math.zero_fraction([0, 1, 0, 3]))
        0.5
    """
    value = convert_to_tensor(value)
    zeros = reduce_sum(_m.cast(_m.equal(value, zeros_like(value)), _dt.int64))  # exact count
    with np.errstate(invalid="ignore"):  # 0 / 0 for an empty tensor: NaN, as in TF
        fraction = _m.divide(_m.cast(zeros, _dt.float64), _m.cast(size(value), _dt.float64))
    return _m.cast(fraction, _dt.float32)
