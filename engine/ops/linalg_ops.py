"""Linear algebra, `engine.linalg`: the family's public functions, and norms.

The ops live in one module per concept; this module gathers their public functions
(`engine.linalg` re-exports `__all__`) and importing it registers all of them:

- `matmul_ops`: matmul, matvec, matrix_transpose, adjoint.
- `diag_ops`: eye, diag, diag_part, trace, band_part.
- `einsum_ops`: einsum, tensordot.
- `linalg_solvers`: inv, det, slogdet, logdet, solve, cholesky, cholesky_solve.

`norm` is defined here: a composite of reductions. Matrix ops work on the last two axes;
leading axes are a batch.
"""

from __future__ import annotations

import numpy as np

from engine.convert import convert_to_tensor
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops import static_args as _sa
from engine.ops import unary_ops as _u
from engine.ops.diag_ops import band_part, diag, diag_part, eye, trace
from engine.ops.einsum_ops import einsum, tensordot
from engine.ops.linalg_decompositions import svd
from engine.ops.linalg_solvers import cholesky, cholesky_solve, det, inv, logdet, slogdet, solve
from engine.ops.matmul_ops import adjoint, matmul, matrix_transpose, matvec
from engine.registry import INEXACT

__all__ = [
    "norm",
    # Re-exported from the modules that define them:
    "matmul", "matvec", "matrix_transpose", "adjoint",
    "eye", "diag", "diag_part", "trace", "band_part",
    "einsum", "tensordot",
    "inv", "det", "slogdet", "logdet", "solve", "cholesky", "cholesky_solve",
]


# --- norm -----------------------------------------------------------------------------------
def _norm_axes(x, axis) -> tuple | None:
    axis = _sa.static_axis(axis)
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    rank = x._value.ndim
    axes = tuple(_inf.normalize_axis("norm", int(a), rank) for a in axes)
    if len(axes) not in (1, 2) or len(set(axes)) != len(axes):
        raise ValueError(f"norm: got axis={axis!r}; expected None, an int (a vector norm) or "
                         "two distinct ints (a matrix norm).")
    return axes


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """A vector or matrix norm of `tensor`.

    With `axis` None or an int, a vector norm (axis None: over all entries); with a pair
    of axes, a matrix norm over them. The gradient of the euclidean / Frobenius norm is
    x / norm, and 0 where the norm is exactly 0 (a subgradient; TensorFlow gives NaN there).

    Args:
        tensor: a floating tensor.
        ord: vectors: "euclidean" (= 2), 1, np.inf, or any p > 0. Matrices: "euclidean" /
            "fro" (Frobenius), 1 (max column sum), 2 (spectral: the largest singular
            value) or np.inf (max row sum).
        axis: None, an int, or a pair of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Raises:
        ValueError: for an unsupported `ord` or `axis`.
        DTypeError: for a non-floating tensor.

    Example:
        >>> float(engine.norm(engine.constant([3.0, 4.0])))
        5.0
    """
    x = convert_to_tensor(tensor)
    _inf.check_dtype("norm", x, INEXACT, "tensor")
    axes = _norm_axes(x, axis)
    keep = bool(keepdims)
    if axes is not None and len(axes) == 2:
        return _matrix_norm(x, ord, axes, keep)
    if ord in ("euclidean", 2, 2.0):
        return _r.reduce_euclidean_norm(x, axes, keep)
    if isinstance(ord, str) or isinstance(ord, bool) or not ord > 0:
        raise ValueError(f"norm: got ord={ord!r} for a vector norm; expected 'euclidean', 1, "
                         "2, np.inf or a number p > 0 ('fro' is for matrices: give two axes).")
    if ord == 1:
        return _r.reduce_sum(_u.abs(x), axes, keep)
    if ord == np.inf:
        return _r.reduce_max(_u.abs(x), axes, keep)
    p = np.asarray(ord, x.dtype._np)
    return _m.pow(_r.reduce_sum(_m.pow(_u.abs(x), p), axes, keep), 1 / p)


def _matrix_norm(x, ord, axes, keep):
    if ord in ("euclidean", "fro"):
        return _r.reduce_euclidean_norm(x, axes, keep)
    if ord not in (1, 2, np.inf) or isinstance(ord, bool):
        raise ValueError(f"norm: got ord={ord!r} for a matrix norm (axis={list(axes)}); "
                         "expected 'euclidean', 'fro', 1, 2 or np.inf.")
    rows, cols = axes
    if ord == 2:
        return _spectral_norm(x, rows, cols, keep)
    summed = rows if ord == 1 else cols  # 1: max column sum; inf: max row sum
    other = cols if ord == 1 else rows
    out = _r.reduce_max(_r.reduce_sum(_u.abs(x), summed, keepdims=True), other, keepdims=True)
    return out if keep else _a.squeeze(out, axes)



def _spectral_norm(x, rows, cols, keep):
    """The largest singular value over axes (rows, cols), built on `svd` for its gradient."""
    rank = x.shape.rank
    batch = [d for d in range(rank) if d not in (rows, cols)]
    moved = _a.transpose(x, batch + [rows, cols])
    out = _r.reduce_max(svd(moved, compute_uv=False), -1)  # (*batch,)
    if keep:
        out = _a.expand_dims(_a.expand_dims(out, min(rows, cols)), max(rows, cols))
    return out
