"""Tests for engine.nn activations, softmax, losses, bias_add and normalization.

Every op row goes through `check_op`: forward against a NumPy formula in float64 and
float32, then the float64 gradient against central differences.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import nn
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.registry import get
from tests.opcheck import check_grad, check_op

RNG = np.random.default_rng(0)
_erf = np.vectorize(math.erf)


def away_from(points, shape, seed=1, gap=0.1):
    """Random values at least `gap` from each kink in `points` (finite differences)."""
    x = np.random.default_rng(seed).uniform(-8, 8, shape)
    for p in points:
        close = np.abs(x - p) < gap
        x[close] = p + np.where(x[close] >= p, gap, -gap) * 2
    return x


def ref_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ref_log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def ref_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


ACTIVATIONS = [
    # (name, fn, ref, kinks)
    ("relu", nn.relu, lambda x: np.maximum(x, 0), [0]),
    ("relu6", nn.relu6, lambda x: np.clip(x, 0, 6), [0, 6]),
    ("leaky_relu", nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), [0]),
    ("leaky_relu_a", lambda x: nn.leaky_relu(x, alpha=1.5),
     lambda x: np.where(x > 0, x, 1.5 * x), [0]),
    ("elu", nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), [0]),
    ("selu", nn.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0))),
     [0]),
    ("gelu", nn.gelu, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), []),
    ("gelu_tanh", lambda x: nn.gelu(x, approximate=True), ref_gelu_tanh, []),
    ("silu", nn.silu, lambda x: x / (1 + np.exp(-x)), []),
    ("swish_beta", lambda x: nn.swish(x, beta=0.7), lambda x: x / (1 + np.exp(-0.7 * x)), []),
    ("softsign", nn.softsign, lambda x: x / (1 + np.abs(x)), [0]),
]


@pytest.mark.parametrize("name,fn,ref,kinks", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, fn, ref, kinks):
    check_op(fn, ref, [away_from(kinks, (3, 5))])
    # 0-d inputs: forward only (engine.sigmoid, used by silu's gradient, fails on 0-d for now).
    check_op(fn, ref, [away_from(kinks, ())], grad=False)


@pytest.mark.parametrize("name,fn,ref,kinks", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_second_order(name, fn, ref, kinks):
    """The gradient of the gradient, against central differences of the gradient."""
    x0 = away_from(kinks, (7,), seed=3)

    def grad_of(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.reduce_sum(fn(x))
        return tape.gradient(y, x)

    check_grad(grad_of, [x0])


def test_relu_keeps_integers_and_dtype():
    assert nn.relu(engine.constant([-3, 4])).numpy().tolist() == [0, 4]
    assert nn.relu(engine.constant([-1.0], engine.float16)).dtype is engine.float16
    assert nn.elu(engine.constant([1e4], engine.float32)).numpy()[0] == np.float32(1e4)


def test_activation_dtype_error():
    with pytest.raises(DTypeError, match="gelu"):
        nn.gelu(engine.constant([1, 2]))


def test_relu_grad_ops_are_their_own_gradients():
    g = engine.constant([1.0, 2.0, 3.0])
    f = engine.constant([-1.0, 2.0, 7.0])
    assert engine.raw_ops.ReluGrad(gradients=g, features=f).numpy().tolist() == [0, 2, 3]
    assert engine.raw_ops.Relu6Grad(gradients=g, features=f).numpy().tolist() == [0, 2, 0]
    out = engine.raw_ops.LeakyReluGrad(gradients=g, features=f, alpha=0.5).numpy()
    assert out.tolist() == [0.5, 2, 3]
    f64 = engine.constant([-1.0, 2.0, 7.0], engine.float64)
    check_grad(lambda g_: engine.raw_ops.ReluGrad(gradients=g_, features=f64),
               [np.array([1.0, 2.0, 3.0])])


# --- softmax ------------------------------------------------------------------------------
SOFTMAX_CASES = [((5,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -3)]


@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES)
def test_softmax(shape, axis):
    x = RNG.standard_normal(shape) * 3
    check_op(lambda t: nn.softmax(t, axis=axis), lambda a: ref_softmax(a, axis), [x])
    check_op(lambda t: nn.log_softmax(t, axis=axis), lambda a: ref_log_softmax(a, axis), [x])


def test_softmax_is_stable_for_huge_logits():
    x = engine.constant([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    np.testing.assert_allclose(nn.softmax(x).numpy(), [[1, 0, 0], [1 / 3] * 3], atol=1e-7)
    log = nn.log_softmax(x).numpy()
    assert np.isfinite(log).all()
    np.testing.assert_allclose(log[0], [0, -2e4, -1e4])


def test_softmax_second_order():
    x0 = RNG.standard_normal((2, 4))
    w = engine.constant(RNG.standard_normal((2, 4)))

    def grad_of(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.reduce_sum(nn.softmax(x) * w) + engine.reduce_sum(nn.log_softmax(x) * w)
        return tape.gradient(y, x)

    check_grad(grad_of, [x0])


def test_softmax_errors():
    with pytest.raises(ShapeError, match="softmax"):
        nn.softmax(engine.constant(1.0))
    with pytest.raises(ShapeError, match="out of range"):
        nn.softmax(engine.zeros([2, 3]), axis=2)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_softmax_any_shape_and_axis(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32) * 5
    got = nn.softmax(engine.constant(x), axis=axis).numpy()
    np.testing.assert_allclose(got, ref_softmax(x, axis), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got.sum(axis=axis), 1, rtol=1e-5)


# --- sparse softmax cross-entropy ---------------------------------------------------------
def ref_sparse_xent(labels, logits):
    log_p = ref_log_softmax(logits)
    return -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]


@pytest.mark.parametrize("shape,label_dtype", [((4, 5), np.int32), ((6, 3), np.int64),
                                               ((2, 3, 4), np.int32), ((3,), np.int64)])
def test_sparse_softmax_cross_entropy(shape, label_dtype):
    logits = RNG.standard_normal(shape) * 2
    labels = RNG.integers(0, shape[-1], shape[:-1]).astype(label_dtype)
    check_op(lambda lab, lg: nn.sparse_softmax_cross_entropy_with_logits(lab, lg),
             ref_sparse_xent, [labels, logits])


def test_sparse_xent_raw_op_returns_loss_and_backprop():
    logits = RNG.standard_normal((4, 3))
    labels = np.array([0, 2, 1, 2], np.int32)
    loss, backprop = engine.raw_ops.SparseSoftmaxCrossEntropyWithLogits(
        features=engine.constant(logits), labels=engine.constant(labels))
    np.testing.assert_allclose(loss.numpy(), ref_sparse_xent(labels, logits))
    np.testing.assert_allclose(backprop.numpy(), ref_softmax(logits) - np.eye(3)[labels])


def test_sparse_xent_is_stable_for_huge_logits():
    logits = engine.constant([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    labels = engine.constant([1, 2])
    with engine.GradientTape() as tape:
        tape.watch(logits)
        loss = nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    np.testing.assert_allclose(loss.numpy(), [2e4, np.log(2)], rtol=1e-6)
    grad = tape.gradient(loss, logits).numpy()
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, [[1, -1, 0], [0, 0.5, -0.5]], atol=1e-6)


@pytest.mark.parametrize("bad", [[0, 3], [-1, 0]])
def test_sparse_xent_label_out_of_range(bad):
    with pytest.raises(InvalidArgumentError, match=r"outside the valid range of \[0, 3\)"):
        nn.sparse_softmax_cross_entropy_with_logits(bad, engine.zeros([2, 3]))


def test_sparse_xent_shape_and_dtype_errors():
    logits = engine.zeros([2, 3])
    with pytest.raises(ShapeError, match=r"labels of shape \(2,\)"):
        nn.sparse_softmax_cross_entropy_with_logits(engine.constant([[0], [1]]), logits)
    with pytest.raises(DTypeError, match="int32 or int64"):
        nn.sparse_softmax_cross_entropy_with_logits(engine.constant([0.0, 1.0]), logits)
    with pytest.raises(ShapeError, match="scalar"):
        nn.sparse_softmax_cross_entropy_with_logits(engine.constant(0), engine.constant(1.0))


def test_sparse_xent_second_order():
    labels = engine.constant([2, 0, 1])
    w = engine.constant(RNG.standard_normal((3, 4)))

    def grad_of(logits):
        with engine.GradientTape() as tape:
            tape.watch(logits)
            loss = engine.reduce_sum(nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        return tape.gradient(loss, logits) * w

    check_grad(grad_of, [RNG.standard_normal((3, 4))])


# --- dense softmax cross-entropy ----------------------------------------------------------
def probabilities(shape, seed=2):
    p = np.random.default_rng(seed).uniform(0.1, 1, shape)
    return p / p.sum(axis=-1, keepdims=True)


def test_softmax_cross_entropy():
    logits = RNG.standard_normal((4, 5))
    labels = probabilities((4, 5))
    check_op(lambda lab, lg: nn.softmax_cross_entropy_with_logits(lab, lg),
             lambda lab, lg: -(lab * ref_log_softmax(lg)).sum(-1), [labels, logits])


def test_softmax_cross_entropy_axis_and_broadcast():
    logits = RNG.standard_normal((3, 4, 2))
    labels = np.moveaxis(probabilities((3, 2, 4)), 2, 1)  # sums to 1 along axis 1
    check_op(lambda lab, lg: nn.softmax_cross_entropy_with_logits(lab, lg, axis=1),
             lambda lab, lg: -(lab * ref_log_softmax(lg, 1)).sum(1), [labels, logits])
    shared = probabilities((5,))  # one distribution for every row
    check_op(lambda lab, lg: nn.softmax_cross_entropy_with_logits(lab, lg),
             lambda lab, lg: -(lab * ref_log_softmax(lg)).sum(-1),
             [shared, RNG.standard_normal((4, 5))])


def test_softmax_cross_entropy_second_order_and_stability():
    labels = engine.constant(probabilities((2, 3)))
    w = engine.constant(RNG.standard_normal((2, 3)))

    def grad_of(logits):
        with engine.GradientTape() as tape:
            tape.watch(logits)
            loss = engine.reduce_sum(nn.softmax_cross_entropy_with_logits(labels, logits))
        return tape.gradient(loss, logits) * w

    check_grad(grad_of, [RNG.standard_normal((2, 3))])
    huge = engine.constant([[1e4, -1e4, 0.0]])
    loss = nn.softmax_cross_entropy_with_logits(engine.constant([[0.0, 1.0, 0.0]]), huge)
    np.testing.assert_allclose(loss.numpy(), [2e4])


def test_softmax_cross_entropy_errors():
    with pytest.raises(ShapeError, match="softmax_cross_entropy_with_logits"):
        nn.softmax_cross_entropy_with_logits(engine.zeros([2, 3]), engine.zeros([2, 4]))
    with pytest.raises(DTypeError, match="softmax_cross_entropy_with_logits"):
        nn.softmax_cross_entropy_with_logits(engine.constant([[0, 1]]), engine.zeros([1, 2]))


# --- sigmoid and weighted cross-entropy ----------------------------------------------------
def ref_sigmoid_xent(z, x):
    return -z * np.log(1 / (1 + np.exp(-x))) - (1 - z) * np.log(1 - 1 / (1 + np.exp(-x)))


def test_sigmoid_cross_entropy():
    z = RNG.uniform(0, 1, (3, 4))
    x = RNG.standard_normal((3, 4)) * 3
    check_op(lambda a, b: nn.sigmoid_cross_entropy_with_logits(labels=a, logits=b),
             ref_sigmoid_xent, [z, x])
    check_op(lambda a, b: nn.sigmoid_cross_entropy_with_logits(labels=a, logits=b),
             ref_sigmoid_xent, [np.array(0.3), np.array(-1.2)], grad=False)  # 0-d sigmoid: core


def test_sigmoid_cross_entropy_is_stable_and_checks_shapes():
    out = nn.sigmoid_cross_entropy_with_logits(
        labels=engine.constant([1.0, 0.0, 1.0]), logits=engine.constant([1e4, -1e4, -1e4]))
    np.testing.assert_allclose(out.numpy(), [0, 0, 1e4])
    with pytest.raises(ShapeError, match="sigmoid_cross_entropy_with_logits"):
        nn.sigmoid_cross_entropy_with_logits(labels=engine.zeros([2, 3]),
                                             logits=engine.zeros([2, 1]))


def test_weighted_cross_entropy():
    z = RNG.uniform(0, 1, (3, 4))
    x = RNG.standard_normal((3, 4)) * 3

    def ref(z, x):
        p = 1 / (1 + np.exp(-x))
        return -2.5 * z * np.log(p) - (1 - z) * np.log(1 - p)

    check_op(lambda a, b: nn.weighted_cross_entropy_with_logits(a, b, 2.5), ref, [z, x])


# --- bias_add ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,data_format,axis", [((2, 3), None, 1), ((2, 4, 5, 3), "NHWC", 3),
                                                    ((2, 3, 4, 5), "NCHW", 1),
                                                    ((2, 3, 4), "NCW", 1)])
def test_bias_add(shape, data_format, axis):
    x = RNG.standard_normal(shape)
    b = RNG.standard_normal(shape[axis])

    def ref(x, b):
        return x + b.reshape([-1 if i == axis else 1 for i in range(len(shape))])

    check_op(lambda x, b: nn.bias_add(x, b, data_format=data_format), ref, [x, b])


def test_bias_add_grad_is_differentiable():
    check_op(lambda g: engine.raw_ops.BiasAddGrad(out_backprop=g), lambda g: g.sum((0, 1)),
             [RNG.standard_normal((3, 4, 5))])
    check_op(lambda g: engine.raw_ops.BiasAddGrad(out_backprop=g, data_format="NCHW"),
             lambda g: g.sum((0, 2)), [RNG.standard_normal((3, 4, 5))])


def test_bias_add_errors():
    with pytest.raises(ShapeError, match=r"bias_add: .* 3 channels .* bias of 4"):
        nn.bias_add(engine.zeros([2, 3]), engine.zeros([4]))
    with pytest.raises(ShapeError, match="1-D bias"):
        nn.bias_add(engine.zeros([2, 3]), engine.zeros([1, 3]))
    with pytest.raises(ShapeError, match="rank >= 2"):
        nn.bias_add(engine.zeros([3]), engine.zeros([3]))


# --- normalization and small losses ---------------------------------------------------------
def test_moments():
    x = RNG.standard_normal((3, 4, 2))
    check_op(lambda t: nn.moments(t, axes=[0, 2]),
             lambda a: (a.mean((0, 2)), a.var((0, 2))), [x])
    mean, var = nn.moments(engine.constant(x), axes=1, keepdims=True)
    assert mean.shape == (3, 1, 2) and var.shape == (3, 1, 2)


def test_batch_normalization():
    x = RNG.standard_normal((4, 3))
    mean, var = x.mean(0), x.var(0) + 0.5
    offset, scale = RNG.standard_normal(3), RNG.standard_normal(3)
    check_op(lambda *t: nn.batch_normalization(*t, variance_epsilon=1e-3),
             lambda x, m, v, o, s: s * (x - m) / np.sqrt(v + 1e-3) + o,
             [x, mean, var, offset, scale])
    out = nn.batch_normalization(engine.constant([1.0, 3.0]), 2.0, 1.0, None, None, 0.0)
    assert out.numpy().tolist() == [-1, 1]


def test_l2_loss_and_poisson_and_average():
    x = RNG.standard_normal((3, 4))
    check_op(nn.l2_loss, lambda a: np.asarray((a ** 2).sum() / 2), [x])
    z = RNG.uniform(0, 3, (5,))
    c = RNG.standard_normal((5,))

    def ref_full(z, c):
        stirling = z * np.log(z) - z + 0.5 * np.log(2 * np.pi * z)
        return np.exp(c) - z * c + np.where(z <= 1, 0, stirling)

    check_op(lambda z, c: nn.log_poisson_loss(z, c), lambda z, c: np.exp(c) - z * c, [z, c])
    check_op(lambda z, c: nn.log_poisson_loss(z, c, compute_full_loss=True), ref_full, [z, c],
             wrt=[1])
    check_op(lambda t: nn.compute_average_loss(t), lambda a: np.asarray(a.sum() / 5), [z])
    out = nn.compute_average_loss(engine.constant([1.0, 3.0]), sample_weight=[2.0, 0.0],
                                  global_batch_size=4)
    assert float(out) == 0.5


# --- infer with unknown dimensions, raw_ops -------------------------------------------------
def test_infer_with_unknown_dimensions():
    spec = engine.TensorSpec
    f32 = engine.float32
    assert get("Softmax").infer(spec([None, 3], f32), axis=-1).shape.as_list() == [None, 3]
    assert get("Relu").infer(spec(None, f32)).shape.rank is None
    loss, backprop = get("SparseSoftmaxCrossEntropyWithLogits").infer(
        spec([None, 10], f32), spec([None], engine.int32))
    assert loss.shape.as_list() == [None] and backprop.shape.as_list() == [None, 10]
    loss, _ = get("SparseSoftmaxCrossEntropyWithLogits").infer(
        spec(None, f32), spec([None], engine.int64))
    assert loss.shape.as_list() == [None]
    loss, backprop = get("SoftmaxCrossEntropyWithLogits").infer(spec([None, 4], f32),
                                                                spec([1, 4], f32))
    assert loss.shape.as_list() == [None] and backprop.shape.as_list() == [None, 4]
    assert get("BiasAdd").infer(spec([None, None, 5], f32), spec([None], f32)).shape.rank == 3
    assert get("BiasAddGrad").infer(spec([None, 7], f32)).shape.as_list() == [7]
    with pytest.raises(ShapeError, match="bias_add"):
        get("BiasAdd").infer(spec([None, 3], f32), spec([4], f32))
    with pytest.raises(ShapeError, match="sparse_softmax"):
        get("SparseSoftmaxCrossEntropyWithLogits").infer(spec([None, 3], f32),
                                                         spec([None, 1], engine.int32))


def test_raw_ops():
    x = engine.constant([[-1.0, 2.0]])
    assert engine.raw_ops.Relu(features=x).numpy().tolist() == [[0, 2]]
    assert engine.raw_ops.LeakyRelu(features=x, alpha=0.5).numpy().tolist() == [[-0.5, 2]]
    np.testing.assert_allclose(engine.raw_ops.Softmax(logits=x).numpy(), ref_softmax(x.numpy()),
                               rtol=1e-6)
    np.testing.assert_allclose(engine.raw_ops.L2Loss(t=x).numpy(), 2.5)
    assert engine.raw_ops.BiasAdd(value=x, bias=engine.constant([1.0, 1.0])).numpy().tolist() == [
        [0, 3]]


@pytest.mark.parametrize("shape", [(4096,), (3, 2000), (8, 1024), (2, 7, 300)])
def test_relu_large_inputs(shape):
    """Large float inputs take a row-wise kernel; check it against np.maximum, NaN too."""
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    x.reshape(-1)[[0, -1]] = np.nan, -np.inf
    np.testing.assert_array_equal(nn.relu(engine.constant(x)).numpy(), np.maximum(x, 0))
    strided = engine.constant(x)[..., ::2] if x.ndim > 1 else engine.constant(x[::2])
    np.testing.assert_array_equal(nn.relu(strided).numpy(), np.maximum(np.asarray(strided), 0))


def test_variables_get_gradients():
    x = engine.constant(RNG.standard_normal((3, 4)).astype(np.float32))
    b, scale = engine.Variable(np.zeros(4, np.float32)), engine.Variable(np.ones(4, np.float32))
    with engine.GradientTape() as tape:
        h = nn.batch_normalization(nn.bias_add(x, b), 0.5, 2.0, None, scale, 1e-3)
        loss = engine.reduce_sum(nn.sparse_softmax_cross_entropy_with_logits([0, 1, 3], h))
    gb, gs = tape.gradient(loss, [b, scale])
    assert gb.shape == (4,) and gs.shape == (4,)
