"""sort, argsort, top_k and in_top_k: against NumPy's stable sorts, gradients numerically."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
from engine import registry
from engine.errors import DTypeError, ShapeError
from tests.opcheck import check_grad, check_op, grad_of

R = np.random.default_rng(11)


def _np_argsort(x, axis=-1, direction="ASCENDING"):
    """Stable argsort; descending keeps equal elements in index order (as TF does)."""
    if direction == "ASCENDING":
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(flipped, axis)


def _np_sort(x, axis=-1, direction="ASCENDING"):
    return np.take_along_axis(x, _np_argsort(x, axis, direction), axis=axis)


def _np_top_k(x, k=1, sorted=True):
    idx = _np_argsort(x, -1, "DESCENDING")[..., :k]
    return np.take_along_axis(x, idx, axis=-1), idx.astype(np.int32)


@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_sort(direction, axis):
    kwargs = {"axis": axis, "direction": direction}
    check_op(engine.sort, _np_sort, [R.standard_normal((3, 5, 4))], kwargs)
    ints = R.integers(-3, 3, (4, 6)).astype(np.int32)
    check_op(engine.sort, _np_sort, [ints], {**kwargs, "axis": min(axis, 1)}, grad=False)


@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_argsort_is_stable(direction, axis):
    ties = R.integers(0, 3, (6, 7)).astype(np.float64)
    out = engine.argsort(engine.constant(ties), axis=axis, direction=direction)
    assert out.dtype is engine.int32
    np.testing.assert_array_equal(out.numpy(), _np_argsort(ties, axis, direction))


def test_sort_extreme_integers_and_unsigned():
    info = np.iinfo(np.int32)
    x = np.array([info.min, 3, -2, info.max, 3, info.min], np.int32)
    for direction in ("ASCENDING", "DESCENDING"):
        np.testing.assert_array_equal(engine.argsort(x, direction=direction).numpy(),
                                      _np_argsort(x, -1, direction))
    u = np.array([0, 255, 7, 7, 1], np.uint8)
    np.testing.assert_array_equal(engine.sort(u).numpy(), np.sort(u))
    np.testing.assert_array_equal(engine.sort(u, direction="DESCENDING").numpy(),
                                  np.sort(u)[::-1])


@pytest.mark.parametrize("k", [1, 2, 5, 12])
def test_top_k(k):
    # k=1, 2 take the O(n) partition path (4k <= n), 5 and 12 the full sort.
    x = R.standard_normal((3, 2, 12))
    check_op(lambda t: engine.math.top_k(t, k), lambda a: _np_top_k(a, k), [x])


@pytest.mark.parametrize("k", [1, 3, 8])
def test_top_k_ties_take_the_lower_index(k):
    ties = R.integers(0, 4, (5, 40)).astype(np.float32)
    values, indices = engine.math.top_k(engine.constant(ties), k)
    expected_values, expected_indices = _np_top_k(ties, k)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)
    np.testing.assert_array_equal(values.numpy(), expected_values)


def test_top_k_result_and_options():
    x = engine.constant([[1.0, 3.0, 2.0, 0.0, 5.0, 4.0, -1.0, 2.5]])
    out = engine.math.top_k(x, k=2)
    assert type(out).__name__ == "TopKV2" and out._fields == ("values", "indices")
    assert out.values.numpy().tolist() == [[5.0, 4.0]]
    assert out.indices.numpy().tolist() == [[4, 5]]
    unsorted = engine.math.top_k(x, k=2, sorted=False)
    assert sorted(unsorted.indices.numpy()[0].tolist()) == [4, 5]
    assert engine.math.top_k(x, 3, index_type=engine.int64).indices.dtype is engine.int64
    assert engine.math.top_k(x, engine.constant(0)).values.shape == (1, 0)
    assert engine.math.top_k(engine.constant([1, 9, 3]), 1).values.numpy().tolist() == [9]


def test_top_k_gradient_scatters_back():
    x = engine.constant([[1.0, 3.0, 2.0, 0.0, 5.0, 4.0, -1.0, 2.5]])
    with engine.GradientTape() as tape:
        tape.watch(x)
        values = engine.math.top_k(x, 2).values
        y = engine.reduce_sum(values * engine.constant([[10.0, 20.0]]))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(),
                                  [[0, 0, 0, 0, 10.0, 20.0, 0, 0]])


def test_second_order_through_top_k_and_sort():
    x = R.standard_normal((3, 10))
    check_grad(grad_of(lambda t: engine.reduce_sum(engine.math.top_k(t, 2).values ** 3)), [x])
    check_grad(grad_of(lambda t: engine.reduce_sum(
        engine.sort(t, axis=0) ** 3 * engine.constant(np.arange(3.0)[:, None]))), [x])


def test_in_top_k():
    predictions = np.array([[0.1, 0.9, 0.5], [0.3, 0.3, 0.3], [0.8, 0.1, 0.1],
                            [np.nan, 0.1, 0.2], [0.2, 0.3, 0.4]], np.float32)
    targets = np.array([2, 1, 2, 0, 5], np.int32)
    k1 = engine.math.in_top_k(targets, predictions, k=1)
    assert k1.dtype is engine.bool
    # Ties at the boundary count as in; a NaN score or an unknown class never do.
    assert k1.numpy().tolist() == [False, True, False, False, False]
    k2 = engine.math.in_top_k(engine.constant(targets, engine.int64), predictions, 2)
    assert k2.numpy().tolist() == [True, True, True, False, False]


def test_infer_with_unknown_dims():
    values, indices = registry.get("TopKV2").infer(
        engine.TensorSpec([None, None, 7], engine.float32), k=3)
    assert values.shape.as_list() == [None, None, 3] and indices.dtype is engine.int32
    values, _ = registry.get("TopKV2").infer(engine.TensorSpec(None, engine.float32), k=3)
    assert values.shape.rank is None
    out = registry.get("InTopKV2").infer(engine.TensorSpec([None, 10], engine.float32),
                                         engine.TensorSpec([4], engine.int32), k=1)
    assert out.shape.as_list() == [4] and out.dtype is engine.bool


def test_errors_name_the_op():
    x = engine.zeros([2, 3])
    with pytest.raises(ShapeError, match="top_k: got k=4 for shape \\(2, 3\\)"):
        engine.math.top_k(x, 4)
    with pytest.raises(ShapeError, match="top_k: got a scalar"):
        engine.math.top_k(engine.constant(1.0), 1)
    with pytest.raises(ValueError, match="sort: got direction='UP'"):
        engine.sort(x, direction="UP")
    with pytest.raises(DTypeError, match="argsort: got a tensor of dtype bool"):
        engine.argsort(engine.constant([True, False]))
    with pytest.raises(ShapeError, match="sort: axis 2 is out of range"):
        engine.sort(x, axis=2)
    with pytest.raises(ShapeError, match="in_top_k.*batch size"):
        engine.math.in_top_k(engine.constant([0, 1, 2]), x, 1)
    with pytest.raises(DTypeError, match="in_top_k: got targets of dtype float32"):
        engine.math.in_top_k(engine.constant([0.0, 1.0]), x, 1)


def test_raw_ops():
    x = engine.constant([[1.0, 3.0, 2.0]])
    values, indices = engine.raw_ops.TopKV2(input=x, k=engine.constant(2))
    assert values.numpy().tolist() == [[3.0, 2.0]] and indices.numpy().tolist() == [[1, 2]]
    out = engine.raw_ops.InTopKV2(predictions=x, targets=engine.constant([2]), k=2)
    assert out.numpy().tolist() == [True]


def test_nan_and_signed_zero_in_descending_order():
    # NaN counts as the largest value (NumPy's convention); -0.0 ties with 0.0.
    for dtype in (np.float16, np.float32, np.float64):
        x = np.array([1.0, np.nan, 3.0, -0.0, 0.0, -np.inf], dtype)
        out = engine.math.top_k(x, 6)
        assert out.indices.numpy().tolist() == [1, 2, 0, 3, 4, 5]
        assert np.signbit(out.values.numpy()[3]) and not np.signbit(out.values.numpy()[4])
        assert engine.math.top_k(x, 1).indices.numpy().tolist() == [1]


DTYPES = [np.int32, np.int64, np.uint8, np.int8, np.float16, np.float32, np.float64]


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(np.int8, hnp.array_shapes(min_dims=1, max_dims=3, max_side=9),
                  elements=st.integers(-4, 4)), st.sampled_from(DTYPES), st.data())
def test_sorts_match_numpy_on_any_shape(x, dtype, data):
    x = (x + 4).astype(dtype) if dtype is np.uint8 else x.astype(dtype)
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    direction = data.draw(st.sampled_from(["ASCENDING", "DESCENDING"]))
    np.testing.assert_array_equal(engine.argsort(x, axis, direction).numpy(),
                                  _np_argsort(x, axis, direction))
    np.testing.assert_array_equal(engine.sort(x, axis, direction).numpy(),
                                  _np_sort(x, axis, direction))
    k = data.draw(st.integers(0, x.shape[-1]))
    values, indices = engine.math.top_k(x, k)
    expected_values, expected_indices = _np_top_k(x, k)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)
    np.testing.assert_array_equal(values.numpy(), expected_values)
