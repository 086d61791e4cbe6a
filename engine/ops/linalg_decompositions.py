"""Orthogonal decompositions of (batches of) matrices: svd and qr, and matrix_rank.

Primitives (TensorFlow's raw ops): `Svd` and `Qr`, over LAPACK's (NumPy) or cuSOLVER's
(CuPy) batched routines. `matrix_rank` is a composite of the singular values.

Signs and phases are not unique: a singular-vector pair (u_i, v_i) may be multiplied by
any unit scalar (-1 for real matrices), and so may a column of Q with the matching row of
R. The engine returns what LAPACK / cuSOLVER return, which can differ from TensorFlow's
(Eigen's) choice; compare invariants (u diag(s) v^H, q r, |u|) rather than raw vectors.
The gradients assume the loss does not depend on that choice.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops.array_ops import expand_dims
from engine.ops.diag_ops import band_part, diag, diag_part, eye
from engine.ops.join_ops import concat
from engine.ops.linalg_solvers import _LAPACK
from engine.ops.linalg_triangular import triangular_solve
from engine.ops.math_more import complex as _complex
from engine.ops.matmul_ops import matmul, matrix_transpose, swap_matrix_axes
from engine.registry import OpDef, register
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["svd", "qr", "matrix_rank"]


def _matrix_shape(op: str, x, what: str = "input"):
    """The shape of spec `x` after checking it is a (batch of) LAPACK matrices [..., M, N]."""
    _inf.check_dtype(op, x, _LAPACK, what)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise ShapeError(f"{op}: got {what} of shape {x.shape}; expected a (batch of) matrices "
                         "with shape [..., M, N] (rank >= 2). For one vector v, pass "
                         "engine.expand_dims(v, -1).")
    return x.shape


def adjoint_of(x):
    """The conjugate transpose of a tensor's last two axes, complex tensors included."""
    return matrix_transpose(x, conjugate=True)


def _smaller(m, n):
    return None if m is None or n is None else min(m, n)


# --- svd ------------------------------------------------------------------------------------
def _svd_infer(x, compute_uv=True, full_matrices=False):
    shape = _matrix_shape("svd", x)
    real = x.dtype.real_dtype
    if shape.rank is None:
        specs = (TensorSpec(None, real), TensorSpec(None, x.dtype), TensorSpec(None, x.dtype))
        return specs if compute_uv else (specs[0],) + (TensorSpec([0], x.dtype),) * 2
    batch, m, n = shape[:-2], shape[-2], shape[-1]
    p = _smaller(m, n)
    s = TensorSpec(batch.concatenate([p]), real)
    if not compute_uv:  # TensorFlow's raw op leaves u and v empty
        return s, TensorSpec([0], x.dtype), TensorSpec([0], x.dtype)
    u_cols, v_cols = (m, n) if full_matrices else (p, p)
    return (s, TensorSpec(batch.concatenate([m, u_cols]), x.dtype),
            TensorSpec(batch.concatenate([n, v_cols]), x.dtype))


def _svd_kernel(xp, x, compute_uv=True, full_matrices=False):
    if x.ndim < 2:
        raise ValueError("svd: rank < 2")  # dispatch asks infer to explain
    if not compute_uv:
        empty = xp.zeros((0,), x.dtype)
        return xp.linalg.svd(x, compute_uv=False), empty, empty
    u, s, vh = xp.linalg.svd(x, full_matrices=full_matrices)
    return s, u, swap_matrix_axes(xp, vh, conjugate=True)


def _off_diagonal_reciprocal(values, dtype):
    """F[..., j, k] = 1 / (values[k] - values[j]) off the diagonal, 0 on it, as `dtype`."""
    size = values.shape[-1]
    identity = eye(size, dtype=values.dtype)
    gaps = _m.subtract(expand_dims(values, -2), expand_dims(values, -1))
    f = _m.divide(_m.subtract(1.0, identity), _m.add(gaps, identity))
    return _m.cast(f, dtype)


