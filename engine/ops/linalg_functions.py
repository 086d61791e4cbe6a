"""Matrix functions: sqrtm (the principal square root) and logm (the principal logarithm).

Primitives (TensorFlow's raw ops): `MatrixSquareRoot` and `MatrixLogarithm`. TensorFlow
computes both from a Schur decomposition, which neither NumPy nor CuPy offers; here:

- sqrtm runs the Denman-Beavers iteration (Y -> A^1/2, Z -> A^-1/2, both updated from the
  other's inverse) with determinant scaling, in float64 / complex128. It converges for
  matrices with no eigenvalues on the closed negative real axis; for a real matrix with
  negative eigenvalues no real principal root exists and the result is NaN (as TF's).
- logm (complex only, as in TensorFlow) uses inverse scaling and squaring: square roots
  until A^(1/2^k) is close to I, then log(I + X) by Gauss-Legendre quadrature of
  its integral X (I + t X)^-1 over [0, 1] (a diagonal Pade approximant), times 2^k.

The gradient of sqrtm is the adjoint of its Frechet derivative: the top-right block of
sqrtm([[A^H, G], [0, A^H]]), as expm's. logm has no gradient (neither has TensorFlow's).
"""

from __future__ import annotations

import numpy as np

from engine.dispatch import dispatch
from engine.ops.fill_ops import zeros_like
from engine.ops.join_ops import concat
from engine.ops.linalg_decompositions import adjoint_of
from engine.ops.linalg_solvers import _LAPACK, _square_shape
from engine.registry import COMPLEX, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["sqrtm", "logm"]

_MAX_STEPS = 100
_QUADRATURE_NODES = 10  # Gauss-Legendre points: exact to double precision for ||X|| <= 1/4
_LOG_RADIUS = 0.25


def _one_norm(xp, x):
    return xp.abs(x).sum(axis=-2).max(axis=-1)


def _principal_sqrt(xp, a):
    """Denman-Beavers on a float64 / complex128 batch; NaN where it does not converge."""
    n = a.shape[-1]
    y = a
    z = xp.broadcast_to(xp.eye(n, dtype=a.dtype), a.shape)
    tol = 10 * n * np.finfo(np.float64).eps
    scale = True
    change = xp.full(a.shape[:-2], np.inf)
    with np.errstate(all="ignore"):
        for _ in range(_MAX_STEPS):
            if scale:  # mu = |det(Y) det(Z)|^(-1/2n) brings both towards determinant 1
                log_det = xp.linalg.slogdet(y)[1] + xp.linalg.slogdet(z)[1]
                mu = xp.exp(-log_det / (2 * n))[..., None, None].astype(a.dtype)
            else:
                mu = 1
            y_inv, z_inv = xp.linalg.inv(y), xp.linalg.inv(z)
            y_next = 0.5 * (mu * y + z_inv / mu)
            z = 0.5 * (mu * z + y_inv / mu)
            change = _one_norm(xp, y_next - y) / _one_norm(xp, y_next)
            y = y_next
            worst = float(xp.max(xp.where(xp.isnan(change), np.inf, change))) if change.size else 0
            scale = scale and worst > 1e-2  # scaling only helps far from convergence
            if worst <= tol:
                break
    failed = ~(change <= 1e-6)  # NaN and divergence alike
    return xp.where(failed[..., None, None], np.nan, y)


def _functions_kernel(xp, x, fn):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError("not square")  # dispatch asks infer to explain
    wide = np.complex128 if x.dtype.kind == "c" else np.float64
    if x.shape[-1] == 0:
        return x.copy()
    try:
        return fn(xp, x.astype(wide)).astype(x.dtype)
    except np.linalg.LinAlgError:  # a singular matrix on the way: no principal function
        return xp.full(x.shape, np.nan, x.dtype)


