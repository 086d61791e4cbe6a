"""Tests for `custom_gradient`: user gradients, several inputs, variables read inside, nesting."""

import numpy as np
import pytest

import engine


def scalar(x):
    return float(np.asarray(x))


def test_custom_gradient():
    @engine.custom_gradient
    def scaled_identity(x):
        def grad(dy):
            return dy * 10.0

        return engine.identity(x), grad

    x = engine.constant([1.0, 2.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = scaled_identity(x) * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0 * 10 + 1.0, 2 * 10 + 2.0])
    np.testing.assert_array_equal(scaled_identity(x).numpy(), [1.0, 2.0])  # without a tape


def test_custom_gradient_with_two_inputs():
    @engine.custom_gradient
    def mul(a, b):
        def grad(dy):
            return dy * b * 2.0, dy * a * 2.0

        return a * b, grad

    a, b = engine.constant(3.0), engine.constant(4.0)
    with engine.GradientTape() as tape:
        tape.watch([a, b])
        y = mul(a, b)
    ga, gb = tape.gradient(y, [a, b])
    assert scalar(ga) == 8.0 and scalar(gb) == 6.0


def test_custom_gradient_with_a_variable_inside():
    v = engine.Variable(2.0)
    seen = {}

    @engine.custom_gradient
    def scale(x):
        def grad(dy, variables=None):
            seen["variables"] = variables
            return dy * v, [dy * x * 100.0]

        return x * v, grad

    x = engine.constant(3.0)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = scale(x)
    gx, gv = tape.gradient(y, [x, v])
    assert scalar(gx) == 2.0
    assert scalar(gv) == 300.0
    assert len(seen["variables"]) == 1 and seen["variables"][0] is v


def test_custom_gradient_reading_variables_needs_a_variables_argument():
    v = engine.Variable(2.0, name="scale")

    @engine.custom_gradient
    def scale(x):
        def grad(dy):
            return dy * v

        return x * v, grad

    x = engine.constant(3.0)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = scale(x)
    with pytest.raises(TypeError, match=r"scale:.*'scale:0'.*variables=None"):
        tape.gradient(y, x)


def test_custom_gradient_nested_in_an_outer_tape():
    @engine.custom_gradient
    def cube(x):
        def grad(dy):
            return dy * 3.0 * x * x

        return x * x * x, grad

    x = engine.constant(2.0)
    with engine.GradientTape() as outer:
        outer.watch(x)
        with engine.GradientTape() as inner:
            inner.watch(x)
            y = cube(x)
        dy = inner.gradient(y, x)
    assert scalar(dy) == 12.0
    assert scalar(outer.gradient(dy, x)) == 12.0
