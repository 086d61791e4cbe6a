"""Triangular and least-squares solvers: triangular_solve and lstsq.

Primitives (TensorFlow's raw ops): `MatrixTriangularSolve` (forward or back substitution,
one row at a time, vectorized over the batch and the right-hand sides; only the named
triangle of the matrix is read) and `MatrixSolveLs` (the normal equations with an optional
Tikhonov term when `fast`, else the minimum-norm solution from an SVD).
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.diag_ops import band_part, eye
from engine.ops.linalg_solvers import _LAPACK, _lapack, _square_shape, solve
from engine.ops.matmul_ops import matmul, swap_matrix_axes
from engine.registry import OpDef, register
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["triangular_solve", "lstsq"]


def _rhs_shape(op: str, matrix_shape, rhs, rows, broadcast: bool) -> TensorShape | None:
    """The checked shape [..., N, K] of a solution, or None when a rank is unknown."""
    r = rhs.shape
    if matrix_shape.rank is None or r.rank is None:
        return None
    if r.rank < 2:
        raise ShapeError(f"{op}: got rhs of shape {r}; expected [..., M, K] (rank >= 2). "
                         "For a vector use engine.expand_dims(rhs, -1).")
    m = matrix_shape[-2]
    if m is not None and r[-2] is not None and m != r[-2]:
        raise ShapeError(f"{op}: got matrix of shape {matrix_shape} and rhs of shape {r}; "
                         f"expected rhs.shape[-2] == matrix.shape[-2] ({r[-2]} != {m}).")
    if broadcast:
        batch = _inf.broadcast_shapes(op, matrix_shape[:-2], r[:-2])
    elif not matrix_shape[:-2].is_compatible_with(r[:-2]):
        raise ShapeError(f"{op}: got matrix of shape {matrix_shape} and rhs of shape {r}; "
                         "expected the same batch dimensions (they do not broadcast).")
    else:
        batch = matrix_shape[:-2].merge_with(r[:-2])
    return batch.concatenate(TensorShape([rows, r[-1]]))


# --- triangular_solve -----------------------------------------------------------------------
def _triangular_infer(matrix, rhs, lower=True, adjoint=False):
    dtype = _inf.same_dtype("triangular_solve", matrix, rhs)
    shape = _square_shape("triangular_solve", matrix, "matrix")
    rows = None if shape.rank is None else shape[-1]
    return TensorSpec(_rhs_shape("triangular_solve", shape, rhs, rows, True), dtype)


def _triangular_kernel(xp, matrix, rhs, lower=True, adjoint=False):
    if matrix.ndim < 2 or rhs.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
        raise ValueError("triangular_solve: bad shapes")  # dispatch asks infer to explain
    batch = np.broadcast_shapes(matrix.shape[:-2], rhs.shape[:-2])
    a = xp.broadcast_to(matrix, batch + matrix.shape[-2:])
    b = xp.broadcast_to(rhs, batch + rhs.shape[-2:])
    if adjoint:  # adjoint(lower triangular) is upper triangular
        a, lower = swap_matrix_axes(xp, a, conjugate=True), not lower
    n = a.shape[-1]
    x = xp.zeros(b.shape, b.dtype)
    # Row i needs the rows solved before it: those above (lower) or below (upper).
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero pivot gives inf, as TF
        for i in range(n) if lower else range(n - 1, -1, -1):
            done = slice(0, i) if lower else slice(i + 1, n)
            known = (a[..., i:i + 1, done] @ x[..., done, :])[..., 0, :]  # (..., K)
            x[..., i, :] = (b[..., i, :] - known) / a[..., i, i, None]
    return x


def _triangular_vjp(ctx, g):
    a, x = ctx.inputs[0], ctx.outputs[0]
    lower, adj = ctx.attrs["lower"], ctx.attrs["adjoint"]
    grad_rhs = triangular_solve(a, g, lower=lower, adjoint=not adj)
    if adj:  # x = A^-H b: dA = -x grad_rhs^H
        grad_a = _u.negative(matmul(x, grad_rhs, adjoint_b=True))
    else:
        grad_a = _u.negative(matmul(grad_rhs, x, adjoint_b=True))
    # Only one triangle of the matrix is read, so only it gets a gradient.
    grad_a = band_part(grad_a, -1, 0) if lower else band_part(grad_a, 0, -1)
    return grad_a, grad_rhs


_TRIANGULAR_SOLVE = register(OpDef(
    "triangular_solve", "MatrixTriangularSolve", ("matrix", "rhs"), _triangular_infer,
    _triangular_kernel, vjp=_triangular_vjp, attrs={"lower": True, "adjoint": False},
    dtypes=_LAPACK, broadcasts=True,
    doc="Solves a triangular system matrix @ x = rhs by substitution."))


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solves `matrix @ x = rhs` for `x`, where `matrix` is triangular.

    Only the lower (or, with `lower=False`, the upper) triangle of `matrix` is read; the
    other entries are ignored, and get no gradient. Batch dimensions broadcast. A zero on
    the diagonal gives inf or NaN (as in TensorFlow), not an error.

    Args:
        matrix: a float or complex tensor of shape [..., M, M].
        rhs: a tensor of shape [..., M, K] and the same dtype.
        lower: whether `matrix` is lower (True) or upper (False) triangular.
        adjoint: solve with the (conjugate) transpose of `matrix` instead.

    Returns:
        `x`, a tensor of shape [..., M, K].

    Raises:
        ShapeError: for a non-square matrix or a mismatched rhs.
        DTypeError: for integer or mixed dtypes.

    Example:
        >>> a = engine.constant([[2.0, 0.0], [1.0, 1.0]])
        >>> engine.linalg.triangular_solve(a, engine.constant([[4.0], [5.0]])).numpy()
        array([[2.],
               [3.]], dtype=float32)
    """
    return dispatch(_TRIANGULAR_SOLVE, (matrix, rhs),
                    {"lower": bool(lower), "adjoint": bool(adjoint)})


