"""`MinMaxSeries`: a bounded, downsampled (x, y) series for live charts of long runs.

A chart of a 100,000-batch `fit` cannot keep (or send to the browser) every point, and the
full per-epoch record already lives in Keras' `History`. A `MinMaxSeries` keeps at most
`max_points` points, whatever the number of appends:

- Points are grouped into buckets of `stride` consecutive appends. Each bucket keeps its
  lowest and its highest point (with their x), so a spike of one batch in a million stays
  visible, which plain subsampling would drop.
- When all buckets are full, neighbouring buckets merge pairwise and `stride` doubles. So
  every bucket always spans the same number of appends: the early part of a run keeps the
  same resolution as the recent part (resampling the stored points instead, as repeated
  LTTB passes do, thins the oldest data again at each pass).
- An append is a few float comparisons; the merge is a handful of vectorized NumPy calls,
  once every `max_points / 2` buckets.

Non-finite values (NaN, inf) are not plotted: they would wreck the axes' autoscale. They
are counted, and the x of the first one is kept (`first_nonfinite`), so a view can say
"loss became NaN at batch 1234".
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["MinMaxSeries"]


class MinMaxSeries:
    """A series of (x, y) points kept within `max_points` by min/max bucketing.

    Append points in increasing x; `points()` returns what to draw: each bucket's lowest
    and highest point in x order (one point while a bucket holds a single append).

    Args:
        max_points: the most points `points()` returns (at least 4).

    Raises:
        ValueError: if `max_points` is not an int of at least 4.

    Example:
        >>> series = MinMaxSeries(max_points=8)
        >>> for step in range(100):
        ...     series.append(step, 5.0 if step == 37 else 1.0)
        >>> x, y = series.points()
        >>> len(x) <= 8, series.stride, 5.0 in y, series.count
        (True, 32, True, 100)
    """

    def __init__(self, max_points: int = 2000):
        if not isinstance(max_points, int) or isinstance(max_points, bool) or max_points < 4:
            raise ValueError(f"MinMaxSeries: max_points must be an int >= 4 (each bucket "
                             f"draws its low and its high point); got "
                             f"max_points={max_points!r}.")
        self.max_points = max_points
        self._capacity = max_points // 2 - 1  # closed buckets; one more is filling
        # Closed buckets: (x, y) of each one's low and high point.
        self._low_x = np.empty(self._capacity)
        self._low_y = np.empty(self._capacity)
        self._high_x = np.empty(self._capacity)
        self._high_y = np.empty(self._capacity)
        self._closed = 0
        self._open = None  # [appends, low x, low y, high x, high y] of the filling bucket
        self.stride = 1
        self.count = 0
        self.nonfinite = 0
        self.first_nonfinite = None
        self.last = None

    def append(self, x: float, y: float) -> None:
        """Adds one point (x must not decrease from one append to the next).

        Args:
            x: the position, e.g. the global batch number.
            y: the value; NaN and inf are counted, not stored.

        Example:
            >>> series = MinMaxSeries(max_points=4)
            >>> series.append(0, 1.0)
            >>> series.append(1, float("nan"))
            >>> series.count, series.nonfinite, series.first_nonfinite
            (2, 1, 1)
        """
        self.count += 1
        if not math.isfinite(y):
            self.nonfinite += 1
            if self.first_nonfinite is None:
                self.first_nonfinite = x
            return
        self.last = (x, y)
        bucket = self._open
        if bucket is None:
            bucket = self._open = [0, x, y, x, y]
        elif y < bucket[2]:
            bucket[1], bucket[2] = x, y
        elif y > bucket[4]:
            bucket[3], bucket[4] = x, y
        bucket[0] += 1
        if bucket[0] >= self.stride:
            self._close()

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """The points to draw: each bucket's low and high point, in x order.

        Returns:
            `(x, y)`, two float64 arrays of the same length, at most `max_points`.

        Example:
            >>> series = MinMaxSeries(max_points=4)
            >>> for step, value in enumerate([3.0, 1.0, 2.0, 5.0, 4.0]):
            ...     series.append(step, value)
            >>> series.points()
            (array([1., 3., 4.]), array([1., 5., 4.]))
        """
        n = self._closed
        low_x, low_y = self._low_x[:n], self._low_y[:n]
        high_x, high_y = self._high_x[:n], self._high_y[:n]
        if self._open is not None:
            _, lx, ly, hx, hy = self._open
            low_x, low_y = np.append(low_x, lx), np.append(low_y, ly)
            high_x, high_y = np.append(high_x, hx), np.append(high_y, hy)
        low_first = low_x <= high_x
        # (buckets, 2): each bucket's two points in x order, then flattened.
        x = np.stack([np.where(low_first, low_x, high_x), np.where(low_first, high_x, low_x)], 1)
        y = np.stack([np.where(low_first, low_y, high_y), np.where(low_first, high_y, low_y)], 1)
        keep = np.ones(x.shape, dtype=bool)
        keep[:, 1] = x[:, 1] != x[:, 0]  # a bucket whose low and high are one point
        return x[keep], y[keep]

    def __len__(self) -> int:
        return len(self.points()[0])

    def __repr__(self) -> str:
        return (f"MinMaxSeries(count={self.count}, stride={self.stride}, "
                f"max_points={self.max_points})")

    def _close(self) -> None:
        if self._closed == self._capacity:
            self._merge_pairs()
            if self._open[0] < self.stride:  # the open bucket now has room for more
                return
        _, lx, ly, hx, hy = self._open
        i = self._closed
        self._low_x[i], self._low_y[i], self._high_x[i], self._high_y[i] = lx, ly, hx, hy
        self._closed += 1
        self._open = None

    def _merge_pairs(self) -> None:
        """Merges closed buckets pairwise; an odd one out merges into the open bucket."""
        half = self._closed // 2
        for xs, ys, pick in ((self._low_x, self._low_y, np.less),
                             (self._high_x, self._high_y, np.greater)):
            x_a, x_b = xs[0:2 * half:2], xs[1:2 * half:2]
            y_a, y_b = ys[0:2 * half:2], ys[1:2 * half:2]
            second = pick(y_b, y_a)  # ties keep the earlier point
            xs[:half] = np.where(second, x_b, x_a)
            ys[:half] = np.where(second, y_b, y_a)
        if self._closed % 2:
            # The open bucket is full here (`stride` appends): with the odd one out (also
            # `stride` appends, all earlier) it makes one full bucket of the doubled stride.
            i, bucket = self._closed - 1, self._open
            if bucket[2] < self._low_y[i]:
                self._low_x[i], self._low_y[i] = bucket[1], bucket[2]
            if bucket[4] > self._high_y[i]:
                self._high_x[i], self._high_y[i] = bucket[3], bucket[4]
            bucket[0] += self.stride
            bucket[1:] = [self._low_x[i], self._low_y[i], self._high_x[i], self._high_y[i]]
        self._closed = half
        self.stride *= 2
