"""TensorFlow 2's smaller array functions: unique values, sorted search, shape checks.

Registered ops where a composite cannot do it: `Unique`/`UniqueWithCounts` (a length known
only at run time; no gradient, as in TF), `LowerBound`/`UpperBound` (searchsorted),
`EnsureShape` (a run-time check; the gradient passes through) and `UnravelIndex` (a
run-time range check). The rest are composites of existing ops, so gradients, tracing and
GPUs come for free; `get_static_value` runs no op. The `engine.nn` ones are in `nn_extras`.
"""

from __future__ import annotations

import functools

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor, tensor_or_variable
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import shape_tensors as _st
from engine.ops.fill_ops import ones_like
from engine.ops.gather_ops import unsorted_segment_sum
from engine.ops.static_args import static_int
from engine.registry import REAL, OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = [
    "unique", "unique_with_counts", "searchsorted", "ensure_shape", "get_static_value",
    "unravel_index", "histogram_fixed_width",
]

_INDEX = (_dt.int32, _dt.int64)




def _index_dtype(op: str, what: str, dtype) -> _dt.DType:
    dtype = _dt.as_dtype(dtype)
    if dtype not in _INDEX:
        raise DTypeError(f"{op}: got {what}={dtype.name}; expected engine.int32 or engine.int64.")
    return dtype


# --- unique -----------------------------------------------------------------------------------
def _unique_infer(x, out_idx="int32", counts=False):
    op = "unique_with_counts" if counts else "unique"
    if x.shape.rank not in (None, 1):
        raise ShapeError(f"{op}: got x of shape {x.shape}; expected a 1-D tensor. Flatten it "
                         "first with engine.reshape(x, [-1]).")
    idx = _index_dtype(op, "out_idx", out_idx)
    specs = (TensorSpec([None], x.dtype), TensorSpec(x.shape.with_rank(1), idx))
    return specs + (TensorSpec([None], idx),) if counts else specs


def _unique_kernel(xp, x, out_idx="int32", counts=False):
    if x.ndim != 1:
        raise ValueError("unique: x is not 1-D")  # dispatch asks infer to explain
    values, first, inverse, count = xp.unique(x, return_index=True, return_inverse=True,
                                              return_counts=True)
    order = xp.argsort(first)  # the sorted values, in the order they first occur in x
    position = xp.empty_like(order)
    position[order] = xp.arange(order.size, dtype=order.dtype)
    idx_type = _dt.as_dtype(out_idx)._np
    out = (values[order], position[inverse.reshape(-1)].astype(idx_type))
    return out + (count[order].astype(idx_type),) if counts else out


def _unique_op(name: str, tf_name: str, counts: bool) -> OpDef:
    return register(OpDef(
        name, tf_name, ("x",), functools.partial(_unique_infer, counts=counts),
        functools.partial(_unique_kernel, counts=counts), attrs={"out_idx": "int32"},
        num_outputs=3 if counts else 2, doc="The distinct values of a 1-D tensor, in order."))


_UNIQUE = _unique_op("unique", "Unique", counts=False)
_UNIQUE_WITH_COUNTS = _unique_op("unique_with_counts", "UniqueWithCounts", counts=True)


def unique(x, out_idx=_dt.int32, name=None):
    """The distinct values of a 1-D tensor, in the order they first occur, and where each went.

    `y[idx[i]] == x[i]`. No gradient, as in TensorFlow. NaNs count as one value, as in
    NumPy. Inside `engine.function` the length of `y` is unknown (None).

    Args:
        x: a 1-D tensor.
        out_idx: the dtype of `idx`, engine.int32 or engine.int64.

    Returns:
        `(y, idx)`: `y` the distinct values (x's dtype), `idx` x's shape, of dtype `out_idx`.

    Example:
        >>> y, idx = engine.unique([4, 5, 1, 2, 3, 3, 4, 5])
        >>> y.numpy(), idx.numpy()
        (array([4, 5, 1, 2, 3], dtype=int32), array([0, 1, 2, 3, 4, 4, 0, 1], dtype=int32))
    """
    return dispatch(_UNIQUE, (x,), {"out_idx": _index_dtype("unique", "out_idx", out_idx).name})


def unique_with_counts(x, out_idx=_dt.int32, name=None):
    """`unique`, plus how often each distinct value occurs.

    Args:
        x: a 1-D tensor.
        out_idx: the dtype of `idx` and `count`, engine.int32 or engine.int64.

    Returns:
        `(y, idx, count)`: as `unique`, and `count[j]` the number of `i` with `idx[i] == j`.

    Example:
        >>> y, idx, count = engine.unique_with_counts([1, 1, 2, 4, 4, 4, 7])
        >>> count.numpy()
        array([2, 1, 3, 1], dtype=int32)
    """
    out_idx = _index_dtype("unique_with_counts", "out_idx", out_idx).name
    return dispatch(_UNIQUE_WITH_COUNTS, (x,), {"out_idx": out_idx})


