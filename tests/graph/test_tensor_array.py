"""engine.TensorArray: eagerly, in traced Python loops, as a while_loop variable, gradients."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidIndexError, ShapeError

F64 = engine.float64


def test_eager_write_read_stack_size_concat():
    ta = engine.TensorArray(engine.float32, size=3)
    for i in range(3):
        assert ta.write(i, engine.constant([1.0, 2.0]) * i) is ta  # eager writes are in place
    np.testing.assert_allclose(ta.stack().numpy(), [[0, 0], [1, 2], [2, 4]])
    np.testing.assert_allclose(ta.read(2).numpy(), [2, 4])
    np.testing.assert_allclose(ta.concat().numpy(), [0, 0, 1, 2, 2, 4])
    np.testing.assert_allclose(ta.gather([2, 0]).numpy(), [[2, 4], [0, 0]])
    assert int(ta.size()) == 3 and ta.element_shape.as_list() == [2]


def test_eager_unstack_scatter_and_dynamic_size():
    ta = engine.TensorArray(engine.float32, size=0, dynamic_size=True)
    ta = ta.unstack(engine.constant([[1.0], [2.0]]))
    ta = ta.write(3, engine.constant([9.0]))
    np.testing.assert_allclose(ta.stack().numpy(), [[1], [2], [0], [9]])
    ta = ta.scatter([0, 2], engine.constant([[5.0], [6.0]]))
    np.testing.assert_allclose(ta.stack().numpy(), [[5], [2], [6], [9]])


def test_traced_python_loop_matches_eager():
    def f(x):
        ta = engine.TensorArray(engine.float32, size=0, dynamic_size=True)
        for i in range(3):
            ta = ta.write(i, x * float(i + 1))
        ta = ta.scatter([0], engine.reshape(x, [1, 2]) * 0.5)
        return ta.stack(), ta.read(1), ta.concat(), ta.size()

    x = engine.constant([1.0, -2.0])
    for eager, graph in zip(f(x), engine.function(f)(x)):
        np.testing.assert_allclose(graph.numpy(), eager.numpy())


def test_while_loop_writes_into_a_tensor_array_without_a_known_element_shape():
    def f(x):
        ta = engine.TensorArray(engine.float32, size=4)

        def body(i, ta):
            return i + 1, ta.write(i, x * engine.cast(i, engine.float32))

        _, ta = engine.while_loop(lambda i, ta: i < 4, body, (0, ta))
        return ta.stack()

    x = engine.constant([1.0, 2.0, 3.0])
    traced = engine.function(f)
    np.testing.assert_allclose(traced(x).numpy(), f(x).numpy())
    np.testing.assert_allclose(traced(x).numpy(), np.outer(np.arange(4), [1, 2, 3]))
    graph = traced.get_concrete_function(x).graph
    assert "While" in [n.type for n in graph.nodes]


def test_gradient_flows_from_stack_back_to_written_values_in_a_traced_loop():
    def f(x, w):
        inputs = engine.TensorArray(F64, size=3).unstack(x)
        outputs = engine.TensorArray(F64, size=3)

        def body(i, h, outputs):
            h = engine.tanh(inputs.read(i) * w + h)
            return i + 1, h, outputs.write(i, h * h)

        _, h, outputs = engine.while_loop(lambda i, h, o: i < 3, body,
                                          (0, engine.zeros_like(w), outputs))
        return outputs.stack(), h

    x = np.array([[0.5, -1.0], [0.3, 0.2], [-0.7, 0.9]])
    w = np.array([0.8, -1.1])
    u = np.random.default_rng(0).standard_normal((3, 2))

    def loss(x, w):
        stacked, h = f(x, w)
        return engine.reduce_sum(stacked * u) + engine.reduce_sum(h)

    @engine.function
    def grads(x, w):
        with engine.GradientTape() as tape:
            tape.watch([x, w])
            y = loss(x, w)
        return tape.gradient(y, [x, w])

    gx, gw = grads(engine.constant(x), engine.constant(w))
    for k, analytic in enumerate((gx, gw)):
        args = [x, w]
        numeric = np.zeros_like(args[k])
        for idx in np.ndindex(args[k].shape):
            values = []
            for sign in (1, -1):
                shifted = [a.copy() for a in args]
                shifted[k][idx] += sign * 1e-6
                values.append(float(loss(*[engine.constant(a) for a in shifted])))
            numeric[idx] = (values[0] - values[1]) / 2e-6
        np.testing.assert_allclose(analytic.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_eager_gradient_through_stack():
    x = engine.constant([1.0, 2.0], F64)
    with engine.GradientTape() as tape:
        tape.watch(x)
        ta = engine.TensorArray(F64, size=2)
        ta = ta.write(0, x * x).write(1, engine.sin(x))
        y = engine.reduce_sum(ta.stack())
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * x.numpy() + np.cos(x.numpy()))


def test_errors():
    ta = engine.TensorArray(engine.float32, size=2, element_shape=[2])
    with pytest.raises(DTypeError, match="TensorArray.write: got a float64 value"):
        ta.write(0, engine.constant([1.0, 2.0], F64))
    with pytest.raises(ShapeError, match=r"element of shape \(3,\).*elements of shape \(2,\)"):
        ta.write(0, engine.constant([1.0, 2.0, 3.0]))
    with pytest.raises(InvalidIndexError, match="index 5 is out of range.*dynamic_size=True"):
        ta.write(5, engine.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="element shape is unknown"):
        engine.TensorArray(engine.float32, size=2).stack()

    @engine.function
    def symbolic_index_without_size(i):
        return engine.TensorArray(engine.float32, size=0, dynamic_size=True).write(
            i, engine.constant(1.0)).stack()

    # A dynamic array grows when the graph runs (tests/graph/test_dynamic_tensor_array.py).
    np.testing.assert_array_equal(symbolic_index_without_size(engine.constant(2)).numpy(),
                                  [0, 0, 1])
