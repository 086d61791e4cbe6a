"""Follow-ups to symbolic shapes: gradients of broadcasting ops traced with unknown dims
(`SumToShape`), concat's gradient, reductions of unknown rank, NumPy scalars out of graphs
of unknown rank, and `Generator` draws of symbolic shapes.

Each function is traced with unknown dimensions (or rank), then called with run-time
shapes that broadcast in either direction, and compared with eager execution and float64
central differences.
"""

import json

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError, ShapeError
from engine.graph.executor import Program

S = engine.TensorSpec
F64 = engine.float64
R = np.random.default_rng(7)


def _normal(shape):
    return R.standard_normal(shape)


def _positive(shape):
    return 0.5 + R.random(shape)


def _sum_to_shape_nodes(concrete) -> int:
    return sum(node.type == "SumToShape" for node in concrete.graph.nodes)


def _eager_gradients(fn, u, arrays):
    tensors = [engine.constant(a) for a in arrays]
    with engine.GradientTape() as tape:
        tape.watch(tensors)
        y = engine.reduce_sum(fn(*tensors) * engine.constant(u))
    return tape.gradient(y, tensors)


def check_gradients(fn, specs, cases, domains=None, eps=1e-6):
    """Traces the gradients of `sum(fn(*xs) * u)` with `specs`; for each case (a tuple of
    input shapes), compares them with eager gradients and float64 central differences."""

    @engine.function
    def value_and_grads(u, *xs):
        with engine.GradientTape() as tape:
            tape.watch(list(xs))
            y = engine.reduce_sum(fn(*xs) * u)
        return y, tape.gradient(y, list(xs))

    concrete = value_and_grads.get_concrete_function(S(None, F64), *[S(s, F64) for s in specs])
    domains = domains or [_normal] * len(specs)
    for shapes in cases:
        arrays = [make(shape) for make, shape in zip(domains, shapes)]
        u = R.standard_normal(np.shape(fn(*[engine.constant(a) for a in arrays])))
        _, grads = concrete(engine.constant(u), *[engine.constant(a) for a in arrays])
        for got, want, a in zip(grads, _eager_gradients(fn, u, arrays), arrays):
            assert got.shape == a.shape == want.shape, (shapes, got.shape, want.shape)
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)
        directions = [R.standard_normal(a.shape) for a in arrays]
        analytic = sum(float(np.sum(g.numpy() * v)) for g, v in zip(grads, directions))

        def value_at(sign, arrays=arrays, directions=directions, u=u):
            shifted = [engine.constant(a + sign * eps * v) for a, v in zip(arrays, directions)]
            return float(concrete(engine.constant(u), *shifted)[0])

        numeric = (value_at(1) - value_at(-1)) / (2 * eps)
        assert abs(analytic - numeric) <= 1e-6 * max(1.0, abs(numeric)), (shapes, analytic,
                                                                           numeric)
    return concrete


# --- 1. broadcasting binary ops ---------------------------------------------------------------
def test_the_reported_case_sums_over_the_broadcast_axis():
    @engine.function(input_signature=[S([None, 3]), S([None, 3])])
    def f(x, y):
        with engine.GradientTape() as t:
            t.watch(y)
            z = engine.reduce_sum(x * y)
        return t.gradient(z, y)

    got = f(np.ones((4, 3), np.float32), np.ones((1, 3), np.float32))
    assert got.shape == (1, 3)
    np.testing.assert_array_equal(got.numpy(), np.full((1, 3), 4.0, np.float32))
    got = f(np.ones((4, 3), np.float32), np.ones((4, 3), np.float32))
    np.testing.assert_array_equal(got.numpy(), np.ones((4, 3), np.float32))


BROADCAST_BOTH_WAYS = [((4, 3), (1, 3)), ((1, 3), (4, 3)), ((4, 1), (1, 3)), ((4, 3), (4, 3))]
BINARY = [  # (name, function, domains)
    ("add", engine.add, None),
    ("subtract", engine.subtract, None),
    ("multiply", engine.multiply, None),
    ("divide", engine.divide, [_normal, _positive]),
    ("pow", engine.pow, [_positive, _normal]),
    ("maximum", engine.maximum, None),
    ("minimum", engine.minimum, None),
    ("squared_difference", engine.math.squared_difference, None),
    ("atan2", engine.math.atan2, None),
    ("floormod", engine.math.floormod, [_positive, _positive]),
    ("where", lambda x, y: engine.where(x > 0, x, y), None),
    ("softmax_cross_entropy", lambda x, y: engine.nn.softmax_cross_entropy_with_logits(
        engine.nn.softmax(y), x), None),
]