# --- searchsorted -----------------------------------------------------------------------------
def _bound_infer(op: str):
    def infer(sorted_inputs, values, out_type="int32"):
        _inf.same_dtype(op, sorted_inputs, values)
        _inf.check_dtype(op, sorted_inputs, REAL, "sorted_sequence")
        out = _index_dtype(op, "out_type", out_type)
        seq, val = sorted_inputs.shape, values.shape
        if 0 in (seq.rank, val.rank) or (seq.rank is not None and val.rank is not None and (
                seq.rank != val.rank or not seq[:-1].is_compatible_with(val[:-1]))):
            raise ShapeError(f"{op}: got sorted_sequence of shape {seq} and values of shape "
                             f"{val}; expected tensors of rank >= 1 whose dimensions match "
                             "except the last (the one searched).")
        return TensorSpec(val, out)

    return infer


def _sorts_before(xp, a, b):
    """a < b in NumPy's sort order, where NaN comes after every number."""
    if a.dtype.kind != "f":
        return a < b
    return (a < b) | (xp.isnan(b) & ~xp.isnan(a))


def _bound_kernel(side: str):
    def kernel(xp, sorted_inputs, values, out_type="int32"):
        out = _dt.as_dtype(out_type)._np
        if values.ndim != sorted_inputs.ndim or values.shape[:-1] != sorted_inputs.shape[:-1]:
            raise ValueError("searchsorted: shapes differ")  # dispatch asks infer to explain
        if sorted_inputs.ndim == 1:
            return xp.searchsorted(sorted_inputs, values, side=side).astype(out)
        n = sorted_inputs.shape[-1]
        low = xp.zeros(values.shape, np.int64)
        high = xp.full(values.shape, n, np.int64)
        for _ in range(n.bit_length()):  # each step halves every row's open interval
            mid = (low + high) // 2
            probe = xp.take_along_axis(sorted_inputs, xp.minimum(mid, max(n - 1, 0)), -1)
            if side == "left":
                right = _sorts_before(xp, probe, values)
            else:
                right = ~_sorts_before(xp, values, probe)
            right &= low < high
            low = xp.where(right, mid + 1, low)
            high = xp.where(right, high, mid)
        return low.astype(out)

    return kernel


_LOWER = register(OpDef("lower_bound", "LowerBound", ("sorted_inputs", "values"),
                        _bound_infer("searchsorted"), _bound_kernel("left"),
                        attrs={"out_type": "int32"}, dtypes=REAL,
                        doc="For each value, the first index of its row not below it."))
_UPPER = register(OpDef("upper_bound", "UpperBound", ("sorted_inputs", "values"),
                        _bound_infer("searchsorted"), _bound_kernel("right"),
                        attrs={"out_type": "int32"}, dtypes=REAL,
                        doc="For each value, the first index of its row above it."))


