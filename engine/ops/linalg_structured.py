"""Structured matrices as composites: tridiagonal systems, LU helpers and tensor_diag_part.

Each function here is built from registered ops (set_diag, solve, matmul, gather, ...), so
it gets gradients, tracing and GPU support from them:

- `tridiagonal_solve` / `tridiagonal_matmul` expand the three diagonals into dense matrices
  (O(M^2) memory; TensorFlow runs the Thomas algorithm in O(M)). The compact layout
  [super, main, sub] with the superdiagonal left-aligned and the subdiagonal right-aligned
  is exactly `set_diag`'s `k=(-1, 1), align="LEFT_RIGHT"` layout.
- `lu_matrix_inverse` and `lu_reconstruct` read `engine.linalg.lu`'s packed output.
"""

from __future__ import annotations

from engine.convert import convert_to_tensor
from engine.errors import ShapeError, UnimplementedError
from engine.ops import math_ops as _m
from engine.ops.array_ops import expand_dims, reshape, squeeze
from engine.ops.diag_ops import band_part, diag_part, eye
from engine.ops.fill_ops import zeros
from engine.ops.gather_ops import gather
from engine.ops.join_ops import stack
from engine.ops.linalg_more import _unit_lower, lu_solve, set_diag
from engine.ops.linalg_solvers import solve
from engine.ops.matmul_ops import matmul, matrix_transpose
from engine.ops.sort_ops import argsort

__all__ = ["tridiagonal_solve", "tridiagonal_matmul", "lu_matrix_inverse", "lu_reconstruct",
           "tensor_diag_part"]

_FORMATS = ("compact", "sequence", "matrix")


# --- tridiagonal ----------------------------------------------------------------------------
def _dense_tridiagonal(op: str, diagonals, diagonals_format: str):
    """The dense [..., M, M] matrix of `diagonals` given in one of TensorFlow's formats."""
    if diagonals_format not in _FORMATS:
        raise ValueError(f"{op}: got diagonals_format={diagonals_format!r}; expected one of "
                         f"{', '.join(map(repr, _FORMATS))}.")
    if diagonals_format == "sequence":
        if not isinstance(diagonals, (list, tuple)) or len(diagonals) != 3:
            raise ShapeError(f"{op}: with diagonals_format='sequence', expected diagonals as "
                             "three tensors (superdiagonal, diagonal, subdiagonal), each "
                             "[..., M].")
        main = convert_to_tensor(diagonals[1])
        parts = [convert_to_tensor(d, main.dtype) for d in diagonals]
        diagonals = stack(parts, axis=-2)
    diagonals = convert_to_tensor(diagonals)
    shape = diagonals.shape
    if diagonals_format == "matrix":
        if shape.rank is None or shape.rank < 2 or shape[-1] != shape[-2]:
            raise ShapeError(f"{op}: got diagonals of shape {shape} with diagonals_format="
                             "'matrix'; expected square matrices [..., M, M].")
        return band_part(diagonals, 1, 1)  # only the three diagonals are read
    if shape.rank is None or shape.rank < 2 or shape[-2] != 3:
        raise ShapeError(f"{op}: got diagonals of shape {shape} with diagonals_format='compact';"
                         " expected [..., 3, M]: the superdiagonal (last entry ignored), the "
                         "diagonal and the subdiagonal (first entry ignored).")
    size = shape[-1]
    empty = zeros(list(shape[:-2]) + [size, size], diagonals.dtype)
    return set_diag(empty, diagonals, k=(-1, 1), align="LEFT_RIGHT")


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):
    """Solves `A @ x = rhs` for a (batch of) tridiagonal matrices `A`.

    The system is solved densely with partial pivoting, so `partial_pivoting=False` gives
    the same (pivoted) result. A singular matrix raises InvalidArgumentError (TensorFlow
    returns NaN); `perturb_singular=True` is not supported.

    Args:
        diagonals: 'compact': a tensor [..., 3, M] holding the superdiagonal (its last entry
            ignored), the diagonal and the subdiagonal (its first entry ignored);
            'sequence': a tuple of those three tensors, each [..., M]; 'matrix': the full
            [..., M, M] matrix (entries off the three diagonals ignored).
        rhs: a tensor [..., M] or [..., M, K] (or [..., K, M] with `transpose_rhs`).
        diagonals_format: 'compact', 'sequence' or 'matrix'.
        transpose_rhs: transpose a matrix `rhs` before solving.
        conjugate_rhs: conjugate `rhs` before solving.
        partial_pivoting: accepted for TensorFlow compatibility; pivoting always happens.
        perturb_singular: must be False.

    Returns:
        `x`, of shape [..., M] or [..., M, K].

    Raises:
        ShapeError: for diagonals that do not match the format.
        InvalidArgumentError: for a singular matrix.

    Example:
        >>> diagonals = engine.constant([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0], [0.0, 1.0, 1.0]])
        >>> engine.linalg.tridiagonal_solve(diagonals, engine.constant([3.0, 4.0, 3.0])).numpy()
        array([1., 1., 1.], dtype=float32)
    """
    if perturb_singular:
        raise UnimplementedError("tridiagonal_solve: perturb_singular=True is not supported; "
                                 "pass perturb_singular=False (singular systems then raise).")
    matrix = _dense_tridiagonal("tridiagonal_solve", diagonals, diagonals_format)
    rhs = convert_to_tensor(rhs, matrix.dtype)
    vector = rhs.shape.rank == matrix.shape.rank - 1
    if conjugate_rhs:
        rhs = _m.conj(rhs)
    if vector:
        return squeeze(solve(matrix, expand_dims(rhs, -1)), -1)
    if transpose_rhs:
        rhs = matrix_transpose(rhs)
    return solve(matrix, rhs)


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """The product `A @ rhs` of a (batch of) tridiagonal matrices `A` with `rhs`.

    Args:
        diagonals: the matrix in `diagonals_format`, as for `tridiagonal_solve`.
        rhs: a tensor of shape [..., M, N].
        diagonals_format: 'compact', 'sequence' or 'matrix'.

    Returns:
        A tensor of shape [..., M, N].

    Raises:
        ShapeError: for diagonals that do not match the format.

    Example:
        >>> diagonals = engine.constant([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0], [0.0, 1.0, 1.0]])
        >>> engine.linalg.tridiagonal_matmul(diagonals, engine.ones([3, 1])).numpy()
        array([[3.],
               [4.],
               [3.]], dtype=float32)
    """
    matrix = _dense_tridiagonal("tridiagonal_matmul", diagonals, diagonals_format)
    return matmul(matrix, convert_to_tensor(rhs, matrix.dtype))


