"""More of `tf.linalg`: set_diag, tensor_diag, cross, expm, pinv, lu, lu_solve, normalize.

Registered ops (kernels written against `xp`; matrices on the last two axes, leading axes a
batch): `MatrixSetDiagV3`, `MatrixExponential` (scaling and squaring with the [13/13] Pade
approximant; its gradient is the Frechet derivative, read off the exponential of a block
matrix), `PseudoInverse` (engine's name: TensorFlow builds `pinv` from an SVD, which engine
does not have as an op) and `Lu` (partial pivoting, as LAPACK's getrf). `tensor_diag`,
`cross`, `lu_solve` and `normalize` are composites, so their gradients come for free.
"""

from __future__ import annotations

import math

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops.array_ops import reshape
from engine.ops.diag_ops import band_part, diag, diag_part
from engine.ops.fill_ops import ones_like, zeros_like
from engine.ops.gather_ops import gather
from engine.ops.join_ops import concat, stack
from engine.ops.linalg_ops import norm
from engine.ops.linalg_solvers import _LAPACK, _square_shape, solve
from engine.ops.matmul_ops import adjoint, matmul
from engine.ops.pad_ops import pad
from engine.ops.sort_ops import argsort
from engine.ops.static_args import static_axis
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["set_diag", "tensor_diag", "cross", "expm", "pinv", "lu", "lu_solve", "normalize"]


# --- set_diag ---------------------------------------------------------------------------------
def _k_range(k) -> tuple:
    k = static_axis(k)
    if isinstance(k, (list, tuple)):
        lo, hi = (int(k[0]), int(k[-1]))
        if len(k) not in (1, 2) or lo > hi:
            raise ShapeError(f"set_diag: got k={k!r}; expected an int or a pair (low, high) "
                             "with low <= high.")
        return lo, hi
    return int(k), int(k)


def _diag_len(rows, cols, d):
    return max(0, min(rows + min(d, 0), cols - max(d, 0)))


def _set_diag_infer(x, diagonal, k=(0, 0), align="RIGHT_LEFT"):
    op = "set_diag"
    _inf.same_dtype(op, x, diagonal)
    if x.shape.rank is None or diagonal.shape.rank is None:
        return x
    if x.shape.rank < 2:
        raise ShapeError(f"{op}: got input of shape {x.shape}; expected rank >= 2 (matrices).")
    lo, hi = k
    rows, cols = x.shape[-2], x.shape[-1]
    length = None
    if rows is not None and cols is not None:
        length = max(_diag_len(rows, cols, d) for d in range(lo, hi + 1))
    tail = [length] if lo == hi else [hi - lo + 1, length]
    expected = x.shape[:-2].concatenate(tail)
    if not expected.is_compatible_with(diagonal.shape):
        raise ShapeError(f"{op}: got diagonal of shape {diagonal.shape} for input of shape "
                         f"{x.shape} and k={(lo, hi)}; expected shape {expected} (batch shape, "
                         "then [number of diagonals, if k is a range,] longest diagonal).")
    return x


def _placements(rows, cols, lo, hi, align):
    """For each diagonal d: (row in `diagonal`, offset in it, length, row/column indices)."""
    super_right, sub_right = (part == "RIGHT" for part in align.split("_"))
    longest = max(_diag_len(rows, cols, d) for d in range(lo, hi + 1))
    out = []
    for d in range(lo, hi + 1):
        n = _diag_len(rows, cols, d)
        right = super_right if d >= 0 else sub_right
        i = np.arange(n)
        out.append((hi - d, longest - n if right else 0, n, i + max(-d, 0), i + max(d, 0)))
    return out


def _set_diag_kernel(xp, x, diagonal, k=(0, 0), align="RIGHT_LEFT"):
    lo, hi = k
    out = x.copy()
    if lo == hi:
        diagonal = diagonal[..., None, :]
    for row, offset, n, r, c in _placements(x.shape[-2], x.shape[-1], lo, hi, align):
        out[..., xp.asarray(r), xp.asarray(c)] = diagonal[..., row, offset:offset + n]
    return out


