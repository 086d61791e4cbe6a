"""Reductions along axes: reduce_sum, reduce_mean, reduce_max, reduce_prod, reduce_any, ….

`axis` is an attribute: None (every axis), an int, or a tuple of ints; negative axes count
from the end. A tensor axis is allowed; inside `engine.function` its value must be known
while tracing (see `axis_attr`). Gradients broadcast the upstream gradient back over the
reduced axes.

Primitives (one `OpDef` each, TensorFlow's raw ops): Sum, Mean, Max, Min, Prod, Any, All,
EuclideanNorm. `reduce_logsumexp`, `reduce_variance`, `reduce_std` and `count_nonzero` are
composites of those, as in TensorFlow, in `reduce_composites`.

argmax/argmin (`argmax_ops`) and cumsum/cumprod (`scan_ops`) are re-exported here for the
`engine` and `engine.math` namespaces, which import this module's `__all__`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.dispatch import dispatch
from engine.errors import DTypeError, ShapeError, TracingError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import static_args as _sa
from engine.ops.argmax_ops import argmax, argmin
from engine.ops.fill_ops import ones_like, zeros_like
from engine.ops.scan_ops import accumulator_dtype, cumprod, cumsum
from engine.ops.select_ops import where
from engine.ops.shape_tensors import is_symbolic, known_values
from engine.ops.widening import BFLOAT16, computes_in_float32, run_in_float32
from engine.registry import BOOL, NUMERIC, REAL, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = [
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_any",
    "reduce_all", "reduce_euclidean_norm",
    # Re-exported for the `engine` and `engine.math` namespaces:
    "argmax", "argmin", "cumsum", "cumprod",
]


def axis_attr(axis, op: str = "reduce"):
    """Normalizes a user's axis argument to None, an int tuple (tensors allowed).

    Inside `engine.function` the axis may be a symbolic integer tensor whose value tracing
    knows (`engine.range(engine.rank(x))`, `engine.shape(x)[1:]`-style arithmetic on
    static sizes); it becomes the attr. An axis known only when the graph runs is refused
    (TensorFlow would give a result of unknown rank).

    Raises:
        TracingError: for an axis known only when the graph runs.
        DTypeError: for a symbolic axis that is not int32 or int64.
    """
    try:
        axis = _sa.static_axis(axis)
        if axis is None:
            return None
        if isinstance(axis, (int, np.integer)):
            return (int(axis),)
        return tuple(int(a) for a in axis)
    except TracingError:  # symbolic: usable when tracing knows its value
        return _traced_axis(op, axis)


def _traced_axis(op: str, axis) -> tuple:
    parts = axis if isinstance(axis, (list, tuple)) else [axis]
    values = []
    for part in parts:
        if is_symbolic(part) and part.dtype not in (_dt.int32, _dt.int64):
            raise DTypeError(f"{op}: axis is a {part.dtype.name} tensor; expected int32 or "
                             "int64. Cast it with engine.cast(axis, engine.int32).")
        known = known_values(part) if is_symbolic(part) else np.asarray(
            _sa.static_axis(part))
        if known is None:
            raise TracingError(
                f"{op}: axis is {part.name}, a tensor whose value is known only when the graph "
                "runs; expected an axis known while tracing (the reduced axes decide the "
                "result's shape). Pass Python ints, or a tensor computed from constants and "
                "static shapes such as engine.range(engine.rank(x)); to reduce every axis, "
                "pass axis=None.")
        values.extend(int(a) for a in known.reshape(-1))
    return tuple(values)


def reduce_infer(name, allowed=NUMERIC, out_dtype=None):
    """An `infer` for reductions with attrs `axis` and `keepdims`."""

    def infer(x, axis=None, keepdims=False):
        _inf.check_dtype(name, x, allowed)
        axes = _inf.normalize_axes(name, axis, x.shape.rank)
        return TensorSpec(_inf.reduced_shape(x.shape, axes, keepdims),
                          out_dtype if out_dtype is not None else x.dtype)

    return infer


def _axes_of(ctx) -> tuple | None:
    """The reduced axes of a reduction's context as non-negative ints (all when None).

    For an input of unknown rank (traced), the axis attr as given: None for all axes.
    """
    ndim = ctx.inputs[0]._value.ndim
    axis = ctx.attrs.get("axis")
    if axis is not None:
        axis = (axis,) if isinstance(axis, (int, np.integer)) else axis
    if ndim is None:
        return None if axis is None else tuple(int(a) for a in axis)
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(int(a) % ndim for a in axis)) if ndim else ()


def restore_reduced(g, ctx):
    """Reshapes a reduction's output-shaped tensor `g` so it broadcasts against the input."""
    x = ctx.inputs[0]
    shape = x._value.shape
    if ctx.attrs.get("keepdims") or shape == ():
        return g
    axes = _axes_of(ctx)
    if shape is None:  # unknown rank, traced: a full reduction's scalar broadcasts as it is
        if axes is None:
            return g
        # The kept-dims shape, from the reduction itself: axes need no normalizing.
        kept = dispatch(_SUM, (zeros_like(x),), {"axis": axes, "keepdims": True})
        return _a.reshape(g, _a.shape(kept))
    if None in shape:  # traced with dimensions known only at run time
        for axis in axes:
            g = _a.expand_dims(g, axis)
        return g
    axes = set(axes)
    return _a.reshape(g, tuple(1 if i in axes else d for i, d in enumerate(shape)))


