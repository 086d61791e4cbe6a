"""Gradients through engine.py_function inside engine.function: a node that runs the Python
function again under an eager tape, checked against the eager gradient and float64 central
differences."""

import numpy as np

import engine

F64 = engine.float64


def _central_difference(fn, args, direction, eps=1e-6):
    """d/dt fn(args + t * direction) at t = 0, with every `fn` output summed."""
    plus = [a + eps * d for a, d in zip(args, direction)]
    minus = [a - eps * d for a, d in zip(args, direction)]
    return (fn(*plus) - fn(*minus)) / (2 * eps)


def test_square_has_its_gradient_in_a_graph():
    @engine.function
    def f(x):
        with engine.GradientTape() as t:
            t.watch(x)
            y = engine.py_function(lambda a: a * a, [x], engine.float32)
        return t.gradient(y, x)

    assert float(f(engine.constant(3.0))) == 6.0


def test_eager_gradient_already_flows_through_the_python_function():
    x = engine.constant(3.0)
    with engine.GradientTape() as t:
        t.watch(x)
        y = engine.py_function(lambda a: a * a, [x], engine.float32)
    assert float(t.gradient(y, x)) == 6.0


def _two_outputs(a, b):
    return a * b + engine.sin(a), b * b


def _loss(x, z, w):
    u, v = engine.py_function(_two_outputs, [x, z], [F64, F64])
    # `w` reaches the function but the function ignores it: an unconnected gradient.
    y = engine.py_function(lambda a, b: 2.0 * a, [x, w], F64)
    return engine.reduce_sum(u * 3.0 + v) + engine.reduce_sum(y * y)


def _gradients(x, z, w):
    with engine.GradientTape() as t:
        t.watch([x, z, w])
        loss = _loss(x, z, w)
    return t.gradient(loss, [x, z, w])


def test_several_inputs_and_outputs_match_eager_and_central_differences():
    rng = np.random.default_rng(0)
    x, z, w = (rng.standard_normal(3) for _ in range(3))
    graph = engine.function(_gradients)(*(engine.constant(a) for a in (x, z, w)))
    eager = _gradients(*(engine.constant(a) for a in (x, z, w)))
    for g, e in zip(graph[:2], eager[:2]):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12)
    direction = [rng.standard_normal(3) for _ in range(2)]

    def loss_of(xa, za):
        return float(_loss(engine.constant(xa), engine.constant(za), engine.constant(w)))

    numeric = _central_difference(loss_of, [x, z], direction)
    analytic = sum(float(np.dot(g.numpy(), d)) for g, d in zip(graph[:2], direction))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)


def test_an_input_the_function_ignores_gets_zeros_in_a_graph_and_none_eagerly():
    args = [engine.constant([1.0, 2.0], F64) for _ in range(3)]
    np.testing.assert_array_equal(engine.function(_gradients)(*args)[2].numpy(), [0.0, 0.0])
    assert _gradients(*args)[2] is None


def test_integer_inputs_and_outputs_have_no_gradient():
    @engine.function
    def f(x, n):
        with engine.GradientTape() as t:
            t.watch(x)
            y, k = engine.py_function(lambda a, m: (a * engine.cast(m, F64), m + 1),
                                      [x, n], [F64, engine.int32])
        return t.gradient(y, [x, n]), k

    (dx, dn), k = f(engine.constant(2.0, F64), engine.constant(3))
    assert float(dx) == 3.0 and dn is None and int(k) == 4


def test_gradient_node_names_the_function_it_differentiates():
    args = [engine.constant([1.0], F64) for _ in range(3)]
    graph = engine.function(_gradients).get_concrete_function(*args).graph
    keys = [n.attrs["func"] for n in graph.nodes if n.type == "EagerPyFunc"]
    assert len(keys) == 4 and all("_grad_of_py_function_" in k for k in keys[2:])


def test_second_order_gradient_in_a_graph():
    @engine.function
    def f(x):
        with engine.GradientTape() as outer:
            outer.watch(x)
            with engine.GradientTape() as inner:
                inner.watch(x)
                y = engine.py_function(lambda a: a * a * a, [x], F64)
            dy = inner.gradient(y, x)
        return dy, outer.gradient(dy, x)

    dy, d2y = f(engine.constant(2.0, F64))
    assert float(dy) == 12.0 and float(d2y) == 12.0


def test_numpy_function_has_no_gradient_in_a_graph_either():
    @engine.function
    def f(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.numpy_function(lambda a: a * 2, [x], engine.float32)
        return tape.gradient(y, x)

    assert f(engine.constant(1.0)) is None  # as in TF; py_function's would be 2.0
