"""Regressions: gather gradients traced with unknown dimensions; cast of Python numbers.

1. The gradients of `gather`, `gather_nd` and `x[indices]` traced with None dimensions: the
   segment sum's `num_segments` (`shape(params)[axis]`) is then a tensor input of the node,
   as in TensorFlow, and batch_dims scatter into zeros shaped like params.
2. `engine.cast(0.1, engine.float64)` is exactly 0.1 (no float32 step), unlike tf.cast;
   tensors keep TensorFlow's behaviour.
"""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from tests.opcheck import check_grad

S = engine.TensorSpec
F64, I32 = engine.float64, engine.int32


def _gather(**kwargs):
    return lambda x, i: engine.gather(x, i, **kwargs)


def _gather_nd(**kwargs):
    return lambda x, i: engine.gather_nd(x, i, **kwargs)


# (id, forward(params, indices), params shape (an int: rank, all unknown), indices shape,
#  two (params shape, indices) calls)
TRACED_GATHERS = [
    ("gather", _gather(), 2, [None], [((5, 3), [4, 0, 4, 2]), ((7, 3), [6, 1])]),
    ("gather_2d_indices", _gather(), 2, [None, None],
     [((5, 3), [[1, 1], [0, 2]]), ((3, 2), [[2], [2]])]),
    ("gather_axis1", _gather(axis=1), 3, [None], [((2, 5, 3), [4, 4, 1]), ((3, 4, 2), [0, 3])]),
    ("gather_axis-1", _gather(axis=-1), 3, [None], [((2, 5, 3), [2, 0]), ((1, 2, 4), [3, 3, 1])]),
    ("gather_batch_dims", _gather(axis=1, batch_dims=1), 3, [None, None],
     [((2, 5, 3), [[4, 0, 4], [1, 1, 2]]), ((3, 4, 2), [[0, 3], [1, 1], [2, 2]])]),
    ("gather_batch_dims_pre", _gather(axis=2, batch_dims=1), 4, [None, None],
     [((2, 4, 5, 3), [[3, 0], [1, 1]]), ((3, 2, 3, 1), [[2], [0], [1]])]),
    ("gather_batch_dims_known_params", _gather(axis=2, batch_dims=1), [2, 4, 5, 3], [2, None],
     [((2, 4, 5, 3), [[3, 0], [1, 1]]), ((2, 4, 5, 3), [[2, 4, 1], [0, 0, 0]])]),
    ("gather_batch_dims_-1", _gather(axis=2, batch_dims=-1), 3, [None, None],
     [((2, 3, 4), [[0, 3], [1, 1]]), ((3, 1, 2), [[1, 1, 0], [0, 0, 0], [1, 0, 1]])]),
    ("getitem", lambda x, i: x[i], 2, [None], [((5, 3), [4, 0, 4, 2]), ((2, 4), [1, 1, 0])]),
    ("gather_nd", _gather_nd(), 3, [None, 2],
     [((3, 4, 2), [[2, 1], [0, 3], [2, 1]]), ((2, 5, 3), [[1, 4]])]),
    ("gather_nd_batch_dims", _gather_nd(batch_dims=1), 3, [None, None, 1],
     [((3, 4, 2), [[[1]], [[3]], [[0]]]), ((2, 5, 3), [[[4], [4]], [[0], [2]]])]),
]


def _gradient(forward):
    """The gradient of `forward(x, i)` with respect to x, for the upstream gradient u."""

    def gradient(x, i, u):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = forward(x, i)
        return tape.gradient(y, x, output_gradients=u)

    return gradient


@pytest.mark.parametrize("forward,p_shape,i_shape,calls",
                         [c[1:] for c in TRACED_GATHERS], ids=[c[0] for c in TRACED_GATHERS])
