"""Sequence ops: range (dtype inference, errors, raw op) and linspace (with gradients)."""

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from tests.opcheck import check_op

R = np.random.default_rng(5)


def test_range():
    for args, kwargs, expected in [
            ((5,), {}, np.arange(5, dtype=np.int32)),
            ((3, 10, 3), {}, np.arange(3, 10, 3, dtype=np.int32)),
            ((10, 2, -3), {}, np.arange(10, 2, -3, dtype=np.int32)),
            ((0.0, 1.0, 0.25), {}, np.arange(0, 1, 0.25, dtype=np.float32)),
            ((0, 2.5), {}, np.arange(0, 2.5, dtype=np.float32)),
            ((4,), {"dtype": engine.float64}, np.arange(4.0)),
            ((engine.constant(np.int64(3)),), {}, np.arange(3, dtype=np.int64)),
            ((2, 2), {}, np.arange(0, dtype=np.int32))]:
        out = engine.range(*args, **kwargs).numpy()
        assert out.dtype == expected.dtype, (args, out.dtype)
        np.testing.assert_array_equal(out, expected)
    with pytest.raises(InvalidArgumentError, match="range: got start=5, limit=1, delta=1"):
        engine.range(5, 1)
    with pytest.raises(InvalidArgumentError, match="delta is 0"):
        engine.range(0, 5, 0)
    np.testing.assert_array_equal(engine.raw_ops.Range(start=1, limit=4, delta=1).numpy(),
                                  [1, 2, 3])


def test_linspace():
    check_op(lambda a, b: engine.linspace(a, b, 5), lambda a, b: np.linspace(a, b, 5),
             [np.array(-1.0), np.array(2.0)])
    start, stop = R.standard_normal((2, 1)), R.standard_normal((1, 3))
    check_op(lambda a, b: engine.linspace(a, b, 4, axis=-1),
             lambda a, b: np.linspace(a, b, 4, axis=-1), [start, stop])
    check_op(lambda a, b: engine.linspace(a, b, 1, axis=1),
             lambda a, b: np.linspace(a, b, 1, axis=1), [start, stop])
    assert engine.linspace(0, 4, 5).dtype == engine.float64  # integer ends: float64, as TF
