"""Follow-ups: what tracing knows of nodes that compute from their attrs alone, logsumexp of
unknown rank, softmax cross-entropy with logits broadcast along the classes, and
`engine.random.Generator` draws inside `engine.function` (`RngReadAndSkip`).

Traced cases use unknown dimensions (or rank) and are called with two different shapes,
compared with eager execution, NumPy and float64 central differences.
"""

import gc
import json

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from engine.graph import cuda_graphs
from engine.graph.executor import Program
from engine.ops import rng_state_ops
from engine.ops.shape_tensors import dimension_sources, known_int, known_values

S = engine.TensorSpec
F64 = engine.float64
R = np.random.default_rng(11)


def _traced(fn, *specs):
    return engine.function(fn).get_concrete_function(*specs)


def _round_trip(concrete) -> Program:
    data, arrays = concrete.graph.as_dict()
    return Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))


def _check_gradients(fn, spec, shapes, eps=1e-6):
    """Traces `sum(fn(x) * u)` and its gradient with `spec`; for each shape compares them
    with eager execution and float64 central differences along a random direction."""

    @engine.function
    def value_and_grad(u, x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.reduce_sum(fn(x) * u)
        return y, tape.gradient(y, x)

    concrete = value_and_grad.get_concrete_function(S(None, F64), S(spec, F64))
    for shape in shapes:
        x = R.standard_normal(shape)
        eager = fn(engine.constant(x))
        u = engine.constant(R.standard_normal(eager.shape))
        y, grad = concrete(u, engine.constant(x))
        np.testing.assert_allclose(float(y), float(engine.reduce_sum(eager * u)), rtol=1e-12)
        assert grad.shape == x.shape
        v = R.standard_normal(shape)
        numeric = (float(concrete(u, engine.constant(x + eps * v))[0])
                   - float(concrete(u, engine.constant(x - eps * v))[0])) / (2 * eps)
        analytic = float(np.sum(grad.numpy() * v))
        assert abs(analytic - numeric) <= 1e-6 * max(1.0, abs(numeric)), (shape, analytic,
                                                                           numeric)


# --- 1. nodes without inputs count as known while tracing -------------------------------------
def test_a_size_computed_from_a_range_of_known_bounds_is_static():
    def f(x):
        n = engine.reduce_sum(engine.range(engine.rank(x)))  # 0 + 1 + 2, known at trace time
        assert known_int(n) == 3
        return engine.zeros([n, 2])

    concrete = _traced(f, S([None, 4, 5]))
    assert concrete.structured_outputs.shape == (3, 2)


def test_known_values_and_dimension_sources_keep_their_answers():
    def f(x):
        axes = engine.range(engine.rank(x))
        assert known_values(axes).tolist() == [0, 1, 2]
        assert known_values(engine.shape(x)) is None
        sources = dimension_sources(engine.stack([engine.shape(x)[0], 6]))
        assert repr(sources[0]).startswith("DimensionOf(") and sources[1] == 6
        return engine.reduce_sum(x, axis=axes[1:]), engine.reshape(x, [engine.shape(x)[0], -1])

    concrete = _traced(f, S([None, 2, 3], F64))
    total, flat = concrete.structured_outputs
    assert total.shape.as_list() == [None] and flat.shape.as_list() == [None, 6]
    x = R.standard_normal((4, 2, 3))
    got = concrete(engine.constant(x))
    np.testing.assert_allclose(got[0].numpy(), x.sum(axis=(1, 2)))
    np.testing.assert_array_equal(got[1].numpy(), x.reshape(4, 6))


def test_stateful_nodes_without_inputs_are_never_run_while_tracing():
    g = engine.random.Generator.from_seed(3)
    before = g.state.numpy().copy()

    def f(x):
        k = g.uniform([], 1, 4, dtype=engine.int32)
        assert known_int(k) is None
        return engine.zeros([k, 2]) + engine.reduce_sum(x)

    concrete = _traced(f, S([3]))
    assert concrete.structured_outputs.shape.as_list() == [None, 2]
    np.testing.assert_array_equal(g.state.numpy(), before)  # tracing drew nothing


# --- 2. logsumexp (and its siblings) on unknown rank ------------------------------------------
def _np_logsumexp(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@pytest.mark.parametrize("spec", [None, [None, None, None]], ids=["rank", "dims"])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), ([0, 2], False),
                                            (-1, True)])
