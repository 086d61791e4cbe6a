"""Core shape ops: forward against NumPy, gradients against finite differences."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError
from tests.opcheck import check_op

R = np.random.default_rng(7)


def test_reshape():
    check_op(lambda x: engine.reshape(x, [3, -1]), lambda x: x.reshape(3, -1),
             [R.standard_normal((2, 6))])
    check_op(lambda x: engine.reshape(x, engine.constant([4, 3])), lambda x: x.reshape(4, 3),
             [R.standard_normal((2, 6))])
    with pytest.raises(ShapeError, match=r"reshape: cannot reshape .*\(2, 6\).*\[5, -1\]"):
        engine.reshape(engine.zeros([2, 6]), [5, -1])
    with pytest.raises(ShapeError, match="more than one -1"):
        engine.reshape(engine.zeros([2, 6]), [-1, -1])


def test_transpose_and_expand_squeeze():
    x = R.standard_normal((2, 3, 4))
    check_op(lambda t: engine.transpose(t, [2, 0, 1]), lambda a: a.transpose(2, 0, 1), [x])
    check_op(engine.transpose, lambda a: a.T, [x])
    check_op(lambda t: engine.expand_dims(t, -1), lambda a: a[..., None], [x])
    y = R.standard_normal((2, 1, 3, 1))
    check_op(engine.squeeze, np.squeeze, [y])
    check_op(lambda t: engine.squeeze(t, [1]), lambda a: a.squeeze(1), [y])
    with pytest.raises(ShapeError, match="squeeze: cannot squeeze axis 2"):
        engine.squeeze(engine.constant(y), [2])
    with pytest.raises(ShapeError, match="perm"):
        engine.transpose(engine.constant(x), [0, 0, 1])


def test_stack_unstack():
    a, b = R.standard_normal((2, 3)), R.standard_normal((2, 3))
    check_op(lambda x, y: engine.stack([x, y], axis=1), lambda x, y: np.stack([x, y], 1), [a, b])
    check_op(lambda x: engine.unstack(x, axis=1), lambda x: list(np.moveaxis(x, 1, 0)), [a])
    with pytest.raises(ShapeError, match="stack: got shapes"):
        engine.stack([engine.zeros([2]), engine.zeros([3])])


def test_concat():
    a, b = R.standard_normal((2, 3)), R.standard_normal((2, 1))
    check_op(lambda x, y: engine.concat([x, y], axis=1), lambda x, y: np.concatenate([x, y], 1),
             [a, b])
    with pytest.raises(ShapeError, match="concat"):
        engine.concat([engine.zeros([2, 3]), engine.zeros([3, 3])], axis=1)


def test_broadcast_to_and_fill():
    check_op(lambda x: engine.broadcast_to(x, [4, 3]), lambda x: np.broadcast_to(x, (4, 3)),
             [R.standard_normal((1, 3))])
    check_op(lambda v: engine.fill([2, 3], v), lambda v: np.full((2, 3), v), [np.array(1.5)])
    assert engine.zeros([2], engine.int32).dtype == engine.int32
    np.testing.assert_array_equal(engine.ones([2, 2]).numpy(), np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(engine.zeros_like(engine.constant([1, 2])).numpy(), [0, 0])
    assert engine.ones_like(engine.constant([1, 2]), dtype=engine.float32).dtype == engine.float32
    with pytest.raises(ShapeError, match="broadcast_to"):
        engine.broadcast_to(engine.zeros([3]), [4, 2])


def test_where():
    c = R.random((3, 4)) > 0.5
    x, y = R.standard_normal((3, 4)), R.standard_normal((1, 4))
    check_op(lambda a, b: engine.where(c, a, b), lambda a, b: np.where(c, a, b), [x, y])
    coords = engine.where(engine.constant([[True, False], [False, True]]))
    np.testing.assert_array_equal(coords.numpy(), [[0, 0], [1, 1]])
    assert coords.dtype == engine.int64
    with pytest.raises(DTypeError, match="where: condition must be bool"):
        engine.where(engine.constant([1.0]), 1.0, 2.0)


def test_identity_and_stop_gradient():
    x = engine.constant([1.0, 2.0])
    with engine.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = engine.identity(x) * engine.stop_gradient(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), x.numpy())


def test_shape_queries():
    t = engine.zeros([2, 3, 4])
    np.testing.assert_array_equal(engine.shape(t).numpy(), [2, 3, 4])
    assert int(engine.size(t)) == 24
    assert int(engine.rank(t)) == 3
    assert engine.shape(t, out_type=engine.int64).dtype == engine.int64


def test_identity_and_check_numerics_gradients():
    x = R.standard_normal((2, 3))
    check_op(engine.identity, lambda a: a, [x])
    check_op(lambda t: engine.debugging.check_numerics(t, "x") * t, lambda a: a * a, [x])
