"""`bincount` and `confusion_matrix` (`engine.math`), composites of segment sums."""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops.fill_ops import ones_like
from engine.ops.gather_ops import unsorted_segment_sum
from engine.ops.join_ops import concat, stack
from engine.ops.math_extras import static_rank
from engine.ops.reduce_ops import reduce_max
from engine.ops.scan_ops import cumsum
from engine.ops.select_ops import where
from engine.ops.shape_ops import shape
from engine.ops.shape_tensors import is_symbolic
from engine.ops.static_args import static_int
from engine.registry import INTEGER

__all__ = ["bincount", "confusion_matrix"]


# --- counting -------------------------------------------------------------------------------------
def _check_non_negative(op: str, what: str, x) -> None:
    """InvalidArgumentError for negative values, where they are known (eagerly)."""
    if not is_symbolic(x) and x.dtype.is_integer and x.shape.num_elements():
        low = int(np.min(x.numpy()))
        if low < 0:
            raise InvalidArgumentError(f"{op}: {what} holds {low}; expected non-negative "
                                       "integers (counts are indexed by value).", op=op)


def _static_or_tensor(value, what: str):
    return value if value is None or is_symbolic(value) else static_int(value, what)


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=_dt.int32, name=None,
             axis=None, binary_output=False):
    """Counts the occurrences of each value in an integer tensor.

    The output has `max(arr) + 1` bins (0 for an empty `arr`), at least `minlength` and at
    most `maxlength` (values >= maxlength are skipped).

    Args:
        arr: a tensor of non-negative integers.
        weights: None, or a tensor shaped like `arr` whose entries are summed instead of 1.
        minlength: the least number of bins.
        maxlength: the most bins; larger values are ignored.
        dtype: the output dtype when `weights` is None.
        axis: None or 0 (count over all of `arr`), or -1 (count each row of the last axis).
        binary_output: 1 where a value occurs instead of its count (no weights then).

    Returns:
        The counts: shape `(bins,)`, or `arr.shape[:-1] + (bins,)` with axis=-1; the dtype of
        `weights`, else `dtype`.

    Raises:
        InvalidArgumentError: for negative values (when known), a bad axis, or weights
            with binary_output.

    Example:
        >>> engine.math.bincount([1, 1, 2, 5]).numpy()
        array([0, 2, 1, 0, 0, 1], dtype=int32)
        >>> engine.math.bincount([[1, 0], [2, 2]], axis=-1).numpy()
        array([[1, 1, 0],
               [0, 0, 2]], dtype=int32)
    """
    op = "bincount"
    arr = convert_to_tensor(arr)
    _inf.check_dtype(op, arr, INTEGER, "arr")
    if axis not in (None, 0, -1):
        raise InvalidArgumentError(f"bincount: got axis={axis!r}; expected None or 0 (count "
                                   "over all values) or -1 (count each row).")
    if weights is not None and binary_output:
        raise InvalidArgumentError("bincount: got weights and binary_output=True; they exclude "
                                   "each other, give one.")
    values = ones_like(arr, dtype=dtype) if weights is None else convert_to_tensor(weights)
    if not values.shape.is_compatible_with(arr.shape):
        raise ShapeError(f"bincount: got weights of shape {values.shape} for arr of shape "
                         f"{arr.shape}; expected the same shape.")
    _check_non_negative(op, "arr", arr)
    minlength = _static_or_tensor(minlength, "bincount minlength")
    maxlength = _static_or_tensor(maxlength, "bincount maxlength")
    ids = _m.cast(arr, _dt.int32 if arr.dtype is _dt.int32 else _dt.int64)
    bins = _m.add(reduce_max(concat([[-1], _a.reshape(ids, [-1])], axis=0)), 1)
    if minlength is not None:
        bins = _m.maximum(bins, minlength)
    if maxlength is not None:
        bins = _m.minimum(bins, maxlength)
        ids = where(_m.less(ids, bins), ids, -1)  # values past maxlength are skipped
    if axis == -1 and static_rank(op, ids) > 1:
        dims = shape(ids)
        ids = _a.reshape(ids, concat([[-1], dims[-1:]], axis=0))  # (rows, n)
        values = _a.reshape(values, shape(ids))
        rows = cumsum(ones_like(ids), axis=0, exclusive=True)  # each element's row
        ids = where(_m.greater_equal(ids, 0), _m.add(ids, _m.multiply(rows, bins)), -1)
        counts = unsorted_segment_sum(values, ids, _m.multiply(shape(ids, ids.dtype)[0], bins))
        out_shape = concat([_m.cast(dims[:-1], bins.dtype), _a.expand_dims(bins, 0)], axis=0)
        counts = _a.reshape(counts, out_shape)  # arr.shape[:-1] + (bins,)
    else:
        counts = unsorted_segment_sum(values, ids, bins)
    return _m.cast(_m.greater(counts, 0), dtype) if binary_output else counts


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=_dt.int32,
                     name=None):
    """The confusion matrix: `out[i, j]` counts (or weighs) label i predicted as j.

    Args:
        labels: 1-D integer labels in [0, num_classes).
        predictions: 1-D integer predictions, as many as labels.
        num_classes: the number of classes (default: 1 + the largest label or prediction).
        weights: None, or one weight per label, summed instead of 1.
        dtype: the output dtype (weights are cast to it).

    Returns:
        A `(num_classes, num_classes)` tensor of `dtype`.

    Raises:
        ShapeError: for labels and predictions (or weights) of different or non-1-D shapes.
        InvalidArgumentError: for negative values or values >= num_classes (when known).

    Example:
        >>> engine.math.confusion_matrix([1, 2, 4], [2, 2, 4]).numpy()
        array([[0, 0, 0, 0, 0],
               [0, 0, 1, 0, 0],
               [0, 0, 1, 0, 0],
               [0, 0, 0, 0, 0],
               [0, 0, 0, 0, 1]], dtype=int32)
    """
    op = "confusion_matrix"
    labels = _m.cast(convert_to_tensor(labels), _dt.int64)
    predictions = _m.cast(convert_to_tensor(predictions), _dt.int64)
    values = ones_like(labels, dtype=dtype) if weights is None else _m.cast(weights, dtype)
    for what, t in (("predictions", predictions), ("weights", values)):
        if labels.shape.rank not in (None, 1) or not t.shape.is_compatible_with(labels.shape):
            raise ShapeError(f"{op}: got labels of shape {labels.shape} and {what} of shape "
                             f"{t.shape}; expected 1-D tensors of one length.")
    for what, t in (("labels", labels), ("predictions", predictions)):
        _check_non_negative(op, what, t)
    if num_classes is None:
        largest = reduce_max(concat([[-1], labels, predictions], axis=0))
        num_classes = _m.add(largest, 1)
    else:
        num_classes = _static_or_tensor(num_classes, "confusion_matrix num_classes")
        for what, t in (("labels", labels), ("predictions", predictions)):
            if not is_symbolic(t) and isinstance(num_classes, int) and t.shape.num_elements():
                if int(np.max(t.numpy())) >= num_classes:
                    raise InvalidArgumentError(
                        f"{op}: {what} holds {int(np.max(t.numpy()))}; expected values < "
                        f"num_classes={num_classes}. Raise num_classes or check the {what}.",
                        op=op)
    ids = _m.add(_m.multiply(labels, num_classes), predictions)
    counts = unsorted_segment_sum(values, ids, _m.multiply(num_classes, num_classes))
    return _a.reshape(counts, stack([num_classes, num_classes]))
