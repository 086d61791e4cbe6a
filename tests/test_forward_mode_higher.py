"""Tests for forward mode beyond first order and eager execution: nested accumulators,
forward-over-reverse Hessian-vector products, reverse-over-forward, and
`ForwardAccumulator` inside `engine.function` (with control flow)."""

import numpy as np
import pytest

import engine

ForwardAccumulator = engine.autodiff.ForwardAccumulator
F64 = engine.float64
EPS = 1e-6


def cubic(x):
    return engine.reduce_sum(x ** 3) + x[0] * x[1] * x[2]


def log_sum_exp_of_matmul(x):
    m = engine.constant(np.arange(12.0).reshape(4, 3) / 10.0, F64)
    return engine.reduce_logsumexp(engine.matmul(m, engine.reshape(x, (3, 1))))


def softmax_regression(x):
    # x holds a (3, 2) weight matrix; logits for two fixed examples
    inputs = engine.constant([[1.0, -2.0, 0.5], [0.3, 0.1, -1.0]], F64)
    labels = engine.constant([[1.0, 0.0], [0.2, 0.8]], F64)
    logits = engine.matmul(inputs, engine.reshape(x, (3, 2)))
    return engine.reduce_mean(engine.nn.softmax_cross_entropy_with_logits(labels, logits))


def sine_sqrt(x):
    return engine.reduce_sum(engine.sin(x) * engine.sqrt(x + 2.0))


SCALARS = {"cubic": (cubic, 3), "logsumexp_matmul": (log_sum_exp_of_matmul, 3),
           "softmax_regression": (softmax_regression, 6), "sine_sqrt": (sine_sqrt, 3)}


def gradient(fn, x):
    x = engine.constant(x, F64)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return np.asarray(tape.gradient(y, x))


def forward_over_reverse(fn, x, v):
    x, v = engine.constant(x, F64), engine.constant(v, F64)
    with ForwardAccumulator(x, v) as acc:
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        g = tape.gradient(y, x)
    return np.asarray(acc.jvp(g))


@pytest.mark.parametrize("name", sorted(SCALARS))
def test_forward_over_reverse_hvp_matches_differences_of_gradients(name):
    fn, n = SCALARS[name]
    rng = np.random.default_rng(1)
    x, v = rng.uniform(0.5, 1.5, n), rng.standard_normal(n)
    hvp = forward_over_reverse(fn, x, v)
    numeric = (gradient(fn, x + EPS * v) - gradient(fn, x - EPS * v)) / (2 * EPS)
    np.testing.assert_allclose(hvp, numeric, rtol=1e-6, atol=1e-8)


def test_forward_over_reverse_equals_the_full_hessian_times_v():
    x, v = np.array([0.7, 1.1, 1.4]), np.array([1.0, -2.0, 0.5])
    xt = engine.constant(x, F64)
    with engine.GradientTape() as outer:
        outer.watch(xt)
        with engine.GradientTape() as inner:
            inner.watch(xt)
            y = sine_sqrt(xt) + cubic(xt)
        g = inner.gradient(y, xt)
    hessian = np.asarray(outer.jacobian(g, xt))
    got = forward_over_reverse(lambda t: sine_sqrt(t) + cubic(t), x, v)
    np.testing.assert_allclose(got, hessian @ v, rtol=1e-12)


def test_reverse_over_forward_hvp():
    x, v = np.array([0.7, 1.1, 1.4]), np.array([1.0, -2.0, 0.5])
    xt, vt = engine.constant(x, F64), engine.constant(v, F64)
    with engine.GradientTape() as tape:
        tape.watch(xt)
        with ForwardAccumulator(xt, vt) as acc:
            y = cubic(xt)
        directional = acc.jvp(y)  # <grad, v>, recorded by the tape
    got = np.asarray(tape.gradient(directional, xt))
    np.testing.assert_allclose(got, forward_over_reverse(cubic, x, v), rtol=1e-12)


def test_hvp_with_variable_weights():
    w = engine.Variable(np.array([[0.2, -0.4], [0.5, 0.1], [-0.3, 0.7]]))
    v = np.arange(6.0).reshape(3, 2) / 6.0
    with ForwardAccumulator(w, engine.constant(v, F64)) as acc:
        with engine.GradientTape() as tape:
            loss = softmax_regression(engine.reshape(w, (6,)))
        g = tape.gradient(loss, w)
    flat_w = w.numpy().ravel()
    numeric = (gradient(softmax_regression, flat_w + EPS * v.ravel())
               - gradient(softmax_regression, flat_w - EPS * v.ravel())) / (2 * EPS)
    np.testing.assert_allclose(np.asarray(acc.jvp(g)).ravel(), numeric, rtol=1e-6, atol=1e-9)


def first_jvp(fn, x, v):
    x, v = engine.constant(x, F64), engine.constant(v, F64)
    with ForwardAccumulator(x, v) as acc:
        y = fn(x)
    return np.asarray(acc.jvp(y))


