"""matmul, matvec and matrix transposes: forward against NumPy, gradients numerically."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError
from tests.opcheck import check_op

R = np.random.default_rng(3)
la = engine.linalg


def _any(*shape):
    return R.standard_normal(shape)


def _np_matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False):
    if transpose_a or adjoint_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b or adjoint_b:
        b = np.swapaxes(b, -1, -2)
    return a @ b


MATMUL = [
    ((2, 3), (3, 4), {}),
    ((3, 2), (3, 4), {"transpose_a": True}),
    ((2, 3), (4, 3), {"transpose_b": True}),
    ((3, 2), (4, 3), {"transpose_a": True, "transpose_b": True}),
    ((3, 2), (4, 3), {"adjoint_a": True, "adjoint_b": True}),
    ((2, 1, 3, 4), (5, 4, 2), {}),
    ((3, 4), (2, 4, 5), {}),
    ((2, 4, 3), (1, 5, 4), {"transpose_a": True, "transpose_b": True}),
]


@pytest.mark.parametrize("sa,sb,kwargs", MATMUL, ids=[f"{m[0]}@{m[1]}{m[2]}" for m in MATMUL])
def test_matmul(sa, sb, kwargs):
    check_op(engine.matmul, _np_matmul, [_any(*sa), _any(*sb)], kwargs)


def test_matmul_integer_and_operator():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    out = engine.matmul(a, a.T.copy())
    assert out.dtype is engine.int32
    np.testing.assert_array_equal(out.numpy(), a @ a.T)
    np.testing.assert_array_equal((engine.constant(a) @ engine.constant(a.T)).numpy(), a @ a.T)


def test_matmul_errors():
    with pytest.raises(ShapeError, match=r"matmul: got shapes \(2, 3\) and \(4, 5\).*3 != 4"):
        engine.matmul(engine.zeros([2, 3]), engine.zeros([4, 5]))
    with pytest.raises(ShapeError, match="matmul.*transpose_b"):
        engine.matmul(engine.zeros([2, 3]), engine.zeros([5, 4]), transpose_b=True)
    with pytest.raises(ShapeError, match="matmul.*rank >= 2"):
        engine.matmul(engine.zeros([3]), engine.zeros([3, 2]))
    with pytest.raises(ShapeError, match="matmul.*broadcast"):
        engine.matmul(engine.zeros([2, 2, 3]), engine.zeros([3, 3, 4]))
    with pytest.raises(DTypeError, match="matmul"):
        engine.matmul(engine.zeros([2, 2]), engine.zeros([2, 2], engine.float64))


def test_matvec():
    check_op(la.matvec, lambda a, b: np.einsum("...ij,...j->...i", a, b),
             [_any(2, 3, 4), _any(2, 4)])
    check_op(lambda a, b: la.matvec(a, b, transpose_a=True), lambda a, b: a.T @ b,
             [_any(4, 3), _any(4)])


def test_matrix_transpose_and_adjoint():
    check_op(la.matrix_transpose, lambda x: np.swapaxes(x, -1, -2), [_any(2, 3, 4)])
    check_op(la.adjoint, lambda x: np.swapaxes(x, -1, -2), [_any(3, 4)])
    with pytest.raises(ShapeError, match="matrix_transpose"):
        la.matrix_transpose(engine.zeros([3]))
    z = (np.arange(6) + 1j * np.arange(6, 0, -1)).reshape(2, 3).astype(np.complex64)
    np.testing.assert_array_equal(la.adjoint(engine.constant(z)).numpy(), z.conj().T)
    np.testing.assert_array_equal(
        la.matrix_transpose(engine.constant(z), conjugate=True).numpy(), z.conj().T)
    np.testing.assert_array_equal(la.matrix_transpose(engine.constant(z)).numpy(), z.T)


def test_raw_ops():
    a = engine.constant([[2.0, 1.0], [1.0, 2.0]])
    np.testing.assert_allclose(engine.raw_ops.MatMul(a=a, b=a, transpose_a=True),
                               a.numpy().T @ a.numpy())
