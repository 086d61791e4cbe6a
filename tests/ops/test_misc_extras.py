"""engine.ops.misc_extras: dynamic_partition/stitch, numpy_function, recompute_grad,
no_gradient, log_sigmoid, cumulative_logsumexp, polyval and local_response_normalization:
against NumPy, traced, with finite-difference gradients."""

import types

import numpy as np
import pytest

import engine
from engine import hooks, registry
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import misc_extras
from engine.ops.misc_extras import (
    cumulative_logsumexp,
    dynamic_partition,
    dynamic_stitch,
    local_response_normalization,
    log_sigmoid,
    no_gradient,
    numpy_function,
    polyval,
    recompute_grad,
)
from engine.registry import OpDef, register
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(11)
S, F32, F64, I32 = engine.TensorSpec, engine.float32, engine.float64, engine.int32


def _partition_ref(data, partitions, n):
    return [data[partitions == i] for i in range(n)]


# --- dynamic_partition / dynamic_stitch -------------------------------------------------------
def test_dynamic_partition_matches_numpy_with_gradients():
    data = R.standard_normal((6, 3))
    ids = np.array([2, 0, 2, 1, 0, 2], np.int32)
    check_op(lambda d: dynamic_partition(d, ids, 4), lambda d: _partition_ref(d, ids, 4), [data])
    ids2 = np.array([[1, 0, 1], [0, 0, 1]], np.int64)  # partitions over two leading dims
    check_op(lambda d: dynamic_partition(d, ids2, 2), lambda d: _partition_ref(d, ids2, 2),
             [R.standard_normal((2, 3, 4))])
    parts = dynamic_partition(engine.constant([1, 2, 3]), 1, 2)  # a scalar id: the whole tensor
    assert parts[0].shape == [0, 3] and parts[1].numpy().tolist() == [[1, 2, 3]]


def test_dynamic_partition_errors():
    with pytest.raises(InvalidArgumentError, match=r"dynamic_partition: partitions must be in "
                                                   r"\[0, 2\)\.\nCondition x < y.*\n.*\[\[1\]\]"):
        dynamic_partition([1, 2, 3], [0, 2, 1], 2)
    with pytest.raises(InvalidArgumentError, match="partitions must be in .*\nCondition x >= 0"):
        dynamic_partition([1, 2], [0, -1], 2)
    with pytest.raises(ShapeError, match="does not start with the shape of partitions"):
        dynamic_partition(engine.zeros([3, 2]), [0, 1], 2)
    with pytest.raises(DTypeError, match="dynamic_partition: got partitions of dtype float32"):
        dynamic_partition([1.0], engine.constant([0.0]), 1)
    with pytest.raises(ValueError, match="num_partitions is 0; expected >= 1"):
        dynamic_partition([1.0], [0], 0)


def test_dynamic_partition_traced_with_unknown_sizes():
    @engine.function(input_signature=[S([None, 2], F64), S([None], I32)])
    def f(data, ids):
        with engine.GradientTape() as tape:
            tape.watch(data)
            parts = dynamic_partition(data, ids, 3)
            loss = engine.reduce_sum(parts[0] * 2.0) + engine.reduce_sum(parts[2] ** 2)
        return parts, tape.gradient(loss, data)

    data, ids = R.standard_normal((5, 2)), np.array([0, 2, 2, 1, 0], np.int32)
    parts, grad = f(data, ids)
    assert f.get_concrete_function().graph.outputs[0].shape.as_list() == [None, 2]
    for got, want in zip(parts, _partition_ref(data, ids, 3)):
        np.testing.assert_allclose(got.numpy(), want)
    want = np.where((ids == 0)[:, None], 2.0, 0.0) + np.where((ids == 2)[:, None], 2 * data, 0)
    np.testing.assert_allclose(grad.numpy(), want)
    with pytest.raises(InvalidArgumentError, match="Graph node .*partitions must be in"):
        f(data, np.array([0, 3, 0, 0, 0], np.int32))


def _stitch_ref(indices, data):
    tail = data[0].shape[np.ndim(indices[0]):]
    flat_ids = np.concatenate([np.reshape(i, -1) for i in indices])
    rows = np.concatenate([np.reshape(d, (-1,) + tail) for d in data])
    out = np.zeros((flat_ids.max() + 1,) + tail, rows.dtype)
    for i, row in zip(flat_ids, rows):  # in order: later entries win
        out[i] = row
    return out