def test_gather_gradients_traced_with_unknown_dims(forward, p_shape, i_shape, calls):
    rng = np.random.default_rng(3)
    out_rank = forward(engine.zeros(calls[0][0], F64), np.array(calls[0][1], np.int32)).ndim
    concrete = engine.function(_gradient(forward)).get_concrete_function(
        S([None] * p_shape if isinstance(p_shape, int) else p_shape, F64), S(i_shape, I32),
        S([None] * out_rank, F64))
    for shape, indices in calls:  # one graph, two shapes
        x = rng.standard_normal(shape)
        i = np.array(indices, np.int32)
        u = rng.standard_normal(forward(engine.constant(x), i).shape)
        traced = concrete(engine.constant(x), engine.constant(i), engine.constant(u)).numpy()
        eager = _gradient(forward)(engine.constant(x), i, engine.constant(u)).numpy()
        np.testing.assert_allclose(traced, eager, rtol=1e-12, atol=1e-12)
        # Float64 central differences along a random direction (as tests/opcheck.check_grad).
        v = rng.standard_normal(shape)

        def f(params):
            return float(engine.reduce_sum(forward(engine.constant(params), i) * u))

        eps = 1e-6
        numeric = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
        assert abs(float(np.sum(traced * v)) - numeric) <= 1e-6 * max(1.0, abs(numeric))
        check_grad(lambda t, forward=forward, i=i: forward(t, i), [x])  # eager, unchanged


def test_traced_gather_gradient_takes_num_segments_as_an_input():
    concrete = engine.function(_gradient(_gather())).get_concrete_function(
        S([None, 3], F64), S([None], I32), S([None, 3], F64))
    segments = [n for n in concrete.graph.get_operations() if n.type == "UnsortedSegmentSum"]
    assert [len(n.inputs) for n in segments] == [3]
    assert "num_segments" not in segments[0].attrs
    assert concrete.graph.outputs[0].shape.as_list() == [None, 3]
    # Known dimensions while tracing keep num_segments static, and the output's shape.
    static = engine.function(_gradient(_gather())).get_concrete_function(
        S([5, 3], F64), S([None], I32), S([None, 3], F64))
    assert static.graph.outputs[0].shape.as_list() == [5, 3]


def test_unsorted_segment_sum_with_a_tensor_num_segments():
    @engine.function(input_signature=[S([None, 2], F64), S([None], I32), S([], I32)])
    def segment(data, ids, num_segments):
        return engine.unsorted_segment_sum(data, ids, num_segments)

    data = np.arange(8.0).reshape(4, 2)
    out = segment(data, np.array([2, 0, 2, -1], np.int32), 3)
    np.testing.assert_array_equal(out.numpy(), [[2, 3], [0, 0], [4, 6]])
    assert segment(data[:1], np.array([0], np.int32), 1).shape == [1, 2]
    with pytest.raises(InvalidArgumentError, match="unsorted_segment_sum: num_segments is -1"):
        segment(data, np.array([0, 0, 0, 0], np.int32), -1)
    # Eagerly a tensor num_segments is read as an int, as before.
    eager = engine.unsorted_segment_sum(data, [1, 1, 0, 0], engine.constant(2))
    np.testing.assert_array_equal(eager.numpy(), [[10, 12], [2, 4]])
    infer = engine.registry.get("UnsortedSegmentSum").infer
    assert infer(S([None, 2], F64), S([None], I32), S([], I32)).shape.as_list() == [None, 2]
    assert infer(S([4, 2], F64), S([4], I32), num_segments=3).shape.as_list() == [3, 2]
    with pytest.raises(ShapeError, match="got num_segments of shape \\(2,\\); expected a scalar"):
        infer(S([4, 2], F64), S([4], I32), S([2], I32))
    with pytest.raises(DTypeError, match="num_segments of dtype float32"):
        infer(S([4, 2], F64), S([4], I32), S([], engine.float32))


@pytest.mark.parametrize("ids_spec", [S([6], I32), S([None], I32)], ids=["known", "unknown"])
def test_segment_sum_gradient_traced_masks_negative_ids(ids_spec):
    # The rule read ids.min() of symbolic ids (or gathered at -1 when the graph ran).
    rng = np.random.default_rng(4)
    forward = lambda d, i: engine.unsorted_segment_sum(d, i, 5)  # noqa: E731
    data_spec = S([ids_spec.shape[0], 2], F64)
    concrete = engine.function(_gradient(forward)).get_concrete_function(
        data_spec, ids_spec, S([5, 2], F64))
    ids = np.array([3, -1, 0, 3, 1, -1], np.int32)
    data, u = rng.standard_normal((6, 2)), rng.standard_normal((5, 2))
    expected = np.where((ids >= 0)[:, None], u[np.maximum(ids, 0)], 0.0)
    np.testing.assert_array_equal(concrete(data, ids, u).numpy(), expected)
    eager = _gradient(forward)(engine.constant(data), ids, engine.constant(u))
    np.testing.assert_array_equal(eager.numpy(), expected)


