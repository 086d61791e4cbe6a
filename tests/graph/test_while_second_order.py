"""Second (and higher) derivatives through engine.while_loop inside engine.function.

The gradient of a traced `While` is a `WhileGrad` loop; differentiating that gives another
`WhileGrad` (running the other way). Each check compares the traced second derivative
with the eager one (a Python loop on the tape) and with float64 central differences of
the eager first derivative.
"""

import json

import numpy as np
import pytest

import engine
from engine.graph.executor import Program

F64 = engine.float64
EPS = 1e-6


def nested_tapes(fn):
    """`(dy/dx, d2y/dx2)` of a scalar `y = fn(x, *args)` from two nested tapes."""
    def run(x, *args):
        with engine.GradientTape() as outer:
            outer.watch(x)
            with engine.GradientTape() as inner:
                inner.watch(x)
                y = fn(x, *args)
            dy = inner.gradient(y, x)
        return dy, outer.gradient(dy, x)

    return run


def first_derivative(fn, x, *args):
    """The eager dy/dx as a float64 array."""
    x = engine.constant(x, F64)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = fn(x, *args)
    return tape.gradient(y, x).numpy()


def central_difference(fn, x, *args):
    """d/dx of the eager first derivative, by central differences (a scalar `x`)."""
    return (first_derivative(fn, x + EPS, *args) - first_derivative(fn, x - EPS, *args)) / (
        2 * EPS)


def check_second_derivative(fn, x, *args):
    """Traced, eager and numerical second derivatives agree; returns the traced pair."""
    traced = engine.function(nested_tapes(fn))
    dy, d2y = traced(engine.constant(x, F64), *args)
    eager_dy, eager_d2y = nested_tapes(fn)(engine.constant(x, F64), *args)
    if eager_d2y is None:  # the eager loop never ran, so dy does not depend on x
        eager_d2y = 0.0
    np.testing.assert_allclose(float(dy), float(eager_dy), rtol=1e-12)
    np.testing.assert_allclose(float(d2y), float(eager_d2y), rtol=1e-10)
    np.testing.assert_allclose(float(d2y), central_difference(fn, x, *args), rtol=1e-6,
                               atol=1e-8)
    return float(dy), float(d2y)


def power_loop(x):
    return engine.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x),
                             (0, engine.constant(1.0, F64)))[1]


def test_the_reported_example_float32():
    def wl(x):
        with engine.GradientTape() as t2:
            t2.watch(x)
            with engine.GradientTape() as t1:
                t1.watch(x)
                _, y = engine.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x),
                                         (0, engine.constant(1.0)))
            d = t1.gradient(y, x)
        return d, t2.gradient(d, x)

    eager = [float(v) for v in wl(engine.constant(1.5))]
    traced = [float(v) for v in engine.function(wl)(engine.constant(1.5))]
    assert eager == [6.75, 9.0]
    np.testing.assert_allclose(traced, eager, rtol=1e-6)


@pytest.mark.parametrize("x", [1.5, -0.4])
def test_x_cubed_by_a_loop(x):
    dy, d2y = check_second_derivative(power_loop, x)
    np.testing.assert_allclose([dy, d2y], [3 * x * x, 6 * x], rtol=1e-12)


def test_body_reading_intermediates_and_loop_variables():
    # sin(y) * x: the first gradient reads cos(y), y and x from every iteration.
    def fn(x):
        return engine.while_loop(lambda i, y: i < 4, lambda i, y: (i + 1, engine.sin(y) * x),
                                 (0, x))[1]

    check_second_derivative(fn, 0.8)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_trip_count_from_a_tensor_argument(n):
    def fn(x, n):
        _, y = engine.while_loop(lambda i, y: i < n,
                                 lambda i, y: (i + 1, engine.exp(0.3 * y) * x + y),
                                 (engine.constant(0), x))
        return y

    traced = engine.function(nested_tapes(fn))
    for value in (0.6, -0.3):  # one trace serves every trip count
        dy, d2y = check_second_derivative(fn, value, engine.constant(n))
        traced(engine.constant(value, F64), engine.constant(n))
        if n == 0:  # y = x
            assert (dy, d2y) == (1.0, 0.0)
    assert traced.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("limit", [2, engine.constant(3)])
