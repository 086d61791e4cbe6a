"""Sorting: sort, argsort, top_k and in_top_k.

As in TensorFlow, `TopKV2` is the primitive: `sort` and `argsort` are `top_k` with `k`
equal to the axis length, on the input negated (bitwise-inverted for integers) when
ascending, with the axis moved last and back. So every sort is stable (equal elements keep
their order) and differentiable through one gradient rule: top_k's, which puts the
upstream gradient back at the selected indices.

NaN counts as the largest value (NumPy's convention), so top_k and descending sorts put it
first; an ascending float sort negates first (as TensorFlow does), so it puts NaN first
too. -0.0 and 0.0 are equal (ties).

On NumPy the kernels avoid NumPy's slow stable sorts: unique (value, index) keys make its
fast unstable sort give the stable order, and top_k with a small k partitions in O(n).
"""

from __future__ import annotations

import collections

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, TracingError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import static_args as _sa
from engine.ops import unary_ops as _u
from engine.ops.shape_tensors import known_int
from engine.ops.widening import computes_in_float32
from engine.registry import FLOAT, REAL, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["sort", "argsort", "top_k", "in_top_k"]

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])
TopKV2.__doc__ = "The result of `top_k`: `values` and their `indices` along the last axis."


def _descending_order(xp, x):
    """(indices, values) sorting the last axis descending; ties keep their index order."""
    n = x.shape[-1]
    if xp is not np:
        # CuPy sorts stably. Sorting the reversed axis ascending and reversing the result
        # keeps ties in index order without negating (which overflows the smallest int).
        indices = (n - 1) - xp.argsort(x[..., ::-1], axis=-1)[..., ::-1]
        return indices, xp.take_along_axis(x, indices, axis=-1)
    # NumPy's stable sorts are several times slower than its SIMD quicksort. Keys that
    # are unique make an unstable sort stable: (value, index) packed in 64 bits where the
    # value fits in 32, else an unstable argsort whose runs of ties are re-sorted by index.
    keys = _packed_keys(x)
    if keys is not None:
        keys.sort(axis=-1)
        indices = keys.view(np.uint32)[..., 0::2]
        return indices, np.take_along_axis(x, indices, axis=-1)
    indices = np.argsort(x, axis=-1)[..., ::-1]
    values = np.take_along_axis(x, indices, axis=-1)
    same = values[..., 1:] == values[..., :-1]
    if x.dtype.kind == "f":
        same |= np.isnan(values[..., 1:]) & np.isnan(values[..., :-1])
    if not same.any():
        return indices, values
    runs = np.zeros(values.shape, np.int64)
    np.cumsum(~same, axis=-1, out=runs[..., 1:])
    keys = runs * n + indices
    keys.sort(axis=-1)
    indices = keys % n
    return indices, np.take_along_axis(x, indices, axis=-1)


def _packed_keys(x):
    """uint64 keys sorting ascending as x descending, ties by index; None past 32 bits.

    The high word maps the value to a uint32 that falls as the value rises; the low word
    is the index. -0.0 counts as 0.0 and every NaN as the largest value.
    """
    if x.dtype.itemsize > 4 or not np.little_endian:
        return None
    if x.dtype.kind == "f":
        x = x.astype(np.float32, copy=False) + np.float32(0)  # -0.0 -> 0.0, a fresh copy
        if np.isnan(x).any():
            x[np.isnan(x)] = np.nan  # one NaN bit pattern
        bits = x.view(np.uint32)
        high = bits >> np.uint32(31)  # 1 for negative: keep the bits; else flip all but sign
        high -= np.uint32(1)
        high &= np.uint32(0x7FFFFFFF)
        high ^= bits
    elif x.dtype.kind == "i":
        high = x.astype(np.int32).view(np.uint32) ^ np.uint32(0x7FFFFFFF)
    else:
        high = ~x.astype(np.uint32)
    n = x.shape[-1]
    keys = np.empty(x.shape[:-1] + (2 * n,), np.uint32)
    keys[..., 1::2] = high
    keys[..., 0::2] = np.arange(n, dtype=np.uint32)
    return keys.view(np.uint64)


def _partial_top_k(xp, x, k):
    """(indices, values) of the k largest entries, in index order, in O(n).

    Ties at the k-th value go to the lowest indices, as in a stable sort.
    """
    n = x.shape[-1]
    indices = xp.argpartition(x, n - k, axis=-1)[..., n - k:]
    if xp is np:
        indices.sort(axis=-1)  # in place, on the view
    else:
        indices = xp.sort(indices, axis=-1)  # CuPy cannot sort a non-contiguous view in place
    values = xp.take_along_axis(x, indices, axis=-1)
    kth = values.min(axis=-1, keepdims=True)
    tied = x == kth
    if bool(((values == kth).sum(axis=-1) == tied.sum(axis=-1)).all()):
        return indices, values  # every entry equal to the k-th value was taken
    room = k - (x > kth).sum(axis=-1, keepdims=True)
    chosen = (x > kth) | (tied & (xp.cumsum(tied, axis=-1) <= room))
    indices = xp.nonzero(chosen.reshape(-1, n))[1].reshape(x.shape[:-1] + (k,))
    return indices, xp.take_along_axis(x, indices, axis=-1)


