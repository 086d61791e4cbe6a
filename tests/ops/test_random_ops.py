"""Random ops: TF2 seeding rules, distributions, stateless ops, Generator and dropout."""

import copy
import math
import pickle
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import context, hooks, registry
from engine.backend import devices
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import random_kernels
from engine.ops.random_ops import dropout, get_seed, stateless_dropout
from tests.opcheck import check_grad, check_op

rnd = engine.random
N = 100_000
TRUNCATED_STD = 0.8796256610342398  # stddev of N(0, 1) truncated to [-2, 2]


@pytest.fixture(autouse=True)
def _fresh_seeds():
    """Each test starts and ends without a global seed and with fresh counters."""
    rnd.set_seed(None)
    yield
    rnd.set_seed(None)


def _np(x):
    return np.asarray(x)


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- TF2 seeding rules ----------------------------------------------------------------------
def _program():
    """A small 'program' drawing from several ops, seeded and unseeded."""
    return [_np(rnd.uniform([3])), _np(rnd.uniform([3])), _np(rnd.normal([2], seed=7)),
            _np(rnd.normal([2], seed=7)), _np(rnd.truncated_normal([2])),
            _np(rnd.categorical([[0.0, 0.0, 0.0]], 5)), _np(rnd.shuffle(np.arange(6)))]


def test_global_seed_repeats_the_whole_program():
    rnd.set_seed(1234)
    first = _program()
    rnd.set_seed(1234)
    second = _program()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # repeated calls continue the sequence
    assert not np.array_equal(first[2], first[3])


def test_op_seed_sequence_restarts_with_set_seed():
    # TensorFlow's documented example: 'A1', 'A2', then set_seed: 'A1', 'A2' again.
    rnd.set_seed(1234)
    a1, a2 = _np(rnd.uniform([1], seed=1)), _np(rnd.uniform([1], seed=1))
    rnd.set_seed(1234)
    b1, b2 = _np(rnd.uniform([1], seed=1)), _np(rnd.uniform([1], seed=1))
    assert a1 != a2
    assert (a1, a2) == (b1, b2)


def test_op_seed_without_global_seed_is_repeatable():
    a = _np(rnd.normal([4], seed=5))
    rnd.set_seed(None)  # restarts the counters, like re-running the program
    b = _np(rnd.normal([4], seed=5))
    np.testing.assert_array_equal(a, b)
    rnd.set_seed(99)
    assert not np.array_equal(_np(rnd.normal([4], seed=5)), a)  # the global seed matters


def test_no_seed_at_all_is_nondeterministic():
    assert not np.array_equal(_np(rnd.normal([8])), _np(rnd.normal([8])))
    rnd.set_seed(None)
    assert not np.array_equal(_np(rnd.normal([8], seed=None)), _np(rnd.normal([8])))


def test_different_seeds_and_ops_differ():
    rnd.set_seed(3)
    a = _np(rnd.normal([1000], seed=1))
    b = _np(rnd.normal([1000], seed=2))
    c = _np(rnd.truncated_normal([1000], seed=1))
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.1
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.1


@pytest.mark.parametrize("global_seed, op_seed, expected", [
    (None, None, (0, 0)),
    (None, 5, (87654321, 5)),
    (1, 5, (1, 5)),
    (0, 0, (0, 2**31 - 1)),  # (0, 0) would mean "unseeded"
    (1, 2**31 + 4, (1, 5)),  # op seeds are truncated to 31 bits, as in TF
])
def test_get_seed_rules(global_seed, op_seed, expected):
    rnd.set_seed(global_seed)
    assert get_seed(op_seed) == expected


def test_unseeded_calls_under_a_global_seed_share_one_counter_per_op():
    rnd.set_seed(1)
    for _ in range(50):
        rnd.normal([2])
        dropout(engine.ones([4]), 0.5)
    assert len(random_kernels.STREAMS) == 2  # the table does not grow with the loop