# --- sqrtm ----------------------------------------------------------------------------------
def _sqrtm_vjp(ctx, g):
    a_h = adjoint_of(ctx.inputs[0])
    n = a_h.shape[-1]
    top = concat([a_h, g], axis=-1)
    bottom = concat([zeros_like(a_h), a_h], axis=-1)
    return (sqrtm(concat([top, bottom], axis=-2))[..., :n, n:],)


_SQRTM = register(OpDef(
    "sqrtm", "MatrixSquareRoot", ("input",),
    lambda x: TensorSpec(_square_shape("sqrtm", x), x.dtype),
    lambda xp, x: _functions_kernel(xp, x, _principal_sqrt), vjp=_sqrtm_vjp, dtypes=_LAPACK,
    doc="The principal square root of each square matrix."))


def sqrtm(input, name=None):  # noqa: A002 - TensorFlow's name
    """The principal square root `X` (with `X @ X == input`) of each square matrix.

    The principal root is the one whose eigenvalues have positive real parts; it exists for
    matrices with no eigenvalues on the closed negative real axis. Elsewhere the result is
    NaN: for a real matrix with a negative eigenvalue (as TensorFlow), a singular matrix,
    and also for a complex one with an eigenvalue on that axis (where TensorFlow's Schur
    method picks a root, such as 2i for -4). Computed with the Denman-Beavers iteration;
    elsewhere the results agree with TensorFlow's to rounding.

    Args:
        input: a float or complex tensor of shape [..., M, M].

    Returns:
        A tensor like `input`.

    Raises:
        ShapeError: for non-square matrices.

    Example:
        >>> engine.linalg.sqrtm(engine.constant([[4.0, 0.0], [0.0, 9.0]])).numpy()
        array([[2., 0.],
               [0., 3.]], dtype=float32)
    """
    return dispatch(_SQRTM, (input,))


# --- logm -----------------------------------------------------------------------------------
def _principal_log(xp, a):
    n = a.shape[-1]
    eye = xp.eye(n, dtype=a.dtype)
    squarings = 0
    while squarings < 64 and float(xp.max(_one_norm(xp, a - eye))) > _LOG_RADIUS:
        a = _principal_sqrt(xp, a)  # every matrix of the batch takes the same number of roots
        squarings += 1
        if bool(xp.isnan(a).all()):
            break
    x = a - eye
    nodes, weights = np.polynomial.legendre.leggauss(_QUADRATURE_NODES)
    log = xp.zeros_like(x)
    for t, w in zip((nodes + 1) / 2, weights / 2):  # mapped from [-1, 1] to [0, 1]
        log = log + w * xp.linalg.solve(eye + t * x, x)
    return (2.0 ** squarings) * log


_LOGM = register(OpDef(
    "logm", "MatrixLogarithm", ("input",),
    lambda x: TensorSpec(_square_shape("logm", x), x.dtype),
    lambda xp, x: _functions_kernel(xp, x, _principal_log), dtypes=COMPLEX,
    doc="The principal logarithm of each complex square matrix."))


def logm(input, name=None):  # noqa: A002 - TensorFlow's name
    """The principal logarithm `X` (with `expm(X) == input`) of each complex square matrix.

    Complex input only, as in TensorFlow: cast real matrices with `engine.cast(a,
    engine.complex64)`. Matrices with eigenvalues on the closed negative real axis have no
    principal logarithm; the result is then NaN. Not differentiable (neither is
    TensorFlow's).

    Args:
        input: a complex64 or complex128 tensor of shape [..., M, M].

    Returns:
        A tensor like `input`.

    Raises:
        ShapeError: for non-square matrices.
        DTypeError: for real tensors.

    Example:
        >>> a = engine.cast(engine.constant([[1.0, 1.0], [0.0, 1.0]]), engine.complex64)
        >>> np.round(engine.linalg.logm(a).numpy().real, 5)
        array([[0., 1.],
               [0., 0.]], dtype=float32)
    """
    return dispatch(_LOGM, (input,))