def test_reduce_logsumexp_traced_with_unknown_shapes(spec, axis, keepdims):
    def f(x):
        return engine.reduce_logsumexp(x, axis, keepdims=keepdims)

    concrete = _traced(f, S(spec, F64))
    for shape in [(2, 3, 4), (5, 1, 2)]:
        x = R.standard_normal(shape) * 30.0  # large: the shift matters
        got = concrete(engine.constant(x))
        want = _np_logsumexp(x, None if axis is None else tuple(np.atleast_1d(axis)), keepdims)
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    _check_gradients(f, spec, [(2, 3, 4), (3, 2, 2)])


@pytest.mark.parametrize("name", ["reduce_variance", "reduce_std", "reduce_euclidean_norm"])
def test_sibling_reductions_traced_with_unknown_rank(name):
    fn = getattr(engine.math, name)

    def f(x):
        return fn(x, axis=1)

    concrete = _traced(f, S(None, F64))
    for shape in [(2, 3), (4, 5, 2)]:
        x = R.standard_normal(shape)
        np.testing.assert_allclose(concrete(engine.constant(x)).numpy(),
                                   fn(engine.constant(x), axis=1).numpy(), rtol=1e-12)
    _check_gradients(f, None, [(2, 3), (3, 4, 2)])


def test_count_nonzero_traced_with_unknown_rank():
    concrete = _traced(lambda x: engine.math.count_nonzero(x, axis=-1), S(None, engine.int32))
    for x in (np.array([[0, 1, 2], [0, 0, 3]], np.int32), np.zeros((2, 2, 2), np.int32)):
        np.testing.assert_array_equal(concrete(engine.constant(x)).numpy(),
                                      np.count_nonzero(x, axis=-1))


# --- 3. softmax cross-entropy with logits broadcast along the classes --------------------------
def _np_xent(labels, logits):
    labels, logits = np.broadcast_arrays(labels, logits)
    shifted = logits - logits.max(-1, keepdims=True)
    log_sm = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return -(labels * log_sm).sum(-1)


def _xent_grads(labels, logits, u):
    lb, lg = engine.constant(labels), engine.constant(logits)
    with engine.GradientTape() as tape:
        tape.watch([lb, lg])
        loss = engine.nn.softmax_cross_entropy_with_logits(lb, lg)
        y = engine.reduce_sum(loss * engine.constant(u))
    return loss, tape.gradient(y, [lb, lg])


def _xent_numeric(labels, logits, u, eps=1e-6):
    """<grad, v> by central differences for one random direction per input."""
    vl, vg = R.standard_normal(labels.shape), R.standard_normal(logits.shape)

    def f(sign):
        return float(np.sum(_np_xent(labels + sign * eps * vl, logits + sign * eps * vg) * u))

    return (f(1) - f(-1)) / (2 * eps), vl, vg


@pytest.mark.parametrize("labels_shape, logits_shape", [((1, 3), (4, 1)), ((4, 3), (1, 1)),
                                                        ((2, 4, 3), (4, 1))])
