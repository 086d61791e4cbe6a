"""eye, diagonals, trace and bands: forward against NumPy, gradients numerically."""

import numpy as np
import pytest

import engine
from engine import registry
from engine.errors import ShapeError, UnimplementedError
from tests.opcheck import check_op

R = np.random.default_rng(3)
la = engine.linalg


def _any(*shape):
    return R.standard_normal(shape)


def test_eye():
    assert engine.eye is la.eye
    np.testing.assert_array_equal(la.eye(3).numpy(), np.eye(3, dtype=np.float32))
    out = la.eye(2, 3, batch_shape=[4, 1], dtype=engine.int32)
    assert out.shape == (4, 1, 2, 3) and out.dtype is engine.int32
    np.testing.assert_array_equal(out.numpy()[3, 0], np.eye(2, 3))


@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag_and_diag_part(k):
    def np_diag(d, k):
        n = d.shape[-1] + abs(k)
        out = np.zeros(d.shape[:-1] + (n, n), d.dtype)
        i = np.arange(d.shape[-1])
        out[..., i + max(-k, 0), i + max(k, 0)] = d
        return out

    check_op(la.diag, np_diag, [_any(2, 3)], {"k": k})
    check_op(la.diag_part, lambda x, k: np.diagonal(x, k, -2, -1), [_any(2, 4, 5)], {"k": k})


def test_diag_sizes_and_padding():
    d = engine.constant([1.0, 2.0])
    out = la.diag(d, num_rows=3, num_cols=4, padding_value=9)
    np.testing.assert_array_equal(out.numpy(), [[1, 9, 9, 9], [9, 2, 9, 9], [9, 9, 9, 9]])
    check_op(lambda x: la.diag(x, k=1, num_rows=4, num_cols=5),
             lambda x: np.pad(np.diag(x, 1), ((0, 1), (0, 2)))[:4, :5], [_any(2)])
    with pytest.raises(ShapeError, match="diag: a diagonal of length 2 at k=0 needs"):
        la.diag(d, num_rows=1)
    with pytest.raises(UnimplementedError, match="diag_part.*single diagonal"):
        la.diag_part(la.eye(3), k=(-1, 1))
    assert la.trace(engine.constant([[1.0, 2.0], [3.0, 4.0]])).numpy() == 5.0
    check_op(la.trace, lambda x: np.trace(x, axis1=-2, axis2=-1), [_any(2, 3, 3)])


@pytest.mark.parametrize("lower,upper", [(-1, 0), (0, -1), (1, 2), (0, 0), (-1, -1)])
def test_band_part(lower, upper):
    def ref(x, num_lower, num_upper):
        r, c = np.indices(x.shape[-2:])
        keep = ((num_lower < 0) | (r - c <= num_lower)) & ((num_upper < 0) | (c - r <= num_upper))
        return np.where(keep, x, 0)

    check_op(la.band_part, ref, [_any(2, 3, 4)], {"num_lower": lower, "num_upper": upper})


def test_infer_with_unknown_dims():
    f32 = engine.float32
    out = registry.get("MatrixDiagPartV3").infer(engine.TensorSpec([2, None, 4], f32), k=1)
    assert out.shape.as_list() == [2, None]
    out = registry.get("MatrixDiagV3").infer(engine.TensorSpec([None, 3], f32), k=-1)
    assert out.shape.as_list() == [None, 4, 4]


def test_raw_ops():
    a = engine.constant([[2.0, 1.0], [1.0, 2.0]])
    np.testing.assert_array_equal(engine.raw_ops.MatrixDiagPartV3(input=a, k=0), [2.0, 2.0])
