"""Creation ops with sizes known only when a graph runs: range, fill/zeros/ones, TensorArray.

Each function is traced with unknown dimensions, then called with two different sizes and
compared with NumPy; the static shapes keep what tracing knows; the graphs serialize.
"""

import json

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.graph.executor import Program

S = engine.TensorSpec
F64 = engine.float64
I32 = engine.int32


def traced(fn, *specs):
    return engine.function(fn).get_concrete_function(*specs)


def vector(n, dtype=np.float32):
    return engine.constant(np.arange(n, dtype=dtype))


# --- range ---------------------------------------------------------------------------------
def test_range_with_symbolic_bounds():
    limit = traced(lambda n: engine.range(n), S([], I32))
    assert limit.graph.outputs[0].shape.as_list() == [None]
    bounds = traced(lambda a, b, d: engine.range(a, b, d), S([], I32), S([], I32), S([], I32))
    floats = traced(lambda a, b: engine.range(a, b, 0.5), S([], I32), S([], engine.float32))
    of_shape = traced(lambda x: engine.range(engine.shape(x)[0], dtype=F64), S([None]))
    for n in (5, 2):
        out = limit(engine.constant(n))
        assert out.dtype == I32
        np.testing.assert_array_equal(out.numpy(), np.arange(n, dtype=np.int32))
        np.testing.assert_array_equal(
            bounds(*map(engine.constant, (n, 3 * n, 3))).numpy(), np.arange(n, 3 * n, 3))
        np.testing.assert_array_equal(
            bounds(*map(engine.constant, (3 * n, 0, -2))).numpy(), np.arange(3 * n, 0, -2))
        got = floats(engine.constant(1), engine.constant(float(n)))
        assert got.dtype == engine.float32
        np.testing.assert_allclose(got.numpy(), np.arange(1, n, 0.5))
        got = of_shape(vector(n))
        assert got.dtype == F64
        np.testing.assert_array_equal(got.numpy(), np.arange(n, dtype=np.float64))


def test_range_bounds_known_while_tracing_give_a_static_shape():
    known = traced(lambda x: engine.range(engine.shape(x)[1] + 1), S([None, 4]))
    assert known.graph.outputs[0].shape.as_list() == [5]
    np.testing.assert_array_equal(known(engine.zeros([2, 4])).numpy(), np.arange(5))


def test_range_errors_when_the_graph_runs():
    limit = traced(lambda a, d: engine.range(a, 3, d), S([], I32), S([], I32))
    with pytest.raises(InvalidArgumentError, match="delta is 0"):
        limit(engine.constant(0), engine.constant(0))
    with pytest.raises(InvalidArgumentError, match="start=5, limit=3, delta=1"):
        limit(engine.constant(5), engine.constant(1))
    with pytest.raises(TypeError, match="range: got a int32 tensor of shape"):
        traced(lambda x: engine.range(engine.shape(x)), S([None]))


def test_range_eager_results_unchanged():
    np.testing.assert_array_equal(engine.range(3, 10, 3).numpy(), [3, 6, 9])
    np.testing.assert_array_equal(engine.range(engine.constant(4)).numpy(), np.arange(4))
    assert engine.range(0.0, 1.0, 0.25).dtype == engine.float32


# --- fill, zeros, ones ---------------------------------------------------------------------
CREATIONS = [  # (function of x, its static shape for x of shape (None,), NumPy reference)
    (lambda x: engine.ones(engine.shape(x)[0:1]), [None], lambda n: np.ones(n, np.float32)),
    (lambda x: engine.zeros([engine.shape(x)[0], 3]), [None, 3],
     lambda n: np.zeros((n, 3), np.float32)),
    (lambda x: engine.fill([engine.shape(x)[0]], 2.0), [None], lambda n: np.full(n, 2.0,
                                                                                 np.float32)),
    (lambda x: engine.fill([2, engine.shape(x)[0]], 7), [2, None],
     lambda n: np.full((2, n), 7, np.int32)),
    (lambda x: engine.zeros(engine.shape(x)[0], engine.int64), [None],
     lambda n: np.zeros(n, np.int64)),
    (lambda x: engine.ones(engine.shape(x, out_type=engine.int64)), [None],
     lambda n: np.ones(n, np.float32)),
    (lambda x: engine.ones([engine.cast(engine.shape(x)[0], engine.int64), 2, 1]),
     [None, 2, 1], lambda n: np.ones((n, 2, 1), np.float32)),
    (lambda x: engine.zeros(engine.concat([engine.shape(x) * 2, [3]], 0)), [None, 3],
     lambda n: np.zeros((2 * n, 3), np.float32)),
]