def test_maximum_iterations_cuts_the_loop_short(limit):
    def fn(x):
        _, y = engine.while_loop(lambda i, y: y < 1e6, lambda i, y: (i + 1, y * x + 1.0),
                                 (0, x), maximum_iterations=limit)
        return y

    steps = int(limit)
    dy, d2y = check_second_derivative(fn, 1.3)
    # After k steps y = x^(k+1) + x^(k-1) + ... + x + 1 (the loop stops at the limit).
    poly = np.polynomial.Polynomial([1.0] * steps + [0.0, 1.0])
    np.testing.assert_allclose([dy, d2y], [poly.deriv(1)(1.3), poly.deriv(2)(1.3)],
                               rtol=1e-12)


def test_third_derivative():
    def fn(x):
        return engine.while_loop(lambda i, y: i < 4, lambda i, y: (i + 1, y * x),
                                 (0, engine.constant(1.0, F64)))[1]  # x ** 4

    @engine.function
    def third(x):
        with engine.GradientTape() as t3:
            t3.watch(x)
            with engine.GradientTape() as t2:
                t2.watch(x)
                with engine.GradientTape() as t1:
                    t1.watch(x)
                    y = fn(x)
                d1 = t1.gradient(y, x)
            d2 = t2.gradient(d1, x)
        return d1, d2, t3.gradient(d2, x)

    x = 1.7
    got = [float(v) for v in third(engine.constant(x, F64))]
    np.testing.assert_allclose(got, [4 * x ** 3, 12 * x ** 2, 24 * x], rtol=1e-12)


# --- Hessian-vector products with a matmul on a variable -------------------------------------
def _rnn(x, w, steps=4):
    """`steps` iterations of h = tanh(h @ w) + x; returns sum(h ** 2)."""
    _, h = engine.while_loop(lambda i, h: i < steps,
                             lambda i, h: (i + 1, engine.tanh(engine.matmul(h, w)) + x),
                             (0, x))
    return engine.reduce_sum(h * h)


def _hvp(w, v_w, v_x):
    """Returns a function of `x`: the loss gradient and the HVP along (v_w, v_x)."""
    def run(x):
        with engine.GradientTape() as outer:
            outer.watch(x)
            with engine.GradientTape() as inner:
                inner.watch(x)
                loss = _rnn(x, w)
            g_w, g_x = inner.gradient(loss, [w, x])
            along = engine.reduce_sum(g_w * v_w) + engine.reduce_sum(g_x * v_x)
        return g_w, g_x, outer.gradient(along, [w, x])

    return run


