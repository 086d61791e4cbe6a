"""Clipping and normalizing.

clip_by_value, clip_by_norm, global_norm, clip_by_global_norm and l2_normalize.

`clip_by_value` is one op (TensorFlow's ClipByValue) whose gradient passes where the input
lies inside the range; the others are composites of math and reduction ops, with
TensorFlow's formulas (so results, including the NaN for an infinite global norm, match).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor, tensor_or_variable
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops import unary_ops as _u
from engine.ops.fill_ops import ones_like, zeros_like
from engine.ops.join_ops import stack
from engine.ops.select_ops import where
from engine.registry import REAL, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["clip_by_value", "clip_by_norm", "global_norm", "clip_by_global_norm",
           "l2_normalize"]




# --- clip_by_value --------------------------------------------------------------------------
def _clip_infer(t, clip_value_min, clip_value_max):
    dtype = _inf.same_dtype("clip_by_value", t, clip_value_min, clip_value_max)
    _inf.check_dtype("clip_by_value", t, REAL, "t")
    shape = _inf.broadcast_shapes("clip_by_value", t.shape, clip_value_min.shape,
                                  clip_value_max.shape)
    if not shape.is_compatible_with(t.shape):
        raise ShapeError(f"clip_by_value: got t of shape {t.shape} and bounds of shapes "
                         f"{clip_value_min.shape} and {clip_value_max.shape}; expected bounds "
                         "that broadcast to t's shape (scalars, or t's shape).")
    return TensorSpec(t.shape, dtype)


def _clip_kernel(xp, t, clip_value_min, clip_value_max):
    # TensorFlow's order: with clip_value_min > clip_value_max the result is the minimum
    out = xp.maximum(xp.minimum(t, clip_value_max), clip_value_min)
    if out.shape != t.shape:
        raise ValueError("clip_by_value: bounds broadcast beyond t")
    return out


def _clip_vjp(ctx, g):
    t, low, high = ctx.inputs
    below = _m.less(_m.minimum(t, high), low)  # the output is `low` (also when low > high)
    above = _m.logical_and(_m.greater(t, high), _u.logical_not(below))
    zeros = zeros_like(g)
    return (where(_m.logical_or(below, above), zeros, g), where(below, g, zeros),
            where(above, g, zeros))


_CLIP = register(OpDef(
    "clip_by_value", "ClipByValue", ("t", "clip_value_min", "clip_value_max"), _clip_infer,
    _clip_kernel, vjp=_clip_vjp, dtypes=REAL, broadcasts=True,
    doc="Clips values to [clip_value_min, clip_value_max]."))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clips `t` elementwise to `[clip_value_min, clip_value_max]`.

    The gradient flows to `t` where it lies inside the range, and to a bound where `t`
    was clipped to it. As in TensorFlow, the result is `maximum(minimum(t, max), min)`, so
    `clip_value_min` wins where it exceeds `clip_value_max`.

    Args:
        t: a real tensor.
        clip_value_min, clip_value_max: scalars or tensors broadcastable to `t`'s shape.

    Returns:
        A tensor of `t`'s shape and dtype.

    Raises:
        ShapeError: when the bounds do not broadcast to `t`'s shape.

    Example:
        >>> engine.clip_by_value(engine.constant([-2.0, 0.5, 3.0]), -1.0, 1.0).numpy()
        array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return dispatch(_CLIP, (t, clip_value_min, clip_value_max))


# --- norms ----------------------------------------------------------------------------------
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """Scales `t` so that its L2 norm (over `axes`) is at most `clip_norm`.

    `t * clip_norm / max(norm(t), clip_norm)`, TensorFlow's formula (a zero tensor stays
    zero and has a finite gradient).

    Args:
        t: a floating tensor.
        clip_norm: a positive scalar.
        axes: the axes the norm is taken over (None: all).

    Returns:
        The clipped tensor.

    Example:
        >>> engine.clip_by_norm(engine.constant([3.0, 4.0]), 1.0).numpy()
        array([0.6, 0.8], dtype=float32)
    """
    values = tensor_or_variable(t)
    l2sum = _r.reduce_sum(_m.multiply(values, values), axes, keepdims=True)
    positive = _m.greater(l2sum, 0)
    safe = where(positive, l2sum, ones_like(l2sum))
    l2norm = where(positive, _u.sqrt(safe), l2sum)
    return _m.divide(_m.multiply(values, clip_norm), _m.maximum(l2norm, clip_norm))


def _check_sequence(op: str, t_list) -> list:
    if not isinstance(t_list, Sequence) or isinstance(t_list, (str, bytes)):
        raise TypeError(f"{op}: `t_list` should be a list or tuple of tensors; got "
                        f"{type(t_list).__name__}.")
    return list(t_list)


def global_norm(t_list, name=None):
    """The L2 norm of all tensors in `t_list` together: sqrt(sum of sum(t ** 2)).

    None entries are ignored. Tensors of different float dtypes are summed in float32.

    Args:
        t_list: a list or tuple of tensors (or None).

    Returns:
        A scalar tensor (0.0 when every entry is None).

    Raises:
        TypeError: when `t_list` is not a list or tuple.

    Example:
        >>> float(engine.global_norm([engine.constant([3.0]), engine.constant([4.0])]))
        5.0
    """
    tensors = [tensor_or_variable(t) for t in _check_sequence("global_norm", t_list)
               if t is not None]
    if not tensors:
        return convert_to_tensor(0.0)
    sums = [_r.reduce_sum(_u.square(t)) for t in tensors]
    if len({s.dtype for s in sums}) > 1:
        sums = [_m.cast(s, _dt.float32) for s in sums]
    total = sums[0] if len(sums) == 1 else _r.reduce_sum(stack(sums))
    return _u.sqrt(total)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor by `clip_norm / max(global_norm, clip_norm)`.

    As in TensorFlow, an infinite or NaN global norm makes every output NaN, and None
    entries stay None.

    Args:
        t_list: a list or tuple of tensors (or None).
        clip_norm: the maximum global norm (a positive scalar).
        use_norm: a precomputed global norm (computed when None).

    Returns:
        `(list_clipped, global_norm)`.

    Raises:
        TypeError: when `t_list` is not a list or tuple.

    Example:
        >>> clipped, norm = engine.clip_by_global_norm(
        ...     [engine.constant([3.0]), engine.constant([4.0])], 1.0)
        >>> float(norm), clipped[1].numpy()
        (5.0, array([0.8], dtype=float32))
    """
    t_list = _check_sequence("clip_by_global_norm", t_list)
    norm = global_norm(t_list) if use_norm is None else tensor_or_variable(use_norm)
    clip = _m.cast(tensor_or_variable(clip_norm), norm.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):  # 1/0 and inf - inf, as in TF
        scale = _m.multiply(clip, _m.minimum(_m.divide(1.0, norm), _m.divide(1.0, clip)))
        scale = _m.add(scale, _m.subtract(norm, norm))  # NaN when the norm is inf or NaN
    clipped = [None if t is None else _m.multiply(t, _m.cast(scale, tensor_or_variable(t).dtype))
               for t in t_list]
    return clipped, norm


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """`x / sqrt(max(sum(x ** 2, axis), epsilon))`: unit L2 norm along `axis`.

    Args:
        x: a floating tensor.
        axis: the axes to normalize over (None: all).
        epsilon: the lower bound on the squared norm (avoids dividing by zero).
        dim: the deprecated name of `axis`.

    Returns:
        A tensor of `x`'s shape.

    Example:
        >>> engine.math.l2_normalize(engine.constant([3.0, 4.0])).numpy()
        array([0.6, 0.8], dtype=float32)
    """
    if axis is None:
        axis = dim
    x = tensor_or_variable(x)
    square_sum = _r.reduce_sum(_u.square(x), axis, keepdims=True)
    return _m.multiply(x, _u.rsqrt(_m.maximum(square_sum, epsilon)))