@pytest.mark.parametrize("k", range(len(CREATIONS)))
def test_creation_ops_with_symbolic_shapes(k):
    fn, static, reference = CREATIONS[k]
    concrete = traced(fn, S([None]))
    assert concrete.graph.outputs[0].shape.as_list() == static
    for n in (3, 1):
        got = concrete(vector(n))
        expected = reference(n)
        assert got.dtype.name == expected.dtype.name
        np.testing.assert_array_equal(got.numpy(), expected)
        np.testing.assert_array_equal(fn(vector(n)).numpy(), expected)  # eagerly


def test_static_shapes_keep_what_tracing_knows():
    def f(x):
        s = engine.shape(x)  # (None, 4): s[1] is known, s[0] is not
        return (engine.zeros(s), engine.zeros([s[1], s[0]]), engine.ones(s[::-1]),
                engine.zeros([s[1] * 2]), engine.fill(engine.constant([2, 3]), 1.0),
                engine.zeros([engine.constant(2) + 1, s[0]]))

    concrete = traced(f, S([None, 4]))
    shapes = [t.shape.as_list() for t in concrete.graph.outputs]
    assert shapes == [[None, 4], [4, None], [4, None], [8], [2, 3], [3, None]]
    # A shape known while tracing stays an attr (and the graph folds the Fill into a Const);
    # the other four take the shape as an input.
    fills = [n for n in concrete.graph.nodes if n.type == "Fill"]
    assert [len(n.inputs) for n in fills] == [2, 2, 2, 2]
    for rows in (2, 5):
        x = engine.zeros([rows, 4])
        for got, want in zip(concrete(x), f(x)):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
            assert got.shape == (want.shape[0],) + tuple(want.shape[1:])


def test_gradient_of_fill_with_a_symbolic_shape():
    @engine.function
    def grad(x, v):
        with engine.GradientTape() as tape:
            tape.watch(v)
            y = engine.reduce_sum(engine.fill([engine.shape(x)[0], 3], v) * 2.0)
        return tape.gradient(y, v)

    concrete = grad.get_concrete_function(S([None], F64), S([], F64))
    for n in (2, 4):
        assert float(concrete(vector(n, np.float64), engine.constant(1.5, F64))) == 6.0 * n


def test_shape_errors_name_the_op_and_the_argument():
    with pytest.raises(DTypeError, match=r"fill: shape\[0\] is a float32 tensor; expected int32"):
        traced(lambda x: engine.zeros([engine.reduce_sum(x), 2]), S([None]))
    with pytest.raises(ShapeError, match=r"fill: shape\[0\] is a tensor of shape \(1,\)"):
        traced(lambda x: engine.zeros([engine.shape(x), 2]), S([None]))
    with pytest.raises(ShapeError, match="expected a 1-D integer tensor"):
        traced(lambda x: engine.zeros(engine.reshape(engine.shape(x), [1, 2])), S([None, 2]))
    negative = traced(lambda n: engine.zeros([n, 2]), S([], I32))
    with pytest.raises(InvalidArgumentError, match=r"fill: dims is \[-1, 2\] when the graph"):
        negative(engine.constant(-1))


def test_creation_eager_results_unchanged():
    np.testing.assert_array_equal(engine.zeros([2, 3]).numpy(), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(engine.ones(engine.constant([2])).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(engine.fill([engine.constant(2), 1], 5).numpy(), [[5], [5]])
    with pytest.raises(ShapeError, match="fill: got dims"):
        engine.zeros([-1, 2])


def test_graphs_with_symbolic_sizes_round_trip_through_json():
    @engine.function
    def f(x):
        n = engine.shape(x)[0]
        return engine.zeros([n, 2]) + 1.0, engine.range(n, 2 * n), engine.ones(engine.shape(x))

    graph = f.get_concrete_function(S([None])).graph
    assert {"Fill", "Range"} <= {n.type for n in graph.nodes}
    data, arrays = graph.as_dict()
    program = Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))
    for n in (3, 1):
        x = vector(n)
        for got, want in zip(program([x.numpy()]), f(x)):
            np.testing.assert_array_equal(got, want.numpy())


# --- TensorArray ---------------------------------------------------------------------------
def write_loop(n):
    arr = engine.TensorArray(engine.float32, size=n)

    def body(i, a):
        return i + 1, a.write(i, engine.cast(i, engine.float32))

    _, arr = engine.while_loop(lambda i, a: i < n, body, (0, arr))
    return arr.stack(), arr.size(), arr.read(n - 1)


def test_tensor_array_with_a_symbolic_size_in_a_while_loop():
    concrete = traced(write_loop, S([], I32))
    assert concrete.graph.outputs[0].shape.as_list() == [None]
    for n in (4, 2):
        stacked, size, last = concrete(engine.constant(n))
        np.testing.assert_array_equal(stacked.numpy(), np.arange(n, dtype=np.float32))
        assert int(size) == n and float(last) == n - 1
        np.testing.assert_array_equal(write_loop(engine.constant(n))[0].numpy(), np.arange(n))


