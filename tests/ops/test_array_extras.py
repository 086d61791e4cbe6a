"""unique, searchsorted, ensure_shape, get_static_value, unravel_index, histogram_fixed_width:
against NumPy references, traced, with their errors."""

import numpy as np
import pytest

import engine
from engine import context
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops.array_extras import (
    ensure_shape,
    get_static_value,
    histogram_fixed_width,
    searchsorted,
    unique,
    unique_with_counts,
    unravel_index,
)
from tests.opcheck import check_op

R = np.random.default_rng(5)


def _np_unique(x):
    """(y, idx, count) in order of first occurrence, written without np.unique."""
    first = {}
    for v in x.tolist():
        first.setdefault(v, len(first))
    y = np.array(list(first), x.dtype)
    idx = np.array([first[v] for v in x.tolist()], np.int32)
    return y, idx, np.bincount(idx, minlength=len(y)).astype(np.int32)


def _np_searchsorted(seq, values, side="left"):
    rows = [np.searchsorted(s, v, side=side) for s, v in
            zip(seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1]))]
    return np.array(rows, np.int32).reshape(values.shape)


# --- unique -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_unique_keeps_the_order_of_first_occurrence(dtype):
    x = R.integers(-4, 5, 30).astype(dtype)
    check_op(lambda t: unique(t), lambda a: _np_unique(a)[:2], [x], grad=False)
    check_op(lambda t: unique_with_counts(t), _np_unique, [x], grad=False)
    y, idx = unique(x)
    np.testing.assert_array_equal(y.numpy()[idx.numpy()], x)


def test_unique_documented_example_and_out_idx():
    y, idx, count = unique_with_counts([1, 1, 2, 4, 4, 4, 7, 8, 8], out_idx=engine.int64)
    np.testing.assert_array_equal(y.numpy(), [1, 2, 4, 7, 8])
    np.testing.assert_array_equal(idx.numpy(), [0, 0, 1, 2, 2, 2, 3, 4, 4])
    np.testing.assert_array_equal(count.numpy(), [2, 1, 3, 1, 2])
    assert idx.dtype is engine.int64 and count.dtype is engine.int64
    empty, empty_idx = unique(np.zeros(0, np.float32))
    assert empty.shape == [0] and empty_idx.shape == [0]


def test_unique_strings_and_bools():
    y, idx = unique(engine.constant(["b", "a", "b"]))
    assert [v.decode() if isinstance(v, bytes) else v for v in y.numpy().tolist()] == ["b", "a"]
    np.testing.assert_array_equal(idx.numpy(), [0, 1, 0])
    np.testing.assert_array_equal(unique([True, True, False])[0].numpy(), [True, False])


