"""`MinMaxSeries`: bounded size, every bucket's extremes kept, uniform resolution."""

import math

import numpy as np
import pytest

from widgets.history import MinMaxSeries


def fill(values, max_points):
    series = MinMaxSeries(max_points)
    for i, value in enumerate(values):
        series.append(i, float(value))
    return series


def test_short_series_are_kept_exactly():
    values = [3.0, 1.0, 4.0, 1.5, 5.0]
    x, y = fill(values, 20).points()
    assert x.tolist() == [0, 1, 2, 3, 4]
    assert y.tolist() == values


@pytest.mark.parametrize("max_points", [4, 5, 6, 7, 10, 101, 2000])
@pytest.mark.parametrize("n", [1, 3, 17, 1000, 12_345])
def test_size_is_bounded_and_every_bucket_keeps_its_extremes(max_points, n):
    values = np.random.default_rng(n + max_points).normal(size=n)
    series = fill(values, max_points)
    x, y = series.points()
    assert len(x) <= max_points
    assert series.count == n
    assert np.all(np.diff(x) > 0), "points come in increasing x"
    assert np.array_equal(y, values[x.astype(int)]), "every point is a real data point"
    stride = series.stride
    kept = set(x.astype(int).tolist())
    for start in range(0, n - n % stride, stride):  # every full bucket of `stride` appends
        window = values[start:start + stride]
        assert start + int(np.argmin(window)) in kept
        assert start + int(np.argmax(window)) in kept


def test_resolution_is_uniform_over_the_run():
    """Old data is not thinned more than new data (what repeated resampling does)."""
    series = fill(np.sin(np.arange(100_000) / 500.0), 200)
    x, _ = series.points()
    first_half = np.sum(x < 50_000)
    assert abs(first_half - (len(x) - first_half)) <= 4


def test_a_single_spike_survives_a_long_run():
    values = np.ones(100_000)
    values[63_211] = 40.0
    values[7] = -3.0
    x, y = fill(values, 100).points()
    assert 40.0 in y and -3.0 in y
    assert x[y.argmax()] == 63_211 and x[y.argmin()] == 7


def test_nonfinite_values_are_counted_not_drawn():
    series = fill([1.0, math.nan, 2.0, math.inf, -math.inf], 10)
    x, y = series.points()
    assert x.tolist() == [0, 2] and y.tolist() == [1.0, 2.0]
    assert series.nonfinite == 3 and series.first_nonfinite == 1 and series.count == 5


@pytest.mark.parametrize("bad", [3, 0, 2.5, "10", True])
def test_bad_max_points_is_rejected(bad):
    with pytest.raises(ValueError, match="max_points must be an int >= 4"):
        MinMaxSeries(bad)


def test_memory_does_not_grow_with_appends():
    import tracemalloc

    series = MinMaxSeries(500)
    for i in range(5_000):
        series.append(i, float(i % 13))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(5_000, 100_000):
        series.append(i, float(i % 13))
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 2_000, f"grew by {after - before} bytes over 95k appends"
