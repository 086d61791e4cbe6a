"""Sparse segment reductions: `sparse_segment_sum`, `sparse_segment_mean`, `sparse_segment_sqrt_n`.

Composites: the rows `data[indices]` (a `gather`) reduced by sorted segment ids with the
unsorted segment reductions, so gradients, tracing and devices come for free. TensorFlow 2
exposes them as `tf.sparse.segment_sum` and friends; engine has no `sparse` module, so they
live in `engine.math` under their TF1 names.
"""

from __future__ import annotations

import numpy as np

from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import segment_ops as _seg
from engine.ops.gather_ops import gather, unsorted_segment_sum
from engine.ops.static_args import static_int
from engine.registry import FLOAT

__all__ = ["sparse_segment_sum", "sparse_segment_mean", "sparse_segment_sqrt_n"]


# --- sparse segment reductions ----------------------------------------------------------------
def _sparse_segments(op: str, data, indices, segment_ids, num_segments):
    """The gathered rows, the ids and the number of segments, after TF's checks."""
    data = convert_to_tensor(data)
    ids = np.asarray(convert_to_tensor(segment_ids))
    if ids.ndim != 1 or np.asarray(indices).ndim != 1 or ids.size != np.asarray(indices).size:
        raise ShapeError(f"{op}: got indices of shape {np.shape(indices)} and segment_ids of "
                         f"shape {ids.shape}; expected two 1-D tensors of one length.")
    if ids.size and (ids[0] < 0 or np.any(ids[1:] < ids[:-1])):
        raise InvalidArgumentError(f"{op}: segment_ids must be sorted and non-negative; got "
                                   f"{ids.tolist()[:10]}. Sort them together with indices.",
                                   op=op)
    num = int(ids[-1]) + 1 if ids.size else 0
    if num_segments is not None:
        given = static_int(num_segments, f"{op} num_segments")
        if given < num:
            raise InvalidArgumentError(f"{op}: got num_segments={given}; expected it to exceed "
                                       f"the largest segment id {num - 1}.", op=op)
        num = given
    return gather(data, indices), convert_to_tensor(segment_ids), num


def sparse_segment_sum(data, indices, segment_ids, num_segments=None, name=None):
    """Sums the rows `data[indices]` by sorted `segment_ids` (TF 2's `tf.sparse.segment_sum`).

    Args:
        data: a numeric tensor.
        indices: a 1-D integer tensor of rows of `data` to take.
        segment_ids: a sorted 1-D integer tensor, one non-negative id per index.
        num_segments: the number of output rows (default: the largest id + 1).

    Returns:
        A tensor of shape `(num_segments,) + data.shape[1:]`; empty segments hold 0.

    Raises:
        InvalidArgumentError: for unsorted ids or ids >= num_segments; InvalidIndexError for
        an index out of range.

    Example:
        >>> engine.math.sparse_segment_sum([1.0, 2.0, 4.0], [0, 2, 2], [0, 0, 1]).numpy()
        array([5., 4.], dtype=float32)
    """
    rows, ids, num = _sparse_segments("sparse_segment_sum", data, indices, segment_ids,
                                      num_segments)
    return unsorted_segment_sum(rows, ids, num)


def _float_data(op: str, data):
    data = convert_to_tensor(data)
    if data.dtype not in FLOAT:
        raise DTypeError(f"{op}: got data of dtype {data.dtype.name}; expected a floating "
                         "dtype. Cast it with engine.cast(data, engine.float32).")
    return data


def sparse_segment_mean(data, indices, segment_ids, num_segments=None, name=None):
    """The mean of the rows `data[indices]` by sorted `segment_ids` (0 for empty segments).

    Args:
        data: a floating tensor.
        indices: a 1-D integer tensor of rows of `data` to take.
        segment_ids: a sorted 1-D integer tensor, one non-negative id per index.
        num_segments: the number of output rows (default: the largest id + 1).

    Returns:
        A tensor of shape `(num_segments,) + data.shape[1:]`.

    Example:
        >>> engine.math.sparse_segment_mean([1.0, 2.0, 4.0], [0, 2, 2], [0, 0, 2]).numpy()
        array([2.5, 0. , 4. ], dtype=float32)
    """
    op = "sparse_segment_mean"
    rows, ids, num = _sparse_segments(op, _float_data(op, data), indices, segment_ids,
                                      num_segments)
    return _seg.unsorted_segment_mean(rows, ids, num)


def sparse_segment_sqrt_n(data, indices, segment_ids, num_segments=None, name=None):
    """The sum of the rows `data[indices]` by sorted `segment_ids`, over sqrt(count).

    Args:
        data: a floating tensor.
        indices: a 1-D integer tensor of rows of `data` to take.
        segment_ids: a sorted 1-D integer tensor, one non-negative id per index.
        num_segments: the number of output rows (default: the largest id + 1).

    Returns:
        A tensor of shape `(num_segments,) + data.shape[1:]`; empty segments hold 0.

    Example:
        >>> engine.math.sparse_segment_sqrt_n([1.0, 3.0], [0, 1], [0, 0]).numpy()
        array([2.828427], dtype=float32)
    """
    op = "sparse_segment_sqrt_n"
    rows, ids, num = _sparse_segments(op, _float_data(op, data), indices, segment_ids,
                                      num_segments)
    return _seg.unsorted_segment_sqrt_n(rows, ids, num)
