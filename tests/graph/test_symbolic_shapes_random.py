"""Random ops, dropout, one_hot, top_k, tensor reduction axes and sequence_mask, traced
with sizes known only when the graph runs.

Each function is traced with unknown dimensions, then called with two different sizes and
compared with NumPy or with the same op run eagerly (random ops: with the same seeds, so
the numbers must be identical); the static shapes keep what tracing knows; gradients agree
with float64 central differences; the graphs serialize and run on the fake GPU.
"""

import json

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, TracingError
from engine.graph.executor import Program

S = engine.TensorSpec
F64 = engine.float64
I32 = engine.int32
rnd = engine.random


def traced(fn, *specs):
    return engine.function(fn).get_concrete_function(*specs)


def rows(x):
    return engine.shape(x)[0]


def vector(n, dtype=np.float32):
    return engine.constant(np.arange(n, dtype=dtype))


@pytest.fixture(autouse=True)
def _seed_restored():
    saved = engine.ops.random_ops._SEEDS.global_seed
    yield
    rnd.set_seed(saved)


def assert_same(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def numeric_gradient_check(concrete_grad, forward, arrays, eps=1e-6):
    """⟨analytic gradient, v⟩ against central differences of `forward` along v."""
    rng = np.random.default_rng(0)
    tensors = [engine.constant(a) for a in arrays]
    value, grad = concrete_grad(*tensors)
    v = rng.standard_normal(arrays[0].shape)
    shifted = [[arrays[0] + sign * eps * v] + arrays[1:] for sign in (1, -1)]
    values = [float(forward(*[engine.constant(a) for a in args])) for args in shifted]
    numeric = (values[0] - values[1]) / (2 * eps)
    analytic = float(np.sum(grad.numpy() * v))
    assert abs(analytic - numeric) <= 1e-8 + 1e-6 * max(1.0, abs(numeric))
    return value, grad


# --- stateful random ops --------------------------------------------------------------------
STATEFUL = [  # (draw of size n with op seed 5, static shape of the traced result)
    (lambda n: rnd.uniform([n], seed=5), [None]),
    (lambda n: rnd.normal([n, 3], mean=1.0, stddev=2.0, seed=5), [None, 3]),
    (lambda n: rnd.truncated_normal([2, n], dtype=F64, seed=5), [2, None]),
    (lambda n: rnd.uniform([n, 2], minval=3, maxval=9, dtype=I32, seed=5), [None, 2]),
    (lambda n: rnd.gamma([n], alpha=[1.0, 3.0], seed=5), [None, 2]),
    (lambda n: rnd.poisson([n], lam=4.0, dtype=I32, seed=5), [None]),
    (lambda n: rnd.categorical([[0.0, 1.0, -1.0]], n, seed=5), [1, None]),
]


@pytest.mark.parametrize("k", range(len(STATEFUL)))
def test_stateful_random_ops_with_symbolic_shapes_draw_the_eager_numbers(k):
    draw, static = STATEFUL[k]
    rnd.set_seed(21)
    concrete = traced(lambda x: draw(rows(x)), S([None]))
    assert concrete.graph.outputs[0].shape.as_list() == static
    got = [concrete(vector(n)) for n in (4, 2, 4)]
    rnd.set_seed(21)  # the same seeds restart the same streams: the same numbers
    for out, n in zip(got, (4, 2, 4)):
        assert_same(out, draw(n))
    assert not np.array_equal(got[0].numpy(), got[2].numpy())  # fresh numbers every run


def test_random_shape_given_as_a_shape_tensor_keeps_the_known_sizes():
    def f(x):
        return (rnd.uniform(engine.shape(x), seed=1), rnd.normal(engine.shape(x)[::-1], seed=2),
                rnd.stateless_normal(engine.shape(x), seed=[1, 2]),
                rnd.uniform([engine.shape(x)[1], 2], seed=3))

    concrete = traced(f, S([None, 3]))
    shapes = [t.shape.as_list() for t in concrete.graph.outputs]
    assert shapes == [[None, 3], [3, None], [None, 3], [3, 2]]
    # A shape known while tracing stays an attr: no shape input on that node.
    uniforms = [n for n in concrete.graph.nodes if n.type == "RandomUniform"]
    assert [len(n.inputs) for n in uniforms] == [1, 0]
    for n in (2, 5):
        outs = concrete(engine.zeros([n, 3]))
        assert [tuple(o.shape) for o in outs] == [(n, 3), (3, n), (n, 3), (3, 2)]


def test_shuffle_of_an_input_of_unknown_length():
    rnd.set_seed(3)
    concrete = traced(lambda x: rnd.shuffle(x, seed=4), S([None]))
    got = [concrete(vector(n)) for n in (6, 3)]
    rnd.set_seed(3)
    for out, n in zip(got, (6, 3)):
        assert_same(out, rnd.shuffle(vector(n), seed=4))
        assert sorted(out.numpy().tolist()) == list(range(n))


# --- stateless random ops -------------------------------------------------------------------
STATELESS = [  # (function of (x, n), static shape for x of shape (None,))
    (lambda n: rnd.stateless_uniform([n], seed=[1, 2]), [None]),
    (lambda n: rnd.stateless_normal([n, 2], seed=[3, 4], stddev=0.5), [None, 2]),
    (lambda n: rnd.stateless_truncated_normal([n], seed=[5, 6], dtype=F64), [None]),
    (lambda n: rnd.stateless_uniform([n], [1, 2], minval=-4, maxval=4, dtype=I32), [None]),
    (lambda n: rnd.stateless_uniform([n, 1], [1, 2], minval=None, dtype=engine.int64),
     [None, 1]),
    (lambda n: rnd.stateless_gamma([n], [7, 8], alpha=2.0), [None]),
    (lambda n: rnd.stateless_poisson([n, 2], [7, 8], lam=[1.0, 5.0]), [None, 2]),
    (lambda n: rnd.stateless_categorical([[0.0, 2.0]], n, [9, 9], dtype=I32), [1, None]),
    (lambda n: rnd.experimental.stateless_split([1, 2], n), [None, 2]),
]


@pytest.mark.parametrize("k", range(len(STATELESS)))
def test_stateless_random_ops_with_symbolic_shapes(k):
    draw, static = STATELESS[k]
    concrete = traced(lambda x: draw(rows(x)), S([None]))
    assert concrete.graph.outputs[0].shape.as_list() == static
    for n in (3, 1):
        assert_same(concrete(vector(n)), draw(n))


def test_random_size_errors():
    negative = traced(lambda n: rnd.uniform([n, 2]), S([], I32))
    with pytest.raises(InvalidArgumentError, match=r"random_uniform: shape is \[-1, 2\] when"):
        negative(engine.constant(-1))
    count = traced(lambda n: rnd.categorical([[0.0]], n), S([], I32))
    with pytest.raises(InvalidArgumentError, match="multinomial: num_samples is -2 when"):
        count(engine.constant(-2))
    with pytest.raises(DTypeError, match=r"normal: shape\[0\] is a float32 tensor"):
        traced(lambda x: rnd.normal([engine.reduce_sum(x)]), S([None]))
    with pytest.raises(DTypeError, match="categorical: num_samples is a float32 tensor"):
        traced(lambda x: rnd.categorical([[0.0]], engine.reduce_sum(x)), S([None]))
    with pytest.raises(TypeError, match=r"Pass engine.shape\(x\), a tensor, instead of x.shape"):
        traced(lambda x: rnd.uniform(x.shape), S([None, 2]))


# --- dropout --------------------------------------------------------------------------------
def test_dropout_of_an_input_of_unknown_batch():
    rnd.set_seed(8)
    concrete = traced(lambda x: engine.nn.dropout(x, 0.5, seed=2), S([None, 4]))
    assert concrete.graph.outputs[0].shape.as_list() == [None, 4]
    got = [concrete(engine.ones([n, 4])) for n in (5, 3)]
    rnd.set_seed(8)
    for out, n in zip(got, (5, 3)):
        assert_same(out, engine.nn.dropout(engine.ones([n, 4]), 0.5, seed=2))
        assert set(out.numpy().ravel().tolist()) <= {0.0, 2.0}


@pytest.mark.parametrize("noise_shape, static", [
    ([None, 1], [None, 1]), ([1, None], [1, 4]), (None, [None, 4]),
])
def test_stateless_dropout_noise_shapes_with_unknown_sizes(noise_shape, static):
    def f(x):
        return engine.nn.experimental.stateless_dropout(x, 0.5, seed=[1, 2],
                                                        noise_shape=noise_shape)

    concrete = traced(f, S([None, 4]))
    assert concrete.graph.outputs[0].shape.as_list() == [None, 4]
    mask = next(n for n in concrete.graph.nodes if n.type == "StatelessRandomUniform")
    assert mask.outputs[0].shape.as_list() == static
    for n in (6, 2):
        x = engine.constant(np.arange(4.0 * n, dtype=np.float32).reshape(n, 4) + 1)
        assert_same(concrete(x), f(x))


def test_dropout_noise_shape_with_tensors_and_errors():
    def f(x):
        return engine.nn.experimental.stateless_dropout(
            x, 0.5, seed=[3, 4], noise_shape=[engine.shape(x)[0], 1])

    concrete = traced(f, S([None, 3]))
    for n in (4, 2):
        got = concrete(engine.ones([n, 3])).numpy()
        assert (got == got[:, :1]).all()  # one decision per row
        assert_same(engine.constant(got), f(engine.ones([n, 3])))
    with pytest.raises(ShapeError, match=r"noise_shape \[None, 2\] does not broadcast"):
        traced(lambda x: engine.nn.dropout(x, 0.5, noise_shape=[None, 2]), S([None, 3]))


def test_gradient_of_dropout_traced_with_unknown_dims():
    def forward(x):
        y = engine.nn.experimental.stateless_dropout(x, 0.25, seed=[5, 6])
        return engine.reduce_sum(y * engine.sin(x))

    @engine.function
    def value_and_grad(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = forward(x)
        return y, tape.gradient(y, x)

    concrete = value_and_grad.get_concrete_function(S([None, 3], F64))
    for n in (4, 2):
        x = np.random.default_rng(n).standard_normal((n, 3))
        numeric_gradient_check(concrete, forward, [x])


def test_keras_dropout_in_a_function_with_an_unknown_batch():
    layers = engine.keras.layers
    rnd.set_seed(1)
    model = engine.keras.Sequential([layers.Dense(8), layers.Dropout(0.5),
                                     layers.Dropout(0.5, noise_shape=(None, 1)),
                                     layers.Dense(2)])
    model.build((None, 4))

    @engine.function(input_signature=[S([None, 4])])
    def train_step(x):
        with engine.GradientTape() as tape:
            y = model(x, training=True)
            loss = engine.reduce_mean(y * y)
        return y, tape.gradient(loss, model.trainable_variables)

    for n in (3, 5):
        y, grads = train_step(engine.ones([n, 4]))
        assert y.shape == (n, 2)
        assert [g.shape for g in grads] == [v.shape for v in model.trainable_variables]
    inference = engine.function(lambda x: model(x, training=False),
                                input_signature=[S([None, 4])])
    np.testing.assert_allclose(inference(engine.ones([2, 4])).numpy(),
                               model(engine.ones([2, 4])).numpy(), rtol=1e-6)


# --- one_hot --------------------------------------------------------------------------------
def one_hot_numpy(indices, depth, axis=-1):
    out = (np.expand_dims(indices, -1) == np.arange(depth)).astype(np.float32)
    return np.moveaxis(out, -1, axis)


def test_one_hot_with_a_symbolic_depth():
    concrete = traced(lambda i, d: engine.one_hot(i, d), S([None], I32), S([], I32))
    first = traced(lambda i, d: engine.one_hot(i, d, axis=0), S([None], I32), S([], I32))
    assert concrete.graph.outputs[0].shape.as_list() == [None, None]
    for n, depth in ((4, 3), (2, 6)):
        indices = np.arange(n, dtype=np.int32) - 1  # -1 and n-1 >= depth give all zeros
        got = concrete(engine.constant(indices), engine.constant(depth))
        np.testing.assert_array_equal(got.numpy(), one_hot_numpy(indices, depth))
        got = first(engine.constant(indices), engine.constant(depth))
        np.testing.assert_array_equal(got.numpy(), one_hot_numpy(indices, depth, 0))


def test_one_hot_depth_known_while_tracing_stays_static():
    concrete = traced(lambda i, y: engine.one_hot(i, engine.shape(y)[1] + 1),
                      S([None], I32), S([None, 4]))
    assert concrete.graph.outputs[0].shape.as_list() == [None, 5]
    node = next(n for n in concrete.graph.nodes if n.type == "OneHot")
    assert len(node.inputs) == 3 and node.attrs["depth"] == 5
    got = concrete(engine.constant([0, 4], I32), engine.zeros([1, 4]))
    np.testing.assert_array_equal(got.numpy(), one_hot_numpy(np.array([0, 4]), 5))


def test_one_hot_depth_errors():
    concrete = traced(lambda i, d: engine.one_hot(i, d), S([None], I32), S([], I32))
    with pytest.raises(InvalidArgumentError, match="one_hot: depth is -1 when the graph runs"):
        concrete(engine.constant([0], I32), engine.constant(-1))
    with pytest.raises(ShapeError, match="one_hot: depth is a float32 tensor"):
        traced(lambda i, x: engine.one_hot(i, engine.reduce_sum(x)), S([None], I32), S([None]))


# --- top_k and sort -------------------------------------------------------------------------
def test_top_k_with_a_symbolic_k():
    concrete = traced(lambda x, k: engine.math.top_k(x, k), S([None, None]), S([], I32))
    assert [t.shape.as_list() for t in concrete.graph.outputs] == [[None, None]] * 2
    rng = np.random.default_rng(1)
    for shape, k in (((2, 7), 3), ((3, 4), 4), ((1, 5), 0)):
        x = rng.standard_normal(shape).astype(np.float32)
        values, indices = concrete(engine.constant(x), engine.constant(k))
        order = np.argsort(-x, axis=-1, kind="stable")[:, :k]
        np.testing.assert_array_equal(indices.numpy(), order)
        np.testing.assert_array_equal(values.numpy(), np.take_along_axis(x, order, -1))


def test_top_k_k_known_while_tracing_stays_static():
    concrete = traced(lambda x: engine.math.top_k(x, engine.shape(x)[1] - 1).values,
                      S([None, 4]))
    assert concrete.graph.outputs[0].shape.as_list() == [None, 3]
    np.testing.assert_array_equal(concrete(engine.constant([[1.0, 4.0, 2.0, 3.0]])).numpy(),
                                  [[4.0, 3.0, 2.0]])
    with pytest.raises(InvalidArgumentError, match="top_k: k is 5 when the graph runs"):
        traced(lambda x, k: engine.math.top_k(x, k).values, S([None]), S([], I32))(
            engine.zeros([4]), engine.constant(5))
    with pytest.raises(DTypeError, match="top_k: k is a float32 tensor"):
        traced(lambda x: engine.math.top_k(x, engine.reduce_sum(x)), S([None]))


def test_gradients_of_top_k_and_sort_traced_with_unknown_dims():
    def top(x, k):
        return engine.reduce_sum(engine.math.top_k(x, k).values ** 2)

    def ranked(x, k):
        weights = engine.cast(engine.range(engine.shape(x)[-1]), F64)
        return engine.reduce_sum(engine.sort(x, direction="DESCENDING") * weights)

    for forward in (top, ranked):
        @engine.function
        def value_and_grad(x, k):
            with engine.GradientTape() as tape:
                tape.watch(x)
                y = forward(x, k)  # noqa: B023 - traced once per forward, right here
            return y, tape.gradient(y, x)

        concrete = value_and_grad.get_concrete_function(S([None, None], F64), S([], I32))
        for shape in ((2, 6), (3, 3)):
            x = np.random.default_rng(shape[1]).standard_normal(shape)
            numeric_gradient_check(concrete, forward, [x, np.int32(2)])


# --- reductions along a tensor axis ---------------------------------------------------------
def test_reductions_along_an_axis_known_while_tracing():
    def f(x):
        every = engine.range(engine.rank(x))
        return (engine.reduce_sum(x, axis=every), engine.reduce_max(x, axis=every[1:]),
                engine.reduce_mean(x, axis=engine.rank(x) - 2, keepdims=True),
                engine.reduce_prod(x, axis=[engine.constant(0), every[-1]]))

    concrete = traced(f, S([None, 3]))
    assert [t.shape.as_list() for t in concrete.graph.outputs] == [[], [None], [1, 3], []]
    for n in (4, 2):
        x = engine.constant(np.arange(1.0, 3.0 * n + 1, dtype=np.float32).reshape(n, 3))
        want = (x.numpy().sum(), x.numpy().max(axis=1), x.numpy().mean(0, keepdims=True),
                x.numpy().prod())
        for got, expected in zip(concrete(x), want):
            np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


def test_gradient_of_a_reduction_along_a_tensor_axis_with_unknown_dims():
    def forward(x):
        return engine.reduce_sum(engine.reduce_max(x, axis=engine.range(1, engine.rank(x))) ** 2)

    @engine.function
    def value_and_grad(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = forward(x)
        return y, tape.gradient(y, x)

    concrete = value_and_grad.get_concrete_function(S([None, None, 2], F64))
    for shape in ((3, 2, 2), (1, 4, 2)):
        numeric_gradient_check(concrete, forward, [np.random.default_rng(0).standard_normal(
            shape)])


def test_reduction_axis_known_only_at_run_time_is_refused_clearly():
    with pytest.raises(TracingError, match="reduce_sum: axis is a:0, a tensor whose value is "
                                           "known only when the graph runs"):
        traced(lambda x, a: engine.reduce_sum(x, axis=a), S([None, 3]), S([], I32))
    with pytest.raises(DTypeError, match="reduce_mean: axis is a float32 tensor"):
        traced(lambda x: engine.reduce_mean(x, axis=engine.reduce_sum(x)), S([None]))


# --- sequence_mask --------------------------------------------------------------------------
def sequence_mask_numpy(lengths, maxlen=None):
    maxlen = max(int(np.max(lengths, initial=0)), 0) if maxlen is None else maxlen
    return np.arange(maxlen) < np.expand_dims(lengths, -1)


def test_sequence_mask_eagerly():
    np.testing.assert_array_equal(engine.sequence_mask([1, 3, 0], 4).numpy(),
                                  sequence_mask_numpy([1, 3, 0], 4))
    lengths = np.array([[2, 0], [1, 3]])
    got = engine.sequence_mask(lengths, dtype=engine.float32)
    assert got.dtype == engine.float32 and got.shape == (2, 2, 3)
    np.testing.assert_array_equal(got.numpy(), sequence_mask_numpy(lengths))
    assert engine.sequence_mask(engine.constant([], I32)).shape == (0, 0)
    assert engine.sequence_mask(engine.constant([2], engine.int64), 3).dtype == engine.bool
    with pytest.raises(ValueError, match="sequence_mask: got maxlen of shape"):
        engine.sequence_mask([1], [2, 3])


def test_sequence_mask_with_symbolic_lengths_and_maxlen():
    fixed = traced(lambda lengths: engine.sequence_mask(lengths, 5), S([None], I32))
    longest = traced(lambda lengths: engine.sequence_mask(lengths), S([None], I32))
    given = traced(lambda lengths, m: engine.sequence_mask(lengths, m), S([None, 2], I32),
                   S([], I32))
    of_input = traced(lambda lengths, x: engine.sequence_mask(lengths, engine.shape(x)[1]),
                      S([None], I32), S([None, 3]))
    statics = [c.graph.outputs[0].shape.as_list() for c in (fixed, longest, given, of_input)]
    assert statics == [[None, 5], [None, None], [None, 2, None], [None, 3]]
    for n in (4, 2):
        lengths = (np.arange(n, dtype=np.int32) * 2) % 5
        np.testing.assert_array_equal(fixed(engine.constant(lengths)).numpy(),
                                      sequence_mask_numpy(lengths, 5))
        np.testing.assert_array_equal(longest(engine.constant(lengths)).numpy(),
                                      sequence_mask_numpy(lengths))
        pairs = np.stack([lengths, lengths[::-1]], 1)
        np.testing.assert_array_equal(given(engine.constant(pairs), engine.constant(n)).numpy(),
                                      sequence_mask_numpy(pairs, n))
        np.testing.assert_array_equal(
            of_input(engine.constant(lengths), engine.zeros([1, 3])).numpy(),
            sequence_mask_numpy(lengths, 3))


# --- serialization and devices --------------------------------------------------------------
def test_graphs_with_the_new_size_inputs_round_trip_through_json():
    @engine.function
    def f(x, k):
        n = engine.shape(x)[0]
        return (rnd.stateless_uniform([n, 2], seed=[1, 2]), engine.one_hot(engine.range(n), k),
                engine.math.top_k(x, k).values, engine.sequence_mask(engine.range(n), k),
                engine.reduce_sum(x, axis=engine.range(engine.rank(x))),
                rnd.stateless_categorical([[0.0, 1.0]], k, [3, 4]))

    graph = f.get_concrete_function(S([None]), S([], I32)).graph
    kinds = {n.type: len(n.inputs) for n in graph.nodes}
    assert kinds["StatelessRandomUniform"] == 2 and kinds["OneHot"] == 4
    assert kinds["TopKV2"] == 2 and kinds["StatelessMultinomial"] == 3
    data, arrays = graph.as_dict()
    program = Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))
    for n, k in ((5, 3), (2, 1)):
        x, kk = np.arange(n, dtype=np.float32)[::-1].copy(), np.int32(k)
        for got, want in zip(program([x, kk]), f(engine.constant(x), engine.constant(kk))):
            np.testing.assert_array_equal(got, want.numpy())


def test_symbolic_sizes_on_a_gpu(gpu):
    rnd.set_seed(4)

    @engine.function
    def f(x, k):
        with engine.device("/GPU:0"):
            n = engine.shape(x)[0]
            return (rnd.normal([n, 2], seed=1), engine.nn.dropout(x, 0.5, seed=2),
                    engine.one_hot(engine.range(n), k), engine.math.top_k(x, k).values)

    concrete = f.get_concrete_function(S([None]), S([], I32))
    got = [concrete(vector(n) + 1.0, engine.constant(2)) for n in (3, 4)]
    rnd.set_seed(4)
    for outs, n in zip(got, (3, 4)):
        assert all("GPU" in o.device for o in outs)
        assert_same(outs[0], rnd.normal([n, 2], seed=1))
        assert_same(outs[1], engine.nn.dropout(vector(n) + 1.0, 0.5, seed=2))
        np.testing.assert_array_equal(outs[2].numpy(), one_hot_numpy(np.arange(n), 2))
        np.testing.assert_array_equal(outs[3].numpy(), [n, n - 1])