def test_logits_broadcast_along_the_classes_eagerly(labels_shape, logits_shape):
    labels = R.dirichlet(np.ones(labels_shape[-1]), labels_shape[:-1])
    logits = R.standard_normal(logits_shape)
    out_shape = np.broadcast_shapes(labels_shape, logits_shape)[:-1]
    u = R.standard_normal(out_shape)
    loss, (g_labels, g_logits) = _xent_grads(labels, logits, u)
    np.testing.assert_allclose(loss.numpy(), _np_xent(labels, logits), rtol=1e-12)
    assert g_labels.shape == labels_shape and g_logits.shape == logits_shape
    numeric, vl, vg = _xent_numeric(labels, logits, u)
    analytic = float(np.sum(g_labels.numpy() * vl) + np.sum(g_logits.numpy() * vg))
    assert abs(analytic - numeric) <= 1e-6 * max(1.0, abs(numeric))


def test_logits_broadcast_along_the_classes_traced_with_unknown_dims():
    @engine.function
    def grads(u, labels, logits):
        with engine.GradientTape() as tape:
            tape.watch([labels, logits])
            loss = engine.nn.softmax_cross_entropy_with_logits(labels, logits)
            y = engine.reduce_sum(loss * u)
        return loss, tape.gradient(y, [labels, logits])

    concrete = grads.get_concrete_function(S(None, F64), S([None, None], F64),
                                           S([None, None], F64))
    for labels_shape, logits_shape in [((1, 3), (4, 1)), ((2, 5), (2, 5)), ((3, 2), (1, 1))]:
        labels = R.dirichlet(np.ones(labels_shape[-1]), labels_shape[:-1])
        logits = R.standard_normal(logits_shape)
        u = R.standard_normal(np.broadcast_shapes(labels_shape, logits_shape)[:-1])
        loss, (g_labels, g_logits) = concrete(*map(engine.constant, (u, labels, logits)))
        want_loss, (want_labels, want_logits) = _xent_grads(labels, logits, u)
        np.testing.assert_allclose(loss.numpy(), want_loss.numpy(), rtol=1e-12)
        assert g_labels.shape == labels_shape and g_logits.shape == logits_shape
        np.testing.assert_allclose(g_labels.numpy(), want_labels.numpy(), rtol=1e-12)
        np.testing.assert_allclose(g_logits.numpy(), want_logits.numpy(), atol=1e-12)


# --- 4. Generator draws inside engine.function -----------------------------------------------
def _draws(g):
    return [g.normal([2, 3]), g.uniform([4], 0, 10, dtype=engine.int32),
            g.truncated_normal([3]), g.uniform_full_int([2])]


def _assert_same(got, want):
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_traced_draws_match_eager_ones_and_differ_per_call():
    traced, eager = engine.random.Generator.from_seed(1), engine.random.Generator.from_seed(1)
    f = engine.function(lambda: _draws(traced))
    first, second = f(), f()
    _assert_same(first, _draws(eager))
    _assert_same(second, _draws(eager))
    assert not np.array_equal(first[0].numpy(), second[0].numpy())
    np.testing.assert_array_equal(traced.state.numpy(), eager.state.numpy())
    assert traced.state.numpy()[0] == 8  # two calls of four draws each


def test_eager_and_traced_calls_continue_one_stream():
    mixed, eager = engine.random.Generator.from_seed(2), engine.random.Generator.from_seed(2)
    f = engine.function(lambda: mixed.normal([3]))
    steps = [lambda: mixed.normal([3]), f, f, lambda: mixed.normal([3]), f]
    for step in steps:
        np.testing.assert_array_equal(step().numpy(), eager.normal([3]).numpy())
    np.testing.assert_array_equal(mixed.state.numpy(), eager.state.numpy())


def test_skip_reset_and_symbolic_shapes_inside_a_traced_function():
    traced, eager = engine.random.Generator.from_seed(4), engine.random.Generator.from_seed(4)

    @engine.function(input_signature=[S([None, 3])])
    def f(x):
        traced.skip(5)
        return traced.normal(engine.shape(x))

    for n in (2, 5):
        got = f(engine.zeros([n, 3]))
        eager.skip(5)
        np.testing.assert_array_equal(got.numpy(), eager.normal([n, 3]).numpy())

    @engine.function
    def restart():
        traced.reset_from_seed(4)
        return traced.normal([2])

    np.testing.assert_array_equal(restart().numpy(), restart().numpy())  # reset, then drawn
    assert traced.state.numpy()[0] == 1