def test_unique_has_no_gradient():
    x = engine.constant([1.0, 2.0, 1.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y, _ = unique(x)
        loss = engine.reduce_sum(y)
    assert tape.gradient(loss, x) is None


def test_unique_traced_has_unknown_length():
    @engine.function(input_signature=[engine.TensorSpec([None], engine.int32)])
    def f(x):
        y, idx, count = unique_with_counts(x)
        assert y.shape.as_list() == [None] and idx.shape.as_list() == [None]
        assert count.shape.as_list() == [None]
        return y, idx, count

    for n in (7, 12):
        x = R.integers(0, 4, n).astype(np.int32)
        for got, want in zip(f(x), _np_unique(x)):
            np.testing.assert_array_equal(got.numpy(), want)


def test_unique_bad_inputs():
    with pytest.raises(ShapeError, match="unique: got x of shape"):
        unique(np.zeros((2, 2), np.float32))
    with pytest.raises(DTypeError, match="out_idx=float32"):
        unique([1, 2], out_idx=engine.float32)
    with pytest.raises(ShapeError, match="1-D"):
        engine.function(lambda x: unique(x))(np.zeros((2, 3), np.float32))


# --- searchsorted -------------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("shape", [(9,), (3, 9), (2, 3, 9)])
def test_searchsorted_matches_numpy_row_by_row(side, shape):
    seq = np.sort(R.integers(0, 6, shape), axis=-1).astype(np.float64)  # with ties
    values = R.integers(-1, 8, shape[:-1] + (5,)).astype(np.float64)
    check_op(lambda s, v: searchsorted(s, v, side=side),
             lambda s, v: _np_searchsorted(s, v, side), [seq, values], grad=False)
    ints = searchsorted(seq.astype(np.int64), values.astype(np.int64), side, engine.int64)
    assert ints.dtype is engine.int64
    np.testing.assert_array_equal(ints.numpy(), _np_searchsorted(seq, values, side))


def test_searchsorted_documented_examples():
    got = searchsorted([[0.0, 3.0, 8.0, 9.0, 10.0], [1.0, 2.0, 3.0, 4.0, 5.0]],
                       [[9.8, 2.1, 4.3], [0.1, 6.6, 4.5]])
    np.testing.assert_array_equal(got.numpy(), [[4, 1, 2], [0, 5, 4]])
    np.testing.assert_array_equal(searchsorted([-1, 3.3, 9.1, 10.0], [0.0, 4.1, 12.0]).numpy(),
                                  [1, 2, 4])


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_nan_sorts_last_in_both_paths(side):
    seq = np.array([1.0, 2.0, np.nan, np.nan])
    values = np.array([np.nan, 1.5, 3.0, 2.0])
    want = np.searchsorted(seq, values, side=side)
    np.testing.assert_array_equal(searchsorted(seq, values, side).numpy(), want)
    batched = searchsorted(np.stack([seq, seq]), np.stack([values, values]), side)
    np.testing.assert_array_equal(batched.numpy(), [want, want])


def test_searchsorted_empty_rows_and_traced():
    assert searchsorted(np.zeros((2, 0)), np.ones((2, 3))).numpy().tolist() == [[0] * 3] * 2

    @engine.function(input_signature=[engine.TensorSpec([None, None], engine.float32),
                                      engine.TensorSpec([None, None], engine.float32)])
    def f(s, v):
        return searchsorted(s, v, side="right")

    seq = np.sort(R.standard_normal((4, 6)), axis=-1).astype(np.float32)
    values = R.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(f(seq, values).numpy(),
                                  _np_searchsorted(seq, values, "right"))


def test_searchsorted_bad_inputs():
    with pytest.raises(ValueError, match="side='middle'"):
        searchsorted([1, 2], [1], side="middle")
    with pytest.raises(ShapeError, match="searchsorted: got sorted_sequence of shape"):
        searchsorted(np.zeros((2, 4)), np.zeros((3, 4)))
    with pytest.raises(ShapeError, match="rank >= 1"):
        searchsorted(np.zeros(4), np.zeros((2, 4)))
    with pytest.raises(DTypeError, match="searchsorted"):
        searchsorted(engine.zeros([4]), engine.zeros([2], engine.int32))
    with pytest.raises(DTypeError, match="out_type"):
        searchsorted([1, 2], [1], out_type=engine.float32)


# --- ensure_shape -------------------------------------------------------------------------------
def test_ensure_shape_passes_values_and_gradients():
    check_op(lambda t: ensure_shape(t, [None, 3]), lambda a: a, [R.standard_normal((4, 3))])
    x = engine.constant([[1, 2, 3]])
    assert ensure_shape(x, engine.TensorShape([1, 3])).numpy().tolist() == [[1, 2, 3]]
    assert ensure_shape(x, None).shape == [1, 3]


def test_ensure_shape_refines_the_traced_shape_and_checks_at_run_time():
    seen = []

    @engine.function(input_signature=[engine.TensorSpec([None, None])])
    def f(x):
        y = ensure_shape(x, [None, 3])
        seen.append(y.shape.as_list())
        return y * 2.0

    np.testing.assert_array_equal(f(np.ones((2, 3), np.float32)).numpy(), np.full((2, 3), 2.0))
    assert seen == [[None, 3]]
    with pytest.raises(InvalidArgumentError, match=r"ensure_shape: the tensor has shape \(2, 4\)"):
        f(np.ones((2, 4), np.float32))


def test_ensure_shape_unknown_rank_input():
    @engine.function(input_signature=[engine.TensorSpec(None)])
    def f(x):
        y = ensure_shape(x, [2, None])
        assert y.shape.as_list() == [2, None]
        return y

    assert f(np.zeros((2, 5), np.float32)).shape == [2, 5]
    with pytest.raises(InvalidArgumentError, match="compatible with"):
        f(np.zeros((2, 5, 1), np.float32))


def test_ensure_shape_errors():
    with pytest.raises(InvalidArgumentError, match=r"shape \(3,\) when it runs"):
        ensure_shape(engine.zeros([3]), [5])
    with pytest.raises(InvalidArgumentError, match="compatible"):
        ensure_shape(engine.zeros([3]), [3, 1])

    @engine.function(input_signature=[engine.TensorSpec([None, 4])])
    def f(x):
        return ensure_shape(x, [None, 3])

    with pytest.raises(ShapeError, match=r"ensure_shape: got a tensor of shape \(None, 4\)"):
        f.get_concrete_function()


# --- get_static_value ---------------------------------------------------------------------------
def test_get_static_value_eager_variables_and_values():
    assert get_static_value(engine.constant(10) + 20) == 30
    np.testing.assert_array_equal(get_static_value(engine.constant([1.5, 2.0])), [1.5, 2.0])
    assert get_static_value(engine.Variable(3.0)) is None
    assert get_static_value([1, 2]) == [1, 2]


def test_get_static_value_inside_a_function():
    results = {}

    @engine.function(input_signature=[engine.TensorSpec([None, 4])])
    def f(x):
        shape = engine.shape(x)
        results["shape"] = get_static_value(shape)
        results["partial"] = get_static_value(shape, partial=True)
        results["width"] = get_static_value(shape[1])
        results["data"] = get_static_value(x)
        results["const"] = get_static_value(context.THREAD.graph.constant(
            engine.constant([[1.0, 2.0]])))
        return x

    f.get_concrete_function()
    assert results["shape"] is None and results["data"] is None
    assert results["partial"].tolist() == [None, 4]
    assert int(results["width"]) == 4
    np.testing.assert_array_equal(results["const"], [[1.0, 2.0]])


# --- unravel_index ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_unravel_index_matches_numpy(dtype):
    dims = np.array([3, 4, 5], dtype)
    flat = R.integers(0, 60, 10).astype(dtype)
    check_op(unravel_index, lambda i, d: np.stack(np.unravel_index(i, d)).astype(dtype),
             [flat, dims], grad=False)
    scalar = unravel_index(dtype(59), dims)
    assert scalar.dtype.as_numpy_dtype == dtype
    np.testing.assert_array_equal(scalar.numpy(), [2, 3, 4])


def test_unravel_index_traced_and_errors():
    @engine.function(input_signature=[engine.TensorSpec([None], engine.int32),
                                      engine.TensorSpec([2], engine.int32)])
    def f(i, d):
        out = unravel_index(i, d)
        assert out.shape.as_list() == [2, None]
        return out

    dims = np.array([3, 3], np.int32)
    np.testing.assert_array_equal(f(np.array([2, 5, 7], np.int32), dims).numpy(),
                                  [[0, 1, 2], [2, 2, 1]])
    with pytest.raises(InvalidArgumentError, match=r"indices in \[0, 9\)"):
        f(np.array([9], np.int32), dims)
    with pytest.raises(InvalidArgumentError, match="unravel_index: got indices from -1"):
        unravel_index([-1, 2], [3, 3])
    with pytest.raises(ShapeError, match="0-D or 1-D indices"):
        unravel_index([[1]], [3, 3])
    with pytest.raises(DTypeError, match="unravel_index"):
        unravel_index(engine.constant([1.0]), [3.0])


# --- histogram_fixed_width ----------------------------------------------------------------------
def _np_histogram_fixed_width(values, value_range, nbins, dtype=np.int32):
    """TensorFlow's kernel: the bin of max(v, lo) - lo, in float64, capped at nbins - 1."""
    lo, hi = value_range
    step = float(hi - lo) / nbins
    offset = (np.maximum(values, lo) - lo).astype(np.float64)
    bins = np.minimum(offset / step, nbins - 1).astype(np.int32).ravel()
    return np.bincount(bins, minlength=nbins).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_histogram_fixed_width_matches_the_kernel_formula(dtype):
    values = (R.standard_normal((6, 7)) * 4).astype(dtype)
    value_range = np.array([-3, 5], dtype)
    got = histogram_fixed_width(values, value_range, nbins=7)
    np.testing.assert_array_equal(got.numpy(), _np_histogram_fixed_width(values, value_range, 7))
    inside = values[(values > -3) & (values < 5)]
    np.testing.assert_array_equal(histogram_fixed_width(inside, value_range, 8).numpy(),
                                  np.histogram(inside, 8, (-3, 5))[0])


def test_histogram_fixed_width_documented_example_and_dtype():
    got = histogram_fixed_width([-1.0, 0.0, 1.5, 2.0, 5.0, 15], [0.0, 5.0], nbins=5,
                                dtype=engine.int64)
    assert got.dtype is engine.int64
    np.testing.assert_array_equal(got.numpy(), [2, 1, 1, 0, 2])
    assert histogram_fixed_width(np.zeros(3, np.float32), [0.0, 1.0]).shape == [100]


def test_histogram_fixed_width_traced():
    @engine.function(input_signature=[engine.TensorSpec([None]), engine.TensorSpec([2]),
                                      engine.TensorSpec([], engine.int32)])
    def f(values, value_range, nbins):
        return histogram_fixed_width(values, value_range, nbins)

    values = R.uniform(-1, 6, 50).astype(np.float32)
    np.testing.assert_array_equal(f(values, np.array([0.0, 5.0], np.float32), 4).numpy(),
                                  _np_histogram_fixed_width(values, (0.0, 5.0), 4))


def test_histogram_fixed_width_errors():
    with pytest.raises(InvalidArgumentError, match=r"value_range\[0\] < value_range\[1\]"):
        histogram_fixed_width([1.0], [2.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="nbins=0"):
        histogram_fixed_width([1.0], [0.0, 2.0], nbins=0)
    with pytest.raises(ShapeError, match="value_range of shape"):
        histogram_fixed_width([1.0], [0.0, 1.0, 2.0])
    with pytest.raises(DTypeError, match="dtype=float32"):
        histogram_fixed_width([1.0], [0.0, 2.0], dtype=engine.float32)