def test_fixed_attrs_draw_fresh_numbers_on_every_run():
    # What a traced graph does: run one node, with static attrs, again and again.
    def run():
        return _np(engine.raw_ops.RandomStandardNormal(shape=[3], seed=1, seed2=2))

    first, second = run(), run()
    assert not np.array_equal(first, second)
    rnd.set_seed(None)
    np.testing.assert_array_equal(run(), first)


def test_tracing_gives_each_unseeded_node_its_own_op_seed():
    rnd.set_seed(7)
    context.THREAD.graph = object()  # stands in for a graph being traced
    try:
        seeds = [get_seed(None) for _ in range(3)]
        rnd.set_seed(7)
        again = [get_seed(None) for _ in range(3)]
    finally:
        context.THREAD.graph = None
    assert len(set(seeds)) == 3 and seeds == again
    assert all(s[0] == 7 and 0 <= s[1] < 2**31 - 1 for s in seeds)


def test_set_seed_rejects_non_integers():
    with pytest.raises(TypeError, match="set_seed"):
        rnd.set_seed(1.5)


# --- distributions --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [engine.float16, engine.float32, engine.float64])
def test_normal_moments(dtype):
    x = _np(rnd.normal([N], mean=2.0, stddev=3.0, dtype=dtype, seed=1)).astype(np.float64)
    assert rnd.normal([2], dtype=dtype).dtype == dtype
    assert abs(x.mean() - 2.0) < 0.05
    assert abs(x.std() - 3.0) < 0.05


@pytest.mark.parametrize("dtype", [engine.float16, engine.float32, engine.float64])
def test_uniform_float_bounds_and_mean(dtype):
    x = _np(rnd.uniform([N], minval=-1.0, maxval=3.0, dtype=dtype, seed=2)).astype(np.float64)
    assert x.min() >= -1.0 and x.max() < 3.0
    assert abs(x.mean() - 1.0) < 0.02
    unit = _np(rnd.uniform([N], dtype=dtype, seed=3))
    assert unit.min() >= 0 and unit.max() < 1  # half-open even after rounding to float16


@pytest.mark.parametrize("dtype", [engine.int32, engine.int64, engine.uint8])
def test_uniform_int_is_half_open_and_flat(dtype):
    x = _np(rnd.uniform([N], minval=3, maxval=13, dtype=dtype, seed=4))
    assert x.dtype == dtype.as_numpy_dtype
    counts = np.bincount(x.astype(np.int64) - 3, minlength=10)
    assert counts.size == 10 and counts.min() > 0
    np.testing.assert_allclose(counts / N, 0.1, atol=0.006)


def test_uniform_with_tensor_bounds():
    x = _np(rnd.uniform([N, 2], minval=engine.constant([0.0, 10.0]),
                        maxval=engine.constant([1.0, 20.0]), seed=5))
    assert x[:, 0].max() < 1 and x[:, 1].min() >= 10 and x[:, 1].max() < 20


@pytest.mark.parametrize("dtype", [engine.float32, engine.float64])
def test_truncated_normal_is_exactly_truncated(dtype):
    x = _np(rnd.truncated_normal([N], mean=1.0, stddev=2.0, dtype=dtype, seed=6))
    assert np.all(np.abs(x - 1.0) <= 4.0)
    assert abs(x.mean() - 1.0) < 0.03
    assert abs(x.std() - 2.0 * TRUNCATED_STD) < 0.02
    # Re-drawn, not clipped: no pile-up at the bounds.
    assert np.mean(np.abs(x - 1.0) > 3.9) < 0.01


def test_categorical_frequencies_match_softmax():
    logits = np.array([[1.0, 2.0, 0.0, -np.inf], [1000.0, 1000.0 + math.log(3.0), -1e9, 999.0]])
    x = _np(rnd.categorical(logits.astype(np.float32), N, seed=7))
    assert x.shape == (2, N) and x.dtype == np.int64
    for row in range(2):
        freq = np.bincount(x[row], minlength=4) / N
        np.testing.assert_allclose(freq, _softmax(logits[row]), atol=0.006)
    assert np.all(x[0] != 3)  # -inf is never drawn


