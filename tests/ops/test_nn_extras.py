"""engine.nn extras: embedding_lookup, space_to_depth / depth_to_space, weighted_moments,
scale_regularization_loss: against NumPy references, with float64 numerical gradients, traced."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError
from engine.ops.nn_extras import (
    depth_to_space,
    embedding_lookup,
    scale_regularization_loss,
    space_to_depth,
    weighted_moments,
)
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(5)


# --- embedding_lookup ---------------------------------------------------------------------------
def test_embedding_lookup_is_a_gather_with_its_gradient():
    ids = np.array([[4, 0], [2, 2]], np.int32)
    check_op(lambda p: embedding_lookup(p, ids), lambda p: p[ids], [R.standard_normal((5, 3))])


def _np_clipped(rows, max_norm):
    norms = np.sqrt((rows ** 2).sum(-1, keepdims=True))
    return rows * max_norm / np.maximum(norms, max_norm)


def test_embedding_lookup_max_norm_clips_rows():
    table = R.standard_normal((6, 4)) * 2
    ids = np.array([[5, 1, 1]], np.int64)
    check_op(lambda p: embedding_lookup(p, ids, max_norm=1.5),
             lambda p: _np_clipped(p[ids], 1.5), [table])
    rows = embedding_lookup(table, ids, max_norm=1.5).numpy()
    assert np.all(np.linalg.norm(rows, axis=-1) <= 1.5 + 1e-9)


def test_embedding_lookup_div_sharded_variables_get_gradients():
    table = R.standard_normal((7, 2)).astype(np.float32)
    shards = [engine.Variable(table[:3]), engine.Variable(table[3:5]), engine.Variable(table[5:])]
    ids = np.array([6, 0, 3, 3], np.int32)
    with engine.GradientTape() as tape:
        out = embedding_lookup(shards, ids)
        loss = engine.reduce_sum(out * np.arange(8, dtype=np.float32).reshape(4, 2))
    np.testing.assert_array_equal(out.numpy(), table[ids])
    grads = tape.gradient(loss, shards)
    full = np.zeros_like(table)
    np.add.at(full, ids, np.arange(8, dtype=np.float32).reshape(4, 2))
    for g, want in zip(grads, (full[:3], full[3:5], full[5:])):
        np.testing.assert_array_equal(np.asarray(g), want)


def test_embedding_lookup_sharded_gradient_numerically():
    table = R.standard_normal((5, 3))
    ids = np.array([4, 1, 2], np.int32)
    check_grad(lambda a, b: embedding_lookup([a, b], ids, max_norm=1.0), [table[:3], table[3:]])


def test_embedding_lookup_traced():
    @engine.function(input_signature=[engine.TensorSpec([None, 3]),
                                      engine.TensorSpec([None], engine.int32)])
    def f(table, ids):
        return embedding_lookup(table, ids, max_norm=1.0)

    table = R.standard_normal((6, 3)).astype(np.float32)
    ids = np.array([5, 0, 5], np.int32)
    np.testing.assert_allclose(f(table, ids).numpy(), _np_clipped(table[ids], 1.0), rtol=1e-6)


def test_embedding_lookup_errors():
    with pytest.raises(ValueError, match="params is empty"):
        embedding_lookup([], [0])
    with pytest.raises(ShapeError, match=r"got shards of \[1, 3\] rows; expected \[2, 2\]"):
        embedding_lookup([np.zeros((1, 2)), np.zeros((3, 2))], [0])
    with pytest.raises(DTypeError, match="ids of dtype float32"):
        embedding_lookup(np.zeros((3, 2)), [0.0])
    with pytest.raises(IndexError):
        embedding_lookup(np.zeros((3, 2)), [3])


# --- space_to_depth / depth_to_space ------------------------------------------------------------
def _np_space_to_depth(x, b):
    """out[n, i, j, (by * b + bx) * c + k] = x[n, i * b + by, j * b + bx, k], by loops."""
    n, h, w, c = x.shape
    out = np.empty((n, h // b, w // b, b * b * c), x.dtype)
    for by in range(b):
        for bx in range(b):
            start = (by * b + bx) * c
            out[..., start:start + c] = x[:, by::b, bx::b, :]
    return out


def _np_depth_to_space(x, b):
    n, h, w, c = x.shape
    k = c // (b * b)
    out = np.empty((n, h * b, w * b, k), x.dtype)
    for by in range(b):
        for bx in range(b):
            start = (by * b + bx) * k
            out[:, by::b, bx::b, :] = x[..., start:start + k]
    return out


def _nchw(fn):
    return lambda x, *args: np.transpose(fn(np.transpose(x, (0, 2, 3, 1)), *args), (0, 3, 1, 2))


@pytest.mark.parametrize("block", [2, 3])
def test_space_to_depth_and_back(block):
    x = R.standard_normal((2, 2 * block, 3 * block, 3))
    check_op(lambda t: space_to_depth(t, block), lambda a: _np_space_to_depth(a, block), [x])
    deep = R.standard_normal((2, 2, 3, 2 * block * block))
    check_op(lambda t: depth_to_space(t, block), lambda a: _np_depth_to_space(a, block), [deep])
    np.testing.assert_array_equal(depth_to_space(space_to_depth(x, block), block).numpy(), x)


def test_space_to_depth_nchw():
    x = R.standard_normal((2, 3, 4, 6))
    check_op(lambda t: space_to_depth(t, 2, "NCHW"), _nchw(lambda a: _np_space_to_depth(a, 2)),
             [x])
    deep = R.standard_normal((2, 8, 2, 3))
    check_op(lambda t: depth_to_space(t, 2, data_format="NCHW"),
             _nchw(lambda a: _np_depth_to_space(a, 2)), [deep])


def test_space_to_depth_documented_example():
    x = np.arange(1, 13).reshape(1, 2, 2, 3)
    np.testing.assert_array_equal(space_to_depth(x, 2).numpy(), [[[np.arange(1, 13)]]])
    np.testing.assert_array_equal(depth_to_space(np.arange(1, 5).reshape(1, 1, 1, 4), 2).numpy(),
                                  [[[[1], [2]], [[3], [4]]]])


def test_space_to_depth_traced_with_unknown_dims():
    @engine.function(input_signature=[engine.TensorSpec([None, None, None, 2])])
    def f(x):
        y = space_to_depth(x, 2)
        return y, depth_to_space(y, 2)

    x = R.standard_normal((3, 4, 6, 2)).astype(np.float32)
    y, back = f(x)
    np.testing.assert_array_equal(y.numpy(), _np_space_to_depth(x, 2))
    np.testing.assert_array_equal(back.numpy(), x)


def test_space_to_depth_errors():
    with pytest.raises(ShapeError, match="height 3 is not divisible by block_size 2"):
        space_to_depth(np.zeros((1, 3, 4, 1)), 2)
    with pytest.raises(ShapeError, match="depth 6 is not divisible"):
        depth_to_space(np.zeros((1, 2, 2, 6)), 2)
    with pytest.raises(ValueError, match="block_size=1"):
        space_to_depth(np.zeros((1, 2, 2, 1)), 1)
    with pytest.raises(ValueError, match="data_format='NCHW_VECT_C'"):
        depth_to_space(np.zeros((1, 2, 2, 4)), 2, "NCHW_VECT_C")
    with pytest.raises(ShapeError, match="expected rank 4"):
        space_to_depth(np.zeros((2, 2, 1)), 2)


# --- weighted_moments and scale_regularization_loss ---------------------------------------------
def _np_weighted_moments(x, w, axes, keepdims=False):
    axes = tuple(axes) if isinstance(axes, list) else axes
    w = np.broadcast_to(w, np.broadcast_shapes(x.shape, w.shape))
    mean = (w * x).sum(axes, keepdims=True) / w.sum(axes, keepdims=True)
    var = (w * (x - mean) ** 2).sum(axes, keepdims=True) / w.sum(axes, keepdims=True)
    if not keepdims:
        mean, var = np.squeeze(mean, axes), np.squeeze(var, axes)
    return mean, var


@pytest.mark.parametrize("axes, keepdims", [([0], False), ([0, 2], True), (1, False)])
def test_weighted_moments(axes, keepdims):
    x = R.standard_normal((4, 3, 5))
    w = R.uniform(0.5, 2.0, (4, 1, 5))
    check_op(lambda a, b: weighted_moments(a, axes, b, keepdims=keepdims),
             lambda a, b: _np_weighted_moments(a, b, axes, keepdims), [x, w])


def test_weighted_moments_half_precision_and_traced():
    x = R.standard_normal((8, 3)).astype(np.float16)
    mean, var = weighted_moments(x, [0], np.ones((8, 1), np.float32))
    assert mean.dtype is engine.float16 and var.dtype is engine.float16
    want = _np_weighted_moments(x.astype(np.float32), np.ones((8, 1)), [0])
    np.testing.assert_allclose(mean.numpy(), want[0], rtol=2e-3, atol=2e-3)

    @engine.function(input_signature=[engine.TensorSpec([None, 3]), engine.TensorSpec([None, 1])])
    def f(a, b):
        return weighted_moments(a, [0], b)

    a, b = R.standard_normal((6, 3)), R.uniform(0.5, 2.0, (6, 1))
    for got, want in zip(f(a.astype(np.float32), b.astype(np.float32)),
                         _np_weighted_moments(a, b, [0])):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)


def test_scale_regularization_loss_sums_over_one_replica():
    check_op(scale_regularization_loss, np.sum, [R.standard_normal((3, 4))])
    out = scale_regularization_loss(engine.constant([1, 2]))
    assert out.dtype is engine.float64 and float(out) == 3.0
