"""Padding: `pad` in CONSTANT, REFLECT and SYMMETRIC mode.

CONSTANT is PadV2, whose gradient slices the padded gradient. REFLECT / SYMMETRIC are
MirrorPad, whose gradient MirrorPadGrad folds the mirrored borders back (and the two are
each other's gradient). Paddings known while tracing are the `paddings` attr; paddings
known only when a graph runs are also a (rank, 2) integer input of the node.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError, TracingError, UnimplementedError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import slicing_ops
from engine.ops.gather_ops import gather
from engine.ops.math_ops import cast
from engine.ops.sequence_ops import range as range_op
from engine.ops.shape_tensors import int_list_argument, run_time_ints
from engine.registry import OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["pad"]


# --- pad --------------------------------------------------------------------------------------
# Paddings known only when a graph runs (`[[0, engine.shape(x)[0]]]`) are one more input of
# the node, a (rank, 2) integer tensor as in TensorFlow's PadV2 / MirrorPad; the `paddings`
# attr then holds what tracing knew of them (None where unknown).
def _static_paddings(paddings, op: str = "pad") -> tuple:
    value = np.asarray(paddings) if not isinstance(paddings, Tensor) else paddings.numpy()
    if value.ndim != 2 or value.shape[1] != 2 or value.dtype.kind not in "iu":
        raise ShapeError(f"{op}: got paddings of shape {value.shape} and dtype {value.dtype}; "
                         "expected integers of shape (rank, 2): [[before, after], ...], one "
                         "row per dimension.")
    return tuple((int(a), int(b)) for a, b in value)


def _symbolic_paddings(paddings) -> tuple:
    """`(known, runtime)`: the paddings as pairs (None where known only when the graph
    runs; None itself for a tensor of unknown rows) and as a (rank, 2) tensor (or None)."""
    if isinstance(paddings, Tensor):
        rows = paddings.shape[0] if paddings.shape.rank == 2 else None
        if paddings.dtype not in (_dt.int32, _dt.int64) or paddings.shape.rank not in (
                None, 2) or (rows is not None and paddings.shape[1] not in (None, 2)):
            raise ShapeError(f"pad: got paddings of shape {paddings.shape} and dtype "
                             f"{paddings.dtype.name}; expected int32 or int64 of shape (rank, "
                             "2): [[before, after], ...], one row per dimension.")
        return (None if rows is None else ((None, None),) * rows), paddings
    rows = [list(row) for row in paddings]
    if any(len(row) != 2 for row in rows):
        raise ShapeError(f"pad: got paddings with rows of lengths {[len(r) for r in rows]}; "
                         "expected [[before, after], ...], one pair per dimension.")
    names = [f"paddings[{i}][{j}]" for i in range(len(rows)) for j in (0, 1)]
    known, runtime = int_list_argument("pad", "paddings", [p for r in rows for p in r], names)
    pairs = tuple(zip(known[0::2], known[1::2]))
    return pairs, (None if runtime is None else _a.reshape(runtime, [len(rows), 2]))


def _padded_shape(op: str, shape: TensorShape, paddings, limit=None):
    if paddings is None:
        return TensorShape(None)
    if shape.rank is None:
        return TensorShape([None] * len(paddings))
    if len(paddings) != shape.rank:
        raise ShapeError(f"{op}: got {len(paddings)} rows of paddings for a tensor of shape "
                         f"{shape}; expected {shape.rank} rows (one [before, after] pair per "
                         "dimension).")
    out = []
    for i, ((a, b), d) in enumerate(zip(paddings, shape)):
        if (a is not None and a < 0) or (b is not None and b < 0):
            raise ShapeError(f"{op}: paddings[{i}] = {[a, b]} is negative; expected >= 0.")
        largest = max((p for p in (a, b) if p is not None), default=0)
        if limit is not None and d is not None and largest > d - limit:
            raise ShapeError(f"{op}: paddings[{i}] = {[a, b]} is too large for dimension {i} "
                             f"of size {d}; this mode needs paddings <= {d - limit}.")
        out.append(None if None in (a, b, d) else d + a + b)
    return TensorShape(out)


def _paddings_input(op: str, runtime: tuple, paddings):
    if runtime:
        spec = runtime[0]
        if spec.dtype not in (_dt.int32, _dt.int64) or spec.shape.rank not in (None, 2):
            raise ShapeError(f"{op}: paddings is a {spec.dtype.name} tensor of shape "
                             f"{spec.shape}; expected an int32 or int64 tensor of shape "
                             "(rank, 2).")
        if paddings is None and spec.shape.rank == 2 and spec.shape[0] is not None:
            return ((None, None),) * spec.shape[0]
    return paddings


def _run_time_paddings(op: str, tf_name: str, runtime: tuple, paddings) -> tuple:
    """The paddings the kernel uses: the attr, or the run-time input checked against it."""
    if not runtime:
        return paddings
    flat = run_time_ints(op, tf_name, "paddings", runtime[0], paddings)
    return tuple(zip(flat[0::2], flat[1::2]))


def _pad_infer(x, constant_values, *runtime, paddings=()):
    dtype = _inf.same_dtype("pad", x, constant_values)
    if constant_values.shape.rank not in (None, 0):
        raise ShapeError(f"pad: constant_values must be a scalar; got shape "
                         f"{constant_values.shape}.")
    paddings = _paddings_input("pad", runtime, paddings)
    return TensorSpec(_padded_shape("pad", x.shape, paddings), dtype)


def _pad_kernel(xp, x, constant_values, *runtime, paddings=()):
    paddings = _run_time_paddings("pad", "PadV2", runtime, paddings)
    if runtime and (len(paddings) != x.ndim or any(min(p) < 0 for p in paddings)):
        raise InvalidArgumentError(f"pad: paddings is {[list(p) for p in paddings]} when the "
                                   f"graph runs, for a tensor of shape {x.shape}; expected one "
                                   "pair >= 0 per dimension.", op="PadV2")
    if len(paddings) != x.ndim or constant_values.ndim:
        raise ValueError("pad: bad paddings or constant_values")
    shape, key = [], []
    for (a, b), d in zip(paddings, x.shape):
        if a < 0 or b < 0:
            raise ValueError("pad: negative padding")
        shape.append(d + a + b)
        key.append(slice(a, a + d))
    if constant_values == 0:
        out = xp.zeros(shape, dtype=x.dtype)
    else:
        out = xp.full(shape, constant_values, dtype=x.dtype)
    out[tuple(key)] = x
    return out


def _pad_vjp(ctx, g):
    x = ctx.inputs[0]
    paddings = ctx.attrs["paddings"]
    extra = (None,) * (len(ctx.inputs) - 1)
    dims = x._value.shape
    if len(ctx.inputs) == 2 and dims is not None and None not in dims:
        begin = tuple(a for a, _ in paddings)
        return (slicing_ops.slice(g, begin, dims),) + extra
    return (_unpad(g, x, paddings, ctx.inputs[2] if len(ctx.inputs) > 2 else None),) + extra


def _unpad(g, x, paddings, runtime):
    """The entries of the padded `g` that came from `x`, when some size or padding is known
    only when the graph runs: static bounds slice, others gather a `range`."""
    rank = x._value.ndim if paddings is None else len(paddings)
    if rank is None:
        raise UnimplementedError("pad: the gradient needs the rank of the input or the number "
                                 "of rows of paddings while tracing; give the input a known "
                                 "rank.")
    key = []
    for i in range(rank):
        a, b = (None, None) if paddings is None else paddings[i]
        if a is not None and b is not None:
            key.append(slice(a, -b if b else None))
            continue
        key.append(slice(None))
        start = a if a is not None else cast(runtime[i, 0], _dt.int32)
        size = x._value.shape[i] if x._value.shape[i] is not None else _a.shape(x)[i]
        g = gather(g, range_op(start, start + size), axis=i)
    return g[tuple(key)] if any(k != slice(None) for k in key) else g


_PAD = register(OpDef("pad", "PadV2", ("input", "constant_values"), _pad_infer, _pad_kernel,
                      vjp=_pad_vjp, attrs={"paddings": ()}, same_dtype=(0, 1),
                      doc="Pads with a constant value. Paddings known only when a graph runs "
                          "are a third input (rank, 2); paddings then holds the known ones."))

_MIRROR_LIMIT = {"REFLECT": 1, "SYMMETRIC": 0}


def _mirror_infer(x, *runtime, paddings=(), mode="REFLECT"):
    if mode not in _MIRROR_LIMIT:
        raise ValueError(f"pad: got mode {mode!r}; expected 'REFLECT' or 'SYMMETRIC'.")
    paddings = _paddings_input(f"pad (mode {mode})", runtime, paddings)
    return TensorSpec(_padded_shape(f"pad (mode {mode})", x.shape, paddings,
                                    _MIRROR_LIMIT[mode]), x.dtype)


def _mirror_kernel(xp, x, *runtime, paddings=(), mode="REFLECT"):
    paddings = _run_time_paddings("pad", "MirrorPad", runtime, paddings)
    limit = _MIRROR_LIMIT[mode]
    if len(paddings) != x.ndim or any(
            min(p) < 0 or max(p) > d - limit for p, d in zip(paddings, x.shape)):
        if runtime:
            raise InvalidArgumentError(
                f"pad: paddings {[list(p) for p in paddings]} do not fit a tensor of shape "
                f"{x.shape} in mode {mode} when the graph runs; expected one pair >= 0 per "
                f"dimension, each <= the dimension's size{' - 1' if limit else ''}.",
                op="MirrorPad")
        raise ValueError("pad: paddings out of range for the mode")
    return xp.pad(x, paddings, mode=mode.lower())


def _mirror_grad_infer(dy, *runtime, paddings=(), mode="REFLECT"):
    paddings = _paddings_input("mirror_pad_grad", runtime, paddings)
    if dy.shape.rank is None or paddings is None:
        return TensorSpec(None if paddings is None else [None] * len(paddings), dy.dtype)
    if len(paddings) != dy.shape.rank:
        raise ShapeError(f"mirror_pad_grad: got {len(paddings)} rows of paddings for shape "
                         f"{dy.shape}.")
    return TensorSpec([None if None in (a, b, d) else d - a - b
                       for (a, b), d in zip(paddings, dy.shape)], dy.dtype)


def _mirror_grad_kernel(xp, dy, *runtime, paddings=(), mode="REFLECT"):
    """Folds the mirrored borders of `dy` back onto the entries they copied."""
    paddings = _run_time_paddings("mirror_pad_grad", "MirrorPadGrad", runtime, paddings)
    shift = 1 if mode == "REFLECT" else 0
    out = dy
    for axis, (a, b) in enumerate(paddings):
        if not a and not b:
            continue
        moved = xp.moveaxis(out, axis, 0)
        n = moved.shape[0] - a - b
        core = moved[a:a + n].copy()
        if a:
            core[shift:shift + a] += moved[:a][::-1]
        if b:
            core[n - shift - b:n - shift] += moved[a + n:][::-1]
        out = xp.moveaxis(core, 0, axis)
    return xp.ascontiguousarray(out)


def _mirror_vjp(ctx, g):
    """MirrorPad and MirrorPadGrad are each other's gradient (with the same paddings)."""
    other = _MIRROR_PAD_GRAD if ctx.op is _MIRROR_PAD else _MIRROR_PAD
    runtime = tuple(ctx.inputs[1:])
    return (dispatch(other, (g,) + runtime, ctx.attrs),) + (None,) * len(runtime)