# --- TopKV2 ---------------------------------------------------------------------------------
def _top_k_infer(x, *k_input, k=1, sorted=True, index_type=_dt.int32):
    _inf.check_dtype("top_k", x, REAL)
    index_type = _dt.as_dtype(index_type)
    if index_type not in (_dt.int32, _dt.int64):
        raise DTypeError(f"top_k: got index_type {index_type.name}; expected int32 or int64.")
    if k_input:  # known only when the graph runs: the k attr is None
        _check_scalar_int("top_k", "k", k_input[0])
    elif k is None or k < 0:
        raise ShapeError(f"top_k: got k={k}; expected k >= 0.")
    if x.shape.rank is None:
        return TensorSpec(None, x.dtype), TensorSpec(None, index_type)
    if x.shape.rank == 0:
        raise ShapeError("top_k: got a scalar; expected a tensor of rank >= 1 (top_k works "
                         "along the last axis).")
    n = x.shape[-1]
    if n is not None and k is not None and k > n:
        raise ShapeError(f"top_k: got k={k} for shape {x.shape}; expected k <= {n}, the size "
                         "of the last axis.")
    shape = x.shape[:-1].as_list() + [k]
    return TensorSpec(shape, x.dtype), TensorSpec(shape, index_type)


@computes_in_float32  # exact: float32 holds every bfloat16, and the order is the same
def _top_k_kernel(xp, x, *k_input, k=1, sorted=True, index_type=_dt.int32):
    n = x.shape[-1]
    index_np = _dt.as_dtype(index_type)._np
    if k_input:
        k = _run_time_k(k_input[0], n if x.ndim else None)
    elif k > n:  # slicing would silently return fewer than k values; `infer` says why not
        raise ValueError(f"top_k: k={k} > {n}")
    if k == 0 or x.size == 0:
        shape = x.shape[:-1] + (k,)
        return xp.empty(shape, x.dtype), xp.empty(shape, index_np)
    partial = 4 * k <= n and not (x.dtype.kind == "f" and bool(xp.isnan(x).any()))
    if partial:
        indices, values = _partial_top_k(xp, x, k)
        if sorted:
            order, values = _descending_order(xp, values)
            indices = xp.take_along_axis(indices, order, axis=-1)
    else:
        indices, values = _descending_order(xp, x)
        if k < n:
            indices, values = indices[..., :k], xp.ascontiguousarray(values[..., :k])
    return values, indices.astype(index_np, copy=False)


def _top_k_vjp(ctx, g_values, g_indices):
    x = ctx.inputs[0]
    indices = ctx.outputs[1]
    grad = _put_along_last_axis(g_values, indices, _last_size(x))
    return (grad,) + (None,) * (len(ctx.inputs) - 1)


_TOP_K = register(OpDef(
    "top_k", "TopKV2", ("input",), _top_k_infer, _top_k_kernel, vjp=_top_k_vjp,
    attrs={"k": 1, "sorted": True, "index_type": _dt.int32}, num_outputs=2, dtypes=REAL,
    same_dtype=(0,),
    doc="The k largest entries of the last axis and their indices (ties: lower index). A k "
        "known only when a graph runs is a second input (an int scalar); k is then None."))


# --- sizes known only when a graph runs ------------------------------------------------------
def _check_scalar_int(op: str, what: str, spec) -> None:
    if spec.dtype not in (_dt.int32, _dt.int64) or spec.shape.rank not in (None, 0):
        raise DTypeError(f"{op}: {what} is a {spec.dtype.name} tensor of shape {spec.shape}; "
                         "expected an int32 or int64 scalar.")


def _run_time_k(array, n) -> int:
    k = int(array.reshape(()))
    if k < 0 or n is None or k > n:
        raise InvalidArgumentError(f"top_k: k is {k} when the graph runs; expected 0 <= k <= "
                                   f"{n}, the size of the last axis.", op="TopKV2")
    return k


def _last_size(x):
    """x's last dimension: an int, or a scalar tensor when known only at run time."""
    n = x._value.shape[-1]
    return _a.shape(x)[-1] if n is None else n


