"""Regression tests: higher-order gradients with respect to variables, variables that stay
arrays after copy-on-write updates, and the dtype of lists of NumPy scalars.

Gradients are checked against float64 central differences of the engine's first-order
gradient (itself checked against NumPy for every op in tests/ops)."""

import numpy as np
import pytest

import engine

EPS = 1e-6


def first_gradient(f, value):
    """The first-order gradient of `f` at `value`, as float64 NumPy."""
    v = engine.Variable(np.asarray(value, np.float64))
    with engine.GradientTape() as tape:
        y = f(v)
    return np.asarray(tape.gradient(y, v), np.float64)


def numeric_hvp(f, value, direction):
    """H·direction by central differences of the gradient."""
    value = np.asarray(value, np.float64)
    plus = first_gradient(f, value + EPS * direction)
    minus = first_gradient(f, value - EPS * direction)
    return (plus - minus) / (2 * EPS)


def nested_second_order(f, v):
    """(d f/dv, d/dv of that gradient) with two nested tapes, both watching `v` on their
    own (trainable variables are watched automatically)."""
    with engine.GradientTape() as outer:
        with engine.GradientTape() as inner:
            y = f(v)
        dy = inner.gradient(y, v)
    return dy, outer.gradient(dy, v)


SCALAR_FUNCTIONS = {
    "pow": lambda x: x ** 3,
    "square": lambda x: engine.square(x) * 2.0,
    "sin": lambda x: engine.sin(x),
    "mul_chain": lambda x: x * x * x,
    "exp_times_variable": lambda x: engine.exp(x) * x,
}


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCTIONS))
def test_second_derivative_with_respect_to_a_variable(name):
    f = SCALAR_FUNCTIONS[name]
    v = engine.Variable(np.float64(0.7))
    dy, d2y = nested_second_order(f, v)
    assert d2y is not None, f"{name}: the outer tape lost the variable"
    np.testing.assert_allclose(float(dy), first_gradient(f, 0.7), rtol=1e-12)
    np.testing.assert_allclose(float(d2y), numeric_hvp(f, 0.7, 1.0), rtol=1e-6)


def test_second_derivative_of_cube_is_twelve_at_two():
    for f in (lambda x: x ** 3, lambda x: x * x * x):
        x = engine.Variable(2.0)
        _, d2y = nested_second_order(f, x)
        assert float(d2y) == pytest.approx(12.0)


def test_third_derivative_with_three_tapes():
    x = engine.Variable(np.float64(1.5))
    with engine.GradientTape() as t3:
        with engine.GradientTape() as t2:
            with engine.GradientTape() as t1:
                y = x ** 4
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert float(d3) == pytest.approx(24 * 1.5)


def test_persistent_tape_differentiates_its_own_gradient_of_a_variable():
    x = engine.Variable(2.0)
    with engine.GradientTape(persistent=True) as tape:
        y = x ** 3
        dy = tape.gradient(y, x)
    assert float(tape.gradient(dy, x)) == pytest.approx(12.0)
    assert float(tape.gradient(y, x)) == pytest.approx(12.0)  # first order unchanged


def matmul_loss(w):
    x = engine.constant(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]))  # (batch, in)
    gram = engine.matmul(w, w, transpose_a=True)  # (out, out): both operands read `w`
    return (engine.reduce_sum(engine.tanh(engine.matmul(x, w)) ** 2)
            + 0.1 * engine.reduce_sum(gram * gram))


def test_hessian_vector_product_with_a_variable_matrix():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(3, 4))
    direction = rng.normal(size=(3, 4))
    w = engine.Variable(w0)
    with engine.GradientTape() as outer:
        with engine.GradientTape() as inner:
            loss = matmul_loss(w)
        grad = inner.gradient(loss, w)
    hvp = outer.gradient(grad, w, output_gradients=engine.constant(direction))
    assert hvp is not None
    np.testing.assert_allclose(np.asarray(hvp), numeric_hvp(matmul_loss, w0, direction),
                               rtol=1e-6, atol=1e-8)


def cubic_sum(x):
    return engine.reduce_sum(x ** 3 * engine.sin(x))


def test_jacobian_of_a_gradient_is_the_hessian():
    x0 = np.array([0.3, -1.2, 2.0])
    x = engine.Variable(x0)
    with engine.GradientTape() as outer:
        with engine.GradientTape() as inner:
            y = cubic_sum(x)
        grad = inner.gradient(y, x)
    hessian = outer.jacobian(grad, x)
    expected = np.stack([numeric_hvp(cubic_sum, x0, e) for e in np.eye(3)])
    np.testing.assert_allclose(np.asarray(hessian), expected, rtol=1e-6, atol=1e-8)