# --- LU helpers -----------------------------------------------------------------------------
def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """The inverse of each matrix from its LU decomposition (`engine.linalg.lu`'s outputs).

    Args:
        lower_upper: the packed LU matrix, shape [..., M, M].
        perm: the row permutation, shape [..., M].
        validate_args: ignored.

    Returns:
        A tensor of shape [..., M, M].

    Example:
        >>> a = engine.constant([[0.0, 2.0], [4.0, 0.0]])
        >>> engine.linalg.lu_matrix_inverse(*engine.linalg.lu(a)).numpy()
        array([[0.  , 0.25],
               [0.5 , 0.  ]], dtype=float32)
    """
    lower_upper = convert_to_tensor(lower_upper)
    shape = lower_upper.shape
    if shape.rank is None or shape.rank < 2:
        raise ShapeError(f"lu_matrix_inverse: got lower_upper of shape {shape}; expected "
                         "[..., M, M].")
    identity = eye(shape[-1], batch_shape=list(shape[:-2]), dtype=lower_upper.dtype)
    return lu_solve(lower_upper, perm, identity)


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """The matrices whose LU decompositions are `(lower_upper, perm)`: `lu`'s inverse.

    Args:
        lower_upper: the packed LU matrix, shape [..., M, M].
        perm: the row permutation, shape [..., M].
        validate_args: ignored.

    Returns:
        A tensor of shape [..., M, M].

    Example:
        >>> a = engine.constant([[1.0, 2.0], [3.0, 4.0]])
        >>> engine.linalg.lu_reconstruct(*engine.linalg.lu(a)).numpy()
        array([[1., 2.],
               [3., 4.]], dtype=float32)
    """
    lower_upper = convert_to_tensor(lower_upper)
    rank = lower_upper.shape.rank
    if rank is None or rank < 2:
        raise ShapeError(f"lu_reconstruct: got lower_upper of shape {lower_upper.shape}; "
                         "expected [..., M, M].")
    product = matmul(_unit_lower(lower_upper), band_part(lower_upper, 0, -1))  # P A
    # Row i of P A is row perm[i] of A, so A's row j is row argsort(perm)[j] of P A.
    return gather(product, argsort(perm, axis=-1), axis=rank - 2, batch_dims=rank - 2)


# --- tensor_diag_part -----------------------------------------------------------------------
def tensor_diag_part(input, name=None):  # noqa: A002 - TensorFlow's name
    """The diagonal of a tensor of shape `D + D`: `output[i...] = input[i..., i...]`.

    The inverse of `engine.linalg.tensor_diag`.

    Args:
        input: a tensor of even rank 2k with shape [d1, ..., dk, d1, ..., dk].

    Returns:
        A tensor of shape [d1, ..., dk].

    Raises:
        ShapeError: for an odd rank, or halves of different shapes.

    Example:
        >>> engine.linalg.tensor_diag_part(engine.constant([[1, 2], [3, 4]])).numpy()
        array([1, 4], dtype=int32)
    """
    input = convert_to_tensor(input)  # noqa: A001
    shape = input.shape
    half = None if shape.rank is None else shape.rank // 2
    if half is None or shape.rank == 0 or shape.rank % 2 or shape[:half] != shape[half:] \
            or None in list(shape):
        raise ShapeError(f"tensor_diag_part: got input of shape {shape}; expected a fully "
                         "known shape D + D of even rank >= 2 (e.g. [2, 3, 2, 3]).")
    outer = list(shape[:half])
    size = 1
    for d in outer:
        size *= d
    return reshape(diag_part(reshape(input, [size, size])), outer)