def _size_inputs(value) -> tuple:
    """A count argument as `(attr, inputs)`: the attr, else None and the scalar tensor."""
    try:
        return int(np.asarray(_sa.static_axis(value))), ()
    except TracingError:  # a symbolic count: its value exists only when the graph runs
        known = known_int(value)
        return (known, ()) if known is not None else (None, (value,))


# --- the gradient's scatter and gather (each the other's gradient) --------------------------
def _check_indices(name, indices):
    if indices.dtype not in (_dt.int32, _dt.int64):
        raise DTypeError(f"{name}: got indices of dtype {indices.dtype.name}; expected int32 "
                         "or int64.")


def _put_infer(values, indices, *n_input, n=None):
    _check_indices("_put_along_last_axis", indices)
    if n_input:
        _check_scalar_int("_put_along_last_axis", "n", n_input[0])
    if values.shape.rank is None:
        return TensorSpec(None, values.dtype)
    return TensorSpec(values.shape[:-1].as_list() + [n], values.dtype)


def _take_infer(values, indices):
    _check_indices("_take_along_last_axis", indices)
    return TensorSpec(indices.shape, values.dtype)


def _put_kernel(xp, values, indices, *n_input, n=None):
    if n_input:
        n = int(n_input[0].reshape(()))
    k = values.shape[-1]
    out = xp.zeros(values.shape[:-1] + (n,), values.dtype)
    if out.size == 0 or k == 0:
        return out
    rows = out.reshape(-1, n)
    rows[xp.arange(rows.shape[0])[:, None], indices.reshape(-1, k)] = values.reshape(-1, k)
    return out


def _take_kernel(xp, values, indices):
    return xp.take_along_axis(values, indices, axis=-1)


_PUT = register(OpDef(
    "_put_along_last_axis", "_PutAlongLastAxis", ("values", "indices"),
    _put_infer, _put_kernel,
    vjp=lambda ctx, g: (_take_along_last_axis(g, ctx.inputs[1]),) + (None,) * (
        len(ctx.inputs) - 1),
    attrs={"n": None}, same_dtype=(), doc="Internal: top_k's gradient, zeros of last-axis "
    "size n with values[..., j] at indices[..., j] (indices distinct along the axis); an n "
    "known only when a graph runs is a third input."))
_TAKE = register(OpDef(
    "_take_along_last_axis", "_TakeAlongLastAxis", ("values", "indices"),
    _take_infer, _take_kernel,
    vjp=lambda ctx, g: (_put_along_last_axis(g, ctx.inputs[1], _last_size(ctx.inputs[0])),
                        None),
    same_dtype=(), doc="Internal: values[..., indices[..., j]] along the last axis."))


def _put_along_last_axis(values, indices, n):
    n, sizes = _size_inputs(n)
    return dispatch(_PUT, (values, indices) + sizes, {"n": n})


def _take_along_last_axis(values, indices):
    return dispatch(_TAKE, (values, indices))


# --- public functions ----------------------------------------------------------------------
def top_k(input, k=1, sorted=True, index_type=_dt.int32, name=None):
    """The `k` largest entries along the last axis of `input`, and their indices.

    Equal values keep their order (the lower index comes first), as in TensorFlow. The
    gradient puts the upstream gradient of `values` back at `indices`.

    Args:
        input: a real tensor of rank >= 1.
        k: how many entries to return (0 <= k <= input.shape[-1]): an int, or (inside
            `engine.function`) a scalar int tensor, perhaps known only when the graph runs.
        sorted: return the entries in descending order (else in index order).
        index_type: int32 (default) or int64.
        name: ignored in eager mode.

    Returns:
        `TopKV2(values, indices)`, both of shape `input.shape[:-1] + [k]`.

    Raises:
        ShapeError: when k is larger than the last axis.

    Example:
        >>> engine.math.top_k(engine.constant([1.0, 3.0, 2.0]), k=2).indices.numpy()
        array([1, 2], dtype=int32)
    """
    k, sizes = _size_inputs(k)
    values, indices = dispatch(_TOP_K, (input,) + sizes, {
        "k": k, "sorted": bool(sorted), "index_type": _dt.as_dtype(index_type)})
    return TopKV2(values, indices)


