"""SumToShape, the run-time sum of broadcasting ops' gradients, against NumPy."""

import numpy as np
import pytest

import engine
from tests.opcheck import check_op

R = np.random.default_rng(3)


def _sum_to(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape)
                                      if d == 1 and x.shape[lead + i] != 1)
    return x.sum(axis=axes, keepdims=True).reshape(shape)


@pytest.mark.parametrize("x_shape, shape", [
    ((4, 3), (1, 3)), ((4, 3), (3,)), ((2, 4, 3), (4, 1)), ((4, 3), (4, 3)), ((2, 3), ()),
    ((1, 3), (1, 1)),
])
def test_sum_to_shape(x_shape, shape):
    def fn(x):
        return engine.raw_ops.SumToShape(input=x, shape=engine.constant(shape, engine.int32))

    check_op(fn, lambda x: _sum_to(x, shape), [R.standard_normal(x_shape)])