def _reduction(name, tf_name, kernel, vjp, dtypes, doc, out_dtype=None):
    return register(OpDef(name, tf_name, ("input",), reduce_infer(name, dtypes, out_dtype),
                          kernel, vjp=vjp, attrs={"axis": None, "keepdims": False},
                          dtypes=dtypes, tf_args={"keep_dims": "keepdims"}, doc=doc))


def _attrs(axis, keepdims, op: str) -> dict:
    return {"axis": axis_attr(axis, op), "keepdims": bool(keepdims)}


# --- sum and mean ---------------------------------------------------------------------------
def _sum_kernel(xp, x, axis=None, keepdims=False):
    if x.dtype is BFLOAT16:  # bfloat16 sums stall past 256 terms: add in float32
        return run_in_float32(_sum_kernel, xp, x, axis=axis, keepdims=keepdims)
    return xp.sum(x, axis=axis, keepdims=keepdims, dtype=accumulator_dtype(x))


def _sum_vjp(ctx, g):
    return (_a.broadcast_like(restore_reduced(g, ctx), ctx.inputs[0]),)


_SUM = _reduction("reduce_sum", "Sum", _sum_kernel, _sum_vjp, NUMERIC,
                  "Sum of elements along axes.")


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sums `input_tensor` along `axis` (all axes when None).

    Args:
        input_tensor: a numeric tensor.
        axis: None (all axes), an int or a list of ints; negative values count from the end.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Raises:
        ShapeError: for an axis out of range.

    Example:
        >>> engine.reduce_sum(engine.constant([[1, 2], [3, 4]]), axis=0).numpy()
        array([4, 6], dtype=int32)
    """
    return dispatch(_SUM, (input_tensor,), _attrs(axis, keepdims, "reduce_sum"))


def float_mean(x, axis=None, keepdims=False):
    """`np.mean` of a float32/float64 NumPy array: its own two steps (sum, divide) without
    the Python around them (~3 us a call, as much as a small loss's whole mean), so the
    same bits. The executor calls it directly for float Mean nodes
    (`engine.graph.lowering`)."""
    if not x.size or x.dtype.itemsize < 4:  # np.mean warns on empty slices; float16
        return np.mean(x, axis=axis, keepdims=keepdims)
    total = np.add.reduce(x, axis=axis, keepdims=keepdims)
    count = x.size // total.size
    if isinstance(total, np.ndarray):
        return np.true_divide(total, count, out=total)
    return np.asarray(total.dtype.type(total / count))


def _mean_kernel(xp, x, axis=None, keepdims=False):
    if x.dtype is BFLOAT16:
        return run_in_float32(_mean_kernel, xp, x, axis=axis, keepdims=keepdims)
    if xp is np and x.dtype.kind == "f":
        return float_mean(x, axis, keepdims)
    out = xp.mean(x, axis=axis, keepdims=keepdims)
    if x.dtype.kind in "iu":
        out = xp.trunc(out)
    return out.astype(x.dtype, copy=False)


def _mean_vjp(ctx, g):
    x = ctx.inputs[0]
    size, out_size = x._value.size, ctx.outputs[0]._value.size
    if size is not None and out_size is not None:
        count = np.asarray(size // max(out_size, 1), g._value.dtype)
    else:  # traced with dimensions known only at run time
        count = _m.cast(_m.floordiv(_a.size(x), _m.maximum(_a.size(ctx.outputs[0]), 1)),
                        g.dtype)
    g = _m.divide(g, count)
    return (_a.broadcast_like(restore_reduced(g, ctx), x),)


_MEAN = _reduction("reduce_mean", "Mean", _mean_kernel, _mean_vjp, NUMERIC,
                   "Mean of elements along axes (integer means truncate, as in TF).")


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Averages `input_tensor` along `axis` (all axes when None).

    Integer inputs give integer means (truncated), as in TensorFlow; cast to float first
    for a fractional mean.

    Args:
        input_tensor: a numeric tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Example:
        >>> float(engine.reduce_mean(engine.constant([1.0, 2.0])))
        1.5
    """
    return dispatch(_MEAN, (input_tensor,), _attrs(axis, keepdims, "reduce_mean"))


# --- max and min ----------------------------------------------------------------------------
def _extreme_kernel(name: str):
    """The kernel of "max" or "min" (the array-module function's name)."""
    lowest = name == "max"

    def kernel(xp, x, axis=None, keepdims=False):
        if x.size == 0:  # TF: an empty max (min) is the lowest (highest) value of the dtype
            shape = xp.sum(x, axis=axis, keepdims=keepdims).shape
            if x.dtype.kind in "iu":
                info = np.iinfo(x.dtype)
                fill = info.min if lowest else info.max
            else:  # floats, bfloat16 included (its dtype kind is "V")
                fill = -np.inf if lowest else np.inf
            return xp.full(shape, fill, dtype=x.dtype)
        return getattr(xp, name)(x, axis=axis, keepdims=keepdims)

    return kernel


def _extreme_vjp(ctx, g):
    # Ties share the gradient evenly, as in TensorFlow.
    x = ctx.inputs[0]
    y = restore_reduced(ctx.outputs[0], ctx)
    g = restore_reduced(g, ctx)
    hits = _m.cast(_m.equal(x, y), g.dtype)
    count = reduce_sum(hits, _axes_of(ctx), keepdims=True)
    return (_m.multiply(_m.divide(hits, count), g),)


_MAX = _reduction("reduce_max", "Max", _extreme_kernel("max"), _extreme_vjp,
                  REAL, "Maximum of elements along axes.")
_MIN = _reduction("reduce_min", "Min", _extreme_kernel("min"), _extreme_vjp,
                  REAL, "Minimum of elements along axes.")


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    """The maximum of `input_tensor` along `axis` (all axes when None).

    The gradient is split evenly among the elements equal to the maximum (as in TF).
    An empty reduction gives the lowest value of the dtype (-inf for floats).

    Args:
        input_tensor: a real tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Example:
        >>> engine.reduce_max(engine.constant([[1, 5], [3, 4]]), axis=1).numpy()
        array([5, 4], dtype=int32)
    """
    return dispatch(_MAX, (input_tensor,), _attrs(axis, keepdims, "reduce_max"))


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    """The minimum of `input_tensor` along `axis` (all axes when None).

    The gradient is split evenly among the elements equal to the minimum (as in TF).

    Args:
        input_tensor: a real tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Example:
        >>> engine.reduce_min(engine.constant([[1, 5], [3, 4]]), axis=1).numpy()
        array([1, 3], dtype=int32)
    """
    return dispatch(_MIN, (input_tensor,), _attrs(axis, keepdims, "reduce_min"))


# --- prod -----------------------------------------------------------------------------------
@computes_in_float32
def _prod_kernel(xp, x, axis=None, keepdims=False):
    return xp.prod(x, axis=axis, keepdims=keepdims, dtype=accumulator_dtype(x))


def _prod_vjp(ctx, g):
    # d prod / d x_i = (product of the elements before i) * (product of those after i):
    # two exclusive cumprods, so zeros in the input need no special case (no division).
    x = ctx.inputs[0]
    shape = x._value.shape
    axes = _axes_of(ctx)
    g = restore_reduced(g, ctx)
    if shape is None:  # unknown rank, traced
        return (_prod_grad_of_unknown_rank(x, axes, g),)
    if not axes:
        return (_a.broadcast_to(g, shape),)
    if x._value.size == 0:
        return (zeros_like(x),)
    if len(axes) == 1:
        others = _m.multiply(cumprod(x, axes[0], exclusive=True),
                             cumprod(x, axes[0], exclusive=True, reverse=True))
        return (_m.multiply(others, g),)
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    perm = axes + kept
    inverse = tuple(int(i) for i in np.argsort(perm))
    flat = _a.reshape(_a.transpose(x, perm), (int(np.prod([shape[i] for i in axes])), -1))
    others = _m.multiply(cumprod(flat, 0, exclusive=True),
                         cumprod(flat, 0, exclusive=True, reverse=True))
    others = _a.transpose(_a.reshape(others, tuple(shape[i] for i in perm)), inverse)
    return (_m.multiply(others, g),)


def _prod_grad_of_unknown_rank(x, axes, g):
    if axes is None:  # every axis: the exclusive products over x flattened
        flat = _a.reshape(x, [-1])
        others = _m.multiply(cumprod(flat, 0, exclusive=True),
                             cumprod(flat, 0, exclusive=True, reverse=True))
        return _m.multiply(_a.reshape(others, _a.shape(x)), g)
    if len(axes) == 1:
        others = _m.multiply(cumprod(x, axes[0], exclusive=True),
                             cumprod(x, axes[0], exclusive=True, reverse=True))
        return _m.multiply(others, g)
    raise ShapeError(f"reduce_prod: cannot take the gradient over axes {list(axes)} of a tensor "
                     "of unknown rank (the axes must be moved together, which needs the rank); "
                     "expected one axis or axis=None. Trace with a known rank (a TensorSpec "
                     "such as [None, None]) or reduce one axis at a time.")


_PROD = _reduction("reduce_prod", "Prod", _prod_kernel, _prod_vjp, NUMERIC,
                   "Product of elements along axes.")


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """The product of `input_tensor` along `axis` (all axes when None).

    The gradient is exact with zeros in the input (it multiplies the products before and
    after each element instead of dividing the total by it).

    Args:
        input_tensor: a numeric tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Example:
        >>> engine.reduce_prod(engine.constant([[1, 2], [3, 4]]), axis=0).numpy()
        array([3, 8], dtype=int32)
    """
    return dispatch(_PROD, (input_tensor,), _attrs(axis, keepdims, "reduce_prod"))


# --- any and all ----------------------------------------------------------------------------
_ANY = _reduction("reduce_any", "Any", lambda xp, x, axis=None, keepdims=False: xp.any(
    x, axis=axis, keepdims=keepdims), None, BOOL, "Logical OR of elements along axes.")
_ALL = _reduction("reduce_all", "All", lambda xp, x, axis=None, keepdims=False: xp.all(
    x, axis=axis, keepdims=keepdims), None, BOOL, "Logical AND of elements along axes.")


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Whether any element of the boolean `input_tensor` is True along `axis`.

    Args:
        input_tensor: a bool tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A bool tensor.

    Raises:
        DTypeError: for a non-bool input (compare first, e.g. `x > 0`).

    Example:
        >>> engine.reduce_any(engine.constant([[True, False], [False, False]]), 1).numpy()
        array([ True, False])
    """
    return dispatch(_ANY, (input_tensor,), _attrs(axis, keepdims, "reduce_any"))


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Whether every element of the boolean `input_tensor` is True along `axis`.

    Args:
        input_tensor: a bool tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A bool tensor.

    Example:
        >>> engine.reduce_all(engine.constant([[True, False], [True, True]]), 1).numpy()
        array([False,  True])
    """
    return dispatch(_ALL, (input_tensor,), _attrs(axis, keepdims, "reduce_all"))


# --- euclidean norm -------------------------------------------------------------------------
@computes_in_float32
def _euclidean_kernel(xp, x, axis=None, keepdims=False):
    if x.dtype.kind == "c":
        squares = (x * x.conj()).real
        return xp.sqrt(xp.sum(squares, axis=axis, keepdims=keepdims)).astype(x.dtype)
    squares = xp.square(x)
    out = xp.sqrt(xp.sum(squares, axis=axis, keepdims=keepdims, dtype=accumulator_dtype(x)))
    # Integer norms truncate, as TensorFlow's do.
    return out.astype(x.dtype, copy=False)


def _euclidean_vjp(ctx, g):
    # x / |x|, and 0 where the norm is exactly 0 (where x is 0 too): a subgradient.
    x = ctx.inputs[0]
    y = restore_reduced(ctx.outputs[0], ctx)
    g = restore_reduced(g, ctx)
    safe = where(_m.equal(y, 0), ones_like(y), y)
    return (_m.multiply(_m.divide(x, safe), g),)


_EUCLIDEAN = _reduction("reduce_euclidean_norm", "EuclideanNorm", _euclidean_kernel,
                        _euclidean_vjp, NUMERIC, "Euclidean norm of elements along axes.")


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """The Euclidean norm sqrt(sum(x**2)) of `input_tensor` along `axis`.

    Integer inputs give truncated integer norms, as in TensorFlow. The gradient x / norm is
    taken as 0 where the norm is exactly 0 (TF gives NaN there).

    Args:
        input_tensor: a numeric tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Example:
        >>> float(engine.math.reduce_euclidean_norm(engine.constant([3.0, 4.0])))
        5.0
    """
    return dispatch(_EUCLIDEAN, (input_tensor,), _attrs(axis, keepdims, "reduce_euclidean_norm"))
