"""Tests for `engine.autodiff.ForwardAccumulator`: JVPs of an op table against float64
central differences and against reverse mode (the full Jacobian times v), and the
accumulator's semantics and errors (higher orders and tracing: test_forward_mode_higher.py).
"""

import numpy as np
import pytest

import engine
from engine import context, nest
from engine.errors import DTypeError, ShapeError

ForwardAccumulator = engine.autodiff.ForwardAccumulator
EPS = 1e-6


def jvp_of(fn, arrays, directions):
    """`fn`'s JVPs at `arrays` along `directions`, in float64, as NumPy arrays."""
    xs = [engine.constant(a) for a in arrays]
    vs = [engine.constant(v) for v in directions]
    with ForwardAccumulator(xs, vs) as acc:
        out = fn(*xs)
    return [np.asarray(j) for j in nest.flatten(acc.jvp(out, unconnected_gradients="zero"))]


def numeric_jvp(fn, arrays, directions):
    """(f(x + eps v) - f(x - eps v)) / (2 eps) for each output."""
    def at(sign):
        shifted = [engine.constant(a + sign * EPS * v) for a, v in zip(arrays, directions)]
        return [np.asarray(o) for o in nest.flatten(fn(*shifted))]

    return [(p - m) / (2 * EPS) for p, m in zip(at(1), at(-1))]


def reverse_jvp(fn, arrays, directions):
    """J v from the full Jacobians of reverse mode (`tape.jacobian`), for each output."""
    xs = [engine.constant(a) for a in arrays]
    with engine.GradientTape(persistent=True) as tape:
        tape.watch(xs)
        outs = nest.flatten(fn(*xs))
    result = []
    for out in outs:
        total = np.zeros(np.shape(out))
        for x, v, jac in zip(xs, directions, tape.jacobian(out, xs)):
            if jac is not None:
                total = total + np.tensordot(np.asarray(jac), v, axes=v.ndim)
        result.append(total)
    return result


def _conv(x, w):
    return engine.nn.conv2d(x, w, strides=1, padding="SAME")


def _xent(logits, labels):
    return engine.nn.softmax_cross_entropy_with_logits(labels=engine.nn.softmax(labels),
                                                       logits=logits)


def _gather(params, scale):
    return engine.gather(params * scale, engine.constant([2, 0, 2]), axis=1)


def _two_outputs(a, b):
    return {"sum": engine.reduce_sum(a * b, axis=0), "max": engine.reduce_max(a - b, axis=1)}


def _sqrt_both_signs(x):
    root = engine.sqrt(x)
    return engine.concat([root, -root], 0)