# --- lstsq ----------------------------------------------------------------------------------
def _lstsq_infer(matrix, rhs, l2_regularizer, fast=True):
    op = "lstsq"
    dtype = _inf.same_dtype(op, matrix, rhs)
    _inf.check_dtype(op, matrix, _LAPACK, "matrix")
    if l2_regularizer.shape.rank not in (None, 0):
        raise ShapeError(f"{op}: got l2_regularizer of shape {l2_regularizer.shape}; expected "
                         "a scalar.")
    shape = matrix.shape
    if shape.rank is not None and shape.rank < 2:
        raise ShapeError(f"{op}: got matrix of shape {shape}; expected a (batch of) matrices "
                         "[..., M, N].")
    cols = None if shape.rank is None else shape[-1]
    return TensorSpec(_rhs_shape(op, shape, rhs, cols, False), dtype)


def _lstsq_kernel(xp, matrix, rhs, l2_regularizer, fast=True):
    if matrix.ndim < 2 or rhs.ndim < 2 or matrix.shape[:-2] != rhs.shape[:-2]:
        raise ValueError("lstsq: bad shapes")  # dispatch asks infer to explain
    m, n = matrix.shape[-2:]
    a_h = swap_matrix_axes(xp, matrix, conjugate=True)
    if not fast:  # the minimum-norm solution; TF ignores the regularizer here too
        u, s, vh = xp.linalg.svd(matrix, full_matrices=False)
        cutoff = max(m, n) * np.finfo(s.dtype).eps * s[..., :1]  # s is descending
        inverse = xp.where(s > cutoff, 1 / xp.where(s > cutoff, s, 1), 0).astype(s.dtype)
        u_h_b = swap_matrix_axes(xp, u, conjugate=True) @ rhs
        return swap_matrix_axes(xp, vh, conjugate=True) @ (inverse[..., None] * u_h_b)
    l2 = xp.asarray(l2_regularizer).astype(matrix.dtype)
    problem = ("the normal equations are singular (the matrix is rank deficient); use "
               "fast=False or a positive l2_regularizer")
    if m >= n:  # (A^H A + l2 I) x = A^H b
        gram = a_h @ matrix + l2 * xp.eye(n, dtype=matrix.dtype)
        return _lapack(xp, "lstsq", lambda: xp.linalg.solve(gram, a_h @ rhs), problem, gram)
    gram = matrix @ a_h + l2 * xp.eye(m, dtype=matrix.dtype)  # x = A^H (A A^H + l2 I)^-1 b
    return a_h @ _lapack(xp, "lstsq", lambda: xp.linalg.solve(gram, rhs), problem, gram)


