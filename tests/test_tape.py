"""Tests for GradientTape: watching, persistence, higher orders, structures, Jacobians and
broadcasting (custom gradients: test_custom_gradient.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine


def scalar(x):
    return float(np.asarray(x))


def test_watch_constant():
    x = engine.constant(3.0)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert scalar(tape.gradient(y, x)) == 6.0


def test_unwatched_constant_gets_none():
    x = engine.constant(3.0)
    with engine.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None


def test_trainable_variables_are_watched_automatically_not_non_trainable():
    v = engine.Variable(3.0)
    frozen = engine.Variable(2.0, trainable=False)
    with engine.GradientTape() as tape:
        y = v * v + v * frozen
    gv, gf = tape.gradient(y, [v, frozen])
    assert scalar(gv) == 2 * 3.0 + 2.0
    assert gf is None
    assert tape.watched_variables() == (v,)


def test_non_trainable_variable_can_be_watched_explicitly():
    frozen = engine.Variable(2.0, trainable=False)
    with engine.GradientTape() as tape:
        tape.watch(frozen)
        y = frozen * 5.0
    assert scalar(tape.gradient(y, frozen)) == 5.0
    assert tape.watched_variables() == (frozen,)


def test_watch_accessed_variables_false():
    v, w = engine.Variable(1.0), engine.Variable(2.0)
    with engine.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = v * 2.0 + w * 3.0
    gv, gw = tape.gradient(y, [v, w])
    assert gv is None and scalar(gw) == 3.0
    assert tape.watched_variables() == (w,)


def test_watch_rejects_non_tensors():
    with engine.GradientTape() as tape:
        with pytest.raises(ValueError, match="watch.*engine.constant"):
            tape.watch(np.ones(2))


def test_non_persistent_tape_can_be_used_once():
    x = engine.constant(2.0)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent.*persistent=True"):
        tape.gradient(y, x)


def test_persistent_tape_can_be_used_several_times():
    x = engine.constant(2.0)
    with engine.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * x
    assert scalar(tape.gradient(y, x)) == 4.0
    assert scalar(tape.gradient(z, x)) == 12.0
    assert scalar(tape.gradient(z, y)) == 2.0
    assert tape.jacobian(y, x).shape == []


def test_tape_cannot_be_entered_twice():
    tape = engine.GradientTape()
    with tape:
        with pytest.raises(RuntimeError, match="already recording"):
            tape.__enter__()


@pytest.mark.parametrize("x0", [1.5, 3.0])
def test_nested_tapes_give_higher_derivatives(x0):
    x = engine.constant(x0)
    with engine.GradientTape() as t3:
        t3.watch(x)
        with engine.GradientTape() as t2:
            t2.watch(x)
            with engine.GradientTape() as t1:
                t1.watch(x)
                y = x ** 4
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert scalar(d1) == pytest.approx(4 * x0 ** 3)
    assert scalar(d2) == pytest.approx(12 * x0 ** 2)
    assert scalar(d3) == pytest.approx(24 * x0)


def test_persistent_tape_records_its_own_gradient():
    x = engine.constant(2.0)
    with engine.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x ** 3
        dy = tape.gradient(y, x)
    assert scalar(tape.gradient(dy, x)) == pytest.approx(12.0)


def test_gradients_for_nested_source_structures():
    a, b, c = engine.constant(1.0), engine.constant(2.0), engine.Variable(3.0)
    with engine.GradientTape() as tape:
        tape.watch([a, b])
        y = a * b * c
    grads = tape.gradient(y, {"a": a, "rest": [b, (c,)]})
    assert set(grads) == {"a", "rest"}
    assert scalar(grads["a"]) == 6.0
    assert scalar(grads["rest"][0]) == 3.0
    assert isinstance(grads["rest"][1], tuple) and scalar(grads["rest"][1][0]) == 2.0


def test_several_targets_are_summed():
    x = engine.constant(2.0)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y1, y2 = x * x, x * 3.0
    assert scalar(tape.gradient({"a": y1, "b": [y2]}, x)) == 7.0


def test_output_gradients():
    x = engine.constant([1.0, 2.0])
    with engine.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    g = tape.gradient(y, x, output_gradients=engine.constant([10.0, 100.0]))
    np.testing.assert_array_equal(g.numpy(), [20.0, 400.0])
    g = tape.gradient(y, x, output_gradients=[np.array([1.0, 0.0], np.float32)])
    np.testing.assert_array_equal(g.numpy(), [2.0, 0.0])


def test_unconnected_gradients():
    x, unused = engine.constant([1.0, 2.0]), engine.constant([3.0])
    with engine.GradientTape(persistent=True) as tape:
        tape.watch([x, unused])
        y = engine.reduce_sum(x)
    assert tape.gradient(y, unused) is None
    assert tape.gradient(y, unused, unconnected_gradients=engine.UnconnectedGradients.NONE) is None
    zero = tape.gradient(y, unused, unconnected_gradients=engine.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(zero.numpy(), [0.0])
    assert zero.dtype is engine.float32
    zero = tape.gradient(y, unused, unconnected_gradients="zero")
    np.testing.assert_array_equal(zero.numpy(), [0.0])
    with pytest.raises(ValueError):
        tape.gradient(y, unused, unconnected_gradients="sometimes")


def test_integer_sources_get_none():
    i = engine.constant(3)
    with engine.GradientTape() as tape:
        tape.watch(i)
        y = i * i
    assert tape.gradient(y, i) is None


def test_stop_gradient():
    x = engine.constant([1.0, 2.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = x * engine.stop_gradient(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 2.0])


def test_stop_recording():
    v = engine.Variable(2.0)
    with engine.GradientTape() as tape:
        y = v * 3.0
        with tape.stop_recording():
            z = v * 100.0
        total = y + z
    assert scalar(tape.gradient(total, v)) == 3.0
    with pytest.raises(RuntimeError, match="not recording"):
        tape.stop_recording()


def test_reset():
    x = engine.constant(2.0)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        assert tape.gradient is not None
        z = x * 5.0
    assert tape.gradient(z, x) is None  # x is no longer watched after reset
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        tape.watch(x)
        z = x * 5.0
    assert scalar(tape.gradient(z, x)) == 5.0
    del y


def test_broadcast_gradients_are_summed_back():
    x = engine.constant(np.ones((3, 1), np.float32))
    y = engine.constant(np.ones((1, 4), np.float32))
    with engine.GradientTape() as tape:
        tape.watch([x, y])
        z = x * 2.0 + y
    gx, gy = tape.gradient(z, [x, y])
    np.testing.assert_array_equal(gx.numpy(), np.full((3, 1), 8.0))
    np.testing.assert_array_equal(gy.numpy(), np.full((1, 4), 3.0))


def test_variable_used_twice_accumulates():
    v = engine.Variable(3.0)
    with engine.GradientTape() as tape:
        y = v * 2.0 + v * v + engine.exp(v * 0.0)
    assert scalar(tape.gradient(y, v)) == pytest.approx(2.0 + 6.0)


def test_gradient_through_constant_of_tensors():
    a, b = engine.constant(1.0), engine.constant(2.0)
    with engine.GradientTape() as tape:
        tape.watch([a, b])
        stacked = engine.constant([a, b])
        y = engine.reduce_sum(stacked * engine.constant([10.0, 20.0]))
    ga, gb = tape.gradient(y, [a, b])
    assert scalar(ga) == 10.0 and scalar(gb) == 20.0


def test_gradient_of_target_with_respect_to_itself():
    x = engine.constant([1.0, 2.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
    np.testing.assert_array_equal(tape.gradient(x, x).numpy(), [1.0, 1.0])


def test_gradient_argument_errors():
    x = engine.constant(1.0)
    with engine.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError, match="sources"):
        tape.gradient(y, 1.0)
    with pytest.raises(ValueError, match="target"):
        tape.gradient(2.0, x)


# --- Jacobians -------------------------------------------------------------------------------
def test_jacobian_matches_numpy():
    w = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], np.float32)  # (2, 3)
    x = engine.constant([1.0, 2.0, 3.0])
    with engine.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = engine.reshape(engine.constant(w) @ engine.reshape(x * x, [3, 1]), [2])
    jac = tape.jacobian(y, x)
    np.testing.assert_allclose(jac.numpy(), w * 2 * np.array([1.0, 2.0, 3.0]))
    jac_dict = tape.jacobian(y, {"x": x})
    assert jac_dict["x"].shape == [2, 3]


def test_jacobian_of_scalar_and_unconnected():
    x, unused = engine.constant([1.0, 2.0]), engine.constant([[5.0]])
    with engine.GradientTape(persistent=True) as tape:
        tape.watch([x, unused])
        y = engine.reduce_sum(x * x)
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), [2.0, 4.0])
    assert tape.jacobian(y, unused) is None
    zeros = tape.jacobian(y, unused, unconnected_gradients="zero")
    np.testing.assert_array_equal(zeros.numpy(), np.zeros((1, 1)))


def test_batch_jacobian_matches_numpy():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((4, 3)).astype(np.float32)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    x = engine.constant(xs)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.tanh(x @ engine.constant(w))  # (4, 2)
    jac = tape.batch_jacobian(y, x)               # (4, 2, 3)
    expected = (1 - np.tanh(xs @ w) ** 2)[:, :, None] * w.T[None]
    np.testing.assert_allclose(jac.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_batch_jacobian_checks_batch_dimension():
    x = engine.constant(np.ones((2, 3), np.float32))
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reshape(x, [3, 2])
    with pytest.raises(ValueError, match="batch"):
        tape.batch_jacobian(y, x)


# --- property-based: broadcasting in gradients ------------------------------------------
@st.composite
def broadcast_pair(draw):
    out = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    shapes = []
    for _ in range(2):
        rank = draw(st.integers(0, len(out)))
        tail = out[len(out) - rank:]
        shapes.append(tuple(d if draw(st.booleans()) else 1 for d in tail))
    return tuple(out), shapes[0], shapes[1]


@settings(max_examples=30, deadline=None)
@given(broadcast_pair())
def test_broadcasting_gradients_have_the_input_shapes(case):
    out_shape, a_shape, b_shape = case
    rng = np.random.default_rng(1)
    a_np = rng.standard_normal(a_shape)
    b_np = rng.standard_normal(b_shape)
    a, b = engine.constant(a_np), engine.constant(b_np)
    with engine.GradientTape() as tape:
        tape.watch([a, b])
        y = a * b + a
    ga, gb = tape.gradient(y, [a, b])
    assert ga.shape == a_shape and gb.shape == b_shape
    full_b = np.broadcast_to(b_np, np.broadcast_shapes(a_shape, b_shape))
    full_a = np.broadcast_to(a_np, full_b.shape)
    lead_a = full_b.ndim - len(a_shape)
    axes_a = tuple(range(lead_a)) + tuple(lead_a + i for i, d in enumerate(a_shape) if d == 1)
    expected_a = (full_b + 1).sum(axis=axes_a, keepdims=False).reshape(a_shape)
    lead_b = full_a.ndim - len(b_shape)
    axes_b = tuple(range(lead_b)) + tuple(lead_b + i for i, d in enumerate(b_shape) if d == 1)
    expected_b = full_a.sum(axis=axes_b).reshape(b_shape)
    np.testing.assert_allclose(ga.numpy(), expected_a, rtol=1e-10)
    np.testing.assert_allclose(gb.numpy(), expected_b, rtol=1e-10)


def test_tapes_are_per_thread():
    """A tape records only its own thread's ops, while other threads compute concurrently."""
    import threading

    results, errors = {}, []

    def work(k):
        try:
            x = engine.constant(float(k))
            for _ in range(50):
                with engine.GradientTape() as tape:
                    tape.watch(x)
                    y = x * x * float(k)
                results[k] = float(tape.gradient(y, x))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == {k: 2.0 * k * k for k in range(1, 5)}
    assert engine.context.GLOBAL.slow == (1 if engine.context.GLOBAL.strict else 0)


def test_unconnected_zero_gives_zeros_for_integer_sources():
    # As in TF: UnconnectedGradients.ZERO answers every source with zeros of its dtype.
    x, n = engine.constant([1.0, 2.0]), engine.constant(5)
    with engine.GradientTape() as tape:
        tape.watch([x, n])
        y = engine.reduce_sum(x)
    gx, gn = tape.gradient(y, [x, n], unconnected_gradients=engine.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(gx.numpy(), [1.0, 1.0])
    assert gn.dtype == engine.int32 and gn.numpy() == 0
