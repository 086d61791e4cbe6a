"""Identity matrices, diagonals, traces and bands: eye, diag, diag_part, trace, band_part.

Primitives (TensorFlow's raw ops): MatrixDiagV3, MatrixDiagPartV3, MatrixBandPart. `trace`
is a composite; `eye` builds a constant (or, for sizes known only when a graph runs, compares
two `range`s). They work on the last two axes; leading axes are
a batch. Only single diagonals are supported (TensorFlow also takes bands `k=(lo, hi)`).
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, ShapeError, TracingError, UnimplementedError
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops import static_args as _sa
from engine.ops.join_ops import concat
from engine.ops.sequence_ops import range as range_op
from engine.ops.shape_tensors import is_symbolic, known_int
from engine.registry import OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["eye", "diag", "diag_part", "trace", "band_part"]


# --- eye ------------------------------------------------------------------------------------
def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name=None):
    """An identity matrix (ones on the diagonal), optionally repeated over a batch.

    Inside `engine.function` the sizes may be scalar integer tensors known only when the
    graph runs (`engine.eye(engine.shape(x)[0])`); the matrix is then computed from two
    `range`s, and its unknown sizes are None in the static shape.

    Args:
        num_rows: the number of rows.
        num_columns: the number of columns (num_rows when None).
        batch_shape: leading batch dimensions, e.g. [3] for three identities.
        dtype: the element type (float32 by default).
        name: ignored in eager mode.

    Returns:
        A tensor of shape `batch_shape + [num_rows, num_columns]`.

    Example:
        >>> engine.eye(2, batch_shape=[3]).shape
        TensorShape([3, 2, 2])
    """
    dtype = _dt.as_dtype(dtype)
    try:
        rows = _sa.static_int(num_rows, "eye num_rows")
        cols = None if num_columns is None else _sa.static_int(num_columns, "eye num_columns")
        batch = None if batch_shape is None else _sa.static_shape(batch_shape, "eye batch_shape")
    except TracingError:  # a symbolic size: its value exists only when the graph runs
        return _symbolic_eye(num_rows, num_columns, batch_shape, dtype)
    matrix = np.eye(rows, cols, dtype=dtype._np)
    if batch is not None:
        matrix = np.broadcast_to(matrix, batch + matrix.shape)
    return convert_to_tensor(matrix)


def _symbolic_eye(num_rows, num_columns, batch_shape, dtype):
    sizes = [_eye_size("num_rows", num_rows)]
    sizes.append(sizes[0] if num_columns is None else _eye_size("num_columns", num_columns))
    if all(isinstance(s, int) for s in sizes) and not is_symbolic(batch_shape) and (
            batch_shape is None or all(not is_symbolic(b) for b in batch_shape)):
        return eye(*sizes, batch_shape=batch_shape, dtype=dtype)  # all known while tracing
    rows, cols = (range_op(s, dtype=_dt.int64) for s in sizes)
    matrix = _m.cast(_m.equal(_a.expand_dims(rows, 1), cols), dtype)  # (rows, cols)
    if batch_shape is None:
        return matrix
    if isinstance(batch_shape, Tensor):
        kind = batch_shape.dtype
        tail = [_m.cast(s, kind) if isinstance(s, Tensor) else s for s in sizes]
        target = concat([batch_shape, convert_to_tensor(tail, kind)], 0)
    else:
        target = list(batch_shape) + sizes
    return _a.broadcast_to(matrix, target)


def _eye_size(what: str, value):
    """A size as an int when tracing knows it, else the scalar integer tensor."""
    if not is_symbolic(value):
        return _sa.static_int(value, f"eye {what}")
    if value.dtype not in (_dt.int32, _dt.int64) or value.shape.rank not in (None, 0):
        raise DTypeError(f"eye: {what} is a {value.dtype.name} tensor of shape {value.shape}; "
                         f"expected an int32 or int64 scalar. Cast it with engine.cast({what}, "
                         "engine.int32).")
    known = known_int(value)
    return value if known is None else known


# --- diagonals ------------------------------------------------------------------------------
def _single_k(op: str, k) -> int:
    k = _sa.static_axis(k)
    if isinstance(k, (list, tuple)):
        if len(k) == 2 and k[0] == k[1]:
            return int(k[0])
        raise UnimplementedError(f"{op}: got k={k!r}; only a single diagonal (an int k) is "
                                 "supported. Call it once per diagonal.")
    return int(k)


def _diag_dims(n, k, num_rows, num_cols):
    min_rows = None if n is None else n + max(-k, 0)
    min_cols = None if n is None else n + max(k, 0)
    if num_rows == -1 and num_cols == -1:
        rows = cols = None if n is None else max(min_rows, min_cols)
    else:
        rows = min_rows if num_rows == -1 else num_rows
        cols = min_cols if num_cols == -1 else num_cols
    if n is not None and (rows < min_rows or cols < min_cols):
        raise ShapeError(f"diag: a diagonal of length {n} at k={k} needs at least {min_rows} "
                         f"rows and {min_cols} columns; got num_rows={num_rows}, "
                         f"num_cols={num_cols}.")
    return rows, cols


def _diag_infer(d, k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    if d.shape.rank is None:
        return TensorSpec(None, d.dtype)
    if d.shape.rank == 0:
        raise ShapeError("diag: got a scalar diagonal; expected rank >= 1.")
    rows, cols = _diag_dims(d.shape[-1], k, num_rows, num_cols)
    return TensorSpec(d.shape[:-1].as_list() + [rows, cols], d.dtype)


def _diag_kernel(xp, d, k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    n = d.shape[-1]
    rows, cols = _diag_dims(n, k, num_rows, num_cols)
    out = xp.full(d.shape[:-1] + (rows, cols), padding_value, dtype=d.dtype)
    i = xp.arange(n)
    out[..., i + max(-k, 0), i + max(k, 0)] = d
    return out


def _diag_vjp(ctx, g):
    n = ctx.inputs[0]._value.shape[-1]
    part = diag_part(g, k=ctx.attrs.get("k", 0))
    if part._value.shape[-1] != n:  # num_rows/num_cols padded the matrix: keep d's n entries
        part = part[..., :n]
    return (part,)


_DIAG = register(OpDef(
    "diag", "MatrixDiagV3", ("diagonal",), _diag_infer, _diag_kernel, vjp=_diag_vjp,
    attrs={"k": 0, "num_rows": -1, "num_cols": -1, "padding_value": 0, "align": "RIGHT_LEFT"},
    doc="A batch of matrices with the given diagonal (k: which one) and padding elsewhere."))


def _diag_part_length(rows, cols, k):
    if rows is None or cols is None:
        return None
    return max(0, min(rows - max(-k, 0), cols - max(k, 0)))


def _diag_part_infer(x, k=0, padding_value=0, align="RIGHT_LEFT"):
    if x.shape.rank is None:
        return TensorSpec(None, x.dtype)
    if x.shape.rank < 2:
        raise ShapeError(f"diag_part: got shape {x.shape}; expected rank >= 2 (a batch of "
                         "matrices).")
    length = _diag_part_length(x.shape[-2], x.shape[-1], k)
    return TensorSpec(x.shape[:-2].as_list() + [length], x.dtype)


def _diag_part_kernel(xp, x, k=0, padding_value=0, align="RIGHT_LEFT"):
    # A copy, so the result does not keep the whole matrix alive.
    return xp.diagonal(x, offset=k, axis1=-2, axis2=-1).copy()


def _diag_part_vjp(ctx, g):
    rows, cols = ctx.inputs[0]._value.shape[-2:]
    return (diag(g, k=ctx.attrs.get("k", 0), num_rows=rows, num_cols=cols),)


_DIAG_PART = register(OpDef(
    "diag_part", "MatrixDiagPartV3", ("input",), _diag_part_infer, _diag_part_kernel,
    vjp=_diag_part_vjp, attrs={"k": 0, "padding_value": 0, "align": "RIGHT_LEFT"},
    doc="The k-th diagonal of a batch of matrices."))


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """Matrices with `diagonal` on their k-th diagonal and `padding_value` elsewhere.

    Args:
        diagonal: a tensor of shape `batch + [n]`.
        name: ignored in eager mode.
        k: which diagonal (0 main, > 0 above, < 0 below); one diagonal only.
        num_rows, num_cols: the matrix size (-1: the smallest that fits, square if both).
        padding_value: the value off the diagonal.
        align: accepted for TensorFlow compatibility (it matters only for bands).

    Returns:
        A tensor of shape `batch + [num_rows, num_cols]`.

    Raises:
        ShapeError: when num_rows / num_cols are too small for the diagonal.

    Example:
        >>> engine.linalg.diag(engine.constant([1, 2])).numpy()
        array([[1, 0],
               [0, 2]], dtype=int32)
    """
    return dispatch(_DIAG, (diagonal,), {
        "k": _single_k("diag", k), "num_rows": int(num_rows), "num_cols": int(num_cols),
        "padding_value": np.asarray(padding_value).item(), "align": align})


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):
    """The k-th diagonal of each matrix in `input`.

    Args:
        input: a tensor of rank >= 2.
        name: ignored in eager mode.
        k: which diagonal (0 main, > 0 above, < 0 below); one diagonal only.
        padding_value, align: accepted for TensorFlow compatibility (bands only).

    Returns:
        A tensor of shape `input.shape[:-2] + [length]`.

    Example:
        >>> engine.linalg.diag_part(engine.constant([[1, 2], [3, 4]])).numpy()
        array([1, 4], dtype=int32)
    """
    return dispatch(_DIAG_PART, (input,), {
        "k": _single_k("diag_part", k), "padding_value": np.asarray(padding_value).item(),
        "align": align})


# --- trace ----------------------------------------------------------------------------------
def trace(x, name=None):
    """The sum of the main diagonal of each matrix in `x`.

    Args:
        x: a numeric tensor of rank >= 2 (any matrix shape; the diagonal is min(m, n) long).
        name: ignored in eager mode.

    Returns:
        A tensor of shape `x.shape[:-2]`.

    Example:
        >>> float(engine.linalg.trace(engine.constant([[1.0, 2.0], [3.0, 4.0]])))
        5.0
    """
    return _r.reduce_sum(diag_part(x), axis=-1)


# --- bands ----------------------------------------------------------------------------------
def _band_infer(x, num_lower=-1, num_upper=-1):
    if x.shape.rank is not None and x.shape.rank < 2:
        raise ShapeError(f"band_part: got shape {x.shape}; expected rank >= 2.")
    return x


def _band_mask(xp, rows, cols, num_lower, num_upper):
    r = xp.arange(rows)[:, None]
    c = xp.arange(cols)[None, :]
    mask = xp.ones((rows, cols), dtype=bool)
    if num_lower >= 0:
        mask &= (r - c) <= num_lower
    if num_upper >= 0:
        mask &= (c - r) <= num_upper
    return mask


def _band_kernel(xp, x, num_lower=-1, num_upper=-1):
    mask = _band_mask(xp, x.shape[-2], x.shape[-1], num_lower, num_upper)
    return xp.where(mask, x, xp.zeros((), x.dtype))


_BAND = register(OpDef(
    "band_part", "MatrixBandPart", ("input",), _band_infer, _band_kernel,
    vjp=lambda ctx, g: (band_part(g, ctx.attrs["num_lower"], ctx.attrs["num_upper"]),),
    attrs={"num_lower": -1, "num_upper": -1},
    doc="Keeps a band of each matrix (num_lower below, num_upper above; -1 all)."))


def band_part(input, num_lower, num_upper, name=None):
    """Keeps the entries within `num_lower` below and `num_upper` above the diagonal.

    Args:
        input: a tensor of rank >= 2.
        num_lower, num_upper: the band's width below / above the diagonal (-1: all).
        name: ignored in eager mode.

    Returns:
        A tensor like `input`, zero outside the band.

    Example:
        >>> engine.linalg.band_part(engine.ones([3, 3]), -1, 0).numpy()  # lower triangle
        array([[1., 0., 0.],
               [1., 1., 0.],
               [1., 1., 1.]], dtype=float32)
    """
    return dispatch(_BAND, (input,), {"num_lower": int(np.asarray(num_lower)),
                                      "num_upper": int(np.asarray(num_upper))})