def test_tensor_array_unstack_read_and_concat_with_symbolic_sizes():
    def f(x):
        n = engine.shape(x)[0]
        rows = engine.TensorArray(engine.float32, size=n).unstack(x)
        doubled = engine.TensorArray(engine.float32, size=n)

        def body(i, out):
            return i + 1, out.write(i, rows.read(i) * 2.0)

        _, doubled = engine.while_loop(lambda i, out: i < n, body, (0, doubled))
        return doubled.stack(), doubled.concat(), rows.size(), rows.read(0)

    concrete = traced(f, S([None, 2]))
    assert [t.shape.as_list() for t in concrete.graph.outputs] == [[None, 2], [None], [], [2]]
    for n in (3, 1):
        x = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
        stacked, joined, size, first = concrete(engine.constant(x))
        np.testing.assert_array_equal(stacked.numpy(), 2 * x)
        np.testing.assert_array_equal(joined.numpy(), 2 * x.ravel())
        assert int(size) == n
        np.testing.assert_array_equal(first.numpy(), x[0])


def test_tensor_array_with_a_symbolic_size_grows_when_dynamic():
    def f(n):
        arr = engine.TensorArray(engine.float32, size=n, dynamic_size=True)

        def body(i, a):
            return i + 1, a.write(i, engine.cast(i * i, engine.float32))

        _, arr = engine.while_loop(lambda i, a: i < 2 * n + 1, body, (0, arr))
        return arr.stack(), arr.size()

    concrete = traced(f, S([], I32))
    for n in (1, 3):
        stacked, size = concrete(engine.constant(n))
        np.testing.assert_array_equal(stacked.numpy(), np.arange(2 * n + 1) ** 2)
        assert int(size) == 2 * n + 1


def rnn_loss(x, w, u):
    """A tanh RNN over the rows of x through TensorArrays sized by x's first dimension."""
    n = engine.shape(x)[0]
    inputs = engine.TensorArray(F64, size=n).unstack(x)
    outputs = engine.TensorArray(F64, size=n)

    def body(i, h, outputs):
        h = engine.tanh(inputs.read(i) * w + h)
        return i + 1, h, outputs.write(i, h * h)

    _, h, outputs = engine.while_loop(lambda i, h, o: i < n, body,
                                      (0, engine.zeros_like(w), outputs))
    return engine.reduce_sum(outputs.stack() * u) + engine.reduce_sum(h)


def rnn_loss_numpy(x, w, u):
    h, total = np.zeros_like(w), 0.0
    for k, row in enumerate(x):
        h = np.tanh(row * w + h)
        total += float((h * h * u[k]).sum())
    return total + float(h.sum())


def test_gradient_through_a_tensor_array_with_a_symbolic_size():
    @engine.function
    def grads(x, w, u):
        with engine.GradientTape() as tape:
            tape.watch([x, w])
            y = rnn_loss(x, w, u)
        return y, tape.gradient(y, [x, w])

    concrete = grads.get_concrete_function(S([None, 2], F64), S([2], F64), S([None, 2], F64))
    for rows in (3, 5):
        rng = np.random.default_rng(rows)
        args = [rng.standard_normal((rows, 2)), rng.standard_normal(2),
                rng.standard_normal((rows, 2))]
        y, analytic = concrete(*map(engine.constant, args))
        assert abs(float(y) - rnn_loss_numpy(*args)) < 1e-12
        for k, got in enumerate(analytic):
            numeric = np.zeros_like(args[k])
            for idx in np.ndindex(numeric.shape):
                values = []
                for sign in (1, -1):
                    shifted = [a.copy() for a in args]
                    shifted[k][idx] += sign * 1e-6
                    values.append(rnn_loss_numpy(*shifted))
                numeric[idx] = (values[0] - values[1]) / 2e-6
            np.testing.assert_allclose(got.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_tensor_array_size_known_while_tracing_stays_static():
    def f(x):
        arr = engine.TensorArray(engine.float32, size=engine.shape(x)[1], element_shape=[])
        return arr.write(0, 1.0).stack()

    concrete = traced(f, S([None, 3]))
    assert concrete.graph.outputs[0].shape.as_list() == [3]
    with pytest.raises(ValueError, match="TensorArray: size is a float32 tensor"):
        traced(lambda x: engine.TensorArray(engine.float32, size=engine.reduce_sum(x)),
               S([None]))


def test_symbolic_sizes_on_a_gpu(gpu):
    @engine.function
    def f(x):
        with engine.device("/GPU:0"):
            n = engine.shape(x)[0]
            return engine.zeros([n, 2]) + x[0], engine.range(n)

    for n in (3, 1):
        filled, counted = f(vector(n) + 1.0)
        assert "GPU" in filled.device and "GPU" in counted.device
        np.testing.assert_array_equal(filled.numpy(), np.ones((n, 2), np.float32))
        np.testing.assert_array_equal(counted.numpy(), np.arange(n))
