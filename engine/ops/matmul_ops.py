"""Matrix products and transposes: matmul, matvec, matrix_transpose and adjoint.

Primitive: MatMul (TensorFlow's raw op). `matvec`, `matrix_transpose` and `adjoint` are
composites. Matrix ops work on the last two axes; leading axes are a batch that
broadcasts. `Tensor.__matmul__` (`a @ b`) uses matmul's fast path.
"""

from __future__ import annotations

from engine.convert import convert_to_tensor
from engine.dispatch import dispatch, make_binary
from engine.errors import ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops.widening import BFLOAT16, run_in_float32
from engine.registry import NUMERIC, OpDef, register
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["matmul", "matvec", "matrix_transpose", "adjoint"]


# --- matmul ---------------------------------------------------------------------------------
def swap_matrix_axes(xp, x, conjugate: bool = False):
    """Kernel helper: `x` with its last two axes swapped (and conjugated if asked and complex)."""
    x = xp.swapaxes(x, -1, -2)
    return xp.conj(x) if conjugate and x.dtype.kind == "c" else x


def _matmul_infer(a, b, transpose_a=False, transpose_b=False, adjoint_a=False,
                  adjoint_b=False):
    dtype = _inf.same_dtype("matmul", a, b)
    _inf.check_dtype("matmul", a, NUMERIC)
    if a.shape.rank is None or b.shape.rank is None:
        return TensorSpec(None, dtype)
    if a.shape.rank < 2 or b.shape.rank < 2:
        raise ShapeError(f"matmul: got shapes {a.shape} and {b.shape}; expected rank >= 2 for "
                         "both. Use engine.expand_dims for vectors, or engine.linalg.matvec.")
    ta, tb = transpose_a or adjoint_a, transpose_b or adjoint_b
    m, ka = (a.shape[-1], a.shape[-2]) if ta else (a.shape[-2], a.shape[-1])
    kb, n = (b.shape[-1], b.shape[-2]) if tb else (b.shape[-2], b.shape[-1])
    if ka is not None and kb is not None and ka != kb:
        hint = ("Transpose `b` or check the preceding layer's units."
                if not tb else "Check transpose_b.")
        raise ShapeError(f"matmul: got shapes {a.shape} and {b.shape}; expected a.shape[-1] == "
                         f"b.shape[-2] ({ka} != {kb}) after transposes. {hint}")
    batch = _inf.broadcast_shapes("matmul", a.shape[:-2], b.shape[:-2])
    return TensorSpec(batch.concatenate(TensorShape([m, n])), dtype)


def _matmul_kernel(xp, a, b, transpose_a=False, transpose_b=False, adjoint_a=False,
                   adjoint_b=False):
    if a.ndim < 2 or b.ndim < 2:  # NumPy would treat vectors specially; TF refuses them
        raise ValueError("matmul needs rank >= 2")
    if a.dtype is BFLOAT16:
        # ml_dtypes' bfloat16 matmul is a slow loop returning float32: use float32's BLAS.
        return run_in_float32(_matmul_kernel, xp, a, b, transpose_a=transpose_a,
                              transpose_b=transpose_b, adjoint_a=adjoint_a, adjoint_b=adjoint_b)
    if transpose_a or adjoint_a:
        a = swap_matrix_axes(xp, a, adjoint_a)
    if transpose_b or adjoint_b:
        b = swap_matrix_axes(xp, b, adjoint_b)
    return xp.matmul(a, b)


def _matmul_vjp(ctx, g):
    a, b = ctx.inputs
    ta = ctx.attrs.get("transpose_a", False) or ctx.attrs.get("adjoint_a", False)
    tb = ctx.attrs.get("transpose_b", False) or ctx.attrs.get("adjoint_b", False)
    needs = ctx.needs_input_grad or (True, True)
    if a.dtype.is_complex:
        # Holomorphic in the effective operands (conj(a) under adjoint_a): TensorFlow's
        # gradient is the cotangent times the conjugate derivative, conj(rule(conj(g))),
        # and an adjoint operand's gradient is the conjugate of its effective one's.
        from engine.ops.math_ops import conj  # noqa: PLC0415 - math_ops imports this module

        adj_a, adj_b = ctx.attrs.get("adjoint_a", False), ctx.attrs.get("adjoint_b", False)
        aa, bb = (conj(a) if adj_a else a), (conj(b) if adj_b else b)
        ga, gb = _matmul_rule(aa, bb, conj(g), ta, tb, needs)
        return (None if ga is None else (ga if adj_a else conj(ga)),
                None if gb is None else (gb if adj_b else conj(gb)))
    return _matmul_rule(a, b, g, ta, tb, needs)