def test_categorical_edge_cases():
    assert rnd.categorical([[0.0, 1.0]], 4, dtype=engine.int32).dtype == engine.int32
    assert rnd.categorical(np.zeros((3, 2), np.float32), 0).shape == (3, 0)
    # A row without a finite logit gives num_classes, as TensorFlow's kernel does.
    x = _np(rnd.categorical([[-np.inf, -np.inf], [0.0, np.nan]], 3, seed=1))
    np.testing.assert_array_equal(x, [[2, 2, 2], [0, 0, 0]])


def test_shuffle_permutes_rows():
    value = np.arange(24).reshape(8, 3)
    out = _np(rnd.shuffle(value, seed=8))
    assert not np.array_equal(out, value)
    np.testing.assert_array_equal(np.sort(out[:, 0]), value[:, 0])
    np.testing.assert_array_equal(out[:, 1:] - out[:, :1], value[:, 1:] - value[:, :1])
    assert _np(rnd.shuffle(5)) == 5
    assert _np(rnd.shuffle(engine.constant(["a", "b"]))).tolist() in ([b"a", b"b"],
                                                                       [b"b", b"a"])


def test_gamma_and_poisson_moments():
    g = _np(rnd.gamma([N], alpha=[0.5, 4.0], beta=2.0, seed=9)).astype(np.float64)
    assert g.shape == (N, 2) and g.min() > 0
    np.testing.assert_allclose(g.mean(axis=0), [0.25, 2.0], rtol=0.03)
    np.testing.assert_allclose(g.var(axis=0), [0.125, 1.0], rtol=0.05)
    p = _np(rnd.poisson([N], lam=[1.0, 7.0], dtype=engine.int32, seed=10))
    assert p.dtype == np.int32 and p.shape == (N, 2)
    np.testing.assert_allclose(p.mean(axis=0), [1.0, 7.0], rtol=0.03)


# --- stateless ops --------------------------------------------------------------------------
STATELESS = [
    ("normal", lambda seed: rnd.stateless_normal([5, 3], seed)),
    ("uniform", lambda seed: rnd.stateless_uniform([7], seed, minval=2.0, maxval=4.0)),
    ("uniform_int", lambda seed: rnd.stateless_uniform([7], seed, 0, 100, engine.int64)),
    ("full_int", lambda seed: rnd.stateless_uniform([7], seed, None, None, engine.uint32)),
    ("truncated_normal", lambda seed: rnd.stateless_truncated_normal([9], seed)),
    ("categorical", lambda seed: rnd.stateless_categorical([[0.0, 1.0, 2.0]] * 2, 20, seed)),
    ("gamma", lambda seed: rnd.stateless_gamma([6, 2], seed, alpha=[1.0, 3.0])),
    ("poisson", lambda seed: rnd.stateless_poisson([6], seed, lam=4.0)),
    ("dropout", lambda seed: stateless_dropout(engine.ones([40]), 0.5, seed)),
]


@pytest.mark.parametrize("name, draw", STATELESS, ids=[row[0] for row in STATELESS])
def test_stateless_same_seed_same_numbers(name, draw):
    a = _np(draw([1, 2]))
    rnd.set_seed(5)
    rnd.normal([3])
    np.testing.assert_array_equal(_np(draw([1, 2])), a)  # global state does not matter
    np.testing.assert_array_equal(_np(draw(engine.constant([1, 2], engine.int64))), a)
    assert not np.array_equal(_np(draw([1, 3])), a)


def test_stateless_moments():
    x = _np(rnd.stateless_normal([N], [4, 2], mean=-1.0, stddev=0.5, dtype=engine.float64))
    assert abs(x.mean() + 1.0) < 0.01 and abs(x.std() - 0.5) < 0.01
    t = _np(rnd.stateless_truncated_normal([N], [4, 2]))
    assert np.abs(t).max() <= 2.0 and abs(t.std() - TRUNCATED_STD) < 0.01
    logits = np.log([[0.2, 0.3, 0.5]])
    c = _np(rnd.stateless_categorical(logits, N, [9, 9]))
    np.testing.assert_allclose(np.bincount(c[0]) / N, [0.2, 0.3, 0.5], atol=0.006)