def _diagonals_of(g, lo, hi, align):
    """The diagonals lo..hi of `g`, laid out as set_diag reads them (its gradient)."""
    rows, cols = g.shape[-2], g.shape[-1]
    if lo == hi:
        return diag_part(g, k=lo)
    longest = max(_diag_len(rows, cols, d) for d in range(lo, hi + 1))
    parts = []
    for d in range(hi, lo - 1, -1):
        n = _diag_len(rows, cols, d)
        part = diag_part(g, k=d)
        right = (align.split("_")[0 if d >= 0 else 1] == "RIGHT")
        before = longest - n if right else 0
        parts.append(pad(part, [[0, 0]] * (g.shape.rank - 2) + [[before, longest - n - before]]))
    return stack(parts, axis=-2)


def _set_diag_vjp(ctx, g):
    lo, hi = ctx.attrs["k"]
    align = ctx.attrs["align"]
    diagonal = ctx.inputs[1]
    return (set_diag(g, zeros_like(diagonal), k=(lo, hi), align=align),
            _diagonals_of(g, lo, hi, align))


_SET_DIAG = register(OpDef(
    "set_diag", "MatrixSetDiagV3", ("input", "diagonal"), _set_diag_infer, _set_diag_kernel,
    vjp=_set_diag_vjp, attrs={"k": (0, 0), "align": "RIGHT_LEFT"},
    doc="A copy of input with its diagonals k (an int or a range) replaced."))


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002
    """A copy of `input` (a batch of matrices) with its `k`-th diagonal(s) set to `diagonal`.

    With an int `k`, `diagonal` has shape `input.shape[:-2] + [length]`. With a range
    `k=(low, high)` it holds `high - low + 1` rows, the highest diagonal first, each padded
    to the longest one; `align` says on which side the shorter super- and subdiagonals sit
    (`"RIGHT_LEFT"`: superdiagonals right-aligned, subdiagonals left-aligned).

    Args:
        input: a tensor of rank >= 2.
        diagonal: the new diagonal values, shaped as above.
        k: the diagonal offset (0 main, > 0 above, < 0 below) or a pair (low, high).
        align: one of "RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT".

    Returns:
        A tensor like `input`.

    Raises:
        ShapeError: when `diagonal` does not have the shape above.

    Example:
        >>> engine.linalg.set_diag(engine.zeros([2, 3]), [1.0, 2.0], k=1).numpy()
        array([[0., 1., 0.],
               [0., 0., 2.]], dtype=float32)
    """
    if align not in ("RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT"):
        raise ShapeError(f"set_diag: got align={align!r}; expected one of 'RIGHT_LEFT', "
                         "'LEFT_RIGHT', 'LEFT_LEFT', 'RIGHT_RIGHT'.")
    input = convert_to_tensor(input)  # noqa: A001
    diagonal = convert_to_tensor(diagonal, input.dtype)
    return dispatch(_SET_DIAG, (input, diagonal), {"k": _k_range(k), "align": align})


# --- tensor_diag, cross, normalize (composites) -----------------------------------------------
def tensor_diag(diagonal, name=None):
    """A tensor of shape `diagonal.shape + diagonal.shape` with `diagonal` on its diagonal.

    `output[i1, ..., ik, i1, ..., ik] = diagonal[i1, ..., ik]`, zeros elsewhere.

    Args:
        diagonal: a tensor of rank >= 1.

    Returns:
        A tensor of rank `2 * diagonal.rank`.

    Example:
        >>> engine.linalg.tensor_diag([1, 2]).numpy()
        array([[1, 0],
               [0, 2]], dtype=int32)
    """
    diagonal = convert_to_tensor(diagonal)
    shape = list(diagonal.shape)
    if not shape or None in shape:
        raise ShapeError(f"tensor_diag: got diagonal of shape {diagonal.shape}; expected a fully "
                         "known shape of rank >= 1.")
    return reshape(diag(reshape(diagonal, [-1])), shape + shape)