def test_dynamic_stitch_matches_tensorflows_example():
    indices = [6, [4, 1], [[5, 2], [0, 3]]]
    data = [[61.0, 62.0], [[41.0, 42.0], [11.0, 12.0]],
            [[[51.0, 52.0], [21.0, 22.0]], [[1.0, 2.0], [31.0, 32.0]]]]
    got = dynamic_stitch(indices, data).numpy()
    np.testing.assert_array_equal(got, [[1, 2], [11, 12], [21, 22], [31, 32], [41, 42],
                                        [51, 52], [61, 62]])


def test_dynamic_stitch_repeats_gaps_and_gradients():
    indices = [np.array([0, 4, 2], np.int32), np.array([[2], [5]], np.int32)]  # 2 repeats, 1/3 gap
    arrays = [R.standard_normal((3, 2)), R.standard_normal((2, 1, 2))]
    check_op(lambda a, b: dynamic_stitch(indices, [a, b]),
             lambda a, b: _stitch_ref(indices, [a, b]), arrays)
    out = dynamic_stitch(indices, [engine.constant(a) for a in arrays]).numpy()
    np.testing.assert_array_equal(out[[1, 3]], 0.0)
    np.testing.assert_array_equal(out[2], arrays[1][0, 0])  # the later entry won
    ints = dynamic_stitch([[1, 0]], [engine.constant([7, 8], engine.int64)])
    assert ints.dtype is engine.int64 and ints.numpy().tolist() == [8, 7]


def test_dynamic_stitch_inverts_dynamic_partition_traced():
    @engine.function(input_signature=[S([None, 3], F64), S([None], I32)])
    def roundtrip(x, ids):
        positions = dynamic_partition(engine.range(engine.shape(x)[0]), ids, 2)
        parts = dynamic_partition(x, ids, 2)
        return dynamic_stitch(positions, [parts[0] * 10.0, parts[1]])

    x, ids = R.standard_normal((4, 3)), np.array([1, 0, 0, 1], np.int32)
    np.testing.assert_allclose(roundtrip(x, ids).numpy(), np.where((ids == 0)[:, None], 10 * x, x))


def test_dynamic_stitch_errors():
    with pytest.raises(InvalidArgumentError, match="dynamic_stitch: indices must be >= 0"):
        dynamic_stitch([[0, -1]], [[1.0, 2.0]])
    with pytest.raises(ShapeError, match=r"data\[0\] of shape \(3,\) must start with the shape "
                                         r"of indices\[0\], \(2,\)"):
        dynamic_stitch([[0, 1]], [[1.0, 2.0, 3.0]])
    with pytest.raises(ShapeError, match=r"data\[1\] has trailing shape \[3\]"):
        dynamic_stitch([[0], [1]], [engine.zeros([1, 2]), engine.zeros([1, 3])])
    with pytest.raises(ValueError, match="got 1 index tensors and 2 data tensors"):
        dynamic_stitch([[0]], [[1.0], [2.0]])
    with pytest.raises(DTypeError, match=r"got indices\[0\] of dtype float32"):
        dynamic_stitch([[0.0]], [[1.0]])


# --- numpy_function ---------------------------------------------------------------------------
def test_numpy_function_eager_and_traced():
    calls = []

    def stats(a, b):
        calls.append((type(a), type(b)))
        return a.sum(keepdims=True), (a * b).astype(np.int64)

    x, y = engine.constant([1.0, 2.0]), engine.constant([3.0, 4.0])
    total, prod = numpy_function(stats, [x, y], [F32, engine.int64])
    assert calls == [(np.ndarray, np.ndarray)]
    np.testing.assert_array_equal(total.numpy(), [3.0])
    assert prod.dtype is engine.int64 and prod.numpy().tolist() == [3, 8]

    @engine.function(input_signature=[S([None], F32)])
    def f(a):
        return numpy_function(np.sort, [a], F32) * 2.0

    np.testing.assert_array_equal(f(np.array([3.0, 1.0], np.float32)).numpy(), [2.0, 6.0])
    np.testing.assert_array_equal(f(np.array([5.0, 4.0], np.float32)).numpy(), [8.0, 10.0])
    assert numpy_function(lambda a: None, [x], None) is None