def test_stateless_split_and_fold_in():
    seeds = _np(rnd.experimental.stateless_split([1, 2], num=3))
    assert seeds.shape == (3, 2) and seeds.dtype == np.int32
    assert len({tuple(s) for s in seeds.tolist()}) == 3
    draws = [_np(rnd.stateless_normal([4], s)) for s in seeds]
    assert not np.array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(_np(rnd.experimental.stateless_split([1, 2], 3)), seeds)
    folded = _np(rnd.experimental.stateless_fold_in(engine.constant([1, 2], engine.int64), 7))
    assert folded.dtype == np.int32 and folded[1] == 7


def test_affine_gradients_and_forward_against_numpy():
    # The seeded part is a constant; mean/stddev/bounds/beta go through engine ops.
    seed = [3, 4]

    def base(op, dtype, **kw):
        return _np(op([4, 3], seed, dtype=dtype, **kw))

    def normal_ref(mean, stddev):
        return base(rnd.stateless_normal, mean.dtype) * stddev + mean

    def uniform_ref(lo, hi):
        return base(rnd.stateless_uniform, lo.dtype) * (hi - lo) + lo

    mean, stddev = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, 2.0])
    check_op(lambda m, s: rnd.stateless_normal([4, 3], seed, m, s, dtype=m.dtype),
             normal_ref, [mean, stddev])
    check_op(lambda m, s: rnd.stateless_truncated_normal([4, 3], seed, m, s, dtype=m.dtype),
             lambda m, s: base(rnd.stateless_truncated_normal, m.dtype) * s + m, [mean, stddev])
    check_op(lambda lo, hi: rnd.stateless_uniform([4, 3], seed, lo, hi, dtype=lo.dtype),
             uniform_ref, [np.array([0.0, -2.0, 1.0]), np.array([1.0, 2.0, 5.0])])
    check_grad(lambda b: rnd.stateless_gamma([4, 2], seed, alpha=[2.0, 3.0], beta=b,
                                             dtype=engine.float64), [np.array([1.5, 0.5])])


def test_second_order_gradient_through_stddev():
    s = engine.constant(1.5, engine.float64)
    z = _np(rnd.stateless_normal([50], [1, 1], dtype=engine.float64))
    with engine.GradientTape() as outer:
        outer.watch(s)
        with engine.GradientTape() as inner:
            inner.watch(s)
            x = rnd.stateless_normal([50], [1, 1], mean=1.0, stddev=s, dtype=engine.float64)
            loss = engine.reduce_sum(x * x)
        ds = inner.gradient(loss, s)
    d2s = outer.gradient(ds, s)
    np.testing.assert_allclose(float(ds), np.sum(2 * (1.0 + 1.5 * z) * z), rtol=1e-10)
    np.testing.assert_allclose(float(d2s), np.sum(2 * z * z), rtol=1e-10)


# --- Generator ------------------------------------------------------------------------------
def test_generator_from_seed_is_repeatable_and_advances():
    g, h = rnd.Generator.from_seed(42), rnd.Generator.from_seed(42)
    a, b = _np(g.normal([5])), _np(g.normal([5]))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(_np(h.normal([5])), a)
    np.testing.assert_array_equal(_np(h.normal([5])), b)
    assert not np.array_equal(_np(rnd.Generator.from_seed(43).normal([5])), a)
    assert g.state.dtype == engine.int64 and g.state.numpy()[0] == 2
    g.reset_from_seed(42)
    np.testing.assert_array_equal(_np(g.normal([5])), a)


def test_generator_distributions():
    g = rnd.Generator.from_seed(7)
    x = _np(g.normal([N], mean=1.0, stddev=2.0, dtype=engine.float64))
    assert abs(x.mean() - 1.0) < 0.03 and abs(x.std() - 2.0) < 0.03
    t = _np(g.truncated_normal([N]))
    assert np.abs(t).max() <= 2.0 and abs(t.std() - TRUNCATED_STD) < 0.01
    u = _np(g.uniform([N], minval=-2.0, maxval=2.0))
    assert u.min() >= -2 and u.max() < 2 and abs(u.mean()) < 0.02
    i = _np(g.uniform([N], minval=0, maxval=4, dtype=engine.int32))
    np.testing.assert_allclose(np.bincount(i) / N, 0.25, atol=0.006)
    assert g.uniform([3], minval=None, maxval=None, dtype=engine.int64).dtype == engine.int64
    assert g.uniform_full_int([2], engine.uint64).dtype == engine.uint64
    assert g.make_seeds(4).shape == (2, 4)