def cross(a, b, name=None):
    """The cross product of 3-vectors along the last axis of two same-shape tensors.

    Args:
        a: a real tensor of shape `[..., 3]`.
        b: a tensor of the same shape and dtype.

    Returns:
        A tensor of that shape.

    Raises:
        ShapeError: when the shapes differ or the last dimension is not 3.

    Example:
        >>> engine.linalg.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).numpy()
        array([0., 0., 1.], dtype=float32)
    """
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    if a.shape != b.shape or a.shape.rank == 0 or a.shape[-1] != 3:
        raise ShapeError(f"cross: got shapes {a.shape} and {b.shape}; expected one shape ending "
                         "in 3 (cross does not broadcast). Use engine.broadcast_to first.")
    a0, a1, a2 = (a[..., i] for i in range(3))
    b0, b1, b2 = (b[..., i] for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002 - TF's name
    """`tensor` divided by its norm, and the norm (kept with size-1 axes).

    Args:
        tensor: a floating tensor.
        ord: the norm's order, as for `engine.norm`.
        axis: the axis (or pair of axes, for a matrix norm) of the norm; None: all.

    Returns:
        A pair `(normalized, norm)`.

    Example:
        >>> normalized, n = engine.linalg.normalize([[3.0, 4.0]], axis=1)
        >>> normalized.numpy(), n.numpy()
        (array([[0.6, 0.8]], dtype=float32), array([[5.]], dtype=float32))
    """
    tensor = convert_to_tensor(tensor)
    size = norm(tensor, ord=ord, axis=axis, keepdims=True)
    return _m.divide(tensor, size), size


# --- expm -------------------------------------------------------------------------------------
_PADE = tuple(math.factorial(26 - j) * math.factorial(13)
              / (math.factorial(26) * math.factorial(j) * math.factorial(13 - j))
              for j in range(14))  # the [13/13] Pade coefficients of exp
_THETA_13 = 5.371920351148152  # Higham (2005): the [13/13] approximant is exact to 2^-53 below


def _expm_kernel(xp, x):
    wide = np.complex128 if x.dtype.kind == "c" else np.float64
    a = x.astype(wide)
    size = a.shape[-1]
    norm1 = xp.abs(a).sum(axis=-2).max(axis=-1)  # (...,) the 1-norm of each matrix
    with np.errstate(divide="ignore"):
        squarings = xp.maximum(xp.ceil(xp.log2(norm1 / _THETA_13)), 0)
    squarings = xp.where(xp.isfinite(squarings), squarings, 0).astype(np.int64)
    a = a / (2.0 ** squarings)[..., None, None]
    eye = xp.broadcast_to(xp.eye(size, dtype=wide), a.shape)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    b = _PADE
    odd = a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
    odd = a @ (odd + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    even = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2)
    even = even + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    out = xp.linalg.solve(even - odd, even + odd)
    for step in range(int(squarings.max()) if squarings.size else 0):
        out = xp.where((step < squarings)[..., None, None], out @ out, out)
    return out.astype(x.dtype)


def _expm_vjp(ctx, g):
    # d/dA <G, exp(A)> is the Frechet derivative of exp at A^H applied to G: the top-right
    # block of exp([[A^H, G], [0, A^H]]).
    a_h = adjoint(ctx.inputs[0])
    n = a_h.shape[-1]
    top = concat([a_h, g], axis=-1)
    bottom = concat([zeros_like(a_h), a_h], axis=-1)
    return (expm(concat([top, bottom], axis=-2))[..., :n, n:],)


_EXPM = register(OpDef(
    "expm", "MatrixExponential", ("input",),
    lambda x: TensorSpec(_square_shape("expm", x), x.dtype), _expm_kernel, vjp=_expm_vjp,
    dtypes=_LAPACK, doc="The matrix exponential of each square matrix."))


def expm(input, name=None):  # noqa: A002
    """The matrix exponential `sum over k of A^k / k!` of each square matrix.

    Args:
        input: a float or complex tensor of shape `[..., M, M]`.

    Returns:
        A tensor like `input`.

    Example:
        >>> engine.linalg.expm([[0.0, 1.0], [0.0, 0.0]]).numpy()
        array([[1., 1.],
               [0., 1.]], dtype=float32)
    """
    return dispatch(_EXPM, (input,))


# --- pinv -------------------------------------------------------------------------------------
def _pinv_infer(x, rcond=None):
    _inf.check_dtype("pinv", x, _LAPACK)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise ShapeError(f"pinv: got shape {x.shape}; expected a (batch of) matrices [..., M, N].")
    shape = None if x.shape.rank is None else x.shape[:-2].concatenate([x.shape[-1], x.shape[-2]])
    return TensorSpec(shape, x.dtype)


def _pinv_kernel(xp, x, rcond=None):
    u, s, vh = xp.linalg.svd(x, full_matrices=False)
    if rcond is None:
        rcond = 10.0 * max(x.shape[-2:]) * np.finfo(x.dtype).eps
    cutoff = rcond * (s.max(axis=-1, keepdims=True) if s.shape[-1] else 0)
    inverse = xp.where(s > cutoff, 1 / xp.where(s > cutoff, s, 1), 0).astype(s.dtype)
    vh_h = xp.conj(xp.swapaxes(vh, -1, -2))
    return (vh_h * inverse[..., None, :]) @ xp.conj(xp.swapaxes(u, -1, -2))


def _pinv_vjp(ctx, g):
    # For X = pinv(A) of constant rank (Golub and Pereyra), the gradient of <G, X> is
    # -X^H G X^H + (I - A X) G^H X X^H + X^H X G^H (I - X A).
    a, x = ctx.inputs[0], ctx.outputs[0]
    g_h, x_h = adjoint(g), adjoint(x)
    ax, xa = matmul(a, x), matmul(x, a)
    left = _m.subtract(g_h, matmul(ax, g_h))  # (I - A X) G^H
    right = _m.subtract(g_h, matmul(g_h, xa))  # G^H (I - X A)
    return (_m.add(_m.subtract(matmul(left, matmul(x, x_h)), matmul(x_h, matmul(g, x_h))),
                   matmul(matmul(x_h, x), right)),)


_PINV = register(OpDef(
    "pinv", "PseudoInverse", ("a",), _pinv_infer, _pinv_kernel, vjp=_pinv_vjp,
    attrs={"rcond": None}, dtypes=_LAPACK,
    doc="The Moore-Penrose pseudo-inverse of each matrix (from its SVD)."))


def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse of each matrix, from its singular values.

    Singular values at most `rcond * largest` count as zero. The gradient assumes the
    rank does not change near `a`.

    Args:
        a: a float or complex tensor of shape `[..., M, N]`.
        rcond: the relative cutoff; default `10 * max(M, N) * eps` of the dtype, as in TF.
        validate_args: ignored (the checks always run).

    Returns:
        A tensor of shape `[..., N, M]`.

    Example:
        >>> engine.linalg.pinv([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]).numpy()
        array([[1. , 0. , 0. ],
               [0. , 0.5, 0. ]], dtype=float32)
    """
    return dispatch(_PINV, (a,), {"rcond": None if rcond is None else float(rcond)})


# --- lu, lu_solve -----------------------------------------------------------------------------
def _lu_infer(x, output_idx_type=_dt.int32):
    shape = _square_shape("lu", x)
    perm = None if shape.rank is None else shape[:-1]
    return TensorSpec(shape, x.dtype), TensorSpec(perm, _dt.as_dtype(output_idx_type))


def _lu_kernel(xp, x, output_idx_type=_dt.int32):
    n = x.shape[-1]
    a = x.reshape((-1, n, n)).copy()
    batch = xp.arange(a.shape[0])
    perm = xp.broadcast_to(xp.arange(n), (a.shape[0], n)).copy()
    for k in range(n):
        pivot = xp.argmax(xp.abs(a[:, k:, k]), axis=-1) + k  # the first largest, as getrf
        for arr in (a, perm):
            row = arr[batch, k].copy()
            arr[batch, k] = arr[batch, pivot]
            arr[batch, pivot] = row
        head = a[:, k, k]
        safe = xp.where(head == 0, 1, head)[:, None]
        a[:, k + 1:, k] = xp.where(head[:, None] == 0, a[:, k + 1:, k], a[:, k + 1:, k] / safe)
        a[:, k + 1:, k + 1:] -= a[:, k + 1:, k, None] * a[:, k, None, k + 1:]
    out_type = np.dtype(_dt.as_dtype(output_idx_type)._np)
    return a.reshape(x.shape), perm.reshape(x.shape[:-1]).astype(out_type)


def _unit_lower(packed):
    """L of a packed LU matrix: its strictly lower part, ones on the diagonal."""
    return set_diag(band_part(packed, -1, 0), ones_like(diag_part(packed)))


def _lu_vjp(ctx, g, g_perm=None):
    # With P A = L U: grad A = P^T L^-H (tril(L^H dL, -1) + triu(dU U^H)) U^-H.
    packed, perm = ctx.outputs
    lower = _unit_lower(packed)
    upper = band_part(packed, 0, -1)
    g_lower = band_part(g, -1, 0) - band_part(g, 0, 0)
    g_upper = band_part(g, 0, -1)
    inner = _m.add(band_part(matmul(lower, g_lower, adjoint_a=True), -1, 0)
                   - band_part(matmul(lower, g_lower, adjoint_a=True), 0, 0),
                   band_part(matmul(g_upper, upper, adjoint_b=True), 0, -1))
    left = solve(adjoint(lower), inner)  # L^-H inner
    permuted = adjoint(solve(upper, adjoint(left)))  # ... U^-H
    rank = packed.shape.rank
    return (gather(permuted, argsort(perm, axis=-1), axis=rank - 2, batch_dims=rank - 2),)


_LU = register(OpDef(
    "lu", "Lu", ("input",), _lu_infer, _lu_kernel, vjp=_lu_vjp,
    attrs={"output_idx_type": _dt.int32}, num_outputs=2, dtypes=_LAPACK,
    doc="The LU decomposition with partial pivoting of each square matrix."))


def lu(input, output_idx_type=_dt.int32, name=None):  # noqa: A002
    """The LU decomposition with partial pivoting, `input[..., p, :] = L @ U`.

    `L` (unit lower triangular, its ones not stored) and `U` (upper triangular) are packed
    into one matrix `lu`; `p` lists, for each row of `L @ U`, the row of `input` it is.

    Args:
        input: a float or complex tensor of shape `[..., M, M]`.
        output_idx_type: the dtype of `p`: int32 or int64.

    Returns:
        A pair `(lu, p)`.

    Example:
        >>> packed, p = engine.linalg.lu([[1.0, 2.0], [3.0, 4.0]])
        >>> packed.numpy(), p.numpy()
        (array([[3.        , 4.        ],
               [0.33333334, 0.6666666 ]], dtype=float32), array([1, 0], dtype=int32))
    """
    idx = _dt.as_dtype(output_idx_type)
    if idx not in (_dt.int32, _dt.int64):
        raise ShapeError(f"lu: got output_idx_type={idx.name}; expected int32 or int64.")
    return tuple(dispatch(_LU, (input,), {"output_idx_type": idx}))


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """Solves `A X = rhs` from `A`'s LU decomposition (`engine.linalg.lu`'s outputs).

    Args:
        lower_upper: the packed `lu` matrix, shape `[..., M, M]`.
        perm: the permutation `p`, shape `[..., M]`.
        rhs: the right-hand sides, shape `[..., M, K]`.
        validate_args: ignored.

    Returns:
        `X`, shape `[..., M, K]`.

    Example:
        >>> a = engine.constant([[0.0, 2.0], [4.0, 0.0]])
        >>> engine.linalg.lu_solve(*engine.linalg.lu(a), [[2.0], [8.0]]).numpy()
        array([[2.],
               [1.]], dtype=float32)
    """
    lower_upper = convert_to_tensor(lower_upper)
    rhs = convert_to_tensor(rhs, lower_upper.dtype)
    rank = lower_upper.shape.rank
    if rank is None or rhs.shape.rank != rank:
        raise ShapeError(f"lu_solve: got lower_upper of shape {lower_upper.shape} and rhs of "
                         f"shape {rhs.shape}; expected [..., M, M] and [..., M, K].")
    lower = _unit_lower(lower_upper)
    permuted = gather(rhs, perm, axis=rank - 2, batch_dims=rank - 2)
    return solve(band_part(lower_upper, 0, -1), solve(lower, permuted))

