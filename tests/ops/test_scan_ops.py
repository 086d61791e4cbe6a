"""cumsum and cumprod: forward against NumPy, gradients numerically."""

import numpy as np
import pytest

import engine
from engine import registry
from engine.errors import ShapeError
from tests.opcheck import check_grad, check_op, grad_of

R = np.random.default_rng(7)


def _pos(*shape):
    return R.uniform(0.5, 1.5, shape)


def _np_scan(fn, identity):
    def ref(x, axis=0, exclusive=False, reverse=False):
        if reverse:
            x = np.flip(x, axis)
        out = fn(x, axis=axis)
        if exclusive:
            pad = np.full_like(np.take(out, [0], axis=axis), identity)
            out = np.concatenate([pad, np.delete(out, -1, axis=axis)], axis=axis)
        return np.flip(out, axis) if reverse else out

    return ref


SCANS = [("cumsum", engine.cumsum, _np_scan(np.cumsum, 0)),
         ("cumprod", engine.math.cumprod, _np_scan(np.cumprod, 1))]


@pytest.mark.parametrize("name,fn,ref", SCANS, ids=[s[0] for s in SCANS])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_scans(name, fn, ref, axis, exclusive, reverse):
    kwargs = {"axis": axis, "exclusive": exclusive, "reverse": reverse}
    check_op(fn, ref, [_pos(3, 4, 2)], kwargs)
    x = np.arange(1, 13, dtype=np.int32).reshape(3, 4)
    check_op(fn, ref, [x], {**kwargs, "axis": min(axis, 1)}, grad=False)
    assert fn(engine.constant(x), axis=0).dtype is engine.int32


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumprod_gradient_with_zeros(exclusive, reverse):
    kwargs = {"axis": 1, "exclusive": exclusive, "reverse": reverse}
    x = np.array([[2.0, 0.0, 3.0, 0.5, 0.0, 4.0], [0.0, 0.0, 1.5, 2.0, -1.0, 0.5],
                  [1.5, 2.0, -0.5, 3.0, 0.0, 0.0]])
    grads = check_grad(engine.math.cumprod, [x], kwargs)
    assert np.all(np.isfinite(grads[0].numpy()))


def test_second_order_gradients():
    x = _pos(3, 4)
    check_grad(grad_of(lambda t: engine.math.cumprod(t, axis=1, exclusive=True) ** 2), [x])


def test_infer_with_unknown_dims():
    spec = engine.TensorSpec([None, 3, None], engine.float32)
    out = registry.get("Cumprod").infer(spec, axis=2, exclusive=True, reverse=False)
    assert out.shape.as_list() == [None, 3, None]


def test_errors_name_the_op():
    x = engine.zeros([2, 3])
    with pytest.raises(ShapeError, match="cumsum: got a scalar"):
        engine.cumsum(engine.constant(1.0))
    with pytest.raises(ShapeError, match="cumprod: axis -3"):
        engine.math.cumprod(x, axis=-3)


def test_raw_ops():
    x = engine.constant([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    np.testing.assert_array_equal(engine.raw_ops.Cumsum(x=x, axis=1, exclusive=True),
                                  [[0, 1, 6], [0, 4, 7]])
