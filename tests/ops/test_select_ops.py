"""where: forward against NumPy, gradients against finite differences."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError
from tests.opcheck import check_op

R = np.random.default_rng(7)


def test_where():
    c = R.random((3, 4)) > 0.5
    x, y = R.standard_normal((3, 4)), R.standard_normal((1, 4))
    check_op(lambda a, b: engine.where(c, a, b), lambda a, b: np.where(c, a, b), [x, y])
    coords = engine.where(engine.constant([[True, False], [False, True]]))
    np.testing.assert_array_equal(coords.numpy(), [[0, 0], [1, 1]])
    assert coords.dtype == engine.int64
    with pytest.raises(DTypeError, match="where: condition must be bool"):
        engine.where(engine.constant([1.0]), 1.0, 2.0)