def test_segment_sum_traced_with_symbolic_ids():
    @engine.function(input_signature=[S([None, 2], F64), S([None], I32)])
    def segment(data, ids):
        return engine.segment_sum(data, ids)

    data = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(segment(data, np.array([0, 0, 2], np.int32)).numpy(),
                                  [[2, 4], [0, 0], [4, 5]])
    assert segment(data[:0], np.zeros(0, np.int32)).shape == [0, 2]


def test_gather_gradient_of_unknown_rank_says_what_to_do():
    concrete = engine.function(_gradient(_gather())).get_concrete_function(
        S(None, F64), S([None], I32), S(None, F64))  # axis 0 needs no rank
    np.testing.assert_array_equal(concrete(np.ones((3, 2)), np.array([2, 2], np.int32),
                                           np.ones((2, 2))).numpy(), [[0, 0], [0, 0], [2, 2]])
    with pytest.raises(engine.errors.UnimplementedError, match="gather gradient: params has "
                                                                "unknown rank"):
        engine.function(_gradient(_gather(axis=1))).get_concrete_function(
            S(None, F64), S([None], I32), S(None, F64))


def test_traced_gather_gradient_on_a_gpu(gpu):
    concrete = engine.function(_gradient(_gather(axis=1))).get_concrete_function(
        S([None, None], F64), S([None], I32), S([None, None], F64))
    with engine.device("/GPU:0"):
        x, u = engine.constant(np.ones((2, 3))), engine.constant(np.ones((2, 2)))
        out = concrete(x, engine.constant(np.array([2, 2], np.int32)), u)
    np.testing.assert_array_equal(np.asarray(out), [[0, 0, 2], [0, 0, 2]])


# --- cast of Python numbers -------------------------------------------------------------------
@pytest.mark.parametrize("value,dtype,expected", [
    (0.1, F64, np.float64(0.1)),
    ([0.2, 0.3], F64, np.array([0.2, 0.3])),
    ([[0.1], [1e-300]], F64, np.array([[0.1], [1e-300]])),
    ((0.1, 2), F64, np.array([0.1, 2.0])),
    (0.1, engine.complex128, np.complex128(0.1)),
    (0.1 + 0.2j, engine.complex128, np.complex128(0.1 + 0.2j)),
    (0.1, engine.complex64, np.complex64(0.1)),
    (0.1, engine.float32, np.float32(0.1)),
    (2 ** 70, F64, np.float64(2 ** 70)),
])
def test_cast_converts_python_numbers_straight_to_the_dtype(value, dtype, expected):
    out = engine.cast(value, dtype)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), expected)
    traced = engine.function(lambda: engine.cast(value, dtype))()  # a constant in the graph
    np.testing.assert_array_equal(traced.numpy(), expected)


def test_cast_keeps_tensorflows_behaviour_for_tensors_and_other_targets():
    rounded = float(np.float32(0.1))
    assert float(engine.cast(engine.constant(0.1), F64)) == rounded
    assert float(engine.cast(engine.Variable(0.1), F64)) == rounded
    assert float(engine.cast(np.float32(0.1), F64)) == rounded  # NumPy values have a dtype
    assert float(engine.cast(np.array([0.1]), engine.float32)[0]) == np.float32(0.1)
    assert float(engine.cast(np.float64(0.1), F64)) == 0.1
    np.testing.assert_array_equal(engine.cast([1.7, -1.7], I32).numpy(), [1, -1])
    assert float(engine.cast(True, engine.float32)) == 1.0
    np.testing.assert_array_equal(engine.cast([True, False], F64).numpy(), [1.0, 0.0])
    with pytest.raises(ValueError, match="cast: `x`: Cannot convert .* rectangular"):
        engine.cast([[0.1], [0.2, 0.3]], F64)

    @engine.function
    def cast_arg(x):
        return engine.cast(x, F64)

    assert float(cast_arg(0.1)) == 0.1  # a Python float argument is a constant
    assert float(cast_arg(engine.constant(0.1))) == rounded


def test_constant_and_convert_to_tensor_are_exact():
    assert float(engine.constant(0.1, dtype=F64)) == 0.1
    assert float(engine.convert_to_tensor(0.1, dtype=F64)) == 0.1
    traced = engine.function(lambda: (engine.constant(0.1, dtype=F64),
                                      engine.convert_to_tensor(0.1, dtype=F64)))()
    assert [float(t) for t in traced] == [0.1, 0.1]