@pytest.mark.parametrize("name, fn, domains", BINARY, ids=[row[0] for row in BINARY])
def test_broadcasting_gradients_with_unknown_dims(name, fn, domains):
    cases = BROADCAST_BOTH_WAYS
    if name == "softmax_cross_entropy":  # classes never broadcast, only the batch axis
        cases = [c for c in cases if c[0][1] == c[1][1]]
    check_gradients(fn, [[None, None], [None, None]], cases, domains)


@pytest.mark.parametrize("name, fn, domains", BINARY[:6], ids=[row[0] for row in BINARY[:6]])
def test_broadcasting_gradients_with_unknown_ranks(name, fn, domains):
    cases = [((4, 3), (3,)), ((3,), (2, 4, 3)), ((2, 1, 3), (4, 1)), ((), (2, 3))]
    check_gradients(fn, [None, None], cases, domains)


def test_clip_by_value_bounds_broadcast_when_the_graph_runs():
    check_gradients(lambda t, low: engine.clip_by_value(t, low, low + 0.5),
                    [[None, None], [None, None]], [((4, 3), (1, 3)), ((4, 3), (4, 3))])


def test_matmul_batch_axes_broadcast_both_ways():
    cases = [((4, 2, 3), (1, 3, 2)), ((1, 2, 3), (4, 3, 2)), ((4, 2, 3), (4, 3, 2))]
    check_gradients(engine.matmul, [[None, None, None], [None, None, None]], cases)
    check_gradients(engine.matmul, [None, None], [((4, 2, 3), (3, 2)), ((2, 3), (4, 3, 2))])


def test_solve_batch_axes_broadcast():
    def spd(shape):
        a = R.standard_normal(shape)
        return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(shape[-1])

    check_gradients(engine.linalg.solve, [[None, 3, 3], [None, 3, 2]],
                    [((1, 3, 3), (4, 3, 2)), ((4, 3, 3), (4, 3, 2))], [spd, _normal])


def test_bias_add_gradients_of_first_and_second_order_with_unknown_dims():
    for data_format, shape, bias in (("NHWC", (2, 3, 4), 4), ("NCHW", (2, 3, 4), 3)):
        def fn(x, b, data_format=data_format):
            return engine.nn.bias_add(x, b, data_format=data_format)

        check_gradients(fn, [[None, None, None], [None]], [(shape, (bias,))])
        for spec in ([None, None, None], None):
            check_second_order(fn, [spec, [None]], [R.standard_normal(shape),
                                                    R.standard_normal(bias)])


def check_second_order(fn, specs, arrays):
    """d/d(xs) of sum(w * d/d(xs) sum(fn(*xs) * u)), traced, against eager execution."""

    def grad_of_grads(u, w, *xs):
        with engine.GradientTape() as outer:
            outer.watch(list(xs))
            with engine.GradientTape() as inner:
                inner.watch(list(xs))
                y = engine.reduce_sum(fn(*xs) * u)
            grads = inner.gradient(y, list(xs))
            total = engine.reduce_sum(grads[0] * w[0]) + engine.reduce_sum(grads[1] * w[1])
        return grads, outer.gradient(total, list(xs))

    tensors = [engine.constant(a) for a in arrays]
    u = engine.constant(R.standard_normal(np.shape(fn(*tensors))))
    w = [engine.constant(R.standard_normal(a.shape)) for a in arrays]
    concrete = engine.function(grad_of_grads).get_concrete_function(
        S(None, F64), [S(None, F64)] * len(arrays), *[S(s, F64) for s in specs])
    got = concrete(u, w, *tensors)
    want = grad_of_grads(u, w, *tensors)
    for g, e in zip(engine.nest.flatten(got), engine.nest.flatten(want)):
        if e is None:
            assert g is None
            continue
        assert g.shape == e.shape
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)


