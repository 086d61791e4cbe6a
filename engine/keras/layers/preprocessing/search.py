"""Sorted-array search and integer tables, written with engine ops so they trace.

`searchsorted(sorted_values, x, side)` is a vectorized binary search: a fixed number of
halving steps (the bit length of the array's size), each a gather, a compare and two
selects, so it runs in `O(n log m)` for `n` queries into `m` values and traces into an
ordinary graph. `Discretization` buckets values with it; `IntegerTable` looks up integer
keys with it (or, when the keys span a small range, with one gather from a dense table).
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.ops import math_ops, select_ops, unary_ops
from engine.ops.clip_ops import clip_by_value
from engine.ops.fill_ops import zeros_like
from engine.ops.gather_ops import gather

__all__ = ["searchsorted", "IntegerTable"]

# A dense table is used when the keys span at most this many slots per key (or 4096).
_DENSE_SLOTS_PER_KEY = 4
_DENSE_MIN_SLOTS = 4096


def searchsorted(sorted_values, x, size: int, side: str = "left"):
    """Where each element of `x` would go in `sorted_values` to keep it sorted.

    Args:
        sorted_values: a sorted 1-D tensor or variable of `size` elements, same dtype as x.
        x: the values to place (any shape).
        size: the static length of `sorted_values`.
        side: "left" (first position with value >= x) or "right" (first with value > x).

    Returns:
        An int64 tensor shaped like `x`.
    """
    lo = zeros_like(x, dtype=_dt.int64)
    if size == 0:
        return lo
    hi = lo + size
    last = size - 1
    for _ in range(int(size).bit_length()):
        mid = math_ops.floordiv(lo + hi, 2)
        value = gather(sorted_values, math_ops.minimum(mid, last))
        right = math_ops.less(value, x) if side == "left" else math_ops.less_equal(value, x)
        active = math_ops.less(lo, hi)
        lo = select_ops.where(math_ops.logical_and(active, right), mid + 1, lo)
        hi = select_ops.where(math_ops.logical_and(active, unary_ops.logical_not(right)),
                              mid, hi)
    return lo


class IntegerTable:
    """An immutable int64 -> int64 map whose `lookup` runs as engine ops.

    Args:
        keys: distinct integer keys.
        values: the value of each key.
    """

    def __init__(self, keys, values):
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        values = np.asarray(values, dtype=np.int64).reshape(-1)
        self.size = len(keys)
        self._dense = None
        if not self.size:
            return
        low, high = int(keys.min()), int(keys.max())
        span = high - low + 1
        if span <= max(_DENSE_SLOTS_PER_KEY * self.size, _DENSE_MIN_SLOTS):
            table = np.full(span, -1, dtype=np.int64)
            table[keys - low] = values
            self._low, self._span = low, span
            self._dense = convert_to_tensor(table)
        else:
            order = np.argsort(keys)
            self._keys = convert_to_tensor(keys[order])
            self._values = convert_to_tensor(values[order])

    def lookup(self, x):
        """`(found, value)`: whether each int64 element of `x` is a key, and its value.

        `value` is meaningless where `found` is False.
        """
        if not self.size:
            return math_ops.not_equal(x, x), zeros_like(x)
        if self._dense is not None:
            offset = x - self._low
            inside = math_ops.logical_and(math_ops.greater_equal(offset, 0),
                                          math_ops.less(offset, self._span))
            value = gather(self._dense, clip_by_value(offset, 0, self._span - 1))
            return math_ops.logical_and(inside, math_ops.greater_equal(value, 0)), value
        position = math_ops.minimum(searchsorted(self._keys, x, self.size), self.size - 1)
        found = math_ops.equal(gather(self._keys, position), x)
        return found, gather(self._values, position)