_MIRROR_PAD = register(OpDef(
    "mirror_pad", "MirrorPad", ("input",), _mirror_infer, _mirror_kernel, vjp=_mirror_vjp,
    attrs={"paddings": (), "mode": "REFLECT"}, same_dtype=(0,),
    doc="Pads by mirroring (REFLECT or SYMMETRIC). Paddings known only when a graph runs "
        "are a second input (rank, 2); paddings then holds the known ones."))
_MIRROR_PAD_GRAD = register(OpDef(
    "mirror_pad_grad", "MirrorPadGrad", ("input",), _mirror_grad_infer, _mirror_grad_kernel,
    vjp=_mirror_vjp, attrs={"paddings": (), "mode": "REFLECT"}, same_dtype=(0,),
    doc="The gradient of MirrorPad."))


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pads `tensor`: `paddings[i] = [before, after]` entries around dimension `i`.

    Inside `engine.function`, paddings may be known only when the graph runs: a list
    mixing ints and scalar integer tensors (`[[0, engine.shape(x)[0]]]`) or a (rank, 2)
    integer tensor. The static shape keeps the sizes known while tracing.

    Args:
        tensor: a tensor.
        paddings: integers of shape (rank, 2).
        mode: 'CONSTANT' (fill with `constant_values`), 'REFLECT' (mirror without the edge;
            paddings < size) or 'SYMMETRIC' (mirror with the edge; paddings <= size).
            Case-insensitive.
        constant_values: the fill value for 'CONSTANT'.

    Returns:
        The padded tensor; its gradient slices (CONSTANT) or folds the borders back.

    Raises:
        ShapeError: paddings of the wrong shape, negative, or too large for the mode.

    Example:
        >>> engine.pad(engine.constant([[1, 2]]), [[0, 0], [1, 2]]).numpy()
        array([[0, 1, 2, 0, 0]], dtype=int32)
        >>> engine.pad(engine.constant([1, 2, 3]), [[2, 1]], "REFLECT").numpy()
        array([3, 2, 1, 2, 3, 2], dtype=int32)
    """
    runtime = ()
    try:
        paddings = _static_paddings(paddings)
    except TracingError:  # a symbolic padding: its value exists only when the graph runs
        paddings, known_at_run = _symbolic_paddings(paddings)
        runtime = () if known_at_run is None else (known_at_run,)
    mode_name = str(mode).upper()
    if mode_name == "CONSTANT":
        return dispatch(_PAD, (tensor, constant_values) + runtime, {"paddings": paddings})
    if mode_name in _MIRROR_LIMIT:
        return dispatch(_MIRROR_PAD, (tensor,) + runtime, {"paddings": paddings,
                                                          "mode": mode_name})
    raise ValueError(f"pad: got mode {mode!r}; expected 'CONSTANT', 'REFLECT' or 'SYMMETRIC'.")