def test_generator_split_gives_independent_streams():
    parent = rnd.Generator.from_seed(0)
    children = parent.split(3)
    draws = [_np(c.normal([10_000], dtype=engine.float64)) for c in children]
    draws.append(_np(parent.normal([10_000], dtype=engine.float64)))
    corr = np.corrcoef(np.stack(draws))
    assert np.all(np.abs(corr[np.triu_indices(4, 1)]) < 0.05)
    again = rnd.Generator.from_seed(0).split(3)
    np.testing.assert_array_equal(_np(again[1].normal([10_000], dtype=engine.float64)),
                                  draws[1])


def test_generator_state_round_trips():
    g = rnd.Generator.from_seed(5)
    g.normal([3])
    clones = [rnd.Generator(copy_from=g), copy.deepcopy(g), pickle.loads(pickle.dumps(g)),
              rnd.Generator.from_state(g.state.numpy(), "philox")]
    expected = _np(g.uniform([4]))
    for clone in clones:
        np.testing.assert_array_equal(_np(clone.uniform([4])), expected)
    key = int(g.key)
    state = g.state.numpy()
    k = rnd.Generator.from_key_counter(key, state[:2], alg=rnd.Algorithm.PHILOX)
    np.testing.assert_array_equal(_np(k.normal([3])), _np(g.normal([3])))
    k.skip(1)
    g.normal([3])
    np.testing.assert_array_equal(_np(k.normal([3])), _np(g.normal([3])))
    assert rnd.create_rng_state(5, "philox").tolist() == [0, 0, int(rnd.Generator.from_seed(
        5).key)]


def test_global_generator():
    g = rnd.Generator.from_seed(1)
    previous = rnd.get_global_generator()
    try:
        rnd.set_global_generator(g)
        assert rnd.get_global_generator() is g
        assert rnd.experimental.get_global_generator() is g
    finally:
        rnd.set_global_generator(previous)
    with pytest.raises(TypeError, match="set_global_generator"):
        rnd.set_global_generator(3)


def test_generator_errors():
    with pytest.raises(ValueError, match="from_seed"):
        rnd.Generator()
    with pytest.raises(ValueError, match="both"):
        rnd.Generator.from_seed(1).uniform([2], maxval=3, minval=None, dtype=engine.int32)
    with pytest.raises(InvalidArgumentError, match="Philox"):
        rnd.Generator.from_seed(1, alg="threefry")
    with pytest.raises(ShapeError, match="state"):
        rnd.Generator(state=[1, 2])


# --- dropout --------------------------------------------------------------------------------
def test_dropout_scales_kept_values_and_drops_at_rate():
    x = np.arange(1, N + 1, dtype=np.float32)
    y = _np(dropout(x, 0.3, seed=1))
    kept = y != 0
    assert abs(1 - kept.mean() - 0.3) < 0.006
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-6)
    t = engine.constant(x)
    assert dropout(t, 0.0) is t  # rate 0 returns the input itself, as in TensorFlow
    y_t = _np(dropout(x, engine.constant(0.3), seed=1))
    assert abs(1 - (y_t != 0).mean() - 0.3) < 0.006


def test_dropout_gradient_uses_the_forward_mask():
    x = engine.constant(np.linspace(1, 2, 1000), engine.float64)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = dropout(x, 0.25, seed=3)
        loss = engine.reduce_sum(y * y)
    grad = _np(tape.gradient(loss, x))
    mask = _np(y) != 0
    np.testing.assert_allclose(grad, 2 * _np(y) * mask / 0.75, rtol=1e-12)