@pytest.mark.parametrize("name", sorted(SCALARS))
def test_nested_accumulators_give_second_directional_derivatives(name):
    fn, n = SCALARS[name]
    rng = np.random.default_rng(2)
    x, v1, v2 = rng.uniform(0.5, 1.5, n), rng.standard_normal(n), rng.standard_normal(n)
    xt = engine.constant(x, F64)
    with ForwardAccumulator(xt, engine.constant(v2, F64)) as outer:
        with ForwardAccumulator(xt, engine.constant(v1, F64)) as inner:
            y = fn(xt)
        d1 = inner.jvp(y)
    d2 = float(outer.jvp(d1))
    numeric = (first_jvp(fn, x + EPS * v2, v1) - first_jvp(fn, x - EPS * v2, v1)) / (2 * EPS)
    assert d2 == pytest.approx(float(numeric), rel=1e-6, abs=1e-8)
    assert float(d1) == pytest.approx(float(first_jvp(fn, x, v1)), rel=1e-12)


def test_third_order_forward():
    x = engine.constant(1.5, F64)
    one = engine.constant(1.0, F64)
    with ForwardAccumulator(x, one) as a3:
        with ForwardAccumulator(x, one) as a2:
            with ForwardAccumulator(x, one) as a1:
                y = x ** 4
            d1 = a1.jvp(y)
        d2 = a2.jvp(d1)
    assert float(d1) == pytest.approx(4 * 1.5 ** 3)
    assert float(d2) == pytest.approx(12 * 1.5 ** 2)
    assert float(a3.jvp(d2)) == pytest.approx(24 * 1.5)


# --- inside engine.function ---------------------------------------------------------------
def looped(x):
    def body(i, acc):
        return i + 1, engine.sin(acc) * x + acc
    _, out = engine.while_loop(lambda i, _: i < 3, body, (engine.constant(0), x))
    return engine.cond(engine.reduce_sum(out) > 0.0, lambda: engine.exp(out * 0.1),
                       lambda: -out)


def jvp_in_function(fn):
    def run(x, v):
        with ForwardAccumulator(x, v) as acc:
            y = fn(x)
        return acc.jvp(y)
    return run


@pytest.mark.parametrize("fn", [cubic, sine_sqrt, log_sum_exp_of_matmul],
                         ids=["cubic", "sine_sqrt", "logsumexp_matmul"])
def test_traced_jvp_equals_eager(fn):
    x, v = engine.constant([0.7, 1.1, 1.4], F64), engine.constant([1.0, -2.0, 0.5], F64)
    eager = jvp_in_function(fn)(x, v)
    traced = engine.function(jvp_in_function(fn))(x, v)
    np.testing.assert_allclose(np.asarray(traced), np.asarray(eager), rtol=1e-12)


def test_control_flow_inside_function_matches_finite_differences():
    x, v = np.array([0.3, -0.8, 1.2]), np.array([0.5, 1.0, -1.5])
    traced = engine.function(jvp_in_function(looped))
    got = np.asarray(traced(engine.constant(x, F64), engine.constant(v, F64)))
    numeric = (np.asarray(looped(engine.constant(x + EPS * v, F64)))
               - np.asarray(looped(engine.constant(x - EPS * v, F64)))) / (2 * EPS)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)
    eager = np.asarray(jvp_in_function(looped)(engine.constant(x, F64),
                                                engine.constant(v, F64)))
    np.testing.assert_allclose(got, eager, rtol=1e-12)


def test_hvp_inside_function_with_unknown_batch_size():
    @engine.function(input_signature=[engine.TensorSpec([None], F64),
                                      engine.TensorSpec([None], F64)])
    def hvp(x, v):
        with ForwardAccumulator(x, v) as acc:
            with engine.GradientTape() as tape:
                tape.watch(x)
                y = sine_sqrt(x)
            g = tape.gradient(y, x)
        return acc.jvp(g)

    x, v = np.array([0.7, 1.1, 1.4, 0.2]), np.array([1.0, -2.0, 0.5, 3.0])
    expected = forward_over_reverse(sine_sqrt, x, v)
    np.testing.assert_allclose(np.asarray(hvp(engine.constant(x), engine.constant(v))),
                               expected, rtol=1e-12)


def test_accumulator_around_a_function_call():
    f = engine.function(looped)
    x, v = engine.constant([0.3, -0.8, 1.2], F64), engine.constant([0.5, 1.0, -1.5], F64)
    f(x)  # traced once before the accumulator exists
    with ForwardAccumulator(x, v) as acc:
        y = f(x)
    expected = jvp_in_function(looped)(x, v)
    np.testing.assert_allclose(np.asarray(acc.jvp(y)), np.asarray(expected), rtol=1e-12)


def test_variable_primal_inside_function():
    w = engine.Variable([1.0, 2.0], dtype=F64)

    @engine.function
    def directional(v):
        with ForwardAccumulator(w, v) as acc:
            y = engine.reduce_sum(w * w * w)
        return acc.jvp(y)

    assert float(directional(engine.constant([1.0, 1.0], F64))) == pytest.approx(3.0 + 12.0)
