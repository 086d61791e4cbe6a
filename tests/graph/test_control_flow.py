"""engine.cond, engine.switch_case, engine.while_loop: eager and traced, gradients, errors."""

import json

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError
from engine.graph.executor import Program
from tests.opcheck import check_grad

F64 = engine.float64


def traced_grad(fn, *arrays):
    """`fn(*tensors)` and its gradients, both computed by a tape inside engine.function."""
    @engine.function
    def run(*xs):
        with engine.GradientTape() as tape:
            tape.watch(xs)
            y = fn(*xs)
        return y, tape.gradient(y, list(xs))

    y, grads = run(*[engine.constant(np.asarray(a, np.float64)) for a in arrays])
    return float(y), [g.numpy() for g in grads]


def numeric_grad(fn, arrays, k, eps=1e-6):
    """Central differences of the eager `fn` with respect to `arrays[k]`, in float64."""
    arrays = [np.asarray(a, np.float64) for a in arrays]
    grad = np.zeros_like(arrays[k])
    for idx in np.ndindex(arrays[k].shape):
        values = []
        for sign in (1, -1):
            shifted = list(arrays)
            shifted[k] = arrays[k].copy()
            shifted[k][idx] += sign * eps
            values.append(float(fn(*[engine.constant(a) for a in shifted])))
        grad[idx] = (values[0] - values[1]) / (2 * eps)
    return grad


def assert_gradients_match(fn, *arrays):
    y, grads = traced_grad(fn, *arrays)
    np.testing.assert_allclose(y, float(fn(*[engine.constant(np.asarray(a, np.float64))
                                             for a in arrays])), rtol=1e-12)
    for k, g in enumerate(grads):
        np.testing.assert_allclose(g, numeric_grad(fn, arrays, k), rtol=1e-6, atol=1e-8)


# --- cond ----------------------------------------------------------------------------------
def test_cond_eager_runs_only_the_chosen_branch():
    ran = []
    x = engine.constant(2.0)
    out = engine.cond(x > 0, lambda: ran.append("t") or x * 10.0, lambda: ran.append("f") or -x)
    assert float(out) == 20.0 and ran == ["t"]
    assert float(engine.cond(False, lambda: x, lambda: -x)) == -2.0


def test_cond_traced_matches_eager_and_traces_once():
    def f(x):
        return engine.cond(engine.reduce_sum(x) > 0,
                           lambda: {"a": x * 2.0, "b": (x + 1.0, 3.0)},
                           lambda: {"a": -x, "b": (x * x, engine.constant(4.0))})

    traced = engine.function(f)
    for value in ([1.0, 2.0], [-3.0, 1.0]):
        x = engine.constant(value)
        eager, graph = f(x), traced(x)
        for e, g in zip(engine.nest.flatten(eager), engine.nest.flatten(graph)):
            np.testing.assert_allclose(np.asarray(g), np.asarray(e))
    assert traced.experimental_get_tracing_count() == 1
    graph = traced.get_concrete_function(engine.constant([1.0, 2.0])).graph
    assert [n.type for n in graph.nodes].count("If") == 1


def test_cond_branches_with_different_shapes_give_the_most_specific_shape():
    @engine.function
    def f(x):
        return engine.cond(x[0] > 0, lambda: x, lambda: engine.concat([x, x], 0))

    np.testing.assert_allclose(f(engine.constant([1.0, 2.0])).numpy(), [1.0, 2.0])
    np.testing.assert_allclose(f(engine.constant([-1.0, 2.0])).numpy(), [-1, 2, -1, 2])
    graph = f.get_concrete_function(engine.constant([1.0, 2.0])).graph
    assert graph.outputs[0].shape.as_list() == [None]


def test_cond_assignments_run_only_in_the_taken_branch():
    a, b = engine.Variable(0.0), engine.Variable(0.0)

    def add_to_a():
        a.assign_add(1.0)

    def add_to_b():
        b.assign_add(10.0)

    @engine.function
    def f(p):
        engine.cond(p, add_to_a, add_to_b)
        return a + b

    assert float(f(engine.constant(True))) == 1.0
    assert float(f(engine.constant(False))) == 11.0
    assert float(f(engine.constant(True))) == 12.0
    assert (float(a), float(b)) == (2.0, 10.0)
    node = f.get_concrete_function(engine.constant(True)).graph.get_operation_by_name("cond")
    assert node.stateful and node.outputs == []


