"""fill, zeros, ones, zeros_like and ones_like: values, dtypes and the gradient of fill."""

import numpy as np

import engine
from tests.opcheck import check_op


def test_fill_zeros_ones():
    check_op(lambda v: engine.fill([2, 3], v), lambda v: np.full((2, 3), v), [np.array(1.5)])
    assert engine.zeros([2], engine.int32).dtype == engine.int32
    np.testing.assert_array_equal(engine.ones([2, 2]).numpy(), np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(engine.zeros_like(engine.constant([1, 2])).numpy(), [0, 0])
    assert engine.ones_like(engine.constant([1, 2]), dtype=engine.float32).dtype == engine.float32
