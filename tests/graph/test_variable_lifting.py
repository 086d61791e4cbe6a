"""Variables created inside engine.function from graph ops: the initializer is lifted.

As in TensorFlow 2 (`init_scope`), an initial value computed by ops that do not depend on
the function's inputs (static shapes, constants, random draws) is evaluated once, at
creation; one that depends on an input or a variable read is refused, naming it.
"""

import numpy as np
import pytest

import engine


class Lazy(engine.Module):
    """Creates its weight on the first call, from `make(x)`."""

    def __init__(self, make):
        super().__init__()
        self.w = None
        self.make = make
        self.created = 0

    @engine.function
    def __call__(self, x):
        if self.w is None:
            self.w = engine.Variable(self.make(x), name="w")
            self.created += 1
        return x @ self.w


X = np.ones((2, 3), "float32")


@pytest.mark.parametrize("make, expected", [
    (lambda x: engine.ones([x.shape[-1], 2]), np.ones((3, 2))),
    (lambda x: engine.zeros([x.shape[-1], 2]), np.zeros((3, 2))),
    (lambda x: engine.fill([x.shape[-1], 2], 0.5), np.full((3, 2), 0.5)),
    (lambda x: engine.ones([x.shape[-1], 2]) * 2.0 + 1.0, np.full((3, 2), 3.0)),
    (lambda x: engine.zeros_like(engine.ones([x.shape[-1], 2])), np.zeros((3, 2))),
])
def test_initializer_from_static_shape_is_lifted(make, expected):
    m = Lazy(make)
    out = m(X)
    np.testing.assert_allclose(m.w.numpy(), expected)
    np.testing.assert_allclose(out.numpy(), X @ expected)
    assert m.w.shape == (3, 2) and m.w.name == "w:0"
    np.testing.assert_allclose(m(X).numpy(), X @ expected)
    assert m.created == 1


def test_zeros_like_of_an_input_with_static_shape_is_lifted():
    m = Lazy(lambda x: engine.transpose(engine.zeros_like(x)))
    m(X)
    np.testing.assert_array_equal(m.w.numpy(), np.zeros((3, 2)))


def test_random_initializer_draws_once():
    m = Lazy(lambda x: engine.random.normal([x.shape[-1], 2], seed=3))
    first = m(X).numpy()
    w = m.w
    drawn = w.numpy().copy()
    assert drawn.std() > 0
    for _ in range(3):
        np.testing.assert_allclose(m(X).numpy(), first)
    np.testing.assert_array_equal(m.w.numpy(), drawn)
    m(np.ones((5, 3), "float32"))  # a second trace: no new variable
    assert m.w is w and m.created == 1
    np.testing.assert_array_equal(m.w.numpy(), drawn)


def test_unused_lifted_draw_leaves_the_graph():
    m = Lazy(lambda x: engine.random.uniform([x.shape[-1], 2]))
    m(X)
    graph = m.__call__.get_concrete_function(X).graph
    assert any(n.type == "ReadVariableOp" for n in graph.nodes)  # the traced graph
    assert not [n for n in graph.nodes if "Random" in n.type]


def test_lifted_draw_keeps_the_order_of_variable_updates():
    counter = engine.Variable(0.0)

    class M(engine.Module):
        def __init__(self):
            super().__init__()
            self.w = None

        @engine.function
        def __call__(self, x):
            counter.assign_add(1.0)
            r = engine.random.normal([x.shape[-1]])
            if self.w is None:
                self.w = engine.Variable(r)
            counter.assign(counter * 10.0)
            return x * self.w + counter

    m = M()
    out = m(np.ones(3, "float32"))
    np.testing.assert_allclose(counter.numpy(), 10.0)
    np.testing.assert_allclose(out.numpy(), m.w.numpy() + 10.0)


def test_initializer_from_captured_constant():
    scale = engine.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    m = Lazy(lambda x: scale * 2.0)
    np.testing.assert_allclose(m(X).numpy(), X @ (np.asarray(scale) * 2))
    np.testing.assert_allclose(m.w.numpy(), np.asarray(scale) * 2)


def test_keras_style_lazy_build_inside_function():
    # Keras runs `build` under init_scope; state created lazily in `call` is traced.
    class Linear(engine.keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units
            self.kernel = None

        def build(self, input_shape):
            self.bias = self.add_weight("bias", [self.units], initializer="zeros")

        def call(self, x):
            if self.kernel is None:
                self.kernel = engine.Variable(
                    engine.random.normal([x.shape[-1], self.units], stddev=0.1), name="kernel")
            return x @ self.kernel + self.bias

    layer = Linear(4)
    step = engine.function(lambda x: layer(x))
    out = step(X)
    assert out.shape == (2, 4)
    assert layer.kernel.shape == (3, 4) and layer.bias.shape == (4,)
    kernel = layer.kernel.numpy().copy()
    np.testing.assert_allclose(out.numpy(), X @ kernel, rtol=1e-6)
    np.testing.assert_allclose(step(X).numpy(), out.numpy())
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)


def test_initializer_from_input_names_the_input():
    m = Lazy(lambda x: engine.transpose(x) * 2.0)
    with pytest.raises(ValueError) as info:
        m(X)
    text = str(info.value)
    assert "Variable 'w'" in text
    assert "the function's input 'x'" in text
    assert "x -> Transpose -> Mul" in text
    assert "assign" in text


def test_initializer_from_variable_read_is_refused():
    v = engine.Variable(np.ones((3, 2), "float32"), name="source")
    m = Lazy(lambda x: v * 2.0)
    with pytest.raises(ValueError, match="variable 'source:0', read inside the function"):
        m(X)