def _matmul_rule(a, b, g, ta, tb, needs):
    """The real-valued product rule's two gradients (None where not needed)."""
    # Skipping an unneeded side saves a whole GEMM (e.g. the gradient of the input batch).
    ga = gb = None
    if needs[0]:
        if ta:
            ga = matmul(b, g, transpose_a=tb, transpose_b=True)
        else:
            ga = matmul(g, b, transpose_b=not tb)
    if needs[1]:
        if tb:
            gb = matmul(g, a, transpose_a=True, transpose_b=ta)
        else:
            gb = matmul(a, g, transpose_a=not ta)
    return ga, gb


_MATMUL = register(OpDef(
    "matmul", "MatMul", ("a", "b"), _matmul_infer, _matmul_kernel, vjp=_matmul_vjp,
    attrs={"transpose_a": False, "transpose_b": False, "adjoint_a": False, "adjoint_b": False},
    dtypes=NUMERIC, broadcasts=True, doc="Matrix product of the last two axes."))
_matmul_fast, _rmatmul_fast = make_binary(_MATMUL)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """Matrix product `a @ b` over the last two axes; leading axes broadcast (batch).

    Args:
        a, b: tensors of rank >= 2 and the same dtype.
        transpose_a, transpose_b: transpose the last two axes of an input first.
        adjoint_a, adjoint_b: conjugate-transpose an input first.
        a_is_sparse, b_is_sparse, output_type: accepted for TensorFlow compatibility.
        name: ignored in eager mode.

    Returns:
        A tensor of shape `batch + [m, n]`.

    Raises:
        ShapeError: when the inner dimensions differ or an input has rank < 2.

    Example:
        >>> engine.matmul(engine.ones([2, 3]), engine.ones([2, 3]), transpose_b=True).numpy()
        array([[3., 3.],
               [3., 3.]], dtype=float32)
    """
    if not (transpose_a or transpose_b or adjoint_a or adjoint_b):
        return _matmul_fast(a, b)
    return dispatch(_MATMUL, (a, b), {"transpose_a": bool(transpose_a),
                                      "transpose_b": bool(transpose_b),
                                      "adjoint_a": bool(adjoint_a),
                                      "adjoint_b": bool(adjoint_b)})


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """Matrix-vector product `a @ b` over the last axes; leading axes broadcast.

    Args:
        a: a tensor of shape `batch + [m, n]`.
        b: a tensor of shape `batch + [n]`.
        transpose_a, adjoint_a: (conjugate-)transpose `a` first.
        a_is_sparse, b_is_sparse: accepted for TensorFlow compatibility.
        name: ignored in eager mode.

    Returns:
        A tensor of shape `batch + [m]`.

    Example:
        >>> engine.linalg.matvec(engine.eye(2), engine.constant([1.0, 2.0])).numpy()
        array([1., 2.], dtype=float32)
    """
    product = matmul(a, _a.expand_dims(b, -1), transpose_a=transpose_a, adjoint_a=adjoint_a)
    return _a.squeeze(product, -1)


# --- transposes -----------------------------------------------------------------------------
def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Swaps the last two axes of `a` (a batch of matrices).

    Args:
        a: a tensor of rank >= 2.
        name: ignored in eager mode.
        conjugate: conjugate complex entries too (the adjoint).

    Returns:
        A tensor of shape `a.shape[:-2] + [n, m]`.

    Raises:
        ShapeError: for rank < 2.

    Example:
        >>> engine.linalg.matrix_transpose(engine.zeros([5, 2, 3])).shape
        TensorShape([5, 3, 2])
    """
    a = convert_to_tensor(a)
    rank = a._value.ndim
    if rank < 2:
        raise ShapeError(f"matrix_transpose: got shape {tuple(a._value.shape)}; expected rank "
                         ">= 2. Use engine.expand_dims for a vector.")
    out = _a.transpose(a, tuple(range(rank - 2)) + (rank - 1, rank - 2))
    if conjugate and a.dtype.is_complex:
        from engine.ops.math_ops import conj  # noqa: PLC0415 - math_ops imports this module

        out = conj(out)
    return out


def adjoint(matrix, name=None):
    """The conjugate transpose of the last two axes (the transpose for real tensors).

    Args:
        matrix: a tensor of rank >= 2.
        name: ignored in eager mode.

    Returns:
        A tensor of shape `matrix.shape[:-2] + [n, m]`.

    Raises:
        ShapeError: for rank < 2.

    Example:
        >>> engine.linalg.adjoint(engine.zeros([2, 3])).shape
        TensorShape([3, 2])
    """
    return matrix_transpose(matrix, conjugate=True)