def _sort_along(op: str, values, axis, direction):
    """top_k over the whole `axis`, ascending or descending; returns (x, values, indices)."""
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{op}: got direction={direction!r}; expected 'ASCENDING' or "
                         "'DESCENDING'.")
    x = convert_to_tensor(values)
    if x.dtype not in REAL:
        raise DTypeError(f"{op}: got a tensor of dtype {x.dtype.name}; expected a real "
                         "(integer or floating) dtype. Cast it with engine.cast.")
    rank = x._value.ndim
    if rank == 0:
        raise ShapeError(f"{op}: got a scalar; expected a tensor of rank >= 1.")
    axis = _inf.normalize_axis(op, int(_sa.static_axis(axis)), rank)
    perm = None
    if axis != rank - 1:
        perm = list(range(rank))
        perm[axis], perm[-1] = rank - 1, axis
        x = _a.transpose(x, perm)
    ascending = direction == "ASCENDING"
    flip = _u.invert if x.dtype.is_integer else _u.negative
    key = flip(x) if ascending else x
    out, indices = top_k(key, _last_size(x))
    if ascending:
        out = flip(out)
    if perm is not None:
        out, indices = _a.transpose(out, perm), _a.transpose(indices, perm)
    return out, indices


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """Sorts `values` along `axis` (stable: equal elements keep their order).

    Args:
        values: a real tensor of rank >= 1.
        axis: the axis to sort along.
        direction: "ASCENDING" or "DESCENDING".
        name: ignored in eager mode.

    Returns:
        A tensor of the shape and dtype of `values`; differentiable (the gradient is
        permuted back).

    Raises:
        ValueError: for an unknown direction.

    Example:
        >>> engine.sort(engine.constant([3, 1, 2]), direction="DESCENDING").numpy()
        array([3, 2, 1], dtype=int32)
    """
    return _sort_along("sort", values, axis, direction)[0]


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """The int32 indices that sort `values` along `axis`.

    The sort is always stable (equal elements keep their order), whatever `stable` says,
    as TensorFlow's is.

    Args:
        values: a real tensor of rank >= 1.
        axis: the axis to sort along.
        direction: "ASCENDING" or "DESCENDING".
        stable: accepted for TensorFlow compatibility; the sort is stable anyway.
        name: ignored in eager mode.

    Returns:
        An int32 tensor of the shape of `values`. Not differentiable.

    Example:
        >>> engine.argsort(engine.constant([3.0, 1.0, 2.0])).numpy()
        array([1, 2, 0], dtype=int32)
    """
    return _sort_along("argsort", values, axis, direction)[1]


# --- InTopKV2 --------------------------------------------------------------------------------
def _in_top_k_infer(predictions, targets, k=1):
    _inf.check_dtype("in_top_k", predictions, FLOAT, "predictions")
    if targets.dtype not in (_dt.int32, _dt.int64):
        raise DTypeError(f"in_top_k: got targets of dtype {targets.dtype.name}; expected "
                         "int32 or int64 class ids.")
    p, t = predictions.shape, targets.shape
    if p.rank not in (None, 2) or t.rank not in (None, 1):
        raise ShapeError(f"in_top_k: got predictions of shape {p} and targets of shape {t}; "
                         "expected (batch, classes) and (batch,).")
    batch = p[0] if p.rank is not None else None
    if t.rank is not None:
        if batch is not None and t[0] is not None and batch != t[0]:
            raise ShapeError(f"in_top_k: got predictions of shape {p} and targets of shape "
                             f"{t}; expected the same batch size ({batch} != {t[0]}).")
        batch = batch if batch is not None else t[0]
    return TensorSpec([batch], _dt.bool)


def _in_top_k_kernel(xp, predictions, targets, k=1):
    n = predictions.shape[1]
    valid = (targets >= 0) & (targets < n)
    safe = xp.where(valid, targets, 0).astype(np.intp)
    target_scores = xp.take_along_axis(predictions, safe[:, None], axis=1)
    # Ties at the boundary count as inside (TF): only strictly larger scores push out.
    larger = (predictions > target_scores).sum(axis=1)
    return valid & xp.isfinite(target_scores[:, 0]) & (larger < k)


_IN_TOP_K = register(OpDef(
    "in_top_k", "InTopKV2", ("predictions", "targets"), _in_top_k_infer, _in_top_k_kernel,
    attrs={"k": 1}, same_dtype=(), doc="Whether each target's score is among its row's top k."))


def in_top_k(targets, predictions, k, name=None):
    """Whether each `targets[i]` is among the `k` highest `predictions[i]`.

    Classes tied with the k-th score count as inside, as in TensorFlow; a target out of
    range or with a non-finite score gives False.

    Args:
        targets: int32 or int64 class ids, shape (batch,).
        predictions: float scores, shape (batch, classes).
        k: how many top classes count.
        name: ignored in eager mode.

    Returns:
        A bool tensor of shape (batch,).

    Example:
        >>> engine.math.in_top_k([1, 0], [[0.1, 0.9], [0.2, 0.8]], k=1).numpy()
        array([ True, False])
    """
    return dispatch(_IN_TOP_K, (predictions, targets),
                    {"k": int(np.asarray(_sa.static_axis(k)))})
