"""stack, unstack and concat: forward against NumPy, gradients against finite differences."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.opcheck import check_op

R = np.random.default_rng(7)


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


def test_unstack_num_must_match():
    with pytest.raises(ShapeError, match="unstack: num=5 but dimension 0"):
        engine.unstack(engine.zeros([3, 2]), num=5)
