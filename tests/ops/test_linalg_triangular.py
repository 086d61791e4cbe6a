"""triangular_solve, lstsq, sqrtm, logm and the structured composites (tridiagonal systems,
LU helpers, tensor_diag_part, l2_normalize): forward against NumPy, gradients, errors."""

import numpy as np
import pytest

import engine
from engine import registry
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, UnimplementedError
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(11)
la = engine.linalg
E = engine


def _any(*shape):
    return R.standard_normal(shape)


def _triangular(*shape, lower=True):
    a = R.standard_normal(shape) * 0.5 + 2.0 * np.eye(shape[-1])
    return np.tril(a) if lower else np.triu(a)


def _spd(*shape):
    a = R.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


# --- triangular_solve -------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((3, 3), (3, 2)), ((2, 4, 4), (2, 4, 1)),
                                   ((3, 3), (2, 3, 4)), ((2, 1, 3, 3), (4, 3, 2))], ids=str)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_triangular_solve(sa, sb, lower, adjoint):
    # Random junk in the other triangle: it must be ignored, and get no gradient.
    a = _triangular(*sa, lower=lower) + (np.triu if lower else np.tril)(_any(*sa), 1 if lower
                                                                          else -1)

    def ref(m, b, lower, adjoint):
        m = np.tril(m) if lower else np.triu(m)
        return np.linalg.solve(np.swapaxes(m, -1, -2) if adjoint else m, b)

    check_op(la.triangular_solve, ref, [a, _any(*sb)], {"lower": lower, "adjoint": adjoint})


def test_triangular_solve_complex_and_zero_pivot():
    a = np.tril(_any(3, 3) + 1j * _any(3, 3)) + 3 * np.eye(3)
    b = _any(3, 2) + 1j * _any(3, 2)
    np.testing.assert_allclose(la.triangular_solve(a, b, adjoint=True).numpy(),
                               np.linalg.solve(np.conj(a.T), b), atol=1e-12)
    out = la.triangular_solve(E.constant([[0.0, 0.0], [1.0, 1.0]]), E.constant([[1.0], [1.0]]))
    assert np.isinf(out.numpy()).all()  # as TensorFlow: no error, inf


# --- lstsq --------------------------------------------------------------------------------------
def _np_lstsq(a, b, l2=0.0):
    a_h = np.swapaxes(a, -1, -2)
    n = a.shape[-1]
    return np.linalg.solve(a_h @ a + l2 * np.eye(n), a_h @ b)


@pytest.mark.parametrize("sa,k", [((5, 3), 2), ((2, 4, 4), 1), ((2, 6, 2), 3)], ids=str)
def test_lstsq_tall_and_square(sa, k):
    a, b = _any(*sa), _any(*sa[:-1], k)
    check_op(la.lstsq, _np_lstsq, [a, b], rtol=1e-4, atol=1e-5)
    check_op(lambda x, y: la.lstsq(x, y, l2_regularizer=0.5),
             lambda x, y: _np_lstsq(x, y, 0.5), [a, b], rtol=1e-4, atol=1e-5)
    expected = np.linalg.lstsq(a.reshape(-1, *sa[-2:])[0], b.reshape(-1, sa[-2], k)[0],
                               rcond=None)[0]
    got = la.lstsq(a, b, fast=False).numpy().reshape(-1, sa[-1], k)[0]
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_lstsq_wide_is_the_minimum_norm_solution():
    a, b = _any(2, 3, 5), _any(2, 3, 2)
    x = la.lstsq(a, b).numpy()
    np.testing.assert_allclose(x, np.linalg.pinv(a) @ b, atol=1e-10)
    np.testing.assert_allclose(la.lstsq(a, b, fast=False).numpy(), x, atol=1e-10)
    check_grad(la.lstsq, [a, b])
    check_grad(lambda m, y: la.lstsq(m, y, l2_regularizer=0.3), [a, b])