def _svd_vectors_vjp(a, s, u, v, g_s, g_u, g_v):
    # A = U S V^H (reduced): the standard result for distinct nonzero singular values, with
    # F = 1 / (s_k^2 - s_j^2) off the diagonal:
    # grad A = U [(F o skew(U^H gU)) S + S (F o skew(V^H gV)) + diag(gS)] V^H
    #          + (I - U U^H) gU S^-1 V^H + U S^-1 gV^H (I - V V^H),
    # plus, for complex A, U diag(i Im(diag(U^H gU)) / s) V^H (the common phase of each pair).
    dtype = a.dtype
    m, n = a.shape[-2], a.shape[-1]
    s_c = _m.cast(s, dtype)
    f = _off_diagonal_reciprocal(_m.multiply(s, s), dtype)
    uh_gu = matmul(u, g_u, adjoint_a=True)
    vh_gv = matmul(v, g_v, adjoint_a=True)
    j = _m.multiply(f, _m.subtract(uh_gu, adjoint_of(uh_gu)))
    k = _m.multiply(f, _m.subtract(vh_gv, adjoint_of(vh_gv)))
    inner = _m.add(_m.add(_m.multiply(j, expand_dims(s_c, -2)),
                          _m.multiply(expand_dims(s_c, -1), k)), diag(_m.cast(g_s, dtype)))
    if dtype.is_complex:
        phase = _complex(_m.multiply(0.0, s), _m.imag(diag_part(uh_gu)))
        inner = _m.add(inner, diag(_m.divide(phase, s_c)))
    grad = matmul(matmul(u, inner), v, adjoint_b=True)
    if m > n:
        outside = _m.subtract(g_u, matmul(u, uh_gu))  # (I - U U^H) gU
        grad = _m.add(grad, matmul(_m.divide(outside, expand_dims(s_c, -2)), v, adjoint_b=True))
    if n > m:
        outside = _m.subtract(g_v, matmul(v, vh_gv))  # (I - V V^H) gV
        grad = _m.add(grad, matmul(u, _m.divide(outside, expand_dims(s_c, -2)), adjoint_b=True))
    return grad


def _svd_vjp(ctx, g_s, g_u, g_v):
    a = ctx.inputs[0]
    if not ctx.attrs["compute_uv"]:  # grad A = U diag(gS) V^H
        _, u, v = svd(a)
        scaled = _m.multiply(u, expand_dims(_m.cast(g_s, a.dtype), -2))
        return (matmul(scaled, v, adjoint_b=True),)
    s, u, v = ctx.outputs
    m, n = a.shape[-2], a.shape[-1]
    if ctx.attrs["full_matrices"] and m != n:
        if abs(m - n) > 1:
            raise NotImplementedError(
                f"svd: the gradient with full_matrices=True needs |M - N| <= 1 (as in "
                f"TensorFlow); got a matrix of shape {a.shape}. Use full_matrices=False.")
        # As TensorFlow: the extra column is ignored (it is fixed up to sign by the others).
        p = min(m, n)
        u, g_u, v, g_v = u[..., :p], g_u[..., :p], v[..., :p], g_v[..., :p]
    return (_svd_vectors_vjp(a, s, u, v, g_s, g_u, g_v),)


_SVD = register(OpDef(
    "svd", "Svd", ("input",), _svd_infer, _svd_kernel, vjp=_svd_vjp,
    attrs={"compute_uv": True, "full_matrices": False}, num_outputs=3, dtypes=_LAPACK,
    doc="The singular value decomposition A = U diag(s) V^H of each matrix."))


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """The singular value decomposition `tensor = u @ diag(s) @ adjoint(v)` of each matrix.

    `s` is real and descending. `v` is returned as is, not transposed (NumPy returns
    `adjoint(v)`). The signs (phases) of the singular vectors are LAPACK's and may differ
    from TensorFlow's. The gradient with `compute_uv=True` needs distinct, nonzero singular
    values and a loss that does not depend on the signs (phases) of the vectors.

    Args:
        tensor: a float or complex tensor of shape [..., M, N].
        full_matrices: return square `u` [..., M, M] and `v` [..., N, N] instead of their
            first P = min(M, N) columns.
        compute_uv: return `(s, u, v)`; if False only `s`.

    Returns:
        `s` of shape [..., P] (real dtype), and with `compute_uv` also `u` [..., M, P]
        and `v` [..., N, P] (or square, with `full_matrices`).

    Raises:
        ShapeError: for a rank below 2.
        DTypeError: for integer or half-precision tensors.

    Example:
        >>> s, u, v = engine.linalg.svd(engine.constant([[3.0, 0.0], [0.0, -4.0]]))
        >>> s.numpy()
        array([4., 3.], dtype=float32)
        >>> engine.linalg.svd(engine.constant([[3.0, 4.0]]), compute_uv=False).numpy()
        array([5.], dtype=float32)
    """
    outs = dispatch(_SVD, (tensor,), {"compute_uv": bool(compute_uv),
                                      "full_matrices": bool(full_matrices)})
    return tuple(outs) if compute_uv else outs[0]


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """The number of singular values of each matrix above a threshold.

    Args:
        a: a float or complex tensor of shape [..., M, N].
        tol: the threshold; default `max(M, N) * eps * largest singular value`, with the
            machine epsilon of `a`'s dtype (as TensorFlow and NumPy).
        validate_args: ignored (the checks always run).

    Returns:
        An int32 tensor of shape [...].

    Example:
        >>> int(engine.linalg.matrix_rank(engine.constant([[1.0, 2.0], [2.0, 4.0]])))
        1
    """
    s = svd(a, compute_uv=False)
    if tol is None:
        m, n = convert_to_tensor(a).shape[-2:]
        eps = float(np.finfo(s.dtype.as_numpy_dtype).eps)
        tol = _m.multiply(max(m, n) * eps, _r.reduce_max(s, axis=-1, keepdims=True))
    else:
        tol = _m.cast(convert_to_tensor(tol), s.dtype)
    return _r.reduce_sum(_m.cast(_m.greater(s, tol), _dt.int32), axis=-1)