def _regularized_gram(a, l2, tall: bool):
    """A^H A + l2 I (tall) or A A^H + l2 I (wide), with engine ops."""
    size = a.shape[-1] if tall else a.shape[-2]
    gram = matmul(a, a, adjoint_a=True) if tall else matmul(a, a, adjoint_b=True)
    return _m.add(gram, _m.multiply(_m.cast(l2, a.dtype), eye(size, dtype=a.dtype)))


def _lstsq_vjp(ctx, g):
    if not ctx.attrs["fast"]:
        raise NotImplementedError("lstsq: the gradient is defined only for fast=True (as in "
                                  "TensorFlow). Pass fast=True, with an l2_regularizer if the "
                                  "matrix may be rank deficient.")
    a, b, l2 = ctx.inputs
    x = ctx.outputs[0]
    tall = a.shape[-2] >= a.shape[-1]
    gram = _regularized_gram(a, l2, tall)
    if tall:  # x = C^-1 A^H b with C = A^H A + l2 I; z = C^-1 g
        z = solve(gram, g)
        residual = _m.subtract(b, matmul(a, x))
        grad_a = _m.subtract(matmul(residual, z, adjoint_b=True),
                             matmul(matmul(a, z), x, adjoint_b=True))
        return grad_a, matmul(a, z), None
    # x = A^H y with y = D^-1 b, D = A A^H + l2 I; w = D^-1 A g
    y = solve(gram, b)
    w = solve(gram, matmul(a, g))
    grad_a = _m.subtract(matmul(y, _m.subtract(g, matmul(a, w, adjoint_a=True)), adjoint_b=True),
                         matmul(w, x, adjoint_b=True))
    return grad_a, w, None


_LSTSQ = register(OpDef(
    "lstsq", "MatrixSolveLs", ("matrix", "rhs", "l2_regularizer"), _lstsq_infer, _lstsq_kernel,
    vjp=_lstsq_vjp, attrs={"fast": True}, dtypes=_LAPACK, same_dtype=(0, 1),
    doc="Solves the linear least-squares problems min ||matrix @ x - rhs||."))


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """Solves the least-squares problems `min ||matrix @ x - rhs||^2 + l2 ||x||^2` for `x`.

    With `fast=True` (the default) it solves the normal equations: for M >= N
    `(A^H A + l2 I) x = A^H rhs`, else `x = A^H (A A^H + l2 I)^-1 rhs` (the minimum-norm
    solution of an underdetermined system). That needs A of full rank or `l2 > 0`. With
    `fast=False` it returns the minimum-norm least-squares solution from an SVD, which
    handles rank-deficient matrices; as in TensorFlow, `l2_regularizer` is then ignored and
    there is no gradient. Batch dimensions must match (they do not broadcast).

    Args:
        matrix: a float or complex tensor of shape [..., M, N].
        rhs: a tensor of shape [..., M, K] and the same dtype.
        l2_regularizer: a non-negative scalar (float64, as TensorFlow's raw op).
        fast: the normal equations (True) or the SVD (False).

    Returns:
        `x`, a tensor of shape [..., N, K].

    Raises:
        ShapeError: for a rank below 2 or mismatched rows or batch dimensions.
        InvalidArgumentError: when `fast` and the normal equations are singular (TensorFlow
            returns NaN there).

    Example:
        >>> a = engine.constant([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> engine.linalg.lstsq(a, engine.constant([[1.0], [2.0], [3.0]])).numpy()
        array([[1.],
               [2.]], dtype=float32)
    """
    l2 = convert_to_tensor(l2_regularizer, _dt.float64)
    return dispatch(_LSTSQ, (matrix, rhs, l2), {"fast": bool(fast)})
