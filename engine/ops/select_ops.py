"""Choosing elements by a condition: `where`.

With `x` and `y`, `where` picks elementwise between them (TensorFlow's SelectV2, with
broadcasting); with the condition alone it returns the coordinates of its True elements
(TensorFlow's Where).
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.dispatch import dispatch
from engine.ops import infer as _inf
from engine.ops.fill_ops import zeros_like
from engine.registry import BOOL, NUMERIC, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["where"]


def _where_infer(condition, x, y):
    if condition.dtype is not _dt.bool:
        raise _dt_error(condition)
    dtype = _inf.same_dtype("where", x, y)
    shape = _inf.broadcast_shapes("where", condition.shape, x.shape, y.shape)
    return TensorSpec(shape, dtype)


def _dt_error(condition):
    from engine.errors import DTypeError  # noqa: PLC0415

    return DTypeError(f"where: condition must be bool; got {condition.dtype.name}. Compare "
                      "first, e.g. engine.where(x > 0, ...).")


def _select_kernel(xp, c, x, y):
    if c.dtype != np.bool_:
        raise TypeError("where: condition must be bool")  # infer explains
    return xp.where(c, x, y)


def _where_vjp(ctx, g):
    condition = ctx.inputs[0]
    zeros = zeros_like(g)
    return None, where(condition, g, zeros), where(condition, zeros, g)


_SELECT = register(OpDef("where", "SelectV2", ("condition", "t", "e"), _where_infer,
                         _select_kernel, vjp=_where_vjp,
                         same_dtype=(1, 2), broadcasts=True,
                         doc="Chooses elements of x where condition holds, else of y."))


def _coords_infer(condition):
    _inf.check_dtype("where", condition, _COORD_DTYPES, "condition")
    return TensorSpec([None, condition.shape.rank], _dt.int64)


# As in TensorFlow's Where, a numeric condition counts its nonzero elements as True.
_COORD_DTYPES = NUMERIC | BOOL
_WHERE_COORDS = register(OpDef(
    "where_coords", "Where", ("input",), _coords_infer,
    lambda xp, c: xp.argwhere(c).astype(np.int64), vjp=None, dtypes=_COORD_DTYPES,
    doc="The coordinates of the True (for numbers: nonzero) elements, shape (num_true, rank)."))


def where(condition, x=None, y=None, name=None):
    """Elementwise `x if condition else y`, with broadcasting.

    With only `condition`, returns the int64 coordinates of its True elements, shape
    `(num_true, rank)` (as TF does); a numeric condition counts nonzero elements as True.

    Args:
        condition: a bool tensor (or, without `x` and `y`, a numeric one).
        x, y: tensors of one dtype, broadcastable with `condition`; give both or neither.
        name: ignored in eager mode.

    Returns:
        The chosen elements, or the coordinates of the True elements.

    Raises:
        DTypeError: if `condition` is not bool (with `x` and `y`) or not numeric or bool.
        ValueError: if only one of `x` and `y` is given.

    Example:
        >>> engine.where(engine.constant([True, False]), 1.0, 0.0).numpy()
        array([1., 0.], dtype=float32)
        >>> engine.where([True, False, True]).numpy()
        array([[0],
               [2]])
    """
    if x is None and y is None:
        return dispatch(_WHERE_COORDS, (condition,))
    if x is None or y is None:
        raise ValueError("where: give both x and y, or neither.")
    return dispatch(_SELECT, (condition, x, y))