# --- qr -------------------------------------------------------------------------------------
def _qr_infer(x, full_matrices=False):
    shape = _matrix_shape("qr", x)
    if shape.rank is None:
        return TensorSpec(None, x.dtype), TensorSpec(None, x.dtype)
    batch, m, n = shape[:-2], shape[-2], shape[-1]
    k = m if full_matrices else _smaller(m, n)
    return (TensorSpec(batch.concatenate(TensorShape([m, k])), x.dtype),
            TensorSpec(batch.concatenate(TensorShape([k, n])), x.dtype))


def _qr_kernel(xp, x, full_matrices=False):
    if x.ndim < 2:
        raise ValueError("qr: rank < 2")  # dispatch asks infer to explain
    q, r = xp.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return q, r


def _times_inverse_adjoint(x, r):
    """x @ R^-H for an upper-triangular R, by one triangular solve."""
    return adjoint_of(triangular_solve(r, adjoint_of(x), lower=False))


def _qr_square_vjp(q, r, g_q, g_r):
    # A = Q R with R square (M >= N): with skew(X) = X - X^H and
    # L = lower triangle of skew(Q^H gQ) + skew(R gR^H) (half its diagonal),
    # grad A = Q (gR + L R^-H) + (gQ - Q Q^H gQ) R^-H.
    qh_gq = matmul(q, g_q, adjoint_a=True)
    r_grh = matmul(r, g_r, adjoint_b=True)
    skew = _m.add(_m.subtract(qh_gq, adjoint_of(qh_gq)), _m.subtract(r_grh, adjoint_of(r_grh)))
    # The diagonal (imaginary; zero for real A) counts half: that is the gradient for
    # LAPACK's choice of a real diagonal of R. Losses blind to the phases see no difference.
    low = _m.subtract(band_part(skew, -1, 0), _m.multiply(0.5, band_part(skew, 0, 0)))
    from_r = matmul(q, _m.add(g_r, _times_inverse_adjoint(low, r)))
    return _m.add(from_r, _times_inverse_adjoint(_m.subtract(g_q, matmul(q, qh_gq)), r))


def _qr_vjp(ctx, g_q, g_r):
    a = ctx.inputs[0]
    q, r = ctx.outputs
    m, n = a.shape[-2], a.shape[-1]
    if m >= n:
        if ctx.attrs["full_matrices"] and m > n:
            raise NotImplementedError(
                f"qr: no gradient for full_matrices=True with more rows than columns (as in "
                f"TensorFlow); got a matrix of shape {a.shape}. Use full_matrices=False.")
        return (_qr_square_vjp(q, r, g_q, g_r),)
    # Wide: A = [X | Y] with X square; Q R_x = X and R_y = Q^H Y.
    y, r_x = a[..., :, m:], r[..., :, :m]
    g_rx, g_ry = g_r[..., :, :m], g_r[..., :, m:]
    g_x = _qr_square_vjp(q, r_x, _m.add(g_q, matmul(y, g_ry, adjoint_b=True)), g_rx)
    return (concat([g_x, matmul(q, g_ry)], axis=-1),)


_QR = register(OpDef(
    "qr", "Qr", ("input",), _qr_infer, _qr_kernel, vjp=_qr_vjp,
    attrs={"full_matrices": False}, num_outputs=2, dtypes=_LAPACK,
    doc="The QR decomposition A = Q R of each matrix."))


def qr(input, full_matrices=False, name=None):  # noqa: A002 - TensorFlow's name
    """The QR decomposition `input = q @ r` of each matrix: orthonormal `q`, upper `r`.

    The signs (phases) of q's columns and r's rows are LAPACK's (Householder) and may
    differ from TensorFlow's. Gradients: for M >= N with `full_matrices=False` (or square),
    and for M < N, as in TensorFlow; they need `r` invertible (A of full rank).

    Args:
        input: a float or complex tensor of shape [..., M, N].
        full_matrices: return the complete `q` [..., M, M] and `r` [..., M, N] instead of
            the reduced `q` [..., M, P] and `r` [..., P, N], P = min(M, N).

    Returns:
        A pair `(q, r)`.

    Raises:
        ShapeError: for a rank below 2.
        DTypeError: for integer or half-precision tensors.

    Example:
        >>> q, r = engine.linalg.qr(engine.constant([[3.0, 1.0], [4.0, 2.0]]))
        >>> np.allclose((q @ r).numpy(), [[3.0, 1.0], [4.0, 2.0]], atol=1e-6)
        True
        >>> float(abs(r.numpy()[0, 0]))
        5.0
    """
    return tuple(dispatch(_QR, (input,), {"full_matrices": bool(full_matrices)}))
