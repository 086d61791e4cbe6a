"""`custom_gradient` inside `engine.function`: unknown and known shapes, variables, nesting.

The custom step's outputs must be graph nodes while tracing; before the fix they were
eager tensors wrapping a `SymbolicValue`, so the graph ran NumPy kernels on it.
"""

import numpy as np
import pytest

import engine

S = engine.TensorSpec


@engine.custom_gradient
def clip_grad(x):
    def grad(dy):
        return engine.clip_by_value(dy, -1.0, 1.0)

    return engine.identity(x), grad


@engine.custom_gradient
def cube(x):
    def grad(dy):
        return dy * 3.0 * x * x  # differentiable ops: a second gradient goes through them

    return x * x * x, grad


def clipped_gradient(x):
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reduce_sum(clip_grad(x) * 10.0)
    return tape.gradient(y, x)


def test_unknown_shape_traced():
    f = engine.function(clipped_gradient, input_signature=[S([None])])
    np.testing.assert_array_equal(f(np.ones(3, "float32")).numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(f(np.ones(5, "float32")).numpy(), np.ones(5))


def test_known_shape_traced():
    @engine.function
    def f(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.reduce_sum(clip_grad(x) * 10.0)
        return y, tape.gradient(y, x)

    y, dx = f(engine.constant([1.0, 2.0]))
    assert float(y) == 30.0
    np.testing.assert_array_equal(dx.numpy(), [1.0, 1.0])


def test_forward_value_traced_and_without_a_tape():
    @engine.function(input_signature=[S([None])])
    def f(x):
        with engine.GradientTape():
            y = clip_grad(x) * 2.0
        return y + clip_grad(x)  # the second call runs with no tape

    np.testing.assert_array_equal(f(np.array([1.0, -2.0], "float32")).numpy(), [3.0, -6.0])


def test_custom_gradient_reading_a_variable_traced():
    v = engine.Variable(2.0)

    @engine.custom_gradient
    def scale(x):
        def grad(dy, variables=None):
            assert len(variables) == 1 and variables[0] is v
            return dy * v, [engine.reduce_sum(dy * x) * 100.0]

        return x * v, grad

    def step(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.reduce_sum(scale(x))
        return tape.gradient(y, [x, v])

    traced = engine.function(step, input_signature=[S([None])])
    x = np.array([1.0, 3.0], "float32")
    gx, gv = traced(x)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0])
    assert float(gv) == 400.0
    v.assign(5.0)  # the graph reads the variable when it runs, not when it was traced
    gx, gv = traced(x)
    np.testing.assert_array_equal(gx.numpy(), [5.0, 5.0])


def test_second_order_through_a_custom_gradient_traced():
    @engine.function(input_signature=[S([None])])
    def f(x):
        with engine.GradientTape() as outer:
            outer.watch(x)
            with engine.GradientTape() as inner:
                inner.watch(x)
                y = engine.reduce_sum(cube(x))
            dy = inner.gradient(y, x)
        return dy, outer.gradient(dy, x)

    dy, d2y = f(np.array([1.0, 2.0], "float32"))
    np.testing.assert_array_equal(dy.numpy(), [3.0, 12.0])
    np.testing.assert_array_equal(d2y.numpy(), [6.0, 12.0])  # d(3x^2)/dx = 6x


@pytest.mark.parametrize("signature", [None, [S([None, 3])]])
def test_eager_and_traced_agree(signature):
    def step(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.reduce_sum(cube(x) + clip_grad(x) * 7.0)
        return y, tape.gradient(y, x)

    x = engine.constant(np.linspace(-1.0, 1.0, 6, dtype="float32").reshape(2, 3))
    eager = step(x)
    traced = engine.function(step, input_signature=signature)(x)
    for e, t in zip(eager, traced):
        np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=1e-6)
