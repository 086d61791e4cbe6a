"""Core shape ops: forward against NumPy, gradients against finite differences."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
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


def test_broadcast_to():
    check_op(lambda x: engine.broadcast_to(x, [4, 3]), lambda x: np.broadcast_to(x, (4, 3)),
             [R.standard_normal((1, 3))])
    with pytest.raises(ShapeError, match="broadcast_to"):
        engine.broadcast_to(engine.zeros([3]), [4, 2])


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