def test_cond_with_random_ops_in_a_branch():
    @engine.function
    def f(p):
        return engine.cond(p, lambda: engine.random.uniform([3]), lambda: engine.zeros([3]))

    draws = [f(engine.constant(True)).numpy() for _ in range(2)]
    assert not np.allclose(draws[0], draws[1]) and np.all((draws[0] >= 0) & (draws[0] < 1))
    np.testing.assert_array_equal(f(engine.constant(False)).numpy(), np.zeros(3))


@pytest.mark.parametrize("x", [[0.7, -0.3], [-0.5, 0.2]])
def test_cond_gradients_match_finite_differences_in_both_branches(x):
    w = engine.constant([1.5, -2.0], F64)

    def f(x):
        return engine.cond(x[0] > 0, lambda: engine.reduce_sum(engine.sin(x * w) * x),
                           lambda: engine.reduce_sum(engine.exp(x) * w))

    assert_gradients_match(f, x)


def test_cond_gradients_reach_variables_read_in_the_branches():
    v = engine.Variable([0.5, -1.0], dtype=F64)
    watched = []

    @engine.function
    def f(x):
        with engine.GradientTape() as tape:
            y = engine.cond(x > 0, lambda: engine.reduce_sum(v * v) * x,
                            lambda: engine.reduce_sum(v) * x)
        watched.append(tape.watched_variables())
        return tape.gradient(y, v)

    np.testing.assert_allclose(f(engine.constant(2.0, F64)).numpy(), 2.0 * 2.0 * v.numpy())
    np.testing.assert_allclose(f(engine.constant(-3.0, F64)).numpy(), [-3.0, -3.0])
    assert watched == [(v,)]  # one trace; the tape saw the variable read inside the branches


def test_cond_gradients_reach_watched_eager_tensors_and_returned_variables():
    c = engine.constant(2.0, F64)
    v = engine.Variable(3.0, dtype=F64)

    @engine.function
    def f(x):
        with engine.GradientTape() as tape:
            tape.watch(c)
            y = engine.cond(x > 0, lambda: engine.cond(x > 5.0, lambda: c * c, lambda: c * x),
                            lambda: c)
        return tape.gradient(y, c)

    @engine.function
    def g(x):
        with engine.GradientTape() as tape:
            z = engine.cond(x > 0, lambda: v, lambda: v * x)
        return tape.gradient(z, v)

    frozen = engine.Variable(3.0, dtype=F64, trainable=False)

    @engine.function
    def h(x):
        with engine.GradientTape() as tape:
            tape.watch(frozen)
            z = engine.cond(x > 0, lambda: frozen * frozen, lambda: frozen * x)
            z = engine.while_loop(lambda i, z: i < 2, lambda i, z: (i + 1, z * frozen), (0, z))
        return tape.gradient(z[1], frozen)

    for x, expected in [(3.0, 3.0), (-3.0, 1.0), (7.0, 4.0)]:
        assert float(f(engine.constant(x, F64))) == expected
    assert [float(g(engine.constant(x, F64))) for x in (2.0, -2.0)] == [1.0, -2.0]
    assert [float(h(engine.constant(x, F64))) for x in (2.0, -2.0)] == [4 * 27.0, 27.0 * -2]