def test_stateless_dropout_numerical_gradient():
    x = np.random.default_rng(0).standard_normal((6, 5))
    check_grad(lambda t: stateless_dropout(t, 0.4, seed=[1, 2]), [x])
    check_grad(lambda t: stateless_dropout(t, 0.4, seed=[1, 2], noise_shape=[6, 1]), [x])


def test_dropout_noise_shape_broadcasts():
    y = _np(dropout(np.ones((200, 8), np.float32), 0.5, noise_shape=[1, 8], seed=2))
    assert np.all(y == y[:1])  # whole columns kept or dropped
    z = _np(dropout(np.ones((200, 8), np.float32), 0.5, noise_shape=[None, 1], seed=2))
    assert np.all(z == z[:, :1])
    assert 0 < (z[:, 0] != 0).mean() < 1


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_dropout_noise_shapes_hypothesis(shape, data):
    noise = [data.draw(st.sampled_from([1, d])) for d in shape]
    start = data.draw(st.integers(0, len(shape) - 1))
    noise = noise[start:]
    y = _np(stateless_dropout(np.ones(shape), 0.5, seed=[0, 1], noise_shape=noise))
    assert y.shape == tuple(shape)
    assert set(np.unique(y)) <= {0.0, 2.0}
    aligned = [1] * start + noise
    for axis, size in enumerate(aligned):
        if size == 1:  # the mask is shared along this axis
            assert np.all(y == np.take(y, [0], axis=axis))


@pytest.mark.parametrize("rate", [1, 1.0, -0.1, float("nan")])
def test_dropout_rate_errors(rate):
    with pytest.raises(ValueError, match=r"dropout: rate=.*\[0, 1\)"):
        dropout(engine.ones([3]), rate)


def test_dropout_other_errors():
    with pytest.raises(DTypeError, match="dropout: x has dtype int32"):
        dropout(engine.constant([1, 2]), 0.5)
    with pytest.raises(ShapeError, match="noise_shape"):
        dropout(engine.ones([3, 4]), 0.5, noise_shape=[3, 2])
    with pytest.raises(InvalidArgumentError, match="rate"):
        dropout(engine.ones([3]), engine.constant(1.0))
    with pytest.raises(ShapeError, match="scalar"):
        dropout(engine.ones([3]), engine.constant([0.5, 0.5]))


# --- errors ---------------------------------------------------------------------------------
def test_public_errors():
    with pytest.raises(ValueError, match="uniform: integer dtype int32 needs maxval"):
        rnd.uniform([2], dtype=engine.int32)
    with pytest.raises(InvalidArgumentError, match="minval < maxval"):
        rnd.uniform([2], minval=5, maxval=5, dtype=engine.int32)
    with pytest.raises(ValueError, match="uniform: minval is None"):
        rnd.uniform([2], minval=None, maxval=5, dtype=engine.int32)
    with pytest.raises(DTypeError, match="normal: got dtype int32"):
        rnd.normal([2], dtype=engine.int32)
    with pytest.raises(ShapeError, match="negative"):
        rnd.normal([2, -1])
    with pytest.raises(ShapeError, match="2-D"):
        rnd.categorical([0.0, 1.0], 2)
    with pytest.raises(DTypeError, match="categorical"):
        rnd.categorical([[0.0, 1.0]], 2, dtype=engine.float32)
    with pytest.raises(DTypeError, match="stateless_categorical"):
        rnd.stateless_categorical([[0.0, 1.0]], 2, [1, 2], dtype=engine.float32)
    with pytest.raises(DTypeError, match="Generator.uniform_full_int"):
        rnd.Generator.from_seed(1).uniform_full_int([2], engine.int8)
    with pytest.raises(ShapeError, match=r"seed must have shape \[2\]"):
        rnd.stateless_normal([2], seed=[1, 2, 3])
    with pytest.raises(DTypeError, match="seed"):
        rnd.stateless_normal([2], seed=[1.0, 2.0])
    with pytest.raises(ValueError, match="minval and maxval, or neither"):
        rnd.stateless_uniform([2], [1, 2], minval=0, maxval=None, dtype=engine.int32)
    with pytest.raises(InvalidArgumentError, match="alpha"):
        rnd.gamma([2], alpha=-1.0)
    with pytest.raises(InvalidArgumentError, match="lam"):
        rnd.poisson([2], lam=-1.0)
    # Negative stddev is allowed, as in TensorFlow: it mirrors the distribution.
    assert rnd.normal([2], stddev=-1.0, seed=1).shape == (2,)