def test_draws_in_a_while_loop_and_unused_draws_advance_like_eager_ones():
    traced, eager = engine.random.Generator.from_seed(5), engine.random.Generator.from_seed(5)

    @engine.function
    def loop():
        def body(i, acc):
            traced.uniform([7])  # unused: its node goes, the read-and-skip stays
            return i + 1, acc + traced.normal([2])

        return engine.while_loop(lambda i, acc: i < 3, body,
                                 (engine.constant(0), engine.zeros([2])))[1]

    got = loop()
    want = engine.zeros([2])
    for _ in range(3):
        eager.uniform([7])
        want = want + eager.normal([2])
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(traced.state.numpy(), eager.state.numpy())


def test_the_graph_round_trips_and_keeps_drawing_from_the_generator():
    traced, eager = engine.random.Generator.from_seed(6), engine.random.Generator.from_seed(6)
    concrete = engine.function(lambda: traced.normal([3])).get_concrete_function()
    node = next(n for n in concrete.graph.nodes if n.type == "RngReadAndSkip")
    assert node.stateful and node.op.stateful
    program = _round_trip(concrete)
    for _ in range(2):
        np.testing.assert_array_equal(program([])[0], eager.normal([3]).numpy())
    np.testing.assert_array_equal(traced.state.numpy(), eager.state.numpy())


def test_a_generator_that_is_gone_is_named_in_the_error():
    with pytest.raises(InvalidArgumentError, match="no longer exists"):
        engine.raw_ops.RngReadAndSkip(generator="generator_never", delta=1)


def test_address_words_carry_into_the_high_counter_word():
    state = np.array([-1, 0, 7], np.int64)  # counter_lo = 2**64 - 1
    key, counter, new = rng_state_ops.address_words(state, 1)
    assert key.dtype == counter.dtype == np.uint64 and new.dtype == np.int64
    assert key.tolist() == [7] and counter.tolist() == [2**64 - 1, 0]
    assert new.tolist() == [0, 1, 7]
    g = engine.random.Generator.from_state(state, "philox")
    np.testing.assert_array_equal(
        engine.function(lambda: g.normal([2]))().numpy(),
        engine.raw_ops.StatelessRandomNormalV2(shape=[2], key=key, counter=counter).numpy())
    np.testing.assert_array_equal(g.state.numpy(), new)


def test_cuda_graph_capture_is_ruled_out_as_stateful(gpu):
    g = engine.random.Generator.from_seed(7)
    with engine.device("/GPU:0"):
        concrete = _traced(lambda x: x + g.normal([2]), S([2]))
    why = cuda_graphs.ineligibility(concrete._program, engine.backend.devices.get("/GPU:0"))
    assert "stateful" in why and "RngReadAndSkip" in why


def test_draws_on_the_fake_gpu_match_the_cpu(gpu):
    on_gpu, on_cpu = engine.random.Generator.from_seed(8), engine.random.Generator.from_seed(8)
    with engine.device("/GPU:0"):
        f = engine.function(lambda: _draws(on_gpu))
        got = f()
    assert all(t.device.endswith("GPU:0") for t in got)
    _assert_same(got, _draws(on_cpu))


def test_a_generator_created_on_the_first_trace_lives_with_the_function():
    @engine.function
    def f():
        g = engine.random.Generator.from_seed(9)  # its state variable is the graph's
        return g.normal([2])

    eager = engine.random.Generator.from_seed(9)
    first = f()
    gc.collect()
    np.testing.assert_array_equal(first.numpy(), eager.normal([2]).numpy())
    np.testing.assert_array_equal(f().numpy(), eager.normal([2]).numpy())