def test_persistent_tape_and_jacobian_through_cond_and_while_loop():
    @engine.function
    def f(x):
        with engine.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = engine.cond(x[0] > 0, lambda: x * x, lambda: engine.sin(x))
            z = engine.while_loop(lambda i, z: i < 2, lambda i, z: (i + 1, z * y), (0, x))[1]
        return tape.gradient(y, x), tape.gradient(z, x), tape.jacobian(z, x)

    dy, dz, jacobian = f(engine.constant([1.0, 2.0], F64))  # z = x ** 5
    np.testing.assert_allclose(dy.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(dz.numpy(), [5.0, 80.0])
    np.testing.assert_allclose(jacobian.numpy(), np.diag([5.0, 80.0]))


@pytest.mark.parametrize("x", [[1.0, 0.7], [0.5, 0.1], [-1.0, 2.0]])
def test_nested_cond_gradients(x):
    def f(x):
        def inner():
            return engine.cond(engine.reduce_sum(x) > 1.0,
                               lambda: engine.reduce_sum(x * x) ** 2,
                               lambda: engine.reduce_sum(engine.exp(x)))

        return engine.cond(x[0] > 0, inner, lambda: engine.reduce_sum(x * 3.0))

    assert_gradients_match(f, x)


@pytest.mark.parametrize("x", [0.7, -1.5])
def test_cond_second_order(x):
    # exp(sin(x))'s gradient reads a forward intermediate (the Exp), so the second order
    # also flows back through the outputs the first gradient added to the forward If.
    @engine.function
    def f(x):
        with engine.GradientTape() as outer:
            outer.watch(x)
            with engine.GradientTape() as inner:
                inner.watch(x)
                y = engine.cond(x > 0, lambda: engine.exp(engine.sin(x)), lambda: x * x * x)
            dy = inner.gradient(y, x)
        return dy, outer.gradient(dy, x)

    dy, d2y = f(engine.constant(x, F64))
    if x > 0:
        expected = [np.cos(x) * np.exp(np.sin(x)), (np.cos(x) ** 2 - np.sin(x)) * np.exp(np.sin(x))]
    else:
        expected = [3 * x * x, 6 * x]
    np.testing.assert_allclose([float(dy), float(d2y)], expected, rtol=1e-12)


def test_cond_eager_gradient():
    check_grad(lambda x: engine.cond(engine.reduce_sum(x) > 0, lambda: x * x, lambda: -x),
               [np.array([0.3, 0.4])])


def test_graph_with_while_and_its_gradient_round_trips_through_json_and_runs():
    @engine.function
    def f(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, engine.sin(y) * x),
                                  (0, x))[1]
        return y, tape.gradient(y, x)

    graph = f.get_concrete_function(engine.constant(0.5, F64)).graph
    assert {"While", "WhileGrad"} <= {n.type for n in graph.nodes}
    data, arrays = graph.as_dict()
    program = Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))
    for x in (0.5, -1.2):
        expected = [t.numpy() for t in f(engine.constant(x, F64))]
        np.testing.assert_allclose(program([np.float64(x)]), expected)


def test_graph_with_if_round_trips_through_json_and_runs():
    v = engine.Variable(3.0)

    @engine.function
    def f(x):
        return engine.cond(x > 0, lambda: x * v, lambda: engine.cond(x < -5.0, lambda: x,
                                                                     lambda: x - v))

    graph = f.get_concrete_function(engine.constant(1.0)).graph
    data, arrays = graph.as_dict()
    rebuilt = engine.Graph.from_dict(json.loads(json.dumps(data)), arrays, variables=[v])
    program = Program(rebuilt)
    for x in (2.0, -1.0, -7.0):
        expected = f(engine.constant(x)).numpy()
        np.testing.assert_allclose(program([np.float32(x)])[0], expected)


def test_cond_errors_say_what_is_wrong():
    x = engine.constant([1.0, 2.0])
    with pytest.raises(TypeError, match="cond: true_fn must be callable.*got int 3"):
        engine.cond(True, 3, lambda: x)
    with pytest.raises(DTypeError, match="pred must be a scalar bool tensor; got a float32"):
        engine.cond(engine.constant(1.0), lambda: x, lambda: x)
    with pytest.raises(ShapeError, match=r"scalar bool.*shape \(2,\).*reduce_all"):
        engine.function(lambda x: engine.cond(x > 0, lambda: x, lambda: x))(x)
    with pytest.raises(ValueError, match="true_fn and false_fn must return the same structure"):
        engine.function(lambda x: engine.cond(x[0] > 0, lambda: (x, x), lambda: x))(x)
    with pytest.raises(DTypeError, match=r"different dtypes at \[1\]: true_fn returns float32, "
                                         "false_fn returns float64"):
        engine.function(lambda x: engine.cond(
            x[0] > 0, lambda: (x, x), lambda: (x, engine.cast(x, F64))))(x)
    with pytest.raises(ValueError, match="false_fn returns None"):
        engine.function(lambda x: engine.cond(x[0] > 0, lambda: x, lambda: None))(x)