def test_second_order_gradients_inside_a_function_match_eager():
    x = engine.Variable(np.float64(0.7))
    w = engine.Variable(np.random.default_rng(1).normal(size=(3, 4)))
    direction = engine.constant(np.ones((3, 4)))

    def both():
        scalar = [nested_second_order(f, x)[1] for _, f in sorted(SCALAR_FUNCTIONS.items())]
        with engine.GradientTape() as outer:
            with engine.GradientTape() as inner:
                loss = matmul_loss(w)
            grad = inner.gradient(loss, w)
        return scalar, outer.gradient(grad, w, output_gradients=direction)

    eager_scalars, eager_hvp = both()
    traced_scalars, traced_hvp = engine.function(both)()
    for name, e, t in zip(sorted(SCALAR_FUNCTIONS), eager_scalars, traced_scalars):
        assert t is not None, name
        np.testing.assert_allclose(float(t), float(e), rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(np.asarray(traced_hvp), np.asarray(eager_hvp), rtol=1e-12)


def test_gradient_ignores_an_unwatched_variable_read_by_the_inner_tape_only():
    x = engine.Variable(2.0)
    with engine.GradientTape(watch_accessed_variables=False) as outer:
        with engine.GradientTape() as inner:
            y = x ** 3
        dy = inner.gradient(y, x)
    assert outer.gradient(dy, x) is None  # as in TF: the outer tape watches nothing


# --- variables stay arrays after updates -------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
@pytest.mark.parametrize("method", ["assign_add", "assign_sub"])
def test_update_while_a_read_is_held_keeps_a_variable_usable(method, dtype):
    v = engine.Variable(5, dtype=dtype)
    held = v.read_value()  # forces the copy-on-write path
    getattr(v, method)(2)
    expected = 7 if method == "assign_add" else 3
    assert np.asarray(v).shape == () and np.asarray(v) == expected
    assert repr(v).endswith(f"numpy={expected}" + (".0>" if "float" in dtype else ">"))
    assert float(v.numpy()) == expected and float(held) == 5
    getattr(v, method)(1)  # the stored value can be updated again, in place or not
    assert float(v) == (8 if method == "assign_add" else 2)


def test_assign_of_a_numpy_scalar_keeps_a_variable_usable():
    v = engine.Variable(1.0)
    v.assign(np.float32(4.0))
    assert repr(v).endswith("numpy=4.0>")
    np.testing.assert_array_equal(np.asarray(v), 4.0)


@pytest.mark.parametrize("method", ["assign", "assign_add", "assign_sub"])
def test_traced_updates_of_a_scalar_variable_keep_it_usable(method):
    v = engine.Variable(10.0)
    x = engine.constant([1.0, 2.0])

    @engine.function
    def update():
        getattr(v, method)(engine.reduce_sum(x))
        return v.read_value()

    expected = {"assign": 3.0, "assign_add": 13.0, "assign_sub": 7.0}[method]
    held = v.read_value()
    result = update()
    assert float(result) == expected and str(result).startswith(f"engine.Tensor({expected}")
    assert repr(v).endswith(f"numpy={expected}>")
    np.testing.assert_array_equal(np.asarray(v), expected)
    assert float(held) == 10.0


def test_optimizer_iterations_stay_printable_after_apply_gradients():
    w = engine.Variable([1.0, 2.0])
    optimizer = engine.keras.optimizers.SGD(0.1)
    held = None
    for _ in range(2):
        optimizer.apply_gradients([(engine.constant([1.0, 1.0]), w)])
        held = optimizer.iterations.read_value()
    step = engine.function(lambda: optimizer.apply_gradients(
        [(engine.constant([1.0, 1.0]), w)]))
    step()
    step()
    assert int(held) == 2
    assert repr(optimizer.iterations).endswith("numpy=4>")
    assert int(np.asarray(optimizer.iterations)) == 4


# --- lists of NumPy scalars ----------------------------------------------------------------
# TensorFlow converts a list through its sequence converter, which treats a NumPy integer
# like a Python int (int32, int64 when a value does not fit) and np.float64 as double
# (tensorflow/python/lib/core/py_seq_tensor.cc: InferShapeAndType and
# PySeqToTFE_TensorHandle); a bare NumPy scalar or array keeps its dtype.
@pytest.mark.parametrize("value, dtype", [
    (np.int64(3), "int64"),
    (np.array([3]), "int64"),
    ([np.int64(3)], "int32"),
    ([[np.int64(3)], [np.int64(4)]], "int32"),
    ([np.int64(2 ** 40)], "int64"),
    ([np.int64(1), 2.5], "float32"),
    ([np.float64(1.0), 2.0], "float64"),
    ([[np.float64(1.0)], [2.0]], "float64"),
    ([np.float32(1.5), 2.0], "float32"),
    ([1, 2], "int32"),
    ([1.0, 2], "float32"),
])
def test_lists_of_numpy_scalars_follow_tensorflow(value, dtype):
    assert engine.constant(value).dtype.name == dtype


def test_gradient_of_a_source_with_respect_to_itself_is_ones_even_unwatched():
    # The autodiff guide's `result = v0` branch: the target is the variable itself, unread.
    v0 = engine.Variable(2.0)
    v1 = engine.Variable(2.0)
    c = engine.constant([1.0, 3.0])
    with engine.GradientTape() as tape:
        result = v0
    dv0, dv1, dc = tape.gradient([result, c], [v0, v1, c])
    assert float(dv0) == 1.0
    assert dv1 is None
    np.testing.assert_array_equal(dc.numpy(), [1.0, 1.0])