def test_numpy_function_checks_dtypes_and_has_no_gradient():
    with pytest.raises(InvalidArgumentError, match="numpy_function: '<lambda>' returned a "
                                                   "float64 array as output 0; Tout says float32"):
        numpy_function(lambda a: a.astype(np.float64), [engine.constant([1.0])], F32)
    assert numpy_function(lambda a: 2, [1.0], I32).numpy() == 2  # Python values convert
    x = engine.constant([1.0, 2.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reduce_sum(numpy_function(np.square, [x], F32))
    assert tape.gradient(y, x) is None


# --- recompute_grad ---------------------------------------------------------------------------
def _block(w):
    def block(x, scale=1.0):
        h = engine.tanh(engine.matmul(x, w)) * scale
        return engine.sin(h) + x[:, :1], h
    return block


def test_recompute_grad_matches_plain_gradients_and_recomputes():
    w = engine.Variable(R.standard_normal((3, 3)))
    x = engine.constant(R.standard_normal((2, 3)))
    plain, checkpointed = _block(w), recompute_grad(_block(w))

    def grads(fn, count=None):
        with engine.GradientTape() as tape:
            tape.watch(x)
            a, b = fn(x, scale=2.0)
            loss = engine.reduce_sum(a ** 2) + engine.reduce_sum(b)
        with hooks.subscribe("op", lambda e: count.append(e.op) if count is not None else None):
            return tape.gradient(loss, [x, w])

    ran = []
    want, got = grads(plain), grads(checkpointed, ran)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12)
    assert "Tanh" in ran and "MatMul" in ran  # the backward pass ran f's forward again
    check_grad(lambda t: recompute_grad(_block(w))(t)[0], [R.standard_normal((2, 3))])


def test_recompute_grad_traced_and_without_tape():
    w = engine.Variable(R.standard_normal((3, 3)))
    fn = recompute_grad(_block(w))
    x = R.standard_normal((2, 3))
    np.testing.assert_allclose(fn(engine.constant(x))[0].numpy(), _block(w)(x)[0].numpy())

    @engine.function(input_signature=[S([None, 3], F64)])
    def step(t):
        with engine.GradientTape() as tape:
            loss = engine.reduce_sum(fn(t)[0])
        return tape.gradient(loss, w)

    with engine.GradientTape() as tape:
        loss = engine.reduce_sum(_block(w)(engine.constant(x))[0])
    np.testing.assert_allclose(step(x).numpy(), tape.gradient(loss, w).numpy(), rtol=1e-12)


# --- no_gradient ------------------------------------------------------------------------------
_TRIPLE = register(OpDef("test_triple", "TestTriple", ("x",), lambda x: x,
                         lambda xp, x: x * 3, vjp=lambda ctx, g: (g * 3,)))


def test_no_gradient_makes_an_op_non_differentiable():
    x = engine.constant([1.0, 2.0])

    def grad(fn):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.reduce_sum(fn(x))
        return tape.gradient(y, x)

    triple = engine.function(lambda t: engine.raw_ops.TestTriple(x=t))
    np.testing.assert_array_equal(grad(lambda t: engine.raw_ops.TestTriple(x=t)).numpy(), [3, 3])
    assert no_gradient("TestTriple") is None
    assert registry.get("test_triple").vjp is None
    assert grad(lambda t: engine.raw_ops.TestTriple(x=t)) is None
    assert grad(triple) is None
    np.testing.assert_array_equal(engine.raw_ops.TestTriple(x=x).numpy(), [3.0, 6.0])
    with pytest.raises(KeyError, match="No op named 'TestTripel'.*Did you mean TestTriple"):
        no_gradient("TestTripel")
    with pytest.raises(TypeError, match="no_gradient: op_type must be an op name"):
        no_gradient(_TRIPLE)


# --- math and nn ------------------------------------------------------------------------------
def test_log_sigmoid():
    x = np.concatenate([R.standard_normal(6) * 3, [-200.0, 200.0]])
    check_op(log_sigmoid, lambda a: -np.logaddexp(0, -a), [x])
    assert np.isfinite(log_sigmoid(engine.constant([-1000.0])).numpy()).all()


def _cumulative_logsumexp_ref(x, axis=0, exclusive=False, reverse=False):
    y = np.moveaxis(x, axis, -1)
    y = y[..., ::-1] if reverse else y
    out = np.logaddexp.accumulate(y.astype(np.float64), axis=-1).astype(x.dtype)
    if exclusive:
        out = np.concatenate([np.full(out.shape[:-1] + (1,), -np.inf, x.dtype), out[..., :-1]],
                             axis=-1)
    out = out[..., ::-1] if reverse else out
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumulative_logsumexp(axis, exclusive, reverse):
    kwargs = dict(axis=axis, exclusive=exclusive, reverse=reverse)
    # Exclusive scans start at -inf: clip it so that finite differences stay finite.
    check_op(lambda x, **kw: engine.maximum(cumulative_logsumexp(x, **kw), -50.0),
             lambda x, **kw: np.maximum(_cumulative_logsumexp_ref(x, **kw), -50.0),
             [R.standard_normal((3, 5)) * 3], kwargs)


def test_cumulative_logsumexp_is_stable_and_traces():
    x = np.array([0.0, 1000.0, 1000.0, -1000.0], np.float32)
    got = cumulative_logsumexp(x).numpy()
    np.testing.assert_allclose(got, [0.0, 1000.0, 1000.0 + np.log(2), 1000.0 + np.log(2)])
    check_grad(cumulative_logsumexp, [np.array([-50.0, 700.0, 710.0, 3.0])])
    traced = engine.function(lambda t: cumulative_logsumexp(t, axis=1, reverse=True),
                             input_signature=[S([None, None], F64)])
    x = R.standard_normal((2, 7))
    np.testing.assert_allclose(traced(x).numpy(), _cumulative_logsumexp_ref(x, 1, reverse=True))


def test_cumulative_logsumexp_scan_for_other_array_modules():
    """The Hillis-Steele branch that CuPy runs, checked here with NumPy behind a shim."""
    xp = types.SimpleNamespace(**{n: getattr(np, n) for n in (
        "moveaxis", "concatenate", "logaddexp", "full", "ascontiguousarray", "inf")})
    x = R.standard_normal((3, 9))
    for kwargs in ({}, {"axis": 1, "exclusive": True}, {"axis": 1, "reverse": True}):
        np.testing.assert_allclose(misc_extras._lse_kernel(xp, x, **kwargs),
                                   _cumulative_logsumexp_ref(x, **kwargs), rtol=1e-12)


def test_cumulative_logsumexp_errors():
    with pytest.raises(DTypeError, match="cumulative_logsumexp: got dtype int32"):
        cumulative_logsumexp(engine.constant([1, 2]))
    with pytest.raises(ShapeError, match="got a scalar"):
        cumulative_logsumexp(engine.constant(1.0))
    with pytest.raises(ShapeError, match="axis 2 is out of range"):
        cumulative_logsumexp(engine.zeros([2, 2]), axis=2)


def test_polyval():
    coeffs = [R.standard_normal((1, 3)), R.standard_normal(3), R.standard_normal(())]
    check_op(lambda a, b, c, x: polyval([a, b, c], x),
             lambda a, b, c, x: (a * x + b) * x + c,
             coeffs + [R.standard_normal((2, 3))])
    x = engine.constant([1.0, 2.0])
    np.testing.assert_array_equal(polyval([], x).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(polyval([5.0], x).numpy(), [5.0, 5.0])
    np.testing.assert_array_equal(polyval([1, 2, 3], engine.constant([2])).numpy(), [11])
    with pytest.raises(TypeError, match="polyval: coeffs must be a list"):
        polyval(engine.constant([1.0, 2.0]), x)


def _lrn_ref(x, depth_radius=5, bias=1, alpha=1, beta=0.5):
    sq = np.pad(x ** 2, [(0, 0)] * 3 + [(depth_radius, depth_radius)])
    depth = x.shape[-1]
    window = sum(sq[..., k:k + depth] for k in range(2 * depth_radius + 1))
    return x / (bias + alpha * window) ** beta


@pytest.mark.parametrize("kwargs", [{}, {"depth_radius": 1, "bias": 2.0, "alpha": 0.5,
                                         "beta": 0.75}, {"depth_radius": 0}])
def test_local_response_normalization(kwargs):
    check_op(local_response_normalization, _lrn_ref, [R.standard_normal((2, 3, 2, 7))], kwargs)


def test_local_response_normalization_traced_and_errors():
    traced = engine.function(lambda x: local_response_normalization(x, 2),
                             input_signature=[S([None, None, None, None], F32)])
    x = R.standard_normal((1, 2, 2, 4)).astype(np.float32)
    np.testing.assert_allclose(traced(x).numpy(), _lrn_ref(x, 2), rtol=1e-5)
    with pytest.raises(ShapeError, match="expected a rank-4 \\(NHWC\\) input"):
        local_response_normalization(engine.zeros([2, 3]))
