"""Inverses, determinants and solvers: forward against NumPy, gradients numerically."""

import numpy as np
import pytest

import engine
from engine import registry
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from tests.opcheck import check_grad, check_op, grad_of

R = np.random.default_rng(3)
la = engine.linalg


def _any(*shape):
    return R.standard_normal(shape)


def _well_conditioned(*shape):
    n = shape[-1]
    return R.standard_normal(shape) * 0.3 + 2.0 * np.eye(n)


def _spd(*shape):
    a = R.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 2, 2)], ids=str)
def test_inv_det_slogdet(shape):
    a = _well_conditioned(*shape)
    check_op(la.inv, np.linalg.inv, [a])
    check_op(lambda x: la.inv(x, adjoint=True),
             lambda x: np.linalg.inv(np.swapaxes(x, -1, -2)), [a])
    check_op(la.det, np.linalg.det, [a])
    check_op(la.slogdet, lambda x: tuple(np.linalg.slogdet(x)), [a - 3 * np.eye(shape[-1])])


def test_det_of_empty_and_negative_matrices():
    assert la.det(engine.zeros([0, 0])).numpy() == 1.0
    sign, logabs = la.slogdet(engine.constant([[-2.0, 0.0], [0.0, 1.0]]))
    assert sign.numpy() == -1.0 and np.isclose(logabs.numpy(), np.log(2.0))


@pytest.mark.parametrize("sa,sb", [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1)),
                                   ((3, 3), (2, 3, 4)), ((2, 1, 3, 3), (4, 3, 2))], ids=str)
@pytest.mark.parametrize("adjoint", [False, True])
def test_solve(sa, sb, adjoint):
    def ref(a, b, adjoint):
        return np.linalg.solve(np.swapaxes(a, -1, -2) if adjoint else a, b)

    check_op(la.solve, ref, [_well_conditioned(*sa), _any(*sb)], {"adjoint": adjoint})


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)], ids=str)
def test_cholesky(shape):
    # Only the lower triangle is read, so the gradient is checked for symmetric inputs.
    def sym(a):
        return 0.5 * (a + la.matrix_transpose(a))

    check_op(lambda a: la.cholesky(sym(a)), np.linalg.cholesky, [_spd(*shape)])
    check_op(lambda a: la.logdet(sym(a)), lambda a: np.linalg.slogdet(a)[1], [_spd(*shape)])
    check_op(la.cholesky_solve, lambda c, b: np.linalg.solve(c @ np.swapaxes(c, -1, -2), b),
             [np.linalg.cholesky(_spd(*shape)), _any(*shape[:-1], 2)])


def test_second_order_through_inverse_and_cholesky():
    check_grad(grad_of(lambda a: engine.reduce_sum(la.inv(a) ** 2)), [_well_conditioned(3, 3)])
    check_grad(grad_of(lambda a: la.logdet(0.5 * (a + la.matrix_transpose(a)))), [_spd(3, 3)])
    check_grad(grad_of(la.det), [_well_conditioned(3, 3)])


def test_linalg_errors():
    with pytest.raises(ShapeError, match=r"solve: got matrix of shape \(3, 4\); expected square"):
        la.solve(engine.zeros([3, 4]), engine.zeros([3, 1]))
    with pytest.raises(ShapeError, match=r"solve: .*rhs.shape\[-2\] == matrix.shape\[-1\]"):
        la.solve(la.eye(3), engine.zeros([4, 1]))
    with pytest.raises(ShapeError, match="solve: got rhs of shape \\(3,\\)"):
        la.solve(la.eye(3), engine.zeros([3]))
    with pytest.raises(InvalidArgumentError, match="solve: the matrix is singular"):
        la.solve(engine.zeros([3, 3]), engine.zeros([3, 1]))
    with pytest.raises(InvalidArgumentError, match="inv: the matrix is singular"):
        la.inv(engine.zeros([2, 3, 3]))
    with pytest.raises(ShapeError, match=r"inv: got input of shape \(2, 3\)"):
        la.inv(engine.zeros([2, 3]))
    with pytest.raises(ShapeError, match=r"det: got input of shape \(3,\)"):
        la.det(engine.zeros([3]))
    with pytest.raises(InvalidArgumentError, match="cholesky: the matrix is not positive"):
        la.cholesky(engine.constant([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(DTypeError, match="cholesky.*float16"):
        la.cholesky(la.eye(2, dtype=engine.float16))
    with pytest.raises(DTypeError, match="inv"):
        la.inv(engine.constant([[1, 0], [0, 1]]))


def test_linalg_infer_with_unknown_dims():
    f32 = engine.float32
    spec = engine.TensorSpec([None, 3, None], f32)
    assert registry.get("MatrixInverse").infer(spec).shape.as_list() == [None, 3, None]
    assert registry.get("MatrixDeterminant").infer(spec).shape.as_list() == [None]
    sign, logabs = registry.get("LogMatrixDeterminant").infer(spec)
    assert sign.shape.as_list() == [None] and logabs.dtype is f32
    out = registry.get("MatrixSolve").infer(spec, engine.TensorSpec([None, None, 2], f32))
    assert out.shape.as_list() == [None, None, 2]
    assert registry.get("Cholesky").infer(engine.TensorSpec(None, f32)).shape.rank is None
    with pytest.raises(ShapeError, match="inv"):
        registry.get("MatrixInverse").infer(engine.TensorSpec([None, 2, 3], f32))


def test_raw_ops():
    a = engine.constant([[2.0, 1.0], [1.0, 2.0]])
    np.testing.assert_allclose(engine.raw_ops.MatrixDeterminant(input=a).numpy(), 3.0)
    np.testing.assert_allclose(engine.raw_ops.MatrixSolve(matrix=a, rhs=a, adjoint=True),
                               np.eye(2), atol=1e-6)