def test_hessian_vector_product_through_a_matmul_with_a_captured_variable():
    rng = np.random.RandomState(0)
    w0 = rng.randn(3, 3) * 0.5
    x0 = rng.randn(2, 3)
    v_w, v_x = rng.randn(3, 3), rng.randn(2, 3)
    w = engine.Variable(w0, dtype=F64)
    hvp = _hvp(w, engine.constant(v_w, F64), engine.constant(v_x, F64))
    g_w, g_x, (h_w, h_x) = engine.function(hvp)(engine.constant(x0, F64))
    e_w, e_x, (eh_w, eh_x) = hvp(engine.constant(x0, F64))
    for got, want in [(g_w, e_w), (g_x, e_x), (h_w, eh_w), (h_x, eh_x)]:
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)

    def gradients(shift):  # the eager gradient at (w0, x0) + shift * (v_w, v_x)
        w.assign(w0 + shift * v_w)
        x = engine.constant(x0 + shift * v_x, F64)
        with engine.GradientTape() as tape:
            tape.watch(x)
            loss = _rnn(x, w)
        return [g.numpy() for g in tape.gradient(loss, [w, x])]

    plus, minus = gradients(EPS), gradients(-EPS)
    w.assign(w0)
    np.testing.assert_allclose(h_w.numpy(), (plus[0] - minus[0]) / (2 * EPS), rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(h_x.numpy(), (plus[1] - minus[1]) / (2 * EPS), rtol=1e-5,
                               atol=1e-7)


# --- the Jacobian of a gradient: a Hessian ----------------------------------------------------
def _vector_loop(x):
    _, y = engine.while_loop(lambda i, y: i < 3,
                             lambda i, y: (i + 1, engine.sin(y) * x + engine.reduce_sum(y)),
                             (0, x))
    return engine.reduce_sum(y * y)


def _hessian(x):
    with engine.GradientTape() as outer:
        outer.watch(x)
        with engine.GradientTape() as inner:
            inner.watch(x)
            y = _vector_loop(x)
        g = inner.gradient(y, x)
    return g, outer.jacobian(g, x)


def test_jacobian_of_a_while_loop_gradient_is_the_hessian():
    x0 = np.array([0.3, -0.2, 0.5])
    g, hessian = engine.function(_hessian)(engine.constant(x0, F64))
    eager_g, eager_hessian = _hessian(engine.constant(x0, F64))
    np.testing.assert_allclose(g.numpy(), eager_g.numpy(), rtol=1e-12)
    np.testing.assert_allclose(hessian.numpy(), eager_hessian.numpy(), rtol=1e-10)
    numeric = np.stack([(first_derivative(_vector_loop, x0 + EPS * e)
                         - first_derivative(_vector_loop, x0 - EPS * e)) / (2 * EPS)
                        for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(hessian.numpy(), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hessian.numpy(), hessian.numpy().T, rtol=1e-10)


# --- loops combined with other control flow ---------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: engine.while_loop(  # a cond in the body
        lambda i, y: i < 3,
        lambda i, y: (i + 1, engine.cond(y > 0.0, lambda: engine.sin(y) * x, lambda: y * y)),
        (0, x))[1],
    lambda x: engine.while_loop(  # a loop in the loop
        lambda i, y: i < 2,
        lambda i, y: (i + 1, engine.while_loop(lambda j, z: j < 2,
                                               lambda j, z: (j + 1, engine.sin(z) * x),
                                               (0, y))[1]),
        (0, x))[1],
    lambda x: engine.reduce_sum(engine.while_loop(  # a TensorArray loop variable
        lambda i, ta: i < 3,
        lambda i, ta: (i + 1, ta.write(i, engine.sin(x * engine.cast(i + 1, F64)))),
        (0, engine.TensorArray(F64, size=3)))[1].stack() ** 2),
], ids=["cond_in_body", "nested_loops", "tensor_array"])
def test_second_derivative_with_other_control_flow(fn):
    check_second_derivative(fn, 0.7)


@pytest.mark.parametrize("x", [0.7, -1.2])
def test_cond_and_switch_case_second_order_traced(x):
    def with_cond(x):
        return engine.cond(x > 0, lambda: engine.exp(engine.sin(x)), lambda: x * x * x)

    def with_switch(x, i):
        return engine.switch_case(i, [lambda: x * x * x, lambda: engine.exp(engine.sin(x))])

    check_second_derivative(with_cond, x)
    for i in (0, 1):
        check_second_derivative(with_switch, x, engine.constant(i))


def test_first_order_graph_is_unchanged_by_the_outer_tape_support():
    # Only the first gradient is taken: no second gradient loop, one accumulator (y).
    @engine.function
    def f(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = power_loop(x)
        return tape.gradient(y, x)

    np.testing.assert_allclose(float(f(engine.constant(1.5, F64))), 6.75, rtol=1e-12)
    graph = f.get_concrete_function(engine.constant(1.5, F64)).graph
    types = [n.type for n in graph.nodes]
    assert types.count("While") == 1 and types.count("WhileGrad") == 1
    (loop,) = [n for n in graph.nodes if n.type == "While"]
    assert [e[0] for e in loop.attrs["extras"]] == ["count", "acc"]


def test_second_order_graph_round_trips_through_json_and_runs():
    f = engine.function(nested_tapes(lambda x: engine.while_loop(
        lambda i, y: i < 3, lambda i, y: (i + 1, engine.sin(y) * x), (0, x))[1]))
    graph = f.get_concrete_function(engine.constant(0.5, F64)).graph
    assert [n.type for n in graph.nodes].count("WhileGrad") == 3  # one first, two second
    data, arrays = graph.as_dict()
    program = Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))
    for x in (0.5, -1.2):
        expected = [t.numpy() for t in f(engine.constant(x, F64))]
        np.testing.assert_allclose(program([np.float64(x)]), expected, rtol=1e-12)
