"""Inverses, determinants and solvers of square matrices.

Primitives (TensorFlow's raw ops): MatrixInverse, MatrixDeterminant, LogMatrixDeterminant,
MatrixSolve, Cholesky; `logdet` and `cholesky_solve` are composites. Inputs have shape
[..., M, M] (leading axes are a batch) and a dtype LAPACK supports; LAPACK's failures
(singular or indefinite matrices) become InvalidArgumentError naming the op.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops import unary_ops as _u
from engine.ops.diag_ops import diag_part
from engine.ops.matmul_ops import matmul, matrix_transpose, swap_matrix_axes
from engine.registry import OpDef, register
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["inv", "det", "slogdet", "logdet", "solve", "cholesky", "cholesky_solve"]

# The dtypes LAPACK (NumPy's and cuSOLVER's) factorizations support.
_LAPACK = frozenset((_dt.float32, _dt.float64, _dt.complex64, _dt.complex128))


# --- shared checks --------------------------------------------------------------------------
def _square_shape(op: str, x, what: str = "input"):
    """The shape of spec `x` after checking it is a (batch of) square LAPACK matrices."""
    _inf.check_dtype(op, x, _LAPACK, what)
    shape = x.shape
    if shape.rank is None:
        return shape
    if shape.rank < 2:
        raise ShapeError(f"{op}: got {what} of shape {shape}; expected a (batch of) square "
                         "matrices with shape [..., M, M].")
    m, n = shape[-2], shape[-1]
    if m is not None and n is not None and m != n:
        raise ShapeError(f"{op}: got {what} of shape {shape}; expected square matrices "
                         f"[..., M, M] ({m} != {n}). Check which axes hold the matrix.")
    return shape


def _lapack(xp, op: str, fn, problem: str, x):
    """Runs `fn`, turning LAPACK's failures into InvalidArgumentError naming `op`.

    On a GPU, CuPy reports cuSOLVER's failures only when asked to (it waits for the
    device), so `fn` runs inside `cupy_backend.linalg_errors()` to fail as NumPy does.
    """
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{op}: not square")  # dispatch asks infer to explain
    try:
        if xp is np:
            return fn()
        from engine.backend import cupy_backend  # noqa: PLC0415 - GPU only

        with cupy_backend.linalg_errors():
            return fn()
    except np.linalg.LinAlgError as exc:
        raise InvalidArgumentError(f"{op}: {problem} ({exc}).", op=op) from None


def _batch_spec(op: str, x) -> TensorSpec:
    """The spec of one value per matrix (det, slogdet): the batch shape [...]."""
    shape = _square_shape(op, x)
    return TensorSpec(None if shape.rank is None else shape[:-2], x.dtype)


def _scaled_inverse_transpose(scale, x):
    """scale[..., None, None] * inv(x)^T: the gradient of det and of slogdet."""
    scale = _a.reshape(scale, tuple(scale._value.shape) + (1, 1))
    return _m.multiply(scale, matrix_transpose(inv(x)))


# --- inverse --------------------------------------------------------------------------------
def _inv_infer(x, adjoint=False):
    return TensorSpec(_square_shape("inv", x), x.dtype)


def _inv_kernel(xp, x, adjoint=False):
    if adjoint:
        x = swap_matrix_axes(xp, x, conjugate=True)
    return _lapack(xp, "inv", lambda: xp.linalg.inv(x),
                   "the matrix is singular (not invertible); check it for dependent rows, "
                   "or add a small multiple of the identity", x)


def _inv_vjp(ctx, g):
    y = ctx.outputs[0]
    if ctx.attrs.get("adjoint"):  # y = inv(x^T): d x = -(y g^T y)
        return (_u.negative(matmul(y, matmul(g, y, transpose_a=True))),)
    return (_u.negative(matmul(y, matmul(g, y, transpose_b=True), transpose_a=True)),)


_INV = register(OpDef(
    "inv", "MatrixInverse", ("input",), _inv_infer, _inv_kernel, vjp=_inv_vjp,
    attrs={"adjoint": False}, dtypes=_LAPACK, doc="The inverse of each square matrix."))


def inv(input, adjoint=False, name=None):
    """The inverse of each square matrix in `input`.

    Args:
        input: a float or complex tensor of shape [..., M, M].
        adjoint: invert the (conjugate) transpose instead.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape.

    Raises:
        ShapeError: for non-square input.
        InvalidArgumentError: for a singular matrix.

    Example:
        >>> engine.linalg.inv(engine.constant([[2.0, 0.0], [0.0, 4.0]])).numpy()
        array([[0.5 , 0.  ],
               [0.  , 0.25]], dtype=float32)
    """
    return dispatch(_INV, (input,), {"adjoint": bool(adjoint)})


# --- determinants ---------------------------------------------------------------------------
def _det_vjp(ctx, g):
    return (_scaled_inverse_transpose(_m.multiply(g, ctx.outputs[0]), ctx.inputs[0]),)


_DET = register(OpDef(
    "det", "MatrixDeterminant", ("input",), lambda x: _batch_spec("det", x),
    lambda xp, x: xp.linalg.det(x), vjp=_det_vjp, dtypes=_LAPACK,
    doc="The determinant of each square matrix."))


def det(input, name=None):
    """The determinant of each square matrix in `input`.

    The gradient is det(A) * inv(A)^T, as in TensorFlow, so it needs A invertible.

    Args:
        input: a float or complex tensor of shape [..., M, M].
        name: ignored in eager mode.

    Returns:
        A tensor of shape [...].

    Example:
        >>> float(engine.linalg.det(engine.constant([[2.0, 1.0], [1.0, 2.0]])))
        3.0
    """
    return dispatch(_DET, (input,))


def _slogdet_kernel(xp, x):
    sign, logabs = xp.linalg.slogdet(x)
    return sign, logabs.astype(x.dtype, copy=False)


def _slogdet_vjp(ctx, g_sign, g_logabs):
    return (_scaled_inverse_transpose(g_logabs, ctx.inputs[0]),)


_SLOGDET = register(OpDef(
    "slogdet", "LogMatrixDeterminant", ("input",),
    lambda x: (_batch_spec("slogdet", x),) * 2, _slogdet_kernel, vjp=_slogdet_vjp,
    num_outputs=2, dtypes=_LAPACK,
    doc="The sign and log absolute determinant of each square matrix."))


def slogdet(input, name=None):
    """The sign and the log of the absolute determinant of each square matrix.

    Stable where the determinant itself would overflow or underflow.

    Args:
        input: a float or complex tensor of shape [..., M, M].
        name: ignored in eager mode.

    Returns:
        A tuple `(sign, log_abs_determinant)`, each of shape [...].

    Example:
        >>> sign, logabs = engine.linalg.slogdet(engine.constant([[-2.0, 0.0], [0.0, 1.0]]))
        >>> float(sign), round(float(logabs), 4)
        (-1.0, 0.6931)
    """
    return dispatch(_SLOGDET, (input,))


def logdet(matrix, name=None):
    """The log determinant of each Hermitian positive-definite matrix (via Cholesky).

    More accurate and cheaper than log(det(matrix)); the gradient is inv(matrix)^T
    (for symmetric perturbations, as cholesky's).

    Args:
        matrix: a float tensor of shape [..., M, M], symmetric positive definite.
        name: ignored in eager mode.

    Returns:
        A tensor of shape [...].

    Raises:
        InvalidArgumentError: when a matrix is not positive definite.

    Example:
        >>> round(float(engine.linalg.logdet(engine.constant([[2.0, 0.0], [0.0, 2.0]]))), 4)
        1.3863
    """
    chol = cholesky(matrix)
    return _m.multiply(2.0, _r.reduce_sum(_u.log(diag_part(chol)), axis=-1))


# --- solvers --------------------------------------------------------------------------------
def _solve_infer(matrix, rhs, adjoint=False):
    dtype = _inf.same_dtype("solve", matrix, rhs)
    shape = _square_shape("solve", matrix, "matrix")
    r = rhs.shape
    if shape.rank is None or r.rank is None:
        return TensorSpec(None, dtype)
    if r.rank < 2:
        raise ShapeError(f"solve: got rhs of shape {r}; expected [..., M, K] (rank >= 2). "
                         "For a vector use engine.expand_dims(rhs, -1).")
    if shape[-1] is not None and r[-2] is not None and shape[-1] != r[-2]:
        raise ShapeError(f"solve: got matrix of shape {shape} and rhs of shape {r}; expected "
                         f"rhs.shape[-2] == matrix.shape[-1] ({r[-2]} != {shape[-1]}).")
    batch = _inf.broadcast_shapes("solve", shape[:-2], r[:-2])
    return TensorSpec(batch.concatenate(TensorShape([r[-2], r[-1]])), dtype)


def _solve_kernel(xp, matrix, rhs, adjoint=False):
    if rhs.ndim < 2:
        raise ValueError("solve: rhs must be a matrix")  # dispatch asks infer to explain
    if adjoint:
        matrix = swap_matrix_axes(xp, matrix, conjugate=True)
    if xp is not np and matrix.shape[:-2] != rhs.shape[:-2]:
        # NumPy broadcasts the batch dimensions; CuPy's solve needs them equal.
        batch = np.broadcast_shapes(matrix.shape[:-2], rhs.shape[:-2])
        matrix = xp.broadcast_to(matrix, batch + matrix.shape[-2:])
        rhs = xp.broadcast_to(rhs, batch + rhs.shape[-2:])
    return _lapack(xp, "solve", lambda: xp.linalg.solve(matrix, rhs),
                   "the matrix is singular; check it for dependent rows", matrix)


def _solve_vjp(ctx, g):
    a = ctx.inputs[0]
    c = ctx.outputs[0]
    adj = ctx.attrs.get("adjoint", False)
    grad_b = solve(a, g, adjoint=not adj)
    if adj:
        grad_a = _u.negative(matmul(c, grad_b, transpose_b=True))
    else:
        grad_a = _u.negative(matmul(grad_b, c, transpose_b=True))
    return grad_a, grad_b


_SOLVE = register(OpDef(
    "solve", "MatrixSolve", ("matrix", "rhs"), _solve_infer, _solve_kernel, vjp=_solve_vjp,
    attrs={"adjoint": False}, dtypes=_LAPACK, broadcasts=True,
    doc="Solves matrix @ x = rhs for x, for each square matrix."))


def solve(matrix, rhs, adjoint=False, name=None):
    """Solves `matrix @ x = rhs` (or `adjoint(matrix) @ x = rhs`) for `x`.

    Batch dimensions broadcast (TensorFlow requires them equal).

    Args:
        matrix: a float or complex tensor of shape [..., M, M].
        rhs: a tensor of shape [..., M, K] and the same dtype.
        adjoint: solve with the (conjugate) transpose of `matrix`.
        name: ignored in eager mode.

    Returns:
        A tensor of shape [..., M, K].

    Raises:
        ShapeError: for a non-square matrix or mismatched rhs.
        InvalidArgumentError: for a singular matrix.

    Example:
        >>> a = engine.constant([[2.0, 0.0], [0.0, 4.0]])
        >>> engine.linalg.solve(a, engine.constant([[2.0], [4.0]])).numpy()
        array([[1.],
               [1.]], dtype=float32)
    """
    return dispatch(_SOLVE, (matrix, rhs), {"adjoint": bool(adjoint)})


# --- Cholesky -------------------------------------------------------------------------------
def _cholesky_kernel(xp, x):
    return _lapack(xp, "cholesky", lambda: xp.linalg.cholesky(x),
                   "the matrix is not positive definite; Cholesky needs a symmetric "
                   "positive-definite matrix (add a small multiple of the identity if it is "
                   "nearly singular)", x)


def _cholesky_vjp(ctx, g):
    # Murray (2016), as TensorFlow: with P(M) = lower triangle of M with half its diagonal,
    # dA = sym(L^-T P(L^T dL) L^-1). Only the lower triangle of A is read, so the
    # gradient is the symmetric one (for symmetric perturbations).
    chol = ctx.outputs[0]
    n = chol._value.shape[-1]
    lower_half_diag = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    mask = convert_to_tensor(lower_half_diag.astype(chol._value.dtype))
    chol_inv = inv(chol)
    middle = _m.multiply(matmul(chol, g, transpose_a=True), mask)
    grad = matmul(matmul(chol_inv, middle, transpose_a=True), chol_inv)
    return (_m.multiply(0.5, _m.add(grad, matrix_transpose(grad))),)


_CHOLESKY = register(OpDef(
    "cholesky", "Cholesky", ("input",),
    lambda x: TensorSpec(_square_shape("cholesky", x), x.dtype), _cholesky_kernel,
    vjp=_cholesky_vjp, dtypes=_LAPACK,
    doc="The lower Cholesky factor L (A = L L^H) of each positive-definite matrix."))


def cholesky(input, name=None):
    """The lower-triangular Cholesky factor L with L @ adjoint(L) == input.

    Only the lower triangle of `input` is read (as in TensorFlow); the gradient assumes
    symmetric perturbations.

    Args:
        input: a float or complex tensor of shape [..., M, M], positive definite.
        name: ignored in eager mode.

    Returns:
        A lower-triangular tensor of the same shape.

    Raises:
        InvalidArgumentError: when a matrix is not positive definite.

    Example:
        >>> engine.linalg.cholesky(engine.constant([[4.0, 2.0], [2.0, 2.0]])).numpy()
        array([[2., 0.],
               [1., 1.]], dtype=float32)
    """
    return dispatch(_CHOLESKY, (input,))


def cholesky_solve(chol, rhs, name=None):
    """Solves `A @ x = rhs` given the lower Cholesky factor `chol` of A (two solves).

    Args:
        chol: the output of `cholesky(A)`, shape [..., M, M].
        rhs: a tensor of shape [..., M, K] and the same dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of shape [..., M, K].

    Example:
        >>> chol = engine.linalg.cholesky(engine.constant([[4.0, 2.0], [2.0, 2.0]]))
        >>> engine.linalg.cholesky_solve(chol, engine.constant([[6.0], [4.0]])).numpy()
        array([[1.],
               [1.]], dtype=float32)
    """
    return solve(chol, solve(chol, rhs), adjoint=True)
