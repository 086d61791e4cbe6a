"""Scans: cumsum and cumprod along one axis, optionally exclusive and/or reversed.

Primitives (TensorFlow's raw ops): Cumsum, Cumprod. Their gradients are scans again
(in the other direction), so they nest; cumprod's is exact with zeros in the input.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import static_args as _sa
from engine.ops.fill_ops import ones_like, zeros_like
from engine.ops.select_ops import where
from engine.ops.widening import computes_in_float32
from engine.registry import NUMERIC, OpDef, register

__all__ = ["cumsum", "cumprod"]

_SCAN_ATTRS = {"axis": 0, "exclusive": False, "reverse": False}


def accumulator_dtype(x):
    """Kernel helper: `dtype=` for NumPy sums, products and scans of array `x`.

    NumPy widens small integers to int64; TensorFlow keeps the input's dtype.
    """
    return x.dtype if x.dtype.kind in "iu" else None


def _scan_infer(name):
    def infer(x, axis=0, exclusive=False, reverse=False):
        _inf.check_dtype(name, x, NUMERIC)
        if x.shape.rank == 0:
            raise ShapeError(f"{name}: got a scalar; expected a tensor of rank >= 1. "
                             "Reshape it to [1] first.")
        _inf.normalize_axis(name, axis, x.shape.rank)
        return x

    return infer


def _scan_kernel(name: str, identity):
    """The kernel of scan `name` (also the array-module function's name)."""

    @computes_in_float32
    def kernel(xp, x, axis=0, exclusive=False, reverse=False):
        if not -x.ndim <= axis < x.ndim:  # `axis % ndim` would wrap; `infer` says why not
            raise IndexError(f"{name}: axis {axis} is out of range for rank {x.ndim}")
        axis = axis % x.ndim
        scan = getattr(xp, name)
        if reverse:
            x = xp.flip(x, axis)
        if exclusive:
            out = xp.empty(x.shape, dtype=x.dtype)
            head = (slice(None),) * axis
            out[head + (slice(0, 1),)] = identity
            out[head + (slice(1, None),)] = scan(x[head + (slice(0, -1),)], axis=axis,
                                                 dtype=accumulator_dtype(x))
        else:
            out = scan(x, axis=axis, dtype=accumulator_dtype(x))
        return xp.flip(out, axis) if reverse else out

    return kernel


def _scan_attrs(ctx) -> tuple:
    """(axis, exclusive, reverse) of a scan's context."""
    attrs = {**_SCAN_ATTRS, **ctx.attrs}
    return attrs["axis"], attrs["exclusive"], attrs["reverse"]


def _cumsum_vjp(ctx, g):
    axis, exclusive, reverse = _scan_attrs(ctx)
    return (cumsum(g, axis, exclusive, not reverse),)


def _cumprod_vjp(ctx, g):
    # grad_j = sum_{i >= j} g_i * y_i / x_j. Only the first zero along the scan needs care:
    # before it x_j != 0; after it every gradient is 0; at it, grad = cumsum(g * y') with
    # y' = cumprod of x with that one zero replaced by 1. No NaN for zeros in x.
    x, y = ctx.inputs[0], ctx.outputs[0]
    axis, exclusive, reverse = _scan_attrs(ctx)
    is_zero = _m.equal(x, zeros_like(x))
    zeros_seen = cumsum(_m.cast(is_zero, _dt.int32), axis, reverse=reverse)
    first = _m.logical_and(is_zero, _m.equal(zeros_seen, 1))
    ones = ones_like(x)
    regular = _m.divide(cumsum(_m.multiply(y, g), axis, exclusive, not reverse),
                        where(is_zero, ones, x))
    y_first = cumprod(where(first, ones, x), axis, exclusive, reverse)
    at_first = cumsum(_m.multiply(y_first, g), axis, exclusive, not reverse)
    return (where(first, at_first, regular),)


_CUMSUM = register(OpDef("cumsum", "Cumsum", ("x",), _scan_infer("cumsum"),
                         _scan_kernel("cumsum", 0), vjp=_cumsum_vjp,
                         attrs=dict(_SCAN_ATTRS), dtypes=NUMERIC,
                         doc="Cumulative sum along an axis."))
_CUMPROD = register(OpDef("cumprod", "Cumprod", ("x",), _scan_infer("cumprod"),
                          _scan_kernel("cumprod", 1), vjp=_cumprod_vjp,
                          attrs=dict(_SCAN_ATTRS), dtypes=NUMERIC,
                          doc="Cumulative product along an axis."))


def _scan_call(op, x, axis, exclusive, reverse):
    return dispatch(op, (x,), {"axis": int(_sa.static_axis(axis)), "exclusive": bool(exclusive),
                               "reverse": bool(reverse)})


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """The cumulative sum of `x` along `axis`.

    Args:
        x: a numeric tensor of rank >= 1.
        axis: the axis to scan.
        exclusive: start from 0 instead of the first element ([a, b, c] → [0, a, a + b]).
        reverse: scan from the end.
        name: ignored in eager mode.

    Returns:
        A tensor of the shape and dtype of `x`.

    Example:
        >>> engine.cumsum(engine.constant([1, 2, 3]), exclusive=True).numpy()
        array([0, 1, 3], dtype=int32)
    """
    return _scan_call(_CUMSUM, x, axis, exclusive, reverse)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """The cumulative product of `x` along `axis`.

    The gradient is exact with zeros in `x` (no division by zero).

    Args:
        x: a numeric tensor of rank >= 1.
        axis: the axis to scan.
        exclusive: start from 1 instead of the first element ([a, b, c] → [1, a, a * b]).
        reverse: scan from the end.
        name: ignored in eager mode.

    Returns:
        A tensor of the shape and dtype of `x`.

    Example:
        >>> engine.math.cumprod(engine.constant([1, 2, 3]), reverse=True).numpy()
        array([6, 6, 3], dtype=int32)
    """
    return _scan_call(_CUMPROD, x, axis, exclusive, reverse)
