"""one_hot: values against NumPy, dtypes, axes, shape inference and errors."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError

SPEC = engine.TensorSpec


def test_one_hot():
    idx = np.array([[0, 3], [-1, 2]])
    np.testing.assert_array_equal(engine.one_hot(idx, 3).numpy(),
                                  (idx[..., None] == np.arange(3)).astype(np.float32))
    out = engine.one_hot(idx, 4, on_value=5, off_value=-1, axis=0)
    assert out.dtype == engine.int32 and out.shape == engine.TensorShape([4, 2, 2])
    np.testing.assert_array_equal(out.numpy(),
                                  np.where(np.arange(4)[:, None, None] == idx, 5, -1))
    assert engine.one_hot([1], 2, dtype=engine.float64).dtype == engine.float64
    spec = engine.registry.get("OneHot").infer(SPEC([None], engine.int32), SPEC([], engine.int8),
                                               SPEC([], engine.int8), depth=3, axis=0)
    assert spec.shape.as_list() == [3, None] and spec.dtype == engine.int8
    with pytest.raises(ShapeError, match="one_hot: axis 3 is out of range"):
        engine.one_hot([0], 2, axis=3)