# --- switch_case ---------------------------------------------------------------------------
def test_switch_case_eager_traced_default_and_out_of_range():
    x = engine.constant(0.5)
    fns = [lambda: x * x, lambda: engine.sin(x), lambda: x * 3.0]
    f = engine.function(lambda i: engine.switch_case(i, fns, default=lambda: x - 1.0))
    g = engine.function(lambda i: engine.switch_case(i, {1: fns[1], 0: fns[0]}))
    for i, expected in [(0, 0.25), (1, np.sin(0.5)), (2, 1.5), (3, -0.5), (-1, -0.5)]:
        np.testing.assert_allclose(float(f(engine.constant(i))), expected, rtol=1e-6)
        eager = engine.switch_case(engine.constant(i), fns, default=lambda: x - 1.0)
        np.testing.assert_allclose(float(eager), expected, rtol=1e-6)
    np.testing.assert_allclose(float(g(engine.constant(7))), np.sin(0.5), rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1
    assert float(engine.switch_case(5, fns)) == 1.5  # no default: the last branch


@pytest.mark.parametrize("index", [0, 1, 2])
def test_switch_case_gradients(index):
    def f(x):
        return engine.switch_case(engine.constant(index), [
            lambda: engine.reduce_sum(x * x * x), lambda: engine.reduce_sum(engine.sin(x)),
            lambda: engine.reduce_prod(x)])

    assert_gradients_match(f, [0.4, -1.3])


def test_switch_case_errors():
    fn = lambda: engine.constant(1.0)  # noqa: E731
    with pytest.raises(ValueError, match=r"indices must be 0, 1, \.\.\., 1; got \[0, 2\]"):
        engine.switch_case(0, {0: fn, 2: fn})
    with pytest.raises(TypeError, match=r"branch_fns\[1\] must be callable"):
        engine.switch_case(0, [fn, 1.0])
    with pytest.raises(TypeError, match="branch_index must be a scalar int32 or int64"):
        engine.function(lambda i: engine.switch_case(i, [fn, fn]))(engine.constant(1.0))


# --- while_loop ----------------------------------------------------------------------------
def test_while_loop_eager_and_traced_agree():
    def f(x):
        return engine.while_loop(lambda i, y: engine.reduce_sum(y) < 50.0,
                                 lambda i, y: (i + 1, y * 2.0 + 1.0), (0, x))

    traced = engine.function(f)
    for value in ([1.0, 2.0], [10.0, 30.0], [40.0, 30.0]):
        (ie, ye), (ig, yg) = f(engine.constant(value)), traced(engine.constant(value))
        assert int(ie) == int(ig)
        np.testing.assert_allclose(yg.numpy(), ye.numpy())
    assert traced.experimental_get_tracing_count() == 1


def test_while_loop_single_loop_variable_and_maximum_iterations():
    f = engine.function(lambda x, n: engine.while_loop(lambda x: x < 1000.0, lambda x: x * 2.0, x,
                                                       maximum_iterations=n))
    assert float(f(engine.constant(3.0), engine.constant(2))) == 12.0
    assert float(f(engine.constant(3.0), engine.constant(100))) == 1536.0
    assert float(f(engine.constant(3.0), engine.constant(0))) == 3.0
    assert float(engine.while_loop(lambda x: x < 1000.0, lambda x: x * 2.0, engine.constant(3.0),
                                   maximum_iterations=2)) == 12.0


def test_while_loop_power_gradient():
    def power(x, n=5):
        return engine.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * x),
                                 (0, engine.ones_like(x)))[1]

    y, (grad,) = traced_grad(power, 1.3)
    np.testing.assert_allclose(y, 1.3 ** 5, rtol=1e-12)
    np.testing.assert_allclose(grad, 5 * 1.3 ** 4, rtol=1e-12)


def test_while_loop_gradient_with_captured_weight_and_maximum_iterations():
    def f(x, w):
        def body(i, y):
            return i + 1, engine.tanh(engine.matmul(y[None], w)[0]) * 2.0 + y

        _, y = engine.while_loop(lambda i, y: engine.reduce_sum(y) < 100.0, body, (0, x),
                                 maximum_iterations=4)
        return engine.reduce_sum(y * y)

    assert_gradients_match(f, [0.3, -0.4], [[0.9, 0.1], [-0.2, 0.8]])