# --- infer, raw ops, listeners, devices -----------------------------------------------------
def _spec(shape, dtype=engine.float32):
    return engine.TensorSpec(shape, dtype)


def test_infer_with_unknown_dimensions():
    i64, u64 = engine.int64, engine.uint64
    seeds = {"seed": 0, "seed2": 0}
    multinomial = registry.get("Multinomial").infer(
        _spec([None, 5]), num_samples=3, output_dtype=engine.int32, **seeds)
    assert multinomial == _spec([None, 3], engine.int32)
    assert registry.get("RandomShuffle").infer(_spec([None, 3]), **seeds) == _spec([None, 3])
    gamma = registry.get("RandomGamma").infer(_spec([None]), shape=(2,), **seeds)
    assert gamma == _spec([2, None])
    assert registry.get("RandomGamma").infer(_spec(None), shape=(2,), **seeds).shape.rank is None
    assert registry.get("StatelessRandomNormal").infer(
        _spec([None], i64), shape=(4,), dtype=engine.float64) == _spec([4], engine.float64)
    assert registry.get("StatelessMultinomial").infer(
        _spec([2], i64), _spec(None), num_samples=4, output_dtype=i64) == _spec([None, 4], i64)
    assert registry.get("StatelessRandomUniformIntV2").infer(
        _spec([1], u64), _spec([2], u64), _spec([], engine.int32), _spec(None, engine.int32),
        shape=(3,), alg=1) == _spec([3], engine.int32)
    with pytest.raises(ShapeError, match="stateless_random_normal: seed"):
        registry.get("StatelessRandomNormal").infer(_spec([3], i64), shape=(2,),
                                                    dtype=engine.float32)
    with pytest.raises(ShapeError, match="multinomial: logits must be 2-D"):
        registry.get("Multinomial").infer(_spec([None, 2, 3]), num_samples=1,
                                          output_dtype=i64, **seeds)
    with pytest.raises(DTypeError, match="random_uniform_int"):
        registry.get("RandomUniformInt").infer(_spec([]), _spec([]), shape=(2,), **seeds)


def test_every_random_op_is_registered_and_stateful_where_it_should_be():
    stateful = {"RandomStandardNormal", "RandomUniform", "RandomUniformInt", "TruncatedNormal",
                "Multinomial", "RandomShuffle", "RandomGamma", "RandomPoissonV2"}
    stateless = {"StatelessRandomNormal", "StatelessRandomUniform", "StatelessRandomUniformInt",
                 "StatelessRandomUniformFullInt", "StatelessTruncatedNormal",
                 "StatelessMultinomial", "StatelessRandomGammaV2", "StatelessRandomPoisson",
                 "StatelessRandomNormalV2", "StatelessRandomUniformV2",
                 "StatelessRandomUniformIntV2", "StatelessRandomUniformFullIntV2",
                 "StatelessTruncatedNormalV2"}
    for name in stateful | stateless:
        op = registry.get(name)
        assert op.stateful == (name in stateful) and op.vjp is None


def test_raw_ops():
    raw = engine.raw_ops
    assert raw.RandomStandardNormal(shape=[2, 3], dtype=engine.float64, seed=1,
                                    seed2=2).dtype == engine.float64
    np.testing.assert_array_equal(_np(raw.StatelessRandomNormal(shape=[3], seed=[1, 2])),
                                  _np(rnd.stateless_normal([3], [1, 2])))
    key, counter = np.array([9], np.uint64), np.array([4, 0], np.uint64)
    np.testing.assert_array_equal(
        _np(raw.StatelessRandomNormalV2(shape=[3], key=key, counter=counter, alg=1)),
        _np(rnd.Generator.from_key_counter(9, [4, 0], "philox").normal([3])))
    x = _np(raw.RandomUniformInt(shape=[50], minval=0, maxval=3, seed=1, seed2=1))
    assert x.dtype == np.int32 and set(x.tolist()) == {0, 1, 2}
    assert raw.Multinomial(logits=[[0.0, 0.0]], num_samples=4, seed=1, seed2=2).shape == (1, 4)


