"""More of TensorFlow's math and array API: casts, complex numbers, scatters and shapes.

Registered ops (kernels written against `xp`): `Complex`, `TensorScatterMax`,
`TensorScatterMin`, `BroadcastArgs`, `ReverseSequence`. Composites of existing ops (so
their gradients, tracing and devices come for free): `saturate_cast`,
`tensor_scatter_nd_sub`, `identity_n` and `broadcast_static_shape` (pure shape logic). The
sparse segment reductions are in `sparse_segment_ops`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import segment_ops as _seg
from engine.ops.array_ops import identity
from engine.ops.fill_ops import zeros_like
from engine.ops.gather_kernels import _scatter_rows
from engine.ops.gather_ops import (
    _tensor_scatter_infer,
    gather_nd,
    tensor_scatter_nd_add,
)
from engine.ops.segment_ops import reduce_runs_by_doubling
from engine.ops.select_ops import where
from engine.ops.static_args import static_int
from engine.ops.unary_ops import is_nan, negative
from engine.registry import REAL, OpDef, register
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["saturate_cast", "complex", "tensor_scatter_nd_sub", "tensor_scatter_nd_max",
           "tensor_scatter_nd_min", "broadcast_static_shape", "broadcast_dynamic_shape",
           "identity_n", "reverse_sequence"]

_COMPLEX_PARTS = frozenset((_dt.float32, _dt.float64))


# --- saturate_cast ----------------------------------------------------------------------------
def _clamp_bounds(src: _dt.DType, dst: _dt.DType):
    """The range of `dst` as values of `src`, rounded inwards so the cast cannot overflow."""
    src_np = np.dtype(src._np)
    lo, hi = max(src.min, dst.min), min(src.max, dst.max)
    lo_v, hi_v = np.asarray(lo).astype(src_np), np.asarray(hi).astype(src_np)
    if src_np.kind == "f":
        # float32(2**31 - 1) rounds up to 2**31, which no longer fits an int32.
        if float(lo_v) < lo:
            lo_v = np.nextafter(lo_v, src_np.type(np.inf))
        if float(hi_v) > hi:
            hi_v = np.nextafter(hi_v, src_np.type(-np.inf))
    return lo_v, hi_v


def saturate_cast(value, dtype, name=None):
    """Casts `value` to `dtype`, clamping it to the range of `dtype` first.

    Unlike `engine.cast`, out-of-range values become the nearest representable value
    instead of wrapping around; NaN becomes 0 for integer targets. Complex inputs cast to a
    real dtype keep their real part. The gradient is the clamp's and the cast's.

    Args:
        value: a numeric tensor.
        dtype: the target dtype (not bool).

    Returns:
        A tensor of `dtype` and the shape of `value`.

    Raises:
        DTypeError: for a bool or non-numeric input or target.

    Example:
        >>> engine.saturate_cast([-1.0, 300.0, 2.7], engine.uint8).numpy()
        array([  0, 255,   2], dtype=uint8)
    """
    value = convert_to_tensor(value)
    dst = _dt.as_dtype(dtype)
    if not (dst.is_numeric and value.dtype.is_numeric) or dst.is_bool or value.dtype.is_bool:
        raise DTypeError(f"saturate_cast: got a {value.dtype.name} value and dtype={dst.name}; "
                         "expected numeric (not bool) dtypes. Use engine.cast for bool.")
    if value.dtype.is_complex and not dst.is_complex:
        value = _m.real(value)
    if value.dtype.is_complex or value.dtype == dst:
        return _m.cast(value, dst)
    src = value.dtype
    lo, hi = _clamp_bounds(src, dst.real_dtype)
    if src.is_floating and not dst.is_floating and not dst.is_complex:
        value = where(is_nan(value), zeros_like(value), value)
    if lo > np.asarray(src.min).astype(lo.dtype):
        value = _m.maximum(value, convert_to_tensor(lo, src))
    if hi < np.asarray(src.max).astype(hi.dtype):
        value = _m.minimum(value, convert_to_tensor(hi, src))
    return _m.cast(value, dst)


# --- complex ----------------------------------------------------------------------------------
def _complex_infer(real, imag):
    dtype = _inf.same_dtype("complex", real, imag)
    _inf.check_dtype("complex", real, _COMPLEX_PARTS, "real")
    shape = _inf.broadcast_shapes("complex", real.shape, imag.shape)
    return TensorSpec(shape, _dt.complex64 if dtype == _dt.float32 else _dt.complex128)


def _complex_kernel(xp, real, imag):
    real, imag = xp.broadcast_arrays(real, imag)
    out = xp.empty(real.shape, np.complex64 if real.dtype == np.float32 else np.complex128)
    out.real = real  # assigned, not real + 1j * imag, which turns inf into nan + inf j
    out.imag = imag
    return out


_COMPLEX = register(OpDef(
    "complex", "Complex", ("real", "imag"), _complex_infer, _complex_kernel,
    vjp=lambda ctx, g: (_m.real(g), _m.imag(g)), dtypes=_COMPLEX_PARTS, broadcasts=True,
    doc="A complex tensor from its real and imaginary parts (broadcast)."))


def complex(real, imag, name=None):  # noqa: A001 - TensorFlow's name
    """A complex tensor `real + imag * 1j` from two float tensors (broadcast).

    float32 parts give complex64, float64 parts complex128. The gradients are the real
    and imaginary parts of the upstream gradient.

    Args:
        real: a float32 or float64 tensor.
        imag: a tensor of the same dtype.

    Returns:
        A complex tensor of the broadcast shape.

    Raises:
        DTypeError: for integer parts or parts of different dtypes.

    Example:
        >>> engine.complex([1.0, 2.0], 3.0).numpy()
        array([1.+3.j, 2.+3.j], dtype=complex64)
    """
    real, imag = convert_to_tensor(real), convert_to_tensor(imag)
    if real.dtype not in _COMPLEX_PARTS or imag.dtype not in _COMPLEX_PARTS:
        raise DTypeError(f"complex: got real of dtype {real.dtype.name} and imag of dtype "
                         f"{imag.dtype.name}; expected float32 or float64 parts of one dtype. "
                         "Cast them with engine.cast(x, engine.float32).")
    return dispatch(_COMPLEX, (real, imag))


# --- tensor_scatter_nd_sub / max / min --------------------------------------------------------
def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """A copy of `tensor` with `updates` subtracted at `indices` (duplicates add up).

    Args:
        tensor: the tensor to copy.
        indices: integer coordinates, shape `(..., depth)`.
        updates: values, shape `indices.shape[:-1] + tensor.shape[depth:]`.

    Returns:
        A tensor like `tensor`.

    Example:
        >>> engine.tensor_scatter_nd_sub([1.0, 2.0, 3.0], [[0], [2], [0]], [1.0, 1.0, 1.0]).numpy()
        array([-1.,  2.,  2.], dtype=float32)
    """
    updates = convert_to_tensor(updates, convert_to_tensor(tensor).dtype)
    return tensor_scatter_nd_add(tensor, indices, negative(updates))


def _scatter_extreme_kernel(kind: str):
    op = f"tensor_scatter_nd_{kind}"

    def kernel(xp, tensor, indices, updates):
        linear, rows, slots, width = _scatter_rows(xp, op, tensor.shape, indices, updates)
        combine = xp.maximum if kind == "max" else xp.minimum
        fill = _seg._empty_value(kind, tensor.dtype)
        best = xp.full((slots, width), fill, tensor.dtype)
        if rows.size:
            reduce_runs_by_doubling(xp, combine, rows, linear, best)
        return combine(tensor.reshape((slots, width)), best).reshape(tensor.shape)

    return kernel


def _scatter_extreme_vjp(ctx, g):
    tensor, indices, updates = ctx.inputs
    out = ctx.outputs[0]
    # Where several values tie for the extreme, they share the gradient equally (as in TF).
    from_tensor = _m.cast(_m.equal(tensor, out), g.dtype)
    from_updates = _m.cast(_m.equal(updates, gather_nd(out, indices)), g.dtype)
    count = tensor_scatter_nd_add(from_tensor, indices, from_updates)
    share = _m.divide(g, count)
    return (_m.multiply(share, from_tensor), None,
            _m.multiply(gather_nd(share, indices), from_updates))


def _scatter_extreme(kind: str, tf_name: str):
    return register(OpDef(
        f"tensor_scatter_nd_{kind}", tf_name, ("tensor", "indices", "updates"),
        _tensor_scatter_infer(f"tensor_scatter_nd_{kind}"), _scatter_extreme_kernel(kind),
        vjp=_scatter_extreme_vjp, same_dtype=(0, 2), dtypes=REAL,
        doc=f"A copy of tensor holding the {kind}imum of it and the updates at indices."))


_SCATTER_MAX = _scatter_extreme("max", "TensorScatterMax")
_SCATTER_MIN = _scatter_extreme("min", "TensorScatterMin")


def tensor_scatter_nd_max(tensor, indices, updates, name=None):
    """A copy of `tensor` holding `max(tensor, updates)` at `indices`.

    Args:
        tensor: a real tensor.
        indices: integer coordinates, shape `(..., depth)`.
        updates: values, shape `indices.shape[:-1] + tensor.shape[depth:]`.

    Returns:
        A tensor like `tensor`; ties share the gradient equally.

    Example:
        >>> engine.tensor_scatter_nd_max([1.0, 5.0, 3.0], [[0], [1], [0]], [4.0, 2.0, 6.0]).numpy()
        array([6., 5., 3.], dtype=float32)
    """
    return dispatch(_SCATTER_MAX, (tensor, indices, updates))


def tensor_scatter_nd_min(tensor, indices, updates, name=None):
    """A copy of `tensor` holding `min(tensor, updates)` at `indices`.

    Args:
        tensor: a real tensor.
        indices: integer coordinates, shape `(..., depth)`.
        updates: values, shape `indices.shape[:-1] + tensor.shape[depth:]`.

    Returns:
        A tensor like `tensor`; ties share the gradient equally.

    Example:
        >>> engine.tensor_scatter_nd_min([1.0, 5.0, 3.0], [[0], [1], [0]], [4.0, 2.0, 0.0]).numpy()
        array([0., 2., 3.], dtype=float32)
    """
    return dispatch(_SCATTER_MIN, (tensor, indices, updates))


# --- broadcast shapes, identity_n -------------------------------------------------------------
def broadcast_static_shape(shape_x, shape_y) -> TensorShape:
    """The broadcast of two static shapes (`TensorShape`s; unknown dimensions allowed).

    Args:
        shape_x: a `TensorShape` or a list of dimensions.
        shape_y: another one.

    Returns:
        The `TensorShape` both broadcast to.

    Raises:
        ShapeError: (a ValueError) when the shapes do not broadcast.

    Example:
        >>> engine.broadcast_static_shape(engine.TensorShape([None, 3]), engine.TensorShape([4, 1]))
        TensorShape([4, 3])
    """
    return _inf.broadcast_shapes("broadcast_static_shape", TensorShape(shape_x),
                                 TensorShape(shape_y))


def _broadcast_args_infer(s0, s1):
    dtype = _inf.same_dtype("broadcast_dynamic_shape", s0, s1)
    _inf.check_dtype("broadcast_dynamic_shape", s0, (_dt.int32, _dt.int64), "shape_x")
    for s in (s0, s1):
        if s.shape.rank not in (None, 1):
            raise ShapeError(f"broadcast_dynamic_shape: got a shape tensor of shape {s.shape}; "
                             "expected a 1-D vector such as engine.shape(x).")
    n0, n1 = s0.shape.as_list()[0] if s0.shape.rank else None, \
        s1.shape.as_list()[0] if s1.shape.rank else None
    return TensorSpec([None if n0 is None or n1 is None else max(n0, n1)], dtype)


def _broadcast_args_kernel(xp, s0, s1):
    a, b = [int(v) for v in s0.tolist()], [int(v) for v in s1.tolist()]
    try:
        out = np.broadcast_shapes(tuple(a), tuple(b))
    except ValueError:
        raise InvalidArgumentError(
            f"broadcast_dynamic_shape: got shapes {a} and {b}; expected shapes that "
            "broadcast (each pair of trailing dimensions equal or 1). Reshape one input.",
            op="broadcast_dynamic_shape") from None
    return xp.asarray(out, dtype=s0.dtype).reshape(len(out))


_BROADCAST_ARGS = register(OpDef(
    "broadcast_dynamic_shape", "BroadcastArgs", ("s0", "s1"), _broadcast_args_infer,
    _broadcast_args_kernel, gpu=False, doc="The broadcast of two shape vectors."))


def broadcast_dynamic_shape(shape_x, shape_y, name=None):
    """The broadcast of two shape vectors, as a 1-D integer tensor.

    Args:
        shape_x: a 1-D int32 or int64 tensor (or list), e.g. `engine.shape(x)`.
        shape_y: another one, of the same dtype.

    Returns:
        The broadcast shape, a 1-D tensor of the inputs' dtype.

    Raises:
        InvalidArgumentError: when the shapes do not broadcast.

    Example:
        >>> engine.broadcast_dynamic_shape([1, 3], [4, 1]).numpy()
        array([4, 3], dtype=int32)
    """
    return dispatch(_BROADCAST_ARGS, (shape_x, shape_y))


def identity_n(input, name=None):  # noqa: A002 - TensorFlow's name
    """A list of tensors with the same values as the given list (each `engine.identity`).

    Args:
        input: a list of tensors (or values).

    Returns:
        A list of tensors, one per input; gradients pass straight through.

    Example:
        >>> [t.numpy() for t in engine.identity_n([1, [2.0, 3.0]])]
        [np.int32(1), array([2., 3.], dtype=float32)]
    """
    if not isinstance(input, (list, tuple)):
        raise TypeError(f"identity_n: got {type(input).__name__}; expected a list of tensors.")
    return [identity(x) for x in input]


# --- reverse_sequence -------------------------------------------------------------------------
def _reverse_sequence_infer(x, seq_lengths, seq_dim=1, batch_dim=0):
    op = "reverse_sequence"
    _inf.check_dtype(op, seq_lengths, (_dt.int32, _dt.int64), "seq_lengths")
    rank = x.shape.rank
    if rank is not None:
        if rank < 2 or not (-rank <= seq_dim < rank and -rank <= batch_dim < rank):
            raise ShapeError(f"{op}: got seq_axis={seq_dim}, batch_axis={batch_dim} for an input "
                             f"of shape {x.shape}; expected two axes of an input of rank >= 2.")
        if seq_dim % rank == batch_dim % rank:
            raise ShapeError(f"{op}: seq_axis and batch_axis are both {seq_dim % rank}; expected "
                             "two different axes.")
        expected = TensorShape([x.shape[batch_dim]])
        if not seq_lengths.shape.is_compatible_with(expected):
            raise ShapeError(f"{op}: got seq_lengths of shape {seq_lengths.shape}; expected "
                             f"{expected} (one length per entry along batch_axis).")
    return x


def _reverse_sequence_kernel(xp, x, seq_lengths, seq_dim=1, batch_dim=0):
    seq_dim, batch_dim = seq_dim % x.ndim, batch_dim % x.ndim
    n = x.shape[seq_dim]
    lengths = seq_lengths.astype(np.int64)
    if xp is np and lengths.size and (lengths.min() < 0 or lengths.max() > n):
        raise InvalidArgumentError(
            f"reverse_sequence: got seq_lengths {lengths.tolist()[:10]}; expected values in "
            f"[0, {n}] (the size of seq_axis {seq_dim}). Clip the lengths.", op="reverse_sequence")
    shape = [1] * x.ndim
    shape[batch_dim] = lengths.shape[0]
    lengths = lengths.reshape(shape)
    pos_shape = [1] * x.ndim
    pos_shape[seq_dim] = n
    pos = xp.arange(n).reshape(pos_shape)
    source = xp.where(pos < lengths, lengths - 1 - pos, pos)  # (..batch.., ..seq..) broadcast
    source = xp.broadcast_to(source, x.shape)
    return xp.take_along_axis(x, source, axis=seq_dim)


_REVERSE_SEQUENCE = register(OpDef(
    "reverse_sequence", "ReverseSequence", ("input", "seq_lengths"), _reverse_sequence_infer,
    _reverse_sequence_kernel, attrs={"seq_dim": 1, "batch_dim": 0}, same_dtype=(),
    vjp=lambda ctx, g: (reverse_sequence(g, ctx.inputs[1], ctx.attrs["seq_dim"],
                                         ctx.attrs["batch_dim"]), None),
    doc="Reverses the first seq_lengths[b] entries along seq_dim of each batch entry b."))


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None):  # noqa: A002
    """Reverses the first `seq_lengths[b]` entries along `seq_axis` of each batch entry `b`.

    Entries past each length stay where they are, as for padded sequences.

    Args:
        input: a tensor of rank >= 2.
        seq_lengths: a 1-D integer tensor, one length (in `[0, input.shape[seq_axis]]`) per
            entry along `batch_axis`.
        seq_axis: the axis to reverse (TensorFlow requires it; 1 here when None).
        batch_axis: the axis the lengths index (default 0).

    Returns:
        A tensor like `input`.

    Raises:
        ShapeError: for bad axes or a wrong number of lengths; InvalidArgumentError: for a
        length outside `[0, input.shape[seq_axis]]`.

    Example:
        >>> engine.reverse_sequence([[1, 2, 3], [4, 5, 6]], [2, 3], seq_axis=1).numpy()
        array([[2, 1, 3],
               [6, 5, 4]], dtype=int32)
    """
    attrs = {"seq_dim": static_int(1 if seq_axis is None else seq_axis, "reverse_sequence axis"),
             "batch_dim": static_int(0 if batch_axis is None else batch_axis,
                                     "reverse_sequence batch_axis")}
    return dispatch(_REVERSE_SEQUENCE, (input, seq_lengths), attrs)