def test_lstsq_rank_deficient():
    a = np.ones((3, 2))
    b = np.array([[1.0], [2.0], [3.0]])
    np.testing.assert_allclose(la.lstsq(a, b, fast=False).numpy(), [[1.0], [1.0]])
    with pytest.raises(InvalidArgumentError, match=r"lstsq: .*rank deficient\); use fast=False"):
        la.lstsq(a, b)
    x = E.constant(_any(4, 2))
    with E.GradientTape() as tape:
        tape.watch(x)
        total = E.reduce_sum(la.lstsq(x, _any(4, 1), fast=False))
    with pytest.raises(NotImplementedError, match="lstsq: the gradient is defined only for fast"):
        tape.gradient(total, x)


# --- sqrtm, logm --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)], ids=str)
def test_sqrtm(shape):
    a = _spd(*shape)
    e, v = np.linalg.eigh(a)
    ref = (v * np.sqrt(e)[..., None, :]) @ np.swapaxes(v, -1, -2)  # SPD: via eigh
    check_op(la.sqrtm, lambda x: ref.astype(x.dtype), [a], rtol=1e-5, atol=1e-5, grad=False)
    nonsymmetric = _any(*shape) * 0.3 + 2 * np.eye(shape[-1])
    root = la.sqrtm(nonsymmetric).numpy()
    np.testing.assert_allclose(root @ root, nonsymmetric, atol=1e-12)
    check_grad(la.sqrtm, [nonsymmetric])


def test_sqrtm_without_a_real_principal_root_is_nan():
    out = la.sqrtm(E.constant([[-1.0, 0.0], [0.0, 4.0]])).numpy()
    assert np.isnan(out).all()
    # Complex matrices off the negative real axis are fine; on it, NaN too (no iteration
    # leaves the real line), where TensorFlow's Schur method picks sqrt(-4) = 2i.
    c = _any(3, 3) + 1j * _any(3, 3) + 2 * np.eye(3)
    root = la.sqrtm(c).numpy()
    np.testing.assert_allclose(root @ root, c, atol=1e-12)
    assert np.isnan(la.sqrtm(E.constant([[-4.0, 0.0], [0.0, 9.0]], E.complex128)).numpy()).all()


def test_logm_inverts_expm():
    x = (_any(2, 3, 3) + 1j * _any(2, 3, 3)) * 0.4
    a = la.expm(x).numpy()
    out = la.logm(a)
    assert out.dtype is E.complex128
    np.testing.assert_allclose(out.numpy(), x, atol=1e-10)
    far = 10 * np.eye(2) + np.array([[0, 1], [0, 0]])  # many square roots first
    got = la.logm(far.astype(np.complex64)).numpy()
    np.testing.assert_allclose(got, [[np.log(10), 0.1], [0, np.log(10)]], rtol=1e-5)
    with pytest.raises(DTypeError, match="logm: got dtype float32"):
        la.logm(E.eye(2))


# --- structured composites ----------------------------------------------------------------------
def _dense(diagonals):
    sup, main, sub = diagonals[..., 0, :], diagonals[..., 1, :], diagonals[..., 2, :]
    out = np.zeros(diagonals.shape[:-2] + (main.shape[-1],) * 2)
    n = main.shape[-1]
    out[..., range(n), range(n)] = main
    out[..., range(n - 1), range(1, n)] = sup[..., :-1]
    out[..., range(1, n), range(n - 1)] = sub[..., 1:]
    return out


