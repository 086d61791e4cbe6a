"""More TensorFlow 2 functions: truncating division, shifts, permutations, space/batch moves.

Registered ops (TensorFlow's raw ops): `TruncateDiv` and `TruncateMod` (rounding toward zero,
as C does; no gradient, as in TensorFlow), `LeftShift` and `RightShift` (`engine.bitwise`),
`InvertPermutation`.

Composites of existing ops (so their gradients, tracing and devices come for free):
`reciprocal_no_nan`, `is_non_decreasing`, `is_strictly_increasing`, `erfcinv`, `shape_n`,
`histogram_fixed_width_bins`, `grad_pass_through`. Also `make_ndarray` and `get_logger`.
The space/batch moves live in `engine.ops.space_batch_ops`.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops.array_extras import get_static_value
from engine.ops.clip_ops import clip_by_value
from engine.ops.fill_ops import ones_like
from engine.ops.math_extras import divide_no_nan
from engine.ops.reduce_ops import reduce_all
from engine.ops.shape_ops import shape
from engine.ops.special_ops import ndtri
from engine.ops.unary_ops import floor
from engine.registry import INTEGER, REAL, OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["truncatediv", "truncatemod", "left_shift", "right_shift", "invert_permutation",
           "reciprocal_no_nan", "is_non_decreasing", "is_strictly_increasing", "erfcinv",
           "shape_n", "histogram_fixed_width_bins", "grad_pass_through", "make_ndarray",
           "get_logger"]


# --- truncating division and shifts ----------------------------------------------------------
def _no_integer_zero(xp, op, x, y):
    if x.dtype.kind in "iu" and bool((y == 0).any()):
        raise InvalidArgumentError(f"{op}: integer division by zero; the divisor y holds a 0. "
                                   "Mask it first, e.g. engine.where(y == 0, 1, y).", op=op)


def _truncatediv_kernel(xp, x, y):
    _no_integer_zero(xp, "truncatediv", x, y)
    if x.dtype.kind not in "iu":
        return xp.trunc(x / y).astype(x.dtype)
    quotient = xp.floor_divide(x, y)
    inexact = xp.not_equal(xp.remainder(x, y), 0)
    return quotient + (inexact & ((x < 0) != (y < 0))).astype(x.dtype)


def _truncatemod_kernel(xp, x, y):
    _no_integer_zero(xp, "truncatemod", x, y)
    return xp.fmod(x, y)


_TRUNCATEDIV = register(OpDef(
    "truncatediv", "TruncateDiv", ("x", "y"), _inf.elementwise("truncatediv", REAL),
    _truncatediv_kernel, dtypes=REAL, broadcasts=True,
    doc="x / y rounded toward zero."))
_TRUNCATEMOD = register(OpDef(
    "truncatemod", "TruncateMod", ("x", "y"), _inf.elementwise("truncatemod", REAL),
    _truncatemod_kernel, dtypes=REAL, broadcasts=True,
    doc="The remainder of truncating division: its sign is x's."))
_LEFT_SHIFT = register(OpDef(
    "left_shift", "LeftShift", ("x", "y"), _inf.elementwise("left_shift", INTEGER),
    ufunc="left_shift", dtypes=INTEGER, broadcasts=True, doc="x shifted left by y bits."))
_RIGHT_SHIFT = register(OpDef(
    "right_shift", "RightShift", ("x", "y"), _inf.elementwise("right_shift", INTEGER),
    ufunc="right_shift", dtypes=INTEGER, broadcasts=True,
    doc="x shifted right by y bits (arithmetic for signed types)."))


def truncatediv(x, y, name=None):
    """`x / y` rounded toward zero (C's integer division), elementwise with broadcasting.

    Args:
        x, y: real tensors of one dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of that dtype.

    Raises:
        InvalidArgumentError: for an integer division by zero.

    Example:
        >>> engine.truncatediv(engine.constant([-7, 7]), 2).numpy()
        array([-3,  3], dtype=int32)
    """
    return dispatch(_TRUNCATEDIV, (x, y))


def truncatemod(x, y, name=None):
    """The remainder of `truncatediv`: `x - truncatediv(x, y) * y`, with `x`'s sign.

    Args:
        x, y: real tensors of one dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of that dtype.

    Raises:
        InvalidArgumentError: for an integer division by zero.

    Example:
        >>> engine.truncatemod(engine.constant([-7, 7]), 2).numpy()
        array([-1,  1], dtype=int32)
    """
    return dispatch(_TRUNCATEMOD, (x, y))


def left_shift(x, y, name=None):
    """`x << y` elementwise on integer tensors, with broadcasting.

    Shifts by the bit width or more are undefined, as in TensorFlow.

    Args:
        x, y: integer tensors of one dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of that dtype.

    Example:
        >>> engine.bitwise.left_shift(engine.constant([1, 3]), 2).numpy()
        array([ 4, 12], dtype=int32)
    """
    return dispatch(_LEFT_SHIFT, (x, y))


def right_shift(x, y, name=None):
    """`x >> y` elementwise on integer tensors, arithmetic (sign-filling) for signed types.

    Args:
        x, y: integer tensors of one dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of that dtype.

    Example:
        >>> engine.bitwise.right_shift(engine.constant([-8, 12]), 2).numpy()
        array([-2,  3], dtype=int32)
    """
    return dispatch(_RIGHT_SHIFT, (x, y))


# --- invert_permutation ----------------------------------------------------------------------
def _invert_infer(x):
    _inf.check_dtype("invert_permutation", x, {_dt.int32, _dt.int64}, "x")
    if x.shape.rank not in (None, 1):
        raise ShapeError(f"invert_permutation: got x of shape {x.shape}; expected a vector "
                         "(a permutation of 0 .. n-1). Flatten it with engine.reshape(x, [-1]).")
    return TensorSpec(x.shape if x.shape.rank == 1 else [None], x.dtype)


def _invert_kernel(xp, x):
    if x.ndim != 1:  # eager dispatch may skip `infer`; its message explains the rank
        _invert_infer(TensorSpec(x.shape, _dt.from_numpy(x.dtype)))
    n = x.shape[0]
    if n and (int(x.min()) < 0 or int(x.max()) >= n):
        bad = int(x.min()) if int(x.min()) < 0 else int(x.max())
        raise InvalidArgumentError(f"invert_permutation: x holds {bad}; expected values in "
                                   f"[0, {n}) (a permutation of 0 .. {n - 1}).")
    out = xp.full(n, -1, dtype=x.dtype)
    out[x] = xp.arange(n, dtype=x.dtype)
    if bool((out < 0).any()):
        counts = xp.bincount(x, minlength=n)
        raise InvalidArgumentError(f"invert_permutation: {int(xp.argmax(counts))} is duplicated "
                                   "in x; expected each of 0 .. n-1 exactly once.")
    return out


_INVERT = register(OpDef(
    "invert_permutation", "InvertPermutation", ("x",), _invert_infer, _invert_kernel,
    dtypes=frozenset((_dt.int32, _dt.int64)), doc="y[x[i]] = i for a permutation x."))


def invert_permutation(x, name=None):
    """The inverse permutation: `y[x[i]] = i`.

    Args:
        x: a 1-D int32 or int64 tensor holding each of 0 .. n-1 once.
        name: ignored in eager mode.

    Returns:
        A tensor like `x`.

    Raises:
        InvalidArgumentError: if `x` is not a permutation.

    Example:
        >>> engine.math.invert_permutation([3, 4, 0, 2, 1]).numpy()
        array([2, 4, 3, 0, 1], dtype=int32)
    """
    return dispatch(_INVERT, (x,))


# --- small composites ------------------------------------------------------------------------
def reciprocal_no_nan(x, name=None):
    """`1 / x`, or 0 where `x` is 0 (the gradient there is 0 too).

    Args:
        x: a floating or complex tensor.
        name: ignored in eager mode.

    Returns:
        A tensor like `x`.

    Example:
        >>> engine.math.reciprocal_no_nan(engine.constant([2.0, 0.0])).numpy()
        array([0.5, 0. ], dtype=float32)
    """
    x = convert_to_tensor(x)
    return divide_no_nan(ones_like(x), x)


def _monotone(op: str, x, strict: bool):
    x = convert_to_tensor(x)
    if not (x.dtype.is_integer or x.dtype.is_floating):
        raise DTypeError(f"{op}: got x of dtype {x.dtype.name}; expected a real (integer or "
                         "floating) tensor.")
    flat = _a.reshape(x, [-1])
    later, earlier = flat[1:], flat[:-1]
    return reduce_all(_m.greater(later, earlier) if strict else _m.greater_equal(later, earlier))


def is_non_decreasing(x, name=None):
    """Whether `x`, read in row-major order, never decreases (True for fewer than 2 values).

    Args:
        x: a real tensor.
        name: ignored in eager mode.

    Returns:
        A scalar bool tensor.

    Raises:
        DTypeError: for a complex, string or bool tensor.

    Example:
        >>> bool(engine.math.is_non_decreasing([1, 1, 2]))
        True
    """
    return _monotone("is_non_decreasing", x, False)


def is_strictly_increasing(x, name=None):
    """Whether `x`, read in row-major order, always increases (True for fewer than 2 values).

    Args:
        x: a real tensor.
        name: ignored in eager mode.

    Returns:
        A scalar bool tensor.

    Raises:
        DTypeError: for a complex, string or bool tensor.

    Example:
        >>> bool(engine.math.is_strictly_increasing([1, 1, 2]))
        False
    """
    return _monotone("is_strictly_increasing", x, True)


def erfcinv(x, name=None):
    """The inverse of `erfc` on [0, 2]: `erfcinv(x) = -ndtri(x / 2) / sqrt(2)`.

    Args:
        x: a floating tensor (+inf at 0, -inf at 2, NaN outside [0, 2]).
        name: ignored in eager mode.

    Returns:
        A tensor like `x`.

    Example:
        >>> round(float(engine.math.erfcinv(engine.constant(0.5, engine.float64))), 8)
        0.47693628
    """
    x = convert_to_tensor(x)
    return _m.multiply(ndtri(_m.multiply(x, 0.5)), -1 / math.sqrt(2))


def shape_n(input, out_type=_dt.int32, name=None):  # noqa: A002 - TensorFlow's name
    """The shapes of several tensors: `[engine.shape(t) for t in input]`.

    Args:
        input: a list of tensors.
        out_type: int32 or int64.
        name: ignored in eager mode.

    Returns:
        A list of 1-D shape tensors.

    Raises:
        TypeError: for a single tensor instead of a list.

    Example:
        >>> [s.numpy().tolist() for s in engine.shape_n([engine.ones([2, 3]), 1.0])]
        [[2, 3], []]
    """
    if isinstance(input, (Tensor, np.ndarray)) or not hasattr(input, "__iter__"):
        raise TypeError(f"shape_n: got {type(input).__name__}; expected a list of tensors. "
                        "Wrap a single tensor in a list, or use engine.shape.")
    return [shape(t, out_type=out_type) for t in input]


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=_dt.int32, name=None):
    """The bin of each value among `nbins` equal bins over `value_range` (outside: the ends).

    Args:
        values: a numeric tensor.
        value_range: `[low, high]` with low < high.
        nbins: the number of bins (> 0).
        dtype: int32 or int64.
        name: ignored in eager mode.

    Returns:
        A tensor of `values`' shape and `dtype`.

    Raises:
        InvalidArgumentError: if `nbins` is not positive.

    Example:
        >>> engine.histogram_fixed_width_bins([-1.0, 0.0, 1.5, 2.0, 5.0], [0.0, 5.0], 5).numpy()
        array([0, 0, 1, 2, 4], dtype=int32)
    """
    static_bins = get_static_value(nbins)
    if static_bins is not None and int(static_bins) <= 0:
        raise InvalidArgumentError(f"histogram_fixed_width_bins: got nbins={int(static_bins)}; "
                                   "expected a positive number of bins.")
    values = convert_to_tensor(values)
    work = values.dtype if values.dtype.is_floating else _dt.float64
    values = _m.cast(values, work)
    value_range = _m.cast(convert_to_tensor(value_range), work)
    bins = _m.cast(convert_to_tensor(nbins), work)
    scaled = _m.divide(_m.subtract(values, value_range[0]),
                       _m.subtract(value_range[1], value_range[0]))
    index = clip_by_value(floor(_m.multiply(scaled, bins)), 0.0, _m.subtract(bins, 1.0))
    return _m.cast(index, dtype)


# --- grad_pass_through, make_ndarray, get_logger ---------------------------------------------
def grad_pass_through(f):
    """Wraps `f` so that its result's gradient passes straight to its inputs (identity).

    Useful for a non-differentiable step (a quantizer, an assignment) inside a model: the
    forward value is `f`'s, the backward pass treats `f` as identity (straight-through).
    `f`'s outputs must match its inputs one to one in shape.

    Args:
        f: a function of tensors.

    Returns:
        The wrapped function.

    Example:
        >>> x = engine.constant(1.3)
        >>> with engine.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = engine.grad_pass_through(engine.round)(x) * 2.0
        >>> float(tape.gradient(y, x))
        2.0
    """
    from engine.custom_grad import custom_gradient  # noqa: PLC0415 - above ops

    @custom_gradient
    def passed(*args):
        def grad(*upstream, variables=None):
            if variables:
                return upstream, [None] * len(variables)
            return upstream if len(upstream) > 1 else upstream[0]

        return f(*args), grad

    return passed


def make_ndarray(tensor):
    """The NumPy array of a tensor (TensorFlow's takes a TensorProto; here `.numpy()`).

    Args:
        tensor: a tensor, variable or NumPy array.

    Returns:
        A NumPy array.

    Raises:
        TypeError: for anything else.

    Example:
        >>> engine.make_ndarray(engine.constant([1, 2]))
        array([1, 2], dtype=int32)
    """
    if isinstance(tensor, Tensor):
        return tensor.numpy()
    if isinstance(tensor, np.ndarray) or hasattr(tensor, "_read"):
        return np.asarray(tensor.numpy() if hasattr(tensor, "_read") else tensor)
    raise TypeError(f"make_ndarray: got {type(tensor).__name__}; expected a tensor.")


def get_logger() -> logging.Logger:
    """The engine's Python logger, named 'engine' (TensorFlow's is 'tensorflow').

    Returns:
        A `logging.Logger`.

    Example:
        >>> engine.get_logger().name
        'engine'
    """
    return logging.getLogger("engine")