def test_second_order_gradients_through_sum_to_shape():
    def fn(x, y):
        return x * y * y

    for x_shape, y_shape in BROADCAST_BOTH_WAYS:
        check_second_order(fn, [[None, None], [None, None]],
                           [R.standard_normal(x_shape), R.standard_normal(y_shape)])
    check_second_order(fn, [None, None], [R.standard_normal((2, 3)), R.standard_normal(3)])


def _run_time_sums(fn, *specs) -> int:
    """How many SumToShape nodes the traced gradients of `sum(fn(x, y))` hold."""

    @engine.function
    def grads(x, y):
        with engine.GradientTape() as tape:
            tape.watch([x, y])
            z = engine.reduce_sum(fn(x, y))
        return tape.gradient(z, [x, y])

    return _sum_to_shape_nodes(grads.get_concrete_function(*specs))


def test_known_shapes_and_provable_axes_add_no_run_time_node():
    def dense(x, w):
        return engine.nn.relu(x @ w) + w[0]

    # x's batch axis is the output's own: w lacks it, and matmul's rows never broadcast.
    assert _run_time_sums(dense, S([4, 3]), S([3, 5])) == 0
    assert _run_time_sums(dense, S([None, 3]), S([3, 5])) == 0

    def affine(x, y):
        return x * y + y

    assert _run_time_sums(affine, S([4, 3]), S([1, 3])) == 0
    assert _run_time_sums(affine, S([None, 3]), S([3])) == 0
    assert _run_time_sums(affine, S([None, 3]), S([1, 3])) == 0
    # Either input may be the broadcast one: one node each.
    assert _run_time_sums(engine.multiply, S([None, 3]), S([None, 3])) == 2


def test_sum_to_shape_static_shape_and_errors():
    @engine.function(input_signature=[S([None, 3]), S([None, 3])])
    def f(x, y):
        with engine.GradientTape() as t:
            t.watch(y)
            z = engine.reduce_sum(x * y)
        g = t.gradient(z, y)
        assert g.shape.as_list() == [None, 3]
        return g

    np.testing.assert_array_equal(f(np.ones((1, 3)), np.ones((5, 3))).numpy(), np.ones((5, 3)))
    with pytest.raises(InvalidArgumentError, match="sum_to_shape: got an input of shape"):
        engine.raw_ops.SumToShape(input=engine.ones([4, 3]), shape=[2, 3])
    with pytest.raises(ShapeError, match="sum_to_shape: shape is a float32"):
        engine.raw_ops.SumToShape(input=engine.ones([4, 3]), shape=engine.ones([2]))


def _gradient_graph():
    @engine.function
    def f(x, y):
        with engine.GradientTape() as t:
            t.watch([x, y])
            z = engine.reduce_sum(x * y * y)
        return t.gradient(z, [x, y])

    return f, f.get_concrete_function(S([None, None]), S([None, None])).graph


def test_graphs_with_sum_to_shape_round_trip_through_json():
    f, graph = _gradient_graph()
    assert any(n.type == "SumToShape" for n in graph.nodes)
    data, arrays = graph.as_dict()
    program = Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))
    for shapes in BROADCAST_BOTH_WAYS:
        x, y = (R.standard_normal(s).astype(np.float32) for s in shapes)
        for got, want in zip(program([x, y]), f(engine.constant(x), engine.constant(y))):
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)


def test_sum_to_shape_on_a_gpu(gpu):
    @engine.function
    def f(x, y):
        with engine.device("/GPU:0"), engine.GradientTape() as t:
            t.watch([x, y])
            z = engine.reduce_sum(x * y * y)
            return t.gradient(z, [x, y])

    f = f.get_concrete_function(S([None, None]), S([None, None]))
    for shapes in BROADCAST_BOTH_WAYS:
        x, y = (engine.constant(R.standard_normal(s).astype(np.float32)) for s in shapes)
        got = f(x, y)
        with engine.GradientTape() as t:
            t.watch([x, y])
            z = engine.reduce_sum(x * y * y)
        for g, e in zip(got, t.gradient(z, [x, y])):
            assert "GPU" in g.device
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5)