def searchsorted(sorted_sequence, values, side="left", out_type=_dt.int32, name=None):
    """Where each value would go in a sorted sequence, searching the last axis.

    Leading dimensions are batch dimensions: row `r` of `values` is searched in row `r` of
    `sorted_sequence`. No gradient. NaN sorts after every number, as in NumPy.

    Args:
        sorted_sequence: a tensor of rank >= 1, sorted ascending along its last axis.
        values: a tensor of the same dtype and rank, with the same leading dimensions.
        side: 'left' (the first index i with values <= sorted_sequence[i]) or 'right' (the
            first with values < sorted_sequence[i]).
        out_type: engine.int32 or engine.int64.

    Returns:
        A tensor of `values`' shape: indices into the last axis of `sorted_sequence`.

    Example:
        >>> engine.searchsorted([0, 3, 9, 10, 10], [0, 4, 10], side="right").numpy()
        array([1, 2, 5], dtype=int32)
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: got side={side!r}; expected 'left' or 'right'.")
    out = _index_dtype("searchsorted", "out_type", out_type).name
    if isinstance(sorted_sequence, Tensor) and isinstance(values, Tensor):
        _inf.same_dtype("searchsorted", sorted_sequence, values)  # names the public function
    return dispatch(_LOWER if side == "left" else _UPPER, (sorted_sequence, values),
                    {"out_type": out})


# --- ensure_shape -----------------------------------------------------------------------------
def _ensure_infer(x, shape=None):
    expected = TensorShape(shape)
    if not x.shape.is_compatible_with(expected):
        raise ShapeError(f"ensure_shape: got a tensor of shape {x.shape}; expected a shape "
                         f"compatible with {expected}. Fix the shape given or the tensor.")
    return TensorSpec(x.shape.merge_with(expected), x.dtype)


def _ensure_kernel(xp, x, shape=None):
    if shape is not None and (len(shape) != x.ndim or any(
            d is not None and d != s for d, s in zip(shape, x.shape))):
        raise InvalidArgumentError(
            f"ensure_shape: the tensor has shape {tuple(x.shape)} when it runs; expected a "
            f"shape compatible with {TensorShape(shape)} (None: any size).", op="EnsureShape")
    return x


_ENSURE = register(OpDef("ensure_shape", "EnsureShape", ("input",), _ensure_infer,
                         _ensure_kernel, vjp=lambda ctx, g: (g,), attrs={"shape": None},
                         doc="The input unchanged; fails when its shape is not the one given."))


def ensure_shape(x, shape, name=None):
    """Returns `x`, checking when it runs that its shape is compatible with `shape`.

    While tracing, the result's static shape merges both: `TensorShape([None, 3])` for `x` of
    shape `(None, None)` and `shape=[None, 3]`. The gradient passes through.

    Args:
        x: a tensor.
        shape: a `TensorShape`, list or tuple (None for sizes that may be anything), or None
            for any shape.

    Returns:
        A tensor with `x`'s value. ShapeError when tracing knows the shapes differ,
        InvalidArgumentError when they differ as the op runs (eagerly or in a graph).

    Example:
        >>> engine.ensure_shape(engine.zeros([2, 3]), [None, 3]).shape
        TensorShape([2, 3])
        >>> engine.ensure_shape(engine.zeros([3]), [5])
        Traceback (most recent call last):
        ...
        engine.errors.InvalidArgumentError: ensure_shape: the tensor has shape (3,) when it ...
    """
    dims = TensorShape(shape).dims
    return dispatch(_ENSURE, (x,), {"shape": None if dims is None else tuple(dims)})


# --- get_static_value -------------------------------------------------------------------------
def get_static_value(tensor, partial=False):
    """The value of `tensor` as a NumPy array when it is known before a graph runs, else None.

    As in TensorFlow, a variable gives None and a non-tensor is returned as is. Inside
    `engine.function` a symbolic tensor gives its value when its node is a constant or it is
    a small integer tensor that tracing knows (sizes from `engine.shape`, their slices and
    arithmetic); other symbolic tensors give None.

    Args:
        tensor: a tensor, a variable or a value.
        partial: for a 1-D integer tensor of which tracing knows only some entries, an
            object array with None for the unknown ones (instead of None).

    Returns:
        A NumPy array (or scalar), or None.

    Example:
        >>> int(engine.get_static_value(engine.constant(10) + 20))
        30
        >>> print(engine.get_static_value(engine.Variable(1)))
        None
    """
    if hasattr(tensor, "_read"):
        return None
    if not isinstance(tensor, Tensor):
        return tensor
    node = getattr(tensor, "_node", None)
    if node is None:
        return tensor.numpy()
    if node.type == "Const":
        return np.array(node.value)
    if tensor.dtype not in _INDEX:
        return None
    known = _st.known_values(tensor)
    if known is not None:
        return known.astype(tensor.dtype.as_numpy_dtype)
    if partial and tensor.shape.rank == 1:
        dims = _st.known_dims(tensor)
        if dims is not None and any(d is not None for d in dims):
            return np.array(dims, dtype=object)
    return None


# --- unravel_index ----------------------------------------------------------------------------
def _unravel_infer(indices, dims):
    op = "unravel_index"
    _inf.same_dtype(op, indices, dims)
    _inf.check_dtype(op, indices, frozenset(_INDEX), "indices")
    if indices.shape.rank not in (None, 0, 1) or dims.shape.rank not in (None, 1):
        raise ShapeError(f"{op}: got indices of shape {indices.shape} and dims of shape "
                         f"{dims.shape}; expected 0-D or 1-D indices and 1-D dims.")
    if indices.shape.rank is None:
        return TensorSpec(None, indices.dtype)
    count = dims.shape[0] if dims.shape.rank == 1 else None
    return TensorSpec([count] + indices.shape.as_list(), indices.dtype)


def _unravel_kernel(xp, indices, dims):
    if indices.ndim > 1 or dims.ndim != 1:
        raise ValueError("unravel_index: bad ranks")  # dispatch asks infer to explain
    shape = [int(d) for d in dims.tolist()]
    total = int(np.prod(shape, dtype=np.int64))
    low, high = (int(indices.min()), int(indices.max())) if indices.size else (0, -1)
    if min(shape, default=1) < 0 or low < 0 or high >= total:
        raise InvalidArgumentError(
            f"unravel_index: got indices from {low} to {high} for dims {shape}; expected "
            f"dims >= 0 and indices in [0, {total}).", op="UnravelIndex")
    out = xp.empty((len(shape),) + indices.shape, indices.dtype)
    stride = total
    for axis, size in enumerate(shape):  # row-major: the last axis varies fastest
        stride //= max(size, 1)
        out[axis] = (indices // max(stride, 1)) % max(size, 1)
    return out


_UNRAVEL = register(OpDef("unravel_index", "UnravelIndex", ("indices", "dims"),
                          _unravel_infer, _unravel_kernel, dtypes=frozenset(_INDEX),
                          doc="The coordinates of flat indices into an array of shape dims."))


def unravel_index(indices, dims, name=None):
    """The coordinates of flat (row-major) indices into an array of shape `dims`.

    Like `np.unravel_index`, stacked: row `k` holds the coordinates along axis `k`.

    Args:
        indices: a 0-D or 1-D int32 or int64 tensor of flat indices.
        dims: a 1-D tensor of the same dtype, the array's shape.

    Returns:
        A tensor of shape `(len(dims),) + indices.shape`, of `indices`' dtype.
        InvalidArgumentError for an index outside `[0, prod(dims))`, when the op runs.

    Example:
        >>> engine.unravel_index([2, 5, 7], [3, 3]).numpy()
        array([[0, 1, 2],
               [2, 2, 1]], dtype=int32)
    """
    return dispatch(_UNRAVEL, (indices, dims))


# --- histogram_fixed_width --------------------------------------------------------------------
def histogram_fixed_width(values, value_range, nbins=100, dtype=_dt.int32, name=None):
    """Counts `values` in `nbins` equal bins spanning `value_range`.

    Values at or below `lo` count in the first bin, those at or above `hi` in the last; as
    TensorFlow's kernel, the bin is `(max(v, lo) - lo) / ((hi - lo) / nbins)` in float64.
    InvalidArgumentError when lo >= hi (checked when `value_range` is known) or nbins <= 0.

    Args:
        values: a numeric tensor of any shape.
        value_range: `[lo, hi]` with lo < hi, of `values`' dtype.
        nbins: the number of bins (a positive int or scalar int32 tensor).
        dtype: the dtype of the counts, engine.int32 or engine.int64.

    Returns:
        A 1-D tensor of `nbins` counts.

    Example:
        >>> engine.histogram_fixed_width([-1.0, 0.0, 1.5, 2.0, 5.0, 15], [0.0, 5.0], 5).numpy()
        array([2, 1, 1, 0, 2], dtype=int32)
    """
    op = "histogram_fixed_width"
    values = tensor_or_variable(values)
    _inf.check_dtype(op, TensorSpec(values.shape, values.dtype), REAL, "values")
    dtype = _index_dtype(op, "dtype", dtype)
    value_range = value_range if isinstance(value_range, Tensor) else convert_to_tensor(
        value_range, values.dtype)
    if value_range.shape.rank is not None and value_range.shape.as_list() not in ([2], [None]):
        raise ShapeError(f"{op}: got value_range of shape {value_range.shape}; expected [lo, hi]")
    known = get_static_value(value_range)
    if known is not None and not known[0] < known[1]:
        raise InvalidArgumentError(f"{op}: got value_range {known.tolist()}; expected "
                                   "value_range[0] < value_range[1].")
    if _st.is_symbolic(nbins):
        count = _m.cast(nbins, _dt.float64)
        last = _m.subtract(count, 1.0)
    else:
        nbins = static_int(nbins, f"{op} nbins")
        if nbins <= 0:
            raise InvalidArgumentError(f"{op}: got nbins={nbins}; expected a positive count.")
        count, last = float(nbins), float(nbins - 1)
    low = value_range[0]
    offset = _m.cast(_m.subtract(_m.maximum(values, low), low), _dt.float64)
    step = _m.divide(_m.cast(_m.subtract(value_range[1], low), _dt.float64), count)
    bins = _m.cast(_m.minimum(_m.divide(offset, step), last), _dt.int32)
    bins = _a.reshape(bins, [-1])
    return unsorted_segment_sum(ones_like(bins, dtype=dtype), bins, nbins)
