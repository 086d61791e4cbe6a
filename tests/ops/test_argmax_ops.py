"""argmax and argmin: forward against NumPy; not differentiable."""

import numpy as np
import pytest

import engine
from engine import registry
from engine.errors import DTypeError, ShapeError

R = np.random.default_rng(7)


@pytest.mark.parametrize("fn,ref", [(engine.argmax, np.argmax), (engine.argmin, np.argmin)])
def test_argmax_argmin(fn, ref):
    x = R.standard_normal((3, 4, 5))
    for axis in (0, 1, -1):
        out = fn(engine.constant(x), axis=axis)
        assert out.dtype is engine.int64
        np.testing.assert_array_equal(out.numpy(), ref(x, axis=axis))
    np.testing.assert_array_equal(fn(engine.constant(x)).numpy(), ref(x, axis=0))  # None: 0
    out = fn(engine.constant([[2, 7, 7, 2]]), axis=1, output_type=engine.int32)
    assert out.dtype is engine.int32 and out.numpy().tolist() == [1 if fn is engine.argmax else 0]
    # Not differentiable: the tape records nothing and the gradient is None.
    t = engine.constant(x)
    with engine.GradientTape() as tape:
        tape.watch(t)
        y = engine.cast(fn(t, axis=0), engine.float64)
    assert tape.gradient(y, t) is None


def test_infer_with_unknown_dims():
    spec = engine.TensorSpec([None, 3, None], engine.float32)
    out = registry.get("ArgMax").infer(spec, axis=1, output_type=engine.int32)
    assert out.shape.as_list() == [None, None] and out.dtype is engine.int32


def test_errors_name_the_op():
    x = engine.zeros([2, 3])
    with pytest.raises(ShapeError, match="argmax: axis 0 of shape \\(0, 2\\) is empty"):
        engine.argmax(engine.zeros([0, 2]), axis=0)
    with pytest.raises(ShapeError, match="argmin: axis 3 is out of range"):
        engine.argmin(x, axis=3)
    with pytest.raises(DTypeError, match="argmax: got output_type float32"):
        engine.argmax(x, output_type=engine.float32)


def test_raw_ops():
    x = engine.constant([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    np.testing.assert_array_equal(engine.raw_ops.ArgMax(input=x, dimension=1), [1, 2])