def test_tridiagonal_solve_and_matmul():
    diagonals = _any(2, 3, 4) + np.array([0.0, 4.0, 0.0])[:, None]
    rhs = _any(2, 4, 3)
    check_op(la.tridiagonal_solve, lambda d, b: np.linalg.solve(_dense(d), b), [diagonals, rhs])
    check_op(la.tridiagonal_matmul, lambda d, b: _dense(d) @ b, [diagonals, rhs])
    expected = np.linalg.solve(_dense(diagonals), rhs)
    seq = [diagonals[:, i] for i in range(3)]
    np.testing.assert_allclose(la.tridiagonal_solve(seq, rhs, "sequence").numpy(), expected)
    np.testing.assert_allclose(la.tridiagonal_solve(_dense(diagonals) + np.triu(_any(4, 4), 2),
                                                    rhs, "matrix").numpy(), expected)
    np.testing.assert_allclose(la.tridiagonal_solve(diagonals, np.swapaxes(rhs, -1, -2),
                                                    transpose_rhs=True).numpy(), expected)
    vector = la.tridiagonal_solve(diagonals, rhs[..., 0]).numpy()
    np.testing.assert_allclose(vector, expected[..., 0])
    with pytest.raises(ShapeError, match=r"tridiagonal_solve: got diagonals of shape \(2, 4, 4\)"):
        la.tridiagonal_solve(np.ones((2, 4, 4)), rhs)
    with pytest.raises(ValueError, match="diagonals_format='banded'"):
        la.tridiagonal_matmul(diagonals, rhs, diagonals_format="banded")
    with pytest.raises(UnimplementedError, match="perturb_singular"):
        la.tridiagonal_solve(diagonals, rhs, perturb_singular=True)


def test_lu_matrix_inverse_and_reconstruct():
    a = _any(2, 4, 4)
    check_op(lambda x: la.lu_reconstruct(*la.lu(x)), lambda x: x, [a])
    check_op(lambda x: la.lu_matrix_inverse(*la.lu(x)), np.linalg.inv, [a], rtol=1e-5)


def test_tensor_diag_part_and_l2_normalize():
    x = np.arange(36.0).reshape(2, 3, 2, 3)
    check_op(la.tensor_diag_part, lambda t: np.einsum("ijij->ij", t), [x])
    np.testing.assert_array_equal(la.tensor_diag_part(la.tensor_diag(x[0, :, 0])).numpy(),
                                  x[0, :, 0])
    with pytest.raises(ShapeError, match=r"tensor_diag_part: got input of shape \(2, 3, 3\)"):
        la.tensor_diag_part(np.ones((2, 3, 3)))
    assert la.l2_normalize is E.math.l2_normalize


# --- errors and shape inference -----------------------------------------------------------------
def test_errors_name_the_op_and_the_fix():
    with pytest.raises(ShapeError, match=r"triangular_solve: got matrix of shape \(3, 4\); "
                                         "expected square"):
        la.triangular_solve(np.ones((3, 4)), np.ones((3, 1)))
    with pytest.raises(ShapeError, match=r"triangular_solve: .*rhs.shape\[-2\] == "
                                         r"matrix.shape\[-2\] \(4 != 3\)"):
        la.triangular_solve(np.eye(3), np.ones((4, 1)))
    with pytest.raises(ShapeError, match=r"triangular_solve: got rhs of shape \(3,\).*"
                                         "expand_dims"):
        la.triangular_solve(np.eye(3), np.ones(3))
    with pytest.raises(ShapeError, match="lstsq: .*same batch dimensions"):
        la.lstsq(np.ones((2, 3, 2)), np.ones((3, 3, 1)))
    with pytest.raises(ShapeError, match=r"lstsq: got l2_regularizer of shape \(2,\)"):
        la.lstsq(np.ones((3, 2)), np.ones((3, 1)), l2_regularizer=[1.0, 2.0])
    with pytest.raises(DTypeError, match="triangular_solve: got `matrix` of dtype float32 "
                                        "and `rhs` of dtype float64"):
        la.triangular_solve(E.eye(2), E.constant(np.ones((2, 1))))
    with pytest.raises(ShapeError, match=r"sqrtm: got input of shape \(2, 3\)"):
        la.sqrtm(np.ones((2, 3)))


def test_infer_with_unknown_dims():
    f64 = E.float64
    out = registry.get("MatrixTriangularSolve").infer(E.TensorSpec([None, 3, 3], f64),
                                                      E.TensorSpec([4, 1, None, 2], f64))
    assert out.shape.as_list() == [4, None, 3, 2]
    out = registry.get("MatrixSolveLs").infer(E.TensorSpec([None, 5, 3], f64),
                                              E.TensorSpec([None, None, 2], f64),
                                              E.TensorSpec([], f64))
    assert out.shape.as_list() == [None, 3, 2]
    assert registry.get("MatrixSquareRoot").infer(E.TensorSpec(None, f64)).shape.rank is None
