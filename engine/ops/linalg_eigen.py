"""Eigendecompositions: eigh and eigvalsh (Hermitian matrices), eig and eigvals (general).

Primitives (TensorFlow's raw ops): `SelfAdjointEigV2` (LAPACK's / cuSOLVER's syevd:
eigenvalues ascending, only the lower triangle read) and `Eig` (geev: complex eigenvalues
and unit-norm eigenvectors, in LAPACK's order).

Eigenvectors are unique only up to a sign (a phase, for complex ones), and the engine's
choice (LAPACK's) may differ from TensorFlow's (Eigen's). `eig` returns eigenvalues in
LAPACK's order, which is not TensorFlow's either: neither is sorted. Compare invariants
(A v = v diag(e), sorted eigenvalues) rather than raw outputs.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.dispatch import dispatch
from engine.ops import math_ops as _m
from engine.ops.diag_ops import band_part, diag, diag_part
from engine.ops.linalg_decompositions import _off_diagonal_reciprocal, adjoint_of
from engine.ops.linalg_more import set_diag
from engine.ops.linalg_solvers import _LAPACK, _square_shape
from engine.ops.matmul_ops import matmul
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["eigh", "eigvalsh", "eig", "eigvals"]

_COMPLEX_OF = {_dt.float32: _dt.complex64, _dt.float64: _dt.complex128,
               _dt.complex64: _dt.complex64, _dt.complex128: _dt.complex128}


def _eigen_specs(op: str, x, values_dtype, vectors_dtype, compute_v: bool):
    shape = _square_shape(op, x)
    values = TensorSpec(None if shape.rank is None else shape[:-1], values_dtype)
    if not compute_v:  # TensorFlow's raw ops leave v empty
        return values, TensorSpec([0], vectors_dtype)
    return values, TensorSpec(shape, vectors_dtype)


def _check_square(x, op: str):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{op}: not square")  # dispatch asks infer to explain


# --- eigh -----------------------------------------------------------------------------------
def _eigh_kernel(xp, x, compute_v=True):
    _check_square(x, "eigh")
    if not compute_v:
        return xp.linalg.eigvalsh(x, UPLO="L"), xp.zeros((0,), x.dtype)
    e, v = xp.linalg.eigh(x, UPLO="L")
    return e, v


def _eigh_vjp(ctx, g_e, g_v):
    # A = V diag(e) V^H: grad A = V (diag(g_e) + F o (V^H g_v)) V^H, F = 1 / (e_k - e_j) off
    # the diagonal. Only the lower triangle of A is read, so the gradient lives there too:
    # each strictly-lower entry stands for itself and its mirror, the diagonal for itself.
    a = ctx.inputs[0]
    if ctx.attrs["compute_v"]:
        e, v = ctx.outputs
        f = _off_diagonal_reciprocal(e, a.dtype)
        inner = _m.add(diag(_m.cast(g_e, a.dtype)),
                       _m.multiply(f, matmul(v, g_v, adjoint_a=True)))
    else:
        e, v = eigh(a)
        inner = diag(_m.cast(g_e, a.dtype))
    grad = matmul(matmul(v, inner), v, adjoint_b=True)
    lower = band_part(_m.add(grad, adjoint_of(grad)), -1, 0)
    return (set_diag(lower, _m.multiply(0.5, diag_part(lower))),)


_EIGH = register(OpDef(
    "eigh", "SelfAdjointEigV2", ("input",),
    lambda x, compute_v=True: _eigen_specs("eigh", x, x.dtype.real_dtype, x.dtype, compute_v),
    _eigh_kernel, vjp=_eigh_vjp, attrs={"compute_v": True}, num_outputs=2, dtypes=_LAPACK,
    doc="The eigenvalues (ascending) and eigenvectors of each Hermitian matrix."))


def eigh(tensor, name=None):
    """The eigenvalues and eigenvectors of each self-adjoint (Hermitian) matrix.

    Only the lower triangle of `tensor` is read, and only it gets a gradient (as in
    TensorFlow). Eigenvalues are real and ascending; eigenvectors are the columns of `v`,
    with LAPACK's signs (phases). The gradient needs distinct eigenvalues and a loss that
    does not depend on the eigenvectors' signs.

    Args:
        tensor: a float or complex tensor of shape [..., N, N].

    Returns:
        A pair `(e, v)`: `e` of shape [..., N] (real dtype), `v` of shape [..., N, N].

    Raises:
        ShapeError: for non-square matrices.
        DTypeError: for integer or half-precision tensors.

    Example:
        >>> e, v = engine.linalg.eigh(engine.constant([[2.0, 1.0], [1.0, 2.0]]))
        >>> e.numpy()
        array([1., 3.], dtype=float32)
    """
    return tuple(dispatch(_EIGH, (tensor,), {"compute_v": True}))


def eigvalsh(tensor, name=None):
    """The eigenvalues (real, ascending) of each self-adjoint (Hermitian) matrix.

    Only the lower triangle is read. The gradient needs distinct eigenvalues.

    Args:
        tensor: a float or complex tensor of shape [..., N, N].

    Returns:
        A tensor of shape [..., N] (real dtype).

    Example:
        >>> engine.linalg.eigvalsh(engine.constant([[2.0, 0.0], [0.0, -1.0]])).numpy()
        array([-1.,  2.], dtype=float32)
    """
    return dispatch(_EIGH, (tensor,), {"compute_v": False})[0]


# --- eig ------------------------------------------------------------------------------------
def _eig_infer(x, compute_v=True, Tout=None):  # noqa: N803 - TensorFlow's attr name
    out = _COMPLEX_OF.get(x.dtype)
    if Tout is not None and out is not None and _dt.as_dtype(Tout) is not out:
        raise TypeError(f"eig: got Tout={_dt.as_dtype(Tout).name} for input of dtype "
                        f"{x.dtype.name}; expected {out.name}. Leave Tout out.")
    return _eigen_specs("eig", x, out, out, compute_v)


def _eig_kernel(xp, x, compute_v=True, Tout=None):  # noqa: N803
    _check_square(x, "eig")
    out = np.result_type(x.dtype, np.complex64)
    if not compute_v:
        return xp.linalg.eigvals(x).astype(out), xp.zeros((0,), out)
    e, v = xp.linalg.eig(x)
    return e.astype(out), v.astype(out)


_EIG = register(OpDef(
    "eig", "Eig", ("input",), _eig_infer, _eig_kernel,
    attrs={"compute_v": True, "Tout": None}, num_outputs=2, dtypes=_LAPACK,
    doc="The (complex) eigenvalues and eigenvectors of each square matrix."))


def eig(tensor, name=None):
    """The eigenvalues and right eigenvectors of each square matrix (not differentiable).

    Outputs are complex: complex64 for float32 and complex64 input, complex128 otherwise.
    Eigenvectors (the columns of `v`) have unit norm; the order of the eigenvalues and the
    phases of the vectors are LAPACK's, which may differ from TensorFlow's (Eigen's).

    Args:
        tensor: a float or complex tensor of shape [..., N, N].

    Returns:
        A pair `(e, v)`: `e` of shape [..., N], `v` of shape [..., N, N], with
        `tensor @ v == v * e[..., None, :]`.

    Raises:
        ShapeError: for non-square matrices.

    Example:
        >>> e, v = engine.linalg.eig(engine.constant([[0.0, 1.0], [-1.0, 0.0]]))
        >>> sorted(e.numpy().imag.tolist())
        [-1.0, 1.0]
    """
    return tuple(dispatch(_EIG, (tensor,), {"compute_v": True}))


def eigvals(tensor, name=None):
    """The (complex) eigenvalues of each square matrix, in LAPACK's order.

    Args:
        tensor: a float or complex tensor of shape [..., N, N].

    Returns:
        A complex tensor of shape [..., N].

    Example:
        >>> sorted(engine.linalg.eigvals(engine.constant([[3.0, 1.0], [0.0, 1.0]])).numpy())
        [np.complex64(1+0j), np.complex64(3+0j)]
    """
    return dispatch(_EIG, (tensor,), {"compute_v": False})[0]