# name -> (function of tensors, input shapes). Inputs are float64 draws in (0.5, 1.5) so
# that log, sqrt and division stay smooth.
OPS = {
    "exp_tanh": (lambda x: engine.exp(engine.tanh(x)), [(3, 4)]),
    "log_sqrt_div": (lambda x, y: engine.math.log(x) / engine.sqrt(y), [(5,), (5,)]),
    "pow_sigmoid": (lambda x, y: x ** y + engine.sigmoid(x * y), [(2, 3), (2, 3)]),
    "broadcast_add_mul": (lambda a, b: (a + b) * b, [(3, 1), (1, 4)]),
    "broadcast_leading": (lambda a, b: a * b - b, [(2, 3, 4), (4,)]),
    "matmul": (engine.matmul, [(3, 4), (4, 2)]),
    "batched_matmul": (engine.matmul, [(2, 3, 4), (2, 4, 5)]),
    "reduce_sum_mean": (lambda x: engine.reduce_sum(x, axis=1) + engine.reduce_mean(x),
                        [(4, 3)]),
    "reduce_max_prod": (lambda x: engine.reduce_max(x, axis=0) * engine.reduce_prod(x),
                        [(3, 4)]),
    "reshape_transpose": (lambda x: engine.transpose(engine.reshape(x, (3, 4))) ** 2,
                          [(2, 6)]),
    "concat_slice": (lambda a, b: engine.concat([a, b], 0)[1:, ::2], [(2, 4), (3, 4)]),
    "conv2d": (_conv, [(1, 5, 5, 2), (3, 3, 2, 3)]),
    "softmax_cross_entropy": (_xent, [(4, 5), (4, 5)]),
    "log_softmax_relu": (lambda x: engine.nn.log_softmax(engine.nn.relu(x - 1.0)), [(3, 4)]),
    "gather": (_gather, [(2, 3), (2, 3)]),
    "where_maximum": (lambda a, b: engine.where(a > b, a * a, engine.maximum(a, b) * b),
                      [(6,), (6,)]),
    "nested_outputs": (_two_outputs, [(3, 2), (3, 2)]),
    # the upstream gradient of the reused sqrt cancels for a seed of ones, and Sqrt's rule
    # treats a zero gradient specially: the JVP seed must not be ones (or zeros)
    "sqrt_reused_with_opposite_signs": (_sqrt_both_signs, [(4,)]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_jvp_matches_finite_differences_and_reverse_mode(name):
    fn, shapes = OPS[name]
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.5, 1.5, s) for s in shapes]
    directions = [rng.standard_normal(s) for s in shapes]
    forward = jvp_of(fn, arrays, directions)
    numeric = numeric_jvp(fn, arrays, directions)
    reverse = reverse_jvp(fn, arrays, directions)
    assert len(forward) == len(numeric) == len(reverse)
    for f, n, r in zip(forward, numeric, reverse):
        assert f.shape == n.shape
        np.testing.assert_allclose(f, n, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(f, r, rtol=1e-10, atol=1e-12)


def test_jvp_keeps_float32():
    x = engine.constant([1.0, 2.0])
    with ForwardAccumulator(x, engine.constant([0.5, -1.0])) as acc:
        y = x * x
    jvp = acc.jvp(y)
    assert jvp.dtype == engine.float32
    np.testing.assert_array_equal(jvp.numpy(), [1.0, -4.0])


def test_jvp_of_a_primal_is_its_tangent_and_nests_follow_the_targets():
    x, v = engine.constant([1.0, 2.0]), engine.constant([3.0, 4.0])
    with ForwardAccumulator(x, v) as acc:
        y = 2.0 * x
    out = acc.jvp({"x": x, "ys": [y, (y,)]})
    assert out["x"] is v
    np.testing.assert_array_equal(out["ys"][0].numpy(), [6.0, 8.0])
    np.testing.assert_array_equal(out["ys"][1][0].numpy(), [6.0, 8.0])


def test_unconnected_targets_give_none_or_zeros():
    x = engine.constant(1.0)
    before = engine.constant([1.0, 2.0])
    with ForwardAccumulator(x, engine.constant(1.0)) as acc:
        y = x * 3.0
        unrelated = before * 2.0
        count = engine.constant([1, 2]) * 2
    after = y * 2.0  # computed after the block: the accumulator did not see it
    assert acc.jvp([unrelated, count, after, before]) == [None, None, None, None]
    zeros = acc.jvp([unrelated, count], unconnected_gradients=engine.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(zeros[0].numpy(), [0.0, 0.0])
    assert zeros[1].dtype == engine.int32
    assert float(acc.jvp(y)) == 3.0


def test_several_primals_and_watch_inside_the_context():
    x, w = engine.constant(3.0), engine.constant(2.0)
    with ForwardAccumulator(x, engine.constant(1.0)) as acc:
        early = x * w  # w is not a primal yet: only x's tangent reaches this
        acc.watch(w, engine.constant(10.0))
        late = x * w
    assert float(acc.jvp(early)) == 2.0
    assert float(acc.jvp(late)) == 2.0 + 30.0


def test_tangents_may_be_arrays_and_numbers_converted_to_the_primal_dtype():
    x = engine.constant([1.0, 2.0], engine.float64)
    with ForwardAccumulator([x, engine.constant(2.0)], [np.array([1.0, 1.0]), 0.5]) as acc:
        y = x * x
    assert acc.jvp(y).dtype == engine.float64
    np.testing.assert_array_equal(acc.jvp(y).numpy(), [2.0, 4.0])


def test_variable_primal_gives_tangents_to_its_reads():
    v = engine.Variable([1.0, 2.0])
    other = engine.Variable([5.0, 5.0])
    with ForwardAccumulator(v, engine.constant([1.0, 0.0])) as acc:
        square = v * v
        read = v.read_value()
        mixed = engine.reduce_sum(engine.matmul(engine.reshape(v, (1, 2)),
                                                engine.reshape(other, (2, 1))))
    np.testing.assert_array_equal(acc.jvp(square).numpy(), [2.0, 0.0])
    np.testing.assert_array_equal(acc.jvp(read).numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(acc.jvp(v).numpy(), [1.0, 0.0])
    assert float(acc.jvp(mixed)) == 5.0
    assert acc.jvp(other) is None


def test_variable_tangent_and_unwatched_trainable_variable():
    w = engine.Variable([1.0, -1.0])
    x = engine.constant([2.0, 3.0])
    with ForwardAccumulator(x, w) as acc:  # a variable as a tangent is read once
        y = x * engine.Variable([4.0, 4.0])  # trainable variables are not auto-watched
    np.testing.assert_array_equal(acc.jvp(y).numpy(), [4.0, -4.0])


def test_integer_primal_keeps_its_tangent_but_integer_results_have_none():
    i = engine.constant([1, 2])
    with ForwardAccumulator(i, engine.constant([1, 1])) as acc:
        doubled = i * 2
    assert acc.jvp(doubled) is None
    np.testing.assert_array_equal(acc.jvp(i).numpy(), [1, 1])


def test_custom_gradient_jvp_uses_the_user_rule():
    @engine.custom_gradient
    def scaled(x):
        def grad(dy):
            return 10.0 * dy
        return engine.identity(x), grad

    x = engine.constant(2.0)
    with ForwardAccumulator(x, engine.constant(1.0)) as acc:
        y = scaled(x) * 3.0
    assert float(acc.jvp(y)) == 30.0


def test_accumulator_leaves_dispatch_fast_after_the_block_even_on_errors():
    slow = context.GLOBAL.slow
    x = engine.constant(1.0)
    with pytest.raises(ZeroDivisionError):
        with ForwardAccumulator(x, engine.constant(1.0)):
            assert context.GLOBAL.slow == slow + 1
            raise ZeroDivisionError
    assert context.GLOBAL.slow == slow
    assert context.THREAD.tapes == []


def test_jvp_inside_the_block_is_not_recorded_by_the_same_accumulator():
    x = engine.constant(2.0)
    with ForwardAccumulator(x, engine.constant(1.0)) as acc:
        y = x * x
        first = acc.jvp(y)
        records = len(acc._tape._records)
        again = acc.jvp(y)
    assert len(acc._tape._records) == records
    assert float(first) == float(again) == 4.0


# --- errors -------------------------------------------------------------------------------
def test_structure_mismatch_is_explained():
    x = engine.constant(1.0)
    with pytest.raises(ValueError, match="nested differently.*primals=\\[x, w\\]"):
        ForwardAccumulator([x, x * 2.0], [engine.constant(1.0)])
    with pytest.raises(ValueError, match="nested differently"):
        ForwardAccumulator(x, [1.0])


def test_shape_mismatch_is_explained():
    x = engine.constant([1.0, 2.0])
    with pytest.raises(ShapeError, match=r"tangent of shape \(3,\).*primal of shape \(2,\)"):
        ForwardAccumulator(x, engine.constant([1.0, 2.0, 3.0]))
    with pytest.raises(ShapeError, match="broadcasting does not apply"):
        ForwardAccumulator(x, engine.constant(1.0))


def test_dtype_mismatch_is_explained():
    x = engine.constant([1.0, 2.0])
    with pytest.raises(DTypeError, match="float64.*float32.*engine.cast"):
        ForwardAccumulator(x, engine.constant([1.0, 2.0], engine.float64))


def test_bad_primals_and_tangents_are_explained():
    x = engine.constant(1.0)
    with pytest.raises(TypeError, match="got primal float 2.0.*engine.constant"):
        ForwardAccumulator(2.0, 1.0)
    with pytest.raises(ValueError, match="tangent None.*zeros_like"):
        ForwardAccumulator(x, None)
    with pytest.raises(ValueError, match="more than once.*Sum its tangents"):
        ForwardAccumulator([x, x], [engine.constant(1.0), engine.constant(2.0)])
    acc = ForwardAccumulator(x, engine.constant(1.0))
    with pytest.raises(ValueError, match="watch.*more than once"):
        acc.watch(x, engine.constant(1.0))


def test_jvp_of_non_tensors_is_explained():
    x = engine.constant(1.0)
    with ForwardAccumulator(x, engine.constant(1.0)) as acc:
        y = x * 2.0
    with pytest.raises(TypeError, match="jvp: got float 3.0 at position 1.*watch them"):
        acc.jvp([y, 3.0])
    with pytest.raises(TypeError, match="ndarray"):
        acc.jvp(np.ones(2))


def test_an_accumulator_does_not_nest_with_itself_but_may_be_reentered():
    x = engine.constant(1.0)
    acc = ForwardAccumulator(x, engine.constant(1.0))
    with acc:
        with pytest.raises(ValueError, match="already recording.*second ForwardAccumulator"):
            acc.__enter__()
        y = x * 2.0
    with acc:
        z = y * 2.0
    assert float(acc.jvp(z)) == 4.0


def test_gather_from_a_variable_primal():
    table = engine.Variable(np.arange(6.0).reshape(3, 2))
    tangent = engine.constant(np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), engine.float64)
    with ForwardAccumulator(table, tangent) as acc:
        rows = engine.gather(table, [2, 0, 2])
    np.testing.assert_array_equal(acc.jvp(rows).numpy(), [[3.0, 3.0], [1.0, 1.0], [3.0, 3.0]])