# --- 2. concat --------------------------------------------------------------------------------
def test_concat_gradient_with_unknown_dims():
    check_gradients(lambda x, y: engine.concat([x, y], 0), [[None, 3], [None, 3]],
                    [((2, 3), (3, 3)), ((1, 3), (4, 3))])
    check_gradients(lambda x, y: engine.concat([x, y, x], -1), [[2, None], [2, None]],
                    [((2, 1), (2, 3)), ((2, 4), (2, 2))])
    check_gradients(lambda x, y: engine.concat([x, y], 1), [None, None],
                    [((2, 1), (2, 3)), ((3, 4, 1), (3, 2, 1))])


# --- 3. reductions of unknown rank ------------------------------------------------------------
REDUCTIONS = [engine.reduce_sum, engine.reduce_mean, engine.reduce_max, engine.reduce_min,
              engine.reduce_prod, engine.math.reduce_euclidean_norm]


@pytest.mark.parametrize("reduce", REDUCTIONS, ids=[f.__name__ for f in REDUCTIONS])
@pytest.mark.parametrize("kwargs", [{}, {"keepdims": True}, {"axis": -1}, {"axis": 0},
                                    {"axis": [0, -1], "keepdims": True}],
                         ids=["all", "all_keepdims", "last", "first", "two_keepdims"])
def test_reductions_of_unknown_rank(reduce, kwargs):
    def fn(x):
        return reduce(x, **kwargs)

    if reduce is engine.reduce_prod and np.ndim(kwargs.get("axis")) == 1:
        with pytest.raises(ShapeError, match="reduce_prod: cannot take the gradient over axes"):
            check_gradients(fn, [None], [((2, 3),)])
        return
    concrete = check_gradients(fn, [None], [((2, 3),), ((2, 3, 4),)], [_positive])
    x = _positive((3, 2))
    got = concrete.graph.outputs[0]
    assert got.shape.rank is None
    np.testing.assert_allclose(engine.function(fn).get_concrete_function(S(None, F64))(
        engine.constant(x)).numpy(), fn(engine.constant(x)).numpy())


# --- 4. NumPy scalars out of graphs of unknown rank -------------------------------------------
def test_zero_dimensional_results_of_unknown_rank_are_arrays():
    @engine.function(input_signature=[S(None), S([], engine.int32)])
    def pick(x, n):
        return x[n - 1], engine.reduce_sum(x)

    for x in (np.arange(3.0, dtype=np.float32), np.ones((2, 3), np.float32)):
        item, total = pick(x, 2)
        for t in (item, total)[x.ndim - 1:]:
            assert np.asarray(t).shape == ()  # NumPy scalars gave "not producing an array"
            assert "shape=()" in repr(t)
        np.testing.assert_array_equal(item.numpy(), x[1])
        assert float(total) == x.sum()


# --- 5. Generator draws of symbolic shapes ----------------------------------------------------
class _FixedAddress(engine.random.Generator):
    """A generator that draws at one address (a stand-in for a traced state update)."""

    def _next_address(self, delta=1):
        return np.array([5], np.uint64), np.array([1, 0], np.uint64)


@pytest.mark.parametrize("method, kwargs", [
    ("normal", {}), ("truncated_normal", {}), ("uniform", {}),
    ("uniform", {"minval": 0, "maxval": 10, "dtype": engine.int32}),
    ("uniform_full_int", {}),
])
def test_generator_draws_shapes_known_when_the_graph_runs(method, kwargs):
    gen = _FixedAddress.from_seed(1)

    @engine.function(input_signature=[S([None, 3])])
    def draw(x):
        both = getattr(gen, method)([engine.shape(x)[0], 2], **kwargs)
        full = getattr(gen, method)(engine.shape(x), **kwargs)
        assert both.shape.as_list() == [None, 2] and full.shape.as_list() == [None, 3]
        return both, full

    for n in (4, 1):
        both, full = draw(np.zeros((n, 3), np.float32))
        np.testing.assert_array_equal(both.numpy(), getattr(gen, method)([n, 2], **kwargs))
        np.testing.assert_array_equal(full.numpy(), getattr(gen, method)([n, 3], **kwargs))
