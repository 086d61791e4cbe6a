"""TensorArray: elements of different shapes (infer_shape=False, split), empty arrays, the
size of a growing array in a traced loop, and a write whose result was not used."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError, TracingError

F32 = engine.float32
F64 = engine.float64


def _ragged_concat(x):
    ta = engine.TensorArray(F64, size=2, infer_shape=False)
    ta = ta.write(0, x[:2] * 2.0).write(1, x[2:] ** 2)
    return ta.concat()


@pytest.mark.parametrize("traced", [False, True])
def test_infer_shape_false_lets_elements_differ_and_concat_joins_them(traced):
    ta = engine.TensorArray(F32, size=2, infer_shape=False)
    ta = ta.write(0, [1.0, 2.0]).write(1, [3.0])
    np.testing.assert_array_equal(ta.concat().numpy(), [1.0, 2.0, 3.0])
    fn = engine.function(_ragged_concat) if traced else _ragged_concat
    x = engine.constant([1.0, 2.0, 3.0], F64)
    with engine.GradientTape() as t:
        t.watch(x)
        y = engine.reduce_sum(fn(x) * engine.constant([1.0, 2.0, 3.0], F64))
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [2.0, 4.0, 18.0])


def test_stack_of_elements_of_different_shapes_says_to_use_concat():
    ta = engine.TensorArray(F32, size=2, infer_shape=False)
    ta = ta.write(0, [1.0, 2.0]).write(1, [3.0])
    with pytest.raises(ShapeError, match=r"element 1 has shape \(1,\).*concat\(\)"):
        ta.stack()
    with pytest.raises(ShapeError, match="infer_shape=False"):
        engine.TensorArray(F32, size=2).write(0, [1.0, 2.0]).write(1, [3.0])


def test_infer_shape_false_elements_in_a_while_loop_need_one_shape():
    @engine.function
    def f(n):
        ta = engine.TensorArray(F32, size=3, infer_shape=False)
        ta = ta.write(0, [1.0, 2.0]).write(1, [3.0])
        for i in engine.range(n):
            ta = ta.write(2, [engine.cast(i, F32)])
        return ta.concat()

    with pytest.raises(ShapeError, match="stacking needs elements of one shape"):
        f(engine.constant(2))


def _split_read_concat(x, lengths):
    ta = engine.TensorArray(F64, size=len(lengths), infer_shape=False)
    ta = ta.split(x, lengths)
    return ta.read(0), ta.concat() * 2.0


@pytest.mark.parametrize("lengths", [[2, 2], [1, 3], [0, 4]])
@pytest.mark.parametrize("traced", [False, True])
def test_split_makes_elements_of_the_given_lengths(lengths, traced):
    x = np.arange(8.0).reshape(4, 2)
    fn = engine.function(_split_read_concat) if traced else _split_read_concat
    first, joined = fn(engine.constant(x), lengths)
    np.testing.assert_array_equal(first.numpy(), x[:lengths[0]])
    np.testing.assert_array_equal(joined.numpy(), 2.0 * x)


@pytest.mark.parametrize("traced", [False, True])
def test_split_gradient_matches_central_differences(traced):
    def loss(x):
        ta = engine.TensorArray(F64, size=2).split(x, [1, 2])
        return engine.reduce_sum(ta.read(0) ** 3) + engine.reduce_sum(engine.sin(ta.read(1)))

    def grad(x):
        with engine.GradientTape() as t:
            t.watch(x)
            y = loss(x)
        return t.gradient(y, x)

    rng = np.random.default_rng(1)
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    g = (engine.function(grad) if traced else grad)(engine.constant(x)).numpy()
    eps = 1e-6
    numeric = (float(loss(engine.constant(x + eps * v)))
               - float(loss(engine.constant(x - eps * v)))) / (2 * eps)
    np.testing.assert_allclose(np.dot(g, v), numeric, rtol=1e-6)


def test_split_in_a_while_loop_with_equal_lengths():
    @engine.function
    def f(x):
        ta = engine.TensorArray(F32, size=3).split(x, [2, 2, 2])
        out = engine.TensorArray(F32, size=3)
        for i in engine.range(3):
            out = out.write(i, engine.reduce_sum(ta.read(i)))
        return out.stack()

    np.testing.assert_array_equal(f(engine.constant([1.0, 2, 3, 4, 5, 6])).numpy(), [3, 7, 11])


def test_split_lengths_must_add_up():
    with pytest.raises(ShapeError, match=r"lengths \[1, 1\] sum to 2, but value has 3 rows"):
        engine.TensorArray(F32, size=2).split(engine.constant([1.0, 2.0, 3.0]), [1, 1])


def test_stack_of_an_empty_array_eagerly():
    assert engine.TensorArray(F32, size=0).stack().shape == (0,)
    ta = engine.TensorArray(F32, size=0, element_shape=[2, 3])
    assert ta.stack().shape == (0, 2, 3) and ta.concat().shape == (0, 3)


def test_traced_loop_asks_for_the_size_before_the_first_write():
    @engine.function
    def squares(n):
        ta = engine.TensorArray(engine.int32, size=0, dynamic_size=True)
        i = 0
        while i < n:
            ta = ta.write(ta.size(), i * i)
            i += 1
        return ta.stack()

    for n in (0, 1, 4):
        np.testing.assert_array_equal(squares(engine.constant(n)).numpy(),
                                      [k * k for k in range(n)])
    assert squares.experimental_get_tracing_count() == 1


def test_a_loop_that_only_asks_for_the_size_needs_an_element_shape():
    @engine.function
    def f(n):
        ta = engine.TensorArray(F32, size=0, dynamic_size=True)
        _, ta = engine.while_loop(lambda i, ta: i < n, lambda i, ta: (i + ta.size(), ta),
                                  (0, ta))
        return ta.stack()

    with pytest.raises(ValueError, match="never writes to it; pass element_shape="):
        f(engine.constant(2))


def test_a_write_whose_result_is_dropped_in_a_loop_says_how_to_fix_it():
    @engine.function
    def f(n):
        ta = engine.TensorArray(F32, size=3, tensor_array_name="squares")
        for i in engine.range(n):
            ta.write(i, engine.cast(i, F32))
        return ta.stack()

    with pytest.raises(TracingError, match=r"TensorArray 'squares' was written inside "
                                           r"'while_body'.*`ta = ta.write\(i, x\)`"):
        f(engine.constant(3))


def test_a_write_inside_a_loop_and_branch_that_is_carried_is_fine():
    @engine.function
    def f(n):
        ta = engine.TensorArray(F32, size=0, dynamic_size=True)
        for i in engine.range(n):
            if i % 2 == 0:
                ta = ta.write(ta.size(), engine.cast(i, F32))
        return ta.stack()

    np.testing.assert_array_equal(f(engine.constant(5)).numpy(), [0.0, 2.0, 4.0])