def test_while_loop_gradient_reaches_variables_and_keeps_assignments():
    w = engine.Variable(0.5, dtype=F64)
    steps = engine.Variable(0)

    @engine.function
    def f(x):
        with engine.GradientTape() as tape:
            tape.watch(x)

            def body(i, y):
                steps.assign_add(1)
                return i + 1, y * w + x

            _, y = engine.while_loop(lambda i, y: i < 3, body, (0, x))
        return y, tape.gradient(y, [x, w])

    y, (gx, gw) = f(engine.constant(2.0, F64))  # y = x (w^3 + w^2 + w + 1)
    np.testing.assert_allclose([float(y), float(gx), float(gw)], [3.75, 1.875, 5.5])
    assert int(steps) == 3


@pytest.mark.parametrize("x", [[0.3, -0.4], [0.5, 0.9]])
def test_cond_inside_while_loop_gradient(x):
    def f(x):
        def body(i, h):
            return i + 1, engine.cond(engine.reduce_sum(h) > 0, lambda: engine.sin(h) * x,
                                      lambda: h * h + x)

        return engine.reduce_sum(engine.while_loop(lambda i, h: i < 4, body, (0, x))[1])

    assert_gradients_match(f, x)


@pytest.mark.parametrize("x", [0.4, -0.7])
def test_while_loop_inside_cond_and_nested_loops_gradients(x):
    def f(x):
        def outer_body(i, y):
            inner = engine.while_loop(lambda j, z: j < 2, lambda j, z: (j + 1, engine.sin(z) + y),
                                      (0, y))
            return i + 1, inner[1]

        looped = lambda: engine.while_loop(lambda i, y: i < 3, outer_body, (0, x))[1]  # noqa: E731
        return engine.cond(x > 0, looped, lambda: x * x * 5.0)

    assert_gradients_match(f, x)


def test_while_loop_eager_gradient():
    check_grad(lambda x: engine.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x),
                                           (0, x))[1], [np.array([0.3, 1.4])])


def test_while_loop_shape_invariants():
    grow = lambda i, y: (i + 1, engine.concat([y, y], 0))  # noqa: E731
    with pytest.raises(ShapeError, match=r"loop variable loop_vars\[1\] has shape \(2,\) before "
                                         r"the loop and shape \(4,\) after one iteration.*"
                                         r"shape_invariants.*TensorShape\(\[None\]\)"):
        engine.function(lambda x: engine.while_loop(lambda i, y: i < 3, grow, (0, x)))(
            engine.constant([1.0, 2.0]))
    f = engine.function(lambda x: engine.while_loop(
        lambda i, y: i < 3, grow, (0, x), shape_invariants=(None, engine.TensorShape([None]))))
    np.testing.assert_allclose(f(engine.constant([1.0, 2.0]))[1].numpy(), [1.0, 2.0] * 8)
    with pytest.raises(ShapeError, match=r"shape invariant \(3,\) of loop variable loop_vars"):
        engine.function(lambda x: engine.while_loop(
            lambda i, y: i < 3, grow, (0, x), shape_invariants=(None, [3])))(
            engine.constant([1.0, 2.0]))


def test_while_loop_errors():
    x = engine.constant(1.0)
    with pytest.raises(TypeError, match="while_loop: body must be callable"):
        engine.while_loop(lambda x: x < 2.0, None, [x])
    with pytest.raises(DTypeError, match=r"loop_vars\[0\] has dtype float32 before the loop and "
                                         "float64 after the body"):
        engine.function(lambda x: engine.while_loop(lambda x: x < 2.0,
                                                    lambda x: engine.cast(x, F64), [x]))(x)
    with pytest.raises(ValueError, match="body must return the structure of loop_vars"):
        engine.function(lambda x: engine.while_loop(lambda i, x: x < 2.0,
                                                    lambda i, x: (x,), (0, x)))(x)
    with pytest.raises(TypeError, match="cond must return a scalar bool tensor"):
        engine.function(lambda x: engine.while_loop(lambda x: x, lambda x: x, [x]))(x)