def test_listeners_see_random_ops():
    seen = []
    with hooks.subscribe("op", lambda event: seen.append(event.op)):
        rnd.normal([2], seed=1)
        rnd.stateless_uniform([2], [1, 2])
        rnd.Generator.from_seed(1).truncated_normal([2])
    assert seen == ["RandomStandardNormal", "StatelessRandomUniform", "RngReadAndSkip",
                    "StatelessTruncatedNormalV2"]


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(0, 5), max_size=4),
       dtype=st.sampled_from([engine.float16, engine.float32, engine.float64]))
def test_shapes_and_dtypes_hypothesis(shape, dtype):
    for out in (rnd.normal(shape, dtype=dtype), rnd.uniform(shape, dtype=dtype, seed=1),
                rnd.truncated_normal(shape, dtype=dtype),
                rnd.stateless_normal(shape, [1, 2], dtype=dtype),
                rnd.Generator.from_seed(1).uniform(shape, dtype=dtype)):
        assert out.shape == tuple(shape) and out.dtype == dtype


class _FakeCupy(types.ModuleType):
    """NumPy under another name: exercises the GPU path of the kernels without a GPU."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def asnumpy(array):
        return np.asarray(array)


def _fake_gpu_backend():
    backend = types.ModuleType("fake_gpu_backend")
    backend.name = "cupy"
    backend.xp = _FakeCupy("fake_cupy")
    backend.is_available = lambda: True
    backend.device_count = lambda: 1
    backend.from_host = lambda array, index: array
    backend.to_host = np.asarray
    backend.is_native = lambda array: False
    backend.array_index = lambda array: 0
    backend.move = lambda array, index: array
    return backend


def test_gpu_draws_match_cpu_draws():
    devices._install_gpu_backend(_fake_gpu_backend())
    try:
        rnd.set_seed(11)
        cpu = [_np(rnd.normal([4], seed=1)), _np(rnd.stateless_categorical([[0.0, 1.0]], 6,
                                                                          [1, 2]))]
        rnd.set_seed(11)
        with engine.device("/GPU:0"):
            gpu_normal = rnd.normal([4], seed=1)
            gpu_cat = rnd.stateless_categorical([[0.0, 1.0]], 6, [1, 2])
            shuffled = rnd.shuffle(np.arange(5), seed=2)
        assert gpu_normal.device.endswith("GPU:0")
        np.testing.assert_array_equal(_np(gpu_normal), cpu[0])
        np.testing.assert_array_equal(_np(gpu_cat), cpu[1])
        assert sorted(_np(shuffled).tolist()) == [0, 1, 2, 3, 4]
    finally:
        devices._install_gpu_backend(None)
    assert "fake_cupy" not in sys.modules


def test_stateless_gamma_and_poisson_shape_is_the_whole_output_shape():
    # TensorFlow's rule (unlike random.gamma / random.poisson): `shape` ends with the
    # parameters' shape, which fills the trailing dimensions
    alpha = [[1.0], [2.0], [3.0]]
    assert rnd.stateless_gamma([4, 3, 2], [1, 2], alpha, beta=[1.0, 2.0]).shape == [4, 3, 2]
    assert rnd.stateless_poisson([5, 2], [1, 2], lam=[1.0, 4.0]).shape == [5, 2]
    assert rnd.stateless_gamma([5], [1, 2], alpha=2.0).shape == [5]
    with pytest.raises(ShapeError, match=r"must end with the shape of broadcast\(alpha, beta\)"):
        rnd.stateless_gamma([10], [1, 2], alpha=[0.5, 1.5])
    with pytest.raises(ShapeError, match="must end with the shape of lam"):
        rnd.stateless_poisson([3, 4], [1, 2], lam=[1.0, 2.0])
