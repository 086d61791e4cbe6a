"""A `dynamic_size=True` TensorArray grown by writes in traced loops (sizes known at run time).

The TF 2 idiom: start empty, `ta = ta.write(i, x)` in a loop over a tensor bound, then
`ta.stack()`. Each function is traced once and run with several loop lengths.
"""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError

S = engine.TensorSpec
F32 = engine.float32
F64 = engine.float64
I32 = engine.int32


def squares_autograph(n):
    ta = engine.TensorArray(F32, size=0, dynamic_size=True)
    i = 0
    while i < n:  # autograph turns this into a while_loop
        ta = ta.write(i, engine.cast(i, F32) ** 2)
        i += 1
    return ta.stack(), ta.size()


def rows_while_loop(n):
    ta = engine.TensorArray(F32, size=0, dynamic_size=True)

    def body(i, ta):
        return i + 1, ta.write(i, engine.fill([3], engine.cast(i, F32)))

    _, ta = engine.while_loop(lambda i, ta: i < n, body, (0, ta))
    return ta.stack(), ta.size(), ta.read(n - 1)


def squares_range(n):
    ta = engine.TensorArray(F32, size=0, dynamic_size=True)
    for i in engine.range(n):  # autograph: a while_loop over a tensor range
        ta = ta.write(i, engine.cast(i * i, F32))
    return ta.stack()


@pytest.mark.parametrize("fn", [squares_autograph, squares_range])
def test_writes_in_a_loop_over_a_tensor_bound_grow_the_array(fn):
    traced = engine.function(fn)
    for n in (4, 1, 0, 7):
        out = traced(engine.constant(n))
        stacked = out[0] if isinstance(out, (tuple, list)) else out
        np.testing.assert_array_equal(stacked.numpy(), np.arange(n, dtype=np.float32) ** 2)
        if isinstance(out, (tuple, list)):
            assert int(out[1]) == n


def test_explicit_while_loop_stacks_to_an_unknown_leading_dimension():
    concrete = engine.function(rows_while_loop).get_concrete_function(S([], I32))
    assert [t.shape.as_list() for t in concrete.graph.outputs] == [[None, 3], [], [3]]
    for n in (3, 5):
        stacked, size, last = concrete(engine.constant(n))
        np.testing.assert_array_equal(stacked.numpy(), np.repeat(np.arange(n), 3).reshape(n, 3))
        assert int(size) == n
        np.testing.assert_array_equal(last.numpy(), [n - 1] * 3)


def test_initial_size_element_shape_and_writes_before_the_loop():
    @engine.function
    def f(n):
        ta = engine.TensorArray(F32, size=2, dynamic_size=True, element_shape=[2])
        ta = ta.write(0, engine.constant([7.0, 8.0]))

        def body(i, ta):
            return i + 1, ta.write(i, engine.stack([engine.cast(i, F32), 1.0]))

        _, ta = engine.while_loop(lambda i, ta: i < n, body, (3, ta))
        return ta.stack()

    np.testing.assert_array_equal(f(engine.constant(5)).numpy(),
                                  [[7, 8], [0, 0], [0, 0], [3, 1], [4, 1]])
    np.testing.assert_array_equal(f(engine.constant(0)).numpy(), [[7, 8], [0, 0]])


def test_python_loop_writes_on_a_dynamic_array_still_trace():
    def f(x):
        ta = engine.TensorArray(F32, size=0, dynamic_size=True)
        for i in range(3):
            ta = ta.write(i, x * float(i + 1))
        return ta.stack(), ta.concat(), ta.read(2), ta.size()

    x = engine.constant([1.0, -2.0])
    for eager, graph in zip(f(x), engine.function(f)(x)):
        np.testing.assert_allclose(graph.numpy(), eager.numpy())


def test_write_in_one_branch_of_a_cond_inside_the_loop():
    @engine.function
    def evens(n):
        ta = engine.TensorArray(I32, size=0, dynamic_size=True)

        def body(i, j, ta):
            even = engine.equal(i % 2, 0)
            ta = engine.cond(even, lambda: ta.write(j, i), lambda: ta)
            return i + 1, engine.where(even, j + 1, j), ta

        _, _, ta = engine.while_loop(lambda i, j, ta: i < n, body, (0, 0, ta))
        return ta.stack()

    np.testing.assert_array_equal(evens(engine.constant(7)).numpy(), [0, 2, 4, 6])


def test_element_shapes_must_agree():
    @engine.function
    def f(n):
        ta = engine.TensorArray(F32, size=0, dynamic_size=True)

        def body(i, ta):
            ta = ta.write(i, engine.zeros([2]))
            return i + 1, ta.write(i, engine.zeros([3]))

        _, ta = engine.while_loop(lambda i, ta: i < n, body, (0, ta))
        return ta.stack()

    with pytest.raises(ShapeError, match=r"TensorArray.write: got an element of shape \(3,\)"):
        f(engine.constant(2))


def collect_scaled(x, n):
    """sum over i < n of reduce_sum(x * i) + read(n - 1) . x, through a dynamic array."""
    ta = engine.TensorArray(F64, size=0, dynamic_size=True)

    def body(i, ta):
        return i + 1, ta.write(i, engine.sin(x) * engine.cast(i, F64))

    _, ta = engine.while_loop(lambda i, ta: i < n, body, (0, ta))
    return engine.reduce_sum(ta.stack()) + engine.reduce_sum(ta.read(n - 1) * x)


def test_gradient_through_write_stack_and_read_matches_finite_differences():
    @engine.function
    def grad(x, n):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = collect_scaled(x, n)
        return y, tape.gradient(y, x)

    x = np.array([0.3, -1.2, 2.0])
    for n in (4, 1):
        value, analytic = grad(engine.constant(x), engine.constant(n))
        s = n * (n - 1) / 2
        np.testing.assert_allclose(value.numpy(),
                                   s * np.sin(x).sum() + (n - 1) * (np.sin(x) * x).sum())
        numeric = np.zeros_like(x)
        for k in range(x.size):
            step = np.zeros_like(x)
            step[k] = 1e-6
            plus = collect_scaled(engine.constant(x + step), engine.constant(n))
            minus = collect_scaled(engine.constant(x - step), engine.constant(n))
            numeric[k] = (float(plus) - float(minus)) / 2e-6
        np.testing.assert_allclose(analytic.numpy(), numeric, rtol=1e-6, atol=1e-8)
